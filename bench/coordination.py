"""Coordination detection against the QUT coordination-network-toolkit, on the same files in the same run.

Generates seeded reply traffic with planted groups (:mod:`bench.coordination_data`; 100,000 messages
by default, ``--large`` adds 1,000,000), then runs each detector in its own process on the same CSV:

- **Ballotguard**: ``ballotguard.engines.coordination_io.read_actions`` + ``coordination.detect`` with
  its defaults (all behaviours) and the given ``--window``, ``--similarity`` and ``--min-weight``.
- **Peer**: ``coordination-network-toolkit`` 1.5.2 (PyPI), ``preprocess`` then ``compute
  co_similar_tweet`` with the same window, similarity threshold and minimum edge weight (its
  default ``--min_document_size_similarity 0``) and ``n_threads`` = the number of cores; its
  campaigns are the connected components of its network without loops.

For each: wall time (reading included), peak resident memory (the process and its children), planted
groups recovered (at least 80% of a group's members in one campaign that is at least 80% that group)
and background accounts in any campaign; then the ratio of the peer's wall time and memory to ours.

If the toolkit is not importable here, give ``--peer-python`` an interpreter that has it
(``python -m venv /tmp/cnt && /tmp/cnt/bin/pip install coordination-network-toolkit==1.5.2``); without
one the bench says so and prints Ballotguard's figures alone.

Run:
    .venv/bin/python bench/coordination.py [--messages 100000] [--days 7] [--large] [--peer-python /tmp/cnt/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
PEER_PIN = "coordination-network-toolkit==1.5.2"

# Each worker runs in a fresh interpreter so peak memory is its own. It prints one JSON line:
# {"seconds", "peak_rss_mib", "campaigns": [[account, ...], ...]}.
OURS_WORKER = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from ballotguard.engines.coordination import Settings, detect
from ballotguard.engines.coordination_io import read_actions
path, window, similarity, min_weight = sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
start = time.perf_counter()
actions = read_actions(path)
found = detect(actions.frame, Settings(window=window, similarity=similarity, min_edge_weight=min_weight))
seconds = time.perf_counter() - start
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
print(json.dumps({"seconds": seconds, "peak_rss_mib": peak, "bad_rows": actions.rejected, "campaigns": [list(c.accounts) for c in found.campaigns]}))
"""

PEER_WORKER = r"""
import contextlib, io, json, os, resource, sqlite3, sys, tempfile, time
from coordination_network_toolkit.compute_networks import compute_co_similar_tweet
from coordination_network_toolkit.preprocess import preprocess_csv_files
path, window, similarity, min_weight, threads = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
db = os.path.join(tempfile.mkdtemp(), "peer.db")
start = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    preprocess_csv_files(db, [path])
    compute_co_similar_tweet(db, window, n_threads=threads, similarity_threshold=similarity, min_edge_weight=min_weight)
edges = sqlite3.connect(db).execute("select user_1, user_2 from co_similar_tweet_network where user_1 != user_2 and weight >= ?", (min_weight,)).fetchall()
seconds = time.perf_counter() - start
parent = {}
def find(a):
    parent.setdefault(a, a)
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a
for a, b in edges:
    ra, rb = find(a), find(b)
    if ra != rb:
        parent[max(ra, rb)] = min(ra, rb)
groups = {}
for a in list(parent):
    groups.setdefault(find(a), []).append(a)
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
print(json.dumps({"seconds": seconds, "peak_rss_mib": peak, "edges": len(edges), "campaigns": [sorted(g) for g in groups.values()]}))
"""


def score(campaigns: list[list[str]], groups: dict[str, list[str]]) -> tuple[int, int]:
    """(planted groups recovered, background accounts in any campaign)."""
    planted = {a for members in groups.values() for a in members}
    recovered = 0
    for members in groups.values():
        wanted = set(members)
        for campaign in campaigns:
            inside = wanted & set(campaign)
            if len(inside) >= 0.8 * len(wanted) and len(inside) >= 0.8 * len(campaign):
                recovered += 1
                break
    background = {a for campaign in campaigns for a in campaign} - planted
    return recovered, len(background)


