"""Incidents in the JSON API: report (with idempotency keys), evidence, the FEOA workflow, links, packs.

Scope mirrors the pages (``services.incidents_visible_to``): an incident outside the caller's scope
is 404, an action the caller's role may never take is 403. ``POST /incidents`` takes an
``Idempotency-Key`` header: a retry with the same key and the same body answers 200 with the
incident the first call made (never a second one); the same key with a different body is 409.
"""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpResponse
from ninja import Field, File, Header, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import field_validator

from ballotguard.accounts.api import actor_of, restricted_to
from ballotguard.accounts.models import Role
from ballotguard.core.throttling import report_throttles
from ballotguard.core.api_schemas import MAX_OFFSET, FieldErrorsOut, MessageOut
from ballotguard.core.sorting import SortOrder
from ballotguard.engines.incidents.checklists import MAX_GUIDANCE, MAX_REASON, MAX_TASKS, MAX_TITLE, TaskInput, TaskState
from ballotguard.engines.incidents.evidence_types import EvidenceRejected
from ballotguard.engines.incidents.facts import Behaviour, IssueTag, Place, ProtectedCharacteristic
from ballotguard.engines.incidents.observables import ObservableKind
from ballotguard.engines.incidents.offences import DISCLAIMER
from ballotguard.engines.incidents.risk import RiskLevel
from ballotguard.engines.incidents.routing import route

from . import downloads, services
from ballotguard.core.uploads import too_large_message
from .models import Evidence, Incident, ObservableWarning
from .services import warnings as warnings_service

QueueSortKey = services.QUEUE_SORT.Key

router = Router(tags=["incidents"])

REPORTERS = (Role.CANDIDATE, Role.STAFF)
READERS = (Role.CANDIDATE, Role.STAFF, Role.FEOA)


# ---------------------------------------------------------------------------------------------------
# Schemas


class ObservableIn(Schema):
    kind: ObservableKind
    value: str = Field(max_length=500)

    @field_validator("value")
    @classmethod
    def one_value(cls, value: str) -> str:
        # The services read observables one per line: a line break would smuggle in a second value.
        if len(value.splitlines()) > 1:
            raise ValueError("Give one value per item: it must not contain a line break")
        return value


class ReportIn(Schema):
    candidate_id: int
    occurred_at: dt.datetime = Field(description="When it happened, ISO 8601 with a time zone offset.")
    place: Place
    area_code: str = Field("", max_length=150, description="GSS code or exact name of the constituency, council or ward where it happened; default the candidate's own.")
    platform: str = Field("", max_length=50)
    behaviours: list[Behaviour] = Field(min_length=1, max_length=20)
    characteristics: list[ProtectedCharacteristic] = Field([], max_length=10)
    issue_tags: list[IssueTag] = Field([], max_length=10, description="The political issue it seemed to be about, if any.")
    in_danger_now: bool = False
    weapon_mentioned: bool = False
    home_address_known: bool = False
    perpetrator_known: bool = False
    description: str = Field(max_length=services.MAX_DESCRIPTION)
    perpetrator: str = Field("", max_length=services.MAX_PERPETRATOR)
    observables: list[ObservableIn] = Field([], max_length=100)


class RouteOut(Schema):
    route: str
    title: str
    why: str
    how: str
    urgent: bool


class OffenceOut(Schema):
    code: str
    act: str
    section: str
    title: str
    kind: str
    why: str
    evidence: list[str]
    max_penalty: str


class RiskFactorOut(Schema):
    code: str
    points: int
    why: str


class ObservableOut(Schema):
    kind: str
    value: str
    display: str
    warned: bool = Field(False, description="On the observables warning list (FEOAs only): it links no incidents by itself.")


class EvidenceOut(Schema):
    id: int
    filename: str
    kind: str
    mime: str
    size: int
    sha256: str
    uploaded_at: dt.datetime
    uploaded_by: str


class LinkOut(Schema):
    reference: str
    shared: list[str]
    forces: list[str]
    visible: bool
    access_request: str = Field(description="'', 'pending', 'granted' or 'refused' (FEOAs of other forces).")


class EventOut(Schema):
    at: dt.datetime
    actor: str
    kind: str
    text: str


