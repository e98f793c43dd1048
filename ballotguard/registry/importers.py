"""Importing the registry: UK geography and police forces, then elections, ballots, parties and candidates.

Two services, called by the ``import_geography`` / ``import_candidates`` commands, the web upload
pages and the JSON API alike:

- :func:`import_geography` reads the ONS, mySociety and Open Innovations files described in
  ``shared/data/uk/SOURCE.md`` (by file name, from a directory or an upload) into police forces,
  regions, community safety partnerships, councils, wards and constituencies, and links every area
  to the police force(s) that cover it.
- :func:`import_candidates` reads a Democracy Club candidates CSV (the full export, or the Open
  Innovations GE2024 list) into elections, ballots, parties and candidates, placing every ballot in
  an area so the right FEOAs see it.

Both follow the same rules:

- A file that cannot be used as a whole (empty, binary, undecodable, missing or unknown columns)
  raises :class:`ImportValidationError` and **nothing is written**.
- A row that cannot be used (unknown area, bad date, missing id, duplicate) is *rejected* with its
  line number and the rest go in.
- Everything happens in one transaction; a dry run does all the work and then rolls back, so its
  counts are real.
- Importing the same file twice changes nothing: values are compared before saving, and only the
  rows that differ are written (in bulk).
- Only the fields a file is about are touched: a candidate's encrypted contact details, consent and
  hand-over are never changed by an import, and a force's FEOA mailbox is never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils import timezone
from uk_election_ids.election_ids import IdBuilder

from ballotguard.accounts.services import Actor, audit
from ballotguard.engines.common.names import match_key, slugify
from ballotguard.engines.candidates.operations import Operation, election_type_of, operation_for
from ballotguard.engines.common.tabular import Row, RowError, Table, TableError, decode, open_table, read_bytes, read_header

from .models import Area, AreaForce, Ballot, Candidate, ConstituencyCouncilOverlap, Election, Party, PoliceForce

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called as an import moves through its stages (for progress bars)."""

BATCH_SIZE = 500


# ---------------------------------------------------------------------------------------------------
# Results and errors


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would have done), per kind of record."""

    kind: str
    dry_run: bool
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    rejected: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    deleted: dict[str, int] = field(default_factory=dict)
    """Links that no longer hold (an area no longer covered by a force); records are never deleted."""
    notes: list[str] = field(default_factory=list)
    """Information that is not a problem, such as how many candidates' gender was joined."""

    @property
    def kinds(self) -> list[str]:
        seen: dict[str, None] = {}
        for counts in (self.created, self.updated, self.unchanged, self.deleted):
            seen.update(dict.fromkeys(counts))
        return list(seen)

    @property
    def total_created(self) -> int:
        return sum(self.created.values())

    @property
    def total_updated(self) -> int:
        return sum(self.updated.values())

    @property
    def total_unchanged(self) -> int:
        return sum(self.unchanged.values())

    @property
    def total_deleted(self) -> int:
        return sum(self.deleted.values())

    @property
    def changed(self) -> bool:
        return bool(self.total_created or self.total_updated or self.total_deleted)

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        counts: dict[str, int] = getattr(self, outcome)
        counts[kind] = counts.get(kind, 0) + n
        for other in ("created", "updated", "unchanged"):
            getattr(self, other).setdefault(kind, 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dry_run": self.dry_run,
            "created": dict(self.created),
            "updated": dict(self.updated),
            "unchanged": dict(self.unchanged),
            "deleted": dict(self.deleted),
            "rejected": [error.to_dict() for error in self.rejected],
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "totals": {
                "created": self.total_created,
                "updated": self.total_updated,
                "unchanged": self.total_unchanged,
                "deleted": self.total_deleted,
                "rejected": len(self.rejected),
            },
        }

    def summary(self) -> str:
        """Counts only (no names): safe for the audit log."""
        parts = [f"{kind}: +{self.created.get(kind, 0)} ~{self.updated.get(kind, 0)} ={self.unchanged.get(kind, 0)}" for kind in self.kinds]
        return f"{self.kind}{' (dry run)' if self.dry_run else ''}; " + "; ".join(parts) + f"; rejected {len(self.rejected)}"


class ImportValidationError(Exception):
    """A file failed validation as a whole; nothing was written. ``messages`` says what to fix."""

    def __init__(self, messages: str | list[str]):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("; ".join(self.messages))


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def _import_limit() -> int:
    """One limit for every import, the documented one (``BALLOTGUARD_MAX_IMPORT_BYTES``), not the engine's default."""
    from django.conf import settings

    return settings.BALLOTGUARD_MAX_IMPORT_BYTES


# What a candidate import offers for columns it does not know, everywhere it can be run: the imports
# page, the API and the command. (The geography import has no such choice, so its error offers none.)
UNKNOWN_COLUMNS_MESSAGE = ("Unknown columns: %(columns)s. Remove them from the file, or choose to ignore them: “Ignore columns this "
                           "import does not know” on the imports page, allow_unknown_columns in the API, --allow-unknown-columns "
                           "on the command line")


def _open(data: bytes, filename: str, **kwargs: Any) -> Table:
    kwargs.setdefault("max_bytes", _import_limit())
    try:
        return open_table(data, filename, **kwargs)
    except TableError as err:
        raise ImportValidationError([f"{filename}: {m}" if filename else m for m in err.messages]) from None


def _read_source(source: pathlib.Path | bytes, label: str) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), label
    path = pathlib.Path(source)
    try:
        with path.open("rb") as handle:
            return read_bytes(handle, _import_limit()), label or path.name
    except TableError as err:
        raise ImportValidationError([f"{path.name}: {m}" for m in err.messages]) from None
    except OSError as err:
        raise ImportValidationError(f"{path}: cannot be read ({err.strerror or err})") from None


# ---------------------------------------------------------------------------------------------------
# Writing: compare, then create or update in bulk

M = TypeVar("M", bound=models.Model)


