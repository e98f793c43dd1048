"""Disclosure control for every count the insights pages, CSV exports and briefing pack show.

Two methods, one API. Counts passed as :class:`~ballotguard.engines.insights.cellkey.Keyed` (a count with
its cell key, from record keys) are **perturbed** by the cell-key method
(:mod:`ballotguard.engines.insights.cellkey`, the ONS's method for Census 2021): every cell is published,
moved by small, unbiased, consistent noise, with no published value from 1 to ``threshold − 1``.
That is what the insights pages use: suppression hid 87% of the constituency map. Counts passed as
plain integers keep the **suppression** described below (with nothing to derive a cell key from,
hiding is the safe default). ``suppress_counts``, ``suppress_table``, ``suppress_linked`` and
``protect`` accept either, so a caller switches method by passing ``Keyed`` counts, and its
templates keep working: a perturbed :class:`Cell` is a published one (``suppressed`` False,
``perturbed`` True).

The suppression method, for plain integer counts:

Why: a count of 1 to 4 incidents in a small group ("Green party women candidates in Cumbria")
can identify the candidate who reported them, and through them the incident. So any count from 1
to ``threshold − 1`` (default 5) is not published (*primary* suppression). That alone is not
enough: if a row of a table shows its total, one hidden cell in that row is the total minus the
others. So more cells are hidden (*secondary*, or complementary, suppression) until no hidden
value can be worked out from the published ones.

The rules, applied until nothing changes (a secondary suppression can break another line):

1. **Primary.** Every count from 1 to ``threshold − 1`` is hidden, totals included. Zero is shown:
   "no incidents" describes nobody, and hiding zeros would hide most of a sparse table for nothing
   (this is also the ONS convention).
2. **Two per line.** Every published linear relation — a row with its total, a column with its
   total, the row of column totals with the grand total, a 1-D list with its total — that contains
   a hidden value must contain at least two (a total counts as a value), so no single one can be
   found by subtraction.
3. **No small remainder.** Where a line's total is published, subtraction still gives the *sum* of
   its hidden cells; that sum must not itself be a small number (or zero, which would pin every
   hidden cell at 0). So ``[1] [1] 100 | 102`` also hides the 100.
4. **No bridges (tables).** In a two-way table rule 2 is not enough: hidden cells that each share a
   row and a column with others can still be pinned when the only way to move one of them without
   breaking a published total is to move nothing (graph-theoretically, the cell is a bridge in the
   bipartite row–column graph of hidden cells). Such a cell gets another hidden cell that closes a
   cycle through it, so that its value can trade off against others around the cycle.

The complement chosen is the smallest non-zero published value in the line (a zero adds nothing to
rule 3, and a hidden zero can be pinned), preferring inner cells to totals, with ties broken by
position, so the result is deterministic and as little information as possible is lost.

What it does not do: protect against *differencing* between two separately published tables, e.g.
the same breakdown filtered to "all incidents" and to "all incidents except online ones". The
caller must publish each breakdown from one fixed set of filters or suppress across the linked
tables together; ``docs/statistics.md`` says more. Rates, ratios and confidence intervals computed
from a hidden count give the count back (rate × exposure), so hide them too: ``suppressed_rate``.

Pure Python: no Django (an import-linter contract keeps it so).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from ballotguard.engines.insights.cellkey import DEFAULT_MAX_NOISE, EMPTY, Keyed, keyed, ptable
from ballotguard.engines.insights.statistics import check_count

__all__ = [
    "DEFAULT_MARKER",
    "DEFAULT_THRESHOLD",
    "METHOD_NOTE",
    "Cell",
    "Keyed",
    "keyed",
    "perturb",
    "protect",
    "Table1D",
    "Table2D",
    "is_small",
    "suppress_counts",
    "suppress_linked",
    "suppress_table",
    "suppressed_rate",
]

DEFAULT_THRESHOLD = 5
DEFAULT_MARKER = "[c]"  # the ONS/GSS marker for "confidential", which readers of official statistics know

K = TypeVar("K", bound=Hashable)
R = TypeVar("R", bound=Hashable)
C = TypeVar("C", bound=Hashable)
T = TypeVar("T")

PRIMARY = "primary"
SECONDARY = "secondary"
UNPUBLISHED = "unpublished"  # an entry no table shows (a finer breakdown the sums are made of)


@dataclass(frozen=True)
class Cell:
    """One published count: the value, or ``None`` with ``suppressed`` set and why.

    ``reason`` is for the analyst's own audit, never for publication: telling readers which hidden
    cells were hidden for being small would narrow them down to 1..4.
    """

    value: int | None
    suppressed: bool
    reason: str | None  # "primary" (small itself), "secondary" (hidden to protect another), or None
    perturbed: bool = False  # published after cell-key perturbation: ``value`` is not the true count

    def display(self, marker: str = DEFAULT_MARKER) -> str:
        """"1,234" for a published count, the marker for a suppressed one."""
        return marker if self.suppressed or self.value is None else f"{self.value:,}"


@dataclass(frozen=True)
class Table1D(Generic[K]):
    """A list of counts and its total, suppressed. ``cells`` keeps the caller's order."""

    cells: dict[K, Cell]
    total: Cell

    @property
    def any_suppressed(self) -> bool:
        return self.total.suppressed or any(cell.suppressed for cell in self.cells.values())


