"""The candidates' survey after polling day: its questions, checking the answers, keeping a response
anonymous, and its figures for the Taskforce.

Why a survey: most abuse is never reported. At the 2024 General Election 55% of candidates
experienced harassment, abuse or intimidation, but only 21% told the police (Electoral Commission),
so incidents reported in Ballotguard undercount what happened. The survey asks every candidate,
and the figures put the two side by side (``underreporting``).

Anonymity (``docs/survey.md``): a response keeps only coarse attributes (gender, party, region,
election type, police force) and the week it came in. Before they are stored, :func:`generalise`
coarsens them until at least ``k`` candidates of the same election share them, so a response from
the only Green woman in a small by-election is stored as "another party" or "not given" rather than
pointing at her. Every figure published from responses goes through
:mod:`ballotguard.engines.insights.disclosure`'s public functions.

Pure Python: no Django (an import-linter contract keeps it so). Labels are marked for the Welsh
catalogue with :func:`~ballotguard.engines.common.i18n.gettext_noop`; pages translate them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ballotguard.engines.insights.disclosure import DEFAULT_MARKER, Cell, is_small, suppress_linked, suppress_table, suppressed_rate
from ballotguard.engines.common.i18n import gettext_noop as N_
from ballotguard.engines.insights.statistics import Proportion, RateRatio, proportion, rate_ratio

MARKER = DEFAULT_MARKER
WITHHELD = "withheld"  # an attribute coarsened away to keep a response anonymous
OTHER_PARTY = "Another party"

# --- the questions -------------------------------------------------------------------------------

ONLINE = {
    "online_abuse": N_("Abusive or offensive messages or posts"),
    "online_threats": N_("Threats made online or by message"),
    "online_false": N_("False statements about you, or faked images or video"),
    "online_exposure": N_("Your address or other private details shared online"),
}
OFFLINE = {
    "verbal": N_("Verbal abuse or threats in person"),
    "at_home": N_("Intimidation at or near your home"),
    "followed": N_("Being followed, watched or stalked"),
    "physical": N_("Physical assault, or an attempt"),
    "damage": N_("Damage to your property, posters or campaign materials"),
    "sexual": N_("Sexual harassment, or threats of sexual violence"),
}
EXPERIENCES = {**ONLINE, **OFFLINE}
REPORTED_TO = {
    "police": N_("The police (999, 101 or police.uk)"),
    "feoa": N_("Your police adviser"),
    "platform": N_("The social media platform"),
    "party": N_("Your party or agent"),
    "returning_officer": N_("The returning officer or council"),
    "ballotguard": N_("Ballotguard"),
    "other": N_("Someone else"),
}
CHANGES = {
    "avoided_alone": N_("Avoided campaigning alone"),
    "less_canvassing": N_("Did less door-to-door canvassing"),
    "fewer_events": N_("Went to fewer public events or hustings"),
    "less_online": N_("Used social media less, or closed accounts"),
    "hid_address": N_("Kept your home address off your materials"),
    "security": N_("Added security at home"),
    "thought_of_stopping": N_("Thought about standing down, or not standing again"),
}
VIEWS = {
    "very_helpful": N_("Very helpful"),
    "helpful": N_("Quite helpful"),
    "not_helpful": N_("Not helpful"),
    "not_used": N_("I did not use it"),
}
YES_NO = {"yes": N_("Yes"), "no": N_("No")}
MAX_COMMENT = 2000


@dataclass(frozen=True)
class Answers:
    """One candidate's answers, checked. ``comment`` is free text: it is never published and never
    leaves the database except to an analyst reading comments one by one (docs/survey.md)."""

    experiences: tuple[str, ...]
    reported: bool | None  # None when nothing was experienced
    reported_to: tuple[str, ...]
    changes: tuple[str, ...]
    adviser_view: str
    guidance_view: str
    comment: str = ""

    @property
    def experienced(self) -> bool:
        return bool(self.experiences)

    @property
    def reported_to_police(self) -> bool:
        return "police" in self.reported_to

    @property
    def online(self) -> bool:
        return any(e in ONLINE for e in self.experiences)

    @property
    def offline(self) -> bool:
        return any(e in OFFLINE for e in self.experiences)

    def as_dict(self) -> dict:
        return {"experiences": list(self.experiences), "reported": self.reported, "reported_to": list(self.reported_to),
                "changes": list(self.changes), "adviser_view": self.adviser_view, "guidance_view": self.guidance_view,
                "comment": self.comment}


class AnswersInvalid(ValueError):
    """``errors`` maps each field at fault to what to do, in English (the page translates it)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _choices(name: str, values: object, allowed: Mapping[str, str], errors: dict[str, str]) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str) or not isinstance(values, Iterable):
        errors[name] = "Choose from the list"
        return ()
    values = list(values)
    if any(not isinstance(v, str) or v not in allowed for v in values):
        errors[name] = "Choose from the list"
        return ()
    return tuple(k for k in allowed if k in values)  # the questionnaire's order, no repeats


