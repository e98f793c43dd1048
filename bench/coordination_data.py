"""Seeded synthetic reply traffic to candidates, with planted coordinated groups, for judging
coordination detectors (issue 5).

What it makes (all from one seed, so every run with the same arguments writes the same bytes):

- **Candidates**: 650 constituencies with 5 candidates each; each candidate posts 3 times a day and
  replies go to those posts. Attention is Zipf-distributed: a few national figures draw most
  replies (**replies to popular candidates**), so their posts have thousands of repliers, many of
  them within the same minute.
- **Background**: ``accounts`` accounts (about 50,000) over ``days`` days (7 or 30). Activity per
  account is heavy-tailed (Pareto, capped: most accounts post a handful of times, a few hundred
  or thousand); ordinary replies follow a daily cycle; ``burst_share`` (30%) fall in **bursts**
  around events (a debate, a scandal: two a day), aimed at the event's candidates, decaying over
  about 15 minutes and using the event's words and hashtag. Texts are 4 to 30 words from a
  Zipf-weighted vocabulary; some carry a hashtag or a news link (also Zipf-popular).
- **Stock phrases**: ``stock_share`` (5%) of messages are stock phrases ("well said", "resign",
  "you should resign", ...). Most are posted at *moments* inside events (a line in a debate):
  many unrelated accounts post the same phrase to the same post within seconds of each other,
  the everyday duplicates a detector must not mistake for coordination. The rest are spread out.
- **Planted groups** (``groups``, default 12, of 6 to 12 accounts drawn from the population, who
  also post ordinary background replies): on each of ``occasions`` (6) occasions every member
  replies within 60 s of the others to a *different* constituency's candidate (drawn by
  popularity, so often a popular one). Half the groups copy-paste one text; the other half post
  near-duplicates (each member makes one small edit: a word swapped, dropped or added). Half of the
  occasions ride on an event (within 30 minutes of it), half come out of the blue.

The output uses the QUT coordination-network-toolkit's CSV columns
(``message_id,user_id,username,repost_id,reply_id,message,timestamp,urls``), which Ballotguard reads
as well, so both tools read the same file. Rows are in time order and message ids count from 0.
Numbers (times, accounts, targets) are drawn for the whole file at once; text is built and
written a million rows at a time, so 10,000,000 rows need well under 2 GB. The truth (group →
members, each group's kind and the message ids of each occasion) is returned, and written beside
the CSV as JSON by the CLI.

Run:
    .venv/bin/python bench/coordination_data.py --messages 100000 --days 7 --out /tmp/replies.csv
"""

from __future__ import annotations

import argparse
import json
import pathlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import polars as pl

HEADER = ["message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls"]
STOCK_PHRASES = (
    "well said", "resign", "resign now", "hear hear", "shame on you", "you should resign",
    "what a disgrace", "well said sir", "liar", "absolutely spot on",
)
CONSTITUENCIES = 650
CANDIDATES_PER_PLACE = 5
POSTS_PER_DAY = 3
START = 1_719_792_000  # 2024-07-01 00:00 UTC: the absolute origin does not matter to either tool
CHUNK = 1_000_000
MAX_WORDS = 30

ORDINARY, BURST, STOCK, PLANTED = 0, 1, 2, 3

