"""Sharing with partners: exports as STIX 2.1 or MISP, imports of partners' STIX bundles.

**Who may share what.**

- A FEOA exports an incident they may open, or its course of conduct (the incidents against the same
  person linked to it by shared observables, as far as they may open them), and any coordinated
  campaign touching their force.
- A Taskforce analyst exports coordinated campaigns (every one, as they see every one).
- Exports are pseudonymised unless a FEOA explicitly asks for identified values, and may only when
  every incident in the export is their own force's (not one they merely read through a granted
  access request). Campaign exports are always pseudonymised. Descriptions are never shared.
- Every export writes an ``export`` audit event naming the package, format, marking and whether it
  was identified; an identified export also records a ``read`` of each incident's observables.

**Imports.** A FEOA uploads a partner's STIX 2.1 bundle. Its observables are normalised, hashed with
the same key as every report's, and matched against the observables of their own force's incidents
(pseudonyms our own exports carry are matched through :func:`observable_pseudonym`). Each matched
incident gets a timeline line; incidents the partner put together (one ``observed-data`` or
``grouping``) are linked to each other as any two reports sharing an observable are, so the course of
conduct, risk and the perpetrator profile see them. An ``import`` audit event records it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from ballotguard.accounts.models import Role, User
from ballotguard.accounts.services import Actor, audit, audit_reads
from ballotguard.core.matching import author_pseudonym, incident_pseudonym, keyed_hash, observable_pseudonym
from ballotguard.engines.incidents.observables import ObservableError, ObservableKind, normalise_observable
from ballotguard.engines.incidents.sharing import (
    MAX_BYTES, Package, PackageKind, SharedCase, SharedObservable, SharingError, Tlp, read_stix_bundle, to_misp_json,
    to_stix_json,
)
from ballotguard.incidents.models import Incident, IncidentEvent, IncidentLink, Observable
from ballotguard.incidents.services.events import SYSTEM, new_event
from ballotguard.incidents.services.guidance import course_of_conduct_ids, reassess_risk
from ballotguard.incidents.services.scope import incidents_in_force_of, incidents_visible_to
from ballotguard.incidents.services.warnings import warned_hashes
from ballotguard.monitoring.models import Campaign
from ballotguard.monitoring.services.campaigns import campaigns_visible_to
from ballotguard.registry.services import NotPermitted

from .models import PartnerImport, PartnerMatch

FORMATS = {"stix": "STIX 2.1 bundle (OpenCTI and other STIX tools)", "misp": "MISP event (JSON)"}
SCOPES = {"incident": "This incident only", "conduct": "The course of conduct (linked incidents against the same person)"}
MAX_PARTNER = 200
# Incidents linked to one another by one partner group at most: beyond it they are still flagged, not
# linked pairwise (a group naming a thousand incidents would otherwise make half a million links).
MAX_LINKED_PER_GROUP = 50


class SharingInvalid(ValueError):
    """Bad input, by field: ``errors`` maps a field name to a message a person can act on."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Export:
    filename: str
    content_type: str
    body: str
    package: Package


def can_export_incidents(user: User) -> bool:
    return user.is_authenticated and user.role == Role.FEOA


def can_import(user: User) -> bool:
    return user.is_authenticated and user.role == Role.FEOA


def can_export_campaigns(user: User) -> bool:
    return user.is_authenticated and user.role in {Role.FEOA, Role.ANALYST}


def _check_choices(fmt: str, tlp: str, scope: str | None = None) -> Tlp:
    errors = {}
    if fmt not in FORMATS:
        errors["format"] = "Select the format: STIX 2.1 or MISP"
    if tlp not in {t.value for t in Tlp}:
        errors["tlp"] = "Select a TLP marking: clear, green, amber, amber+strict or red"
    if scope is not None and scope not in SCOPES:
        errors["scope"] = "Select what to share: this incident or its course of conduct"
    if errors:
        raise SharingInvalid(errors)
    return Tlp(tlp)


