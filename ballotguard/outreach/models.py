"""FEOA outreach: contact attempts with candidates, briefings, invitations and attendance.

What a later analyst needs is all here, with nothing copied: a candidate's *first contact* is the
earliest ``ContactAttempt`` with outcome ``reached``; *briefed* means an ``Invitation`` with
``attended`` set; the start of the clock is the candidate's ``Election.nominations_close``. See
``services.outreach_records`` and ``services.coverage_by_force``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ballotguard.core.fields import EncryptedTextField


class ContactAttempt(models.Model):
    """One try by an adviser to reach a candidate. Only ``reached`` counts as contact."""

    class Method(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        IN_PERSON = "in_person", _("In person")
        LETTER = "letter", _("Letter")
        TEXT = "text", _("Text message")

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached the candidate")
        LEFT_MESSAGE = "left_message", _("Left a message")
        NO_ANSWER = "no_answer", _("No answer")
        WRONG_DETAILS = "wrong_details", _("Contact details wrong")
        DECLINED = "declined", _("Candidate declined support")

    candidate = models.ForeignKey("registry.Candidate", on_delete=models.CASCADE, related_name="contact_attempts")
    adviser = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True, help_text="When the attempt was made.")
    method = models.CharField(max_length=12, choices=Method.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    next_step = models.CharField(max_length=300, blank=True)
    notes = EncryptedTextField(blank=True, help_text="Encrypted: may say what the candidate told the adviser.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["candidate", "outcome", "at"])]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.at:%Y-%m-%d}: {self.get_outcome_display()}"


class Topic(models.TextChoices):
    """The security guidance topics; the values are the slugs of ``ballotguard/safety/guidance``."""

    PERSONAL_SAFETY = "personal-safety", _("Personal safety")
    HOME_SECURITY = "home-security", _("Home security")
    ONLINE_SAFETY = "online-safety", _("Online safety")
    LONE_WORKING = "lone-working", _("Lone working")
    EVENTS = "public-events", _("Hustings and public events")
    THE_COUNT = "the-count", _("The count")
    POST = "handling-post", _("Handling post")
    REPORTING = "reporting-routes", _("Where to report")


class Briefing(models.Model):
    """A security briefing an adviser runs for candidates: a group session or one-to-one."""

    class Kind(models.TextChoices):
        GROUP = "group", _("Group")
        ONE_TO_ONE = "one_to_one", _("One-to-one")

    class Format(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")

    force = models.ForeignKey("registry.PoliceForce", on_delete=models.PROTECT, related_name="briefings")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.GROUP)
    format = models.CharField(max_length=12, choices=Format.choices, default=Format.IN_PERSON)
    starts_at = models.DateTimeField(db_index=True)
    location = EncryptedTextField(
        blank=True, help_text="Venue or meeting link. Encrypted: a private meeting link lets anyone in.",
    )
    topics = models.JSONField(default=list, blank=True, help_text="Slugs from Topic.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def topic_labels(self) -> list[str]:
        labels = dict(Topic.choices)
        return [labels.get(t, t) for t in self.topics]

    @property
    def has_started(self) -> bool:
        return self.starts_at <= timezone.now()


class Invitation(models.Model):
    """A candidate is invited to a briefing, answers it, and did or did not attend."""

    class Status(models.TextChoices):
        INVITED = "invited", _("No reply")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    briefing = models.ForeignKey(Briefing, on_delete=models.CASCADE, related_name="invitations")
    candidate = models.ForeignKey("registry.Candidate", on_delete=models.CASCADE, related_name="briefing_invitations")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.INVITED, db_index=True)
    invited_at = models.DateTimeField(default=timezone.now)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    attended = models.BooleanField(default=False, db_index=True)
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["candidate__name", "id"]
        constraints = [models.UniqueConstraint(fields=["briefing", "candidate"], name="unique_invitation_per_briefing")]
