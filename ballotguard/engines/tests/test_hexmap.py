"""The hex map engine: HexJSON reading, geometry against the real constituency map, colour scales,
and SVG that is safe to inline under the site's Content Security Policy."""

from __future__ import annotations

import itertools
import json
import math
import pathlib
import re
import time
import xml.etree.ElementTree as ET
from collections import defaultdict

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ballotguard.engines.insights.hexmap import (
    BLUES,
    HEX_SIZE,
    MARGIN,
    NO_DATA_FILL,
    Hex,
    HexLayout,
    HexMapError,
    Scale,
    format_number,
    layout_from_cells,
    layout_from_hexjson,
    place,
    render_svg,
    sequential_scale,
)

PCON24 = pathlib.Path(__file__).resolve().parents[4] / "shared" / "data" / "uk" / "geography" / "pcon24_hexmap.hexjson"
SVG = "{http://www.w3.org/2000/svg}"
ACROSS = math.sqrt(3) * HEX_SIZE  # distance between the centres of neighbouring hexes


@pytest.fixture(scope="module")
def pcon24() -> HexLayout:
    if not PCON24.exists():
        pytest.skip(f"the constituency hex map is not in this checkout's shared data ({PCON24})")
    return layout_from_hexjson(PCON24.read_bytes())


def tiny(kind: str = "odd-r") -> HexLayout:
    """Two by two, at rows 0 and 1 and columns 0 and 1."""
    return layout_from_cells([("A", "Alpha", 0, 0), ("B", "Bravo", 1, 0), ("C", "Charlie", 0, 1), ("D", "Delta", 1, 1)], kind)


def centres(layout: HexLayout) -> dict[str, tuple[float, float]]:
    return {p.hex.code: (p.x, p.y) for p in place(layout)}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises if the SVG is not well-formed XML


def hex_titles(root: ET.Element) -> dict[str, str]:
    """data-code -> the hex's tooltip, whether the title sits in the polygon or in its link."""
    titles = {}
    for poly in root.iter(f"{SVG}polygon"):
        if poly.find(f"{SVG}title") is not None:
            titles[poly.get("data-code")] = poly.find(f"{SVG}title").text
    for link in root.iter(f"{SVG}a"):
        titles[link.find(f"{SVG}polygon").get("data-code")] = link.find(f"{SVG}title").text
    return titles


def hex_fills(root: ET.Element) -> dict[str, str]:
    group = root.find(f"{SVG}g[@class='bg-hexmap__hexes']")
    return {poly.get("data-code"): poly.get("fill") for poly in group.iter(f"{SVG}polygon")}


def legend_labels(root: ET.Element) -> list[str]:
    legend = root.find(f"{SVG}g[@class='bg-hexmap__legend']")
    return [] if legend is None else [t.text for t in legend.iter(f"{SVG}text")]


# --- the real constituency map ------------------------------------------------------------------


def test_pcon24_has_650_constituencies_each_in_its_own_place(pcon24):
    assert pcon24.kind == "odd-r"
    assert len(pcon24.hexes) == 650
    assert len({hx.code for hx in pcon24.hexes}) == 650
    points = centres(pcon24)
    assert len({(round(x, 6), round(y, 6)) for x, y in points.values()}) == 650
    barnsley = next(hx for hx in pcon24.hexes if hx.code == "E14001074")
    assert (barnsley.name, barnsley.q, barnsley.r, barnsley.group) == ("Barnsley North", 57, -23, "E12000003")


def test_pcon24_neighbours_in_a_row_are_one_hex_apart_and_no_two_hexes_overlap(pcon24):
    points = centres(pcon24)
    by_cell = {(hx.q, hx.r): hx.code for hx in pcon24.hexes}
    pairs = [(code, by_cell[(q + 1, r)]) for (q, r), code in by_cell.items() if (q + 1, r) in by_cell]
    assert len(pairs) > 300
    for left, right in pairs:
        (x1, y1), (x2, y2) = points[left], points[right]
        assert y1 == y2
        assert x2 - x1 == pytest.approx(ACROSS)
    # Nothing closer than a neighbour: hexes would overlap.
    ordered = sorted(points.values())
    nearest = min(math.dist(a, b) for i, a in enumerate(ordered) for b in ordered[i + 1: i + 40])
    assert nearest == pytest.approx(ACROSS)