def _producer(user: User) -> str:
    if user.role == Role.ANALYST:
        return "Taskforce (Ballotguard)"
    forces = ", ".join(sorted(f.name for f in user.police_forces.all()))
    return f"{forces or 'Police'} (Ballotguard)"


def _cases(incidents: list[Incident], identified: bool) -> list[SharedCase]:
    observables: dict[int, list[Observable]] = {}
    for obs in Observable.objects.filter(incident__in=incidents).exclude(match_hash="").order_by("incident_id", "kind", "id"):
        observables.setdefault(obs.incident_id, []).append(obs)
    cases = []
    for incident in incidents:
        shared = []
        for obs in observables.get(incident.pk, []):
            kind = ObservableKind(obs.kind)
            if identified:
                shared.append(SharedObservable(kind, value=obs.value, display=obs.display))
            else:
                shared.append(SharedObservable(kind, pseudonym=observable_pseudonym(obs.match_hash)))
        when = incident.occurred_at or incident.submitted_at or incident.created_at
        cases.append(SharedCase(incident_pseudonym(incident.reference), when, when, tuple(shared)))
    return cases


def _render(package: Package, fmt: str) -> Export:
    stem = f"ballotguard-{package.kind.value.replace('_', '-')}-{package.label}-{package.tlp.value.replace('+', '-')}"
    if fmt == "misp":
        return Export(f"{stem}.misp.json", "application/json", to_misp_json(package), package)
    return Export(f"{stem}.stix.json", "application/stix+json;version=2.1", to_stix_json(package), package)


def export_incident(actor: Actor, reference: str, *, scope: str, fmt: str, tlp: str, identified: bool = False) -> Export:
    """An incident's observables (or its course of conduct's) for a partner. Outside the FEOA's scope
    is ``Incident.DoesNotExist`` (404); another role is ``NotPermitted`` (403)."""
    user = actor.user
    if user is None or not can_export_incidents(user):
        raise NotPermitted("Only a FEOA can share an incident's details with partners.")
    incident = incidents_visible_to(user).get(reference=reference)
    marking = _check_choices(fmt, tlp, scope)
    ids = course_of_conduct_ids(incident) if scope == "conduct" else [incident.pk]
    order = {pk: n for n, pk in enumerate(ids)}
    incidents = sorted(incidents_visible_to(user).filter(pk__in=ids), key=lambda i: order[i.pk])
    if identified:
        own = set(incidents_in_force_of(user).filter(pk__in=ids).values_list("pk", flat=True))
        others = [i.reference for i in incidents if i.pk not in own]
        if others:
            raise SharingInvalid({"identified": "You can share identified details only of your own force's incidents: "
                                                f"{', '.join(others)} belong to another force. Share them pseudonymised."})
    kind = PackageKind.COURSE_OF_CONDUCT if scope == "conduct" else PackageKind.INCIDENT
    package = Package(kind, incident_pseudonym(incident.reference), _producer(user), marking, timezone.now(),
                      tuple(_cases(incidents, identified)), identified=identified)
    export = _render(package, fmt)
    with transaction.atomic():
        audit(actor, "export", "incident", incident.pk, fields=("observables",) if identified else (),
              detail=f"{fmt} {kind.value} {marking.label} {'identified' if identified else 'pseudonymised'}; "
                     f"incidents {','.join(str(i.pk) for i in incidents)}; {package.observable_count} observables")
        if identified:
            audit_reads(actor, "incident", [i.pk for i in incidents], ["observables"])
    return export


