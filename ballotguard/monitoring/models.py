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
from ballotguard.core.matching import author_pseudonym
from ballotguard.engines.messages.records import Platform


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
    model_version = models.CharField(max_length=40, blank=True, help_text="The abuse model that gave abuse_score.")
    threat_version = models.CharField(max_length=40, blank=True,
                                      help_text="The threat model that gave threat_score and is_threat (\"rules\" when the rules worked alone).")
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
        return author_pseudonym(self.author_hash)


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


# ---------------------------------------------------------------------------------------------------
# Coordinated campaigns (issue 5): detection runs and what they found


class DetectionRun(models.Model):
    """One run of coordination detection over ingested messages and incident observables.

    Runs are made by the task worker on a schedule (a chain of delayed tasks, one at a time: the
    partial unique constraint allows one queued scheduled run), on demand from the campaigns page or
    the API, or by ``ballotguard detect-campaigns-db``. Only counts and settings are kept, never text.
    """

    class Trigger(models.TextChoices):
        SCHEDULED = "scheduled", "On the schedule"
        ON_DEMAND = "on_demand", "On demand"
        COMMAND = "command", "From the command line"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"

    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    run_after = models.DateTimeField(null=True, blank=True, help_text="When a scheduled run is due.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True, db_index=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    window_start = models.DateTimeField(null=True, blank=True, help_text="Messages sent and incidents that happened from here...")
    window_end = models.DateTimeField(null=True, blank=True, help_text="...to here.")
    settings = models.JSONField(default=dict, blank=True, help_text="The engine's settings for this run.")
    messages_count = models.PositiveIntegerField(default=0)
    incidents_count = models.PositiveIntegerField(default=0)
    observables_count = models.PositiveIntegerField(default=0)
    actions_count = models.PositiveIntegerField(default=0)
    campaigns_found = models.PositiveIntegerField(default=0)
    campaigns_new = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True, help_text="The exception's class only: its text may quote data.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["trigger"], condition=models.Q(trigger="scheduled", status="queued"), name="one_queued_scheduled_detection"),
        ]

    def __str__(self) -> str:
        return f"detection run {self.pk} ({self.status})"