def _sync(
    report: ImportReport,
    kind: str,
    model: type[M],
    key_fields: tuple[str, ...],
    desired: Mapping[Any, dict[str, Any]],
    existing: Iterable[M],
    *,
    delete_missing: bool = False,
    touch: dict[str, Any] | None = None,
) -> dict[Any, int]:
    """Make the database hold ``desired`` (natural key → field values by attname); return key → pk.

    Only the fields named in the values are compared and written, so fields the file does not
    describe (contact details, FEOA mailboxes) are never touched. ``touch`` adds values written on
    update only when something else changed (``updated_at``). With ``delete_missing``, existing
    rows whose key is not desired are deleted (used for links, never for records).
    """

    def key_of(obj: models.Model) -> Any:
        values = tuple(getattr(obj, f) for f in key_fields)
        return values[0] if len(values) == 1 else values

    current = {key_of(obj): obj for obj in existing}
    to_create: list[M] = []
    to_update: list[M] = []
    changed_fields: set[str] = set()
    for key, values in desired.items():
        obj = current.get(key)
        if obj is None:
            key_values = dict(zip(key_fields, key if len(key_fields) > 1 else (key,)))
            to_create.append(model(**key_values, **values))
            continue
        diff = [name for name, value in values.items() if getattr(obj, name) != value]
        if diff:
            for name in diff:
                setattr(obj, name, values[name])
            for name, value in (touch or {}).items():
                setattr(obj, name, value)
            changed_fields.update(diff)
            to_update.append(obj)
        else:
            report.count(kind, "unchanged")
    if to_create:
        model.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
        report.count(kind, "created", len(to_create))
    if to_update:
        model.objects.bulk_update(to_update, sorted(changed_fields | set(touch or {})), batch_size=BATCH_SIZE)
        report.count(kind, "updated", len(to_update))
    report.count(kind, "unchanged", 0)
    if delete_missing:
        stale = [obj.pk for key, obj in current.items() if key not in desired]
        if stale:
            for start in range(0, len(stale), BATCH_SIZE):
                model.objects.filter(pk__in=stale[start : start + BATCH_SIZE]).delete()
            report.deleted[kind] = report.deleted.get(kind, 0) + len(stale)
    pks = {key: obj.pk for key, obj in current.items() if key in desired}
    for obj in to_create:
        pks[key_of(obj)] = obj.pk
    if any(pk is None for pk in pks.values()):  # a backend that does not return ids from bulk inserts
        lookup = {f"{key_fields[0]}__in": [k if len(key_fields) == 1 else k[0] for k in desired]}
        pks = {key_of(obj): obj.pk for obj in model.objects.filter(**lookup) if key_of(obj) in desired}
    return pks


def _finish(report: ImportReport, actor: Actor | None) -> None:
    if actor is not None and not report.dry_run:
        audit(actor, "import", "import", report.kind, detail=report.summary())


# ---------------------------------------------------------------------------------------------------
# Geography

CONSTITUENCIES_FILE = "pcon24_names_codes_ons.csv"
FORCES_FILE = "lad24_csp24_pfa24_ons.csv"
REGIONS_FILE = "lad24_region24_ons.csv"
WARDS_FILE = "ward24_lad24_ons_bestfit.csv"
OVERLAP_FILE = "pcon24_lad23_overlap_mysociety.csv"
HEXMAP_FILE = "pcon24_hexmap.hexjson"
REQUIRED_GEOGRAPHY_FILES = (CONSTITUENCIES_FILE, FORCES_FILE, REGIONS_FILE, WARDS_FILE, OVERLAP_FILE)
GEOGRAPHY_FILES = (*REQUIRED_GEOGRAPHY_FILES, HEXMAP_FILE)

# Police Scotland and the Police Service of Northern Ireland are single national forces, so ONS
# publishes no police-force-area lookup for them: its LAD → CSP → PFA lookup covers England and
# Wales only (43 forces). Scotland's code is ONS's S23000009; Northern Ireland has only the
# pseudo-code N99999999 used by the ONS Postcode Directory. Every Scottish constituency (S14…) is
# policed by the first, every Northern Irish one (N05…) by the second, which makes 45 forces.
NATIONAL_FORCES: dict[str, tuple[str, str, str]] = {
    "S14": ("S23000009", "Police Scotland", "Scotland"),
    "N05": ("N99999999", "Police Service of Northern Ireland", "Northern Ireland"),
}
# Countries act as regions for Scotland, Wales and Northern Ireland (as in the hex map and the HoC
# results), England has nine ONS regions (E12…).
NATION_REGIONS: dict[str, tuple[str, str]] = {
    "S": ("S92000003", "Scotland"),
    "W": ("W92000004", "Wales"),
    "N": ("N92000002", "Northern Ireland"),
}
NATIONS = {"E": "England", "W": "Wales", "S": "Scotland", "N": "Northern Ireland"}

SLIVER_SHARE = 0.001
"""A force is counted as covering a constituency only if at least 0.1 % of the constituency's
population lives in its area. mySociety's overlaps contain boundary slivers (area but no people:
one row in the 2024 file, overlap_pop 0); below this share a link would only add noise to an
FEOA's list. The smallest real secondary share in 2024 is City of London's 6 % of Cities of London
and Westminster, far above it."""

_CODE = re.compile(r"^[ENSW]\d{8}$")


def force_display_name(ons_name: str) -> str:
    """ONS writes ``London, City of``; people say ``City of London``."""
    if ", " in ons_name and ons_name.endswith(" of"):
        head, tail = ons_name.rsplit(", ", 1)
        return f"{tail} {head}"
    return ons_name


@dataclass
class _Geography:
    forces: dict[str, dict[str, Any]] = field(default_factory=dict)  # code → name, nation
    regions: dict[str, str] = field(default_factory=dict)  # code → name
    csps: dict[str, tuple[str, str]] = field(default_factory=dict)  # code → (name, force code)
    councils: dict[str, dict[str, Any]] = field(default_factory=dict)  # code → name, force, region
    wards: dict[str, dict[str, Any]] = field(default_factory=dict)  # code → name, council
    constituencies: dict[str, dict[str, Any]] = field(default_factory=dict)  # code → name, name_welsh, ...
    overlaps: dict[tuple[str, str], float] = field(default_factory=dict)  # (constituency, council) → population
    shares: dict[str, dict[str, float]] = field(default_factory=dict)  # constituency → force → share
    has_hexmap: bool = False


