"""Campaigns of accounts posting on a timer (issue 13, ``engines.coordination.automation``): the statistic
on periodic, Poisson, bursty and daily-cycle posting times; the campaign rule (more than half of the
members); the plain-English explanation; and the kind in whole detections: the stress corpus's timer bots
are ``scheduled`` and none of its planted human groups is."""

from __future__ import annotations

import json
import math
import random
from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ballotguard.engines.coordination import automation
from ballotguard.engines.coordination.automation import (
    ALPHA,
    PERIODS,
    SCHEDULED,
    Timer,
    account_timer,
    bernstein_p,
    classify,
    describe,
    member_times,
    residuals,
)
from ballotguard.engines.coordination.detection import Action, Campaign, Settings, detect

START = 1_733_011_200  # 2024-12-01 00:00 UTC: Unix times, so "on the quarter hour" is the clock's
DAY = 86_400


def timer_times(rng: np.random.Generator, period: float, days: float, *, phase: float = 0.0, jitter: float = 2.0,
                skip: float = 0.0, extra: float = 0.0) -> np.ndarray:
    """A timer: a post every ``period`` at ``phase`` seconds past the mark, up to ``jitter`` seconds late,
    each tick missed with probability ``skip``, plus ``extra`` × ticks posts at random (a person using the account too)."""
    ticks = START + np.arange(0, days * DAY, period) + phase
    kept = ticks[rng.random(len(ticks)) >= skip]
    kept = kept + rng.uniform(0, jitter, len(kept))
    people = START + rng.uniform(0, days * DAY, int(extra * len(ticks)))
    return np.sort(np.concatenate([kept, people]))


def poisson_times(rng: np.random.Generator, n: int, days: float = 7) -> np.ndarray:
    return np.sort(START + rng.uniform(0, days * DAY, n))


def evening_times(rng: np.random.Generator, n: int, days: int = 7) -> np.ndarray:
    """A daily cycle: quiet at night, busiest at 8 pm (the stress corpus's shape)."""
    hours = np.arange(24)
    weight = 0.15 + np.exp(-((hours - 20) % 24) ** 2 / 30.0) + 0.6 * np.exp(-((hours - 12) ** 2) / 12.0)
    hour = rng.choice(24, n, p=weight / weight.sum())
    return np.sort(START + rng.integers(0, days, n) * DAY + hour * 3600 + rng.uniform(0, 3600, n))


def bursty_times(rng: np.random.Generator, bursts: int, days: int = 7) -> np.ndarray:
    """A person who posts in bursts: each a handful of posts seconds to minutes apart, on an evening cycle."""
    starts = evening_times(rng, bursts, days)
    return np.sort(np.concatenate([s + np.cumsum(rng.exponential(40.0, rng.integers(1, 12))) for s in starts]))


# --------------------------------------------------------------------------- the statistic


@settings(max_examples=80, deadline=None)
@given(period=st.sampled_from(PERIODS), seed=st.integers(0, 2**32 - 1), phase=st.floats(0, 1), skip=st.floats(0, 0.5),
       extra=st.floats(0, 0.2), days=st.integers(2, 7))
def test_a_timer_is_found_with_its_period_and_point_of_the_clock(period, seed, phase, skip, extra, days):
    assume(days * DAY / period * (1 - skip) >= 40)  # fewer ticks than that may fall short of the level (by design)
    rng = np.random.default_rng(seed)
    jitter = period / 60
    times = timer_times(rng, period, days, phase=phase * period, jitter=jitter, skip=skip, extra=extra)
    found = account_timer(times)
    assert found is not None
    assert found.period == period
    assert found.p_value <= ALPHA
    # The point of the clock: the phase plus half the jitter on average, within a few jitters.
    expected = (phase * period + jitter / 2 + period / 2) % period - period / 2
    assert abs((found.offset - expected + period / 2) % period - period / 2) < 3 * jitter


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 5000), days=st.integers(1, 14))
def test_posts_at_random_are_never_a_timer(seed, n, days):
    assert account_timer(poisson_times(np.random.default_rng(seed), n, days)) is None


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), bursts=st.integers(1, 400))
def test_a_person_posting_in_bursts_is_not_a_timer(seed, bursts):
    assert account_timer(bursty_times(np.random.default_rng(seed), bursts)) is None


