"""Shared PDF furniture: the marked A4 page, fonts, Unicode handling and UK times for Ballotguard's PDFs.

Two documents are printed: the incident evidence pack (:mod:`ballotguard.incidents.evidence_pack`),
handed to the police, and the Taskforce briefing pack (:mod:`ballotguard.insights.briefing`). Both are
OFFICIAL-SENSITIVE and must look and behave the same on paper, so what they share lives here, once:

* :class:`MarkedDocument`, an fpdf2 document on A4 portrait with :data:`MARKING` at the top and bottom
  of every page, a footer note and "Page X of Y", and the blocks both packs are built from: headings,
  paragraphs, bullets, label and value fields, shaded boxes, and a table (``grid``) that repeats its
  header on each page and lets a row taller than a page run over pages.
* Fonts. DejaVu Sans is used when installed in :data:`FONT_DIR` (Welsh ŵ and ŷ, Polish Ł, Greek,
  Cyrillic, Arabic, Hebrew); otherwise core Helvetica, which has only Latin-1, so other letters lose
  their accents. An unreadable font file also falls back to Helvetica. fpdf2 shapes text only with
  uharfbuzz (not installed), so right-to-left text is drawn in logical order.
* Text typed by users may hold anything. :func:`clean_text` normalises it (NFC) and strips control,
  format and surrogate characters other than newline and tab; :func:`fit_text` then replaces every
  character the font cannot draw (an accent-free letter, a ``[name]`` for a symbol such as an emoji, or
  ``?``) and says whether it did, so a pack can say that characters were replaced. Nothing is dropped
  silently except variation selectors, skin-tone modifiers and tag characters.
* Times. Naive datetimes are taken to be UTC (:func:`as_utc`); :func:`uk_time` gives UK local time
  (Europe/London, GMT or BST), by the rule since 1996 when there is no time zone database.

Why a module of its own: the briefing pack used to import these from the evidence pack's private
names, so a change to the evidence pack could silently change the briefing, and the evidence pack
could not tidy its internals. Like the evidence pack, this module knows nothing of Django (an
import-linter contract in ``pyproject.toml``), so both renderers stay pure functions of their input:
the same input gives the same bytes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import MethodReturnValue

__all__ = [
    "BLACK",
    "FONT_BOLD",
    "FONT_DIR",
    "FONT_REGULAR",
    "GREY",
    "HEAD_FILL",
    "MARKING",
    "MONTHS",
    "NONE_RECORDED",
    "NOTE_FILL",
    "PT",
    "RED",
    "RED_FILL",
    "MarkedDocument",
    "as_utc",
    "clean_text",
    "fit_text",
    "has_latin1",
    "stand_in",
    "uk_time",
]

MARKING = "OFFICIAL-SENSITIVE"
NONE_RECORDED = "none recorded"  # what an empty value, list or table says unless told otherwise

# Where DejaVu Sans lives on Debian and Ubuntu (package fonts-dejavu-core). Tests point this elsewhere.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_REGULAR = "DejaVuSans.ttf"
FONT_BOLD = "DejaVuSans-Bold.ttf"

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")

GREY = (80, 80, 80)
BLACK = (11, 12, 12)
RED = (170, 30, 20)
RED_FILL = (252, 233, 230)
HEAD_FILL = (230, 232, 234)
NOTE_FILL = (243, 242, 241)
PT = 25.4 / 72  # millimetres in a point

_TOTAL_PAGES = "\x00#\x00"  # fpdf2 alias for the page count, 3 digits wide (see MarkedDocument)


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


def clean_text(text: object) -> str:
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


def fit_text(text: object, has: Callable[[str], bool]) -> tuple[str, bool]:
    """Text a font can draw: cleaned, tabs as spaces, missing characters replaced.

    Returns the text and whether any character had to be replaced.
    """
    cleaned = clean_text(text).replace("\t", "    ")
    if cleaned.isascii():  # printable ASCII and newlines: both fonts have them all
        return cleaned, False
    out: list[str] = []
    replaced = False
    for ch in cleaned:
        if ch == "\n" or has(ch):
            out.append(ch)
            continue
        replaced = True
        out.append(stand_in(ch, has))
    return "".join(out), replaced


def stand_in(ch: str, has: Callable[[str], bool]) -> str:
    """What to draw for a character the font lacks (``has`` says what it has): a space for any space, the
    letter without its accents, a near equivalent (``Ł`` as ``L``, ``€`` as ``EUR``), ``[name]`` for a
    symbol such as an emoji, or ``?``."""
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


def has_latin1(ch: str) -> bool:
    """Whether core Helvetica (Latin-1 only) can draw ``ch``: the fallback when DejaVu Sans is missing."""
    return 0x20 <= ord(ch) <= 0x7E or 0xA0 <= ord(ch) <= 0xFF and ch != "\xad"


# ---------------------------------------------------------------------------------------------------
# Times
# ---------------------------------------------------------------------------------------------------


def as_utc(when: datetime) -> datetime:
    """The moment in UTC; a naive datetime is taken to be UTC already."""
    if when.tzinfo is None or when.utcoffset() is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def uk_time(when: datetime) -> tuple[datetime, str]:
    """UK local time of a moment, and the zone's abbreviation (GMT or BST)."""
    utc = as_utc(when)
    try:
        from zoneinfo import ZoneInfo

        local = utc.astimezone(ZoneInfo("Europe/London"))
        return local, local.tzname() or "UK time"
    except Exception:  # noqa: BLE001  no time zone database (zoneinfo raises several types): the rule since 1996
        year = utc.year
        start = _last_sunday(year, 3).replace(hour=1, tzinfo=UTC)
        end = _last_sunday(year, 10).replace(hour=1, tzinfo=UTC)
        if start <= utc < end:
            return (utc + timedelta(hours=1)).replace(tzinfo=None), "BST"
        return utc.replace(tzinfo=None), "GMT"


