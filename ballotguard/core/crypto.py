"""Authenticated encryption of personal fields at rest (AES-256-GCM) with a key ring for rotation.

A sealed value reads ``bg1:<kid>:<nonce b64>:<ciphertext b64>``. The key id travels with the value, so
after a rotation (a new key put first in ``BALLOTGUARD_FIELD_KEYS``) old rows still open and
``ballotguard rotate-keys`` re-seals them under the new key. The field name is bound in as associated
data, so a ciphertext copied from one column into another fails to open.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "bg1"


class KeyConfigurationError(ValueError):
    """The configured key ring cannot be used."""


class DecryptionError(ValueError):
    """A sealed value could not be opened: wrong key, tampered data or unknown key id."""


@dataclass(frozen=True)
class KeyRing:
    keys: dict[str, bytes]
    primary: str

    @classmethod
    def parse(cls, spec: str) -> "KeyRing":
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            kid, sep, b64 = part.partition(":")
            if not sep or not kid or not kid.isalnum():
                raise KeyConfigurationError("each key must be written 'kid:base64key' with an alphanumeric kid")
            try:
                raw = base64.b64decode(b64, validate=True)
            except binascii.Error as exc:
                raise KeyConfigurationError(f"key {kid!r} is not valid base64") from exc
            if len(raw) != 32:
                raise KeyConfigurationError(f"key {kid!r} must be 32 bytes (AES-256), not {len(raw)}")
            if kid in keys:
                raise KeyConfigurationError(f"key id {kid!r} appears twice")
            keys[kid] = raw
            order.append(kid)
        if not order:
            raise KeyConfigurationError("no field encryption key configured")
        return cls(keys=keys, primary=order[0])

    def seal(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(12)
        ct = AESGCM(self.keys[self.primary]).encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
        return ":".join((PREFIX, self.primary, _b64(nonce), _b64(ct)))

    def open(self, sealed: str, context: str) -> str:
        try:
            prefix, kid, nonce_b64, ct_b64 = sealed.split(":")
        except ValueError as exc:
            raise DecryptionError("value is not a sealed field") from exc
        if prefix != PREFIX:
            raise DecryptionError("value is not a sealed field")
        key = self.keys.get(kid)
        if key is None:
            raise DecryptionError(f"no key with id {kid!r} in the key ring (was it retired too early?)")
        try:
            plain = AESGCM(key).decrypt(_unb64(nonce_b64), _unb64(ct_b64), context.encode("utf-8"))
        except (InvalidTag, binascii.Error) as exc:
            raise DecryptionError("sealed value failed authentication") from exc
        return plain.decode("utf-8")

    def key_id_of(self, sealed: str) -> str | None:
        parts = sealed.split(":")
        return parts[1] if len(parts) == 4 and parts[0] == PREFIX else None


def generate_key() -> str:
    """A fresh random 256-bit key, base64 encoded."""
    return base64.b64encode(os.urandom(32)).decode("ascii")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@lru_cache(maxsize=4)
def key_ring(spec: str) -> KeyRing:
    return KeyRing.parse(spec)
