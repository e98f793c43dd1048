"""The FEOA's case workflow: statuses, assignment, notes, risk overrides, the queue and the timeline."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Concat, Lower, NullIf, Trim
from django.utils import timezone

from ballotguard.accounts.models import Role, User
from ballotguard.accounts.services import Actor, audit
from ballotguard.core.sorting import Column, SortSpec, in_order
from ballotguard.engines.incidents.risk import RiskLevel
from ballotguard.registry.services import NotPermitted

from ..models import Incident, IncidentEvent
from .errors import ReportInvalid
from .clocks import contact_on_advice, triage_overdue_q, with_triage_due
from .checklists import ensure_checklist
from .events import add_event
from .scope import can_act_as_adviser, incidents_in_force_of, incidents_visible_to, is_adviser, locked

MAX_NOTE = 5_000


_CRIME_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/\-]{3,39}$")


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
    with transaction.atomic():
        incident = locked(incident)
        _check_transition(incident, status, crime_reference.strip(), advice, reason)
        _apply_transition(actor, incident, status, crime_reference.strip(), advice.strip(), reason.strip())
    return incident


def _check_transition(incident: Incident, status: str, crime_reference: str, advice: str, reason: str) -> None:
    if status not in TRANSITIONS.get(incident.status, set()):
        target = Incident.Status(status).label.lower() if status in Incident.Status.values else status
        raise ReportInvalid({"status": f"An incident that is {incident.get_status_display().lower()} cannot become {target}"})
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
    if len(advice) > MAX_NOTE:
        errors["advice"] = f"The advice must be {MAX_NOTE:,} characters or fewer"
    if len(reason) > 300:
        errors["reason"] = "The reason must be 300 characters or fewer"
    if errors:
        raise ReportInvalid(errors)


def _apply_transition(actor: Actor, incident: Incident, status: str, crime_reference: str, advice: str, reason: str) -> None:
    before = incident.get_status_display()
    now = timezone.now()
    incident.status = status
    text = f"{before} → {incident.get_status_display()}"
    if status == Incident.Status.TRIAGED and incident.triaged_at is None:
        incident.triaged_at = now
    if status == Incident.Status.REFERRED:
        incident.crime_reference = crime_reference
        if incident.referred_at is None:
            incident.referred_at = now
        text += f" (crime reference {crime_reference})"
    if status == Incident.Status.ADVICE_GIVEN:
        incident.advice = advice
        text += f": {advice}"
    if status == Incident.Status.CLOSED:
        incident.closed_at = now
        incident.closure_reason = reason
    if reason:
        text += f": {reason}"
    incident.save(update_fields=["status", "triaged_at", "referred_at", "crime_reference", "advice", "closed_at", "closure_reason", "updated_at"])
    add_event(actor, incident, IncidentEvent.Kind.STATUS, text)
    if status == Incident.Status.ADVICE_GIVEN:
        contact_on_advice(actor, incident, now)
    audit(actor, "update", "incident", incident.pk, fields=["status"], detail=f"status {status}")
    if status == Incident.Status.TRIAGED:
        ensure_checklist(actor, incident)  # an incident sent before checklists existed gets one at triage


def assign(actor: Actor, incident: Incident, assignee_id: int | None) -> Incident:
    _require_adviser(actor, incident)
    assignee = None
    if assignee_id is not None:
        assignee = advisers_for_incident(incident).filter(pk=assignee_id).first()
        if assignee is None:
            raise ReportInvalid({"assigned_to": "Select a FEOA of this incident's force"})
    with transaction.atomic():
        incident = locked(incident)
        incident.assigned_to = assignee
        incident.save(update_fields=["assigned_to", "updated_at"])
        # Open checklist tasks nobody owns go to the assignee with the incident.
        given = incident.tasks.filter(state="open", owner__isnull=True).update(owner=assignee) if assignee else 0
        text = f"Assigned to {assignee}" if assignee else "Unassigned"
        if given:
            text += f", with {given} open checklist task{'s' if given != 1 else ''} nobody owned"
        add_event(actor, incident, IncidentEvent.Kind.ASSIGNED, text, internal=True)
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
        event = add_event(actor, incident, IncidentEvent.Kind.NOTE, text, internal=True)
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
    with transaction.atomic():
        incident = locked(incident)
        before = incident.effective_risk
        incident.risk_override_level = level
        incident.risk_override_reason = reason.strip()
        incident.risk_overridden_by = user
        incident.risk_overridden_at = timezone.now()
        incident.refresh_risk_rank()
        incident.save(update_fields=["risk_override_level", "risk_override_reason", "risk_overridden_by", "risk_overridden_at", "risk_rank", "updated_at"])
        add_event(actor, incident, IncidentEvent.Kind.RISK, f"Risk {before or 'unscored'} → {incident.effective_risk}: {reason.strip()}", internal=True)
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
    """The FEOA's case queue: highest risk first; within a level, those waiting for triage, then the
    longest waiting."""
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
    # Each report's triage clock runs to its forces' own target (clocks.with_triage_due), not a national one.
    qs = with_triage_due(qs)
    if flt.overdue:
        qs = qs.filter(triage_overdue_q())
    # Within a risk level, reports still waiting for triage come first: they are the ones with a clock.
    waiting_first = Case(When(status=Incident.Status.NEW, then=Value(0)), default=Value(1), output_field=IntegerField())
    return qs.order_by("-risk_rank", waiting_first, "submitted_at", "id")


# The adviser's name as the queue shows it (User.__str__: full name, else username); nobody is NULL.
_ASSIGNED_NAME = Lower(Coalesce(
    NullIf(Trim(Concat("assigned_to__first_name", Value(" "), "assigned_to__last_name")), Value("")), "assigned_to__username",
))

#: The case queue's sortable columns (page and API). Every one is a plain column or worked out from
#: plain columns; nothing here is encrypted. Left out: the candidate's details and the description
#: (the queue shows only the candidate's name, which the "Incident" column does not sort by).
QUEUE_SORT = SortSpec(
    Column("reference", "reference"),
    Column("risk", "risk_rank", first="desc"),
    Column("status", in_order("status", Incident.Status.values)),
    Column("sent", "submitted_at"),
    Column("triage_by", "triage_clock"),  # annotated by queue(): NULL once triaged, so those sort last
    Column("assigned", _ASSIGNED_NAME),
    default=("risk", "desc"),
)


def queue_summary(user: User) -> dict[str, int]:
    """What a FEOA needs to see first, at any hour: how many reports are waiting for triage, how many
    of them are past their clock, and how many open ones are high risk. One query."""
    if not is_adviser(user):
        raise NotPermitted("Only FEOAs have a case queue.")
    return with_triage_due(incidents_in_force_of(user)).aggregate(
        new=Count("id", filter=Q(status=Incident.Status.NEW)),
        overdue=Count("id", filter=triage_overdue_q()),
        high_risk_open=Count("id", filter=Q(risk_rank=3) & ~Q(status=Incident.Status.CLOSED)),
    )


def my_incidents(user: User) -> QuerySet[Incident]:
    return with_triage_due(incidents_visible_to(user)).order_by("-created_at", "-id")  # the API lists each one's triage time
