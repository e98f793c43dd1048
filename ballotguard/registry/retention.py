"""Retention: deleting what is no longer needed (``ballotguard apply-retention``).

Six rules, periods in ``settings.BALLOTGUARD_RETENTION`` (days; docs/operations.md gives the reasons):

Contact details of unsuccessful candidates (``contact_details_after_election_days``, from election day)
    A candidate whose election is that long past, who was **not elected** (``elected is False``) and
    who has **no open incident** (any incident not closed, drafts included: they are the candidate's
    unsent reports) loses the contact details the returning officer handed over: the candidate's data
    key is destroyed, the four fields and the exposure fingerprints are blanked, and
    ``contact_erased_at`` is set. Facts kept for coverage figures: ``handed_over_at``,
    ``consent_to_share``, the candidacy itself. ``elected is None`` (result not recorded) is kept and
    counted, so the operator can record results; so is an elected candidate, who becomes an office-
    holder under the Bridger/Ford protection.
What goes with the contact details (no period of its own: ``contact_erased_at`` is set)
    Outreach contact attempts keep method, outcome and dates (``outreach.services.coverage_by_force``
    counts them) but lose ``notes`` (what the candidate told the adviser) and ``next_step``; briefing
    invitations stay. Every safety-plan revision of the candidacy is deleted (the answers say who
    lives at the address). Selected by ``contact_erased_at``, not by this run's list, so candidates
    erased by an earlier run (before these rules existed, or by a run that stopped half way) and a
    note added to an erased candidacy since are caught too.
Superseded safety-plan revisions (``safety_plan_revisions_days``, from the revision's ``created_at``)
    Revisions older than the period are deleted unless they are the candidacy's latest: the plan in
    force is kept for as long as the candidacy's contact details are.
Monitoring messages (``monitoring_messages_days``, from ``sent_at``)
    Messages not promoted to an incident (``review`` is not ``promoted`` and no incident is linked)
    are deleted, with their ``ReviewDecision`` rows (cascade: a decision is a label for the text and
    is no use without it; retrain with ``train-abuse-model --with-review-feedback`` within the period
    to keep what reviewers taught the model). Promoted messages go with their incident's
    minimisation below. The columns are under the master key, not a data key (the ingest's raw
    ``executemany`` cannot seal erasable fields), so a deleted message stays in database backups
    until those expire.
Check-in locations (``checkin_locations_days``, from check-out or cancellation)
    ``checkins.services.purge_locations``: the check-in's data key is destroyed and where they went
    and the buddy's e-mail and phone blanked. Check-ins still open are never touched.
Closed incidents (``closed_incidents_minimise_days``, from closure)
    Minimised, not deleted: the police may still need the reference, the crime reference number and
    the fact of the incident (behaviours, place, dates, risk) for figures and for a later course of
    conduct. The incident's data key is destroyed, so its description, perpetrator, advice,
    observables, evidence file names, timeline texts and checklist reasons can no longer be opened anywhere; the columns
    are blanked; each evidence file is deleted and its row marked ``erased_at``, keeping its SHA-256
    (the chain of custody can still show which file was held, and a copy the police hold can be
    proved to be it). Observables keep their kind and ``match_hash``: a keyed HMAC (not reversible
    without ``BALLOTGUARD_MATCH_KEY``), so a new report naming the same phone number or account still
    links to the minimised one. Harassment is a course of conduct; a perpetrator who comes back after
    two years is exactly what the link must show the FEOA.

Ordering and failure
    Each rule runs in one transaction per batch: rows are selected ``FOR UPDATE`` by the rule, the
    columns blanked and the markers set, then the data keys destroyed and the evidence files deleted,
    last, inside the transaction. If the commit then fails, the rows still match the rule and the next
    run redoes them; destroying a key or deleting a file that is already gone is a no-op. So a run
    that stops half way is finished by the next, and a second run finds nothing to do.

``apply(now=..., dry_run=True)`` counts what a run would do without changing anything. A real run
writes one audit event (``delete``, ``retention``) whose detail is the counts, never names.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ballotguard.accounts.services import Actor, audit
from ballotguard.core import blobs, erasure

from .models import Candidate

BATCH = 500
# Election petitions must be presented within 21 days of the return (RPA 1983 s122): never earlier.
MIN_CONTACT_DAYS = 21

DEFAULTS = {"contact_details_after_election_days": 90, "checkin_locations_days": 7, "closed_incidents_minimise_days": 730,
            "monitoring_messages_days": 180, "safety_plan_revisions_days": 365}


class RetentionConfigError(ValueError):
    """A retention period in the settings cannot be used."""


@dataclass
class RetentionReport:
    dry_run: bool = False
    contact_details_erased: int = 0
    kept_elected: int = 0
    kept_result_not_recorded: int = 0
    kept_open_incident: int = 0
    kept_within_period: int = 0
    checkin_locations_erased: int = 0
    checkins_still_open: int = 0
    incidents_minimised: int = 0
    evidence_files_deleted: int = 0
    observables_blanked: int = 0
    data_keys_destroyed: int = 0
    contact_attempt_notes_blanked: int = 0
    safety_plans_deleted: int = 0
    safety_plan_revisions_deleted: int = 0
    messages_deleted: int = 0
    review_decisions_deleted: int = 0

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def changed(self) -> int:
        return (self.contact_details_erased + self.checkin_locations_erased + self.incidents_minimised
                + self.contact_attempt_notes_blanked + self.safety_plans_deleted + self.safety_plan_revisions_deleted
                + self.messages_deleted)


def periods() -> dict[str, int]:
    configured = {**DEFAULTS, **getattr(settings, "BALLOTGUARD_RETENTION", {})}
    out = {}
    for name in DEFAULTS:
        try:
            out[name] = int(configured[name])
        except (TypeError, ValueError) as exc:
            raise RetentionConfigError(f"BALLOTGUARD_RETENTION[{name!r}] must be a whole number of days") from exc
        if out[name] < 0:
            raise RetentionConfigError(f"BALLOTGUARD_RETENTION[{name!r}] cannot be negative")
    if out["contact_details_after_election_days"] < MIN_CONTACT_DAYS:
        raise RetentionConfigError(
            f"contact_details_after_election_days must be at least {MIN_CONTACT_DAYS}: details are kept until any "
            "election petition period (RPA 1983 s122) has passed"
        )
    return out


# ---------------------------------------------------------------------------------------------------
# Which records each rule applies to


def _open_incidents():
    from ballotguard.incidents.models import Incident

    return Incident.objects.filter(candidate=OuterRef("pk")).exclude(status=Incident.Status.CLOSED)


def _has_contact_details() -> Q:
    return (Q(handed_over_at__isnull=False) | ~Q(data_key="") | ~Q(email="") | ~Q(phone="")
            | ~Q(address="") | ~Q(postcode=""))


def candidates_past(now: dt.datetime, days: int):
    """Candidates with contact details whose election day is at least ``days`` behind ``now``."""
    cutoff = timezone.localdate(now) - dt.timedelta(days=days)
    return Candidate.objects.filter(contact_erased_at__isnull=True, ballot__election__date__lte=cutoff).filter(_has_contact_details())


def candidates_to_erase(now: dt.datetime, days: int):
    return candidates_past(now, days).filter(elected=False).exclude(Exists(_open_incidents()))


def checkins_to_purge(now: dt.datetime, days: int):
    from ballotguard.checkins.models import CheckIn

    return CheckIn.objects.filter(finished_at__lt=now - dt.timedelta(days=days), location_purged_at__isnull=True)


def incidents_to_minimise(now: dt.datetime, days: int):
    from ballotguard.incidents.models import Incident

    return Incident.objects.filter(status=Incident.Status.CLOSED, closed_at__lt=now - dt.timedelta(days=days), minimised_at__isnull=True)


def _erased_or(ids: list[int]) -> Q:
    """Candidacies whose contact details are erased, or are about to be (``ids``, in a dry run)."""
    return Q(candidate__contact_erased_at__isnull=False) | Q(candidate_id__in=ids)


def attempts_to_blank(candidate_ids: list[int] = ()):
    """Contact attempts with a note or next step, of candidacies whose contact details are erased."""
    from ballotguard.outreach.models import ContactAttempt

    return ContactAttempt.objects.filter(_erased_or(list(candidate_ids))).exclude(notes="", next_step="")


def plans_of_erased(candidate_ids: list[int] = ()):
    from ballotguard.safety.models import SafetyPlan

    return SafetyPlan.objects.filter(_erased_or(list(candidate_ids)))


def plan_revisions_superseded(now: dt.datetime, days: int):
    """Safety-plan revisions made before the period that are not their candidacy's latest."""
    from ballotguard.safety.models import SafetyPlan

    later = SafetyPlan.objects.filter(candidate_id=OuterRef("candidate_id"), revision__gt=OuterRef("revision"))
    return SafetyPlan.objects.filter(created_at__lt=now - dt.timedelta(days=days)).filter(Exists(later))


