"""The Spark engine gives exactly what the local engine gives: same campaigns (accounts, messages,
places, behaviours, evidence, order), same edges and weights, same directed-edge count and the same
stage counts, on the local engine's test inputs, a seeded synthetic set with planted copy-paste and
near-duplicate groups, every behaviour, and the real co-retweet data; the sliding window's bucket
join is exact at bucket edges; and ``detect-campaigns --engine spark`` writes the same campaigns.json.

Needs pyspark (requirements-dev.txt) and Java 17+. Skipped with the reason when either is missing,
unless BALLOTGUARD_REQUIRE_SPARK=1 (CI), where a missing one fails instead.
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
import os
import pathlib
import random
import shutil
import subprocess
import sys

import numpy as np
import pytest

from ballotguard.engines.coordination import spark as coordination_spark
from ballotguard.engines.coordination.detection import Action, Behaviour, Settings, detect
from ballotguard.engines.coordination.readers import read_actions
from ballotguard.engines.tests.test_coordination import RUSSIAN, TOOLKIT, campaign_actions

ROOT = pathlib.Path(__file__).resolve().parents[3]


def _missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -r requirements-dev.txt)"
    java_home = os.environ.get("JAVA_HOME")
    if not shutil.which("java") and not (java_home and pathlib.Path(java_home, "bin", "java").exists()):
        return "no Java runtime (java is not on PATH and JAVA_HOME is unset); Spark needs Java 17+"
    return None


@pytest.fixture(scope="session")
def spark():
    reason = _missing()
    if reason:
        if os.environ.get("BALLOTGUARD_REQUIRE_SPARK") == "1":
            pytest.fail(f"BALLOTGUARD_REQUIRE_SPARK=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    session = coordination_spark.session("local[2]", app_name="ballotguard-tests", shuffle_partitions=2,
                                         config={"spark.default.parallelism": "2", "spark.sql.adaptive.coalescePartitions.enabled": "true"})
    yield session
    logging.getLogger("py4j").setLevel(logging.WARNING)  # py4j logs its goodbyes after pytest has closed the streams
    session.stop()


def assert_same(local, spark_found):
    """Field by field first, so a failure says what differs; then the whole result."""
    assert spark_found.stats == local.stats
    assert spark_found.directed_edges == local.directed_edges
    assert spark_found.edges == local.edges
    assert [c.accounts for c in spark_found.campaigns] == [c.accounts for c in local.campaigns]
    for ours, theirs in zip(spark_found.campaigns, local.campaigns, strict=True):
        for field in ("id", "message_ids", "constituencies", "forces", "candidates", "behaviours", "first_time", "last_time",
                      "edges", "total_weight", "score", "evidence", "kind", "timer", "explanation"):
            assert getattr(ours, field) == getattr(theirs, field), (ours.id, field)
    assert spark_found == local


def test_the_engines_test_campaign(spark):
    settings = Settings(max_object_accounts=20, fdr=None)
    local = detect(campaign_actions(), settings)
    assert [c.accounts for c in local.campaigns] == [("a1", "a2", "a3")]  # the input is the one the local tests check
    assert_same(local, coordination_spark.detect(campaign_actions(), settings, spark=spark))


def every_behaviour() -> list[Action]:
    """Small input that exercises every behaviour, Unicode text, hashtags in text and in lists, links
    whose hosts need cleaning, loops (one account twice within the window) and a popular object."""
    actions = []
    for n, (account, place) in enumerate([("Zoë", "Ynys Môn"), ("émile", "Leeds Central"), ("ANNA", "Bristol East"), ("bob", "")]):
        for day in range(3):
            t = day * 86_400 + 7 * (n // 2)  # two pairs of accounts act at the same second
            actions.append(Action(
                account, t, f"{account}-{day}",
                f"Ça suffit! @someone the #Élection was STOLEN in {place or 'my town'} https://x.example/{day} day {day}" + ("" if n % 2 else " indeed"),
                urls=(f"https://WWW.News.example:443/story/{day}", " http://user@blog.example/p "), hashtags=("#Vote", "#vote"),
                observables=(f"07700 900{day:03d}",), images=(f"img-{day}",), domains=("Shop.Example",),
                reply_to=f"post-{day}" if n < 3 else "", candidate=f"cand-{n}", constituency=place, force=f"F{n % 2}",
            ))
            # A repost carries the original's text, which is not compared as the reposter's own words.
            actions.append(Action(account, t + 3, f"{account}-{day}-again", f"RT @cand: the original post of day {day} word for word",
                                  repost_of=f"rt-{day}"))
    actions += [Action(f"crowd{k}", 5.0 + k, f"crowd{k}", "everyone says the same thing here", urls=("https://viral.example",)) for k in range(8)]
    return actions


def with_background() -> list[Action]:
    """:func:`every_behaviour` among 300 ordinary co-replies and co-tags on the same three days: on its own
    the small input is all the traffic there is and explains itself by chance, so significance keeps
    nothing; with background, some pairs are kept and most are not. The background's replies carry text of
    their own (each different), so that identical text is judged against ordinary texts, as in real traffic:
    since replies in crowds are judged within crowds of their size, the input's co-replies explain themselves."""
    rng = random.Random(5)
    return every_behaviour() + [
        Action(f"bg{rng.randrange(60)}", day * 86_400 + rng.uniform(0, 120), f"bg-{k}", f"ordinary words number {k} here",
               reply_to=f"post-{rng.randrange(40)}", hashtags=(f"#t{rng.randrange(6)}",))
        for k, day in enumerate([0, 1, 2] * 100)
    ]