def check_answers(data: Mapping[str, object]) -> Answers:
    """The answers from a form or the API, or :class:`AnswersInvalid` naming every field at fault.

    Rules: the experiences list may be empty (nothing happened) but then "none" must be said
    explicitly (``none_experienced``), so a candidate who skipped the question is told rather than
    counted as unharmed; "did you report it" is asked only of those who experienced something;
    "to whom" is needed when they said yes; the two views are required.
    """
    errors: dict[str, str] = {}
    experiences = _choices("experiences", data.get("experiences"), EXPERIENCES, errors)
    none_experienced = bool(data.get("none_experienced"))
    if "experiences" not in errors:
        if not experiences and not none_experienced:
            errors["experiences"] = "Select what you experienced, or select that you experienced none of these"
        elif experiences and none_experienced:
            errors["experiences"] = "Select what you experienced, or that you experienced none of these, not both"
    reported_raw = data.get("reported")
    reported: bool | None = None
    reported_to = _choices("reported_to", data.get("reported_to"), REPORTED_TO, errors)
    if experiences:
        if reported_raw in ("yes", True):
            reported = True
            if not reported_to and "reported_to" not in errors:
                errors["reported_to"] = "Select who you told"
        elif reported_raw in ("no", False):
            reported = False
            reported_to = ()
        else:
            errors["reported"] = "Select yes if you told anyone about it"
    else:
        reported_to = ()
    changes = _choices("changes", data.get("changes"), CHANGES, errors)
    views = {}
    for name in ("adviser_view", "guidance_view"):
        value = data.get(name)
        if not isinstance(value, str) or value not in VIEWS:
            errors[name] = "Select how helpful it was, or that you did not use it"
        views[name] = value if isinstance(value, str) else ""
    comment = data.get("comment") or ""
    if not isinstance(comment, str):
        errors["comment"] = "Enter text"
        comment = ""
    elif len(comment) > MAX_COMMENT:
        errors["comment"] = f"Your comments must be {MAX_COMMENT:,} characters or fewer"
    if errors:
        raise AnswersInvalid(errors)
    return Answers(experiences=experiences, reported=reported, reported_to=reported_to, changes=changes,
                   adviser_view=views["adviser_view"], guidance_view=views["guidance_view"], comment=comment.strip())


# --- keeping a response anonymous ----------------------------------------------------------------

ATTRIBUTES = ("gender", "party", "region", "force", "election_type")
# Coarsened in this order until the group is big enough: party first (it names the fewest people),
# then police force and region (a force is about a region), then gender. Election type stays: the
# election the response is for is public knowledge of everyone invited.
COARSEN_ORDER = ("party", "force", "region", "gender")


class Population:
    """An election's candidates as a response's attributes, counted once at every step of coarsening,
    so that coarsening each of thousands of responses (the demo, a bulk import) costs a lookup each."""

    def __init__(self, rows: Iterable[Mapping[str, str]], *, k: int, parties_kept: Iterable[str] = ()):
        self.k = k
        self.kept = set(parties_kept)
        self.steps = [COARSEN_ORDER[:i] for i in range(len(COARSEN_ORDER) + 1)]
        self.counts = [Counter() for _ in self.steps]
        for row in rows:
            row = self._first(row)
            for i, withheld in enumerate(self.steps):
                self.counts[i][self._key(row, withheld)] += 1

    def _first(self, row: Mapping[str, str]) -> dict[str, str]:
        out = {a: row.get(a, "") or "" for a in ATTRIBUTES}
        if out["party"] not in self.kept:
            out["party"] = OTHER_PARTY
        return out

    @staticmethod
    def _key(row: Mapping[str, str], withheld: Sequence[str]) -> tuple:
        return tuple(row[a] for a in ATTRIBUTES if a not in withheld)

    def generalise(self, own: Mapping[str, str]) -> dict[str, str]:
        """``own`` coarsened until at least ``k`` candidates share every kept value (see :func:`generalise`)."""
        out = self._first(own)
        withheld: Sequence[str] = self.steps[-1]
        for i, step in enumerate(self.steps):
            if self.counts[i][self._key(out, step)] >= self.k:
                withheld = step
                break
        return {a: WITHHELD if a in withheld else out[a] for a in ATTRIBUTES}


