"""Safety's retention rules (declared here, registered in ``apps.py``; see ``ballotguard.core.retention``).

Safety plans with the contact details (no period of its own: when ``contact_erased_at`` is set by the
registry's rule, which runs first)
    Every safety-plan revision of the candidacy is deleted: the answers say who lives at the address
    being erased. Selected by ``contact_erased_at``, not by the run's list, so candidacies erased by
    an earlier run, and a plan saved for an erased candidacy since, are caught too.
Superseded safety-plan revisions (``safety_plan_revisions_days``, from the revision's ``created_at``)
    Revisions older than the period are deleted unless they are the candidacy's latest: the plan in
    force is kept for as long as the candidacy's contact details are. Runs after the rule above, so a
    revision is counted once.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Exists, OuterRef

from ballotguard.core import retention as core
from ballotguard.registry.retention import CONTACT_DETAILS, contact_erased

from .models import SafetyPlan

PLANS = "safety_plans"
SUPERSEDED = "safety_plan_revisions"


def plans_of_erased(run: core.Run):
    return SafetyPlan.objects.filter(contact_erased(run))


def plan_revisions_superseded(now: dt.datetime, days: int):
    """Safety-plan revisions made before the period that are not their candidacy's latest."""
    later = SafetyPlan.objects.filter(candidate_id=OuterRef("candidate_id"), revision__gt=OuterRef("revision"))
    return SafetyPlan.objects.filter(created_at__lt=now - dt.timedelta(days=days)).filter(Exists(later))


def _delete(rule, counter: str, run: core.Run) -> None:
    run.progress("Deleting safety plans", 0, 1)
    for ids in core.batches(rule):
        with transaction.atomic():
            locked = list(rule.filter(pk__in=ids).select_for_update(of=("self",)).values_list("pk", flat=True))
            deleted, _ = SafetyPlan.objects.filter(pk__in=locked).delete()
            run.report.add(counter, deleted)


def _delete_plans_of_erased(run: core.Run, days: None) -> None:
    if run.dry_run:
        run.report.add("safety_plans_deleted", plans_of_erased(run).count())
        return
    _delete(plans_of_erased(run), "safety_plans_deleted", run)


def _delete_superseded(run: core.Run, days: int) -> None:
    if run.dry_run:
        # Those of candidacies about to be erased are counted by the rule above.
        run.report.add("safety_plan_revisions_deleted",
                       plan_revisions_superseded(run.now, days).exclude(contact_erased(run)).count())
        return
    _delete(plan_revisions_superseded(run.now, days), "safety_plan_revisions_deleted", run)


RULES = (
    core.Rule(
        name=PLANS,
        covers="every safety-plan revision of a candidacy, with the contact details",
        action=core.DELETE,
        apply=_delete_plans_of_erased,
        after=(CONTACT_DETAILS,),
        counts=(core.Count("safety_plans_deleted", "plans", "Safety plans deleted (contact details erased)"),),
        audit_fields=("safety_plans",),
    ),
    core.Rule(
        name=SUPERSEDED,
        covers="superseded safety-plan revisions",
        action=core.DELETE,
        apply=_delete_superseded,
        period="safety_plan_revisions_days", default_days=365,
        period_text="superseded safety-plan revisions {days} after the revision",
        after=(PLANS,),
        counts=(core.Count("safety_plan_revisions_deleted", "plan_revs", "Superseded safety-plan revisions deleted"),),
        audit_fields=("safety_plans",),
    ),
)
HOLDS = ()