def export_campaign(actor: Actor, pk: int, *, fmt: str, tlp: str) -> Export:
    """A coordinated campaign, always pseudonymised: its incidents' observables and its accounts,
    each account as the pseudonym its handle has as an observable (so it matches reports naming it)."""
    user = actor.user
    if user is None or not can_export_campaigns(user):
        raise NotPermitted("Only FEOAs and Taskforce analysts can share coordinated campaigns.")
    campaign = campaigns_visible_to(user).get(pk=pk)
    marking = _check_choices(fmt, tlp)
    incidents = list(campaign.incidents.exclude(status=Incident.Status.DRAFT).order_by("occurred_at", "id"))
    cases = _cases(incidents, identified=False)
    cases += _account_cases(campaign)
    package = Package(PackageKind.CAMPAIGN, campaign.reference, _producer(user), marking, timezone.now(), tuple(cases))
    export = _render(package, fmt)
    audit(actor, "export", "campaign", campaign.pk,
          detail=f"{fmt} campaign {marking.label} pseudonymised; {len(incidents)} incidents, {package.observable_count} observables")
    return export


def _account_cases(campaign: Campaign) -> list[SharedCase]:
    cases = []
    seen: set[str] = set()
    accounts = set(campaign.accounts)
    for message in campaign.messages.exclude(author_hash="").order_by("sent_at", "id"):
        if message.author_hash in seen or message.author_hash not in accounts:
            continue
        seen.add(message.author_hash)
        try:
            key = normalise_observable(ObservableKind.HANDLE, message.author_handle).match_key
        except ObservableError:
            continue
        obs = SharedObservable(ObservableKind.HANDLE, pseudonym=observable_pseudonym(keyed_hash("observable", key)))
        cases.append(SharedCase(author_pseudonym(message.author_hash), message.sent_at, message.sent_at, (obs,)))
    return cases


# ---------------------------------------------------------------------------------------------------
# Imports


def imports_visible_to(user: User) -> QuerySet[PartnerImport]:
    """A FEOA sees the imports made for any of their forces; nobody else sees any."""
    if not can_import(user):
        return PartnerImport.objects.none()
    return PartnerImport.objects.filter(forces__in=user.police_forces.all()).distinct()


def get_import(user: User, pk: int) -> PartnerImport:
    if not can_import(user):
        raise NotPermitted("Only a FEOA can see partners' imports.")
    return imports_visible_to(user).get(pk=pk)


def matches_visible_to(user: User, partner_import: PartnerImport) -> list[PartnerMatch]:
    visible = incidents_visible_to(user).values("pk")
    return list(partner_import.matches.filter(incident__in=visible).select_related("incident"))


