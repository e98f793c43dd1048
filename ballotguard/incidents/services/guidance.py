"""What the engines say about an incident: its facts, including linked occasions, routes, offences and risk."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext

from ballotguard.accounts.models import User
from ballotguard.core.background import task
from ballotguard.engines.incidents.facts import IncidentFacts, Occasion, Place, ProtectedCharacteristic, TargetRole
from ballotguard.engines.incidents.offences import OffenceGuidance, offences_for
from ballotguard.engines.incidents.risk import RiskAssessment, RiskLevel, assess_risk
from ballotguard.engines.incidents.routing import RouteAdvice, route

from ..models import Incident, IncidentLink
from .scope import incidents_visible_to


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
    """This incident and those against the same person (same Democracy Club person id) joined to it by
    shared observables, directly or through each other, in the order they happened.

    Only the person's own incidents are walked: a course of conduct is conduct towards one person,
    and keeping the walk to them keeps it small however many others a prolific account has targeted.
    """
    theirs = dict(
        Incident.objects.filter(candidate__person_id=incident.candidate.person_id).exclude(status=Incident.Status.DRAFT)
        .values_list("pk", "occurred_at")
    )
    theirs.setdefault(incident.pk, incident.occurred_at)
    edges = IncidentLink.objects.filter(first_id__in=theirs, second_id__in=theirs).values_list("first_id", "second_id")
    neighbours: dict[int, set[int]] = {}
    for a, b in edges:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    seen, frontier = {incident.pk}, [incident.pk]
    while frontier:
        nxt = [n for node in frontier for n in neighbours.get(node, ()) if n not in seen]
        seen.update(nxt)
        frontier = nxt
    return sorted(seen, key=lambda pk: (theirs[pk] is None, theirs[pk] or 0, pk))


def facts_for(incident: Incident, viewer: User | None = None) -> IncidentFacts:
    """The engines' facts. With a ``viewer``, linked occasions are only those the viewer may open, so
    guidance never describes an incident they cannot see; without one (the stored score that orders
    the queues) every linked occasion counts."""
    others = Incident.objects.filter(pk__in=course_of_conduct_ids(incident)).exclude(pk=incident.pk)
    if viewer is not None:
        others = others.filter(pk__in=incidents_visible_to(viewer).values("pk"))
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


def guidance_for(incident: Incident, viewer: User) -> Guidance:
    """Routes, offences and risk as the viewer may see them (see ``facts_for``). The routing advice is
    in the active language (Welsh on a Welsh page); offence guidance is English only for now."""
    facts = facts_for(incident, viewer)
    return Guidance(routes=route(facts, gettext), offences=offences_for(facts), risk=assess_risk(facts), occasions=facts.occasions)


def reassess_risk(incident: Incident) -> RiskAssessment:
    """Score again with every linked occasion and store it. A report still waiting for triage whose
    level rises to high (a new linked threat, say) e-mails its advisers, like a new high-risk report."""
    assessment = assess_risk(facts_for(incident))
    was_high = incident.effective_risk == RiskLevel.HIGH.value
    incident.risk_score = assessment.score
    incident.risk_level = assessment.level.value
    incident.risk_factors = [{"code": f.code, "points": f.points, "why": f.why} for f in assessment.factors]
    incident.refresh_risk_rank()
    incident.save(update_fields=["risk_score", "risk_level", "risk_factors", "risk_rank", "updated_at"])
    if not was_high and incident.effective_risk == RiskLevel.HIGH.value and incident.status == Incident.Status.NEW:
        incident_id = incident.pk
        transaction.on_commit(lambda: task("ballotguard.incidents.tasks.notify_advisers_of_high_risk").enqueue(incident_id))
    return assessment
