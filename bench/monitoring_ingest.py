"""Ingest and score messages end to end, and show that memory does not grow with the file.

Generates a seeded JSONL file of replies to 50 candidates (mostly ordinary political replies, ~6%
abusive, ~1% threatening, a few exposing a candidate's postcode), then, each in a fresh process
and a fresh database, runs:

- **Ballotguard**: ``ingest_file`` as ``ballotguard ingest-messages`` does it: parse and check every
  row, route by handle, score abuse (the committed model), threats and exposure, encrypt five fields,
  insert in batches of 2,000;
- **peer, "raw load"**: the floor any ingest pays: ``json.loads`` per line and ``executemany`` into
  a plain SQLite table with the same columns, no checks, no scoring, no encryption.

Ballotguard runs once per ``--score-processes`` value (default 1 and 2: scoring in one process, or
in a forked process beside the one that reads and stores, as ``ingest-messages`` does by default on
two cores). Both are run at two sizes (default 100,000 and 1,000,000 messages); peak RSS at both sizes shows
whether memory grows with the file. Target: 1,000,000 messages in under 5 minutes.

The threat scorer is the one ``BALLOTGUARD_THREAT_SCORER`` chooses (``learned`` by default; ``rules``
for the rules alone): run it once with each to see what the learned scorer costs.

Run:
    .venv/bin/python bench/monitoring_ingest.py                       # 100k and 1M, temporary SQLite
    .venv/bin/python bench/monitoring_ingest.py --sizes 20000 100000  # quicker
    .venv/bin/python bench/monitoring_ingest.py --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CANDIDATES = 50
ORDINARY = [
    "What is your position on {topic}?", "Good luck on Thursday", "Your party has failed {place} on {topic}",
    "well said", "resign", "Thanks for answering my email about {topic}", "Where were you at the {place} hustings?",
    "Not voting for you after what you said about {topic}", "Disappointed by your answer on {topic}, do better",
]
ABUSIVE = ["you are a pathetic lying idiot", "shut up you stupid cow", "what a disgusting excuse for a human being",
           "get out of politics you absolute moron", "f*** off you clown"]
THREATS = ["we know where you live", "you'll end up like Jo Cox", "someone should put a bullet in you",
           "I'm going to find you after the count"]
TOPICS = ["bins", "potholes", "the NHS", "council tax", "housing", "the LTN", "immigration", "net zero", "buses", "schools"]
PLACES = ["Yardley", "Erdington", "Selly Oak", "Hodge Hill", "Ladywood", "Perry Barr"]
POSTCODES = [f"B{n} {n % 9 + 1}AA" for n in range(1, CANDIDATES + 1)]


def generate(path: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = dt.datetime(2025, 4, 1, tzinfo=dt.timezone.utc)
    with path.open("w") as out:
        for i in range(n):
            roll = rng.random()
            who = rng.randrange(CANDIDATES)
            if roll < 0.01:
                text = rng.choice(THREATS)
            elif roll < 0.07:
                text = rng.choice(ABUSIVE)
            elif roll < 0.0705:
                text = f"pay a visit, {POSTCODES[who]}"
            else:
                text = rng.choice(ORDINARY).format(topic=rng.choice(TOPICS), place=rng.choice(PLACES))
            out.write(json.dumps({
                "platform": "x", "message_id": str(i), "author_handle": f"acct_{rng.randrange(50_000)}",
                "text": text, "sent_at": (start + dt.timedelta(seconds=i * 2)).isoformat(), "mentions": [f"cand_{who}"],
            }) + "\n")


def child_ballotguard(path: Path, database_url: str, score_processes: int = 1) -> dict:
    from bench._db import fresh_database

    with fresh_database(database_url):
        from ballotguard.accounts.services import Actor
        from ballotguard.engines.abuse.model import default_model
        from ballotguard.monitoring.services import ingest_file
        from ballotguard.registry.models import Area, AreaForce, Ballot, Candidate, Election, PoliceForce, SocialHandle

        force = PoliceForce.objects.create(code="E23000014", name="West Midlands", nation="England")
        area = Area.objects.create(code="E14001100", name="Birmingham Yardley", slug="birmingham-yardley", area_type="constituency")
        AreaForce.objects.create(area=area, force=force, population_share=1.0, is_primary=True)
        election = Election.objects.create(election_id="parl.2024-07-04", election_type="parl", date=dt.date(2024, 7, 4), name="GE", operation="bridger")
        ballot = Ballot.objects.create(ballot_paper_id="parl.birmingham-yardley.2024-07-04", election=election, area=area, post_label="Yardley")
        for c in range(CANDIDATES):
            candidate = Candidate.objects.create(ballot=ballot, person_id=str(c), name=f"Candidate {c}", postcode=POSTCODES[c], consent_to_share=True)
            SocialHandle.objects.create(candidate=candidate, platform="x", handle=f"cand_{c}")
        default_model()  # loaded before the clock starts, as in a running worker
        started = time.perf_counter()
        with path.open("rb") as stream:
            report = ingest_file(Actor.cli(), stream, path.name, score_processes=score_processes)
        seconds = time.perf_counter() - started
        from ballotguard.monitoring.models import Message

        return {"seconds": seconds, "created": report.created, "flagged": report.flagged, "rejected": report.rejected,
                "exposed": Message.objects.filter(exposes_contact=True).count()}


def child_raw(path: Path, database_url: str) -> dict:
    import sqlite3

    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(Path(tmp) / "raw.sqlite3")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE message (id INTEGER PRIMARY KEY, platform TEXT, message_id TEXT, author TEXT, text TEXT, sent_at TEXT, mentions TEXT, UNIQUE(platform, message_id))")
        started = time.perf_counter()
        batch = []
        created = 0
        with path.open("rb") as stream:
            for line in stream:
                row = json.loads(line)
                batch.append((row["platform"], row["message_id"], row["author_handle"], row["text"], row["sent_at"], " ".join(row["mentions"])))
                if len(batch) == 2000:
                    db.executemany("INSERT OR IGNORE INTO message (platform, message_id, author, text, sent_at, mentions) VALUES (?,?,?,?,?,?)", batch)
                    db.commit()
                    created += len(batch)
                    batch = []
        db.executemany("INSERT OR IGNORE INTO message (platform, message_id, author, text, sent_at, mentions) VALUES (?,?,?,?,?,?)", batch)
        db.commit()
        created += len(batch)
        return {"seconds": time.perf_counter() - started, "created": created, "flagged": 0, "rejected": 0, "exposed": 0}


def run_child(kind: str, path: Path, database_url: str, score_processes: int = 1) -> dict:
    """One measurement in its own process, so its peak RSS is its own."""
    cmd = [sys.executable, __file__, "--child", kind, str(path), "--database-url", database_url, "--score-processes", str(score_processes)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    output = proc.stdout.read()
    if status != 0:
        raise SystemExit(f"{kind} failed:\n{output}")
    result = json.loads(output.strip().splitlines()[-1])
    result["peak_rss_mb"] = usage.ru_maxrss / 1024
    # CPU seconds of the child: on a shared machine wall-clock time rises with other people's load,
    # CPU time much less, so both are printed.
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--score-processes", type=int, nargs="+", default=[1, 2], metavar="N",
                        help="run Ballotguard once with each number of scoring processes (ingest-messages --score-processes)")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, file = args.child
        result = (child_ballotguard(Path(file), args.database_url, args.score_processes[0]) if kind == "ballotguard"
                  else child_raw(Path(file), args.database_url))
        print(json.dumps(result))
        return
    database = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
    print(f"Ingest and score end to end, {database}, {os.cpu_count()} CPUs; peer: raw load (json.loads + executemany, no checks/scoring/encryption)")
    threat = os.environ.get("BALLOTGUARD_THREAT_SCORER", "learned")
    print(f"Threat scorer: {threat} (BALLOTGUARD_THREAT_SCORER); load average at start {os.getloadavg()[0]:.2f}")
    print(f"{'messages':>10}  {'engine':<12} {'seconds':>8} {'msg/s':>9} {'CPU s':>8} {'msg/CPU s':>10} {'peak RSS MB':>12} {'flagged':>8} {'exposed':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            path = Path(tmp) / f"messages-{size}.jsonl"
            generate(path, size)
            for kind, processes in [*((f"ballotguard×{n}", n) for n in args.score_processes), ("raw load", 1)]:
                r = run_child("raw" if kind == "raw load" else "ballotguard", path, args.database_url, processes)
                print(f"{size:>10,}  {kind:<12} {r['seconds']:>8.1f} {size / r['seconds']:>9,.0f} {r['cpu_seconds']:>8.1f} {size / r['cpu_seconds']:>10,.0f} "
                      f"{r['peak_rss_mb']:>12,.0f} {r['flagged']:>8,} {r['exposed']:>8,}", flush=True)
            path.unlink()
    print(f"Target: 1,000,000 messages in under 300 s, with peak memory the same at every size. Load average at end {os.getloadavg()[0]:.2f} (shared machine).")


if __name__ == "__main__":
    main()
