"""The Taskforce's figures: trends, disparities, coverage gaps and the map, from plain rows.

The insights app loads two tables from the database and hands them here; this module does the
arithmetic and the disclosure control and returns plain dicts that the pages, the JSON API, the CSV
exports and the briefing pack all render. One home for each figure, so the web page and the PDF
can never disagree.

Definitions (say them the same way in ``docs/insights.md``):

* **Candidates** are candidacies in an election: a person standing twice is two candidates. They are
  the denominator of every rate ("incidents per 100 candidates"), as in the Electoral Commission's
  surveys. Candidate lists are published by returning officers, so denominators are never suppressed.
* **Incidents** are submitted reports (drafts are not counted), attributed to the election of the
  candidate targeted and to the police force(s) of the candidate's constituency or ward. A
  constituency that spans two forces counts for both, so force figures do not add up to the national
  figure: the page says so.
* An incident can record several behaviours, characteristics and issues, so breakdowns by these can
  add up to more than the total: shares are of incidents, not of a partition.
* **Serious** means the incident's risk (after any FEOA override) is high.
* **Rate ratios** compare a group with all other candidates in the same scope and election, with an
  exact conditional Poisson interval (:func:`ballotguard.engines.insights.statistics.rate_ratio`).
* **Disclosure control**: every displayed or exported incident count (and count of candidates
  reporting) is **perturbed** by the cell-key method (:mod:`ballotguard.engines.insights.cellkey`): each
  record carries a secret, fixed record key (``record_key``, from the app); a cell's key is the sum
  of its records' keys, and a fixed p-table turns (count, cell key) into the published value. No
  published count is from 1 to ``threshold - 1``; the same records always give the same value on
  every page; totals are perturbed as cells of their own, so rows need not add up to them. Rates,
  shares and ratios are computed from the perturbed counts (and the perturbed total), never the
  true ones, so a public denominator gives nothing back.

Pure Python with Polars: no Django.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from ballotguard.engines.insights.clocks import CLOCK_COLUMNS, Targets, clock_section
from ballotguard.engines.insights.cellkey import DEFAULT_MAX_NOISE, DEFAULT_VARIANCE, EMPTY, KEY_SPACE, Keyed
from ballotguard.engines.insights.disclosure import DEFAULT_THRESHOLD, METHOD_NOTE, Cell, protect, suppress_counts, suppress_linked
from ballotguard.engines.incidents.facts import (
    BEHAVIOUR_LABELS,
    CHARACTERISTIC_LABELS,
    ISSUE_TAG_LABELS,
    PLACE_LABELS,
)
from ballotguard.engines.insights.statistics import Rate, RateRatio, poisson_rate, proportion, rate_ratio

PER = 100.0  # rates are per 100 candidates
MARKER = "[c]"  # the Office for National Statistics' marker for a confidential (suppressed) value

GENDER_LABELS = {"female": "Women", "male": "Men", "non_binary": "Non-binary", "": "Not known"}

CANDIDATE_SCHEMA = {
    "id": pl.Int64, "election": pl.Utf8, "gender": pl.Utf8, "party": pl.Utf8, "nation": pl.Utf8,
    "region": pl.Utf8, "constituency": pl.Utf8, "council": pl.Utf8, "forces": pl.List(pl.Utf8), "contacted": pl.Boolean,
    "record_key": pl.Int64,  # the candidate's record key, in [0, 2**32): see ballotguard.engines.insights.cellkey
}
INCIDENT_SCHEMA = {
    "id": pl.Int64, "candidate_id": pl.Int64, "week": pl.Date, "channel": pl.Utf8, "behaviours": pl.List(pl.Utf8),
    "characteristics": pl.List(pl.Utf8), "issue_tags": pl.List(pl.Utf8), "serious": pl.Boolean,
    "reported_to_police": pl.Boolean, "awaiting_triage": pl.Boolean,
    **CLOCK_COLUMNS,  # the case clocks' times (ballotguard.engines.insights.clocks)
    "record_key": pl.Int64,  # the incident's record key, in [0, 2**32)
}


@dataclass(frozen=True)
class ElectionRef:
    election_id: str
    name: str
    date: dt.date
    election_type: str  # "parl", "local", ...


@dataclass(frozen=True)
class ForceCoverage:
    """Outreach coverage for one force, from :mod:`ballotguard.engines.insights.outreach`."""

    code: str
    name: str
    handed_over: int
    contacted: int
    briefed: int
    median_days_to_first_contact: float | None
    waiting_days: float | None


def _check_keys(frame: pl.DataFrame, what: str) -> pl.DataFrame:
    """Refuse rows without a record key (or with one out of range): perturbing them would need a
    key nobody chose, and a missing key must not quietly become a guessable one."""
    if frame.height:
        keys = frame["record_key"]
        if keys.null_count() or keys.min() < 0 or keys.max() >= KEY_SPACE:
            raise ValueError(f"every {what} row needs a record_key in [0, 2**32)")
    return frame


def candidate_frame(rows: Iterable[Mapping]) -> pl.DataFrame:
    return _check_keys(pl.DataFrame(list(rows), schema=CANDIDATE_SCHEMA), "candidate")


def incident_frame(rows: Iterable[Mapping]) -> pl.DataFrame:
    return _check_keys(pl.DataFrame(list(rows), schema=INCIDENT_SCHEMA), "incident")


def in_scope(candidates: pl.DataFrame, incidents: pl.DataFrame, *, election: str | None, force: str | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The candidates (and incidents against them) of one election and, if given, one police force."""
    cands = candidates
    if election is not None:
        cands = cands.filter(pl.col("election") == election)
    if force is not None:
        cands = cands.filter(pl.col("forces").list.contains(force))
    incs = incidents.join(cands.select(pl.col("id").alias("candidate_id"), "election", "gender", "party", "nation", "region",
                                       "constituency", "council", "forces", "contacted",
                                       pl.col("record_key").alias("candidate_key")), on="candidate_id", how="inner")
    return cands, incs


