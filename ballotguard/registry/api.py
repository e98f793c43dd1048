"""The registry in the JSON API: candidates, ballots, police forces, hand-over and imports.

Scope mirrors the pages: a record outside the caller's scope is 404 (``get_candidate`` raises
``Candidate.DoesNotExist``), an endpoint the caller's role may never use is 403 (``NotPermitted``).
Lists carry public fields only; a candidate's contact details appear only on the single-candidate
endpoint, through ``read_contact_details``, which audits the read.
"""

import datetime as dt
from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.files import UploadedFile

from ballotguard.accounts.api import actor_of, restricted_to
from ballotguard.accounts.models import Role
from ballotguard.core.api_schemas import MAX_OFFSET, FieldErrorsOut, MessageOut
from ballotguard.core.sorting import SortOrder
from ballotguard.engines.candidates.contact import ContactDetails, validate_contact
from ballotguard.engines.candidates.operations import Operation

from . import services
from .models import Candidate, PoliceForce

router = Router(tags=["registry"])

CandidateSortKey = services.CANDIDATE_SORT.Key


# ---------------------------------------------------------------------------------------------------
# Schemas


class AreaRef(Schema):
    code: str
    name: str


class PartyRef(Schema):
    party_id: str
    name: str


class ForceOut(Schema):
    code: str
    name: str
    nation: str


class CandidateOut(Schema):
    id: int
    person_id: str
    name: str
    party: PartyRef | None
    ballot_paper_id: str
    area: AreaRef
    election_id: str
    operation: str
    gender: str
    handed_over: bool


class ContactOut(Schema):
    email: str
    phone: str
    address: str
    postcode: str


class CandidateDetailOut(CandidateOut):
    forces: list[ForceOut] = Field(description="Police forces covering the candidate's area, primary first.")
    consent_to_share: bool
    handed_over_at: dt.datetime | None
    contact: ContactOut | None = Field(
        None, description="Only for callers who may see contact details (the read is audited); otherwise null."
    )


class CandidatePage(Schema):
    count: int
    items: list[CandidateOut]
    next_offset: int | None


class BallotOut(Schema):
    ballot_paper_id: str
    election_id: str
    election_name: str
    operation: str
    date: dt.date
    post_label: str
    area: AreaRef
    council: AreaRef | None
    seats_contested: int
    cancelled: bool


class BallotPage(Schema):
    count: int
    items: list[BallotOut]
    next_offset: int | None


class HandoverItemIn(Schema):
    candidate_id: int | None = Field(None, description="Either this, or ballot_paper_id with person_id.")
    ballot_paper_id: str | None = Field(None, max_length=250)
    person_id: str | None = Field(None, max_length=40)
    email: str = Field("", max_length=320)
    phone: str = Field("", max_length=64)
    address: str = Field("", max_length=1000)
    postcode: str = Field("", max_length=16)
    consent: bool = Field(description="The candidate agreed to share these details with the police. Without it nothing is kept.")


class HandoverIn(Schema):
    items: list[HandoverItemIn] = Field(min_length=1, max_length=2000)


class HandoverResultItem(Schema):
    index: int
    candidate_id: int
    consent: bool


class HandoverOut(Schema):
    handed_over: int
    items: list[HandoverResultItem]


class ImportRejectedOut(Schema):
    line: int | None = None
    message: str
    column: str | None = None
    file: str = ""


class ImportReportOut(Schema):
    """What an import did, or in a dry run would do. Counts are per kind of record (``candidates``, ``ballots``...)."""

    kind: str
    dry_run: bool
    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    deleted: dict[str, int] = {}
    rejected: list[ImportRejectedOut]
    warnings: list[str]
    notes: list[str] = []
    totals: dict[str, int] = {}


# ---------------------------------------------------------------------------------------------------
# Helpers


def _area(area) -> dict | None:
    return {"code": area.code, "name": area.name} if area is not None else None


def candidate_public(c: Candidate) -> dict:
    ballot = c.ballot
    return {
        "id": c.pk,
        "person_id": c.person_id,
        "name": c.name,
        "party": {"party_id": c.party.party_id, "name": c.party.name} if c.party_id else None,
        "ballot_paper_id": ballot.ballot_paper_id,
        "area": _area(ballot.area),
        "election_id": ballot.election.election_id,
        "operation": ballot.election.operation,
        "gender": c.gender,
        "handed_over": c.handed_over,
    }


