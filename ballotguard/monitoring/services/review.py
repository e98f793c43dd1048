"""The review queue: flagged messages, worst first; decisions; promotion to an incident.

Every decision is stored twice over: on the message (its review state) and as a
:class:`ReviewDecision`, which ``train-abuse-model`` reads back as a labelled example.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from ballotguard.accounts.models import User
from ballotguard.accounts.services import Actor, audit, audit_reads
from ballotguard.core.sorting import Column, SortSpec, in_order
from ballotguard.core.matching import candidate_pseudonym
from ballotguard.engines.incidents.facts import Behaviour, Place
from ballotguard.engines.messages.records import Platform
from ballotguard.incidents.models import Incident
from ballotguard.incidents.services import EvidenceFile, ReportInput, refer
from ballotguard.registry.services import NotPermitted

from ..models import Message, ReviewDecision
from .scope import can_review, messages_visible_to, sees_identities

DECISIONS = {
    "dismiss": (Message.Review.DISMISSED, ReviewDecision.Decision.DISMISSED, False),
    "confirm": (Message.Review.CONFIRMED, ReviewDecision.Decision.CONFIRMED, True),
}


class ReviewConflict(Exception):
    """The message was decided by someone else meanwhile (two reviewers, or a stale tab)."""


@dataclass
class QueueFilter:
    review: str = Message.Review.WAITING  # "waiting", "dismissed", "confirmed", "promoted" or "all"
    threats_only: bool = False
    candidate_id: int | None = None


def queue(user: User, flt: QueueFilter) -> QuerySet[Message]:
    """Flagged messages in the user's scope: threats (and exposed addresses) first, then by abuse score,
    then the oldest, so nothing waits for ever behind newer, similar messages."""
    if not can_review(user):
        raise NotPermitted("Only FEOAs and Taskforce analysts review flagged messages.")
    qs = messages_visible_to(user).exclude(review=Message.Review.NOT_FLAGGED)
    if flt.review and flt.review != "all":
        qs = qs.filter(review=flt.review)
    if flt.threats_only:
        qs = qs.filter(is_threat=True)
    if flt.candidate_id:
        qs = qs.filter(candidate_id=flt.candidate_id)
    return qs.order_by(F("threat_score").desc(nulls_last=True), F("abuse_score").desc(nulls_last=True), "sent_at", "id")


#: The flagged-messages list's sortable columns (page and API). The text, the author's handle and name
#: and the reasons are encrypted, so they are not sortable: "message" sorts by when it was sent.
#: "candidate" sorts by the candidate's name, which analysts see only as a pseudonym, so it is
#: offered to FEOAs alone (an alphabetical order would give the names behind the pseudonyms away).
MESSAGE_SORT = SortSpec(
    Column("message", "sent_at", first="desc"),
    Column("flagged", "threat_score", "abuse_score", first="desc"),
    Column("candidate", Lower("candidate__name")),
    Column("review", in_order("review", Message.Review.values)),
    default=("flagged", "desc"),
)
IDENTITY_COLUMNS = {"candidate": "Only advisers can sort by candidate: you see candidates by pseudonym"}


# ---------------------------------------------------------------------------------------------------
# What a reviewer sees

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HANDLE = re.compile(r"(?<![\w@])@\w{1,30}")
# A house number and a street, as exposure detection finds them ("12 Acacia Avenue", "7 St Mary's Rd").
_STREET = re.compile(r"\b\d{1,4}[a-z]?,?\s+(?:[a-z][a-z'’-]*\.?\s+){1,3}?(?:road|rd|street|st|avenue|ave|lane|ln|close|cl|drive|dr|crescent|cres|court|ct|place|pl|square|sq|gardens|gdns|terrace|grove|way|walk|mews|hill|rise|row|park|view|green)\b\.?", re.IGNORECASE)
_DIGITS = re.compile(r"\+?\d[\d\s().-]{7,}\d")
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)


def pseudonymise_text(text: str) -> str:
    """For analysts: handles, e-mail addresses, links, street addresses, phone-like numbers and postcodes masked; the words kept, because
    the words are what is being reviewed."""
    text = _URL.sub("[link]", text)
    text = _EMAIL.sub("[email]", text)
    text = _HANDLE.sub("@[handle]", text)
    text = _STREET.sub("[address]", text)
    text = _POSTCODE.sub("[postcode]", text)
    return _DIGITS.sub("[number]", text)


@dataclass(frozen=True)
class MessageView:
    """A message as this reviewer may see it."""

    pk: int
    platform: str
    sent_at: object
    text: str
    author: str
    author_name: str
    candidate: str
    area: str
    abuse_score: float | None
    threat_score: float | None
    is_threat: bool
    exposes_contact: bool
    reasons: list[str]
    review: str
    review_label: str
    abuse_model: str  # the versions that gave the scores ("" before versions were stored, or unscored)
    threat_model: str
    incident_reference: str
    hashtags: list[str]
    urls: list[str]
    pseudonymised: bool


def _reasons(message: Message, identities: bool) -> list[str]:
    try:
        reasons = json.loads(message.reasons) if message.reasons else []
    except ValueError:
        reasons = []
    if identities:
        return reasons
    return [pseudonymise_text(r) for r in reasons]


def view_of(user: User, message: Message) -> MessageView:
    identities = sees_identities(user)
    candidate = message.candidate
    if identities:
        candidate_label = str(candidate) if candidate else "Not addressed to a known candidate"
    else:
        candidate_label = candidate_pseudonym(candidate.pk) if candidate else "unknown candidate"
    return MessageView(
        pk=message.pk, platform=Platform(message.platform).label, sent_at=message.sent_at,
        text=message.text if identities else pseudonymise_text(message.text),
        author=f"@{message.author_handle}" if identities and message.author_handle else message.pseudonym,
        author_name=message.author_name if identities else "",
        candidate=candidate_label, area=candidate.ballot.area.name if candidate else "",
        abuse_score=message.abuse_score, threat_score=message.threat_score, is_threat=message.is_threat,
        exposes_contact=message.exposes_contact, reasons=_reasons(message, identities), review=message.review,
        review_label=message.get_review_display(),
        abuse_model=message.model_version, threat_model=message.threat_version,
        incident_reference=message.incident.reference if message.incident_id and identities else "",
        hashtags=list(message.hashtags), urls=message.urls.splitlines() if identities and message.urls else [],
        pseudonymised=not identities,
    )


def _read_fields(user: User) -> list[str]:
    return Message.CONTENT_FIELDS if sees_identities(user) else ["text", "reasons"]


def read_messages(actor: Actor, messages: list[Message]) -> list[MessageView]:
    """The views of a page of messages, each read recorded in the audit log."""
    user = actor.user
    audit_reads(actor, "message", [m.pk for m in messages], _read_fields(user))
    return [view_of(user, m) for m in messages]


def read_message(actor: Actor, message: Message) -> MessageView:
    return read_messages(actor, [message])[0]


# ---------------------------------------------------------------------------------------------------
# Decisions


def _locked(message: Message) -> Message:
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer joins select_related makes.
    return Message.objects.select_for_update(of=("self",)).select_related("candidate__ballot__area", "incident").get(pk=message.pk)


def _record(actor: Actor, message: Message, review: str, decision: str, is_abusive: bool) -> None:
    user = actor.user
    message.review = review
    message.reviewed_by = user
    message.reviewed_at = timezone.now()
    message.save(update_fields=["review", "reviewed_by", "reviewed_at", "incident"])
    ReviewDecision.objects.create(
        message=message, decision=decision, is_abusive=is_abusive, decided_by=user, decided_by_role=user.role,
        abuse_score=message.abuse_score, model_version=message.model_version,
    )
    audit(actor, "update", "message", message.pk, detail=f"review: {decision}")


def decide(actor: Actor, message: Message, action: str, *, expected: str | None = None) -> Message:
    """Dismiss or confirm a flagged message. ``expected``: the review state the reviewer saw; if
    someone has decided meanwhile, :class:`ReviewConflict` rather than a silent overwrite."""
    user = actor.user
    if user is None or not can_review(user):
        raise NotPermitted("Only FEOAs and Taskforce analysts review flagged messages.")
    if action not in DECISIONS:
        raise ValueError(f"Unknown decision {action!r}")
    review, decision, is_abusive = DECISIONS[action]
    with transaction.atomic():
        message = _locked(message)
        _check_open(message, expected)
        _record(actor, message, review, decision, is_abusive)
    return message


def _check_open(message: Message, expected: str | None) -> None:
    if message.review == Message.Review.PROMOTED:
        raise ReviewConflict("This message has already been promoted to an incident.")
    if expected is not None and message.review != expected:
        who = message.reviewed_by.username if message.reviewed_by else "someone"
        raise ReviewConflict(f"{who} has already marked this message as {message.get_review_display().lower()}.")


def _behaviours(message: Message) -> list[str]:
    reasons = " ".join(_reasons(message, True)).lower()
    out = [Behaviour.ABUSIVE_OR_HATEFUL_MESSAGE.value]
    if message.is_threat:
        out.append(Behaviour.THREAT_OF_SEXUAL_VIOLENCE.value if "sexual_violence" in reasons else Behaviour.THREAT_TO_KILL_OR_HARM.value)
    if message.exposes_contact:
        out.append(Behaviour.PUBLISHING_HOME_ADDRESS.value)
    return out


def evidence_text(message: Message) -> str:
    """The message as it was captured, for the incident's evidence (a plain-text file)."""
    header = [
        ("Platform", Platform(message.platform).label),
        ("Message id", message.message_id),
        ("Sent at", message.sent_at.isoformat()),
        ("Author handle", f"@{message.author_handle}" if message.author_handle else "not known"),
        ("Author display name", message.author_name or "not known"),
        ("In reply to", message.reply_to),
        ("Mentions", ", ".join("@" + m for m in message.mentions.splitlines())),
        ("Links", " ".join(message.urls.splitlines())),
        ("Hashtags", " ".join("#" + h for h in message.hashtags)),
        ("Ingested by Ballotguard at", message.ingested_at.isoformat()),
    ]
    lines = ["Message captured by Ballotguard monitoring", ""]
    lines += [f"{name}: {value}" for name, value in header if value]
    return "\n".join([*lines, "", "Text:", message.text, ""])


