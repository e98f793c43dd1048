"""Encrypted file storage for evidence: the original bytes, sealed in chunks, never held whole in memory.

Format (``BGB1``): a header ``b"BGB1" | kid length (1 byte) | kid | nonce prefix (7 bytes)``, then
chunks of ``length (4 bytes, big-endian) | AES-256-GCM ciphertext and tag``. Each chunk's nonce is the
prefix, a 4-byte counter and a 1-byte "last chunk" flag (the STREAM construction of Hoang, Reyhanitabar,
Rogaway and Vizár), and the blob's name is bound in as associated data. So a chunk cannot be dropped,
reordered, truncated away or moved into another blob without opening failing.

Keys come from the same key ring as the personal fields; the key id travels in the header, so blobs
sealed before a rotation still open.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from .crypto import DecryptionError
from .fields import current_key_ring

MAGIC = b"BGB1"
CHUNK = 1024 * 1024


def _root() -> Path:
    root = Path(settings.EVIDENCE_ROOT)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def _path(name: str) -> Path:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError("invalid blob name")
    return _root() / name[:2] / name


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", counter, 1 if last else 0)


def seal_chunks(name: str, chunks: Iterable[bytes]) -> int:
    """Write ``chunks`` to the blob ``name``, sealed. Returns the plaintext size. Never overwrites."""
    ring = current_key_ring()
    kid = ring.primary.encode("ascii")
    aead = AESGCM(ring.keys[ring.primary])
    prefix = os.urandom(7)
    path = _path(name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    size = 0
    counter = 0
    aad = name.encode("utf-8")
    # "x": exclusive creation, so an existing original can never be replaced.
    with open(path, "xb") as out:
        out.write(MAGIC + bytes([len(kid)]) + kid + prefix)
        pending: bytes | None = None
        for chunk in _rechunk(chunks):
            if pending is not None:
                out.write(_sealed(aead, prefix, counter, False, pending, aad))
                counter += 1
            pending = chunk
            size += len(chunk)
        out.write(_sealed(aead, prefix, counter, True, pending or b"", aad))
    os.chmod(path, 0o600)
    return size


def _sealed(aead: AESGCM, prefix: bytes, counter: int, last: bool, data: bytes, aad: bytes) -> bytes:
    ct = aead.encrypt(_nonce(prefix, counter, last), data, aad)
    return struct.pack(">I", len(ct)) + ct


def _rechunk(chunks: Iterable[bytes]) -> Iterator[bytes]:
    buffer = bytearray()
    for piece in chunks:
        buffer.extend(piece)
        while len(buffer) >= CHUNK:
            yield bytes(buffer[:CHUNK])
            del buffer[:CHUNK]
    if buffer:
        yield bytes(buffer)


def open_chunks(name: str) -> Iterator[bytes]:
    """The blob's plaintext, chunk by chunk. Raises ``DecryptionError`` if anything was altered."""
    ring = current_key_ring()
    aad = name.encode("utf-8")
    with open(_path(name), "rb") as src:
        if src.read(4) != MAGIC:
            raise DecryptionError("not a sealed evidence file")
        kid = src.read(src.read(1)[0]).decode("ascii")
        key = ring.keys.get(kid)
        if key is None:
            raise DecryptionError(f"no key with id {kid!r} in the key ring")
        aead = AESGCM(key)
        prefix = src.read(7)
        counter = 0
        while True:
            header = src.read(4)
            if len(header) < 4:
                raise DecryptionError("sealed evidence file is truncated")
            ct = src.read(struct.unpack(">I", header)[0])
            last = not src.peek(1)  # nothing after this chunk: it must be the one sealed as last
            try:
                plain = aead.decrypt(_nonce(prefix, counter, last), ct, aad)
            except InvalidTag as exc:
                raise DecryptionError("sealed evidence file failed authentication") from exc
            yield plain
            if last:
                return
            counter += 1


def read_all(name: str) -> bytes:
    return b"".join(open_chunks(name))


def copy_to(name: str, out: BinaryIO) -> None:
    for chunk in open_chunks(name):
        out.write(chunk)


def delete(name: str) -> None:
    """Only for retention and for a failed upload's rollback: evidence is otherwise never removed."""
    try:
        _path(name).unlink()
    except FileNotFoundError:
        pass
