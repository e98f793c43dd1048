"""Sharing with partners: our observables as a STIX 2.1 bundle or a MISP event, and a partner's STIX
bundle read back into observables we can match.

Pure conversion, no Django: the sharing app gathers what may be shared (scope, pseudonymisation,
audit) and hands it here as a :class:`Package`; an upload is handed here as bytes and comes back as an
:class:`ImportedBundle` or a :class:`SharingError` that names what is wrong.

**What goes out.** One STIX ``observed-data`` per incident (``case``), referring to its observables,
inside one ``grouping`` for the whole package (an incident, a course of conduct, a campaign), all
marked with one TLP 2.0 marking and created by an ``identity`` for the sharing force or the
Taskforce. Descriptions (free text) are never shared; only what is matched.

- Identified (a FEOA's explicit choice, for their own force's incidents): e-mail addresses as
  ``email-addr``, web addresses as ``url``, handles as ``user-account`` (``account_login``), and
  the kinds STIX 2.1 has no object for (telephone numbers, vehicle registrations, names) as our
  custom ``x-ballotguard-observable`` with ``kind`` and ``value``.
- Pseudonymised (the default, and always for analysts): every observable as
  ``x-ballotguard-observable`` with ``kind`` and ``pseudonym``, a keyed hash of the matched value
  (``O-`` and 16 hex digits). A partner cannot reverse it; a bundle that comes back to this
  deployment matches again, because the key is ours.

**TLP 2.0.** stix2 ships TLP 1.0 markings only (``TLP_WHITE`` ...). TLP 2.0 markings are the fixed
``marking-definition`` objects OASIS publishes with the TLP 2.0 extension
(``extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d``, cti-stix-common-objects,
extension-definition-specifications/tlp-2.0): the ids below are theirs, unchanged. MISP events carry
the matching ``tlp:`` taxonomy tag (``tlp:amber+strict``).

**What comes in.** A STIX 2.1 bundle (JSON, at most :data:`MAX_BYTES`, :data:`MAX_OBJECTS` objects
and :data:`MAX_OBSERVABLES` observables). Observables we can match are read from ``email-addr``,
``url``, ``user-account`` and ``x-ballotguard-observable``; every value is normalised by
:mod:`ballotguard.engines.incidents.observables`, as a candidate's report is. Containers (``observed-data``,
``grouping``, ``report``) say which observables the partner puts together; a container that no other
container refers to is one :class:`ImportedGroup`, and an observable in no container is a group alone.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field

import stix2
from pymisp import MISPEvent

from ballotguard.engines.incidents.observables import ObservableError, ObservableKind, normalise_observable

SPEC_VERSION = "2.1"
CUSTOM_TYPE = "x-ballotguard-observable"
# Ids of our own objects are UUIDv5 in this namespace, so the same package exported twice has the same ids.
NAMESPACE = uuid.UUID("5f0c8f0e-4f6b-4b8e-9a53-6d0b7c1e2a17")

MAX_BYTES = 5 * 1024 * 1024
MAX_OBJECTS = 20_000
MAX_OBSERVABLES = 5_000
MAX_WARNINGS = 20
PSEUDONYM = re.compile(r"^O-[0-9A-F]{16}$")

# Our own observable type is a STIX 2.1 "new-sco" extension; its definition travels in every bundle.
EXTENSION = "extension-definition--2b0b8f4e-7c1a-5d35-9a62-3f0d6c8e4b71"
PROJECT_IDENTITY = "identity--8f5e2a44-51b6-5f0e-8c3d-1a7b9e6d2c40"
EXTENSION_SCHEMA = (
    "x-ballotguard-observable: a detail about a perpetrator of harassment. Properties: kind (handle, phone, "
    "email, vehicle, url or name); value (the normalised value: handle without @ and case-folded, phone in "
    "E.164, UK vehicle registration without spaces) and display, or pseudonym (O- and 16 upper-case hex "
    "digits: a keyed hash of the normalised value, matched only by the Ballotguard deployment that made it)."
)
TLP_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP_CREATED = "2022-10-01T00:00:00.000Z"


class Tlp(str, enum.Enum):
    """Traffic Light Protocol 2.0 (FIRST), as the STIX 2.1 TLP 2.0 extension and MISP's taxonomy name it."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"

    @property
    def label(self) -> str:
        return f"TLP:{self.value.upper()}"

    @property
    def marking_id(self) -> str:
        return _TLP_IDS[self]

    @property
    def misp_tag(self) -> str:
        return f"tlp:{self.value}"

    @property
    def meaning(self) -> str:
        return _TLP_MEANING[self]


