"""Insights pages: the overview, trends, disparities, coverage gaps, the map, pseudonymised records,
CSV exports of every table and the refresh button.

Views stay thin: scope and audit are in ``services``; every figure comes already suppressed from the
snapshot. A role without insights gets 403; a police force outside the user's scope is 404, so a FEOA
cannot learn which forces have figures.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ballotguard.accounts.services import Actor
from ballotguard.engines.insights import charts
from ballotguard.engines.insights import hexmap
from ballotguard.engines.insights import figures as engine
from ballotguard.registry.models import Area, PoliceForce
from ballotguard.registry.services import NotPermitted

from ballotguard.incidents.services import clocks as clock_services

from . import services
from . import survey as survey_figures
from .forms import RevealForm
from .models import NATIONAL, Snapshot

MAX_RECORDS_PAGE = 1_000_000

TABS = [
    ("overview", "Overview"),
    ("trends", "Trends"),
    ("disparities", "Disparities"),
    ("coverage", "Coverage gaps"),
    ("map", "Map"),
    ("clocks", "Case clocks"),
]


def _scopes(request) -> list[str]:
    try:
        return services.scopes_for(request.user)
    except NotPermitted:
        raise PermissionDenied from None


def _snapshot(request) -> tuple[Snapshot | None, dict]:
    """The snapshot named by ``?election=&force=`` within the user's scope, and the page context
    every insights page shares (selectors, tabs, freshness)."""
    scopes = _scopes(request)
    election_id = request.GET.get("election") or None
    scope = request.GET.get("force") or None
    if scope is not None and scope not in scopes:
        raise Http404("No figures for that police force in your scope")
    try:
        snapshot = services.snapshot_for(request.user, election_id=election_id, scope=scope)
    except Snapshot.DoesNotExist:
        if election_id:
            raise Http404("No figures for that election") from None
        snapshot = None
    except NotPermitted:
        raise PermissionDenied from None
    names = dict(PoliceForce.objects.filter(code__in=scopes).values_list("code", "name"))
    scope_choices = [(code, "All of the UK" if code == NATIONAL else names.get(code, code)) for code in scopes]
    query = ""
    if snapshot is not None:
        query = f"?election={snapshot.election.election_id}&force={snapshot.scope}"
    context = {
        "chosen_by_default": snapshot is not None and election_id is None,
        "snapshot": snapshot, "payload": snapshot.payload if snapshot else None,
        "elections": services.elections_available(snapshot.scope if snapshot else None), "scope_choices": scope_choices,
        "selected_election": snapshot.election.election_id if snapshot else "", "selected_scope": snapshot.scope if snapshot else "",
        "scope_name": dict(scope_choices).get(snapshot.scope) if snapshot else "",
        "tabs": TABS, "query": query, "is_analyst": services.sees_records(request.user),
        "last_refresh": services.last_refresh(), "refreshing": services.refresh_running(),
    }
    return snapshot, context


def _rows(table: dict) -> list[dict]:
    """A payload table's rows as the chart include wants them: display cells in column order."""
    keys = [c["key"] for c in table["columns"]]
    return [{"cells": [row[k] for k in keys]} for row in table["rows"]]


def _columns(table: dict) -> list[tuple[str, str]]:
    return [(c["key"], c["label"]) for c in table["columns"]]


def _weekly(request, snapshot: Snapshot, context: dict) -> dict:
    """The weekly series over the campaign period by default (``?period=all`` widens it to every week),
    with what the page needs to say which period is shown."""
    weekly, context["period"] = engine.weekly_shown(snapshot.payload["weekly"], dt.date.fromisoformat(snapshot.payload["election"]["date"]),
                                                    every_week=request.GET.get("period") == "all")
    spec = charts.weekly_series([r["_values"] for r in weekly["rows"] if r["_values"]["incidents"] is not None], x="week",
                                series=[("incidents", "Incidents")], title="Incidents reported, by week",
                                description=f"Incidents reported each week, {snapshot.election.name}.", y_title="Incidents")
    return _figure(request, weekly, spec, "weekly")


def _figure(request, table: dict, spec: dict | None, chart_id: str) -> dict:
    """A table with its chart. The table's rows come in the order the page asked for (``?sort=<table>.<column>``,
    sorted in Python: these tables are small); the chart keeps the engine's order."""
    if spec is not None and not spec.get("data", {}).get("values"):
        spec = None  # nothing to draw (every value suppressed or none to compare): the table alone says so
    sorting = services.table_sorting(table, request.GET)
    sorting.anchor = f"{chart_id}-heading"
    return {"table": table, "spec": spec, "chart_id": chart_id, "spec_id": f"{chart_id}-spec",
            "rows": _rows(services.sort_table(table, sorting)), "columns": _columns(table), "sorting": sorting,
            "sort_prefix": f"{table['name']}."}


