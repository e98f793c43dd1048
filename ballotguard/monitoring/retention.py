"""Monitoring's retention rule (declared here, registered in ``apps.py``; see ``ballotguard.core.retention``).

Monitoring messages (``monitoring_messages_days``, from ``sent_at``)
    Messages not promoted to an incident (``review`` is not ``promoted`` and no incident is linked)
    are deleted, with their ``ReviewDecision`` rows (cascade: a decision is a label for the text and
    is no use without it; retrain with ``train-abuse-model --with-review-feedback`` within the period
    to keep what reviewers taught the model). The columns are under the master key, not a data key
    (the ingest's raw ``executemany`` cannot seal erasable fields), so a deleted message stays in
    database backups until those expire.
Promoted messages of minimised incidents (no period of its own: when the incidents app's rule, which
runs first, sets ``minimised_at``)
    A message promoted to an incident is the incident's content too (the evidence file was made from
    it): its text, author, mentions, links and reasons are blanked. Selected by ``minimised_at``, so
    a run that stopped between the two rules is caught up by the next.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from ballotguard.core import retention as core
from ballotguard.incidents.retention import CLOSED_INCIDENTS

from .models import Message, ReviewDecision

MESSAGES = "monitoring_messages"
PROMOTED = "promoted_messages"
CONTENT = {"text": "", "author_handle": "", "author_name": "", "mentions": "", "urls": "", "reasons": ""}


def messages_to_delete(now: dt.datetime, days: int):
    """Monitoring messages sent before the period and not promoted to an incident."""
    return (Message.objects.filter(sent_at__lt=now - dt.timedelta(days=days), incident__isnull=True)
            .exclude(review=Message.Review.PROMOTED))


def _delete_messages(run: core.Run, days: int) -> None:
    messages = list(messages_to_delete(run.now, days).order_by("pk").values_list("pk", flat=True))
    if run.dry_run:
        run.report.add("messages_deleted", len(messages))
        run.report.add("review_decisions_deleted", ReviewDecision.objects.filter(message_id__in=messages).count())
        return
    for start in range(0, len(messages), core.BATCH):
        run.progress("Deleting monitoring messages", start, len(messages))
        ids = messages[start:start + core.BATCH]
        with transaction.atomic():
            # Under the row locks: a message promoted since the list was made is kept.
            locked = list(messages_to_delete(run.now, days).filter(pk__in=ids).select_for_update(of=("self",)).values_list("pk", flat=True))
            if not locked:
                continue
            _, by_model = Message.objects.filter(pk__in=locked).delete()
            run.report.add("messages_deleted", by_model.get(Message._meta.label, 0))
            run.report.add("review_decisions_deleted", by_model.get(ReviewDecision._meta.label, 0))


def promoted_to_blank():
    return Message.objects.filter(incident__minimised_at__isnull=False).exclude(**CONTENT)


def _blank_promoted(run: core.Run, days: None) -> None:
    if run.dry_run:
        return  # counted as the incidents they belong to
    for ids in core.batches(promoted_to_blank()):
        with transaction.atomic():
            locked = list(promoted_to_blank().filter(pk__in=ids).select_for_update(of=("self",)).values_list("pk", flat=True))
            Message.objects.filter(pk__in=locked).update(**CONTENT)


RULES = (
    core.Rule(
        name=MESSAGES,
        covers="monitoring messages not promoted to an incident",
        action=core.DELETE,
        apply=_delete_messages,
        period="monitoring_messages_days", default_days=180,
        period_text="monitoring messages {days} after sending",
        counts=(
            core.Count("messages_deleted", "messages", "Monitoring messages deleted (not promoted to an incident)"),
            core.Count("review_decisions_deleted", "decisions", "Review decisions deleted with their messages"),
        ),
        audit_fields=("monitoring_messages",),
    ),
    core.Rule(
        name=PROMOTED,
        covers="monitoring messages promoted to an incident, with its minimisation",
        action=core.ERASE,
        apply=_blank_promoted,
        after=(CLOSED_INCIDENTS,),
        counts=(),
        audit_fields=("incident_content",),
    ),
)
HOLDS = ()