_COMMON = ["the", "you", "and", "to", "a", "of", "is", "it", "that", "your", "in", "for", "are", "this", "not", "on", "be", "have", "we", "they", "what", "with", "how", "just", "do", "all", "people", "about", "will", "why", "no", "so", "our", "can", "was", "at", "vote", "who", "he", "she", "them", "if", "more", "by", "get", "now", "one", "would", "should", "there", "their", "its", "from", "as", "like", "never", "again", "time", "know", "think", "country", "town", "council", "local", "tax", "money", "bins", "roads", "schools", "nhs", "hospital", "police", "crime", "housing", "rent", "jobs", "wages", "energy", "bills", "cost", "living", "immigration", "boats", "brexit", "europe", "green", "net", "zero", "cars", "buses", "trains", "potholes", "doctors", "nurses", "strike", "teachers", "pension", "benefits", "promise", "promised", "lie", "lied", "lying", "liar", "truth", "honest", "corrupt", "scandal", "expenses", "party", "leader", "government", "minister", "election", "campaign", "leaflet", "debate", "hustings", "manifesto", "policy", "plan", "record", "voted", "against", "support", "supported", "constituency", "residents", "families", "children", "elderly", "pensioners", "veterans", "farmers", "business", "shops", "high", "street", "parking", "flood", "flooding", "sewage", "river", "water", "rates", "fuel", "duty", "speed", "cameras", "ulez", "fines", "safety", "protest", "march", "rally", "sign", "petition", "letter", "email", "office", "surgery", "answer", "answered", "question", "questions", "ignored", "ignoring", "listen", "listening", "care", "caring", "useless", "hopeless", "disgrace", "disgraceful", "shameful", "pathetic", "brilliant", "great", "good", "bad", "worse", "worst", "best", "thanks", "thank", "well", "done", "proud", "ashamed"]