def test_false_timers_are_rarer_than_the_level_on_every_shape_of_ordinary_activity():
    """Monte Carlo over the shapes the null must hold for (posts at random, busy evenings, bursts, a daily
    habit at the same minute each evening for a month): the level is 0.001 per account, the bound is
    conservative, so among 3,000 ordinary accounts none is expected; one is allowed."""
    rng = np.random.default_rng(2024)
    shapes = {
        "poisson": lambda: poisson_times(rng, int(rng.integers(20, 4000))),
        "evenings": lambda: evening_times(rng, int(rng.integers(20, 4000))),
        "bursts": lambda: bursty_times(rng, int(rng.integers(5, 300))),
        # Every evening at 8 pm, give or take five minutes (or one): a habit, not a timer.
        "daily habit": lambda: np.sort(START + np.arange(30) * DAY + 20 * 3600 + rng.normal(0, float(rng.choice([60, 300])), 30)),
    }
    false = {name: sum(account_timer(make()) is not None for _ in range(750)) for name, make in shapes.items()}
    assert sum(false.values()) <= 1, false


def test_the_null_is_conservative_for_posts_at_random():
    """For a Poisson process the quiet gaps are P/2 plus an exponential, so E[cos θ] < 0 at every period."""
    rng = np.random.default_rng(5)
    for period in PERIODS:
        cosines = np.concatenate([np.cos(residuals(poisson_times(rng, int(n)), period)) for n in rng.integers(200, 3000, 200)])
        assert cosines.mean() < 0.005, period


def test_a_daily_habit_is_locked_to_the_clock_but_not_called_a_timer():
    """The same minute every evening for two months is sharply periodic at a day; gaps of a day are never
    compared with cycles (the longest counted is 4.5 hours), so it is not a timer, however precise."""
    times = START + np.arange(60) * DAY + 20 * 3600 + np.random.default_rng(1).normal(0, 20, 60)
    assert account_timer(times) is None
    # The same precision every hour of the evening (19:00 to 23:00) is a timer: consecutive hours are whole cycles.
    hourly = np.sort(np.concatenate([times + h * 3600 for h in range(-1, 4)]))
    assert account_timer(hourly) is not None and account_timer(hourly).period == 3600


def test_the_period_is_the_one_the_gaps_fit_and_skipped_ticks_count():
    rng = np.random.default_rng(3)
    quarter = timer_times(rng, 900, 3)
    assert account_timer(quarter).period == 900  # also locked to 2 and 5 minutes; half cycles at 30 minutes
    assert account_timer(quarter).every == 900
    every_45 = timer_times(rng, 2700, 7)  # on the quarter hour, every third one
    assert (account_timer(every_45).period, account_timer(every_45).every) == (900, 2700)
    skipping = timer_times(rng, 600, 4, skip=0.6)
    assert account_timer(skipping).period == 600


def test_few_posts_can_never_be_a_timer():
    """Bernstein's bound: fourteen whole-cycle gaps are not enough at 0.001 over seven periods; fifteen are."""
    assert bernstein_p(14, 14) * len(PERIODS) > ALPHA
    assert bernstein_p(15, 15) * len(PERIODS) < ALPHA
    assert account_timer(START + np.arange(15) * 900.0) is None
    assert account_timer(START + np.arange(40) * 900.0) is not None
    assert bernstein_p(0, 10) == bernstein_p(-3, 10) == bernstein_p(5, 0) == 1.0


def test_the_bound_is_never_below_the_exact_tail_for_small_samples():
    """Checked against simulation of uniform θ: the bound is at least the Monte Carlo tail (the bound is valid)."""
    rng = np.random.default_rng(9)
    for n in (5, 20, 60):
        sums = np.cos(rng.uniform(-math.pi, math.pi, (200_000, n))).sum(axis=1)
        for v in (0.5 * math.sqrt(n), math.sqrt(n), 2 * math.sqrt(n)):
            assert bernstein_p(v, n) >= (sums >= v).mean()


# --------------------------------------------------------------------------- campaigns


def _campaign(accounts: list[str]) -> Campaign:
    return Campaign(id="C1", accounts=tuple(accounts), message_ids=(), constituencies=(), forces=(), candidates=(), behaviours=("hashtag",),
                    first_time=0.0, last_time=1.0, edges=1, total_weight=2, score=2.0, evidence=(), explanation="3 accounts acted alike.")


