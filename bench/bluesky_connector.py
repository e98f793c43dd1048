"""The Bluesky connector's two rates: filtering the whole post stream, and storing + scoring the posts it keeps.

The post texts are real tweets, not ours: OLID 2019 (``../shared/data/abuse/olid2019``, 13,240
tweets with @USER mentions, about a third offensive). Each becomes a Jetstream frame in the
documented shape from one of 100,000 seeded authors; the structure (which posts mention, reply to
or quote one of 50 candidates' accounts, ~1% of the stream; links, tags, image embeds, replies among
strangers) is seeded, and the whole is measured with several seeds.

1. **Filter** (target 5,000 events/s or more): every frame through ``parse_frame`` and
   ``PostFilter.match``, in memory; then the same frames through the real connector from a local
   replay server over a WebSocket, receiver only (matched posts committed to the database buffer
   with the cursor, as in production). Peer: ``json.loads`` alone on the same frames, the floor of
   any JSON consumer.
2. **Store and score** (target 500 posts/s or more): the matched posts of a stream buffered, then
   ``drain`` (decrypt the buffer, route, score, encrypt, insert, delete from the buffer) until empty.
   Peer: the plain file ingest (``ingest_file``, as ``ballotguard ingest-messages``) of the same
   posts written as JSONL, in its own fresh database in the same run.

Run:
    .venv/bin/python bench/bluesky_connector.py                 # 100,000 frames, seeds 1 2 3, SQLite
    .venv/bin/python bench/bluesky_connector.py --frames 20000 --seeds 1
    .venv/bin/python bench/bluesky_connector.py --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
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

DATA = ROOT.parent / "shared" / "data" / "abuse" / "olid2019" / "olid-training-v1.0.tsv"
CANDIDATES = 50
T0 = 1_765_000_000_000_000


def candidate_did(c: int) -> str:
    return f"did:plc:cand{c:020d}"


def olid_texts() -> list[str]:
    if not DATA.is_file():
        raise SystemExit(f"The OLID tweets are not at {DATA} (see ../shared/data/abuse/SOURCE.md).")
    lines = DATA.read_text(encoding="utf-8").splitlines()[1:]
    return [line.split("\t")[1] for line in lines if line.count("\t") >= 2]


def stream(n: int, seed: int, texts: list[str]) -> tuple[list[str], int]:
    """``n`` frames and how many are addressed to a candidate."""
    from ballotguard.monitoring.connectors import frames

    rng = random.Random(seed)
    out, addressed = [], 0
    for i in range(n):
        t = T0 + i * 200  # 5,000 events a second of platform time
        author = f"did:plc:user{rng.randrange(100_000):020d}"
        text = rng.choice(texts)[:300]
        roll = rng.random()
        kw: dict = {}
        if roll < 0.004:
            c = rng.randrange(CANDIDATES)
            kw["mention"] = (candidate_did(c), f"cand{c}.bsky.social")
        elif roll < 0.008:
            kw["reply_to"] = f"at://{candidate_did(rng.randrange(CANDIDATES))}/app.bsky.feed.post/3kp{rng.randrange(999)}"
        elif roll < 0.010:
            kw["quote"] = f"at://{candidate_did(rng.randrange(CANDIDATES))}/app.bsky.feed.post/3kq{rng.randrange(999)}"
        elif roll < 0.35:
            kw["reply_to"] = f"at://did:plc:user{rng.randrange(100_000):020d}/app.bsky.feed.post/3kr{rng.randrange(999)}"
        elif roll < 0.45:
            kw["mention"] = (f"did:plc:user{rng.randrange(100_000):020d}", "someone.bsky.social")
        if rng.random() < 0.1:
            kw["link"] = "https://example.org/news"
        if rng.random() < 0.05:
            kw["tag"] = "politics"
        addressed += roll < 0.010
        out.append(frames.post(author, f"3k{seed}{i:09d}", t, text, **kw))
    return out, addressed


def setup_candidates() -> None:
    import datetime as dt

    from ballotguard.monitoring.models import WatchedAccount
    from ballotguard.registry.models import Area, AreaForce, Ballot, Candidate, Election, PoliceForce, SocialHandle

    force = PoliceForce.objects.create(code="E23000014", name="West Midlands", nation="England")
    area = Area.objects.create(code="E14001100", name="Birmingham Yardley", slug="birmingham-yardley", area_type="constituency")
    AreaForce.objects.create(area=area, force=force, population_share=1.0, is_primary=True)
    election = Election.objects.create(election_id="parl.2024-07-04", election_type="parl", date=dt.date(2024, 7, 4), name="GE", operation="bridger")
    ballot = Ballot.objects.create(ballot_paper_id="parl.birmingham-yardley.2024-07-04", election=election, area=area, post_label="Yardley")
    for c in range(CANDIDATES):
        candidate = Candidate.objects.create(ballot=ballot, person_id=str(c), name=f"Candidate {c}", consent_to_share=True)
        SocialHandle.objects.create(candidate=candidate, platform="bluesky", handle=f"cand{c}.bsky.social")
        WatchedAccount.objects.create(platform="bluesky", handle=f"cand{c}.bsky.social", account_id=candidate_did(c))


class _TableResolver:
    def resolve(self, handle: str) -> str:
        return candidate_did(int(handle.split(".")[0][4:]))


def child(kind: str, seed: int, n: int, database_url: str) -> dict:
    from bench._db import fresh_database

    texts = olid_texts()
    with fresh_database(database_url):
        from ballotguard.accounts.services import Actor
        from ballotguard.engines.messages import jetstream
        from ballotguard.engines.abuse.model import default_model
        from ballotguard.monitoring.connectors.bluesky import BlueskyConnector, drain
        from ballotguard.monitoring.connectors.replay import JetstreamReplay
        from ballotguard.monitoring.models import BufferedPost, Message, Source
        from ballotguard.monitoring.services import ingest_file

        setup_candidates()
        frames_, addressed = stream(n, seed, texts)
        watched = {candidate_did(c): f"cand{c}.bsky.social" for c in range(CANDIDATES)}
        if kind == "filter":
            started = time.perf_counter()
            for f in frames_:
                json.loads(f)
            peer = time.perf_counter() - started
            flt = jetstream.PostFilter(watched)
            started = time.perf_counter()
            kept = sum(flt.match(jetstream.parse_frame(f)) is not None for f in frames_)
            pure = time.perf_counter() - started
            with JetstreamReplay(frames_) as replay:
                connector = BlueskyConnector(replay.url, _TableResolver(), drain=False, flush_seconds=1.0)
                started = time.perf_counter()
                connector.run(idle_exit=0.5)
                wire = time.perf_counter() - started - 0.5  # less the idle wait that ends the run
            state = Source.objects.get(name="bluesky")
            return {"frames": n, "addressed": addressed, "kept": kept, "buffered": BufferedPost.objects.count(), "events_read": state.events,
                    "peer_s": peer, "filter_s": pure, "wire_s": wire}
        # store and score
        default_model()  # loaded before the clock starts, as in a running worker
        flt = jetstream.PostFilter(watched)
        records = []
        for f in frames_:
            event = jetstream.parse_frame(f)
            if (found := flt.match(event)) is not None:
                records.append(jetstream.to_record(event, found, watched))
        if kind == "drain":
            from ballotguard.monitoring.connectors.bluesky import record_to_json

            BufferedPost.objects.bulk_create([BufferedPost(source="bluesky", message_id=r.message_id, record=record_to_json(r)) for r in records])
            started = time.perf_counter()
            while drain(Actor.cli(), batch=500):
                pass
            seconds = time.perf_counter() - started
        else:  # the plain file ingest of the same posts
            with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as out:
                for r in records:
                    out.write(json.dumps({"platform": "bluesky", "message_id": r.message_id, "text": r.text, "sent_at": r.sent_at.isoformat(),
                                          "author_handle": r.author_handle, "reply_to": r.reply_to, "mentions": list(r.mentions),
                                          "urls": list(r.urls), "hashtags": list(r.hashtags)}) + "\n")
            started = time.perf_counter()
            with open(out.name, "rb") as stream_:
                ingest_file(Actor.cli(), stream_, "posts.jsonl")
            seconds = time.perf_counter() - started
            os.unlink(out.name)
        stored = Message.objects.count()
        return {"posts": len(records), "stored": stored, "flagged": Message.objects.filter(review="waiting").count(), "seconds": seconds}


def run_child(kind: str, seed: int, n: int, database_url: str) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, str(seed), str(n), "--database-url", database_url]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--store-frames", type=int, default=0, help="Frames whose matched posts are stored (default: 20 x --frames / 10).")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "SEED", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, seed, n = args.child
        print(json.dumps(child(kind, int(seed), int(n), args.database_url)))
        return
    database = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
    load = os.getloadavg()
    print(f"Bluesky connector, {database}, {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (a shared machine)")
    print("Post texts: OLID 2019 tweets; stream structure seeded.")
    print(f"\n1. Filter the whole stream ({args.frames:,} frames; ~1% addressed to 50 candidates). Target >= 5,000 events/s.")
    print(f"{'seed':>4}  {'json.loads only (peer)':>24} {'parse + filter':>16} {'connector over WebSocket':>26} {'kept':>6} {'buffered':>9}")
    for seed in args.seeds:
        r = run_child("filter", seed, args.frames, args.database_url)
        assert r["kept"] == r["addressed"] == r["buffered"], r
        print(f"{seed:>4}  {args.frames / r['peer_s']:>18,.0f} ev/s {args.frames / r['filter_s']:>10,.0f} ev/s {r['events_read'] / r['wire_s']:>20,.0f} ev/s {r['kept']:>6,} {r['buffered']:>9,}", flush=True)
    store_frames = args.store_frames or args.frames * 2
    print(f"\n2. Store and score the posts addressed to candidates (from {store_frames:,} frames). Target >= 500 posts/s.")
    print(f"{'seed':>4}  {'posts':>6} {'drain of the buffer':>20} {'ingest-messages of the same posts (peer)':>42} {'flagged':>8}")
    for seed in args.seeds:
        d = run_child("drain", seed, store_frames, args.database_url)
        f = run_child("file", seed, store_frames, args.database_url)
        assert d["stored"] == f["stored"] == d["posts"], (d, f)
        print(f"{seed:>4}  {d['posts']:>6,} {d['posts'] / d['seconds']:>14,.0f} posts/s {f['posts'] / f['seconds']:>36,.0f} posts/s {d['flagged']:>8,}", flush=True)
    load = os.getloadavg()
    print(f"\nLoad average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
