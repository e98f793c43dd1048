"""The safety companion in the JSON API: guidance and read receipts, safety plans, the civility pledge.

Scope as on the pages (see ``services``): a plan's answers and checklist are the candidate's and their
staff's; a FEOA of the force gets ``exists``, ``revision`` and ``updated_at`` only, with ``answers``
and ``checklist`` null. Only the candidate signs or withdraws the pledge. ``GET /pledge`` and
``GET /pledge/{election_id}`` are public (no authentication). Candidates outside scope answer 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from ballotguard.accounts.api import actor_of, restricted_to
from ballotguard.accounts.models import Role
from ballotguard.core.api_schemas import MAX_OFFSET, FieldErrorsOut, MessageOut
from ballotguard.engines.candidates.safety_plan import Campaigning, HomeAddress, PlanAnswers, Visibility, answers_to_dict
from ballotguard.registry.models import Election

from . import services
from .pledge import PLEDGE_VERSION

router = Router(tags=["safety"])

ALL_ROLES = tuple(Role.values)


# ---------------------------------------------------------------------------------------------------
# Guidance


class GuidanceOut(Schema):
    slug: str
    title: str
    topic: str
    summary: str
    version: int
    updated: dt.date
    state: str = Field(description="unread, read, or updated (read at an earlier version)")
    read_version: int | None
    read_at: dt.datetime | None


class GuidanceDetailOut(GuidanceOut):
    markdown: str
    html: str = Field(description="GOV.UK HTML; raw HTML in the source is escaped")


def _guidance_out(status: services.GuidanceStatus) -> dict:
    doc = status.doc
    return {
        "slug": doc.slug, "title": doc.title, "topic": doc.topic, "summary": doc.summary, "version": doc.version,
        "updated": doc.updated, "state": status.state, "read_version": status.read_version, "read_at": status.read_at,
    }


def _doc(slug: str):
    try:
        return services.get_guidance(slug)
    except LookupError:
        raise HttpError(404, "Not found.") from None


@router.get("/guidance", response=list[GuidanceOut], auth=restricted_to(*ALL_ROLES), summary="The guidance library with your read state")
def guidance_list(request):
    return [_guidance_out(s) for s in services.guidance_for(request.user)]


class ReadershipRowOut(Schema):
    candidate_id: int
    name: str
    ballot_paper_id: str
    read: list[str]
    updated: list[str]
    unread: list[str]
    safety_plan_revision: int | None
    safety_plan_updated_at: dt.datetime | None
    pledge_signed: bool


class ReadershipOut(Schema):
    count: int
    items: list[ReadershipRowOut]


@router.get("/guidance/readership", response={200: ReadershipOut, 403: MessageOut}, auth=restricted_to(Role.FEOA),
            summary="Who in your force has read which guidance, and who has a safety plan (recorded)")
def readership(request, limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=MAX_OFFSET)):
    qs = services.readership_candidates(request.user)
    rows = services.overview(actor_of(request), list(qs[offset: offset + limit]))
    return {"count": qs.count(), "items": [
        {"candidate_id": r.candidate.pk, "name": r.candidate.name, "ballot_paper_id": r.candidate.ballot.ballot_paper_id,
         "read": r.read, "updated": r.updated, "unread": r.unread, "safety_plan_revision": r.plan_revision,
         "safety_plan_updated_at": r.plan_updated_at, "pledge_signed": r.pledge_signed}
        for r in rows
    ]}


@router.get("/guidance/{slug}", response={200: GuidanceDetailOut, 404: MessageOut}, auth=restricted_to(*ALL_ROLES), summary="One piece of guidance")
def guidance_detail(request, slug: str):
    doc = _doc(slug)
    return {**_guidance_out(services.status_of(request.user, doc)), "markdown": doc.body, "html": services.guidance_html(doc)}


@router.post("/guidance/{slug}/read", response={200: GuidanceOut, 403: MessageOut, 404: MessageOut}, auth=restricted_to(Role.CANDIDATE, Role.STAFF),
             summary="Mark the current version of a piece of guidance read")
def guidance_read(request, slug: str):
    doc = _doc(slug)
    services.mark_read(actor_of(request), slug)
    return _guidance_out(services.status_of(request.user, doc))


# ---------------------------------------------------------------------------------------------------
# Safety plans


class PlanIn(Schema):
    home_address: Literal["withheld", "published", "not_sure"] = Field(description="Is the home address on the ballot paper")
    lives_alone: bool
    children_at_home: bool
    public_office: bool = Field(description="An office or surgery open to the public")
    online_visibility: Literal["low", "medium", "high"]
    campaigning: Literal["alone", "sometimes_alone", "never_alone"]
    past_incidents: bool = Field(description="Harassment, threats or abuse already experienced")


class ChecklistItemOut(Schema):
    id: str
    priority: int = Field(description="1 do this now, 2 do this soon, 3 good practice")
    title: str
    why: str
    guidance_slug: str


class RevisionOut(Schema):
    revision: int
    created_at: dt.datetime


class PlanOut(Schema):
    candidate_id: int
    exists: bool
    revision: int | None
    updated_at: dt.datetime | None
    answers: PlanIn | None = Field(description="null for a FEOA: the answers are the candidate's")
    checklist: list[ChecklistItemOut] | None
    revisions: list[RevisionOut] | None


def _plan_out(request, candidate) -> dict:
    summary = services.plan_summary(candidate)
    out = {"candidate_id": candidate.pk, "exists": summary.exists, "revision": summary.revision, "updated_at": summary.updated_at,
           "answers": None, "checklist": None, "revisions": None}
    if services.can_edit_plan(request.user, candidate):
        out["revisions"] = [{"revision": p.revision, "created_at": p.created_at} for p in services.plan_history(candidate)]
        latest = services.latest_plan(candidate)
        if latest is not None:
            view = services.read_plan(actor_of(request), latest)
            out["answers"] = answers_to_dict(view.answers)
            out["checklist"] = [asdict(i) for i in view.items]
    return out


@router.get("/candidates/{candidate_id}/safety-plan", response={200: PlanOut, 403: MessageOut, 404: MessageOut},
            auth=restricted_to(Role.CANDIDATE, Role.STAFF, Role.FEOA), summary="The latest safety plan and its checklist (FEOAs: its date only)")
def get_plan(request, candidate_id: int):
    candidate = services.plan_summary_candidates(request.user).get(pk=candidate_id)
    return _plan_out(request, candidate)


@router.put("/candidates/{candidate_id}/safety-plan", response={200: PlanOut, 403: MessageOut, 404: MessageOut, 422: FieldErrorsOut},
            auth=restricted_to(Role.CANDIDATE, Role.STAFF), summary="Answer the questionnaire: saves a new revision, keeps the old ones")
def put_plan(request, candidate_id: int, payload: PlanIn):
    candidate = services.plan_candidates(request.user).get(pk=candidate_id)
    answers = PlanAnswers(
        home_address=HomeAddress(payload.home_address), lives_alone=payload.lives_alone, children_at_home=payload.children_at_home,
        public_office=payload.public_office, online_visibility=Visibility(payload.online_visibility),
        campaigning=Campaigning(payload.campaigning), past_incidents=payload.past_incidents,
    )
    services.save_plan(actor_of(request), candidate, answers)
    return _plan_out(request, candidate)


# ---------------------------------------------------------------------------------------------------
# The civility pledge


class PledgeIn(Schema):
    listed: bool = Field(False, description="Appear on the public list of signatories (name, party, area)")


class PledgeOut(Schema):
    candidate_id: int
    signed: bool
    signed_at: dt.datetime | None
    listed: bool
    pledge_version: int | None


def _pledge_out(candidate) -> dict:
    s = services.signature_in_force(candidate)
    return {"candidate_id": candidate.pk, "signed": s is not None, "signed_at": s.signed_at if s else None,
            "listed": bool(s and s.listed), "pledge_version": s.pledge_version if s else None}


@router.post("/candidates/{candidate_id}/pledge", response={200: PledgeOut, 201: PledgeOut, 403: MessageOut, 404: MessageOut, 422: FieldErrorsOut},
             auth=restricted_to(Role.CANDIDATE), summary=f"Sign the civility pledge (version {PLEDGE_VERSION}), or change whether you are listed")
def sign(request, candidate_id: int, payload: PledgeIn):
    candidate = services.pledge_candidates(request.user).get(pk=candidate_id)
    _, created = services.sign_pledge(actor_of(request), candidate, payload.listed)
    return Status(201 if created else 200, _pledge_out(candidate))


@router.delete("/candidates/{candidate_id}/pledge", response={200: PledgeOut, 403: MessageOut, 404: MessageOut},
               auth=restricted_to(Role.CANDIDATE), summary="Withdraw from the civility pledge")
def withdraw(request, candidate_id: int):
    candidate = services.pledge_candidates(request.user).get(pk=candidate_id)
    services.withdraw_pledge(actor_of(request), candidate)
    return _pledge_out(candidate)


class PledgeElectionOut(Schema):
    election_id: str
    name: str
    date: dt.date
    signatories: int


class SignatoryOut(Schema):
    name: str
    party: str
    area: str


class PledgeListOut(Schema):
    election_id: str
    name: str
    date: dt.date
    signatories: list[SignatoryOut]


@router.get("/pledge", response=list[PledgeElectionOut], auth=None, summary="Elections with listed signatories of the civility pledge (public)")
def pledge_elections(request):
    return [{"election_id": e.election_id, "name": e.name, "date": e.date, "signatories": e.signatories} for e in services.pledge_elections()]


@router.get("/pledge/{election_id}", response={200: PledgeListOut, 404: MessageOut}, auth=None, summary="Listed signatories of one election (public)")
def pledge_list(request, election_id: str):
    election = Election.objects.get(election_id=election_id)
    return {"election_id": election.election_id, "name": election.name, "date": election.date,
            "signatories": [{"name": s.name, "party": s.party, "area": s.area} for s in services.public_signatories(election)]}
