"""The cell-key method: the p-table's promises, consistency, and the differencing attack it defeats."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballotguard.engines.insights import disclosure
from ballotguard.engines.insights.cellkey import KEY_SPACE, Keyed, keyed, ptable
from ballotguard.engines.insights.disclosure import Cell, perturb, protect, suppress_counts, suppress_linked, suppress_table

TABLE = ptable()


# --- the p-table -----------------------------------------------------------------------------------

@pytest.mark.parametrize("n", range(0, 40))
def test_every_row_is_a_distribution_within_D_unbiased_and_never_small(n):
    row = TABLE.row(n)
    assert sum(p for _v, p, _c in row) == pytest.approx(1.0, abs=1e-9)
    assert [c for _v, _p, c in row][-1] == KEY_SPACE
    assert all(abs(v - n) <= TABLE.max_noise and v >= 0 and v not in {1, 2, 3, 4} for v, _p, _c in row)
    assert sum(v * p for v, p, _c in row) == pytest.approx(n, abs=1e-6)  # unbiased


def test_zero_stays_zero_and_large_counts_have_the_chosen_variance():
    assert TABLE.can_publish(0) == (0,)
    for n in (10, 57, 1000):
        row = TABLE.row(n)
        assert sum((v - n) ** 2 * p for v, p, _c in row) == pytest.approx(TABLE.variance, abs=1e-3)


def test_no_small_count_is_ever_published_as_itself():
    for n in range(1, 5):
        assert n not in TABLE.can_publish(n)
        assert 0 in TABLE.can_publish(n) and 5 in TABLE.can_publish(n)  # it may read as none, or as five


def test_parameters_are_checked():
    for bad in (lambda: ptable(0), lambda: ptable(5, 3), lambda: ptable(5, 5, 0.0)):
        with pytest.raises(ValueError):
            bad()
    with pytest.raises(ValueError):
        keyed([KEY_SPACE])
    with pytest.raises(ValueError):
        Keyed(-1, 0)


# --- cell keys and consistency ---------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, KEY_SPACE - 1), max_size=40), st.randoms(use_true_random=False))
def test_the_same_records_always_publish_the_same_value(keys, rng):
    """Whatever order or table the records are counted in, the cell key and the value are the same:
    asking again (another page, another filter that gives the same records) teaches nothing new."""
    shuffled = list(keys)
    rng.shuffle(shuffled)
    assert keyed(keys) == keyed(shuffled)
    half = len(keys) // 2
    assert keyed(keys[:half]) + keyed(keys[half:]) == keyed(keys)  # a total's key from its rows' keys
    assert perturb(keyed(keys)) == perturb(keyed(shuffled))


def test_the_api_perturbs_keyed_counts_and_suppresses_plain_ones():
    rng = random.Random(7)
    cells = {name: keyed(rng.randrange(KEY_SPACE) for _ in range(n)) for name, n in (("a", 3), ("b", 40), ("c", 0))}
    table = suppress_counts(cells)
    assert not table.any_suppressed and all(c.perturbed for c in [*table.cells.values(), table.total])
    assert table.cells["c"].value == 0 and table.cells["a"].value in {0, 5, 6, 7, 8}
    assert table.total == perturb(sum(cells.values(), Keyed(0, 0)))  # the total is a cell of its own
    plain = suppress_counts({"a": 3, "b": 40, "c": 0})
    assert plain.cells["a"].display() == "[c]"  # the old method, unchanged, for callers without record keys
    assert protect(3).suppressed and not protect(keyed([1, 2, 3])).suppressed
    two_way = suppress_table({("r", "x"): cells["a"], ("r", "y"): cells["b"]}, ["r", "s"], ["x", "y"])
    assert two_way.row_totals["r"] == perturb(cells["a"] + cells["b"]) and two_way.cells[("s", "x")].value == 0
    linked = suppress_linked({"part": cells["a"], "whole": cells["a"] + cells["b"], "hidden": cells["b"]},
                             [(["part", "hidden"], "whole")], unpublished=["hidden"])
    assert linked["hidden"].suppressed and not linked["whole"].suppressed
    with pytest.raises(ValueError, match="plain count among keyed"):
        suppress_counts({"a": cells["a"], "b": 4})
    with pytest.raises(ValueError, match="does not add up"):
        suppress_linked({"a": cells["a"], "t": cells["b"]}, [(["a"], "t")])
    assert Cell(5, False, None, perturbed=True).display() == "5"
    assert disclosure.METHOD_NOTE.startswith("Figures are perturbed to protect individuals")


# --- the differencing attack -----------------------------------------------------------------------

def differencing_attack(trials: int, protect_total) -> float:
    """The attack the suppression tests mounted, between two published totals: a table for "all
    incidents" and the same table filtered to leave out a small group (or a force's total against
    the national one). Both totals are large, so neither is small; their difference is the small
    group. Returns the share of trials in which the attacker's difference equals the true small count."""
    rng = random.Random(2026)
    recovered = 0
    for _ in range(trials):
        big = [rng.randrange(KEY_SPACE) for _ in range(rng.randrange(20, 200))]
        small = [rng.randrange(KEY_SPACE) for _ in range(rng.randrange(1, 5))]
        without, with_ = protect_total(big), protect_total(big + small)
        recovered += (with_ - without) == len(small)
    return recovered / trials


def test_differencing_two_totals_recovers_small_counts_under_suppression_but_not_under_perturbation():
    def suppressed(keys):  # today's method: a large total is published exactly
        return suppress_counts({"all": len(keys)}).total.value

    def perturbed(keys):
        return perturb(keyed(keys)).value

    before = differencing_attack(2000, suppressed)
    after = differencing_attack(2000, perturbed)
    assert before == 1.0  # suppression never protected against differencing two cuts
    assert after < 0.3, after  # the attacker's difference is the small count by chance only...


def test_the_attacker_can_never_be_sure_of_a_small_count():
    """...and never knows when: for every pair of published totals, the differences the p-table
    allows include several small counts (and none), so no published pair pins one."""
    rng = random.Random(11)
    for _ in range(500):
        big = [rng.randrange(KEY_SPACE) for _ in range(rng.randrange(20, 200))]
        small = [rng.randrange(KEY_SPACE) for _ in range(rng.randrange(1, 5))]
        without, with_ = perturb(keyed(big)).value, perturb(keyed(big + small)).value
        possible = {b - a for a in TABLE.could_be(without) for b in TABLE.could_be(with_) if b >= a}
        assert len(small) in possible and len(possible & {0, 1, 2, 3, 4}) >= 3, (without, with_, possible)
