"""The candidates' survey in the JSON API.

Candidates: ``GET /survey`` lists their candidacies' surveys (open, responded or closed);
``POST /survey/{candidate_id}/response`` answers one (201; 404 for a candidacy that is not theirs or
has no survey; 409 when it is closed or already answered; 422 naming each field at fault, storing
nothing). Analysts and administrators: ``GET /survey/elections`` lists closing dates;
``PUT /survey/elections/{election_id}/closing-date`` sets one (422 naming ``closes_on``).
"""

from __future__ import annotations

import datetime as dt

from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from ballotguard.accounts.api import actor_of, restricted_to
from ballotguard.accounts.models import Role
from ballotguard.core.api_schemas import FieldErrorsOut, MessageOut
from ballotguard.engines.insights import survey as engine
from ballotguard.registry.models import Candidate, Election

from . import services

router = Router(tags=["survey"])


class InvitationOut(Schema):
    candidate_id: int
    election_id: str
    election_name: str
    closes_on: dt.date
    status: str = Field(description="open, responded or closed")


class AnswersIn(Schema):
    experiences: list[str] = Field([], description=f"Any of: {', '.join(engine.EXPERIENCES)}")
    none_experienced: bool = Field(False, description="True when none of the experiences happened (then experiences is empty)")
    reported: bool | None = Field(None, description="Whether they told anyone (needed when experiences is not empty)")
    reported_to: list[str] = Field([], description=f"Any of: {', '.join(engine.REPORTED_TO)}")
    changes: list[str] = Field([], description=f"Any of: {', '.join(engine.CHANGES)}")
    adviser_view: str = Field("", description=f"One of: {', '.join(engine.VIEWS)}")
    guidance_view: str = Field("", description=f"One of: {', '.join(engine.VIEWS)}")
    comment: str = Field("", description="Optional; never published")


class WindowOut(Schema):
    election_id: str
    name: str
    date: dt.date
    closes_on: dt.date | None


class ClosingDateIn(Schema):
    closes_on: dt.date


def _errors(errors: dict[str, str]) -> dict:
    return {"detail": [{"field": f, "message": m, "loc": ["body", f]} for f, m in errors.items()]}


@router.get("/survey", response=list[InvitationOut], auth=restricted_to(Role.CANDIDATE), summary="Your candidacies' surveys")
def list_invitations(request):
    return [{"candidate_id": i.candidate.pk, "election_id": i.candidate.ballot.election.election_id,
             "election_name": i.candidate.ballot.election.name, "closes_on": i.closes_on, "status": i.status}
            for i in services.invitations_for(request.user)]


@router.post("/survey/{candidate_id}/response", response={201: MessageOut, 404: MessageOut, 409: MessageOut, 422: FieldErrorsOut},
             auth=restricted_to(Role.CANDIDATE), summary="Answer the survey for one of your candidacies, anonymously")
def respond(request, candidate_id: int, payload: AnswersIn):
    data = payload.dict()
    data["reported"] = {True: "yes", False: "no"}.get(data["reported"])
    try:
        services.submit(actor_of(request), candidate_id, data)
    except Candidate.DoesNotExist:
        raise HttpError(404, "Not found.") from None
    except services.SurveyClosed as exc:
        return Status(409, {"detail": "You have already answered this survey." if str(exc) == "responded" else "This survey is not open."})
    except engine.AnswersInvalid as exc:
        return Status(422, _errors(exc.errors))
    return Status(201, {"detail": "Thank you. Your answers have been saved anonymously."})


SETTERS = restricted_to(Role.ANALYST, Role.ADMIN)


@router.get("/survey/elections", response=list[WindowOut], auth=SETTERS, summary="Survey closing dates per election")
def list_windows(request):
    return [{"election_id": e.election_id, "name": e.name, "date": e.date, "closes_on": w.closes_on if w else None}
            for e, w in services.windows()]


@router.put("/survey/elections/{election_id}/closing-date", response={200: WindowOut, 404: MessageOut, 422: FieldErrorsOut},
            auth=SETTERS, summary="Set when an election's survey closes")
def set_closing_date(request, election_id: str, payload: ClosingDateIn):
    election = Election.objects.filter(election_id=election_id).first()
    if election is None:
        raise HttpError(404, "Not found.")
    try:
        window = services.set_closing_date(actor_of(request), election, payload.closes_on)
    except services.SurveyError as exc:
        return Status(422, _errors(exc.errors))
    from .tasks import survey_sweep

    survey_sweep.enqueue()
    return {"election_id": election.election_id, "name": election.name, "date": election.date, "closes_on": window.closes_on}