# ---------------------------------------------------------------------------------------------------
# Cells: a count and its cell key (the sum of its records' keys modulo 2**32), computed in Polars.


def keyed_all(frame: pl.DataFrame, key: str = "record_key") -> Keyed:
    """The cell of every row of ``frame``."""
    if not frame.height:
        return EMPTY
    return Keyed(frame.height, int(frame[key].sum()) % KEY_SPACE)


def keyed_by(frame: pl.DataFrame, column: str, *, key: str = "record_key", multi: bool = False) -> dict:
    """The cell of each value of ``column`` (each element, for a list column when ``multi``)."""
    if not frame.height:
        return {}
    rows = frame.select(column, key)
    if multi:
        rows = rows.explode(column)
    grouped = rows.group_by(column).agg(pl.len().alias("n"), pl.col(key).sum().alias("s"))
    return {r[column]: Keyed(r["n"], int(r["s"]) % KEY_SPACE) for r in grouped.iter_rows(named=True)}


def reporting_candidates(incs: pl.DataFrame) -> pl.DataFrame:
    """One row per candidate with at least one incident, keyed by the candidate's record key."""
    return incs.unique("candidate_id") if incs.height else incs


def minus(whole: Keyed, part: Keyed) -> Keyed:
    """The cell of ``whole`` without its sub-cell ``part`` ("all other candidates")."""
    return Keyed(whole.count - part.count, (whole.key - part.key) % KEY_SPACE)


# ---------------------------------------------------------------------------------------------------
# Formatting: what a table cell shows. Numbers stay numbers for the charts and the CSV (None when
# suppressed); ``display`` strings are what people read.


def alone(count: int | Keyed, threshold: int) -> Cell:
    """A count published on its own (a headline figure, or one category of a list whose categories
    overlap): perturbed when keyed, as every count here is (:func:`disclosure.protect`)."""
    return protect(count, threshold)


def fmt_count(cell: Cell) -> str:
    return MARKER if cell.suppressed else f"{cell.value:,}"


def fmt_rate(rate: Rate | None) -> str:
    if rate is None or rate.estimate is None:
        return MARKER if rate is None else "–"
    return f"{rate.estimate:.1f} ({rate.lower:.1f} to {rate.upper:.1f})"


def fmt_ratio(rr: RateRatio | None) -> str:
    if rr is None:
        return MARKER
    if rr.ratio is None or rr.lower is None:
        return "–"
    upper = "∞" if rr.upper is None else f"{rr.upper:.2f}"
    return f"{rr.ratio:.2f} ({rr.lower:.2f} to {upper})"


def fmt_share(part: int | None, whole: int | None) -> str:
    """``part`` as a share of ``whole``, both published (perturbed) values: capped at 100%, since two
    independently perturbed figures can cross."""
    if part is None or whole is None:
        return MARKER
    return f"{min(100.0, 100 * part / whole):.0f}%" if whole else "–"


