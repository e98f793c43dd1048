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


def test_heldout_corpus_is_seeded_and_plants_the_issues_groups():
    """bench/coordination_heldout.py (written from issue 13's description alone): 12 groups of 5 to 40
    accounts, half copy-paste and half near-duplicate; in every burst each member replies inside 60 s
    to a candidate of a different constituency, the one the truth says that member targets."""
    import re

    import polars as pl

    from bench.coordination_heldout import generate

    a = generate(20_000, seed=11)
    assert a.frame.equals(generate(20_000, seed=11).frame)
    assert not a.frame.equals(generate(20_000, seed=12).frame)
    f = a.frame
    assert f.height == 20_000 and f["message_id"].n_unique() == 20_000
    assert f["timestamp"].is_sorted()
    sizes = sorted(len(m) for m in a.groups.values())
    assert len(sizes) == 12 and sizes[0] == 5 and sizes[-1] == 40
    assert sorted(a.kinds.values()) == ["copy_paste"] * 6 + ["near_duplicate"] * 6
    members_all = [m for members in a.groups.values() for m in members]
    assert len(set(members_all)) == len(members_all)  # disjoint groups
    by_id = {r["message_id"]: r for r in f.iter_rows(named=True)}
    author_of = {mid: r["user_id"] for mid, r in by_id.items()}

    def words(text: str) -> set[str]:
        return set(re.findall(r"[a-z']+", text.lower()))

    for name, members in a.groups.items():
        assert len(a.bursts[name]) >= 2  # the group comes back
        for burst in a.bursts[name]:
            rows = [by_id[m] for m in burst]
            assert len(rows) >= 3 and {r["user_id"] for r in rows} <= set(members)
            assert len({r["user_id"] for r in rows}) == len(rows)  # each member once
            assert max(r["timestamp"] for r in rows) - min(r["timestamp"] for r in rows) < 60
            seats = [a.candidate_seats[author_of[r["reply_id"]]] for r in rows]
            assert len(set(seats)) == len(seats)  # each member a different constituency
            assert seats == [a.targets[name][r["user_id"]] for r in rows]
            assert all(by_id[r["reply_id"]]["timestamp"] <= r["timestamp"] for r in rows)
            texts = [r["message"] for r in rows]
            if a.kinds[name] == "copy_paste":
                assert len(set(texts)) == 1
            else:
                assert len(set(texts)) > 1
                assert min(len(words(x) & words(texts[0])) / len(words(x) | words(texts[0])) for x in texts) >= 0.6
    # The slogans the copy-paste groups use are posted by ordinary supporters too.
    planted = set(members_all)
    copy_texts = {by_id[b[0]]["message"] for n, bs in a.bursts.items() if a.kinds[n] == "copy_paste" for b in bs}
    ordinary = f.filter(pl.col("message").is_in(list(copy_texts)) & ~pl.col("user_id").is_in(list(planted)))
    assert ordinary["user_id"].n_unique() > 10
