"""The briefing pack: a dated OFFICIAL-SENSITIVE PDF of the headline figures, charts, tables, methods and caveats.

One snapshot in, one PDF out. ``ballotguard briefing-pack`` (the command) and the "Download the
briefing pack" button (``briefing_views.briefing_pdf``) both call :func:`briefing_for`, which reads
the hex map positions from the registry and calls the pure :func:`render_briefing`.

What it promises:

* **Only the snapshot's figures.** Every number printed is a display string of the payload built by
  :func:`ballotguard.engines.insights.figures.dashboard`, and every bar, point and line is drawn from the same
  payload's ``_values`` (perturbed counts; ``None`` only where a count is hidden). Nothing is
  recomputed here and the database is never asked for a count, so the PDF cannot disagree with the
  pages or the CSV, and a true count cannot leak back into it through a chart.
* **Marked.** OFFICIAL-SENSITIVE at the top and bottom of every page, "Page X of Y", the date and
  time the figures are as of and the date and time the pack was made, and by whom. Demo figures
  carry a DEMO DATA banner on the cover and a DEMO DATA mark in every page's header. A pack is demo
  when the caller says so (``demo=True``) or, by default, when the election's name says "demo data",
  which is how ``ballotguard demo`` names every election it builds (``demo/builder.py``,
  ``demo/national.py``): the flag travels with the figures, so a demo pack cannot lose its label.
* **Every chart has its table.** A chart is a picture of the table printed under it; groups left
  out of a chart (suppressed, no interval, or beyond the first :data:`MAX_CHART_ROWS`) stay in the
  table. Long tables run over pages with their header repeated (``MarkedDocument.grid``).

How the charts are drawn: natively with fpdf2's own drawing primitives (rectangles, lines, circles,
polygons), from the same ``_values`` the Vega-Lite specs of :mod:`ballotguard.engines.insights.charts` are
built from, in the same colours (``charts.PALETTE``, ``hexmap.BLUES``). The alternative was to render
those specs with ``vl-convert-python``; it was not chosen because it is a large native wheel (a
JavaScript engine, tens of megabytes) for five chart shapes that take a few dozen lines each here,
because its fonts and any URL in a spec are loaded at render time and we would have to prove it never
reaches the network from a server that must not, and because native drawing keeps the PDF vector,
small, deterministic (the same snapshot gives the same bytes) and in the PDF's own fonts. The price
is that the PDF charts are simpler than the browser's (no tooltips, which paper cannot have anyway).
The hex map reuses :func:`ballotguard.engines.insights.hexmap.place` for the geometry and
:func:`~ballotguard.engines.insights.hexmap.sequential_scale` for the classes, so it matches the Map page.

Page furniture, fonts (DejaVu Sans when installed, else Helvetica) and the Unicode handling
(characters the font lacks are replaced, never dropped silently) are shared with the evidence pack
through :mod:`ballotguard.core.pdf`, reused rather than copied.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from ballotguard.core.pdf import (
    GREY,
    MARKING,
    MONTHS,
    RED,
    RED_FILL,
    MarkedDocument,
    as_utc,
    uk_time,
)
from ballotguard.engines.insights import charts
from ballotguard.engines.insights import hexmap
from ballotguard.engines.insights import figures as insights_engine
from ballotguard.engines.insights.figures import MARKER

__all__ = ["MAX_CHART_ROWS", "MAX_MAP_ROWS", "briefing_filename", "briefing_for", "is_demo", "render_briefing", "scope_label"]

MAX_CHART_ROWS = 25  # a chart taller than this is unreadable on A4; the table under it has every row
MAX_MAP_ROWS = 40  # constituencies listed under the map, highest rate first (councils: all of them)
TITLE = "Intimidation of candidates: Taskforce briefing"
DEMO_BANNER = ("DEMO DATA. These figures come from generated incidents against fictitious candidates, made to show "
               "how Ballotguard works. They describe no real person and no real election: do not quote them.")
EC_REPORTING = ("The Electoral Commission found that only 21% of candidates who were harassed, abused or intimidated at the "
                "2024 general election reported it to the police.")

_INK = (11, 12, 12)
_AXIS = (80, 90, 95)
_GRIDLINE = (222, 224, 226)
_DEMO = re.compile(r"\bdemo data\b", re.IGNORECASE)


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


BAR = _rgb(charts.PALETTE[0])  # blue bars and the weekly line, as on the pages
POINT = _rgb(charts.PALETTE[1])  # red rate-ratio points
SHARE = _rgb(charts.PALETTE[3])  # green coverage bars
REFERENCE = _rgb(charts.PALETTE[5])  # the dashed "no difference" line


# ---------------------------------------------------------------------------------------------------
# Words and dates


def is_demo(payload: Mapping) -> bool:
    """Whether a snapshot's figures are demo data: ``ballotguard demo`` names its elections "(demo data)"."""
    return bool(_DEMO.search(str((payload.get("election") or {}).get("name", ""))))


def scope_label(payload: Mapping) -> str:
    """The scope as people say it: "All of the UK" or the police force's name (as the pages do)."""
    return "All of the UK" if not payload.get("force") else str(payload.get("force_name") or payload["force"])