@dataclass(frozen=True)
class Table2D(Generic[R, C]):
    """A two-way table of counts with row, column and grand totals, suppressed."""

    rows: tuple[R, ...]
    cols: tuple[C, ...]
    cells: dict[tuple[R, C], Cell]
    row_totals: dict[R, Cell]
    col_totals: dict[C, Cell]
    grand_total: Cell

    @property
    def any_suppressed(self) -> bool:
        return any(
            cell.suppressed
            for group in (self.cells.values(), self.row_totals.values(), self.col_totals.values(), (self.grand_total,))
            for cell in group
        )


METHOD_NOTE = "Figures are perturbed to protect individuals: totals may not equal the sum of rows."


def perturb(cell: Keyed, threshold: int = DEFAULT_THRESHOLD) -> Cell:
    """``cell`` published by the cell-key method: its value from the p-table, the same every time."""
    threshold = _check_threshold(threshold)
    if not isinstance(cell, Keyed):
        raise TypeError(f"perturb needs a Keyed count (a count and its cell key), not {type(cell).__name__}")
    return Cell(value=ptable(threshold, max(DEFAULT_MAX_NOISE, threshold)).perturb(cell), suppressed=False, reason=None, perturbed=True)


def protect(count: int | Keyed, threshold: int = DEFAULT_THRESHOLD) -> Cell:
    """A count published on its own, in no linear relation with other published counts (a headline
    figure, or one category of a list whose categories overlap): perturbed when it is ``Keyed``,
    else shown unless small (primary suppression is enough for a figure nothing else adds up to)."""
    if isinstance(count, Keyed):
        return perturb(count, threshold)
    threshold = _check_threshold(threshold)
    small = is_small(check_count("count", count), threshold)
    return Cell(value=None if small else count, suppressed=small, reason=PRIMARY if small else None)


def _any_keyed(*groups: Iterable[object]) -> bool:
    return any(isinstance(value, Keyed) for group in groups for value in group)


def _all_keyed(name: str, values: Mapping[K, object]) -> dict[K, Keyed]:
    out = {}
    for key, value in values.items():
        if not isinstance(value, Keyed):
            raise ValueError(f"{name}[{key!r}] is a plain count among keyed ones: pass every count as Keyed, or none")
        out[key] = value
    return out


def is_small(count: int, threshold: int = DEFAULT_THRESHOLD) -> bool:
    """True for a count that must not be published: at least 1 and below ``threshold``.

    Zero is not small: it says that nobody in the group reported anything, which identifies no
    one, and suppressing zeros would blank out most of a sparse table and make the real
    suppressions easier to spot. (A zero can still be hidden as a *secondary* suppression when
    that is the only way to protect another cell, though the rules avoid it.)
    """
    return 1 <= count < threshold


def suppressed_rate(cell: Cell | Iterable[Cell], rate: T) -> T | None:
    """``rate`` (or any figure: a ratio, an interval, a percentage) unless it was computed from a
    hidden count, then ``None``.

    Why: the denominators here (candidates) are public, so a rate of 60 per 100 among 5 candidates
    gives the count back as 3; the same goes for a confidence interval, whose width depends on the
    count. Pass every count the figure was computed from (both counts of a rate ratio).
    """
    group = (cell,) if isinstance(cell, Cell) else tuple(cell)
    return None if any(each.suppressed for each in group) else rate