def test_pcon24_north_is_at_the_top(pcon24):
    by_name = {hx.name: hx.code for hx in pcon24.hexes}
    points = centres(pcon24)
    orkney, st_ives = points[by_name["Orkney and Shetland"]], points[by_name["St Ives"]]
    assert orkney[1] < st_ives[1]  # SVG y grows downwards
    scotland = [points[hx.code][1] for hx in pcon24.hexes if hx.code.startswith("S14")]
    england = [points[hx.code][1] for hx in pcon24.hexes if hx.code.startswith("E14")]
    assert max(scotland) < max(england) and min(scotland) < min(england)
    assert min(y for _, y in points.values()) == pytest.approx(HEX_SIZE)  # the top row touches the top edge


def test_pcon24_mainland_regions_are_one_piece_so_row_parity_is_right(pcon24):
    """Shifting the wrong rows half a hex breaks regions apart: with odd-r read as even-r, the East
    Midlands, the East of England and the South West each fall into two pieces."""

    def pieces(layout: HexLayout) -> dict[str, int]:
        points = centres(layout)
        groups: dict[str, list[str]] = defaultdict(list)
        for hx in layout.hexes:
            groups[hx.group].append(hx.code)
        counts = {}
        for group, codes in groups.items():
            seen: set[str] = set()
            counts[group] = 0
            for start in codes:
                if start in seen:
                    continue
                counts[group] += 1
                stack, _ = [start], seen.add(start)
                while stack:
                    here = points[stack.pop()]
                    for other in codes:
                        if other not in seen and math.dist(here, points[other]) < ACROSS * 1.01:
                            seen.add(other)
                            stack.append(other)
        return counts

    mainland = ("E12000004", "E12000006", "E12000009")  # East Midlands, East of England, South West
    right = pieces(pcon24)
    assert [right[g] for g in mainland] == [1, 1, 1]
    wrong = pieces(HexLayout("even-r", pcon24.hexes))
    assert [wrong[g] for g in mainland] == [2, 2, 2]


def test_pcon24_renders_quickly_and_completely(pcon24):
    values = {hx.code: (i % 97) / 7 for i, hx in enumerate(pcon24.hexes)}
    best = math.inf
    for _ in range(3):
        started = time.perf_counter()
        svg = render_svg(pcon24, values, title="Incident rate", description="By constituency",
                         suppressed=[pcon24.hexes[0].code], highlight=[pcon24.hexes[1].code])
        best = min(best, time.perf_counter() - started)
    assert best < 0.05, f"650 hexes took {best * 1000:.1f} ms"
    root = parse(svg)
    assert len(hex_fills(root)) == 650


def test_layout_from_database_rows_matches_the_file(pcon24):
    rows = [(hx.code, hx.name, hx.q, hx.r, hx.group) for hx in pcon24.hexes]
    assert layout_from_cells(rows) == pcon24
    assert centres(layout_from_cells([row[:4] for row in rows])) == centres(pcon24)


# --- geometry of each layout --------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "expected"), [
    # Rows grow upwards, so row 1 is drawn above row 0; the shifted rows or columns move half a hex.
    ("odd-r", {"A": (0.0, 1.5), "B": (1.0, 1.5), "C": (0.5, 0.0), "D": (1.5, 0.0)}),
    ("even-r", {"A": (0.5, 1.5), "B": (1.5, 1.5), "C": (0.0, 0.0), "D": (1.0, 0.0)}),
    ("odd-q", {"A": (0.0, 1.5), "B": (1.5, 1.0), "C": (0.0, 0.5), "D": (1.5, 0.0)}),
    ("even-q", {"A": (0.0, 1.0), "B": (1.5, 1.5), "C": (0.0, 0.0), "D": (1.5, 0.5)}),
])
def test_each_layout_places_the_shifted_rows_or_columns(kind, expected):
    layout = tiny(kind)
    points = centres(layout)
    origin = (ACROSS / 2, HEX_SIZE) if layout.pointy else (HEX_SIZE, ACROSS / 2)
    # Expected positions are in hex steps: across a row (sqrt 3) or down a row (1.5) for -r,
    # across a column (1.5) or down a column (sqrt 3) for -q.
    step_x, step_y = (ACROSS, HEX_SIZE) if layout.pointy else (HEX_SIZE, ACROSS)
    for code, (sx, sy) in expected.items():
        assert points[code] == pytest.approx((origin[0] + (sx - expected_min(expected, 0)) * step_x,
                                              origin[1] + (sy - expected_min(expected, 1)) * step_y)), code
    # Every pair that the layout makes neighbours is exactly one hex apart.
    assert sum(1 for a in points for b in points if a < b and math.dist(points[a], points[b]) == pytest.approx(ACROSS)) == 5


