"""Messages sent to candidates online, their scores, and what reviewers decided about them.

The text, the author's handle and name, mentions and links are encrypted at rest: an abusive
message names people, and its author is a suspect, not a convict. ``author_hash`` (a keyed hash of
platform and handle) lets the queue group an author's messages and lets analysts see a stable
pseudonym without the handle.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ballotguard.core.fields import EncryptedTextField
from ballotguard.engines.messages import Platform


class Message(models.Model):
    class Review(models.TextChoices):
        NOT_FLAGGED = "not_flagged", "Not flagged"
        WAITING = "waiting", "Waiting for review"
        DISMISSED = "dismissed", "Dismissed"
        CONFIRMED = "confirmed", "Confirmed abusive"
        PROMOTED = "promoted", "Promoted to an incident"

    platform = models.CharField(max_length=20, choices=[(p.value, p.label) for p in Platform])
    message_id = models.CharField(max_length=200)
    candidate = models.ForeignKey("registry.Candidate", null=True, blank=True, on_delete=models.PROTECT, related_name="messages")

    sent_at = models.DateTimeField(db_index=True)
    text = EncryptedTextField()
    author_handle = EncryptedTextField(blank=True)
    author_name = EncryptedTextField(blank=True)
    author_hash = models.CharField(max_length=64, blank=True, db_index=True, help_text="Keyed hash of platform and handle.")
    reply_to = models.CharField(max_length=200, blank=True)
    mentions = EncryptedTextField(blank=True, help_text="Handles mentioned, one per line.")
    urls = EncryptedTextField(blank=True, help_text="Links, one per line.")
    hashtags = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=20, default="file", help_text="file, api or demo")
    ingested_at = models.DateTimeField(default=timezone.now, db_index=True)

    scored_at = models.DateTimeField(null=True, blank=True, db_index=True)
    model_version = models.CharField(max_length=40, blank=True)
    abuse_score = models.FloatField(null=True, blank=True)
    threat_score = models.FloatField(null=True, blank=True)
    is_threat = models.BooleanField(default=False)
    exposes_contact = models.BooleanField(default=False, help_text="Contains the candidate's own postcode, address or phone number.")
    reasons = EncryptedTextField(blank=True, help_text="JSON list of reasons; encrypted because features quote the text.")

    review = models.CharField(max_length=20, choices=Review.choices, default=Review.NOT_FLAGGED, db_index=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    incident = models.ForeignKey("incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")

    CONTENT_FIELDS = ["text", "author_handle", "author_name", "mentions", "urls", "reasons"]

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["platform", "message_id"], name="unique_message_per_platform")]
        indexes = [
            models.Index(fields=["review", "threat_score", "abuse_score"], name="monitoring_queue_idx"),
            models.Index(fields=["candidate", "sent_at"], name="monitoring_timeline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.message_id}"

    @property
    def pseudonym(self) -> str:
        """What analysts see instead of the handle: stable per author, meaningless without the key."""
        return f"author-{self.author_hash[:10]}" if self.author_hash else "unknown author"


class ReviewDecision(models.Model):
    """A reviewer's decision on a flagged message; also a labelled example for ``train-abuse-model``."""

    class Decision(models.TextChoices):
        DISMISSED = "dismissed", "Dismissed: not abusive"
        CONFIRMED = "confirmed", "Confirmed abusive"
        PROMOTED = "promoted", "Promoted to an incident"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    is_abusive = models.BooleanField(help_text="The label this decision gives the message for training.")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_by_role = models.CharField(max_length=20)
    decided_at = models.DateTimeField(default=timezone.now, db_index=True)
    abuse_score = models.FloatField(null=True, blank=True, help_text="The score the reviewer saw.")
    model_version = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
