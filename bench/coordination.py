"""Coordination detection against the QUT coordination-network-toolkit, on the same files in the same run.

Generates seeded reply traffic with planted groups (:mod:`bench.coordination_data`, or with ``--corpus``
:mod:`bench.coordination_stress` or :mod:`bench.coordination_heldout`; 100,000 messages
by default; ``--sizes 100000,300000,1000000,3000000,10000000`` for a growth table, ``--large`` adds
1,000,000), then runs each detector in its own process on the same CSV:

- **Ballotguard**: ``ballotguard.engines.coordination.readers.read_actions`` + ``coordination.detect`` with
  its defaults (all default behaviours) and the given ``--window``, ``--similarity`` and ``--min-weight``.
- **Peer**: ``coordination-network-toolkit`` 1.5.2 (PyPI), ``preprocess`` then ``compute
  co_similar_tweet`` with the same window, similarity threshold and minimum edge weight (its
  default ``--min_document_size_similarity 0``) and ``n_threads`` = the number of cores; its
  campaigns are the connected components of its network without loops. It is run only up to
  ``--peer-max`` messages (default 300,000): above that it takes many minutes.

For each: wall time (reading included), CPU time, peak resident memory (the worker's own high-water
mark; for the peer, the largest of it and its pool processes), planted groups recovered (at least
80% of a group's members in one campaign that is at least 80% that group) and background accounts
in any campaign (those in campaigns called ``scheduled``, on a timer, included; Ballotguard's are also
counted apart, with any planted group called scheduled); the ratio of the peer's wall time
and memory to ours; and the 1-minute load average before and after each run, because on a shared
machine other work slows every figure down (CPU time is the steadier measure there).

If the toolkit is not importable here, give ``--peer-python`` an interpreter that has it
(``python -m venv /tmp/cnt && /tmp/cnt/bin/pip install coordination-network-toolkit==1.5.2``); without
one the bench says so and prints Ballotguard's figures alone.

Run:
    .venv/bin/python bench/coordination.py [--messages 100000 | --sizes 100000,1000000] [--days 7] [--large]
        [--repeat 1] [--peer-python /tmp/cnt/bin/python] [--peer-max 300000] [--json-out results.json]
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

# Each worker runs in a fresh interpreter so peak memory is its own: VmHWM, the high-water mark of its
# own address space (ru_maxrss would not do: Linux carries the parent's peak across fork and exec, so
# every worker would report at least the generator's memory). It prints one JSON line:
# {"seconds", "peak_rss_mib", "campaigns": [[account, ...], ...]}.
OURS_WORKER = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from ballotguard.engines.coordination.detection import Settings, detect
from ballotguard.engines.coordination.readers import read_actions
path, window, similarity, min_weight = sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
start = time.perf_counter()
actions = read_actions(path)
read = time.perf_counter() - start
found = detect(actions.frame, Settings(window=window, similarity=similarity, min_edge_weight=min_weight))
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_SELF)
peak = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]) / 1024
print(json.dumps({"seconds": seconds, "read_seconds": read, "cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_rss_mib": peak,
                  "bad_rows": actions.rejected, "stats": found.stats, "campaigns": [list(c.accounts) for c in found.campaigns],
                  "kinds": [c.kind for c in found.campaigns],
                  "edges": [[e.account_a, e.account_b, list(e.behaviours)] for e in found.edges]}))
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
usage = resource.getrusage(resource.RUSAGE_SELF)
cpu = usage.ru_utime + usage.ru_stime + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime
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
peak = max(int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_rss_mib": peak, "edges": len(edges), "campaigns": [sorted(g) for g in groups.values()]}))
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


def background_roles(campaigns: list[list[str]], groups: dict[str, list[str]], roles: dict[str, str]) -> dict[str, int]:
    """Background accounts in any campaign by the part the corpus gave them (``roles``: account → role,
    e.g. the stress corpus's ``hyper`` and ``bot``; everyone else is ``ordinary``)."""
    planted = {a for members in groups.values() for a in members}
    out: dict[str, int] = {}
    for a in {a for campaign in campaigns for a in campaign} - planted:
        role = roles.get(a, "ordinary")
        out[role] = out.get(role, 0) + 1
    return dict(sorted(out.items()))


def scheduled_accounts(campaigns: list[list[str]], kinds: list[str], groups: dict[str, list[str]]) -> dict[str, int]:
    """Accounts in campaigns the detector called ``scheduled`` (most members post on a timer): all of them,
    those that are not in a planted group, and the planted groups called scheduled (a planted group is
    people, so it never should be: a group counts when most of its members sit in scheduled campaigns).
    Background accounts are still counted in the background figure; this is a separate count."""
    planted = {a for members in groups.values() for a in members}
    timed = {a for campaign, kind in zip(campaigns, kinds, strict=True) if kind == "scheduled" for a in campaign}
    groups_called = sum(2 * len(timed & set(m)) > len(m) for m in groups.values())
    return {"campaigns": kinds.count("scheduled"), "accounts": len(timed), "background": len(timed - planted),
            "planted": len(timed & planted), "planted_groups": groups_called}


def per_behaviour(edges: list, groups: dict[str, list[str]]) -> dict[str, dict]:
    """For each behaviour: edges that carry it, how many of those join two members of one planted group
    (precision), and how many of the planted groups' member pairs it links (recall)."""
    group_of: dict[str, set[str]] = {}
    for name, members in groups.items():
        for a in members:
            group_of.setdefault(a, set()).add(name)
    planted_pairs = sum(len(m) * (len(m) - 1) // 2 for m in groups.values())
    out: dict[str, dict] = {}
    for a, b, behaviours in edges:
        inside = bool(group_of.get(a, set()) & group_of.get(b, set()))
        for behaviour in behaviours:
            row = out.setdefault(behaviour, {"edges": 0, "inside": 0})
            row["edges"] += 1
            row["inside"] += inside
    for row in out.values():
        row["precision"] = row["inside"] / row["edges"] if row["edges"] else 0.0
        row["recall"] = row["inside"] / planted_pairs if planted_pairs else 0.0
    return dict(sorted(out.items()))


class _StressTraffic:
    """:mod:`bench.coordination_stress` behind the interface the bench uses for the project's generator."""

    def __init__(self, stress):
        self.stress = stress
        self.groups = stress.groups
        self.planted_accounts = stress.planted_accounts
        self.roles = stress.roles

    def write_csv(self, path) -> None:
        self.stress.write_csv(path)


def background_behaviours(edges: list, groups: dict[str, list[str]]) -> dict[str, int]:
    """For each behaviour: edges that carry it and touch an account outside every planted group (what
    drew the background accounts in)."""
    planted = {a for members in groups.values() for a in members}
    out: dict[str, int] = {}
    for a, b, behaviours in edges:
        if a not in planted or b not in planted:
            for behaviour in behaviours:
                out[behaviour] = out.get(behaviour, 0) + 1
    return dict(sorted(out.items()))


def make_traffic(corpus: str, size: int, args, seed: int):
    if corpus == "heldout":
        from bench.coordination_heldout import generate as heldout

        return heldout(size, accounts=args.accounts, days=args.days, groups=args.groups, seed=seed)
    if corpus == "stress":
        from bench.coordination_stress import generate as stress

        return _StressTraffic(stress(size, days=args.days, groups=args.groups, seed=seed))
    from bench.coordination_data import generate

    return generate(size, accounts=args.accounts or 50_000, days=args.days, groups=args.groups, seed=seed)


def find_peer_python(explicit: str | None) -> str | None:
    candidates = [explicit] if explicit else [sys.executable, "/tmp/cnt/bin/python"]
    for python in candidates:
        if python and pathlib.Path(python).exists():
            probe = subprocess.run([python, "-c", "import coordination_network_toolkit"], capture_output=True, check=False)
            if probe.returncode == 0:
                return python
    return None


def run_worker(argv: list[str], timeout: float) -> dict:
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-2000:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - started
    # CPU time of the worker and every process it waited for (the peer's pool workers), seen from here;
    # it includes starting the interpreter and importing, which the worker's own clock does not.
    result["cpu_seconds"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result["load"] = (load_before, os.getloadavg()[0])
    return result


GERMAN = ROOT.parent / "shared" / "data" / "coordination" / "german_elections.csv"


def german(path: pathlib.Path, window: float, min_weight: int) -> list[dict]:
    """Co-link, co-hashtag, co-domain and co-image detection on CooRTweet's German election data.

    The file has one row per (post, link / hashtag / web site / image hash), so a post with three
    hashtags is three rows with one ``post_id``; rows are merged back into one action per post (its
    ids as lists) before detection, so that edge weights count posts, not rows. Ids are opaque
    integers (the data is anonymised): the same id is the same link, hashtag, site or image.
    """
    import polars as pl

    from ballotguard.engines.coordination.detection import Settings, detect

    started = time.perf_counter()
    raw = pl.read_csv(path, infer_schema=False)
    ids = ("url_id", "hashtag_id", "domain_id", "phash_id")
    posts = (
        raw.with_row_index("_row")
        .with_columns(pl.coalesce(pl.col("post_id"), pl.format("row-{}", "_row")).alias("message_id"), pl.col("timestamp").cast(pl.Float64).alias("time"))
        .group_by("message_id", "account_id", "time")
        .agg(*[pl.col(c).drop_nulls().unique().sort() for c in ids])
        .select(pl.col("account_id").alias("account"), "time", "message_id",
                pl.col("url_id").alias("urls"), pl.col("hashtag_id").alias("hashtags"),
                pl.col("domain_id").alias("domains"), pl.col("phash_id").alias("images"))
        .sort("message_id")
    )
    prepared = time.perf_counter() - started
    print(f"\n{path.name}: {raw.height:,} rows, {posts.height:,} posts by {posts['account'].n_unique():,} accounts "
          f"({posts.filter(pl.col('account').str.starts_with('fb_')).height:,} Facebook, "
          f"{posts.filter(pl.col('account').str.starts_with('tw_')).height:,} Twitter), read and merged in {prepared:.1f} s; "
          f"window {window:g} s, minimum edge weight {min_weight}, defaults otherwise")
    rows = []
    for label, behaviours in (("co-link", {"url"}), ("co-hashtag", {"hashtag"}), ("co-domain", {"domain"}), ("co-image", {"image"}),
                              ("all four", {"url", "hashtag", "domain", "image"})):
        t = time.perf_counter()
        found = detect(posts, Settings(window=window, min_edge_weight=min_weight, behaviours=behaviours))
        seconds = time.perf_counter() - t
        accounts = [a for c in found.campaigns for a in c.accounts]
        mixed = [c for c in found.campaigns if {a[:3] for a in c.accounts} == {"fb_", "tw_"}]
        biggest = [
            {"id": c.id, "accounts": len(c.accounts), "messages": len(c.message_ids), "edges": c.edges, "total_weight": c.total_weight,
             "behaviours": list(c.behaviours), "platforms": sorted({a[:2] for a in c.accounts}),
             "span_days": round((c.last_time - c.first_time) / 86_400, 1), "score": c.score}
            for c in sorted(found.campaigns, key=lambda c: (-len(c.accounts), c.id))[:3]
        ]
        row = {"behaviour": label, "seconds": round(seconds, 2), "shares": found.stats["shares"], "co_actions": found.stats["co_actions"],
               "directed_edges": found.directed_edges, "edges": len(found.edges), "campaigns": len(found.campaigns),
               "accounts_in_campaigns": len(accounts), "cross_platform_campaigns": len(mixed), "biggest": biggest,
               "top_scores": [{"id": c.id, "accounts": len(c.accounts), "score": c.score, "behaviours": list(c.behaviours)} for c in found.campaigns[:3]]}
        rows.append(row)
        print(f"  {label:<11} {seconds:>6.2f} s  shares {row['shares']:>8,}  co-actions {row['co_actions']:>8,}  edges {row['edges']:>6,} "
              f"(directed {row['directed_edges']:,})  campaigns {row['campaigns']:>5,}  accounts {row['accounts_in_campaigns']:>6,}  "
              f"cross-platform {row['cross_platform_campaigns']:>3}")
        for b in biggest:
            print(f"      biggest {b['id']}: {b['accounts']} accounts, {b['messages']} posts, {b['edges']} edges (weight {b['total_weight']}), "
                  f"{'/'.join(b['platforms'])}, over {b['span_days']} days, score {b['score']:g}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000, help="messages in the file (default 100,000)")
    parser.add_argument("--sizes", default=None, help="comma-separated message counts, e.g. 100000,300000,1000000 (overrides --messages)")
    parser.add_argument("--large", action="store_true", help="also run at 1,000,000 messages")
    parser.add_argument("--days", type=int, default=7, help="span in days (default 7; try 30)")
    parser.add_argument("--accounts", type=int, default=None,
                        help="accounts in the generated traffic (default: 50,000 for the project corpus, one per 5 messages for heldout)")
    parser.add_argument("--groups", type=int, default=12)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--seeds", default=None, help="comma-separated seeds: every size is run once per seed (overrides --seed)")
    parser.add_argument("--corpus", choices=("project", "stress", "heldout"), default="project",
                        help="project: bench/coordination_data.py (the generator the old defaults were chosen on); "
                             "stress: bench/coordination_stress.py (independent, every failure mode of issue 13); "
                             "heldout: bench/coordination_heldout.py (written from issue 13's description alone, without reading the engine)")
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--similarity", type=float, default=0.7, help="for both detectors (default 0.7, Ballotguard's default)")
    parser.add_argument("--min-weight", type=int, default=2, help="minimum edge weight for both (default 2, Ballotguard's default)")
    parser.add_argument("--repeat", type=int, default=1, help="run Ballotguard this many times per size and report the fastest (default 1)")
    parser.add_argument("--peer-python", default=None, help="an interpreter with coordination-network-toolkit installed (default: this one, then /tmp/cnt/bin/python)")
    parser.add_argument("--peer-max", type=int, default=300_000, help="run the peer only up to this many messages (default 300,000)")
    parser.add_argument("--peer-timeout", type=float, default=3600, help="seconds before giving up on the peer (default 3600)")
    parser.add_argument("--json-out", type=pathlib.Path, default=None, help="also write every figure to this JSON file")
    parser.add_argument("--german", nargs="?", const=GERMAN, type=pathlib.Path, default=None, metavar="CSV",
                        help=f"instead: co-link/-hashtag/-domain/-image detection on CooRTweet's German election data (default {GERMAN})")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.german:
        rows = german(args.german, args.window, args.min_weight)
        if args.json_out:
            args.json_out.write_text(json.dumps(rows, indent=1))
        return
    peer_python = find_peer_python(args.peer_python)
    if peer_python is None:
        print(f"The peer, coordination-network-toolkit, is not installed: `pip install {PEER_PIN}` "
              "(into this venv, or a separate one passed with --peer-python). Printing Ballotguard's figures only.\n")
    if args.sizes:
        sizes = [int(x.replace("_", "")) for x in args.sizes.split(",") if x.strip()]
    else:
        sizes = [args.messages] + ([1_000_000] if args.large and args.messages != 1_000_000 else [])
    threads = os.cpu_count() or 1
    print(f"Window {args.window:g} s, similarity {args.similarity:g}, minimum edge weight {args.min_weight}; "
          f"{f'{args.accounts:,}' if args.accounts else 'default'} accounts, {args.days} days, {args.groups} planted groups; {threads} cores.")
    table = []
    seeds = [int(x) for x in args.seeds.split(",")] if args.seeds else [args.seed]
    print(f"Corpus: {args.corpus}; seeds {', '.join(map(str, seeds))}.")
    for size, seed in [(size, seed) for size in sizes for seed in seeds]:
        traffic = make_traffic(args.corpus, size, args, seed)
        groups = traffic.groups
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / f"replies_{size}.csv"
            traffic.write_csv(path)
            planted = len(traffic.planted_accounts)
            roles = getattr(traffic, "roles", {})
            del traffic
            print(f"\n{size:,} messages, seed {seed} ({path.stat().st_size / 2**20:.1f} MiB CSV), {planted} planted accounts in {len(groups)} groups")
            common = [str(args.window), str(args.similarity), str(args.min_weight)]
            results = {}
            runs = [run_worker([sys.executable, "-c", OURS_WORKER, str(ROOT), str(path), *common], timeout=args.peer_timeout) for _ in range(max(1, args.repeat))]
            results["Ballotguard"] = min(runs, key=lambda r: r["seconds"])
            if len(runs) > 1:
                results["Ballotguard"]["all_seconds"] = [round(r["seconds"], 2) for r in runs]
            if peer_python and size <= args.peer_max:
                try:
                    results["QUT toolkit 1.5.2 co_similar_tweet"] = run_worker(
                        [peer_python, "-c", PEER_WORKER, str(path), *common, str(threads)], timeout=args.peer_timeout)
                except subprocess.TimeoutExpired:
                    print(f"  the peer did not finish within {args.peer_timeout:g} s")
            print(f"  {'detector':<36} {'wall s':>8} {'cpu s':>7} {'peak RSS MiB':>13} {'groups recovered':>17} {'background accts':>17} {'campaigns':>10} {'load before/after':>18}")
            for name, r in results.items():
                recovered, background = score(r["campaigns"], groups)
                r["recovered"], r["background"] = recovered, background
                print(f"  {name:<36} {r['seconds']:>8.2f} {r['cpu_seconds']:>7.1f} {r['peak_rss_mib']:>13.0f} {recovered:>11} / {len(groups):<3} {background:>17,} "
                      f"{len(r['campaigns']):>10,} {r['load'][0]:>9.2f}/{r['load'][1]:.2f}")
                table.append({"messages": size, "seed": seed, "corpus": args.corpus, "days": args.days, "detector": name,
                              **{k: v for k, v in r.items() if k not in ("campaigns", "edges", "kinds")}, "campaigns": len(r["campaigns"])})
                if "kinds" in r:
                    r["scheduled"] = scheduled_accounts(r["campaigns"], r["kinds"], groups)
                    table[-1]["scheduled"] = r["scheduled"]
                    sch = r["scheduled"]
                    print(f"    scheduled campaigns {sch['campaigns']}: {sch['accounts']} accounts ({sch['background']} background, "
                          f"{sch['planted']} planted); planted groups called scheduled: {sch['planted_groups']} of {len(groups)}")
                if roles:
                    r["background_roles"] = background_roles(r["campaigns"], groups, roles)
                    table[-1]["background_roles"] = r["background_roles"]
                    print("    background by role: " + ", ".join(f"{k} {v}" for k, v in r["background_roles"].items()))
                if isinstance(r.get("edges"), list):
                    table[-1]["per_behaviour"] = per_behaviour(r["edges"], groups)
                    print("    per behaviour (edges, precision = within one planted group, recall = planted pairs linked): " + "; ".join(
                        f"{b} {v['edges']:,} {v['precision']:.2f}/{v['recall']:.2f}" for b, v in table[-1]["per_behaviour"].items()))
                    table[-1]["background_behaviours"] = background_behaviours(r["edges"], groups)
                    print("    edges touching a background account, by behaviour: " + (", ".join(
                        f"{b} {v:,}" for b, v in table[-1]["background_behaviours"].items()) or "none"))
            if "all_seconds" in results["Ballotguard"]:
                print(f"  Ballotguard runs: {results['Ballotguard']['all_seconds']} s (fastest shown)")
            if len(results) == 2:
                ours, peer = results.values()
                print(f"  ratio peer / Ballotguard: wall time {peer['seconds'] / max(ours['seconds'], 1e-9):.1f}x, "
                      f"CPU time {peer['cpu_seconds'] / max(ours['cpu_seconds'], 1e-9):.1f}x, "
                      f"peak memory {peer['peak_rss_mib'] / max(ours['peak_rss_mib'], 1e-9):.1f}x")
    ours = [r for r in table if r["detector"] == "Ballotguard"]
    if len(ours) > 1:
        print("\nGrowth (Ballotguard):")
        print(f"  {'messages':>12} {'wall s':>8} {'read s':>7} {'cpu s':>7} {'peak RSS MiB':>13} {'recovered':>10} {'background':>11} {'scheduled':>10} {'load':>11}")
        for r in ours:
            print(f"  {r['messages']:>12,} {r['seconds']:>8.2f} {r['read_seconds']:>7.2f} {r['cpu_seconds']:>7.1f} {r['peak_rss_mib']:>13.0f} "
                  f"{r['recovered']:>6} / {args.groups:<2} {r['background']:>11,} {r.get('scheduled', {}).get('accounts', 0):>10,} {r['load'][0]:>5.2f}/{r['load'][1]:.2f}")
    if args.json_out:
        args.json_out.write_text(json.dumps(table, indent=1))
    print(f"\nPeak RSS of this driver (generation): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