def messages_to_delete(now: dt.datetime, days: int):
    """Monitoring messages sent before the period and not promoted to an incident."""
    from ballotguard.monitoring.models import Message

    return (Message.objects.filter(sent_at__lt=now - dt.timedelta(days=days), incident__isnull=True)
            .exclude(review=Message.Review.PROMOTED))


# ---------------------------------------------------------------------------------------------------
# The run


def apply(now: dt.datetime | None = None, *, dry_run: bool = False, actor: Actor | None = None,
          progress: Callable[[str, int, int], None] | None = None) -> RetentionReport:
    """Apply every retention rule as at ``now``. Do not call it inside a transaction you may roll back:
    the keys it destroys cannot be brought back (a dry run destroys nothing)."""
    now = now or timezone.now()
    days = periods()
    report = RetentionReport(dry_run=dry_run)
    step = progress or (lambda stage, done, total: None)

    # Who is kept, and why (counted the same way in a dry run and a real one).
    past = candidates_past(now, days["contact_details_after_election_days"])
    report.kept_elected = past.filter(elected=True).count()
    report.kept_result_not_recorded = past.filter(elected__isnull=True).count()
    report.kept_open_incident = past.filter(elected=False).filter(Exists(_open_incidents())).count()
    report.kept_within_period = (Candidate.objects.filter(contact_erased_at__isnull=True).filter(_has_contact_details()).count()
                                 - past.count())
    from ballotguard.checkins.models import CheckIn

    report.checkins_still_open = CheckIn.objects.filter(status__in=CheckIn.OPEN).count()

    candidates = list(candidates_to_erase(now, days["contact_details_after_election_days"]).values_list("pk", flat=True))
    checkins = checkins_to_purge(now, days["checkin_locations_days"])
    incidents = list(incidents_to_minimise(now, days["closed_incidents_minimise_days"]).values_list("pk", flat=True))
    messages = list(messages_to_delete(now, days["monitoring_messages_days"]).order_by("pk").values_list("pk", flat=True))
    if dry_run:
        from ballotguard.incidents.models import Evidence, Observable
        from ballotguard.monitoring.models import ReviewDecision

        report.contact_attempt_notes_blanked = attempts_to_blank(candidates).count()
        report.safety_plans_deleted = plans_of_erased(candidates).count()
        report.safety_plan_revisions_deleted = (plan_revisions_superseded(now, days["safety_plan_revisions_days"])
                                                .exclude(_erased_or(candidates)).count())
        report.messages_deleted = len(messages)
        report.review_decisions_deleted = ReviewDecision.objects.filter(message_id__in=messages).count()

        report.contact_details_erased = len(candidates)
        report.checkin_locations_erased = checkins.count()
        report.incidents_minimised = len(incidents)
        report.evidence_files_deleted = Evidence.objects.filter(incident_id__in=incidents, erased_at__isnull=True).count()
        report.observables_blanked = Observable.objects.filter(incident_id__in=incidents).exclude(display="", value="").count()
        report.data_keys_destroyed = (
            Candidate.objects.filter(pk__in=candidates).exclude(data_key="").count()
            + checkins.exclude(data_key="").count()
            + _incident_model().objects.filter(pk__in=incidents).exclude(data_key="").count()
        )
        return report

    for start in range(0, len(candidates), BATCH):
        step("Erasing contact details", start, len(candidates))
        _erase_candidates(candidates[start:start + BATCH], now, days["contact_details_after_election_days"], report)
    step("Erasing outreach notes and safety plans", 0, 1)
    _blank_attempts(report)
    _delete_plans(plans_of_erased(), "safety_plans_deleted", report)
    _delete_plans(plan_revisions_superseded(now, days["safety_plan_revisions_days"]), "safety_plan_revisions_deleted", report)
    for start in range(0, len(messages), BATCH):
        step("Deleting monitoring messages", start, len(messages))
        _delete_messages(messages[start:start + BATCH], now, days["monitoring_messages_days"], report)
    step("Erasing check-in locations", 0, 1)
    with_key = checkins.exclude(data_key="").count()
    report.checkin_locations_erased = _purge_checkins(now, days["checkin_locations_days"])
    report.data_keys_destroyed += with_key
    for start in range(0, len(incidents), BATCH):
        step("Minimising closed incidents", start, len(incidents))
        _minimise_incidents(incidents[start:start + BATCH], now, days["closed_incidents_minimise_days"], report)
    step("Done", 1, 1)

    audit(actor or Actor.cli(), "delete", "retention", "",
          fields=["contact_details", "checkin_locations", "incident_content", "evidence_files", "contact_attempt_notes",
                  "safety_plans", "monitoring_messages"],
          detail=audit_detail(report))
    return report


