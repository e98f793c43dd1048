"""Background work for insights, run by the task worker (``ballotguard db_worker``)."""

from __future__ import annotations

from django_tasks import task


@task()
def refresh_insights(trigger: str = "on_demand", requested_by_id: int | None = None) -> dict:
    """Recompute every snapshot. Enqueued by the "Refresh figures" button and the API; the schedule is
    ``ballotguard refresh-insights --loop SECONDS`` (``make run`` starts it). One that finds another
    running and recent does nothing; two that start together anyway are queued by a lock where they
    swap the snapshots (``services.refresh_snapshots``)."""
    from ballotguard.accounts.models import User

    from .services import refresh_running, refresh_snapshots

    if refresh_running():
        return {"skipped": "another refresh is running"}
    user = User.objects.filter(pk=requested_by_id).first() if requested_by_id else None
    run = refresh_snapshots(trigger=trigger, requested_by=user)
    return {"snapshots": run.snapshots, "incidents": run.incidents, "seconds": run.seconds}