def _page(qs, limit: int, offset: int, convert=lambda x: x) -> dict:
    count = qs.count()
    items = [convert(x) for x in qs[offset:offset + limit]]
    return {"count": count, "items": items, "next_offset": offset + limit if offset + limit < count else None}


def _field_errors(errors: list[tuple[str, str, list]]) -> dict:
    return {"detail": [{"field": f, "message": m, "loc": loc} for f, m, loc in errors]}


def refuse_large_uploads(view):
    """Answer 413 before the body is read when Content-Length says it is over the import limit."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        limit = settings.BALLOTGUARD_MAX_IMPORT_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit + 64 * 1024:  # room for the multipart boundaries and form fields
            return JsonResponse({"detail": _too_large_message(limit)}, status=413)
        return view(request, *args, **kwargs)

    return wrapper


def _too_large_message(limit: int) -> str:
    return f"The upload is too large: the limit is {limit // (1024 * 1024)} MB per import (BALLOTGUARD_MAX_IMPORT_BYTES)."


def _read_upload(upload: UploadedFile) -> bytes:
    limit = settings.BALLOTGUARD_MAX_IMPORT_BYTES
    if upload.size is not None and upload.size > limit:
        raise _TooLarge()
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _TooLarge()
    return data


class _TooLarge(Exception):
    pass


def _import_response(run):
    """Run an import; map the importer's errors to JSON answers."""
    from ballotguard.registry.importers import ImportValidationError

    from ballotguard.registry.models import ImportJob

    try:
        report = run()
        if isinstance(report, ImportJob):
            return Status(202, _job_out(report))
    except _TooLarge:
        return Status(413, {"detail": _too_large_message(settings.BALLOTGUARD_MAX_IMPORT_BYTES)})
    except ImportValidationError as exc:
        return Status(422, {"detail": [{"field": "file", "message": m, "loc": ["file"]} for m in exc.messages]})
    return Status(200, report.to_dict())


# ---------------------------------------------------------------------------------------------------
# Reading


