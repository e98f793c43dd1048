"""Background work on messages, run by the task worker (``ballotguard db_worker``)."""

from __future__ import annotations

from django_tasks import task


@task()
def score_new_messages() -> int:
    """Score every message not yet scored. Enqueued after each API batch is committed; it scores
    whatever is waiting, so a task lost or run twice loses or doubles nothing."""
    from .services import score_pending

    return score_pending()
