"""Case clocks: states, median and nearest-rank percentile, shares, breach ranking, and the Polars
figures agreeing with the pure ones."""

from __future__ import annotations

import math
import random

import polars as pl
import pytest

from ballotguard.engines.insights import clocks as cc
from ballotguard.engines.insights.clocks import HOUR, Clock, State

T0 = 1_700_000_000.0


def test_states_of_one_clock():
    assert cc.measure(Clock.TRIAGE, T0, T0 + 0.5 * HOUR, T0 + 9 * HOUR, 1).state == State.MET
    late = cc.measure(Clock.TRIAGE, T0, T0 + 3 * HOUR, T0 + 9 * HOUR, 1)
    assert late.state == State.MISSED and late.over_seconds == 2 * HOUR
    assert cc.measure(Clock.TRIAGE, T0, None, T0 + 0.5 * HOUR, 1).state == State.RUNNING
    overdue = cc.measure(Clock.TRIAGE, T0, None, T0 + 5 * HOUR, 1)
    assert overdue.state == State.OVERDUE and overdue.breached and overdue.over_seconds == 4 * HOUR
    # A case never referred is not late for referral; an unsent one has no clock at all.
    assert cc.measure(Clock.REFERRAL, T0, None, T0 + 500 * HOUR, 24).state == State.NOT_APPLICABLE
    assert cc.measure(Clock.CLOSE, None, None, T0, 24).state == State.NOT_APPLICABLE
    # The target itself is within it.
    assert cc.measure(Clock.CLOSE, T0, T0 + 24 * HOUR, T0, 24).state == State.MET


def test_median_and_nearest_rank():
    assert cc.median([]) is None and cc.nearest_rank([], 0.9) is None
    assert cc.median([3, 1, 2]) == 2 and cc.median([4, 1, 3, 2]) == 2.5
    ten = list(range(1, 11))
    assert cc.nearest_rank(ten, 0.9) == 9  # ceil(9.0) = 9th smallest
    assert cc.nearest_rank(list(range(1, 12)), 0.9) == 10  # ceil(9.9) = 10th
    assert cc.nearest_rank([5], 0.9) == 5
    assert cc.nearest_rank(list(range(1, 101)), 0.9) == 90
    with pytest.raises(ValueError):
        cc.nearest_rank(ten, 0)


def test_summary_share_is_exact_and_leaves_running_out():
    measures = [cc.measure(Clock.TRIAGE, T0, T0 + h * HOUR, T0 + 100 * HOUR, 24) for h in (1, 2, 30)]
    measures += [cc.measure(Clock.TRIAGE, T0 + 99 * HOUR, None, T0 + 100 * HOUR, 24),  # running, within
                 cc.measure(Clock.TRIAGE, T0, None, T0 + 100 * HOUR, 24)]  # overdue
    s = cc.summarise(measures)
    assert (s.stopped, s.met, s.missed, s.running, s.overdue) == (3, 2, 2, 1, 1)
    assert s.median_seconds == 2 * HOUR and s.p90_seconds == 30 * HOUR
    assert s.share.estimate == 0.5 and 0 < s.share.lower < 0.5 < s.share.upper < 1
    assert cc.fmt_share(s.share).startswith("50% (")


def test_breaches_rank_worst_first():
    a = cc.breaches_of("A", "low", [cc.measure(Clock.TRIAGE, T0, T0 + 30 * HOUR, T0, 24)])  # 6 h over
    b = cc.breaches_of("B", "high", [cc.measure(Clock.TRIAGE, T0, T0 + 3 * HOUR, T0, 1),  # 2 h over
                                     cc.measure(Clock.CLOSE, T0, None, T0 + 700 * HOUR, 672)])  # 28 h over
    c = cc.breaches_of("C", "high", [cc.measure(Clock.TRIAGE, T0, T0 + 7 * HOUR, T0, 1)])  # 6 h over, higher risk than A
    assert cc.breaches_of("D", "high", [cc.measure(Clock.TRIAGE, T0, T0 + 60, T0, 1)]) is None
    ranked = cc.rank_breaches([a, b, c])
    assert [x.key for x in ranked] == ["B", "C", "A"]
    assert ranked[0].worst.clock == Clock.CLOSE


def test_targets_validation_and_merge():
    assert cc.check_target_hours("1.5") == 1.5
    for bad in ("", "x", "0", "-1", "nan", str(24 * 366)):
        with pytest.raises(ValueError):
            cc.check_target_hours(bad)
    merged = cc.merge_targets({("triage", "high"): 2})
    assert merged[Clock.TRIAGE]["high"] == 2 and merged[Clock.TRIAGE]["low"] == 24
    assert cc.fmt_hours(1) == "1 hour" and cc.fmt_hours(168) == "7 days" and cc.fmt_hours(24) == "24 hours"
    assert cc.fmt_duration(1800) == "30 min" and cc.fmt_duration(3.5 * HOUR) == "3.5 hours" and cc.fmt_duration(3 * 86400) == "3.0 days"


def _frame(rows):
    return pl.DataFrame(rows, schema={"id": pl.Int64, "forces": pl.List(pl.Utf8), **cc.CLOCK_COLUMNS})


def _random_rows(n, seed=1):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        sub = T0 + rng.uniform(0, 100) * HOUR
        def stop(p, hours):
            return sub + rng.uniform(0, hours) * HOUR if rng.random() < p else None
        rows.append({"id": i, "forces": rng.choice([["A"], ["B"], ["A", "B"]]), "risk": rng.choice(["high", "medium", "low", ""]),
                     "submitted": sub, "first_contact": stop(0.8, 60), "triaged": stop(0.9, 30), "referred": stop(0.2, 200),
                     "closed": stop(0.5, 900), "adviser": rng.choice([1, 2, None])})
    return rows


