"""Mastodon: connecting a candidate's account, and the connector (Mastodon.py) against a local server
that speaks Mastodon's REST API and its server-sent-events user stream."""

from __future__ import annotations

import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from ballotguard.accounts.models import AuditEvent
from ballotguard.accounts.services import Actor
from ballotguard.monitoring.connectors.mastodon import MastodonConnector, handle_of, text_of
from ballotguard.monitoring.models import MastodonAccount, Message
from ballotguard.monitoring.services import mastodon as service
from ballotguard.registry.models import SocialHandle
from ballotguard.registry.services import NotPermitted

pytestmark = pytest.mark.django_db

TOKEN = "carols-token-0123456789"


def mention(n: int, text: str = "you are a pathetic lying idiot") -> dict:
    return {"id": str(n), "type": "mention", "created_at": "2026-05-01T10:00:00.000Z",
            "account": {"id": "9", "username": "troll", "acct": "troll@other.example", "display_name": "A Troll"},
            "status": {"id": str(5000 + n), "uri": f"https://other.example/users/troll/statuses/{5000 + n}",
                       "url": f"https://other.example/@troll/{5000 + n}", "created_at": "2026-05-01T10:00:00.000Z",
                       "content": f'<p><span class="h-card"><a href="https://fake.example/@carol">@<span>carol</span></a></span> {text} &amp; more</p>',
                       "in_reply_to_id": None, "visibility": "public", "tags": [{"name": "yardley"}],
                       "account": {"id": "9", "username": "troll", "acct": "troll@other.example", "display_name": "A Troll"},
                       "mentions": [{"id": "1", "username": "carol", "acct": "carol"}]}}


class FakeMastodon(ThreadingHTTPServer):
    """``/api/v1/instance``, ``verify_credentials``, ``notifications`` (``min_id`` paging, newest
    first as Mastodon answers) and ``/api/v1/streaming/user`` (SSE). ``live`` holds notifications the
    stream sends; ``drop_after`` closes the first stream abruptly after that many events.

    ``on_a_timeline()`` instead models the real server: once ``publish(pace)`` is called, a mention in
    ``live`` arrives every ``pace`` seconds whether or not anyone is streaming, is listed by the REST
    API from then on, and is sent to the streams open at that moment (``published`` counts them). A
    stream subscribes ``open_delay`` seconds after it is asked for (the real server authenticates and
    subscribes first: what arrives meanwhile is on the REST API only), then writes the ``:)`` comment
    the real streaming server writes; ``opened`` holds ``published`` at each subscription."""

    def __init__(self):
        self.stored: list[dict] = []  # every notification, as the REST API would list it
        self.live: list[dict] = []
        self.drop_after: int | None = None
        self.streams = 0
        self.paused = threading.Event()
        self.published = 0
        self.listeners: list[queue.Queue] | None = None  # the open streams, once on a timeline
        self.open_delay = 0.3
        self.opened: list[int] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                if self.headers.get("Authorization") != f"Bearer {TOKEN}" and url.path != "/api/v1/instance":
                    return self.json(401, {"error": "The access token is invalid"})
                base = f"http://127.0.0.1:{outer.server_address[1]}"
                if url.path == "/api/v1/instance":
                    return self.json(200, {"uri": "fake.example", "title": "Fake", "version": "4.3.0", "urls": {"streaming_api": base}})
                if url.path == "/api/v1/accounts/verify_credentials":
                    return self.json(200, {"id": "1", "username": "carol", "acct": "carol", "display_name": "Carol", "url": f"{base}/@carol"})
                if url.path == "/api/v1/notifications":
                    after = int(query.get("min_id", ["0"])[0] or 0)
                    limit = int(query.get("limit", ["40"])[0])
                    newer = sorted((n for n in outer.stored if int(n["id"]) > after), key=lambda n: int(n["id"]))[:limit]
                    return self.json(200, list(reversed(newer)))
                if url.path == "/api/v1/streaming/user":
                    return self.stream()
                return self.json(404, {"error": "Record not found"})

            def json(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def stream(self):
                outer.streams += 1
                first = outer.streams == 1
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()

                def chunk(text):
                    data = text.encode()
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                    self.wfile.flush()

                if outer.listeners is not None:
                    return self.published_stream(chunk)
                sent = 0
                try:
                    while True:
                        if outer.live and not outer.paused.is_set():
                            notification = outer.live.pop(0)
                            outer.stored.append(notification)
                            if first and outer.drop_after is not None and sent >= outer.drop_after:
                                self.connection.close()  # dropped mid-stream (the event was stored, never sent)
                                return
                            chunk(f"event: notification\ndata: {json.dumps(notification)}\n\n")
                            sent += 1
                        else:
                            chunk(":thump\n")
                            time.sleep(0.1)
                except OSError:
                    return

            def published_stream(self, chunk):
                mine: queue.Queue = queue.Queue()
                time.sleep(outer.open_delay)
                with outer.lock:
                    outer.listeners.append(mine)
                    outer.opened.append(outer.published)
                try:
                    chunk(":)\n")
                    while True:
                        try:
                            notification = mine.get(timeout=0.1)
                        except queue.Empty:
                            chunk(":thump\n")
                        else:
                            chunk(f"event: notification\ndata: {json.dumps(notification)}\n\n")
                except OSError:
                    return
                finally:
                    with outer.lock:
                        outer.listeners.remove(mine)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server_address[1]}"

    def on_a_timeline(self) -> None:
        """Streams send what ``publish`` makes arrive, not ``live`` directly (see the class)."""
        self.listeners = []

    def publish(self, pace: float) -> None:
        """From now on, mentions in ``live`` arrive one every ``pace`` seconds."""
        assert self.listeners is not None, "call on_a_timeline() before any stream opens"

        def arrive():
            while True:
                time.sleep(pace)
                if self.paused.is_set():
                    continue
                with self.lock:
                    if not self.live:
                        return
                    notification = self.live.pop(0)
                    self.stored.append(notification)
                    self.published += 1
                    for listener in self.listeners:
                        listener.put(notification)

        threading.Thread(target=arrive, daemon=True).start()