def _long(when: dt.datetime) -> str:
    """``21 November 2025, 14:03 GMT`` in UK time."""
    local, zone = uk_time(when)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}, {local:%H:%M} {zone}"


def _day(when: dt.datetime) -> str:
    local, _ = uk_time(when)
    return _day_only(local.date())


def _day_only(day: dt.date) -> str:
    """``8 April 2024``: a calendar day, which has no time zone."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def briefing_filename(payload: Mapping, generated_at: dt.datetime) -> str:
    """``briefing-pack-parl-2024-07-04-national-2025-11-21.pdf``: election, scope and the day it was made."""
    election = _slug(str(payload["election"]["election_id"]))[:60] or "election"
    scope = _slug(str(payload.get("force") or "national"))[:20] or "national"
    local, _ = uk_time(generated_at)
    return f"briefing-pack-{election}-{scope}-{local:%Y-%m-%d}.pdf"


# ---------------------------------------------------------------------------------------------------
# The document


class _Briefing(MarkedDocument):
    """The shared A4 page with its marking and page numbers, plus DEMO DATA in every header."""

    def __init__(self, footer_note: str, demo: bool) -> None:
        super().__init__(footer_note)
        self.demo = demo
        self.set_auto_page_break(True, margin=20)

    def header(self) -> None:
        super().header()
        if self.demo:
            self.font(8, bold=True, colour=RED)
            self.set_xy(self.l_margin, 7)
            self.cell(self.epw, 4, "DEMO DATA", align="R")
            self.set_xy(self.l_margin, self.t_margin)

    def clip(self, text: object, width: float) -> str:
        """Text cut to fit ``width`` in the current font, with an ellipsis."""
        text = self.t(text)
        if self.get_string_width(text) <= width:
            return text
        dots = "…" if self.has_glyph("…") else "..."
        while text and self.get_string_width(text + dots) > width:
            text = text[:-1]
        return text.rstrip() + dots

    def small(self, text: str) -> None:
        self.para(text, size=8, colour=GREY, after=1)

    def caption(self, text: str) -> None:
        self.need(14)
        self.ln(2)
        self.para(text, size=10, bold=True, after=1)


def _widths(columns: Sequence[Mapping]) -> list[float]:
    weights = {"category": 3.2, "group": 2.6, "force": 2.8, "comparison": 3.4, "name": 3.4,
               "rate": 2.4, "ratio": 2.6, "this": 2.0, "other": 2.0, "week": 1.6, "within": 2.4, "clock": 2.4}
    return [weights.get(c["key"], 1.3) for c in columns]


def _table(pdf: _Briefing, table: Mapping, *, rows: Sequence[Mapping] | None = None, empty: str = "No figures.") -> None:
    """A payload table exactly as displayed: the display strings in column order, then its notes."""
    columns = table["columns"]
    body = [[str(row.get(c["key"], "")) for c in columns] for row in (table["rows"] if rows is None else rows)]
    size = 8 if len(columns) <= 6 else 7
    pdf.grid([c["label"] for c in columns], _widths(columns), body, size=size, empty=empty)
    for note in table.get("notes") or ():
        pdf.small(note)


# ---------------------------------------------------------------------------------------------------
# Charts, drawn from the payload's ``_values``


def _ticks(top: float, *, whole: bool = False, count: int = 5) -> list[float]:
    """Axis ticks from 0 to at least ``top`` at a round step (1, 2, 2.5 or 5 times a power of ten)."""
    top = top if top > 0 else 1.0
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = magnitude * 10
    for m in ((1, 2, 5, 10) if whole else (1, 2, 2.5, 5, 10)):
        if m * magnitude >= raw:
            step = m * magnitude
            break
    if whole:
        step = max(1.0, round(step))
    n = max(1, math.ceil(top / step - 1e-9))
    return [i * step for i in range(n + 1)]


def _log_ticks(low: float, high: float) -> list[float]:
    ticks = [m * 10.0 ** e for e in range(-3, 4) for m in (1, 2, 5) if low <= m * 10.0 ** e <= high]
    if len(ticks) > 7:
        ticks = [t for t in ticks if math.isclose(math.log10(t), round(math.log10(t)), abs_tol=1e-9)]
    return ticks or [1.0]


def _label(value: float) -> str:
    return hexmap.format_number(value)


def _axis(pdf: _Briefing, x0: float, width: float, y_top: float, y_bottom: float, ticks: Sequence[float],
          position, title: str, labels: Sequence[str] | None = None) -> None:
    """Vertical grid lines at the ticks, their labels under the plot and the axis title under those."""
    pdf.set_line_width(0.15)
    pdf.font(6.5, colour=_AXIS)
    for k, tick in enumerate(ticks):
        x = position(tick)
        pdf.set_draw_color(*_GRIDLINE)
        pdf.line(x, y_top, x, y_bottom)
        text = labels[k] if labels else _label(tick)
        w = pdf.get_string_width(text)
        pdf.set_xy(min(max(x - w / 2 - 0.5, x0 - 4), x0 + width - w + 2), y_bottom + 0.8)
        pdf.cell(w + 1, 3, text)
    pdf.set_draw_color(*_AXIS)
    pdf.set_line_width(0.25)
    pdf.line(x0, y_bottom, x0 + width, y_bottom)
    pdf.font(7, colour=_AXIS)
    pdf.set_xy(x0, y_bottom + 4.2)
    pdf.cell(width, 3.5, pdf.t(title), align="C")
    pdf.set_text_color(*_INK)


_LABEL_W = 52.0
_ROW = 5.0


def _bars_frame(pdf: _Briefing, count: int, row: float = _ROW) -> tuple[float, float, float, float]:
    """Reserve room for a horizontal chart of ``count`` rows: (plot left, plot width, first row top, plot bottom)."""
    height = count * row + 12
    pdf.need(height + 2)
    top = pdf.get_y() + 1
    x0 = pdf.l_margin + _LABEL_W + 2
    return x0, pdf.epw - _LABEL_W - 8, top, top + count * row


def _row_label(pdf: _Briefing, text: str, y: float, row: float = _ROW) -> None:
    pdf.font(7.5 if row >= _ROW else 7)
    pdf.set_xy(pdf.l_margin, y)
    pdf.cell(_LABEL_W, row, pdf.clip(text, _LABEL_W - 1), align="R")


def _left_out(pdf: _Briefing, shown: int, total: int, why: str) -> None:
    if shown < total:
        pdf.small(f"The chart shows {shown} of the {total} rows of the table below; {why}.")


def rate_chart(pdf: _Briefing, table: Mapping, *, x_title: str = "Incidents per 100 candidates (bar), with 95% confidence interval (line)") -> None:
    """Horizontal bars of each row's rate per 100 candidates, with its confidence interval."""
    rows = [r["_values"] for r in table["rows"] if r["_values"].get("rate")]
    total = len(table["rows"])
    rows = rows[:MAX_CHART_ROWS]
    if not rows:
        pdf.small("No chart: every rate in this table is suppressed or has no incidents.")
        return
    _left_out(pdf, len(rows), total, f"the others are suppressed ({MARKER}) or beyond the first {MAX_CHART_ROWS}")
    x0, width, top, bottom = _bars_frame(pdf, len(rows))
    ticks = _ticks(max(r["rate"]["upper"] for r in rows))

    def position(v: float) -> float:
        return x0 + width * v / ticks[-1]

    _axis(pdf, x0, width, top, bottom, ticks, position, x_title)
    for i, r in enumerate(rows):
        y = top + i * _ROW
        _row_label(pdf, r["category"], y)
        rate = r["rate"]
        pdf.set_fill_color(*BAR)
        pdf.rect(x0, y + 0.9, max(position(rate["estimate"]) - x0, 0.2), _ROW - 1.8, style="F")
        _whisker(pdf, position(rate["lower"]), position(rate["upper"]), y + _ROW / 2)
    pdf.set_y(bottom + 10)


