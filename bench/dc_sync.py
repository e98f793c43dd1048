"""A full Democracy Club sync at Operation Ford scale (tens of thousands of local candidates), from a replay.

On a fresh database with the real UK geography (``../shared/data/uk/geography``: 7,536 wards in 361
councils), a seeded set of local-election ballots, one per ward with three to eight candidates
(about 40,000 candidacies), is served by a local HTTP server in the candidates API's paged JSON shape
(200 ballots a page, ``next`` links), and ``sync`` reads and imports all of it; then it runs again
(the incremental run: nothing changed, only the overlap re-read).

Peer, in the same run on the same rows: ``import-candidates`` of the same candidacies as one
Democracy Club CSV file, in its own fresh database. The sync pays for HTTP, JSON and paging on top.

Run:
    .venv/bin/python bench/dc_sync.py                  # temporary SQLite
    .venv/bin/python bench/dc_sync.py --seed 2
    .venv/bin/python bench/dc_sync.py --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
GEOGRAPHY = ROOT.parent / "shared" / "data" / "uk" / "geography"
DATE = "2026-05-07"
PARTIES = [("PP53", "Labour Party"), ("PP52", "Conservative and Unionist Party"), ("PP90", "Liberal Democrats"),
           ("PP63", "Green Party"), ("PP7931", "Reform UK"), ("ynmp-party:2", "Independent")]


def ballots(seed: int) -> list[dict]:
    from django.utils.text import slugify

    from ballotguard.registry.models import Area

    rng = random.Random(seed)
    out, person = [], 100_000
    wards = Area.objects.filter(area_type="ward", parent__isnull=False).select_related("parent").order_by("code")
    for ward in wards:
        council = ward.parent
        election_id = f"local.{slugify(council.name)}.{DATE}"
        candidacies = []
        for _ in range(rng.randrange(3, 9)):
            person += 1
            party_id, party_name = rng.choice(PARTIES)
            candidacies.append({"elected": None, "party_name": party_name, "person": {"id": person, "name": f"Candidate {person}"},
                                "party": {"ec_id": party_id, "legacy_slug": party_id, "name": party_name}})
        out.append({"ballot_paper_id": f"local.{slugify(council.name)}.{slugify(ward.name)}.{DATE}",
                    "election": {"election_id": election_id, "election_date": DATE, "current": True, "organisation_name": council.name},
                    "post": {"label": ward.name}, "winner_count": rng.randrange(1, 4), "cancelled": False, "candidacies": candidacies,
                    "last_updated": f"2026-04-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:00:00Z"})
    return out


def serve(items: list[dict]) -> tuple[ThreadingHTTPServer, str, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            chosen = items if url.path == "/api/next/ballots/" else []
            since = query.get("last_updated") or query.get("modified")
            if since:
                chosen = [i for i in chosen if i["last_updated"].replace("Z", "+00:00") > since]
            size, page = int(query.get("page_size", 200)), int(query.get("page", 1))
            more = page * size < len(chosen)
            nxt = f"http://127.0.0.1:{server.server_address[1]}{url.path}?page_size={size}&page={page + 1}" + (f"&last_updated={since}" if since else "") if more else None
            data = json.dumps({"count": len(chosen), "next": nxt, "previous": None, "results": chosen[(page - 1) * size:page * size]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    return server, f"{base}/api/next/ballots/", f"{base}/api/elections/"


def child(kind: str, seed: int, database_url: str) -> dict:
    from bench._db import fresh_database

    with fresh_database(database_url):
        from ballotguard.registry.democracy_club import CSV_FIELDS, ballot_rows, sync
        from ballotguard.registry.importers import import_candidates, import_geography
        from ballotguard.registry.models import Candidate

        import_geography(GEOGRAPHY)
        items = ballots(seed)
        candidacies = sum(len(b["candidacies"]) for b in items)
        if kind == "sync":
            server, candidates_url, elections_url = serve(items)
            started = time.perf_counter()
            report = sync(full=True, candidates_url=candidates_url, elections_url=elections_url)
            full = time.perf_counter() - started
            started = time.perf_counter()
            again = sync(candidates_url=candidates_url, elections_url=elections_url)
            incremental = time.perf_counter() - started
            server.shutdown()
            return {"ballots": len(items), "candidacies": candidacies, "stored": Candidate.objects.count(), "seconds": full,
                    "rejected": len(report.rejected), "incremental_seconds": incremental, "incremental_ballots": again.ballots_read,
                    "incremental_created": again.candidates.get("created", 0)}
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for item in items:
            writer.writerows(ballot_rows(item))
        data = buffer.getvalue().encode()
        started = time.perf_counter()
        report = import_candidates(data, filename="candidates.csv")
        return {"ballots": len(items), "candidacies": candidacies, "stored": Candidate.objects.count(), "seconds": time.perf_counter() - started,
                "rejected": len(report.rejected)}


def run_child(kind: str, seed: int, database_url: str) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, str(seed), "--database-url", database_url]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, nargs="+", default=[1])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), args.database_url)))
        return
    if not GEOGRAPHY.is_dir():
        raise SystemExit(f"The UK geography is not at {GEOGRAPHY} (see ../shared/data/uk/SOURCE.md).")
    load = os.getloadavg()
    database = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
    print(f"Democracy Club sync at Operation Ford scale, {database}, {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (a shared machine)")
    print(f"{'seed':>4} {'ballots':>8} {'candidacies':>12} {'full sync':>22} {'incremental re-run':>26} {'import-candidates of the same CSV (peer)':>42}")
    for seed in args.seed:
        s = run_child("sync", seed, args.database_url)
        p = run_child("csv", seed, args.database_url)
        assert s["stored"] == p["stored"], (s, p)
        print(f"{seed:>4} {s['ballots']:>8,} {s['candidacies']:>12,} {s['seconds']:>9.1f} s ({s['candidacies'] / s['seconds']:>6,.0f}/s) "
              f"{s['incremental_seconds']:>9.1f} s ({s['incremental_ballots']:,} re-read) {p['seconds']:>20.1f} s ({p['candidacies'] / p['seconds']:>6,.0f}/s)"
              f"   stored {s['stored']:,}, rejected {s['rejected']:,}", flush=True)
    load = os.getloadavg()
    print(f"Load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