@pytest.fixture
def fake(world):
    server = FakeMastodon()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def connected(world, fake) -> MastodonAccount:
    return service.connect(Actor(user=world.users.candidate), world.candidates.yardley_1.pk, fake.url, TOKEN)


class Until(MastodonConnector):
    """Stops itself once ``expect`` mentions have been ingested (or after ``timeout`` seconds): the
    machine may be slow, so the test waits for the outcome, not for a fixed time."""

    def __init__(self, account_id, expect, stop):
        super().__init__(account_id, check_every=0.2)
        self.expect, self.stop = expect, stop

    def _ingest(self, account, notification):
        super()._ingest(account, notification)
        if self.ingested >= self.expect:
            self.stop.set()


def run_for(account, expect: int, timeout: float = 90.0) -> MastodonConnector:
    stop = threading.Event()
    connector = Until(account.pk, expect, stop)
    timer = threading.Timer(timeout, stop.set)
    timer.start()
    connector.run(stop, backoff=(0.1, 0.2))
    timer.cancel()
    return connector


def test_the_text_and_handle_are_what_the_router_and_scorer_need():
    assert text_of('<p>@<span>carol</span> hi &amp; bye</p><p>line two<br/>three</p>') == "@carol hi & bye\nline two\nthree"
    assert handle_of("Carol", "https://Mastodon.Social") == "carol@mastodon.social"
    assert handle_of("carol@elsewhere.example", "https://mastodon.social") == "carol@elsewhere.example"


def test_a_candidate_connects_with_a_checked_token_stored_encrypted(world, fake):
    account = connected(world, fake)
    assert account.acct == f"carol@127.0.0.1:{fake.server_address[1]}" and account.access_token == TOKEN
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT access_token FROM {MastodonAccount._meta.db_table}")
        assert cursor.fetchone()[0].startswith("bg1:")
    assert SocialHandle.objects.filter(candidate=world.candidates.yardley_1, platform="mastodon", handle=account.acct).exists()
    assert AuditEvent.objects.filter(object_type="mastodon_account", detail="connected").exists()


def test_bad_tokens_and_fields_are_named_and_nothing_is_stored(world, fake):
    with pytest.raises(service.ConnectInvalid) as bad:
        service.connect(Actor(user=world.users.candidate), world.candidates.yardley_1.pk, fake.url, "wrong")
    assert set(bad.value.errors) == {"access_token"}
    with pytest.raises(service.ConnectInvalid) as bad:
        service.connect(Actor(user=world.users.candidate), world.candidates.clw_1.pk, "mastodon.social", "")
    assert set(bad.value.errors) == {"candidate_id", "instance_url", "access_token"}  # Alice is not Carol's candidacy
    with pytest.raises(NotPermitted):
        service.connect(Actor(user=world.users.feoa_wmp), world.candidates.yardley_1.pk, fake.url, TOKEN)
    assert not MastodonAccount.objects.exists()