def generalise(own: Mapping[str, str], others: Iterable[Mapping[str, str]], *, k: int,
               parties_kept: Iterable[str] = ()) -> dict[str, str]:
    """The attributes a response keeps: ``own`` (the candidate's) coarsened until at least ``k`` of
    the election's candidates (``others`` includes the candidate) share every kept value.

    A party outside ``parties_kept`` (the parties with at least ``k`` candidates in the election)
    becomes "Another party" first; then attributes are withheld one at a time in ``COARSEN_ORDER``.
    With fewer than ``k`` candidates in the whole election everything but the election type is
    withheld: such a response still counts in the totals, never in a breakdown.
    """
    return Population(others, k=k, parties_kept=parties_kept).generalise(own)


def survey_week(day: dt.date) -> dt.date:
    """The Monday of the week a response came in: all a response keeps of when it was given."""
    return day - dt.timedelta(days=day.weekday())


# --- the figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    """One stored response as the figures need it."""

    gender: str
    party: str
    region: str
    force: str
    election_type: str
    experienced: bool
    online: bool
    offline: bool
    reported_to_police: bool
    reported_anyone: bool
    avoided_alone: bool


@dataclass(frozen=True)
class ForceBaseline:
    """A police force's candidates in the surveyed elections and how many of them had at least one
    incident reported in Ballotguard."""

    code: str
    name: str
    candidates: int
    with_incident: int


@dataclass
class _Group:
    yes: int = 0
    no: int = 0
    extra: Counter = field(default_factory=Counter)


def _share(cell_yes: Cell, cell_total: Cell, others: Sequence[Cell] = ()) -> Proportion | None:
    if cell_yes.value is None or cell_total.value is None:
        return None
    return suppressed_rate([cell_yes, cell_total, *others], proportion(cell_yes.value, cell_total.value))


def _pct(p: Proportion | None) -> str:
    if p is None:
        return MARKER
    if p.estimate is None:
        return "–"
    return f"{100 * p.estimate:.0f}% ({100 * p.lower:.0f}% to {100 * p.upper:.0f}%)"


def _prop_dict(p: Proportion | None) -> dict | None:
    if p is None or p.estimate is None:
        return None
    return {"estimate": p.estimate, "lower": p.lower, "upper": p.upper}


def _count(cell: Cell) -> str:
    return MARKER if cell.suppressed or cell.value is None else f"{cell.value:,}"


def table(name: str, title: str, columns: Sequence[tuple[str, str]], rows: list[dict], notes: Sequence[str] = ()) -> dict:
    """The same table shape as :func:`ballotguard.engines.insights.figures.table`, so the pages, CSV and
    briefing pack render both alike."""
    return {"name": name, "title": title, "columns": [{"key": k, "label": lab} for k, lab in columns], "rows": rows, "notes": list(notes)}


@dataclass(frozen=True)
class _YesNo:
    cells: dict
    row_totals: dict
    col_totals: dict
    grand_total: Cell


