"""Evidence packs: one incident, or a course of conduct, as a PDF for the police and a ZIP of the files.

A candidate or FEOA exports a pack to hand to the police when reporting on 101 or police.uk. The PDF
carries the timeline, behaviours, offence guidance and an evidence list with each file's SHA-256; the
ZIP carries the PDF, every evidence file at the path the PDF names, ``manifest.csv`` and ``SHA256SUMS``
(``sha256sum -c SHA256SUMS`` checks every file). This module knows nothing of Django: the service
builds the ``Pack`` dataclasses from the database and calls ``render_pdf`` and ``write_zip``.

The page furniture (OFFICIAL-SENSITIVE marking, "Page X of Y", headings, tables), the fonts and the
Unicode handling are shared with the briefing pack and live in :mod:`ballotguard.core.pdf`.

Rules kept here:

* Text typed by users may hold anything. It is normalised (NFC), stripped of control characters other
  than newline and tab, and every character the font cannot draw is replaced (an accent-free letter,
  a ``[name]`` for a symbol such as an emoji, or ``?``); the PDF then says that characters were replaced.
* DejaVu Sans is used when installed in ``FONT_DIR`` (Welsh ŵ and ŷ, Polish Ł, Greek, Cyrillic, Arabic,
  Hebrew); otherwise core Helvetica, which has only Latin-1, so other letters lose their accents.
  fpdf2 shapes text only with uharfbuzz (not installed), so right-to-left text is drawn in logical order.
* Naive datetimes are taken to be UTC. Times are printed as UK time (Europe/London, marked GMT or BST).
* ``write_zip`` hashes each file before adding it and refuses (``ValueError``) a file whose bytes do not
  match the SHA-256 recorded at upload, a file the pack does not list, a listed file not supplied, and
  an unsafe path. The output is written as it goes; on an error it is cut off before the ZIP's central
  directory, so a half-written pack cannot be opened as if whole.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import re
import unicodedata
import zipfile
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime, timezone
from typing import BinaryIO

from ballotguard.core import pdf as _pdf
from ballotguard.core.pdf import (
    BLACK,
    GREY,
    MONTHS,
    NONE_RECORDED,
    NOTE_FILL,
    RED,
    RED_FILL,
    MarkedDocument,
    as_utc,
    clean_text,
    fit_text,
    has_latin1,
    uk_time,
)

__all__ = [
    "Pack",
    "PackEvent",
    "PackEvidence",
    "PackIncident",
    "PackOffence",
    "PackRoute",
    "pack_filename",
    "render_pdf",
    "write_zip",
    "zip_paths",
]


# ---------------------------------------------------------------------------------------------------
# The pack, as the service builds it
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackEvidence:
    filename: str
    kind: str
    size: int
    sha256: str
    uploaded_at: datetime
    uploaded_by: str
    arcname: str  # path of the file inside the ZIP, e.g. "evidence/BG-7K3Q-2M/01-photo.jpg"


@dataclass(frozen=True)
class PackEvent:
    at: datetime
    actor: str
    text: str


@dataclass(frozen=True)
class PackOffence:
    act: str
    section: str
    title: str
    kind: str
    why: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class PackRoute:
    title: str
    why: str
    how: str


@dataclass(frozen=True)
class PackIncident:
    reference: str
    candidate: str
    occurred_at: datetime | None
    place: str
    area: str
    status: str
    behaviours: tuple[str, ...]
    characteristics: tuple[str, ...]
    description: str
    perpetrator: str
    observables: tuple[tuple[str, str], ...]  # (kind label, display value)
    risk_level: str
    risk_reasons: tuple[str, ...]
    crime_reference: str
    routes: tuple[PackRoute, ...]
    offences: tuple[PackOffence, ...]
    timeline: tuple[PackEvent, ...]
    evidence: tuple[PackEvidence, ...]


@dataclass(frozen=True)
class Pack:
    title: str  # "Evidence pack: incident BG-7K3Q-2M" or "Course of conduct: 3 linked incidents"
    generated_at: datetime
    generated_by: str
    incidents: tuple[PackIncident, ...]
    disclaimer: str  # offence guidance is guidance, not legal advice
    # For a pack downloaded in Welsh: a note to the candidate in Welsh and the same note in English, for
    # the officer, on the first page (the rest of the pack is English: see docs/welsh.md).
    cover_note: str = ""
    cover_note_english: str = ""


# ---------------------------------------------------------------------------------------------------
# Wording and constants
# ---------------------------------------------------------------------------------------------------

DANGER_LINE = (
    "In immediate danger, call 999. This pack does not report a crime: "
    "report on 101 or police.uk and give them this pack."
)
MANIFEST_NAME = "manifest.csv"
SUMS_NAME = "SHA256SUMS"
MANIFEST_COLUMNS = ("arcname", "filename", "sha256", "size", "uploaded_at", "uploaded_by", "incident_reference")

# Files already compressed gain nothing from deflate.
STORED_SUFFIXES = frozenset(
    "jpg jpeg png gif webp heic heif avif mp4 m4v mov webm mkv avi mp3 m4a aac ogg oga opus flac "
    "zip gz tgz bz2 xz 7z rar docx xlsx pptx odt ods odp epub".split()
)

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_HEX64 = re.compile(r"[0-9a-f]{64}")

# Where this module's PDFs look for DejaVu Sans: ballotguard.core.pdf's folder unless pointed elsewhere
# (the tests point it at an empty folder to get Helvetica). Read by render_pdf on each call.
FONT_DIR = _pdf.FONT_DIR
FONT_REGULAR, FONT_BOLD = _pdf.FONT_REGULAR, _pdf.FONT_BOLD  # the files looked for there

# The names the shared text and time helpers had when they lived here; the tests still use them.
_strip_controls, _fit, _latin1, _uk = clean_text, fit_text, has_latin1, uk_time


# ---------------------------------------------------------------------------------------------------
# Times, sizes
# ---------------------------------------------------------------------------------------------------


def _moment(when: datetime | None) -> datetime:
    """For sorting: UTC, with an unknown time first."""
    return as_utc(when) if isinstance(when, datetime) else datetime.min.replace(tzinfo=timezone.utc)


def _when(when: datetime | None) -> str:
    """``Wed 12 Jun 2024, 15:03 BST``; ``not known`` for None."""
    if not isinstance(when, datetime):
        return "not known"
    local, zone = uk_time(when)
    return f"{_DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1][:3]} {local.year}, {local:%H:%M} {zone}"


def _generated_when(when: datetime) -> str:
    utc = as_utc(when)
    local, zone = uk_time(utc)
    return (f"{utc.day} {MONTHS[utc.month - 1]} {utc.year} at {utc:%H:%M} UTC "
            f"({local.day} {MONTHS[local.month - 1]} {local.year}, {local:%H:%M} {zone}, UK time)")


def _size(size: int) -> str:
    try:
        size = int(size)
    except (TypeError, ValueError):
        return str(size)
    exact = f"{size:,} byte{'' if size == 1 else 's'}"
    if size < 1024:
        return exact
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            return f"{value:.1f} {unit} ({exact})"
    return exact  # pragma: no cover


# ---------------------------------------------------------------------------------------------------
# Names and paths
# ---------------------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", clean_text(text)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def pack_filename(pack: Pack) -> str:
    """A safe base name for the PDF and ZIP: ``evidence-pack-BG-7K3Q-2M``.

    A course of conduct is named after its first incident: ``evidence-pack-BG-7K3Q-2M-and-2-more``.
    Only ASCII letters, digits and hyphens; at most 100 characters.
    """
    refs = [_slug(i.reference) for i in pack.incidents]
    first = next((r for r in refs if r), "")
    name = "evidence-pack"
    if first:
        name += f"-{first[:60].strip('-')}"
    if len(refs) > 1:
        name += f"-and-{len(refs) - 1}-more"
    return name[:100].strip("-")


_WINDOWS_UNSAFE = re.compile(r'[<>:"|?*]')


def _safe_arcname(arcname: str) -> str:
    """A normalised relative path for a ZIP member, or ValueError when it could escape the folder."""
    raw = arcname if isinstance(arcname, str) else ""
    if not raw.strip():
        raise ValueError(f"evidence path in ZIP is empty: {arcname!r}")
    # Control and format characters (a right-to-left override can disguise "gpj.exe"), as "_".
    raw = "".join("_" if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") else c for c in raw)
    if raw.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", raw):
        raise ValueError(f"evidence path in ZIP must be relative, not absolute: {arcname!r}")
    parts = [p for p in re.split(r"[/\\]", raw) if p not in ("", ".")]
    # Windows drops trailing dots and spaces, so " .. " and "..." are as dangerous as "..".
    if not parts or any(set(p) <= {".", " "} for p in parts):
        raise ValueError(f"evidence path in ZIP must not contain '..' or be blank: {arcname!r}")
    return "/".join(_WINDOWS_UNSAFE.sub("_", unicodedata.normalize("NFC", p)) for p in parts)


def zip_paths(pack: Pack) -> tuple[tuple[str, ...], ...]:
    """The path in the ZIP of each evidence file, per incident, exactly as the PDF and ZIP give it.

    Each ``arcname`` is checked (``ValueError`` for an empty or absolute path, or one with ``..``), has
    control characters and ``<>:"|?*`` replaced by ``_`` and ``\\`` read as ``/``, and is made unique:
    a second ``photo.jpg`` in the same folder (compared without case, as Windows and macOS do) becomes
    ``photo-2.jpg``; the names of the PDF, ``manifest.csv`` and ``SHA256SUMS`` are reserved.
    """
    taken = {f"{pack_filename(pack)}.pdf".casefold(), MANIFEST_NAME.casefold(), SUMS_NAME.casefold()}
    result: list[tuple[str, ...]] = []
    for incident in pack.incidents:
        names: list[str] = []
        for item in incident.evidence:
            name = _safe_arcname(item.arcname)
            if name.casefold() in taken:
                folder, _, leaf = name.rpartition("/")
                stem, dot, suffix = leaf.rpartition(".")
                if not stem:  # no dot, or a name such as ".bashrc"
                    stem, dot, suffix = leaf, "", ""
                n = 2
                while True:
                    candidate = f"{folder + '/' if folder else ''}{stem}-{n}{dot}{suffix}"
                    if candidate.casefold() not in taken:
                        name = candidate
                        break
                    n += 1
            taken.add(name.casefold())
            names.append(name)
        result.append(tuple(names))
    return tuple(result)


# ---------------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------------


def _strings(value: object) -> Iterator[str]:
    """Every str in a pack, however deep."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from _strings(item)
    elif is_dataclass(value):
        for field in fields(value):
            yield from _strings(getattr(value, field.name))


