"""Per-record data keys kept outside the database, so that destroying a key erases data everywhere.

Why
    Deleting a row does not delete it from the database's backups, its write-ahead log or a replica.
    A field sealed under a key of its own (``bg2:<key id>:<nonce>:<ciphertext>``) is erased wherever
    copies of it lie once that key is destroyed: "crypto-shredding". That only works if the key does
    not live in the same backed-up database as the ciphertext, so data keys are files in
    ``settings.BALLOTGUARD_KEYSTORE_DIR``, one per key, named by a random key id.

How
    * A data key is 32 random bytes (AES-256-GCM). Its file holds it wrapped (sealed) with the master
      key ring (``BALLOTGUARD_FIELD_KEYS``, the ``bg1`` format, the key id bound in as associated data),
      so a copy of the key store alone is useless, and the master keys alone open nothing ``bg2``.
    * Files are created with ``O_EXCL`` and mode 0600 and fsynced (with their folder) before a value
      sealed under them can be written, so a committed row never names a key that was not on disk.
    * :func:`destroy` overwrites the file with random bytes, fsyncs, then unlinks it. On SSDs, copy-on-
      write filesystems (btrfs, ZFS), snapshots and journalling filesystems the overwrite is best
      effort: the old blocks may survive. The guarantee rests on the wrap (a surviving key file is
      useless without the master key) and on the operator keeping the key store out of long-lived
      backups (docs/operations.md, "Retention").
    * Unwrapped keys are cached in memory for speed; a cache hit still checks that the file exists,
      so a key destroyed by one process (``apply-retention``) stops opening in every other process at
      once, and :func:`destroy` evicts the local copy.

A missing key file reads as "destroyed": :func:`open_value` returns ``None`` and the field reads "".
A missing key store folder is an error (:class:`KeyStoreUnavailable`): restoring the database without
its key store must fail loudly, not show every erasable field as blank.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import threading
from collections import OrderedDict
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from .crypto import DecryptionError, _b64, _unb64, key_ring

PREFIX = "bg2"
_MAGIC = "BGK1"
_KID = re.compile(r"^[0-9a-f]{32}$")
_CACHE_SIZE = 20_000
_cache: OrderedDict[str, bytes] = OrderedDict()
_lock = threading.Lock()


class KeyStoreUnavailable(RuntimeError):
    """The key store folder is missing: restore it with the database (see docs/operations.md)."""



class ErasedRecordError(RuntimeError):
    """A record whose data key has been destroyed is being saved from a copy loaded before: refused."""

def _ring():
    return key_ring(settings.FIELD_ENCRYPTION_KEYS)


def root(create: bool = False) -> Path:
    path = Path(settings.BALLOTGUARD_KEYSTORE_DIR)
    if create:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    elif not path.is_dir():
        raise KeyStoreUnavailable(f"The key store {path} does not exist: restore it with the database, or set BALLOTGUARD_KEYSTORE_DIR.")
    return path


def _path(kid: str, create: bool = False) -> Path:
    if not _KID.match(kid or ""):
        raise ValueError("invalid data key id")
    return root(create) / kid[:2] / kid


def _wrap_context(kid: str) -> str:
    return f"ballotguard.datakey:{kid}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_new(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    _fsync_dir(path.parent)


def _wrapped(kid: str, key: bytes) -> bytes:
    return (_MAGIC + "\n" + _ring().seal(base64.b64encode(key).decode("ascii"), _wrap_context(kid)) + "\n").encode("ascii")


def _remember(kid: str, key: bytes) -> None:
    with _lock:
        _cache[kid] = key
        _cache.move_to_end(kid)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)


def create() -> str:
    """A new data key, on disk (fsynced) before its id is returned."""
    kid = secrets.token_hex(16)
    key = os.urandom(32)
    _write_new(_path(kid, create=True), _wrapped(kid, key))
    _remember(kid, key)
    return kid


def exists(kid: str) -> bool:
    return bool(kid) and _path(kid).is_file()


def load(kid: str) -> bytes | None:
    """The data key, or ``None`` if it has been destroyed. Raises ``DecryptionError`` if its file was altered."""
    path = _path(kid)
    with _lock:
        cached = _cache.get(kid)
    if cached is not None:
        if path.is_file():
            return cached
        evict(kid)
        return None
    try:
        text = path.read_text("ascii")
    except FileNotFoundError:
        return None
    magic, _, sealed = text.partition("\n")
    if magic != _MAGIC:
        raise DecryptionError(f"data key file {kid} is not a key file")
    key = base64.b64decode(_ring().open(sealed.strip(), _wrap_context(kid)))
    _remember(kid, key)
    return key


def evict(kid: str) -> None:
    with _lock:
        _cache.pop(kid, None)


def destroy(kid: str) -> bool:
    """Destroy a data key: overwrite its file, fsync, unlink. True if there was a key to destroy.

    Everything sealed under the key, in the database and in every backup of it, can no longer be
    opened. The overwrite is best effort on SSDs and copy-on-write filesystems (see the module doc).
    """
    evict(kid)
    path = _path(kid)
    try:
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        return False
    try:
        size = os.fstat(fd).st_size
        os.write(fd, os.urandom(max(size, 1)))
        os.fsync(fd)
    finally:
        os.close(fd)
    path.unlink()
    _fsync_dir(path.parent)
    evict(kid)
    return True


def seal(kid: str, plaintext: str, context: str) -> str:
    key = load(kid)
    if key is None:
        raise DecryptionError(f"data key {kid} has been destroyed")
    nonce = os.urandom(12)
    ct = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
    return ":".join((PREFIX, kid, _b64(nonce), _b64(ct)))


def key_id_of(sealed: str) -> str | None:
    parts = (sealed or "").split(":")
    return parts[1] if len(parts) == 4 and parts[0] == PREFIX else None


def open_value(sealed: str, context: str) -> str | None:
    """The plaintext of a ``bg2`` value, or ``None`` if its key has been destroyed."""
    try:
        prefix, kid, nonce_b64, ct_b64 = sealed.split(":")
    except ValueError as exc:
        raise DecryptionError("value is not a sealed field") from exc
    if prefix != PREFIX:
        raise DecryptionError("value is not a bg2 sealed field")
    key = load(kid)
    if key is None:
        return None
    try:
        return AESGCM(key).decrypt(_unb64(nonce_b64), _unb64(ct_b64), context.encode("utf-8")).decode("utf-8")
    except (InvalidTag, ValueError) as exc:
        raise DecryptionError("sealed value failed authentication") from exc


def all_key_ids() -> list[str]:
    base = root(create=True)
    return sorted(p.name for p in base.glob("??/*") if _KID.match(p.name))


def rewrap_all() -> int:
    """Re-wrap every data key under the newest master key (``rotate-keys``). Returns how many."""
    primary = _ring().primary
    count = 0
    for kid in all_key_ids():
        path = _path(kid)
        magic, _, sealed = path.read_text("ascii").partition("\n")
        if _ring().key_id_of(sealed.strip()) == primary:
            continue
        key = load(kid)
        if key is None:
            continue
        tmp = path.with_name(f".{kid}.rewrap")
        tmp.unlink(missing_ok=True)
        _write_new(tmp, _wrapped(kid, key))
        os.replace(tmp, path)
        _fsync_dir(path.parent)
        count += 1
    return count


# ---------------------------------------------------------------------------------------------------
# The data key of a record


def ensure_key(instance, path: str, *, adding: bool) -> str:
    """The id of the data key that ``path`` names (``"data_key"`` on the instance itself, or
    ``"incident.data_key"`` on a related record), created and recorded if it has none yet.

    An existing row gets its new key id written at once (a conditional UPDATE, so two writers never
    record two keys), whatever fields the caller is saving: a value must never be stored under a key
    its row does not name, or erasing the row would leave it readable.
    """
    *hops, attname = path.split(".")
    owner = instance
    for hop in hops:
        owner = getattr(owner, hop)
    owner_adding = adding and owner is instance
    kid = getattr(owner, attname) or ""
    if kid and exists(kid):
        return kid
    if kid:
        # The instance was loaded before retention destroyed its key: saving it would seal the old
        # plaintext still in memory under a new key and bring erased data back.
        raise ErasedRecordError(f"{owner._meta.label} {owner.pk} was erased under the retention policy after it was loaded; reload it")
    if owner_adding or owner.pk is None:
        kid = create()
        setattr(owner, attname, kid)
        return kid
    manager = type(owner)._base_manager
    for _ in range(3):
        current = manager.filter(pk=owner.pk).values_list(attname, flat=True).first()
        if current is None:  # not in the database yet (an insert with an explicit primary key)
            kid = create()
            setattr(owner, attname, kid)
            return kid
        if current and exists(current):
            setattr(owner, attname, current)
            return current
        kid = create()
        if manager.filter(pk=owner.pk, **{attname: current}).update(**{attname: kid}):
            setattr(owner, attname, kid)
            return kid
        destroy(kid)  # someone else recorded a key first: use theirs
    raise RuntimeError(f"could not record a data key for {owner._meta.label} {owner.pk}")
