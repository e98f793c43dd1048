"""Small-number suppression: no count of 1–4 is published, and no hidden count can be recovered.

The central test plays the attacker: given everything a suppressed table publishes (the shown
cells and every shown total), it solves the linear programme "how small and how large could this
hidden cell be?" with SciPy's ``linprog`` and requires a gap of at least 1. The constraint matrix
of a table with its margins is totally unimodular, so the LP's bounds are whole numbers and a gap
of 1 means at least two possible counts.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from ballotguard.engines.insights import disclosure
from ballotguard.engines.insights.disclosure import (
    DEFAULT_THRESHOLD,
    Cell,
    Table1D,
    Table2D,
    is_small,
    suppress_counts,
    suppress_linked,
    suppress_table,
    suppressed_rate,
)
from ballotguard.engines.insights.statistics import poisson_rate

# --- the attacker --------------------------------------------------------------------------------


def _bounds(n_vars: int, a_eq: list[np.ndarray], b_eq: list[float]) -> list[tuple[float, float]]:
    """Min and max of each unknown subject to the published equalities and unknowns ≥ 0."""
    out = []
    for k in range(n_vars):
        objective = np.zeros(n_vars)
        objective[k] = 1.0
        low = linprog(objective, A_eq=np.array(a_eq), b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=np.array(a_eq), b_eq=b_eq, bounds=(0, None), method="highs")
        assert low.status == 0, low.message  # the true table is always a feasible solution
        out.append((low.fun, math.inf if high.status == 3 else -high.fun))
    return out


def attack_1d(counts: dict, table: Table1D, total: int) -> list[tuple[int, float, float]]:
    """(true value, min, max) for each hidden entry of a suppressed list. The unlisted remainder
    (total − sum of counts) is taken as *known*: the engine must not rely on it."""
    values = list(counts.values())
    cells = list(table.cells.values())
    remainder = total - sum(values)
    total_entry = len(values)
    unknown = [i for i, cell in enumerate(cells) if cell.suppressed] + ([total_entry] if table.total.suppressed else [])
    if not unknown:
        return []
    # Σ cells + remainder = total, so Σ hidden cells − (total, if hidden) = (total, if shown) − remainder − Σ shown cells.
    row = np.array([-1.0 if i == total_entry else 1.0 for i in unknown])
    shown_sum = sum(cell.value for cell in cells if not cell.suppressed)
    rhs = (0 if table.total.suppressed else total) - remainder - shown_sum
    truth = [*values, total]
    bounds = _bounds(len(unknown), [row], [float(rhs)])
    return [(truth[i], low, high) for i, (low, high) in zip(unknown, bounds, strict=True)]


def attack_2d(counts: dict, rows: list, cols: list, table: Table2D) -> list[tuple[tuple, int, float, float]]:
    """((row, col), true value, min, max) for each hidden entry of a suppressed table, margins
    included (row index len(rows) is the column totals, col index len(cols) the row totals)."""
    n_rows, n_cols = len(rows), len(cols)
    grid = [[counts.get((r, c), 0) for c in cols] for r in rows]
    for line in grid:
        line.append(sum(line))
    grid.append([sum(grid[i][j] for i in range(n_rows)) for j in range(n_cols + 1)])

    def published(i: int, j: int) -> Cell:
        if i < n_rows and j < n_cols:
            return table.cells[(rows[i], cols[j])]
        if i < n_rows:
            return table.row_totals[rows[i]]
        if j < n_cols:
            return table.col_totals[cols[j]]
        return table.grand_total

    unknown = [(i, j) for i in range(n_rows + 1) for j in range(n_cols + 1) if published(i, j).suppressed]
    if not unknown:
        return []
    var = {entry: k for k, entry in enumerate(unknown)}
    a_eq: list[np.ndarray] = []
    b_eq: list[float] = []

    def relation(parts: list[tuple[int, int]], total: tuple[int, int]) -> None:
        # Σ parts − total = 0, with every published value moved to the right-hand side.
        row, rhs = np.zeros(len(unknown)), 0.0
        for sign, entry in [(1.0, p) for p in parts] + [(-1.0, total)]:
            if entry in var:
                row[var[entry]] += sign
            else:
                value = published(*entry).value
                assert value is not None
                rhs -= sign * value
        a_eq.append(row)
        b_eq.append(rhs)

    for i in range(n_rows + 1):
        relation([(i, j) for j in range(n_cols)], (i, n_cols))
    for j in range(n_cols + 1):
        relation([(i, j) for i in range(n_rows)], (n_rows, j))
    bounds = _bounds(len(unknown), a_eq, b_eq)
    return [(entry, grid[entry[0]][entry[1]], low, high) for entry, (low, high) in zip(unknown, bounds, strict=True)]


def assert_cannot_be_recovered(found: list) -> None:
    for *where, truth, low, high in found:
        assert low - 1e-6 <= truth <= high + 1e-6, (where, truth, low, high)  # the attacker's LP is right
        assert high - low >= 1 - 1e-6, f"hidden value {truth} at {where} is pinned to [{low}, {high}]"


def all_cells_2d(table: Table2D) -> list[tuple[int, Cell]]:
    return [*table.cells.values(), *table.row_totals.values(), *table.col_totals.values(), table.grand_total]


# --- strategies ----------------------------------------------------------------------------------
# Skewed towards the interesting values: zeros, small counts and counts just over the threshold.
count_values = st.one_of(st.just(0), st.integers(1, 4), st.integers(5, 12), st.integers(13, 400))
thresholds = st.sampled_from([DEFAULT_THRESHOLD, DEFAULT_THRESHOLD, 3, 10])


@st.composite
def tables(draw):
    n_rows, n_cols = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    rows = [f"r{i}" for i in range(n_rows)]
    cols = [f"c{j}" for j in range(n_cols)]
    counts = {(r, c): draw(count_values) for r in rows for c in cols}
    return counts, rows, cols


# --- is_small and Cell ---------------------------------------------------------------------------


def test_is_small_is_one_to_threshold_minus_one():
    assert [n for n in range(12) if is_small(n)] == [1, 2, 3, 4]
    assert [n for n in range(12) if is_small(n, 10)] == list(range(1, 10))
    assert not is_small(0)


def test_cell_display():
    assert Cell(value=1234, suppressed=False, reason=None).display() == "1,234"
    assert Cell(value=0, suppressed=False, reason=None).display() == "0"
    assert Cell(value=None, suppressed=True, reason="primary").display() == "[c]"
    assert Cell(value=None, suppressed=True, reason="secondary").display(marker="*") == "*"


# --- one-way lists -------------------------------------------------------------------------------


def shown(table: Table1D) -> list[str]:
    return [cell.display() for cell in table.cells.values()] + [table.total.display()]


def test_list_without_small_counts_is_published_whole():
    table = suppress_counts({"England": 120, "Scotland": 31, "Wales": 0, "Northern Ireland": 9})
    assert shown(table) == ["120", "31", "0", "9", "160"]
    assert not table.any_suppressed


def test_one_small_count_takes_the_smallest_other_with_it():
    # 3 alone could be worked out as 160 − 120 − 31 − 6; the smallest other non-zero count (6) goes too.
    table = suppress_counts({"England": 120, "Scotland": 31, "Wales": 3, "Northern Ireland": 6})
    assert shown(table) == ["120", "31", "[c]", "[c]", "160"]
    assert table.cells["Wales"].reason == "primary"
    assert table.cells["Northern Ireland"].reason == "secondary"


def test_zero_is_not_used_as_the_complement():
    # A hidden 0 beside a hidden 3 would tell the reader that together they are 3.
    table = suppress_counts({"a": 3, "b": 0, "c": 40, "d": 50})
    assert shown(table) == ["[c]", "0", "[c]", "50", "93"]


def test_hidden_cells_must_not_add_up_to_a_small_number():
    # 1 and 1 are both hidden, but 102 − 100 = 2 would publish their sum: the 100 goes too.
    table = suppress_counts({"a": 1, "b": 1, "c": 100})
    assert shown(table) == ["[c]", "[c]", "[c]", "102"]


def test_small_total_is_hidden_with_its_cells():
    table = suppress_counts({"a": 3, "b": 0})
    assert shown(table) == ["[c]", "0", "[c]"]
    assert table.total.reason == "primary"


def test_ties_go_to_the_first_in_order_and_the_result_is_deterministic():
    first = suppress_counts({"x": 2, "y": 10, "z": 10})
    assert shown(first) == ["[c]", "[c]", "10", "22"]
    assert suppress_counts({"x": 2, "y": 10, "z": 10}) == first
    assert shown(suppress_counts({"x": 2, "z": 10, "y": 10})) == ["[c]", "[c]", "10", "22"]
    assert list(first.cells) == ["x", "y", "z"]  # insertion order kept


def test_published_total_larger_than_the_list_is_still_protected():
    # An unlisted "other" of 2: the engine does not lean on it, so 3 still gets a complement.
    table = suppress_counts({"a": 3, "b": 40, "c": 50}, total=95)
    assert shown(table) == ["[c]", "[c]", "50", "95"]
    with pytest.raises(ValueError, match="total"):
        suppress_counts({"a": 3, "b": 40}, total=10)


def test_empty_list_and_threshold_one():
    assert shown(suppress_counts({})) == ["0"]
    assert shown(suppress_counts({"a": 1, "b": 2}, threshold=1)) == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: suppress_counts({"a": -1}), "counts"),
        (lambda: suppress_counts({"a": 2.0}), "counts"),
        (lambda: suppress_counts({"a": 2}, threshold=0), "threshold"),
        (lambda: suppress_counts({"a": 2}, total=-3), "total"),
        (lambda: suppress_table({("r", "c"): -1}, ["r"], ["c"]), "counts"),
        (lambda: suppress_table({("r", "x"): 1}, ["r"], ["c"]), "counts"),
        (lambda: suppress_table({}, ["r", "r"], ["c"]), "rows"),
        (lambda: suppress_table({}, ["r"], ["c", "c"]), "cols"),
        (lambda: suppress_table({}, ["r"], ["c"], threshold=2.5), "threshold"),
    ],
)
def test_bad_input_is_refused(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()


@given(values=st.lists(count_values, max_size=12), extra=st.one_of(st.just(0), st.integers(0, 60)), threshold=thresholds)
@settings(max_examples=200, deadline=None)
def test_no_hidden_count_in_a_list_can_be_recovered(values, extra, threshold):
    # A total with nothing listed is all remainder; an attacker who is handed the remainder (as
    # attack_1d is) knows it whatever is hidden, so that case is outside what suppression can do.
    assume(values or not extra)
    counts = {f"k{i}": v for i, v in enumerate(values)}
    total = sum(values) + extra
    table = suppress_counts(counts, threshold=threshold, total=total if extra else None)
    assert_cannot_be_recovered(attack_1d(counts, table, total))
    # No small count is shown, zeros are hidden only to protect another count, and totals add up.
    for cell in [*table.cells.values(), table.total]:
        assert cell.suppressed or not is_small(cell.value, threshold)
    for key, cell in table.cells.items():
        if counts[key] == 0:
            assert cell.reason != "primary"
    assert table.total.suppressed or table.total.value == total


# --- two-way tables ------------------------------------------------------------------------------


def test_worked_example_from_the_docs():
    # docs/statistics.md walks through this table: incidents by nation and channel.
    rows = ["England", "Scotland", "Wales"]
    cols = ["In person", "Online", "Post or phone"]
    counts = {
        ("England", "In person"): 42, ("England", "Online"): 118, ("England", "Post or phone"): 9,
        ("Scotland", "In person"): 7, ("Scotland", "Online"): 23, ("Scotland", "Post or phone"): 2,
        ("Wales", "In person"): 3, ("Wales", "Online"): 11, ("Wales", "Post or phone"): 0,
    }
    table = suppress_table(counts, rows, cols)

    def mark(cell: Cell) -> str:
        return {"primary": "P", "secondary": "S", None: cell.display()}[cell.reason]

    assert [[mark(table.cells[(r, c)]) for c in cols] + [mark(table.row_totals[r])] for r in rows] == [
        ["S", "118", "S", "169"],
        ["S", "S", "P", "32"],
        ["P", "S", "0", "14"],
    ]
    assert [mark(table.col_totals[c]) for c in cols] + [mark(table.grand_total)] == ["52", "152", "11", "215"]
    assert_cannot_be_recovered(attack_2d(counts, rows, cols, table))


def test_table_without_small_counts_is_published_whole():
    counts = {("a", "x"): 10, ("a", "y"): 0, ("b", "x"): 7, ("b", "y"): 25}
    table = suppress_table(counts, ["a", "b"], ["x", "y"])
    assert not table.any_suppressed
    assert table.cells[("a", "y")].display() == "0"
    assert table.row_totals["a"].value == 10 and table.col_totals["y"].value == 25 and table.grand_total.value == 42


def test_missing_cells_are_zero_and_order_follows_rows_and_cols():
    table = suppress_table({("b", "y"): 12}, ["a", "b"], ["x", "y"])
    assert table.rows == ("a", "b") and table.cols == ("x", "y")
    assert list(table.cells) == [("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")]
    assert table.cells[("a", "x")].value == 0 and table.grand_total.value == 12


# This table was found by the attacker test with rule 4 switched off: every line holds two hidden
# entries, yet the 1 at (r1, a) can be pinned exactly, because it is a bridge between two groups of
# hidden cells (the grid of hidden cells has no cycle through it).
BRIDGE_TABLE = {
    ("r0", "a"): 0, ("r0", "b"): 0, ("r0", "c"): 0,
    ("r1", "a"): 1, ("r1", "b"): 0, ("r1", "c"): 2,
    ("r2", "a"): 0, ("r2", "b"): 0, ("r2", "c"): 26,
    ("r3", "a"): 3, ("r3", "b"): 3, ("r3", "c"): 144,
}
BRIDGE_ROWS, BRIDGE_COLS = ["r0", "r1", "r2", "r3"], ["a", "b", "c"]


def test_two_hidden_per_line_is_not_enough_in_a_table(monkeypatch):
    monkeypatch.setattr(disclosure, "_close_a_bridge", lambda *args: None)  # rules 1–3 only
    table = suppress_table(BRIDGE_TABLE, BRIDGE_ROWS, BRIDGE_COLS)
    pinned = [(where, truth) for where, truth, low, high in attack_2d(BRIDGE_TABLE, BRIDGE_ROWS, BRIDGE_COLS, table)
              if high - low < 1 - 1e-6]
    assert pinned  # the weakness rule 4 exists for


def test_closing_bridges_protects_that_table():
    table = suppress_table(BRIDGE_TABLE, BRIDGE_ROWS, BRIDGE_COLS)
    assert_cannot_be_recovered(attack_2d(BRIDGE_TABLE, BRIDGE_ROWS, BRIDGE_COLS, table))


def test_bridges_of_a_dumbbell_graph():
    # Two squares joined by one edge: only the joining edge is a bridge.
    square_1 = [(0, 4), (0, 5), (1, 4), (1, 5)]
    square_2 = [(2, 6), (2, 7), (3, 6), (3, 7)]
    edges = [*square_1, (1, 6), *square_2]
    assert disclosure._bridges(8, edges) == {4}
    assert disclosure._bridges(3, [(0, 1), (1, 2)]) == {0, 1}
    assert disclosure._bridges(3, []) == set()


@given(case=tables(), threshold=thresholds)
@settings(max_examples=150, deadline=None)
def test_no_hidden_count_in_a_table_can_be_recovered_from_its_totals(case, threshold):
    counts, rows, cols = case
    table = suppress_table(counts, rows, cols, threshold=threshold)
    assert_cannot_be_recovered(attack_2d(counts, rows, cols, table))


@given(case=tables(), threshold=thresholds)
@settings(max_examples=200, deadline=None)
def test_tables_never_show_a_small_count_and_show_zeros(case, threshold):
    counts, rows, cols = case
    table = suppress_table(counts, rows, cols, threshold=threshold)
    for cell in all_cells_2d(table):
        assert cell.suppressed or not is_small(cell.value, threshold)
        assert cell.suppressed == (cell.value is None) == (cell.reason is not None)
    for key, cell in table.cells.items():
        if counts[key] == 0:
            assert cell.reason != "primary"  # a zero is only ever hidden to protect another count
        elif is_small(counts[key], threshold):
            assert cell.reason == "primary"
    # Where a line's total is shown, what subtraction gives (the sum of its hidden cells) is not small.
    for r in rows:
        if not table.row_totals[r].suppressed:
            hidden = [counts[(r, c)] for c in cols if table.cells[(r, c)].suppressed]
            assert not hidden or sum(hidden) >= threshold
    # With nothing small anywhere (cells, margins, grand total) nothing is hidden.
    margins = [sum(counts[(r, c)] for c in cols) for r in rows] + [sum(counts[(r, c)] for r in rows) for c in cols]
    if not any(is_small(v, threshold) for v in [*counts.values(), *margins, sum(counts.values())]):
        assert not table.any_suppressed


@given(case=tables())
@settings(max_examples=50, deadline=None)
def test_suppression_is_deterministic(case):
    counts, rows, cols = case
    reversed_insertion = dict(reversed(list(counts.items())))
    first = suppress_table(counts, rows, cols)
    assert suppress_table(counts, rows, cols) == first
    # Only rows and cols order decides ties, not the order the counts arrived in.
    assert suppress_table(reversed_insertion, rows, cols) == first


def test_a_constituency_sized_table_is_quick():
    # 650 constituencies × 8 behaviours, mostly small counts: the dashboard calls this per request.
    rng = np.random.default_rng(7)
    rows, cols = [f"E{i:08d}" for i in range(650)], [f"b{j}" for j in range(8)]
    counts = {(r, c): int(v) for (r, c), v in zip(
        [(r, c) for r in rows for c in cols], rng.choice([0, 0, 0, 1, 2, 3, 6, 12, 40], size=650 * 8), strict=True)}
    started = time.perf_counter()
    table = suppress_table(counts, rows, cols)
    assert time.perf_counter() - started < 2.0
    assert all(cell.suppressed or not is_small(cell.value) for cell in all_cells_2d(table))


# --- rates from hidden counts --------------------------------------------------------------------


def test_rates_from_hidden_counts_are_hidden_too():
    table = suppress_counts({"Women": 3, "Men": 40, "Other or not known": 12})
    # 3 incidents among 5 women candidates: 60 per 100 gives the 3 straight back.
    women = suppressed_rate(table.cells["Women"], poisson_rate(3, 5))
    men = suppressed_rate(table.cells["Men"], poisson_rate(40, 80))
    assert women is None
    assert men is not None and men.estimate == 50.0
    # A ratio needs both of its counts shown.
    assert suppressed_rate([table.cells["Men"], table.cells["Women"]], 1.2) is None
    assert suppressed_rate([table.cells["Men"]], 1.2) == 1.2
    assert suppressed_rate(cell=table.cells["Men"], rate=men) is men
    assert suppressed_rate(table.cells["Other or not known"], "x") is None  # hidden as the complement


# --- linked lines: constituencies in regions, nations and police forces ------------------------------


def geography(counts: list[int], regions: list[int], forces: list[int]):
    """Constituency counts with their region and force, rolled up into the published totals and the
    lines that tie them: each region, each force and the national total over the regions."""
    values = {("area", i): c for i, c in enumerate(counts)}
    for r in set(regions):
        values[("region", r)] = sum(c for c, rr in zip(counts, regions, strict=True) if rr == r)
    for f in set(forces):
        values[("force", f)] = sum(c for c, ff in zip(counts, forces, strict=True) if ff == f)
    values[("total",)] = sum(counts)
    lines = [([("area", i) for i, rr in enumerate(regions) if rr == r], ("region", r)) for r in sorted(set(regions))]
    lines += [([("area", i) for i, ff in enumerate(forces) if ff == f], ("force", f)) for f in sorted(set(forces))]
    lines.append(([("region", r) for r in sorted(set(regions))], ("total",)))
    lines.append(([("area", i) for i in range(len(counts))], ("total",)))
    return values, lines


def attack_linked(values: dict, lines: list, cells: dict) -> list:
    unknown = [k for k, cell in cells.items() if cell.suppressed]
    if not unknown:
        return []
    var = {k: n for n, k in enumerate(unknown)}
    a_eq, b_eq = [], []
    for inner, total in lines:
        row = np.zeros(len(unknown))
        rhs = 0.0
        for k in inner:
            if k in var:
                row[var[k]] += 1
            else:
                rhs -= cells[k].value
        if total in var:
            row[var[total]] -= 1
        else:
            rhs += cells[total].value
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    return [(k, values[k], low, high) for k, (low, high) in zip(unknown, _bounds(len(unknown), a_eq, b_eq), strict=True)]


@given(data=st.data(), threshold=thresholds)
@settings(max_examples=150, deadline=None)
def test_no_hidden_count_in_linked_lines_can_be_recovered(data, threshold):
    n = data.draw(st.integers(1, 9))
    counts = data.draw(st.lists(count_values, min_size=n, max_size=n))
    regions = data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    forces = data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    values, lines = geography(counts, regions, forces)
    cells = suppress_linked(values, lines, threshold=threshold)
    # The small counts are what must not be pinned; a larger count hidden only to protect one may be.
    assert_cannot_be_recovered([found for found in attack_linked(values, lines, cells) if cells[found[0]].reason == "primary"])
    for key, cell in cells.items():
        assert cell.suppressed or not is_small(cell.value, threshold), key


def test_a_region_total_does_not_give_back_a_hidden_constituency():
    # The reviewer's case: a=3, b=20, c=22 in one region, d=6 in another; protected against the
    # national total alone, b and c would be shown and the region's 45 would give a = 3 back.
    values, lines = geography([3, 20, 22, 6], [0, 0, 0, 1], [0, 0, 0, 0])
    cells = suppress_linked(values, lines)
    assert cells[("area", 0)].suppressed
    assert sum(cells[("area", i)].suppressed for i in range(3)) >= 2 or cells[("region", 0)].suppressed
    assert_cannot_be_recovered([found for found in attack_linked(values, lines, cells) if cells[found[0]].reason == "primary"])


def test_linked_lines_must_add_up_and_fixed_entries_are_never_complements():
    with pytest.raises(ValueError, match="does not add up"):
        suppress_linked({"a": 1, "b": 2, "t": 4}, [(["a", "b"], "t")])
    cells = suppress_linked({"a": 3, "b": 9, "rest": 6, "t": 18}, [(["a", "b", "rest"], "t")], fixed=["rest"])
    assert cells["a"].suppressed and cells["b"].suppressed and not cells["rest"].suppressed