@pytest.mark.parametrize("case, actions", [
    (Settings(behaviours=frozenset(Behaviour), loops=True, min_edge_weight=1, min_account_actions=1, max_object_accounts=6, fdr=None), every_behaviour),
    (Settings(behaviours=frozenset(Behaviour), window=0, shingle_size=2, similarity=0.5, min_text_words=0, max_object_accounts=None, fdr=None), every_behaviour),
    (Settings(behaviours=frozenset(Behaviour), loops=True, min_edge_weight=1, min_account_actions=1, fdr=0.3, max_crowd=5), with_background),
], ids=["all-behaviours-loops", "window-0-shingles-2", "significance-loops-crowd-guard"])
def test_every_behaviour_and_setting(spark, case, actions):
    local = detect(actions(), case)
    assert local.campaigns  # the input makes campaigns under these settings, so the comparison means something
    if case.fdr is not None:
        assert 0 < local.stats["pairs_significant"] < local.stats["pairs_tested"]  # significance keeps some pairs and drops others
    assert_same(local, coordination_spark.detect(actions(), case, spark=spark))


def test_timer_bots_are_scheduled_alike(spark):
    """The kind is decided on the driver from the members' posting times, which the Spark engine collects:
    the same timer, the same sentence, the same kind for the people's group."""
    from ballotguard.engines.tests.test_coordination_automation import timer_bots_and_people

    actions, bots, group = timer_bots_and_people(days=1)
    local = detect(actions, Settings(fdr=None))
    assert {c.accounts: c.kind for c in local.campaigns if c.accounts in (tuple(bots), tuple(group))} == {
        tuple(bots): "scheduled", tuple(group): "coordinated"}
    assert_same(local, coordination_spark.detect(actions, Settings(fdr=None), spark=spark))


def test_two_groups_sharing_members_are_split_alike(spark):
    from ballotguard.engines.tests.test_coordination_significance import overlapping_groups

    rows, _, _ = overlapping_groups()
    local = detect(rows, Settings())
    assert len([c for c in local.campaigns if len(c.accounts) > 2]) == 2  # one component, split in two
    assert_same(local, coordination_spark.detect(rows, Settings(), spark=spark))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import coordination_data
    finally:
        sys.path.remove(str(ROOT / "bench"))
    traffic = coordination_data.generate(3000, accounts=800, days=1, groups=4, occasions=4, seed=7)
    path = tmp_path_factory.mktemp("synthetic") / "replies.csv"
    traffic.write_csv(path)
    return path, traffic


def test_synthetic_replies_with_planted_groups(spark, synthetic):
    path, traffic = synthetic
    frame = read_actions(path).frame
    local = detect(frame, Settings())
    assert local.stats["co_actions_near_text"] > 0 and local.stats["co_actions_text"] > 0  # both kinds of planted group are there
    found = {a for c in local.campaigns for a in c.accounts}
    assert found & traffic.planted_accounts
    assert_same(local, coordination_spark.detect(frame, Settings(), spark=spark))


