"""Case clocks for incidents: recording first contact, each force's targets, and the lead FEOA's list
of breaches. The arithmetic is in :mod:`ballotguard.engines.insights.clocks`; docs/case-clocks.md
defines every clock.

Who may do what:

* **Targets**: a force's lead FEOA (``User.is_force_lead``) sets their own force's; an administrator
  any force's. Targets are not access to anything, so no second person approves them (unlike
  ``accounts.access``), but every change is audited with the fields changed. Every FEOA and analyst
  may read targets (they are what the figures are measured against).
* **Breaches**: a force's lead FEOA, for their own force (``lead_forces``; the list itself is ranked
  in the insights refresh, ``insights.services.breaches``). It names cases by reference, risk,
  status and times, nothing of their content; opening one is the ordinary case page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db import transaction
from django.db.models import Case, DateTimeField, DurationField, ExpressionWrapper, F, Min, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from ballotguard.accounts.models import Role, User
from ballotguard.accounts.services import Actor, audit
from ballotguard.engines.incidents.risk import RiskLevel
from ballotguard.engines.insights import clocks as engine
from ballotguard.engines.insights.clocks import Clock
from ballotguard.registry.models import Candidate, PoliceForce
from ballotguard.registry.services import NotPermitted

from ..models import RISK_RANK, ClockTarget, Incident, IncidentEvent
from .errors import ReportInvalid
from .events import add_event

RISKS = engine.RISK_LEVELS


def field_name(clock: Clock | str, risk: str) -> str:
    """The form and API field of one target: ``triage_high``."""
    return f"{Clock(clock).value}_{risk}"


# ---------------------------------------------------------------------------------------------------
# First contact


def record_first_contact(actor: Actor, candidate: Candidate, at: dt.datetime, how: str) -> int:
    """An adviser reached the candidate at ``at``: every sent incident of theirs, sent by then and not
    yet contacted, gets its first contact (and a timeline line). Returns how many. ``how`` says how
    (no personal data: "by phone, outreach page")."""
    with transaction.atomic():
        waiting = list(Incident.objects.select_for_update().filter(
            candidate=candidate, first_contact_at__isnull=True, submitted_at__isnull=False, submitted_at__lte=at,
        ).exclude(status=Incident.Status.DRAFT))
        for incident in waiting:
            incident.first_contact_at = at
            incident.save(update_fields=["first_contact_at", "updated_at"])
            event = add_event(actor, incident, IncidentEvent.Kind.CONTACTED, f"Adviser reached the candidate {how}", internal=True)
            event.at = at
            event.save(update_fields=["at"])
    return len(waiting)


def contact_on_advice(actor: Actor, incident: Incident, at: dt.datetime) -> None:
    """Advice given to the candidate is contact with them: called inside the status change."""
    if incident.first_contact_at is None and incident.submitted_at is not None:
        incident.first_contact_at = at
        incident.save(update_fields=["first_contact_at"])
        add_event(actor, incident, IncidentEvent.Kind.CONTACTED, "Adviser reached the candidate (advice given)", internal=True)


# ---------------------------------------------------------------------------------------------------
# Targets


def national_targets() -> dict[Clock, dict[str, float]]:
    return engine.national_targets()


def targets_for(force: PoliceForce) -> dict[Clock, dict[str, float]]:
    overrides = {(t.clock, t.risk_level): t.hours for t in ClockTarget.objects.filter(force=force)}
    return engine.merge_targets(overrides)


def targets_by_force() -> dict[str, dict[Clock, dict[str, float]]]:
    """Every force that set any target of its own, by code, with the defaults filled in."""
    overrides: dict[str, dict[tuple[str, str], float]] = {}
    for code, clock, risk, hours in ClockTarget.objects.values_list("force__code", "clock", "risk_level", "hours"):
        overrides.setdefault(code, {})[(clock, risk)] = hours
    return {code: engine.merge_targets(values) for code, values in sorted(overrides.items())}


def can_read_targets(user: User) -> bool:
    return user.is_authenticated and user.role in {Role.FEOA, Role.ANALYST, Role.ADMIN}


def target_forces(user: User) -> QuerySet[PoliceForce]:
    """The forces whose targets the user may change: all for an administrator, their own for a lead
    FEOA. NotPermitted for anyone else."""
    if user.is_authenticated and user.role == Role.ADMIN:
        return PoliceForce.objects.order_by("name")
    if user.is_authenticated and user.role == Role.FEOA and user.is_force_lead:
        return user.police_forces.order_by("name")
    raise NotPermitted("Only a force's lead FEOA or an administrator can change its clock targets.")


def readable_forces(user: User) -> QuerySet[PoliceForce]:
    """Forces whose targets the user may read: every force for analysts and administrators, their own for FEOAs."""
    if not can_read_targets(user):
        raise NotPermitted("Clock targets are for FEOAs, Taskforce analysts and administrators.")
    if user.role == Role.FEOA:
        return user.police_forces.order_by("name")
    return PoliceForce.objects.order_by("name")


def may_edit(user: User, force: PoliceForce) -> bool:
    try:
        return target_forces(user).filter(pk=force.pk).exists()
    except NotPermitted:
        return False


def set_targets(actor: Actor, force: PoliceForce, values: Mapping[str, object]) -> dict[Clock, dict[str, float]]:
    """Set the force's targets from ``{"triage_high": "1", ...}``. A field left out keeps its value; a
    value equal to the national default removes the force's own (so a later change of the default
    reaches it). Errors name each field; nothing is stored unless every field is valid."""
    user = actor.user
    if user is None or not may_edit(user, force):
        raise NotPermitted("Only the force's lead FEOA or an administrator can change its clock targets.")
    known = {field_name(c, r) for c in Clock for r in RISKS}
    errors: dict[str, str] = {}
    for key in values:
        if key not in known:
            errors[key] = "Not a clock target"
    parsed: dict[tuple[Clock, str], float] = {}
    for clock in Clock:
        for risk in RISKS:
            key = field_name(clock, risk)
            if key not in values:
                continue
            raw = values[key]
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                errors[key] = f"Enter the {clock.label.lower()} target for {risk} risk, in hours"
                continue
            try:
                parsed[(clock, risk)] = engine.check_target_hours(raw)
            except ValueError as exc:
                errors[key] = str(exc)
    if errors:
        raise ReportInvalid(errors)
    current = targets_for(force)
    defaults = national_targets()
    changed = []
    with transaction.atomic():
        for (clock, risk), hours in parsed.items():
            if hours == current[clock][risk]:
                continue
            changed.append(field_name(clock, risk))
            if hours == defaults[clock][risk]:
                ClockTarget.objects.filter(force=force, clock=clock.value, risk_level=risk).delete()
            else:
                ClockTarget.objects.update_or_create(force=force, clock=clock.value, risk_level=risk,
                                                     defaults={"hours": hours, "updated_by": user, "updated_at": timezone.now()})
        if changed:
            audit(actor, "update", "clock_targets", force.code, fields=changed, detail=f"{len(changed)} clock target(s) of {force.code}")
    return targets_for(force)


# ---------------------------------------------------------------------------------------------------
# The triage clock of the case queue


def _triage_overrides() -> dict[str, dict[int, float]]:
    """Forces' own triage targets: hours by force id, per risk level."""
    out: dict[str, dict[int, float]] = {risk: {} for risk in RISKS}
    for force_id, risk, hours in ClockTarget.objects.filter(clock=Clock.TRIAGE.value).values_list("force_id", "risk_level", "hours"):
        out[risk][force_id] = hours
    return out


