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
