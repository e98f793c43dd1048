"""The Bluesky connector against a local server that speaks Jetstream's protocol, and a local handle
resolver that speaks the AT Protocol's XRPC: no test reaches the internet."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from ballotguard.accounts.services import Actor
from ballotguard.engines.messages.jetstream import MAX_FRAME_BYTES
from ballotguard.monitoring.connectors import bluesky, frames, identity
from ballotguard.monitoring.connectors.bluesky import BlueskyConnector, drain
from ballotguard.monitoring.connectors.replay import JetstreamReplay
from ballotguard.monitoring.models import BufferedPost, Message, Source, WatchedAccount
from ballotguard.registry.models import SocialHandle

from .conftest import ABUSE, ORDINARY, THREAT

pytestmark = pytest.mark.django_db

CAROL = "did:plc:carolcarolcarolcarol01"
ALICE = "did:plc:alicealicealicealice01"
TROLL = "did:plc:trolltrolltrolltroll01"
T0 = 1_765_000_000_000_000
SECOND = 1_000_000


class Resolver(ThreadingHTTPServer):
    """A local ``com.atproto.identity.resolveHandle``: answers from ``table`` as the real one does
    (200 with the DID, or 400 InvalidRequest)."""

    def __init__(self, table: dict[str, str]):
        self.table, self.asked = dict(table), []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlsplit(self.path)
                handle = parse_qs(url.query).get("handle", [""])[0]
                outer.asked.append(handle)
                did = outer.table.get(handle) if url.path == "/xrpc/com.atproto.identity.resolveHandle" else None
                body = json.dumps({"did": did} if did else {"error": "InvalidRequest", "message": "Unable to resolve handle"}).encode()
                self.send_response(200 if did else 400)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


@pytest.fixture
def accounts(world):
    SocialHandle.objects.create(candidate=world.candidates.yardley_1, platform="bluesky", handle="carol.bsky.social")
    SocialHandle.objects.create(candidate=world.candidates.clw_1, platform="bluesky", handle="alice.bsky.social")
    with Resolver({"carol.bsky.social": CAROL, "alice.bsky.social": ALICE}) as resolver:
        yield resolver


def stream(n: int = 30, start: int = T0) -> tuple[list[str], set[str]]:
    """``n`` posts a second apart, every third addressed to Carol or Alice (a mention, a reply or a
    quote), the rest chatter; returns the frames and the AT URIs that must be stored."""
    out, wanted = [], set()
    for i in range(n):
        t, rkey = start + i * SECOND, f"3k{i:05d}"
        if i % 3 == 0:
            kind = (i // 3) % 3
            target = CAROL if i % 2 == 0 else ALICE
            handle = "carol.bsky.social" if target == CAROL else "alice.bsky.social"
            text = (THREAT, ABUSE, ORDINARY)[(i // 3) % 3]
            out.append(frames.post(TROLL, rkey, t, text, mention=(target, handle) if kind == 0 else None,
                                   reply_to=f"at://{target}/app.bsky.feed.post/3kparent" if kind == 1 else None,
                                   quote=f"at://{target}/app.bsky.feed.post/3kquoted" if kind == 2 else None))
            wanted.add(f"at://{TROLL}/app.bsky.feed.post/{rkey}")
        else:
            out.append(frames.post(f"did:plc:someone{i:016d}", rkey, t, "lovely weather in Yardley"))
    return out, wanted


def run(replay: JetstreamReplay, resolver: Resolver, *, drain_in_thread: bool = False, idle: float = 0.6, **kw) -> BlueskyConnector:
    connector = BlueskyConnector(replay.url, identity.XrpcHandleResolver(resolver.url), flush_seconds=0.2,
                                 backoff=(0.05, 0.2), drain=drain_in_thread, **kw)
    connector.run(idle_exit=idle)
    return connector


def drain_all() -> None:
    while drain(Actor.cli()):
        pass


def stored() -> list[str]:
    return list(Message.objects.filter(platform="bluesky").values_list("message_id", flat=True))


def test_posts_addressed_to_candidates_are_stored_routed_and_scored_and_the_rest_passed_over(accounts, world):
    posts, wanted = stream(30)
    with JetstreamReplay(posts) as replay:
        run(replay, accounts)
    assert BufferedPost.objects.count() == len(wanted)  # received, waiting for the drain
    drain_all()
    assert sorted(stored()) == sorted(wanted) and BufferedPost.objects.count() == 0
    carol = Message.objects.filter(candidate=world.candidates.yardley_1)
    alice = Message.objects.filter(candidate=world.candidates.clw_1)
    assert carol.count() + alice.count() == len(wanted) and carol.exists() and alice.exists()
    assert not Message.objects.filter(scored_at__isnull=True).exists()
    threat = Message.objects.get(message_id=f"at://{TROLL}/app.bsky.feed.post/3k00000")
    assert threat.is_threat and threat.review == Message.Review.WAITING and threat.source == "bluesky"
    state = Source.objects.get(name="bluesky")
    assert state.events == 30 and state.matched == len(wanted) and state.cursor == T0 + 29 * SECOND
    assert set(WatchedAccount.objects.values_list("handle", "account_id")) == {("carol.bsky.social", CAROL), ("alice.bsky.social", ALICE)}


def test_malformed_and_oversize_frames_are_counted_and_skipped(accounts):
    posts, wanted = stream(9)
    bad = ["{not json", json.dumps({"kind": "commit"}), b"\x00\xff", json.dumps([1]),
           frames.post(TROLL, "3khuge", T0 + 4 * SECOND + 1, "x" * (MAX_FRAME_BYTES + 10), mention=(CAROL, "carol.bsky.social"))]
    with JetstreamReplay(posts[:4] + bad + posts[4:]) as replay:
        run(replay, accounts)
    drain_all()
    state = Source.objects.get(name="bluesky")
    assert (state.malformed, state.oversize) == (4, 1)
    assert sorted(stored()) == sorted(wanted)


def test_delete_identity_and_account_events(accounts, world):
    posts, wanted = stream(6)
    first = sorted(wanted)[0]
    rkey = first.rsplit("/", 1)[1]
    later = T0 + 100 * SECOND
    with JetstreamReplay(posts) as replay:
        run(replay, accounts)
        drain_all()
        # The author deletes an abusive post: the evidence is kept, the deletion counted.
        # Carol renames her account (her registered handle stops resolving): she is followed by DID.
        # Alice's account is deactivated and reactivated: nothing changes.
        accounts.table.pop("carol.bsky.social")
        replay.extend([
            frames.delete(TROLL, rkey, later),
            frames.identity(CAROL, "carol-new.bsky.social", later + 1),
            frames.account(ALICE, later + 2, active=False, status="deactivated"),
            frames.account(ALICE, later + 3, active=True),
            frames.post(TROLL, "3kafter", later + 4, "still watching you", mention=(CAROL, "carol-new.bsky.social")),
        ])
        run(replay, accounts)
    drain_all()
    assert first in stored()
    assert Source.objects.get(name="bluesky").deleted_upstream == 1
    after = Message.objects.get(message_id=f"at://{TROLL}/app.bsky.feed.post/3kafter")
    assert after.candidate == world.candidates.yardley_1  # routed by the registered handle of the DID
    carol = WatchedAccount.objects.get(handle="carol.bsky.social")
    assert carol.account_id == CAROL and "following the account by its last known DID" in carol.error


def test_a_registered_handle_that_moves_to_another_account_is_re_resolved(accounts, world):
    impostor_gone, newcomer = "did:plc:olddidolddidolddid0001", "did:plc:newdidnewdidnewdid0001"
    SocialHandle.objects.create(candidate=world.candidates.yardley_2, platform="bluesky", handle="dave.bsky.social")
    accounts.table["dave.bsky.social"] = impostor_gone
    with JetstreamReplay([frames.post(TROLL, "3k1", T0, "hi")]) as replay:
        run(replay, accounts)
        assert WatchedAccount.objects.get(handle="dave.bsky.social").account_id == impostor_gone
        accounts.table["dave.bsky.social"] = newcomer
        replay.extend([frames.identity(newcomer, "dave.bsky.social", T0 + SECOND),
                       frames.post(TROLL, "3k2", T0 + 2 * SECOND, "you again", mention=(newcomer, "dave.bsky.social"))])
        run(replay, accounts)
    drain_all()
    assert WatchedAccount.objects.get(handle="dave.bsky.social").account_id == newcomer
    assert Message.objects.get(message_id=f"at://{TROLL}/app.bsky.feed.post/3k2").candidate == world.candidates.yardley_2


def test_a_dropped_connection_resumes_from_the_cursor_with_no_gap_and_no_duplicate(accounts):
    posts, wanted = stream(60)
    with JetstreamReplay(posts, drop_after=25) as replay:
        connector = run(replay, accounts)
    drain_all()
    assert connector.connections == 2 and replay.cursors[0] is None
    resumed = replay.cursors[1]
    assert resumed is not None and resumed <= T0 + 24 * SECOND  # rewound by the overlap, so nothing is skipped
    assert sorted(stored()) == sorted(wanted) and len(stored()) == len(set(stored()))
    state = Source.objects.get(name="bluesky")
    assert state.errors == 1 and state.last_error.startswith("ConnectionClosed")


class Killed(BaseException):
    """Stands for SIGKILL: unwinds without any of the connector's own clean-up committing."""