_TLP_IDS = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
_TLP_BY_ID = {v: k for k, v in _TLP_IDS.items()}
_TLP_MEANING = {
    Tlp.CLEAR: "No limit on disclosure.",
    Tlp.GREEN: "The recipient's community, not published.",
    Tlp.AMBER: "The recipient's organisation and its clients, on a need-to-know basis.",
    Tlp.AMBER_STRICT: "The recipient's organisation only, on a need-to-know basis.",
    Tlp.RED: "The named recipients only, not passed on.",
}


def tlp_marking(tlp: Tlp) -> stix2.v21.MarkingDefinition:
    """The TLP 2.0 marking definition, exactly as OASIS publishes it."""
    return stix2.v21.MarkingDefinition(
        id=tlp.marking_id, created=TLP_CREATED, name=tlp.label,
        extensions={TLP_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": tlp.value}},
    )


@stix2.v21.CustomObservable(CUSTOM_TYPE, [
    ("kind", stix2.properties.EnumProperty([k.value for k in ObservableKind if k.matchable], required=True)),
    ("value", stix2.properties.StringProperty()),
    ("display", stix2.properties.StringProperty()),
    ("pseudonym", stix2.properties.StringProperty()),
], id_contrib_props=["kind", "value", "pseudonym"], extension_name=EXTENSION)
class BallotguardObservable:
    """A detail about a perpetrator: ``value`` (identified) or ``pseudonym`` (pseudonymised), never both."""

    def _check_object_constraints(self):
        super()._check_object_constraints()
        self._check_mutually_exclusive_properties(["value", "pseudonym"])
        self._check_at_least_one_property(["value", "pseudonym"])


# --- what goes out


@dataclass(frozen=True)
class SharedObservable:
    """One observable to share, or one read from a partner's bundle: ``value`` (normalised, as
    matched) and ``display`` when identified, ``pseudonym`` when not."""

    kind: ObservableKind
    value: str = ""
    display: str = ""
    pseudonym: str = ""

    @property
    def identified(self) -> bool:
        return bool(self.value)


@dataclass(frozen=True)
class SharedCase:
    """One incident (or one campaign account), named by its pseudonym (``P-...``), never its reference."""

    label: str
    first_seen: dt.datetime
    last_seen: dt.datetime
    observables: tuple[SharedObservable, ...]


class PackageKind(str, enum.Enum):
    INCIDENT = "incident"
    COURSE_OF_CONDUCT = "course_of_conduct"
    CAMPAIGN = "campaign"

    @property
    def label(self) -> str:
        return {"incident": "Incident", "course_of_conduct": "Course of conduct", "campaign": "Coordinated campaign"}[self.value]


@dataclass(frozen=True)
class Package:
    kind: PackageKind
    label: str  # P-... for an incident or course of conduct, CMP-... for a campaign
    producer: str  # "West Midlands Police (Ballotguard)"
    tlp: Tlp
    created: dt.datetime
    cases: tuple[SharedCase, ...]
    identified: bool = False

    def __post_init__(self):
        for case in self.cases:
            for obs in case.observables:
                if obs.identified != self.identified or not (obs.value or obs.pseudonym):
                    raise ValueError("every observable must be identified, or every one pseudonymised, as the package says")
                if not obs.kind.matchable:
                    raise ValueError("descriptions are never shared")

    @property
    def observable_count(self) -> int:
        return len({(o.kind, o.value or o.pseudonym) for c in self.cases for o in c.observables})


def _sid(kind: str, *parts: str) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, chr(0).join(parts))}"


