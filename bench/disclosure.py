"""Disclosure control on the national demo: cell-key perturbation against the linked suppression it
replaced (the named peer), in the same run, on the same incidents.

Issue 16, point 3: suppression hid most of the constituency map. This prints, for the GE2024
national snapshot of the national demo (``ballotguard.demo.national``: every constituency, fake
candidates, about 6,000 incidents):

1. **the map**: the share of constituencies whose figure is shown, under each method;
2. **differencing within the snapshot**: for every constituency with a true count from 1 to 4, the
   attacker's estimate "its region's published total minus the region's other published
   constituencies" (computable only when all of those are shown): how often it equals the truth;
3. **differencing two totals**: for those same constituencies, the national total against the
   national total without that constituency's incidents (a table with and without a filter): how
   often the difference of the two published totals equals the truth. Suppression publishes both
   large totals exactly, so it always does;
4. how far the published figures are from the truth (mean absolute change of the constituencies).

The record keys come from ``core.matching.record_keys`` with the throwaway deployment's key, as in
production.

Run:
    .venv/bin/python bench/disclosure.py                       # PostgreSQL at 127.0.0.1:5432
    .venv/bin/python bench/disclosure.py --constituencies 120  # quicker

Skips (exit 0, saying why) when PostgreSQL is not reachable or ``../shared/data/uk`` is absent.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.insights import DATA, DEFAULT_PG, pg_problem, throwaway_database  # noqa: E402


def measure(constituencies: int | None) -> dict:
    import polars as pl
    from rich.console import Console

    from ballotguard.demo import national as national_demo
    from ballotguard.engines.insights import figures as engine
    from ballotguard.engines.insights.disclosure import perturb
    from ballotguard.insights import services

    t = time.perf_counter()
    national_demo.build_national(DATA, constituencies=constituencies, console=Console())
    built = time.perf_counter() - t
    frames = services.load_frames()
    election = next(e for e in frames.elections if e.election_id == national_demo.GE2024_ID)
    cands, incs = engine.in_scope(frames.candidates, frames.incidents, election=election.election_id, force=None)
    threshold = services.threshold()
    out = {"built_s": built, "candidates": cands.height, "incidents": incs.height}
    truth = {a: k.count for a, k in engine.keyed_by(incs, "constituency").items() if a}
    areas = sorted(a for a in cands["constituency"].unique().to_list() if a)
    region_of = dict(cands.select("constituency", "region").unique("constituency").iter_rows())
    small = [a for a in areas if 1 <= truth.get(a, 0) < threshold]
    out["areas"], out["small"] = len(areas), len(small)
    whole = engine.keyed_all(incs)
    for name, perturbed in (("suppression (peer)", False), ("cell-key perturbation", True)):
        t = time.perf_counter()
        geo = engine.geography(cands, incs, "constituency", threshold, perturbed=perturbed)
        seconds = time.perf_counter() - t
        shown = {a: geo[("area", a)].value for a in areas if not geo[("area", a)].suppressed}
        regions = {k[1]: c.value for k, c in geo.items() if k[0] == "region"}
        # 2. region minus its other constituencies, where every term is published
        recovered = attempted = 0
        for a in small:
            others = [b for b in areas if region_of[b] == region_of[a] and b != a]
            if regions.get(region_of[a]) is None or any(b not in shown for b in others):
                continue
            attempted += 1
            recovered += regions[region_of[a]] - sum(shown[b] for b in others) == truth[a]
        # 3. two totals: everything, and everything but this constituency's incidents
        two = 0
        for a in small:
            rest = incs.filter(pl.col("constituency") != a)
            if perturbed:
                with_, without = perturb(whole, threshold).value, perturb(engine.keyed_all(rest), threshold).value
            else:  # both totals are large: published exactly
                with_, without = whole.count, rest.height
            two += with_ - without == truth[a]
        changes = [abs(shown[a] - truth.get(a, 0)) for a in shown]
        out[name] = {
            "shown": len(shown), "share_shown": len(shown) / len(areas), "small_shown_as_itself": sum(shown.get(a) == truth[a] for a in small),
            "region_attack_attempted": attempted, "region_attack_recovered": recovered,
            "two_totals_recovered": two, "mean_abs_change": sum(changes) / len(changes) if changes else 0.0, "seconds": seconds,
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG),
                        help=f"a PostgreSQL server to create the throwaway database on (default {DEFAULT_PG})")
    parser.add_argument("--constituencies", type=int, default=None, help="national demo for a subset of N constituencies (quicker)")
    args = parser.parse_args()
    problem = pg_problem(args.database_url)
    if problem:
        print(f"bench/disclosure.py skipped: PostgreSQL is not reachable at {args.database_url} ({problem}).")
        return 0
    from ballotguard.demo import national as national_demo

    reason = national_demo.skip_reason(DATA)
    if reason:
        print(f"bench/disclosure.py skipped: {reason}.")
        return 0
    with throwaway_database(args.database_url, keep=False):
        r = measure(args.constituencies)
    print(f"National demo built in {r['built_s']:.1f} s. GE2024, national: {r['candidates']:,} candidates, {r['incidents']:,} incidents, "
          f"{r['areas']} constituencies, {r['small']} with a true count from 1 to 4.")
    print(f"{'method':<24}{'map shown':>16}{'small shown as itself':>24}{'region − others = truth':>26}{'two totals = truth':>22}{'mean |change|':>15}{'seconds':>9}")
    for name in ("suppression (peer)", "cell-key perturbation"):
        m = r[name]
        print(f"{name:<24}{m['shown']:>6} ({100 * m['share_shown']:5.1f}%){m['small_shown_as_itself']:>24}"
              f"{m['region_attack_recovered']:>14} of {m['region_attack_attempted']:<9}{m['two_totals_recovered']:>12} of {r['small']:<7}"
              f"{m['mean_abs_change']:>15.2f}{m['seconds']:>9.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