def _geography_sources(source: pathlib.Path | Mapping[str, bytes], report: ImportReport) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    if isinstance(source, Mapping):
        for name, data in source.items():
            base = pathlib.PurePath(name).name
            if base in GEOGRAPHY_FILES:
                files[base] = bytes(data)
            else:
                report.warnings.append(f"{base} is not a geography file this import reads; it was ignored")
    else:
        directory = pathlib.Path(source)
        if not directory.is_dir():
            raise ImportValidationError(f"{directory} is not a directory")
        for name in GEOGRAPHY_FILES:
            if (directory / name).is_file():
                files[name] = _read_source(directory / name, name)[0]
    missing = [name for name in REQUIRED_GEOGRAPHY_FILES if name not in files]
    if missing:
        raise ImportValidationError(f"Missing geography files: {', '.join(missing)}")
    return files


def _parse_geography(files: dict[str, bytes], report: ImportReport) -> _Geography:
    geo = _Geography()
    problems: list[str] = []
    tables: dict[str, Table] = {}
    specs = {
        CONSTITUENCIES_FILE: (("PCON24CD", "PCON24NM"), ("PCON24NMW", "ObjectId")),
        FORCES_FILE: (("ltla24_code", "ltla24_name", "csp24_code", "csp24_name", "pfa24_code", "pfa24_name"), ()),
        REGIONS_FILE: (("ltla24_code", "ltla24_name", "region24_code", "region24_name"), ()),
        WARDS_FILE: (("ward24_code", "ward24_name", "ltla24_code"), ("ltla24_name", "n_lsoa21")),
        OVERLAP_FILE: (
            ("PCON24CD", "LAD23", "overlap_pop", "original_pop"),
            ("PARL25", "PCON24NM", "overlap_area", "original_area", "percentage_overlap_area", "percentage_overlap_pop"),
        ),
    }
    for name, (required, optional) in specs.items():
        try:
            tables[name] = _open(files[name], name, required=required, known=(*required, *optional))
        except ImportValidationError as err:
            problems.extend(err.messages)
    if problems:
        raise ImportValidationError(problems)
    rows: dict[str, list[Row]] = {}
    for name, table in tables.items():
        report.warnings.extend(table.warnings)
        try:
            rows[name], errors = table.read_rows()
        except TableError as err:
            problems.extend(err.messages)
            continue
        report.rejected.extend(errors)
    if problems:
        raise ImportValidationError(problems)

    def reject(file: str, row: Row, message: str, column: str | None = None) -> None:
        report.rejected.append(RowError(row.line, message, column=column, file=file))

    def code_ok(file: str, row: Row, column: str, prefixes: tuple[str, ...]) -> str | None:
        code = row[column].strip()
        if not _CODE.match(code) or not code.startswith(prefixes):
            reject(file, row, f"{column} {code!r} is not a valid code (expected {'/'.join(p + '…' for p in prefixes)})", column)
            return None
        return code

    # Councils, community safety partnerships and police forces (England and Wales).
    council_line: dict[str, int] = {}
    for row in rows[FORCES_FILE]:
        lad = code_ok(FORCES_FILE, row, "ltla24_code", ("E06", "E07", "E08", "E09", "W06"))
        csp = code_ok(FORCES_FILE, row, "csp24_code", ("E", "W"))
        pfa = code_ok(FORCES_FILE, row, "pfa24_code", ("E23", "W15"))
        if not (lad and csp and pfa):
            continue
        known = geo.councils.get(lad)
        if known and known["force"] != pfa:
            reject(FORCES_FILE, row, f"council {lad} is already in police force {known['force']} (line {council_line[lad]})", "pfa24_code")
            continue
        geo.forces.setdefault(pfa, {"name": force_display_name(row["pfa24_name"].strip()), "nation": NATIONS[pfa[0]]})
        geo.csps.setdefault(csp, (row["csp24_name"].strip(), pfa))
        if not known:
            council_line[lad] = row.line
            region = NATION_REGIONS[lad[0]][0] if lad[0] in NATION_REGIONS else None
            geo.councils[lad] = {"name": row["ltla24_name"].strip(), "force": pfa, "region": region}
    for prefix, (code, name, nation) in NATIONAL_FORCES.items():
        geo.forces[code] = {"name": name, "nation": nation}
    for code, name in NATION_REGIONS.values():
        geo.regions[code] = name

    # English regions.
    for row in rows[REGIONS_FILE]:
        lad = code_ok(REGIONS_FILE, row, "ltla24_code", ("E",))
        region = code_ok(REGIONS_FILE, row, "region24_code", ("E12",))
        if not (lad and region):
            continue
        if lad not in geo.councils:
            reject(REGIONS_FILE, row, f"council {lad} is not in {FORCES_FILE}", "ltla24_code")
            continue
        geo.regions.setdefault(region, row["region24_name"].strip())
        geo.councils[lad]["region"] = region

    # Wards.
    ward_line: dict[str, int] = {}
    for row in rows[WARDS_FILE]:
        ward = code_ok(WARDS_FILE, row, "ward24_code", ("E05", "W05"))
        lad = row["ltla24_code"].strip()
        if not ward:
            continue
        if lad not in geo.councils:
            reject(WARDS_FILE, row, f"council {lad!r} is not in {FORCES_FILE}", "ltla24_code")
            continue
        if ward in geo.wards:
            reject(WARDS_FILE, row, f"ward {ward} is repeated (first on line {ward_line[ward]})", "ward24_code")
            continue
        ward_line[ward] = row.line
        geo.wards[ward] = {"name": row["ward24_name"].strip(), "council": lad}

    # Constituencies.
    pcon_line: dict[str, int] = {}
    for row in rows[CONSTITUENCIES_FILE]:
        code = code_ok(CONSTITUENCIES_FILE, row, "PCON24CD", ("E14", "W07", "S14", "N05"))
        if not code:
            continue
        if code in geo.constituencies:
            reject(CONSTITUENCIES_FILE, row, f"constituency {code} is repeated (first on line {pcon_line[code]})", "PCON24CD")
            continue
        name = row["PCON24NM"].strip()
        if not name:
            reject(CONSTITUENCIES_FILE, row, "PCON24NM (the name) is empty", "PCON24NM")
            continue
        pcon_line[code] = row.line
        region = NATION_REGIONS[code[0]][0] if code[0] in NATION_REGIONS else None
        geo.constituencies[code] = {"name": name, "name_welsh": row.get("PCON24NMW").strip(), "region": region, "population": None, "hex": None}

    # Constituency × council overlaps → population, council overlap and force shares.
    force_pop: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    slivers = 0
    for row in rows[OVERLAP_FILE]:
        pcon, lad = row["PCON24CD"].strip(), row["LAD23"].strip()
        if pcon not in geo.constituencies:
            reject(OVERLAP_FILE, row, f"constituency {pcon!r} is not in {CONSTITUENCIES_FILE}", "PCON24CD")
            continue
        try:
            overlap_pop, original_pop = float(row["overlap_pop"]), float(row["original_pop"])
        except ValueError:
            reject(OVERLAP_FILE, row, "overlap_pop and original_pop must be numbers", "overlap_pop")
            continue
        if overlap_pop == 0:
            slivers += 1  # a boundary sliver: area but no people (mySociety gives original_pop 0 too)
            continue
        if not (overlap_pop > 0 and original_pop > 0):
            reject(OVERLAP_FILE, row, "overlap_pop and original_pop must not be negative", "overlap_pop")
            continue
        if not _CODE.match(lad):
            reject(OVERLAP_FILE, row, f"LAD23 {lad!r} is not a valid council code", "LAD23")
            continue
        if pcon[:3] in NATIONAL_FORCES:
            force = NATIONAL_FORCES[pcon[:3]][0]
        elif lad in geo.councils:
            force = geo.councils[lad]["force"]
        else:
            reject(OVERLAP_FILE, row, f"council {lad} is not in {FORCES_FILE}, so its police force is not known", "LAD23")
            continue
        geo.constituencies[pcon]["population"] = original_pop
        geo.overlaps[(pcon, lad)] = geo.overlaps.get((pcon, lad), 0.0) + overlap_pop
        if overlap_pop > 0:
            force_pop[pcon][force] += overlap_pop
    if slivers:
        report.notes.append(f"{OVERLAP_FILE}: {slivers} boundary sliver(s) with no population were skipped")
    for pcon, by_force in force_pop.items():
        total = geo.constituencies[pcon]["population"]
        shares = {force: round(pop / total, 6) for force, pop in by_force.items()}
        geo.shares[pcon] = {force: share for force, share in shares.items() if share >= SLIVER_SHARE}
    without = [code for code in geo.constituencies if code not in geo.shares]
    if without:
        report.warnings.append(
            f"{len(without)} constituencies have no population overlap with any council, so no police force: "
            + ", ".join(sorted(without)[:10]) + (" …" if len(without) > 10 else "")
        )

    # English constituencies' region: from the hex map when given, otherwise the region of the
    # council holding most of the constituency's population.
    best_council: dict[str, tuple[float, str]] = {}
    for (pcon, lad), pop in geo.overlaps.items():
        if lad in geo.councils and pop > best_council.get(pcon, (-1.0, ""))[0]:
            best_council[pcon] = (pop, lad)
    for pcon, (_, lad) in best_council.items():
        if pcon.startswith("E"):
            geo.constituencies[pcon]["region"] = geo.councils[lad]["region"]
    if HEXMAP_FILE in files:
        _parse_hexmap(files[HEXMAP_FILE], geo, report)
    return geo


