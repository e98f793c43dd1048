"""Background jobs whose worker died: one rule for every job model that says "running".

A job is marked running by the task worker and finished by the same worker. If the worker dies in
between (killed, out of memory, the machine restarted) nothing else would ever finish it, and the
page would say "running" for ever. Each app's job model therefore has a sweep that marks a job failed
once it has said nothing for ``BALLOTGUARD_JOB_STALE_AFTER`` seconds, with :data:`DIED` as the reason
the user reads. Every job here commits its work in one transaction at its end (or in steps it can
repeat), so a dead run leaves what was there before untouched and running it again is safe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
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


@contextmanager
def progress_writes(using: str = DEFAULT_DB_ALIAS) -> Iterator[Callable[[Callable[[], object]], None]]:
    """Give a job a way to write its progress and heartbeat where other connections see them at once.

    A job that does its work in one transaction would otherwise hold its progress writes until it
    commits: the page's progress bar would not move, and the heartbeat would look stale to the
    dead-job sweep. On PostgreSQL each write therefore runs on a second connection, one Django opens
    for a helper thread, and commits on its own; the caller waits for it, so writes stay in order.

    The writes go through the job's own connection, so are seen only when it commits, where that
    cannot work: on SQLite a transaction holds the database's single write lock (``transaction_mode``
    IMMEDIATE), so a second connection's write would wait for the job that is waiting on it; and when
    the caller is already inside a transaction (a test, or a job run from a view), the job's row may
    not be committed or may be locked by that very transaction."""
    connection = connections[using]
    if connection.vendor == "sqlite" or connection.in_atomic_block:
        yield lambda write: write()
        return
    helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="job-progress")
    try:
        yield lambda write: helper.submit(write).result()
    finally:
        helper.submit(lambda: connections[using].close()).result()  # the helper thread's own connection
        helper.shutdown()