# The audit event's detail is at most 300 characters: the counts go under short names.
AUDIT_KEYS = {
    "contact_details_erased": "contact", "kept_elected": "k_elected", "kept_result_not_recorded": "k_result",
    "kept_open_incident": "k_open", "kept_within_period": "k_period", "checkin_locations_erased": "checkins",
    "checkins_still_open": "k_open_ci", "incidents_minimised": "incidents", "evidence_files_deleted": "files",
    "observables_blanked": "obs", "data_keys_destroyed": "keys", "contact_attempt_notes_blanked": "notes",
    "safety_plans_deleted": "plans", "safety_plan_revisions_deleted": "plan_revs", "messages_deleted": "messages",
    "review_decisions_deleted": "decisions",
}


def audit_detail(report: RetentionReport) -> str:
    """``apply-retention {"contact":2,...}``: every count under its ``AUDIT_KEYS`` name (zeros left out
    only if the whole would not fit, which needs counts in the millions)."""
    counts = {short: getattr(report, name) for name, short in AUDIT_KEYS.items()}
    text = "apply-retention " + json.dumps(counts, separators=(",", ":"))
    if len(text) > 300:
        text = "apply-retention " + json.dumps({k: v for k, v in counts.items() if v}, separators=(",", ":"))
    return text


def _incident_model():
    from ballotguard.incidents.models import Incident

    return Incident