def _whisker(pdf: _Briefing, x1: float, x2: float, y: float, open_right: bool = False) -> None:
    pdf.set_draw_color(*_INK)
    pdf.set_line_width(0.3)
    pdf.line(x1, y, x2, y)
    pdf.line(x1, y - 0.9, x1, y + 0.9)
    if not open_right:
        pdf.line(x2, y - 0.9, x2, y + 0.9)


def forest_chart(pdf: _Briefing, table: Mapping, label_key: str, *,
                 x_title: str = "Rate ratio vs all others, 95% confidence interval (log scale); 1 = no difference") -> None:
    """A forest plot: each row's rate ratio as a point with its interval, on a log scale, a dashed line at 1."""
    rows = [(str(r.get(label_key) or r["_values"].get(label_key) or "").rpartition(" vs ")[2], r["_values"]["ratio"]) for r in table["rows"]
            if (r["_values"].get("ratio") or {}).get("ratio") and r["_values"]["ratio"].get("lower") and r["_values"]["ratio"].get("upper")]
    total = len(table["rows"])
    rows = rows[:MAX_CHART_ROWS]
    if not rows:
        pdf.small("No chart: no rate ratio in this table can be shown (suppressed, no incidents, or an open-ended interval).")
        return
    _left_out(pdf, len(rows), total, f"the others are suppressed ({MARKER}), have no incidents, an open-ended interval, "
                                     f"or are beyond the first {MAX_CHART_ROWS}")
    low = min(1.0, *(ratio["lower"] for _, ratio in rows)) / 1.25
    high = max(1.0, *(ratio["upper"] for _, ratio in rows)) * 1.25
    x0, width, top, bottom = _bars_frame(pdf, len(rows))
    span = math.log(high) - math.log(low)

    def position(v: float) -> float:
        return x0 + width * (math.log(v) - math.log(low)) / span

    _axis(pdf, x0, width, top, bottom, _log_ticks(low, high), position, x_title)
    pdf.set_draw_color(*REFERENCE)
    pdf.set_line_width(0.3)
    pdf.set_dash_pattern(dash=1.2, gap=1.0)
    pdf.line(position(1.0), top - 1, position(1.0), bottom)
    pdf.set_dash_pattern()
    for i, (label, ratio) in enumerate(rows):
        y = top + i * _ROW
        _row_label(pdf, label, y)
        _whisker(pdf, position(ratio["lower"]), position(ratio["upper"]), y + _ROW / 2)
        pdf.set_fill_color(*POINT)
        pdf.circle(position(ratio["ratio"]), y + _ROW / 2, 1.1, style="F")
    pdf.set_y(bottom + 10)


