"""Monitoring in the JSON API: bulk ingest, the review queue, decisions, promotion, timelines.

``POST /messages`` takes up to 1,000 messages; it is idempotent by (platform, message id), answers
with counts and the rejected items by index and field, and leaves scoring to the task worker, which
picks the batch up within seconds. The queue answers FEOAs in full for their force(s) and analysts
nationally, pseudonymised; other roles get 403.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.db import transaction
from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictBool

from ballotguard.accounts.api import actor_of, restricted_to
from ballotguard.accounts.models import Role
from ballotguard.core.api_schemas import MAX_OFFSET, FieldErrorsOut, MessageOut
from ballotguard.core.sorting import SortOrder
from ballotguard.incidents.services import ReportInvalid
from ballotguard.engines.messages.records import record_from

from . import services
from .models import Message
from .tasks import score_new_messages

router = Router(tags=["monitoring"])

MessageSortKey = services.MESSAGE_SORT.Key
CampaignSortKey = services.campaigns.CAMPAIGN_SORT.Key

MAX_BATCH = 1_000


class MessageIn(Schema):
    platform: str = Field(max_length=30, description="x, facebook, instagram, tiktok, youtube, bluesky, threads, mastodon, linkedin, reddit, telegram, whatsapp or email")
    message_id: str = Field(max_length=200)
    text: str = Field(max_length=10_000)
    sent_at: dt.datetime | str | int = Field(description="ISO 8601, Unix seconds or milliseconds")
    author_handle: str = Field("", max_length=200)
    author_name: str = Field("", max_length=200)
    reply_to: str = Field("", max_length=200)
    mentions: list[str] = Field([], max_length=100)
    urls: list[str] = Field([], max_length=100)
    hashtags: list[str] = Field([], max_length=100)


class IngestIn(Schema):
    messages: list[MessageIn] = Field(min_length=1, max_length=MAX_BATCH)


class RejectedOut(Schema):
    field: str
    message: str


class IngestOut(Schema):
    created: int
    duplicates: int
    rejected: list[RejectedOut]
    unrouted: int
    scoring: str


@router.post("/messages", response={200: IngestOut, 403: MessageOut}, summary="Ingest messages sent to candidates (idempotent)", auth=restricted_to(Role.ADMIN))
def ingest(request, payload: IngestIn):
    actor = actor_of(request)
    items = []
    for index, message in enumerate(payload.messages):
        raw = message.model_dump()
        if isinstance(raw["sent_at"], dt.datetime):
            raw["sent_at"] = raw["sent_at"].isoformat()
        item = record_from(raw, index)
        items.append(item)
    report = services.ingest_records(actor, items, source="api", score=False)
    transaction.on_commit(score_new_messages.enqueue)
    rejected = [{"field": f"messages[{e.line}].{e.column}" if e.column else f"messages[{e.line}]", "message": e.message} for e in report.errors]
    return {"created": report.created, "duplicates": report.duplicates, "rejected": rejected, "unrouted": report.unrouted,
            "scoring": "queued: the task worker scores new messages within seconds"}


class MessageViewOut(Schema):
    id: int
    platform: str
    sent_at: dt.datetime
    text: str
    author: str
    candidate: str
    area: str
    abuse_score: float | None
    threat_score: float | None
    is_threat: bool
    exposes_contact: bool
    reasons: list[str]
    review: str
    incident_reference: str
    pseudonymised: bool
    abuse_model: str = Field(description="Version of the abuse model that gave abuse_score (empty: unscored, or scored before versions were kept)")
    threat_model: str = Field(description="Version of the threat model that gave threat_score and is_threat ('rules': the rules alone)")


def _out(view: services.review.MessageView) -> dict:
    out = dataclasses.asdict(view)  # the schema keeps the fields it declares
    out["id"] = out.pop("pk")
    return out


class QueueQuery(Schema):
    review: str = Field("waiting", pattern="^(waiting|dismissed|confirmed|promoted|all)$")
    threats_only: bool = False
    sort: MessageSortKey | None = Field(None, description="Column to sort by ('candidate': FEOAs only); the queue's own order breaks ties")
    order: SortOrder | None = Field(None, description="asc or desc")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class QueueOut(Schema):
    count: int
    items: list[MessageViewOut]


@router.get("/messages/queue", response={200: QueueOut, 403: MessageOut}, summary="Flagged messages, threats first", auth=restricted_to(Role.FEOA, Role.ANALYST))
def review_queue(request, q: Query[QueueQuery]):
    refused = services.IDENTITY_COLUMNS if not services.sees_identities(request.user) else None
    sorting = services.MESSAGE_SORT.for_api(q.sort, q.order, refused=refused)
    qs = sorting.apply(services.queue(request.user, services.QueueFilter(review=q.review, threats_only=q.threats_only)))
    page = list(qs[q.offset: q.offset + q.limit])
    return {"count": qs.count(), "items": [_out(v) for v in services.read_messages(actor_of(request), page)]}


@router.get("/messages/{message_id}", response={200: MessageViewOut, 403: MessageOut, 404: MessageOut}, summary="One message", auth=restricted_to(Role.FEOA, Role.ANALYST))
def message_detail(request, message_id: int):
    message = services.get_message(request.user, message_id)
    return _out(services.read_message(actor_of(request), message))


class DecisionIn(Schema):
    decision: str = Field(pattern="^(dismiss|confirm|promote)$", description="dismiss, confirm (abusive) or promote (to an incident)")
    expected_review: str | None = Field(None, description="The review state you saw; 409 if someone decided meanwhile.")


class DecisionOut(Schema):
    id: int
    review: str
    incident_reference: str = ""


@router.post("/messages/{message_id}/decision", response={200: DecisionOut, 403: MessageOut, 404: MessageOut, 409: MessageOut, 422: FieldErrorsOut},
             summary="Dismiss, confirm, or promote a flagged message to an incident", auth=restricted_to(Role.FEOA, Role.ANALYST))
def decide(request, message_id: int, payload: DecisionIn):
    message = services.get_message(request.user, message_id)
    actor = actor_of(request)
    try:
        if payload.decision == "promote":
            incident = services.promote(actor, message, expected=payload.expected_review)
            reference = incident.reference if services.sees_identities(request.user) else ""
            return {"id": message.pk, "review": Message.Review.PROMOTED, "incident_reference": reference}
        message = services.decide(actor, message, payload.decision, expected=payload.expected_review)
    except services.ReviewConflict as exc:
        return Status(409, {"detail": str(exc)})
    except ReportInvalid as exc:
        return Status(422, {"detail": [{"field": k, "message": v, "loc": ["body", k]} for k, v in exc.errors.items()]})
    return {"id": message.pk, "review": message.review}


class WeekOut(Schema):
    week: dt.date
    received: int
    flagged: int
    threats: int


@router.get("/candidates/{candidate_id}/abuse-timeline", response={200: list[WeekOut], 403: MessageOut, 404: MessageOut},
            summary="Messages received, flagged and threatening per week", auth=restricted_to(Role.CANDIDATE, Role.STAFF, Role.FEOA, Role.ANALYST))
def abuse_timeline(request, candidate_id: int):
    candidate = services.timeline_candidates(request.user).get(pk=candidate_id)
    return services.weekly_counts(candidate)


# ---------------------------------------------------------------------------------------------------
# Coordinated campaigns (docs/monitoring.md, "Coordinated campaigns")


class PlaceOut(Schema):
    code: str
    name: str


class CampaignSummaryOut(Schema):
    id: int
    reference: str
    status: str
    score: float
    accounts_count: int
    messages_count: int
    constituencies: list[PlaceOut]
    forces: list[PlaceOut]
    behaviours: list[str]
    kind: str = Field(description="coordinated (people acting together) or scheduled (more than half of the accounts post on a timer: scheduled software).")
    first_at: dt.datetime
    last_at: dt.datetime
    last_found_at: dt.datetime


class CampaignListOut(Schema):
    count: int
    items: list[CampaignSummaryOut]


class CampaignMessageOut(Schema):
    id: int
    sent_at: dt.datetime
    author: str
    candidate: str
    text: str
    review: str


class CampaignIncidentOut(Schema):
    reference: str
    status: str


class EvidenceSideOut(Schema):
    kind: str
    who: str
    message_id: int | None = None
    time: dt.datetime


class CampaignEvidenceOut(Schema):
    behaviour: str
    label: str
    shared: str
    a: EvidenceSideOut
    b: EvidenceSideOut


class ChanceOut(Schema):
    behaviour: str
    label: str
    co_actions: int = Field(description="Co-actions of this behaviour on the links between members.")
    expected: float = Field(description="How many chance would give (the engine's null model: each account's activity and each object's popularity in the same hour).")


class TimerOut(Schema):
    period_seconds: float = Field(description="The clock cycle the timed accounts' posts fall on, e.g. 900 for the quarter hour.")
    every_seconds: float = Field(description="Their usual interval between posts.")
    offset_seconds: float = Field(description="Seconds after the clock's mark (e.g. after each quarter hour) at which they post, on average.")
    spread_seconds: float = Field(description="How far their posts stray from that point (circular standard deviation).")
    accounts: int = Field(description="How many of the campaign's accounts post on a timer.")
    p_value: float = Field(description="The weakest of them: the probability bound of its rhythm arising by chance.")


class CampaignOut(CampaignSummaryOut):
    why: str = Field(description="Why this is a campaign, in plain English (for a scheduled campaign, starting with its timer).")
    timer: TimerOut | None = Field(None, description="For a scheduled campaign, the timer most of its accounts follow; null otherwise.")
    chance: list[ChanceOut]
    p_value: float | None = Field(None, description="The weakest link's probability by chance; null when no significance test was run.")
    accounts: list[str]
    candidates: list[str]
    evidence: list[CampaignEvidenceOut]
    messages: list[CampaignMessageOut]
    messages_total: int
    messages_not_shown: int = Field(description="Messages in the campaign outside your scope (other forces' areas).")
    incidents: list[CampaignIncidentOut]
    incidents_total: int
    decided_by: str
    decided_at: dt.datetime | None
    decision_note: str
    joined_since_decision: list[str]


class CampaignQuery(Schema):
    status: str = Field("", pattern="^(|new|confirmed|dismissed)$")
    kind: str = Field("", pattern="^(|coordinated|scheduled)$", description="coordinated or scheduled (accounts posting on a timer)")
    force: str = Field("", max_length=20, description="A police force code, e.g. E23000014")
    sort: CampaignSortKey | None = Field(None, description="Column to sort by; the list's own order breaks ties")
    order: SortOrder | None = Field(None, description="asc or desc")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


def _places(items) -> list[dict]:
    return [{"code": p.code, "name": p.name} for p in items]


def _summary(c, message_count: int | None = None) -> dict:
    return {
        "id": c.pk, "reference": c.reference, "status": c.status, "score": c.score, "accounts_count": len(c.accounts),
        "messages_count": message_count if message_count is not None else getattr(c, "message_count", None) or c.messages.count(),
        "constituencies": _places(sorted(c.areas.all(), key=lambda a: a.name)), "forces": _places(sorted(c.forces.all(), key=lambda f: f.name)),
        "behaviours": c.behaviours, "kind": c.kind, "first_at": c.first_at, "last_at": c.last_at, "last_found_at": c.last_found_at,
    }


def _side(side: dict, when: dt.datetime) -> dict:
    if side["kind"] == "incident":
        return {"kind": "incident", "who": side.get("incident_ref") or "an incident", "message_id": None, "time": when}
    view = side.get("view")
    return {"kind": "account", "who": side["pseudonym"], "message_id": view.pk if view else None, "time": when}


@router.get("/campaigns", response={200: CampaignListOut, 403: MessageOut}, summary="Coordinated campaigns, highest score first",
            auth=restricted_to(Role.FEOA, Role.ANALYST))
def campaign_list(request, q: Query[CampaignQuery]):
    sorting = services.campaigns.CAMPAIGN_SORT.for_api(q.sort, q.order)
    qs = sorting.apply(services.campaigns.campaign_list(request.user, services.campaigns.CampaignFilter(status=q.status, force=q.force, kind=q.kind)))
    page = list(qs[q.offset: q.offset + q.limit])
    return {"count": qs.count(), "items": [_summary(c) for c in page]}


@router.get("/campaigns/{int:campaign_id}", response={200: CampaignOut, 403: MessageOut, 404: MessageOut}, summary="One campaign, as you may see it",
            auth=restricted_to(Role.FEOA, Role.ANALYST))
def campaign_detail(request, campaign_id: int):
    campaign = services.campaigns.get_campaign(request.user, campaign_id)
    view = services.campaigns.read_campaign(actor_of(request), campaign, message_limit=200)
    out = _summary(campaign, view.messages_total)
    out.update({
        "why": services.campaigns.explain_campaign(campaign, view), "timer": campaign.timer, "chance": campaign.chance, "p_value": campaign.p_value,
        "accounts": view.pseudonyms, "candidates": view.candidates,
        "evidence": [{"behaviour": e["behaviour"], "label": e["label"], "shared": e["shared"], "a": _side(e["a"], e["time_a"]), "b": _side(e["b"], e["time_b"])} for e in view.evidence],
        "messages": [{"id": m.pk, "sent_at": m.sent_at, "author": m.author, "candidate": m.candidate, "text": m.text, "review": m.review} for m in view.messages],
        "messages_total": view.messages_total, "messages_not_shown": view.messages_hidden,
        "incidents": [{"reference": i.reference, "status": i.status} for i in view.incidents], "incidents_total": view.incidents_total,
        "decided_by": campaign.decided_by.username if campaign.decided_by else "", "decided_at": campaign.decided_at,
        "decision_note": view.note, "joined_since_decision": view.joined_since_decision,
    })
    return out


class CampaignDecisionIn(Schema):
    decision: str = Field(pattern="^(confirm|dismiss)$", description="confirm (the accounts are working together) or dismiss")
    note: str = Field("", max_length=2000, description="Why: required.")
    expected_status: str | None = Field(None, description="The status you saw; 409 if someone decided meanwhile.")


class CampaignDecisionOut(Schema):
    id: int
    status: str


@router.post("/campaigns/{int:campaign_id}/decision", response={200: CampaignDecisionOut, 403: MessageOut, 404: MessageOut, 409: MessageOut, 422: FieldErrorsOut},
             summary="Confirm or dismiss a campaign (analysts)", auth=restricted_to(Role.FEOA, Role.ANALYST))
def campaign_decision(request, campaign_id: int, payload: CampaignDecisionIn):
    campaign = services.campaigns.get_campaign(request.user, campaign_id)
    try:
        campaign = services.campaigns.decide(actor_of(request), campaign, payload.decision, payload.note, expected=payload.expected_status)
    except services.campaigns.DecisionConflict as exc:
        return Status(409, {"detail": str(exc)})
    except services.campaigns.DecisionInvalid as exc:
        return Status(422, {"detail": [{"field": k, "message": v, "loc": ["body", k]} for k, v in exc.errors.items()]})
    return {"id": campaign.pk, "status": campaign.status}


class DetectionRunOut(Schema):
    run_id: int
    status: str
    trigger: str


@router.post("/campaigns/detect", response={202: DetectionRunOut, 403: MessageOut}, summary="Run campaign detection now, in the task worker",
             auth=restricted_to(Role.FEOA, Role.ANALYST))
def campaign_detect(request):
    run = services.campaigns.request_run(actor_of(request))
    return Status(202, {"run_id": run.pk, "status": run.status, "trigger": run.trigger})


# ---------------------------------------------------------------------------------------------------
# Live message sources (administrators)


class SourceOut(Schema):
    name: str
    label: str
    enabled: bool
    connected: bool
    connected_since: dt.datetime | None
    heartbeat_at: dt.datetime | None
    last_event_at: dt.datetime | None
    last_message_at: dt.datetime | None
    lag_seconds: float | None = Field(description="How far behind the platform's clock the last event read was; null when not connected")
    backlog: int = Field(description="Posts received and waiting to be stored and scored")
    messages_per_minute: float = Field(description="Messages stored from this source per minute over the last 5 minutes")
    events: int
    matched: int
    malformed: int
    oversize: int
    deleted_upstream: int
    errors: int
    last_error: str
    last_error_at: dt.datetime | None
    stalled: bool
    watched_accounts: int


class SourceControlIn(Schema):
    enabled: StrictBool = Field(description="true to start the connector, false to stop it; it obeys within seconds")


@router.get("/sources", response={200: list[SourceOut], 403: MessageOut}, summary="Live message sources and their health", auth=restricted_to(Role.ADMIN))
def source_list(request):
    from .services import sources as live

    return live.statuses(request.user)


@router.post("/sources/{name}", response={200: SourceOut, 403: MessageOut, 404: MessageOut}, summary="Start or stop a live message source",
             auth=restricted_to(Role.ADMIN))
def source_control(request, name: str, payload: SourceControlIn):
    from .models import Source
    from .services import sources as live

    actor = actor_of(request)
    try:
        live.set_enabled(actor, name, payload.enabled)
    except Source.DoesNotExist:
        return Status(404, {"detail": f"No live source called {name!r}: use one of {', '.join(live.STATUS)}"})
    return live.STATUS[name]()


# ---------------------------------------------------------------------------------------------------
# Mastodon accounts (candidates and their staff)


class MastodonConnectIn(Schema):
    candidate_id: int
    instance_url: str = Field(max_length=200, description="Your Mastodon server, like https://mastodon.social")
    access_token: str = Field(max_length=200, description="An access token with the read:notifications scope; never returned")


class MastodonAccountOut(Schema):
    id: int
    candidate_id: int
    acct: str
    instance_url: str
    connected_at: dt.datetime
    revoked_at: dt.datetime | None
    last_event_at: dt.datetime | None
    last_error: str


@router.post("/mastodon/accounts", response={201: MastodonAccountOut, 403: MessageOut, 422: FieldErrorsOut},
             summary="Connect a candidate's Mastodon account so its mentions are monitored", auth=restricted_to(Role.CANDIDATE, Role.STAFF))
def mastodon_connect(request, payload: MastodonConnectIn):
    from .services import mastodon

    try:
        account = mastodon.connect(actor_of(request), payload.candidate_id, payload.instance_url, payload.access_token)
    except mastodon.ConnectInvalid as exc:
        return Status(422, {"detail": [{"field": k, "message": v, "loc": ["body", k]} for k, v in exc.errors.items()]})
    return Status(201, account)


@router.get("/mastodon/accounts", response={200: list[MastodonAccountOut], 403: MessageOut}, summary="Your candidacies' Mastodon accounts",
            auth=restricted_to(Role.CANDIDATE, Role.STAFF))
def mastodon_list(request):
    from .services import mastodon

    return list(mastodon.accounts_for(request.user))


@router.delete("/mastodon/accounts/{account_id}", response={200: MastodonAccountOut, 403: MessageOut, 404: MessageOut},
               summary="Disconnect a Mastodon account: the token is erased", auth=restricted_to(Role.CANDIDATE, Role.STAFF))
def mastodon_disconnect(request, account_id: int):
    from .models import MastodonAccount
    from .services import mastodon

    try:
        return mastodon.disconnect(actor_of(request), account_id)
    except MastodonAccount.DoesNotExist:
        return Status(404, {"detail": "No such Mastodon account"})
