"""Rate limits per user and per address, for sign-in, reports and the API (issue 14).

One sliding-window counter (``hit``) serves pages and the API alike. Limits are
``settings.BALLOTGUARD_RATE_LIMITS`` (``"count/period"``, period ``s``, ``min``, ``h`` or ``day``;
a missing or empty scope is unlimited). The counts live in Django's cache: with the default local
memory cache each gunicorn worker counts on its own, so a client gets up to the limit times the number
of workers; point ``CACHES`` at a shared cache to make the limit exact. Cache keys are SHA-256 of the
scope and identity, so no username or address is written to the cache.

django-axes still locks out repeated wrong passwords; this stops floods of any request, right or wrong.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext, ngettext
from ninja.throttling import BaseThrottle

_PERIODS = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"30/min"`` → ``(30, 60)``."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip().lower()]


def hit(scope: str, ident: str) -> int | None:
    """Count one request of ``ident`` in ``scope``. Seconds to wait when over the limit, else None."""
    rate = settings.BALLOTGUARD_RATE_LIMITS.get(scope)
    if not rate or not ident:
        return None
    count, period = parse_rate(rate)
    key = "bg-rate:" + hashlib.sha256(f"{scope}\0{ident}".encode()).hexdigest()
    now = time.time()
    history = [t for t in cache.get(key, []) if t > now - period]
    if len(history) >= count:
        return max(1, math.ceil(history[0] + period - now))
    history.append(now)
    cache.set(key, history, period)
    return None


def address_of(request) -> str:
    """The client's address, for rate limits and the audit log alike (``accounts.services.client_ip``):
    REMOTE_ADDR only, since X-Forwarded-For is whatever the client says unless a trusted proxy rewrites it."""
    return request.META.get("REMOTE_ADDR") or ""


def check(*scopes: tuple[str, str]) -> int | None:
    """Count the request in each ``(scope, identity)``; the longest wait if any is over its limit."""
    waits = [w for scope, ident in scopes if (w := hit(scope, ident)) is not None]
    return max(waits) if waits else None


def too_many_page(request, wait: int, what: str = "requests"):
    """The GOV.UK page for a 429, with ``Retry-After``, in the language of the request. ``what`` is
    ``"attempts to sign in"``, ``"reports"`` or ``"requests"``."""
    minutes = max(1, math.ceil(wait / 60))
    if what == "attempts to sign in":
        message = ngettext("You have made too many attempts to sign in in a short time. Try again in %(minutes)d minute.",
                           "You have made too many attempts to sign in in a short time. Try again in %(minutes)d minutes.", minutes)
    elif what == "reports":
        message = ngettext("You have made too many reports in a short time. Try again in %(minutes)d minute.",
                           "You have made too many reports in a short time. Try again in %(minutes)d minutes.", minutes)
    else:
        message = ngettext("You have made too many requests in a short time. Try again in %(minutes)d minute.",
                           "You have made too many requests in a short time. Try again in %(minutes)d minutes.", minutes)
    response = render(request, "error.html", {"title": gettext("Too many attempts"), "message": message % {"minutes": minutes}}, status=429)
    response["Retry-After"] = str(wait)
    return response


class ApiThrottle(BaseThrottle):
    """Ninja throttle over ``hit``: ``by`` is ``"user"`` (the authenticated user) or ``"address"``."""

    def __init__(self, scope: str, by: str):
        self.scope = scope
        self.by = by
        self._wait: int | None = None

    def allow_request(self, request) -> bool:
        if self.by == "user":
            user = getattr(request, "user", None)
            ident = str(user.pk) if user is not None and user.is_authenticated else ""
        else:
            ident = address_of(request)
        self._wait = hit(self.scope, ident)
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait


def api_throttles() -> list[BaseThrottle]:
    return [ApiThrottle("api_user", "user"), ApiThrottle("api_address", "address")]


def report_throttles() -> list[BaseThrottle]:
    return [*api_throttles(), ApiThrottle("report_user", "user"), ApiThrottle("report_address", "address")]