class Campaign(models.Model):
    """A group of accounts (and incidents) found acting together, kept across runs.

    ``key`` never changes: a later run that finds the same group again (the same members, or mostly
    the same: overlap matching in ``services.campaigns``) updates this row, so the analyst's decision
    stays with it. Accounts are stored only as ``author_hash`` pseudonyms; evidence names behaviours,
    message and incident ids and times, never text.
    """

    class Status(models.TextChoices):
        NEW = "new", "New"
        CONFIRMED = "confirmed", "Confirmed as coordinated"
        DISMISSED = "dismissed", "Dismissed"

    class Kind(models.TextChoices):
        # The engine's kinds (engines.coordination.automation): people acting together, or most members
        # posting on a timer (scheduled software). Different next steps: a bot network goes to the platform.
        COORDINATED = "coordinated", "People acting together"
        SCHEDULED = "scheduled", "Accounts posting on a timer"

    key = models.CharField(max_length=24, unique=True, help_text="Stable identity, set when first found: the start of the members' fingerprint, or random if another campaign has that.")
    fingerprint = models.CharField(max_length=64, db_index=True, help_text="Hash of the sorted members as last found.")
    first_run = models.ForeignKey(DetectionRun, on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(DetectionRun, on_delete=models.PROTECT, related_name="campaigns", help_text="The latest run that found it.")
    first_found_at = models.DateTimeField(default=timezone.now)
    last_found_at = models.DateTimeField(default=timezone.now, db_index=True)

    accounts = models.JSONField(default=list, help_text="Author hashes (keyed pseudonyms) of the member accounts, sorted.")
    candidate_ids = models.JSONField(default=list)
    constituencies = models.JSONField(default=list, help_text="Codes of the areas targeted, sorted.")
    behaviours = models.JSONField(default=list)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    score = models.FloatField(db_index=True)
    edges = models.PositiveIntegerField(default=0)
    total_weight = models.PositiveIntegerField(default=0)
    evidence = models.JSONField(default=list, help_text="Co-actions: behaviour, who (pseudonym or incident id), which message, when. No text.")
    chance = models.JSONField(default=list, help_text="Per behaviour: co-actions on the members' links and how many chance would give (the engine's null model).")
    p_value = models.FloatField(null=True, blank=True, help_text="The weakest link's probability by chance; empty when no significance test was run.")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.COORDINATED, db_index=True,
                            help_text="Scheduled when more than half of the members post on a timer (the regularity of their posting times).")
    timer = models.JSONField(null=True, blank=True, help_text="For a scheduled campaign: period, usual interval and point of the clock in seconds, "
                             "the spread, how many members post on a timer (their pseudonyms are not repeated here) and the weakest one's p-value.")
    areas = models.ManyToManyField("registry.Area", blank=True, related_name="+")
    forces = models.ManyToManyField("registry.PoliceForce", blank=True, related_name="+")
    messages = models.ManyToManyField(Message, blank=True, related_name="campaigns")
    incidents = models.ManyToManyField("incidents.Incident", blank=True, related_name="+")

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_by_role = models.CharField(max_length=20, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = EncryptedTextField(blank=True, help_text="Why it was confirmed or dismissed (required).")
    accounts_at_decision = models.JSONField(default=list, blank=True, help_text="The members when decided, to show who joined since.")

    class Meta:
        ordering = ["-score", "-last_found_at", "-id"]

    def __str__(self) -> str:
        return f"campaign {self.key}"

    @property
    def reference(self) -> str:
        return f"CMP-{self.key[:8].upper()}"

    @property
    def pseudonyms(self) -> list[str]:
        return [author_pseudonym(h) for h in self.accounts]

    @property
    def joined_since_decision(self) -> list[str]:
        if not self.decided_at:
            return []
        before = set(self.accounts_at_decision)
        return [author_pseudonym(h) for h in self.accounts if h not in before]


# ---------------------------------------------------------------------------------------------------
# Live message sources (connectors that follow a platform's stream: see monitoring/connectors/)


class Source(models.Model):
    """One live connector's state: what an administrator asked for, where it is in the stream, and
    its health. The connector process writes it every second or so; the Sources page reads it.

    ``cursor`` is the platform's position (Jetstream: ``time_us``) of the last event whose outcome is
    committed: a matched post is in :class:`BufferedPost` or stored, anything else was deliberately
    passed over. A restart resumes from it, so nothing is lost and nothing is stored twice."""

    class Name(models.TextChoices):
        BLUESKY = "bluesky", "Bluesky (Jetstream)"
        MASTODON = "mastodon", "Mastodon (connected accounts)"

    name = models.CharField(max_length=20, choices=Name.choices, unique=True)
    enabled = models.BooleanField(default=True, help_text="Wanted running: the connector obeys within seconds.")
    cursor = models.BigIntegerField(null=True, blank=True)
    connected = models.BooleanField(default=False)
    connected_since = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="The connector process was last alive.")
    last_event_at = models.DateTimeField(null=True, blank=True, help_text="When the connector last read an event.")
    last_message_at = models.DateTimeField(null=True, blank=True, help_text="When a post addressed to a candidate last arrived.")
    events = models.BigIntegerField(default=0)
    matched = models.BigIntegerField(default=0)
    malformed = models.BigIntegerField(default=0)
    oversize = models.BigIntegerField(default=0)
    deleted_upstream = models.BigIntegerField(default=0, help_text="Stored posts their authors deleted (the evidence is kept).")
    errors = models.BigIntegerField(default=0, help_text="Dropped connections and failed connects.")
    last_error = models.CharField(max_length=300, blank=True, help_text="The kind of failure; never a message's content.")
    last_error_at = models.DateTimeField(null=True, blank=True)
    stall_alerted_at = models.DateTimeField(null=True, blank=True, help_text="When administrators were told it stalled.")

    def __str__(self) -> str:
        return self.get_name_display()


class BufferedPost(models.Model):
    """A matched post received but not yet stored and scored. The connector writes here in the same
    transaction as it advances the cursor, so a scorer that falls behind makes this table grow
    instead of losing posts; the drain stores them through the ordinary ingest and deletes them."""

    source = models.CharField(max_length=20, choices=Source.Name.choices)
    message_id = models.CharField(max_length=200)
    record = EncryptedTextField(help_text="The post as JSON; encrypted because it is a message's content.")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["source", "message_id"], name="unique_buffered_post")]


class WatchedAccount(models.Model):
    """A candidate's registered handle on a platform that names accounts by a permanent id (Bluesky's
    DID), resolved and refreshed: streams carry the id, candidates register the handle."""

    platform = models.CharField(max_length=20, choices=[(p.value, p.label) for p in Platform])
    handle = models.CharField(max_length=100)
    account_id = models.CharField(max_length=250, blank=True, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["platform", "handle"], name="unique_watched_account")]


class MastodonAccount(models.Model):
    """A candidate's Mastodon account, connected by the candidate or their staff with an access token
    (scope ``read:notifications``) so ``stream-mastodon`` can follow the mentions of it. The token is
    encrypted at rest; disconnecting blanks it, and the connector stops within seconds."""

    candidate = models.ForeignKey("registry.Candidate", on_delete=models.CASCADE, related_name="mastodon_accounts")
    instance_url = models.URLField(max_length=200)
    acct = models.CharField(max_length=200, help_text="user@instance, case-folded: the handle messages are routed by.")
    access_token = EncryptedTextField(blank=True)
    connected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    connected_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    since_id = models.CharField(max_length=40, blank=True, help_text="The newest mention notification ingested: the resume point.")
    last_event_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-connected_at"]
        constraints = [models.UniqueConstraint(fields=["candidate", "acct"], condition=models.Q(revoked_at__isnull=True), name="one_live_connection_per_account")]

    @property
    def active(self) -> bool:
        return self.revoked_at is None
