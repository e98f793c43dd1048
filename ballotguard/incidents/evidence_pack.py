"""Evidence packs: one incident, or a course of conduct, as a PDF for the police and a ZIP of the files.

A candidate or FEOA exports a pack to hand to the police when reporting on 101 or police.uk. The PDF
carries the timeline, behaviours, offence guidance and an evidence list with each file's SHA-256; the
ZIP carries the PDF, every evidence file at the path the PDF names, ``manifest.csv`` and ``SHA256SUMS``
(``sha256sum -c SHA256SUMS`` checks every file). This module knows nothing of Django: the service
builds the ``Pack`` dataclasses from the database and calls ``render_pdf`` and ``write_zip``.

Rules kept here:

* Text typed by users may hold anything. It is normalised (NFC), stripped of control characters other
  than newline and tab, and every character the font cannot draw is replaced (an accent-free letter,
  a ``[name]`` for a symbol such as an emoji, or ``?``); the PDF then says that characters were replaced.
* DejaVu Sans is used when installed (Welsh ŵ and ŷ, Polish Ł, Greek, Cyrillic, Arabic, Hebrew);
  otherwise core Helvetica, which has only Latin-1, so other letters lose their accents.
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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO

from fpdf import FPDF
from fpdf.enums import MethodReturnValue

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


# ---------------------------------------------------------------------------------------------------
# Wording and constants
# ---------------------------------------------------------------------------------------------------

MARKING = "OFFICIAL-SENSITIVE"
DANGER_LINE = (
    "In immediate danger, call 999. This pack does not report a crime: "
    "report on 101 or police.uk and give them this pack."
)
NONE_RECORDED = "none recorded"
MANIFEST_NAME = "manifest.csv"
SUMS_NAME = "SHA256SUMS"
MANIFEST_COLUMNS = ("arcname", "filename", "sha256", "size", "uploaded_at", "uploaded_by", "incident_reference")

# Where DejaVu Sans lives on Debian and Ubuntu (package fonts-dejavu-core). Tests point this elsewhere.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_REGULAR = "DejaVuSans.ttf"
FONT_BOLD = "DejaVuSans-Bold.ttf"

# Files already compressed gain nothing from deflate.
STORED_SUFFIXES = frozenset(
    "jpg jpeg png gif webp heic heif avif mp4 m4v mov webm mkv avi mp3 m4a aac ogg oga opus flac "
    "zip gz tgz bz2 xz 7z rar docx xlsx pptx odt ods odp epub".split()
)

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TOTAL_PAGES = "\x00#\x00"  # fpdf2 alias for the page count, 3 digits wide (see _Doc)


# ---------------------------------------------------------------------------------------------------
# Text cleaning
# ---------------------------------------------------------------------------------------------------

# Characters dropped silently: variation selectors, emoji skin-tone modifiers and tag characters.
_DROP_RANGES = ((0xFE00, 0xFE0F), (0xE0100, 0xE01EF), (0x1F3FB, 0x1F3FF), (0xE0000, 0xE007F))

# Closest stand-ins for characters without a compatibility decomposition, used only when the font
# lacks the character itself.
_STAND_INS = {
    "Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i",
    "Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "ß": "ss", "Þ": "Th", "þ": "th", "ð": "d", "Ŧ": "T", "ŧ": "t",
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"',
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-", "•": "-", "·": "-",
    "…": "...", "€": "EUR", "£": "GBP", "→": "->", "←": "<-", "⇒": "=>", "✓": "v", "✔": "v", "✗": "x",
    "«": '"', "»": '"', "‹": "'", "›": "'",
}


_ASCII_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _strip_controls(text: object) -> str:
    """Text as a str: NFC, line breaks as ``\\n``, no control, format or surrogate characters except tab."""
    if text is None:
        return ""
    text = str(text).replace("\r\n", "\n")
    if text.isascii():  # the usual case, quickly
        return _ASCII_CONTROLS.sub("", text.replace("\r", "\n").replace("\x0b", "\n").replace("\x0c", "\n"))
    text = unicodedata.normalize("NFC", text)
    out: list[str] = []
    for ch in text:
        if ch in "\n\t":
            out.append(ch)
            continue
        code = ord(ch)
        if any(lo <= code <= hi for lo, hi in _DROP_RANGES):
            continue
        cat = unicodedata.category(ch)
        if cat in ("Zl", "Zp") or ch in "\r\x0b\x0c\x85":
            out.append("\n")
        elif cat in ("Cc", "Cf", "Cs"):
            continue
        else:
            out.append(ch)
    return "".join(out)


def _fit(text: object, has: Callable[[str], bool]) -> tuple[str, bool]:
    """Text a font can draw: cleaned, tabs as spaces, missing characters replaced.

    Returns the text and whether any character had to be replaced.
    """
    cleaned = _strip_controls(text).replace("\t", "    ")
    if cleaned.isascii():  # printable ASCII and newlines: both fonts have them all
        return cleaned, False
    out: list[str] = []
    replaced = False
    for ch in cleaned:
        if ch == "\n" or has(ch):
            out.append(ch)
            continue
        replaced = True
        out.append(_stand_in(ch, has))
    return "".join(out), replaced


def _stand_in(ch: str, has: Callable[[str], bool]) -> str:
    if unicodedata.category(ch) == "Zs":
        return " "
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if base and base != ch and all(has(c) for c in base):
        return base
    simple = _STAND_INS.get(ch)
    if simple is not None and all(has(c) for c in simple):
        return simple
    if unicodedata.category(ch).startswith("S"):
        name = unicodedata.name(ch, "")
        if name and all(has(c) for c in name):
            return f"[{name.lower()}]"
    return "?"


def _latin1(ch: str) -> bool:
    return 0x20 <= ord(ch) <= 0x7E or 0xA0 <= ord(ch) <= 0xFF and ch != "\xad"


# ---------------------------------------------------------------------------------------------------
# Times, sizes
# ---------------------------------------------------------------------------------------------------


def _as_utc(when: datetime) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        return when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def _moment(when: datetime | None) -> datetime:
    """For sorting: UTC, with an unknown time first."""
    return _as_utc(when) if isinstance(when, datetime) else datetime.min.replace(tzinfo=timezone.utc)


def _uk(when: datetime) -> tuple[datetime, str]:
    """UK local time of a moment, and the zone's abbreviation (GMT or BST)."""
    utc = _as_utc(when)
    try:
        from zoneinfo import ZoneInfo

        local = utc.astimezone(ZoneInfo("Europe/London"))
        return local, local.tzname() or "UK time"
    except Exception:  # no time zone database (zoneinfo raises several types): the rule since 1996
        year = utc.year
        start = _last_sunday(year, 3).replace(hour=1, tzinfo=timezone.utc)
        end = _last_sunday(year, 10).replace(hour=1, tzinfo=timezone.utc)
        if start <= utc < end:
            return (utc + timedelta(hours=1)).replace(tzinfo=None), "BST"
        return utc.replace(tzinfo=None), "GMT"