def _rate_dict(rate: Rate | None) -> dict | None:
    if rate is None or rate.estimate is None:
        return None
    return {"estimate": rate.estimate, "lower": rate.lower, "upper": rate.upper}


def _ratio_dict(rr: RateRatio | None) -> dict | None:
    if rr is None or rr.ratio is None:
        return None
    return {"ratio": rr.ratio, "lower": rr.lower, "upper": rr.upper, "p_value": rr.p_value, "text": rr.describe()}


def table(name: str, title: str, columns: Sequence[tuple[str, str]], rows: list[dict], *, notes: Sequence[str] = ()) -> dict:
    """A table as every renderer needs it: ``columns`` pairs a key with its heading; each row maps keys
    to display strings and keeps numbers for charts and CSV under ``_values``."""
    return {"name": name, "title": title, "columns": [{"key": k, "label": label} for k, label in columns], "rows": rows, "notes": list(notes)}


# ---------------------------------------------------------------------------------------------------
# The figures


def geography(cands: pl.DataFrame, incs: pl.DataFrame, area_column: str, threshold: int, *, perturbed: bool = True) -> dict[tuple, Cell]:
    """Incident counts by area (constituency or council), region, nation and police force, and the
    total, protected as ONE problem: each is published on some page (the map, the regions and
    forces breakdowns, the nation and region disparities), and an area's count sits inside its
    region's, its nation's and its force's. Keys: ("area", code), ("region", name), ("nation", name),
    ("force", code), ("total",). Each is perturbed with the cell key of its own incidents, so a
    region shows the same value here as anywhere else it is counted. ``perturbed=False`` applies
    the linked suppression this replaced instead (kept to measure the two against each other).

    The leaves are the groups of incidents with the same area, region, nation and forces. Usually a
    leaf is an area; an area split across regions or forces (or incidents with no area) becomes
    several leaves that no table shows (passed as *unpublished*)."""
    if incs.height:
        grouped = incs.group_by(area_column, "region", "nation", pl.col("forces").list.sort().list.join(",").alias("force_key")).agg(
            pl.len().alias("len"), pl.col("record_key").sum().alias("keys"))
        leaves = [(r[area_column] or "", r["region"], r["nation"], r["force_key"], Keyed(r["len"], int(r["keys"]) % KEY_SPACE))
                  for r in grouped.iter_rows(named=True)]
    else:
        leaves = []
    values: dict[tuple, Keyed] = {}
    lines: list[tuple[list[tuple], tuple]] = []
    unpublished: list[tuple] = []
    by_area: dict[str, list[tuple]] = {}
    for area, region, nation, force_key, n in leaves:
        by_area.setdefault(area, []).append((region, nation, force_key, n))
    members: dict[tuple, list[tuple]] = {}
    for area in sorted({a for a in cands[area_column].to_list() if a} | {a for a in by_area if a}):
        parts = by_area.get(area, [])
        if area and len(parts) <= 1:
            key = ("area", area)
            values[key] = parts[0][3] if parts else EMPTY
            leaf_keys = [(key, parts[0][:3])] if parts else []
        else:
            leaf_keys = []
        if area and len(parts) > 1:
            values[("area", area)] = sum((p[3] for p in parts), EMPTY)
            sub = []
            for region, nation, force_key, n in parts:
                leaf = ("leaf", area, region, nation, force_key)
                values[leaf] = n
                unpublished.append(leaf)
                sub.append(leaf)
                leaf_keys.append((leaf, (region, nation, force_key)))
            lines.append((sub, ("area", area)))
        for key, (region, nation, force_key) in leaf_keys:
            members.setdefault(("region", region), []).append(key)
            members.setdefault(("nation", nation), []).append(key)
            for force in force_key.split(",") if force_key else []:
                members.setdefault(("force", force), []).append(key)
            members.setdefault(("total",), []).append(key)
    for region, nation, force_key, n in by_area.get("", []):  # incidents with no area: never published
        leaf = ("leaf", "", region, nation, force_key)
        values[leaf] = n
        unpublished.append(leaf)
        for key in (("region", region), ("nation", nation), ("total",), *(("force", f) for f in (force_key.split(",") if force_key else []))):
            members.setdefault(key, []).append(leaf)
    for key in [k for k in members if k != ("total",)] + [k for k in members if k == ("total",)]:
        values[key] = sum((values[m] for m in members[key]), EMPTY)
        lines.append((members[key], key))
    values.setdefault(("total",), EMPTY)
    regions = [k for k in members if k[0] == "region"]
    nations = [k for k in members if k[0] == "nation"]
    if regions:
        lines.append((regions, ("total",)))
    if nations:
        lines.append((nations, ("total",)))
    if not perturbed:  # the suppression method this replaced, for comparison (bench/disclosure.py)
        return suppress_linked({k: v.count for k, v in values.items()}, lines, threshold=threshold, unpublished=unpublished)
    return suppress_linked(values, lines, threshold=threshold, unpublished=unpublished)


