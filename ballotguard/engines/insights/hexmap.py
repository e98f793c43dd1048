"""Constituency hex maps drawn as SVG on the server, from HexJSON.

A hex map gives each of the 650 Westminster constituencies the same size, so a Scottish island seat
weighs as much on the page as a London one: that is the point when the figure is a *rate per
constituency* (insights, issue 7) or *which constituencies a campaign targeted* (coordinated
campaigns, issue 5). Drawing it here rather than in the browser means no map tiles, no script, no
internet, and a picture that also works in the PDF briefing pack.

The coordinates follow the Open Data Institute's HexJSON format (Open Innovations,
``hexmaps/hexjson.html``), which the House of Commons Library's ``pcon24_hexmap.hexjson`` uses:

* ``q`` is the column and grows to the right; ``r`` is the row and grows **upwards** ("row number
  increasing vertically"). The pcon24 file has Orkney and Shetland at ``r = 0`` and St Ives at
  ``r = -46``, so the largest ``r`` is drawn at the top of the SVG and Scotland comes out on top.
* ``odd-r`` and ``even-r`` are pointy-topped: odd (or even) numbered rows shift half a hex right.
  ``odd-q`` and ``even-q`` are flat-topped: odd (or even) numbered columns shift half a hex up.
* Parity is of the **absolute** row or column number in the file, not of its position in the
  drawing, so adding a row later does not shear the map. Python's ``%`` gives ``-23 % 2 == 1``, so
  negative rows (every row in pcon24) have the parity the format means. (d3-hexjson takes parity of
  ``rmax - r`` instead; the two agree whenever the top row is even, as in pcon24.)

Output rules, because the SVG is inlined in pages served with a strict Content Security Policy
(``style-src 'self'``, no inline script): colours are SVG presentation attributes (``fill=``,
``stroke=``), never ``style=`` attributes or a ``<style>`` element, and there is no ``<script>``.
Everything taken from data is XML-escaped. The same input gives the same bytes, so pages and the
briefing pack can be compared and cached. Hover and keyboard-focus styles for linked hexes live in
``static/css/hexmap.css`` (classes ``bg-hexmap*``), which the CSP allows as a same-origin file.

Pure Python: no Django (an import-linter contract keeps it that way).
"""

from __future__ import annotations

import bisect
import json
import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

LAYOUTS = ("odd-r", "even-r", "odd-q", "even-q")

# ColorBrewer "Blues" (Cynthia Brewer, colorbrewer2.org: marked colour-blind safe and print
# friendly), without its two palest steps: those are too close to the pale grey of "no data" and
# to the white page. The darkest step, #08306b, has a contrast ratio of about 13:1 with white.
BLUES = ("#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b")

NO_DATA_FILL = "#f3f2f1"  # GOV.UK light grey, outlined in mid grey so it still shows on white
NO_DATA_STROKE = "#b1b4b6"
SEPARATOR = "#ffffff"  # thin white line between coloured hexes
TEXT = "#0b0c0c"  # GOV.UK text colour, also the highlight outline
HATCH = "#505a5f"  # GOV.UK dark grey: hatching for suppressed counts
SUPPRESSED_LABEL = "fewer than 5, not shown"

HEX_SIZE = 10.0  # circumradius in SVG user units; the SVG scales to its box, so only ratios matter
FONT_SIZE = 12.0
MARGIN = 4.0

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}\Z")
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
_SAFE_HREF = re.compile(r"(/|#|\?|https?://)", re.IGNORECASE)
_INTEGER = re.compile(r"\s*[+-]?\d+\s*\Z")
# Characters XML 1.0 forbids even when escaped: drop them rather than emit a document that fails to parse.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class HexMapError(ValueError):
    """Bad input: a HexJSON file or database rows that cannot be a map, a scale that cannot be
    drawn, an unsafe link. A ``ValueError``, so callers that already catch those need nothing new;
    the message names the hex or value at fault."""


# --- layout -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hex:
    """One area on the map: its GSS code (the key everything else is looked up by), its name for
    titles, its offset coordinates, and an optional group such as the region code."""

    code: str
    name: str
    q: int
    r: int
    group: str = ""


