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