def test_killed_mid_stream_and_restarted_there_is_no_gap_and_no_duplicate(accounts, monkeypatch):
    posts, wanted = stream(90)
    with JetstreamReplay(posts) as replay:
        connector = BlueskyConnector(replay.url, identity.XrpcHandleResolver(accounts.url), flush_seconds=0.05, flush_events=7, drain=False)
        read = connector._read
        seen = {"n": 0}

        def dies_at_frame_50(frame, pending):
            seen["n"] += 1
            if seen["n"] == 50:
                raise Killed
            read(frame, pending)

        monkeypatch.setattr(connector, "_read", dies_at_frame_50)
        with pytest.raises(Killed):
            connector.run(idle_exit=0.5)
        cursor = Source.objects.get(name="bluesky").cursor
        assert T0 < cursor < T0 + 49 * SECOND  # died with frames read but not committed
        drain(Actor.cli(), batch=3)  # the drain had stored part of the buffer when the process died
        run(replay, accounts)
    drain_all()
    assert sorted(stored()) == sorted(wanted) and Message.objects.count() == len(wanted)
    assert replay.cursors[1] is not None and replay.cursors[1] <= cursor


def test_when_scoring_falls_behind_posts_wait_in_the_database_and_none_is_dropped(accounts):
    posts, wanted = stream(120)
    with JetstreamReplay(posts) as replay:
        run(replay, accounts)  # no drain at all: the scorer has fallen as far behind as it can
    assert BufferedPost.objects.count() == len(wanted) and not stored()
    assert bluesky.status()["backlog"] == len(wanted)
    raw = BufferedPost.objects.values_list("record", flat=True)  # the buffer holds message content: encrypted at rest
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT record FROM {BufferedPost._meta.db_table}")
        assert all(row[0].startswith("bg1:") for row in cursor.fetchall())
    assert all(json.loads(r)["platform"] == "bluesky" for r in raw)
    drain_all()
    assert sorted(stored()) == sorted(wanted)