def expected_min(expected: dict[str, tuple[float, float]], axis: int) -> float:
    return min(point[axis] for point in expected.values())


def test_parity_is_of_the_absolute_row_so_negative_rows_shift_too():
    layout = layout_from_cells([("N", "North", 0, -1), ("S", "South", 0, -2)])  # -1 is odd
    points = centres(layout)
    assert points["N"][0] - points["S"][0] == pytest.approx(ACROSS / 2)
    assert points["N"][1] < points["S"][1]


@pytest.mark.parametrize(("kind", "first_corner"), [("odd-r", "0,-10"), ("even-r", "0,-10"), ("odd-q", "-10,0"), ("even-q", "-10,0")])
def test_row_layouts_are_pointy_topped_and_column_layouts_flat_topped(kind, first_corner):
    root = parse(render_svg(tiny(kind), {"A": 1}, title="t", description="d"))
    polygons = list(root.iter(f"{SVG}polygon"))
    assert len(polygons) == 4
    for poly in polygons:
        corners = poly.get("points").split()
        assert corners[0] == first_corner and len(corners) == 6
    # Each polygon is drawn where place() says, inside the margin.
    for poly in polygons:
        x, y = map(float, re.fullmatch(r"translate\((\S+) (\S+)\)", poly.get("transform")).groups())
        cx, cy = centres(tiny(kind))[poly.get("data-code")]
        assert (x, y) == pytest.approx((cx + MARGIN, cy + MARGIN), abs=0.01)


# --- reading HexJSON ----------------------------------------------------------------------------


def test_hexjson_from_text_bytes_with_bom_or_a_dict():
    doc = {"layout": "even-q", "hexes": {"X1": {"n": "Ex & Why", "q": "3", "r": -2.0, "region": "R1"}, "X2": {"q": 4, "r": -2}}}
    for data in (doc, json.dumps(doc), b"\xef\xbb\xbf" + json.dumps(doc).encode()):
        layout = layout_from_hexjson(data)
        assert layout.kind == "even-q"
        assert layout.hexes == (Hex("X1", "Ex & Why", 3, -2, "R1"), Hex("X2", "X2", 4, -2, ""))


@pytest.mark.parametrize(("data", "message"), [
    ("{not json", "not JSON"),
    (b"\xff\xfe\x00", "not UTF-8"),
    ("[1, 2]", "JSON object"),
    ({"layout": "axial-r", "hexes": {"A": {"q": 0, "r": 0}}}, "unknown HexJSON layout 'axial-r'"),
    ({"hexes": {"A": {"q": 0, "r": 0}}}, "unknown HexJSON layout None"),
    ({"layout": "odd-r", "hexes": {}}, "no \"hexes\""),
    ({"layout": "odd-r", "hexes": [{"q": 0, "r": 0}]}, "no \"hexes\""),
    ({"layout": "odd-r", "hexes": {"E14000001": {"n": "Aldershot", "r": 0}}}, "hex 'E14000001' (Aldershot) has no q"),
    ({"layout": "odd-r", "hexes": {"E14000001": {"q": 1, "r": None}}}, "hex 'E14000001' has no r"),
    ({"layout": "odd-r", "hexes": {"E14000001": {"n": "Aldershot", "q": 1.5, "r": 0}}}, "hex 'E14000001' (Aldershot): q must be a whole number, not 1.5"),
    ({"layout": "odd-r", "hexes": {"E14000001": {"q": "one", "r": 0}}}, "q must be a whole number, not 'one'"),
    ({"layout": "odd-r", "hexes": {"E14000001": {"q": True, "r": 0}}}, "q must be a whole number, not True"),
    ({"layout": "odd-r", "hexes": {"E14000001": 7}}, "hex 'E14000001' is not a JSON object"),
    ({"layout": "odd-r", "hexes": {"A": {"q": 0, "r": 0}, "B": {"q": 0, "r": 0}}}, "hexes 'A' and 'B' are both at q=0, r=0"),
])
def test_bad_hexjson_is_refused_with_a_message_naming_the_problem(data, message):
    with pytest.raises(HexMapError, match=re.escape(message)):
        layout_from_hexjson(data)