class ChecklistProgressOut(Schema):
    total: int
    done: int
    not_applicable: int
    overdue: int
    summary: str = Field(description="Like '3 of 7 done, 1 overdue'; not applicable tasks count as done.")


class IncidentSummaryOut(Schema):
    reference: str
    status: str
    candidate_id: int
    candidate: str
    occurred_at: dt.datetime | None
    submitted_at: dt.datetime | None
    risk_level: str
    triage_due_at: dt.datetime | None
    triage_overdue: bool
    assigned_to: str | None
    crime_reference: str
    checklist: ChecklistProgressOut | None = Field(None, description="The checklist's progress (FEOAs of the incident's force only).")


class IncidentOut(IncidentSummaryOut):
    place: str
    area_code: str | None
    platform: str
    behaviours: list[str]
    characteristics: list[str]
    issue_tags: list[str]
    in_danger_now: bool
    weapon_mentioned: bool
    home_address_known: bool
    perpetrator_known: bool
    description: str
    perpetrator: str
    observables: list[ObservableOut]
    forces: list[str]
    risk_score: int
    risk_factors: list[RiskFactorOut]
    risk_override_reason: str
    routes: list[RouteOut]
    offences: list[OffenceOut]
    occasions: int
    guidance_disclaimer: str
    evidence: list[EvidenceOut]
    links: list[LinkOut]
    timeline: list[EventOut]


class ReportReceiptOut(Schema):
    """What a reporter needs at once; ``GET`` the ``url`` for the whole incident."""

    reference: str
    status: str
    submitted_at: dt.datetime | None
    risk_level: str
    triage_due_at: dt.datetime | None
    routes: list[RouteOut] = Field(description="Where to report it, 999 first. Sending a report here does not report a crime.")
    url: str


class IncidentPage(Schema):
    count: int
    items: list[IncidentSummaryOut]
    next_offset: int | None


class StatusIn(Schema):
    status: Incident.Status
    crime_reference: str = Field("", max_length=40)
    advice: str = Field("", max_length=services.MAX_NOTE)
    reason: str = Field("", max_length=300)


class RiskIn(Schema):
    level: RiskLevel | None = Field(None, description="null removes the override and uses the calculated score.")
    reason: str = Field(max_length=1000)


class AssignIn(Schema):
    user_id: int | None


class NoteIn(Schema):
    text: str = Field(max_length=services.MAX_NOTE)


class AccessRequestIn(Schema):
    reason: str = Field(max_length=1000)


class AccessRequestOut(Schema):
    id: int
    incident: str
    requested_by: str
    reason: str
    status: str
    created_at: dt.datetime


class DecisionIn(Schema):
    grant: bool


# ---------------------------------------------------------------------------------------------------
# Helpers


def _summary(i: Incident, user) -> dict:
    adviser = user.role == Role.FEOA  # assignment and overrides are the FEOAs' own business
    return {
        "reference": i.reference, "status": i.status, "candidate_id": i.candidate_id, "candidate": i.candidate.name,
        "occurred_at": i.occurred_at, "submitted_at": i.submitted_at, "risk_level": i.effective_risk,
        "triage_due_at": i.triage_due_at, "triage_overdue": i.triage_overdue,
        "assigned_to": str(i.assigned_to) if i.assigned_to_id and adviser else None, "crime_reference": i.crime_reference,
    }


