"""Links between incidents through shared observables, perpetrator profiles, and access across forces."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from ballotguard.accounts.models import Role, User
from ballotguard.accounts.services import Actor, audit
from ballotguard.engines.incidents.observables import ObservableKind
from ballotguard.registry.services import NotPermitted

from ..models import AccessRequest, Incident, IncidentEvent, IncidentLink, Observable
from .errors import ReportInvalid
from .events import SYSTEM, add_event, new_event
from .guidance import course_of_conduct_ids, linked_ids, reassess_risk
from .scope import incidents_in_force_of, incidents_visible_to, is_adviser
from .warnings import warned_hashes


def link_observables(actor: Actor, incident: Incident) -> list[Incident]:
    """Match this incident's observables against every other sent incident, in every force, and
    return the incidents newly linked to it.

    Set-based on purpose: one prolific account can be named in hundreds of reports, so the links,
    and the timeline lines that announce them, are written in bulk rather than pair by pair.
    """
    hashes = dict(incident.observables.exclude(match_hash="").values_list("match_hash", "kind"))
    # A value on the warning list (a switchboard, a platform's home page, the candidate's own handle)
    # is named in reports because everyone meets it: it links nothing by itself.
    for warned in warned_hashes() & hashes.keys():
        del hashes[warned]
    if not hashes:
        return []
    matches = (
        Observable.objects.filter(match_hash__in=hashes).exclude(incident=incident)
        .exclude(incident__status=Incident.Status.DRAFT).values_list("incident_id", "match_hash", "kind")
    )
    wanted = {(min(incident.pk, other), max(incident.pk, other), h): (other, kind) for other, h, kind in matches}
    if not wanted:
        return []
    existing = set(
        IncidentLink.objects.filter(Q(first=incident) | Q(second=incident), match_hash__in=hashes)
        .values_list("first_id", "second_id", "match_hash")
    )
    new = {key: value for key, value in wanted.items() if key not in existing}
    # ignore_conflicts: the task that matches again after commit may race the request that sent it.
    IncidentLink.objects.bulk_create(
        [IncidentLink(first_id=f, second_id=s2, match_hash=h, kind=kind) for (f, s2, h), (_, kind) in new.items()],
        ignore_conflicts=True,
    )
    linked: dict[int, set[str]] = {}
    for other, kind in new.values():
        linked.setdefault(other, set()).add(ObservableKind(kind).label.lower())
    others = list(Incident.objects.filter(pk__in=linked).select_related("candidate"))
    events = []
    for other in others:
        kinds = ", ".join(sorted(linked[other.pk]))
        events.append(new_event(SYSTEM, incident, IncidentEvent.Kind.LINKED, f"Linked to {other.reference} by a shared {kinds}", internal=True))
        events.append(new_event(SYSTEM, other, IncidentEvent.Kind.LINKED, f"Linked to {incident.reference} by a shared {kinds}", internal=True))
    IncidentEvent.objects.bulk_create(events)
    return others


def same_person(incident: Incident, others: list[Incident]) -> list[Incident]:
    """Of ``others``, those against the same person: only their course of conduct, and so their risk,
    changes when this incident is linked to them."""
    return [o for o in others if o.candidate.person_id == incident.candidate.person_id]


def relink(incident_id: int) -> int:
    """After a report is committed (the task worker runs this): match its observables again, then
    re-score every other incident in the same person's course of conduct, whose linked occasions
    have just grown. Returns how many new links were made."""
    incident = Incident.objects.filter(pk=incident_id).exclude(status=Incident.Status.DRAFT).select_related("candidate").first()
    if incident is None:
        return 0
    with transaction.atomic():
        others = link_observables(SYSTEM, incident)
        conduct = [pk for pk in course_of_conduct_ids(incident) if pk != incident.pk]
        for other in Incident.objects.filter(pk__in=conduct).select_related("candidate"):
            reassess_risk(other)
        if same_person(incident, others):
            reassess_risk(incident)
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
    neighbours = {i for pair in IncidentLink.objects.filter(Q(first=target) | Q(second=target)).values_list("first_id", "second_id") for i in pair}
    mine = incidents_in_force_of(user).filter(pk__in=neighbours - {target.pk})
    if not mine.exists():
        raise Incident.DoesNotExist
    with transaction.atomic():
        request, _ = AccessRequest.objects.get_or_create(
            incident=target, requested_by=user, status=AccessRequest.Status.PENDING, defaults={"reason": reason},
        )
        audit(actor, "create", "access_request", request.pk, detail=f"incident {target.pk}")
        add_event(actor, target, IncidentEvent.Kind.ACCESS, f"{user} ({_forces_text(user)}) asked for access", internal=True)
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
    if user is None:
        raise AccessRequest.DoesNotExist
    with transaction.atomic():
        # Locked and still pending: two FEOAs deciding at once cannot both win.
        pending_requests_for(user).get(pk=request_id)
        request = AccessRequest.objects.select_for_update().select_related("incident", "requested_by").get(pk=request_id, status=AccessRequest.Status.PENDING)
        request.status = AccessRequest.Status.GRANTED if grant else AccessRequest.Status.REFUSED
        request.decided_by = user
        request.decided_at = timezone.now()
        request.save()
        audit(actor, "update", "access_request", request.pk, detail=request.status)
        add_event(actor, request.incident, IncidentEvent.Kind.ACCESS, f"Access for {request.requested_by} {request.status}", internal=True)
    return request


def _forces_text(user: User) -> str:
    return ", ".join(f.name for f in user.police_forces.all())
