"""Incidents' retention rule and hold (declared here, registered in ``apps.py``; see
``ballotguard.core.retention``).

Closed incidents (``closed_incidents_minimise_days``, from closure)
    Minimised, not deleted: the police may still need the reference, the crime reference number and
    the fact of the incident (behaviours, place, dates, risk) for figures and for a later course of
    conduct. The incident's data key is destroyed, so its description, perpetrator, advice,
    observables, evidence file names, timeline texts and checklist reasons can no longer be opened
    anywhere; the columns are blanked; each evidence file is deleted and its row marked
    ``erased_at``, keeping its SHA-256 (the chain of custody can still show which file was held, and
    a copy the police hold can be proved to be it). Observables keep their kind and ``match_hash``: a
    keyed HMAC (not reversible without ``BALLOTGUARD_MATCH_KEY``), so a new report naming the same
    phone number or account still links to the minimised one. Harassment is a course of conduct; a
    perpetrator who comes back after two years is exactly what the link must show the FEOA. A
    monitoring message promoted to the incident goes with it (monitoring's own rule, run after this).

An open incident keeps its candidate's contact details (a hold on the registry's rule)
    Any incident not closed, drafts included (they are the candidate's unsent reports): the FEOA may
    still need to reach the candidate.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Exists, OuterRef

from ballotguard.core import blobs, erasure
from ballotguard.core import retention as core
from ballotguard.registry.retention import CONTACT_DETAILS

from .models import Evidence, Incident, IncidentEvent, IncidentTask, Observable

CLOSED_INCIDENTS = "closed_incidents"


def open_incidents_of_candidate():
    """Kept by this hold: a candidate (the row the contact rule looks at) with an incident not closed."""
    return Exists(Incident.objects.filter(candidate=OuterRef("pk")).exclude(status=Incident.Status.CLOSED))


def incidents_to_minimise(now: dt.datetime, days: int):
    return Incident.objects.filter(status=Incident.Status.CLOSED, closed_at__lt=now - dt.timedelta(days=days), minimised_at__isnull=True)


def _minimise_closed(run: core.Run, days: int) -> None:
    incidents = list(incidents_to_minimise(run.now, days).values_list("pk", flat=True))
    if run.dry_run:
        report = run.report
        report.add("incidents_minimised", len(incidents))
        report.add("evidence_files_deleted", Evidence.objects.filter(incident_id__in=incidents, erased_at__isnull=True).count())
        report.add("observables_blanked", Observable.objects.filter(incident_id__in=incidents).exclude(display="", value="").count())
        report.add(core.DATA_KEYS.name, Incident.objects.filter(pk__in=incidents).exclude(data_key="").count())
        return
    for start in range(0, len(incidents), core.BATCH):
        run.progress("Minimising closed incidents", start, len(incidents))
        _minimise(incidents[start:start + core.BATCH], run, days)


def _minimise(ids: list[int], run: core.Run, days: int) -> None:
    report, now = run.report, run.now
    with transaction.atomic():
        rows = list(incidents_to_minimise(now, days).filter(pk__in=ids).select_for_update().values_list("pk", "data_key"))
        if not rows:
            return
        pks = [pk for pk, _ in rows]
        Incident.objects.filter(pk__in=pks).update(description="", perpetrator="", advice="", data_key="", minimised_at=now)
        report.add("observables_blanked", Observable.objects.filter(incident_id__in=pks).exclude(display="", value="").update(display="", value=""))
        IncidentEvent.objects.filter(incident_id__in=pks).exclude(text="").update(text="")
        IncidentTask.objects.filter(incident_id__in=pks).exclude(reason="").update(reason="")  # why a task did not apply
        files = list(Evidence.objects.filter(incident_id__in=pks, erased_at__isnull=True).values_list("pk", "blob_name"))
        Evidence.objects.filter(pk__in=[pk for pk, _ in files]).update(original_name="", erased_at=now)
        report.add("incidents_minimised", len(pks))
        # Destructive steps last, still inside the transaction (see ballotguard.core.retention).
        for kid in {kid for _, kid in rows if kid}:
            erasure.destroy(kid)
            report.add(core.DATA_KEYS.name)
        for _, name in files:
            blobs.delete(name)
            report.add("evidence_files_deleted")


RULES = (
    core.Rule(
        name=CLOSED_INCIDENTS,
        covers="closed incidents, minimised",
        action=core.ERASE,
        apply=_minimise_closed,
        period="closed_incidents_minimise_days", default_days=730,
        period_text="closed incidents {days} after closure",
        counts=(
            core.Count("incidents_minimised", "incidents", "Closed incidents minimised"),
            core.Count("observables_blanked", "obs", "Observables blanked (match hashes kept)"),
            core.Count("evidence_files_deleted", "files", "Evidence files deleted (SHA-256 kept)"),
        ),
        audit_fields=("incident_content", "evidence_files"),
    ),
)
HOLDS = (
    core.Hold(rule=CONTACT_DETAILS, keeps=open_incidents_of_candidate,
              count=core.Count("kept_open_incident", "k_open", "Kept: an incident still open")),
)