def share_chart(pdf: _Briefing, table: Mapping, *, label_key: str, field: str, x_title: str, limit: int = 50, row: float = 4.0) -> None:
    """Horizontal bars of a share from 0 to 100%, with the share written at the end of each bar. Rows are
    thinner than the other charts' so that all 45 police forces fit on one page."""
    rows = [r["_values"] for r in table["rows"] if r["_values"].get(field) is not None]
    total = len(table["rows"])
    rows = rows[:limit]
    if not rows:
        pdf.small("No chart: no police force in this table has had candidates' details handed over yet.")
        return
    _left_out(pdf, len(rows), total, f"the others have had no details handed over, or are beyond the first {limit}")
    x0, width, top, bottom = _bars_frame(pdf, len(rows), row)
    ticks = [0, 20, 40, 60, 80, 100]

    def position(v: float) -> float:
        return x0 + width * v / 100

    _axis(pdf, x0, width, top, bottom, ticks, position, x_title, labels=[f"{t}%" for t in ticks])
    for i, r in enumerate(rows):
        y = top + i * row
        _row_label(pdf, r[label_key], y, row)
        share = 100 * r[field]
        pdf.set_fill_color(*SHARE)
        pdf.rect(x0, y + 0.6, max(position(share) - x0, 0.2), row - 1.2, style="F")
        pdf.font(6.5, colour=_AXIS)
        pdf.set_xy(position(share) + 0.8, y)
        pdf.cell(10, row, f"{share:.0f}%")
    pdf.set_text_color(*_INK)
    pdf.set_y(bottom + 10)


def weekly_chart(pdf: _Briefing, table: Mapping, *, height: float = 48) -> None:
    """Incidents per week as a line with a point per week; a suppressed week is a gap in the line."""
    points = [(r["_values"]["week"], r["_values"]["incidents"]) for r in table["rows"]]
    shown = [v for _, v in points if v is not None]
    if not shown:
        pdf.small(f"No chart: no week has a count that can be shown (weeks with small counts, and some others that would give them away, are {MARKER}).")
        return
    pdf.need(height + 14)
    top = pdf.get_y() + 2
    x0, width = pdf.l_margin + 12, pdf.epw - 16
    bottom = top + height
    ticks = _ticks(max(shown), whole=True)
    n = len(points)

    def px(i: int) -> float:
        return x0 + (width * (i + 0.5) / n)

    def py(v: float) -> float:
        return bottom - height * v / ticks[-1]

    pdf.set_line_width(0.15)
    pdf.font(6.5, colour=_AXIS)
    for tick in ticks:  # horizontal grid lines, labelled on the left
        pdf.set_draw_color(*_GRIDLINE)
        pdf.line(x0, py(tick), x0 + width, py(tick))
        pdf.set_xy(pdf.l_margin, py(tick) - 1.5)
        pdf.cell(10, 3, _label(tick), align="R")
    every = max(1, math.ceil(n / 8))
    for i, (week, _) in enumerate(points):
        if i % every == 0 or i == n - 1 and n <= 8:
            day = dt.date.fromisoformat(week)
            text = f"{day.day} {MONTHS[day.month - 1][:3]}" + (f" {day.year}" if i == 0 else "")
            w = pdf.get_string_width(text)
            pdf.set_xy(px(i) - w / 2, bottom + 0.8)
            pdf.cell(w + 1, 3, text)
    pdf.set_draw_color(*_AXIS)
    pdf.set_line_width(0.25)
    pdf.line(x0, bottom, x0 + width, bottom)
    pdf.font(7, colour=_AXIS)
    pdf.set_xy(x0, bottom + 4.2)
    pdf.cell(width, 3.5, "Week beginning (incidents reported each week)", align="C")
    pdf.set_draw_color(*BAR)
    pdf.set_fill_color(*BAR)
    pdf.set_line_width(0.6)
    run: list[tuple[float, float]] = []
    for i, (_, value) in enumerate([*points, ("", None)]):
        if value is None:
            if len(run) > 1:
                pdf.polyline(run)
            run = []
            continue
        run.append((px(i), py(value)))
    for i, (_, value) in enumerate(points):
        if value is not None:
            pdf.circle(px(i), py(value), 0.8, style="F")
    pdf.set_text_color(*_INK)
    pdf.set_y(bottom + 10)
    if len(shown) < n:
        pdf.small(f"Weeks marked {MARKER} in the table are gaps in the line.")


