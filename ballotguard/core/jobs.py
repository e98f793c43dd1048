"""Background jobs whose worker died: one rule for every job model that says "running".

A job is marked running by the task worker and finished by the same worker. If the worker dies in
between (killed, out of memory, the machine restarted) nothing else would ever finish it, and the
page would say "running" for ever. Each app's job model therefore has a sweep that marks a job failed
once it has said nothing for ``BALLOTGUARD_JOB_STALE_AFTER`` seconds, with :data:`DIED` as the reason
the user reads. Every job here commits its work in one transaction at its end (or in steps it can
repeat), so a dead run leaves what was there before untouched and running it again is safe.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

DIED = ("The task worker stopped while this was running (it said nothing for {minutes} minutes), so it was "
        "marked failed. Nothing already saved was lost; start it again.")


def stale_after() -> timedelta:
    return timedelta(seconds=settings.BALLOTGUARD_JOB_STALE_AFTER)


def stale_before(now: datetime | None = None) -> datetime:
    """Jobs last heard of before this moment are taken to be dead."""
    return (now or timezone.now()) - stale_after()


def died_reason() -> str:
    return DIED.format(minutes=max(1, round(stale_after().total_seconds() / 60)))
