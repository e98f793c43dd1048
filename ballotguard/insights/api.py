"""Insights in the JSON API: the same snapshots the pages show, already suppressed.

``GET /insights`` lists the elections and scopes the caller may read; ``GET /insights/figures``
returns every figure of one snapshot (``?election=&force=``; default the latest election and the
caller's first scope); ``GET /insights/tables/{name}`` one table; ``POST /insights/refresh`` queues a
refresh (202). Analysts may read national and every force's figures; FEOAs their own force(s);
other roles get 403, and a force outside the caller's scope is 404.

``GET /insights/survey`` (``?election=``, default every surveyed election together) returns the
candidates' survey figures and ``GET /insights/survey/tables/{name}`` one of their tables: analysts
only (403 for everyone else), 404 where there are none.
"""

from __future__ import annotations

from typing import Any

from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError

from ballotguard.accounts.api import actor_of
from ballotguard.core.api_schemas import MessageOut
from ballotguard.incidents.services import clocks as clock_services
from ballotguard.registry.services import NotPermitted

from . import services
from . import survey as survey_figures
from .models import Snapshot

router = Router(tags=["insights"])


class ScopeOut(Schema):
    code: str
    name: str


class ElectionOut(Schema):
    election_id: str
    name: str
    date: str


class IndexOut(Schema):
    elections: list[ElectionOut]
    scopes: list[str]
    computed_at: str | None


class FiguresOut(Schema):
    election_id: str
    scope: str
    computed_at: str
    figures: dict[str, Any]


def _scopes(request) -> list[str]:
    try:
        return services.scopes_for(request.user)
    except NotPermitted as exc:
        raise HttpError(403, str(exc)) from None


def _snapshot(request, election: str | None, force: str | None) -> Snapshot:
    scopes = _scopes(request)
    if force and force not in scopes:
        raise HttpError(404, "Not found.")
    try:
        return services.snapshot_for(request.user, election_id=election or None, scope=force or None)
    except Snapshot.DoesNotExist:
        raise HttpError(404, "Not found.") from None
    except NotPermitted as exc:
        raise HttpError(403, str(exc)) from None


@router.get("/insights", response=IndexOut, summary="Elections and scopes with figures")
def index(request):
    scopes = _scopes(request)
    run = services.last_refresh()
    return {"elections": [{"election_id": e.election_id, "name": e.name, "date": e.date.isoformat()} for e in services.elections_available()],
            "scopes": scopes, "computed_at": run.finished_at.isoformat() if run and run.finished_at else None}


@router.get("/insights/figures", response=FiguresOut, summary="Every figure of one election in one scope")
def figures(request, election: str = Query("", max_length=250), force: str = Query("", max_length=12)):
    snapshot = _snapshot(request, election, force)
    services.record_export(actor_of(request), snapshot, "figures")
    return {"election_id": snapshot.election.election_id, "scope": snapshot.scope, "computed_at": snapshot.computed_at.isoformat(),
            "figures": snapshot.payload}


@router.get("/insights/tables/{name}", response=dict[str, Any], summary="One table of figures")
def one_table(request, name: str, election: str = Query("", max_length=250), force: str = Query("", max_length=12),
              sort: str = Query("", max_length=40, description="A column key of the table to sort its rows by (suppressed cells last either way)"),
              order: str = Query("", max_length=4, description="asc or desc")):
    snapshot = _snapshot(request, election, force)
    table = services.find_table(snapshot.payload, name)
    if table is None:
        raise HttpError(404, "Not found.")
    sorting = services.table_sort_spec(table).for_api(sort, order)  # 422 naming sort or order
    services.record_export(actor_of(request), snapshot, name)
    return services.sort_table(table, sorting)


@router.post("/insights/refresh", response={202: MessageOut}, summary="Queue a refresh of the figures")
def refresh(request):
    try:
        services.request_refresh(request.user)
    except NotPermitted as exc:
        raise HttpError(403, str(exc)) from None
    return Status(202, {"detail": "Refresh queued: the task worker recomputes every snapshot."})


class SurveyOut(Schema):
    key: str
    computed_at: str
    figures: dict[str, Any]


def _survey(request, election: str) -> survey_figures.SurveyFigures:
    try:
        return survey_figures.figures_for(request.user, election or None)
    except NotPermitted as exc:
        raise HttpError(403, str(exc)) from None
    except survey_figures.SurveyFigures.DoesNotExist:
        raise HttpError(404, "Not found.") from None


@router.get("/insights/survey", response=SurveyOut, summary="The candidates' survey figures (analysts)")
def survey(request, election: str = Query("", max_length=250)):
    stored = _survey(request, election)
    survey_figures.record_export(actor_of(request), stored, "figures")
    return {"key": stored.key, "computed_at": stored.computed_at.isoformat(), "figures": stored.payload}


@router.get("/insights/survey/tables/{name}", response=dict[str, Any], summary="One table of the candidates' survey figures (analysts)")
def survey_table(request, name: str, election: str = Query("", max_length=250)):
    stored = _survey(request, election)
    table = survey_figures.find_table(stored.payload, name)
    if table is None:
        raise HttpError(404, "Not found.")
    survey_figures.record_export(actor_of(request), stored, name)
    return table
