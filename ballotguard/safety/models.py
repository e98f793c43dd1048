"""The candidate's safety companion: guidance read receipts, safety plans and the civility pledge.

The guidance itself is not in the database: it is Markdown in ``ballotguard/safety/guidance/``,
versioned in its front matter (see ``ballotguard.engines.candidates.guidance``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ballotguard.core.fields import EncryptedTextField


class ReadReceipt(models.Model):
    """A person marked a piece of guidance read, at a version. Reading again moves it to the newest.

    Reading is a person's act, not a candidacy's: one receipt per user and piece, and the FEOA's view
    joins receipts to candidates through ``Candidate.user``.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="guidance_read")
    slug = models.SlugField(max_length=80)
    version = models.PositiveIntegerField()
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["slug"]
        constraints = [models.UniqueConstraint(fields=["user", "slug"], name="unique_read_receipt")]


class SafetyPlan(models.Model):
    """One revision of a candidacy's safety plan. Revisions are never changed: a new answer is a new row.

    ``answers`` is the questionnaire as JSON, encrypted at rest: living alone and children at home are
    sensitive. The checklist is not stored; it is worked out from the answers by
    ``ballotguard.engines.candidates.safety_plan.checklist`` each time it is shown.
    """

    candidate = models.ForeignKey("registry.Candidate", on_delete=models.CASCADE, related_name="safety_plans")
    revision = models.PositiveIntegerField()
    answers = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["candidate", "-revision"]
        constraints = [models.UniqueConstraint(fields=["candidate", "revision"], name="unique_safety_plan_revision")]


class PledgeSignature(models.Model):
    """A candidate signed the civility pledge (at a version of its wording) for one candidacy.

    Withdrawing keeps the row with ``withdrawn_at`` set; signing again makes a new row. At most one
    signature per candidacy is in force.
    """

    candidate = models.ForeignKey("registry.Candidate", on_delete=models.CASCADE, related_name="pledge_signatures")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    pledge_version = models.PositiveIntegerField()
    listed = models.BooleanField(default=False, help_text="The candidate agreed to appear on the public list.")
    signed_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["candidate"], condition=Q(withdrawn_at__isnull=True), name="one_pledge_in_force"),
        ]
