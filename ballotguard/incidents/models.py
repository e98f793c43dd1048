"""Incident reports, their evidence and observables, the FEOA's case workflow, and links between incidents.

Personal content (what happened, who did it, observables, notes, file names) is encrypted at rest.
Observables are matched across incidents through a keyed hash (``match_hash``), so the database can
find two reports naming the same phone number without ever holding the number in clear.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ballotguard.core.fields import DataKeyField, EncryptedTextField
from ballotguard.engines.insights.clocks import Clock
from ballotguard.engines.incidents.checklists import TaskState
from ballotguard.engines.incidents.evidence_types import EvidenceKind
from ballotguard.engines.incidents.facts import Behaviour, IssueTag, Place, ProtectedCharacteristic
from ballotguard.engines.incidents.observables import ObservableKind
from ballotguard.engines.incidents.risk import RiskLevel

# Crockford's base 32 without I, L, O, U: references are read out over the phone.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    """``BG-7K3Q-2M9X``: random (not a sequence, so it reveals nothing about volumes) and easy to read aloud."""
    body = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"BG-{body[:4]}-{body[4:]}"


RISK_RANK = {RiskLevel.LOW.value: 1, RiskLevel.MEDIUM.value: 2, RiskLevel.HIGH.value: 3}


class Incident(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft (not sent)")
        NEW = "new", _("New")
        TRIAGED = "triaged", _("Triaged")
        ADVICE_GIVEN = "advice_given", _("Advice given")
        REFERRED = "referred", _("Referred to police")
        CLOSED = "closed", _("Closed")

    reference = models.CharField(max_length=12, unique=True, default=new_reference)
    candidate = models.ForeignKey("registry.Candidate", on_delete=models.PROTECT, related_name="incidents")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incidents_reported")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)

    occurred_at = models.DateTimeField(null=True, blank=True)
    place = models.CharField(max_length=20, choices=[(p.value, p.label) for p in Place], blank=True)
    area = models.ForeignKey("registry.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    platform = models.CharField(max_length=50, blank=True)
    behaviours = models.JSONField(default=list, blank=True)
    characteristics = models.JSONField(default=list, blank=True)
    issue_tags = models.JSONField(default=list, blank=True, help_text="IssueTag values: the political issue it seemed to be about.")
    in_danger_now = models.BooleanField(default=False)
    weapon_mentioned = models.BooleanField(default=False)
    home_address_known = models.BooleanField(default=False)
    perpetrator_known = models.BooleanField(default=False)
    description = EncryptedTextField(blank=True, erasable_by="data_key")
    perpetrator = EncryptedTextField(blank=True, help_text="What is known of the perpetrator(s).", erasable_by="data_key")

    # Forces that see the incident: those of the area where it happened and of the candidate's ballot.
    forces = models.ManyToManyField("registry.PoliceForce", blank=True, related_name="incidents")

    risk_score = models.PositiveSmallIntegerField(default=0)
    risk_level = models.CharField(max_length=10, choices=[(r.value, r.value.title()) for r in RiskLevel], blank=True)
    risk_factors = models.JSONField(default=list, blank=True)
    risk_override_level = models.CharField(max_length=10, choices=[(r.value, r.value.title()) for r in RiskLevel], blank=True)
    risk_override_reason = models.TextField(blank=True)
    risk_overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    risk_overridden_at = models.DateTimeField(null=True, blank=True)
    # The effective level as a number, so the queue can order by it in the database.
    risk_rank = models.PositiveSmallIntegerField(default=0, db_index=True)

    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents_assigned")
    crime_reference = models.CharField(max_length=40, blank=True, help_text="The police crime reference number.")
    advice = EncryptedTextField(blank=True, help_text="Safety advice the FEOA gave.", erasable_by="data_key")
    # The incident's own data key: its description, perpetrator, advice, observables, evidence file
    # names and timeline texts are sealed under it, so minimisation erases them in backups too.
    data_key = DataKeyField()
    minimised_at = models.DateTimeField(
        null=True, blank=True, help_text="When retention minimised the closed incident: its content erased, the facts kept.",
    )
    closure_reason = models.CharField(max_length=300, blank=True)

    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The case clocks (docs/case-clocks.md): each stops at the first time it happened after sending.
    first_contact_at = models.DateTimeField(
        null=True, blank=True, help_text="When an adviser first reached the candidate after the report was sent.",
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    referred_at = models.DateTimeField(null=True, blank=True, help_text="When it was first referred to police with a crime reference.")
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    # API retries: the same key from the same reporter returns the incident already made.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)

    # What opening a report shows, as the audit log names it.
    CONTENT_FIELDS = ("description", "perpetrator", "observables")

    class Meta:
        ordering = ["-risk_rank", "submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["reported_by", "idempotency_key"], name="unique_idempotency_key_per_reporter"),
        ]
        indexes = [models.Index(fields=["status", "risk_rank", "submitted_at"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def effective_risk(self) -> str:
        return self.risk_override_level or self.risk_level

    def refresh_risk_rank(self) -> None:
        self.risk_rank = RISK_RANK.get(self.effective_risk, 0)

    @property
    def behaviour_set(self) -> frozenset[Behaviour]:
        return frozenset(Behaviour(b) for b in self.behaviours)

    @property
    def behaviour_labels(self) -> list[str]:
        return [Behaviour(b).label for b in self.behaviours]

    @property
    def characteristic_labels(self) -> list[str]:
        return [ProtectedCharacteristic(c).label for c in self.characteristics]

    @property
    def issue_tag_labels(self) -> list[str]:
        return [IssueTag(t).label for t in self.issue_tags]

    @property
    def place_label(self) -> str:
        return Place(self.place).label if self.place else ""

    @property
    def is_open(self) -> bool:
        return self.status not in {self.Status.DRAFT, self.Status.CLOSED}

    @property
    def triage_due_at(self):
        """When the report must be triaged by: its forces' triage target for its risk level (the
        shortest, where it has two forces), else the national one (an hour for high risk, a day for
        the rest). The case queue annotates it in SQL (``services.clocks.with_triage_due``).

        Elsewhere it costs two queries (the forces, their targets), and a case page reads it up to three
        times: it is worked out once per instance, and again only if what it depends on in the row
        changes (submitted, risk; forces too when prefetched). A case page loads its incident per request."""
        if "triage_due" in self.__dict__:
            return self.__dict__["triage_due"]
        prefetched = getattr(self, "_prefetched_objects_cache", {})
        key = (self.submitted_at, self.effective_risk,
               tuple(f.pk for f in prefetched["forces"]) if "forces" in prefetched else None)
        cached = self.__dict__.get("_triage_due_cache")
        if cached is None or cached[0] != key:
            from .services.clocks import triage_due_of  # the rule lives with the other clocks

            cached = self.__dict__["_triage_due_cache"] = (key, triage_due_of(self))
        return cached[1]

    @property
    def triage_overdue(self) -> bool:
        due = self.triage_due_at
        return self.status == self.Status.NEW and due is not None and timezone.now() > due


class Observable(models.Model):
    """Something that may identify a perpetrator: a handle, phone, e-mail, vehicle, web address, name."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="observables")
    kind = models.CharField(max_length=20, choices=[(k.value, k.label) for k in ObservableKind])
    display = EncryptedTextField(erasable_by="incident.data_key")
    value = EncryptedTextField(help_text="Normalised value, as matched.", erasable_by="incident.data_key")
    match_hash = models.CharField(max_length=64, blank=True, db_index=True, help_text="Keyed hash of kind and normalised value.")

    class Meta:
        ordering = ["kind", "id"]
        constraints = [models.UniqueConstraint(fields=["incident", "kind", "match_hash"], condition=~models.Q(match_hash=""), name="unique_observable_per_incident")]

    @property
    def kind_label(self) -> str:
        return ObservableKind(self.kind).label