def render_pdf(pack: Pack) -> bytes:
    """The pack as PDF bytes. Deterministic: the same pack gives the same bytes.

    Raises ValueError only for an unsafe evidence path (see ``zip_paths``); any text renders.
    """
    paths = zip_paths(pack)
    incidents = pack.incidents
    multiple = len(incidents) > 1
    pdf = MarkedDocument(pack_filename(pack), font_dir=FONT_DIR)
    note_replaced = any(fit_text(text, pdf.has_glyph)[1] for text in _strings(pack))
    title = clean_text(pack.title).strip() or "Evidence pack"
    pdf.set_title(title)
    pdf.set_creator("Ballotguard")
    pdf.set_lang("en-GB")
    pdf.set_creation_date(as_utc(pack.generated_at))
    pdf.set_draw_color(*GREY)
    pdf.add_page()

    # -- first page ---------------------------------------------------------------------------------
    pdf.font(18, bold=True)
    pdf.multi_cell(pdf.epw, 8, pdf.t(title), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.para(f"Generated by {clean_text(pack.generated_by).strip() or 'unknown'} "
             f"on {_generated_when(pack.generated_at)}.", size=10, after=3)
    pdf.boxed(DANGER_LINE, size=12.5, bold=True, colour=RED, fill=RED_FILL, border=RED)
    if clean_text(pack.cover_note).strip():
        pdf.boxed(pack.cover_note, size=10.5, bold=False, colour=BLACK, fill=NOTE_FILL)
        if clean_text(pack.cover_note_english).strip():
            pdf.para(f"In English: {pack.cover_note_english}", size=9, colour=GREY, after=3)
    files = sum(len(i.evidence) for i in incidents)
    pdf.para(
        f"This pack covers {len(incidents)} incident{'' if len(incidents) == 1 else 's'} and lists "
        f"{files} evidence file{'' if files == 1 else 's'}. The files are in the ZIP that came with this "
        "PDF, at the path given for each; their SHA-256 hashes are printed here and in the file "
        "SHA256SUMS, so anyone can check no file has changed since it was uploaded "
        "(sha256sum -c SHA256SUMS). Times are UK time (Europe/London, GMT or BST).",
        size=9, colour=GREY, after=1,
    )
    if note_replaced:
        pdf.para("Some characters that people typed (for example emoji, or letters this PDF's font cannot "
                 "show) are replaced by ? or a [description]. The original text is held in Ballotguard.",
                 size=9, colour=GREY, after=1)
    pdf.heading("Incidents in this pack", size=13)
    pdf.grid(
        ("Reference", "Date", "Place", "Risk", "Crime reference"),
        (24, 36, 36, 16, 28),
        [(i.reference, _when(i.occurred_at), i.place, i.risk_level,
          clean_text(i.crime_reference).strip() or NONE_RECORDED) for i in incidents],
        size=8.5, empty="No incidents.",
    )

    if multiple:
        pdf.heading("Combined timeline of the course of conduct", size=13)
        events: list[tuple[datetime, int, str, str, str]] = []
        for n, incident in enumerate(incidents):
            if isinstance(incident.occurred_at, datetime):
                what = "; ".join(clean_text(b) for b in incident.behaviours) or "Incident"
                where = clean_text(incident.place).strip()
                events.append((as_utc(incident.occurred_at), n, incident.reference, "(incident happened)",
                               f"{what}{f' ({where})' if where else ''}"))
            for event in incident.timeline:
                events.append((_moment(event.at), n, incident.reference, event.actor, event.text))
        events.sort(key=lambda e: (e[0], e[1]))
        pdf.grid(("Time", "Incident", "Who", "What"), (26, 20, 24, 70),
                 [(_when(at if at.year > 1 else None), ref, who, what) for at, _, ref, who, what in events],
                 empty="No events recorded.")

    # -- each incident ------------------------------------------------------------------------------
    for incident, names in zip(incidents, paths):
        pdf.add_page()
        pdf.font(16, bold=True)
        pdf.multi_cell(pdf.epw, 7, pdf.t(f"Incident {incident.reference}"), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.fields((
            ("Candidate", incident.candidate),
            ("Status", incident.status),
            ("Crime reference", clean_text(incident.crime_reference).strip() or NONE_RECORDED),
        ))

        pdf.heading("What happened")
        pdf.fields((("Date", _when(incident.occurred_at)), ("Place", incident.place), ("Area", incident.area)))
        pdf.para("Behaviours", bold=True, after=0.5)
        pdf.bullets(incident.behaviours)
        pdf.para("Targeted characteristics", bold=True, after=0.5)
        pdf.bullets(incident.characteristics)

        pdf.heading("Description")
        pdf.para(clean_text(incident.description).strip() or NONE_RECORDED)

        pdf.heading("Perpetrator and observables")
        pdf.para(clean_text(incident.perpetrator).strip() or "Not known.")
        pdf.grid(("What", "Detail"), (30, 70), [(kind, value) for kind, value in incident.observables],
                 size=8.5, empty="No observables recorded (usernames, phone numbers, vehicles, ...).")

        pdf.heading("Risk")
        pdf.para(f"Risk level: {clean_text(incident.risk_level).strip() or 'not assessed'}", size=11,
                 bold=True, colour=RED if "high" in str(incident.risk_level).lower() else BLACK)
        pdf.bullets(incident.risk_reasons, empty="No reasons recorded.")

        pdf.heading("Where to report")
        if not incident.routes:
            pdf.para("Report on 101 or police.uk; in immediate danger, call 999.")
        for route in incident.routes:
            pdf.para(route.title, size=10.5, bold=True, after=0.5)
            pdf.para(route.why, after=0.5)
            pdf.para(route.how, colour=GREY, after=2.5)

        pdf.heading("Offences that may apply")
        if not incident.offences:
            pdf.para("The guidance suggests no specific offence for this incident.")
        for offence in incident.offences:
            kind = clean_text(offence.kind).strip()
            pdf.para(f"{clean_text(offence.title).strip()}{f' ({kind})' if kind else ''}", size=10.5,
                     bold=True, after=0.5)
            where = ", ".join(x for x in (clean_text(offence.act).strip(),
                                          clean_text(offence.section).strip()) if x)
            if where:
                pdf.para(where, colour=GREY, after=0.5)
            pdf.para(offence.why, after=0.5)
            pdf.para("Evidence the police will want:", size=9.5, bold=True, after=0.3)
            pdf.bullets(offence.evidence, size=9.5, indent=3, empty="none listed")
        if clean_text(pack.disclaimer).strip():
            pdf.boxed(pack.disclaimer, size=9, bold=False, colour=BLACK, fill=NOTE_FILL)

        pdf.heading("Timeline")
        pdf.grid(("Time", "Who", "What"), (26, 24, 90),
                 [(_when(e.at), e.actor, e.text) for e in sorted(incident.timeline, key=lambda e: _moment(e.at))],
                 empty="No events recorded.")

        pdf.heading("Evidence")
        rows: list[Sequence[object] | str] = []
        for item, name in zip(incident.evidence, names):
            rows.append((item.filename, item.kind, _size(item.size),
                         f"{_when(item.uploaded_at)}\n{clean_text(item.uploaded_by)}", name))
            rows.append(f"SHA-256: {clean_text(item.sha256).strip().lower()}")
        pdf.grid(("File name", "Type", "Size", "Uploaded at / by", "Path in ZIP"), (30, 16, 20, 30, 44), rows,
                 empty="No evidence files attached.", keep=2)
    return bytes(pdf.output())


# ---------------------------------------------------------------------------------------------------
# ZIP
# ---------------------------------------------------------------------------------------------------


def _zip_time(when: datetime) -> tuple[int, int, int, int, int, int]:
    local, _ = uk_time(when)
    if local.year < 1980:
        return (1980, 1, 1, 0, 0, 0)
    if local.year > 2107:
        return (2107, 12, 31, 23, 59, 58)
    return (local.year, local.month, local.day, local.hour, local.minute, local.second)


def _member(name: str, when: datetime, store: bool = True) -> zipfile.ZipInfo:
    """A ZIP member; ``store`` leaves already-compressed media uncompressed."""
    info = zipfile.ZipInfo(name, date_time=_zip_time(when))
    info.create_system = 3  # Unix, so the permissions below apply
    info.external_attr = 0o100644 << 16
    suffix = name.rpartition(".")[2].lower() if "." in name.rpartition("/")[2] else ""
    stored = store and suffix in STORED_SUFFIXES
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    return info


def _csv_cell(value: object) -> str:
    """A cell for the manifest; a leading = + - @ is quoted so a spreadsheet shows it, not runs it."""
    text = clean_text(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


class _Gate:
    """``out`` as ZipFile sees it, and a way to cut it off so that nothing more reaches it.

    When ``out`` cannot seek, ZipFile streams: each member is followed by a data descriptor.
    """

    def __init__(self, out: BinaryIO) -> None:
        self.out: BinaryIO | None = out
        try:
            self.seekable = bool(out.seekable()) and out.tell() >= 0
        except (AttributeError, OSError, ValueError):
            self.seekable = False
        self.position = out.tell() if self.seekable else 0

    def write(self, data: bytes) -> int:
        if self.out is not None:
            self.out.write(data)
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if not self.seekable:
            raise OSError("output cannot seek")
        if self.out is not None:
            self.position = self.out.seek(offset, whence)
        elif whence == io.SEEK_SET:
            self.position = offset
        return self.position

    def flush(self) -> None:
        if self.out is not None and hasattr(self.out, "flush"):
            self.out.flush()

    def cut(self) -> None:
        self.out = None


def write_zip(pack: Pack, pdf: bytes, files: Iterable[tuple[PackEvidence, bytes]], out: BinaryIO) -> None:
    """Stream the ZIP of the pack to ``out``: the PDF, each evidence file, manifest.csv and SHA256SUMS.

    ``files`` gives each evidence file of the pack once, with its bytes, in any order; they are read one
    at a time and each is written before the next is read. ``out`` needs only ``write`` (and ``flush``);
    it is not closed. Raises ValueError, naming the file, when a file's bytes do not match its recorded
    SHA-256, when a file is not in the pack or is given twice, when a file of the pack is missing, and for
    an unsafe path (see ``zip_paths``). On any error nothing more is written: the output lacks the ZIP's
    central directory, so it cannot be opened as a pack by mistake; throw it away.
    """
    paths = zip_paths(pack)
    slots: dict[PackEvidence, deque[tuple[int, str, str]]] = defaultdict(deque)
    order = 0
    for incident, names in zip(pack.incidents, paths):
        for item, name in zip(incident.evidence, names):
            slots[item].append((order, name, incident.reference))
            order += 1
    pdf_name = f"{pack_filename(pack)}.pdf"
    added: list[tuple[int, str, str, tuple[str, ...]]] = []  # (order, name, sha256, manifest row)

    gate = _Gate(out)
    archive = zipfile.ZipFile(gate, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
    try:
        archive.writestr(_member(pdf_name, pack.generated_at), pdf)
        for item, data in files:
            label = repr(clean_text(getattr(item, "filename", item)))
            queue = slots.get(item)
            if queue is None:
                raise ValueError(f"evidence file {label} is not listed in this pack")
            if not queue:
                raise ValueError(f"evidence file {label} was given more than once")
            recorded = clean_text(item.sha256).strip().lower()
            if not _HEX64.fullmatch(recorded):
                raise ValueError(f"evidence file {label} has no valid SHA-256 recorded ({item.sha256!r})")
            actual = hashlib.sha256(data).hexdigest()
            if actual != recorded:
                raise ValueError(
                    f"evidence file {label} does not match its recorded SHA-256 "
                    f"(recorded {recorded}, file now {actual}): not adding an altered file"
                )
            index, name, reference = queue.popleft()
            # Streaming readers cannot find the end of a stored member followed by a data descriptor,
            # so when the output cannot seek everything is deflated.
            archive.writestr(_member(name, item.uploaded_at, store=gate.seekable), data)
            added.append((index, name, actual, (name, item.filename, actual, str(len(data)),
                                                as_utc(item.uploaded_at).isoformat(), item.uploaded_by, reference)))
            del data

        missing = [name for queue in slots.values() for _, name, _ in queue]
        if missing:
            raise ValueError(f"{len(missing)} of {order} evidence files were not supplied: {', '.join(missing)}")
        added.sort()

        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(MANIFEST_COLUMNS)
        writer.writerows([_csv_cell(v) for v in row] for *_, row in added)
        manifest = ("\ufeff" + buffer.getvalue()).encode("utf-8")  # with a BOM, Excel reads UTF-8 names right
        archive.writestr(_member(MANIFEST_NAME, pack.generated_at), manifest)

        sums = [(hashlib.sha256(pdf).hexdigest(), pdf_name)]
        sums += [(digest, name) for _, name, digest, _ in added]
        sums.append((hashlib.sha256(manifest).hexdigest(), MANIFEST_NAME))
        listing = "".join(f"{digest}  {name}\n" for digest, name in sums).encode("utf-8")
        archive.writestr(_member(SUMS_NAME, pack.generated_at), listing)
        archive.close()
    except BaseException:
        # Closing would write the central directory and make a truncated pack look whole: cut the
        # output off first, so what was written cannot be opened as a ZIP at all.
        gate.cut()
        with contextlib.suppress(Exception):
            archive.close()
        raise