def _detail(request, i: Incident) -> dict:
    user = request.user
    services.read_incident(actor_of(request), i)
    guidance = services.guidance_for(i, user)
    warned = warnings_service.warned_observable_ids(i) if user.role == Role.FEOA else set()
    return {
        **_summary(i, user),
        "place": i.place, "area_code": i.area.code if i.area else None, "platform": i.platform,
        "behaviours": i.behaviours, "characteristics": i.characteristics, "issue_tags": i.issue_tags,
        "in_danger_now": i.in_danger_now, "weapon_mentioned": i.weapon_mentioned,
        "home_address_known": i.home_address_known, "perpetrator_known": i.perpetrator_known,
        "description": i.description, "perpetrator": i.perpetrator,
        "observables": [{"kind": o.kind, "value": o.value, "display": o.display, "warned": o.pk in warned} for o in i.observables.all()],
        "forces": [f.name for f in i.forces.all()],
        "risk_score": guidance.risk.score,
        "risk_factors": [{"code": f.code, "points": f.points, "why": f.why} for f in guidance.risk.factors],
        "risk_override_reason": i.risk_override_reason if user.role == Role.FEOA else "",
        "routes": [{"route": r.route.value, "title": r.title, "why": r.why, "how": r.how, "urgent": r.urgent} for r in guidance.routes],
        "offences": [
            {"code": o.code, "act": o.act, "section": o.section, "title": o.title, "kind": o.kind.value, "why": o.why,
             "evidence": list(o.evidence), "max_penalty": o.max_penalty}
            for o in guidance.offences
        ],
        "occasions": guidance.occasions,
        "guidance_disclaimer": DISCLAIMER,
        "evidence": [_evidence(e) for e in i.evidence.select_related("uploaded_by")],
        "links": [
            {"reference": link.reference, "shared": link.kinds, "forces": link.forces, "visible": link.visible, "access_request": link.request_status}
            for link in services.linked_incidents(user, i)
        ],
        "timeline": [{"at": e.at, "actor": e.actor_name, "kind": e.kind, "text": e.text} for e in services.timeline(user, i)],
        "checklist": _progress_out(services.progress_of(i.tasks.all())) if services.can_act_as_adviser(user, i) else None,
    }


def _progress_out(p) -> dict | None:
    if p is None:
        return None
    return {"total": p.total, "done": p.done, "not_applicable": p.not_applicable, "overdue": p.overdue, "summary": p.summary}


def _evidence(e: Evidence) -> dict:
    return {"id": e.pk, "filename": e.original_name, "kind": e.kind, "mime": e.mime, "size": e.size, "sha256": e.sha256,
            "uploaded_at": e.uploaded_at, "uploaded_by": str(e.uploaded_by)}


def _errors(exc: services.ReportInvalid) -> dict:
    return {"detail": [{"field": f, "message": m, "loc": ["body", *f.split(".")]} for f, m in exc.errors.items()]}


def _input(payload: ReportIn) -> services.ReportInput:
    observables: dict[str, list[str]] = {}
    for item in payload.observables:
        observables.setdefault(item.kind.value, []).append(item.value)
    return services.ReportInput(
        candidate_id=payload.candidate_id, occurred_at=payload.occurred_at, place=payload.place.value,
        area_code=payload.area_code.strip(), platform=payload.platform,
        behaviours=[b.value for b in payload.behaviours], characteristics=[c.value for c in payload.characteristics],
        issue_tags=[t.value for t in payload.issue_tags],
        in_danger_now=payload.in_danger_now, weapon_mentioned=payload.weapon_mentioned,
        home_address_known=payload.home_address_known, perpetrator_known=payload.perpetrator_known,
        description=payload.description, perpetrator=payload.perpetrator,
        observables={k: "\n".join(v) for k, v in observables.items()},
    )


# ---------------------------------------------------------------------------------------------------
# Reporting


@router.post(
    "/incidents", auth=restricted_to(*REPORTERS), throttle=report_throttles(),
    response={200: ReportReceiptOut, 201: ReportReceiptOut, 409: MessageOut, 422: FieldErrorsOut},
    summary="Report an incident (candidates and their staff)",
)
def report(
    request, response: HttpResponse, payload: ReportIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=100),
):
    """Create and send a report. In immediate danger, call 999: this does not report a crime.

    Send an ``Idempotency-Key`` (any unique string, e.g. a UUID) so that a retry after a timeout
    returns the incident already made (200) instead of making a second one (201)."""
    if payload.occurred_at.tzinfo is None:
        return Status(422, {"detail": [{"field": "occurred_at", "message": "Give a time zone offset, like 2025-04-30T21:30:00+01:00", "loc": ["body", "occurred_at"]}]})
    try:
        incident, created = services.report(actor_of(request), _input(payload), idempotency_key or None)
    except services.ReportInvalid as exc:
        return Status(422, _errors(exc))
    except services.IdempotencyConflict as exc:
        return Status(409, {"detail": str(exc)})
    url = f"/api/v1/incidents/{incident.reference}"
    # A receipt, not the whole incident: the answer comes back while the candidate may still be in
    # danger, so it carries where to report, and the rest is one GET away.
    routes = route(services.facts_for(incident, request.user))
    receipt = {
        "reference": incident.reference, "status": incident.status, "submitted_at": incident.submitted_at,
        "risk_level": incident.effective_risk, "triage_due_at": incident.triage_due_at, "url": url,
        "routes": [{"route": r.route.value, "title": r.title, "why": r.why, "how": r.how, "urgent": r.urgent} for r in routes],
    }
    response["Location"] = url
    return Status(201 if created else 200, receipt)


