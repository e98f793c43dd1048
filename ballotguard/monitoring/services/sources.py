"""Live message sources for administrators: their health, the start/stop control, and stall alerts.

The connector processes (``ballotguard stream-bluesky``) write their state to :class:`Source`; these
functions read it for the Sources page and the API, record an administrator's start or stop (the
connector obeys within a second), and tell administrators by e-mail when a source that should be
running has stalled (``ballotguard check-sources``, every minute in ``make run``). Only
administrators see sources: the figures are counts, never a message or an account.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import timezone

from ballotguard.accounts.models import AuditEvent, Role
from ballotguard.accounts.services import Actor, audit
from ballotguard.registry.services import NotPermitted

from ..connectors import bluesky, mastodon
from ..models import Source

log = logging.getLogger(__name__)

STATUS = {Source.Name.BLUESKY.value: bluesky.status, Source.Name.MASTODON.value: mastodon.status}


def check_admin(user) -> None:
    if user is None or not user.is_authenticated or user.role != Role.ADMIN:
        raise NotPermitted("Only administrators manage live message sources.")


def statuses(user, now: datetime | None = None) -> list[dict]:
    check_admin(user)
    return [STATUS[name](now) for name in STATUS]


def set_enabled(actor: Actor, name: str, enabled: bool) -> Source:
    """Start or stop a source. Raises ``Source.DoesNotExist`` for an unknown name."""
    check_admin(actor.user)
    if name not in STATUS:
        raise Source.DoesNotExist(name)
    source, _ = Source.objects.get_or_create(name=name)
    if source.enabled != enabled:
        source.enabled = enabled
        if enabled:
            source.stall_alerted_at = None
        source.save(update_fields=["enabled", "stall_alerted_at"])
    audit(actor, AuditEvent.Action.UPDATE, "source", name, detail="started" if enabled else "stopped")
    return source


def check_stalls(now: datetime | None = None) -> list[str]:
    """E-mail every active administrator about each source that should be running and has stalled,
    once per stall (cleared when it recovers). Returns the names alerted about."""
    now = now or timezone.now()
    alerted = []
    for name, status in STATUS.items():
        state = Source.objects.get_or_create(name=name)[0]
        figures = status(now)
        if not figures["stalled"]:
            if state.stall_alerted_at is not None:
                Source.objects.filter(pk=state.pk).update(stall_alerted_at=None)
            continue
        if state.stall_alerted_at is not None:
            continue
        heard = figures["heartbeat_at"].strftime("%d %B %Y %H:%M UTC") if figures["heartbeat_at"] else "never"
        body = (f"The live message source {figures['label']} should be running but has stalled: last heard from {heard}, "
                f"{figures['backlog']} posts waiting to be stored, {figures['errors']} connection errors"
                f"{' (last: ' + figures['last_error'] + ')' if figures['last_error'] else ''}.\n\n"
                "Messages to candidates from this source are not arriving. Check that `ballotguard stream-bluesky` (or stream-mastodon) is running; "
                "it resumes from its stored position, so nothing is lost once it is back.")
        admins = list(get_user_model().objects.filter(role=Role.ADMIN, is_active=True).exclude(email="").values_list("email", flat=True))
        if admins:
            send_mail(f"Ballotguard: live source {figures['label']} has stalled", body, None, admins, fail_silently=False)
        log.warning("live source %s has stalled; %d administrators told", name, len(admins))
        Source.objects.filter(pk=state.pk).update(stall_alerted_at=now)
        alerted.append(name)
    return alerted
