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