def headline(cands: pl.DataFrame, incs: pl.DataFrame, threshold: int) -> dict:
    n = cands.height
    # Each figure is perturbed with the cell key of its own records (incidents; candidates for
    # "candidates reporting"), and rates and shares come from the perturbed values only.
    total = alone(keyed_all(incs), threshold)
    x = total.value
    cells = {"serious": alone(keyed_all(incs.filter(pl.col("serious"))) if incs.height else EMPTY, threshold),
             "police": alone(keyed_all(incs.filter(pl.col("reported_to_police"))) if incs.height else EMPTY, threshold)}
    reporting_cell = alone(keyed_all(reporting_candidates(incs), "candidate_key") if incs.height else EMPTY, threshold)
    waiting_cell = alone(keyed_all(incs.filter(pl.col("serious") & pl.col("awaiting_triage"))) if incs.height else EMPTY, threshold)
    share = proportion(min(reporting_cell.value, n), n) if n else None
    rate = poisson_rate(x, n, per=PER) if n else None
    return {
        "candidates": n,
        "incidents": {"value": total.value, "display": fmt_count(total)},
        "candidates_reporting": {"value": reporting_cell.value, "display": fmt_count(reporting_cell)},
        "share_reporting": None if share is None else {"estimate": share.estimate, "lower": share.lower, "upper": share.upper,
                                                       "display": f"{100 * share.estimate:.0f}% (95% CI {100 * share.lower:.0f}% to {100 * share.upper:.0f}%)"},
        "rate_per_100": _rate_dict(rate), "rate_display": fmt_rate(rate) if n else "–",
        "serious": {"value": cells["serious"].value, "display": fmt_count(cells["serious"]),
                    "share": fmt_share(cells["serious"].value, x)},
        "reported_to_police": {"value": cells["police"].value, "display": fmt_count(cells["police"]),
                               "share": fmt_share(cells["police"].value, x)},
        "serious_awaiting_triage": {"value": waiting_cell.value, "display": fmt_count(waiting_cell)},
    }


def weekly(incs: pl.DataFrame, n_candidates: int, threshold: int) -> dict:
    counts = keyed_by(incs, "week")
    # Fill the weeks with no incidents, so a quiet week shows as 0 rather than vanishing.
    if counts:
        week, last = min(counts), max(counts)
        while week <= last:
            counts.setdefault(week, EMPTY)
            week += dt.timedelta(days=7)
    protected = suppress_counts(dict(sorted(counts.items())), threshold=threshold)
    rows = []
    for w, c in protected.cells.items():
        per_100 = None if c.suppressed or not n_candidates else PER * c.value / n_candidates
        rows.append({"week": w.isoformat(), "incidents": fmt_count(c), "rate": MARKER if c.suppressed else ("–" if per_100 is None else f"{per_100:.2f}"),
                     "_values": {"week": w.isoformat(), "incidents": c.value, "rate": per_100}})
    return table("weekly", "Incidents reported, by week", [("week", "Week beginning"), ("incidents", "Incidents"),
                                                           ("rate", "Per 100 candidates")], rows,
                 notes=[f"Total {fmt_count(protected.total)}, over {n_candidates:,} candidates."])


# The campaign period the weekly figures open on: from six weeks before polling day (the notice of
# election comes 25 working days before a poll) to four weeks after it (the count, the results and
# their aftermath). Reports dated long before or after would otherwise stretch the series into
# months of zeros and squeeze the campaign into a few points.
CAMPAIGN_WEEKS_BEFORE = 6
AFTERMATH_WEEKS = 4


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week: UK weeks, as every weekly figure is bucketed."""
    return day - dt.timedelta(days=day.weekday())


def campaign_period(polling_day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last Monday of the campaign period of an election."""
    return (week_start(polling_day - dt.timedelta(weeks=CAMPAIGN_WEEKS_BEFORE)),
            week_start(polling_day + dt.timedelta(weeks=AFTERMATH_WEEKS)))


