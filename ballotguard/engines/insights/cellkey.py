"""Cell-key perturbation of counts: the method the ONS used for Census 2021 tables.

Why: small-number *suppression* (:func:`ballotguard.engines.insights.disclosure.suppress_linked`) hid 566 of
the 650 constituencies on the national demo map, because with a few incidents per constituency
nearly every count is small, and protecting one hidden count through the region, nation and force
totals hides many more. A map that is 87% hatched protects people but informs no one. Perturbation
publishes every cell, each moved by a small, unbiased amount of noise, so that no published figure
(and no difference of published figures) says exactly how many incidents a small group reported.

How (Thompson, Broadfoot and Elazar, "Methodology for the automatic confidentialisation of Census
tables", ABS 2013; Giessing 2016; the sdcTools ``ptable`` and ``cellKey`` R packages; ONS,
"Protecting personal data in Census 2021 results"):

1. **Record keys.** Every record (an incident, a candidate) carries a fixed random key, an integer
   in ``[0, 2³²)``. The caller derives it with a keyed hash of the record's id (HMAC with a secret
   from the environment), so the same record always has the same key and nobody without the secret
   can compute it. This module only receives the keys.
2. **Cell keys.** A cell's key is the sum of the record keys of the records it counts, modulo 2³²
   (the ONS's "sum of record keys mod 1", in integers so it is exact everywhere). The same set of
   records gives the same cell key whatever table, page, filter or order it is counted in, so the
   same cell always shows the same value: asking for it twice, or through another page, gives
   nothing new to average away. The key of a union of disjoint cells is the sum of their keys.
3. **The perturbation table (p-table).** For each true count ``n`` a probability distribution over
   the published value ``n + d``, built once from three parameters: the largest change ``D``, the
   variance ``V`` of the change, and the smallest published non-zero value (``threshold``, default
   5). Each row is the **maximum-entropy** distribution (as ``ptable``'s default) subject to:

   * ``|d| ≤ D``;
   * the mean change is 0 (unbiased), and the variance is ``V`` where the row allows it (small
     counts need more: a 1 can only become 0 or 5+, so its variance is what that forces);
   * no published value is negative, and none is from 1 to ``threshold − 1``: a published non-zero
     count is at least ``threshold``, so no table ever shows a "2";
   * zero stays zero (no records, no key; "nobody" identifies no one, and inventing incidents where
     there are none would mislead the most).

4. **Lookup.** The cell key, as a fraction of 2³², picks the published value from the row's
   cumulative distribution. Rows are stored as integer cut-points out of 2³², rounded once, so the
   lookup is exact and the same on every machine.

What it guarantees: a count from 1 to ``threshold − 1`` is never published as itself (it becomes 0
or at least ``threshold``); every published value is within ``D`` of the truth; an attacker who
subtracts two published totals (the national figure minus every force's but one, a table with and
without a filter) gets the small count plus the difference of two independent perturbations, which
is wrong most of the time and never known to be right. Totals are perturbed as cells of their own,
so a table's rows need not add up to its total exactly: the pages say so.

Pure Python (the p-table is solved once, by Newton's method, and cached): no Django.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "DEFAULT_MAX_NOISE",
    "DEFAULT_VARIANCE",
    "KEY_SPACE",
    "Keyed",
    "PerturbationTable",
    "keyed",
    "ptable",
]

KEY_BITS = 32
KEY_SPACE = 1 << KEY_BITS  # record and cell keys are integers in [0, KEY_SPACE)
DEFAULT_MAX_NOISE = 5      # D: no published count is more than 5 away from the truth
DEFAULT_VARIANCE = 2.0     # V: the variance of the change, where a row allows it (std ≈ 1.4)


@dataclass(frozen=True)
class Keyed:
    """A count with its cell key: what a table cell is before it is published.

    ``count`` is how many records the cell holds and ``key`` the sum of their record keys modulo
    :data:`KEY_SPACE`. Adding two ``Keyed`` gives the cell of their (disjoint) union.
    """

    count: int
    key: int

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 0:
            raise ValueError(f"a keyed count must be a whole number of at least 0, not {self.count!r}")
        if isinstance(self.key, bool) or not isinstance(self.key, int) or not 0 <= self.key < KEY_SPACE:
            raise ValueError(f"a cell key must be an integer in [0, 2**{KEY_BITS}), not {self.key!r}")

    def __add__(self, other: Keyed) -> Keyed:
        if not isinstance(other, Keyed):
            return NotImplemented
        return Keyed(self.count + other.count, (self.key + other.key) % KEY_SPACE)

    def __radd__(self, other: object) -> Keyed:
        if other == 0:  # so that sum() of Keyed works
            return self
        return NotImplemented


EMPTY = Keyed(0, 0)


def keyed(record_keys: Iterable[int]) -> Keyed:
    """The cell of these records: their number and the sum of their keys modulo :data:`KEY_SPACE`."""
    count, total = 0, 0
    for key in record_keys:
        if isinstance(key, bool) or not isinstance(key, int) or not 0 <= key < KEY_SPACE:
            raise ValueError(f"a record key must be an integer in [0, 2**{KEY_BITS}), not {key!r}")
        count += 1
        total += key
    return Keyed(count, total % KEY_SPACE)


@dataclass(frozen=True)
class PerturbationTable:
    """A p-table: for each true count up to ``len(rows) − 1`` (and, shifted, for every larger one)
    the published values it can become, with integer cut-points out of :data:`KEY_SPACE`.

    ``rows[n]`` is a tuple of ``(published value, probability, upper cut-point)`` in ascending order
    of value; the last cut-point is :data:`KEY_SPACE`. Counts at or beyond ``len(rows) − 1`` use the
    last row moved by ``n − (len(rows) − 1)`` (far from zero every row is the same).
    """

    threshold: int
    max_noise: int
    variance: float
    rows: tuple[tuple[tuple[int, float, int], ...], ...]

    def row(self, count: int) -> tuple[tuple[int, float, int], ...]:
        last = len(self.rows) - 1
        if count <= last:
            return self.rows[count]
        shift = count - last
        return tuple((value + shift, p, cut) for value, p, cut in self.rows[last])

    def perturb(self, cell: Keyed) -> int:
        """The published value of ``cell``: the same cell always gives the same value."""
        for value, _p, cut in self.row(cell.count):
            if cell.key < cut:
                return value
        raise AssertionError("the last cut-point of a p-table row is KEY_SPACE")  # pragma: no cover

    def can_publish(self, count: int) -> tuple[int, ...]:
        """Every published value ``count`` can become (what an attacker must allow for)."""
        return tuple(value for value, p, _cut in self.row(count) if p > 0)

    def could_be(self, published: int) -> dict[int, float]:
        """The true counts that can show as ``published``, each with the probability it does so: the
        likelihood an attacker who knows the p-table has (this module's docs say it is public)."""
        out = {}
        for count in range(max(0, published - self.max_noise), published + self.max_noise + 1):
            p = sum(q for value, q, _cut in self.row(count) if value == published)
            if p > 0:
                out[count] = p
        return out


def _allowed(n: int, threshold: int, max_noise: int) -> list[int]:
    return [t for t in range(max(0, n - max_noise), n + max_noise + 1) if t == 0 or t >= threshold]


def _variance_range(n: int, targets: list[int]) -> tuple[float, float]:
    """The least and greatest variance an unbiased distribution over ``targets`` can have (two points
    either side of ``n`` are extreme: the variance is linear in the probabilities)."""
    below = [t for t in targets if t < n]
    above = [t for t in targets if t > n]
    if n in targets:
        low = 0.0
    else:
        low = min((n - a) * (b - n) for a in below for b in above)
    high = max(((n - a) * (b - n) for a in below for b in above), default=0.0)
    return low, max(low, high)


def _max_entropy_row(n: int, targets: list[int], variance: float) -> list[float]:
    """The maximum-entropy distribution over ``targets`` with mean ``n`` and the given variance:
    ``p(t) ∝ exp(a·(t−n) + b·(t−n)²)``, its two parameters found by Newton's method on the convex dual."""
    u = [t - n for t in targets]
    if len(targets) == 1:
        return [1.0]
    if len(targets) == 2:  # the mean alone fixes it
        a, b = u
        return [b / (b - a), -a / (b - a)]
    lam = [0.0, 0.0]
    for _ in range(200):
        logits = [lam[0] * x + lam[1] * x * x for x in u]
        top = max(logits)
        weights = [math.exp(v - top) for v in logits]
        total = sum(weights)
        p = [w / total for w in weights]
        m1 = sum(pi * x for pi, x in zip(p, u, strict=True))
        m2 = sum(pi * x * x for pi, x in zip(p, u, strict=True))
        m3 = sum(pi * x ** 3 for pi, x in zip(p, u, strict=True))
        m4 = sum(pi * x ** 4 for pi, x in zip(p, u, strict=True))
        g = (m1, m2 - variance)
        if abs(g[0]) < 1e-13 and abs(g[1]) < 1e-12:
            break
        h11, h12, h22 = m2 - m1 * m1, m3 - m1 * m2, m4 - m2 * m2
        det = h11 * h22 - h12 * h12
        if det <= 1e-300:
            break
        step = ((h22 * g[0] - h12 * g[1]) / det, (h11 * g[1] - h12 * g[0]) / det)
        scale = 1.0
        while max(abs(step[0]), abs(step[1])) * scale > 2.0:  # keep Newton from overshooting
            scale /= 2
        lam = [lam[0] - scale * step[0], lam[1] - scale * step[1]]
    return p


@lru_cache(maxsize=16)
def ptable(threshold: int = 5, max_noise: int = DEFAULT_MAX_NOISE, variance: float = DEFAULT_VARIANCE) -> PerturbationTable:
    """The p-table for these parameters (cached: it is the same every time).

    ``threshold`` is the smallest non-zero value published (counts 1 to ``threshold − 1`` never
    appear); ``max_noise`` must be at least ``threshold`` so that a count of 1 can stay unbiased
    (it becomes 0 or ``threshold``) and a count of ``threshold`` can still move down to 0.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ValueError(f"threshold must be a whole number of at least 1, not {threshold!r}")
    if isinstance(max_noise, bool) or not isinstance(max_noise, int) or max_noise < max(threshold, 1):
        raise ValueError(f"max_noise must be a whole number of at least the threshold ({threshold}), not {max_noise!r}")
    if not variance > 0:
        raise ValueError(f"variance must be above 0, not {variance!r}")
    rows: list[tuple[tuple[int, float, int], ...]] = [((0, 1.0, KEY_SPACE),)]  # zero stays zero
    # Beyond threshold + max_noise the allowed values are the whole window n ± D: rows repeat.
    for n in range(1, threshold + max_noise + 1):
        targets = _allowed(n, threshold, max_noise)
        low, high = _variance_range(n, targets)
        wanted = min(max(variance, low + 1e-3 * (high - low)), high - 1e-3 * (high - low)) if high > low else low
        probabilities = _max_entropy_row(n, targets, wanted)
        # Round once to whole cut-points out of KEY_SPACE: the lookup is then exact integer arithmetic.
        cuts, running = [], 0.0
        for p in probabilities:
            running += p
            cuts.append(min(KEY_SPACE, round(running * KEY_SPACE)))
        cuts[-1] = KEY_SPACE
        row, previous = [], 0
        for t, cut in zip(targets, cuts, strict=True):
            row.append((t, (cut - previous) / KEY_SPACE, cut))
            previous = cut
        rows.append(tuple(row))
    return PerturbationTable(threshold=threshold, max_noise=max_noise, variance=float(variance), rows=tuple(rows))