def _parse_hexmap(data: bytes, geo: _Geography, report: ImportReport) -> None:
    try:
        text, _, warnings = decode(data, HEXMAP_FILE)
        hexes = json.loads(text)["hexes"]
        if not isinstance(hexes, dict):
            raise TypeError
    except TableError as err:
        raise ImportValidationError([f"{HEXMAP_FILE}: {m}" for m in err.messages]) from None
    except (ValueError, KeyError, TypeError):
        raise ImportValidationError(f"{HEXMAP_FILE}: is not HexJSON (a JSON object with a \"hexes\" object)") from None
    report.warnings.extend(warnings)
    geo.has_hexmap = True
    unknown: list[str] = []
    for code, cell in hexes.items():
        if code not in geo.constituencies:
            unknown.append(code)
            continue
        try:
            q, r = int(cell["q"]), int(cell["r"])
        except (KeyError, TypeError, ValueError):
            report.warnings.append(f"{HEXMAP_FILE}: hex {code} has no whole-number q and r; it was skipped")
            continue
        geo.constituencies[code]["hex"] = (q, r)
        region = str(cell.get("region", ""))
        if region in geo.regions:
            geo.constituencies[code]["region"] = region
    if unknown:
        report.warnings.append(f"{HEXMAP_FILE}: {len(unknown)} hexes are not constituencies in {CONSTITUENCIES_FILE}: {', '.join(unknown[:10])}")


