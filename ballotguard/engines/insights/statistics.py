"""Rates, rate ratios and proportions with exact confidence intervals, for the Taskforce's insights.

The counts behind the insights are small: a police force may record three incidents against
Green candidates in a local election, and a disparity between two groups may rest on a dozen
incidents. Normal-approximation intervals (count ± 1.96·√count) go below zero and cover far less
often than they claim at those sizes, so every interval here is *exact*: it is built by inverting
the Poisson or binomial distribution itself and is guaranteed to cover the true value at least as
often as its level says (it is conservative, never optimistic). The methods are the textbook ones
and agree with R's ``poisson.test`` and ``binom.test``, which is what an analyst checking a figure
by hand will reach for:

* ``poisson_rate``: Garwood's (1936) interval for a Poisson count, from gamma (chi-square)
  quantiles, divided by the exposure (e.g. candidates) and multiplied by ``per`` (e.g. 100).
* ``rate_ratio``: the conditional method. Given ``n = a + b`` events in two groups, ``a`` is
  binomial with ``p = RR·Ea / (RR·Ea + Eb)``; the Clopper–Pearson interval for ``p`` maps onto
  the rate ratio through ``RR = p / (1 − p) · Eb / Ea``, and the two-sided p-value for ``RR = 1``
  is the exact binomial test (the same as ``poisson.test(c(a, b), c(Ea, Eb))``).
* ``proportion``: the Clopper–Pearson (1934) interval for ``successes`` out of ``trials``.

Impossible answers are ``None`` rather than an exception or ``inf`` so the caller can print "not
available" without special-casing: a rate with no exposure, a ratio with no events in either
group, the upper limit of a ratio whose comparison group had none. ``docs/statistics.md`` explains
the methods for analysts and statisticians.

Pure Python with SciPy's special functions: no Django (an import-linter contract keeps it so).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from scipy import special

__all__ = [
    "Proportion",
    "Rate",
    "RateRatio",
    "clopper_pearson",
    "format_number",
    "poisson_limits",
    "poisson_rate",
    "proportion",
    "rate_ratio",
]


# --- validation --------------------------------------------------------------------------------
# Counts come from SQL aggregates and forms; a float or a negative number here is a bug upstream,
# and an interval silently computed from 2.5 incidents would look authoritative. So refuse loudly,
# naming the argument, rather than rounding.

def check_count(name: str, value: object) -> int:
    """``value`` as an int, or ValueError naming ``name``: counts are whole and never negative."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be a whole number, not {value!r}")  # noqa: TRY004 -- one error type for all bad input
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    return int(value)


