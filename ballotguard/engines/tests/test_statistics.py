"""Exact rates, rate ratios and proportions against published worked examples.

Every expected figure below is copied from a published source named beside it (R's documented
examples as R prints them, Garwood's table, Newcombe's comparison paper, a textbook worked
example), not produced by this code; tolerances are at the precision the source prints.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from ballotguard.engines.insights.statistics import (
    Proportion,
    Rate,
    RateRatio,
    clopper_pearson,
    format_number,
    poisson_limits,
    poisson_rate,
    proportion,
    rate_ratio,
)

# --- Poisson limits: Garwood (1936), "Fiducial limits for the Poisson distribution", Biometrika 28:437–442,
# as tabulated by Ulm (1990), Am J Epidemiol 131:373–375, for 95%. The x = 0 upper limit 3.689 is also
# quoted in the documentation of R's epitools::pois.exact
# (https://rdocumentation.org/link/pois.exact?package=epitools&version=0.5-10.1).
GARWOOD_95 = [
    (0, 0.0, 3.689),
    (1, 0.0253, 5.572),
    (2, 0.2422, 7.225),
    (3, 0.6187, 8.767),
    (4, 1.090, 10.24),
    (5, 1.623, 11.67),
    (10, 4.795, 18.39),
]


@pytest.mark.parametrize(("count", "lower", "upper"), GARWOOD_95)
def test_poisson_limits_match_garwoods_table(count, lower, upper):
    got_lower, got_upper = poisson_limits(count)
    assert got_lower == pytest.approx(lower, rel=1e-3, abs=1e-9)
    assert got_upper == pytest.approx(upper, rel=1e-3)


def test_zero_events_has_lower_limit_exactly_zero():
    assert poisson_limits(0)[0] == 0.0
    assert poisson_rate(0, 40).lower == 0.0


def test_one_sample_rate_matches_r_poisson_test_welsh_nickel_workers():
    # R's documented example (stats::poisson.test, "SMR, Welsh Nickel workers", from the ISwR package):
    #   poisson.test(137, 24.19893)
    #   95 percent confidence interval: 4.753125 6.692709; event rate 5.661407
    # https://stat.ethz.ch/R-manual/R-devel/library/stats/html/poisson.test.html
    rate = poisson_rate(137, 24.19893, per=1)
    assert rate.estimate == pytest.approx(5.661407, rel=1e-6)
    assert rate.lower == pytest.approx(4.753125, rel=1e-6)
    assert rate.upper == pytest.approx(6.692709, rel=1e-6)


def test_rate_per_100_candidates_scales_count_and_limits():
    # 12 incidents among 50 candidates: 24 per 100; limits are Garwood's for 12, times 100/50.
    rate = poisson_rate(12, 50)
    lower, upper = poisson_limits(12)
    assert rate == Rate(count=12, exposure=50.0, per=100.0, estimate=24.0, lower=lower * 2, upper=upper * 2, level=0.95)
    assert rate.describe() == "24.0 per 100 (95% CI 12.4 to 41.9)"


def test_rate_with_no_exposure_is_not_available():
    rate = poisson_rate(0, 0)
    assert (rate.estimate, rate.lower, rate.upper) == (None, None, None)
    assert rate.describe() == "not available (no exposure)"


# --- Rate ratio: R's documented poisson.test example, Andersen (1977) lung cancer in four Danish cities
# (the eba1977 data set), Fredericia against the other three cities for ages 55–59:
#   poisson.test(c(11, 6+8+7), c(800, 1083+1050+878))
#   count1 = 11, expected count1 = 6.7174, p-value = 0.07967
#   95 percent confidence interval: 0.8584264 4.2772659
#   sample estimates: rate ratio 1.971488
# Example: https://stat.ethz.ch/R-manual/R-devel/library/stats/html/poisson.test.html; the printed output
# above is R's (also reproduced in validation notes of other ports of poisson.test).

def test_rate_ratio_matches_r_poisson_test_fredericia_example():
    rr = rate_ratio(11, 800, 6 + 8 + 7, 1083 + 1050 + 878)
    assert rr.ratio == pytest.approx(1.971488, rel=1e-6)
    assert rr.lower == pytest.approx(0.8584264, rel=1e-6)
    assert rr.upper == pytest.approx(4.2772659, rel=1e-6)
    assert rr.p_value == pytest.approx(0.07967, rel=1e-4)
    assert rr.describe() == "1.97 times (95% CI 0.858 to 4.28)"


def test_rate_ratio_interval_is_clopper_pearson_transformed():
    # The conditional method by hand: p = a/n's Clopper–Pearson limits, mapped by p/(1-p)·Eb/Ea.
    a, ea, b, eb = 30, 1386, 40, 3129  # e.g. incidents against women vs men among 4,515 candidates
    low, high = stats.binomtest(a, a + b).proportion_ci(confidence_level=0.95, method="exact")
    rr = rate_ratio(a, ea, b, eb)
    assert rr.lower == pytest.approx(low / (1 - low) * eb / ea, rel=1e-9)
    assert rr.upper == pytest.approx(high / (1 - high) * eb / ea, rel=1e-9)
    assert rr.p_value == pytest.approx(stats.binomtest(a, a + b, ea / (ea + eb)).pvalue, rel=1e-12)


def test_rate_ratio_with_no_events_in_group_a():
    rr = rate_ratio(0, 800, 21, 3011)
    assert rr.ratio == 0.0
    assert rr.lower == 0.0
    assert rr.upper is not None and 0 < rr.upper < math.inf
    # Clopper–Pearson upper limit for 0 of 21 is 1 − 0.025^(1/21).
    p_high = 1 - 0.025 ** (1 / 21)
    assert rr.upper == pytest.approx(p_high / (1 - p_high) * 3011 / 800, rel=1e-9)
    assert rr.describe().startswith("0 times (95% CI 0 to ")


def test_rate_ratio_with_no_events_in_group_b_is_infinite_with_a_finite_lower_limit():
    rr = rate_ratio(5, 800, 0, 3011)
    assert rr.ratio is None
    assert rr.upper is None
    assert rr.lower is not None and 0 < rr.lower < math.inf
    assert rr.p_value is not None and rr.p_value < 0.05
    assert rr.describe().startswith("not finite: the comparison group had no events (95% CI ")
    assert rr.describe().endswith(" to infinity)")


def test_rate_ratio_with_no_events_at_all_or_no_exposure_says_nothing():
    for rr in (rate_ratio(0, 800, 0, 3011), rate_ratio(3, 0, 4, 10), rate_ratio(3, 10, 4, 0)):
        assert (rr.ratio, rr.lower, rr.upper, rr.p_value) == (None, None, None, None)
        assert not rr.estimable
        assert rr.describe().startswith("not available")


def test_equal_rates_give_ratio_one_and_p_value_one():
    rr = rate_ratio(25, 1000, 25, 1000)
    assert rr.ratio == 1.0
    assert rr.p_value == pytest.approx(1.0)
    assert rr.lower < 1 < rr.upper


# --- Proportions: Clopper–Pearson.

def test_proportion_matches_r_binom_test_mendel_example():
    # R's documented binom.test example (Conover 1971, p. 97f.): 682 giant and 243 dwarf plants,
    #   binom.test(c(682, 243), p = 3/4)
    #   p-value = 0.3825; 95 percent confidence interval: 0.7076683 0.7654066; estimate 0.7372973
    # https://stat.ethz.ch/R-manual/R-devel/library/stats/html/binom.test.html
    share = proportion(682, 682 + 243)
    assert share.estimate == pytest.approx(0.7372973, rel=1e-6)
    assert share.lower == pytest.approx(0.7076683, rel=1e-6)
    assert share.upper == pytest.approx(0.7654066, rel=1e-6)


@pytest.mark.parametrize(
    ("successes", "trials", "lower", "upper"),
    [
        # Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison of seven
        # methods", Statistics in Medicine 17:857–872, Table II, method 5 (exact, Clopper–Pearson).
        (81, 263, 0.2527, 0.3676),
        (15, 148, 0.0578, 0.1617),
        (0, 20, 0.0, 0.1684),
        (1, 29, 0.0009, 0.1776),
        # Worked example, 5 of 25 seedlings surviving: 0.068 to 0.407 (Conover's tables), at
        # http://influentialpoints.com/Training/confidence_intervals_of_proportions.htm
        (5, 25, 0.068, 0.407),
    ],
)
def test_proportion_matches_published_clopper_pearson_limits(successes, trials, lower, upper):
    share = proportion(successes, trials)
    # Sources print 3–4 decimals: agree to half a unit in the last printed place.
    places = max(len(f"{lower}".split(".")[1]), len(f"{upper}".split(".")[1]))
    assert share.lower == pytest.approx(lower, abs=0.5 * 10 ** -places)
    assert share.upper == pytest.approx(upper, abs=0.5 * 10 ** -places)


@given(trials=st.integers(1, 400), data=st.data(), level=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
@settings(max_examples=200, deadline=None)
def test_proportion_agrees_with_scipy_binomtest_exact_interval(trials, data, level):
    successes = data.draw(st.integers(0, trials))
    ci = stats.binomtest(successes, trials).proportion_ci(confidence_level=level, method="exact")
    share = proportion(successes, trials, level=level)
    assert share.lower == pytest.approx(ci.low, rel=1e-9, abs=1e-12)
    assert share.upper == pytest.approx(ci.high, rel=1e-9, abs=1e-12)


def test_proportion_edges():
    assert proportion(0, 0) == Proportion(successes=0, trials=0, estimate=None, lower=None, upper=None, level=0.95)
    assert proportion(0, 10).lower == 0.0
    assert proportion(10, 10).upper == 1.0
    assert proportion(31, 51).describe() == "61% (95% CI 46% to 74%)"


# --- Properties.

counts = st.integers(min_value=0, max_value=2000)
exposures = st.floats(min_value=0.5, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(count=counts, exposure=exposures)
@settings(max_examples=300, deadline=None)
def test_rate_interval_contains_estimate_and_widens_with_level(count, exposure):
    r95 = poisson_rate(count, exposure, level=0.95)
    r99 = poisson_rate(count, exposure, level=0.99)
    assert r95.lower <= r95.estimate <= r95.upper
    assert r99.lower <= r95.lower and r95.upper < r99.upper
    assert r99.upper - r99.lower > r95.upper - r95.lower


@given(a=counts, ea=exposures, b=counts, eb=exposures)
@settings(max_examples=300, deadline=None)
def test_rate_ratio_interval_contains_estimate_and_widens_with_level(a, ea, b, eb):
    r95 = rate_ratio(a, ea, b, eb, level=0.95)
    r99 = rate_ratio(a, ea, b, eb, level=0.99)
    if a + b == 0:
        assert r95.lower is None and r99.lower is None
        return
    assert r99.lower <= r95.lower
    if r95.ratio is None:  # b = 0: unbounded above at both levels
        assert r95.upper is None and r99.upper is None
        return
    assert r95.lower <= r95.ratio * (1 + 1e-12)
    assert r95.ratio <= r95.upper * (1 + 1e-12)
    assert r95.upper <= r99.upper
    assert r99.upper - r99.lower > r95.upper - r95.lower


@given(a=counts, ea=exposures, b=counts, eb=exposures, level=st.sampled_from([0.9, 0.95, 0.99]))
@settings(max_examples=300, deadline=None)
def test_rate_ratio_of_b_to_a_is_the_reciprocal_of_a_to_b(a, ea, b, eb, level):
    forward = rate_ratio(a, ea, b, eb, level=level)
    backward = rate_ratio(b, eb, a, ea, level=level)

    def reciprocal(x: float | None) -> float | None:
        # 0 and "infinite" (None) swap places; the all-None case has no bounds at all.
        if x is None:
            return 0.0
        return None if x == 0 else 1 / x

    if a + b == 0:
        assert backward.lower is None and forward.lower is None
        return
    for got, want in ((backward.ratio, reciprocal(forward.ratio)),
                      (backward.lower, reciprocal(forward.upper)),
                      (backward.upper, reciprocal(forward.lower))):
        if want is None:
            assert got is None
        else:
            assert got == pytest.approx(want, rel=1e-7, abs=1e-300)
    assert backward.p_value == pytest.approx(forward.p_value, rel=1e-6)


@given(count=counts, exposure=exposures)
@settings(max_examples=100, deadline=None)
def test_rate_is_the_poisson_tail_inversion(count, exposure):
    # Exactness itself: at the limits, the tail beyond the observed count is exactly α/2.
    rate = poisson_rate(count, exposure, per=1)
    mu_low, mu_high = rate.lower * exposure, rate.upper * exposure
    assert stats.poisson.cdf(count, mu_high) == pytest.approx(0.025, rel=1e-6)
    if count:
        assert stats.poisson.sf(count - 1, mu_low) == pytest.approx(0.025, rel=1e-6)


# --- Validation.

@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: poisson_rate(-1, 10), "count"),
        (lambda: poisson_rate(2.5, 10), "count"),
        (lambda: poisson_rate(True, 10), "count"),
        (lambda: poisson_rate(3, -1), "exposure"),
        (lambda: poisson_rate(3, float("nan")), "exposure"),
        (lambda: poisson_rate(3, 10, level=1.0), "level"),
        (lambda: poisson_rate(3, 10, level=0), "level"),
        (lambda: poisson_rate(3, 10, level=95), "level"),
        (lambda: rate_ratio(-1, 10, 3, 10), "a_count"),
        (lambda: rate_ratio(1, 10, 3.0, 10), "b_count"),
        (lambda: rate_ratio(1, -10, 3, 10), "a_exposure"),
        (lambda: rate_ratio(1, 10, 3, math.inf), "b_exposure"),
        (lambda: rate_ratio(1, 10, 3, 10, level=1.5), "level"),
        (lambda: proportion(-1, 10), "successes"),
        (lambda: proportion(1, 10.0), "trials"),
        (lambda: proportion(11, 10), "successes"),
        (lambda: proportion(1, 10, level=-0.1), "level"),
        (lambda: clopper_pearson(0, 0), "trials"),
    ],
)
def test_bad_input_is_refused_naming_the_argument(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()


def test_numpy_integers_are_counts():
    # Counts often arrive from NumPy or pandas aggregates.
    assert poisson_rate(np.int64(3), 10).count == 3
    assert rate_ratio(np.int32(3), 10, np.int64(4), 10).a_count == 3


def test_format_number_reads_well_in_sentences():
    assert format_number(1.4234) == "1.42"
    assert format_number(0.85842) == "0.858"
    assert format_number(18.39) == "18.4"
    assert format_number(99.96) == "100"
    assert format_number(1234.4) == "1,234"
    assert format_number(0.0000123) == "0.0000123"
    assert format_number(0) == "0"


def test_results_are_frozen():
    rr = rate_ratio(11, 800, 21, 3011)
    assert isinstance(rr, RateRatio)
    with pytest.raises(AttributeError):
        rr.ratio = 2.0  # type: ignore[misc]
