"""Reporting: drafts, checks, sending, and idempotent one-step reports from the API."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from ballotguard.accounts.models import User
from ballotguard.accounts.services import Actor, audit
from ballotguard.core.background import task
from ballotguard.core.matching import keyed_hash
from ballotguard.engines.incidents.facts import Behaviour, IssueTag, Place, ProtectedCharacteristic
from ballotguard.engines.incidents.observables import Observable as ObservableValue
from ballotguard.engines.incidents.observables import ObservableKind, parse_observable_lines
from ballotguard.registry.models import Area, Candidate, PoliceForce
from ballotguard.registry.services import NotPermitted

from ..models import Incident, IncidentEvent, Observable
from .checklists import ensure_checklist
from .errors import IdempotencyConflict, ReportInvalid
from .events import SYSTEM, add_event
from .guidance import reassess_risk
from .links import link_observables
from .scope import can_report, locked, reportable_candidates

MAX_DESCRIPTION = 10_000


MAX_PERPETRATOR = 5_000


CLOCK_SKEW = timedelta(minutes=5)


EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.get_fixed_timezone(0))


@dataclass
class ReportInput:
    """What a reporter typed. Strings as typed; ``observables`` maps a kind to lines of text."""

    candidate_id: int | None = None
    occurred_at: datetime | None = None
    place: str = ""
    area_code: str = ""  # GSS code or exact name of a constituency, council or ward
    platform: str = ""
    behaviours: list[str] = field(default_factory=list)
    characteristics: list[str] = field(default_factory=list)
    issue_tags: list[str] = field(default_factory=list)
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


def _clean(user: User, data: ReportInput, *, complete: bool, candidates: QuerySet[Candidate] | None = None) -> _Cleaned:
    """Check a report. ``complete=False`` (a draft) lets required answers be missing, never wrong ones.
    ``candidates``: those the report may be about (default: those the user may report for)."""
    errors: dict[str, str] = {}
    candidate = None
    if data.candidate_id is not None:
        pool = candidates if candidates is not None else reportable_candidates(user)
        candidate = pool.filter(pk=data.candidate_id).first()
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
    if data.area_code.strip():
        area, problem = _find_area(data.area_code)
        if problem:
            errors["area"] = problem

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
    if any(t not in {t.value for t in IssueTag} for t in data.issue_tags):
        errors["issue_tags"] = "Select the issue from the list"

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


def _find_area(text: str) -> tuple[Area | None, str]:
    """A constituency, council or ward by GSS code or by exact name (a reporter knows the name)."""
    text = " ".join(text.split())
    places = Area.objects.filter(area_type__in=["constituency", "council", "ward"])
    by_code = places.filter(code__iexact=text).first()
    if by_code is not None:
        return by_code, ""
    by_name = list(places.filter(name__iexact=text)[:2])
    if len(by_name) == 1:
        return by_name[0], ""
    if by_name:
        return None, "More than one place has that name: enter its code instead, like E05011185"
    return None, "Enter the name of a constituency, council or ward, like Birmingham Yardley, or its code"


def _apply(incident: Incident, data: ReportInput, cleaned: _Cleaned) -> None:
    incident.candidate = cleaned.candidate
    incident.occurred_at = data.occurred_at
    incident.place = data.place
    incident.area = cleaned.area
    incident.platform = data.platform.strip()
    incident.behaviours = [b.value for b in Behaviour if b.value in data.behaviours]
    incident.characteristics = [c.value for c in ProtectedCharacteristic if c.value in data.characteristics]
    incident.issue_tags = [t.value for t in IssueTag if t.value in data.issue_tags]
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
        if incident is not None:
            incident = locked(incident)
            if incident.status != Incident.Status.DRAFT:  # sent from another tab meanwhile
                raise NotPermitted("This report has been sent: it can no longer be changed as a draft.")
        incident = incident or Incident(reported_by=user)
        _apply(incident, data, cleaned)
        incident.save()
        _replace_observables(incident, cleaned.observables)
        if created:
            add_event(actor, incident, IncidentEvent.Kind.CREATED)
            audit(actor, "create", "incident", incident.pk, fields=Incident.CONTENT_FIELDS, detail="draft")
        else:
            audit(actor, "update", "incident", incident.pk, fields=Incident.CONTENT_FIELDS, detail="draft")
    return incident


def submit(actor: Actor, incident: Incident) -> Incident:
    """Send a draft to the FEOAs: complete checks, forces, links, risk, and the high-risk alert."""
    user = actor.user
    if user is None or incident.reported_by_id != user.pk:
        raise NotPermitted("Only the reporter can send their own draft.")
    with transaction.atomic():
        incident = locked(incident)
        if incident.status != Incident.Status.DRAFT:  # a second click on "Send"
            raise NotPermitted("This report has already been sent.")
        data = input_from(incident)
        cleaned = _clean(user, data, complete=True)
        _apply(incident, data, cleaned)
        _send(actor, incident)
    return incident


def input_from(incident: Incident) -> ReportInput:
    return ReportInput(
        candidate_id=incident.candidate_id, occurred_at=incident.occurred_at, place=incident.place,
        area_code=incident.area.code if incident.area else "", platform=incident.platform,
        behaviours=list(incident.behaviours), characteristics=list(incident.characteristics), issue_tags=list(incident.issue_tags),
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
            _send(actor, incident, created=True)
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


def _send(actor: Actor, incident: Incident, created: bool = False) -> None:
    """``created``: the report was made and sent in one step (the API), so one audit event and one
    timeline line say both."""
    incident.status = Incident.Status.NEW
    incident.submitted_at = timezone.now()
    incident.save()
    forces = _forces_for(incident)
    Incident.forces.through.objects.filter(incident_id=incident.pk).delete()
    Incident.forces.through.objects.bulk_create([Incident.forces.through(incident_id=incident.pk, policeforce_id=f.pk) for f in forces])
    add_event(actor, incident, IncidentEvent.Kind.SUBMITTED, f"to the elected-official advisers of {', '.join(f.name for f in forces)}")
    if created:
        audit(actor, "create", "incident", incident.pk, fields=Incident.CONTENT_FIELDS, detail="submitted")
    else:
        audit(actor, "update", "incident", incident.pk, detail="submitted")
    link_observables(actor, incident)
    reassess_risk(incident)  # a high-risk report e-mails the force's advisers once committed
    ensure_checklist(SYSTEM, incident)  # the checklist of each behaviour, due from now (sooner at high risk)
    incident_id = incident.pk
    # The rest runs in the task worker once this is committed, off the reporter's request: matching
    # again (two reports sharing a detail and sent at the same moment cannot see each other's
    # uncommitted observables) and re-scoring the person's other incidents this one joins.
    transaction.on_commit(lambda: task("ballotguard.incidents.tasks.link_again").enqueue(incident_id))


def _forces_for(incident: Incident) -> list[PoliceForce]:
    area_ids = {incident.candidate.ballot.area_id}
    if incident.area_id:
        area_ids.add(incident.area_id)
        if incident.area.parent_id:  # a ward is policed by its council's force
            area_ids.add(incident.area.parent_id)
    return list(PoliceForce.objects.filter(area_links__area_id__in=area_ids).distinct().order_by("name"))


def submit_check(user: User, incident: Incident) -> None:
    """Raise ``ReportInvalid`` if the draft could not be sent as it is."""
    _clean(user, input_from(incident), complete=True)