# --- validation -----------------------------------------------------------------------------------

def _check_threshold(threshold: object) -> int:
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Integral) or threshold < 1:
        raise ValueError(f"threshold must be a whole number of at least 1, got {threshold!r}")
    return int(threshold)


# --- the engine: entries, lines, and rules 1–3 ----------------------------------------------------
# Both table shapes become a flat list of values ("entries", cells and totals alike) and a list of
# lines, each the inner entries of one published relation plus the entry holding its total. The
# order of entries is the caller's order, which is what makes tie-breaks deterministic.

Line = tuple[tuple[int, ...], int]  # (inner entry indexes, total entry index)


def _line_needs_more(line: Line, values: Sequence[int], hidden: Mapping[int, str], threshold: int) -> bool:
    inner, total = line
    hidden_inner = [i for i in inner if i in hidden]
    count = len(hidden_inner) + (total in hidden)
    if count == 0:
        return False
    if count == 1:
        return True  # rule 2: a lone hidden value is the total minus the rest (or the sum of the rest)
    if total not in hidden:
        # Rule 3: total − published cells is the sum of the hidden ones; it must not be small or 0.
        return sum(values[i] for i in hidden_inner) < threshold
    return False


def _complement(line: Line, values: Sequence[int], hidden: Mapping[int, str], fixed: Collection[int] = ()) -> int | None:
    """The published entry of ``line`` whose hiding loses least: smallest non-zero, inner before
    total, earliest first, never one of ``fixed``. ``None`` if nothing in the line can be hidden."""
    inner, total = line
    candidates = [i for i in (*inner, total) if i not in hidden and i not in fixed]
    if not candidates:
        return None
    return min(candidates, key=lambda i: (values[i] == 0, i == total, values[i], i))


def _protect(
    values: Sequence[int],
    lines: Sequence[Line],
    threshold: int,
    extra: Callable[[Mapping[int, str]], int | None] | None = None,
    fixed: Collection[int] = (),
    unpublished: Collection[int] = (),
    initial: Mapping[int, str] | None = None,
) -> dict[int, str]:
    """Which entries to hide, and why: rules 1–3, then ``extra`` (rule 4 for tables), until stable.
    ``fixed`` entries are never hidden as complements (they may still be small themselves);
    ``unpublished`` ones are hidden from the start: they are never shown anywhere."""
    hidden: dict[int, str] = {i: UNPUBLISHED for i in unpublished}
    hidden.update({i: PRIMARY for i, v in enumerate(values) if is_small(v, threshold) and i not in hidden})
    hidden.update({i: r for i, r in (initial or {}).items() if i not in hidden})
    while True:
        changed = False
        for line in lines:
            while _line_needs_more(line, values, hidden, threshold):
                pick = _complement(line, values, hidden, fixed)
                if pick is None:
                    break
                hidden[pick] = SECONDARY
                changed = True
        if changed:
            continue  # a new hidden entry may have broken a line already passed; go round again
        pick = extra(hidden) if extra is not None else None
        if pick is None:
            return hidden
        hidden[pick] = SECONDARY


def _cell(value: int, index: int, hidden: Mapping[int, str]) -> Cell:
    reason = hidden.get(index)
    if reason is None:
        return Cell(value=value, suppressed=False, reason=None)
    return Cell(value=None, suppressed=True, reason=reason)


# --- one-way lists ----------------------------------------------------------------------------------

