"""``ballotguard stream-mastodon``: the mentions of candidates' connected Mastodon accounts, live.

Mastodon has no public firehose to filter, so a candidate (or their staff) connects their own
account with an access token (``services.mastodon.connect``). For each connected account the
connector, with Mastodon.py:

1. **catches up** through the REST API: mention notifications after the stored ``since_id``,
   oldest first, page by page (``min_id``), advancing ``since_id`` after each is ingested;
2. **streams** the user stream (``/api/v1/streaming/user``, server-sent events) and ingests each
   ``notification`` of type ``mention`` as it arrives;
3. **catches up once more** as soon as the stream is open (its first heartbeat or event): a mention
   that arrived between the last catch-up page and the stream's opening is on neither, so without
   this it would wait for the next reconnection. Events the stream then delivers that the catch-up
   already ingested (``id`` not after ``since_id``) are passed over.

A dropped stream, a restart or a killed process goes back to step 1 from the stored ``since_id``: no
gap. A mention is ingested (idempotently, by the status's URI) before ``since_id`` moves past it: no
duplicate. Mentions of one person arrive at human speed, so each is stored and scored as it comes.
A revoked account (its token blanked) is noticed within seconds and its stream closed.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import time
from datetime import datetime, timedelta, timezone as dt_timezone
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import F, Max
from django.utils import timezone

from ballotguard.accounts.services import Actor
from ballotguard.engines.messages.records import MAX_TEXT_CHARS, MessageRecord, Platform, normalise_handle, parse_time

from ..models import MastodonAccount, Message, Source
from ..services.ingest import ingest_records

log = logging.getLogger(__name__)

NAME = Source.Name.MASTODON.value


class _Stop(Exception):
    pass


def client_for(account: MastodonAccount, **kw):
    from mastodon import Mastodon

    return Mastodon(access_token=account.access_token, api_base_url=account.instance_url, request_timeout=10,
                    version_check_mode="none", user_agent="Ballotguard (stream-mastodon)", **kw)


def handle_of(acct: str, instance_url: str) -> str:
    """``carol`` on ``https://mastodon.social`` → ``carol@mastodon.social``: the handle the router matches."""
    acct = normalise_handle(acct)
    return acct if "@" in acct else f"{acct}@{urlsplit(instance_url).netloc.casefold()}"


_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p>", re.I)
_TAG = re.compile(r"<[^>]+>")


def text_of(content: str) -> str:
    """Mastodon sends a status's text as HTML; the scorer wants the words."""
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", content or ""))).strip()[:MAX_TEXT_CHARS]


def _get(obj, key, default=None):
    try:
        return obj[key]
    except (KeyError, TypeError, IndexError):
        return default


def record_of(notification, handle: str) -> MessageRecord | None:
    """A mention notification as a message to the candidate, or ``None`` if it is something else."""
    status = _get(notification, "status")
    if _get(notification, "type") != "mention" or not status:
        return None
    uri = str(_get(status, "uri") or _get(status, "url") or "")
    if not uri or len(uri) > 200:
        return None
    created = _get(status, "created_at")
    sent_at = created if isinstance(created, datetime) else parse_time(created) if created else timezone.now()
    if sent_at.tzinfo is None:
        sent_at = sent_at.replace(tzinfo=dt_timezone.utc)
    author = _get(status, "account") or {}
    tags = [str(_get(t, "name", "")) for t in (_get(status, "tags") or []) if _get(t, "name")]
    return MessageRecord(
        platform=Platform.MASTODON, message_id=uri, text=text_of(str(_get(status, "content", ""))), sent_at=sent_at,
        author_handle=str(_get(author, "acct", "")), author_name=str(_get(author, "display_name", ""))[:200],
        reply_to=str(_get(status, "in_reply_to_id") or ""), mentions=(handle,), hashtags=tuple(tags[:100]),
    )