def import_geography(
    source: pathlib.Path | Mapping[str, bytes],
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    actor: Actor | None = None,
) -> ImportReport:
    """Import police forces, regions, CSPs, councils, wards and constituencies, and their forces.

    ``source`` is a directory holding the files named in :data:`GEOGRAPHY_FILES`, or a mapping of
    those file names to their bytes (an upload). The hex map is optional. All files are checked
    before anything is written, and all are written in one transaction.

    Constituency → force links come from mySociety's constituency × council population overlaps
    and ONS's council → force lookup: a force's share is the population of the constituency living
    in its councils over the constituency's population, forces under :data:`SLIVER_SHARE` are
    dropped, and the largest share is the primary force. Councils, CSPs and wards lie in exactly
    one force (share 1, primary).
    """
    progress = progress or _no_progress
    report = ImportReport(kind="geography", dry_run=dry_run)
    progress("Reading files", 0, 1)
    files = _geography_sources(source, report)
    geo = _parse_geography(files, report)
    progress("Reading files", 1, 1)
    stages = 8
    with transaction.atomic():
        progress("Police forces", 0, stages)
        force_pk = _sync(
            report, "police_forces", PoliceForce, ("code",),
            {code: {"name": f["name"], "nation": f["nation"]} for code, f in geo.forces.items()},
            PoliceForce.objects.filter(code__in=list(geo.forces)),
        )
        existing_areas = {a.code: a for a in Area.objects.filter(code__in=[*geo.regions, *geo.csps, *geo.councils, *geo.wards, *geo.constituencies])}

        def areas(kind: str, area_type: str, desired: dict[str, dict[str, Any]]) -> dict[str, int]:
            for values in desired.values():
                values["slug"] = slugify(values["name"])
                values["area_type"] = area_type
            return _sync(report, kind, Area, ("code",), desired, (existing_areas[c] for c in desired if c in existing_areas))

        progress("Regions", 1, stages)
        region_pk = areas("regions", Area.Type.REGION, {code: {"name": name} for code, name in geo.regions.items()})
        progress("Community safety partnerships", 2, stages)
        csp_pk = areas("csps", Area.Type.CSP, {code: {"name": name} for code, (name, _) in geo.csps.items()})
        progress("Councils", 3, stages)
        council_pk = areas(
            "councils", Area.Type.COUNCIL,
            {code: {"name": c["name"], "region_id": region_pk.get(c["region"])} for code, c in geo.councils.items()},
        )
        progress("Wards", 4, stages)
        ward_pk = areas(
            "wards", Area.Type.WARD,
            {
                code: {"name": w["name"], "parent_id": council_pk[w["council"]], "region_id": region_pk.get(geo.councils[w["council"]]["region"])}
                for code, w in geo.wards.items()
            },
        )
        progress("Constituencies", 5, stages)
        desired_pcon: dict[str, dict[str, Any]] = {}
        for code, c in geo.constituencies.items():
            values = {"name": c["name"], "name_welsh": c["name_welsh"], "region_id": region_pk.get(c["region"]), "population": c["population"]}
            if geo.has_hexmap:
                q_r = c["hex"] or (None, None)
                values.update(hex_q=q_r[0], hex_r=q_r[1])
            desired_pcon[code] = values
        pcon_pk = areas("constituencies", Area.Type.CONSTITUENCY, desired_pcon)

        progress("Police force links", 6, stages)
        links: dict[tuple[int, int], dict[str, Any]] = {}
        for code, (_, force) in geo.csps.items():
            links[(csp_pk[code], force_pk[force])] = {"population_share": 1.0, "is_primary": True}
        for code, c in geo.councils.items():
            links[(council_pk[code], force_pk[c["force"]])] = {"population_share": 1.0, "is_primary": True}
        for code, w in geo.wards.items():
            links[(ward_pk[code], force_pk[geo.councils[w["council"]]["force"]])] = {"population_share": 1.0, "is_primary": True}
        for code, shares in geo.shares.items():
            primary = max(shares, key=lambda f: (shares[f], f))
            for force, share in shares.items():
                links[(pcon_pk[code], force_pk[force])] = {"population_share": share, "is_primary": force == primary}
        area_ids = [*csp_pk.values(), *council_pk.values(), *ward_pk.values(), *pcon_pk.values()]
        _sync(
            report, "area_force_links", AreaForce, ("area_id", "force_id"), links,
            _in_batches(AreaForce.objects.only("id", "area_id", "force_id", "population_share", "is_primary"), "area_id", area_ids),
            delete_missing=True,
        )
        progress("Constituency–council overlaps", 7, stages)
        overlaps = {
            (pcon_pk[pcon], lad): {"council_id": council_pk.get(lad), "population": round(pop, 2)}
            for (pcon, lad), pop in geo.overlaps.items()
        }
        _sync(
            report, "constituency_council_overlaps", ConstituencyCouncilOverlap, ("constituency_id", "council_code"), overlaps,
            ConstituencyCouncilOverlap.objects.filter(constituency_id__in=list(pcon_pk.values())),
            delete_missing=True,
        )
        progress("Done", stages, stages)
        if dry_run:
            transaction.set_rollback(True)
        else:
            _finish(report, actor)
    return report


def _in_batches(qs: models.QuerySet[M], field_name: str, values: list[Any], size: int = 900) -> Iterable[M]:
    """``qs.filter(field__in=values)`` in chunks (SQLite limits the number of query parameters)."""
    for start in range(0, len(values), size):
        yield from qs.filter(**{f"{field_name}__in": values[start : start + size]})


# ---------------------------------------------------------------------------------------------------
# Candidates

DC_CORE_FIELDS = (
    "person_id", "person_name", "election_id", "ballot_paper_id", "election_date", "election_current",
    "party_name", "party_id", "post_label", "cancelled_poll", "seats_contested",
)
# Every column Democracy Club's candidates CSV export can emit (YNR ``data_exports/csv_fields.py``,
# recorded in shared/data/uk/reference/dc_candidates_csv_fields.csv). Facts, kept here so the import
# does not depend on that reference file at run time.
DC_FIELDS = (
    "person_id", "person_name", "honorific_prefix", "honorific_suffix", "election_id", "ballot_paper_id",
    "election_date", "election_current", "by_election", "by_election_reason", "party_name",
    "party_description_text", "sopn_last_name", "sopn_first_names", "legacy_party_id", "party_id",
    "party_list_position", "party_lists_in_use", "gss", "post_id", "post_label", "cancelled_poll",
    "candidates_locked", "nuts1", "seats_contested", "organisation_name", "previous_party_affiliations",
    "votes_cast", "elected", "tied_vote_winner", "rank", "turnout_reported", "spoilt_ballots",
    "total_electorate", "turnout_percentage", "results_source", "email", "facebook_page_url",
    "facebook_personal_url", "homepage_url", "blog_url", "linkedin_url", "party_ppc_page_url",
    "twitter_username", "mastodon_username", "wikipedia_url", "wikidata_id", "youtube_profile",
    "instagram_url", "blue_sky_url", "threads_url", "tiktok_url", "other_url", "mnis_id", "twfy_id",
    "gender", "birth_date", "death_date", "favourite_biscuit", "statement_to_voters",
    "statement_last_updated", "person_last_updated", "image",
)
OI_EXTRA_FIELDS = ("party_key", "pcon24cd")
"""Columns Open Innovations added to DC rows: their short party key and the 2024 constituency code."""
GE2024_LIST_FIELDS = ("person_id", "person_name", "election_id", "party_key", "party_name", "pcon24cd", "post_label", "cancelled_poll")

INDEPENDENT_PARTY_ID = "ynmp-party:2"
"""Democracy Club's party id for independent candidates."""
# Open Innovations party keys that several registered parties share: "other" is every small party,
# "lab" is both Labour and Labour Co-operative (DC: joint-party:53-119), "green" is both the Green
# Party and the Scottish Green Party. Candidates under these keys get a party keyed on its name.
OI_SHARED_KEYS = frozenset({"other", "lab", "green"})

