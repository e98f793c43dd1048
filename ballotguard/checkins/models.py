"""Campaign check-ins: "I am going canvassing, I'll be back by 18:30, tell my buddy if I'm not".

A :class:`CheckIn` is one outing. If it is not checked out by its expected end (plus a grace), the
sweep (``services.sweep``) records and sends an :class:`AlertDelivery` per stage, channel and
recipient. The UNIQUE constraint on ``AlertDelivery`` is what guarantees that no alert is sent
twice, whichever worker or command runs the sweep and however often: see ``services`` for how
deliveries are written and sent in one transaction.

Where the person went, and the buddy's contact details, are encrypted at rest (a buddy is not a
user of the service: they only receive e-mail or SMS).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ballotguard.core.fields import DataKeyField, EncryptedTextField


class CheckIn(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        OVERDUE = "overdue", _("Overdue: buddy alerted")
        ESCALATED = "escalated", _("Escalated to the police adviser")
        CHECKED_OUT = "checked_out", _("Checked out safely")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (Status.ACTIVE, Status.OVERDUE, Status.ESCALATED)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="checkins")
    candidacy = models.ForeignKey(
        "registry.Candidate", null=True, blank=True, on_delete=models.SET_NULL, related_name="checkins",
        help_text="The candidacy this outing is for: it decides which police force's advisers are told.",
    )
    where = EncryptedTextField(help_text="Where they said they were going. Erased by retention.", erasable_by="data_key")
    expected_end = models.DateTimeField(db_index=True)
    buddy_name = EncryptedTextField()
    buddy_email = EncryptedTextField(blank=True, erasable_by="data_key")
    buddy_phone = EncryptedTextField(blank=True, help_text="E.164", erasable_by="data_key")
    # Where they went and how to reach the buddy are sealed under the check-in's own data key, which
    # retention destroys; the buddy's name stays (bg1) so the person recognises their own history.
    data_key = DataKeyField()
    escalate_to_feoa = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    started_at = models.DateTimeField(default=timezone.now)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True, db_index=True, help_text="Checked out or cancelled.")
    overdue_at = models.DateTimeField(null=True, blank=True, help_text="When the first alert became due.")
    escalated_at = models.DateTimeField(null=True, blank=True, help_text="When the FEOA stage became due.")
    buddy_unreachable_at = models.DateTimeField(
        null=True, blank=True, help_text="A text message to the buddy could not be delivered and they gave no e-mail address: "
        "the alert falls back to e-mail to the FEOA, now.")
    extended_count = models.PositiveSmallIntegerField(default=0)
    # The page's language when the check-in started ("en" or "cy"): the buddy's alerts and the all-clear
    # are written in it, so a Welsh-speaking candidate's buddy hears in Welsh.
    language = models.CharField(max_length=8, default="en")
    location_purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["status", "expected_end"])]
        constraints = [
            models.CheckConstraint(condition=Q(expected_end__gt=models.F("started_at")), name="checkin_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"Check-in {self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def person_name(self) -> str:
        return self.user.get_full_name() or self.user.username


class AlertDelivery(models.Model):
    """One alert (a stage) to one recipient on one channel: recorded once, ever.

    ``recipient`` is a key, not an address: ``buddy`` or ``user:<id>`` (a FEOA), so this table holds
    no personal data and the addresses stay encrypted on the check-in or on the user.
    """

    class Stage(models.TextChoices):
        BUDDY = "buddy", _("Buddy alerted")
        BUDDY_AGAIN = "buddy_again", _("Buddy alerted again")
        FEOA = "feoa", _("Police adviser (FEOA) alerted")
        ALL_CLEAR = "all_clear", _("All clear sent")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("Text message")

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Not sent yet: will retry")
        GAVE_UP = "gave_up", _("Could not be sent")
        SKIPPED = "skipped", _("Not sent: no longer an adviser of the force")
        UNDELIVERED = "undelivered", _("Sent, but GOV.UK Notify could not deliver it")

    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="deliveries")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=40)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SENT)
    attempts = models.PositiveSmallIntegerField(default=1)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=100, blank=True, help_text="The exception's class only: never its text.")

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["checkin", "stage", "channel", "recipient"], name="alert_delivered_once"),
        ]

    def __str__(self) -> str:
        return f"{self.stage} {self.channel} {self.recipient} ({self.status})"

    # The reference a sent alert carries (GOV.UK Notify keeps it and hands it back in its delivery
    # receipts, and e-mails carry it in a header): the alert's unique key, so a receipt finds its row.
    # Written and read here only (alert_reference / alert_keys), so the two cannot drift apart.
    REFERENCE = re.compile(r"checkin-(?P<checkin_id>\d+)-(?P<stage>{stages})-(?P<channel>{channels})-(?P<recipient>buddy|user:\d+)".format(
        stages="|".join(Stage.values), channels="|".join(Channel.values)))

    @staticmethod
    def alert_reference(checkin_id: int, stage: str, channel: str, recipient: str) -> str:
        """``checkin-<id>-<stage>-<channel>-<recipient key>``: no personal data (the recipient is a key)."""
        return f"checkin-{checkin_id}-{stage}-{channel}-{recipient}"

    @classmethod
    def alert_keys(cls, reference: str) -> dict | None:
        """The alert's keys (``checkin_id``, ``stage``, ``channel``, ``recipient``) from its reference;
        ``None`` for any other reference (an incident alert's, a hand-over notice's)."""
        found = cls.REFERENCE.fullmatch(reference)
        if not found:
            return None
        return {**found.groupdict(), "checkin_id": int(found["checkin_id"])}


class NotifyDelivery(models.Model):
    """A message GOV.UK Notify accepted, and what its delivery receipt said. No address and no
    content: Notify's id, Ballotguard's reference and the channel are enough to match a receipt."""

    class Status(models.TextChoices):
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        PERMANENT_FAILURE = "permanent-failure", "Not delivered: the address or number is wrong"
        TEMPORARY_FAILURE = "temporary-failure", "Not delivered: the phone or inbox was unavailable"
        TECHNICAL_FAILURE = "technical-failure", "Not delivered: a technical failure at Notify"

    notify_id = models.CharField(max_length=40, unique=True)
    reference = models.CharField(max_length=100, blank=True, db_index=True)
    channel = models.CharField(max_length=10)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SENDING)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    @property
    def failed(self) -> bool:
        return self.status.endswith("failure")