@router.get("/candidates", response=CandidatePage, auth=restricted_to(Role.FEOA, Role.RETURNING_OFFICER, Role.ADMIN), summary="List candidates in your scope")
def list_candidates(
    request,
    election: str = Query("", max_length=200, description="Democracy Club election id, e.g. parl.2024-07-04."),
    area: str = Query("", max_length=12, description="GSS code of the ballot's area or its parent council."),
    party: str = Query("", max_length=40, description="Party id, e.g. PP53."),
    operation: Operation | None = Query(None),
    handed_over: bool | None = Query(None),
    name: str = Query("", max_length=200, description="Part of the candidate's name."),
    sort: CandidateSortKey | None = Query(None, description="Column to sort by; name breaks ties."),
    order: SortOrder | None = Query(None, description="asc or desc"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    """Public fields only (no contact details). FEOAs, returning officers and administrators."""
    flt = services.CandidateFilter(
        election=election, area=area, party=party, operation=operation.value if operation else "",
        handed_over=handed_over, name=name,
    )
    sorting = services.CANDIDATE_SORT.for_api(sort, order)
    qs = sorting.apply(services.list_candidates(request.user, flt))  # NotPermitted → 403
    return _page(qs, limit, offset, candidate_public)


@router.get("/candidates/{candidate_id}", response=CandidateDetailOut, summary="One candidate")
def get_candidate(request, candidate_id: int):
    """Public fields, the police forces covering the area and, for those who may see them, the contact
    details (the read is audited). 404 when the candidate is outside your scope."""
    candidate = services.get_candidate(request.user, candidate_id)  # DoesNotExist → 404
    details = services.read_contact_details(actor_of(request), candidate)
    return {
        **candidate_public(candidate),
        "forces": services.forces_for(candidate),
        "consent_to_share": candidate.consent_to_share,
        "handed_over_at": candidate.handed_over_at,
        "contact": details.__dict__ if details is not None else None,
    }


@router.get("/ballots", response=BallotPage, auth=restricted_to(Role.RETURNING_OFFICER, Role.FEOA, Role.ADMIN), summary="List ballots in your scope")
def list_ballots(
    request,
    election: str = Query("", max_length=200),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    """Returning officers see their own council's ballots; FEOAs their forces'; administrators all."""
    qs = services.ballots_visible_to(request.user).order_by("election__date", "ballot_paper_id")
    if election:
        qs = qs.filter(election__election_id=election)

    def convert(b):
        return {
            "ballot_paper_id": b.ballot_paper_id, "election_id": b.election.election_id,
            "election_name": b.election.name, "operation": b.election.operation, "date": b.election.date,
            "post_label": b.post_label, "area": _area(b.area), "council": _area(b.council),
            "seats_contested": b.seats_contested, "cancelled": b.cancelled,
        }

    return _page(qs, limit, offset, convert)


@router.get("/registry/summary", response=dict, auth=restricted_to(Role.FEOA, Role.ANALYST, Role.ADMIN, Role.RETURNING_OFFICER), summary="Counts across the registry")
def registry_summary(request):
    return services.registry_summary()


@router.get("/police-forces", response=list[ForceOut], summary="Police forces")
def police_forces(request):
    return list(PoliceForce.objects.order_by("name"))


# ---------------------------------------------------------------------------------------------------
# Hand-over


@router.post(
    "/handover",
    auth=restricted_to(Role.RETURNING_OFFICER),
    response={200: HandoverOut, 404: FieldErrorsOut, 422: FieldErrorsOut},
    summary="Hand over candidates' contact details (returning officers)",
)
def handover(request, payload: HandoverIn):
    """Validate every item first; if any is wrong nothing is saved and every error is listed, named by
    item and field (``items[2].phone``). A candidate outside your council is 404, naming the item.
    Details given without consent are not validated: they are not kept."""
    user = request.user
    errors: list[tuple[str, str, list]] = []
    validated = []
    for i, item in enumerate(payload.items):
        where = f"items[{i}]"
        if item.candidate_id is None and not (item.ballot_paper_id and item.person_id):
            errors.append((f"{where}.candidate_id", "Give candidate_id, or ballot_paper_id and person_id", ["items", i, "candidate_id"]))
        if item.consent:
            details, problems = validate_contact(item.email, item.phone, item.address, item.postcode)
            errors.extend((f"{where}.{p.field}", gettext(p.message), ["items", i, p.field]) for p in problems)
        else:
            details = None
        validated.append(details)
    if errors:
        return Status(422, _field_errors(errors))

    scope = services.candidates_visible_to(user)
    rows, missing, seen = [], [], {}
    for i, (item, details) in enumerate(zip(payload.items, validated)):
        try:
            if item.candidate_id is not None:
                candidate = scope.get(pk=item.candidate_id)
            else:
                candidate = scope.get(ballot__ballot_paper_id=item.ballot_paper_id, person_id=item.person_id)
        except Candidate.DoesNotExist:
            field = "candidate_id" if item.candidate_id is not None else "person_id"
            missing.append((f"items[{i}].{field}", "No such candidate on your council's ballots", ["items", i, field]))
            continue
        if candidate.pk in seen:
            errors.append((f"items[{i}]", f"The same candidate as items[{seen[candidate.pk]}]", ["items", i]))
        seen[candidate.pk] = i
        rows.append((i, candidate, details or ContactDetails(), item.consent))
    if missing:
        return Status(404, _field_errors(missing))
    if errors:
        return Status(422, _field_errors(errors))
    services.handover_many(actor_of(request), [(c, d, consent) for _, c, d, consent in rows])
    return Status(200, {
        "handed_over": len(rows),
        "items": [{"index": i, "candidate_id": c.pk, "consent": consent} for i, c, _, consent in rows],
    })


# ---------------------------------------------------------------------------------------------------
# Imports (administrators)


class ImportJobOut(Schema):
    id: int
    status: str = Field(description="queued, running, done or failed")
    stage: str
    done: int
    total: int
    filename: str
    dry_run: bool
    report: ImportReportOut | None
    errors: list[str]
    status_url: str


def _job_out(job) -> dict:
    return {"id": job.pk, "status": job.status, "stage": job.stage, "done": job.done, "total": job.total,
            "filename": job.filename, "dry_run": job.dry_run, "report": job.report, "errors": job.errors or [],
            "status_url": f"/api/v1/imports/jobs/{job.pk}"}


@router.post(
    "/imports/candidates",
    auth=restricted_to(Role.ADMIN),
    response={200: ImportReportOut, 202: ImportJobOut, 413: MessageOut, 422: FieldErrorsOut},
    summary="Import candidates (administrators)",
)
@decorate_view(refuse_large_uploads)
def import_candidates(
    request,
    file: UploadedFile = File(..., description="Democracy Club candidates CSV."),
    gender_from: UploadedFile | None = File(None, description="Optional CSV to take candidates' gender from."),
    dry_run: bool = Form(False),
    background: bool = Form(False, description="Run in the task worker even when the file is small."),
    allow_unknown_columns: bool = Form(False, description="Ignore columns that are not Democracy Club fields (with a warning) instead of refusing the file."),
):
    """Check with ``dry_run=true`` first: the report says what would be created, updated and rejected.
    ``gender_from`` is a House of Commons Library results-by-candidate CSV. The importer audits the run.

    A file over ``BALLOTGUARD_IMPORT_INLINE_BYTES`` (2 MB), or any with ``background=true``, is
    imported by the task worker: the answer is 202 with the job, whose ``status_url`` gives progress
    and, when done, the report."""
    from ballotguard.registry.importers import import_candidates as run_import

    def run():
        source = _read_upload(file)
        gender = _read_upload(gender_from) if gender_from is not None else None
        if background or len(source) > settings.BALLOTGUARD_IMPORT_INLINE_BYTES:
            return services.queue_candidate_import(actor_of(request), source, file.name or "candidates.csv", gender=gender, dry_run=dry_run,
                                                   allow_unknown_columns=allow_unknown_columns)
        return run_import(source, filename=file.name or "candidates.csv", gender_from=gender, dry_run=dry_run,
                          allow_unknown_columns=allow_unknown_columns, actor=actor_of(request))

    return _import_response(run)


@router.get("/imports/jobs/{job_id}", response=ImportJobOut, auth=restricted_to(Role.ADMIN), summary="Progress of a background import")
def import_job(request, job_id: int):
    from ballotguard.registry.models import ImportJob

    services.fail_dead_import_jobs()
    return _job_out(ImportJob.objects.get(pk=job_id))  # DoesNotExist → 404


@router.post(
    "/imports/geography",
    auth=restricted_to(Role.ADMIN),
    response={200: ImportReportOut, 413: MessageOut, 422: FieldErrorsOut},
    summary="Import geography files (administrators)",
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"dry_run": {"type": "boolean", "default": False}},
                        "additionalProperties": {"type": "string", "format": "binary"},
                        "description": "One file per part, each part named after the geography file it is.",
                    }
                }
            },
            "required": True,
        }
    },
)
@decorate_view(refuse_large_uploads)
def import_geography(request, dry_run: bool = Form(False)):
    """Send each geography file as its own multipart part, named after the file it is
    (``pcon24_names_codes_ons.csv``, ``lad24_csp24_pfa24_ons.csv``, ``lad24_region24_ons.csv``,
    ``ward24_lad24_ons_bestfit.csv``, ``pcon24_lad23_overlap_mysociety.csv``, optionally
    ``pcon24_hexmap.hexjson``). Parts named ``files`` are keyed by their upload file name instead."""
    from ballotguard.registry.importers import import_geography as run_import

    if not request.FILES:
        return Status(422, {"detail": [{"field": "file", "message": "Attach the geography files, each part named after its file.", "loc": ["file"]}]})

    def run():
        sources: dict[str, bytes] = {}
        for key in request.FILES:
            for upload in request.FILES.getlist(key):
                name = upload.name if key == "files" else key
                sources[name] = _read_upload(upload)
        return run_import(sources, dry_run=dry_run, actor=actor_of(request))

    return _import_response(run)