def _sco(obs: SharedObservable, marking: str):
    if not obs.identified:
        return BallotguardObservable(kind=obs.kind.value, pseudonym=obs.pseudonym, object_marking_refs=[marking])
    if obs.kind is ObservableKind.EMAIL:
        return stix2.v21.EmailAddress(value=obs.value, object_marking_refs=[marking])
    if obs.kind is ObservableKind.URL:
        return stix2.v21.URL(value=obs.value, object_marking_refs=[marking])
    if obs.kind is ObservableKind.HANDLE:
        return stix2.v21.UserAccount(account_login=obs.value, display_name=obs.display or obs.value, object_marking_refs=[marking])
    return BallotguardObservable(kind=obs.kind.value, value=obs.value, display=obs.display or obs.value, object_marking_refs=[marking])


def to_stix_bundle(package: Package) -> stix2.v21.Bundle:
    """The package as a STIX 2.1 bundle (see the module's docstring for its shape)."""
    marking = tlp_marking(package.tlp)
    created = package.created.astimezone(dt.timezone.utc)
    identity = stix2.v21.Identity(
        id=_sid("identity", "producer", package.producer), name=package.producer, identity_class="organization",
        created=created, modified=created, object_marking_refs=[marking.id],
    )
    common = {"created_by_ref": identity.id, "created": created, "modified": created, "object_marking_refs": [marking.id]}
    scos: dict[str, object] = {}
    observed = []
    for case in package.cases:
        refs = []
        for obs in case.observables:
            sco = _sco(obs, marking.id)
            scos.setdefault(sco.id, sco)
            if sco.id not in refs:
                refs.append(sco.id)
        if not refs:
            continue
        first, last = case.first_seen.astimezone(dt.timezone.utc), case.last_seen.astimezone(dt.timezone.utc)
        observed.append(stix2.v21.ObservedData(
            id=_sid("observed-data", package.label, case.label, str(created)), first_observed=first, last_observed=max(first, last),
            number_observed=1, object_refs=refs, labels=[case.label], allow_custom=True, **common,
        ))
    objects: list = [marking, identity]
    if any(getattr(sco, "type", "") == CUSTOM_TYPE for sco in scos.values()):
        objects += _extension_definition()
    objects += [*scos.values(), *observed]
    if observed:
        objects.append(stix2.v21.Grouping(
            id=_sid("grouping", package.label, str(created)), name=f"{package.kind.label} {package.label}",
            description=f"{package.kind.label} shared from Ballotguard ({'identified' if package.identified else 'pseudonymised'}).",
            context="suspicious-activity", object_refs=[o.id for o in observed], allow_custom=True, **common,
        ))
    return stix2.v21.Bundle(objects=objects, id=_sid("bundle", package.label, str(created)), allow_custom=True)


def _extension_definition() -> list:
    made = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    project = stix2.v21.Identity(id=PROJECT_IDENTITY, name="Ballotguard", identity_class="system", created=made, modified=made)
    return [project, stix2.v21.ExtensionDefinition(
        id=EXTENSION, created_by_ref=PROJECT_IDENTITY, created=made, modified=made, name=CUSTOM_TYPE,
        description="Details about perpetrators of harassment of election candidates, identified or pseudonymised.",
        schema=EXTENSION_SCHEMA, version="1.0.0", extension_types=["new-sco"],
    )]


def to_stix_json(package: Package) -> str:
    return to_stix_bundle(package).serialize(pretty=True)