class MastodonConnector:
    def __init__(self, account_id: int, *, client_factory=client_for, check_every: float = 2.0, actor: Actor | None = None):
        self.account_id = account_id
        self.client_factory = client_factory
        self.check_every = check_every
        self.actor = actor or Actor.cli()
        self.ingested = 0
        self.active_at = time.monotonic()  # when a notification last came, by the catch-up or the stream

    def _account(self) -> MastodonAccount | None:
        """The account, while it is connected and the source is wanted running; else ``None``."""
        if Source.objects.filter(name=NAME, enabled=False).exists():
            return None
        return MastodonAccount.objects.filter(pk=self.account_id, revoked_at__isnull=True).exclude(access_token="").first()

    def _ingest(self, account: MastodonAccount, notification) -> None:
        self.active_at = time.monotonic()
        ident = str(_get(notification, "id", ""))
        if ident.isdigit() and account.since_id and int(ident) <= int(account.since_id):
            return  # already ingested (by the catch-up that ran after the stream opened)
        record = record_of(notification, handle_of(account.acct, account.instance_url))
        if record is not None:
            ingest_records(self.actor, [record], source="mastodon", score=True)
            self.ingested += 1
        if ident.isdigit() and (not account.since_id or int(ident) > int(account.since_id)):
            account.since_id = ident  # only after the mention is stored: a crash re-reads it, never skips it
        account.last_event_at = timezone.now()
        MastodonAccount.objects.filter(pk=account.pk).update(since_id=account.since_id, last_event_at=account.last_event_at)

    def catch_up(self, client, account: MastodonAccount) -> None:
        while True:
            page = client.notifications(types=["mention"], min_id=account.since_id or None, limit=40)
            if not page:
                return
            for notification in sorted(page, key=lambda n: int(_get(n, "id", 0))):
                self._ingest(account, notification)

    def run(self, stop: threading.Event, *, backoff: tuple[float, float] = (1.0, 60.0), idle_exit: float | None = None) -> None:
        """Follow the account until ``stop`` is set, the account is disconnected, the source is stopped
        on the Sources page, or (with ``idle_exit``) that many seconds pass with no notification."""
        from mastodon import StreamListener
        from mastodon.errors import MastodonError

        delay = backoff[0]
        self.active_at = time.monotonic()

        def idle() -> bool:
            return idle_exit is not None and time.monotonic() - self.active_at >= idle_exit

        while not stop.is_set():
            account = self._account()
            if account is None:
                return  # disconnected
            client = self.client_factory(account)
            connector, checked, opened = self, {"at": time.monotonic()}, {"caught_up": False}

            def stream_open() -> None:
                if not opened["caught_up"]:
                    opened["caught_up"] = True
                    connector.catch_up(client, account)

            class Listener(StreamListener):
                def on_notification(self, notification):
                    stream_open()
                    connector._ingest(account, notification)

                def handle_heartbeat(self):
                    stream_open()
                    if stop.is_set() or idle():
                        raise _Stop
                    if time.monotonic() - checked["at"] >= connector.check_every:
                        checked["at"] = time.monotonic()
                        if connector._account() is None:
                            raise _Stop

                def on_unknown_event(self, name, unknown_event=None):
                    pass

            try:
                self.catch_up(client, account)
                delay = backoff[0]
                client.stream_user(Listener(), run_async=False, timeout=30)
                raise MastodonError("the stream ended")
            except _Stop:
                return
            except (MastodonError, OSError, ValueError) as exc:
                reason = type(exc).__name__
                log.warning("Mastodon stream for account %s failed: %s; catching up from the stored position", self.account_id, reason)
                MastodonAccount.objects.filter(pk=self.account_id).update(last_error=reason[:200])
                Source.objects.filter(name=NAME).update(errors=F("errors") + 1, last_error=reason[:300], last_error_at=timezone.now())
                if idle():
                    return
                stop.wait(delay)
                delay = min(delay * 2, backoff[1])


def heartbeat(connected_accounts: int) -> None:
    """``stream-mastodon`` is alive (called every rescan); ``connected`` when it follows any account."""
    source, _ = Source.objects.get_or_create(name=NAME)
    now = timezone.now()
    Source.objects.filter(pk=source.pk).update(heartbeat_at=now, connected=bool(connected_accounts) and source.enabled,
                                               connected_since=source.connected_since or now if connected_accounts else None)


def status(now: datetime | None = None) -> dict:
    """The Sources page's figures for Mastodon (the same keys as the Bluesky connector's)."""
    now = now or timezone.now()
    state = Source.objects.get_or_create(name=NAME)[0]
    accounts = MastodonAccount.objects.filter(revoked_at__isnull=True).exclude(access_token="")
    window = timedelta(minutes=5)
    stored = Message.objects.filter(source=NAME)
    fresh = state.heartbeat_at is not None and now - state.heartbeat_at < timedelta(seconds=settings.BALLOTGUARD_SOURCE_STALL_SECONDS)
    received = stored.count()  # every mention followed is addressed to a candidate
    return {
        "name": state.name, "label": state.get_name_display(), "enabled": state.enabled,
        "connected": bool(state.connected and fresh), "connected_since": state.connected_since, "heartbeat_at": state.heartbeat_at,
        "last_event_at": accounts.aggregate(m=Max("last_event_at"))["m"], "last_message_at": stored.aggregate(m=Max("ingested_at"))["m"],
        "lag_seconds": None,  # a push stream per account: no position to lag behind
        "backlog": 0, "messages_per_minute": round(stored.filter(ingested_at__gte=now - window).count() / 5, 1),
        "events": received, "matched": received, "malformed": 0, "oversize": 0, "deleted_upstream": 0,
        "errors": state.errors, "last_error": state.last_error, "last_error_at": state.last_error_at,
        # Stalled: wanted running with accounts to follow, but the process has not been heard from.
        "stalled": bool(state.enabled and accounts.exists() and not fresh),
        "watched_accounts": accounts.count(),
    }
