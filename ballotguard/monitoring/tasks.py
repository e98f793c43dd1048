"""Background work on messages, run by the task worker (``ballotguard db_worker``)."""

from __future__ import annotations

from django_tasks import task


@task()
def score_new_messages() -> int:
    """Score every message not yet scored. Enqueued after each API batch is committed; it scores
    whatever is waiting, so a task lost or run twice loses or doubles nothing."""
    from .services import score_pending

    return score_pending()


@task()
def detect_campaigns_task(run_id: int | None = None) -> dict:
    """Detect coordinated campaigns over the ingested messages and incident observables.

    ``run_id``: a queued :class:`DetectionRun` (on demand from the page or API, or the next link of
    the schedule); ``None`` makes a scheduled run now. A scheduled run queues the next one
    ``BALLOTGUARD_CAMPAIGN_DETECTION_INTERVAL`` seconds later (default 900) with ``run_after``; the
    database allows one queued scheduled run, so there is only ever one chain. A run delivered twice
    is claimed once. ``ballotguard detect-campaigns-db --loop`` restarts the chain if it is lost.
    """
    from .services.campaigns import run_task

    return run_task(run_id)