def test_bad_database_rows_are_refused():
    with pytest.raises(ValueError, match=re.escape("hex 'E1' (Aldershot) has no q")):
        layout_from_cells([("E1", "Aldershot", None, 3)])
    with pytest.raises(ValueError, match="3 fields"):
        layout_from_cells([("E1", "Aldershot", 3)])
    with pytest.raises(ValueError, match="appears twice"):
        layout_from_cells([("E1", "A", 0, 0), ("E1", "A", 1, 0)])
    with pytest.raises(ValueError, match="unknown hex layout"):
        layout_from_cells([("E1", "A", 0, 0)], kind="odd")


# --- colour scales ------------------------------------------------------------------------------


def test_scale_of_rates_has_rounded_quantile_bounds_and_readable_labels():
    values = [0.024, 0.9, 1.4, 2.2, 3.1, 3.9, 4.4, 5.8, 6.3, 7.7, 8.8, 9.98]
    scale = sequential_scale(values)
    # Quantiles at 20/40/60/80% by nearest rank are 1.4, 3.1, 5.8 and 7.7; the top is 9.98 rounded up.
    assert scale.bins == (1.4, 3.1, 5.8, 7.7, 10.0)
    assert scale.labels == ("0.0 to 1.4", "1.4 to 3.1", "3.1 to 5.8", "5.8 to 7.7", "7.7 to 10.0")
    assert scale.colours == (BLUES[0], BLUES[2], BLUES[3], BLUES[5], BLUES[6])  # light to dark, evenly spread
    assert [scale.index(v) for v in (0.0, 1.4, 1.41, 9.98, 50)] == [0, 0, 1, 4, 4]


def test_scale_of_counts_has_whole_bounds():
    scale = sequential_scale([1, 1, 2, 3, 3, 4, 7, 12, 40])
    assert scale.bins == (1, 3, 4, 12, 40)
    assert scale.labels == ("1", "2 to 3", "4", "5 to 12", "13 to 40")
    assert sequential_scale([120, 130, 151, 999]).bins[-1] == 1000  # rounded up to two significant figures


def test_scale_of_equal_values_has_one_class_and_none_and_nan_are_ignored():
    scale = sequential_scale([0.3, 0.3, None, math.nan])
    assert scale.bins == (0.3,) and scale.labels == ("0.3",) and len(scale.colours) == 1


def test_scale_labels_can_be_formatted_by_the_caller():
    scale = sequential_scale([0.1, 0.2, 0.5], classes=2, value_label=lambda v: f"{v:.0%}")
    assert scale.labels == ("10% to 20%", "20% to 50%")


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=60), st.integers(1, 7))
@example([111.0, 1.6, 0.125], 4)  # once left the middle class empty: Decimal("1.6") < the float 1.6
def test_scale_bounds_increase_and_cover_every_value(values, classes):
    scale = sequential_scale(values, classes=classes)
    assert 1 <= len(scale.bins) <= classes
    assert all(a < b for a, b in zip(scale.bins, scale.bins[1:]))
    assert scale.bins[0] >= min(values) and scale.bins[-1] >= max(values)
    assert set(scale.colours) <= set(BLUES)
    assert len(set(scale.colours)) == len(scale.colours)
    # Every class from the first to the last holds at least one value: no empty colours in the legend.
    assert {scale.index(v) for v in values} == set(range(len(scale.bins)))
    assert sequential_scale(list(reversed(values)), classes=classes) == scale  # order does not matter


def test_bad_scales_are_refused():
    with pytest.raises(ValueError, match="no values"):
        sequential_scale([None])
    with pytest.raises(ValueError, match="infinite"):
        sequential_scale([1, math.inf])
    with pytest.raises(ValueError, match="the palette has 2 colours"):
        sequential_scale([1, 2, 3], classes=3, palette=("#ffffff", "#000000"))
    with pytest.raises(ValueError, match="strictly increasing"):
        Scale(bins=(2, 1), colours=("#ffffff", "#000000"), labels=("a", "b"))
    with pytest.raises(ValueError, match="#rrggbb"):
        Scale(bins=(1,), colours=('red" onload="x',), labels=("a",))
    with pytest.raises(ValueError, match="as many colours"):
        Scale(bins=(1, 2), colours=("#ffffff",), labels=("a", "b"))