# ---------------------------------------------------------------------------------------------------
# Case clocks (docs/case-clocks.md)


class ClocksOut(Schema):
    election_id: str
    scope: str
    computed_at: str
    clocks: dict[str, Any] | None


@router.get("/insights/clocks", response=ClocksOut, summary="Case clock figures of one election in one scope")
def clocks(request, election: str = Query("", max_length=250), force: str = Query("", max_length=12)):
    """Time to first contact, triage, referral and close per risk level, per force (national) or per
    FEOA (a force), already suppressed: the same figures as the Case clocks page."""
    snapshot = _snapshot(request, election, force)
    services.record_export(actor_of(request), snapshot, "clocks")
    return {"election_id": snapshot.election.election_id, "scope": snapshot.scope, "computed_at": snapshot.computed_at.isoformat(),
            "clocks": snapshot.payload.get("clocks")}


class MissedOut(Schema):
    clock: str
    label: str
    state: str
    took: str
    target: str
    over: str
    over_hours: float


class BreachOut(Schema):
    reference: str
    risk: str
    status: str
    submitted_at: str
    worst_clock: str
    over_hours: float
    missed: list[MissedOut]


class BreachesOut(Schema):
    force: str
    total: int
    ranked_at: str | None
    page: int
    breaches: list[BreachOut]


@router.get("/insights/clocks/breaches", response=BreachesOut, summary="The force's cases that missed a target, worst first")
def clock_breaches(request, force: str = Query("", max_length=12), page: int = Query(1, ge=1, le=1_000_000)):
    """For a force's lead FEOA (403 for anyone else; 404 for a force they do not lead). Ranked at the
    last refresh (``ranked_at``); each case measured live."""
    try:
        forces = clock_services.lead_forces(request.user)
    except NotPermitted as exc:
        raise HttpError(403, str(exc)) from None
    chosen = forces.filter(code=force).first() if force else forces.first()
    if chosen is None:
        raise HttpError(404, "Not found.")
    rows, total, ranked_at = services.breaches(actor_of(request), chosen, page=page)
    return {"force": chosen.code, "total": total, "page": page, "ranked_at": ranked_at.isoformat() if ranked_at else None, "breaches": [
        {"reference": r.incident.reference, "risk": r.incident.effective_risk or "", "status": r.incident.status,
         "submitted_at": r.incident.submitted_at.isoformat(), "worst_clock": r.breach.worst.clock.value,
         "over_hours": round(r.breach.over_seconds / 3600, 2), "missed": r.missed} for r in rows]}


class TargetsOut(Schema):
    force: str | None
    name: str
    own: bool
    editable: bool
    hours: dict[str, float]


def _hours(targets) -> dict[str, float]:
    return {clock_services.field_name(c, r): targets[c][r] for c in clock_services.Clock for r in clock_services.RISKS}


@router.get("/insights/clocks/targets", response=list[TargetsOut], summary="Clock targets: the national defaults and each force's")
def clock_targets(request):
    try:
        forces = list(clock_services.readable_forces(request.user))
    except NotPermitted as exc:
        raise HttpError(403, str(exc)) from None
    own = clock_services.targets_by_force()
    out = [{"force": None, "name": "National defaults", "own": False, "editable": False, "hours": _hours(clock_services.national_targets())}]
    for f in forces:
        out.append({"force": f.code, "name": f.name, "own": f.code in own, "editable": clock_services.may_edit(request.user, f),
                    "hours": _hours(own.get(f.code) or clock_services.national_targets())})
    return out


class TargetsIn(Schema):
    """Hours per clock and risk level; a field left out keeps its value; an unknown field is refused."""

    model_config = {"extra": "forbid"}
    first_contact_high: Any = None
    first_contact_medium: Any = None
    first_contact_low: Any = None
    triage_high: Any = None
    triage_medium: Any = None
    triage_low: Any = None
    referral_high: Any = None
    referral_medium: Any = None
    referral_low: Any = None
    close_high: Any = None
    close_medium: Any = None
    close_low: Any = None


@router.put("/insights/clocks/targets/{force}", response={200: TargetsOut, 422: dict[str, Any]},
            summary="Change a force's clock targets (its lead FEOA or an administrator)")
def set_clock_targets(request, force: str, payload: TargetsIn):
    """Body: ``{"triage_high": 2, "close_low": 336, ...}`` (hours; fields left out keep their value).
    422 names each field at fault and stores nothing."""
    try:
        forces = clock_services.target_forces(request.user)
    except NotPermitted as exc:
        raise HttpError(403, str(exc)) from None
    chosen = forces.filter(code=force).first()
    if chosen is None:
        raise HttpError(404, "Not found.")
    try:
        targets = clock_services.set_targets(actor_of(request), chosen, payload.model_dump(exclude_unset=True))
    except clock_services.ReportInvalid as exc:
        return Status(422, {"detail": [{"field": f, "message": m, "loc": ["body", f]} for f, m in exc.errors.items()]})
    return Status(200, {"force": chosen.code, "name": chosen.name, "own": chosen.code in clock_services.targets_by_force(),
                        "editable": True, "hours": _hours(targets)})
