"""A stress corpus for coordination detectors, written apart from :mod:`bench.coordination_data` (the
generator the engine's old defaults were chosen on) and shaped differently, with every failure mode
issue 13 lists. Seeded: the same arguments give the same rows.

What it makes (``messages`` rows over ``days`` days, about ``messages / 6`` accounts):

- **Activity**: log-normal per account (σ = 1.6: most post once or twice, some hundreds), on a daily
  cycle (quiet nights, busy evenings). Candidates (650 constituencies × 4) post 1 to 4 times a day;
  their popularity is Zipf (s = 1.2), so a few national figures draw most replies.
- **Reply storms**: replies come after a post with an exponential delay (mean 8 minutes; a popular
  post draws hundreds within its first minutes). **Hyperactive repliers** (0.3% of accounts, 400 to
  2,000 replies each) answer the most popular posts within seconds, so they meet each other by chance
  again and again.
- **Stock phrases and slogans in ordinary use**: 6% of messages are stock phrases ("you should
  resign", "what a disgrace", ...); every planted slogan is also posted by 40 to 120 ordinary
  accounts spread over the whole span, so it is "popular" over the week.
- **Debate night**: on day 3 from 20:00 for 90 minutes, 8% of the accounts post ``#debatenight`` with
  the debate's words, peaking in minute-long surges (thousands of posts of one hashtag).
- **Timer bots**: 12 accounts post every 15 minutes on the quarter hour (news headlines with a
  popular hashtag and their own site's link): repeated co-hashtags at the same second by schedule.
- **Links**: 10% of messages link to news sites (Zipf); planted groups share a short link
  (``https://bit.ly/…``) whose target is in :attr:`Stress.links` (a resolution table).
- **Planted groups** (``groups``, default 12, sizes 5 to 40, log-uniform): on each of 3 to 6
  occasions every member posts to a candidate in a **different constituency**. Kinds, in turn:
  copy-paste (one slogan, **reused by the next copy-paste group on another day**); near-duplicate
  (one word in ten changed: Jaccard about 0.8 or more); paraphrase (three words in ten changed:
  Jaccard below 0.8, found only through the short link they share); slow (copy-paste spread over
  5 minutes instead of 60 s); and, once each, a **pile-on** (every member replies to one candidate's
  post) and a group with **two members who are also in another group**.

The truth (:attr:`Stress.groups`: name → members; :attr:`Stress.kinds`) is returned. Rows use the
QUT coordination-network-toolkit's CSV columns so that both tools read the same file.

Run:
    .venv/bin/python bench/coordination_stress.py --messages 300000 --seed 1 --out /tmp/stress.csv
"""

from __future__ import annotations

import argparse
import json
import pathlib
from dataclasses import dataclass, field

import numpy as np
import polars as pl

HEADER = ["message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls"]
START = 1_733_011_200  # 2024-12-01 00:00 UTC
DAY = 86_400
PLACES = 650
PER_PLACE = 4
STOCK = (
    "you should resign", "what a disgrace", "well said", "shame on you", "absolutely spot on",
    "do your job", "liar liar", "get out now", "not fit for office", "hear hear", "total disgrace honestly",
    "vote them out", "this is a joke", "couldn't agree more",
)
SITES = ("bbc.co.uk", "theguardian.com", "telegraph.co.uk", "news.sky.com", "independent.co.uk", "dailymail.co.uk",
         "ft.com", "itv.com", "mirror.co.uk", "thetimes.co.uk", "gbnews.com", "inews.co.uk")
TAGS = ("ge2024", "politics", "nhs", "economy", "immigration", "climate", "housing", "labour", "tories", "libdems",
        "reform", "greens", "snp", "brexit", "costofliving", "education", "police", "crime", "pmqs", "localnews")


@dataclass
class Stress:
    frame: pl.DataFrame
    groups: dict[str, list[str]]
    kinds: dict[str, str]
    links: dict[str, str] = field(default_factory=dict)
    """Short link → where it leads (a resolution table, as an analyst would have it)."""
    roles: dict[str, str] = field(default_factory=dict)
    """Background accounts with a part to play (``hyper``: hyperactive replier, ``bot``: timer bot), for
    diagnosing what a detector draws in; everyone else is ordinary."""

    @property
    def planted_accounts(self) -> set[str]:
        return {a for m in self.groups.values() for a in m}

    def write_csv(self, path: str | pathlib.Path) -> None:
        self.frame.write_csv(path)

    def actions(self) -> pl.DataFrame:
        """The rows in the engine's action columns (what ``read_actions`` makes of the CSV, without the file)."""
        return self.frame.select(
            pl.col("user_id").alias("account"), pl.col("timestamp").alias("time"), "message_id", pl.col("message").alias("text"),
            pl.col("reply_id").alias("reply_to"), pl.col("repost_id").alias("repost_of"),
            pl.when(pl.col("urls") == "").then(pl.lit([], pl.List(pl.String))).otherwise(pl.col("urls").str.split(" ")).alias("urls"),
        )


