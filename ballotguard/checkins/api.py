"""Campaign check-ins in the JSON API.

Candidates and their staff start, list, check out, extend and cancel their own check-ins (anyone
else's answers 404). FEOAs list the check-ins escalated to their force(s). Field errors are 422
``{"detail": [{"field", "message", "loc"}]}`` as everywhere in the API; acting on a check-in that has
finished (or extending one whose buddy has been alerted) is 409.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from ballotguard.accounts.api import actor_of, restricted_to
from ballotguard.accounts.models import Role
from ballotguard.core.api_schemas import MAX_OFFSET, FieldErrorsOut, MessageOut

from . import services
from .models import CheckIn

router = Router(tags=["checkins"])

PEOPLE = (Role.CANDIDATE, Role.STAFF)


class CheckInIn(Schema):
    where: str = Field(description="Where you are going (told to your buddy only if you do not check out)")
    expected_end: dt.datetime | None = Field(None, description="When you expect to finish, with a time zone offset")
    duration_minutes: int | None = Field(None, ge=5, le=24 * 60, description="Instead of expected_end: minutes from now")
    buddy_name: str
    buddy_email: str = ""
    buddy_phone: str = ""
    escalate_to_feoa: bool = Field(False, description="Alert the FEOA of the candidacy's force after the buddy's second alert")
    candidate_id: int | None = Field(None, description="The candidacy this is for (yours, or one delegated to you)")


class ExtendIn(Schema):
    minutes: int = Field(30, ge=5, le=240)


class DeliveryOut(Schema):
    stage: str
    channel: str
    recipient: str = Field(description="'buddy' or 'feoa'")
    status: str
    due_at: dt.datetime
    sent_at: dt.datetime | None


class CheckInOut(Schema):
    id: int
    status: str
    where: str
    started_at: dt.datetime
    expected_end: dt.datetime
    first_alert_at: dt.datetime
    checked_out_at: dt.datetime | None
    buddy_name: str
    buddy_email: str
    buddy_phone: str
    escalate_to_feoa: bool
    candidate_id: int | None
    alerts: list[DeliveryOut]


class CheckInPage(Schema):
    count: int
    items: list[CheckInOut]


class EscalatedOut(Schema):
    id: int
    status: str
    person: str
    candidate_id: int
    candidate_name: str
    ballot_paper_id: str
    where: str
    expected_end: dt.datetime
    escalated_at: dt.datetime
    checked_out_at: dt.datetime | None


def _out(checkin: CheckIn) -> dict:
    return {
        "id": checkin.pk, "status": checkin.status, "where": checkin.where, "started_at": checkin.started_at,
        "expected_end": checkin.expected_end, "first_alert_at": services.stage_times(checkin)["buddy"],
        "checked_out_at": checkin.checked_out_at, "buddy_name": checkin.buddy_name, "buddy_email": checkin.buddy_email,
        "buddy_phone": checkin.buddy_phone, "escalate_to_feoa": checkin.escalate_to_feoa, "candidate_id": checkin.candidacy_id,
        "alerts": [
            {"stage": d.stage, "channel": d.channel, "recipient": "buddy" if d.recipient == "buddy" else "feoa",
             "status": d.status, "due_at": d.due_at, "sent_at": d.sent_at}
            for d in checkin.deliveries.all()
        ],
    }


def _errors(errors: dict[str, str]) -> dict:
    rename = {"candidacy": "candidate_id"}
    return {"detail": [{"field": rename.get(f, f), "message": m, "loc": ["body", rename.get(f, f)]} for f, m in errors.items()]}


@router.get("/checkins", response=CheckInPage, auth=restricted_to(*PEOPLE), summary="Your check-ins, newest first")
def list_checkins(request, limit: int = Query(20, ge=1, le=100), offset: int = Query(0, ge=0, le=MAX_OFFSET)):
    qs = services.own_checkins(request.user).prefetch_related("deliveries").order_by("-started_at", "-pk")
    return {"count": qs.count(), "items": [_out(c) for c in qs[offset: offset + limit]]}


@router.post("/checkins", response={201: CheckInOut, 403: MessageOut, 422: FieldErrorsOut}, auth=restricted_to(*PEOPLE),
             summary="Start a check-in: where, when you expect to finish, and a buddy")
def start(request, payload: CheckInIn):
    now = timezone.now()
    end = payload.expected_end
    if end is not None and timezone.is_naive(end):
        return Status(422, _errors({"expected_end": "Give a time zone offset, like 2025-04-30T18:30:00+01:00"}))
    if end is None and payload.duration_minutes is not None:
        end = now + dt.timedelta(minutes=payload.duration_minutes)
    data = services.CheckInInput(
        where=payload.where, expected_end=end, buddy_name=payload.buddy_name, buddy_email=payload.buddy_email,
        buddy_phone=payload.buddy_phone, escalate_to_feoa=payload.escalate_to_feoa, candidacy_id=payload.candidate_id,
    )
    try:
        checkin = services.start(actor_of(request), data, now=now)
    except services.CheckInInvalid as exc:
        return Status(422, _errors(exc.errors))
    return Status(201, _out(checkin))


@router.get("/checkins/escalated", response={200: list[EscalatedOut], 403: MessageOut}, auth=restricted_to(Role.FEOA),
            summary="Check-ins escalated to your force(s) (each one read is recorded)")
def escalated(request, limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=MAX_OFFSET)):
    ids = list(services.escalated_for(request.user).values_list("pk", flat=True)[offset: offset + limit])
    out = []
    for checkin_id in ids:
        c = services.read_escalated(actor_of(request), checkin_id)
        out.append({"id": c.pk, "status": c.status, "person": c.person_name, "candidate_id": c.candidacy_id,
                    "candidate_name": c.candidacy.name, "ballot_paper_id": c.candidacy.ballot.ballot_paper_id,
                    "where": c.where, "expected_end": c.expected_end, "escalated_at": c.escalated_at, "checked_out_at": c.checked_out_at})
    return out


@router.get("/checkins/{checkin_id}", response={200: CheckInOut, 404: MessageOut}, auth=restricted_to(*PEOPLE), summary="One of your check-ins")
def get_checkin(request, checkin_id: int):
    return _out(services.get_own(request.user, checkin_id))


def _act(request, checkin_id: int, operation, **kwargs):
    checkin = services.get_own(request.user, checkin_id)
    try:
        operation(actor_of(request), checkin, **kwargs)
    except services.CheckInClosed as exc:
        return Status(409, {"detail": str(exc)})
    except services.CheckInInvalid as exc:
        return Status(422, _errors(exc.errors))
    return Status(200, _out(services.get_own(request.user, checkin_id)))


@router.post("/checkins/{checkin_id}/checkout", response={200: CheckInOut, 404: MessageOut, 409: MessageOut},
             auth=restricted_to(*PEOPLE), summary="I'm safe: check out (anyone already alerted gets the all-clear)")
def checkout(request, checkin_id: int):
    return _act(request, checkin_id, services.check_out)


@router.post("/checkins/{checkin_id}/extend", response={200: CheckInOut, 404: MessageOut, 409: MessageOut, 422: FieldErrorsOut},
             auth=restricted_to(*PEOPLE), summary="Move the expected end on (only before your buddy is alerted)")
def extend(request, checkin_id: int, payload: ExtendIn | None = None):
    return _act(request, checkin_id, services.extend, minutes=payload.minutes if payload else None)


@router.post("/checkins/{checkin_id}/cancel", response={200: CheckInOut, 404: MessageOut, 409: MessageOut},
             auth=restricted_to(*PEOPLE), summary="Cancel a check-in (only before your buddy is alerted)")
def cancel(request, checkin_id: int):
    return _act(request, checkin_id, services.cancel)
