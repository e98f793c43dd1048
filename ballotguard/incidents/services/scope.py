"""Who may see, report for, and act on which incidents. Everything else in ``services`` goes through here."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from ballotguard.accounts.models import Role, User
from ballotguard.accounts.services import Actor, audit
from ballotguard.registry.models import Candidate, Delegation

from ..models import AccessRequest, Incident


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
    audit(actor, "read", "incident", incident.pk, fields=Incident.CONTENT_FIELDS)
    return incident


def locked(incident: Incident) -> Incident:
    """The incident's row, fresh and locked until the transaction ends: every change re-checks its
    status on this copy, so two tabs or two FEOAs acting at once cannot undo each other's work.
    (SQLite's IMMEDIATE transactions serialise writers, which gives the same guarantee.)"""
    return Incident.objects.select_for_update().get(pk=incident.pk)
