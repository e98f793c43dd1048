"""Seeded synthetic reply traffic to candidates, with planted coordinated groups, for judging
coordination detectors (issue 5).

What it makes (all from one seed, so every run with the same arguments writes the same bytes):

- **Background**: replies from ``accounts`` accounts (about 50,000) to candidates' posts in 650
  constituencies over ``days`` days (7 or 30). Activity per account is heavy-tailed (most accounts
  reply once or twice, a few hundred times); times follow a daily cycle, and about a third of the
  replies fall in **bursts** around events (a debate, a scandal), each burst aimed at a few
  candidates' posts and using the event's words. Texts are 4 to 30 words drawn from a Zipf-weighted
  vocabulary; 5% are **stock phrases** ("well said", "resign", "you should resign", ...), the
  everyday duplicates that must not look like coordination.
- **Planted groups** (``groups``, 6 to 12 members each): on each of several occasions every member
  replies, within 60 s of the others, to a *different* constituency's candidate. Half the groups
  copy-paste one text; the other half post near-duplicates (each member makes one small edit: a word
  swapped, dropped or added). Members also post ordinary background replies.

The output uses the QUT coordination-network-toolkit's CSV columns
(``message_id,user_id,username,repost_id,reply_id,message,timestamp,urls``), which Ballotguard reads
as well, so both tools read the same file. The truth (group → members, and each group's kind) is
returned, and written beside the CSV as JSON by the CLI.

Run:
    .venv/bin/python bench/coordination_data.py --messages 100000 --days 7 --out /tmp/replies.csv
"""

from __future__ import annotations

import argparse
import csv
import json
import pathlib
from dataclasses import dataclass, field

import numpy as np

HEADER = ["message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls"]
STOCK_PHRASES = (
    "well said", "resign", "resign now", "hear hear", "shame on you", "you should resign",
    "what a disgrace", "well said sir", "liar", "absolutely spot on",
)
CONSTITUENCIES = 650
START = 1_719_792_000  # 2024-07-01 00:00 UTC: the absolute origin does not matter to either tool

_COMMON = (
    "the you and to a of is it that your in for are this not on be have we they what with how just do "
    "all people about will why no so our can was at vote who he she them if more by get now one "
    "would should there their its from as like never again time know think country town council "
    "local tax money bins roads schools nhs hospital police crime housing rent jobs wages energy "
    "bills cost living immigration boats brexit europe green net zero cars buses trains potholes "
    "doctors nurses strike teachers pension benefits promise promised lie lied lying liar truth "
    "honest corrupt scandal expenses party leader government minister election campaign leaflet "
    "debate hustings manifesto policy plan record voted against support supported constituency "
    "residents families children elderly pensioners veterans farmers business shops high street "
    "parking flood flooding sewage river water rates fuel duty speed cameras ulez fines safety "
    "protest march rally sign petition letter email office surgery answer answered question questions "
    "ignored ignoring listen listening care caring useless hopeless disgrace disgraceful shameful "
    "pathetic brilliant great good bad worse worst best thanks thank well done proud ashamed"
).split()


