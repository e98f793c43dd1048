"""Background work of the registry, run by the task worker (``ballotguard db_worker``)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task

from ballotguard.accounts.models import Role, User

from .models import Candidate, PoliceForce

logger = logging.getLogger(__name__)


@task()
def notify_advisers_of_handover(candidate_ids: list[int]) -> int:
    """Tell each force's FEOAs that contact details were handed over for candidates in their area.

    The e-mail carries counts and a link only: personal data stays behind the sign-in.
    """
    per_force: dict[int, int] = {}
    candidates = Candidate.objects.filter(pk__in=candidate_ids, consent_to_share=True).select_related("ballot")
    for candidate in candidates:
        for force_id in candidate.ballot.area.force_links.values_list("force_id", flat=True):
            per_force[force_id] = per_force.get(force_id, 0) + 1
    sent = 0
    for force in PoliceForce.objects.filter(pk__in=per_force):
        recipients = list(
            User.objects.filter(role=Role.FEOA, is_active=True, police_forces=force).exclude(email="").values_list("email", flat=True)
        )
        if not recipients:
            continue
        count = per_force[force.pk]
        send_mail(
            subject=f"Ballotguard: {count} candidate{'s' if count != 1 else ''} handed over in {force.name}",
            message=(
                f"A returning officer has handed over the contact details of {count} candidate"
                f"{'s' if count != 1 else ''} in {force.name}, with their consent.\n\n"
                f"Sign in to see who has not been contacted yet: {settings.BALLOTGUARD_BASE_URL}/candidates/?handed_over=yes\n"
            ),
            from_email=None,
            recipient_list=recipients,
        )
        sent += 1
    return sent


@task()
def run_import_job(job_id: int) -> str:
    """Run a queued candidate import, recording progress at most every half second (one row write)."""
    from django.utils import timezone

    from ballotguard.core import jobs

    from .models import ImportJob
    from .services import fail_dead_import_jobs

    job = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).first()
    if job is None:
        return "not queued"
    fail_dead_import_jobs()  # a worker that died on an earlier job left it "running"
    started = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, started_at=started, heartbeat_at=started)
    with jobs.progress_writes() as write:
        outcome = _run_import(job, write)
    if outcome is None:
        return "failed"
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.DONE, report=outcome.to_dict(), data=b"", gender_data=None,
                                               finished_at=timezone.now())
    return "done"


def _run_import(job, write):
    """Run the import of ``job``, recording its progress through ``write`` (``core.jobs.progress_writes``)
    at most every half second; on failure mark the job failed and return None."""
    import time

    from django.utils import timezone

    from ballotguard.accounts.services import Actor

    from .importers import ImportValidationError, import_candidates
    from .models import ImportJob

    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5 or done >= total:
            last[0] = now
            write(lambda: ImportJob.objects.filter(pk=job.pk).update(stage=stage[:100], done=done, total=total, heartbeat_at=timezone.now()))

    actor = Actor(user=job.created_by, channel="api")
    try:
        return import_candidates(bytes(job.data), filename=job.filename, gender_from=bytes(job.gender_data) if job.gender_data else None,
                                 dry_run=job.dry_run, allow_unknown_columns=job.allow_unknown_columns, progress=progress, actor=actor)
    except ImportValidationError as exc:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED, errors=list(exc.messages), data=b"", gender_data=None,
                                                   finished_at=timezone.now())
        return None
    except Exception as exc:
        # Not the file's fault: say so. The class only, here and in the log, as the exception's text
        # may quote the file. The import ran in one transaction, so nothing was half-saved.
        logger.error("Import job %s stopped on %s", job.pk, type(exc).__name__)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED, data=b"", gender_data=None, finished_at=timezone.now(),
            errors=[f"The import stopped on an unexpected error ({type(exc).__name__}). Nothing was saved; start it again, "
                    "and tell the operators if it happens again."])
        return None