def suppress_counts(
    counts: Mapping[K, int], *, threshold: int = DEFAULT_THRESHOLD, total: int | None = None,
) -> Table1D[K]:
    """Suppress a list of counts published with its total.

    ``total`` defaults to the sum of ``counts``. A caller that publishes a larger total (because
    a category such as "other" or "not recorded" is not listed) may pass it: the unlisted remainder
    is *not* relied on to protect anything, since it may well be published elsewhere or be known
    to be zero, so the listed counts are protected as if the remainder were public.

    With ``Keyed`` counts each count and the total are perturbed independently (the total's cell
    key is the sum of the counts' keys unless a ``Keyed`` total is passed), so the shown rows need
    not add up to the shown total.
    """
    if _any_keyed(counts.values(), (total,)):
        cells = _all_keyed("counts", counts)
        whole = sum(cells.values(), EMPTY) if total is None else total
        if not isinstance(whole, Keyed):
            raise ValueError("total must be Keyed when the counts are")
        if whole.count < sum(c.count for c in cells.values()):
            raise ValueError(f"total ({whole.count}) is less than the sum of the counts")
        return Table1D(cells={k: perturb(c, threshold) for k, c in cells.items()}, total=perturb(whole, threshold))
    threshold = _check_threshold(threshold)
    keys = list(counts)
    values = [check_count(f"counts[{key!r}]", counts[key]) for key in keys]
    listed = sum(values)
    if total is None:
        total = listed
    else:
        total = check_count("total", total)
        if total < listed:
            raise ValueError(f"total ({total}) is less than the sum of the counts ({listed})")
    # Subtraction gives (hidden listed counts + the unlisted remainder). Rules 2 and 3 look only
    # at the listed counts, as if the remainder were published too, which is the cautious reading.
    entries = [*values, total]
    lines: list[Line] = [(tuple(range(len(values))), len(values))]
    hidden = _protect(entries, lines, threshold)
    return Table1D(
        cells={key: _cell(value, i, hidden) for i, (key, value) in enumerate(zip(keys, values, strict=True))},
        total=_cell(total, len(values), hidden),
    )


# --- two-way tables ---------------------------------------------------------------------------------

def suppress_table(
    counts: Mapping[tuple[R, C], int], rows: Sequence[R], cols: Sequence[C], *, threshold: int = DEFAULT_THRESHOLD,
) -> Table2D[R, C]:
    """Suppress a two-way table published with its row totals, column totals and grand total.

    ``counts`` may leave out cells (a GROUP BY returns no row for an empty group): they are 0.
    A key outside ``rows`` × ``cols`` is refused, because silently dropping it would publish totals
    that do not add up to the cells shown.

    With ``Keyed`` counts every cell and every total is perturbed independently (a total's cell key
    is the sum of its cells' keys, so it is the same cell key the total has in any other table).
    """
    threshold = _check_threshold(threshold)
    rows_t, cols_t = tuple(rows), tuple(cols)
    if len(set(rows_t)) != len(rows_t):
        raise ValueError("rows must not repeat")
    if len(set(cols_t)) != len(cols_t):
        raise ValueError("cols must not repeat")
    row_at = {r: i for i, r in enumerate(rows_t)}
    col_at = {c: j for j, c in enumerate(cols_t)}
    if _any_keyed(counts.values()):
        keyed_counts = _all_keyed("counts", counts)
        for key in keyed_counts:
            if not (isinstance(key, tuple) and len(key) == 2 and key[0] in row_at and key[1] in col_at):
                raise ValueError(f"counts has key {key!r}, which is not a (row, col) pair from rows and cols")
        grid = {(r, c): keyed_counts.get((r, c), EMPTY) for r in rows_t for c in cols_t}
        row_sums = {r: sum((grid[(r, c)] for c in cols_t), EMPTY) for r in rows_t}
        col_sums = {c: sum((grid[(r, c)] for r in rows_t), EMPTY) for c in cols_t}
        return Table2D(
            rows=rows_t, cols=cols_t, cells={k: perturb(v, threshold) for k, v in grid.items()},
            row_totals={r: perturb(v, threshold) for r, v in row_sums.items()},
            col_totals={c: perturb(v, threshold) for c, v in col_sums.items()},
            grand_total=perturb(sum(row_sums.values(), EMPTY), threshold),
        )
    n_rows, n_cols = len(rows_t), len(cols_t)
    width = n_cols + 1  # the grid includes the totals column (index n_cols) and totals row (n_rows)

    grid = [[0] * width for _ in range(n_rows + 1)]
    for key, value in counts.items():
        if not (isinstance(key, tuple) and len(key) == 2 and key[0] in row_at and key[1] in col_at):
            raise ValueError(f"counts has key {key!r}, which is not a (row, col) pair from rows and cols")
        grid[row_at[key[0]]][col_at[key[1]]] = check_count(f"counts[{key!r}]", value)
    for i in range(n_rows):
        grid[i][n_cols] = sum(grid[i][:n_cols])
    for j in range(width):
        grid[n_rows][j] = sum(grid[i][j] for i in range(n_rows))

    values = [v for row in grid for v in row]

    def at(i: int, j: int) -> int:
        return i * width + j

    # Every row (the totals row too) against its total, every column (the totals column too) against its total.
    lines: list[Line] = [(tuple(at(i, j) for j in range(n_cols)), at(i, n_cols)) for i in range(n_rows + 1)]
    lines += [(tuple(at(i, j) for i in range(n_rows)), at(n_rows, j)) for j in range(n_cols + 1)]

    hidden = _protect(values, lines, threshold, extra=lambda h: _close_a_bridge(h, values, n_rows + 1, width))

    cells = {(r, c): _cell(grid[i][j], at(i, j), hidden) for i, r in enumerate(rows_t) for j, c in enumerate(cols_t)}
    return Table2D(
        rows=rows_t,
        cols=cols_t,
        cells=cells,
        row_totals={r: _cell(grid[i][n_cols], at(i, n_cols), hidden) for i, r in enumerate(rows_t)},
        col_totals={c: _cell(grid[n_rows][j], at(n_rows, j), hidden) for j, c in enumerate(cols_t)},
        grand_total=_cell(grid[n_rows][n_cols], at(n_rows, n_cols), hidden),
    )