def weekly_in_period(weekly_table: dict, start: dt.date, end: dt.date) -> tuple[dict, int]:
    """The weekly table cut to the weeks from ``start`` to ``end``, and how many weeks outside it had
    incidents (said on the page, so nothing vanishes silently). Only rows already protected are shown:
    no new total is published, so the cut cannot give back a hidden count."""
    inside, outside_with_incidents = [], 0
    for row in weekly_table["rows"]:
        week = dt.date.fromisoformat(row["week"])
        if start <= week <= end:
            inside.append(row)
        elif row["_values"]["incidents"] != 0:
            outside_with_incidents += 1
    return {**weekly_table, "rows": inside}, outside_with_incidents


def weekly_shown(weekly_table: dict, polling_day: dt.date, *, every_week: bool = False) -> tuple[dict, dict]:
    """What the pages and the briefing pack show of the weekly table: the campaign period, unless
    ``every_week`` is asked for or the campaign period had no incidents at all (then every week, and
    ``period["empty"]`` says why). ``period`` carries ``start``, ``end``, ``outside`` (weeks with
    incidents left out) and ``every_week``."""
    start, end = campaign_period(polling_day)
    period = {"start": start, "end": end, "outside": 0, "every_week": every_week, "empty": False}
    if every_week:
        return weekly_table, period
    cut, outside = weekly_in_period(weekly_table, start, end)
    if not any(r["_values"]["incidents"] != 0 for r in cut["rows"]):
        return weekly_table, {**period, "every_week": True, "empty": True}
    return cut, {**period, "outside": outside}


def _category_counts(incs: pl.DataFrame, column: str, *, multi: bool) -> dict[str, Keyed]:
    return {k: v for k, v in keyed_by(incs, column, multi=multi).items() if k not in (None, "")}


def breakdown(incs: pl.DataFrame, n_candidates: int, *, name: str, title: str, heading: str, column: str, labels: Mapping[str, str],
              multi: bool, threshold: int, order: Sequence[str] | None = None, incidents: Keyed | None = None,
              cells: Mapping[str, Cell] | None = None) -> dict:
    """Incidents by one attribute of the incident (behaviour, channel, issue, characteristic) or of
    the candidate's place (force, region), as counts, per 100 candidates in scope and share.
    ``incidents`` is the cell shares are of, when ``incs`` has been exploded (one row per force);
    shares are of its perturbed value, the total the headline shows, never of the true count."""
    counts = _category_counts(incs, column, multi=multi)
    whole = keyed_all(incs) if incidents is None else incidents
    incidents = alone(whole, threshold).value
    keys = list(order) if order is not None else sorted(counts, key=lambda k: labels.get(k, k))
    keys = [k for k in keys if counts.get(k, EMPTY).count or order is not None]
    if cells is not None:  # protected with the tables they are linked to (see geography)
        cells = {k: cells[k] for k in keys}
    elif multi:
        # Categories overlap (an incident records several behaviours): each count on its own.
        cells = {k: alone(counts.get(k, EMPTY), threshold) for k in keys}
    else:
        cells = suppress_counts({k: counts.get(k, EMPTY) for k in keys}, threshold=threshold, total=whole).cells
    # Largest published count first; hidden ones after, by name: ranking a hidden count among the
    # shown ones would say how big it is.
    cells = dict(sorted(cells.items(), key=lambda kv: (kv[1].suppressed, -(kv[1].value or 0), labels.get(kv[0], kv[0]))))
    rows = []
    for key, cell in cells.items():
        rate = poisson_rate(cell.value, n_candidates, per=PER) if n_candidates and not cell.suppressed else None
        rows.append({
            "category": labels.get(key, key), "incidents": fmt_count(cell), "rate": fmt_rate(rate) if n_candidates else "–",
            "share": fmt_share(cell.value, incidents),
            "_values": {"category": labels.get(key, key), "key": key, "incidents": cell.value, "rate": _rate_dict(rate)},
        })
    notes = [f"Per 100 candidates: {n_candidates:,} candidates in scope; 95% exact Poisson confidence interval in brackets."]
    if multi:
        notes.append("An incident can record more than one, so the rows can add up to more than the total.")
    return table(name, title, [("category", heading), ("incidents", "Incidents"), ("rate", "Per 100 candidates (95% CI)"),
                               ("share", "Share of incidents")], rows, notes=notes)


