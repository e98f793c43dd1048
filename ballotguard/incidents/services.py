"""Incident operations: reporting, evidence, the FEOA's workflow, links between incidents, access requests.

Pages, the API and commands call these functions; they own scope, transactions and the audit log.
Scope in one sentence: a candidate sees their own incidents, staff those of candidates who delegated
to them, a FEOA those in their force(s) (and any another force granted them), nobody else any.
Outside scope is ``Incident.DoesNotExist`` (answered 404); a role that may never do something is
``NotPermitted`` (403).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from ballotguard.accounts.models import Role, User
from ballotguard.accounts.services import Actor, audit
from ballotguard.core import blobs
from ballotguard.core.matching import keyed_hash
from ballotguard.engines.evidence_types import SNIFF_BYTES, EvidenceRejected, check_evidence
from ballotguard.engines.incident_facts import Behaviour, IncidentFacts, Occasion, Place, ProtectedCharacteristic, TargetRole
from ballotguard.engines.observables import Observable as ObservableValue
from ballotguard.engines.observables import ObservableKind, parse_observable_lines
from ballotguard.engines.offences import OffenceGuidance, offences_for
from ballotguard.engines.risk import RiskAssessment, RiskLevel, assess_risk
from ballotguard.engines.routing import RouteAdvice, route
from ballotguard.registry.models import Area, AreaForce, Candidate, Delegation, PoliceForce
from ballotguard.registry.services import NotPermitted

from .models import AccessRequest, Evidence, Incident, IncidentEvent, IncidentLink, Observable
from .tasks import link_again, notify_advisers_of_high_risk

MAX_DESCRIPTION = 10_000
MAX_PERPETRATOR = 5_000
MAX_NOTE = 5_000
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.get_fixed_timezone(0))
_CRIME_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/\-]{3,39}$")


class ReportInvalid(Exception):
    """The report has errors: ``errors`` maps each field to a plain-English message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class IdempotencyConflict(Exception):
    """The idempotency key was used before with a different report."""


# ---------------------------------------------------------------------------------------------------
# Scope


def reportable_candidates(user: User) -> QuerySet[Candidate]:
    """The candidacies a user may report for: their own, or those delegated to them."""
    qs = Candidate.objects.select_related("ballot__area", "ballot__election", "party")
    if not user.is_authenticated:
        return qs.none()
    if user.role == Role.CANDIDATE:
        return qs.filter(user=user)
    if user.role == Role.STAFF:
        return qs.filter(delegations__staff=user)
    return qs.none()


def can_report(user: User) -> bool:
    return user.is_authenticated and user.role in {Role.CANDIDATE, Role.STAFF}


def is_adviser(user: User) -> bool:
    return user.is_authenticated and user.role == Role.FEOA


def _base() -> QuerySet[Incident]:
    return Incident.objects.select_related("candidate__ballot__area", "candidate__ballot__election", "candidate__party", "area", "assigned_to", "reported_by")


def _in_forces(forces) -> Exists:
    return Exists(Incident.forces.through.objects.filter(incident_id=OuterRef("pk"), policeforce__in=forces))


def incidents_visible_to(user: User) -> QuerySet[Incident]:
    """Every incident the user may open. Drafts are the reporter's alone until they are sent."""
    qs = _base()
    if not user.is_authenticated:
        return qs.none()
    sent = ~Q(status=Incident.Status.DRAFT)
    if user.role == Role.CANDIDATE:
        return qs.filter(Q(candidate__user=user) & (sent | Q(reported_by=user)))
    if user.role == Role.STAFF:
        delegated = Exists(Delegation.objects.filter(candidate_id=OuterRef("candidate_id"), staff=user))
        return qs.filter(delegated & (sent | Q(reported_by=user)))
    if user.role == Role.FEOA:
        granted = Exists(AccessRequest.objects.filter(incident_id=OuterRef("pk"), requested_by=user, status=AccessRequest.Status.GRANTED))
        return qs.filter(sent).filter(_in_forces(user.police_forces.all()) | granted)
    return qs.none()


def incidents_in_force_of(user: User) -> QuerySet[Incident]:
    """Incidents the FEOA may act on (not merely read through a granted access request)."""
    if not is_adviser(user):
        return Incident.objects.none()
    return _base().exclude(status=Incident.Status.DRAFT).filter(_in_forces(user.police_forces.all()))


def get_incident(user: User, reference: str) -> Incident:
    return incidents_visible_to(user).get(reference=reference)


def can_act_as_adviser(user: User, incident: Incident) -> bool:
    return is_adviser(user) and incidents_in_force_of(user).filter(pk=incident.pk).exists()