def _check_exposure(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, not {value!r}")  # noqa: TRY004 -- as above
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a finite number of at least 0, got {value!r}")
    return number


def _check_level(level: object) -> float:
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < float(level) < 1:
        raise ValueError(f"level must be strictly between 0 and 1 (0.95 for 95%), got {level!r}")
    return float(level)


# --- the two exact building blocks ---------------------------------------------------------------

def poisson_limits(count: int, level: float = 0.95) -> tuple[float, float]:
    """Garwood's exact limits for the mean of a Poisson count.

    ``lower = ½·χ²(α/2; 2k)`` and ``upper = ½·χ²(1 − α/2; 2k + 2)``, written with the inverse
    regularised gamma function, which is the same thing without the factor of two. For ``k = 0``
    the lower limit is exactly 0 (no event can be "fewer than none"), and the 95% upper limit is
    3.689: seeing nothing is still compatible with an expected 3.7 events.
    """
    count = check_count("count", count)
    alpha = 1 - _check_level(level)
    lower = 0.0 if count == 0 else float(special.gammaincinv(count, alpha / 2))
    upper = float(special.gammaincinv(count + 1, 1 - alpha / 2))
    return lower, upper


def clopper_pearson(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper–Pearson exact limits for a binomial probability (``trials`` must be at least 1).

    The limits are beta quantiles: ``B(α/2; x, n − x + 1)`` and ``B(1 − α/2; x + 1, n − x)``,
    pinned to exactly 0 when ``x = 0`` and exactly 1 when ``x = n`` (where the beta is undefined
    and the one-sided tail is the whole of α/2, as Clopper and Pearson define it).
    """
    successes = check_count("successes", successes)
    trials = check_count("trials", trials)
    if trials == 0:
        raise ValueError("trials must be at least 1 for a confidence interval")
    if successes > trials:
        raise ValueError(f"successes ({successes}) cannot exceed trials ({trials})")
    alpha = 1 - _check_level(level)
    lower = 0.0 if successes == 0 else float(special.betaincinv(successes, trials - successes + 1, alpha / 2))
    upper = 1.0 if successes == trials else float(special.betaincinv(successes + 1, trials - successes, 1 - alpha / 2))
    return lower, upper


# --- wording ----------------------------------------------------------------------------------

def format_number(value: float, digits: int = 3) -> str:
    """A figure for a sentence: three significant figures, thousands separated, no exponent
    for the sizes a rate or ratio takes here ("1.42", "0.0253", "18.4", "1,234")."""
    if value == 0:
        return "0"
    if abs(value) >= 10 ** (digits - 1):
        # Whole numbers from here on: "1,234", not "1.23e+03".
        return f"{round(value):,}"
    text = f"{value:#.{digits}g}"
    if "e" in text:  # tiny values: plain decimals read better in a briefing than 1.2e-05
        places = digits - 1 - math.floor(math.log10(abs(value)))
        text = f"{value:.{places}f}"
    return text.rstrip(".")  # "#g" keeps a bare point when rounding carries (99.96 -> "100.")


def _level_label(level: float) -> str:
    return f"{level * 100:g}%"


# --- rates ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rate:
    """Events per ``per`` units of exposure (here: incidents per 100 candidates), with an exact CI.

    ``estimate``, ``lower`` and ``upper`` are ``None`` when there is no exposure: a rate for a
    group with no candidates is not zero, it does not exist.
    """

    count: int
    exposure: float
    per: float
    estimate: float | None
    lower: float | None
    upper: float | None
    level: float

    def describe(self) -> str:
        """"24.1 per 100 (95% CI 19.8 to 29.0)"; "not available (no exposure)"."""
        if self.estimate is None or self.lower is None or self.upper is None:
            return "not available (no exposure)"
        return (
            f"{format_number(self.estimate)} per {format_number(self.per)} "
            f"({_level_label(self.level)} CI {format_number(self.lower)} to {format_number(self.upper)})"
        )


def poisson_rate(count: int, exposure: float, *, per: float = 100.0, level: float = 0.95) -> Rate:
    """The rate ``count / exposure · per`` with Garwood's exact interval.

    Treating incidents as a Poisson count over a fixed number of candidates is the convention for
    "incidents per 100 candidates": one candidate may report several incidents, so it is a rate,
    not a proportion (for "share of candidates who reported any incident" use ``proportion``).
    """
    count = check_count("count", count)
    exposure = _check_exposure("exposure", exposure)
    per = _check_exposure("per", per)
    if per == 0:
        raise ValueError("per must be greater than 0")
    level = _check_level(level)
    if exposure == 0:
        return Rate(count=count, exposure=exposure, per=per, estimate=None, lower=None, upper=None, level=level)
    lower, upper = poisson_limits(count, level)
    scale = per / exposure
    return Rate(
        count=count, exposure=exposure, per=per,
        estimate=count * scale, lower=lower * scale, upper=upper * scale, level=level,
    )


# --- rate ratios --------------------------------------------------------------------------------

@dataclass(frozen=True)
class RateRatio:
    """The rate of group a relative to group b, ``(a / Ea) / (b / Eb)``, with an exact CI and the
    exact two-sided p-value for "the rates are equal".

    ``ratio`` and ``upper`` are ``None`` where they are infinite (group b had no events); every
    figure is ``None`` where nothing can be said (no events in either group, or a group with no
    exposure).
    """

    a_count: int
    a_exposure: float
    b_count: int
    b_exposure: float
    ratio: float | None
    lower: float | None
    upper: float | None
    p_value: float | None
    level: float

    @property
    def estimable(self) -> bool:
        """False when there is nothing to compare (no events, or a group with no exposure)."""
        return self.lower is not None

    def describe(self) -> str:
        """A phrase for a sentence or a table cell: "1.97 times (95% CI 0.858 to 4.28)".

        The wording for the edge cases says what happened rather than printing "inf" or "nan",
        because these sentences go into ministerial briefings.
        """
        ci = f"{_level_label(self.level)} CI"
        if self.lower is None:
            if self.a_exposure == 0 or self.b_exposure == 0:
                return "not available (a group has no exposure)"
            return "not available (no events in either group)"
        if self.ratio is None:
            # b had no events: the ratio is unbounded above but the data still rule out small ones.
            return f"not finite: the comparison group had no events ({ci} {format_number(self.lower)} to infinity)"
        upper = "infinity" if self.upper is None else format_number(self.upper)
        return f"{format_number(self.ratio)} times ({ci} {format_number(self.lower)} to {upper})"


def rate_ratio(a_count: int, a_exposure: float, b_count: int, b_exposure: float, *, level: float = 0.95) -> RateRatio:
    """Compare two rates exactly by conditioning on the total number of events.

    Why conditional: with ``n = a + b`` fixed, ``a`` is binomial with a probability that depends on
    the rate ratio alone, so the nuisance of the baseline rate disappears and the Clopper–Pearson
    interval for that probability becomes an exact interval for the ratio. This is the method of
    R's ``poisson.test`` with two counts, and its p-value is the exact binomial test of
    ``p = Ea / (Ea + Eb)`` (SciPy's ``binomtest``, which sums the probabilities no larger than the
    observed one, as R does).

    Edge cases: ``a = 0`` gives ratio 0, lower 0 and a finite upper limit; ``b = 0`` gives an
    infinite ratio (``None``), a finite lower limit and no upper limit (``None``); ``a = b = 0``
    or a zero exposure gives ``None`` throughout.
    """
    a = check_count("a_count", a_count)
    b = check_count("b_count", b_count)
    ea = _check_exposure("a_exposure", a_exposure)
    eb = _check_exposure("b_exposure", b_exposure)
    level = _check_level(level)
    n = a + b
    if n == 0 or ea == 0 or eb == 0:
        return RateRatio(a, ea, b, eb, ratio=None, lower=None, upper=None, p_value=None, level=level)

    p_low, p_high = clopper_pearson(a, n, level)
    odds_to_ratio = eb / ea

    def to_ratio(p: float) -> float | None:
        # p / (1 − p) is the odds of an event falling in group a; p = 1 maps to infinity.
        return None if p >= 1 else p / (1 - p) * odds_to_ratio

    ratio = None if b == 0 else (a / ea) / (b / eb)
    from scipy import stats  # scipy.stats costs seconds to import; only the exact test needs it

    p_value = float(stats.binomtest(a, n, ea / (ea + eb)).pvalue)
    return RateRatio(
        a, ea, b, eb,
        ratio=ratio, lower=to_ratio(p_low), upper=to_ratio(p_high), p_value=min(1.0, p_value), level=level,
    )


# --- proportions -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Proportion:
    """``successes`` out of ``trials`` (e.g. candidates contacted out of those handed over) with a
    Clopper–Pearson interval; ``None`` throughout when there were no trials."""

    successes: int
    trials: int
    estimate: float | None
    lower: float | None
    upper: float | None
    level: float

    def describe(self) -> str:
        """"61% (95% CI 48% to 73%)"; "not available (none to count)"."""
        if self.estimate is None or self.lower is None or self.upper is None:
            return "not available (none to count)"
        return (
            f"{format_number(self.estimate * 100, 2)}% ({_level_label(self.level)} CI "
            f"{format_number(self.lower * 100, 2)}% to {format_number(self.upper * 100, 2)}%)"
        )


def proportion(successes: int, trials: int, *, level: float = 0.95) -> Proportion:
    """The share ``successes / trials`` with the Clopper–Pearson exact interval.

    Exact rather than Wilson or Wald because coverage gaps of a force with 12 candidates are
    exactly the small-number case where approximate intervals under-cover or leave [0, 1].
    """
    successes = check_count("successes", successes)
    trials = check_count("trials", trials)
    if successes > trials:
        raise ValueError(f"successes ({successes}) cannot exceed trials ({trials})")
    level = _check_level(level)
    if trials == 0:
        return Proportion(successes, trials, estimate=None, lower=None, upper=None, level=level)
    lower, upper = clopper_pearson(successes, trials, level)
    return Proportion(successes, trials, estimate=successes / trials, lower=lower, upper=upper, level=level)
