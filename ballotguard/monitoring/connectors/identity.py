"""Candidates register Bluesky *handles*; Jetstream names accounts by *DID*. This keeps the two joined.

:class:`XrpcHandleResolver` asks an AT Protocol service ``com.atproto.identity.resolveHandle`` (the
public AppView by default, ``BALLOTGUARD_BLUESKY_RESOLVER_URL``); anything with the same
``resolve(handle) -> did`` method can stand in (tests run a local server that speaks the XRPC shape).
:func:`refresh` resolves new handles and re-resolves old ones; the connector calls it at start, every
``BALLOTGUARD_BLUESKY_RESOLVE_EVERY`` seconds, and when an identity event touches a watched account.

A candidate who renames their account keeps their DID: when their registered handle stops
resolving, Ballotguard goes on following the DID it had (recording why), so a rename does not make
their abuse invisible.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from typing import Protocol

from django.conf import settings
from django.utils import timezone

from ballotguard.engines.messages.jetstream import is_did
from ballotguard.engines.messages.records import Platform
from ballotguard.registry.models import SocialHandle

from ..models import WatchedAccount

log = logging.getLogger(__name__)


class ResolveError(Exception):
    """The handle could not be resolved; the message says why (never includes personal data)."""


class HandleResolver(Protocol):
    def resolve(self, handle: str) -> str:
        """The DID the handle points to now, or raise :class:`ResolveError`."""


class XrpcHandleResolver:
    def __init__(self, base_url: str | None = None, timeout: float = 5.0):
        self.base_url = (base_url or settings.BALLOTGUARD_BLUESKY_RESOLVER_URL).rstrip("/")
        self.timeout = timeout

    def resolve(self, handle: str) -> str:
        url = f"{self.base_url}/xrpc/com.atproto.identity.resolveHandle?" + urllib.parse.urlencode({"handle": handle})
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:  # noqa: S310 (an https/http URL from settings)
                body = json.loads(response.read(65536))
        except urllib.error.HTTPError as exc:
            raise ResolveError(f"the resolver answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise ResolveError(f"the resolver could not be reached or answered badly ({type(exc).__name__})") from None
        did = body.get("did") if isinstance(body, dict) else None
        if not isinstance(did, str) or not is_did(did):
            raise ResolveError("the resolver's answer had no DID")
        return did


def registered_handles(platform: Platform = Platform.BLUESKY) -> set[str]:
    return set(SocialHandle.objects.filter(platform=platform.value, candidate__ballot__cancelled=False).values_list("handle", flat=True))


def refresh(resolver: HandleResolver, *, max_age: timedelta | None = None, only: set[str] | None = None) -> dict[str, str]:
    """Resolve every registered handle that is new, older than ``max_age`` or in ``only``; forget the
    ones no longer registered. Returns the watched accounts as ``{did: registered handle}``."""
    now = timezone.now()
    handles = registered_handles()
    WatchedAccount.objects.filter(platform=Platform.BLUESKY.value).exclude(handle__in=handles).delete()
    known = {w.handle: w for w in WatchedAccount.objects.filter(platform=Platform.BLUESKY.value)}
    for handle in sorted(handles):
        watched = known.get(handle) or WatchedAccount(platform=Platform.BLUESKY.value, handle=handle)
        due = watched.pk is None or watched.resolved_at is None or (only is not None and handle in only) \
            or (max_age is not None and now - watched.resolved_at >= max_age)
        if not due:
            continue
        try:
            did = resolver.resolve(handle)
        except ResolveError as exc:
            # Keep following the DID we had: a renamed account is still the candidate's account.
            watched.error = (f"{exc}; following the account by its last known DID" if watched.account_id else str(exc))[:200]
        else:
            if watched.account_id and watched.account_id != did:
                log.info("a watched Bluesky handle now points to a different account")
            watched.account_id, watched.error = did, ""
        watched.resolved_at = now
        watched.save()
    return watched_accounts()


def watched_accounts() -> dict[str, str]:
    rows = WatchedAccount.objects.filter(platform=Platform.BLUESKY.value).exclude(account_id="").values_list("account_id", "handle")
    return dict(rows)