GENDERS = {
    "male": Candidate.Gender.MALE, "m": Candidate.Gender.MALE, "man": Candidate.Gender.MALE,
    "female": Candidate.Gender.FEMALE, "f": Candidate.Gender.FEMALE, "woman": Candidate.Gender.FEMALE,
    "non-binary": Candidate.Gender.NON_BINARY, "nonbinary": Candidate.Gender.NON_BINARY,
    "non binary": Candidate.Gender.NON_BINARY, "non_binary": Candidate.Gender.NON_BINARY,
}
_TRUE = {"t", "true", "yes", "y", "1"}
_FALSE = {"f", "false", "no", "n", "0"}
_ELECTION_TYPE_NAMES = {
    "parl": "UK Parliamentary election", "local": "local elections", "mayor": "mayoral election",
    "pcc": "Police and Crime Commissioner election", "gla": "Greater London Authority election",
}
# Words that organisation names add to the ONS council name ("Birmingham City Council" → Birmingham).
_COUNCIL_WORDS = re.compile(
    r"\b(metropolitan|borough|district|county|city|council|london|royal|of|the|and|unitary|authority|corporation)\b"
)

HOC_GENDER_COLUMNS = ("ONS ID", "Candidate first name", "Candidate surname", "Candidate gender", "DC Person ID")


def party_id_for(party_key: str, party_name: str) -> str:
    """A stable party id for the Open Innovations GE2024 list, which has no Electoral Commission ids."""
    key, name = party_key.strip().lower(), party_name.strip()
    if key == "ind" or name.lower() == "independent":
        return INDEPENDENT_PARTY_ID
    if key and key not in OI_SHARED_KEYS:
        return f"oi:{key}"[:40]
    return _name_party_id(name)


def _name_party_id(name: str) -> str:
    slug = slugify(name) or "unnamed"
    party_id = f"name:{slug}"
    if len(party_id) > 40:
        party_id = f"name:{slug[:25]}-{hashlib.sha1(slug.encode()).hexdigest()[:8]}"
    return party_id


def _council_key(name: str) -> str:
    """``Birmingham City Council``, ``Bristol, City of`` and ``birmingham`` all give the same key."""
    text = slugify(name).replace("-", " ")
    return _COUNCIL_WORDS.sub(" ", text).replace(" ", "") or match_key(name)


def _flag(value: str) -> bool | None:
    value = value.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None


@dataclass
class _Places:
    """Every area the candidates import needs, loaded once."""

    constituency_by_code: dict[str, tuple[int, str]]
    constituency_by_key: dict[str, int]
    council_by_code: dict[str, tuple[int, str]]
    council_by_key: dict[str, int]
    ward_by_code: dict[str, tuple[int, int | None, str]]
    ward_by_key: dict[tuple[int, str], int]
    council_of_constituency: dict[int, int]

    @classmethod
    def load(cls) -> "_Places":
        constituency_by_code: dict[str, tuple[int, str]] = {}
        council_by_code: dict[str, tuple[int, str]] = {}
        ward_by_code: dict[str, tuple[int, int | None, str]] = {}
        rows = Area.objects.filter(area_type__in=[Area.Type.CONSTITUENCY, Area.Type.COUNCIL, Area.Type.WARD])
        for pk, code, name, area_type, parent_id in rows.values_list("pk", "code", "name", "area_type", "parent_id"):
            if area_type == Area.Type.CONSTITUENCY:
                constituency_by_code[code] = (pk, name)
            elif area_type == Area.Type.COUNCIL:
                council_by_code[code] = (pk, name)
            else:
                ward_by_code[code] = (pk, parent_id, name)
        council_by_key: dict[str, int] = {}
        for pk, name in council_by_code.values():
            council_by_key.setdefault(match_key(name), pk)
            council_by_key.setdefault(_council_key(name), pk)
        council_of_constituency: dict[int, int] = {}
        best: dict[int, float] = {}
        overlaps = ConstituencyCouncilOverlap.objects.filter(council__isnull=False)
        for pcon_id, council_id, pop in overlaps.values_list("constituency_id", "council_id", "population"):
            if pop > best.get(pcon_id, -1.0):
                best[pcon_id], council_of_constituency[pcon_id] = pop, council_id
        return cls(
            constituency_by_code=constituency_by_code,
            constituency_by_key={match_key(name): pk for pk, name in constituency_by_code.values()},
            council_by_code=council_by_code,
            council_by_key=council_by_key,
            ward_by_code=ward_by_code,
            ward_by_key={(parent, match_key(name)): pk for pk, parent, name in ward_by_code.values() if parent},
            council_of_constituency=council_of_constituency,
        )

    def council(self, organisation_name: str, org_slug: str) -> int | None:
        for text in (organisation_name, org_slug):
            if text:
                pk = self.council_by_key.get(match_key(text)) or self.council_by_key.get(_council_key(text))
                if pk:
                    return pk
        return None


class _GenderSource:
    """Gender from a House of Commons Library results-by-candidate file, joined on DC person id,
    falling back to (constituency code, name) where DC merged or duplicated a person."""

    def __init__(self, data: bytes, filename: str, report: ImportReport):
        table = _open(data, filename, required=HOC_GENDER_COLUMNS)
        report.warnings.extend(table.warnings)
        try:
            rows, errors = table.read_rows()
        except TableError as err:
            raise ImportValidationError([f"{filename}: {m}" for m in err.messages]) from None
        report.warnings.extend(f"{filename}: {error} (row skipped)" for error in errors)
        self.filename = filename
        self.by_person: dict[str, str] = {}
        self.by_name: dict[tuple[str, str], str] = {}
        self.joined_by_person = self.joined_by_name = self.not_found = 0
        for row in rows:
            gender = GENDERS.get(row["Candidate gender"].strip().lower())
            if gender is None:
                continue
            person = row["DC Person ID"].strip()
            if person:
                self.by_person[person] = gender
            full_name = f"{row['Candidate first name']} {row['Candidate surname']}"
            self.by_name[(row["ONS ID"].strip(), match_key(full_name))] = gender

    def gender_of(self, person_id: str, area_code: str, name: str) -> str | None:
        gender = self.by_person.get(person_id)
        if gender is not None:
            self.joined_by_person += 1
            return gender
        gender = self.by_name.get((area_code, match_key(name)))
        if gender is not None:
            self.joined_by_name += 1
            return gender
        self.not_found += 1
        return None

    def note(self) -> str:
        total = self.joined_by_person + self.joined_by_name + self.not_found
        return (
            f"Gender joined from {self.filename} for {self.joined_by_person + self.joined_by_name:,} of {total:,} candidate rows "
            f"({self.joined_by_person:,} by DC person id, {self.joined_by_name:,} by constituency and name; {self.not_found:,} not found)"
        )