def _vocabulary(rng: np.random.Generator, size: int = 6000) -> np.ndarray:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lengths = rng.integers(3, 10, size)
    words = {"".join(rng.choice(letters, n)) for n in lengths}
    return np.array(sorted(words))


def _texts(rng: np.random.Generator, vocab: np.ndarray, n: int, low: int = 4, high: int = 26) -> list[str]:
    """``n`` texts of ``low``..``high`` words drawn Zipf-like from ``vocab``."""
    lengths = rng.integers(low, high, n)
    ranks = np.minimum(rng.zipf(1.15, int(lengths.sum())) - 1, len(vocab) - 1)
    words = vocab[ranks]
    return pl.Series(words).to_frame("w").with_columns(pl.Series("d", np.repeat(np.arange(n), lengths))).group_by("d", maintain_order=True).agg(
        pl.col("w").str.join(" "))["w"].to_list()


def _diurnal(rng: np.random.Generator, n: int, days: int) -> np.ndarray:
    """Times with a daily cycle: quiet at 4 am, busiest at 8 pm."""
    hours = np.arange(24)
    weight = 0.15 + np.exp(-((hours - 20) % 24 - 0) ** 2 / 30.0) + 0.6 * np.exp(-((hours - 12) ** 2) / 12.0)
    weight /= weight.sum()
    day = rng.integers(0, days, n)
    hour = rng.choice(24, n, p=weight)
    return day * DAY + hour * 3600 + rng.uniform(0, 3600, n)


def _edit(rng: np.random.Generator, words: list[str], vocab: np.ndarray, fraction: float) -> str:
    out = list(words)
    k = max(1, int(round(fraction * len(out))))
    for pos in rng.choice(len(out), size=min(k, len(out)), replace=False):
        out[pos] = str(vocab[rng.integers(len(vocab))])
    return " ".join(out)