@router.get("/incidents", response=IncidentPage, auth=restricted_to(*READERS), summary="Your reports, or your force's case queue (FEOAs)")
def list_incidents(
    request,
    status: str = Query("", max_length=20, description="A status, or 'open' (FEOAs)."),
    risk: RiskLevel | None = Query(None),
    assigned: str = Query("", pattern="^(|me|nobody)$"),
    overdue: bool = Query(False),
    sort: QueueSortKey | None = Query(None, description="Column to sort by (the case queue's sortable columns); the queue's own order breaks ties."),
    order: SortOrder | None = Query(None, description="asc or desc; each column has its own first order (risk: desc)."),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    user = request.user
    if user.role == Role.FEOA:
        sorting = services.QUEUE_SORT.for_api(sort, order)
        qs = services.queue(user, services.QueueFilter(status=status, risk=risk.value if risk else "", assigned=assigned, overdue=overdue))
    else:
        # Assignment is the advisers' own business (see _summary), so nobody else sorts by it.
        sorting = services.QUEUE_SORT.for_api(sort, order, refused={"assigned": "Only advisers can sort by who a case is assigned to"})
        qs = services.my_incidents(user)
        if status:
            qs = qs.filter(status=status)
    qs = sorting.apply(qs)
    count = qs.count()
    page = list(qs[offset:offset + limit])
    items = [_summary(i, user) for i in page]
    if user.role == Role.FEOA:  # the queue holds only the force's incidents: each one's checklist progress, one query
        progress = services.progress_for(i.pk for i in page)
        for item, i in zip(items, page):
            item["checklist"] = _progress_out(progress.get(i.pk))
    return {"count": count, "items": items, "next_offset": offset + limit if offset + limit < count else None}


@router.get("/incidents/{reference}", response=IncidentOut, auth=restricted_to(*READERS), summary="One incident with its guidance, evidence, links and timeline")
def get_incident(request, reference: str):
    return _detail(request, services.get_incident(request.user, reference))


# ---------------------------------------------------------------------------------------------------
# Evidence


@router.post(
    "/incidents/{reference}/evidence", auth=restricted_to(*READERS),
    response={201: EvidenceOut, 413: MessageOut, 422: FieldErrorsOut}, summary="Upload a file of evidence",
)
def upload_evidence(request, reference: str, file: File[UploadedFile] = None):
    """The type is decided from the file's content, not its name; the SHA-256 is taken on arrival."""
    incident = services.get_incident(request.user, reference)
    if getattr(request, "upload_too_large", ""):
        return Status(413, {"detail": too_large_message()})
    if file is None:
        return Status(422, {"detail": [{"field": "file", "message": "Attach a file", "loc": ["file"]}]})
    try:
        evidence = services.add_evidence(actor_of(request), incident, file.name or "", file.chunks(), file.size)
    except EvidenceRejected as exc:
        return Status(422, {"detail": [{"field": "file", "message": exc.message, "loc": ["file"]}]})
    return Status(201, _evidence(evidence))


@router.get("/incidents/{reference}/evidence/{evidence_id}", auth=restricted_to(*READERS), summary="Download a file of evidence (recorded)")
def download_evidence(request, reference: str, evidence_id: int):
    incident = services.get_incident(request.user, reference)
    return downloads.evidence_response(actor_of(request), incident, services.evidence_of(incident, evidence_id))


@router.get("/incidents/{reference}/pack", auth=restricted_to(*READERS), summary="Evidence pack: ZIP with a PDF and the files")
def evidence_pack(request, reference: str, conduct: bool = Query(False, description="The whole course of conduct, not just this incident.")):
    incident = services.get_incident(request.user, reference)
    incidents = services.profile(request.user, incident)[0] if conduct else [incident]
    return downloads.pack_response(actor_of(request), incidents)


# ---------------------------------------------------------------------------------------------------
# The FEOA's workflow


def _workflow(request, reference: str, action):
    incident = services.get_incident(request.user, reference)
    try:
        action(incident)
    except services.ReportInvalid as exc:
        return Status(422, _errors(exc))
    return Status(200, _detail(request, services.get_incident(request.user, reference)))


_WORKFLOW_RESPONSES = {200: IncidentOut, 422: FieldErrorsOut}


@router.post("/incidents/{reference}/status", response=_WORKFLOW_RESPONSES, auth=restricted_to(Role.FEOA), summary="Change status (referral needs the crime reference)")
def change_status(request, reference: str, payload: StatusIn):
    return _workflow(request, reference, lambda i: services.change_status(
        actor_of(request), i, payload.status.value, crime_reference=payload.crime_reference, advice=payload.advice, reason=payload.reason,
    ))


@router.post("/incidents/{reference}/risk", response=_WORKFLOW_RESPONSES, auth=restricted_to(Role.FEOA), summary="Override the risk level, with a reason")
def override_risk(request, reference: str, payload: RiskIn):
    return _workflow(request, reference, lambda i: services.override_risk(actor_of(request), i, payload.level.value if payload.level else "", payload.reason))


@router.post("/incidents/{reference}/assign", response=_WORKFLOW_RESPONSES, auth=restricted_to(Role.FEOA), summary="Assign to a FEOA of the force")
def assign(request, reference: str, payload: AssignIn):
    return _workflow(request, reference, lambda i: services.assign(actor_of(request), i, payload.user_id))


@router.post("/incidents/{reference}/notes", response=_WORKFLOW_RESPONSES, auth=restricted_to(Role.FEOA), summary="Add a note (FEOAs only see notes)")
def add_note(request, reference: str, payload: NoteIn):
    return _workflow(request, reference, lambda i: services.add_note(actor_of(request), i, payload.text))


# ---------------------------------------------------------------------------------------------------
# Access to linked incidents in other forces


def _request_out(r) -> dict:
    return {"id": r.pk, "incident": r.incident.reference, "requested_by": str(r.requested_by), "reason": r.reason, "status": r.status, "created_at": r.created_at}


@router.post(
    "/incidents/{reference}/access-requests", response={201: AccessRequestOut, 422: FieldErrorsOut},
    auth=restricted_to(Role.FEOA), summary="Ask another force for access to a linked incident",
)
def request_access(request, reference: str, payload: AccessRequestIn):
    try:
        access = services.request_access(actor_of(request), reference, payload.reason)
    except services.ReportInvalid as exc:
        return Status(422, _errors(exc))
    return Status(201, _request_out(access))


@router.get("/access-requests", response=list[AccessRequestOut], auth=restricted_to(Role.FEOA), summary="Access requests waiting for your decision")
def pending_requests(request):
    return [_request_out(r) for r in services.pending_requests_for(request.user)]


@router.post("/access-requests/{request_id}/decision", response=AccessRequestOut, auth=restricted_to(Role.FEOA), summary="Grant or refuse an access request")
def decide(request, request_id: int, payload: DecisionIn):
    return _request_out(services.decide_access(actor_of(request), request_id, payload.grant))


# ---------------------------------------------------------------------------------------------------
# The observables warning list


class WarningOut(Schema):
    id: int
    kind: ObservableKind
    value: str
    display: str
    reason: str
    source: str
    added_at: dt.datetime
    retired_at: dt.datetime | None
    retired_reason: str


class WarningIn(Schema):
    kind: ObservableKind
    value: str = Field(max_length=2048)
    reason: str = Field(max_length=300)


class RetireWarningIn(Schema):
    reason: str = Field(max_length=300)


class WarningAddedOut(Schema):
    warning: WarningOut
    links_removed: int


def _warning_out(w: ObservableWarning) -> dict:
    return {"id": w.pk, "kind": w.kind, "value": w.value, "display": w.display, "reason": w.reason, "source": w.source,
            "added_at": w.added_at, "retired_at": w.retired_at, "retired_reason": w.retired_reason}


def _warning_error(err: warnings_service.WarningListError) -> dict:
    return {"detail": [{"field": err.field, "message": err.message, "loc": ["body", err.field]}]}


@router.get(
    "/observable-warnings", response=list[WarningOut], auth=restricted_to(Role.ADMIN, Role.FEOA, Role.ANALYST),
    summary="Values that never link incidents by themselves (candidates' own handles are on it too, not listed)",
)
def list_warnings(request, retired: bool = Query(False, description="Entries taken off the list instead of those on it.")):
    qs = ObservableWarning.objects.filter(retired_at__isnull=not retired)
    return [_warning_out(w) for w in qs]


@router.post(
    "/observable-warnings", response={201: WarningAddedOut, 422: FieldErrorsOut}, auth=restricted_to(Role.ADMIN),
    summary="Put a public value on the warning list (removes the links it alone made)",
)
def add_warning(request, payload: WarningIn):
    try:
        warning, removed = warnings_service.add_warning(actor_of(request), payload.kind.value, payload.value, payload.reason)
    except warnings_service.WarningListError as err:
        return Status(422, _warning_error(err))
    return Status(201, {"warning": _warning_out(warning), "links_removed": removed})


@router.post(
    "/observable-warnings/{warning_id}/retire", response={200: WarningOut, 404: MessageOut, 422: FieldErrorsOut}, auth=restricted_to(Role.ADMIN),
    summary="Take a value off the warning list (incidents naming it are matched again)",
)
def retire_warning(request, warning_id: int, payload: RetireWarningIn):
    try:
        warning = warnings_service.retire_warning(actor_of(request), warning_id, payload.reason)
    except warnings_service.WarningListError as err:
        return Status(422, _warning_error(err))
    except ObservableWarning.DoesNotExist:
        return Status(404, {"detail": "No such entry on the warning list"})
    return Status(200, _warning_out(warning))


# Checklists: an incident's tasks (its force's FEOAs) and the templates (administrators edit, FEOAs read)


class TaskOut(Schema):
    id: int
    key: str
    title: str
    guidance: str
    behaviours: list[str] = Field(description="The behaviours whose checklists asked for this task.")
    due_at: dt.datetime
    overdue: bool
    owner_id: int | None
    owner: str | None
    state: TaskState
    reason: str = Field(description="Why it does not apply (state not_applicable).")
    completed_by: str | None
    completed_at: dt.datetime | None
    template_version: int | None = Field(description="The version of the checklist the task came from.")


class ChecklistOut(Schema):
    reference: str
    total: int
    done: int
    not_applicable: int
    overdue: int
    summary: str = Field(description="Like '3 of 7 done, 1 overdue'; not applicable tasks count as done.")
    tasks: list[TaskOut]


class TaskUpdateIn(Schema):
    """Only the fields sent change. ``owner_id: null`` leaves the task with no owner."""

    state: TaskState | None = Field(None, description="open, done, or not_applicable (needs a reason).")
    reason: str = Field("", max_length=MAX_REASON)
    owner_id: int | None = Field(None, description="A FEOA of the incident's force, or null for nobody.")
    due_at: dt.datetime | None = Field(None, description="ISO 8601 with a time zone offset.")


class TemplateTaskOut(Schema):
    key: str
    title: str
    guidance: str
    due_hours: int
    due_hours_high: int | None


class TemplateOut(Schema):
    behaviour: Behaviour
    label: str
    version: int
    latest_version: int
    note: str
    created_at: dt.datetime
    created_by: str | None
    tasks: list[TemplateTaskOut]


class TemplateTaskIn(Schema):
    title: str = Field(max_length=MAX_TITLE)
    key: str = Field("", max_length=50, description="Made from the title when left out. The same key in two checklists is one task.")
    guidance: str = Field("", max_length=MAX_GUIDANCE)
    due_hours: int = Field(description="Hours after the report was sent.")
    due_hours_high: int | None = Field(None, description="Hours after the report was sent, for a high-risk incident.")


class TemplateIn(Schema):
    tasks: list[TemplateTaskIn] = Field(max_length=MAX_TASKS)
    note: str = Field("", max_length=300, description="What changed, and why.")


def _task_out(t) -> dict:
    return {
        "id": t.pk, "key": t.key, "title": t.title, "guidance": t.guidance, "behaviours": t.behaviours, "due_at": t.due_at,
        "overdue": t.overdue, "owner_id": t.owner_id, "owner": str(t.owner) if t.owner_id else None, "state": t.state, "reason": t.reason,
        "completed_by": str(t.completed_by) if t.completed_by_id else None, "completed_at": t.completed_at,
        "template_version": t.template_version,
    }


def _checklist_out(user, incident: Incident) -> dict:
    tasks = list(services.tasks_of(user, incident))
    p = services.progress_of(tasks)
    return {"reference": incident.reference, "total": p.total, "done": p.done, "not_applicable": p.not_applicable, "overdue": p.overdue,
            "summary": p.summary, "tasks": [_task_out(t) for t in tasks]}


def _template_out(template, latest: int) -> dict:
    return {
        "behaviour": template.behaviour, "label": template.behaviour_label, "version": template.version, "latest_version": latest,
        "note": template.note, "created_at": template.created_at, "created_by": str(template.created_by) if template.created_by_id else None,
        "tasks": [{"key": t.key, "title": t.title, "guidance": t.guidance, "due_hours": t.due_hours, "due_hours_high": t.due_hours_high}
                  for t in template.task_list],
    }


def _behaviour_of(value: str) -> Behaviour:
    try:
        return Behaviour(value)
    except ValueError:
        raise Http404("No such kind of incident") from None


@router.get("/incidents/{reference}/tasks", response=ChecklistOut, auth=restricted_to(Role.FEOA),
            summary="The incident's checklist (FEOAs of its force)")
def list_tasks(request, reference: str):
    incident = services.get_incident(request.user, reference)
    checklist = _checklist_out(request.user, incident)
    services.read_checklist(actor_of(request), incident)
    return checklist


@router.patch("/incidents/{reference}/tasks/{task_id}", response={200: ChecklistOut, 422: FieldErrorsOut}, auth=restricted_to(Role.FEOA),
              summary="Change a task: done, not applicable (with a reason), to do; owner; due time")
def update_task(request, reference: str, task_id: int, payload: TaskUpdateIn):
    incident = services.get_incident(request.user, reference)
    services.task_of(request.user, incident, task_id)  # 403 outside the force, 404 for another incident's task
    given = payload.model_fields_set
    if "due_at" in given and payload.due_at is not None and payload.due_at.tzinfo is None:
        return Status(422, {"detail": [{"field": "due_at", "message": "Give a time zone offset, like 2026-05-01T17:00:00+01:00", "loc": ["body", "due_at"]}]})
    try:
        services.update_task(
            actor_of(request), incident, task_id,
            state=payload.state.value if payload.state is not None else (services.UNCHANGED if "state" not in given else ""),
            reason=payload.reason,
            owner_id=payload.owner_id if "owner_id" in given else services.UNCHANGED,
            due_at=payload.due_at if "due_at" in given else services.UNCHANGED,
        )
    except services.ReportInvalid as exc:
        return Status(422, _errors(exc))
    return Status(200, _checklist_out(request.user, incident))


@router.get("/checklist-templates", response=list[TemplateOut], auth=restricted_to(Role.ADMIN, Role.FEOA),
            summary="The current checklist of each behaviour")
def list_templates(request):
    return [_template_out(t, t.version) for t in services.current_templates().values()]


@router.get("/checklist-templates/{behaviour}", response=TemplateOut, auth=restricted_to(Role.ADMIN, Role.FEOA),
            summary="One behaviour's checklist: the current version, or an earlier one")
def get_template(request, behaviour: str, version: int | None = Query(None, ge=1)):
    kind = _behaviour_of(behaviour)
    latest = services.current_templates([kind])[kind].version
    return _template_out(services.template_version(kind, version or latest), latest)


@router.post("/checklist-templates/{behaviour}/versions", response={201: TemplateOut, 422: FieldErrorsOut}, auth=restricted_to(Role.ADMIN),
             summary="Change a behaviour's checklist: saves the next version (administrators)")
def save_template(request, behaviour: str, payload: TemplateIn):
    """Incidents already sent keep the tasks they were given; incidents sent from now on get this version."""
    kind = _behaviour_of(behaviour)
    items = [TaskInput(title=t.title, key=t.key, guidance=t.guidance, due_hours=t.due_hours,
                       due_hours_high=t.due_hours_high if t.due_hours_high is not None else "") for t in payload.tasks]
    try:
        template = services.save_template(actor_of(request), kind, items, payload.note)
    except services.ReportInvalid as exc:
        return Status(422, _errors(exc))
    return Status(201, _template_out(template, template.version))