_MISP_TYPES = {
    # kind -> (MISP attribute type, category), from MISP's describeTypes.
    ObservableKind.HANDLE: ("text", "Social network"),
    ObservableKind.PHONE: ("phone-number", "Person"),
    ObservableKind.EMAIL: ("email", "Social network"),
    ObservableKind.VEHICLE: ("text", "Person"),
    ObservableKind.URL: ("url", "Network activity"),
    ObservableKind.NAME: ("full-name", "Person"),
}


_SHOWN_AS_DISPLAYED = {ObservableKind.HANDLE, ObservableKind.VEHICLE, ObservableKind.NAME}


def to_misp_event(package: Package) -> MISPEvent:
    """The package as a MISP event (built offline: nothing here talks to a MISP server).

    Identified values keep their MISP types; pseudonyms are ``anonymised`` attributes. Each
    attribute's comment names the case (``P-...``) and the kind, so the grouping survives. Not for
    detection (``to_ids`` false): these are people's details, not network indicators.
    """
    event = MISPEvent()
    event.uuid = str(uuid.uuid5(NAMESPACE, f"misp\x00{package.label}\x00{package.created.isoformat()}"))
    event.info = f"Ballotguard: {package.kind.label.lower()} {package.label} ({package.producer})"
    event.distribution = 0  # this organisation only: the recipient decides how far it goes, within the TLP
    event.threat_level_id = 2
    event.analysis = 1
    event.date = package.created.date()
    event.add_tag(package.tlp.misp_tag)
    event.add_tag(f'ballotguard:share="{package.kind.value}"')
    for case in package.cases:
        for obs in case.observables:
            comment = f"{case.label}: {obs.kind.label}"
            if obs.identified:
                misp_type, category = _MISP_TYPES[obs.kind]
                event.add_attribute(misp_type, obs.display if obs.kind in _SHOWN_AS_DISPLAYED else obs.value,
                                    category=category, comment=comment, to_ids=False)
            else:
                event.add_attribute("anonymised", obs.pseudonym, category="Other", comment=comment, to_ids=False)
    return event


def to_misp_json(package: Package) -> str:
    return to_misp_event(package).to_json(indent=2)


# --- what comes in


class SharingError(ValueError):
    """A bundle cannot be read. ``field`` names the form or API field; ``message`` says what is wrong."""

    def __init__(self, message: str, field: str = "bundle"):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class ImportedGroup:
    """Observables a partner puts together (one ``observed-data``, ``grouping`` or ``report``)."""

    source_id: str
    observables: tuple[SharedObservable, ...]


@dataclass
class ImportedBundle:
    bundle_id: str
    tlp: Tlp | None
    producer: str
    groups: list[ImportedGroup]
    observables: int
    skipped: Counter = field(default_factory=Counter)  # object type -> how many were not read
    warnings: list[str] = field(default_factory=list)


