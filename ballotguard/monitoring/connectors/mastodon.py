"""``ballotguard stream-mastodon``: the mentions of candidates' connected Mastodon accounts, live.

Mastodon has no public firehose to filter, so a candidate (or their staff) connects their own
account with an access token (``services.mastodon.connect``). For each connected account the
connector, with Mastodon.py:

1. **catches up** through the REST API: mention notifications after the stored ``since_id``,
   oldest first, page by page (``min_id``), advancing ``since_id`` after each is ingested;
2. **streams** the user stream (``/api/v1/streaming/user``, server-sent events) and ingests each
   ``notification`` of type ``mention`` as it arrives.

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
from datetime import datetime, timezone as dt_timezone
from urllib.parse import urlsplit

from django.utils import timezone

from ballotguard.accounts.services import Actor
from ballotguard.engines.messages import MAX_TEXT_CHARS, MessageRecord, Platform, normalise_handle, parse_time

from ..models import MastodonAccount
from ..services.ingest import ingest_records

log = logging.getLogger(__name__)


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

    def _account(self) -> MastodonAccount | None:
        return MastodonAccount.objects.filter(pk=self.account_id, revoked_at__isnull=True).exclude(access_token="").first()

    def _ingest(self, account: MastodonAccount, notification) -> None:
        record = record_of(notification, handle_of(account.acct, account.instance_url))
        if record is not None:
            ingest_records(self.actor, [record], source="mastodon", score=True)
            self.ingested += 1
        ident = str(_get(notification, "id", ""))
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

    def run(self, stop: threading.Event, *, backoff: tuple[float, float] = (1.0, 60.0)) -> None:
        from mastodon import StreamListener
        from mastodon.errors import MastodonError

        delay = backoff[0]
        while not stop.is_set():
            account = self._account()
            if account is None:
                return  # disconnected
            client = self.client_factory(account)
            connector, checked = self, {"at": time.monotonic()}

            class Listener(StreamListener):
                def on_notification(self, notification):
                    connector._ingest(account, notification)

                def handle_heartbeat(self):
                    if stop.is_set():
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
                stop.wait(delay)
                delay = min(delay * 2, backoff[1])