def test_a_campaign_is_scheduled_when_more_than_half_of_its_members_post_on_a_timer():
    rng = np.random.default_rng(4)
    times = {f"bot{k}": timer_times(rng, 900, 3) for k in range(3)} | {f"person{k}": evening_times(rng, 200, 3) for k in range(3)}
    three_of_five = classify([_campaign(["bot0", "bot1", "bot2", "person0", "person1"])], times)[0]
    assert three_of_five.kind == SCHEDULED
    assert three_of_five.timer.accounts == ("bot0", "bot1", "bot2") and three_of_five.timer.period == 900
    assert three_of_five.explanation.startswith("3 of 5 accounts post every 15 minutes, on the quarter hour (1 second after);")
    assert "this looks like scheduled software" in three_of_five.explanation
    assert three_of_five.explanation.endswith("3 accounts acted alike.")  # the co-action evidence is kept
    half = classify([_campaign(["bot0", "bot1", "person0", "person1"])], times)[0]
    assert (half.kind, half.timer, half.explanation) == ("coordinated", None, "3 accounts acted alike.")
    assert classify([_campaign(["person0", "person1", "person2"])], times)[0].kind == "coordinated"
    assert classify([_campaign(["nobody", "bot0"])], times)[0].kind == "coordinated"  # an account with no posts is no timer


def test_the_timer_is_described_in_plain_english():
    def sentence(period, every, offset, spread=1.0, timed=4, members=5):
        return describe(Timer(period, every, offset, spread, tuple(f"a{k}" for k in range(timed)), 1e-9), members).split(";")[0]

    assert sentence(900, 900, 0.2) == "4 of 5 accounts post every 15 minutes, on the quarter hour"
    assert sentence(3600, 3600, -2.4) == "4 of 5 accounts post every hour, on the hour (2 seconds before)"
    assert sentence(1800, 3600, 0) == "4 of 5 accounts post every hour, on the hour and half hour"
    assert sentence(600, 1200, 127) == "4 of 5 accounts post every 20 minutes, at 2 minutes 7 seconds after each 10 minutes mark of the clock"
    assert sentence(300, 300, 0, spread=100) == "4 of 5 accounts post every 5 minutes, each at its own point of the 5 minutes cycle"
    assert sentence(120, 120, 0, timed=1, members=1) == "1 of 1 accounts posts every 2 minutes, on each 2 minutes mark of the clock"


def test_member_times_gathers_every_post_of_each_member_sorted():
    frame = pl.DataFrame({"account": ["b", "a", "b", "c", "a"], "time": [5.0, 3.0, 1.0, 2.0, 4.0]})
    got = member_times(frame, {"a", "b", "z"})
    assert sorted(got) == ["a", "b"]
    assert got["a"].tolist() == [3.0, 4.0] and got["b"].tolist() == [1.0, 5.0]
    assert member_times(frame, set()) == {}


# --------------------------------------------------------------------------- whole detections


TAGS = ("headlines", "politics", "news", "nhs", "economy", "housing", "crime", "climate")


def timer_bots_and_people(seed: int = 7, days: int = 2) -> tuple[list[Action], list[str], list[str]]:
    """Ordinary replies to popular posts over ``days`` days (two in five with a hashtag), six timer bots
    co-tagging #wire on the quarter hour, and a group of seven people posting one slogan to seven constituencies on four evenings."""
    rng = random.Random(seed)
    actions = []
    weights = [1 / (k + 1) for k in range(200)]
    for k in range(1500 * days):
        post = rng.choices(range(200), weights)[0]
        tag = f" #{rng.choices(TAGS, [1 / (n + 1) for n in range(len(TAGS))])[0]}" if rng.random() < 0.4 else ""
        actions.append(Action(f"bg{rng.randrange(400)}", START + rng.uniform(0, days * DAY), f"r{k}", f"ordinary words {rng.randrange(10**6)} here now{tag}",
                              reply_to=f"post{post}-{rng.randrange(24 * days)}"))
    bots = [f"bot{k}" for k in range(6)]
    for k, bot in enumerate(bots):
        for tick in range(0, days * DAY, 900):
            actions.append(Action(bot, START + tick + rng.randrange(3), f"{bot}-{tick}", f"headline {rng.randrange(10**6)} from site {k} #wire",
                                  urls=(f"https://bot{k}.example.net/{tick}",)))
    group = [f"grp{k}" for k in range(7)]
    for occasion in range(4):
        t = START + occasion * DAY / 2 + 19 * 3600 + rng.uniform(0, 3600)
        for k, account in enumerate(group):
            actions.append(Action(account, t + rng.uniform(0, 40), f"{account}-{occasion}", "the member for this place lied about the budget resign now",
                                  constituency=f"C{k}", force=f"F{k % 3}"))
            for extra in range(rng.randrange(3, 8)):  # and their own posts, at other times
                actions.append(Action(account, START + rng.uniform(0, days * DAY), f"{account}-{occasion}-{extra}", f"my own words {rng.randrange(10**6)} today"))
    return actions, bots, group


