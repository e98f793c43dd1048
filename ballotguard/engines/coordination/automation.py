"""Accounts that post on a timer: telling a campaign run by scheduled software from people acting together.

Timer bots (accounts that post the same hashtag at the same second every quarter hour) pass the
significance test easily: chance does not explain them. They are reported, but as their own kind of
campaign, ``scheduled``, because what an adviser does next differs (a bot network is reported to the
platform; people working together may be a course of conduct). The decision is a test with a
controlled error, per member, on the regularity of its own posting times:

**Occasions.** For a candidate period ``P`` (:data:`PERIODS`: 2, 5, 10, 15, 20, 30 and 60 minutes),
an account's posts are merged into *occasions*: a post less than ``P/2`` after the previous one joins
its occasion, whose time is its first post's. A person's burst (five replies in a minute, an evening
of live posting) is one occasion, however many posts it holds, so bursts cannot pass for a rhythm.

**Statistic.** For each *quiet gap* ``g`` before an occasion (from the previous occasion's last post
to its first: at least ``P/2``) that is about one to a few cycles long (``g < (MAX_CYCLES + ½)·P``),
its residual ``θ = 2π (g/P − round(g/P))`` says how far it is from
a whole number of cycles. A timer's gaps are whole cycles (``θ ≈ 0``, ``cos θ ≈ 1``), skipped ticks
included. The statistic is ``V = Σ cos θ`` (the V-test of circular statistics, with the direction
known: zero).

**Null.** Gaps whose exact length within its range is spread smoothly, so that ``θ`` is uniform and
``cos θ`` has mean 0 and variance ½. This is the account's own activity spread over the day, not an
outside rate: a daily cycle (busy evenings) only changes how many gaps fall in the range, and gaps of
a day are never in it (the longest counted is 4.5 hours, at ``P`` = 60 minutes); a person's gaps,
whose density falls as gaps grow, give ``E[cos θ] ≤ 0``, so the test is conservative for them (for
posts at random, a Poisson process, the quiet gaps are ``P/2`` plus an exponential gap, independent of
each other: ``E[cos θ] < 0`` exactly; gaps measured between the *starts* of occasions were not, since an
occasion's length shifts them). The
p-value is Bernstein's bound ``exp(−V² / (2 (n/2 + V/3)))`` for ``n`` independent terms in
``[−1, 1]``: exact enough for any ``n`` (no large-sample approximation) and never too small. Twenty
gaps of whole cycles give ``p ≈ 10⁻⁵``; fewer than about 15 can never reach the level.

**Decision.** An account posts on a timer when the smallest p-value over the periods, times their
number (Bonferroni), is at most :data:`ALPHA` (0.001): an account without a timer is called one with
probability at most 0.001, whatever its activity. Its period is, among those it is locked to at that
level, the one its gaps fit most tightly (largest mean ``cos θ``), the larger on a tie: a 15-minute
timer is also locked to 5 minutes, with the same gaps, but its jitter is a larger part of 5 minutes; at
30 minutes its gaps are half cycles, at 60 minutes its posts merge into one occasion. When most of its
gaps are one same number of those cycles and that interval is a period it is locked to as well, the
interval is its period (a 20-minute timer with a person's posts in between can fit 10-minute cycles as
tightly). A campaign is **scheduled** when more than half of its members
post on a timer; otherwise it stays **coordinated**. Its explanation then starts with how many of its
accounts post on which timer, at which point of the clock (times are Unix seconds, so ``t mod P`` is
the clock's phase; the readers give that).

Pure Python + numpy (Polars only to gather the members' times). Shared by the local and the Spark engine (the Spark engine collects its members'
posting times on the driver), so both decide alike.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:  # detection imports this module; the type only
    from .detection import Campaign

COORDINATED = "coordinated"
SCHEDULED = "scheduled"
KINDS = (COORDINATED, SCHEDULED)

PERIODS = (120.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 3600.0)
"""Candidate periods in seconds. Not one minute: times given to the whole minute would make every account
"locked" to it. Not more than an hour: gaps of up to 4.5 cycles must stay well short of a day, so that a
daily habit (the same hour every evening) is never a timer."""
MAX_CYCLES = 4
"""Gaps of up to this many cycles (and a half) are compared with whole cycles: a timer that skips a
tick or three still counts; longer gaps would let a daily habit in."""
ALPHA = 0.001
"""The chance that an account without a timer is said to have one (Bonferroni over :data:`PERIODS`)."""


@dataclass(frozen=True)
class AccountTimer:
    """One account's timer: the period its posts fit most tightly (see :func:`account_timer`)."""

    period: float
    every: float
    """The usual interval: the commonest whole number of periods between its occasions, times the period."""
    offset: float
    """Seconds after the clock's mark (``t mod period``), the mean of its occasions, in ``[-period/2, period/2)``."""
    p_value: float
    """Bonferroni-adjusted: the smallest p-value over the periods, times their number."""
    gaps: int
    """Gaps tested at ``period``."""