def _yes_no_table(groups: Mapping[str, _Group], threshold: int) -> _YesNo:
    """Groups × (yes, no) with the groups' totals, the column totals and the grand total, suppressed
    as one problem by :func:`~ballotguard.engines.insights.disclosure.suppress_linked`.

    One rule more than for incident counts: in a group that answered all one way, the zero on the
    other side is hidden too (passed as unpublished). "Every respondent in Cumbria experienced
    abuse" tells anyone who knows a Cumbrian candidate responded what they answered, however many
    responded; hiding that zero makes the rules hide its partner as well."""
    values: dict[tuple, int] = {}
    lines: list[tuple[list[tuple], tuple]] = []
    for key, g in groups.items():
        values[(key, "yes")], values[(key, "no")], values[(key, "total")] = g.yes, g.no, g.yes + g.no
        lines.append(([(key, "yes"), (key, "no")], (key, "total")))
    for col in ("yes", "no", "total"):
        values[("all", col)] = sum(values[(key, col)] for key in groups)
        lines.append(([(key, col) for key in groups], ("all", col)))
    lines.append(([("all", "yes"), ("all", "no")], ("all", "total")))
    one_sided = [(key, side) for key, g in groups.items() for side, n in (("yes", g.yes), ("no", g.no)) if n == 0 and g.yes + g.no > 0]
    cells = suppress_linked(values, lines, threshold=threshold, unpublished=one_sided)
    return _YesNo(cells={(k, c): cells[(k, c)] for k in groups for c in ("yes", "no")}, row_totals={k: cells[(k, "total")] for k in groups},
                  col_totals={c: cells[("all", c)] for c in ("yes", "no")}, grand_total=cells[("all", "total")])


BREAKDOWNS = (
    ("gender", "By gender", "Gender", {"female": "Women", "male": "Men", "non_binary": "Non-binary", "": "Not known", WITHHELD: "Not given (kept anonymous)"}),
    ("party", "By party", "Party", {WITHHELD: "Not given (kept anonymous)"}),
    ("region", "By region", "Region", {WITHHELD: "Not given (kept anonymous)"}),
    ("election_type", "By type of election", "Type of election", {}),
)


def breakdown(responses: Sequence[Response], column: str, *, name: str, title: str, heading: str, labels: Mapping[str, str],
              threshold: int) -> dict:
    """Share of respondents who experienced harassment, abuse or intimidation, per group, with
    Clopper–Pearson 95% intervals. The group × (experienced, did not) table is suppressed as one
    two-way table with its totals, so neither a group's respondents nor its experienced count can
    be worked out; a share is shown only where both its counts are."""
    groups: dict[str, _Group] = {}
    for r in responses:
        g = groups.setdefault(getattr(r, column), _Group())
        if r.experienced:
            g.yes += 1
        else:
            g.no += 1
    order = sorted(groups, key=lambda k: (k == WITHHELD, labels.get(k, k)))
    groups = {k: groups[k] for k in order}
    rows = []
    if groups:
        t = _yes_no_table(groups, threshold)
        for key in order:
            yes, no, total = t.cells[(key, "yes")], t.cells[(key, "no")], t.row_totals[key]
            share = _share(yes, total, [no])
            label = labels.get(key, key) or "Not known"
            rows.append({"group": label, "respondents": _count(total), "experienced": _count(yes), "share": _pct(share),
                         "_values": {"group": label, "key": key, "respondents": total.value, "experienced": yes.value,
                                     "share": _prop_dict(share)}})
    return table(name, title, [("group", heading), ("respondents", "Respondents"), ("experienced", "Experienced any"),
                               ("share", "Share (95% CI)")], rows,
                 notes=["Share of respondents who experienced any harassment, abuse or intimidation; exact (Clopper–Pearson) 95% confidence interval in brackets.",
                        f"{MARKER}: fewer than {threshold}, or hidden so that a total cannot reveal one."])


def headline(responses: Sequence[Response], invited: int, threshold: int) -> dict:
    """The survey's headline figures, each with its exact interval and each protected on its own."""
    n = len(responses)
    experienced = sum(r.experienced for r in responses)

    def share(part: int, whole: int) -> dict:
        # Small on either side, or everyone answering one way (see _yes_no_table), is not published.
        if is_small(part, threshold) or is_small(whole - part, threshold) or is_small(whole, threshold) or (whole and part in (0, whole)):
            return {"count": None, "of": whole if not is_small(whole, threshold) else None, "share": None, "display": MARKER}
        p = proportion(part, whole) if whole else None
        return {"count": part, "of": whole, "share": _prop_dict(p), "display": _pct(p) if p else "–"}

    return {
        "invited": invited,
        "respondents": n if not is_small(n, threshold) else None,
        "response_rate": share(n, invited),
        "experienced": share(experienced, n),
        "online": share(sum(r.online for r in responses), n),
        "offline": share(sum(r.offline for r in responses), n),
        # Of those who experienced something: the share who told the police, and who told anyone.
        "reported_to_police": share(sum(r.reported_to_police for r in responses if r.experienced), experienced),
        "reported_anyone": share(sum(r.reported_anyone for r in responses if r.experienced), experienced),
        "avoided_alone": share(sum(r.avoided_alone for r in responses), n),
    }


