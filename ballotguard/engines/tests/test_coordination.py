"""Coordination detection: the sliding window against brute force, determinism, the toolkit's own
fixture, real co-retweet data, and bad input rows."""

from __future__ import annotations

import csv
import io
import itertools
import json
import pathlib
import random
import re

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballotguard.engines.coordination import detection as coordination
from ballotguard.engines.coordination.detection import (
    Action,
    Settings,
    detect,
    jaccard,
    normalise_text,
    window_pairs,
)
from ballotguard.engines.coordination.readers import _data_rows, _records, read_actions

SHARED = pathlib.Path(__file__).resolve().parents[3].parent / "shared" / "data" / "coordination"
QUT = SHARED / "qut_toolkit_coretweet_test_input.csv"
RUSSIAN = SHARED / "russian_coord_tweets.csv"

TOOLKIT = {"min_account_actions": 1, "max_object_accounts": None, "min_text_words": 0, "fdr": None}
"""Settings that reproduce the QUT toolkit: no participation minimum, no popularity filter."""


def within(a: float, b: float, window: float) -> bool:
    """The engine's |Δt| ≤ W: the later time at most the earlier plus W, rounded once as a double."""
    return max(a, b) <= min(a, b) + window


def brute_force(objects: list[int], times: list[float], window: float) -> set[tuple[int, int]]:
    return {
        (i, j)
        for i in range(len(times))
        for j in range(i + 1, len(times))
        if objects[i] == objects[j] and within(times[i], times[j], window)
    }


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 4), st.one_of(st.integers(0, 200).map(float), st.floats(0, 200, allow_nan=False))), max_size=40),
    st.one_of(st.sampled_from([0.0, 1.0, 10.0, 60.0]), st.floats(0, 100, allow_nan=False)),
)
def test_sliding_window_equals_brute_force(shares, window):
    objects = [o for o, _ in shares]
    times = [t for _, t in shares]
    i, j = window_pairs(np.array(objects, dtype=np.int64), np.array(times), window)
    got = {(min(a, b), max(a, b)) for a, b in zip(i.tolist(), j.tolist())}
    assert len(got) == len(i)  # each pair once
    assert got == brute_force(objects, times, window)


