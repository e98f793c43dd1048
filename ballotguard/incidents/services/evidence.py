"""Evidence files: checked from their content, hashed on arrival, sealed unaltered, every opening recorded."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Iterator

from django.db import transaction

from ballotguard.accounts.services import Actor, audit
from ballotguard.core import blobs
from ballotguard.engines.incidents.evidence_types import SNIFF_BYTES, EvidenceRejected, check_evidence
from ballotguard.registry.services import NotPermitted

from ..models import Evidence, Incident, IncidentEvent
from .events import add_event
from .scope import can_add_evidence


def add_evidence(actor: Actor, incident: Incident, filename: str, chunks: Iterable[bytes], size: int) -> Evidence:
    """Keep an uploaded file: its type checked from its content, its SHA-256 taken as it arrives, the
    bytes sealed unaltered. Raises ``EvidenceRejected`` with a message for the reporter."""
    user = actor.user
    if user is None or not can_add_evidence(user, incident):
        raise NotPermitted("You cannot add evidence to this incident.")
    return store_evidence(actor, incident, filename, chunks, size)


def store_evidence(actor: Actor, incident: Incident, filename: str, chunks: Iterable[bytes], size: int) -> Evidence:
    """``add_evidence`` without the permission check, for services that have made their own (a
    reviewer promoting a flagged message attaches it to the incident they have just created)."""
    user = actor.user
    iterator = iter(chunks)
    head = b""
    buffered: list[bytes] = []
    for chunk in iterator:
        buffered.append(chunk)
        head += chunk
        if len(head) >= SNIFF_BYTES:
            break
    kind = check_evidence(head[:SNIFF_BYTES], size, filename)
    digest = hashlib.sha256()
    counted = 0

    def hashed() -> Iterator[bytes]:
        nonlocal counted
        for chunk in [*buffered, *iterator]:
            digest.update(chunk)
            counted += len(chunk)
            yield chunk

    blob_name = uuid.uuid4().hex
    written = blobs.seal_chunks(blob_name, hashed())
    if written != size:
        blobs.delete(blob_name)
        raise EvidenceRejected("The selected file could not be read in full: try uploading it again")
    try:
        with transaction.atomic():
            evidence = Evidence.objects.create(
                incident=incident, original_name=filename[:255] or f"evidence.{kind.extension}", kind=kind.kind.value,
                mime=kind.mime, extension=kind.extension, size=size, sha256=digest.hexdigest(), blob_name=blob_name, uploaded_by=user,
            )
            add_event(actor, incident, IncidentEvent.Kind.EVIDENCE_ADDED, f"{kind.label}, {_size(size)}, SHA-256 {evidence.sha256}")
            audit(actor, "create", "evidence", evidence.pk, detail=f"incident {incident.pk} sha256 {evidence.sha256[:16]}")
    except Exception:
        blobs.delete(blob_name)
        raise
    return evidence


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def evidence_of(incident: Incident, evidence_id: int) -> Evidence:
    """One of the incident's files; the caller already holds the incident through ``get_incident``.
    A file deleted by retention is no longer there to open (``Evidence.DoesNotExist``)."""
    return Evidence.objects.select_related("incident").get(pk=evidence_id, incident=incident, erased_at__isnull=True)


def open_evidence(actor: Actor, evidence: Evidence, purpose: str = "download") -> Iterator[bytes]:
    """The original bytes, with the access recorded in the audit log and the incident's timeline
    (chain of custody). The caller must already hold the incident through ``get_incident``."""
    with transaction.atomic():
        audit(actor, "read", "evidence", evidence.pk, fields=["file"], detail=purpose)
        add_event(actor, evidence.incident, IncidentEvent.Kind.EVIDENCE_OPENED, f"file {evidence.sha256[:12]}… ({purpose})")
    return blobs.open_chunks(evidence.blob_name)


def custody(evidence: Evidence):
    """Every recorded access to a piece of evidence, oldest first."""
    from ballotguard.accounts.models import AuditEvent

    return AuditEvent.objects.filter(object_type="evidence", object_id=str(evidence.pk)).order_by("at", "id")
