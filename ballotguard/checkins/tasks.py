"""Background work on check-ins, run by the task worker (``ballotguard db_worker``)."""

from __future__ import annotations

from django_tasks import task


@task()
def sweep_checkins() -> dict:
    """Send every check-in alert that is due and not yet sent (``services.sweep``).

    Enqueued with ``run_after`` at each check-in's due times when it starts or is extended, and at
    once when someone who was alerted about checks out (the all-clear). Running it late, twice or
    concurrently sends nothing twice: the deliveries table is UNIQUE per stage, channel and recipient.
    """
    from .services import sweep

    return sweep().as_dict()