def promote(actor: Actor, message: Message, *, expected: str | None = None) -> Incident:
    """Raise an incident for the candidate from a flagged message: the message becomes its evidence
    and its author's handle an observable, so other reports naming the same account link to it."""
    user = actor.user
    if user is None or not can_review(user):
        raise NotPermitted("Only FEOAs and Taskforce analysts review flagged messages.")
    with transaction.atomic():
        message = _locked(message)
        _check_open(message, expected)
        if message.candidate_id is None:
            raise ReviewConflict("This message is not addressed to a known candidate, so it cannot become their incident.")
        handle = f"@{message.author_handle}" if message.author_handle else ""
        data = ReportInput(
            candidate_id=message.candidate_id, occurred_at=min(message.sent_at, timezone.now()), place=Place.ONLINE.value,
            platform=Platform(message.platform).label, behaviours=_behaviours(message),
            weapon_mentioned=False, home_address_known=message.exposes_contact, perpetrator_known=bool(handle),
            description=f"Message on {Platform(message.platform).label} flagged by monitoring and promoted by a reviewer:\n\n{message.text}"[:10_000],
            perpetrator=f"Account {handle}" + (f" ({message.author_name})" if message.author_name else "") if handle else "",
            observables={"handle": handle} if handle else {},
        )
        evidence = EvidenceFile(f"message-{message.platform}-{message.pk}.txt", evidence_text(message).encode("utf-8"))
        incident = refer(actor, data, origin=f"monitoring (message {message.pk} on {Platform(message.platform).label})", evidence=[evidence])
        message.incident = incident
        _record(actor, message, Message.Review.PROMOTED, ReviewDecision.Decision.PROMOTED, True)
    return incident


# ---------------------------------------------------------------------------------------------------
# Feedback for training


def feedback_rows(actor: Actor) -> list[tuple[str, bool]]:
    """Each reviewed message's text with its latest label, for ``train-abuse-model``. The read of
    the texts is audited as an export."""
    latest: dict[int, bool] = {}
    for message_id, is_abusive in ReviewDecision.objects.order_by("decided_at", "id").values_list("message_id", "is_abusive"):
        latest[message_id] = is_abusive
    if not latest:
        return []
    texts = dict(Message.objects.filter(pk__in=latest).values_list("pk", "text"))
    audit(actor, "export", "message", "", fields=["text"], detail=f"review feedback for training: {len(texts)} messages")
    return [(texts[pk], label) for pk, label in latest.items() if pk in texts]