def import_bundle(actor: Actor, data: bytes, partner: str) -> PartnerImport:
    """Match a partner's bundle against the FEOA's force's incidents; link and flag what matches."""
    user = actor.user
    if user is None or not can_import(user):
        raise NotPermitted("Only a FEOA can import a partner's bundle.")
    partner = " ".join((partner or "").split())
    errors = {}
    if not partner:
        errors["partner"] = "Enter who sent the bundle, like the partner's organisation"
    elif len(partner) > MAX_PARTNER:
        errors["partner"] = f"Who sent it must be {MAX_PARTNER} characters or fewer"
    try:
        read = read_stix_bundle(data, max_bytes=MAX_BYTES)
    except SharingError as err:
        errors[err.field] = err.message
    if errors:
        raise SharingInvalid(errors)

    mine = incidents_in_force_of(user)
    ours = list(Observable.objects.filter(incident__in=mine.values("pk")).exclude(match_hash="").values_list("incident_id", "kind", "match_hash"))
    by_hash: dict[str, set[int]] = {}
    by_pseudonym: dict[str, str] = {}
    warned = warned_hashes()  # a partner's bundle naming a switchboard links nothing, as a report naming it would not
    for incident_id, kind, match_hash in ours:
        if match_hash in warned:
            continue
        by_hash.setdefault(match_hash, set()).add(incident_id)
        by_pseudonym.setdefault(observable_pseudonym(match_hash), match_hash)

    # group id -> incident id -> kinds matched there
    found: dict[str, dict[int, set[str]]] = {}
    for group in read.groups:
        for obs in group.observables:
            match_hash = by_pseudonym.get(obs.pseudonym) if obs.pseudonym else keyed_hash("observable", f"{obs.kind.value}:{obs.value}")
            for incident_id in by_hash.get(match_hash or "", ()):
                found.setdefault(group.source_id, {}).setdefault(incident_id, set()).add(obs.kind.value)

    with transaction.atomic():
        record = PartnerImport.objects.create(
            imported_by=user, imported_by_name=user.get_username(), partner=partner, producer=read.producer,
            bundle_id=read.bundle_id, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
            tlp=read.tlp.value if read.tlp else "", observables=read.observables, groups=len(read.groups),
            skipped=dict(read.skipped), warnings=read.warnings,
        )
        record.forces.set(user.police_forces.all())
        PartnerMatch.objects.bulk_create([
            PartnerMatch(partner_import=record, incident_id=incident_id, kind=kind, group=group_id)
            for group_id, incidents in found.items() for incident_id, kinds in incidents.items() for kind in sorted(kinds)
        ])
        matched = {i for incidents in found.values() for i in incidents}
        links = _link(record, found)
        incidents = {i.pk: i for i in Incident.objects.filter(pk__in=matched).select_related("candidate")}
        marking = read.tlp.label if read.tlp else "no TLP marking"
        events = []
        for incident_id in sorted(matched):
            kinds = sorted({ObservableKind(k).label.lower() for g in found.values() for k in g.get(incident_id, ())})
            events.append(new_event(actor, incidents[incident_id], IncidentEvent.Kind.LINKED,
                                    f"A partner's bundle from {partner} ({marking}) names this incident's {', '.join(kinds)} "
                                    f"(partner import {record.pk})", internal=True))
        for first, second in links:
            events.append(new_event(SYSTEM, incidents[first], IncidentEvent.Kind.LINKED,
                                    f"Linked to {incidents[second].reference} by a partner's bundle from {partner}", internal=True))
            events.append(new_event(SYSTEM, incidents[second], IncidentEvent.Kind.LINKED,
                                    f"Linked to {incidents[first].reference} by a partner's bundle from {partner}", internal=True))
        IncidentEvent.objects.bulk_create(events)
        for incident_id in {i for pair in links for i in pair}:
            reassess_risk(incidents[incident_id])  # its course of conduct may have grown
        record.matched_incidents = len(matched)
        record.links_made = len(links)
        record.save(update_fields=["matched_incidents", "links_made"])
        audit(actor, "import", "partner_import", record.pk,
              detail=f"stix {marking}; {read.observables} observables, {len(matched)} incidents matched, {len(links)} links")
    return record


def _link(record: PartnerImport, found: dict[str, dict[int, set[str]]]) -> list[tuple[int, int]]:
    """Link the incidents each partner group names to one another, once per pair (lower id first).

    The link's ``match_hash`` is a keyed hash of the import and the group, never a value, and its kind
    is what matched the lower-id incident: the incident pages say "linked by a shared <kind>".
    """
    wanted: dict[tuple[int, int], tuple[str, str]] = {}
    for group_id, incidents in found.items():
        ids = sorted(incidents)[:MAX_LINKED_PER_GROUP]
        match_hash = keyed_hash("partner-link", f"{record.pk}\x00{group_id}")
        for n, first in enumerate(ids):
            for second in ids[n + 1:]:
                wanted.setdefault((first, second), (match_hash, sorted(incidents[first])[0]))
    if not wanted:
        return []
    already = {
        (f, s) for f, s in IncidentLink.objects.filter(
            Q(first_id__in={p[0] for p in wanted}) & Q(second_id__in={p[1] for p in wanted})
        ).values_list("first_id", "second_id")
    }
    new = {pair: value for pair, value in wanted.items() if pair not in already}
    IncidentLink.objects.bulk_create(
        [IncidentLink(first_id=f, second_id=s, match_hash=h, kind=k) for (f, s), (h, k) in new.items()], ignore_conflicts=True,
    )
    return sorted(new)


def tlp_choices() -> list[tuple[str, str]]:
    return [(t.value, f"{t.label}: {t.meaning}") for t in Tlp]