def test_mentions_are_caught_up_then_streamed_and_scored(world, fake):
    account = connected(world, fake)
    fake.stored = [mention(1), mention(2, "what is your view on the buses?")]  # before the connector started
    fake.live = [mention(3, "we know where you live"), mention(4)]
    run_for(account, 4)
    messages = Message.objects.filter(platform="mastodon").order_by("message_id")
    assert messages.count() == 4 and {m.candidate_id for m in messages} == {world.candidates.yardley_1.pk}
    assert not messages.filter(scored_at__isnull=True).exists()
    threat = Message.objects.get(message_id="https://other.example/users/troll/statuses/5003")
    assert threat.is_threat and threat.text.startswith("@carol we know where you live")
    assert threat.author_handle == "troll@other.example" and threat.hashtags == ["yardley"]
    assert MastodonAccount.objects.get(pk=account.pk).since_id == "4"


def test_a_dropped_stream_and_a_restart_leave_no_gap_and_no_duplicate(world, fake):
    account = connected(world, fake)
    fake.live = [mention(n) for n in range(1, 8)]
    fake.drop_after = 3  # the 4th is stored by the server but never reaches the stream
    connector = run_for(account, 7)
    assert fake.streams >= 2  # reconnected, and caught up through the REST API first
    assert Message.objects.filter(platform="mastodon").count() == 7
    # A restart (the process was stopped): more mentions arrived meanwhile; nothing is read twice.
    fake.stored += [mention(8), mention(9)]
    assert run_for(account, 2).ingested == 2
    assert sorted(int(m.rsplit("/", 1)[1]) - 5000 for m in Message.objects.values_list("message_id", flat=True)) == list(range(1, 10))
    assert connector.ingested == 7


def test_disconnecting_erases_the_token_and_stops_the_connector(world, fake):
    account = connected(world, fake)
    stop = threading.Event()
    connector = MastodonConnector(account.pk, check_every=0.1)
    worker = threading.Thread(target=connector.run, args=(stop,), kwargs={"backoff": (0.1, 0.2)})
    from django.db import connection
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("the connector thread writes while the test writes: needs PostgreSQL")
    worker.start()
    time.sleep(0.5)
    service.disconnect(Actor(user=world.users.candidate), account.pk)
    worker.join(timeout=5)
    assert not worker.is_alive()
    stop.set()
    account.refresh_from_db()
    assert account.revoked_at is not None and account.access_token == ""


def test_connect_and_disconnect_through_the_page(world, fake, client_as):
    client = client_as(world.users.staff)  # Sam acts for Carol
    page = client.get("/monitoring/mastodon/")
    assert page.status_code == 200 and "Carol Cooper" in page.content.decode()
    bad = client.post("/monitoring/mastodon/", {"candidate_id": world.candidates.yardley_1.pk, "instance_url": fake.url, "access_token": "nope"})
    assert bad.status_code == 200 and "did not accept this access token" in bad.content.decode() and not MastodonAccount.objects.exists()
    empty = client.post("/monitoring/mastodon/", {"candidate_id": "", "instance_url": "", "access_token": ""}).content.decode()
    assert "Choose the candidacy" in empty and "Enter your Mastodon server" in empty and "Enter the access token" in empty
    done = client.post("/monitoring/mastodon/", {"candidate_id": world.candidates.yardley_1.pk, "instance_url": fake.url, "access_token": TOKEN})
    assert done.status_code == 302
    account = MastodonAccount.objects.get()
    listing = client.get("/monitoring/mastodon/").content.decode()
    assert f"@{account.acct}" in listing and TOKEN not in listing
    assert client_as(world.users.feoa_wmp).get("/monitoring/mastodon/").status_code == 403
    assert client_as(world.users.feoa_wmp).post(f"/monitoring/mastodon/{account.pk}/disconnect/").status_code == 403
    assert client.post(f"/monitoring/mastodon/{account.pk}/disconnect/").status_code == 302
    account.refresh_from_db()
    assert account.revoked_at is not None and account.access_token == ""