# --- rule 4: bridges --------------------------------------------------------------------------------
# The grid with its totals row and column is itself a two-way table in which every row and every
# column sums to zero once the totals are negated; a change to hidden entries that keeps every
# published relation true is then a combination of cycles in the bipartite graph whose vertices
# are the grid's rows and columns and whose edges are the hidden entries. An edge on no cycle (a
# bridge) cannot change at all: it is disclosed exactly, even though every line has two hidden
# entries. Hiding one more entry that joins the two sides of the bridge puts it on a cycle.

def _bridges(n_vertices: int, edges: Sequence[tuple[int, int]]) -> set[int]:
    """Indexes into ``edges`` of the bridges of an undirected simple graph (Tarjan's low-link,
    iterative so that a 650-row table cannot exhaust Python's recursion limit)."""
    adjacency: list[list[tuple[int, int]]] = [[] for _ in range(n_vertices)]
    for e, (u, v) in enumerate(edges):
        adjacency[u].append((v, e))
        adjacency[v].append((u, e))
    order = [-1] * n_vertices
    low = [0] * n_vertices
    found: set[int] = set()
    counter = 0
    for root in range(n_vertices):
        if order[root] != -1 or not adjacency[root]:
            continue
        order[root] = low[root] = counter
        counter += 1
        stack: list[tuple[int, int, int]] = [(root, -1, 0)]  # (vertex, edge used to reach it, next neighbour)
        while stack:
            vertex, via, position = stack[-1]
            if position < len(adjacency[vertex]):
                stack[-1] = (vertex, via, position + 1)
                neighbour, edge = adjacency[vertex][position]
                if edge == via:
                    continue
                if order[neighbour] == -1:
                    order[neighbour] = low[neighbour] = counter
                    counter += 1
                    stack.append((neighbour, edge, 0))
                else:
                    low[vertex] = min(low[vertex], order[neighbour])
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[vertex])
                    if low[vertex] > order[parent]:
                        found.add(via)
    return found