@dataclass(frozen=True)
class HexLayout:
    """A checked set of hexes: codes and positions are unique, ``kind`` is one of :data:`LAYOUTS`."""

    kind: str
    hexes: tuple[Hex, ...]

    def __post_init__(self) -> None:
        if self.kind not in LAYOUTS:
            raise HexMapError(f"unknown hex layout {self.kind!r}: expected one of {', '.join(LAYOUTS)}")
        codes: dict[str, Hex] = {}
        cells: dict[tuple[int, int], Hex] = {}
        for hx in self.hexes:
            if hx.code in codes:
                raise HexMapError(f"hex {hx.code!r} appears twice")
            if (hx.q, hx.r) in cells:
                other = cells[(hx.q, hx.r)]
                raise HexMapError(f"hexes {other.code!r} and {hx.code!r} are both at q={hx.q}, r={hx.r}")
            codes[hx.code] = hx
            cells[(hx.q, hx.r)] = hx

    @property
    def pointy(self) -> bool:
        """Row layouts (``-r``) have pointy-topped hexes; column layouts (``-q``) flat-topped ones."""
        return self.kind.endswith("-r")


def layout_from_hexjson(data: Mapping | str | bytes, *, group_key: str = "region") -> HexLayout:
    """Read a HexJSON document (parsed, text or bytes) into a checked :class:`HexLayout`.

    The name is the ``n`` field (the Open Innovations constituency files), else ``name``, else the
    code. ``group_key`` names the field copied into :attr:`Hex.group`. Every problem is a
    ``ValueError`` that names the hex, so whoever supplied the file can fix it.
    """
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise HexMapError(f"HexJSON is not UTF-8 text: {err}") from None
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as err:
            raise HexMapError(f"HexJSON is not JSON: {err}") from None
    if not isinstance(data, Mapping):
        raise HexMapError("HexJSON must be a JSON object with \"layout\" and \"hexes\"")
    kind = data.get("layout")
    if kind not in LAYOUTS:
        raise HexMapError(f"unknown HexJSON layout {kind!r}: expected one of {', '.join(LAYOUTS)}")
    cells = data.get("hexes")
    if not isinstance(cells, Mapping) or not cells:
        raise HexMapError("HexJSON has no \"hexes\" object, or it is empty")
    hexes = []
    for code, cell in cells.items():
        if not isinstance(cell, Mapping):
            raise HexMapError(f"hex {code!r} is not a JSON object")
        name = cell.get("n", cell.get("name", code))
        label = f"hex {code!r} ({name})" if name != code else f"hex {code!r}"
        hexes.append(Hex(code=str(code), name=str(name), q=_coordinate(cell, "q", label),
                         r=_coordinate(cell, "r", label), group=str(cell.get(group_key, "") or "")))
    return HexLayout(kind=kind, hexes=tuple(hexes))


def layout_from_cells(cells: Iterable[Sequence], kind: str = "odd-r") -> HexLayout:
    """Build a layout from database rows ``(code, name, q, r)`` or ``(code, name, q, r, group)``,
    e.g. ``Area.objects.filter(area_type="constituency", hex_q__isnull=False).values_list(...)``.
    Rows with no position should be left out by the query; one that slips through is an error."""
    hexes = []
    for row in cells:
        if len(row) not in (4, 5):
            raise HexMapError(f"a hex row has {len(row)} fields: expected (code, name, q, r[, group])")
        code, name, q, r = (str(row[0]), str(row[1]), row[2], row[3])
        label = f"hex {code!r} ({name})"
        hexes.append(Hex(code=code, name=name, q=_coordinate({"q": q}, "q", label),
                         r=_coordinate({"r": r}, "r", label), group=str(row[4] or "") if len(row) == 5 else ""))
    return HexLayout(kind=kind, hexes=tuple(hexes))