def import_candidates(
    source: pathlib.Path | bytes,
    *,
    filename: str = "",
    gender_from: pathlib.Path | bytes | None = None,
    dry_run: bool = False,
    allow_unknown_columns: bool = False,
    progress: Progress | None = None,
    actor: Actor | None = None,
) -> ImportReport:
    """Import elections, ballots, parties and candidates from a Democracy Club candidates CSV.

    Two layouts are recognised by their header: the DC export (``ballot_paper_id`` and the other
    core columns, any optional DC columns, and Open Innovations' ``party_key``/``pcon24cd``), and
    the Open Innovations GE2024 list (no ballot ids: they are built with ``uk-election-ids``).

    Ballots are placed by ``pcon24cd`` if present, else (parliamentary) by the post label's name,
    using DC's ``gss`` only where its area's name agrees (DC's GE2024 ``gss`` values are stale for
    Scotland), or (local) as the ward of that name in the council named by ``organisation_name`` or
    the election id. A parliamentary ballot's ``council`` is the council holding most of the
    constituency's population: an approximation of the acting returning officer's authority, which
    the files do not give. Candidates missing from the file are left as they are.

    ``gender_from`` is a House of Commons Library results-by-candidate CSV; gender is only ever set,
    never cleared, so importing without it keeps genders joined earlier.
    """
    progress = progress or _no_progress
    report = ImportReport(kind="candidates", dry_run=dry_run)
    data, filename = _read_source(source, filename)
    filename = filename or "candidates.csv"
    try:
        header = read_header(decode(data, filename)[0])
    except TableError as err:
        raise ImportValidationError([f"{filename}: {m}" for m in err.messages]) from None
    is_list = "ballot_paper_id" not in header and "election_date" not in header and ("party_key" in header or "pcon24cd" in header)
    if is_list:
        table = _open(data, filename, required=GE2024_LIST_FIELDS, known=GE2024_LIST_FIELDS, allow_unknown=allow_unknown_columns,
                      unknown_message=UNKNOWN_COLUMNS_MESSAGE)
    else:
        table = _open(data, filename, required=DC_CORE_FIELDS, known=(*DC_FIELDS, *OI_EXTRA_FIELDS), allow_unknown=allow_unknown_columns,
                      unknown_message=UNKNOWN_COLUMNS_MESSAGE)
    report.warnings.extend(table.warnings)
    genders: _GenderSource | None = None
    if gender_from is not None:
        gender_data, gender_name = _read_source(gender_from, "")
        genders = _GenderSource(gender_data, gender_name or "gender file", report)
    progress("Reading rows", 0, 1)
    try:
        rows, errors = table.read_rows()
    except TableError as err:
        raise ImportValidationError(err.messages) from None
    report.rejected.extend(errors)
    progress("Reading rows", 1, 1)

    with transaction.atomic():
        _import_candidate_rows(rows, table, genders, report, progress, format_name="GE2024 list" if is_list else "DC export")
        if genders is not None:
            report.notes.append(genders.note())
        if dry_run:
            transaction.set_rollback(True)
        else:
            _finish(report, actor)
    report.rejected.sort(key=lambda e: e.line)
    return report