def _last_sunday(year: int, month: int) -> datetime:
    day = datetime(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - 6) % 7)


def _when(when: datetime | None) -> str:
    """``Wed 12 Jun 2024, 15:03 BST``; ``not known`` for None."""
    if not isinstance(when, datetime):
        return "not known"
    local, zone = _uk(when)
    return f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1][:3]} {local.year}, {local:%H:%M} {zone}"


def _generated_when(when: datetime) -> str:
    utc = _as_utc(when)
    local, zone = _uk(utc)
    return (f"{utc.day} {_MONTHS[utc.month - 1]} {utc.year} at {utc:%H:%M} UTC "
            f"({local.day} {_MONTHS[local.month - 1]} {local.year}, {local:%H:%M} {zone}, UK time)")


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
    text = unicodedata.normalize("NFKD", _strip_controls(text)).encode("ascii", "ignore").decode("ascii")
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

_GREY = (80, 80, 80)
_BLACK = (11, 12, 12)
_RED = (170, 30, 20)
_RED_FILL = (252, 233, 230)
_HEAD_FILL = (230, 232, 234)
_NOTE_FILL = (243, 242, 241)
_PT = 25.4 / 72  # millimetres in a point


class _Doc(FPDF):
    """A4 portrait with the security marking top and bottom and "Page X of Y" in the footer."""

    def __init__(self, footer_note: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_note = footer_note
        # The total page count is filled in at the end, in place of this alias. Text typed by users
        # cannot contain it (NUL is stripped), so a "{nb}" they typed stays "{nb}".
        self.alias_nb_pages(_TOTAL_PAGES, align="L")
        self.set_margins(15, 18, 15)
        self.set_auto_page_break(True, margin=18)
        self.family = "helvetica"
        self.has_glyph: Callable[[str], bool] = _latin1
        self.bullet = "-"
        regular, bold = FONT_DIR / FONT_REGULAR, FONT_DIR / FONT_BOLD
        if regular.is_file():
            try:
                self.add_font("dejavusans", "", str(regular))
                self.add_font("dejavusans", "B", str(bold if bold.is_file() else regular))
            except Exception:  # an unreadable font file: Helvetica still gives a usable pack
                return
            cmaps = [self.fonts["dejavusans"].cmap, self.fonts["dejavusansB"].cmap]  # type: ignore[union-attr]
            self.family = "dejavusans"
            self.has_glyph = lambda ch: ch == " " or all(ord(ch) in cmap for cmap in cmaps)
            self.bullet = "•" if self.has_glyph("•") else "-"

    # -- text -------------------------------------------------------------------------------------

    def t(self, text: object) -> str:
        return _fit(text, self.has_glyph)[0]

    def font(self, size: float = 10, bold: bool = False, colour: tuple[int, int, int] = _BLACK) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.set_text_color(*colour)

    # -- page furniture ---------------------------------------------------------------------------

    def header(self) -> None:
        self.font(8, bold=True, colour=_BLACK)
        self.set_xy(self.l_margin, 7)
        self.cell(self.epw, 4, MARKING, align="C")
        self.set_xy(self.l_margin, self.t_margin)

    def footer(self) -> None:
        y = self.h - 12
        self.set_draw_color(*_GREY)
        self.set_line_width(0.2)
        self.line(self.l_margin, y - 1.5, self.w - self.r_margin, y - 1.5)
        self.font(8, bold=True)
        self.set_xy(self.l_margin, y)
        self.cell(self.epw / 4, 4, MARKING)
        self.font(7.5, colour=_GREY)
        self.set_xy(self.l_margin + self.epw / 4, y)
        self.cell(self.epw / 2, 4, self.t(self.footer_note), align="C")
        self.font(8)
        self.set_xy(self.l_margin + self.epw * 3 / 4, y)
        self.cell(self.epw / 4, 4, f"Page {self.page_no()} of {_TOTAL_PAGES}", align="R")

    # -- blocks -----------------------------------------------------------------------------------

    def room(self) -> float:
        return self.page_break_trigger - self.get_y()

    def need(self, height: float) -> None:
        if self.room() < height:
            self.add_page()

    def heading(self, text: str, size: float = 13, space_after: float = 1.5) -> None:
        self.need(size * _PT * 1.4 + 22)  # keep a heading with the first lines under it
        self.ln(3)
        self.font(size, bold=True)
        self.multi_cell(self.epw, size * _PT * 1.35, self.t(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(space_after)

    def para(self, text: object, size: float = 10, bold: bool = False, colour: tuple[int, int, int] = _BLACK,
             indent: float = 0, after: float = 1.5) -> None:
        self.font(size, bold=bold, colour=colour)
        self.set_x(self.l_margin + indent)
        self.multi_cell(self.epw - indent, size * _PT * 1.35, self.t(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(after)

    def bullets(self, items: Sequence[object], size: float = 10, indent: float = 0,
                empty: str = NONE_RECORDED) -> None:
        items = [i for i in items if _strip_controls(i).strip()]
        if not items:
            self.para(empty, size=size, colour=_GREY, indent=indent)
            return
        line = size * _PT * 1.35
        for item in items:
            self.font(size)
            if self.room() < line:
                self.add_page()
            y = self.get_y()
            self.set_xy(self.l_margin + indent, y)
            self.cell(5, line, self.bullet)
            self.set_xy(self.l_margin + indent + 5, y)
            self.multi_cell(self.epw - indent - 5, line, self.t(item), align="L", new_x="LMARGIN", new_y="NEXT")
            self.ln(0.8)
        self.ln(0.7)

    def fields(self, rows: Sequence[tuple[str, object]], size: float = 10, label_w: float = 38) -> None:
        """Label and value side by side; a long value wraps and carries on over the page."""
        line = size * _PT * 1.35
        for label, value in rows:
            self.need(line)
            y = self.get_y()
            self.font(size, bold=True)
            self.set_xy(self.l_margin, y)
            self.multi_cell(label_w - 2, line, self.t(label), align="L", new_x="LMARGIN", new_y="NEXT")
            label_end = (self.page, self.get_y())
            self.set_xy(self.l_margin + label_w, y)
            self.font(size)
            value_text = self.t(value)
            if not value_text.strip():
                self.set_text_color(*_GREY)
                value_text = NONE_RECORDED
            self.multi_cell(self.epw - label_w, line, value_text, align="L", new_x="LMARGIN", new_y="NEXT")
            if (self.page, self.get_y()) < label_end:
                self.set_y(label_end[1])
            self.ln(0.8)
        self.ln(1)

    def boxed(self, text: object, size: float, bold: bool, colour: tuple[int, int, int],
              fill: tuple[int, int, int], border: tuple[int, int, int] | None = None) -> None:
        self.font(size, bold=bold, colour=colour)
        self.set_fill_color(*fill)
        if border is not None:
            self.set_draw_color(*border)
            self.set_line_width(0.6)
        self.multi_cell(self.epw, size * _PT * 1.4, self.t(text), border=1 if border else 0, fill=True,
                        padding=(2.5, 3), align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_line_width(0.2)
        self.set_draw_color(*_GREY)
        self.ln(2)

    def grid(self, headers: Sequence[str], widths: Sequence[float], rows: Sequence[Sequence[object] | str],
             size: float = 8, empty: str = NONE_RECORDED, keep: int = 1) -> None:
        """A bordered table whose header repeats on each page and whose rows may run over pages.

        A row is a sequence with one value per column, or a str drawn shaded across all columns.
        Each run of ``keep`` rows stays on one page when it can. fpdf2's own ``table()`` refuses a row
        taller than a page, and text typed by users can be that long.
        """
        if not rows:
            self.para(empty, size=size + 1, colour=_GREY)
            return
        total = float(sum(widths))
        col_w = [self.epw * w / total for w in widths]
        col_x = [self.l_margin + sum(col_w[:i]) for i in range(len(col_w))]
        line = size * _PT * 1.3
        pad = 1.0
        self.set_line_width(0.2)
        self.set_draw_color(*_GREY)
        Cells = list[tuple[float, float, list[str]]]

        def split(text: object, width: float, bold: bool = False) -> list[str]:
            self.font(size, bold=bold)
            lines = self.multi_cell(width, line, self.t(text), dry_run=True, output=MethodReturnValue.LINES)
            return list(lines) or [""]

        def draw(cells: Cells, start: int, count: int, bold: bool = False,
                 fill: tuple[int, int, int] | None = None) -> None:
            y = self.get_y()
            height = count * line + 2 * pad
            for x, w, lines in cells:
                if fill is not None:
                    self.set_fill_color(*fill)
                self.rect(x, y, w, height, style="DF" if fill is not None else "D")
                self.font(size, bold=bold)
                for j, text in enumerate(lines[start:start + count]):
                    self.set_xy(x, y + pad + j * line)
                    self.cell(w, line, text)
            self.set_xy(self.l_margin, y + height)

        head = [(x, w, split(h, w, bold=True)) for x, w, h in zip(col_x, col_w, headers)]
        head_lines = max(len(c[2]) for c in head)
        head_h = head_lines * line + 2 * pad
        body: list[tuple[Cells, tuple[int, int, int] | None]] = []
        for row in rows:
            if isinstance(row, str):
                body.append(([(self.l_margin, self.epw, split(row, self.epw))], _NOTE_FILL))
            else:
                body.append(([(x, w, split(v, w)) for x, w, v in zip(col_x, col_w, row)], None))
        heights = [max(len(c[2]) for c in cells) for cells, _ in body]
        page_room = self.page_break_trigger - self.t_margin - head_h

        def new_page() -> None:
            self.add_page()
            draw(head, 0, head_lines, bold=True, fill=_HEAD_FILL)

        if self.room() < head_h + 2 * line + 2 * pad:
            self.add_page()
        draw(head, 0, head_lines, bold=True, fill=_HEAD_FILL)
        fresh = True  # nothing under the header yet on this page
        for index, ((cells, fill), height) in enumerate(zip(body, heights)):
            if keep > 1 and index % keep == 0 and not fresh:
                group = sum(n * line + 2 * pad for n in heights[index:index + keep])
                if self.room() < group <= page_room:
                    new_page()
            start = 0
            while start < height:
                left = height - start
                fit = max(0, int((self.room() - 2 * pad + 1e-6) // line))
                if fit >= left:
                    draw(cells, start, left, fill=fill)
                    break
                if not fresh and ((start == 0 and left * line + 2 * pad <= page_room) or fit < 3):
                    new_page()  # keep a short row whole, and leave no sliver of a long one at the foot
                    fresh = True
                    continue
                fit = max(fit, 1)
                draw(cells, start, fit, fill=fill)
                start += fit
                new_page()
                fresh = True
            fresh = False
        self.ln(3)


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
    pdf = _Doc(pack_filename(pack))
    note_replaced = any(_fit(text, pdf.has_glyph)[1] for text in _strings(pack))
    title = _strip_controls(pack.title).strip() or "Evidence pack"
    pdf.set_title(title)
    pdf.set_creator("Ballotguard")
    pdf.set_lang("en-GB")
    pdf.set_creation_date(_as_utc(pack.generated_at))
    pdf.set_draw_color(*_GREY)
    pdf.add_page()

    # -- first page ---------------------------------------------------------------------------------
    pdf.font(18, bold=True)
    pdf.multi_cell(pdf.epw, 8, pdf.t(title), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.para(f"Generated by {_strip_controls(pack.generated_by).strip() or 'unknown'} "
             f"on {_generated_when(pack.generated_at)}.", size=10, after=3)
    pdf.boxed(DANGER_LINE, size=12.5, bold=True, colour=_RED, fill=_RED_FILL, border=_RED)
    files = sum(len(i.evidence) for i in incidents)
    pdf.para(
        f"This pack covers {len(incidents)} incident{'' if len(incidents) == 1 else 's'} and lists "
        f"{files} evidence file{'' if files == 1 else 's'}. The files are in the ZIP that came with this "
        "PDF, at the path given for each; their SHA-256 hashes are printed here and in the file "
        "SHA256SUMS, so anyone can check no file has changed since it was uploaded "
        "(sha256sum -c SHA256SUMS). Times are UK time (Europe/London, GMT or BST).",
        size=9, colour=_GREY, after=1,
    )
    if note_replaced:
        pdf.para("Some characters that people typed (for example emoji, or letters this PDF's font cannot "
                 "show) are replaced by ? or a [description]. The original text is held in Ballotguard.",
                 size=9, colour=_GREY, after=1)
    pdf.heading("Incidents in this pack", size=13)
    pdf.grid(
        ("Reference", "Date", "Place", "Risk", "Crime reference"),
        (24, 36, 36, 16, 28),
        [(i.reference, _when(i.occurred_at), i.place, i.risk_level,
          _strip_controls(i.crime_reference).strip() or NONE_RECORDED) for i in incidents],
        size=8.5, empty="No incidents.",
    )

    if multiple:
        pdf.heading("Combined timeline of the course of conduct", size=13)
        events: list[tuple[datetime, int, str, str, str]] = []
        for n, incident in enumerate(incidents):
            if isinstance(incident.occurred_at, datetime):
                what = "; ".join(_strip_controls(b) for b in incident.behaviours) or "Incident"
                where = _strip_controls(incident.place).strip()
                events.append((_as_utc(incident.occurred_at), n, incident.reference, "(incident happened)",
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
            ("Crime reference", _strip_controls(incident.crime_reference).strip() or NONE_RECORDED),
        ))

        pdf.heading("What happened")
        pdf.fields((("Date", _when(incident.occurred_at)), ("Place", incident.place), ("Area", incident.area)))
        pdf.para("Behaviours", bold=True, after=0.5)
        pdf.bullets(incident.behaviours)
        pdf.para("Targeted characteristics", bold=True, after=0.5)
        pdf.bullets(incident.characteristics)

        pdf.heading("Description")
        pdf.para(_strip_controls(incident.description).strip() or NONE_RECORDED)

        pdf.heading("Perpetrator and observables")
        pdf.para(_strip_controls(incident.perpetrator).strip() or "Not known.")
        pdf.grid(("What", "Detail"), (30, 70), [(kind, value) for kind, value in incident.observables],
                 size=8.5, empty="No observables recorded (usernames, phone numbers, vehicles, ...).")

        pdf.heading("Risk")
        pdf.para(f"Risk level: {_strip_controls(incident.risk_level).strip() or 'not assessed'}", size=11,
                 bold=True, colour=_RED if "high" in str(incident.risk_level).lower() else _BLACK)
        pdf.bullets(incident.risk_reasons, empty="No reasons recorded.")

        pdf.heading("Where to report")
        if not incident.routes:
            pdf.para("Report on 101 or police.uk; in immediate danger, call 999.")
        for route in incident.routes:
            pdf.para(route.title, size=10.5, bold=True, after=0.5)
            pdf.para(route.why, after=0.5)
            pdf.para(route.how, colour=_GREY, after=2.5)

        pdf.heading("Offences that may apply")
        if not incident.offences:
            pdf.para("The guidance suggests no specific offence for this incident.")
        for offence in incident.offences:
            kind = _strip_controls(offence.kind).strip()
            pdf.para(f"{_strip_controls(offence.title).strip()}{f' ({kind})' if kind else ''}", size=10.5,
                     bold=True, after=0.5)
            where = ", ".join(x for x in (_strip_controls(offence.act).strip(),
                                          _strip_controls(offence.section).strip()) if x)
            if where:
                pdf.para(where, colour=_GREY, after=0.5)
            pdf.para(offence.why, after=0.5)
            pdf.para("Evidence the police will want:", size=9.5, bold=True, after=0.3)
            pdf.bullets(offence.evidence, size=9.5, indent=3, empty="none listed")
        if _strip_controls(pack.disclaimer).strip():
            pdf.boxed(pack.disclaimer, size=9, bold=False, colour=_BLACK, fill=_NOTE_FILL)

        pdf.heading("Timeline")
        pdf.grid(("Time", "Who", "What"), (26, 24, 90),
                 [(_when(e.at), e.actor, e.text) for e in sorted(incident.timeline, key=lambda e: _moment(e.at))],
                 empty="No events recorded.")

        pdf.heading("Evidence")
        rows: list[Sequence[object] | str] = []
        for item, name in zip(incident.evidence, names):
            rows.append((item.filename, item.kind, _size(item.size),
                         f"{_when(item.uploaded_at)}\n{_strip_controls(item.uploaded_by)}", name))
            rows.append(f"SHA-256: {_strip_controls(item.sha256).strip().lower()}")
        pdf.grid(("File name", "Type", "Size", "Uploaded at / by", "Path in ZIP"), (30, 16, 20, 30, 44), rows,
                 empty="No evidence files attached.", keep=2)
    return bytes(pdf.output())


# ---------------------------------------------------------------------------------------------------
# ZIP
# ---------------------------------------------------------------------------------------------------


def _zip_time(when: datetime) -> tuple[int, int, int, int, int, int]:
    local, _ = _uk(when)
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
    text = _strip_controls(value)
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
            label = repr(_strip_controls(getattr(item, "filename", item)))
            queue = slots.get(item)
            if queue is None:
                raise ValueError(f"evidence file {label} is not listed in this pack")
            if not queue:
                raise ValueError(f"evidence file {label} was given more than once")
            recorded = _strip_controls(item.sha256).strip().lower()
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
                                                _as_utc(item.uploaded_at).isoformat(), item.uploaded_by, reference)))
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