class Evidence(models.Model):
    """An uploaded file. The original bytes are kept, encrypted, never altered; its SHA-256 is taken on arrival."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="evidence")
    original_name = EncryptedTextField(erasable_by="incident.data_key")
    kind = models.CharField(max_length=10, choices=[(k.value, k.value.title()) for k in EvidenceKind])
    mime = models.CharField(max_length=100)
    extension = models.CharField(max_length=10, help_text="The usual extension of the type found, e.g. jpg.")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    blob_name = models.CharField(max_length=100, unique=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    erased_at = models.DateTimeField(
        null=True, blank=True, help_text="When retention deleted the file; its SHA-256 stays for the chain of custody.",
    )

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.incident.reference}/{self.pk}"


class IncidentEvent(models.Model):
    """One line of an incident's timeline: everything that happened to it, in order."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Report started")
        SUBMITTED = "submitted", _("Report sent")
        UPDATED = "updated", _("Report updated")
        EVIDENCE_ADDED = "evidence_added", _("Evidence added")
        EVIDENCE_OPENED = "evidence_opened", _("Evidence opened")
        STATUS = "status", _("Status changed")
        ASSIGNED = "assigned", _("Assigned")
        NOTE = "note", _("Note")
        RISK = "risk", _("Risk changed")
        LINKED = "linked", _("Linked incident found")
        ACCESS = "access", _("Access request")
        EXPORTED = "exported", _("Evidence pack exported")
        NOTIFIED = "notified", _("Advisers notified")
        CONTACTED = "contacted", _("Adviser contacted the candidate")
        TASK = "task", _("Checklist")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = EncryptedTextField(blank=True, erasable_by="incident.data_key")
    # Notes and some events are for the police only; the candidate's view leaves them out.
    internal = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "id"]