def _coordinate(cell: Mapping, key: str, label: str) -> int:
    """A whole number, also when written as "12" or 12.0 (some HexJSON editors write either)."""
    if key not in cell or cell[key] is None:
        raise HexMapError(f"{label} has no {key}")
    value = cell[key]
    if isinstance(value, bool):
        raise HexMapError(f"{label}: {key} must be a whole number, not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.match(value):
        return int(value)
    raise HexMapError(f"{label}: {key} must be a whole number, not {value!r}")


@dataclass(frozen=True)
class PlacedHex:
    """A hex with its centre in SVG user units (``y`` grows downwards, north at the top)."""

    hex: Hex
    x: float
    y: float


def place(layout: HexLayout, *, size: float = HEX_SIZE) -> tuple[PlacedHex, ...]:
    """Centres of every hex, in layout order, with the map's top-left corner at (0, 0).

    Adjacent hexes' centres are ``sqrt(3) * size`` apart in every direction (the tests hold the
    real constituency map to this).
    """
    if not layout.hexes:
        return ()
    across = math.sqrt(3) * size  # flat-to-flat width
    qmin = min(hx.q for hx in layout.hexes)
    rmax = max(hx.r for hx in layout.hexes)
    shifted_parity = 1 if layout.kind.startswith("odd") else 0
    centres = []
    for hx in layout.hexes:
        if layout.pointy:
            x = (hx.q - qmin) * across + (across / 2 if hx.r % 2 == shifted_parity else 0.0)
            y = (rmax - hx.r) * 1.5 * size
        else:
            x = (hx.q - qmin) * 1.5 * size
            y = (rmax - hx.r) * across - (across / 2 if hx.q % 2 == shifted_parity else 0.0)
        centres.append((hx, x, y))
    half_w, half_h = (across / 2, size) if layout.pointy else (size, across / 2)
    left = min(x for _, x, _ in centres) - half_w
    top = min(y for _, _, y in centres) - half_h
    return tuple(PlacedHex(hx, x - left, y - top) for hx, x, y in centres)


def _corners(pointy: bool, size: float) -> tuple[tuple[float, float], ...]:
    half = math.sqrt(3) * size / 2
    if pointy:
        return ((0, -size), (half, -size / 2), (half, size / 2), (0, size), (-half, size / 2), (-half, -size / 2))
    return ((-size, 0), (-size / 2, -half), (size / 2, -half), (size, 0), (size / 2, half), (-size / 2, half))


# --- colour scale -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """Classes of a choropleth: class ``i`` holds values up to and including ``bins[i]`` (and above
    ``bins[i - 1]``). Values below the first bound fall in the first class and values above the
    last in the last, so a scale built from one set of figures can colour another without failing.
    """

    bins: tuple[float, ...]
    colours: tuple[str, ...]
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.bins or not len(self.bins) == len(self.colours) == len(self.labels):
            raise HexMapError("a scale needs as many colours and labels as bins, and at least one bin")
        if any(not math.isfinite(b) for b in self.bins) or any(a >= b for a, b in zip(self.bins, self.bins[1:])):
            raise HexMapError(f"scale bins must be finite and strictly increasing: {self.bins}")
        for colour in self.colours:
            if not _COLOUR.match(colour):
                raise HexMapError(f"scale colours must be written #rrggbb, not {colour!r}")

    def index(self, value: float) -> int:
        return min(bisect.bisect_left(self.bins, value), len(self.bins) - 1)

    def colour(self, value: float) -> str:
        return self.colours[self.index(value)]


def format_number(value: float) -> str:
    """Whole numbers with thousands separators, others to three significant figures ("0.0123",
    "12.3", "1,234.6" for four digits before the point; "3.9", not "3.90"): enough to read a rate, not false precision."""
    if not math.isfinite(value):
        return str(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    digits = max(1, 2 - math.floor(math.log10(abs(value))))
    return f"{value:,.{digits}f}".rstrip("0").rstrip(".")


def sequential_scale(values: Iterable[float | None], *, classes: int = 5, palette: Sequence[str] = BLUES,
                     value_label: Callable[[float], str] | None = None) -> Scale:
    """Up to ``classes`` classes whose bounds are quantiles of ``values`` rounded to two
    significant figures, so the legend reads "1.2 to 2.5" rather than "1.1873 to 2.5066".

    Quantiles put about as many constituencies in each colour, which suits skewed figures such as
    incident rates; rounding can merge two bounds, and then there are fewer classes (one, if every
    value is equal), and a class that rounding left empty is merged into the next, so every colour
    in the legend is on the map. The first class starts at the minimum rounded down and the last bound is the
    maximum rounded *up*, so every value is covered. When every value is a whole number (counts)
    the bounds are whole and the labels say "3 to 5", or "2" for a class of one number. Colours are
    spread evenly along ``palette`` (light to dark). ``None`` and NaN are ignored.

    Labels show every bound with the same number of decimals ("2.0 to 3.9"), unless
    ``value_label`` formats them (for example as percentages).
    """
    data = sorted(float(v) for v in values if v is not None and not math.isnan(float(v)))
    if not data:
        raise HexMapError("no values to build a scale from")
    if math.isinf(data[0]) or math.isinf(data[-1]):
        raise HexMapError("cannot build a scale from infinite values")
    if classes < 1:
        raise HexMapError("a scale needs at least one class")
    if len(palette) < classes:
        raise HexMapError(f"the palette has {len(palette)} colours; {classes} classes need at least {classes}")
    whole = all(v.is_integer() for v in data)
    low, high = data[0], data[-1]
    top = _nice(high, ROUND_CEILING)
    # Compare as floats, as Scale.index will: Decimal("1.6") is a hair below the float 1.6.
    breaks = {}
    for k in range(1, classes):
        quantile = data[max(0, math.ceil(k * len(data) / classes) - 1)]  # nearest rank
        bound = _nice(quantile, ROUND_HALF_EVEN)
        if low <= float(bound) < float(top):
            breaks[float(bound)] = bound
    # Rounding can leave a class with no value in it (3.0 and 3.1 from 2.96 and 3.14): merge it.
    bounds: list[Decimal] = []
    below = 0  # how many values the classes so far hold
    for edge in sorted(breaks):
        if bisect.bisect_right(data, edge) > below:
            bounds.append(breaks[edge])
            below = bisect.bisect_right(data, edge)
    if below == len(data):
        bounds.pop()
    bounds.append(top)
    decimals = 0 if whole else max(0, *(-int(d.normalize().as_tuple().exponent) for d in bounds))
    lower = Decimal(repr(low)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_FLOOR)
    label = value_label or (lambda v: f"{v:,.{decimals}f}")
    bins = tuple(float(d) for d in bounds)
    if len(bins) == 1:
        colours: tuple[str, ...] = (palette[len(palette) // 2],)
    else:
        step = (len(palette) - 1) / (len(bins) - 1)
        colours = tuple(palette[int(i * step + 0.5)] for i in range(len(bins)))
    labels = []
    for i, bound in enumerate(bins):
        if whole:
            start = low if i == 0 else bins[i - 1] + 1
            labels.append(label(bound) if start == bound else f"{label(start)} to {label(bound)}")
        else:
            start = float(lower) if i == 0 else bins[i - 1]
            labels.append(label(bound) if start == bound else f"{label(start)} to {label(bound)}")
    return Scale(bins=bins, colours=colours, labels=tuple(labels))


def _nice(value: float, rounding: str) -> Decimal:
    """``value`` to two significant figures (whole numbers under 100 stay as they are), in decimal
    arithmetic so that 0.3 neither becomes 0.30000000000000004 nor rounds the wrong way."""
    exact = Decimal(repr(value))
    if value == 0:
        return Decimal(0)
    exponent = math.floor(math.log10(abs(value))) - 1
    if value.is_integer() and exponent < 0:
        return exact.quantize(Decimal(1))
    return exact.quantize(Decimal(1).scaleb(exponent), rounding=rounding)


# --- SVG ----------------------------------------------------------------------------------------


def render_svg(
    layout: HexLayout,
    values: Mapping[str, float | None],
    *,
    title: str,
    description: str,
    scale: Scale | None = None,
    value_label: Callable[[float], str] = format_number,
    suppressed: Collection[str] = (),
    highlight: Collection[str] = (),
    links: Mapping[str, str] | None = None,
    id_prefix: str = "hexmap",
    legend_title: str = "",
    highlight_label: str = "Highlighted",
    no_data_label: str = "No data",
    suppressed_label: str = SUPPRESSED_LABEL,
) -> str:
    """The map as one inline ``<svg>`` element.

    * ``values`` maps codes to figures; a code missing or ``None`` (or NaN) is drawn pale grey as
      "no data". Codes not on the map are ignored.
    * ``suppressed`` codes are hatched and titled "fewer than 5, not shown" whatever their value:
      the value is not written anywhere in the SVG and does not shape the automatic scale, so small
      numbers cannot be read back from the picture.
    * ``scale`` defaults to :func:`sequential_scale` over the values shown.
    * ``highlight`` codes get a thick dark outline, drawn after every hex so neighbours cannot
      cover it; ``links`` wraps a hex in ``<a href>`` (relative or http(s) addresses only).
    * ``id_prefix`` keeps element ids unique when a page holds more than one map.
    * The legend (``legend_title``, then one swatch per class, and "No data", the suppressed
      hatching and ``highlight_label`` only when some hex needs them) sits in the top-right corner
      when no hex is there, as for the UK, and under the map otherwise.

    The picture is ``role="img"`` named by its ``<title>`` and ``<desc>``; each hex also has its
    own ``<title>`` ("Name: value") for the tooltip. With ``links`` it is ``role="group"`` instead,
    because an image's children are hidden from assistive technology and the links must not be.
    Pages should still put the figures in a table beside it.
    """
    if not _ID.match(id_prefix):
        raise HexMapError(f"id_prefix must be a letter followed by letters, digits, - or _: {id_prefix!r}")
    links = links or {}
    for code, href in links.items():
        if not _SAFE_HREF.match(href):
            raise HexMapError(f"link for {code!r} must be relative or http(s): {href!r}")
    hidden = frozenset(suppressed)
    shown: dict[str, float] = {}
    for hx in layout.hexes:
        value = values.get(hx.code)
        if hx.code not in hidden and value is not None and not math.isnan(float(value)):
            shown[hx.code] = float(value)
    if scale is None and shown:
        scale = sequential_scale(shown.values(), value_label=None if value_label is format_number else value_label)

    size = HEX_SIZE
    placed = place(layout, size=size)
    shape = " ".join(f"{_n(dx)},{_n(dy)}" for dx, dy in _corners(layout.pointy, size))
    across = math.sqrt(3) * size
    map_w = max((p.x for p in placed), default=0.0) + (across / 2 if layout.pointy else size)
    map_h = max((p.y for p in placed), default=0.0) + (size if layout.pointy else across / 2)
    ids = {"title": f"{id_prefix}-title", "desc": f"{id_prefix}-desc", "hatch": f"{id_prefix}-hatch"}

    # Reading order (north to south, west to east) is also the keyboard order of linked hexes.
    order = sorted(placed, key=lambda p: (round(p.y, 3), round(p.x, 3)))
    hexes_svg = []
    any_missing = any_hidden = False
    for p in order:
        hx = p.hex
        at = f'points="{shape}" transform="translate({_n(p.x + MARGIN)} {_n(p.y + MARGIN)})"'
        if hx.code in hidden:
            any_hidden = True
            paint = f'fill="url(#{ids["hatch"]})" stroke="{HATCH}"'
            tip = f"{hx.name}: {suppressed_label}"
            state = "suppressed"
        elif hx.code in shown:
            assert scale is not None
            paint = f'fill="{scale.colour(shown[hx.code])}"'
            tip = f"{hx.name}: {value_label(shown[hx.code])}"
            state = "value"
        else:
            any_missing = True
            paint = f'fill="{NO_DATA_FILL}" stroke="{NO_DATA_STROKE}"'
            tip = f"{hx.name}: {no_data_label.lower()}"
            state = "no-data"
        attrs = f'{at} {paint} data-code="{_esc(hx.code)}" class="bg-hexmap__hex bg-hexmap__hex--{state}"'
        if hx.code in links:
            hexes_svg.append(f'<a href="{_esc(links[hx.code])}" class="bg-hexmap__link"><title>{_esc(tip)}</title>'
                             f"<polygon {attrs}/></a>")
        else:
            hexes_svg.append(f"<polygon {attrs}><title>{_esc(tip)}</title></polygon>")

    marked = frozenset(highlight)
    outlines = [
        f'<polygon points="{shape}" transform="translate({_n(p.x + MARGIN)} {_n(p.y + MARGIN)})" data-code="{_esc(p.hex.code)}"/>'
        for p in order if p.hex.code in marked
    ]

    entries: list[tuple[str, str]] = []  # (swatch paint attributes, label)
    if scale is not None and shown:
        entries.extend((f'fill="{colour}"', label) for colour, label in zip(scale.colours, scale.labels))
    if any_missing:
        entries.append((f'fill="{NO_DATA_FILL}" stroke="{NO_DATA_STROKE}"', no_data_label))
    if any_hidden:
        entries.append((f'fill="url(#{ids["hatch"]})" stroke="{HATCH}"', suppressed_label[:1].upper() + suppressed_label[1:]))
    if outlines:
        entries.append((f'fill="#ffffff" stroke="{TEXT}" stroke-width="2.5"', highlight_label))
    # The legend goes in the top-right corner when no hex is there (the North Sea, for the UK),
    # otherwise under the map.
    legend_w, legend_h = _legend_size(entries, legend_title)
    corner_x = map_w - legend_w
    corner_free = legend_h > 0 and corner_x >= 0 and not any(
        p.x + size >= corner_x and p.y - size <= legend_h for p in placed)
    if corner_free or not legend_h:
        legend_x, legend_y = MARGIN + corner_x, MARGIN
        width, height = map_w + 2 * MARGIN, map_h + 2 * MARGIN
    else:
        legend_x, legend_y = MARGIN, map_h + 2 * MARGIN + FONT_SIZE / 2
        width = max(map_w, legend_w) + 2 * MARGIN
        height = legend_y + legend_h + MARGIN
    legend = _legend(entries, legend_title, x=legend_x, top=legend_y)

    role = "group" if links else "img"
    parts = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(width)} {_n(height)}" width="100%" '
         f'role="{role}" aria-labelledby="{ids["title"]} {ids["desc"]}" class="bg-hexmap" id="{id_prefix}">'),
        f'<title id="{ids["title"]}">{_esc(title)}</title>',
        f'<desc id="{ids["desc"]}">{_esc(description)}</desc>',
    ]
    if any_hidden:
        parts.append(f'<defs><pattern id="{ids["hatch"]}" width="4" height="4" patternUnits="userSpaceOnUse" '
                     f'patternTransform="rotate(45)"><rect width="4" height="4" fill="#ffffff"/>'
                     f'<line x1="0" y1="0" x2="0" y2="4" stroke="{HATCH}" stroke-width="1.5"/></pattern></defs>')
    parts.append(f'<g class="bg-hexmap__hexes" stroke="{SEPARATOR}" stroke-width="1" stroke-linejoin="round">')
    parts.extend(hexes_svg)
    parts.append("</g>")
    if outlines:
        parts.append(f'<g class="bg-hexmap__highlight" fill="none" stroke="{TEXT}" stroke-width="2.5" '
                     f'stroke-linejoin="round" pointer-events="none" aria-hidden="true">')
        parts.extend(outlines)
        parts.append("</g>")
    parts.extend(legend)
    parts.append("</svg>")
    return "".join(parts)


_ROW = FONT_SIZE * 1.6
_SWATCH = FONT_SIZE
_CHAR = FONT_SIZE * 0.6  # a generous average glyph width, so the estimate errs wide


def _legend_size(entries: Sequence[tuple[str, str]], heading: str) -> tuple[float, float]:
    """Estimated width and height of the legend (SVG cannot measure text without a browser)."""
    widths = [len(heading) * _CHAR] if heading else []
    widths.extend(_SWATCH + 6 + len(label) * _CHAR for _, label in entries)
    return max(widths, default=0.0), (len(entries) + (1 if heading else 0)) * _ROW


def _legend(entries: Sequence[tuple[str, str]], heading: str, *, x: float, top: float) -> list[str]:
    """One swatch and label a row, under an optional heading."""
    if not entries and not heading:
        return []
    parts = [f'<g class="bg-hexmap__legend" font-size="{_n(FONT_SIZE)}" fill="{TEXT}">']
    y = top
    if heading:
        parts.append(f'<text x="{_n(x)}" y="{_n(y + FONT_SIZE)}" font-weight="bold">{_esc(heading)}</text>')
        y += _ROW
    for paint, label in entries:
        parts.append(f'<rect x="{_n(x)}" y="{_n(y + 1)}" width="{_n(_SWATCH)}" height="{_n(_SWATCH)}" {paint}/>'
                     f'<text x="{_n(x + _SWATCH + 6)}" y="{_n(y + FONT_SIZE)}">{_esc(label)}</text>')
        y += _ROW
    parts.append("</g>")
    return parts


def _n(value: float) -> str:
    """Coordinates to two decimals without trailing zeros: compact, and identical run to run."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _esc(text: str) -> str:
    """Escape for XML text and double-quoted attributes, dropping characters XML cannot hold."""
    text = _NOT_XML.sub("", str(text))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