def can_add_evidence(user: User, incident: Incident) -> bool:
    if incident.status == Incident.Status.CLOSED:
        return False
    if user.role in {Role.CANDIDATE, Role.STAFF}:
        return reportable_candidates(user).filter(pk=incident.candidate_id).exists()
    return can_act_as_adviser(user, incident)


def read_incident(actor: Actor, incident: Incident) -> Incident:
    """Record that the actor opened the incident's personal content."""
    audit(actor, "read", "incident", incident.pk, fields=["description", "perpetrator", "observables"])
    return incident


# ---------------------------------------------------------------------------------------------------
# Reporting


@dataclass
class ReportInput:
    """What a reporter typed. Strings as typed; ``observables`` maps a kind to lines of text."""

    candidate_id: int | None = None
    occurred_at: datetime | None = None
    place: str = ""
    area_code: str = ""
    platform: str = ""
    behaviours: list[str] = field(default_factory=list)
    characteristics: list[str] = field(default_factory=list)
    in_danger_now: bool = False
    weapon_mentioned: bool = False
    home_address_known: bool = False
    perpetrator_known: bool = False
    description: str = ""
    perpetrator: str = ""
    observables: dict[str, str] = field(default_factory=dict)

    def fingerprint(self) -> str:
        data = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.__dict__.items()}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class _Cleaned:
    candidate: Candidate | None
    area: Area | None
    observables: list[ObservableValue]


def _clean(user: User, data: ReportInput, *, complete: bool) -> _Cleaned:
    """Check a report. ``complete=False`` (a draft) lets required answers be missing, never wrong ones."""
    errors: dict[str, str] = {}
    candidate = None
    if data.candidate_id is not None:
        candidate = reportable_candidates(user).filter(pk=data.candidate_id).first()
    if candidate is None:
        errors["candidate"] = "Select the candidate this happened to"

    now = timezone.now()
    if data.occurred_at is None:
        if complete:
            errors["occurred_at"] = "Enter the date and time it happened"
    elif data.occurred_at > now + CLOCK_SKEW:
        errors["occurred_at"] = "The date it happened must be today or in the past"
    elif data.occurred_at < EARLIEST:
        errors["occurred_at"] = "The date it happened must be after 1 January 2000"

    if not data.place:
        if complete:
            errors["place"] = "Select where it happened"
    elif data.place not in {p.value for p in Place}:
        errors["place"] = "Select where it happened from the list"

    area = None
    if data.area_code:
        area = Area.objects.filter(code=data.area_code.strip(), area_type__in=["constituency", "council", "ward"]).first()
        if area is None:
            errors["area"] = "Select a constituency, council or ward from the list"

    known = {b.value for b in Behaviour}
    if any(b not in known for b in data.behaviours):
        errors["behaviours"] = "Select what happened from the list"
    elif complete and not data.behaviours:
        errors["behaviours"] = "Select what happened: choose at least one"
    characteristic_values = {c.value for c in ProtectedCharacteristic}
    if any(c not in characteristic_values for c in data.characteristics):
        errors["characteristics"] = "Select the characteristic from the list"
    elif complete and Behaviour.PROTECTED_CHARACTERISTIC_HOSTILITY.value in data.behaviours and not data.characteristics:
        errors["characteristics"] = "Select what the hostility was about"

    if len(data.description) > MAX_DESCRIPTION:
        errors["description"] = f"What happened must be {MAX_DESCRIPTION:,} characters or fewer"
    elif complete and not data.description.strip():
        errors["description"] = "Describe what happened"
    if len(data.perpetrator) > MAX_PERPETRATOR:
        errors["perpetrator"] = f"What you know about who did it must be {MAX_PERPETRATOR:,} characters or fewer"
    if len(data.platform) > 50:
        errors["platform"] = "The platform's name must be 50 characters or fewer"

    observables: list[ObservableValue] = []
    for kind_value, text in data.observables.items():
        try:
            kind = ObservableKind(kind_value)
        except ValueError:
            errors[f"observables.{kind_value}"] = "Unknown kind of detail"
            continue
        found, problems = parse_observable_lines(kind, text or "")
        if problems:
            errors[f"observables.{kind.value}"] = problems[0].message
        observables.extend(found)

    if errors:
        raise ReportInvalid(errors)
    return _Cleaned(candidate=candidate, area=area or (candidate.ballot.area if candidate else None), observables=observables)