def _purge_checkins(now: dt.datetime, days: int) -> int:
    from ballotguard.checkins.services import purge_locations

    return purge_locations(now - dt.timedelta(days=days), now, audited=False)


def _erase_candidates(ids: list[int], now: dt.datetime, days: int, report: RetentionReport) -> None:
    with transaction.atomic():
        # The rule again, under the row locks: an incident opened since the list was made keeps the details.
        rows = list(candidates_to_erase(now, days).filter(pk__in=ids).select_for_update(of=("self",)).values_list("pk", "data_key"))
        if not rows:
            return
        Candidate.objects.filter(pk__in=[pk for pk, _ in rows]).update(
            email="", phone="", address="", postcode="", exposure_fingerprints=[], data_key="", contact_erased_at=now,
        )
        report.contact_details_erased += len(rows)
        for kid in {kid for _, kid in rows if kid}:
            erasure.destroy(kid)
            report.data_keys_destroyed += 1


def _batches(qs) -> list[list[int]]:
    ids = list(qs.order_by("pk").values_list("pk", flat=True))
    return [ids[start:start + BATCH] for start in range(0, len(ids), BATCH)]


def _blank_attempts(report: RetentionReport) -> None:
    for ids in _batches(attempts_to_blank()):
        with transaction.atomic():
            # The rule again, under the row locks.
            locked = list(attempts_to_blank().filter(pk__in=ids).select_for_update(of=("self",)).values_list("pk", flat=True))
            report.contact_attempt_notes_blanked += attempts_to_blank().model.objects.filter(pk__in=locked).update(notes="", next_step="")