def reporting_table(responses: Sequence[Response], threshold: int) -> dict:
    """Of respondents who experienced something, the share who reported to the police, by gender
    (the Electoral Commission's figure: 21% at GE2024)."""
    groups: dict[str, _Group] = {}
    for r in responses:
        if not r.experienced:
            continue
        g = groups.setdefault(r.gender, _Group())
        if r.reported_to_police:
            g.yes += 1
        else:
            g.no += 1
    labels = BREAKDOWNS[0][3]
    order = sorted(groups, key=lambda k: (k == WITHHELD, labels.get(k, k)))
    rows = []
    if groups:
        t = _yes_no_table({k: groups[k] for k in order}, threshold)
        for key in [*order, None]:
            if key is None:
                yes, no, total = t.col_totals["yes"], t.col_totals["no"], t.grand_total
                label = "All who experienced any"
            else:
                yes, no, total = t.cells[(key, "yes")], t.cells[(key, "no")], t.row_totals[key]
                label = labels.get(key, key)
            share = _share(yes, total, [no])
            rows.append({"group": label, "experienced": _count(total), "reported": _count(yes), "share": _pct(share),
                         "_values": {"group": label, "key": key or "all", "experienced": total.value, "reported": yes.value,
                                     "share": _prop_dict(share)}})
    return table("survey-police", "Told the police, of those who experienced any", [
        ("group", "Gender"), ("experienced", "Experienced any"), ("reported", "Told the police"), ("share", "Share (95% CI)")], rows,
        notes=["Exact (Clopper–Pearson) 95% confidence intervals."])


@dataclass(frozen=True)
class Underreporting:
    """Survey-reported experience against candidates with an incident in Ballotguard, for one force.

    ``ratio`` is (share of survey respondents who experienced any) ÷ (share of the force's candidates
    with at least one incident reported in Ballotguard): 3 means for each candidate who reported in
    Ballotguard, three experienced something. Its interval is the exact conditional interval for a
    ratio of two rates (:func:`~ballotguard.engines.insights.statistics.rate_ratio`), treating each share as
    events per person; for proportions this is conservative (wider than needed), never optimistic.
    """

    survey: Proportion
    ballotguard: Proportion
    ratio: RateRatio


def underreporting(experienced: int, respondents: int, with_incident: int, candidates: int) -> Underreporting:
    return Underreporting(survey=proportion(experienced, respondents), ballotguard=proportion(with_incident, candidates),
                          ratio=rate_ratio(experienced, respondents, with_incident, candidates))


def _ratio_text(rr: RateRatio | None) -> str:
    if rr is None:
        return MARKER
    if rr.lower is None:
        return "–"
    if rr.ratio is None:
        return f"no candidate reported in Ballotguard (at least {rr.lower:.1f})"
    upper = "∞" if rr.upper is None else f"{rr.upper:.1f}"
    return f"{rr.ratio:.1f} ({rr.lower:.1f} to {upper})"