class IncidentLink(models.Model):
    """Two incidents share an observable. Stored once per pair and hash, lower id first."""

    first = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=[(k.value, k.label) for k in ObservableKind])
    match_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second", "match_hash"], name="unique_link"),
            models.CheckConstraint(condition=models.Q(first__lt=models.F("second")), name="link_first_lower"),
        ]


class AccessRequest(models.Model):
    """A FEOA asks the FEOAs of another force to see a linked incident there."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="access_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]


class ClockTarget(models.Model):
    """A police force's own target for one case clock at one risk level, in hours. Where a force has
    set none, the national default applies (``engines.insights.clocks.NATIONAL_TARGET_HOURS``)."""

    force = models.ForeignKey("registry.PoliceForce", on_delete=models.CASCADE, related_name="clock_targets")
    clock = models.CharField(max_length=20, choices=[(c.value, c.label) for c in Clock])
    risk_level = models.CharField(max_length=10, choices=[(r.value, r.value.title()) for r in RiskLevel])
    hours = models.FloatField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["force", "clock", "risk_level"]
        constraints = [models.UniqueConstraint(fields=["force", "clock", "risk_level"], name="one_clock_target_per_force_clock_risk")]

    def __str__(self) -> str:
        return f"{self.force_id} {self.clock} {self.risk_level}: {self.hours:g} h"
class ObservableWarning(models.Model):
    """A public value that must never link incidents by itself (a warning list, as MISP keeps them):
    Parliament's switchboard, a platform's home page, a party's head-office number. Administrators
    keep the list; the defaults of ``engines.incidents.warninglists`` are loaded by a data migration.

    Values are stored in clear on purpose: they are public by definition, and administrators must be
    able to read the list they keep. Retired entries stay, with who retired them and why.
    """

    class Source(models.TextChoices):
        DEFAULT = "default", "Shipped with Ballotguard"
        ADMINISTRATOR = "administrator", "Added by an administrator"

    kind = models.CharField(max_length=20, choices=[(k.value, k.label) for k in ObservableKind])
    value = models.CharField(max_length=2100, help_text="Normalised value, as reports are matched.")
    display = models.CharField(max_length=2100)
    reason = models.CharField(max_length=300)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.ADMINISTRATOR)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    retired_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    retired_at = models.DateTimeField(null=True, blank=True)
    retired_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["kind", "display", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], condition=models.Q(retired_at__isnull=True), name="one_live_warning_per_value"),
        ]

    @property
    def match_key(self) -> str:
        return f"{self.kind}:{self.value}"

    @property
    def kind_label(self) -> str:
        return ObservableKind(self.kind).label


class ChecklistTemplate(models.Model):
    """One version of one behaviour's checklist (TheHive's case templates). Never changed once saved:
    an administrator's edit saves the next version, and incidents keep the tasks they were given.
    Templates are not police data: they hold no incident's content."""

    behaviour = models.CharField(max_length=50, choices=[(b.value, b.label) for b in Behaviour], db_index=True)
    version = models.PositiveIntegerField()
    note = models.CharField(max_length=300, blank=True, help_text="Why this version was made.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["behaviour", "-version"]
        constraints = [models.UniqueConstraint(fields=["behaviour", "version"], name="unique_checklist_version")]

    def __str__(self) -> str:
        return f"{self.behaviour} v{self.version}"

    @property
    def behaviour_label(self) -> str:
        return Behaviour(self.behaviour).label


class ChecklistTemplateTask(models.Model):
    """A task of a template version: due ``due_hours`` after the report was sent (``due_hours_high``
    for a high-risk incident, when set)."""

    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveSmallIntegerField()
    key = models.CharField(max_length=50, help_text="The same key in two behaviours' templates is one task on an incident.")
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True)
    due_hours = models.PositiveIntegerField()
    due_hours_high = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["template", "position"]
        constraints = [models.UniqueConstraint(fields=["template", "key"], name="unique_task_key_per_template")]


class IncidentTask(models.Model):
    """One task of an incident's checklist. Police data: only the FEOAs of the incident's forces see
    and change it. Title and guidance are copied from the template version the incident was given."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tasks")
    template_task = models.ForeignKey(ChecklistTemplateTask, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=50)
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True)
    behaviours = models.JSONField(default=list, blank=True, help_text="The behaviours whose templates asked for it.")
    position = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField(db_index=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="incident_tasks")
    state = models.CharField(max_length=20, choices=[(s.value, s.label) for s in TaskState], default=TaskState.OPEN.value, db_index=True)
    reason = EncryptedTextField(blank=True, help_text="Why it does not apply.", erasable_by="incident.data_key")
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["incident", "key"], name="unique_task_key_per_incident")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state == TaskState.OPEN.value

    @property
    def overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()

    @property
    def behaviour_labels(self) -> list[str]:
        return [Behaviour(b).label for b in self.behaviours if b in Behaviour._value2member_map_]

    @property
    def template_version(self) -> int | None:
        return self.template_task.template.version if self.template_task_id else None