@dataclass(frozen=True)
class Timer:
    """A scheduled campaign's timer: what most of its accounts do."""

    period: float
    """Seconds: the clock cycle the timed accounts' posts fall on (the commonest among them)."""
    every: float
    """Seconds between posts, as most of them do it."""
    offset: float
    """Seconds after the mark of the clock (e.g. after each quarter hour), averaged over the timed accounts."""
    spread: float
    """Circular standard deviation of the timed accounts' posts around that point, in seconds."""
    accounts: tuple[str, ...]
    """The members that post on a timer (any period), sorted."""
    p_value: float
    """The weakest of them: the largest adjusted p-value."""


def occasions(times: np.ndarray, period: float) -> np.ndarray:
    """Start times of the occasions at ``period``: sorted posts, each less than ``period / 2`` after the
    previous post joining its occasion."""
    t = np.sort(np.asarray(times, dtype=np.float64))
    if len(t) == 0:
        return t
    start = np.concatenate([[True], np.diff(t) >= period / 2])
    return t[start]


def quiet_gaps(times: np.ndarray, period: float) -> np.ndarray:
    """The quiet gap before each occasion after the first (from the previous occasion's last post to its
    first post: at least ``period / 2``), and only those shorter than ``(MAX_CYCLES + ½)·period``."""
    t = np.sort(np.asarray(times, dtype=np.float64))
    gaps = np.diff(t)
    gaps = gaps[gaps >= period / 2]
    return gaps[gaps < (MAX_CYCLES + 0.5) * period]


def residuals(times: np.ndarray, period: float) -> np.ndarray:
    """``θ`` of every quiet gap (:func:`quiet_gaps`): how far it is from a whole number of cycles."""
    cycles = quiet_gaps(times, period) / period
    return 2 * math.pi * (cycles - np.floor(cycles + 0.5))


def on_time(times: np.ndarray, period: float) -> np.ndarray:
    """The posts at either end of a quiet gap of whole cycles (``|θ| < π/6``): the timer's own posts,
    without a person's posts that the same account makes in between (for saying *when* it posts)."""
    t = np.sort(np.asarray(times, dtype=np.float64))
    if len(t) < 2:
        return t
    gaps = np.diff(t)
    cycles = gaps / period
    theta = 2 * math.pi * (cycles - np.floor(cycles + 0.5))
    whole = np.flatnonzero((gaps >= period / 2) & (gaps < (MAX_CYCLES + 0.5) * period) & (np.abs(theta) < math.pi / 6))
    return t[np.unique(np.concatenate([whole, whole + 1]))]


def bernstein_log_p(v: float, n: int) -> float:
    """``log P(Σ X ≥ v)``, bounded for ``n`` independent terms with mean 0, variance ½ and ``|X| ≤ 1``
    (Bernstein's inequality). In logarithms, so that two strong timers are still told apart."""
    if n == 0 or v <= 0:
        return 0.0
    return -(v * v) / (2 * (n / 2 + v / 3))


