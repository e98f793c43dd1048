"""Case clocks: how long advisers take to reach, triage, refer and close each incident, against targets.

Four clocks, every one started when the report was **sent** (``submitted_at``), because that is when
the candidate started waiting (``docs/case-clocks.md`` defines each in full):

* **first contact**: to the first time an adviser reached the candidate after the report was sent
  (a ``reached`` contact attempt on the outreach page, or advice given on the incident);
* **triage**: to the first move to *Triaged*;
* **referral**: to the first move to *Referred to police* with a crime reference (a police or Report
  Fraud reference). Only incidents that were referred have this clock: most are never referred, and
  an unreferred case is not late;
* **close**: to the move to *Closed*, for incidents closed now (one re-opened runs again).

Each clock is measured against a **target** per risk level, set per police force (national defaults
below). A clock is:

* **met** when it stopped within its target, **missed** when it stopped after it;
* **running** while it has not stopped; a running clock already past its target counts as missed
  ("overdue"), because the candidate has already waited too long whatever happens next. A running
  clock within its target is not yet decided and is left out of the share.

Figures per group: the **median** of the stopped durations (mean of the middle two for an even
count), the **90th percentile** by the nearest-rank method (the smallest duration that at least 90%
of cases took no longer than: always a duration some case actually took, which is what a target is
compared with), and the **share within target** = met / (met + missed) with its Clopper–Pearson
exact 95% interval (:func:`ballotguard.engines.insights.statistics.proportion`: exact rather than Wilson
because a small force's handful of cases is where approximate intervals under-cover). Running
clocks are not in the median or percentile (censored: the figure says so); the "open past target"
count shows them.

Targets when an incident is seen by two forces (a constituency across a force boundary): in a
force's own figures, that force's targets; in national figures, the **shortest** target among the
incident's forces, since each force promised it.

Pure Python with Polars: no Django.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from ballotguard.engines.insights.disclosure import DEFAULT_THRESHOLD, Cell, is_small, suppress_counts
from ballotguard.engines.insights.statistics import Proportion, proportion

HOUR = 3600.0
DAY = 24 * HOUR
MARKER = "[c]"


class Clock(str, enum.Enum):
    FIRST_CONTACT = "first_contact"
    TRIAGE = "triage"
    REFERRAL = "referral"
    CLOSE = "close"

    @property
    def label(self) -> str:
        return CLOCK_LABELS[self]

    @property
    def stop_column(self) -> str:
        """The incident frame's column holding the moment this clock stopped (epoch seconds)."""
        return STOP_COLUMNS[self]


CLOCK_LABELS = {
    Clock.FIRST_CONTACT: "Time to first contact",
    Clock.TRIAGE: "Time to triage",
    Clock.REFERRAL: "Time to referral",
    Clock.CLOSE: "Time to close",
}
STOP_COLUMNS = {Clock.FIRST_CONTACT: "first_contact", Clock.TRIAGE: "triaged", Clock.REFERRAL: "referred", Clock.CLOSE: "closed"}
# Clocks whose running cases count as missed once past target. Referral is not one: most cases are never referred.
RUNNING_COUNTS = {Clock.FIRST_CONTACT: True, Clock.TRIAGE: True, Clock.REFERRAL: False, Clock.CLOSE: True}

RISK_LEVELS = ("high", "medium", "low")
RISK_LABELS = {"high": "High risk", "medium": "Medium risk", "low": "Low risk"}
UNSCORED_AS = "medium"  # an incident with no risk level is held to the medium target

# The national defaults, in hours, per clock and risk level (docs/case-clocks.md). Triage matches the
# case queue's long-standing clock: an hour for high risk, a working day for the rest.
NATIONAL_TARGET_HOURS: dict[Clock, dict[str, int]] = {
    Clock.FIRST_CONTACT: {"high": 4, "medium": 24, "low": 72},
    Clock.TRIAGE: {"high": 1, "medium": 24, "low": 24},
    Clock.REFERRAL: {"high": 24, "medium": 72, "low": 168},
    Clock.CLOSE: {"high": 672, "medium": 672, "low": 672},
}
MAX_TARGET_HOURS = 24 * 365  # a year: a longer "target" is a typing error