def find_peer_python(explicit: str | None) -> str | None:
    candidates = [explicit] if explicit else [sys.executable, "/tmp/cnt/bin/python"]
    for python in candidates:
        if python and pathlib.Path(python).exists():
            probe = subprocess.run([python, "-c", "import coordination_network_toolkit"], capture_output=True)
            if probe.returncode == 0:
                return python
    return None


def run_worker(argv: list[str], timeout: float) -> dict:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-2000:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000, help="messages in the file (default 100,000)")
    parser.add_argument("--large", action="store_true", help="also run at 1,000,000 messages")
    parser.add_argument("--days", type=int, default=7, help="span in days (default 7; try 30)")
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--similarity", type=float, default=0.8)
    parser.add_argument("--min-weight", type=int, default=2, help="minimum edge weight for both (default 2, Ballotguard's default)")
    parser.add_argument("--peer-python", default=None, help="an interpreter with coordination-network-toolkit installed (default: this one, then /tmp/cnt/bin/python)")
    parser.add_argument("--peer-timeout", type=float, default=3600, help="seconds before giving up on the peer (default 3600)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.coordination_data import generate

    peer_python = find_peer_python(args.peer_python)
    if peer_python is None:
        print(f"The peer, coordination-network-toolkit, is not installed: `pip install {PEER_PIN}` "
              "(into this venv, or a separate one passed with --peer-python). Printing Ballotguard's figures only.\n")
    sizes = [args.messages] + ([1_000_000] if args.large and args.messages != 1_000_000 else [])
    threads = os.cpu_count() or 1
    print(f"Window {args.window:g} s, similarity {args.similarity:g}, minimum edge weight {args.min_weight}; "
          f"{args.accounts:,} accounts, {args.days} days, {args.groups} planted groups; {threads} cores.")
    for size in sizes:
        traffic = generate(size, accounts=args.accounts, days=args.days, groups=args.groups, seed=args.seed)
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / f"replies_{size}.csv"
            traffic.write_csv(path)
            print(f"\n{size:,} messages ({path.stat().st_size / 2**20:.1f} MiB CSV), {len(traffic.planted_accounts)} planted accounts in {len(traffic.groups)} groups")
            common = [str(args.window), str(args.similarity), str(args.min_weight)]
            results = {}
            results["Ballotguard"] = run_worker([sys.executable, "-c", OURS_WORKER, str(ROOT), str(path), *common], timeout=args.peer_timeout)
            if peer_python:
                try:
                    results["QUT toolkit 1.5.2 co_similar_tweet"] = run_worker(
                        [peer_python, "-c", PEER_WORKER, str(path), *common, str(threads)], timeout=args.peer_timeout)
                except subprocess.TimeoutExpired:
                    print(f"  the peer did not finish within {args.peer_timeout:g} s")
            print(f"  {'detector':<36} {'wall s':>8} {'peak RSS MiB':>13} {'groups recovered':>17} {'background accts':>17} {'campaigns':>10}")
            for name, r in results.items():
                recovered, background = score(r["campaigns"], traffic.groups)
                r["recovered"], r["background"] = recovered, background
                print(f"  {name:<36} {r['seconds']:>8.2f} {r['peak_rss_mib']:>13.0f} {recovered:>11} / {len(traffic.groups):<3} {background:>17,} {len(r['campaigns']):>10,}")
            if len(results) == 2:
                ours, peer = results.values()
                print(f"  ratio peer / Ballotguard: wall time {peer['seconds'] / max(ours['seconds'], 1e-9):.1f}x, "
                      f"peak memory {peer['peak_rss_mib'] / max(ours['peak_rss_mib'], 1e-9):.1f}x")
    print(f"\nPeak RSS of this driver (generation): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