# STIX 2.1 domain and relationship objects: accepted, and read only for grouping.
_CONTAINERS = {"observed-data", "grouping", "report"}
_KNOWN_SDO = {
    "attack-pattern", "campaign", "course-of-action", "identity", "incident", "indicator", "infrastructure",
    "intrusion-set", "location", "malware", "malware-analysis", "note", "opinion", "threat-actor", "tool",
    "vulnerability", "relationship", "sighting", "marking-definition", "extension-definition", "language-content",
}
_READ = {"email-addr", "url", "user-account", CUSTOM_TYPE}
_ID = re.compile(r"^([a-z0-9][a-z0-9-]{0,249})--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def read_stix_bundle(data: bytes | str, *, max_bytes: int = MAX_BYTES, max_objects: int = MAX_OBJECTS,
                     max_observables: int = MAX_OBSERVABLES) -> ImportedBundle:
    """Read a partner's STIX 2.1 bundle. Raises :class:`SharingError` when the whole bundle must be
    refused (too big, not JSON, not a STIX 2.1 bundle, nothing we can match); single observables that
    are not valid are left out with a warning naming the object."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise SharingError(f"The file is {len(raw):,} bytes: a bundle must be {max_bytes:,} bytes or smaller")
    if not raw.strip():
        raise SharingError("The file is empty: choose a STIX 2.1 bundle (JSON)")
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise SharingError("The file is not text in UTF-8: choose a STIX 2.1 bundle (JSON)") from None
    except RecursionError:
        raise SharingError("The file is nested too deeply to be a STIX bundle") from None
    except json.JSONDecodeError as err:
        raise SharingError(f"The file is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})") from None
    if not isinstance(doc, dict) or doc.get("type") != "bundle":
        raise SharingError('The file is not a STIX bundle: its "type" must be "bundle"')
    bundle_id = doc.get("id")
    if not isinstance(bundle_id, str) or not _ID.match(bundle_id) or not bundle_id.startswith("bundle--"):
        raise SharingError('The bundle has no valid "id" (like bundle--<UUID>)')
    if "spec_version" in doc:
        raise SharingError(f"The bundle is STIX {_short(doc['spec_version'])}: Ballotguard reads STIX 2.1 bundles only "
                           '(a 2.1 bundle has no "spec_version" of its own; its objects say "2.1")')
    objects = doc.get("objects", [])
    if not isinstance(objects, list):
        raise SharingError('The bundle\'s "objects" must be a list')
    if len(objects) > max_objects:
        raise SharingError(f"The bundle has {len(objects):,} objects: Ballotguard reads at most {max_objects:,}")

    by_id: dict[str, dict] = {}
    for number, obj in enumerate(objects, start=1):
        if not isinstance(obj, dict):
            raise SharingError(f"Object {number} is not a JSON object")
        otype, oid = obj.get("type"), obj.get("id")
        if not isinstance(otype, str) or not isinstance(oid, str) or not _ID.match(oid) or oid.split("--")[0] != otype:
            raise SharingError(f'Object {number} has no valid "type" and "id" (like "url" and url--<UUID>)')
        version = obj.get("spec_version", SPEC_VERSION if otype not in _KNOWN_SDO | _CONTAINERS else None)
        if version != SPEC_VERSION:
            raise SharingError(f"Object {number} ({_short(oid)}) is STIX {_short(version) if version else 'with no spec_version'}: "
                               "Ballotguard reads STIX 2.1 only")
        by_id.setdefault(oid, obj)

    result = ImportedBundle(bundle_id=bundle_id, tlp=None, producer="", groups=[], observables=0)
    read: dict[str, SharedObservable] = {}
    for oid, obj in by_id.items():
        otype = obj["type"]
        if otype in _READ:
            found = _observable(obj, result)
            if found is not None:
                read[oid] = found
        elif otype not in _KNOWN_SDO and otype not in _CONTAINERS:
            result.skipped[otype] += 1
    if len(read) > max_observables:
        raise SharingError(f"The bundle has {len(read):,} observables: Ballotguard reads at most {max_observables:,} at once")
    if not read:
        found_types = ", ".join(f"{n} {t}" for t, n in sorted(result.skipped.items())) or "no observables"
        detail = f" (it has {found_types})" if result.skipped else ""
        warned = f" {result.warnings[0]}" if result.warnings else ""
        raise SharingError(f"The bundle has no observables Ballotguard can match{detail}. Ballotguard matches "
                           f"{', '.join(sorted(_READ))}.{warned}")

    result.tlp = _bundle_tlp(by_id)
    result.producer = _producer(by_id)
    result.groups = _groups(by_id, read)
    result.observables = len(read)
    return result


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _warn(result: ImportedBundle, text: str) -> None:
    if len(result.warnings) < MAX_WARNINGS:
        result.warnings.append(text)
    elif len(result.warnings) == MAX_WARNINGS:
        result.warnings.append("More observables were left out; only the first 20 are listed.")


def _observable(obj: dict, result: ImportedBundle) -> SharedObservable | None:
    otype, oid = obj["type"], obj["id"]
    try:
        if otype == CUSTOM_TYPE:
            kind = obj.get("kind")
            if kind not in {k.value for k in ObservableKind if k.matchable}:
                raise ObservableError("kind", f'its "kind" must be one of {", ".join(k.value for k in ObservableKind if k.matchable)}')
            pseudonym = obj.get("pseudonym")
            if pseudonym is not None:
                if not isinstance(pseudonym, str) or not PSEUDONYM.match(pseudonym):
                    raise ObservableError("pseudonym", 'its "pseudonym" is not a Ballotguard pseudonym (O- and 16 hex digits)')
                return SharedObservable(ObservableKind(kind), pseudonym=pseudonym)
            return _normalised(kind, obj.get("value"))
        if otype == "user-account":
            return _normalised(ObservableKind.HANDLE, obj.get("account_login") or obj.get("display_name"))
        return _normalised(ObservableKind.EMAIL if otype == "email-addr" else ObservableKind.URL, obj.get("value"))
    except ObservableError as err:
        _warn(result, f"{_short(oid)} was left out: {err.message[0].lower() + err.message[1:]}.")
        return None


def _normalised(kind: ObservableKind | str, value: object) -> SharedObservable:
    if not isinstance(value, str):
        raise ObservableError("value", "it has no value as text")
    obs = normalise_observable(kind, value)
    return SharedObservable(obs.kind, value=obs.value, display=obs.display)


def _bundle_tlp(by_id: dict[str, dict]) -> Tlp | None:
    """The strictest TLP 2.0 (or TLP 1.0) marking any object in the bundle refers to."""
    order = [Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED]
    tlp1 = {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": Tlp.CLEAR,
            "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": Tlp.GREEN,
            "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": Tlp.AMBER,
            "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": Tlp.RED}
    found: set[Tlp] = set()
    for obj in by_id.values():
        refs = obj.get("object_marking_refs")
        if isinstance(refs, list):
            for ref in refs:
                if isinstance(ref, str) and (ref in _TLP_BY_ID or ref in tlp1):
                    found.add(_TLP_BY_ID.get(ref) or tlp1[ref])
    return max(found, key=order.index) if found else None


def _producer(by_id: dict[str, dict]) -> str:
    for obj in by_id.values():
        if obj["type"] == "identity" and isinstance(obj.get("name"), str):
            return " ".join(obj["name"].split())[:200]
    return ""


def _groups(by_id: dict[str, dict], read: dict[str, SharedObservable]) -> list[ImportedGroup]:
    containers = {oid: [r for r in obj.get("object_refs", []) if isinstance(r, str)] if isinstance(obj.get("object_refs"), list) else []
                  for oid, obj in by_id.items() if obj["type"] in _CONTAINERS}
    referenced = {r for refs in containers.values() for r in refs if r in containers}
    grouped: set[str] = set()
    groups = []
    for oid in containers:
        if oid in referenced:
            continue
        members: list[str] = []
        seen = {oid}
        frontier = [oid]
        while frontier:  # containers of containers (a grouping of observed-data), cycles cut
            nxt = []
            for cid in frontier:
                for ref in containers.get(cid, []):
                    if ref in read and ref not in members:
                        members.append(ref)
                    elif ref in containers and ref not in seen:
                        seen.add(ref)
                        nxt.append(ref)
            frontier = nxt
        if members:
            grouped.update(members)
            groups.append(ImportedGroup(oid, tuple(read[m] for m in members)))
    groups += [ImportedGroup(oid, (obs,)) for oid, obs in read.items() if oid not in grouped]
    return groups


__all__ = [
    "CUSTOM_TYPE", "MAX_BYTES", "MAX_OBJECTS", "MAX_OBSERVABLES", "ImportedBundle", "ImportedGroup", "Package",
    "PackageKind", "SharedCase", "SharedObservable", "SharingError", "Tlp", "read_stix_bundle", "tlp_marking",
    "to_misp_event", "to_misp_json", "to_stix_bundle", "to_stix_json",
]
