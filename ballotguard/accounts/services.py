"""Operations on accounts and the audit log, used by pages, the API and the CLI alike."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from ballotguard.core.throttling import address_of

from .models import ApiToken, AuditEvent, Role, User


@dataclass(frozen=True)
class Actor:
    """Who is acting, and from where: carried from a request, an API call or the CLI to the audit log."""

    user: User | None
    ip_address: str | None = None
    channel: str = "web"

    @classmethod
    def from_request(cls, request, channel: str = "web") -> "Actor":
        return cls(user=request.user if request.user.is_authenticated else None, ip_address=client_ip(request), channel=channel)

    @classmethod
    def cli(cls, user: User | None = None) -> "Actor":
        return cls(user=user, ip_address=None, channel="cli")


def client_ip(request) -> str | None:
    return address_of(request) or None  # one rule for the audit log and the rate limits


def audit(
    actor: Actor,
    action: str,
    object_type: str = "",
    object_id: object = "",
    fields: Iterable[str] = (),
    detail: str = "",
) -> AuditEvent:
    """Record one audit event. ``detail`` must never contain personal data: ids and counts only."""
    user = actor.user
    return AuditEvent.objects.create(
        actor=user,
        actor_username=getattr(user, "username", "") or "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        fields=sorted(set(fields)),
        detail=detail[:300],
        ip_address=actor.ip_address,
        channel=actor.channel,
    )


def audit_reads(actor: Actor, object_type: str, object_ids: Iterable[object], fields: Iterable[str]) -> None:
    """One audit event per record whose personal fields were shown (a list page shows many)."""
    fields = sorted(set(fields))
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=actor.user,
            actor_username=getattr(actor.user, "username", "") or "",
            action=AuditEvent.Action.READ,
            object_type=object_type,
            object_id=str(oid),
            fields=fields,
            ip_address=actor.ip_address,
            channel=actor.channel,
        )
        for oid in object_ids
    )


def search_audit(
    *, actor: str = "", action: str = "", object_type: str = "", object_id: str = "", since=None, until=None
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.all()
    if actor:
        events = events.filter(Q(actor_username__iexact=actor) | Q(actor__username__iexact=actor))
    if action:
        events = events.filter(action=action)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if since:
        events = events.filter(at__gte=since)
    if until:
        events = events.filter(at__lt=until)
    return events


def authenticate_token(secret: str) -> User | None:
    """The user behind an API bearer token, or None. Marks the token used."""
    if not secret.startswith("bg_"):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=ApiToken.digest_of(secret)).first()
    if token is None or not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    # "Last used" is for people reviewing their tokens: to the minute is enough, and skipping the
    # write on most calls keeps a busy client from contending on one row.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def is_role(user, *roles: str) -> bool:
    return bool(user and user.is_authenticated and user.role in roles)


__all__ = ["Actor", "Role", "audit", "audit_reads", "authenticate_token", "client_ip", "is_role", "search_audit"]
