"""The coordination bench's generator and scoring: seeded, the planted groups as described, and the
recovery rule (80% of a group in one campaign that is 80% that group)."""

from __future__ import annotations

from bench.coordination import score
from bench.coordination_data import STOCK_PHRASES, generate


def test_generator_is_seeded_and_plants_what_it_says():
    a = generate(5_000, accounts=2_000, days=7, groups=4, seed=7)
    assert a.rows == generate(5_000, accounts=2_000, days=7, groups=4, seed=7).rows
    assert a.rows != generate(5_000, accounts=2_000, days=7, groups=4, seed=8).rows
    assert len(a.rows) == 5_000 and [r[0] for r in a.rows] == [str(i) for i in range(5_000)]
    assert [r[6] for r in a.rows] == sorted(r[6] for r in a.rows)
    assert set(a.kinds.values()) == {"copy", "near"}
    stock = sum(r[5].lower().rstrip("!") in STOCK_PHRASES for r in a.rows) / len(a.rows)
    assert 0.03 < stock < 0.07
    by_id = {r[0]: r for r in a.rows}
    for name, members in a.groups.items():
        assert 6 <= len(members) <= 12
        assert len(a.occasions[name]) == 6
        for ids in a.occasions[name]:
            burst = [by_id[i] for i in ids]
            assert sorted(r[1] for r in burst) == members  # every member, once
            assert max(r[6] for r in burst) - min(r[6] for r in burst) <= 60
            assert len({r[4].split("_")[0] for r in burst}) == len(burst)  # each member a different constituency
            texts = {r[5].lower().rstrip("!.") for r in burst}
            assert (len(texts) == 1) == (a.kinds[name] == "copy")


def test_score_counts_recovered_groups_and_background():
    groups = {"G1": ["a", "b", "c", "d", "e"], "G2": ["f", "g", "h", "i", "j"]}
    campaigns = [["a", "b", "c", "d", "x"], ["f", "g", "h"], ["y", "z"]]
    # G1: 4/5 = 80% in a campaign that is 4/5 = 80% G1 -> recovered; G2: 3/5 < 80% -> not.
    assert score(campaigns, groups) == (1, 3)
    assert score([["a", "b", "c", "d", "e", "x", "y"]], groups) == (0, 2)  # 5/7 < 80% that group


def test_stress_corpus_is_seeded_and_plants_every_failure_mode():
    from bench.coordination_stress import generate as stress

    a = stress(30_000, groups=12, seed=3)
    assert a.frame.equals(stress(30_000, groups=12, seed=3).frame)
    assert not a.frame.equals(stress(30_000, groups=12, seed=4).frame)
    assert abs(a.frame.height - 30_000) < 3_000
    assert set(a.kinds.values()) == {"copy", "near", "paraphrase", "slow", "pileon", "overlap"}
    assert all(5 <= len(m) <= 40 for m in a.groups.values())
    f = a.frame
    copies = [g for g, k in a.kinds.items() if k == "copy"]
    slogan_users = {}
    for g in copies:
        texts = f.filter(f["user_id"].is_in(a.groups[g]))["message"].value_counts().sort("count", descending=True)
        slogan = texts["message"][0]
        slogan_users[g] = f.filter(f["message"] == slogan)["user_id"].n_unique()
    # Popular over the week: ordinary people post the slogans too, more than the old cap of 50 accounts.
    assert max(slogan_users.values()) > 50
    # Replies of the groups (not the pile-on) go to a different constituency per member on each occasion.
    pile = next(g for g, k in a.kinds.items() if k == "pileon")
    assert f.filter(f["user_id"].is_in(a.groups[pile]) & (f["reply_id"] != ""))["reply_id"].value_counts()["count"].max() >= len(a.groups[pile])
    overlap = next(g for g, k in a.kinds.items() if k == "overlap")
    assert sum(len(set(a.groups[overlap]) & set(m)) for g, m in a.groups.items() if g != overlap) == 2
    assert f.filter(f["message"].str.contains("#debatenight")).height > 500


def test_per_behaviour_precision_and_recall():
    from bench.coordination import per_behaviour

    groups = {"G1": ["a", "b", "c"]}
    edges = [["a", "b", ["text", "reply"]], ["b", "c", ["text"]], ["a", "x", ["reply"]]]
    out = per_behaviour(edges, groups)
    assert out["text"] == {"edges": 2, "inside": 2, "precision": 1.0, "recall": 2 / 3}
    assert out["reply"]["precision"] == 0.5 and out["reply"]["recall"] == 1 / 3


def test_background_is_counted_by_role():
    from bench.coordination import background_roles

    groups = {"G1": ["a", "b"]}
    campaigns = [["a", "b", "h1"], ["bot1", "bot2", "x"]]
    assert background_roles(campaigns, groups, {"h1": "hyper", "bot1": "bot", "bot2": "bot"}) == {"bot": 2, "hyper": 1, "ordinary": 1}
