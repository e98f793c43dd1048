"""Outreach's retention rule (declared here, registered in ``apps.py``; see ``ballotguard.core.retention``).

Contact attempts' notes and next step go with the candidate's contact details (no period of its own:
when ``contact_erased_at`` is set by the registry's rule, which runs first). The attempts keep method,
outcome and dates (``services.coverage_by_force`` counts them); briefing invitations stay. Selected
by ``contact_erased_at``, not by the run's list, so candidates erased by an earlier run (before this
rule existed, or by a run that stopped half way) and a note added to an erased candidacy since are
caught too.
"""

from __future__ import annotations

from django.db import transaction

from ballotguard.core import retention as core
from ballotguard.registry.retention import CONTACT_DETAILS, contact_erased

from .models import ContactAttempt

NOTES = "outreach_notes"


def attempts_to_blank(run: core.Run):
    """Contact attempts with a note or next step, of candidacies whose contact details are erased."""
    return ContactAttempt.objects.filter(contact_erased(run)).exclude(notes="", next_step="")


def _blank_notes(run: core.Run, days: None) -> None:
    if run.dry_run:
        run.report.add("contact_attempt_notes_blanked", attempts_to_blank(run).count())
        return
    run.progress("Erasing outreach notes", 0, 1)
    for ids in core.batches(attempts_to_blank(run)):
        with transaction.atomic():
            # The rule again, under the row locks.
            locked = list(attempts_to_blank(run).filter(pk__in=ids).select_for_update(of=("self",)).values_list("pk", flat=True))
            run.report.add("contact_attempt_notes_blanked", ContactAttempt.objects.filter(pk__in=locked).update(notes="", next_step=""))


RULES = (
    core.Rule(
        name=NOTES,
        covers="outreach contact attempts' notes and next step, with the contact details",
        action=core.ERASE,
        apply=_blank_notes,
        after=(CONTACT_DETAILS,),
        counts=(core.Count("contact_attempt_notes_blanked", "notes", "Outreach contact attempts' notes blanked (method, outcome, dates kept)"),),
        audit_fields=("contact_attempt_notes",),
    ),
)
HOLDS = ()
