"""Sharing pages: export an incident, a course of conduct or a campaign; import a partner's bundle."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from ballotguard.accounts.services import Actor
from ballotguard.incidents.models import Incident
from ballotguard.incidents.services.scope import incidents_visible_to
from ballotguard.monitoring.models import Campaign
from ballotguard.monitoring.services.campaigns import campaigns_visible_to
from ballotguard.registry.services import NotPermitted

from . import services
from .forms import CampaignExportForm, ImportForm, IncidentExportForm
from .models import PartnerImport


def _download(export: services.Export) -> HttpResponse:
    response = HttpResponse(export.body, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _apply_errors(form, exc: services.SharingInvalid) -> None:
    for name, message in exc.errors.items():
        form.add_error(name if name in form.fields else None, message)


@require_http_methods(["GET", "POST"])
@login_required
def export_incident(request, reference: str):
    if not services.can_export_incidents(request.user):
        raise PermissionDenied
    try:
        incident = incidents_visible_to(request.user).get(reference=reference)
    except Incident.DoesNotExist:
        raise Http404("No such incident") from None
    form = IncidentExportForm(request.POST or None, initial={"scope": "incident"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            return _download(services.export_incident(Actor.from_request(request), reference, scope=data["scope"], fmt=data["format"],
                                                      tlp=data["tlp"], identified=data["identified"]))
        except services.SharingInvalid as exc:
            _apply_errors(form, exc)
    return render(request, "sharing/export.html", {"form": form, "incident": incident},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@login_required
def export_campaign(request, pk: int):
    if not services.can_export_campaigns(request.user):
        raise PermissionDenied
    try:
        campaign = campaigns_visible_to(request.user).get(pk=pk)
    except Campaign.DoesNotExist:
        raise Http404("No such campaign") from None
    form = CampaignExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            return _download(services.export_campaign(Actor.from_request(request), pk, fmt=form.cleaned_data["format"], tlp=form.cleaned_data["tlp"]))
        except services.SharingInvalid as exc:
            _apply_errors(form, exc)
    return render(request, "sharing/export.html", {"form": form, "campaign": campaign}, status=400 if form.errors else 200)


@require_GET
@login_required
def imports(request):
    if not services.can_import(request.user):
        raise PermissionDenied
    return render(request, "sharing/imports.html", {"imports": services.imports_visible_to(request.user)[:100]})


@require_http_methods(["GET", "POST"])
@login_required
def import_new(request):
    if not services.can_import(request.user):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["bundle"]
        limit = services.MAX_BYTES
        data = upload.read(limit + 1)
        try:
            record = services.import_bundle(Actor.from_request(request), data, form.cleaned_data["partner"])
        except services.SharingInvalid as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Bundle imported: {record.matched_incidents} of your incidents matched, {record.links_made} new links.")
            return redirect("sharing:import-detail", pk=record.pk)
    return render(request, "sharing/import.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
@login_required
def import_detail(request, pk: int):
    try:
        record = services.get_import(request.user, pk)
    except NotPermitted:
        raise PermissionDenied from None
    except PartnerImport.DoesNotExist:
        raise Http404("No such import") from None
    return render(request, "sharing/import_detail.html", {"record": record, "matches": services.matches_visible_to(request.user, record)})