@require_GET
@login_required
def overview(request):
    snapshot, context = _snapshot(request)
    if snapshot is not None:
        context["weekly"] = _weekly(request, snapshot, context)
        context["comparisons"] = _figure(request, snapshot.payload["comparisons"], None, "comparisons")
    context["tab"] = "overview"
    return render(request, "insights/overview.html", context)


@require_GET
@login_required
def trends(request):
    snapshot, context = _snapshot(request)
    if snapshot is not None:
        context["figures"] = [
            _figure(request, table, charts.rate_bars([r["_values"] for r in table["rows"]], title=table["title"],
                                            description=f"{table['title']}: incidents per 100 candidates with 95% confidence intervals, "
                                                        f"{snapshot.election.name}."), f"trend-{table['name']}")
            for table in snapshot.payload["breakdowns"]
        ]
        context["weekly"] = _weekly(request, snapshot, context)
    context["tab"] = "trends"
    return render(request, "insights/trends.html", context)


@require_GET
@login_required
def disparities(request):
    snapshot, context = _snapshot(request)
    if snapshot is not None:
        context["figures"] = [
            _figure(request, table, charts.forest([r["_values"] for r in table["rows"]], title=f"Rate ratios {table['title'].lower()}",
                                         description=f"{table['title']}: each group's incidents per candidate compared with all other "
                                                     f"candidates, rate ratio with 95% confidence interval on a log scale, {snapshot.election.name}."),
                    f"disparity-{table['name']}")
            for table in snapshot.payload["disparities"]
        ]
    context["tab"] = "disparities"
    return render(request, "insights/disparities.html", context)


@require_GET
@login_required
def coverage(request):
    snapshot, context = _snapshot(request)
    if snapshot is not None:
        table = snapshot.payload["coverage"]
        # The table ranks by several gaps at once; the chart shows one measure, so it ranks by that one:
        # the lowest share contacted first.
        by_share = sorted((r["_values"] for r in table["rows"] if r["_values"]["contacted_share"] is not None),
                          key=lambda v: (v["contacted_share"], v["force"]))
        spec = charts.share_bars(by_share, category="force", field="contacted_share",
                                 title="Share of handed-over candidates contacted by their FEOA, lowest first",
                                 description="For each police force, the share of candidates whose details were handed over that the FEOA has reached, lowest first.",
                                 x_title="Contacted (%)")
        context["figure"] = _figure(request, table, spec, "coverage")
    context["tab"] = "coverage"
    return render(request, "insights/coverage.html", context)


@require_GET
@login_required
def area_map(request):
    snapshot, context = _snapshot(request)
    if snapshot is not None:
        areas = snapshot.payload["map"]["areas"]
        kind = snapshot.payload["map"]["kind"]
        if kind == "constituency":
            cells = Area.objects.filter(area_type=Area.Type.CONSTITUENCY, hex_q__isnull=False).values_list("code", "name", "hex_q", "hex_r")
            layout = hexmap.layout_from_cells(cells)
            values = {code: a["rate"] for code, a in areas.items() if a["rate"] is not None}
            context["svg"] = hexmap.render_svg(
                layout, values, title=f"Incidents per 100 candidates by constituency, {snapshot.election.name}",
                description="Each hexagon is a Westminster constituency, coloured by incidents reported per 100 candidates, "
                            "from counts perturbed to protect individuals (no count from 1 to 4 is shown). "
                            "Grey: no candidates in scope. The table below has every figure.",
                scale=hexmap.sequential_scale(values.values()) if values else None, value_label=lambda v: f"{v:.1f} per 100 candidates",
                suppressed=[code for code, a in areas.items() if a["suppressed"]], suppressed_label="not shown, to protect small numbers",
                id_prefix="insights-map",
            ) if layout.hexes else ""
        context["kind"] = kind
        context["areas"] = _figure(request, services.area_table(snapshot.payload), None, "areas")
    context["tab"] = "map"
    return render(request, "insights/map.html", context)