def test_darkest_colour_has_strong_contrast_with_white():
    def luminance(colour: str) -> float:
        channels = [int(colour[i: i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    assert 1.05 / (luminance(BLUES[-1]) + 0.05) >= 7  # WCAG AAA for text, so labels could sit on it
    assert all(luminance(a) > luminance(b) for a, b in itertools.pairwise(BLUES))  # light to dark


def test_numbers_are_formatted_for_people():
    assert [format_number(v) for v in (3, 1234.0, 3.9, 0.0123, 12.345, 1234.56)] == ["3", "1,234", "3.9", "0.0123", "12.3", "1,234.6"]


# --- SVG ----------------------------------------------------------------------------------------


def test_svg_is_a_scalable_accessible_image():
    svg = render_svg(tiny(), {"A": 1.5, "B": 2, "C": None}, title="Incident rate", description="Rates by area")
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("width") == "100%" and root.get("height") is None
    assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.get("viewBox"))
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id and root.find(f"{SVG}title").text == "Incident rate"
    assert root.find(f"{SVG}desc").get("id") == desc_id and root.find(f"{SVG}desc").text == "Rates by area"
    assert hex_titles(root) == {"A": "Alpha: 1.5", "B": "Bravo: 2", "C": "Charlie: no data", "D": "Delta: no data"}
    fills = hex_fills(root)
    assert fills["C"] == fills["D"] == NO_DATA_FILL
    assert fills["A"] != fills["B"] and NO_DATA_FILL not in (fills["A"], fills["B"])


def test_svg_is_the_same_bytes_every_time():
    values = {"A": 1.0, "B": 2.5, "C": 7.0}
    first = render_svg(tiny(), values, title="t", description="d", suppressed={"D"}, highlight={"A", "C"})
    again = render_svg(tiny(), dict(reversed(values.items())), title="t", description="d", suppressed=["D"], highlight=["C", "A"])
    assert first == again


def test_names_and_titles_are_escaped():
    evil = '<script>alert(1)</script> & "quoted"\x00'
    layout = layout_from_cells([('E1"><script>', evil, 0, 0), ("E2", "Plain", 1, 0)])
    svg = render_svg(layout, {'E1"><script>': 3}, title=evil, description=evil, legend_title=evil,
                     links={'E1"><script>': '/areas/?q="><script>'}, value_label=lambda v: f"{v} <b>")
    assert "<script" not in svg and "style=" not in svg.lower() and "<style" not in svg
    root = parse(svg)
    clean = evil.replace("\x00", "")
    assert root.find(f"{SVG}title").text == clean
    assert root.find(f"{SVG}desc").text == clean
    assert hex_titles(root)['E1"><script>'] == f"{clean}: 3.0 <b>"
    assert root.find(f".//{SVG}a").get("href") == '/areas/?q="><script>'
    assert clean in legend_labels(root)


def test_suppressed_counts_are_hatched_and_never_written():
    values = {"A": 3.14159, "B": 10, "C": 20}
    root = parse(render_svg(tiny(), values, title="t", description="d", suppressed={"A"}, id_prefix="rates"))
    assert hex_titles(root)["A"] == "Alpha: fewer than 5, not shown"
    assert hex_fills(root)["A"] == "url(#rates-hatch)"
    pattern = root.find(f"{SVG}defs/{SVG}pattern")
    assert pattern.get("id") == "rates-hatch" and pattern.find(f"{SVG}line") is not None
    svg = render_svg(tiny(), values, title="t", description="d", suppressed={"A"})
    assert "3.14" not in svg
    assert "Fewer than 5, not shown" in legend_labels(root)
    # The hidden value does not stretch the automatic scale either.
    assert legend_labels(root)[:2] == ["10", "11 to 20"]


def test_no_hatching_pattern_or_legend_entry_without_suppression():
    root = parse(render_svg(tiny(), {"A": 1, "B": 2, "C": 3, "D": 4}, title="t", description="d"))
    assert root.find(f"{SVG}defs") is None
    assert legend_labels(root) == ["1", "2", "3", "4"]  # and no "No data": every hex has a value


def test_highlighted_hexes_are_outlined_on_top():
    root = parse(render_svg(tiny(), {"A": 1, "B": 2}, title="t", description="d", highlight={"B", "not-on-map"},
                            highlight_label="Targeted by the campaign"))
    groups = [g.get("class") for g in root.findall(f"{SVG}g")]
    assert groups.index("bg-hexmap__highlight") > groups.index("bg-hexmap__hexes")  # drawn after, so never covered
    outline = root.find(f"{SVG}g[@class='bg-hexmap__highlight']")
    assert [p.get("data-code") for p in outline] == ["B"]
    assert outline.get("fill") == "none" and float(outline.get("stroke-width")) >= 2
    assert outline.get("aria-hidden") == "true"
    assert "Targeted by the campaign" in legend_labels(root)
    plain = parse(render_svg(tiny(), {"A": 1, "B": 2}, title="t", description="d"))
    assert plain.find(f"{SVG}g[@class='bg-hexmap__highlight']") is None


def test_legend_pairs_each_colour_with_its_label():
    scale = Scale(bins=(0.5, 1.5), colours=("#dddddd", "#d4351c"), labels=("Not targeted", "Targeted"))
    root = parse(render_svg(tiny(), {"A": 0, "B": 1, "C": None}, title="t", description="d", scale=scale, legend_title="Campaign"))
    legend = root.find(f"{SVG}g[@class='bg-hexmap__legend']")
    swatches = [r.get("fill") for r in legend.iter(f"{SVG}rect")]
    assert legend_labels(root) == ["Campaign", "Not targeted", "Targeted", "No data"]
    assert swatches == ["#dddddd", "#d4351c", NO_DATA_FILL]
    assert hex_fills(root)["A"] == "#dddddd" and hex_fills(root)["B"] == "#d4351c"


def test_legend_goes_under_a_map_with_no_empty_corner_and_in_an_empty_corner_otherwise(pcon24):
    small = parse(render_svg(tiny(), {"A": 1}, title="t", description="d"))
    first_swatch = small.find(f".//{SVG}g[@class='bg-hexmap__legend']/{SVG}rect")
    assert float(first_swatch.get("y")) > 2 * HEX_SIZE * 1.5  # below both rows
    uk = parse(render_svg(pcon24, {hx.code: 1.0 for hx in pcon24.hexes[:300]}, title="t", description="d"))
    first_swatch = uk.find(f".//{SVG}g[@class='bg-hexmap__legend']/{SVG}rect")
    assert float(first_swatch.get("y")) < 100  # the North Sea, beside Scotland
    assert float(uk.get("viewBox").split()[3]) < 47 * 1.5 * HEX_SIZE + 20  # no room added beneath


def test_no_values_at_all_draws_a_grey_map():
    root = parse(render_svg(tiny(), {}, title="t", description="d"))
    assert set(hex_fills(root).values()) == {NO_DATA_FILL}
    assert legend_labels(root) == ["No data"]


def test_links_wrap_hexes_and_make_the_map_a_group():
    root = parse(render_svg(tiny(), {"A": 1}, title="t", description="d", links={"A": "/insights/areas/E1/", "Z": "/z/"}))
    assert root.get("role") == "group"  # an image's children are hidden from screen readers; links must not be
    links = root.findall(f".//{SVG}a")
    assert [(a.get("href"), a.find(f"{SVG}polygon").get("data-code")) for a in links] == [("/insights/areas/E1/", "A")]
    assert hex_titles(root)["A"] == "Alpha: 1"


@pytest.mark.parametrize("href", ["javascript:alert(1)", " javascript:x", "data:text/html,x", "vbscript:x"])
def test_links_that_could_run_code_are_refused(href):
    with pytest.raises(ValueError, match="relative or http"):
        render_svg(tiny(), {}, title="t", description="d", links={"A": href})


def element_ids(root: ET.Element) -> set[str]:
    return {el.get("id") for el in root.iter() if el.get("id")}


def test_two_maps_on_one_page_have_their_own_ids():
    one = parse(render_svg(tiny(), {}, title="t", description="d", suppressed={"A"}, id_prefix="rates"))
    two = parse(render_svg(tiny(), {}, title="t", description="d", suppressed={"A"}, id_prefix="campaign-7"))
    assert not element_ids(one) & element_ids(two)
    with pytest.raises(ValueError, match="id_prefix"):
        render_svg(tiny(), {}, title="t", description="d", id_prefix='x" onload="y')