def triage_hours(incident: Incident) -> float:
    """The triage target an incident is held to, in hours: the shortest among its forces' targets for
    its risk level (each force promised it; a force that set none keeps the national default), or the
    national default when it has no force. The same rule, in SQL, is :func:`with_triage_due`."""
    risk = engine.risk_for_target(incident.effective_risk)
    default = national_targets()[Clock.TRIAGE][risk]
    force_ids = [f.pk for f in incident.forces.all()]  # prefetched on the case pages
    if not force_ids:
        return default
    own = dict(ClockTarget.objects.filter(clock=Clock.TRIAGE.value, risk_level=risk, force_id__in=force_ids).values_list("force_id", "hours"))
    return min(own.get(force_id, default) for force_id in force_ids)


def triage_due_of(incident: Incident) -> dt.datetime | None:
    if incident.submitted_at is None:
        return None
    return incident.submitted_at + dt.timedelta(hours=triage_hours(incident))


def _allowance(risk: str, overrides: Mapping[int, float]) -> Coalesce:
    """Per incident, as a duration: the shortest triage target for ``risk`` among its forces."""
    default = Value(dt.timedelta(hours=national_targets()[Clock.TRIAGE][risk]), output_field=DurationField())
    per_force = Case(*(When(policeforce_id=force_id, then=Value(dt.timedelta(hours=hours), output_field=DurationField()))
                       for force_id, hours in sorted(overrides.items())), default=default, output_field=DurationField())
    shortest = (Incident.forces.through.objects.filter(incident_id=OuterRef("pk")).annotate(allowed=per_force)
                .order_by().values("incident_id").annotate(shortest=Min("allowed")).values("shortest"))
    return Coalesce(Subquery(shortest, output_field=DurationField()), default, output_field=DurationField())