def _apply(incident: Incident, data: ReportInput, cleaned: _Cleaned) -> None:
    incident.candidate = cleaned.candidate
    incident.occurred_at = data.occurred_at
    incident.place = data.place
    incident.area = cleaned.area
    incident.platform = data.platform.strip()
    incident.behaviours = [b.value for b in Behaviour if b.value in data.behaviours]
    incident.characteristics = [c.value for c in ProtectedCharacteristic if c.value in data.characteristics]
    incident.in_danger_now = data.in_danger_now
    incident.weapon_mentioned = data.weapon_mentioned
    incident.home_address_known = data.home_address_known
    incident.perpetrator_known = data.perpetrator_known
    incident.description = data.description.strip()
    incident.perpetrator = data.perpetrator.strip()


def _replace_observables(incident: Incident, observables: list[ObservableValue]) -> None:
    incident.observables.all().delete()
    seen: set[tuple[str, str]] = set()
    rows = []
    for obs in observables:
        key = (obs.kind.value, obs.value)
        if key in seen:
            continue
        seen.add(key)
        rows.append(Observable(
            incident=incident, kind=obs.kind.value, display=obs.display, value=obs.value,
            match_hash=keyed_hash("observable", obs.match_key) if obs.match_key else "",
        ))
    Observable.objects.bulk_create(rows)


def observables_as_text(incident: Incident) -> dict[str, str]:
    """The stored observables, one per line per kind, as a form shows them."""
    out: dict[str, list[str]] = {}
    for obs in incident.observables.all():
        out.setdefault(obs.kind, []).append(obs.display)
    return {k: "\n".join(v) for k, v in out.items()}


def save_draft(actor: Actor, data: ReportInput, incident: Incident | None = None) -> Incident:
    """Create or update a draft. Only what is wrong is refused; what is missing can come later."""
    user = actor.user
    if user is None or not can_report(user):
        raise NotPermitted("Only a candidate, or their staff, can report an incident.")
    if incident is not None and (incident.status != Incident.Status.DRAFT or incident.reported_by_id != user.pk):
        raise NotPermitted("Only your own draft can be changed.")
    cleaned = _clean(user, data, complete=False)
    with transaction.atomic():
        created = incident is None
        incident = incident or Incident(reported_by=user)
        _apply(incident, data, cleaned)
        incident.save()
        _replace_observables(incident, cleaned.observables)
        if created:
            _event(actor, incident, IncidentEvent.Kind.CREATED)
            audit(actor, "create", "incident", incident.pk, fields=["description", "perpetrator", "observables"], detail="draft")
        else:
            audit(actor, "update", "incident", incident.pk, fields=["description", "perpetrator", "observables"], detail="draft")
    return incident


def submit(actor: Actor, incident: Incident) -> Incident:
    """Send a draft to the FEOAs: complete checks, forces, links, risk, and the high-risk alert."""
    user = actor.user
    if user is None or incident.reported_by_id != user.pk or incident.status != Incident.Status.DRAFT:
        raise NotPermitted("Only the reporter can send their own draft.")
    data = input_from(incident)
    cleaned = _clean(user, data, complete=True)
    with transaction.atomic():
        _apply(incident, data, cleaned)
        _send(actor, incident)
    return incident


def input_from(incident: Incident) -> ReportInput:
    return ReportInput(
        candidate_id=incident.candidate_id, occurred_at=incident.occurred_at, place=incident.place,
        area_code=incident.area.code if incident.area else "", platform=incident.platform,
        behaviours=list(incident.behaviours), characteristics=list(incident.characteristics),
        in_danger_now=incident.in_danger_now, weapon_mentioned=incident.weapon_mentioned,
        home_address_known=incident.home_address_known, perpetrator_known=incident.perpetrator_known,
        description=incident.description, perpetrator=incident.perpetrator, observables=observables_as_text(incident),
    )