Targets = Mapping[Clock, Mapping[str, float]]  # hours per clock and risk level


def national_targets() -> dict[Clock, dict[str, float]]:
    return {clock: {risk: float(h) for risk, h in per.items()} for clock, per in NATIONAL_TARGET_HOURS.items()}


def merge_targets(overrides: Mapping[tuple[str, str], float] | None, defaults: Targets | None = None) -> dict[Clock, dict[str, float]]:
    """The defaults with a force's own targets (``{(clock, risk): hours}``) laid over them."""
    base = {Clock(c): dict(per) for c, per in (defaults or national_targets()).items()}
    for (clock, risk), hours in (overrides or {}).items():
        base[Clock(clock)][risk] = float(hours)
    return base


def check_target_hours(value: object) -> float:
    """A target as entered: a positive number of hours up to a year. Raises ValueError saying why."""
    try:
        hours = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError("Enter the target as a number of hours, like 24") from None
    if not math.isfinite(hours) or hours <= 0:
        raise ValueError("The target must be more than 0 hours")
    if hours > MAX_TARGET_HOURS:
        raise ValueError(f"The target must be {MAX_TARGET_HOURS:,} hours (a year) or less")
    return round(hours, 2)


# ---------------------------------------------------------------------------------------------------
# One incident, one clock


class State(str, enum.Enum):
    MET = "met"
    MISSED = "missed"
    OVERDUE = "overdue"  # running, already past target: counts as missed
    RUNNING = "running"  # running, within target: not decided yet
    NOT_APPLICABLE = "n/a"  # not sent, or a referral clock on an unreferred case


@dataclass(frozen=True)
class Measure:
    clock: Clock
    state: State
    seconds: float | None  # the duration so far (running) or in all (stopped)
    target_seconds: float

    @property
    def over_seconds(self) -> float:
        """How far past target (0 when within it)."""
        return max(0.0, (self.seconds or 0.0) - self.target_seconds)

    @property
    def breached(self) -> bool:
        return self.state in (State.MISSED, State.OVERDUE)


def measure(clock: Clock, started: float | None, stopped: float | None, now: float, target_hours: float) -> Measure:
    """Where one clock stands (times as epoch seconds)."""
    target = target_hours * HOUR
    if started is None:
        return Measure(clock, State.NOT_APPLICABLE, None, target)
    if stopped is not None:
        seconds = max(0.0, stopped - started)
        return Measure(clock, State.MET if seconds <= target else State.MISSED, seconds, target)
    if not RUNNING_COUNTS[clock]:
        return Measure(clock, State.NOT_APPLICABLE, None, target)
    seconds = max(0.0, now - started)
    return Measure(clock, State.OVERDUE if seconds > target else State.RUNNING, seconds, target)


def risk_for_target(risk: str | None) -> str:
    return risk if risk in RISK_LEVELS else UNSCORED_AS


# ---------------------------------------------------------------------------------------------------
# Summaries


