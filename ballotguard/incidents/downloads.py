"""The two downloads an incident offers, answered the same way by the pages and the API.

Both are attachments that are never cached and never sniffed: an uploaded file is served with the
type found in its content, under a name Ballotguard makes (never the uploader's), with its SHA-256.
"""

from __future__ import annotations

from django.http import FileResponse, StreamingHttpResponse

from ballotguard.accounts.services import Actor

from . import packs, services
from .models import Evidence, Incident


def evidence_response(actor: Actor, incident: Incident, evidence: Evidence) -> StreamingHttpResponse:
    """The original bytes of one file, its opening recorded (``services.open_evidence``)."""
    response = StreamingHttpResponse(services.open_evidence(actor, evidence), content_type=evidence.mime)
    response["Content-Length"] = str(evidence.size)
    response["Content-Disposition"] = f'attachment; filename="{incident.reference}-{evidence.pk}.{evidence.extension}"'
    response["X-Evidence-SHA256"] = evidence.sha256
    return _private(response)


def pack_response(actor: Actor, incidents: list[Incident]) -> FileResponse:
    """The evidence pack ZIP for incidents already in the actor's scope."""
    name, handle = packs.write_pack(actor, incidents)
    return _private(FileResponse(handle, as_attachment=True, filename=name, content_type="application/zip"))


def _private(response):
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