def bernstein_p(v: float, n: int) -> float:
    """:func:`bernstein_log_p` as a probability."""
    return math.exp(bernstein_log_p(v, n))


def period_log_p(times: np.ndarray, period: float) -> tuple[float, int]:
    """The log p-value of the V-test at ``period`` (unadjusted) and the number of gaps tested."""
    theta = residuals(times, period)
    return bernstein_log_p(float(np.cos(theta).sum()), len(theta)), len(theta)


def period_p(times: np.ndarray, period: float) -> tuple[float, int]:
    """The p-value of the V-test at ``period`` (unadjusted) and the number of gaps tested."""
    log_p, n = period_log_p(times, period)
    return math.exp(log_p), n


def _phase(times: np.ndarray, period: float) -> tuple[float, float]:
    """Mean point of the cycle (seconds after the mark, in [-P/2, P/2)) and the resultant length."""
    angle = 2 * math.pi * (np.mod(times, period) / period)
    c, s = float(np.cos(angle).mean()), float(np.sin(angle).mean())
    return math.atan2(s, c) / (2 * math.pi) * period, math.hypot(c, s)


def account_timer(times: np.ndarray, alpha: float = ALPHA) -> AccountTimer | None:
    """The account's timer, or None when its posting times are not shown to be periodic at ``alpha``."""
    tested = []
    for period in PERIODS:
        cosines = np.cos(residuals(times, period))
        tested.append((period, bernstein_log_p(float(cosines.sum()), len(cosines)), len(cosines), float(cosines.mean()) if len(cosines) else 0.0))
    best = min(log_p for _, log_p, _, _ in tested)
    if best + math.log(len(PERIODS)) > math.log(alpha):
        return None
    # Its period: of those it is locked to at the level, the one its gaps fit most tightly (the largest
    # mean cos θ), the larger on a tie. A 15-minute timer's gaps are whole cycles at 5 minutes too, but its
    # jitter is a larger part of 5 minutes; a 2-minute timer that skips ticks has gaps of 4, 6, 8 minutes …
    # that lean towards whole 5-minute cycles, loosely; posts a person makes in between add more gaps at
    # shorter periods. Neither the smallest p-value nor the largest period locked gets all three right.
    locked = [row for row in tested if row[1] + math.log(len(PERIODS)) <= math.log(alpha)]
    period, _, n, _ = max(locked, key=lambda row: (round(row[3], 6), row[0]))
    adjusted = min(1.0, math.exp(best) * len(PERIODS))
    whole = np.rint(quiet_gaps(times, period) / period).astype(int)
    counts = Counter(whole.tolist())
    every = period * min(counts, key=lambda k: (-counts[k], k))
    if every != period and every in {row[0] for row in locked}:
        # Most gaps are a whole number of these cycles and that interval is a period it is locked to as
        # well (a 20-minute timer fits 10-minute cycles about as tightly): the interval is the timer.
        period, n = every, next(row[2] for row in locked if row[0] == every)
    offset, _ = _phase(on_time(times, period), period)
    return AccountTimer(period=period, every=every, offset=offset, p_value=adjusted, gaps=n)


def mostly_timed(timed: int, members: int) -> bool:
    """The rule for a scheduled campaign: more than half of its members post on a timer."""
    return 2 * timed > members