def report(actor: Actor, data: ReportInput, idempotency_key: str | None = None) -> tuple[Incident, bool]:
    """Create and send a report in one step (the API). Returns ``(incident, created)``.

    With an idempotency key, a retry of the same report returns the incident the first call made;
    the same key with a different report is an :class:`IdempotencyConflict`. Two retries racing each
    other are settled by the database's unique constraint, not by a check-then-insert.
    """
    user = actor.user
    if user is None or not can_report(user):
        raise NotPermitted("Only a candidate, or their staff, can report an incident.")
    fingerprint = data.fingerprint()
    if idempotency_key:
        existing = _by_key(user, idempotency_key)
        if existing is not None:
            return _replay(existing, fingerprint), False
    cleaned = _clean(user, data, complete=True)
    try:
        with transaction.atomic():
            incident = Incident(reported_by=user, idempotency_key=idempotency_key or None, request_fingerprint=fingerprint)
            _apply(incident, data, cleaned)
            incident.save()
            _replace_observables(incident, cleaned.observables)
            _event(actor, incident, IncidentEvent.Kind.CREATED)
            audit(actor, "create", "incident", incident.pk, fields=["description", "perpetrator", "observables"])
            _send(actor, incident)
    except IntegrityError:
        existing = _by_key(user, idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        return _replay(existing, fingerprint), False
    return incident, True


def _by_key(user: User, key: str) -> Incident | None:
    return Incident.objects.filter(reported_by=user, idempotency_key=key).first()


def _replay(existing: Incident, fingerprint: str) -> Incident:
    if existing.request_fingerprint and existing.request_fingerprint != fingerprint:
        raise IdempotencyConflict("This idempotency key was already used for a different report.")
    return existing


def _send(actor: Actor, incident: Incident) -> None:
    incident.status = Incident.Status.NEW
    incident.submitted_at = timezone.now()
    incident.save()
    incident.forces.set(_forces_for(incident))
    forces = ", ".join(PoliceForce.objects.filter(pk__in=incident.forces.all()).values_list("name", flat=True))
    _event(actor, incident, IncidentEvent.Kind.SUBMITTED, f"to the elected-official advisers of {forces}")
    audit(actor, "update", "incident", incident.pk, detail="submitted")
    for other in _link(actor, incident):
        _reassess(other)
    assessment = _reassess(incident)
    incident_id = incident.pk
    # Two reports sharing a detail and sent at the same moment cannot see each other's uncommitted
    # observables; matching again once this one is committed closes that gap.
    transaction.on_commit(lambda: link_again.enqueue(incident_id))
    if assessment.level == RiskLevel.HIGH:
        transaction.on_commit(lambda: notify_advisers_of_high_risk.enqueue(incident_id))


def _forces_for(incident: Incident) -> list[int]:
    area_ids = {incident.candidate.ballot.area_id}
    if incident.area_id:
        area_ids.add(incident.area_id)
        if incident.area.parent_id:  # a ward is policed by its council's force
            area_ids.add(incident.area.parent_id)
    return list(AreaForce.objects.filter(area_id__in=area_ids).values_list("force_id", flat=True).distinct())


# ---------------------------------------------------------------------------------------------------
# Facts, guidance and risk


def linked_ids(incident: Incident) -> set[int]:
    """Every incident reachable from this one through shared observables (a perpetrator's profile)."""
    seen = {incident.pk}
    frontier = {incident.pk}
    while frontier:
        links = IncidentLink.objects.filter(Q(first_id__in=frontier) | Q(second_id__in=frontier)).values_list("first_id", "second_id")
        nxt = {i for pair in links for i in pair} - seen
        seen |= nxt
        frontier = nxt
    return seen


def course_of_conduct_ids(incident: Incident) -> list[int]:
    """Linked incidents against the same person (same Democracy Club person id), this one included."""
    ids = linked_ids(incident)
    same_person = Incident.objects.filter(pk__in=ids, candidate__person_id=incident.candidate.person_id).exclude(status=Incident.Status.DRAFT)
    return list(same_person.order_by("occurred_at", "id").values_list("pk", flat=True)) or [incident.pk]


def facts_for(incident: Incident) -> IncidentFacts:
    others = Incident.objects.filter(pk__in=course_of_conduct_ids(incident)).exclude(pk=incident.pk)
    occasions = tuple(
        Occasion(occurred_at=o.occurred_at or o.created_at, behaviours=o.behaviour_set, place=Place(o.place) if o.place else Place.OTHER)
        for o in others
    )
    return IncidentFacts(
        behaviours=incident.behaviour_set,
        place=Place(incident.place) if incident.place else Place.OTHER,
        occurred_at=incident.occurred_at,
        characteristics=frozenset(ProtectedCharacteristic(c) for c in incident.characteristics),
        target_role=TargetRole.ELECTED_OFFICIAL if incident.candidate.elected else TargetRole.CANDIDATE,
        in_danger_now=incident.in_danger_now,
        weapon_mentioned=incident.weapon_mentioned,
        home_address_known=incident.home_address_known,
        perpetrator_known=incident.perpetrator_known,
        platform=incident.platform,
        linked_occasions=occasions,
    )


@dataclass(frozen=True)
class Guidance:
    routes: list[RouteAdvice]
    offences: list[OffenceGuidance]
    risk: RiskAssessment
    occasions: int


def guidance_for(incident: Incident) -> Guidance:
    facts = facts_for(incident)
    return Guidance(routes=route(facts), offences=offences_for(facts), risk=assess_risk(facts), occasions=facts.occasions)


def _reassess(incident: Incident) -> RiskAssessment:
    assessment = assess_risk(facts_for(incident))
    incident.risk_score = assessment.score
    incident.risk_level = assessment.level.value
    incident.risk_factors = [{"code": f.code, "points": f.points, "why": f.why} for f in assessment.factors]
    incident.refresh_risk_rank()
    incident.save(update_fields=["risk_score", "risk_level", "risk_factors", "risk_rank", "updated_at"])
    return assessment


# ---------------------------------------------------------------------------------------------------
# Links between incidents


def _link(actor: Actor, incident: Incident) -> list[Incident]:
    """Match this incident's observables against every other sent incident, in every force."""
    hashes = dict(incident.observables.exclude(match_hash="").values_list("match_hash", "kind"))
    if not hashes:
        return []
    matches = (
        Observable.objects.filter(match_hash__in=hashes).exclude(incident=incident)
        .exclude(incident__status=Incident.Status.DRAFT).values_list("incident_id", "match_hash", "kind")
    )
    linked: dict[int, list[str]] = {}
    for other_id, match_hash, kind in matches:
        first, second = sorted((incident.pk, other_id))
        _, created = IncidentLink.objects.get_or_create(first_id=first, second_id=second, match_hash=match_hash, defaults={"kind": kind})
        if created:
            linked.setdefault(other_id, []).append(kind)
    others = list(Incident.objects.filter(pk__in=linked))
    for other in others:
        kinds = ", ".join(sorted({ObservableKind(k).label.lower() for k in linked[other.pk]}))
        _event(actor, incident, IncidentEvent.Kind.LINKED, f"Linked to {other.reference} by a shared {kinds}", internal=True)
        _event(actor, other, IncidentEvent.Kind.LINKED, f"Linked to {incident.reference} by a shared {kinds}", internal=True)
    return others


def relink(incident_id: int) -> int:
    """Match a sent incident's observables again (the task worker runs this after each report is
    committed). Returns how many new links were made."""
    incident = Incident.objects.filter(pk=incident_id).exclude(status=Incident.Status.DRAFT).first()
    if incident is None:
        return 0
    with transaction.atomic():
        others = _link(Actor(user=None, channel="task"), incident)
        for other in others:
            _reassess(other)
        if others:
            _reassess(incident)
    return len(others)


@dataclass(frozen=True)
class LinkedIncident:
    reference: str
    kinds: list[str]
    forces: list[str]
    visible: bool  # False: the user knows it exists, in which force, and nothing else
    incident: Incident | None
    request_status: str = ""


def linked_incidents(user: User, incident: Incident) -> list[LinkedIncident]:
    """Incidents directly linked to this one. Outside the user's scope only the force is shown."""
    rows = IncidentLink.objects.filter(Q(first=incident) | Q(second=incident)).values_list("first_id", "second_id", "kind")
    kinds: dict[int, set[str]] = {}
    for first, second, kind in rows:
        other = second if first == incident.pk else first
        kinds.setdefault(other, set()).add(ObservableKind(kind).label)
    visible = {i.pk: i for i in incidents_visible_to(user).filter(pk__in=kinds)}
    out = []
    for other in Incident.objects.filter(pk__in=kinds).prefetch_related("forces").order_by("submitted_at", "id"):
        shown = visible.get(other.pk)
        if shown is None and user.role != Role.FEOA:
            continue  # candidates and staff see links among their own incidents only
        status = ""
        if shown is None:
            request = AccessRequest.objects.filter(incident=other, requested_by=user).first()
            status = request.status if request else ""
        out.append(LinkedIncident(
            reference=other.reference, kinds=sorted(kinds[other.pk]), forces=[f.name for f in other.forces.all()],
            visible=shown is not None, incident=shown, request_status=status,
        ))
    return out


def profile(user: User, incident: Incident) -> tuple[list[Incident], dict[str, int]]:
    """A perpetrator's profile: every incident linked to this one, directly or through others.

    Returns the incidents the user may see, in the order they happened, and a count of the others by
    force name (they exist, the user may ask for access, but their content stays hidden).
    """
    ids = linked_ids(incident)
    visible = list(incidents_visible_to(user).filter(pk__in=ids).order_by("occurred_at", "id"))
    hidden: dict[str, int] = {}
    if user.role == Role.FEOA:
        shown = {i.pk for i in visible}
        for other in Incident.objects.filter(pk__in=ids - shown).prefetch_related("forces"):
            for force in other.forces.all():
                hidden[force.name] = hidden.get(force.name, 0) + 1
    return visible, hidden


# ---------------------------------------------------------------------------------------------------
# Access to linked incidents in other forces


def request_access(actor: Actor, reference: str, reason: str) -> AccessRequest:
    user = actor.user
    if user is None or not is_adviser(user):
        raise NotPermitted("Only a FEOA can ask for access to another force's incident.")
    reason = reason.strip()
    if not reason:
        raise ReportInvalid({"reason": "Enter why you need to see this incident"})
    if len(reason) > 1000:
        raise ReportInvalid({"reason": "The reason must be 1,000 characters or fewer"})
    target = Incident.objects.exclude(status=Incident.Status.DRAFT).get(reference=reference)
    # Only a linked incident can be asked for: the FEOA must hold one end of a link to it.
    mine = incidents_in_force_of(user).filter(pk__in=linked_ids(target) - {target.pk})
    if not mine.exists():
        raise Incident.DoesNotExist
    with transaction.atomic():
        request, _ = AccessRequest.objects.get_or_create(
            incident=target, requested_by=user, status=AccessRequest.Status.PENDING, defaults={"reason": reason},
        )
        audit(actor, "create", "access_request", request.pk, detail=f"incident {target.pk}")
        _event(actor, target, IncidentEvent.Kind.ACCESS, f"{user} ({_forces_text(user)}) asked for access", internal=True)
    return request


def pending_requests_for(user: User) -> QuerySet[AccessRequest]:
    """Access requests the FEOA can decide: for incidents in their own force(s)."""
    if not is_adviser(user):
        return AccessRequest.objects.none()
    return AccessRequest.objects.filter(
        incident__in=incidents_in_force_of(user), status=AccessRequest.Status.PENDING,
    ).select_related("incident", "requested_by").prefetch_related("requested_by__police_forces")


def decide_access(actor: Actor, request_id: int, grant: bool) -> AccessRequest:
    user = actor.user
    request = pending_requests_for(user).get(pk=request_id) if user else AccessRequest.objects.none().get()
    with transaction.atomic():
        request.status = AccessRequest.Status.GRANTED if grant else AccessRequest.Status.REFUSED
        request.decided_by = user
        request.decided_at = timezone.now()
        request.save()
        audit(actor, "update", "access_request", request.pk, detail=request.status)
        _event(actor, request.incident, IncidentEvent.Kind.ACCESS, f"Access for {request.requested_by} {request.status}", internal=True)
    return request


def _forces_text(user: User) -> str:
    return ", ".join(f.name for f in user.police_forces.all())


# ---------------------------------------------------------------------------------------------------
# The FEOA's workflow

# Which status may follow which; each arrow's required fields are checked in ``change_status``.
TRANSITIONS: dict[str, set[str]] = {
    Incident.Status.NEW: {Incident.Status.TRIAGED},
    Incident.Status.TRIAGED: {Incident.Status.ADVICE_GIVEN, Incident.Status.REFERRED, Incident.Status.CLOSED},
    Incident.Status.ADVICE_GIVEN: {Incident.Status.REFERRED, Incident.Status.CLOSED},
    Incident.Status.REFERRED: {Incident.Status.CLOSED},
    Incident.Status.CLOSED: {Incident.Status.TRIAGED},
}


def allowed_transitions(incident: Incident) -> list[str]:
    return [s for s in Incident.Status.values if s in TRANSITIONS.get(incident.status, set())]


def _require_adviser(actor: Actor, incident: Incident) -> User:
    user = actor.user
    if user is None or not can_act_as_adviser(user, incident):
        raise NotPermitted("Only a FEOA of the incident's force can do this.")
    return user


def change_status(actor: Actor, incident: Incident, status: str, *, crime_reference: str = "", advice: str = "", reason: str = "") -> Incident:
    """Move an incident on. Referral needs the crime reference; advice needs the advice; closing and
    re-opening need a reason."""
    _require_adviser(actor, incident)
    if status not in TRANSITIONS.get(incident.status, set()):
        raise ReportInvalid({"status": f"An incident that is {incident.get_status_display().lower()} cannot become {Incident.Status(status).label.lower() if status in Incident.Status.values else status}"})
    crime_reference = crime_reference.strip()
    errors = {}
    if status == Incident.Status.REFERRED:
        if not crime_reference:
            errors["crime_reference"] = "Enter the police crime reference number"
        elif not _CRIME_REFERENCE.match(crime_reference):
            errors["crime_reference"] = "Enter the crime reference as the police gave it: letters, numbers, / and - only, 4 to 40 characters"
    if status == Incident.Status.ADVICE_GIVEN and not advice.strip():
        errors["advice"] = "Enter the advice you gave"
    if status == Incident.Status.CLOSED and not reason.strip():
        errors["reason"] = "Enter why the incident is being closed"
    if incident.status == Incident.Status.CLOSED and status == Incident.Status.TRIAGED and not reason.strip():
        errors["reason"] = "Enter why the incident is being re-opened"
    if len(advice) > MAX_NOTE or len(reason) > 300:
        errors["advice" if len(advice) > MAX_NOTE else "reason"] = "This is too long"
    if errors:
        raise ReportInvalid(errors)
    before = incident.get_status_display()
    now = timezone.now()
    with transaction.atomic():
        incident.status = status
        text = f"{before} → {incident.get_status_display()}"
        if status == Incident.Status.TRIAGED and incident.triaged_at is None:
            incident.triaged_at = now
        if status == Incident.Status.REFERRED:
            incident.crime_reference = crime_reference
            text += f" (crime reference {crime_reference})"
        if status == Incident.Status.ADVICE_GIVEN:
            incident.advice = advice.strip()
            text += f": {advice.strip()}"
        if status == Incident.Status.CLOSED:
            incident.closed_at = now
            incident.closure_reason = reason.strip()
            text += f": {reason.strip()}"
        elif reason.strip():
            text += f": {reason.strip()}"
        incident.save()
        _event(actor, incident, IncidentEvent.Kind.STATUS, text)
        audit(actor, "update", "incident", incident.pk, fields=["status"], detail=f"status {status}")
    return incident


def assign(actor: Actor, incident: Incident, assignee_id: int | None) -> Incident:
    _require_adviser(actor, incident)
    assignee = None
    if assignee_id is not None:
        assignee = advisers_for_incident(incident).filter(pk=assignee_id).first()
        if assignee is None:
            raise ReportInvalid({"assigned_to": "Select a FEOA of this incident's force"})
    with transaction.atomic():
        incident.assigned_to = assignee
        incident.save(update_fields=["assigned_to", "updated_at"])
        _event(actor, incident, IncidentEvent.Kind.ASSIGNED, f"Assigned to {assignee}" if assignee else "Unassigned", internal=True)
        audit(actor, "update", "incident", incident.pk, fields=["assigned_to"])
    return incident


def advisers_for_incident(incident: Incident) -> QuerySet[User]:
    return User.objects.filter(role=Role.FEOA, is_active=True, police_forces__in=incident.forces.all()).distinct().order_by("last_name", "username")


def add_note(actor: Actor, incident: Incident, text: str) -> IncidentEvent:
    _require_adviser(actor, incident)
    text = text.strip()
    if not text:
        raise ReportInvalid({"note": "Enter a note"})
    if len(text) > MAX_NOTE:
        raise ReportInvalid({"note": f"The note must be {MAX_NOTE:,} characters or fewer"})
    with transaction.atomic():
        event = _event(actor, incident, IncidentEvent.Kind.NOTE, text, internal=True)
        audit(actor, "create", "incident_note", event.pk, detail=f"incident {incident.pk}")
    return event


def override_risk(actor: Actor, incident: Incident, level: str, reason: str) -> Incident:
    """A FEOA's judgement beats the score; the reason is recorded. An empty level removes the override."""
    user = _require_adviser(actor, incident)
    errors = {}
    if level and level not in {r.value for r in RiskLevel}:
        errors["level"] = "Select low, medium or high"
    if not reason.strip():
        errors["reason"] = "Enter why you are changing the risk level"
    elif len(reason) > 1000:
        errors["reason"] = "The reason must be 1,000 characters or fewer"
    if errors:
        raise ReportInvalid(errors)
    before = incident.effective_risk
    with transaction.atomic():
        incident.risk_override_level = level
        incident.risk_override_reason = reason.strip()
        incident.risk_overridden_by = user
        incident.risk_overridden_at = timezone.now()
        incident.refresh_risk_rank()
        incident.save()
        _event(actor, incident, IncidentEvent.Kind.RISK, f"Risk {before or 'unscored'} → {incident.effective_risk}: {reason.strip()}", internal=True)
        audit(actor, "update", "incident", incident.pk, fields=["risk"])
    return incident


def timeline(user: User, incident: Incident) -> QuerySet[IncidentEvent]:
    events = incident.events.select_related("actor")
    if user.role != Role.FEOA:
        events = events.filter(internal=False)
    return events


@dataclass(frozen=True)
class QueueFilter:
    status: str = ""  # a status, or "open" (everything not closed), or "" (all)
    risk: str = ""
    assigned: str = ""  # "me", "nobody" or ""
    overdue: bool = False


def queue(user: User, flt: QueueFilter) -> QuerySet[Incident]:
    """The FEOA's case queue: highest risk first, then the longest waiting."""
    if not is_adviser(user):
        raise NotPermitted("Only FEOAs have a case queue.")
    qs = incidents_in_force_of(user)
    if flt.status == "open":
        qs = qs.exclude(status=Incident.Status.CLOSED)
    elif flt.status:
        qs = qs.filter(status=flt.status)
    if flt.risk:
        qs = qs.filter(Q(risk_override_level=flt.risk) | Q(risk_override_level="", risk_level=flt.risk))
    if flt.assigned == "me":
        qs = qs.filter(assigned_to=user)
    elif flt.assigned == "nobody":
        qs = qs.filter(assigned_to__isnull=True)
    if flt.overdue:
        now = timezone.now()
        qs = qs.filter(status=Incident.Status.NEW).filter(
            Q(risk_rank=3, submitted_at__lt=now - timedelta(hours=1)) | Q(risk_rank__lt=3, submitted_at__lt=now - timedelta(hours=24))
        )
    return qs.order_by("-risk_rank", "submitted_at", "id")


def my_incidents(user: User) -> QuerySet[Incident]:
    return incidents_visible_to(user).order_by("-created_at", "-id")


# ---------------------------------------------------------------------------------------------------
# Evidence


def add_evidence(actor: Actor, incident: Incident, filename: str, chunks: Iterable[bytes], size: int) -> Evidence:
    """Keep an uploaded file: its type checked from its content, its SHA-256 taken as it arrives, the
    bytes sealed unaltered. Raises ``EvidenceRejected`` with a message for the reporter."""
    user = actor.user
    if user is None or not can_add_evidence(user, incident):
        raise NotPermitted("You cannot add evidence to this incident.")
    iterator = iter(chunks)
    head = b""
    buffered: list[bytes] = []
    for chunk in iterator:
        buffered.append(chunk)
        head += chunk
        if len(head) >= SNIFF_BYTES:
            break
    kind = check_evidence(head[:SNIFF_BYTES], size, filename)
    digest = hashlib.sha256()
    counted = 0

    def hashed() -> Iterator[bytes]:
        nonlocal counted
        for chunk in [*buffered, *iterator]:
            digest.update(chunk)
            counted += len(chunk)
            yield chunk

    blob_name = uuid.uuid4().hex
    written = blobs.seal_chunks(blob_name, hashed())
    if written != size:
        blobs.delete(blob_name)
        raise EvidenceRejected("The selected file could not be read in full: try uploading it again")
    try:
        with transaction.atomic():
            evidence = Evidence.objects.create(
                incident=incident, original_name=filename[:255] or f"evidence.{kind.extension}", kind=kind.kind.value,
                mime=kind.mime, extension=kind.extension, size=size, sha256=digest.hexdigest(), blob_name=blob_name, uploaded_by=user,
            )
            _event(actor, incident, IncidentEvent.Kind.EVIDENCE_ADDED, f"{kind.label}, {_size(size)}, SHA-256 {evidence.sha256}")
            audit(actor, "create", "evidence", evidence.pk, detail=f"incident {incident.pk} sha256 {evidence.sha256[:16]}")
    except Exception:
        blobs.delete(blob_name)
        raise
    return evidence


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def evidence_of(user: User, incident: Incident, evidence_id: int) -> Evidence:
    return Evidence.objects.select_related("incident").get(pk=evidence_id, incident=incident)


def open_evidence(actor: Actor, evidence: Evidence, purpose: str = "download") -> Iterator[bytes]:
    """The original bytes, with the access recorded in the audit log and the incident's timeline
    (chain of custody). The caller must already hold the incident through ``get_incident``."""
    with transaction.atomic():
        audit(actor, "read", "evidence", evidence.pk, fields=["file"], detail=purpose)
        _event(actor, evidence.incident, IncidentEvent.Kind.EVIDENCE_OPENED, f"file {evidence.sha256[:12]}… ({purpose})")
    return blobs.open_chunks(evidence.blob_name)


def custody(evidence: Evidence):
    """Every recorded access to a piece of evidence, oldest first."""
    from ballotguard.accounts.models import AuditEvent

    return AuditEvent.objects.filter(object_type="evidence", object_id=str(evidence.pk)).order_by("at", "id")


# ---------------------------------------------------------------------------------------------------
# Timeline helper


def _event(actor: Actor, incident: Incident, kind: str, text: str = "", internal: bool = False) -> IncidentEvent:
    user = actor.user
    return IncidentEvent.objects.create(
        incident=incident, actor=user, actor_name=str(user) if user else "Ballotguard", kind=kind, text=text, internal=internal,
    )


def record_event(incident: Incident, kind: str, text: str, internal: bool = False) -> IncidentEvent:
    """For the task worker, which acts as Ballotguard itself."""
    return _event(Actor(user=None, channel="task"), incident, kind, text, internal)


def submit_check(user: User, incident: Incident) -> None:
    """Raise ``ReportInvalid`` if the draft could not be sent as it is."""
    _clean(user, input_from(incident), complete=True)


def record_event_as(actor: Actor, incident: Incident, kind: str, text: str, internal: bool = False) -> IncidentEvent:
    return _event(actor, incident, kind, text, internal)