def _import_candidate_rows(
    rows: list[Row], table: Table, genders: _GenderSource | None, report: ImportReport, progress: Progress, format_name: str
) -> None:
    columns = set(table.header)
    places = _Places.load()
    if not places.constituency_by_code and not places.council_by_code:
        report.warnings.append("The registry has no constituencies or councils yet: import the geography first")
    report.notes.append(f"{table.filename} read as a {format_name} ({len(rows):,} rows, encoding {table.encoding})")
    elections: dict[str, dict[str, Any]] = {}
    election_decisions: dict[str, Operation] = {}
    ballots: dict[str, dict[str, Any]] = {}
    parties: dict[str, dict[str, Any]] = {}
    people: dict[tuple[str, str], dict[str, Any]] = {}
    first_line: dict[tuple[str, str], int] = {}
    area_codes = {pk: code for code, (pk, _) in places.constituency_by_code.items()}
    has_gender, has_elected = "gender" in columns, "elected" in columns
    unknown_genders = 0

    def reject(row: Row, message: str, column: str | None = None) -> None:
        report.rejected.append(RowError(row.line, message, column=column, file=table.filename))

    total = len(rows)
    for index, row in enumerate(rows):
        if index % 500 == 0:
            progress("Checking rows", index, total)
        value = {name: row.get(name).strip() for name in columns}
        person_id, person_name, election_id = value["person_id"], value["person_name"], value["election_id"].lower()
        if not person_id:
            reject(row, "person_id is missing", "person_id")
            continue
        if len(person_id) > 40:
            reject(row, "person_id is longer than 40 characters", "person_id")
            continue
        if not person_name or len(person_name) > 200:
            reject(row, "person_name is missing" if not person_name else "person_name is longer than 200 characters", "person_name")
            continue
        try:
            builder = IdBuilder.from_id(election_id)
            election_date = date.fromisoformat(value.get("election_date") or builder.date)
        except (ValueError, TypeError) as err:
            reject(row, f"election_id {election_id!r} or its date is not valid ({err})", "election_id")
            continue
        if builder.date != election_date.isoformat():
            reject(row, f"election_date {election_date} does not match the date in election_id {election_id!r}", "election_date")
            continue
        election_type = election_type_of(election_id)
        organisation_name = value.get("organisation_name", "")
        post_label = value["post_label"]
        if not post_label:
            reject(row, "post_label is missing", "post_label")
            continue

        # Place the ballot.
        area_id: int | None = None
        council_id: int | None = None
        if election_type == "parl":
            code = value.get("pcon24cd", "")
            if code:
                area = places.constituency_by_code.get(code)
                if area is None:
                    reject(row, f"no constituency has the code {code!r}", "pcon24cd")
                    continue
                area_id = area[0]
            else:
                gss_area = places.constituency_by_code.get(value.get("gss", ""))
                if gss_area and match_key(gss_area[1]) == match_key(post_label):
                    area_id = gss_area[0]
                else:
                    area_id = places.constituency_by_key.get(match_key(post_label))
                if area_id is None:
                    reject(row, f"no constituency is called {post_label!r}", "post_label")
                    continue
            council_id = places.council_of_constituency.get(area_id)
        elif election_type in ("local", "mayor"):
            decision = operation_for(election_type, organisation_name)
            if decision.operation is Operation.NONE:
                reject(row, f"out of scope: {decision.reason}", "organisation_name")
                continue
            council_id = places.council(organisation_name, builder.organisation or "")
            if council_id is None:
                reject(row, f"no council matches {organisation_name or builder.organisation or election_id!r}", "organisation_name")
                continue
            if election_type == "mayor":
                area_id = council_id
            else:
                ward = places.ward_by_code.get(value.get("gss", ""))
                if ward and ward[1] == council_id and match_key(ward[2]) == match_key(post_label):
                    area_id = ward[0]
                else:
                    area_id = places.ward_by_key.get((council_id, match_key(post_label)))
                if area_id is None:
                    reject(row, f"no ward of this council is called {post_label!r}", "post_label")
                    continue
        else:
            decision = operation_for(election_type, organisation_name)
            if decision.operation is Operation.NONE:
                reject(row, f"out of scope: {decision.reason}", "election_id")
            else:
                reject(row, f"{election_type} elections cannot be placed in an area yet", "election_id")
            continue

        # Ballot id: from the file, or built the Democracy Club way.
        ballot_paper_id = value.get("ballot_paper_id", "").lower()
        if not ballot_paper_id:
            try:
                ballot_paper_id = builder.with_division(post_label).ballot_id
            except ValueError as err:
                reject(row, f"cannot make a ballot id from {post_label!r} ({err})", "post_label")
                continue
        seats = value.get("seats_contested") or "1"
        if not seats.isdigit() or not 0 < int(seats) < 100:
            reject(row, f"seats_contested {seats!r} is not a whole number from 1 to 99", "seats_contested")
            continue
        key = (ballot_paper_id, person_id)
        if key in first_line:
            reject(row, f"duplicate: person {person_id} is already on ballot {ballot_paper_id} (line {first_line[key]})", "person_id")
            continue
        first_line[key] = row.line

        # Election.
        if election_id not in elections:
            if election_type == "parl":
                org_name, organisation_id = "", None
            else:
                organisation_id = council_id
                org_name = organisation_name or next(name for pk, name in places.council_by_code.values() if pk == council_id)
            decision = operation_for(election_type, org_name)
            label = _ELECTION_TYPE_NAMES.get(election_type, f"{election_type} election")
            name = f"{org_name} {label}" if org_name else label
            elections[election_id] = {
                "election_type": election_type,
                "date": election_date,
                "name": f"{name[:1].upper()}{name[1:]}, {election_date.day} {election_date:%B %Y}"[:200],
                "organisation_id": organisation_id,
                "operation": decision.operation.value,
            }
            election_decisions[election_id] = decision.operation
        ballots.setdefault(
            ballot_paper_id,
            {
                "election": election_id,
                "area_id": area_id,
                "council_id": council_id,
                "post_label": post_label[:200],
                "seats_contested": int(seats),
                "cancelled": bool(_flag(value.get("cancelled_poll", ""))),
            },
        )

        # Party.
        party_id = value.get("party_id", "")
        party_name = value.get("party_name", "")
        if not party_id and "party_key" in columns and (value["party_key"] or party_name):
            party_id = party_id_for(value["party_key"], party_name)
        elif not party_id and party_name:
            party_id = INDEPENDENT_PARTY_ID if party_name.lower() == "independent" else _name_party_id(party_name)
        if party_id:
            party_id = party_id[:40]
            parties.setdefault(party_id, {"name": (party_name or party_id)[:200]})

        # Candidate.
        candidate: dict[str, Any] = {"name": person_name, "party": party_id or None}
        gender = GENDERS.get(value.get("gender", "").lower()) if has_gender else None
        if has_gender and gender is None and value["gender"]:
            unknown_genders += 1
        if gender is None and genders is not None:
            gender = genders.gender_of(person_id, area_codes.get(area_id, ""), person_name)
        if gender is not None:
            candidate["gender"] = gender
        if has_elected:
            candidate["elected"] = _flag(value["elected"])
        people[key] = candidate
    progress("Checking rows", total, total)
    if unknown_genders:
        report.warnings.append(
            f"{unknown_genders:,} rows have a gender other than male, female or non-binary; it was not recorded for them"
        )

    progress("Saving", 0, 4)
    party_pk = _sync(report, "parties", Party, ("party_id",), parties, _in_batches(Party.objects.all(), "party_id", list(parties)))
    progress("Saving", 1, 4)
    election_pk = _sync(report, "elections", Election, ("election_id",), elections, Election.objects.filter(election_id__in=list(elections)))
    progress("Saving", 2, 4)
    desired_ballots = {
        ballot_id: {**{k: v for k, v in b.items() if k != "election"}, "election_id": election_pk[b["election"]]}
        for ballot_id, b in ballots.items()
    }
    ballot_pk = _sync(
        report, "ballots", Ballot, ("ballot_paper_id",), desired_ballots,
        _in_batches(Ballot.objects.all(), "ballot_paper_id", list(desired_ballots)),
    )
    progress("Saving", 3, 4)
    desired_people: dict[tuple[int, str], dict[str, Any]] = {}
    for (ballot_id, person_id), c in people.items():
        values = {"name": c["name"], "party_id": party_pk[c["party"]] if c["party"] else None}
        values.update({k: c[k] for k in ("gender", "elected") if k in c})
        desired_people[(ballot_pk[ballot_id], person_id)] = values
    # ``only`` keeps the encrypted contact fields out of the query: they are neither read nor written.
    existing = Candidate.objects.only("id", "ballot_id", "person_id", "name", "party_id", "gender", "elected")
    _sync(
        report, "candidates", Candidate, ("ballot_id", "person_id"), desired_people,
        _in_batches(existing, "ballot_id", list(set(ballot_pk.values()))),
        touch={"updated_at": timezone.now()},
    )
    progress("Saving", 4, 4)


__all__ = [
    "DC_CORE_FIELDS", "DC_FIELDS", "GE2024_LIST_FIELDS", "GEOGRAPHY_FILES", "ImportReport", "ImportValidationError",
    "NATIONAL_FORCES", "SLIVER_SHARE", "import_candidates", "import_geography", "party_id_for",
]
