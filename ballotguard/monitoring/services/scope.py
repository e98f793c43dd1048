"""Who may see which messages. Everything else in ``services`` goes through here.

A FEOA reviews the messages sent to candidates in their force(s) and sees them in full; an analyst
reviews every force's, pseudonymised (no author handle or name, no candidate name, handles and
contact-like numbers masked in the text); a candidate sees the counts behind their own abuse
timeline, never the queue; nobody else sees anything.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from ballotguard.accounts.models import Role, User
from ballotguard.registry.models import AreaForce

from ..models import Message

REVIEWERS = (Role.FEOA, Role.ANALYST)


def can_review(user: User) -> bool:
    return user.is_authenticated and user.role in REVIEWERS


def sees_identities(user: User) -> bool:
    """FEOAs act on a message (call the candidate, refer it to the police), so they see who is who."""
    return user.is_authenticated and user.role == Role.FEOA


def _base() -> QuerySet[Message]:
    return Message.objects.select_related("candidate__ballot__area", "candidate__ballot__election", "candidate__party", "incident")


def messages_visible_to(user: User) -> QuerySet[Message]:
    qs = _base()
    if not can_review(user):
        return qs.none()
    if user.role == Role.FEOA:
        in_force = AreaForce.objects.filter(area_id=OuterRef("candidate__ballot__area_id"), force__in=user.police_forces.all())
        return qs.filter(Exists(in_force))
    return qs  # analysts: national


def get_message(user: User, message_pk: int) -> Message:
    """Raises ``Message.DoesNotExist`` (answered 404) outside the user's scope."""
    return messages_visible_to(user).get(pk=message_pk)