def disparity(cands: pl.DataFrame, incs: pl.DataFrame, *, name: str, title: str, heading: str, column: str,
              labels: Mapping[str, str] | None, threshold: int, min_candidates: int = 1, cells: Mapping[str, Cell] | None = None) -> dict:
    """Rates by a characteristic of the candidate, each compared with all other candidates in scope."""
    labels = labels or {}
    n_total = cands.height
    whole = keyed_all(incs)
    denominators = {r[column]: r["len"] for r in cands.group_by(column).len().iter_rows(named=True)}
    numerators = keyed_by(incs, column)
    reporters = keyed_by(reporting_candidates(incs), column, key="candidate_key")
    keys = sorted((k for k in denominators if denominators[k] >= min_candidates), key=lambda k: (-denominators[k], labels.get(k, k or "")))
    if cells is not None:  # protected with the tables they are linked to (see geography)
        incident_cells = {k: cells.get(k, alone(EMPTY, threshold)) for k in keys}
    else:
        incident_cells = suppress_counts({k: numerators.get(k, EMPTY) for k in keys}, threshold=threshold, total=whole).cells
    rows = []
    for key in keys:
        cell, n = incident_cells[key], denominators[key]
        shown = not cell.suppressed
        rate = poisson_rate(cell.value, n, per=PER) if shown else None
        # "All other candidates" is a cell of its own (its incidents' keys), perturbed like any other:
        # the ratio is of two published values.
        rest_n = n_total - n
        rest = alone(minus(whole, numerators.get(key, EMPTY)), threshold)
        rr = rate_ratio(cell.value, n, rest.value, rest_n) if shown and rest_n > 0 else None
        rep = alone(reporters.get(key, EMPTY), threshold) if shown else Cell(value=None, suppressed=True, reason="secondary")
        label = labels.get(key, key) or "Not known"
        rows.append({
            "group": label, "candidates": f"{n:,}", "incidents": fmt_count(cell), "reporting": fmt_share(rep.value, n),
            "rate": fmt_rate(rate), "ratio": fmt_ratio(rr) if rest_n > 0 else "–",
            "_values": {"group": label, "key": key, "candidates": n, "incidents": cell.value, "reporting": rep.value,
                        "rate": _rate_dict(rate), "ratio": _ratio_dict(rr)},
        })
    return table(name, title, [("group", heading), ("candidates", "Candidates"), ("incidents", "Incidents"),
                               ("reporting", "Candidates reporting"), ("rate", "Per 100 candidates (95% CI)"),
                               ("ratio", "Rate ratio vs all others (95% CI)")], rows,
                 notes=[f"{n_total:,} candidates and {fmt_count(alone(whole, threshold))} incidents in scope. A rate ratio above 1 means this group "
                        "reported more incidents per candidate than all other candidates together; exact conditional Poisson 95% CI."])


def comparisons(election: ElectionRef, totals: Mapping[str, tuple[Keyed, int]], elections: Sequence[ElectionRef], threshold: int) -> dict:
    """This election against each earlier election of the same type: the "alarming rise" as a rate
    ratio with its confidence interval, not two bars. ``totals`` maps an election id to (incidents as
    a keyed cell, candidates) in the same scope; both incident totals are perturbed, and are the
    same values the headline of each election shows."""
    rows = []
    cell, n = totals.get(election.election_id, (EMPTY, 0))
    x = alone(cell, threshold).value
    for other in sorted(elections, key=lambda e: e.date, reverse=True):
        if other.election_type != election.election_type or other.date >= election.date:
            continue
        other_cell, on = totals.get(other.election_id, (EMPTY, 0))
        ox = alone(other_cell, threshold).value
        rr = rate_ratio(x, n, ox, on) if n and on else None
        rows.append({
            "comparison": f"{election.name} vs {other.name}",
            "this": fmt_rate(poisson_rate(x, n, per=PER)) if n else "–",
            "other": fmt_rate(poisson_rate(ox, on, per=PER)) if on else "–",
            "ratio": fmt_ratio(rr),
            "_values": {"comparison": other.election_id, "ratio": _ratio_dict(rr)},
        })
    return table("comparisons", "Compared with earlier elections", [("comparison", "Elections"), ("this", "This election, per 100 candidates"),
                                                                    ("other", "Earlier, per 100 candidates"), ("ratio", "Rate ratio (95% CI)")],
                 rows, notes=["Exact conditional Poisson interval for the ratio of the two rates; a ratio above 1 is a rise."])


