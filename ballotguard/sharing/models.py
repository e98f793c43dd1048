"""Imports of partners' STIX bundles and the incidents they matched.

Nothing a partner sent is kept but counts, the bundle's fingerprint and which of our incidents matched
which kind of observable: the values themselves are matched in memory through the same keyed hash as
every other observable and dropped (a partner's list of suspects is theirs, not ours to hold).
Exports keep no copy either: the audit log records who shared what, with which marking.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ballotguard.engines.incidents.observables import ObservableKind
from ballotguard.engines.incidents.sharing import Tlp


class PartnerImport(models.Model):
    """One partner bundle a FEOA uploaded, matched against their force's incidents."""

    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    imported_by_name = models.CharField(max_length=150, blank=True)
    forces = models.ManyToManyField("registry.PoliceForce", related_name="+", help_text="The importer's forces: whose incidents were matched.")
    partner = models.CharField(max_length=200, help_text="Who sent it, as the FEOA named them.")
    producer = models.CharField(max_length=200, blank=True, help_text="The identity the bundle names as its author.")
    bundle_id = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveIntegerField()
    tlp = models.CharField(max_length=20, blank=True, choices=[(t.value, t.label) for t in Tlp])
    observables = models.PositiveIntegerField(default=0)
    groups = models.PositiveIntegerField(default=0)
    skipped = models.JSONField(default=dict, blank=True, help_text="Object types not read, with how many.")
    warnings = models.JSONField(default=list, blank=True, help_text="Observables left out and why (object ids, never values).")
    matched_incidents = models.PositiveIntegerField(default=0)
    links_made = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"partner import {self.pk}"

    @property
    def tlp_label(self) -> str:
        return Tlp(self.tlp).label if self.tlp else "No TLP marking"


class PartnerMatch(models.Model):
    """One of our incidents holds an observable the partner's bundle names."""

    partner_import = models.ForeignKey(PartnerImport, on_delete=models.CASCADE, related_name="matches")
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=[(k.value, k.label) for k in ObservableKind])
    group = models.CharField(max_length=300, help_text="The bundle's container (observed-data, grouping) that held it.")

    class Meta:
        ordering = ["incident_id", "kind"]
        constraints = [models.UniqueConstraint(fields=["partner_import", "incident", "kind", "group"], name="unique_partner_match")]

    @property
    def kind_label(self) -> str:
        return ObservableKind(self.kind).label