@dataclass
class Traffic:
    """The generated rows (toolkit CSV columns, time order) and the truth about the planted groups."""

    rows: list[list]
    groups: dict[str, list[str]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    """``"copy"`` (copy-paste) or ``"near"`` (near-duplicates with small edits) per group."""
    occasions: dict[str, list[list[str]]] = field(default_factory=dict)
    """The message ids of each group's co-ordinated occasions."""

    @property
    def planted_accounts(self) -> set[str]:
        return {a for members in self.groups.values() for a in members}

    def write_csv(self, path: str | pathlib.Path) -> None:
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(HEADER)
            writer.writerows(self.rows)

    def truth(self) -> dict:
        return {"groups": self.groups, "kinds": self.kinds}


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


def generate(messages: int = 100_000, *, accounts: int = 50_000, days: int = 7, groups: int = 20,
             occasions: int = 6, seed: int = 2024, stock_share: float = 0.05, burst_share: float = 0.33) -> Traffic:
    """Generate reply traffic: ``messages`` rows in total (planted ones included)."""
    rng = np.random.default_rng(seed)
    span = days * 86_400
    vocab = _vocabulary(rng)
    word_p = _zipf_weights(len(vocab))

    # Planted groups: sizes 6..12, half copy-paste, half near-duplicate.
    sizes = rng.integers(6, 13, groups)
    planted_rows: list[list] = []
    truth: dict[str, list[str]] = {}
    kinds: dict[str, str] = {}
    member_ids = rng.choice(accounts, int(sizes.sum()), replace=False)  # members are drawn from the population
    taken = 0
    for g, size in enumerate(sizes):
        name = f"G{g + 1:02d}"
        members = [f"u{m}" for m in member_ids[taken: taken + size]]
        taken += size
        truth[name] = sorted(members)
        kinds[name] = "copy" if g % 2 == 0 else "near"
        for occasion in range(occasions):
            t0 = float(rng.uniform(0, span - 120))
            base = list(dict.fromkeys(rng.choice(vocab, 40, p=word_p)))[: int(rng.integers(18, 28))]
            places = rng.choice(CONSTITUENCIES, size, replace=False)  # each member a different constituency
            for member, place in zip(members, places):
                words = list(base)
                if kinds[name] == "near":
                    edit = rng.integers(3)
                    at = int(rng.integers(len(words)))
                    if edit == 0:
                        words[at] = str(rng.choice(vocab))
                    elif edit == 1:
                        del words[at]
                    else:
                        words.insert(at, str(rng.choice(vocab)))
                text = " ".join(words)
                if rng.random() < 0.5:
                    text = text.capitalize() + rng.choice(["!", ".", "!!", ""])
                planted_rows.append([member, f"p{place}_{int(t0 // 86_400)}", text, t0 + float(rng.uniform(0, 55)), (name, occasion)])

    # Background: heavy-tailed activity; the planted members are ordinary posters too.
    n = max(messages - len(planted_rows), 0)
    activity = rng.pareto(1.3, accounts) + 1
    who = rng.choice(accounts, n, p=activity / activity.sum())
    who[: min(n, accounts)] = rng.permutation(accounts)[: min(n, accounts)]  # everyone posts at least once (when n allows)
    # Times: a daily cycle (quiet at night) plus bursts around events.
    events = np.sort(rng.uniform(0, span, max(3, days * 2)))
    event_targets = [rng.choice(CONSTITUENCIES, 3, replace=False) for _ in events]
    event_words = [rng.choice(vocab[:600], 8, replace=False) for _ in events]
    in_burst = rng.random(n) < burst_share
    which = rng.integers(len(events), size=n)
    times = np.where(
        in_burst,
        events[which] + rng.exponential(900, n),  # a burst decays over about a quarter of an hour
        rng.uniform(0, span, n),
    )
    hour = (times % 86_400) / 3600
    night = (hour < 7) & ~in_burst
    times[night] = times[night] + rng.uniform(7, 12, int(night.sum())) * 3600  # push most night posts into the day
    times = np.minimum(times, span - 1)
    places = np.where(in_burst, np.array(event_targets)[which, rng.integers(3, size=n)], rng.integers(CONSTITUENCIES, size=n))
    days_of = (times // 86_400).astype(int)
    stock = rng.random(n) < stock_share
    lengths = np.where(rng.random(n) < 0.25, rng.integers(4, 8, n), rng.integers(8, 31, n))
    all_words = rng.choice(len(vocab), int(lengths.sum()), p=word_p)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    stock_pick = rng.integers(len(STOCK_PHRASES), size=n)
    event_mix = rng.random(int(lengths.sum())) < 0.3
    rows_bg: list[list] = []
    for k in range(n):
        if stock[k]:
            text = STOCK_PHRASES[stock_pick[k]]
            if rng.random() < 0.3:
                text = text.capitalize() + "!"
        else:
            idx = all_words[starts[k]: starts[k] + lengths[k]]
            words = [vocab[i] for i in idx]
            if in_burst[k]:
                mix = event_mix[starts[k]: starts[k] + lengths[k]]
                ew = event_words[which[k]]
                words = [str(ew[i % len(ew)]) if m else w for i, (w, m) in enumerate(zip(words, mix))]
            text = " ".join(words)
        rows_bg.append([f"u{who[k]}", f"p{places[k]}_{days_of[k]}", text, float(times[k]), None])

    everything = rows_bg + planted_rows
    order = sorted(range(len(everything)), key=lambda i: (everything[i][3], i))
    rows = []
    found: dict[str, list[list[str]]] = {name: [[] for _ in range(occasions)] for name in truth}
    for mid, i in enumerate(order):
        account, reply, text, t, planted = everything[i]
        rows.append([str(mid), account, account, "", reply, text, int(START + t), ""])
        if planted:
            found[planted[0]][planted[1]].append(str(mid))
    return Traffic(rows=rows, groups=truth, kinds=kinds, occasions=found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000, help="rows in total (default 100,000)")
    parser.add_argument("--accounts", type=int, default=50_000, help="accounts (default 50,000)")
    parser.add_argument("--days", type=int, default=7, help="span in days (7 or 30; default 7)")
    parser.add_argument("--groups", type=int, default=20, help="planted groups (default 20, half copy-paste, half near-duplicate)")
    parser.add_argument("--occasions", type=int, default=6, help="co-ordinated occasions per group (default 6)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--out", type=pathlib.Path, required=True, help="CSV to write; the truth goes beside it as .truth.json")
    args = parser.parse_args()
    traffic = generate(args.messages, accounts=args.accounts, days=args.days, groups=args.groups, occasions=args.occasions, seed=args.seed)
    traffic.write_csv(args.out)
    args.out.with_suffix(".truth.json").write_text(json.dumps(traffic.truth(), indent=1))
    print(f"Wrote {len(traffic.rows):,} rows to {args.out} ({len(traffic.groups)} planted groups, "
          f"{len(traffic.planted_accounts)} planted accounts) and the truth to {args.out.with_suffix('.truth.json')}")


if __name__ == "__main__":
    main()
