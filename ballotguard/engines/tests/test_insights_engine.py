"""The insights engine on hand-made rows: known rates and ratios, suppression everywhere, ordering."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballotguard.engines.insights import figures as insights
from ballotguard.engines.insights.statistics import rate_ratio

GE24 = insights.ElectionRef("parl.2024-07-04", "General election 2024", dt.date(2024, 7, 4), "parl")
GE19 = insights.ElectionRef("parl.2019-12-12", "General election 2019", dt.date(2019, 12, 12), "parl")
WEEK = dt.date(2024, 6, 3)


def rkey(kind: str, record_id: int) -> int:
    """A fixed pseudo-random record key for a test row (the app derives them with a secret HMAC)."""
    return int(hashlib.sha256(f"{kind}:{record_id}".encode()).hexdigest()[:8], 16)


def candidates(n: int, *, election=GE24, gender="female", force="F1", region="North", constituency="E1", start=0, contacted=False):
    return [{"id": start + k, "election": election.election_id, "gender": gender, "party": "Party A", "nation": "England",
             "region": region, "constituency": constituency, "council": "", "forces": [force], "contacted": contacted,
             "record_key": rkey("candidate", start + k)} for k in range(n)]


def incidents(candidate_ids, *, week=WEEK, serious=False, awaiting=False, behaviours=("abusive_or_hateful_message",), start=0):
    return [{"id": start + k, "candidate_id": cid, "week": week, "channel": "online", "behaviours": list(behaviours),
             "characteristics": [], "issue_tags": [], "serious": serious, "reported_to_police": False, "awaiting_triage": awaiting,
             "record_key": rkey("incident", start + k)} for k, cid in enumerate(candidate_ids)]


def run(cands, incs, *, election=GE24, force=None, coverage=()):
    return insights.dashboard(insights.candidate_frame(cands), insights.incident_frame(incs), election=election,
                              elections=[GE19, GE24], force=force, force_names={"F1": "Force One", "F2": "Force Two"},
                              coverage_rows=list(coverage))


D = 5  # the p-table's largest change (cellkey.DEFAULT_MAX_NOISE)


def near(published, true):
    """A published count is the true one moved by at most D, and never 1 to 4."""
    return abs(published - true) <= D and published not in {1, 2, 3, 4}


def test_women_vs_others_rate_ratio_is_the_exact_one_on_the_published_counts():
    cands = candidates(100, gender="female") + candidates(100, gender="male", start=100)
    incs = incidents([k % 100 for k in range(30)]) + incidents([100 + k for k in range(15)], start=30)
    gender = next(t for t in run(cands, incs)["disparities"] if t["name"] == "gender")
    women = next(r for r in gender["rows"] if r["group"] == "Women")
    men = next(r for r in gender["rows"] if r["group"] == "Men")
    x_women, x_men = women["_values"]["incidents"], men["_values"]["incidents"]
    assert near(x_women, 30) and near(x_men, 15)
    # "All other candidates" are the men here: the same records, so the same cell and the same value.
    expected = rate_ratio(x_women, 100, x_men, 100)
    assert women["_values"]["ratio"]["ratio"] == pytest.approx(expected.ratio)
    assert women["_values"]["ratio"]["lower"] == pytest.approx(expected.lower)
    assert women["_values"]["ratio"]["upper"] == pytest.approx(expected.upper)
    assert women["candidates"] == "100" and women["incidents"] == str(x_women)
    assert women["reporting"] == f"{women['_values']['reporting']}%"  # 100 candidates: the count is the percentage
    assert near(women["_values"]["reporting"], 30)


def test_comparison_with_the_earlier_election_uses_each_elections_published_total():
    cands = candidates(200) + candidates(50, election=GE19, start=1000)
    incs = incidents([k for k in range(45)]) + incidents([1000 + k for k in range(8)], start=100)
    payload = run(cands, incs)
    x = payload["headline"]["incidents"]["value"]
    ox = run(cands, incs, election=GE19)["headline"]["incidents"]["value"]  # consistent: the same cell, the same value
    assert near(x, 45) and near(ox, 8)
    row = payload["comparisons"]["rows"][0]
    assert row["_values"]["ratio"]["ratio"] == pytest.approx((x / 200) / (ox / 50))
    assert payload["headline"]["candidates"] == 200
    assert payload["headline"]["share_reporting"]["estimate"] == pytest.approx(payload["headline"]["candidates_reporting"]["value"] / 200)


def test_small_counts_are_published_perturbed_never_as_themselves():
    cands = candidates(100, region="North") + candidates(100, region="South", start=100, constituency="E2")
    incs = incidents(range(20)) + incidents([100, 101, 102], start=20)
    payload = run(cands, incs)
    regions = next(t for t in payload["breakdowns"] if t["name"] == "regions")
    south = next(r for r in regions["rows"] if r["category"] == "South")
    assert south["_values"]["incidents"] in {0, 5, 6, 7, 8}  # 3 becomes 0 or at least 5, within 5
    north = next(r for r in regions["rows"] if r["category"] == "North")
    assert near(north["_values"]["incidents"], 20)  # shown, not hidden to protect the South
    area = payload["map"]["areas"]["E2"]
    assert not area["suppressed"] and area["incidents"] == south["_values"]["incidents"]  # the same records, the same value
    assert area["rate"] == pytest.approx(area["incidents"])  # per 100 candidates, of 100 candidates
    assert payload["method"]["name"] == "cell-key perturbation"


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
             "characteristics": [], "issue_tags": [], "serious": serious, "reported_to_police": police, "awaiting_triage": serious,
             "record_key": rkey("incident", i)} for i, (cid, w, serious, police) in enumerate(rows)]
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
    assert weeks[1]["incidents"] == 0 and near(weeks[0]["incidents"], 10) and near(weeks[2]["incidents"], 10)


def test_coverage_puts_the_worst_gap_first():
    cands = candidates(20, force="F1") + candidates(20, force="F2", start=100)
    incs = incidents(range(100, 106), serious=True, awaiting=True)
    coverage = [insights.ForceCoverage("F1", "Force One", 20, 5, 2, 9.0, None), insights.ForceCoverage("F2", "Force Two", 20, 18, 10, 2.0, None)]
    rows = run(cands, incs, coverage=coverage)["coverage"]["rows"]
    assert [r["force"] for r in rows] == ["Force Two", "Force One"]  # six high-risk incidents waiting beat a low contact rate
    assert int(rows[0]["serious_waiting"]) >= 5 and rows[1]["serious_waiting"] == "0" and rows[1]["contacted"] == "25%"


def test_a_force_scope_counts_only_that_forces_candidates_and_agrees_with_the_national_page():
    cands = candidates(30, force="F1") + candidates(30, force="F2", start=100)
    incs = incidents(range(10)) + incidents(range(100, 120), start=10)
    f2 = run(cands, incs, force="F2")["headline"]["incidents"]["value"]
    national = run(cands, incs)
    assert near(f2, 20) and near(national["headline"]["incidents"]["value"], 30)
    forces = next(t for t in national["breakdowns"] if t["name"] == "forces")
    # Force Two's incidents are the same records on both pages: the same value, nothing to average.
    assert next(r["_values"]["incidents"] for r in forces["rows"] if r["_values"]["key"] == "F2") == f2


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


def attacker_bounds(seen: dict, lines: list, keys: list) -> dict:
    """The attacker's linear programme against a perturbed snapshot: every true count lies within
    what the public p-table lets its published value come from, and every line adds up exactly in
    the true counts. Returns the least and most each key can be."""
    import numpy as np
    from scipy.optimize import linprog

    from ballotguard.engines.insights.cellkey import ptable

    table = ptable()
    var = {k: i for i, k in enumerate(keys)}
    box = [(min(table.could_be(seen[k])), max(table.could_be(seen[k]))) for k in keys]
    a_eq, b_eq = [], []
    for inner, total in lines:
        row = np.zeros(len(keys))
        for k in inner:
            row[var[k]] += 1
        row[var[total]] -= 1
        a_eq.append(row)
        b_eq.append(0.0)
    out = {}
    for k in keys:
        objective = np.zeros(len(keys))
        objective[var[k]] = 1.0
        low = linprog(objective, A_eq=np.array(a_eq), b_eq=b_eq, bounds=box, method="highs")
        high = linprog(-objective, A_eq=np.array(a_eq), b_eq=b_eq, bounds=box, method="highs")
        assert low.status == 0 and high.status == 0, (low.message, high.message)  # the truth is feasible
        out[k] = (low.fun, -high.fun)
    return out


@pytest.mark.parametrize(("counts", "regions"), [
    ([3, 20, 22, 6], ["R1", "R1", "R1", "R2"]),                 # the region total minus the shown constituencies
    ([3, 10, 10, 50], ["Alpha", "Beta", "Gamma", "Delta"]),      # a region of one constituency
    ([1, 2, 4, 3], ["R1", "R1", "R2", "R2"]),                    # nothing but small counts
])
def test_no_small_count_can_be_worked_out_from_the_whole_snapshot(counts, regions):
    """The differencing attack the suppression tests mounted, against perturbation: with everything
    the snapshot publishes about the geography (areas, regions, nation, force, total) and the lines
    that tie them, no small count is pinned to one value, and none is ever shown as itself."""
    cands, incs, start = [], [], 0
    for k, (n, region) in enumerate(zip(counts, regions, strict=True)):
        cands += candidates(2, region=region, constituency=f"E{k}", start=10 * k)
        incs += incidents([10 * k] * n, start=start)
        start += n
    payload = run(cands, incs)
    seen = published_geography(payload)
    assert all(v is not None for v in seen.values())  # everything is published
    truth = {("area", f"E{k}"): n for k, n in enumerate(counts)}
    for r in set(regions):
        truth[("region", r)] = sum(n for n, rr in zip(counts, regions, strict=True) if rr == r)
    truth[("nation", "England")] = truth[("force", "F1")] = truth[("total",)] = sum(counts)
    lines = [([("area", f"E{k}") for k, rr in enumerate(regions) if rr == r], ("region", r)) for r in set(regions)]
    lines += [([("region", r) for r in set(regions)], ("total",)), ([("area", f"E{k}") for k in range(len(counts))], ("total",)),
              ([("area", f"E{k}") for k in range(len(counts))], ("force", "F1")), ([("nation", "England")], ("total",))]
    bounds = attacker_bounds(seen, lines, list(truth))
    for key, n in truth.items():
        low, high = bounds[key]
        assert low - 1e-6 <= n <= high + 1e-6  # the attacker's programme is right about the truth...
        if 1 <= n < 5:
            assert high - low >= 1, f"{key} = {n} is pinned to [{low}, {high}]"  # ...but cannot pin a small count
            assert seen[key] != n  # and never sees it shown


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