def test_campaigns_chance_explains_are_dropped_alike(spark, tmp_path):
    """The held-out generator at 60,000 messages, seed 3: a campaign of two chance-linked accounts is
    dropped as a whole by the shared campaign-level test (detection.campaigns_chance_explains), in both engines."""
    from ballotguard.engines.tests.test_coordination_significance import chance_pair_corpus

    path = tmp_path / "heldout.csv"
    chance_pair_corpus(path)
    frame = read_actions(path).frame
    local = detect(frame, Settings())
    assert local.stats["campaigns_chance_explains"] >= 1
    assert_same(local, coordination_spark.detect(frame, Settings(), spark=spark))


def test_window_buckets_never_miss_a_pair_at_bucket_edges(spark):
    """Times at and one ulp either side of bucket edges k·W (where t/W rounds either way), pairs exactly
    W apart, equal times: the bucket join finds exactly what brute force finds with the local engine's
    test (max(t) ≤ min(t) + W)."""
    rng = np.random.default_rng(5)
    for window in (0.1, 1.0, 60.0, 0.0):
        edges = np.arange(1, 30) * window if window else np.arange(1, 30, dtype=float)
        times = np.concatenate([edges, np.nextafter(edges, np.inf), np.nextafter(edges, -np.inf), edges + window, rng.choice(edges, 20)])
        times = np.concatenate([times, 1.7e9 + times])  # large epoch times too, where t/W loses precision
        objects = rng.integers(0, 3, len(times))
        rows = [(int(i), "acc", float(t), int(o), "k") for i, (t, o) in enumerate(zip(times, objects))]
        shares = spark.createDataFrame(rows, "row long, account string, t double, kind int, key string")
        got = {(r["ri"], r["rj"], r["kind"]) for r in coordination_spark._window(shares, window).collect()}
        want = {
            (i, j, int(objects[i])) if (times[i], i) < (times[j], j) else (j, i, int(objects[i]))
            for i, j in itertools.combinations(range(len(times)), 2)
            if objects[i] == objects[j] and max(times[i], times[j]) <= min(times[i], times[j]) + window
        }
        assert want and got == want, window


def test_components_are_labelled_by_their_smallest_account(spark):
    path = [(f"p{k}", f"p{k + 1}") for k in range(12)][::-1]  # a long chain: several rounds
    edges = spark.createDataFrame(path + [("z", "y"), ("y", "x"), ("q", "q")], "a string, b string")
    labels = dict(coordination_spark.components(edges).select("account", "c").collect())
    assert {labels[f"p{k}"] for k in range(13)} == {"p0"}
    assert labels["z"] == labels["y"] == labels["x"] == "x" and labels["q"] == "q"


def _run_command(source: pathlib.Path, out: pathlib.Path, *extra: str) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ballotguard.test_settings"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "detect_campaigns", str(source), "--out", str(out), "--json", *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_the_command_writes_the_same_campaigns_with_either_engine(spark, synthetic, tmp_path):
    # Run as a separate process: the engines package may not import Django, even in its tests.
    path, _ = synthetic
    _run_command(path, tmp_path / "local")
    _run_command(path, tmp_path / "spark", "--engine", "spark", "--spark-master", "local[2]")
    local = (tmp_path / "local" / "campaigns.json").read_bytes()
    assert b'"campaigns": []' not in local
    assert (tmp_path / "spark" / "campaigns.json").read_bytes() == local
    assert (tmp_path / "spark" / "edges.csv").read_bytes() == (tmp_path / "local" / "edges.csv").read_bytes()


@pytest.mark.realdata
@pytest.mark.skipif(not RUSSIAN.is_file(), reason=f"CooRTweet russian_coord_tweets.csv not found at {RUSSIAN}")
def test_russian_coretweet_edge_counts(spark):
    actions = read_actions(RUSSIAN, columns={"object_id": "repost_of"})
    base = dict(window=10, behaviours={"repost"}, **TOOLKIT)
    for weight, directed in ((1, 2184), (2, 7)):
        settings = Settings(min_edge_weight=weight, **base)
        local = detect(actions.frame, settings)
        found = coordination_spark.detect(actions.frame, settings, spark=spark)
        assert found.directed_edges == local.directed_edges == directed
        assert_same(local, found)
