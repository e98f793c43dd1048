"""The candidates' survey after polling day (issue 17; docs/survey.md).

Three tables, and the point is what they do NOT share:

* :class:`SurveyWindow`: per election, when the survey closes (set by an analyst or administrator).
* :class:`SurveyInvitation`: per candidate, that they were invited and reminded and whether they have
  responded, so each candidate responds once and the responded are not reminded. It holds a
  boolean, not when they responded.
* :class:`SurveyResponse`: the answers. No candidate, no user, no foreign key to either, a random
  id (not a sequence that could be matched with the order invitations were answered in), and of
  time only the Monday of the week it came in. Its attributes (gender, party, region, force,
  election type) are copied at submission and coarsened first (``engines.insights.survey.generalise``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from ballotguard.core.fields import EncryptedTextField


class SurveyWindow(models.Model):
    election = models.OneToOneField("registry.Election", on_delete=models.CASCADE, related_name="survey_window")
    closes_on = models.DateField(help_text="The last day a response is accepted. Invitations go out from the day after polling day.")
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.election_id} closes {self.closes_on:%Y-%m-%d}"


class SurveyInvitation(models.Model):
    candidate = models.OneToOneField("registry.Candidate", on_delete=models.CASCADE, related_name="survey_invitation")
    invited_at = models.DateTimeField(default=timezone.now)
    emailed = models.BooleanField(default=False, help_text="False: no e-mail address, or Notify refused it; the home page still shows it.")
    reminders = models.PositiveSmallIntegerField(default=0, help_text="How many reminders have been sent.")
    reminded_at = models.DateTimeField(null=True, blank=True)
    responded = models.BooleanField(default=False, help_text="Whether they have responded. Deliberately not when.")
    last_error = models.CharField(max_length=60, blank=True, help_text="The kind of the last sending failure, never its text.")

    def __str__(self) -> str:
        return f"invitation {self.pk}"


class SurveyResponse(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    election = models.ForeignKey("registry.Election", on_delete=models.CASCADE, related_name="+")
    week = models.DateField(help_text="The Monday of the week it was given: no more precise time is kept.")
    election_type = models.CharField(max_length=20)
    gender = models.CharField(max_length=12, blank=True)
    party = models.CharField(max_length=200, blank=True)
    region = models.CharField(max_length=150, blank=True)
    force = models.CharField(max_length=12, blank=True, help_text="Police force code of the ballot's area (the primary force).")
    answers = models.JSONField(help_text="engines.insights.survey.Answers.as_dict() without the comment.")
    comment = EncryptedTextField(blank=True, help_text="Free text: may name people, so encrypted, and never published.")

    class Meta:
        indexes = [models.Index(fields=["election", "force"])]
        ordering = ["election", "week"]  # never by creation: there is no creation time to order by
