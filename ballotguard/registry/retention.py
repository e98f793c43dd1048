"""The registry's retention rule, and the audited run behind ``ballotguard apply-retention``.

Each app declares its own rules in its ``retention.py`` and registers them in ``AppConfig.ready``
(``ballotguard.core.retention`` says how rules, holds and the order work). This one is the
registry's:

Contact details of unsuccessful candidates (``contact_details_after_election_days``, from election day)
    A candidate whose election is that long past, who was **not elected** (``elected is False``) and
    whom no registered hold keeps (the incidents app holds a candidate with an open incident, drafts
    included: they are the candidate's unsent reports) loses the contact details the returning
    officer handed over: the candidate's data key is destroyed, the four fields and the exposure
    fingerprints are blanked, and ``contact_erased_at`` is set. Facts kept for coverage figures:
    ``handed_over_at``, ``consent_to_share``, the candidacy itself. ``elected is None`` (result not
    recorded) is kept and counted, so the operator can record results; so is an elected candidate,
    who becomes an office-holder under the Bridger/Ford protection. The period is never under 21 days.

What goes with the contact details is declared by the apps that hold it, as rules that run after this
one and select by ``contact_erased_at`` (:func:`contact_erased`): outreach notes
(``outreach/retention.py``) and safety plans (``safety/retention.py``). The other apps' own rules:
monitoring messages, check-in locations, closed incidents (each app's ``retention.py``).

:func:`apply` runs every registered rule (``core.retention.run``) and, unless it is a dry run, writes
one audit event (``delete``, ``retention``) whose detail is the counts, never names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ballotguard.accounts.services import Actor, audit
from ballotguard.core import erasure
from ballotguard.core import retention as core
from ballotguard.core.retention import (  # noqa: F401  the run's names, where callers have always found them
    AUDIT_KEYS,
    BATCH,
    RetentionConfigError,
    RetentionReport,
    audit_detail,
    periods,
)

from .models import Candidate

CONTACT_DETAILS = "contact_details"
# Election petitions must be presented within 21 days of the return (RPA 1983 s122): never earlier.
MIN_CONTACT_DAYS = 21


def apply(now: dt.datetime | None = None, *, dry_run: bool = False, actor: Actor | None = None,
          progress: Callable[[str, int, int], None] | None = None) -> RetentionReport:
    """Apply every registered retention rule as at ``now`` and audit the run. Do not call it inside a
    transaction you may roll back: the keys it destroys cannot be brought back (a dry run destroys
    nothing and writes no audit event)."""
    report = core.run(now or timezone.now(), dry_run=dry_run, progress=progress)
    if not dry_run:
        audit(actor or Actor.cli(), "delete", "retention", "", fields=core.audit_fields(), detail=audit_detail(report))
    return report


# ---------------------------------------------------------------------------------------------------
# Which candidates the rule applies to


def _has_contact_details() -> Q:
    return (Q(handed_over_at__isnull=False) | ~Q(data_key="") | ~Q(email="") | ~Q(phone="")
            | ~Q(address="") | ~Q(postcode=""))


def candidates_past(now: dt.datetime, days: int):
    """Candidates with contact details whose election day is at least ``days`` behind ``now``."""
    cutoff = timezone.localdate(now) - dt.timedelta(days=days)
    return Candidate.objects.filter(contact_erased_at__isnull=True, ballot__election__date__lte=cutoff).filter(_has_contact_details())


def candidates_to_erase(now: dt.datetime, days: int):
    """Not elected, past the period, and kept by no hold."""
    qs = candidates_past(now, days).filter(elected=False)
    for hold in core.holds_on(CONTACT_DETAILS):
        qs = qs.exclude(hold.keeps())
    return qs


def contact_erased(run: core.Run, via: str = "candidate") -> Q:
    """Rows (reached through ``via``) of candidacies whose contact details are erased, or, in a dry run,
    would be by this run: for the rules that go with the contact details."""
    ids = run.selected.get(CONTACT_DETAILS, []) if run.dry_run else []
    return Q(**{f"{via}__contact_erased_at__isnull": False}) | Q(**{f"{via}_id__in": ids})


# ---------------------------------------------------------------------------------------------------
# The rule


def _erase_contact_details(run: core.Run, days: int) -> None:
    report = run.report
    # Who is kept, and why (counted the same way in a dry run and a real one).
    past = candidates_past(run.now, days)
    report.add("kept_elected", past.filter(elected=True).count())
    report.add("kept_result_not_recorded", past.filter(elected__isnull=True).count())
    for hold in core.holds_on(CONTACT_DETAILS):
        report.add(hold.count.name, past.filter(elected=False).filter(hold.keeps()).count())
    report.add("kept_within_period", Candidate.objects.filter(contact_erased_at__isnull=True).filter(_has_contact_details()).count()
               - past.count())

    candidates = list(candidates_to_erase(run.now, days).values_list("pk", flat=True))
    run.selected[CONTACT_DETAILS] = candidates
    if run.dry_run:
        report.add("contact_details_erased", len(candidates))
        report.add(core.DATA_KEYS.name, Candidate.objects.filter(pk__in=candidates).exclude(data_key="").count())
        return
    for start in range(0, len(candidates), BATCH):
        run.progress("Erasing contact details", start, len(candidates))
        _erase_candidates(candidates[start:start + BATCH], run.now, days, report)


def _erase_candidates(ids: list[int], now: dt.datetime, days: int, report: RetentionReport) -> None:
    with transaction.atomic():
        # The rule again, under the row locks: an incident opened since the list was made keeps the details.
        rows = list(candidates_to_erase(now, days).filter(pk__in=ids).select_for_update(of=("self",)).values_list("pk", "data_key"))
        if not rows:
            return
        Candidate.objects.filter(pk__in=[pk for pk, _ in rows]).update(
            email="", phone="", address="", postcode="", exposure_fingerprints=[], data_key="", contact_erased_at=now,
        )
        report.add("contact_details_erased", len(rows))
        for kid in {kid for _, kid in rows if kid}:
            erasure.destroy(kid)
            report.add(core.DATA_KEYS.name)


RULES = (
    core.Rule(
        name=CONTACT_DETAILS,
        covers="contact details of unsuccessful candidates",
        action=core.ERASE,
        apply=_erase_contact_details,
        period="contact_details_after_election_days", default_days=90, minimum_days=MIN_CONTACT_DAYS,
        minimum_reason="details are kept until any election petition period (RPA 1983 s122) has passed",
        period_text="contact details {days} after election day",
        counts=(
            core.Count("contact_details_erased", "contact", "Candidates' contact details erased (not elected, election past, no open incident)"),
            core.Count("kept_elected", "k_elected", "Kept: elected"),
            core.Count("kept_result_not_recorded", "k_result", "Kept: result not recorded (record it so retention can apply)"),
            core.Count("kept_within_period", "k_period", "Kept: election not yet past the period"),
        ),
        audit_fields=("contact_details",),
    ),
)
HOLDS = ()
