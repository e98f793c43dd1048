"""A local server that speaks Jetstream's ``/subscribe`` protocol, replaying frames it was given.

Tests use it to put the real connector through create, delete, identity and account events,
malformed and oversize frames, and a connection dropped mid-stream; ``make run`` uses it (through
``ballotguard jetstream-replay``) so the demo's connector has a live stream to follow without the
internet. It honours ``cursor`` as Jetstream does: a client that reconnects with ``?cursor=T`` gets
every frame from ``time_us`` T on. A frame with no readable ``time_us`` (a malformed one) is placed
at the time of the frame before it.

It can also answer ``GET /xrpc/com.atproto.identity.resolveHandle?handle=H`` from a table
(``handles``), as an AT Protocol service does (200 ``{"did": …}`` or 400 ``InvalidRequest``), so the
demo needs one local server for both.

Binding is to 127.0.0.1 only; port 0 picks a free port (``.port`` says which).
"""

from __future__ import annotations

import http
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve


def _time_of(frame: str | bytes, before: int) -> int:
    try:
        value = json.loads(frame).get("time_us")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return before
    return value if isinstance(value, int) else before


class JetstreamReplay:
    def __init__(self, frames: Iterable[str | bytes] = (), *, port: int = 0, drop_after: int | None = None,
                 live: Callable[[int], list[str]] | None = None, live_interval: float = 1.0,
                 handles: dict[str, str] | None = None, pace: float = 0.0):
        self.pace = pace  # seconds between frames (0: as fast as the client reads)
        self.handles = handles if handles is not None else {}
        self._log: list[tuple[int, str | bytes]] = []
        self._changed = threading.Condition()
        self.extend(frames)
        self.drop_after = drop_after  # drop the first connection abruptly after this many frames
        self.cursors: list[int | None] = []  # the cursor each connection asked for
        self.sent = 0
        self._live, self._live_interval = live, live_interval
        self._stopping = threading.Event()
        self._server: Server = serve(self._handle, "127.0.0.1", port, max_size=2**20, compression=None,
                                     process_request=self._http)
        self.port = self._server.socket.getsockname()[1]
        self.url = f"ws://127.0.0.1:{self.port}/subscribe"
        self._threads = [threading.Thread(target=self._server.serve_forever, daemon=True, name="jetstream-replay")]
        if live is not None:
            self._threads.append(threading.Thread(target=self._generate, daemon=True, name="jetstream-live"))

    def extend(self, frames: Iterable[str | bytes]) -> None:
        with self._changed:
            for frame in frames:
                before = self._log[-1][0] if self._log else 0
                self._log.append((_time_of(frame, before), frame))
            self._changed.notify_all()

    def start(self) -> "JetstreamReplay":
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()
        self._server.shutdown()

    def __enter__(self) -> "JetstreamReplay":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _generate(self) -> None:
        while not self._stopping.wait(self._live_interval):
            self.extend(self._live(int(time.time() * 1_000_000)))

    def _http(self, connection: ServerConnection, request):
        """Plain HTTP requests: the handle resolver; everything else goes on to the WebSocket handshake."""
        url = urllib.parse.urlsplit(request.path)
        if url.path != "/xrpc/com.atproto.identity.resolveHandle":
            return None
        handle = urllib.parse.parse_qs(url.query).get("handle", [""])[0].casefold()
        did = self.handles.get(handle)
        if did:
            return connection.respond(http.HTTPStatus.OK, json.dumps({"did": did}))
        return connection.respond(http.HTTPStatus.BAD_REQUEST, json.dumps({"error": "InvalidRequest", "message": "Unable to resolve handle"}))

    def _handle(self, ws: ServerConnection) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(ws.request.path).query)
        cursor = int(query["cursor"][0]) if query.get("cursor", [""])[0].isdigit() else None
        first = not self.cursors
        self.cursors.append(cursor)
        position = 0
        with self._changed:
            if cursor is not None:
                while position < len(self._log) and self._log[position][0] < cursor:
                    position += 1
            else:
                position = 0 if first or self._live is None else len(self._log)
        sent_here = 0
        try:
            while not self._stopping.is_set():
                with self._changed:
                    while position >= len(self._log) and not self._stopping.is_set():
                        self._changed.wait(0.5)
                    batch = self._log[position:]
                for _, frame in batch:
                    if first and self.drop_after is not None and sent_here >= self.drop_after:
                        ws.socket.shutdown(socket.SHUT_RDWR)  # a dropped connection: no close frame
                        return
                    ws.send(frame)
                    if self.pace:
                        time.sleep(self.pace)
                    sent_here += 1
                    self.sent += 1
                position += len(batch)
        except (ConnectionClosed, OSError):
            return