def test_polars_figures_agree_with_the_pure_ones():
    rows = _random_rows(400)
    now = T0 + 400 * HOUR
    own_b = cc.merge_targets({("triage", "high"): 0.5, ("triage", "medium"): 48})
    section = cc.clock_section(_frame(rows), now=now, by_force={"B": own_b}, force=None, force_names={"A": "Alpha", "B": "Beta"},
                               adviser_names={}, threshold=5)
    national = cc.national_targets()
    for clock in Clock:
        table = next(t for c in section["clocks"] if c["clock"] == clock.value for t in c["tables"] if t["name"].endswith("by_risk"))
        for risk in ("high", "medium", "low"):
            measures = []
            for r in rows:
                if cc.risk_for_target(r["risk"]) != risk:
                    continue
                # national figures: the shorter target of the incident's forces
                hours = min((own_b if f == "B" else national)[clock][risk] for f in r["forces"])
                measures.append(cc.measure(clock, r["submitted"], r[clock.stop_column], now, hours))
            want = cc.summarise(measures)
            got = next(row for row in table["rows"] if row["_values"]["key"] == risk)["_values"]
            assert got["measured"] == want.decided
            assert math.isclose(got["median_hours"], want.median_seconds / HOUR)
            assert math.isclose(got["p90_hours"], want.p90_seconds / HOUR)
            assert math.isclose(got["within_share"], want.share.estimate)
        by_force = next(t for c in section["clocks"] if c["clock"] == clock.value for t in c["tables"] if t["name"].endswith("by_force"))
        beta = next(row for row in by_force["rows"] if row["_values"]["key"] == "B")["_values"]
        want = cc.summarise(cc.measure(clock, r["submitted"], r[clock.stop_column], now, own_b[clock][cc.risk_for_target(r["risk"])])
                            for r in rows if "B" in r["forces"])
        assert beta["measured"] == want.decided and math.isclose(beta["within_share"], want.share.estimate)


def test_small_groups_are_suppressed_with_their_figures():
    rows = [r | {"risk": "high" if i < 3 else "low"} for i, r in enumerate(_random_rows(60, seed=3))]
    for r in rows:
        r["triaged"] = r["submitted"] + HOUR * 0.5
    section = cc.clock_section(_frame(rows), now=T0 + 500 * HOUR, by_force={}, force="A", force_names={}, adviser_names={1: "Ann", 2: "Bob"})
    triage = next(c for c in section["clocks"] if c["clock"] == "triage")
    by_risk = {row["_values"]["key"]: row for row in triage["tables"][0]["rows"]}
    assert by_risk["high"]["measured"] == "[c]" and by_risk["high"]["median"] == "[c]" and by_risk["high"]["within"] == "[c]"
    # One group hidden in a partition with its total: another is hidden too, so subtraction gives nothing.
    assert sum(row["measured"] == "[c]" for row in by_risk.values()) >= 2
    assert [row["group"] for row in triage["tables"][1]["rows"]][-2:] == ["Not assigned", "All"]
    assert section["targets"]["rows"][1]["high"] == "1 hour"


def test_overdue_marks_change_when_a_running_clock_passes_a_target():
    rows = [{"id": 1, "forces": ["A", "B"], "risk": "high", "submitted": T0, "first_contact": T0, "triaged": T0, "referred": None,
             "closed": None, "adviser": None}]
    targets = cc.targets_frame({"B": cc.merge_targets({("close", "high"): 1000})})
    marks = [cc.overdue_marks(_frame(rows), targets, T0 + h * HOUR)["marks"].to_list() for h in (600, 700, 1100)]
    assert marks == [[0], [2], [3]]  # A and the national at 672 hours; then B at 1,000
    assert cc.overdue_marks(_frame([]), targets, T0).height == 0


def test_breach_ranking_per_force_worst_first_with_running_kept_apart():
    rows = [
        {"id": 1, "force": "A", "risk": "low", "submitted": T0, "first_contact": T0, "triaged": T0 + 30 * HOUR, "referred": None,
         "closed": T0 + 40 * HOUR, "adviser": None},  # triage 6 h over (stopped)
        {"id": 2, "force": "A", "risk": "high", "submitted": T0, "first_contact": T0, "triaged": T0 + 7 * HOUR, "referred": None,
         "closed": T0 + 40 * HOUR, "adviser": None},  # triage 6 h over, higher risk: before 1
        {"id": 3, "force": "A", "risk": "medium", "submitted": T0, "first_contact": None, "triaged": T0, "referred": None,
         "closed": None, "adviser": None},  # first contact running: 100 - 24 = 76 h over at now
        {"id": 4, "force": "A", "risk": "medium", "submitted": T0 + 99 * HOUR, "first_contact": None, "triaged": T0 + 99 * HOUR,
         "referred": None, "closed": None, "adviser": None},  # within every target
        {"id": 3, "force": "B", "risk": "medium", "submitted": T0, "first_contact": None, "triaged": T0, "referred": None,
         "closed": None, "adviser": None},  # the same case in force B, whose first-contact target is 200 h: not a breach there
    ]
    frame = pl.DataFrame(rows, schema={"id": pl.Int64, "force": pl.Utf8, **cc.CLOCK_COLUMNS})
    ranked = cc.breach_ranking(frame, {"B": cc.merge_targets({("first_contact", "medium"): 200})}, T0 + 100 * HOUR)
    assert ranked["force"].to_list() == ["A", "A", "A"] and ranked["id"].to_list() == [3, 2, 1]
    assert ranked["running_over"].to_list()[0] == 76 * HOUR and ranked["stopped_over"].to_list()[0] is None
    assert ranked["stopped_over"].to_list()[1:] == [6 * HOUR, 6 * HOUR]
