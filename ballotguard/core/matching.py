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


def record_keys(kind: str, ids) -> list[int]:
    """The cell-key method's record key of each id (:mod:`ballotguard.engines.insights.cellkey`): the first
    32 bits of HMAC-SHA256(match key, "cell-key" + kind + id). Fixed for a record, so a cell counting
    the same records always gets the same key and shows the same value; unguessable without the key,
    so nobody can work out the noise a published figure carries. ``kind`` ("incident", "candidate")
    keeps one kind's keys from another's. One HMAC key set-up for the whole list: at a million
    incidents this is about two seconds."""
    base = hmac.new(match_key(), f"cell-key\x00{kind}\x00".encode("utf-8"), hashlib.sha256)
    out = []
    for record_id in ids:
        mac = base.copy()
        mac.update(str(record_id).encode("ascii"))
        out.append(int.from_bytes(mac.digest()[:4], "big"))
    return out


# ---------------------------------------------------------------------------------------------------
# Pseudonyms: what a page shows instead of a name or a database id. Every format lives here.


def pseudonym(purpose: str, value: str, *, prefix: str, length: int) -> str:
    """``prefix`` and the first ``length`` hex digits, upper case, of :func:`keyed_hash` of ``value``:
    stable for a value, useless without the key. With ``n`` values and ``length`` hex digits two of
    them share a pseudonym with probability about ``n² / 2^(4·length + 1)``: pick the length for the
    largest ``n`` the pseudonym has to tell apart (16 digits: about 3 in 100 million at a million)."""
    if not 1 <= length <= 64:
        raise ValueError("length must be 1 to 64 hex digits")
    return prefix + keyed_hash(purpose, value)[:length].upper()


def candidate_pseudonym(candidate_id: int) -> str:
    """A candidate as analysts see them: ``C-`` and 16 hex digits, the same on every page, API and
    export (monitoring, campaigns, insights), so a candidate can be followed across them without
    the database id or the name."""
    return pseudonym("insights-candidate", str(candidate_id), prefix="C-", length=16)


INCIDENT_PSEUDONYM_DIGITS = 16


def incident_pseudonym(reference: str) -> str:
    """An incident as the insights records show it: ``P-`` and 16 hex digits of its reference
    (64 bits: no two of even tens of millions of incidents share one by chance)."""
    return pseudonym("insights-pseudonym", reference, prefix="P-", length=INCIDENT_PSEUDONYM_DIGITS)


def author_pseudonym(author_hash: str) -> str:
    """A monitored account as analysts see it: ``author-`` and the first 10 (lower-case) hex digits of
    its ``author_hash``, which is already ``keyed_hash("message-author", "<platform>:<handle>")``;
    ``unknown author`` when there is none."""
    return f"author-{author_hash[:10]}" if author_hash else "unknown author"


def observable_pseudonym(match_hash: str) -> str:
    """An observable (a handle, a phone number...) as it is shared pseudonymised with partners:
    ``O-`` and 16 hex digits of its ``match_hash``. Two incidents naming the same value share it, so
    a partner can see that they do; only this deployment's key turns a value into it, so a bundle that
    comes back (issue 17's round trip) matches again here and nowhere else."""
    return pseudonym("sharing-observable", match_hash, prefix="O-", length=16)