def median(values: Sequence[float]) -> float | None:
    """The median; the mean of the middle two for an even count; None for none."""
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        return None
    mid = n // 2
    return float(ordered[mid]) if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def nearest_rank(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile by nearest rank: the ceil(q·n)-th smallest value (Hyndman and Fan's type 1)."""
    if not 0 < q <= 1:
        raise ValueError(f"q must be in (0, 1], got {q!r}")
    ordered = sorted(values)
    if not ordered:
        return None
    return float(ordered[max(1, math.ceil(q * len(ordered) - 1e-9)) - 1])


@dataclass(frozen=True)
class Summary:
    stopped: int  # clocks that stopped (the median and percentile are over these)
    met: int
    missed: int  # stopped late, plus running past target
    running: int  # running, within target (not decided)
    overdue: int  # running past target (in ``missed`` too)
    median_seconds: float | None
    p90_seconds: float | None

    @property
    def decided(self) -> int:
        return self.met + self.missed

    @property
    def share(self) -> Proportion:
        return proportion(self.met, self.decided)


def summarise(measures: Iterable[Measure]) -> Summary:
    durations, met, missed, running, overdue = [], 0, 0, 0, 0
    for m in measures:
        if m.state in (State.MET, State.MISSED):
            durations.append(m.seconds)
            met += m.state == State.MET
            missed += m.state == State.MISSED
        elif m.state == State.OVERDUE:
            missed += 1
            overdue += 1
        elif m.state == State.RUNNING:
            running += 1
    return Summary(len(durations), met, missed, running, overdue, median(durations), nearest_rank(durations, 0.9))


# ---------------------------------------------------------------------------------------------------
# Breaches


@dataclass(frozen=True)
class Breach:
    """One incident that missed one or more targets; ``worst`` is the clock furthest over."""

    key: object  # the caller's id for the incident
    risk: str
    measures: tuple[Measure, ...]  # the breached clocks only

    @property
    def worst(self) -> Measure:
        return max(self.measures, key=lambda m: (m.over_seconds, m.clock.value))

    @property
    def over_seconds(self) -> float:
        return self.worst.over_seconds


def breaches_of(key: object, risk: str, measures: Iterable[Measure]) -> Breach | None:
    missed = tuple(m for m in measures if m.breached)
    return Breach(key, risk, missed) if missed else None


def rank_breaches(breaches: Iterable[Breach]) -> list[Breach]:
    """Worst first: furthest over target; ties by the higher risk, then the caller's key."""
    rank = {"high": 0, "medium": 1, "low": 2}
    return sorted(breaches, key=lambda b: (-b.over_seconds, rank.get(b.risk, 1), str(b.key)))


# ---------------------------------------------------------------------------------------------------
# Formatting


def fmt_duration(seconds: float | None) -> str:
    """"45 min", "3.5 hours", "2.1 days"; "–" for none."""
    if seconds is None:
        return "–"
    if seconds < HOUR:
        return f"{max(0, round(seconds / 60)):.0f} min"
    if seconds < 2 * DAY:
        hours = seconds / HOUR
        return f"{hours:.1f} hours" if hours < 10 else f"{hours:.0f} hours"
    return f"{seconds / DAY:.1f} days"


def fmt_hours(hours: float) -> str:
    """A target for people: "1 hour", "24 hours", "7 days"."""
    if hours >= 48 and hours % 24 == 0:
        return f"{hours / 24:g} days"
    return f"{hours:g} hour" + ("" if hours == 1 else "s")


def fmt_share(share: Proportion) -> str:
    if share.estimate is None:
        return "–"
    return f"{100 * share.estimate:.0f}% ({100 * share.lower:.0f}% to {100 * share.upper:.0f}%)"


# ---------------------------------------------------------------------------------------------------
# Polars: the same figures over many incidents, for the insights snapshots
#
# The incident frame has, besides insights' own columns, ``risk`` (effective level, "" if unscored),
# ``submitted``, ``first_contact``, ``triaged``, ``referred``, ``closed`` (epoch seconds, null while the
# clock runs; ``closed`` only for incidents closed now) and ``adviser`` (the assigned FEOA's id or null).

CLOCK_COLUMNS = {"risk": pl.Utf8, "submitted": pl.Float64, "first_contact": pl.Float64, "triaged": pl.Float64,
                 "referred": pl.Float64, "closed": pl.Float64, "adviser": pl.Int64}


def targets_frame(by_force: Mapping[str, Targets], defaults: Targets | None = None) -> pl.DataFrame:
    """Target seconds per (force, risk) and clock; the row with a null force holds the defaults."""
    defaults = defaults or national_targets()
    rows = []
    for force, targets in [(None, defaults), *sorted(by_force.items())]:
        for risk in RISK_LEVELS:
            rows.append({"force": force, "risk_t": risk, **{f"t_{c.value}": float(targets[c][risk]) * HOUR for c in Clock}})
    schema = {"force": pl.Utf8, "risk_t": pl.Utf8, **{f"t_{c.value}": pl.Float64 for c in Clock}}
    return pl.DataFrame(rows, schema=schema)


def _risk_key() -> pl.Expr:
    return pl.when(pl.col("risk").is_in(list(RISK_LEVELS))).then(pl.col("risk")).otherwise(pl.lit(UNSCORED_AS)).alias("risk_t")


def with_targets(incs: pl.DataFrame, targets: pl.DataFrame, *, force: str | None) -> pl.DataFrame:
    """``incs`` with ``t_<clock>`` target seconds: the force's own (``force`` given, or a ``force``
    column per row), else the shortest among each incident's ``forces``."""
    defaults = targets.filter(pl.col("force").is_null()).drop("force")
    own = targets.filter(pl.col("force").is_not_null())
    t_cols = [f"t_{c.value}" for c in Clock]
    keyed = incs.with_columns(_risk_key())
    if force is not None or "force" in incs.columns:
        if force is not None:
            keyed = keyed.with_columns(force=pl.lit(force))
        out = _fill(keyed.join(own, on=["force", "risk_t"], how="left"), defaults, t_cols)
        return out.drop("risk_t") if force is None else out.drop("risk_t", "force")
    exploded = keyed.select("id", "risk_t", pl.col("forces").alias("force")).explode("force")
    per_incident = (_fill(exploded.join(own, on=["force", "risk_t"], how="left"), defaults, t_cols)
                    .group_by("id").agg([pl.col(c).min() for c in t_cols]))
    return keyed.drop("risk_t").join(per_incident, on="id", how="left")


def _fill(joined: pl.DataFrame, defaults: pl.DataFrame, t_cols: list[str]) -> pl.DataFrame:
    """Targets a force did not set come from the defaults (by risk level)."""
    renamed = defaults.rename({c: f"{c}_default" for c in t_cols})
    out = joined.join(renamed, on="risk_t", how="left")
    return out.with_columns([pl.col(c).fill_null(pl.col(f"{c}_default")) for c in t_cols]).drop([f"{c}_default" for c in t_cols])


def with_states(incs: pl.DataFrame, now: float) -> pl.DataFrame:
    """Adds ``d_<clock>`` (stopped duration, seconds) and ``s_<clock>`` (a State value) per clock."""
    exprs = []
    for clock in Clock:
        start, stop, target = pl.col("submitted"), pl.col(clock.stop_column), pl.col(f"t_{clock.value}")
        duration = (stop - start).clip(lower_bound=0.0)
        elapsed = (pl.lit(now) - start).clip(lower_bound=0.0)
        running = (pl.when(elapsed > target).then(pl.lit(State.OVERDUE.value)).otherwise(pl.lit(State.RUNNING.value))
                   if RUNNING_COUNTS[clock] else pl.lit(State.NOT_APPLICABLE.value))
        state = (pl.when(start.is_null()).then(pl.lit(State.NOT_APPLICABLE.value))
                 .when(stop.is_not_null()).then(pl.when(duration <= target).then(pl.lit(State.MET.value)).otherwise(pl.lit(State.MISSED.value)))
                 .otherwise(running))
        exprs += [pl.when(stop.is_not_null() & start.is_not_null()).then(duration).otherwise(None).alias(f"d_{clock.value}"),
                  state.alias(f"s_{clock.value}")]
    return incs.with_columns(exprs)


def overdue_marks(incs: pl.DataFrame, targets: pl.DataFrame, now: float) -> pl.DataFrame:
    """(id, marks): per incident, how many of its running clocks are past each of its forces' targets
    and the national (shortest) one. A snapshot whose incidents' marks are unchanged shows the same
    clock figures, so the refresh can keep it; a clock passing any target changes them."""
    if not incs.height:
        return pl.DataFrame({"id": [], "marks": []}, schema={"id": pl.Int64, "marks": pl.Int64})
    running = [c for c in Clock if RUNNING_COUNTS[c]]
    keyed = incs.select("id", "risk", "submitted", "forces", *[c.stop_column for c in running])
    per_force = with_targets(keyed.explode("forces").rename({"forces": "force"}), targets, force=None)
    national = with_targets(keyed, targets, force=None)

    def marks(frame: pl.DataFrame) -> pl.DataFrame:
        elapsed = pl.lit(now) - pl.col("submitted")
        count = sum((pl.col(c.stop_column).is_null() & pl.col("submitted").is_not_null() & (elapsed > pl.col(f"t_{c.value}"))).cast(pl.Int64)
                    for c in running)
        return frame.select("id", count.alias("marks"))

    both = pl.concat([marks(per_force), marks(national)])
    return both.group_by("id").agg(pl.col("marks").sum()).sort("id")


@dataclass(frozen=True)
class GroupFigures:
    key: str
    label: str
    summary: Summary


def _group_summaries(states: pl.DataFrame, clock: Clock, by: str) -> dict[str, Summary]:
    d, s = f"d_{clock.value}", f"s_{clock.value}"
    frame = states.filter(pl.col(s) != State.NOT_APPLICABLE.value)
    if not frame.height:
        return {}
    stopped = pl.col(d).filter(pl.col(d).is_not_null())
    n_stopped = stopped.len()
    agg = frame.group_by(by).agg(
        stopped=n_stopped,
        met=(pl.col(s) == State.MET.value).sum(),
        missed=pl.col(s).is_in([State.MISSED.value, State.OVERDUE.value]).sum(),
        running=(pl.col(s) == State.RUNNING.value).sum(),
        overdue=(pl.col(s) == State.OVERDUE.value).sum(),
        median=stopped.median(),
        # nearest rank: the ceil(0.9 n)-th smallest (1-based)
        p90=stopped.sort().get(((n_stopped.cast(pl.Float64) * 0.9 - 1e-9).ceil().cast(pl.Int64) - 1).clip(lower_bound=0), null_on_oob=True),
    )
    out = {}
    for row in agg.iter_rows(named=True):
        n = row["stopped"]
        out[row[by]] = Summary(n, row["met"], row["missed"], row["running"], row["overdue"],
                               row["median"] if n else None, row["p90"] if n else None)
    return out


def _table(name: str, title: str, heading: str, rows: list[dict], notes: Sequence[str]) -> dict:
    columns = [("group", heading), ("measured", "Cases measured"), ("median", "Median"), ("p90", "90th percentile"),
               ("within", "Within target (95% CI)"), ("overdue", "Open past target")]
    return {"name": name, "title": title, "columns": [{"key": k, "label": lab} for k, lab in columns], "rows": rows, "notes": list(notes)}


def _row(label: str, key: str, summary: Summary | None, cell: Cell, threshold: int) -> dict:
    summary = summary or Summary(0, 0, 0, 0, 0, None, None)
    hidden = cell.suppressed
    times_hidden = hidden or is_small(summary.stopped, threshold)
    overdue_hidden = hidden or is_small(summary.overdue, threshold)
    share = summary.share
    return {
        "group": label,
        "measured": MARKER if hidden else f"{summary.decided:,}",
        "median": MARKER if times_hidden and summary.stopped else fmt_duration(summary.median_seconds),
        "p90": MARKER if times_hidden and summary.stopped else fmt_duration(summary.p90_seconds),
        "within": MARKER if hidden else fmt_share(share),
        "overdue": MARKER if overdue_hidden else f"{summary.overdue:,}",
        "_values": {
            "group": label, "key": key,
            "measured": None if hidden else summary.decided,
            "median_hours": None if times_hidden or summary.median_seconds is None else summary.median_seconds / HOUR,
            "p90_hours": None if times_hidden or summary.p90_seconds is None else summary.p90_seconds / HOUR,
            "within_share": None if hidden else share.estimate,
            "within_lower": None if hidden else share.lower,
            "within_upper": None if hidden else share.upper,
            "overdue": None if overdue_hidden else summary.overdue,
            # the sortable tables sort by the column's key: hours and shares, not their display strings
            "median": None if times_hidden or summary.median_seconds is None else summary.median_seconds / HOUR,
            "p90": None if times_hidden or summary.p90_seconds is None else summary.p90_seconds / HOUR,
            "within": None if hidden else share.estimate,
        },
    }


def clock_table(states: pl.DataFrame, clock: Clock, *, by: str, name: str, title: str, heading: str,
                groups: Sequence[tuple[str, str]], partition: bool, threshold: int = DEFAULT_THRESHOLD,
                notes: Sequence[str] = ()) -> dict:
    """One clock's figures per group (``groups``: (key, label) in display order). ``partition``: the
    groups split the cases (then an "All" row is published and suppression protects it); otherwise
    they overlap (forces) and each row stands alone. Disclosure control follows insights: a group
    with 1 to threshold−1 cases measured is hidden (with secondary suppression against the total),
    and so is every figure computed from it; a median and percentile over a small number of stopped
    clocks are hidden as they would give one case's time away."""
    summaries = _group_summaries(states, clock, by)
    counts = {key: (summaries[key].decided if key in summaries else 0) for key, _ in groups}
    if partition:
        suppressed = suppress_counts(counts, threshold=threshold)
        cells, total_cell = suppressed.cells, suppressed.total
    else:
        cells = {k: Cell(None, True, "primary") if is_small(v, threshold) else Cell(v, False, None) for k, v in counts.items()}
        total_cell = None
    rows = [_row(label, key, summaries.get(key), cells[key], threshold) for key, label in groups]
    if partition:
        everything = _group_summaries(states.with_columns(_all=pl.lit("all")), clock, "_all").get("all")
        rows.append(_row("All", "all", everything, total_cell, threshold))
    return _table(name, title, heading, rows, notes)


def clock_section(incs: pl.DataFrame, *, now: float, by_force: Mapping[str, Targets], force: str | None,
                  force_names: Mapping[str, str], adviser_names: Mapping[int, str], threshold: int = DEFAULT_THRESHOLD) -> dict:
    """Every clock figure of one snapshot: per clock, by risk level, and by police force (national) or
    by adviser (a force's figures); and the targets used."""
    frame = incs.select("id", "forces", *CLOCK_COLUMNS) if incs.height else pl.DataFrame(
        schema={"id": pl.Int64, "forces": pl.List(pl.Utf8), **CLOCK_COLUMNS})
    targets = targets_frame(by_force)
    states = with_states(with_targets(frame, targets, force=force), now)
    per_force_states = None
    if force is None:
        exploded = frame.explode("forces").rename({"forces": "force"}).filter(pl.col("force").is_not_null())
        per_force_states = with_states(with_targets(exploded, targets, force=None), now)
    risk_groups = [(r, RISK_LABELS[r]) for r in RISK_LEVELS]
    states = states.with_columns(risk_group=_risk_key().alias("risk_group"))
    advisers = sorted(adviser_names.items(), key=lambda kv: kv[1])
    states = states.with_columns(adviser_group=pl.col("adviser").cast(pl.Utf8).fill_null("none"))
    target_note = ("Each case is held to its force's target; a case seen by two forces to the shorter."
                   if force is None else "Held to this force's targets.")
    sections = []
    for clock in Clock:
        notes = [target_note, "Median and 90th percentile are of clocks that stopped; open cases past target count as missed "
                 "(not for referral, which only referred cases have)." if RUNNING_COUNTS[clock] else
                 "Only incidents that were referred have this clock."]
        tables = [clock_table(states, clock, by="risk_group", name=f"clock_{clock.value}_by_risk", title=f"{clock.label} by risk level",
                              heading="Risk level", groups=risk_groups, partition=True, threshold=threshold, notes=notes)]
        if per_force_states is not None:
            codes = sorted(set(per_force_states["force"].to_list()), key=lambda c: force_names.get(c, c))
            tables.append(clock_table(per_force_states, clock, by="force", name=f"clock_{clock.value}_by_force",
                                      title=f"{clock.label} by police force", heading="Police force",
                                      groups=[(c, force_names.get(c, c)) for c in codes], partition=False, threshold=threshold,
                                      notes=["A case seen by two forces is in both rows, each held to that force's targets."]))
        else:
            present = {k for k in states["adviser_group"].unique().to_list()}
            groups = [(str(pk), name) for pk, name in advisers if str(pk) in present] + [("none", "Not assigned")]
            tables.append(clock_table(states, clock, by="adviser_group", name=f"clock_{clock.value}_by_adviser",
                                      title=f"{clock.label} by assigned FEOA", heading="FEOA", groups=groups, partition=True,
                                      threshold=threshold, notes=notes))
        sections.append({"clock": clock.value, "label": clock.label, "tables": tables})
    shown = by_force.get(force) if force else None
    effective = merge_targets(None, shown) if shown else national_targets()
    target_rows = [{"clock": clock.label, **{r: fmt_hours(effective[clock][r]) for r in RISK_LEVELS},
                    "_values": {"clock": clock.value, **{r: effective[clock][r] for r in RISK_LEVELS}}} for clock in Clock]
    target_table = {"name": "clock_targets", "title": "Targets" + (" of this force" if force else ": national defaults"),
                    "columns": [{"key": "clock", "label": "Clock"}, *[{"key": r, "label": RISK_LABELS[r]} for r in RISK_LEVELS]],
                    "rows": target_rows,
                    "notes": [] if force else ["Forces may set their own; each force's figures use its own targets."]}
    return {"as_of": now, "targets": target_table, "clocks": sections}


def tables_of(section: Mapping | None) -> list[dict]:
    if not section:
        return []
    return [section["targets"], *[t for clock in section["clocks"] for t in clock["tables"]]]


def breach_ranking(frame: pl.DataFrame, by_force: Mapping[str, Targets], now: float) -> pl.DataFrame:
    """Every (force, incident) that missed a target of that force, worst first within each force.

    ``frame``: one row per incident and force (columns ``id``, ``force`` and :data:`CLOCK_COLUMNS`).
    Returns ``force``, ``id``, ``stopped_over`` (seconds the worst *stopped* late clock went over, or
    null) and ``running_over`` (seconds the worst *running* clock is past target at ``now``, or null):
    kept apart because a running clock keeps growing, so a reader later than ``now`` can rank exactly
    by ``max(stopped_over, running_over + elapsed)``. Ties: the higher risk first, then the lower id.
    """
    schema = {"force": pl.Utf8, "id": pl.Int64, "stopped_over": pl.Float64, "running_over": pl.Float64}
    if not frame.height:
        return pl.DataFrame(schema=schema)
    states = with_states(with_targets(frame.select("id", "force", *CLOCK_COLUMNS), targets_frame(by_force), force=None), now)
    stopped, running = [], []
    for clock in Clock:
        s, t = pl.col(f"s_{clock.value}"), pl.col(f"t_{clock.value}")
        stopped.append(pl.when(s == State.MISSED.value).then(pl.col(f"d_{clock.value}") - t).otherwise(None))
        running.append(pl.when(s == State.OVERDUE.value).then(pl.lit(now) - pl.col("submitted") - t).otherwise(None))
    ranked = states.select(
        "force", "id",
        stopped_over=pl.max_horizontal(stopped), running_over=pl.max_horizontal(running),
        risk_order=pl.col("risk").replace_strict({"high": 0, "medium": 1, "low": 2}, default=1, return_dtype=pl.Int8),
    ).filter(pl.col("stopped_over").is_not_null() | pl.col("running_over").is_not_null())
    worst = pl.max_horizontal("stopped_over", "running_over")
    return ranked.sort(["force", worst, "risk_order", "id"], descending=[False, True, False, False]).select(list(schema))