def hex_chart(pdf: _Briefing, areas: Mapping[str, Mapping], layout: hexmap.HexLayout, *, threshold: int) -> None:
    """The constituency hex map coloured by incidents per 100 candidates, classes as on the Map page."""
    placed = hexmap.place(layout, size=1.0)
    if not placed:
        return
    values = {code: a["rate"] for code, a in areas.items() if a.get("rate") is not None}
    scale = hexmap.sequential_scale(values.values()) if values else None
    suppressed = {code for code, a in areas.items() if a.get("suppressed")}
    half_w, half_h = (math.sqrt(3) / 2, 1.0) if layout.pointy else (1.0, math.sqrt(3) / 2)
    map_w = max(p.x for p in placed) + half_w
    map_h = max(p.y for p in placed) + half_h
    legend_w = 52.0
    box_w = pdf.epw - legend_w - 4
    box_h = min(pdf.page_break_trigger - pdf.t_margin - 12, 200.0)
    size = min(box_w / map_w, box_h / map_h)
    pdf.need(map_h * size + 4)
    x0, y0 = pdf.l_margin, pdf.get_y() + 2
    if layout.pointy:
        corners = [(0, -1), (half_w, -0.5), (half_w, 0.5), (0, 1), (-half_w, 0.5), (-half_w, -0.5)]
    else:
        corners = [(-1, 0), (-0.5, -half_h), (0.5, -half_h), (1, 0), (0.5, half_h), (-0.5, half_h)]
    pdf.set_line_width(0.08)
    for p in placed:
        code = p.hex.code
        if code in values and scale is not None:
            fill, stroke = _rgb(scale.colour(values[code])), (255, 255, 255)
        elif code in suppressed:
            fill, stroke = _rgb(hexmap.HATCH), (255, 255, 255)
        else:
            fill, stroke = _rgb(hexmap.NO_DATA_FILL), _rgb(hexmap.NO_DATA_STROKE)
        pdf.set_fill_color(*fill)
        pdf.set_draw_color(*stroke)
        pdf.polygon([(x0 + (p.x + cx) * size, y0 + (p.y + cy) * size) for cx, cy in corners], style="DF")
    # The legend, to the right of the map.
    lx, ly = x0 + box_w + 4, y0 + 2
    pdf.font(8, bold=True)
    pdf.set_xy(lx, ly)
    pdf.multi_cell(legend_w, 3.6, "Incidents per 100 candidates", new_x="LMARGIN", new_y="NEXT")
    ly = pdf.get_y() + 1
    entries = [(c, lbl) for c, lbl in zip(scale.colours, scale.labels)] if scale else []
    if suppressed:  # only a snapshot from before perturbation hides any
        entries.append((hexmap.HATCH, f"{MARKER}: not shown, to protect small numbers"))
    entries.append((hexmap.NO_DATA_FILL, "No candidates in scope"))
    for colour, text in entries:
        pdf.set_fill_color(*_rgb(colour))
        pdf.set_draw_color(*_rgb(hexmap.NO_DATA_STROKE))
        pdf.rect(lx, ly + 0.4, 3.5, 3.0, style="DF")
        pdf.font(7.5)
        pdf.set_xy(lx + 5, ly)
        pdf.multi_cell(legend_w - 5, 3.6, pdf.t(text), new_x="LMARGIN", new_y="NEXT")
        ly = pdf.get_y() + 0.8
    pdf.set_y(max(y0 + map_h * size, ly) + 4)


# ---------------------------------------------------------------------------------------------------
# The pack


