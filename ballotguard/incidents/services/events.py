"""An incident's timeline: one line per thing that happened to it."""

from __future__ import annotations

from ballotguard.accounts.services import Actor

from ..models import Incident, IncidentEvent

# Ballotguard itself, for what the system does rather than a person: finding links, the task worker.
SYSTEM = Actor(user=None, channel="task")


def new_event(actor: Actor, incident: Incident, kind: str, text: str = "", internal: bool = False) -> IncidentEvent:
    """An unsaved timeline line (for ``bulk_create``)."""
    user = actor.user
    return IncidentEvent(incident=incident, actor=user, actor_name=str(user) if user else "Ballotguard", kind=kind, text=text, internal=internal)


def add_event(actor: Actor, incident: Incident, kind: str, text: str = "", internal: bool = False) -> IncidentEvent:
    event = new_event(actor, incident, kind, text, internal)
    event.save()
    return event


def record_event(incident: Incident, kind: str, text: str, internal: bool = False) -> IncidentEvent:
    """For the task worker, which acts as Ballotguard itself."""
    return add_event(SYSTEM, incident, kind, text, internal)