def test_connect_list_and_disconnect_through_the_api(world, fake, client_as):
    client = client_as(world.users.candidate)
    bad = client.post("/api/v1/mastodon/accounts", {"candidate_id": world.candidates.clw_1.pk, "instance_url": "ftp://x", "access_token": TOKEN},
                      content_type="application/json")
    assert bad.status_code == 422 and {d["field"] for d in bad.json()["detail"]} == {"candidate_id", "instance_url"}
    made = client.post("/api/v1/mastodon/accounts", {"candidate_id": world.candidates.yardley_1.pk, "instance_url": fake.url, "access_token": TOKEN},
                       content_type="application/json")
    assert made.status_code == 201 and "access_token" not in made.json()
    account_id = made.json()["id"]
    assert [a["id"] for a in client.get("/api/v1/mastodon/accounts").json()] == [account_id]
    assert client_as(world.users.analyst).get("/api/v1/mastodon/accounts").status_code == 403
    other = client_as(world.users.candidate).delete(f"/api/v1/mastodon/accounts/{account_id + 99}")
    assert other.status_code == 404
    gone = client.delete(f"/api/v1/mastodon/accounts/{account_id}")
    assert gone.status_code == 200 and gone.json()["revoked_at"] is not None


def test_mastodon_on_the_sources_page_stalls_and_obeys_stop(world, fake, client_as):
    from ballotguard.monitoring.connectors.mastodon import heartbeat
    from ballotguard.monitoring.models import Source
    from ballotguard.monitoring.services import sources

    account = connected(world, fake)
    figures = {s["name"]: s for s in sources.statuses(world.users.admin)}["mastodon"]
    assert figures["watched_accounts"] == 1 and figures["stalled"] and not figures["connected"]  # nobody is streaming it
    heartbeat(1)
    figures = {s["name"]: s for s in sources.statuses(world.users.admin)}["mastodon"]
    assert figures["connected"] and not figures["stalled"]
    assert "Mastodon (connected accounts)" in client_as(world.users.admin).get("/monitoring/sources/").content.decode()
    client_as(world.users.admin).post("/monitoring/sources/mastodon/control/", {"action": "stop"})
    assert not Source.objects.get(name="mastodon").enabled
    fake.stored = [mention(1)]
    MastodonConnector(account.pk).run(threading.Event())  # returns at once: stopped on the Sources page
    assert not Message.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_command_killed_with_sigkill_mid_stream_and_restarted_loses_nothing_and_stores_nothing_twice(world, fake):
    """The real ``ballotguard stream-mastodon`` process, killed with SIGKILL while mentions arrive, then
    started again while they still arrive. It needs a database both processes can open, so it runs on
    PostgreSQL only."""
    import os
    import signal
    import subprocess
    import sys

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs a database another process can open (the SQLite test database is in memory): run with DATABASE_URL=postgres://…")
    settings_dict = connection.settings_dict
    url = f"postgres://{settings_dict['USER']}@{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    # The same settings and keys as this process (test_settings put them in the environment).
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "ballotguard.test_settings"}
    account = connected(world, fake)
    fake.on_a_timeline()
    total = 150
    fake.stored = [mention(n) for n in range(1, 11)]  # waiting before the first start: caught up
    fake.live = [mention(n) for n in range(11, total + 1)]
    wanted = sorted(f"https://other.example/users/troll/statuses/{5000 + n}" for n in range(1, total + 1))
    command = [sys.executable, "-m", "ballotguard.cli", "stream-mastodon", "--rescan", "1"]

    def wait_for(condition, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.02)

    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: len(fake.opened) >= 1)  # up, caught up and streaming
        fake.publish(pace=0.04)
        wait_for(lambda: fake.published >= 50)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    fake.paused.set()  # the next arrive while the restarted process's stream is opening
    killed_at = fake.published
    assert 0 < killed_at < total - 40, "killed mid-stream, with mentions still to come"
    before = MastodonAccount.objects.get(pk=account.pk).since_id
    assert before and 10 <= int(before) <= killed_at + 10  # died part-way
    streams = fake.streams
    second = subprocess.Popen([*command, "--idle-exit", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: fake.streams > streams)  # caught up through the REST API, asking for the stream
        fake.paused.clear()  # so these are after its last catch-up page and before its subscription: on neither
        _, errors = second.communicate(timeout=120)
    finally:
        second.kill()
    assert second.returncode == 0, errors.decode()[-2000:]
    assert fake.published == total - 10 and len(fake.opened) == 2
    assert killed_at < fake.opened[1] < total - 10  # some arrived while its stream opened, the rest on the stream
    stored = sorted(Message.objects.filter(platform="mastodon").values_list("message_id", flat=True))
    assert stored == wanted and Message.objects.count() == total
    assert MastodonAccount.objects.get(pk=account.pk).since_id == str(total)
