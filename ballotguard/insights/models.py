"""Pre-aggregated figures: one snapshot per election and scope, refreshed by the task worker.

A dashboard view reads one row, so it answers in milliseconds however many incidents there are
(``bench/insights.py``). The price is freshness: figures are as of ``computed_at``, which every page
shows, and an analyst can ask for a refresh.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ballotguard.core.fields import EncryptedTextField

NATIONAL = "national"


class Snapshot(models.Model):
    """Every figure for one election in one scope: ``national`` or a police force's code."""

    election = models.ForeignKey("registry.Election", on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=12, help_text='"national" or the police force\'s ONS code.')
    payload = models.JSONField(help_text="The figures, already suppressed: see ballotguard.engines.insights.figures.")
    candidates = models.PositiveIntegerField(default=0)
    incidents = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)
    fingerprint = models.CharField(max_length=64, blank=True, default="",
                                   help_text="A digest of every input the figures came from: unchanged inputs are not recomputed.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["election", "scope"], name="one_snapshot_per_election_scope")]

    def __str__(self) -> str:
        return f"{self.election_id} {self.scope} at {self.computed_at:%Y-%m-%d %H:%M}"


class RefreshRun(models.Model):
    """One recomputation of every snapshot, for the page's 'figures as of' and for operators."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(max_length=20, help_text="schedule, on_demand, command or demo")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    snapshots = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0, help_text="Snapshots whose inputs had not changed, so were kept as they were.")
    incidents = models.PositiveIntegerField(default=0)
    candidates = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True, help_text="The exception's class only: never its text.")

    class Meta:
        ordering = ["-started_at"]


class RevealReason(models.Model):
    """Why an analyst needed to see who is behind a pseudonym. The reason is encrypted: it may name
    people. The audit log holds the event; this holds the words, for the oversight that reviews them."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    pseudonym = models.CharField(max_length=18)
    reason = EncryptedTextField()

    class Meta:
        ordering = ["-at"]


class SurveyFigures(models.Model):
    """The candidates' survey figures (issue 17), already suppressed: one row per surveyed election and
    one (``key`` "all") for every surveyed election together. Recomputed with the snapshots."""

    ALL = "all"

    key = models.CharField(max_length=200, unique=True, help_text='An election id, or "all".')
    payload = models.JSONField(help_text="ballotguard.engines.insights.survey.figures(), already suppressed.")
    computed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"survey {self.key} at {self.computed_at:%Y-%m-%d %H:%M}"
class ClockBreaches(models.Model):
    """A police force's cases that missed a case clock target, worst first, as of a refresh: what its
    lead FEOA's breach list pages through (docs/case-clocks.md). Ids and seconds only.

    ``rows``: ``[[incident id, seconds the worst stopped clock went over or null, seconds the worst
    running clock was past target at computed_at or null], ...]``, worst first at ``computed_at``."""

    force = models.OneToOneField("registry.PoliceForce", on_delete=models.CASCADE, related_name="+")
    computed_at = models.DateTimeField(default=timezone.now)
    total = models.PositiveIntegerField(default=0)
    rows = models.JSONField(default=list)