@pytest.mark.django_db(transaction=True)
def test_the_drain_thread_stores_while_the_receiver_reads(accounts):
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("in-memory SQLite cannot run concurrent writers (its shared cache answers 'table is locked'); runs on PostgreSQL")
    posts, wanted = stream(45)
    with JetstreamReplay(posts) as replay:
        run(replay, accounts, drain_in_thread=True, idle=1.0)
    assert sorted(stored()) == sorted(wanted) and BufferedPost.objects.count() == 0


def test_the_stop_control_is_obeyed(accounts):
    posts, _ = stream(6)
    Source.objects.update_or_create(name="bluesky", defaults={"enabled": False})
    stop = threading.Event()
    with JetstreamReplay(posts) as replay:
        timer = threading.Timer(1.0, stop.set)
        timer.start()
        BlueskyConnector(replay.url, identity.XrpcHandleResolver(accounts.url), drain=False).run(stop)
        assert replay.cursors == []  # never connected
    state = Source.objects.get(name="bluesky")
    assert not state.connected and state.heartbeat_at is not None


def test_the_resolver_reports_failures_without_personal_data(accounts):
    resolver = identity.XrpcHandleResolver(accounts.url)
    assert resolver.resolve("carol.bsky.social") == CAROL
    with pytest.raises(identity.ResolveError, match="HTTP 400") as err:
        resolver.resolve("nobody.bsky.social")
    assert "nobody" not in str(err.value)
    with pytest.raises(identity.ResolveError, match="could not be reached"):
        identity.XrpcHandleResolver("http://127.0.0.1:9").resolve("carol.bsky.social")


@pytest.mark.django_db(transaction=True)
def test_the_command_killed_with_sigkill_mid_stream_and_restarted_loses_nothing_and_stores_nothing_twice(accounts, tmp_path):
    """The real ``ballotguard stream-bluesky`` process, killed with SIGKILL while posts arrive, then
    started again. It needs a database both processes can open, so it runs on PostgreSQL only."""
    import os
    import signal
    import subprocess
    import sys
    import time as clock

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs a database another process can open (the SQLite test database is in memory): run with DATABASE_URL=postgres://…")
    settings_dict = connection.settings_dict
    url = f"postgres://{settings_dict['USER']}@{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    # The same settings and keys as this process (test_settings put them in the environment).
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "ballotguard.test_settings"}
    posts, wanted = stream(150)
    command = [sys.executable, "-m", "ballotguard.cli", "stream-bluesky", "--resolver-url", accounts.url]
    with JetstreamReplay(posts, pace=0.02) as replay:
        first = subprocess.Popen([*command, "--url", replay.url], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = clock.monotonic() + 60
        while replay.sent < 60 and clock.monotonic() < deadline:
            clock.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert 0 < replay.sent < 150, "killed mid-stream"
        cursor = Source.objects.get(name="bluesky").cursor
        second = subprocess.run([*command, "--url", replay.url, "--idle-exit", "2"], env=env, capture_output=True, timeout=120)
        assert second.returncode == 0, second.stderr.decode()[-2000:]
    assert sorted(stored()) == sorted(wanted) and Message.objects.count() == len(wanted)
    assert replay.cursors[1] is not None and cursor is not None and replay.cursors[1] <= cursor
