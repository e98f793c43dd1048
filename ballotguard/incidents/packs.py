"""Evidence packs: one incident, or a course of conduct, as a PDF and a ZIP for the police.

This module gathers what the pack shows from the database (within the user's scope, audited) and
hands plain data to ``evidence_pack``, which renders it without knowing about Django.
"""

from __future__ import annotations

import tempfile
from typing import BinaryIO

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from ballotguard.accounts.models import Role
from ballotguard.accounts.services import Actor, audit
from ballotguard.core import blobs
from ballotguard.engines.incidents.observables import ObservableKind
from ballotguard.engines.incidents.offences import DISCLAIMER

from . import evidence_pack as ep
from . import services
from .models import Incident, IncidentEvent


def _incident_data(actor: Actor, incident: Incident, blob_of: dict[ep.PackEvidence, str]) -> ep.PackIncident:
    """The incident as the pack shows it to this actor; ``blob_of`` learns where each file is sealed."""
    user = actor.user
    evidence = []
    for n, e in enumerate(incident.evidence.filter(erased_at__isnull=True).select_related("uploaded_by"), start=1):
        entry = ep.PackEvidence(
            filename=e.original_name, kind=e.kind, size=e.size, sha256=e.sha256, uploaded_at=e.uploaded_at,
            uploaded_by=str(e.uploaded_by), arcname=f"evidence/{incident.reference}/{n:02d}-{e.pk}.{e.extension}",
        )
        blob_of[entry] = e.blob_name
        evidence.append(entry)
    # The pack is written for the police and is English throughout but for its Welsh cover note (see
    # docs/welsh.md), so its routing advice is English even when it is downloaded from a Welsh page.
    with translation.override("en"):
        guidance = services.guidance_for(incident, user)
    adviser = user is not None and user.role == Role.FEOA  # the FEOAs' own reasoning stays with them
    return ep.PackIncident(
        reference=incident.reference,
        candidate=incident.candidate.name,
        occurred_at=incident.occurred_at,
        place=incident.place_label,
        area=incident.area.name if incident.area else "",
        status=incident.get_status_display(),
        behaviours=tuple(incident.behaviour_labels),
        characteristics=tuple(incident.characteristic_labels),
        description=incident.description,
        perpetrator=incident.perpetrator,
        observables=tuple((ObservableKind(o.kind).label, o.display) for o in incident.observables.all()),
        risk_level=(incident.effective_risk or "not scored").title(),
        risk_reasons=tuple(f.why for f in guidance.risk.factors) + (
            (f"Overridden by a FEOA: {incident.risk_override_reason}",) if incident.risk_override_level and adviser else ()
        ),
        crime_reference=incident.crime_reference,
        routes=tuple(ep.PackRoute(title=r.title, why=r.why, how=r.how) for r in guidance.routes),
        offences=tuple(
            ep.PackOffence(act=o.act, section=o.section, title=o.title, kind=o.kind.value, why=o.why, evidence=tuple(o.evidence))
            for o in guidance.offences
        ),
        timeline=tuple(ep.PackEvent(at=e.at, actor=e.actor_name, text=e.text or e.get_kind_display()) for e in services.timeline(user, incident)),
        evidence=tuple(evidence),
    )


# The pack is for the police and stays English (docs/welsh.md says why); downloaded in Welsh, its first
# page carries this note to the candidate in Welsh, with the English beside it for the officer.
WELSH_COVER_NOTE = gettext_noop(
    "This evidence pack is written for the police, so it is in English. It does not report a crime: report on 101 "
    "or at police.uk (in immediate danger, call 999) and give them this pack. The advice on where to report is in "
    "Welsh on the incident's page in Ballotguard. The four Welsh police forces offer their services in Welsh: you "
    "can ask to deal with them in Welsh."
)


def _cover_note() -> tuple[str, str]:
    """The Welsh note and its English for a pack asked for in Welsh; nothing otherwise."""
    if (translation.get_language() or "en").split("-")[0] != "cy":
        return "", ""
    return translation.gettext(WELSH_COVER_NOTE), WELSH_COVER_NOTE


def write_pack(actor: Actor, incidents: list[Incident]) -> tuple[str, BinaryIO]:
    """The pack for these incidents (already in the actor's scope) as a ZIP in a temporary file,
    returned open for reading with its file name.

    Each evidence file is read back from its sealed blob and checked against the SHA-256 taken on
    arrival before it goes in; the export and every file read are recorded (chain of custody).
    """
    blob_of: dict[ep.PackEvidence, str] = {}
    cover_note, cover_english = _cover_note()
    title = (f"Evidence pack: incident {incidents[0].reference}" if len(incidents) == 1
             else f"Course of conduct: {len(incidents)} linked incidents")
    pack = ep.Pack(
        title=title, generated_at=timezone.now(), generated_by=str(actor.user),
        incidents=tuple(_incident_data(actor, i, blob_of) for i in incidents), disclaimer=DISCLAIMER,
        cover_note=cover_note, cover_note_english=cover_english,
    )
    with transaction.atomic():
        for incident in incidents:
            audit(actor, "export", "incident", incident.pk, fields=[*Incident.CONTENT_FIELDS, "evidence"], detail="evidence pack")
            services.add_event(actor, incident, IncidentEvent.Kind.EXPORTED, f"Evidence pack exported ({len(incidents)} incident(s))")
            for pk in incident.evidence.filter(erased_at__isnull=True).values_list("pk", flat=True):
                audit(actor, "read", "evidence", pk, fields=["file"], detail="evidence pack")

    files = ((entry, blobs.read_all(blob)) for entry, blob in blob_of.items())
    handle = tempfile.TemporaryFile()
    try:
        ep.write_zip(pack, ep.render_pdf(pack), files, handle)
    except BaseException:
        handle.close()  # a half-written pack is never sent
        raise
    handle.seek(0)
    return f"{ep.pack_filename(pack)}.zip", handle