def _last_sunday(year: int, month: int) -> datetime:
    day = datetime(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - 6) % 7)


# ---------------------------------------------------------------------------------------------------
# The document
# ---------------------------------------------------------------------------------------------------


class MarkedDocument(FPDF):
    """A4 portrait with the security marking top and bottom and "Page X of Y" in the footer.

    ``footer_note`` is printed in the middle of every footer. Fonts come from ``font_dir`` (by default
    :data:`FONT_DIR`, read when the document is made): DejaVu Sans when there, else Helvetica.
    Every block cleans and fits its text (:meth:`t`), so any str a user typed can be passed as it is.
    """

    def __init__(self, footer_note: str, font_dir: Path | None = None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_note = footer_note
        # The total page count is filled in at the end, in place of this alias. Text typed by users
        # cannot contain it (NUL is stripped), so a "{nb}" they typed stays "{nb}".
        self.alias_nb_pages(_TOTAL_PAGES, align="L")
        self.set_margins(15, 18, 15)
        self.set_auto_page_break(True, margin=18)
        self.family = "helvetica"
        self.has_glyph: Callable[[str], bool] = has_latin1
        self.bullet = "-"
        fonts = FONT_DIR if font_dir is None else font_dir
        regular, bold = fonts / FONT_REGULAR, fonts / FONT_BOLD
        if regular.is_file():
            try:
                self.add_font("dejavusans", "", str(regular))
                self.add_font("dejavusans", "B", str(bold if bold.is_file() else regular))
            except Exception:  # noqa: BLE001  an unreadable font file: Helvetica still gives a usable pack
                return
            cmaps = [self.fonts["dejavusans"].cmap, self.fonts["dejavusansB"].cmap]  # type: ignore[union-attr]
            self.family = "dejavusans"
            self.has_glyph = lambda ch: ch == " " or all(ord(ch) in cmap for cmap in cmaps)
            self.bullet = "•" if self.has_glyph("•") else "-"

    # -- text -------------------------------------------------------------------------------------

    def t(self, text: object) -> str:
        """``text`` as this document's font can draw it (see :func:`fit_text`)."""
        return fit_text(text, self.has_glyph)[0]

    def font(self, size: float = 10, bold: bool = False, colour: tuple[int, int, int] = BLACK) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.set_text_color(*colour)

    # -- page furniture ---------------------------------------------------------------------------

    def header(self) -> None:
        self.font(8, bold=True, colour=BLACK)
        self.set_xy(self.l_margin, 7)
        self.cell(self.epw, 4, MARKING, align="C")
        self.set_xy(self.l_margin, self.t_margin)

    def footer(self) -> None:
        y = self.h - 12
        self.set_draw_color(*GREY)
        self.set_line_width(0.2)
        self.line(self.l_margin, y - 1.5, self.w - self.r_margin, y - 1.5)
        self.font(8, bold=True)
        self.set_xy(self.l_margin, y)
        self.cell(self.epw / 4, 4, MARKING)
        self.font(7.5, colour=GREY)
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
        self.need(size * PT * 1.4 + 22)  # keep a heading with the first lines under it
        self.ln(3)
        self.font(size, bold=True)
        self.multi_cell(self.epw, size * PT * 1.35, self.t(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(space_after)

    def para(self, text: object, size: float = 10, bold: bool = False, colour: tuple[int, int, int] = BLACK,
             indent: float = 0, after: float = 1.5) -> None:
        self.font(size, bold=bold, colour=colour)
        self.set_x(self.l_margin + indent)
        self.multi_cell(self.epw - indent, size * PT * 1.35, self.t(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(after)

    def bullets(self, items: Sequence[object], size: float = 10, indent: float = 0,
                empty: str = NONE_RECORDED) -> None:
        items = [i for i in items if clean_text(i).strip()]
        if not items:
            self.para(empty, size=size, colour=GREY, indent=indent)
            return
        line = size * PT * 1.35
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
        line = size * PT * 1.35
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
                self.set_text_color(*GREY)
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
        self.multi_cell(self.epw, size * PT * 1.4, self.t(text), border=1 if border else 0, fill=True,
                        padding=(2.5, 3), align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_line_width(0.2)
        self.set_draw_color(*GREY)
        self.ln(2)

    def grid(self, headers: Sequence[str], widths: Sequence[float], rows: Sequence[Sequence[object] | str],
             size: float = 8, empty: str = NONE_RECORDED, keep: int = 1) -> None:
        """A bordered table whose header repeats on each page and whose rows may run over pages.

        A row is a sequence with one value per column, or a str drawn shaded across all columns.
        Each run of ``keep`` rows stays on one page when it can. fpdf2's own ``table()`` refuses a row
        taller than a page, and text typed by users can be that long.
        """
        if not rows:
            self.para(empty, size=size + 1, colour=GREY)
            return
        total = float(sum(widths))
        col_w = [self.epw * w / total for w in widths]
        col_x = [self.l_margin + sum(col_w[:i]) for i in range(len(col_w))]
        line = size * PT * 1.3
        pad = 1.0
        self.set_line_width(0.2)
        self.set_draw_color(*GREY)
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
                body.append(([(self.l_margin, self.epw, split(row, self.epw))], NOTE_FILL))
            else:
                body.append(([(x, w, split(v, w)) for x, w, v in zip(col_x, col_w, row)], None))
        heights = [max(len(c[2]) for c in cells) for cells, _ in body]
        page_room = self.page_break_trigger - self.t_margin - head_h

        def new_page() -> None:
            self.add_page()
            draw(head, 0, head_lines, bold=True, fill=HEAD_FILL)

        if self.room() < head_h + 2 * line + 2 * pad:
            self.add_page()
        draw(head, 0, head_lines, bold=True, fill=HEAD_FILL)
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
