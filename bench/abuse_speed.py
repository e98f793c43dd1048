"""How many messages a second the abuse model scores on one core, against alt-profanity-check.

Scores the same messages (the OLID and Davidson tweets, repeated to ``--messages``) with Ballotguard's
default model (``default_model().score``, pure NumPy) and with alt-profanity-check's
``predict_prob`` (scikit-learn), one process each in turn, in the same run. Target: ≥ 5,000
messages a second on the project's 2-core machine. Also prints the peak resident memory of the run.

Run:
    .venv/bin/python bench/abuse_speed.py [--messages 200000] [--data ../shared/data/abuse]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ballotguard.engines.abuse import training as at  # noqa: E402
from ballotguard.engines.abuse.model import default_model  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "abuse"


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help=f"the shared abuse data directory (default {DATA})")
    parser.add_argument("--messages", type=int, default=200_000, help="how many messages to score (default 200,000)")
    args = parser.parse_args()
    from rich.console import Console
    from rich.table import Table

    olid_path, davidson_path = args.data / at.OLID_FILE, args.data / at.DAVIDSON_FILE
    if not olid_path.is_file() or not davidson_path.is_file():
        print(f"Skipped: shared abuse data not found at {args.data}")
        return
    base = [r.text for r in at.read_olid(olid_path)] + [r.text for r in at.read_davidson(davidson_path)]
    texts = (base * (args.messages // len(base) + 1))[: args.messages]
    mean_chars = sum(map(len, texts)) / len(texts)

    model = default_model()
    model.score(texts[:1000])  # warm-up: first-call allocations, power tables
    start = time.perf_counter()
    ours = model.score(texts)
    ours_s = time.perf_counter() - start
    ours_rss = peak_rss_mib()

    rows = [("Ballotguard " + model.version, ours_s, ours_rss)]
    try:
        from profanity_check import predict_prob
    except ImportError as exc:  # pragma: no cover
        print(f"alt-profanity-check not importable ({exc})")
    else:
        predict_prob(texts[:1000])
        start = time.perf_counter()
        predict_prob(texts)
        rows.append(("alt-profanity-check", time.perf_counter() - start, peak_rss_mib()))

    console = Console(width=110)
    table = Table(
        title=f"Abuse scoring: {len(texts):,} messages (mean {mean_chars:.0f} characters), single process, {os.cpu_count()} CPUs visible",
        title_justify="left",
    )
    for column in ("Scorer", "Seconds", "Messages / s", "Peak RSS so far (MiB)"):
        table.add_column(column, justify="left" if column == "Scorer" else "right")
    for name, seconds, rss in rows:
        table.add_row(name, f"{seconds:.2f}", f"{len(texts) / seconds:,.0f}", f"{rss:,.0f}")
    console.print(table)
    rate = len(texts) / ours_s
    console.print(f"Ballotguard: {rate:,.0f} messages/s ({'meets' if rate >= 5000 else 'BELOW'} the 5,000/s target); scores in [0, 1]: {bool(((ours >= 0) & (ours <= 1)).all())}")


if __name__ == "__main__":
    main()
