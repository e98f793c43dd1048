"""Coverage of FEOA outreach: how many candidates were handed over, reached and briefed, and how fast.

The figure the Taskforce asks for is the *median days from the close of nominations to the first
successful contact* with each candidate whose contact details reached the police. This module holds
the arithmetic and nothing else; ``ballotguard.outreach.services.coverage_by_force`` gathers the
records from the database and groups them by police force.

Rules, so that two people computing the figure by hand get the same answer:

* Only *successful* contact counts (``reached``); a message left or no answer is an attempt, not a
  contact. The caller passes the date of the first one, or ``None``.
* Days are whole calendar days between the close of nominations and the day of first contact, in
  the caller's time zone (UK time). A contact before nominations closed (a sitting councillor the
  adviser already knew) counts as 0 days: there was no gap to close.
* The median is over the candidates who were contacted *and* whose election has a close-of-
  nominations date; with an even count it is the mean of the two middle values. Candidates never
  contacted are not in the median: they are counted in ``not_contacted``, and ``waiting_days``
  gives the median time they have been waiting so far, so a force that reaches nobody does not
  look fast.

Pure Python: no Django (an import-linter contract keeps it that way).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class CandidateOutreach:
    """What outreach achieved for one candidate whose contact details were handed over."""

    nominations_close: dt.date | None
    first_contact: dt.date | None  # day of the first successful contact, if any
    briefed: bool = False  # attended at least one briefing


@dataclass(frozen=True)
class Coverage:
    handed_over: int
    contacted: int
    briefed: int
    not_contacted: int
    median_days_to_first_contact: float | None
    timed: int  # how many contacted candidates the median is over (those with a close date)
    waiting_days: float | None  # median days waited so far by those not yet contacted (with a close date)

    @property
    def contacted_share(self) -> float | None:
        return self.contacted / self.handed_over if self.handed_over else None

    @property
    def briefed_share(self) -> float | None:
        return self.briefed / self.handed_over if self.handed_over else None


EMPTY = Coverage(handed_over=0, contacted=0, briefed=0, not_contacted=0, median_days_to_first_contact=None, timed=0, waiting_days=None)


def median(values: Sequence[float]) -> float | None:
    """The middle value; the mean of the two middle values for an even count; ``None`` for none."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2


def days_between(start: dt.date | None, end: dt.date | None) -> int | None:
    """Whole days from ``start`` to ``end``, never negative; ``None`` if either is unknown."""
    if start is None or end is None:
        return None
    return max(0, (end - start).days)


def coverage(records: Iterable[CandidateOutreach], today: dt.date | None = None) -> Coverage:
    """Counts and medians for one group of candidates (one force, one council, the country)."""
    handed_over = contacted = briefed = 0
    to_contact: list[int] = []
    waiting: list[int] = []
    for r in records:
        handed_over += 1
        briefed += bool(r.briefed)
        if r.first_contact is not None:
            contacted += 1
            days = days_between(r.nominations_close, r.first_contact)
            if days is not None:
                to_contact.append(days)
        elif today is not None:
            days = days_between(r.nominations_close, today)
            if days is not None:
                waiting.append(days)
    return Coverage(
        handed_over=handed_over, contacted=contacted, briefed=briefed, not_contacted=handed_over - contacted,
        median_days_to_first_contact=median(to_contact), timed=len(to_contact), waiting_days=median(waiting),
    )


def coverage_by(rows: Iterable[tuple[K, CandidateOutreach]], keys: Iterable[K] = (), today: dt.date | None = None) -> dict[K, Coverage]:
    """``coverage`` per key. A candidate may appear under two keys (a constituency policed by two
    forces counts for both). Every key in ``keys`` is in the answer, with zeros if it had no rows."""
    groups: dict[K, list[CandidateOutreach]] = {key: [] for key in keys}
    for key, record in rows:
        groups.setdefault(key, []).append(record)
    return {key: coverage(items, today) if items else EMPTY for key, items in groups.items()}