def render_briefing(snapshot_payload: dict, *, computed_at: dt.datetime, scope_name: str, generated_by: str,
                    generated_at: dt.datetime, demo: bool | None = None, hex_cells: Iterable[Sequence] = (),
                    area_names: Mapping[str, str] | None = None, survey: Mapping | None = None) -> bytes:
    """The briefing pack for one snapshot's payload, as PDF bytes.

    ``computed_at`` is when the figures were computed ("figures as of"), ``generated_at`` and
    ``generated_by`` when and by whom the pack is made. ``demo`` forces the DEMO DATA marking on or
    off; by default it follows :func:`is_demo`. ``hex_cells`` are ``(code, name, q, r)`` rows of the
    constituency hex map (``hexmap.layout_from_cells``): without them, a general election's map is a
    ranked list only. ``area_names`` names constituencies by GSS code in that list. Nothing here reads
    the database; the same arguments give the same bytes.
    """
    payload = snapshot_payload
    demo = is_demo(payload) if demo is None else demo
    election = payload["election"]
    threshold = int(payload.get("threshold") or 5)
    as_of = _long(computed_at)
    pdf = _Briefing(f"Taskforce briefing, {scope_name}, figures as of {_day(computed_at)}", demo)
    pdf.set_title(f"{TITLE}: {election['name']}, {scope_name}")
    pdf.set_subject(f"{MARKING}. Figures as of {as_of}.")
    pdf.set_creator("Ballotguard")
    pdf.set_lang("en-GB")
    pdf.set_creation_date(as_utc(generated_at))
    pdf.add_page()

    # -- cover, headline figures, "is it rising?" ------------------------------------------------
    pdf.font(19, bold=True)
    pdf.multi_cell(pdf.epw, 8.5, pdf.t(TITLE), new_x="LMARGIN", new_y="NEXT")
    pdf.font(13, bold=True, colour=GREY)
    pdf.multi_cell(pdf.epw, 6.5, pdf.t(f"{election['name']}: {scope_name}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    if demo:
        pdf.boxed(DEMO_BANNER, size=11, bold=True, colour=RED, fill=RED_FILL, border=RED)
    pdf.fields((
        ("Election", f"{election['name']} (polling day {_day(dt.datetime.combine(dt.date.fromisoformat(election['date']), dt.time(12)))})"),
        ("Area", scope_name),
        ("Figures as of", as_of),
        ("Generated", f"{_long(generated_at)}, by {generated_by}"),
        ("Marking", f"{MARKING}. No names, references or free text. " + (
            f"{payload['method']['note']} No count from 1 to {threshold - 1} is shown." if payload.get("method")
            else f"Every count from 1 to {threshold - 1} is shown as {MARKER}.")),
    ), label_w=34)
    pdf.heading("Headline figures")
    h = payload["headline"]
    share = h.get("share_reporting")
    pdf.fields((
        ("Candidates", f"{h['candidates']:,}"),
        ("Incidents reported", h["incidents"]["display"]),
        ("Candidates who reported at least one incident", h["candidates_reporting"]["display"] + (f": {share['display']}" if share else "")),
        ("Incidents per 100 candidates (95% CI)", h["rate_display"]),
        ("Serious (high risk)", f"{h['serious']['display']} ({h['serious']['share']} of incidents)"),
        ("With a police crime reference", f"{h['reported_to_police']['display']} ({h['reported_to_police']['share']} of incidents)"),
        ("High-risk incidents awaiting triage", h["serious_awaiting_triage"]["display"]),
    ), label_w=80)
    pdf.small("Reports made through Ballotguard, not every incident: see Caveats. " + EC_REPORTING)

    pdf.heading("Is it rising?")
    comparisons = payload["comparisons"]
    if comparisons["rows"]:
        pdf.para("This election's rate of incidents per 100 candidates compared with each earlier election of the same kind, "
                 "as a rate ratio with its 95% confidence interval: above 1 is a rise; an interval that includes 1 is "
                 "consistent with no change.", size=9)
        forest_chart(pdf, comparisons, "comparison", x_title="Rate ratio, this election vs the earlier one named (log scale); 1 = no change")
        _table(pdf, comparisons)
    else:
        pdf.para("There are no figures for an earlier election of the same kind to compare with.", size=9, colour=GREY)

    # -- trends -----------------------------------------------------------------------------------
    pdf.add_page()
    pdf.heading("Trends", size=15)
    weekly, period = insights_engine.weekly_shown(payload["weekly"], dt.date.fromisoformat(election["date"]))
    span = f"{_day_only(period['start'])} to {_day_only(period['end'])}"
    pdf.caption(weekly["title"] + (", every week" if period["every_week"] else f", campaign period ({span})"))
    weekly_chart(pdf, weekly)
    _table(pdf, weekly, empty="No incidents reported.")
    if period["empty"]:
        note = f"No week of the campaign period ({span}) shows any incidents, so every week is shown."
    else:
        outside = period["outside"]
        note = "The campaign period runs from six weeks before polling day to four weeks after it." + (
            f" {outside} week{'s' if outside != 1 else ''} outside it show{'s' if outside == 1 else ''} incidents; the insights pages show every week." if outside else "")
    pdf.para(note, size=8, colour=GREY)
    for table in payload["breakdowns"]:
        pdf.caption(table["title"])
        rate_chart(pdf, table)
        _table(pdf, table, empty="No incidents reported.")

    # -- disparities ------------------------------------------------------------------------------
    pdf.add_page()
    pdf.heading("Disparities", size=15)
    pdf.para("Incidents per 100 candidates for each group, and each group compared with all other candidates in the same "
             "election and area as a rate ratio: above 1 means more incidents per candidate than the rest. The number of "
             "candidates in each group (the denominator) is shown.", size=9)
    for table in payload["disparities"]:
        pdf.caption(table["title"])
        forest_chart(pdf, table, "group")
        _table(pdf, table)

    # -- coverage gaps ----------------------------------------------------------------------------
    pdf.add_page()
    pdf.heading("Coverage gaps", size=15)
    coverage = payload["coverage"]
    pdf.caption("Share of handed-over candidates contacted by their FEOA")
    share_chart(pdf, coverage, label_key="force", field="contacted_share", x_title="Contacted (% of candidates whose details were handed over)")
    pdf.caption(coverage["title"])
    _table(pdf, coverage, empty="No police force in scope.")

    # -- case clocks ------------------------------------------------------------------------------
    clocks = payload.get("clocks")
    if clocks:
        pdf.add_page()
        pdf.heading("Case clocks", size=15)
        pdf.para("How long advisers took from a report being sent to first contact with the candidate, to triage, to referral "
                 "to police and to close, against each force's targets: the median and 90th percentile of cases whose clock "
                 "stopped, and the share within target (95% exact interval), counting open cases already past target as missed.",
                 size=9)
        pdf.caption(clocks["targets"]["title"])
        _table(pdf, clocks["targets"])
        for section in clocks["clocks"]:
            for table in section["tables"]:
                pdf.caption(table["title"])
                _table(pdf, table, empty="No cases.")

    # -- map --------------------------------------------------------------------------------------
    _map_section(pdf, payload, threshold, list(hex_cells), area_names or {})

    # -- the candidates' survey (national packs only) --------------------------------------------
    if survey is not None:
        _survey_section(pdf, survey)

    # -- methods and caveats ----------------------------------------------------------------------
    pdf.add_page()
    pdf.heading("Methods", size=15)
    pdf.bullets(_methods(threshold, as_of, payload.get("method")), size=9)
    pdf.heading("Caveats", size=15)
    pdf.bullets(_caveats(demo), size=9)
    pdf.heading("Handling", size=12)
    pdf.para(f"{MARKING}. For those in the Defending Democracy Taskforce and the police who need it. Small counts are "
             f"protected and no candidate is named, but the figures still describe people at risk: do not forward "
             f"beyond that need, and take new figures from Ballotguard rather than from an old copy.", size=9)
    return bytes(pdf.output())


def _map_section(pdf: _Briefing, payload: Mapping, threshold: int, hex_cells: list, area_names: Mapping[str, str]) -> None:
    areas: Mapping[str, Mapping] = payload["map"]["areas"]
    kind = payload["map"]["kind"]
    pdf.add_page()
    constituencies = kind == "constituency"
    pdf.heading("Map" if constituencies else "Councils", size=15)
    names = dict(area_names)
    if constituencies:
        names.update({str(row[0]): str(row[1]) for row in hex_cells})
        layout = hexmap.layout_from_cells(hex_cells) if hex_cells else None
        if layout is not None and layout.hexes:
            pdf.para("Each hexagon is a Westminster constituency, coloured by incidents reported per 100 candidates; the "
                     "classes hold about as many constituencies each.", size=9)
            hex_chart(pdf, areas, layout, threshold=threshold)
        else:
            pdf.small("No hex map positions are loaded for the constituencies (ballotguard import-geography), so the map is "
                      "a list only.")
    ranked = sorted(areas.items(), key=lambda kv: (-(kv[1]["rate"] if kv[1].get("rate") is not None else -1),
                                                   names.get(kv[0], kv[0])))
    limit = MAX_MAP_ROWS if constituencies else len(ranked)
    heading = "Constituency" if constituencies else "Council"
    pdf.caption(("Constituencies" if constituencies else "Councils") + ", highest rate first" + (f" (the first {limit} of {len(ranked)})" if len(ranked) > limit else ""))
    rows = [{"name": names.get(code, code), "candidates": f"{a['candidates']:,}", "incidents": a["display"], "rate": a["rate_display"]}
            for code, a in ranked[:limit]]
    table = {"columns": [{"key": "name", "label": heading}, {"key": "candidates", "label": "Candidates"},
                         {"key": "incidents", "label": "Incidents"}, {"key": "rate", "label": "Per 100 candidates (95% CI)"}],
             "rows": rows,
             "notes": [(f"{sum(1 for a in areas.values() if a.get('suppressed'))} of {len(areas)} have a suppressed count ({MARKER}). "
                       "The Map page and its CSV list every one.")]}
    _table(pdf, table, empty="No areas with candidates in scope.")


def _disclosure_method(threshold: int, method: Mapping | None) -> str:
    if not method:  # a snapshot computed before perturbation
        return (f"Suppression. Every count from 1 to {threshold - 1} is shown as {MARKER} (primary suppression). Where a table shows "
                f"a total, more counts are hidden (secondary suppression) so that none can be worked out by subtraction. A rate, "
                f"share or ratio computed from a hidden count is hidden with it, because with the public denominator it would give "
                f"the count back; charts leave those rows out. Zero is shown.")
    return (f"Perturbation. Every count is perturbed by the cell-key method (as the ONS did for Census 2021): each incident and "
            f"candidate has a fixed secret key, a figure's key is the sum of its records' keys, and a fixed table turns the count "
            f"and its key into the number shown. No count from 1 to {threshold - 1} is shown (a small count reads as 0 or at least "
            f"{threshold}); every figure is within {method['max_noise']} of the true count and unbiased; the same incidents show "
            f"the same number on every page, download and pack. Totals are perturbed on their own, so totals may not equal the "
            f"sum of rows; rates, shares and ratios come from the perturbed counts. Zero is not perturbed. "
            f"Method: docs/insights.md, 'Disclosure control'.")


def _survey_section(pdf: _Briefing, survey: Mapping) -> None:
    """The candidates' survey page: what candidates said, beside what they reported (issue 17)."""
    pdf.add_page()
    pdf.heading("Candidates' survey", size=15)
    pdf.para("Every candidate was invited after polling day to an anonymous survey of their experience, whether or not they "
             "reported it. Shares have exact (Clopper-Pearson) 95% confidence intervals. " + EC_REPORTING, size=9)
    if not survey.get("enough"):
        pdf.para(f"Fewer than {survey.get('min_respondents', 10)} candidates responded, so no survey figures are published "
                 f"({survey.get('invited', 0):,} invited).", size=9, colour=GREY)
        return
    h = survey["headline"]
    pdf.fields((
        ("Candidates invited", f"{h['invited']:,}"),
        ("Responses (response rate)", f"{h['respondents'] if h['respondents'] is not None else MARKER}: {h['response_rate']['display']}"),
        ("Experienced any harassment, abuse or intimidation", h["experienced"]["display"]),
        ("Online / in person", f"{h['online']['display']} / {h['offline']['display']}"),
        ("Told the police, of those who experienced any", h["reported_to_police"]["display"]),
        ("Avoided campaigning alone", h["avoided_alone"]["display"]),
    ), label_w=80)
    for table in survey["breakdowns"]:
        pdf.caption(table["title"])
        _table(pdf, table, empty="No responses.")
    pdf.caption(survey["police"]["title"])
    _table(pdf, survey["police"], empty="No one who responded experienced any.")
    under = survey["underreporting"]
    pdf.caption(under["title"])
    forest_chart(pdf, under, "force", x_title="Survey-reported experience / candidates with an incident in Ballotguard (log scale)")
    _table(pdf, under, empty="No police force with responses.")
    for note in under["notes"]:
        pdf.small(note)
    pdf.caption(survey["views"]["title"])
    _table(pdf, survey["views"])


def _methods(threshold: int, as_of: str, method: Mapping | None = None) -> list[str]:
    return [
        (f"Source. Incidents reported through Ballotguard and submitted (drafts are not counted), as stored in the insights "
        f"snapshot computed {as_of}. The pack prints that snapshot: the same figures as the insights pages and their CSV files."),
        ("Attribution. An incident counts against the election of the candidate targeted and the police force(s) of the "
        "candidate's constituency or ward. A constituency policed by two forces (20 of the 650 Westminster constituencies) "
        "counts for both, so the forces' figures add up to more than the national figure."),
        ("Denominators. Candidates are candidacies in the election (a person standing twice counts twice), from the published "
        "statements of persons nominated, so they are never suppressed. Every rate is incidents per 100 candidates."),
        ("Several at once. An incident can record several behaviours, characteristics targeted and issues, so those breakdowns "
        "can add up to more than the total; their shares are of incidents."),
        ("Serious means the incident's risk, after any FEOA override, is high. A police crime reference means the police "
        "recorded a crime; Ballotguard never reports a crime itself."),
        ("Confidence intervals are exact 95% intervals: Garwood's Poisson interval for a rate; the Clopper-Pearson binomial "
        "interval for the share of candidates reporting; for a rate ratio the conditional method (the split of the two "
        "groups' incidents is binomial; its Clopper-Pearson interval maps onto the ratio), with the exact test for a ratio of 1. "
        "They agree with R's poisson.test and binom.test."),
        ("Rate ratios compare a group with all other candidates in the same election and area; between elections, this "
        "election's rate with the earlier one's in the same area."),
        _disclosure_method(threshold, method),
        ("Coverage gaps. Details handed over is the share of candidates whose contact details the returning officer passed "
        "to the police with consent; contacted and briefed are shares of those; days are counted from the close of "
        "nominations to the first successful contact. Forces are sorted worst first: high-risk incidents awaiting triage, "
        "then the lowest share contacted, then incidents from candidates the FEOA never reached."),
    ]


def _caveats(demo: bool) -> list[str]:
    items = [
        "Reports are not all incidents. " + EC_REPORTING + " Many candidates report through no route at all, so these "
        "figures undercount, and a rise in reports can be a rise in reporting (more candidates knowing of Ballotguard or "
        "their FEOA) as much as a rise in intimidation.",
        ("Small numbers. Intervals are wide where counts are small; an interval that includes 1 does not show a difference. "
        "With many groups compared, one or two can look different by chance."),
        ("Not adjusted. A rate ratio compares a group with everyone else, with no allowance for other differences between "
        "them (party, seat, prominence): it shows where to look, not why."),
        "A snapshot. The figures are as of the time on the cover; incidents triaged, linked or reported since are not in them.",
    ]
    if demo:
        items.insert(0, "DEMO DATA. " + DEMO_BANNER.removeprefix("DEMO DATA. ") + " The demo is built to reproduce patterns "
                     "the Electoral Commission reported for 2024, so it cannot confirm them.")
    return items


def briefing_for(snapshot, *, generated_by: str, generated_at: dt.datetime | None = None,
                 scope_name: str | None = None) -> bytes:
    """The briefing pack of a stored :class:`~ballotguard.insights.models.Snapshot`, with the hex map
    positions of the constituencies from the registry (figures come from the snapshot only)."""
    from django.utils import timezone

    from ballotguard.registry.models import Area

    payload = snapshot.payload
    cells: list[tuple] = []
    if payload["map"]["kind"] == "constituency":
        cells = list(Area.objects.filter(area_type=Area.Type.CONSTITUENCY, hex_q__isnull=False, hex_r__isnull=False)
                     .order_by("code").values_list("code", "name", "hex_q", "hex_r"))
        missing = [code for code in payload["map"]["areas"] if code not in {c[0] for c in cells}]
        names = dict(Area.objects.filter(code__in=missing).values_list("code", "name")) if missing else {}
    else:
        names = {}
    return render_briefing(
        payload, computed_at=snapshot.computed_at, scope_name=scope_name or scope_label(payload), generated_by=generated_by,
        generated_at=generated_at or timezone.now(), hex_cells=cells, area_names=names, survey=_survey_payload(snapshot),
    )


def _survey_payload(snapshot) -> dict | None:
    """The election's survey figures, for a national pack only: the survey page is an analyst's, and a
    force's few responses would not be anonymous to the force's own advisers (ballotguard/insights/survey.py)."""
    from .models import NATIONAL, SurveyFigures

    if snapshot.scope != NATIONAL:
        return None
    stored = SurveyFigures.objects.filter(key=snapshot.election.election_id).first()
    return stored.payload if stored else None
