"""Incidents raised by someone other than the candidate: a reviewer promoting a flagged message.

The candidate did not write this report, so it says where it came from on its timeline, and it is
sent straight to the FEOAs of the candidate's force(s), like any report.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef

from ballotguard.accounts.models import Role
from ballotguard.accounts.services import Actor
from ballotguard.registry.models import AreaForce, Candidate
from ballotguard.registry.services import NotPermitted

from ..models import Incident, IncidentEvent
from .events import add_event
from .evidence import store_evidence
from .reporting import ReportInput, _apply, _clean, _replace_observables, _send

REFERRERS = (Role.FEOA, Role.ANALYST)


@dataclass(frozen=True)
class EvidenceFile:
    filename: str
    content: bytes


def referable_candidates(actor: Actor):
    """A FEOA refers for candidates in their force(s); a Taskforce analyst for any candidate."""
    user = actor.user
    qs = Candidate.objects.select_related("ballot__area", "ballot__election")
    if user is None or user.role not in REFERRERS:
        return qs.none()
    if user.role == Role.FEOA:
        return qs.filter(Exists(AreaForce.objects.filter(area_id=OuterRef("ballot__area_id"), force__in=user.police_forces.all())))
    return qs


def refer(actor: Actor, data: ReportInput, *, origin: str, evidence: list[EvidenceFile] = ()) -> Incident:
    """Create and send an incident on the candidate's behalf, with its evidence. ``origin`` says on the
    timeline where it came from (no personal data: e.g. "monitoring, message 123 on X")."""
    user = actor.user
    if user is None or user.role not in REFERRERS:
        raise NotPermitted("Only a FEOA or a Taskforce analyst can raise an incident from monitoring.")
    cleaned = _clean(user, data, complete=True, candidates=referable_candidates(actor))
    with transaction.atomic():
        incident = Incident(reported_by=user)
        _apply(incident, data, cleaned)
        incident.save()
        _replace_observables(incident, cleaned.observables)
        add_event(actor, incident, IncidentEvent.Kind.CREATED, f"Raised by {user.get_role_display()} from {origin}")
        _send(actor, incident, created=True)
        for item in evidence:
            store_evidence(actor, incident, item.filename, [item.content], len(item.content))
    return incident