def area_rates(cands: pl.DataFrame, column: str, geo: Mapping[tuple, Cell]) -> dict[str, dict]:
    """Per constituency (or council): candidates, incidents (suppressed with the linked tables) and the rate."""
    denominators = {r[column]: r["len"] for r in cands.group_by(column).len().iter_rows(named=True) if r[column]}
    out = {}
    for key in sorted(denominators):
        cell, n = geo[("area", key)], denominators[key]
        rate = poisson_rate(cell.value, n, per=PER) if not cell.suppressed else None
        out[key] = {"candidates": n, "incidents": cell.value, "display": fmt_count(cell), "suppressed": cell.suppressed,
                    "rate": None if rate is None else rate.estimate, "rate_display": fmt_rate(rate)}
    return out


def coverage(forces: Sequence[ForceCoverage], cands: pl.DataFrame, incs: pl.DataFrame, threshold: int) -> dict:
    """Coverage gaps per police force, worst first: high-risk incidents waiting for triage, then the
    smallest share of handed-over candidates contacted, then incidents from candidates never contacted."""
    never_by = keyed_by(incs.filter(~pl.col("contacted")), "forces", multi=True) if incs.height else {}
    waiting_by = keyed_by(incs.filter(pl.col("serious") & pl.col("awaiting_triage")), "forces", multi=True) if incs.height else {}
    candidates_by = {r["forces"]: r["len"] for r in cands.explode("forces").group_by("forces").len().iter_rows(named=True)}
    codes = [f.code for f in forces]
    never_cells = {c: alone(never_by.get(c, EMPTY), threshold) for c in codes}
    waiting_cells = {c: alone(waiting_by.get(c, EMPTY), threshold) for c in codes}

    def share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    def published(cell: Cell) -> float:
        # Ranked by the published (perturbed) value, never the true one.
        return threshold / 2 if cell.suppressed else cell.value

    def badness(f: ForceCoverage):
        contacted = share(f.contacted, f.handed_over)
        return (-published(waiting_cells[f.code]), -1 if contacted is None else contacted, -published(never_cells[f.code]), f.name)

    rows = []
    for f in sorted(forces, key=badness):
        contacted, briefed = share(f.contacted, f.handed_over), share(f.briefed, f.handed_over)
        n = candidates_by.get(f.code, 0)
        rows.append({
            "force": f.name, "candidates": f"{n:,}",
            "handed_over": fmt_share(f.handed_over, n) if n else "–",
            "contacted": "–" if contacted is None else f"{100 * contacted:.0f}%",
            "briefed": "–" if briefed is None else f"{100 * briefed:.0f}%",
            "median_days": "–" if f.median_days_to_first_contact is None else f"{f.median_days_to_first_contact:g}",
            "never_contacted_incidents": fmt_count(never_cells[f.code]),
            "serious_waiting": fmt_count(waiting_cells[f.code]),
            "_values": {"force": f.name, "code": f.code, "candidates": n, "handed_over": f.handed_over, "contacted": f.contacted,
                        "briefed": f.briefed, "contacted_share": contacted, "briefed_share": briefed,
                        "median_days": f.median_days_to_first_contact, "waiting_days": f.waiting_days,
                        "never_contacted_incidents": never_cells[f.code].value, "serious_waiting": waiting_cells[f.code].value},
        })
    return table("coverage", "FEOA coverage gaps by police force, worst first",
                 [("force", "Police force"), ("candidates", "Candidates"), ("handed_over", "Details handed over"),
                  ("contacted", "Of those, contacted"), ("briefed", "Of those, briefed"), ("median_days", "Median days to first contact"),
                  ("never_contacted_incidents", "Incidents from candidates never contacted"), ("serious_waiting", "High-risk incidents awaiting triage")],
                 rows, notes=["Sorted so the worst gaps come first: high-risk incidents awaiting triage, then the lowest share contacted, "
                              "then incidents from candidates the FEOA never reached.",
                              "Days are counted from the close of nominations to the first successful contact."])


