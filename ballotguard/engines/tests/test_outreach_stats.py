"""Outreach coverage statistics against figures worked out by hand."""

from __future__ import annotations

import datetime as dt
import statistics

from hypothesis import given
from hypothesis import strategies as st

from ballotguard.engines.insights.outreach import EMPTY, CandidateOutreach, coverage, coverage_by, days_between, median

CLOSE = dt.date(2026, 4, 8)  # nominations close for the 7 May 2026 local elections


def reached(days: int, briefed: bool = False, close: dt.date | None = CLOSE) -> CandidateOutreach:
    return CandidateOutreach(nominations_close=close, first_contact=CLOSE + dt.timedelta(days=days), briefed=briefed)


def never(briefed: bool = False, close: dt.date | None = CLOSE) -> CandidateOutreach:
    return CandidateOutreach(nominations_close=close, first_contact=None, briefed=briefed)


def test_median_of_odd_and_even_counts_and_of_nothing():
    assert median([7, 1, 3]) == 3.0
    assert median([7, 1, 3, 10]) == 5.0  # (3 + 7) / 2
    assert median([2, 3]) == 2.5
    assert median([4]) == 4.0
    assert median([]) is None


def test_days_between_counts_whole_days_and_never_goes_negative():
    assert days_between(dt.date(2026, 4, 8), dt.date(2026, 4, 15)) == 7
    assert days_between(dt.date(2026, 4, 8), dt.date(2026, 4, 1)) == 0  # contacted before nominations closed
    assert days_between(None, dt.date(2026, 4, 15)) is None
    assert days_between(dt.date(2026, 4, 8), None) is None


def test_coverage_by_hand_odd_count():
    # Three reached after 2, 9 and 4 days (median 4), one never reached, two briefed.
    cov = coverage([reached(2, briefed=True), reached(9), reached(4, briefed=True), never()])
    assert (cov.handed_over, cov.contacted, cov.not_contacted, cov.briefed) == (4, 3, 1, 2)
    assert cov.median_days_to_first_contact == 4.0 and cov.timed == 3
    assert cov.contacted_share == 0.75 and cov.briefed_share == 0.5
    assert cov.waiting_days is None  # no ``today`` given


def test_coverage_by_hand_even_count_and_waiting_time():
    cov = coverage([reached(1), reached(6), reached(3), reached(10), never(), never()], today=CLOSE + dt.timedelta(days=20))
    assert cov.median_days_to_first_contact == 4.5  # 1, 3, 6, 10 → (3 + 6) / 2
    assert cov.not_contacted == 2 and cov.waiting_days == 20.0


def test_candidates_never_contacted_give_no_median_rather_than_zero():
    cov = coverage([never(), never(briefed=True)])
    assert cov.contacted == 0 and cov.not_contacted == 2 and cov.briefed == 1
    assert cov.median_days_to_first_contact is None and cov.timed == 0


def test_contacts_without_a_close_date_count_as_contacted_but_not_in_the_median():
    cov = coverage([reached(5), reached(0, close=None), reached(-3)])
    assert cov.contacted == 3 and cov.timed == 2
    assert cov.median_days_to_first_contact == 2.5  # 5 and 0 (contact before close counts as 0)


def test_nobody_handed_over():
    assert coverage([]) == EMPTY
    assert EMPTY.contacted_share is None and EMPTY.briefed_share is None


def test_coverage_by_force_counts_a_two_force_candidate_for_both_and_lists_empty_forces():
    alice = reached(3, briefed=True)
    rows = [("met", alice), ("city", alice), ("met", reached(7)), ("wmp", never())]
    out = coverage_by(rows, keys=["met", "city", "wmp", "kent"])
    assert out["met"].handed_over == 2 and out["met"].median_days_to_first_contact == 5.0
    assert out["city"].handed_over == 1 and out["city"].briefed == 1 and out["city"].median_days_to_first_contact == 3.0
    assert out["wmp"].contacted == 0 and out["wmp"].median_days_to_first_contact is None
    assert out["kent"] == EMPTY


@given(st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=60))
def test_median_agrees_with_the_standard_library(values):
    assert median(values) == statistics.median(values)
    cov = coverage([reached(v) for v in values])
    assert cov.median_days_to_first_contact == statistics.median(values) and cov.timed == len(values)
