"""Background work of the survey, run by the task worker (``ballotguard db_worker``)."""

from __future__ import annotations

from django_tasks import task


@task()
def survey_sweep() -> dict:
    """Invite every candidate of an election whose survey is open, and remind those who have not
    responded before the closing date (``services.sweep``). Enqueued by ``ballotguard survey-sweep``
    (``make run`` runs it every hour) and when a closing date is set; running it twice sends nothing twice."""
    from .services import sweep

    return sweep().as_dict()
