"""The insights engine on hand-made rows: known rates and ratios, suppression everywhere, ordering."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballotguard.engines import insights
from ballotguard.engines.statistics import rate_ratio

GE24 = insights.ElectionRef("parl.2024-07-04", "General election 2024", dt.date(2024, 7, 4), "parl")
GE19 = insights.ElectionRef("parl.2019-12-12", "General election 2019", dt.date(2019, 12, 12), "parl")
WEEK = dt.date(2024, 6, 3)


def candidates(n: int, *, election=GE24, gender="female", force="F1", region="North", constituency="E1", start=0, contacted=False):
    return [{"id": start + k, "election": election.election_id, "gender": gender, "party": "Party A", "nation": "England",
             "region": region, "constituency": constituency, "council": "", "forces": [force], "contacted": contacted} for k in range(n)]


def incidents(candidate_ids, *, week=WEEK, serious=False, awaiting=False, behaviours=("abusive_or_hateful_message",), start=0):
    return [{"id": start + k, "candidate_id": cid, "week": week, "channel": "online", "behaviours": list(behaviours),
             "characteristics": [], "issue_tags": [], "serious": serious, "reported_to_police": False, "awaiting_triage": awaiting}
            for k, cid in enumerate(candidate_ids)]


def run(cands, incs, *, election=GE24, force=None, coverage=()):
    return insights.dashboard(insights.candidate_frame(cands), insights.incident_frame(incs), election=election,
                              elections=[GE19, GE24], force=force, force_names={"F1": "Force One", "F2": "Force Two"},
                              coverage_rows=list(coverage))


def test_women_vs_others_rate_ratio_is_the_exact_one():
    cands = candidates(100, gender="female") + candidates(100, gender="male", start=100)
    incs = incidents([k % 100 for k in range(30)]) + incidents([100 + k for k in range(15)], start=30)
    gender = next(t for t in run(cands, incs)["disparities"] if t["name"] == "gender")
    women = next(r for r in gender["rows"] if r["group"] == "Women")
    expected = rate_ratio(30, 100, 15, 100)
    assert women["_values"]["ratio"]["ratio"] == pytest.approx(2.0)
    assert women["_values"]["ratio"]["lower"] == pytest.approx(expected.lower)
    assert women["_values"]["ratio"]["upper"] == pytest.approx(expected.upper)
    assert women["candidates"] == "100" and women["incidents"] == "30"
    assert women["reporting"] == "30%"


def test_comparison_with_the_earlier_election_is_a_rate_ratio():
    cands = candidates(200) + candidates(50, election=GE19, start=1000)
    incs = incidents([k for k in range(45)]) + incidents([1000 + k for k in range(5)], start=100)
    payload = run(cands, incs)
    row = payload["comparisons"]["rows"][0]
    assert row["_values"]["ratio"]["ratio"] == pytest.approx((45 / 200) / (5 / 50))
    assert payload["headline"]["candidates"] == 200
    assert payload["headline"]["share_reporting"]["estimate"] == pytest.approx(45 / 200)


def test_small_counts_are_suppressed_with_their_rates():
    cands = candidates(100, region="North") + candidates(100, region="South", start=100, constituency="E2")
    incs = incidents(range(20)) + incidents([100, 101, 102], start=20)
    payload = run(cands, incs)
    regions = next(t for t in payload["breakdowns"] if t["name"] == "regions")
    south = next(r for r in regions["rows"] if r["category"] == "South")
    assert south["incidents"] == insights.MARKER and south["_values"]["rate"] is None
    # With only two regions the other one is hidden too, or 23 - 20 would give the 3 back.
    north = next(r for r in regions["rows"] if r["category"] == "North")
    assert north["incidents"] == insights.MARKER
    assert payload["map"]["areas"]["E2"]["suppressed"] and payload["map"]["areas"]["E2"]["rate"] is None


def displayed_counts(payload: dict):
    for table in [payload["weekly"], payload["coverage"], *payload["breakdowns"], *payload["disparities"]]:
        for row in table["rows"]:
            for key in ("incidents", "never_contacted_incidents", "serious_waiting"):
                if key in row:
                    yield row[key]
    for key in ("incidents", "candidates_reporting", "serious", "reported_to_police", "serious_awaiting_triage"):
        yield payload["headline"][key]["display"]
    for area in payload["map"]["areas"].values():
        yield area["display"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 3), st.booleans(), st.booleans()), max_size=60))
def test_no_count_from_1_to_4_is_ever_displayed(rows):
    """Whatever the incidents, no displayed incident count anywhere in the payload is 1 to 4."""
    cands = [c for k in range(10) for c in candidates(1, gender="female" if k % 2 else "male", region=f"R{k % 3}",
                                                        constituency=f"E{k % 4}", force="F1" if k < 6 else "F2", start=k)]
    incs = [{"id": i, "candidate_id": cid, "week": WEEK + dt.timedelta(weeks=w), "channel": "online", "behaviours": ["assault"],
             "characteristics": [], "issue_tags": [], "serious": serious, "reported_to_police": police, "awaiting_triage": serious}
            for i, (cid, w, serious, police) in enumerate(rows)]
    coverage = [insights.ForceCoverage("F1", "Force One", 6, 3, 1, 4.0, None), insights.ForceCoverage("F2", "Force Two", 4, 0, 0, None, 10.0)]
    payload = run(cands, incs, coverage=coverage)
    shown = [value for value in displayed_counts(payload)]
    assert not [v for v in shown if v in {"1", "2", "3", "4"}], shown
    json.dumps(payload)  # the snapshot is stored as JSON


def test_weeks_without_incidents_show_zero():
    cands = candidates(50)
    incs = incidents(range(10)) + incidents(range(10, 20), week=WEEK + dt.timedelta(weeks=2), start=10)
    weeks = [r["_values"] for r in run(cands, incs)["weekly"]["rows"]]
    assert [w["week"] for w in weeks] == ["2024-06-03", "2024-06-10", "2024-06-17"]
    assert [w["incidents"] for w in weeks] == [10, 0, 10]


def test_coverage_puts_the_worst_gap_first():
    cands = candidates(20, force="F1") + candidates(20, force="F2", start=100)
    incs = incidents(range(100, 106), serious=True, awaiting=True)
    coverage = [insights.ForceCoverage("F1", "Force One", 20, 5, 2, 9.0, None), insights.ForceCoverage("F2", "Force Two", 20, 18, 10, 2.0, None)]
    rows = run(cands, incs, coverage=coverage)["coverage"]["rows"]
    assert [r["force"] for r in rows] == ["Force Two", "Force One"]  # six high-risk incidents waiting beat a low contact rate
    assert rows[0]["serious_waiting"] == "6" and rows[1]["contacted"] == "25%"


def test_a_force_scope_counts_only_that_forces_candidates():
    cands = candidates(30, force="F1") + candidates(30, force="F2", start=100)
    incs = incidents(range(10)) + incidents(range(100, 120), start=10)
    assert run(cands, incs, force="F2")["headline"]["incidents"]["value"] == 20
    assert run(cands, incs)["headline"]["incidents"]["value"] == 30


def published_geography(payload: dict) -> dict:
    """What a reader of the whole snapshot sees of the geography: the map's areas, the regions and
    forces breakdowns, the nation and region disparities, the headline total (None when hidden)."""
    seen = {("area", code): a["incidents"] for code, a in payload["map"]["areas"].items()}
    for table in payload["breakdowns"]:
        kind = {"regions": "region", "forces": "force"}.get(table["name"])
        for row in table["rows"] if kind else ():
            seen[(kind, row["_values"]["key"])] = row["_values"]["incidents"]
    for table in payload["disparities"]:
        if table["name"] in ("region", "nation"):
            for row in table["rows"]:
                key = (table["name"], row["_values"]["key"])
                assert seen.get(key, row["_values"]["incidents"]) == row["_values"]["incidents"], "two tables disagree"
                seen[key] = row["_values"]["incidents"]
    seen[("total",)] = payload["headline"]["incidents"]["value"]
    return seen


@pytest.mark.parametrize(("counts", "regions"), [
    ([3, 20, 22, 6], ["R1", "R1", "R1", "R2"]),                 # the region total minus the shown constituencies
    ([3, 10, 10, 50], ["Alpha", "Beta", "Gamma", "Delta"]),      # regions suppressed twice, differently
])
def test_no_small_count_can_be_worked_out_from_the_whole_snapshot(counts, regions):
    from ballotguard.engines.tests.test_disclosure import _bounds

    cands, incs, start = [], [], 0
    for k, (n, region) in enumerate(zip(counts, regions, strict=True)):
        cands += candidates(2, region=region, constituency=f"E{k}", start=10 * k)
        incs += incidents([10 * k] * n, start=start)
        start += n
    payload = run(cands, incs)
    seen = published_geography(payload)
    truth = {("area", f"E{k}"): n for k, n in enumerate(counts)}
    for r in set(regions):
        truth[("region", r)] = sum(n for n, rr in zip(counts, regions, strict=True) if rr == r)
    truth[("nation", "England")] = truth[("force", "F1")] = truth[("total",)] = sum(counts)
    lines = [([("area", f"E{k}") for k, rr in enumerate(regions) if rr == r], ("region", r)) for r in set(regions)]
    lines += [([("region", r) for r in set(regions)], ("total",)), ([("area", f"E{k}") for k in range(len(counts))], ("total",)),
              ([("area", f"E{k}") for k in range(len(counts))], ("force", "F1")), ([("nation", "England")], ("total",))]
    unknown = [k for k in truth if seen.get(k) is None]
    var = {k: n for n, k in enumerate(unknown)}
    a_eq, b_eq = [], []
    for inner, total in lines:
        row, rhs = [0.0] * len(unknown), 0.0
        for k in inner:
            if k in var:
                row[var[k]] += 1
            else:
                rhs -= seen[k]
        if total in var:
            row[var[total]] -= 1
        else:
            rhs += seen[total]
        if any(row):
            a_eq.append(row)
            b_eq.append(rhs)
    for key, (low, high) in zip(unknown, _bounds(len(unknown), a_eq, b_eq) if unknown else [], strict=True):
        if 1 <= truth[key] < 5:
            assert high - low >= 1, f"{key} = {truth[key]} is pinned to [{low}, {high}]"
    assert seen[("area", "E0")] is None  # the 3 itself is never shown


def _weekly_table(counts: dict[str, int]) -> dict:
    rows = [{"week": w, "incidents": str(c), "_values": {"week": w, "incidents": c, "rate": None}} for w, c in counts.items()]
    return insights.table("weekly", "Incidents reported, by week", [("week", "Week beginning"), ("incidents", "Incidents")], rows)


def test_campaign_period_runs_from_a_monday_six_weeks_before_polling_day_to_four_weeks_after():
    start, end = insights.campaign_period(dt.date(2024, 7, 4))  # a Thursday
    assert (start, end) == (dt.date(2024, 5, 20), dt.date(2024, 7, 29))
    assert start.weekday() == end.weekday() == 0


def test_weekly_shown_cuts_to_the_campaign_and_counts_what_it_left_out():
    table = _weekly_table({"2024-01-08": 1, "2024-01-15": 0, "2024-06-17": 7, "2024-06-24": 0, "2026-11-30": 2})
    shown, period = insights.weekly_shown(table, dt.date(2024, 7, 4))
    assert [r["week"] for r in shown["rows"]] == ["2024-06-17", "2024-06-24"]
    assert period["outside"] == 2 and not period["every_week"] and not period["empty"]
    # A suppressed week (None) counts as one with incidents, outside the period and inside it.
    table["rows"][1]["_values"]["incidents"] = None  # 2024-01-15, outside: had none, now hidden
    assert insights.weekly_shown(table, dt.date(2024, 7, 4))[1]["outside"] == 3
    quiet = _weekly_table({"2024-06-17": 0, "2026-11-30": 2})
    assert insights.weekly_shown(quiet, dt.date(2024, 7, 4))[1]["empty"]
    quiet["rows"][0]["_values"]["incidents"] = None  # inside, hidden: the campaign is not empty
    assert not insights.weekly_shown(quiet, dt.date(2024, 7, 4))[1]["empty"]
    everything, period = insights.weekly_shown(table, dt.date(2024, 7, 4), every_week=True)
    assert len(everything["rows"]) == 5 and period["every_week"]


def test_weekly_shown_falls_back_to_every_week_when_the_campaign_had_none():
    table = _weekly_table({"2026-11-30": 2, "2026-12-07": 1})
    shown, period = insights.weekly_shown(table, dt.date(2024, 7, 4))
    assert len(shown["rows"]) == 2 and period["empty"] and period["every_week"]