def underreporting_table(responses: Sequence[Response], baselines: Sequence[ForceBaseline], threshold: int) -> dict:
    """Per police force: survey respondents and the share who experienced any, the force's candidates
    and the share with an incident in Ballotguard, and the ratio of the two with its interval.

    The survey counts are suppressed as one force × (experienced, did not) table. A force's
    candidates are public (the statement of persons nominated); the count of them with an incident is
    protected on its own (forces overlap where a constituency spans two, so they are in no linear
    relation). A ratio is shown only where every count it is computed from is."""
    groups: dict[str, _Group] = {b.code: _Group() for b in baselines}
    for r in responses:
        if r.force in groups:
            g = groups[r.force]
            if r.experienced:
                g.yes += 1
            else:
                g.no += 1
    rows = []
    if groups:
        t = _yes_no_table(groups, threshold)
        for b in sorted(baselines, key=lambda b: b.name):
            yes, no, total = t.cells[(b.code, "yes")], t.cells[(b.code, "no")], t.row_totals[b.code]
            small = is_small(b.with_incident, threshold) or is_small(b.candidates - b.with_incident, threshold)
            bg = Cell(value=None if small else b.with_incident, suppressed=small, reason="primary" if small else None)
            result = None
            if total.value and b.candidates and not (yes.suppressed or no.suppressed or total.suppressed or bg.suppressed):
                result = underreporting(yes.value, total.value, b.with_incident, b.candidates)
            survey_share = _share(yes, total, [no])
            bg_share = None if bg.suppressed else (proportion(b.with_incident, b.candidates) if b.candidates else None)
            rows.append({
                "force": b.name, "respondents": _count(total), "survey_share": _pct(survey_share),
                "candidates": f"{b.candidates:,}", "ballotguard_share": _pct(bg_share),
                "ratio": _ratio_text(result.ratio if result else None),
                "_values": {"force": b.name, "code": b.code, "respondents": total.value, "experienced": yes.value,
                            "survey_share": _prop_dict(survey_share), "candidates": b.candidates, "with_incident": bg.value,
                            "ballotguard_share": _prop_dict(bg_share),
                            "ratio": None if result is None or result.ratio.ratio is None else
                            {"ratio": result.ratio.ratio, "lower": result.ratio.lower, "upper": result.ratio.upper}},
            })
    return table("survey-underreporting", "Under-reporting by police force", [
        ("force", "Police force"), ("respondents", "Respondents"), ("survey_share", "Experienced any, in the survey (95% CI)"),
        ("candidates", "Candidates"), ("ballotguard_share", "With an incident in Ballotguard (95% CI)"),
        ("ratio", "Survey ÷ Ballotguard (95% CI)")], rows,
        notes=["A ratio of 3 means three candidates experienced harassment, abuse or intimidation for each one with an incident reported in Ballotguard.",
               "The ratio's interval is exact and conservative (conditional method for two rates).",
               "A candidate in a constituency policed by two forces counts in both."])


def views_table(views: Mapping[str, Counter], threshold: int) -> dict:
    """What candidates thought of the police adviser and of the guidance. Each row is a list of
    counts that adds up to the respondents, suppressed as one two-way table."""
    questions = {"adviser_view": "Your police adviser", "guidance_view": "Ballotguard's safety guidance"}
    keys = list(VIEWS)
    counts = {(q, v): views.get(q, Counter()).get(v, 0) for q in questions for v in keys}
    t = suppress_table(counts, list(questions), keys, threshold=threshold)
    rows = []
    for q, label in questions.items():
        rows.append({"question": label, **{v: _count(t.cells[(q, v)]) for v in keys},
                     "_values": {"question": label, **{v: t.cells[(q, v)].value for v in keys}}})
    return table("survey-views", "How helpful candidates found the support", [("question", "Support"), *((v, VIEWS[v]) for v in keys)], rows)


def figures(responses: Sequence[Response], *, invited: int, baselines: Sequence[ForceBaseline], views: Mapping[str, Counter],
            threshold: int, min_respondents: int) -> dict:
    """Every survey figure for one set of responses (one election, or every surveyed election).

    With fewer than ``min_respondents`` responses nothing but the counts of invitations is
    published: a breakdown of six responses says more about six people than about candidates."""
    out = {"threshold": threshold, "invited": invited, "enough": len(responses) >= min_respondents, "min_respondents": min_respondents}
    if not out["enough"]:
        return out
    out["headline"] = headline(responses, invited, threshold)
    out["breakdowns"] = [breakdown(responses, column, name=f"survey-{column.replace('_', '-')}", title=title, heading=heading,
                                   labels=labels, threshold=threshold) for column, title, heading, labels in BREAKDOWNS]
    out["police"] = reporting_table(responses, threshold)
    out["underreporting"] = underreporting_table(responses, baselines, threshold)
    out["views"] = views_table(views, threshold)
    return out


def tables_of(payload: Mapping) -> list[dict]:
    """Every table of a survey payload, in page order."""
    if not payload.get("enough"):
        return []
    return [*payload["breakdowns"], payload["police"], payload["underreporting"], payload["views"]]
