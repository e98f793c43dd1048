"""Outreach in the JSON API: the FEOA's worklist, contact attempts, briefings and their bulk actions,
the candidate's invitations, and the coverage figures for analysts.

Scope as on the pages (see ``services``): advisers work on the candidates and briefings of their
force(s); anything outside is 404. Candidates and their staff see and answer their own invitations.
A role that may never call an endpoint gets 403 before its input is read. Errors in what was sent
are 422 with field names: ``{"detail": [{"field": "outcome", "message": "...", "loc": [...]}]}``.
The worklist carries no contact details: ``GET /candidates/{id}`` gives them, and audits the read.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.errors import ValidationError

from ballotguard.accounts.api import actor_of, restricted_to
from ballotguard.accounts.models import Role
from ballotguard.core.api_schemas import MAX_OFFSET, FieldErrorsOut, MessageOut
from ballotguard.core.sorting import SortOrder

from . import services
from .models import Briefing, ContactAttempt, Invitation, Topic

router = Router(tags=["outreach"])

WorklistSortKey = services.WORKLIST_SORT.Key

ADVISER = (Role.FEOA,)
CANDIDATE_SIDE = (Role.CANDIDATE, Role.STAFF)


def _invalid(exc: services.InvalidInput):
    """A service's refusal of a value, as the API's usual 422 body."""
    raise ValidationError([{"loc": ("body", "payload", exc.field), "msg": exc.message}])


# ---------------------------------------------------------------------------------------------------
# The worklist


class WorklistItemOut(Schema):
    candidate_id: int
    name: str
    person_id: str
    party: str | None
    ballot_paper_id: str
    post_label: str
    election_id: str
    council: str | None = Field(description="GSS code of the council whose returning officer runs the ballot")
    handed_over_at: dt.datetime
    attempts: int
    last_attempt_at: dt.datetime | None
    last_outcome: str | None
    last_next_step: str | None
    has_phone: bool = Field(description="A phone number was handed over (GET /candidates/{id} gives it, and audits the read)")
    has_email: bool = Field(description="An e-mail address was handed over")


class WorklistOut(Schema):
    count: int
    items: list[WorklistItemOut]
    next_offset: int | None


@router.get("/outreach/worklist", response={200: WorklistOut, 403: MessageOut}, auth=restricted_to(*ADVISER),
            summary="Candidates of your force(s) handed over with consent and not yet reached, oldest hand-over first, "
                    "those with neither a phone number nor an e-mail address last")
def get_worklist(
    request,
    council: str = Query("", max_length=12, description="Council GSS code"),
    election: str = Query("", max_length=200, description="Democracy Club election id"),
    sort: WorklistSortKey | None = Query(None, description="Column to sort by; the worklist's own order breaks ties."),
    order: SortOrder | None = Query(None, description="asc or desc"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    sorting = services.WORKLIST_SORT.for_api(sort, order)
    qs = sorting.apply(services.worklist(request.user, services.WorklistFilter(council=council, election=election)))
    count = qs.count()
    items = [
        {"candidate_id": c.pk, "name": c.name, "person_id": c.person_id, "party": c.party.name if c.party else None,
         "ballot_paper_id": c.ballot.ballot_paper_id, "post_label": c.ballot.post_label,
         "election_id": c.ballot.election.election_id, "council": c.ballot.council.code if c.ballot.council else None,
         "handed_over_at": c.handed_over_at, "attempts": c.attempts, "last_attempt_at": c.last_attempt_at,
         "last_outcome": c.last_outcome, "last_next_step": c.last_next_step, "has_phone": c.has_phone, "has_email": c.has_email}
        for c in qs[offset: offset + limit]
    ]
    return {"count": count, "items": items, "next_offset": offset + limit if offset + limit < count else None}


# ---------------------------------------------------------------------------------------------------
# Contact attempts


class ContactAttemptIn(Schema):
    method: Literal["phone", "email", "in_person", "letter", "text"]
    outcome: Literal["reached", "left_message", "no_answer", "wrong_details", "declined"]
    at: dt.datetime | None = Field(None, description="When it happened; now if left out. Not in the future.")
    next_step: str = Field("", max_length=300)
    notes: str = Field("", max_length=5000, description="Kept encrypted")


class ContactAttemptOut(Schema):
    id: int
    candidate_id: int
    adviser: str
    at: dt.datetime
    method: str
    outcome: str
    next_step: str
    notes: str
    on_worklist: bool = Field(description="Whether the candidate is still waiting for a first contact")


def _attempt_out(attempt: ContactAttempt) -> dict:
    return {
        "id": attempt.pk, "candidate_id": attempt.candidate_id,
        "adviser": attempt.adviser.get_full_name() if attempt.adviser else "", "at": attempt.at,
        "method": attempt.method, "outcome": attempt.outcome, "next_step": attempt.next_step, "notes": attempt.notes,
    }


@router.get("/candidates/{candidate_id}/contact-attempts", response={200: list[ContactAttemptOut], 403: MessageOut, 404: MessageOut},
            auth=restricted_to(*ADVISER), summary="A candidate's contact attempts, newest first (reading notes is recorded)")
def list_attempts(request, candidate_id: int):
    candidate = services.get_candidate(request.user, candidate_id)
    reached = services.first_contact(candidate) is not None
    waiting = candidate.consent_to_share and candidate.handed_over and not reached
    return [{**_attempt_out(a), "on_worklist": waiting} for a in services.contact_history(actor_of(request), candidate)]


@router.post("/candidates/{candidate_id}/contact-attempts",
             response={201: ContactAttemptOut, 403: MessageOut, 404: MessageOut, 422: FieldErrorsOut},
             auth=restricted_to(*ADVISER), summary="Record an attempt to contact a candidate; outcome 'reached' takes them off the worklist")
def create_attempt(request, candidate_id: int, payload: ContactAttemptIn):
    candidate = services.get_candidate(request.user, candidate_id)
    try:
        attempt = services.record_contact_attempt(
            actor_of(request), candidate, method=payload.method, outcome=payload.outcome, at=payload.at,
            next_step=payload.next_step, notes=payload.notes,
        )
    except services.InvalidInput as exc:
        _invalid(exc)
    waiting = candidate.consent_to_share and candidate.handed_over and services.first_contact(candidate) is None
    return Status(201, {**_attempt_out(attempt), "on_worklist": waiting})


# ---------------------------------------------------------------------------------------------------
# Briefings


TopicSlug = Literal[tuple(Topic.values)]  # type: ignore[valid-type]


class BriefingIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    force: str | None = Field(None, description="ONS code of one of your forces; may be left out if you cover one force")
    kind: Literal["group", "one_to_one"] = "group"
    format: Literal["in_person", "online"] = "in_person"
    starts_at: dt.datetime
    location: str = Field("", max_length=1000, description="Venue or meeting link; kept encrypted")
    topics: list[TopicSlug] = Field(default_factory=list)  # type: ignore[valid-type]


class InvitationOut(Schema):
    id: int
    candidate_id: int
    name: str
    person_id: str
    status: str = Field(description="invited (no reply), accepted or declined")
    responded_at: dt.datetime | None
    attended: bool


class BriefingOut(Schema):
    id: int
    force: str
    title: str
    kind: str
    format: str
    starts_at: dt.datetime
    location: str
    topics: list[str]
    invited: int
    accepted: int
    declined: int
    attended: int


class BriefingDetailOut(BriefingOut):
    invitations: list[InvitationOut]


def _briefing_out(b: Briefing, with_invitations: bool = False) -> dict:
    out = {"id": b.pk, "force": b.force.code, "title": b.title, "kind": b.kind, "format": b.format, "starts_at": b.starts_at,
           "location": services.read_location(b), "topics": list(b.topics), "invited": b.invited, "accepted": b.accepted,
           "declined": b.declined, "attended": b.attended_count}
    if with_invitations:
        out["invitations"] = [
            {"id": i.pk, "candidate_id": i.candidate_id, "name": i.candidate.name, "person_id": i.candidate.person_id,
             "status": i.status, "responded_at": i.responded_at, "attended": i.attended}
            for i in services.briefing_invitations(b)
        ]
    return out


@router.get("/briefings", response={200: list[BriefingOut], 403: MessageOut}, auth=restricted_to(*ADVISER),
            summary="Briefings of your force(s): upcoming soonest first, then past ones")
def list_briefings(request):
    return [_briefing_out(b) for b in services.upcoming_first(services.briefings_for(request.user))]


@router.post("/briefings", response={201: BriefingDetailOut, 403: MessageOut, 422: FieldErrorsOut}, auth=restricted_to(*ADVISER),
             summary="Plan a briefing")
def create_briefing(request, payload: BriefingIn):
    forces = services.adviser_forces(request.user)
    if payload.force:
        force = forces.filter(code=payload.force).first()
    else:
        force = forces.first() if forces.count() == 1 else None
    if force is None:
        _invalid(services.InvalidInput("force", "Give the code of one of your police forces"))
    try:
        briefing = services.create_briefing(
            actor_of(request), force=force, title=payload.title, kind=payload.kind, format=payload.format,
            starts_at=payload.starts_at, location=payload.location, topics=list(payload.topics),
        )
    except services.InvalidInput as exc:
        _invalid(exc)
    return Status(201, _briefing_out(services.get_briefing(request.user, briefing.pk), with_invitations=True))


@router.get("/briefings/{briefing_id}", response={200: BriefingDetailOut, 403: MessageOut, 404: MessageOut},
            auth=restricted_to(*ADVISER), summary="A briefing with its invitations")
def get_briefing(request, briefing_id: int):
    return _briefing_out(services.get_briefing(request.user, briefing_id), with_invitations=True)


class InviteCouncilIn(Schema):
    council: str = Field(min_length=1, max_length=12, description="Council GSS code, e.g. E08000025")
    election: str = Field(min_length=1, max_length=200, description="Democracy Club election id")


class InviteReportOut(Schema):
    invited: int = Field(description="Newly invited")
    already_invited: int = Field(description="Invited before; left as they were")
    with_account: int = Field(description="Of the newly invited, how many will see the invitation in Ballotguard")


@router.post("/briefings/{briefing_id}/invite-council",
             response={200: InviteReportOut, 403: MessageOut, 404: MessageOut, 422: FieldErrorsOut}, auth=restricted_to(*ADVISER),
             summary="Invite every candidate of a council at an election (in the briefing's force area); idempotent")
def invite_council(request, briefing_id: int, payload: InviteCouncilIn):
    briefing = services.get_briefing(request.user, briefing_id)
    try:
        report = services.invite_council(actor_of(request), briefing, payload.council, payload.election)
    except services.InvalidInput as exc:
        _invalid(exc)
    return {"invited": report.invited, "already_invited": report.already, "with_account": report.with_account}


class AttendanceIn(Schema):
    lines: list[str] = Field(min_length=1, max_length=2000, description="Names as on the ballot paper, or Democracy Club person ids")


class MatchedOut(Schema):
    line: int
    text: str
    candidate_id: int
    invitation_id: int


class UnmatchedOut(Schema):
    line: int
    text: str
    reason: str


class AttendanceOut(Schema):
    matched: list[MatchedOut]
    unmatched: list[UnmatchedOut]
    repeated_lines: list[int]
    newly_recorded: int


@router.post("/briefings/{briefing_id}/attendance",
             response={200: AttendanceOut, 403: MessageOut, 404: MessageOut, 422: FieldErrorsOut}, auth=restricted_to(*ADVISER),
             summary="Record attendance from a list; matched lines are saved, unmatched ones reported")
def attendance(request, briefing_id: int, payload: AttendanceIn):
    briefing = services.get_briefing(request.user, briefing_id)
    if any("\n" in line or "\r" in line for line in payload.lines):
        _invalid(services.InvalidInput("lines", "One name or person id per item: items cannot contain line breaks"))
    try:
        report = services.record_attendance(actor_of(request), briefing, "\n".join(payload.lines))
    except services.InvalidInput as exc:
        _invalid(services.InvalidInput("lines", exc.message))
    return {
        "matched": [{"line": n, "text": t, "candidate_id": i.candidate_id, "invitation_id": i.pk} for n, t, i in report.matched],
        "unmatched": [{"line": n, "text": t, "reason": r} for n, t, r in report.unmatched],
        "repeated_lines": [n for n, _ in report.repeated], "newly_recorded": report.newly_recorded,
    }


# ---------------------------------------------------------------------------------------------------
# The candidate's invitations


class MyInvitationOut(Schema):
    id: int
    candidate_id: int
    briefing_title: str
    force: str
    kind: str
    format: str
    starts_at: dt.datetime
    location: str
    topics: list[str]
    status: str
    responded_at: dt.datetime | None
    attended: bool


def _my_invitation_out(i: Invitation) -> dict:
    b = i.briefing
    return {"id": i.pk, "candidate_id": i.candidate_id, "briefing_title": b.title, "force": b.force.name, "kind": b.kind,
            "format": b.format, "starts_at": b.starts_at, "location": services.read_location(b), "topics": list(b.topics),
            "status": i.status, "responded_at": i.responded_at, "attended": i.attended}


@router.get("/invitations", response={200: list[MyInvitationOut], 403: MessageOut}, auth=restricted_to(*CANDIDATE_SIDE),
            summary="Your briefing invitations (candidates, and staff for the candidates they act for)")
def my_invitations(request):
    return [_my_invitation_out(i) for i in services.invitations_for(request.user)]


class RespondIn(Schema):
    response: Literal["accept", "decline"]


@router.post("/invitations/{invitation_id}/respond",
             response={200: MyInvitationOut, 403: MessageOut, 404: MessageOut, 422: FieldErrorsOut}, auth=restricted_to(*CANDIDATE_SIDE),
             summary="Accept or decline a briefing invitation")
def respond(request, invitation_id: int, payload: RespondIn):
    invitation = services.invitations_for(request.user).get(pk=invitation_id)
    try:
        services.respond(actor_of(request), invitation, accept=payload.response == "accept")
    except services.InvalidInput as exc:
        _invalid(services.InvalidInput("response", exc.message))
    return _my_invitation_out(invitation)


# ---------------------------------------------------------------------------------------------------
# Coverage figures


class ForceCoverageOut(Schema):
    force_code: str
    force: str
    handed_over: int
    contacted: int
    briefed: int
    not_contacted: int
    median_days_to_first_contact: float | None = Field(description="From the close of nominations; over contacted candidates with a known close date")
    timed: int = Field(description="How many candidates the median is over")
    waiting_days: float | None = Field(description="Median days waited so far by those not yet contacted")


@router.get("/outreach/coverage", response={200: list[ForceCoverageOut], 403: MessageOut}, auth=restricted_to(Role.ANALYST),
            summary="Outreach coverage per police force (figures only)")
def coverage(request):
    return [
        {"force_code": f.code, "force": f.name, "handed_over": c.handed_over, "contacted": c.contacted, "briefed": c.briefed,
         "not_contacted": c.not_contacted, "median_days_to_first_contact": c.median_days_to_first_contact, "timed": c.timed,
         "waiting_days": c.waiting_days}
        for f, c in services.coverage_by_force()
    ]