def test_timer_bots_are_a_scheduled_campaign_and_people_a_coordinated_one():
    """Without the significance test (at this size the bots are all the hashtag traffic of their hours and
    would explain themselves; the stress corpus below checks the defaults): the kind does not depend on it."""
    actions, bots, group = timer_bots_and_people()
    found = detect(actions, Settings(fdr=None))
    kinds = {c.accounts: c.kind for c in found.campaigns}
    assert kinds[tuple(bots)] == "scheduled" and kinds[tuple(group)] == "coordinated"
    assert [c.kind for c in found.campaigns].count("scheduled") == 1  # ordinary co-repliers, if any, are not timers
    scheduled = next(c for c in found.campaigns if c.kind == "scheduled")
    assert scheduled.timer.accounts == tuple(bots) and scheduled.timer.period == 900 and scheduled.timer.every == 900
    assert scheduled.explanation.startswith("6 of 6 accounts post every 15 minutes, on the quarter hour")
    assert "same hashtag" in scheduled.explanation  # the co-action evidence stays
    people = next(c for c in found.campaigns if c.accounts == tuple(group))
    assert people.timer is None and "timer" not in people.explanation
    # Determinism: any row order, the same kinds and timers.
    for seed in range(2):
        random.Random(seed).shuffle(actions)
        assert detect(actions, Settings(fdr=None)) == found


def test_campaigns_json_and_the_kind_without_a_significance_test(tmp_path):
    from ballotguard.engines.coordination.readers import campaigns_document, dumps_json, read_actions

    actions, bots, _ = timer_bots_and_people(days=1)
    frame = pl.DataFrame([{"account": a.account, "time": a.time, "message_id": a.message_id, "text": a.text, "urls": " ".join(a.urls),
                           "reply_to": a.reply_to, "constituency": a.constituency} for a in actions])
    path = tmp_path / "actions.csv"
    frame.write_csv(path)
    read = read_actions(path)
    found = detect(read.frame, Settings(fdr=None))
    document = json.loads(dumps_json(campaigns_document(path, read, found, Settings(fdr=None))))
    by_kind = {c["kind"]: c for c in document["campaigns"] if c["kind"] == "scheduled" or c["accounts"][0].startswith("grp")}
    assert set(by_kind) == {"scheduled", "coordinated"}
    timer = by_kind["scheduled"]["timer"]
    assert timer["period_seconds"] == 900 and timer["accounts"] == bots and timer["p_value"] <= ALPHA
    assert by_kind["scheduled"]["why"].startswith("6 of 6 accounts post every 15 minutes, on the quarter hour")
    assert by_kind["coordinated"]["timer"] is None


@pytest.mark.parametrize("seed", [11, 12])
def test_stress_corpus_timer_bots_are_scheduled_and_planted_groups_are_not(seed):
    from bench.coordination_stress import generate

    stress = generate(60_000, groups=6, seed=seed)
    frame = stress.actions()
    found = detect(frame, Settings())
    bots = {a for a, role in stress.roles.items() if role == "bot"}
    scheduled = [c for c in found.campaigns if c.kind == "scheduled"]
    assert len(bots) == 12
    # Every timer bot that is in a campaign is in a scheduled one, and the scheduled ones hold no one else.
    in_campaigns = {a for c in found.campaigns for a in c.accounts}
    assert bots & in_campaigns and {a for c in scheduled for a in c.accounts} == bots & in_campaigns
    for c in scheduled:
        assert c.timer.period == 900 and abs(c.timer.offset) < 3
    # No planted group (people) is called scheduled, nor any of its members.
    assert not stress.planted_accounts & {a for c in scheduled for a in c.accounts}
    assert all(c.kind == "coordinated" for c in found.campaigns if set(c.accounts) & stress.planted_accounts)


def test_classify_keeps_every_other_field():
    rng = np.random.default_rng(1)
    c = _campaign(["bot0", "bot1"])
    out = classify([c], {"bot0": timer_times(rng, 300, 2), "bot1": timer_times(rng, 300, 2)})[0]
    assert replace(out, kind=c.kind, timer=None, explanation=c.explanation) == c
    assert automation.KINDS == ("coordinated", "scheduled")