def test_the_brute_force_window_disagrees_with_nothing_at_bucket_edges():
    # A fixed-bucket implementation (floor(t / W)) misses 59 → 61; the engine must not.
    times = [59.0, 61.0, 119.0, 120.0, 0.1, 0.30000000000000004]
    objects = [0, 0, 0, 0, 1, 1]
    i, j = window_pairs(np.array(objects), np.array(times), 60.0)
    assert {(min(a, b), max(a, b)) for a, b in zip(i.tolist(), j.tolist())} == brute_force(objects, times, 60.0)
    buckets = {(a, b) for a, b in brute_force(objects, times, 60.0) if times[a] // 60 == times[b] // 60}
    assert buckets != brute_force(objects, times, 60.0)


def test_window_boundary_is_inclusive_and_buckets_are_not_used():
    # 59 s and 61 s straddle a 60 s bucket boundary yet are 2 s apart; 0 and 60 are exactly W apart.
    i, j = window_pairs(np.array([1, 1, 2, 2]), np.array([59.0, 61.0, 0.0, 60.0]), 60.0)
    assert sorted(zip(i.tolist(), j.tolist())) == [(0, 1), (2, 3)]


def campaign_actions() -> list[Action]:
    text = "this candidate is a liar and should stand down before polling day"
    actions = []
    for k, (account, place) in enumerate([("a1", "Leeds Central"), ("a2", "Bristol East"), ("a3", "Ynys Môn")]):
        for day in range(3):
            words = text.split()
            if k == 2 and day == 1:
                words[4] = "cheat"  # a near-identical copy: Jaccard 10/12
            actions.append(Action(account, day * 86400 + 10 * k, f"{account}-{day}", " ".join(words), constituency=place, force=f"F{k}", candidate=f"cand-{k}"))
            actions.append(Action(account, day * 86400 + 5000 + k, f"{account}-{day}-r", "", repost_of=f"post-{day}"))
    actions += [Action(f"bg{n}", n * 37.0, f"bg{n}", "well said") for n in range(50)]
    actions += [Action(f"bg{n}", n * 113.0, f"bg{n}-x", f"random thoughts number {n} about the weather today", urls=("https://example.org",)) for n in range(50)]
    return actions


def test_campaign_found_with_its_constituencies_and_deterministic_under_shuffling():
    actions = campaign_actions()
    first = detect(actions, Settings(max_object_accounts=20, fdr=None))
    assert [c.accounts for c in first.campaigns] == [("a1", "a2", "a3")]
    campaign = first.campaigns[0]
    assert campaign.constituencies == ("Bristol East", "Leeds Central", "Ynys Môn")
    assert campaign.forces == ("F0", "F1", "F2") and campaign.candidates == ("cand-0", "cand-1", "cand-2")
    assert {"near_text", "repost"} <= set(campaign.behaviours)
    assert campaign.evidence and campaign.id == "C1"
    for seed in range(3):
        shuffled = actions[:]
        random.Random(seed).shuffle(shuffled)
        assert detect(shuffled, Settings(max_object_accounts=20, fdr=None)) == first


def test_popular_objects_and_stock_phrases_are_ignored():
    # Fifty accounts saying "well said" within seconds and sharing one link are no campaign.
    many = [Action(f"u{n}", float(n), f"m{n}", "well said", urls=("https://bbc.co.uk",)) for n in range(50)]
    assert detect(many, Settings(max_object_accounts=20, min_edge_weight=1, min_account_actions=1, fdr=None)).campaigns == ()


@pytest.mark.realdata
@pytest.mark.skipif(not QUT.is_file(), reason=f"QUT toolkit fixture not found at {QUT}")
@pytest.mark.parametrize(
    ("window", "min_weight", "loops", "nodes"),
    [(1, 1, False, 2), (1, 1, True, 3), (1, 2, False, 0), (1, 2, True, 1), (60, 1, False, 6), (60, 1, True, 7)],
)
def test_qut_toolkit_coretweet_node_counts(window, min_weight, loops, nodes):
    """The toolkit's tests/test_graph_construction.py expectations (commit daa0e11), co-retweet network."""
    actions = read_actions(QUT)
    assert actions.problems == () and actions.rows_read == 15
    found = detect(actions.frame, Settings(window=window, min_edge_weight=min_weight, loops=loops, behaviours={"repost"}, **TOOLKIT))
    assert len({a for e in found.edges for a in (e.account_a, e.account_b)}) == nodes


@pytest.mark.realdata
@pytest.mark.skipif(not RUSSIAN.is_file(), reason=f"CooRTweet russian_coord_tweets.csv not found at {RUSSIAN}")
def test_russian_coretweet_edge_counts_match_the_toolkit():
    """Co-retweet at 10 s on CooRTweet's russian_coord_tweets (object_id as the retweeted id).

    The toolkit reports 2,184 edges among 1,525 accounts at minimum weight 1 and 7 at weight 2.
    Those are *directed* rows of its network table (``user_1, user_2`` in both orders, loops
    excluded): this engine's ``directed_edges`` gives exactly 2,184 and 7, and the same 1,525
    accounts. Undirected, that is 1,092 edges at weight 1 and 5 at weight 2 (an undirected edge
    weighs the larger of its two directions, so two of the seven directed weight-2 edges are the two
    directions of one pair). The 40 rows whose content_id repeats an earlier row are reported and
    skipped, as the toolkit's ``insert or ignore`` skips them. With loops kept, CooRTweet's own
    expectation holds: account 9fa51ef1… retweets the same object twice within 10 s.
    """
    actions = read_actions(RUSSIAN, columns={"object_id": "repost_of"})
    assert actions.rows_read == 35_125 and len(actions.problems) == 40
    assert all("repeats an earlier message_id" in p.message for p in actions.problems)

    base = dict(window=10, behaviours={"repost"}, **TOOLKIT)
    weight1 = detect(actions.frame, Settings(min_edge_weight=1, **base))
    assert weight1.directed_edges == 2184 and len(weight1.edges) == 1092
    assert len({a for e in weight1.edges for a in (e.account_a, e.account_b)}) == 1525
    weight2 = detect(actions.frame, Settings(min_edge_weight=2, **base))
    assert weight2.directed_edges == 7 and len(weight2.edges) == 5

    self_coordinated = "9fa51ef17278c01d13d313741eddfc0b"
    with_loops = detect(actions.frame, Settings(min_edge_weight=1, loops=True, **base))
    assert any(e.account_a == e.account_b == self_coordinated for e in with_loops.edges)
    assert not any(self_coordinated == e.account_a == e.account_b for e in weight1.edges)


def test_bad_rows_are_counted_with_line_numbers(tmp_path):
    path = tmp_path / "toolkit.csv"
    path.write_text(
        "\ufeffmessage_id,user_id,username,repost_id,reply_id,message,timestamp,urls\n"
        '1,u1,n1,r1,,"a message\nover two lines",10,\n'
        "2,,n2,r1,,no user,11,\n"
        "3,u3,n3,r1,,bad time,yesterday,\n"
        "1,u4,n4,r1,,repeated id,12,\n"
        "5,u5,n5,r1,,fine,2024-07-04T10:00:00Z,http://a http://b\n",
        encoding="utf-8",
    )
    result = read_actions(path)
    assert result.rows_read == 5 and result.rejected == 3
    assert [(p.line, p.column) for p in result.problems] == [(4, "account"), (5, "time"), (6, "message_id")]
    assert "yesterday" in str(result.problems[1])
    assert result.frame["line"].to_list() == [2, 7]
    assert result.frame["urls"].to_list() == [[], ["http://a", "http://b"]]


def test_ragged_csv_and_bad_jsonl_rows_are_reported(tmp_path):
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("account,time,text\nu1,1,hello\nu2,2\nu3,3,hi\n", encoding="utf-8")
    result = read_actions(ragged)
    assert [p.line for p in result.problems] == [3] and result.frame["account"].to_list() == ["u1", "u3"]

    jsonl = tmp_path / "actions.jsonl"
    jsonl.write_text('{"account": "u1", "time": 1, "urls": ["http://a"]}\nnot json\n{"account": "u2", "time": "soon"}\n', encoding="utf-8")
    result = read_actions(jsonl)
    assert [(p.line, p.column) for p in result.problems] == [(2, None), (3, "time")]
    assert result.frame["urls"].to_list() == [["http://a"]]


def test_engine_refuses_rows_without_account():
    with pytest.raises(ValueError):
        detect(pl.DataFrame({"account": ["", "b"], "time": [1.0, 2.0]}))


# --------------------------------------------------------------------------- the whole engine against brute force

WORDS = ["vote", "liar", "resign", "now", "shame", "tax", "nhs", "#go", "well", "said"]


def reference(actions: list[Action], s: Settings) -> dict[tuple[str, str], tuple[int, int, int, tuple[str, ...]]]:
    """Edges by comparing every pair of actions, written from the definitions in the engine's docstring."""
    norms = pl.DataFrame({"t": [a.text for a in actions]}, schema={"t": pl.String}).select(normalise_text(pl.col("t")))["t"].to_list()
    objects: list[dict[str, set]] = []
    for a, norm in zip(actions, norms):
        words = norm.split(" ") if norm else []
        o = {
            "repost": {a.repost_of} - {""}, "reply": {a.reply_to} - {""}, "url": set(a.urls) - {""},
            "observable": set(a.observables) - {""}, "image": set(a.images) - {""},
            "hashtag": {h.lower().lstrip("#") for h in a.hashtags} | {m.lower()[1:] for m in re.findall(r"#\w+", a.text)},
            "text": {norm} if len(words) >= max(s.min_text_words, 1) and not a.repost_of else set(),  # a repost's text is not its own
        }
        objects.append({k: v for k, v in o.items() if k in {b.value for b in s.behaviours}} | {"_words": set(words), "_text": o["text"]})
    holders: dict[tuple[str, str], set[str]] = {}
    for a, o in zip(actions, objects):
        for kind, values in o.items():
            for v in values:
                holders.setdefault((kind, v), set()).add(a.account)
    cap = s.max_object_accounts

    def popular(kind: str, v: str) -> bool:
        return cap is not None and len(holders[(kind, v)]) > cap

    pairs = set()
    for i, j in itertools.combinations(range(len(actions)), 2):
        a, b = actions[i], actions[j]
        if not within(a.time, b.time, s.window) or (a.account == b.account and not s.loops):
            continue
        for kind in {b.value for b in s.behaviours} - {"near_text", "domain"}:
            if any(not popular(kind, v) for v in objects[i][kind] & objects[j][kind]):
                pairs.add((i, j, kind))
        ti, tj = objects[i]["_text"], objects[j]["_text"]
        if (
            "near_text" in {b.value for b in s.behaviours} and ti and tj and ti != tj
            and not popular("_text", next(iter(ti))) and not popular("_text", next(iter(tj)))
            and jaccard(objects[i]["_words"], objects[j]["_words"]) >= s.similarity
        ):
            pairs.add((i, j, "near_text"))
    messages: dict[tuple[str, str], set[int]] = {}
    kinds: dict[tuple[str, str], set[str]] = {}
    for i, j, kind in pairs:
        u, v = actions[i].account, actions[j].account
        messages.setdefault((u, v), set()).add(i)
        messages.setdefault((v, u), set()).add(j)
        kinds.setdefault((min(u, v), max(u, v)), set()).add(kind)
    participation: dict[str, set[int]] = {}
    for (u, _), ms in messages.items():
        participation.setdefault(u, set()).update(ms)
    active = {u for u, ms in participation.items() if len(ms) >= s.min_account_actions}
    weight = {k: len(ms) for k, ms in messages.items() if k[0] in active and k[1] in active}
    edges = {}
    for (u, v) in weight:
        a, b = min(u, v), max(u, v)
        w_ab, w_ba = weight.get((a, b), 0), weight.get((b, a), 0)
        if max(w_ab, w_ba) >= s.min_edge_weight:
            edges[(a, b)] = (max(w_ab, w_ba), w_ab, w_ba, tuple(sorted(kinds[(a, b)], key=lambda k: coordination._CODE[coordination.Behaviour(k)])))
    return edges


action_strategy = st.builds(
    lambda account, time, words, reply, url, tag, image, repost: Action(
        f"u{account}", time, "", " ".join(words), urls=(f"https://site{url}.example/x",) if url is not None else (),
        hashtags=(f"#T{tag}",) if tag is not None else (), reply_to=f"post{reply}" if reply is not None else "",
        images=(f"img{image}",) if image is not None else (), repost_of=f"post{repost}" if repost is not None else "",
    ),
    st.integers(0, 6),
    st.one_of(st.integers(0, 300).map(float), st.floats(0, 300, allow_nan=False)),
    st.lists(st.sampled_from(WORDS), max_size=7),
    st.one_of(st.none(), st.integers(0, 3)),
    st.one_of(st.none(), st.integers(0, 3)),
    st.one_of(st.none(), st.integers(0, 2)),
    st.one_of(st.none(), st.integers(0, 2)),
    st.one_of(st.none(), st.none(), st.integers(0, 2)),
)


def engine_edges(found) -> dict:
    return {(e.account_a, e.account_b): (e.weight, e.weight_ab, e.weight_ba, e.behaviours) for e in found.edges}


@settings(max_examples=150, deadline=None)
@given(
    st.lists(action_strategy, max_size=30),
    st.sampled_from([0.0, 30.0, 60.0]),
    st.sampled_from([0.5, 0.8, 1.0]),
    st.sampled_from([None, 3]),
    st.booleans(),
    st.sampled_from([(1, 1), (2, 2), (1, 2)]),
    st.sampled_from([0, 3]),
)
def test_engine_edges_equal_brute_force(actions, window, similarity, cap, loops, minimums, min_words):
    """Every behaviour, the popularity filter, near-identical text (prefix filtering and the bitmap bound
    must never lose a pair), participation and thresholds, against comparing every pair of actions."""
    s = Settings(window=window, similarity=similarity, max_object_accounts=cap, loops=loops, fdr=None, min_account_actions=minimums[0],
                 min_edge_weight=minimums[1], min_text_words=min_words, behaviours=frozenset(coordination.Behaviour) - {coordination.Behaviour.DOMAIN})
    assert engine_edges(detect(actions, s)) == reference(actions, s)


def test_near_text_time_slices_change_nothing(monkeypatch):
    """Large inputs are compared in overlapping time slices; tiny slices must give the same edges."""
    rng = random.Random(5)
    actions = [Action(f"u{rng.randrange(12)}", float(rng.randrange(2000)), f"m{k}", " ".join(rng.choices(WORDS, k=rng.randrange(3, 8))))
               for k in range(400)]
    s = Settings(min_edge_weight=1, min_account_actions=1, max_object_accounts=None, similarity=0.6, fdr=None)
    whole = detect(actions, s)
    monkeypatch.setattr(coordination, "NEAR_CHUNK_ROWS", 7)
    monkeypatch.setattr(coordination, "NORM_KEEP_ROWS", 50)
    sliced = detect(actions, s)
    monkeypatch.setattr(coordination, "NEAR_THREADS", 3)  # slices searched by threads at once: results in slice order
    monkeypatch.setattr(coordination, "NEAR_THREADED_ROWS", 1)
    threaded = detect(actions, s)
    assert whole.stats["co_actions_near_text"] > 50
    assert sliced == whole
    assert threaded == whole
    assert engine_edges(whole) == reference(actions, s)


def test_domains_come_from_urls_and_the_domains_column():
    actions = [
        Action("a", 0, "1", urls=("https://www.BBC.co.uk/news/1",)), Action("b", 10, "2", urls=("http://bbc.co.uk/sport",)),
        Action("a", 100, "3", domains=("example.org",)), Action("b", 120, "4", urls=("https://example.org:8080/x?y",)),
        Action("c", 5, "5", urls=("12345",)), Action("d", 6, "6", urls=("12345",)),  # opaque ids: a link, but no site
    ]
    found = detect(actions, Settings(behaviours={"domain"}, min_edge_weight=2, min_account_actions=1, fdr=None))
    assert [(e.account_a, e.account_b, e.weight) for e in found.edges] == [("a", "b", 2)]
    assert found.campaigns[0].evidence[0].shared == "bbc.co.uk"
    assert detect(actions, Settings()).stats["co_actions_domain"] == 0  # not a default behaviour


# --------------------------------------------------------------------------- determinism on generated traffic


def test_generated_campaigns_are_found_and_campaigns_json_ignores_row_order(tmp_path):
    from ballotguard.engines.coordination.readers import campaigns_document, dumps_json
    from bench.coordination import score
    from bench.coordination_data import generate

    traffic = generate(40_000, accounts=20_000, days=7, groups=4, seed=11)
    frame = traffic.frame
    documents = []
    for seed in (None, 1, 2):
        shuffled = frame if seed is None else frame.sample(fraction=1.0, shuffle=True, seed=seed)
        path = tmp_path / "replies.csv"
        shuffled.write_csv(path)
        actions = read_actions(path)
        found = detect(actions.frame, Settings())
        documents.append(dumps_json(campaigns_document(path, actions, found, Settings()), indent=2))
    assert documents[0] == documents[1] == documents[2]
    campaigns = [c["accounts"] for c in json.loads(documents[0])["campaigns"]]
    recovered, background = score(campaigns, traffic.groups)
    assert recovered == 4 and background <= 3  # the target at 300,000 messages


# --------------------------------------------------------------------------- bad rows: the fast record scanner


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(["", "a", "b,c", "x\ny", 'q"q', " ", "z\r\nw", "ü"]), min_size=1, max_size=5), max_size=20),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
    st.booleans(),
    st.sampled_from([1, 2, 5, 64, 1 << 20]),
)
def test_record_scanner_agrees_with_the_csv_module(rows, terminator, bom, trailing_blank, block):
    """Short rows and physical line numbers are found by scanning bytes; it must agree with :mod:`csv`."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=terminator)
    writer.writerow(["h1", "h2", "h3"])
    writer.writerows(rows)
    text = ("\ufeff" if bom else "") + buffer.getvalue() + ("\n\n" if trailing_blank else "")
    path = pathlib.Path(f"/tmp/records-{id(rows)}.csv")
    try:
        path.write_bytes(text.encode("utf-8"))
        cells, lines = _records(path, block=block)
        assert list(zip(cells.tolist(), lines.tolist())) == [(len(c), line) for _, line, c in _data_rows(path)]
    finally:
        path.unlink(missing_ok=True)


def test_short_toolkit_rows_with_an_empty_last_column_are_reported(tmp_path):
    path = tmp_path / "toolkit.csv"
    path.write_text(
        "message_id,user_id,username,repost_id,reply_id,message,timestamp,urls\n"
        "1,u1,n1,r1,,hello,10,\n"
        "2,u2,n2,r1,,hello,11\n"  # seven cells: reported, not padded silently
        '3,u3,n3,r1,,"two\nlines",12,""\n',
        encoding="utf-8",
    )
    result = read_actions(path)
    assert [(p.line, "7 cells" in p.message) for p in result.problems] == [(3, True)]
    assert result.frame["line"].to_list() == [2, 4]