def generate(messages: int = 300_000, *, days: int = 7, groups: int = 12, seed: int = 1, accounts: int | None = None) -> Stress:
    rng = np.random.default_rng(seed)
    vocab = _vocabulary(rng)
    n_acc = accounts or max(2_000, messages // 6)
    names = np.array([f"s{seed}_{i:07d}" for i in range(n_acc)])
    span = days * DAY

    # Candidates and their posts.
    n_cand = PLACES * PER_PLACE
    cand_place = np.repeat(np.arange(PLACES), PER_PLACE)
    popularity = 1.0 / np.arange(1, n_cand + 1) ** 1.2
    popularity = popularity[rng.permutation(n_cand)]
    posts_per = rng.integers(1, 5, n_cand) * days
    post_cand = np.repeat(np.arange(n_cand), posts_per)
    post_time = _diurnal(rng, len(post_cand), days)
    post_weight = popularity[post_cand]
    post_weight /= post_weight.sum()

    rows: list[pl.DataFrame] = []

    def add(account, time, text, reply=None, repost=None, urls=None):
        n = len(account)
        rows.append(pl.DataFrame({
            "user_id": np.asarray(account, dtype=object).astype(str),
            "timestamp": np.asarray(time, dtype=np.float64),
            "message": list(text) if text is not None else [""] * n,
            "reply_id": list(reply) if reply is not None else [""] * n,
            "repost_id": list(repost) if repost is not None else [""] * n,
            "urls": list(urls) if urls is not None else [""] * n,
        }, schema={"user_id": pl.String, "timestamp": pl.Float64, "message": pl.String, "reply_id": pl.String, "repost_id": pl.String, "urls": pl.String}))

    hyper = rng.choice(n_acc, max(5, n_acc * 3 // 1000), replace=False)
    ordinary_budget = int(messages * 0.80)

    # Ordinary traffic: log-normal activity, replies after posts (storms), posts, reposts, links.
    activity = rng.lognormal(0.0, 1.6, n_acc)
    activity[hyper] = 0
    who = rng.choice(n_acc, ordinary_budget, p=activity / activity.sum())
    kind = rng.choice(4, ordinary_budget, p=[0.55, 0.25, 0.10, 0.10])
    post = rng.choice(len(post_cand), ordinary_budget, p=post_weight)
    delay = rng.exponential(480.0, ordinary_budget)
    times = np.where(kind == 0, post_time[post] + delay, _diurnal(rng, ordinary_budget, days))
    times = np.where(kind == 2, post_time[post] + rng.exponential(1800.0, ordinary_budget), times)
    texts = np.array(_texts(rng, vocab, ordinary_budget), dtype=object)
    stock = rng.random(ordinary_budget) < 0.06
    texts[stock] = np.array(STOCK, dtype=object)[rng.integers(len(STOCK), size=int(stock.sum()))]
    tagged = rng.random(ordinary_budget) < 0.3
    tag_pick = np.minimum(rng.zipf(1.3, ordinary_budget) - 1, len(TAGS) - 1)
    texts = np.where(tagged, texts + " #" + np.array(TAGS, dtype=object)[tag_pick], texts)
    site = np.minimum(rng.zipf(1.4, ordinary_budget) - 1, len(SITES) - 1)
    urls = np.where(kind == 3, "https://www." + np.array(SITES, dtype=object)[site] + "/story/" + rng.integers(0, 4000, ordinary_budget).astype(str), "")
    post_ids = np.array([f"p{i}" for i in range(len(post_cand))], dtype=object)
    add(names[who], times, np.where(kind == 2, "", texts), reply=np.where(kind == 0, post_ids[post], ""),
        repost=np.where(kind == 2, post_ids[post], ""), urls=urls)

    # Hyperactive repliers in storms: the most popular posts, within seconds.
    top = np.argsort(-post_weight)[: max(50, len(post_cand) // 50)]
    hyper_n = rng.integers(400, 2000, len(hyper))
    scale = min(1.0, messages * 0.08 / hyper_n.sum())
    hyper_n = np.maximum(1, (hyper_n * scale).astype(int))
    h_acc = np.repeat(hyper, hyper_n)
    h_post = top[np.minimum(rng.zipf(1.3, len(h_acc)) - 1, len(top) - 1)]
    once = pl.DataFrame({"a": h_acc, "p": h_post}).unique(maintain_order=True)  # a reply guy answers a post once
    h_acc, h_post = once["a"].to_numpy(), once["p"].to_numpy()
    h_time = post_time[h_post] + rng.exponential(25.0, len(h_acc))
    h_text = np.array(_texts(rng, vocab, len(h_acc), 2, 10), dtype=object)
    h_stock = rng.random(len(h_acc)) < 0.3
    h_text[h_stock] = np.array(STOCK, dtype=object)[rng.integers(len(STOCK), size=int(h_stock.sum()))]
    add(names[h_acc], h_time, h_text, reply=post_ids[h_post])

    # Debate night: a flood of one hashtag in minute-long surges.
    debaters = rng.choice(n_acc, max(50, n_acc * 8 // 100), replace=False)
    n_debate = int(messages * 0.04)
    d_acc = rng.choice(debaters, n_debate)
    surge = rng.integers(0, 15, n_debate) * 360.0
    d_time = min(3, days - 1) * DAY + 20 * 3600 + surge + rng.exponential(40.0, n_debate)
    d_text = np.array(_texts(rng, vocab[:300], n_debate, 3, 12), dtype=object) + " #debatenight"
    add(names[d_acc], d_time, d_text)

    # Timer bots: every 15 minutes on the quarter hour, a headline with a popular hashtag and their site.
    bots = rng.choice(n_acc, 12, replace=False)
    ticks = np.arange(0, span, 900.0)
    b_acc = np.repeat(bots, len(ticks))
    b_time = np.tile(ticks, len(bots)) + rng.integers(0, 3, len(b_acc))
    b_text = np.array(_texts(rng, vocab, len(b_acc), 6, 14), dtype=object) + " #" + np.array(TAGS, dtype=object)[rng.integers(0, 3, len(b_acc))]
    b_url = np.array([f"https://bot{b}.example.net/item/{k}" for b, k in zip(b_acc, rng.integers(0, 10**6, len(b_acc)))], dtype=object)
    add(names[b_acc], b_time, b_text, urls=b_url)

    # Planted groups.
    taken = set(hyper.tolist()) | set(bots.tolist())
    pool = np.array([a for a in rng.permutation(n_acc)[: 4 * 40 * groups + 200] if a not in taken])
    sizes = np.round(np.exp(rng.uniform(np.log(5), np.log(40), groups))).astype(int)
    order = ["copy", "near", "paraphrase", "slow", "copy", "near", "pileon", "overlap", "copy", "near", "paraphrase", "copy"]
    truth: dict[str, list[str]] = {}
    kinds: dict[str, str] = {}
    links: dict[str, str] = {}
    cursor = 0
    slogan_prev: list[str] | None = None
    previous_members: np.ndarray | None = None
    for g in range(groups):
        kind_g = order[g % len(order)]
        members = pool[cursor: cursor + sizes[g]]
        cursor += sizes[g]
        if kind_g == "overlap" and previous_members is not None:
            members = np.concatenate([members[:-2], previous_members[:2]])
        name = f"G{g + 1:02d}"
        truth[name] = sorted(names[members].tolist())
        kinds[name] = kind_g
        previous_members = members
        occasions = int(rng.integers(3, 7))
        short = f"https://bit.ly/{seed}x{g}"
        links[short] = f"https://campaign{g}.example.org/page"
        slogan = _texts(rng, vocab, 1, 10, 16)[0].split()
        if kind_g == "copy" and slogan_prev is not None and rng.random() < 0.8:
            slogan = slogan_prev  # a slogan that comes back with another group
        if kind_g == "copy":
            slogan_prev = slogan
            # Ordinary people repeat the slogan too, spread over the whole span.
            k = int(rng.integers(40, 120))
            add(names[rng.choice(n_acc, k)], _diurnal(rng, k, days), [" ".join(slogan)] * k)
        places = rng.permutation(PLACES)
        pileon_post = int(rng.choice(top))
        for o in range(occasions):
            t0 = rng.uniform(0, span - 600)
            spread = 300.0 if kind_g == "slow" else 50.0
            t = t0 + rng.uniform(0, spread, len(members))
            if kind_g == "pileon":
                reply = [post_ids[pileon_post]] * len(members)
            else:
                # Each member answers a candidate in a different constituency: one of that candidate's posts.
                cands = places[np.arange(len(members)) % PLACES] * PER_PLACE + rng.integers(0, PER_PLACE, len(members))
                reply = [f"p{int(np.flatnonzero(post_cand == c)[rng.integers((post_cand == c).sum())])}" for c in cands]
            if kind_g in ("copy", "slow", "pileon", "overlap"):
                body = [" ".join(slogan)] * len(members)
            elif kind_g == "near":
                body = [_edit(rng, slogan, vocab, 0.08) for _ in members]
            else:  # paraphrase: below Jaccard 0.8, tied by the short link
                body = [_edit(rng, slogan, vocab, 0.3) for _ in members]
            urls_g = [short if kind_g == "paraphrase" else ""] * len(members)
            add(names[members], t, body, reply=reply, urls=urls_g)
            places = np.roll(places, len(members))

    frame = pl.concat(rows).with_columns(pl.col("timestamp") + START).sort("timestamp", "user_id", "message")
    frame = frame.with_row_index("message_id").select(
        pl.col("message_id").cast(pl.String), "user_id", pl.col("user_id").alias("username"), "repost_id", "reply_id", "message",
        pl.col("timestamp").round(0).cast(pl.Int64), "urls",
    )
    if frame.height > messages:
        # Keep the planted and slogan rows; trim ordinary traffic at random to the size asked for.
        planted = frame["user_id"].is_in([a for m in truth.values() for a in m])
        keep = planted.to_numpy() | (rng.random(frame.height) < (messages - planted.sum()) / max(1, frame.height - planted.sum()))
        frame = frame.filter(pl.Series(keep)).with_row_index("_r").with_columns(pl.col("_r").cast(pl.String).alias("message_id")).drop("_r")
    roles = {**{str(names[a]): "hyper" for a in hyper}, **{str(names[a]): "bot" for a in bots}}
    return Stress(frame=frame, groups=truth, kinds=kinds, links=links, roles=roles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=300_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--groups", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=pathlib.Path, required=True)
    args = parser.parse_args()
    stress = generate(args.messages, days=args.days, groups=args.groups, seed=args.seed)
    stress.write_csv(args.out)
    args.out.with_suffix(".truth.json").write_text(json.dumps({"groups": stress.groups, "kinds": stress.kinds, "links": stress.links}, indent=1))
    print(f"{stress.frame.height:,} rows to {args.out}; {len(stress.groups)} groups ({len(stress.planted_accounts)} accounts)")


if __name__ == "__main__":
    main()