def campaign_timer(accounts: Sequence[str], times: Mapping[str, np.ndarray], alpha: float = ALPHA) -> Timer | None:
    """The campaign's timer when more than half of ``accounts`` post on one (any period); else None."""
    timed = {a: t for a in accounts if (t := account_timer(times.get(a, np.empty(0)), alpha)) is not None}
    if not mostly_timed(len(timed), len(accounts)):
        return None
    by_period = Counter(t.period for t in timed.values())
    period = max(by_period, key=lambda p: (by_period[p], p))
    members = [a for a in sorted(timed) if timed[a].period == period]
    every_counts = Counter(timed[a].every for a in members)
    every = min(every_counts, key=lambda e: (-every_counts[e], e))
    pooled = np.concatenate([on_time(times[a], period) for a in members])
    offset, length = _phase(pooled, period)
    spread = math.sqrt(-2 * math.log(max(length, 1e-12))) / (2 * math.pi) * period
    return Timer(period=period, every=every, offset=round(offset, 3), spread=round(spread, 3), accounts=tuple(sorted(timed)),
                 p_value=max(t.p_value for t in timed.values()))


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return "hour" if hours == 1 else f"{hours} hours"
    if seconds % 60 == 0:
        minutes = seconds // 60
        return "minute" if minutes == 1 else f"{minutes} minutes"
    return f"{seconds} seconds"


def _mark(period: float) -> str:
    return {3600: "the hour", 1800: "the hour and half hour", 900: "the quarter hour"}.get(round(period), f"each {_duration(period)} mark of the clock")


def _offset(seconds: float) -> str:
    s = abs(round(seconds))
    minutes, rest = divmod(s, 60)
    parts = ([f"{minutes} minute{'s' if minutes != 1 else ''}"] if minutes else []) + ([f"{rest} second{'s' if rest != 1 else ''}"] if rest or not minutes else [])
    return " ".join(parts)


def describe(timer: Timer, members: int, timed: int | None = None) -> str:
    """One plain-English sentence: how many accounts (``timed``, by default those of ``timer``) of
    ``members`` post on which timer, and when."""
    every = f"every {_duration(timer.every)}" if timer.every != 3600 else "every hour"
    if timer.spread > timer.period / 8:
        when = f"each at its own point of the {_duration(timer.period)} cycle"
    elif abs(timer.offset) < 30:
        when = f"on {_mark(timer.period)}"
        if round(timer.offset):
            when += f" ({_offset(timer.offset)} {'after' if timer.offset > 0 else 'before'})"
    else:
        when = f"at {_offset(timer.offset)} {'after' if timer.offset > 0 else 'before'} {_mark(timer.period)}"
    n = len(timer.accounts) if timed is None else timed
    verb = "posts" if n == 1 else "post"
    return (f"{n} of {members} accounts {verb} {every}, {when}; this looks like scheduled software, not people "
            f"(each account's rhythm would arise by chance with probability at most {timer.p_value:.1g}).")


def classify(campaigns: Sequence[Campaign], times: Mapping[str, np.ndarray], alpha: float = ALPHA) -> tuple[Campaign, ...]:
    """Each campaign with its ``kind`` (and ``timer`` when scheduled), the timer's sentence put before
    its explanation. ``times``: every posting time in the input of each member account."""
    out = []
    for c in campaigns:
        timer = campaign_timer(c.accounts, times, alpha)
        if timer is None:
            out.append(replace(c, kind=COORDINATED, timer=None))
        else:
            out.append(replace(c, kind=SCHEDULED, timer=timer, explanation=f"{describe(timer, len(c.accounts))} {c.explanation}".strip()))
    return tuple(out)


def member_times(frame: pl.DataFrame, members: set[str] | frozenset[str]) -> dict[str, np.ndarray]:
    """Every posting time of each account in ``members``, sorted, from a frame with ``account`` and ``time``."""
    if not members or frame.height == 0:
        return {}
    sub = frame.select("account", "time").filter(pl.col("account").is_in(sorted(members))).sort("account", "time")
    return {key[0]: part["time"].to_numpy().astype(np.float64) for key, part in sub.partition_by("account", as_dict=True, maintain_order=True).items()}


__all__ = ["ALPHA", "COORDINATED", "KINDS", "PERIODS", "SCHEDULED", "AccountTimer", "Timer", "account_timer", "bernstein_log_p", "bernstein_p", "campaign_timer",
           "classify", "describe", "member_times", "occasions", "period_log_p", "period_p", "residuals"]
