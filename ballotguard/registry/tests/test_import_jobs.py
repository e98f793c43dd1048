"""Large candidate imports run in the task worker with progress (issue 14). The test settings run
tasks immediately, once the transaction that queued them commits."""

from __future__ import annotations

import pathlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ballotguard.registry.importers import import_geography
from ballotguard.registry.models import Candidate, ImportJob
from conftest import make_user, signed_in_client

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


@pytest.fixture
def admin(db):
    import_geography(FIXTURES / "geography")
    return make_user("importer", "admin")


def test_a_large_api_import_is_queued_and_reports_progress(admin, settings, django_capture_on_commit_callbacks):
    data = (FIXTURES / "dc_export.csv").read_bytes()
    settings.BALLOTGUARD_IMPORT_INLINE_BYTES = len(data) - 1  # this file counts as large
    client = signed_in_client(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/imports/candidates", {"file": SimpleUploadedFile("dc.csv", data, "text/csv")})
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["status"] == "queued" and job["status_url"] == f"/api/v1/imports/jobs/{job['id']}"
    status = client.get(job["status_url"]).json()
    assert status["status"] == "done" and status["done"] == status["total"] > 0
    assert status["report"]["kind"] == "candidates" and status["report"]["totals"]["created"] > 0
    assert len(status["report"]["rejected"]) == 3
    assert Candidate.objects.exists()
    assert bytes(ImportJob.objects.get().data) == b""  # the upload is not kept

    page = client.get("/imports/").content.decode()
    assert "Background imports" in page and "dc.csv" in page and "Finished" in page
    # The jobs table is drawn once, in the page's body: not in its <title> or <head>.
    head = page[:page.index("</head>")]
    assert page.count("Background imports") == 1 and "<table" not in head and "<title>Imports – Ballotguard</title>" in head
    assert 'http-equiv="refresh"' not in head  # nothing is running, so the page does not refresh itself


def test_a_refused_file_fails_the_job_with_the_reason(admin, django_capture_on_commit_callbacks):
    client = signed_in_client(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/imports/candidates", {"file": SimpleUploadedFile("x.csv", b"nonsense,columns\n1,2\n"), "background": "true"})
    assert response.status_code == 202
    status = client.get(response.json()["status_url"]).json()
    assert status["status"] == "failed" and status["errors"] and status["report"] is None
    assert client.get("/api/v1/imports/jobs/99999").status_code == 404


def test_a_large_page_upload_is_queued_too(admin, settings, django_capture_on_commit_callbacks):
    data = (FIXTURES / "dc_export.csv").read_bytes()
    settings.BALLOTGUARD_IMPORT_INLINE_BYTES = 10
    client = signed_in_client(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/imports/", {"kind": "candidates", "cand-candidates_file": SimpleUploadedFile("dc.csv", data, "text/csv")})
    assert response.status_code == 302
    assert ImportJob.objects.get().status == ImportJob.Status.DONE
    assert "being imported in the background" in client.get("/imports/").content.decode()


def test_a_job_whose_worker_died_is_failed_with_a_plain_reason_and_can_be_run_again(admin, settings, django_capture_on_commit_callbacks):
    """A worker killed mid-import leaves the job "running"; once it has said nothing for longer than
    BALLOTGUARD_JOB_STALE_AFTER the page and the API show it failed, saying why, and a new upload works."""
    import datetime as dt

    from django.utils import timezone

    settings.BALLOTGUARD_JOB_STALE_AFTER = 3600
    long_ago = timezone.now() - dt.timedelta(hours=2)
    dead = ImportJob.objects.create(filename="dead.csv", data=b"name\n", status=ImportJob.Status.RUNNING, started_at=long_ago,
                                    heartbeat_at=long_ago, stage="Reading rows", done=10, total=100, created_by=admin)
    alive = ImportJob.objects.create(filename="alive.csv", data=b"name\n", status=ImportJob.Status.RUNNING, started_at=long_ago,
                                     heartbeat_at=timezone.now() - dt.timedelta(seconds=5), created_by=admin)
    client = signed_in_client(admin)
    status = client.get(f"/api/v1/imports/jobs/{dead.pk}").json()
    assert status["status"] == "failed"
    assert status["errors"] == ["The task worker stopped while this was running (it said nothing for 60 minutes), so it was marked failed. "
                                "Nothing already saved was lost; start it again."]
    dead.refresh_from_db()
    assert bytes(dead.data) == b"" and dead.finished_at is not None  # the upload is dropped as at any other end
    assert client.get(f"/api/v1/imports/jobs/{alive.pk}").json()["status"] == "running"  # still reporting progress

    ImportJob.objects.filter(pk=dead.pk).update(status=ImportJob.Status.RUNNING, errors=[])  # died again; this time the page is read
    page = client.get("/imports/").content.decode()
    assert "The task worker stopped while this was running" in page and "Failed" in page
    assert ImportJob.objects.get(pk=dead.pk).status == ImportJob.Status.FAILED

    data = (FIXTURES / "dc_export.csv").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post("/api/v1/imports/candidates", {"file": SimpleUploadedFile("dead.csv", data, "text/csv"), "background": "true"})
    assert client.get(again.json()["status_url"]).json()["status"] == "done" and Candidate.objects.exists()


def test_the_worker_fails_dead_jobs_before_starting_one_and_records_its_own_crash(admin, monkeypatch, caplog, django_capture_on_commit_callbacks):
    import datetime as dt

    from django.utils import timezone

    from ballotguard.registry import importers

    dead = ImportJob.objects.create(filename="dead.csv", status=ImportJob.Status.RUNNING, started_at=timezone.now() - dt.timedelta(days=1))

    def crash(*args, **kwargs):
        raise MemoryError("row 7: Jane Doe")

    monkeypatch.setattr(importers, "import_candidates", crash)
    client = signed_in_client(admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/v1/imports/candidates", {"file": SimpleUploadedFile("x.csv", b"name\n"), "background": "true"})
    assert ImportJob.objects.get(pk=dead.pk).status == ImportJob.Status.FAILED
    crashed = ImportJob.objects.exclude(pk=dead.pk).get()
    assert crashed.status == ImportJob.Status.FAILED and "MemoryError" in crashed.errors[0] and "Jane" not in crashed.errors[0]
    assert "Jane" not in caplog.text  # the exception's text may quote the file: not logged


def _seen_from_another_connection(job_pk: int) -> tuple[str, int, int, object]:
    """The job's progress as another connection (a new thread's) reads it."""
    import threading

    from django.db import connection

    seen: list = []

    def read() -> None:
        try:
            seen.append(ImportJob.objects.values_list("stage", "done", "total", "heartbeat_at").get(pk=job_pk))
        finally:
            connection.close()

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(timeout=10)
    return seen[0]


@pytest.mark.django_db(transaction=True)
def test_another_connection_sees_a_background_import_move_while_it_runs(monkeypatch):
    """The imports page reads progress on its own connection while the import's transaction is still
    open: on PostgreSQL it sees each stage as it is reported, not only the start. On SQLite the import
    holds the single write lock, so progress is seen when it commits; the job must still finish."""
    from django.db import connection

    from ballotguard.registry import importers
    from ballotguard.registry.tasks import run_import_job

    import_geography(FIXTURES / "geography")
    admin = make_user("importer", "admin")
    job = ImportJob.objects.create(filename="dc.csv", data=(FIXTURES / "dc_export.csv").read_bytes(), created_by=admin)
    original = importers.import_candidates
    seen: list = []

    def watched(*args, progress, **kwargs):
        def reporting(stage, done, total):
            progress(stage, done, total)
            if stage == "Checking rows" and done == total and connection.vendor != "sqlite":  # always written, not throttled
                assert connection.in_atomic_block  # still inside the import's transaction
                seen.append(_seen_from_another_connection(job.pk))
        return original(*args, progress=reporting, **kwargs)

    monkeypatch.setattr(importers, "import_candidates", watched)
    assert run_import_job.call(job.pk) == "done"
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.stage == "Saving" and job.done == job.total == 4
    if connection.vendor != "sqlite":
        stage, done, total, heartbeat = seen[0]
        assert stage == "Checking rows" and done == total == 7
        assert heartbeat > job.started_at


@pytest.mark.django_db(transaction=True)
def test_the_dead_job_sweep_skips_a_job_whose_row_a_live_import_holds():
    """A job row held locked by another transaction belongs to a live import: the sweep run by the
    page and the worker passes it by instead of waiting for that transaction (PostgreSQL)."""
    import datetime as dt
    import threading

    from django.db import connection, transaction
    from django.utils import timezone

    from ballotguard.registry.services import fail_dead_import_jobs

    if connection.vendor == "sqlite":
        pytest.skip("SQLite has no row locks; the sweep's read-first path is covered by the tests above")
    long_ago = timezone.now() - dt.timedelta(hours=2)
    held = ImportJob.objects.create(filename="held.csv", status=ImportJob.Status.RUNNING, started_at=long_ago, heartbeat_at=long_ago)
    dead = ImportJob.objects.create(filename="dead.csv", status=ImportJob.Status.RUNNING, started_at=long_ago, heartbeat_at=long_ago)
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                ImportJob.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=20)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")  # without skipping, the sweep fails here instead of hanging
            assert fail_dead_import_jobs() == 1
    finally:
        release.set()
        holder.join()
    assert ImportJob.objects.get(pk=dead.pk).status == ImportJob.Status.FAILED
    assert ImportJob.objects.get(pk=held.pk).status == ImportJob.Status.RUNNING