def _close_a_bridge(hidden: Mapping[int, str], values: Sequence[int], n_rows: int, width: int) -> int | None:
    """A published entry whose hiding puts the first bridging hidden entry on a cycle, or ``None``
    if no hidden entry is a bridge. ``n_rows`` and ``width`` include the totals row and column."""
    entries = sorted(hidden)
    edges = [(index // width, n_rows + index % width) for index in entries]  # row vertex, column vertex
    bridges = _bridges(n_rows + width, edges)
    if not bridges:
        return None
    bridge = min(bridges)
    # The two sides once the bridge is removed: everything reachable from its row, and the rest.
    adjacency: dict[int, list[int]] = {}
    for e, (u, v) in enumerate(edges):
        if e != bridge:
            adjacency.setdefault(u, []).append(v)
            adjacency.setdefault(v, []).append(u)
    row_vertex, col_vertex = edges[bridge]
    row_side = _reachable(row_vertex, adjacency)
    col_side = _reachable(col_vertex, adjacency)
    # Any entry (row on one side, column on the other) closes a cycle through the bridge.
    candidates = [
        i * width + (c - n_rows)
        for side_a, side_b in ((row_side, col_side), (col_side, row_side))
        for i in sorted(v for v in side_a if v < n_rows)
        for c in sorted(v for v in side_b if v >= n_rows)
    ]
    candidates = [index for index in candidates if index not in hidden]
    if not candidates:  # cannot happen when every line holds two hidden entries; be safe regardless
        return None

    def is_total(index: int) -> bool:
        return index // width == n_rows - 1 or index % width == width - 1

    return min(candidates, key=lambda index: (values[index] == 0, is_total(index), values[index], index))


def _reachable(start: int, adjacency: Mapping[int, list[int]]) -> set[int]:
    seen = {start}
    frontier = [start]
    while frontier:
        vertex = frontier.pop()
        for neighbour in adjacency.get(vertex, ()):
            if neighbour not in seen:
                seen.add(neighbour)
                frontier.append(neighbour)
    return seen


# --- counts bound by several published sums at once -------------------------------------------------


def suppress_linked(
    values: Mapping[K, int], lines: Sequence[tuple[Sequence[K], K]], *, threshold: int = DEFAULT_THRESHOLD,
    fixed: Collection[K] = (), unpublished: Collection[K] = (),
) -> dict[K, Cell]:
    """Suppress counts that several published sums tie together, as one problem.

    Why: a constituency's count sits in its region's total, its nation's and its police force's,
    and each of those is published in another table. Protecting each table alone leaves a hidden
    constituency that is its region's total minus the constituencies shown. Here every entry (the
    constituencies and the totals alike) is hidden or shown once, for every table that shows it.

    ``lines`` pairs the keys of the inner counts with the key of their total; every line must hold
    (the inner counts add up to the total). ``fixed`` keys are never hidden to protect another (a
    remainder that is published elsewhere is best passed as fixed). ``unpublished`` keys are parts
    that no table shows (a constituency split across two regions is two parts): they count as
    hidden from the start and are returned suppressed.

    Rules 1–3 apply per line as in :func:`suppress_counts`. Lines that cross (regions and police
    forces) can still pin a hidden count where each line alone looks protected, so an **exact audit**
    follows: for every hidden count, the attacker's linear programme (the published entries fixed,
    hidden ones at least 0, every line's sum) gives the least and most it could be; a count pinned
    to less than one unit of room gets another hidden entry from one of its lines, and the rules
    and the audit run again until nothing is pinned.

    With ``Keyed`` values every published entry is perturbed on its own (a total is a cell like any
    other, with the cell key of its records), so the lines no longer add up exactly and there is no
    linear programme to solve; ``unpublished`` entries are still returned hidden, and every line
    must still add up in the true counts (a check on the caller).
    """
    if _any_keyed(values.values()):
        cells = _all_keyed("values", values)
        for inner, total in lines:
            listed = sum(cells[k].count for k in inner)
            if listed != cells[total].count:
                raise ValueError(f"line for {total!r} does not add up: its counts sum to {listed}, not {cells[total].count}")
        hidden_keys = set(unpublished)
        return {k: Cell(value=None, suppressed=True, reason=UNPUBLISHED) if k in hidden_keys else perturb(c, threshold)
                for k, c in cells.items()}
    threshold = _check_threshold(threshold)
    keys = list(values)
    index = {key: i for i, key in enumerate(keys)}
    entries = [check_count(f"values[{key!r}]", values[key]) for key in keys]
    line_index: list[Line] = []
    for inner, total in lines:
        members = tuple(index[k] for k in inner)
        if sum(entries[i] for i in members) != entries[index[total]]:
            raise ValueError(f"line for {total!r} does not add up: its counts sum to {sum(entries[i] for i in members)}, not {entries[index[total]]}")
        line_index.append((members, index[total]))
    fixed_index = {index[k] for k in fixed}
    unpublished_index = {index[k] for k in unpublished}

    queue: list[int] = []
    exact = False  # cheap null-space audit while searching; the linear programme decides at the end

    def pinned(hidden: Mapping[int, str]) -> int | None:
        """A complement to hide for a small count the attacker can pin, or None. One audit finds
        every pinned count; their complements are handed out one by one before auditing again
        (hiding more only widens what the attacker can say, so a queued pick is never wrong)."""
        while queue:
            pick = queue.pop(0)
            if pick not in hidden:
                return pick
        chosen: set[int] = set()
        for i in _pinned_entries(entries, line_index, hidden, exact=exact):
            pick = _free(i, hidden, chosen)
            if pick is not None:
                chosen.add(pick)
                queue.append(pick)
        return queue.pop(0) if queue else None

    def _free(i: int, hidden: Mapping[int, str], chosen: set[int]) -> int | None:
        now = {**hidden, **dict.fromkeys(chosen, SECONDARY)}
        if chosen and i not in _pinned_entries(entries, line_index, now, only=i, exact=exact):
            return None  # freed by a complement already chosen for another
        for line in line_index:
            if i == line[1] or i in line[0]:
                pick = _complement(line, entries, now, fixed_index)
                if pick is not None:
                    return pick
        # Pinned through lines it is not in (a force's total minus the other forces): hide the
        # published entry, smallest first, whose hiding frees it; failing one, the smallest, and
        # audit again (hiding more only ever widens what an attacker can say).
        published = sorted((j for j in range(len(entries)) if j not in now and j not in fixed_index),
                           key=lambda j: (entries[j] == 0, entries[j], j))
        for pick in published:
            if i not in _pinned_entries(entries, line_index, {**now, pick: SECONDARY}, only=i, exact=False):
                return pick
        if published:
            return published[0]
        raise RuntimeError("a small count cannot be protected: every other entry is hidden or fixed")

    hidden = _protect(entries, line_index, threshold, extra=pinned, fixed=fixed_index, unpublished=unpublished_index)
    # The null-space audit finds every count the published sums determine exactly; the linear
    # programme also sees the bounds (no count is negative). Rare cases pinned only by the bounds
    # go round again with the exact audit.
    if _pinned_entries(entries, line_index, hidden, exact=True):
        exact = True
        hidden = _protect(entries, line_index, threshold, extra=pinned, fixed=fixed_index, unpublished=unpublished_index, initial=hidden)
    return {key: _cell(entries[i], i, hidden) for key, i in index.items()}


def _pinned_entries(values: Sequence[int], lines: Sequence[Line], hidden: Mapping[int, str], only: int | None = None,
                    exact: bool = True) -> list[int]:
    """Small (primary) hidden entries whose value the published ones fix to within less than one unit."""
    from scipy.optimize import linprog  # only the linked problem needs it

    order = sorted(hidden)
    if not order:
        return []
    column = {i: k for k, i in enumerate(order)}
    rows, rhs = [], []
    for inner, total in lines:
        involved = [i for i in (*inner, total) if i in hidden]
        if not involved:
            continue
        row = [0.0] * len(order)
        known = 0
        for i in inner:
            if i in hidden:
                row[column[i]] += 1.0
            else:
                known += values[i]
        if total in hidden:
            row[column[total]] -= 1.0
            rhs.append(float(-known))
        else:
            rhs.append(float(values[total] - known))
        rows.append(row)
    if not rows:
        return []
    targets = [i for i in order if hidden[i] == PRIMARY and (only is None or i == only)]
    if not exact:
        # A hidden count is fixed by the published sums alone exactly when it has no component in
        # the null space of the system: one SVD answers for every count at once.
        import numpy as np

        matrix = np.array(rows, dtype=float)
        _, singular, vt = np.linalg.svd(matrix, full_matrices=True)
        rank = int((singular > 1e-9 * max(1.0, singular.max(initial=0.0))).sum())
        null = vt[rank:]
        return [i for i in targets if null.shape[0] == 0 or np.abs(null[:, column[i]]).max() < 1e-7]
    out = []
    for i in targets:
        objective = [0.0] * len(order)
        objective[column[i]] = 1.0
        low = linprog(objective, A_eq=rows, b_eq=rhs, bounds=(0, None), method="highs")
        objective[column[i]] = -1.0
        high = linprog(objective, A_eq=rows, b_eq=rhs, bounds=(0, None), method="highs")
        if high.status == 3:  # unbounded above: plenty of room
            continue
        if low.status != 0 or high.status != 0:
            raise RuntimeError(f"the attacker's linear programme failed ({low.message}; {high.message})")
        if -high.fun - low.fun < 1 - 1e-9:
            out.append(i)
    return out