def _delete_plans(rule, counter: str, report: RetentionReport) -> None:
    model = rule.model
    for ids in _batches(rule):
        with transaction.atomic():
            locked = list(rule.filter(pk__in=ids).select_for_update(of=("self",)).values_list("pk", flat=True))
            deleted, _ = model.objects.filter(pk__in=locked).delete()
            setattr(report, counter, getattr(report, counter) + deleted)


def _delete_messages(ids: list[int], now: dt.datetime, days: int, report: RetentionReport) -> None:
    from ballotguard.monitoring.models import Message, ReviewDecision

    with transaction.atomic():
        # Under the row locks: a message promoted since the list was made is kept.
        locked = list(messages_to_delete(now, days).filter(pk__in=ids).select_for_update(of=("self",)).values_list("pk", flat=True))
        if not locked:
            return
        _, by_model = Message.objects.filter(pk__in=locked).delete()
        report.messages_deleted += by_model.get(Message._meta.label, 0)
        report.review_decisions_deleted += by_model.get(ReviewDecision._meta.label, 0)


def _minimise_incidents(ids: list[int], now: dt.datetime, days: int, report: RetentionReport) -> None:
    from ballotguard.incidents.models import Evidence, IncidentEvent, IncidentTask, Observable

    with transaction.atomic():
        rows = list(incidents_to_minimise(now, days).filter(pk__in=ids).select_for_update().values_list("pk", "data_key"))
        if not rows:
            return
        pks = [pk for pk, _ in rows]
        _incident_model().objects.filter(pk__in=pks).update(
            description="", perpetrator="", advice="", data_key="", minimised_at=now,
        )
        report.observables_blanked += Observable.objects.filter(incident_id__in=pks).exclude(display="", value="").update(display="", value="")
        IncidentEvent.objects.filter(incident_id__in=pks).exclude(text="").update(text="")
        IncidentTask.objects.filter(incident_id__in=pks).exclude(reason="").update(reason="")  # why a task did not apply
        # A promoted monitoring message is the incident's content too: the evidence file was made from it.
        from ballotguard.monitoring.models import Message

        Message.objects.filter(incident_id__in=pks).update(text="", author_handle="", author_name="", mentions="", urls="", reasons="")
        files = list(Evidence.objects.filter(incident_id__in=pks, erased_at__isnull=True).values_list("pk", "blob_name"))
        Evidence.objects.filter(pk__in=[pk for pk, _ in files]).update(original_name="", erased_at=now)
        report.incidents_minimised += len(pks)
        # Destructive steps last, still inside the transaction (see the module doc).
        for kid in {kid for _, kid in rows if kid}:
            erasure.destroy(kid)
            report.data_keys_destroyed += 1
        for _, name in files:
            blobs.delete(name)
            report.evidence_files_deleted += 1
