"""Keyed hashes for matching personal values without storing them in clear.

Two incidents naming the same phone number get the same ``match_hash``, so the database can join them;
someone holding a copy of the database but not the key cannot test guesses against the column (a plain
SHA-256 of a phone number is reversed by trying every number). The key is
``BALLOTGUARD_MATCH_KEY``, or, when unset, one derived from the secret key. Changing it makes
earlier hashes unmatchable, so it is set once per deployment and not rotated.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def match_key() -> bytes:
    configured = getattr(settings, "MATCH_KEY", "")
    if configured:
        return configured.encode("utf-8")
    return hmac.new(settings.SECRET_KEY.encode("utf-8"), b"ballotguard-match-key-v1", hashlib.sha256).digest()


def keyed_hash(purpose: str, value: str) -> str:
    """HMAC-SHA256 of ``purpose`` and ``value``; the purpose keeps hashes from one use out of another."""
    return hmac.new(match_key(), f"{purpose}\x00{value}".encode("utf-8"), hashlib.sha256).hexdigest()