def dashboard(candidates: pl.DataFrame, incidents: pl.DataFrame, *, election: ElectionRef, elections: Sequence[ElectionRef],
              force: str | None, force_names: Mapping[str, str], coverage_rows: Sequence[ForceCoverage],
              threshold: int = DEFAULT_THRESHOLD, totals: Mapping[str, tuple[Keyed, int]] | None = None,
              now: float | None = None, clock_targets: Mapping[str, Targets] | None = None,
              adviser_names: Mapping[int, str] | None = None) -> dict:
    """Every figure for one election in one scope (national when ``force`` is None). With ``now``
    (epoch seconds), the case clocks too (:func:`ballotguard.engines.insights.clocks.clock_section`)."""
    cands, incs = in_scope(candidates, incidents, election=election.election_id, force=force)
    n = cands.height
    if totals is None:
        totals = {}
        for e in elections:
            c, i = in_scope(candidates, incidents, election=e.election_id, force=force)
            totals[e.election_id] = (keyed_all(i), c.height)
    place_incs = incs.explode("forces") if incs.height else incs
    map_column = "constituency" if election.election_type == "parl" else "council"
    geo = geography(cands, incs, map_column, threshold)
    region_cells = {k[1]: c for k, c in geo.items() if k[0] == "region"}
    nation_cells = {k[1]: c for k, c in geo.items() if k[0] == "nation"}
    force_cells = {k[1]: c for k, c in geo.items() if k[0] == "force"}
    breakdowns = [
        breakdown(incs, n, name="behaviours", title="What happened", heading="Behaviour", column="behaviours",
                  labels={b.value: label for b, label in BEHAVIOUR_LABELS.items()}, multi=True, threshold=threshold),
        breakdown(incs, n, name="channels", title="Where or how it happened", heading="Channel", column="channel",
                  labels={p.value: label for p, label in PLACE_LABELS.items()}, multi=False, threshold=threshold),
        breakdown(incs, n, name="issues", title="The political issue it seemed to be about", heading="Issue", column="issue_tags",
                  labels={t.value: label for t, label in ISSUE_TAG_LABELS.items()}, multi=True, threshold=threshold),
        breakdown(incs, n, name="characteristics", title="Hostility because of a protected characteristic", heading="Characteristic targeted",
                  column="characteristics", labels={c.value: label for c, label in CHARACTERISTIC_LABELS.items()}, multi=True, threshold=threshold),
        breakdown(incs, n, name="regions", title="By region", heading="Region", column="region", labels={}, multi=False, threshold=threshold,
                  cells=region_cells),
    ]
    if force is None:
        breakdowns.append(breakdown(place_incs, n, name="forces", title="By police force", heading="Police force", column="forces",
                                    labels=force_names, multi=False, threshold=threshold, incidents=keyed_all(incs), cells=force_cells))
    disparities = [
        disparity(cands, incs, name="gender", title="By gender", heading="Gender", column="gender", labels=GENDER_LABELS, threshold=threshold),
        disparity(cands, incs, name="party", title="By party", heading="Party", column="party", labels=None, threshold=threshold),
        disparity(cands, incs, name="nation", title="By nation", heading="Nation", column="nation", labels=None, threshold=threshold,
                  cells=nation_cells),
        disparity(cands, incs, name="region", title="By region", heading="Region", column="region", labels=None, threshold=threshold,
                  cells=region_cells),
    ]
    scoped_coverage = [f for f in coverage_rows if force is None or f.code == force]
    areas = area_rates(cands, map_column, geo)
    return {
        "election": {"election_id": election.election_id, "name": election.name, "date": election.date.isoformat(), "type": election.election_type},
        "force": force, "force_name": force_names.get(force) if force else None,
        "threshold": threshold,
        "method": {"name": "cell-key perturbation", "threshold": threshold, "max_noise": max(DEFAULT_MAX_NOISE, threshold),
                   "variance": DEFAULT_VARIANCE, "note": METHOD_NOTE},
        "headline": headline(cands, incs, threshold),
        "weekly": weekly(incs, n, threshold),
        "comparisons": comparisons(election, totals, elections, threshold),
        "breakdowns": breakdowns,
        "disparities": disparities,
        "coverage": coverage(scoped_coverage, cands, incs, threshold),
        "map": {"kind": map_column, "areas": areas},
        "clocks": None if now is None else clock_section(incs, now=now, by_force=clock_targets or {}, force=force, force_names=force_names,
                                                         adviser_names=adviser_names or {}, threshold=threshold),
    }
