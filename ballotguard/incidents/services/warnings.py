"""The observables warning list: public values that never link incidents by themselves.

What the list does, in one place:
- :func:`warned_hashes` is what matching consults (links between incidents here, and the incident
  side of campaign detection): the keyed hashes of live entries, and of every candidate's own public
  handle from the registry, which reports name all the time ("he replied to @CarolYardley").
- adding an entry removes the links that value alone made, with a line on both timelines, and scores
  the courses of conduct again; retiring one asks the task worker to match the incidents that carry
  it again. Both are audited; only administrators keep the list (it is configuration, not police
  data: no incident is read to change it).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ballotguard.accounts.models import Role
from ballotguard.accounts.services import Actor, audit
from ballotguard.core.background import task
from ballotguard.core.matching import keyed_hash
from ballotguard.engines.incidents.observables import ObservableKind
from ballotguard.engines.incidents.warninglists import WarningListError, clean_reason, handle_match_key, warning_entry
from ballotguard.registry.models import SocialHandle
from ballotguard.registry.services import NotPermitted

from ..models import Incident, IncidentEvent, IncidentLink, Observable, ObservableWarning
from .events import SYSTEM, new_event
from .guidance import course_of_conduct_ids, reassess_risk

__all__ = ["WarningListError", "add_warning", "live_warnings", "retire_warning", "warned_hashes", "warned_observable_ids"]


def _hash(match_key: str) -> str:
    # The same purpose and key as ``reporting`` uses for an observable's ``match_hash``.
    return keyed_hash("observable", match_key)


def warned_hashes() -> set[str]:
    """Keyed hashes of every value on the warning list now, candidates' own handles included.

    Computed on each call rather than stored: a few thousand HMACs take milliseconds, and a stored
    hash would go stale whenever the registry's handles or the matching key change.
    """
    keys = {f"{kind}:{value}" for kind, value in ObservableWarning.objects.filter(retired_at__isnull=True).values_list("kind", "value")}
    for handle in SocialHandle.objects.values_list("handle", flat=True).distinct().iterator():
        key = handle_match_key(handle)
        if key:
            keys.add(key)
    return {_hash(k) for k in keys}


def warned_observable_ids(incident: Incident) -> set[int]:
    """Which of this incident's observables are on the list (the incident page marks them)."""
    hashes = warned_hashes()
    return {pk for pk, h in incident.observables.exclude(match_hash="").values_list("pk", "match_hash") if h in hashes}


def live_warnings():
    return ObservableWarning.objects.filter(retired_at__isnull=True).select_related("added_by")


def _require_admin(actor: Actor) -> None:
    if actor.user is None or actor.user.role != Role.ADMIN:
        raise NotPermitted("Only administrators keep the warning list")


def add_warning(actor: Actor, kind: str, raw: str, reason: str) -> tuple[ObservableWarning, int]:
    """Put a value on the list. Returns the entry and how many links between incidents it removed.

    Raises :class:`WarningListError` naming the field (``kind``, ``value``, ``reason``)."""
    _require_admin(actor)
    entry = warning_entry(kind, raw, reason)
    with transaction.atomic():
        if ObservableWarning.objects.filter(kind=entry.observable.kind.value, value=entry.observable.value, retired_at__isnull=True).exists():
            raise WarningListError("value", f"{entry.observable.display} is already on the warning list")
        warning = ObservableWarning.objects.create(
            kind=entry.observable.kind.value, value=entry.observable.value, display=entry.observable.display,
            reason=entry.reason, source=ObservableWarning.Source.ADMINISTRATOR, added_by=actor.user,
        )
        removed = _unlink(_hash(warning.match_key), warning)
        audit(actor, "create", "observable_warning", warning.pk, detail=f"warning list entry added; {removed} links removed")
    return warning, removed


def retire_warning(actor: Actor, warning_id: int, reason: str) -> ObservableWarning:
    """Take a value off the list; the incidents that carry it are matched again by the task worker.

    Raises ``ObservableWarning.DoesNotExist`` for no such live entry."""
    _require_admin(actor)
    reason = clean_reason(reason, "Enter why this value may link incidents again")
    with transaction.atomic():
        warning = ObservableWarning.objects.select_for_update().get(pk=warning_id, retired_at__isnull=True)
        warning.retired_at = timezone.now()
        warning.retired_by = actor.user
        warning.retired_reason = reason
        warning.save(update_fields=["retired_at", "retired_by", "retired_reason"])
        audit(actor, "update", "observable_warning", warning.pk, detail="warning list entry retired")
        match_hash = _hash(warning.match_key)
        if match_hash not in warned_hashes():  # a candidate's handle stays warned however the list changes
            incident_ids = list(
                Observable.objects.filter(match_hash=match_hash).exclude(incident__status=Incident.Status.DRAFT)
                .values_list("incident_id", flat=True).distinct()
            )
            transaction.on_commit(lambda: _enqueue_relinks(incident_ids))
    return warning


def _enqueue_relinks(incident_ids: list[int]) -> None:
    link_again = task("ballotguard.incidents.tasks.link_again")
    for pk in incident_ids:
        link_again.enqueue(pk)


def _unlink(match_hash: str, warning: ObservableWarning) -> int:
    """Remove the links this value made, say so on both timelines, and score again the courses of
    conduct they belonged to (fewer linked occasions can lower a risk level)."""
    links = list(IncidentLink.objects.filter(match_hash=match_hash).select_related("first", "second"))
    if not links:
        return 0
    label = ObservableKind(warning.kind).label.lower()
    events = []
    touched: dict[int, Incident] = {}
    for link in links:
        for this, other in ((link.first, link.second), (link.second, link.first)):
            events.append(new_event(
                SYSTEM, this, IncidentEvent.Kind.LINKED,
                f"No longer linked to {other.reference}: the shared {label} is on the warning list ({warning.reason})", internal=True,
            ))
            touched[this.pk] = this
    IncidentLink.objects.filter(pk__in=[link.pk for link in links]).delete()
    IncidentEvent.objects.bulk_create(events)
    rescored: set[int] = set()
    for incident in Incident.objects.filter(pk__in=touched).select_related("candidate"):
        if incident.pk in rescored:
            continue
        conduct = set(course_of_conduct_ids(incident)) | {incident.pk}
        for member in Incident.objects.filter(pk__in=conduct - rescored).select_related("candidate"):
            reassess_risk(member)
        rescored |= conduct
    return len(links)