@require_GET
@login_required
def table_csv(request, name: str):
    snapshot, _context = _snapshot(request)
    if snapshot is None:
        raise Http404("No figures yet")
    table = services.find_table(snapshot.payload, name)
    if table is None:
        raise Http404("No such table")
    services.record_export(Actor.from_request(request), snapshot, name)
    response = HttpResponse(services.table_csv(snapshot, table), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime(snapshot.computed_at).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="ballotguard-{name}-{snapshot.scope}-{stamp}.csv"'
    return response


@require_POST
@login_required
def refresh(request):
    try:
        services.request_refresh(request.user)
    except NotPermitted:
        raise PermissionDenied from None
    messages.success(request, "Refresh requested: the figures will update in a minute or two. Reload this page to see them.")
    next_url = request.POST.get("next", "")
    return redirect(next_url if next_url.startswith("/insights/") else "insights:overview")


@require_http_methods(["GET", "POST"])
@login_required
def records(request):
    if not services.sees_records(request.user):
        raise PermissionDenied
    election_id = request.GET.get("election") or None
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    if page > MAX_RECORDS_PAGE:  # an offset past any real table, and past the databases' 64-bit OFFSET
        raise Http404("No such page")
    form = RevealForm(request.POST or None)
    revealed = None
    if request.method == "POST" and form.is_valid():
        try:
            revealed = services.reveal(Actor.from_request(request), form.cleaned_data["pseudonym"], form.cleaned_data["reason"])
        except services.RevealError as exc:
            form.add_error(exc.field, str(exc))
    rows, more = services.records(request.user, election_id=election_id, page=page)
    return render(request, "insights/records.html", {
        "rows": rows, "more": more, "page": page, "form": form, "revealed": revealed,
        "elections": services.elections_available(), "selected_election": election_id or "", "tab": "records", "tabs": TABS,
        "is_analyst": True, "query": "",
    })


# ---------------------------------------------------------------------------------------------------
# The candidates' survey (issue 17): analysts only; figures stored by the refresh, already suppressed.


def _survey_figures(request):
    try:
        survey_figures.check_reader(request.user)
    except NotPermitted:
        raise PermissionDenied from None
    key = request.GET.get("election") or None
    try:
        return survey_figures.figures_for(request.user, key)
    except survey_figures.SurveyFigures.DoesNotExist:
        if key:
            raise Http404("No survey figures for that election") from None
        return None


def _share_rows(table: dict, field: str) -> list[dict]:
    return [{"category": r["_values"]["group"], "rate": {k: 100 * v for k, v in r["_values"][field].items()}}
            for r in table["rows"] if r["_values"].get(field)]


@require_GET
@login_required
def survey(request):
    stored = _survey_figures(request)
    context = {"tab": "survey", "tabs": TABS, "is_analyst": True, "query": "", "stored": stored,
               "choices": survey_figures.choices(), "selected": stored.key if stored else ""}
    if stored is not None and stored.payload.get("enough"):
        payload = stored.payload
        csv_query = f"?election={stored.key}"

        def with_csv(fig: dict) -> dict:  # survey tables download from their own view
            return {**fig, "csv_href": reverse("insights:survey-csv", args=[fig["table"]["name"]]) + csv_query}

        figures = []
        for table in payload["breakdowns"]:
            spec = charts.rate_bars(_share_rows(table, "share"), title=f"Experienced any {table['title'].lower()}",
                                    description=f"{table['title']}: share of survey respondents who experienced harassment, abuse or intimidation, "
                                                "with exact 95% confidence intervals.", x_title="Experienced any (%)")
            figures.append(with_csv(_figure(request, table, spec, table["name"])))
        police = payload["police"]
        figures.append(with_csv(_figure(request, police, None, police["name"])))
        under = payload["underreporting"]
        spec = charts.forest([{"group": r["_values"]["force"], "ratio": r["_values"]["ratio"]} for r in under["rows"]],
                             title="Survey-reported experience ÷ candidates with an incident in Ballotguard",
                             description="For each police force, how many times more candidates experienced harassment, abuse or intimidation "
                                         "in the survey than had an incident reported in Ballotguard, with 95% confidence intervals, on a log scale.",
                             x_title="Ratio (log scale); 1 = everything experienced was reported")
        context["underreporting"] = with_csv(_figure(request, under, spec, under["name"]))
        context["figures"] = figures
        context["views"] = with_csv(_figure(request, payload["views"], None, payload["views"]["name"]))
    return render(request, "insights/survey.html", context)


@require_GET
@login_required
def survey_csv(request, name: str):
    stored = _survey_figures(request)
    table = survey_figures.find_table(stored.payload, name) if stored else None
    if table is None:
        raise Http404("No such table")
    survey_figures.record_export(Actor.from_request(request), stored, name)
    out = survey_figures.table_csv(stored, table)
    response = HttpResponse(out, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ballotguard-{name}-{stored.key[:60]}.csv"'
    return response


# ---------------------------------------------------------------------------------------------------
# Case clocks (docs/case-clocks.md): figures from the snapshot; the lead FEOA's breach list and the
# targets are live (incidents.services.clocks).


@require_GET
@login_required
def clocks(request):
    snapshot, context = _snapshot(request)
    section = snapshot.payload.get("clocks") if snapshot is not None else None
    if section:
        context["clock_targets"] = _figure(request, section["targets"], None, "clock-targets")
        context["clock_sections"] = [{"label": c["label"], "clock": c["clock"],
                                      "figures": [_figure(request, t, None, t["name"].replace("_", "-")) for t in c["tables"]]}
                                     for c in section["clocks"]]
    context["tab"] = "clocks"
    context["is_lead"] = request.user.role == "feoa" and request.user.is_force_lead
    return render(request, "insights/clocks.html", context)


def _force_or_404(forces, code: str | None) -> PoliceForce:
    force = forces.filter(code=code).first() if code else forces.first()
    if force is None:
        raise Http404("No such police force in your scope")
    return force


@require_GET
@login_required
def clock_breaches(request):
    try:
        forces = clock_services.lead_forces(request.user)
    except NotPermitted:
        raise PermissionDenied from None
    force = _force_or_404(forces, request.GET.get("force"))
    try:
        page = max(1, min(int(request.GET.get("page", "1")), MAX_RECORDS_PAGE))
    except ValueError:
        page = 1
    rows, total, ranked_at = services.breaches(Actor.from_request(request), force, page=page)
    pages = max(1, -(-min(total, services.BREACH_KEEP) // services.BREACH_PAGE))
    return render(request, "insights/clock_breaches.html", {
        "force": force, "forces": list(forces), "rows": rows, "total": total, "page": page, "pages": pages, "ranked_at": ranked_at, "keep": services.BREACH_KEEP,
        "previous": page - 1 if page > 1 else None, "next": page + 1 if page < pages else None,
    })


@require_GET
@login_required
def clock_targets(request):
    try:
        forces = list(clock_services.readable_forces(request.user))
    except NotPermitted:
        raise PermissionDenied from None
    try:
        editable = set(clock_services.target_forces(request.user).values_list("pk", flat=True))
    except NotPermitted:
        editable = set()
    own = clock_services.targets_by_force()
    national = clock_services.national_targets()
    rows = [{"force": f, "own": f.code in own, "editable": f.pk in editable} for f in forces]
    return render(request, "insights/clock_targets.html", {"rows": rows, "national": _target_rows(national), "is_admin": request.user.role == "admin"})


def _target_rows(targets, values: dict | None = None, errors: dict | None = None) -> list[dict]:
    from ballotguard.engines.insights import clocks as case_clocks

    out = []
    for clock in case_clocks.Clock:
        cells = []
        for risk in case_clocks.RISK_LEVELS:
            name = clock_services.field_name(clock, risk)
            value = (values or {}).get(name, f"{targets[clock][risk]:g}")
            cells.append({"name": name, "risk": risk, "label": f"{clock.label}, {case_clocks.RISK_LABELS[risk].lower()}, in hours",
                          "value": value, "error": (errors or {}).get(name), "shown": case_clocks.fmt_hours(targets[clock][risk])})
        out.append({"clock": clock.label, "cells": cells})
    return out


@require_http_methods(["GET", "POST"])
@login_required
def clock_targets_edit(request, force: str):
    try:
        forces = clock_services.target_forces(request.user)
    except NotPermitted:
        raise PermissionDenied from None
    police_force = _force_or_404(forces, force)
    values, errors = None, {}
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in (clock_services.field_name(c, r) for c in clock_services.Clock
                                                               for r in clock_services.RISKS)}
        try:
            clock_services.set_targets(Actor.from_request(request), police_force, values)
        except clock_services.ReportInvalid as exc:
            errors = exc.errors
        else:
            messages.success(request, f"Clock targets of {police_force.name} saved. The figures use them from the next refresh.")
            return redirect("insights:clock-targets")
    return render(request, "insights/clock_targets_edit.html", {
        "force": police_force, "rows": _target_rows(clock_services.targets_for(police_force), values, errors),
        "errors": [{"href": f"#{name}", "text": text} for name, text in errors.items()],
    }, status=400 if errors else 200)
