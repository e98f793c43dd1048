"""``ballotguard stream-bluesky``: follow Bluesky's public Jetstream and ingest the posts addressed to candidates.

Two threads, joined only through the database:

* the **receiver** reads frames (``websockets``' threading client), keeps the posts that mention,
  reply to or quote a watched account (:mod:`ballotguard.engines.messages.jetstream`), and about once a second
  commits, in one transaction, the matched posts to :class:`BufferedPost`, the counters, and the
  cursor (the ``time_us`` of the last frame read);
* the **drain** stores and scores buffered posts through the same ``ingest_records`` as
  ``ingest-messages`` (idempotent by platform and message id) and deletes them from the buffer.

So when scoring falls behind, the buffer grows and nothing is dropped; and because the cursor only
moves with the buffer in the same transaction, a process killed at any moment resumes from a cursor
whose posts are all safely buffered or stored. It rewinds ``BALLOTGUARD_BLUESKY_OVERLAP_SECONDS``
(Jetstream's advice for gapless playback) and the unique keys on the buffer and on messages drop what
it reads twice: no gap, no duplicate.

A malformed or oversize frame is counted (``Source.malformed`` / ``oversize``) and skipped; a
dropped connection is counted (``errors``) and reopened from the cursor after a back-off. The
connector obeys ``Source.enabled`` (the Sources page's start/stop) within a second.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone as dt_timezone

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import connect

from ballotguard.accounts.services import Actor
from ballotguard.engines.messages import jetstream
from ballotguard.engines.messages.records import MessageRecord, Platform

from ..models import BufferedPost, Message, Source
from ..services.ingest import ingest_records
from . import identity

log = logging.getLogger(__name__)

NAME = Source.Name.BLUESKY.value
CLIENT_MAX_BYTES = 4 * 1024 * 1024
"""What the WebSocket library will assemble at all (memory protection). Frames between
``jetstream.MAX_FRAME_BYTES`` and this are read, counted as oversize and skipped; Jetstream itself is
asked (``maxMessageSizeBytes``) not to send them."""


@dataclass
class _Pending:
    """What the receiver has read since its last commit."""

    posts: dict[str, MessageRecord] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    events: int = 0
    malformed: int = 0
    oversize: int = 0
    last_time_us: int | None = None


def record_to_json(record: MessageRecord) -> str:
    data = asdict(record)
    data["platform"] = record.platform.value
    data["sent_at"] = record.sent_at.isoformat()
    return json.dumps(data)


def record_from_json(text: str) -> MessageRecord:
    data = json.loads(text)
    data["platform"] = Platform(data["platform"])
    data["sent_at"] = datetime.fromisoformat(data["sent_at"])
    for name in ("mentions", "urls", "hashtags"):
        data[name] = tuple(data[name])
    return MessageRecord(**data)


def source() -> Source:
    return Source.objects.get_or_create(name=NAME)[0]


class BlueskyConnector:
    """One connector. ``run()`` blocks until ``stop`` is set (or, for tests and the replay demo,
    until ``idle_exit`` seconds pass with no frame)."""

    def __init__(self, url: str | None = None, resolver: identity.HandleResolver | None = None, *,
                 overlap_seconds: float | None = None, flush_seconds: float = 1.0, flush_events: int = 5_000,
                 resolve_every: float | None = None, max_frame_bytes: int = jetstream.MAX_FRAME_BYTES,
                 backoff: tuple[float, float] = (1.0, 60.0), drain: bool = True, drain_batch: int = 500,
                 actor: Actor | None = None):
        self.url = url or settings.BALLOTGUARD_BLUESKY_JETSTREAM_URL
        self.resolver = resolver or identity.XrpcHandleResolver()
        self.overlap_us = int(1_000_000 * (settings.BALLOTGUARD_BLUESKY_OVERLAP_SECONDS if overlap_seconds is None else overlap_seconds))
        self.flush_seconds, self.flush_events = flush_seconds, flush_events
        self.resolve_every = settings.BALLOTGUARD_BLUESKY_RESOLVE_EVERY if resolve_every is None else resolve_every
        self.max_frame_bytes = max_frame_bytes
        self.backoff = backoff
        self.drain_enabled, self.drain_batch = drain, drain_batch
        self.actor = actor or Actor.cli()
        self.filter = jetstream.PostFilter({})
        self._resolved_at = 0.0
        self._registered: set[str] = set()
        self.connections = 0

    # -- the receiver ---------------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None, *, idle_exit: float | None = None) -> None:
        stop = stop or threading.Event()
        drainer = None
        if self.drain_enabled:
            drainer = threading.Thread(target=self._drain_loop, args=(stop,), name="bluesky-drain", daemon=True)
            drainer.start()
        delay = self.backoff[0]
        try:
            while not stop.is_set():
                state = source()
                if not state.enabled:
                    self._mark(connected=False)
                    stop.wait(1.0)
                    continue
                self._refresh_accounts()
                try:
                    finished = self._follow(state.cursor, stop, idle_exit)
                    delay = self.backoff[0]
                    if finished:
                        break
                except (ConnectionClosed, InvalidHandshake, InvalidURI, OSError, TimeoutError, DatabaseError) as exc:
                    # A database hiccup is handled like a dropped connection: what was read but not
                    # committed is read again from the stored cursor.
                    self._failed(exc)
                    stop.wait(delay)
                    delay = min(delay * 2, self.backoff[1])
        finally:
            self._mark(connected=False)
            if drainer is not None:
                stop.set()
                drainer.join()

    def _follow(self, cursor: int | None, stop: threading.Event, idle_exit: float | None) -> bool:
        """One connection. True when the run should end (stopped, disabled or idle); a dropped
        connection raises."""
        start = max(cursor - self.overlap_us, 1) if cursor else None
        url = jetstream.subscribe_url(self.url, start, max_bytes=self.max_frame_bytes)
        with connect(url, max_size=CLIENT_MAX_BYTES, open_timeout=10, compression=None) as ws:
            self.connections += 1
            self._mark(connected=True)
            log.info("connected to Jetstream%s", " from the stored cursor" if start else " (live tail)")
            pending, last_flush, last_frame = _Pending(), time.monotonic(), time.monotonic()
            while True:
                try:
                    frame = ws.recv(timeout=min(self.flush_seconds, 1.0))
                except TimeoutError:
                    frame = None
                except ConnectionClosed:
                    self._flush(pending)  # what was read before the drop is kept
                    raise
                now = time.monotonic()
                if frame is not None:
                    last_frame = now
                    self._read(frame, pending)
                if pending.events >= self.flush_events or now - last_flush >= self.flush_seconds or frame is None:
                    enabled = self._flush(pending)
                    pending, last_flush = _Pending(), now
                    if stop.is_set() or not enabled:
                        return stop.is_set()
                    if idle_exit is not None and now - last_frame >= idle_exit:
                        return True
                    if time.time() - self._resolved_at >= self.resolve_every:
                        self._refresh_accounts()

    def _read(self, frame: str | bytes, pending: _Pending) -> None:
        pending.events += 1
        try:
            event = jetstream.parse_frame(frame, max_bytes=self.max_frame_bytes)
        except jetstream.OversizeFrame:
            pending.oversize += 1
            return
        except jetstream.FrameError:
            pending.malformed += 1
            return
        pending.last_time_us = max(pending.last_time_us or 0, event.time_us)
        if event.kind == "identity":
            self._identity_changed(event)
        elif event.kind == "commit" and event.collection == jetstream.POST:
            if event.operation == "delete":
                pending.deleted.append(event.uri)
                return
            addressed = self.filter.match(event)
            if addressed is not None:
                try:
                    pending.posts[event.uri] = jetstream.to_record(event, addressed, self.filter.watched)
                except jetstream.FrameError:
                    pending.malformed += 1

    def _identity_changed(self, event: jetstream.Event) -> None:
        """A watched account was renamed, or a registered handle moved to another account: re-resolve
        the registered handles concerned (the resolver, not the event, is the authority)."""
        concerned = set()
        if event.did in self.filter.watched:
            concerned.add(self.filter.watched[event.did])
        if event.handle and event.handle in set(self.filter.watched.values()) | self._registered:
            concerned.add(event.handle)
        if concerned:
            self.filter = jetstream.PostFilter(identity.refresh(self.resolver, only=concerned))

    def _refresh_accounts(self) -> None:
        max_age = timedelta(seconds=self.resolve_every)
        self.filter = jetstream.PostFilter(identity.refresh(self.resolver, max_age=max_age))
        self._registered = identity.registered_handles()
        self._resolved_at = time.time()

    def _flush(self, pending: _Pending) -> bool:
        """Commit what was read: buffered posts, counters and the cursor together. Returns whether the
        source is still wanted running."""
        now = timezone.now()
        with transaction.atomic():
            if pending.posts:
                BufferedPost.objects.bulk_create(
                    [BufferedPost(source=NAME, message_id=uri, record=record_to_json(r), received_at=now) for uri, r in pending.posts.items()],
                    ignore_conflicts=True,
                )
            deleted = Message.objects.filter(platform=Platform.BLUESKY.value, message_id__in=pending.deleted).count() if pending.deleted else 0
            changes = {
                "heartbeat_at": now, "connected": True,
                "events": F("events") + pending.events, "matched": F("matched") + len(pending.posts),
                "malformed": F("malformed") + pending.malformed, "oversize": F("oversize") + pending.oversize,
                "deleted_upstream": F("deleted_upstream") + deleted,
            }
            if pending.last_time_us is not None:
                changes["cursor"] = pending.last_time_us
            if pending.events:
                changes["last_event_at"] = now
            if pending.posts:
                changes["last_message_at"] = now
            Source.objects.filter(name=NAME).update(**changes)
        if pending.malformed or pending.oversize:
            log.warning("Jetstream: skipped %d malformed and %d oversize frames", pending.malformed, pending.oversize)
        return Source.objects.filter(name=NAME).values_list("enabled", flat=True).first() is not False

    def _mark(self, *, connected: bool) -> None:
        now = timezone.now()
        changes = {"connected": connected, "heartbeat_at": now}
        changes["connected_since"] = now if connected else None
        Source.objects.filter(name=NAME).update(**changes)

    def _failed(self, exc: BaseException) -> None:
        # The kind of failure only: a close reason or URL could carry what we must not log.
        reason = type(exc).__name__
        if isinstance(exc, ConnectionClosed) and exc.rcvd is not None:
            reason += f" (close code {exc.rcvd.code})"
        log.warning("Jetstream connection failed: %s; reconnecting from the stored cursor", reason)
        if isinstance(exc, DatabaseError):
            connection.close()  # a fresh connection for the next try
            return
        Source.objects.filter(name=NAME).update(
            connected=False, connected_since=None, errors=F("errors") + 1, last_error=reason[:300],
            last_error_at=timezone.now(), heartbeat_at=timezone.now())

    # -- the drain ------------------------------------------------------------------------------

    def _drain_loop(self, stop: threading.Event) -> None:
        try:
            while True:
                try:
                    stored = drain(self.actor, batch=self.drain_batch)
                except DatabaseError as exc:  # the buffer stays; try again shortly
                    log.warning("Bluesky drain: %s; retrying", type(exc).__name__)
                    connection.close()
                    stored = 0
                if stored == 0:
                    if stop.is_set():
                        return
                    stop.wait(0.2)
        finally:
            connection.close()


def drain(actor: Actor, *, batch: int = 500, score: bool = True,
          ingest: Callable[..., object] = ingest_records) -> int:
    """Store and score up to ``batch`` buffered posts, oldest first; returns how many were taken off
    the buffer. Stored first, deleted after: a crash between the two stores nothing twice."""
    rows = list(BufferedPost.objects.filter(source=NAME).order_by("id")[:batch])
    if not rows:
        return 0
    ingest(actor, (record_from_json(r.record) for r in rows), source=NAME, score=score)
    BufferedPost.objects.filter(id__in=[r.id for r in rows]).delete()
    return len(rows)


def status(now: datetime | None = None) -> dict:
    """The Sources page's and API's figures for the Bluesky connector."""
    now = now or timezone.now()
    state = source()
    window = timedelta(minutes=5)
    recent = Message.objects.filter(source=NAME, ingested_at__gte=now - window).count()
    backlog = BufferedPost.objects.filter(source=NAME).count()
    # Lag: how far behind the platform's clock the last event read was (Jetstream's time_us).
    position = datetime.fromtimestamp(state.cursor / 1_000_000, tz=dt_timezone.utc) if state.cursor else None
    lag = (now - position).total_seconds() if state.connected and position else None
    return {
        "name": state.name, "label": state.get_name_display(), "enabled": state.enabled,
        "connected": bool(state.connected and state.heartbeat_at and now - state.heartbeat_at < timedelta(seconds=settings.BALLOTGUARD_SOURCE_STALL_SECONDS)),
        "connected_since": state.connected_since, "heartbeat_at": state.heartbeat_at,
        "last_event_at": state.last_event_at, "last_message_at": state.last_message_at,
        "lag_seconds": round(lag, 1) if lag is not None else None, "backlog": backlog,
        "messages_per_minute": round(recent / (window.total_seconds() / 60), 1),
        "events": state.events, "matched": state.matched, "malformed": state.malformed, "oversize": state.oversize,
        "deleted_upstream": state.deleted_upstream, "errors": state.errors, "last_error": state.last_error,
        "last_error_at": state.last_error_at, "stalled": is_stalled(state, now),
        "watched_accounts": len(identity.watched_accounts()),
    }


def is_stalled(state: Source, now: datetime) -> bool:
    """Wanted running, but the process has not been heard from, or has read nothing, for
    ``BALLOTGUARD_SOURCE_STALL_SECONDS``. (Bluesky's public stream never goes quiet that long.)"""
    if not state.enabled:
        return False
    limit = timedelta(seconds=settings.BALLOTGUARD_SOURCE_STALL_SECONDS)
    if state.heartbeat_at is None or now - state.heartbeat_at > limit:
        return True
    return state.last_event_at is None or now - state.last_event_at > limit