@dataclass
class Traffic:
    """The generated traffic (built lazily, a chunk at a time) and the truth about the planted groups."""

    n: int
    seed: int
    time: np.ndarray
    """Seconds from :data:`START`, sorted; one per row."""
    who: np.ndarray
    target: np.ndarray
    """Candidate index (``place * CANDIDATES_PER_PLACE + k``) replied to."""
    kind: np.ndarray
    extra: np.ndarray
    """Per kind: the event (bursts), the phrase (stock) or the planted text index (planted)."""
    vocab: list[str]
    word_cdf: np.ndarray
    event_words: np.ndarray
    event_tags: list[str]
    planted_texts: list[str]
    groups: dict[str, list[str]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    """``"copy"`` (copy-paste) or ``"near"`` (near-duplicates with small edits) per group."""
    occasions: dict[str, list[list[str]]] = field(default_factory=dict)
    """The message ids of each group's coordinated occasions."""

    @property
    def planted_accounts(self) -> set[str]:
        return {a for members in self.groups.values() for a in members}

    def chunks(self, size: int = CHUNK) -> Iterator[pl.DataFrame]:
        """The rows in toolkit columns, ``size`` at a time (the text of chunk ``c`` is seeded by ``(seed, c)``)."""
        vocab = pl.Series("v", self.vocab)
        stock = pl.Series("s", list(STOCK_PHRASES))
        planted = pl.Series("p", self.planted_texts or [""])
        tags = pl.Series("t", self.event_tags)
        for c, lo in enumerate(range(0, self.n, size)):
            hi = min(lo + size, self.n)
            m = hi - lo
            rng = np.random.default_rng([self.seed, c])
            kind = self.kind[lo:hi]
            extra = self.extra[lo:hi]
            words = np.searchsorted(self.word_cdf, rng.random((m, MAX_WORDS))).astype(np.uint32)
            burst = kind == BURST
            if burst.any():
                mix = rng.random((m, MAX_WORDS)) < 0.3
                ev = self.event_words[np.where(burst, extra, 0)]  # (m, 8) word indices of the row's event
                pick = ev[np.arange(m)[:, None], np.arange(MAX_WORDS)[None, :] % ev.shape[1]]
                words = np.where(mix & burst[:, None], pick, words).astype(np.uint32)
            length = np.where(rng.random(m) < 0.25, rng.integers(4, 8, m), rng.integers(8, MAX_WORDS + 1, m))
            cols = {f"w{i}": pl.Series(words[:, i]).set(pl.Series(length <= i), None) if (length <= i).any() else pl.Series(words[:, i]) for i in range(MAX_WORDS)}
            t = self.time[lo:hi]
            day = (t // 86_400).astype(np.int32)
            target = self.target[lo:hi]
            post = rng.integers(POSTS_PER_DAY, size=m)
            frame = pl.DataFrame({
                **cols,
                "kind": kind, "extra": extra, "who": self.who[lo:hi], "t": t,
                "place": (target // CANDIDATES_PER_PLACE).astype(np.int32), "cand": (target % CANDIDATES_PER_PLACE).astype(np.int32),
                "day": day, "post": post.astype(np.int32),
                "shout": rng.random(m) < 0.3, "tag": rng.random(m) < np.where(burst, 0.15, 0.03),
                "tagpick": rng.integers(len(self.event_tags), size=m), "link": rng.random(m) < np.where(burst, 0.1, 0.05),
                "linkpick": np.minimum(rng.zipf(1.3, m), 5000),
            })
            words_text = pl.concat_str([pl.lit(vocab).gather(pl.col(f"w{i}")) for i in range(MAX_WORDS)], separator=" ", ignore_nulls=True)
            tag = pl.when(pl.col("kind") == BURST).then(pl.lit(tags).gather(pl.col("extra") % len(self.event_tags))).otherwise(pl.lit(tags).gather(pl.col("tagpick")))
            text = (
                pl.when(pl.col("kind") == STOCK).then(
                    pl.when(pl.col("shout")).then(pl.lit(stock).gather(pl.col("extra") % len(STOCK_PHRASES)).str.to_titlecase() + "!").otherwise(pl.lit(stock).gather(pl.col("extra") % len(STOCK_PHRASES)))
                )
                .when(pl.col("kind") == PLANTED).then(pl.lit(planted).gather(pl.col("extra") % len(planted)))
                .when(pl.col("tag")).then(words_text + " #" + tag)
                .otherwise(words_text)
            )
            user = pl.format("u{}", pl.col("who"))
            out = frame.select(
                pl.int_range(lo, hi).cast(pl.String).alias("message_id"),
                user.alias("user_id"), user.alias("username"), pl.lit("").alias("repost_id"),
                pl.format("p{}_c{}_{}_{}", "place", "cand", "day", "post").alias("reply_id"),
                text.alias("message"),
                (pl.col("t").floor().cast(pl.Int64) + START).alias("timestamp"),
                pl.when(pl.col("link") & (pl.col("kind") != PLANTED)).then(pl.format("https://news{}.example/story/{}", pl.col("linkpick") % 40, "linkpick")).otherwise(pl.lit("")).alias("urls"),
            )
            yield out

    @property
    def frame(self) -> pl.DataFrame:
        return pl.concat(list(self.chunks()))

    @property
    def rows(self) -> list[list]:
        """Every row as a list (``timestamp`` an int, the rest strings): for small files and tests."""
        return [list(r) for r in self.frame.iter_rows()]

    def write_csv(self, path: str | pathlib.Path) -> None:
        with open(path, "wb") as f:
            for c, chunk in enumerate(self.chunks()):
                chunk.write_csv(f, include_header=c == 0)
            if self.n == 0:
                f.write((",".join(HEADER) + "\n").encode())

    def truth(self) -> dict:
        return {"groups": self.groups, "kinds": self.kinds, "occasions": self.occasions}


def _vocabulary(rng: np.random.Generator, size: int = 4000) -> list[str]:
    syllables = ["ba", "ko", "ri", "tan", "mel", "sor", "vi", "den", "lu", "pra", "gos", "fen", "ta", "mo", "rek", "sil"]
    made: set[str] = set(_COMMON)
    words = list(_COMMON)
    while len(words) < size:
        w = "".join(rng.choice(syllables, rng.integers(2, 4)))
        if w not in made:
            made.add(w)
            words.append(w)
    return words


def _zipf_weights(n: int, s: float = 1.05) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** s
    return w / w.sum()


def generate(messages: int = 100_000, *, accounts: int = 50_000, days: int = 7, groups: int = 12,
             occasions: int = 6, seed: int = 2024, stock_share: float = 0.05, burst_share: float = 0.3) -> Traffic:
    """Generate reply traffic: ``messages`` rows in total (planted ones included)."""
    rng = np.random.default_rng(seed)
    span = days * 86_400
    vocab = _vocabulary(rng)
    word_p = _zipf_weights(len(vocab))
    word_cdf = np.cumsum(word_p)
    word_cdf[-1] = 1.0
    n_cand = CONSTITUENCIES * CANDIDATES_PER_PLACE
    attention = _zipf_weights(n_cand, 1.0)[np.argsort(rng.permutation(n_cand))]  # candidate -> share of replies
    attention_cdf = np.cumsum(attention)
    attention_cdf[-1] = 1.0

    # Events: two a day, each about three candidates (popular ones more often), with its own words,
    # hashtag, and moments (lines in a debate) at which stock phrases pour in.
    n_events = max(3, days * 2)
    events = np.sort(rng.uniform(0, span - 3600, n_events))
    event_targets = np.searchsorted(attention_cdf, rng.random((n_events, 3)))
    event_words = np.stack([rng.choice(600, 8, replace=False) for _ in range(n_events)]).astype(np.uint32)
    event_tags = [f"{vocab[int(w[0])]}{vocab[int(w[1])]}" for w in event_words]
    moments = events[:, None] + rng.exponential(600, (n_events, 20))

    # Planted groups: sizes 6..12, half copy-paste, half near-duplicate.
    sizes = rng.integers(6, 13, groups)
    truth: dict[str, list[str]] = {}
    kinds: dict[str, str] = {}
    planted_texts: list[str] = []
    p_time, p_who, p_target, p_text, p_label = [], [], [], [], []
    member_ids = rng.choice(accounts, int(sizes.sum()), replace=False)
    taken = 0
    for g, size in enumerate(sizes):
        name = f"G{g + 1:02d}"
        members = member_ids[taken: taken + size]
        taken += size
        truth[name] = sorted(f"u{m}" for m in members)
        kinds[name] = "copy" if g % 2 == 0 else "near"
        for occasion in range(occasions):
            if occasion % 2 == 0:
                t0 = float(events[rng.integers(n_events)] + rng.uniform(0, 1800))
            else:
                t0 = float(rng.uniform(0, span - 120))
            base = list(dict.fromkeys(vocab[i] for i in np.searchsorted(word_cdf, rng.random(40))))[: int(rng.integers(18, 28))]
            places: list[int] = []
            while len(places) < size:  # a different constituency per member, candidates by popularity
                c = int(np.searchsorted(attention_cdf, rng.random()))
                if c // CANDIDATES_PER_PLACE not in {p // CANDIDATES_PER_PLACE for p in places}:
                    places.append(c)
            for member, cand in zip(members, places):
                words = list(base)
                if kinds[name] == "near":
                    edit = rng.integers(3)
                    at = int(rng.integers(len(words)))
                    if edit == 0:
                        words[at] = str(vocab[int(rng.integers(len(vocab)))])
                    elif edit == 1:
                        del words[at]
                    else:
                        words.insert(at, str(vocab[int(rng.integers(len(vocab)))]))
                text = " ".join(words)
                if rng.random() < 0.5:
                    text = text.capitalize() + str(rng.choice(["!", ".", "!!", ""]))
                p_time.append(min(t0 + float(rng.uniform(0, 55)), span - 1))
                p_who.append(member)
                p_target.append(cand)
                p_text.append(len(planted_texts))
                planted_texts.append(text)
                p_label.append((name, occasion))

    # Background: heavy-tailed activity; the planted members are ordinary posters too.
    n = max(messages - len(p_time), 0)
    activity = np.minimum(rng.pareto(1.5, accounts) + 1, 300)
    who = np.searchsorted(np.cumsum(activity / activity.sum()), rng.random(n)).clip(0, accounts - 1)
    first = min(n, accounts)
    who[:first] = rng.permutation(accounts)[:first]  # everyone posts at least once (when n allows)
    u = rng.random(n)
    kind = np.where(u < stock_share, STOCK, np.where(u < stock_share + burst_share, BURST, ORDINARY)).astype(np.int8)
    which = rng.integers(n_events, size=n)
    extra = np.where(kind == BURST, which, 0).astype(np.int32)
    # Times: a daily cycle (quiet at night) for ordinary replies, a 15-minute decay in bursts, and
    # most stock phrases within seconds of an event's moment.
    times = rng.uniform(0, span, n)
    hour = (times % 86_400) / 3600
    night = hour < 7
    times[night] += rng.uniform(7, 12, int(night.sum())) * 3600
    burst = kind == BURST
    times[burst] = events[which[burst]] + rng.exponential(900, int(burst.sum()))
    stock = kind == STOCK
    at_moment = stock & (rng.random(n) < 0.7)
    times[at_moment] = moments[which[at_moment], rng.integers(20, size=int(at_moment.sum()))] + rng.exponential(15, int(at_moment.sum()))
    times = np.minimum(times, span - 1)
    target = np.searchsorted(attention_cdf, rng.random(n)).clip(0, n_cand - 1)
    on_event = burst | at_moment
    target[on_event] = event_targets[which[on_event], rng.integers(3, size=int(on_event.sum()))]
    extra[stock] = rng.integers(len(STOCK_PHRASES), size=int(stock.sum()))

    # All together, in time order (ties keep background first, then planted in the order made).
    time = np.concatenate((times, np.array(p_time, dtype=np.float64)))
    order = np.lexsort((np.arange(len(time)), np.floor(time)))
    planted_position = np.empty(len(time), np.int64)
    planted_position[order] = np.arange(len(time))
    found: dict[str, list[list[str]]] = {name: [[] for _ in range(occasions)] for name in truth}
    for k, (name, occasion) in enumerate(p_label):
        found[name][occasion].append(str(int(planted_position[n + k])))
    return Traffic(
        n=len(time), seed=seed,
        time=time[order],
        who=np.concatenate((who, np.array(p_who, dtype=np.int64)))[order].astype(np.int32),
        target=np.concatenate((target, np.array(p_target, dtype=np.int64)))[order].astype(np.int32),
        kind=np.concatenate((kind, np.full(len(p_time), PLANTED, np.int8)))[order],
        extra=np.concatenate((extra, np.array(p_text, dtype=np.int32)))[order].astype(np.int32),
        vocab=vocab, word_cdf=word_cdf, event_words=event_words, event_tags=event_tags, planted_texts=planted_texts,
        groups=truth, kinds=kinds, occasions=found,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000, help="rows in total (default 100,000)")
    parser.add_argument("--accounts", type=int, default=50_000, help="accounts (default 50,000)")
    parser.add_argument("--days", type=int, default=7, help="span in days (7 or 30; default 7)")
    parser.add_argument("--groups", type=int, default=12, help="planted groups (default 12, half copy-paste, half near-duplicate)")
    parser.add_argument("--occasions", type=int, default=6, help="coordinated occasions per group (default 6)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--out", type=pathlib.Path, required=True, help="CSV to write; the truth goes beside it as .truth.json")
    args = parser.parse_args()
    traffic = generate(args.messages, accounts=args.accounts, days=args.days, groups=args.groups, occasions=args.occasions, seed=args.seed)
    traffic.write_csv(args.out)
    args.out.with_suffix(".truth.json").write_text(json.dumps(traffic.truth(), indent=1))
    print(f"Wrote {traffic.n:,} rows to {args.out} ({len(traffic.groups)} planted groups, "
          f"{len(traffic.planted_accounts)} planted accounts) and the truth to {args.out.with_suffix('.truth.json')}")


if __name__ == "__main__":
    main()
