"""Sharing with partners in the JSON API: exports answer the STIX bundle or MISP event itself (the file
the page downloads); imports take the bundle as a multipart upload and answer what matched.

Scope is the pages': an incident or campaign outside the caller's scope is 404, a role that may never
share is 403, bad choices are 422 naming the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpResponse
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from ballotguard.accounts.api import actor_of, restricted_to
from ballotguard.accounts.models import Role
from ballotguard.core.api_schemas import FieldErrorsOut, MessageOut
from ballotguard.engines.incidents.sharing import MAX_BYTES, Tlp

from . import services
from .models import PartnerImport

router = Router(tags=["sharing"])


class IncidentExportIn(Schema):
    format: Literal["stix", "misp"] = Field(description="stix: a STIX 2.1 bundle; misp: a MISP event.")
    tlp: Tlp = Field(description="TLP 2.0 marking carried by every object: clear, green, amber, amber+strict or red.")
    scope: Literal["incident", "conduct"] = Field("incident", description="conduct: the whole course of conduct.")
    identified: bool = Field(False, description="Values instead of pseudonyms: only for your own force's incidents.")


class CampaignExportIn(Schema):
    format: Literal["stix", "misp"]
    tlp: Tlp


class MatchOut(Schema):
    reference: str
    kind: str
    group: str


class ImportOut(Schema):
    id: int
    partner: str
    producer: str
    bundle_id: str
    sha256: str
    tlp: str
    observables: int
    groups: int
    matched_incidents: int
    links_made: int
    skipped: dict[str, int]
    warnings: list[str]
    created_at: dt.datetime
    matches: list[MatchOut] = []


def _errors(exc: services.SharingInvalid) -> dict:
    return {"detail": [{"field": f, "message": m, "loc": ["body", f]} for f, m in exc.errors.items()]}


def _file(export: services.Export) -> HttpResponse:
    response = HttpResponse(export.body, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store"
    return response


_EXPORT_RESPONSES = {200: dict, 422: FieldErrorsOut}


@router.post("/incidents/{reference}/share", auth=restricted_to(Role.FEOA), response=_EXPORT_RESPONSES,
             summary="Share an incident or its course of conduct (STIX 2.1 or MISP)")
def share_incident(request, reference: str, payload: IncidentExportIn):
    """The body of the answer is the bundle or event itself. Pseudonymised unless ``identified`` is
    true, which only a FEOA of the incident's own force may ask for. Audited."""
    try:
        return _file(services.export_incident(actor_of(request), reference, scope=payload.scope, fmt=payload.format,
                                              tlp=payload.tlp.value, identified=payload.identified))
    except services.SharingInvalid as exc:
        return Status(422, _errors(exc))


@router.post("/campaigns/{pk}/share", auth=restricted_to(Role.FEOA, Role.ANALYST), response=_EXPORT_RESPONSES,
             summary="Share a coordinated campaign, pseudonymised (STIX 2.1 or MISP)")
def share_campaign(request, pk: int, payload: CampaignExportIn):
    try:
        return _file(services.export_campaign(actor_of(request), pk, fmt=payload.format, tlp=payload.tlp.value))
    except services.SharingInvalid as exc:
        return Status(422, _errors(exc))


def _out(user, record: PartnerImport, *, matches: bool) -> dict:
    out = {f: getattr(record, f) for f in ("id", "partner", "producer", "bundle_id", "sha256", "tlp", "observables", "groups",
                                            "matched_incidents", "links_made", "skipped", "warnings", "created_at")}
    if matches:
        out["matches"] = [{"reference": m.incident.reference, "kind": m.kind, "group": m.group} for m in services.matches_visible_to(user, record)]
    return out


@router.get("/sharing/imports", auth=restricted_to(Role.FEOA), response=list[ImportOut], summary="Partners' bundles imported for your force")
def list_imports(request):
    return [_out(request.user, r, matches=False) for r in services.imports_visible_to(request.user)[:100]]


@router.get("/sharing/imports/{pk}", auth=restricted_to(Role.FEOA), response=ImportOut, summary="One partner import, with the incidents it matched")
def get_import(request, pk: int):
    return _out(request.user, services.get_import(request.user, pk), matches=True)


@router.post("/sharing/imports", auth=restricted_to(Role.FEOA), response={201: ImportOut, 413: MessageOut, 422: FieldErrorsOut},
             summary="Import a partner's STIX 2.1 bundle and match it against your force's incidents")
def import_bundle(request, bundle: UploadedFile = File(..., description="STIX 2.1 bundle (JSON), at most 5 MB."),
                  partner: str = Form(..., description="Who sent it.")):
    if bundle.size is not None and bundle.size > MAX_BYTES:
        return Status(413, {"detail": f"The file is {bundle.size:,} bytes: a bundle must be {MAX_BYTES:,} bytes or smaller"})
    try:
        record = services.import_bundle(actor_of(request), bundle.read(MAX_BYTES + 1), partner)
    except services.SharingInvalid as exc:
        return Status(422, _errors(exc))
    return Status(201, _out(request.user, record, matches=True))