def with_triage_due(qs: QuerySet[Incident]) -> QuerySet[Incident]:
    """Annotate ``triage_due`` (when each incident must be triaged, by :func:`triage_hours`' rule) and
    ``triage_clock`` (the same for reports still waiting for triage, NULL for the rest, so they sort
    last), for the queue to show, sort and filter on without a query per row."""
    overrides = _triage_overrides()
    allowance = Case(
        When(risk_rank=RISK_RANK[RiskLevel.HIGH.value], then=_allowance("high", overrides["high"])),
        When(risk_rank=RISK_RANK[RiskLevel.LOW.value], then=_allowance("low", overrides["low"])),
        default=_allowance("medium", overrides["medium"]), output_field=DurationField(),
    )
    due = ExpressionWrapper(F("submitted_at") + allowance, output_field=DateTimeField())
    return qs.annotate(triage_due=due).annotate(
        triage_clock=Case(When(status=Incident.Status.NEW, then=F("triage_due")), default=None, output_field=DateTimeField()))


def triage_overdue_q(now: dt.datetime | None = None) -> Q:
    """Waiting for triage past its clock, on a queryset passed through :func:`with_triage_due`."""
    return Q(status=Incident.Status.NEW, triage_due__lt=now or timezone.now())


# ---------------------------------------------------------------------------------------------------
# Breaches


def lead_forces(user: User) -> QuerySet[PoliceForce]:
    if not (user.is_authenticated and user.role == Role.FEOA and user.is_force_lead):
        raise NotPermitted("The breach list is for a force's lead FEOA.")
    return user.police_forces.order_by("name")


def measures_of(incident: Incident, targets: Mapping[Clock, Mapping[str, float]], now: dt.datetime) -> list[engine.Measure]:
    def ts(value):
        return value.timestamp() if value is not None else None

    risk = engine.risk_for_target(incident.effective_risk)
    closed = incident.closed_at if incident.status == Incident.Status.CLOSED else None
    stops = {Clock.FIRST_CONTACT: incident.first_contact_at, Clock.TRIAGE: incident.triaged_at, Clock.REFERRAL: incident.referred_at,
             Clock.CLOSE: closed}
    return [engine.measure(clock, ts(incident.submitted_at), ts(stops[clock]), now.timestamp(), targets[clock][risk]) for clock in Clock]


__all__ = [
    "Clock", "RISKS", "ReportInvalid", "can_read_targets", "contact_on_advice", "field_name", "lead_forces",
    "may_edit", "measures_of", "national_targets", "readable_forces", "record_first_contact", "set_targets", "target_forces",
    "targets_by_force", "targets_for", "triage_due_of", "triage_hours", "triage_overdue_q", "with_triage_due",
]
