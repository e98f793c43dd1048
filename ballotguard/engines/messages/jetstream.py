"""Bluesky's Jetstream: reading its frames, and keeping only the posts addressed to a candidate.

Jetstream (github.com/bluesky-social/jetstream) re-publishes the AT Protocol firehose as one JSON
object per WebSocket text message, with no authentication::

    {"did": "did:plc:…", "time_us": 1725911162329308, "kind": "commit",
     "commit": {"rev": "…", "operation": "create", "collection": "app.bsky.feed.post",
                "rkey": "3l3qo2vuowo2b", "record": {"text": "…", "createdAt": "…", …}, "cid": "…"}}
    {"did": "…", "time_us": …, "kind": "identity", "identity": {"did": "…", "handle": "jo.bsky.social", …}}
    {"did": "…", "time_us": …, "kind": "account", "account": {"did": "…", "active": false, "status": "…", …}}

``time_us`` (microseconds since the epoch) is the cursor: reconnecting with ``?cursor=T`` replays
every event from T on. Jetstream's README advises rewinding a few seconds for gapless playback;
the connector does, and relies on ingest being idempotent to drop what it sees twice.

A post is *addressed to* a candidate when it mentions their account (a rich-text facet
``app.bsky.richtext.facet#mention`` carrying their DID), replies to one of their posts (the
``reply.parent`` or ``reply.root`` AT URI names their DID) or quotes one (an ``app.bsky.embed.record``
embed, alone or inside ``app.bsky.embed.recordWithMedia``). Matching is by DID, not by handle:
a handle can change or be taken by someone else; the DID cannot.

The whole public post stream goes through :meth:`PostFilter.match`, so it is written to be cheap:
one ``json.loads`` per frame and a few dictionary look-ups. Pure Python: no Django.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from ballotguard.engines.messages.records import MAX_TEXT_CHARS, MessageRecord, Platform, normalise_handle, parse_time

POST = "app.bsky.feed.post"
MENTION = "app.bsky.richtext.facet#mention"
LINK = "app.bsky.richtext.facet#link"
TAG = "app.bsky.richtext.facet#tag"
EMBED_RECORD = "app.bsky.embed.record"
EMBED_RECORD_WITH_MEDIA = "app.bsky.embed.recordWithMedia"

MAX_FRAME_BYTES = 64 * 1024
"""A post record is at most a few kilobytes (300 graphemes of text, facets, an embed); a frame
larger than this is refused unparsed and counted. Sent to Jetstream as ``maxMessageSizeBytes``."""

MAX_ID_CHARS = 200  # Message.message_id
_DID = re.compile(r"did:[a-z]+:[A-Za-z0-9._:%-]{1,200}")


class FrameError(ValueError):
    """A frame that is not a Jetstream event. The message says why, without quoting the frame."""


class OversizeFrame(FrameError):
    pass


@dataclass(frozen=True)
class Event:
    did: str
    time_us: int
    kind: str  # commit, identity or account
    operation: str = ""  # create, update or delete (commits)
    collection: str = ""
    rkey: str = ""
    record: dict | None = None
    handle: str = ""  # identity events: the account's handle now
    active: bool | None = None  # account events

    @property
    def uri(self) -> str:
        """The post's AT URI, the identity Ballotguard stores it under."""
        return f"at://{self.did}/{self.collection}/{self.rkey}"


def parse_frame(frame: str | bytes, *, max_bytes: int = MAX_FRAME_BYTES) -> Event:
    """One WebSocket message to an :class:`Event`; raises :class:`FrameError` (or
    :class:`OversizeFrame`) with a reason."""
    if len(frame) > max_bytes:
        raise OversizeFrame(f"frame of {len(frame):,} bytes is over the {max_bytes:,}-byte limit")
    try:
        raw = json.loads(frame)
    except (ValueError, UnicodeDecodeError):
        raise FrameError("frame is not JSON") from None
    if not isinstance(raw, dict):
        raise FrameError("frame is not a JSON object")
    did, time_us, kind = raw.get("did"), raw.get("time_us"), raw.get("kind")
    if not isinstance(did, str) or not did.startswith("did:"):
        raise FrameError("frame has no did")
    if not isinstance(time_us, int) or isinstance(time_us, bool) or time_us <= 0:
        raise FrameError("frame has no time_us")
    if kind == "commit":
        commit = raw.get("commit")
        if not isinstance(commit, dict):
            raise FrameError("commit frame has no commit")
        operation, collection, rkey = commit.get("operation"), commit.get("collection"), commit.get("rkey")
        if operation not in ("create", "update", "delete") or not isinstance(collection, str) or not isinstance(rkey, str) or not rkey:
            raise FrameError("commit frame lacks operation, collection or rkey")
        record = commit.get("record")
        if operation != "delete" and not isinstance(record, dict):
            raise FrameError(f"{operation} commit has no record")
        return Event(did, time_us, kind, operation, collection, rkey, record if operation != "delete" else None)
    if kind == "identity":
        identity = raw.get("identity")
        handle = identity.get("handle") if isinstance(identity, dict) else None
        return Event(did, time_us, kind, handle=normalise_handle(handle) if isinstance(handle, str) else "")
    if kind == "account":
        account = raw.get("account")
        active = account.get("active") if isinstance(account, dict) else None
        return Event(did, time_us, kind, active=active if isinstance(active, bool) else None)
    raise FrameError("frame kind is not commit, identity or account")


def did_of_uri(uri: object) -> str:
    """``at://did:plc:abc/app.bsky.feed.post/3k…`` → ``did:plc:abc``; anything else → ``""``."""
    if isinstance(uri, str) and uri.startswith("at://did:"):
        return uri[5:].split("/", 1)[0]
    return ""


@dataclass(frozen=True)
class Addressed:
    """Which candidates' accounts a post is addressed to, and how."""

    dids: tuple[str, ...]
    how: tuple[str, ...]  # "mention", "reply", "quote"


def addressees(record: dict) -> tuple[set[str], set[str], set[str]]:
    """The DIDs a post mentions, replies to and quotes (three sets, possibly empty)."""
    mentions: set[str] = set()
    replies: set[str] = set()
    quotes: set[str] = set()
    facets = record.get("facets")
    if isinstance(facets, list):
        for facet in facets:
            features = facet.get("features") if isinstance(facet, dict) else None
            if isinstance(features, list):
                for feature in features:
                    if isinstance(feature, dict) and feature.get("$type") == MENTION and isinstance(feature.get("did"), str):
                        mentions.add(feature["did"])
    reply = record.get("reply")
    if isinstance(reply, dict):
        for end in ("parent", "root"):
            ref = reply.get(end)
            if isinstance(ref, dict) and (did := did_of_uri(ref.get("uri"))):
                replies.add(did)
    embed = record.get("embed")
    if isinstance(embed, dict):
        inner = embed.get("record")
        if embed.get("$type") == EMBED_RECORD_WITH_MEDIA and isinstance(inner, dict):
            inner = inner.get("record")  # recordWithMedia wraps the quoted record once more
        elif embed.get("$type") != EMBED_RECORD:
            inner = None
        if isinstance(inner, dict) and (did := did_of_uri(inner.get("uri"))):
            quotes.add(did)
    return mentions, replies, quotes


class PostFilter:
    """Keeps the posts addressed to a watched account. ``watched`` maps each candidate account's DID
    to the handle it is registered under in Ballotguard (what the message router matches on)."""

    def __init__(self, watched: dict[str, str]):
        self.watched = dict(watched)

    def match(self, event: Event) -> Addressed | None:
        """The watched accounts a new post is addressed to, or ``None``. A candidate's own posts are
        not addressed to them (a thread they write mentions and replies to themselves)."""
        if event.kind != "commit" or event.collection != POST or event.operation == "delete" or not event.record:
            return None
        mentions, replies, quotes = addressees(event.record)
        dids, how = [], []
        for label, found in (("mention", mentions), ("reply", replies), ("quote", quotes)):
            for did in sorted(found):
                if did in self.watched and did != event.did:
                    if did not in dids:
                        dids.append(did)
                    if label not in how:
                        how.append(label)
        return Addressed(tuple(dids), tuple(how)) if dids else None


def to_record(event: Event, addressed: Addressed, watched: dict[str, str]) -> MessageRecord:
    """The post as a :class:`MessageRecord` for ``ingest_records``: its AT URI is the message id, and
    the candidates' registered handles are its mentions, so the ingest routes it as it routes a file.
    Raises :class:`FrameError` when the post cannot be stored (no text, an id too long)."""
    record = event.record or {}
    text = record.get("text")
    if not isinstance(text, str):
        raise FrameError("post has no text")
    text = text[:MAX_TEXT_CHARS]
    uri = event.uri
    if len(uri) > MAX_ID_CHARS:
        raise FrameError("post's AT URI is longer than a message id may be")
    try:
        sent_at = parse_time(record.get("createdAt"))
    except ValueError:
        sent_at = datetime.fromtimestamp(event.time_us / 1_000_000, tz=timezone.utc)
    urls: list[str] = []
    tags: list[str] = []
    facets = record.get("facets")
    for facet in facets if isinstance(facets, list) else ():
        for feature in (facet.get("features") or ()) if isinstance(facet, dict) else ():
            if not isinstance(feature, dict):
                continue
            if feature.get("$type") == LINK and isinstance(feature.get("uri"), str):
                urls.append(feature["uri"][:500])
            elif feature.get("$type") == TAG and isinstance(feature.get("tag"), str):
                tags.append(feature["tag"][:100])
    reply = record.get("reply")
    parent = reply.get("parent") if isinstance(reply, dict) else None
    reply_to = parent.get("uri", "") if isinstance(parent, dict) and isinstance(parent.get("uri"), str) else ""
    return MessageRecord(
        platform=Platform.BLUESKY, message_id=uri, text=text, sent_at=sent_at,
        author_handle=event.did,  # Jetstream names the author by DID only; that is what Ballotguard keeps
        reply_to=reply_to[:MAX_ID_CHARS], mentions=tuple(watched[d] for d in addressed.dids),
        urls=tuple(dict.fromkeys(urls))[:100], hashtags=tuple(dict.fromkeys(tags))[:100],
    )


def subscribe_url(base: str, cursor: int | None, *, max_bytes: int = MAX_FRAME_BYTES) -> str:
    """The ``/subscribe`` URL for posts only, from ``cursor`` (microseconds) when there is one."""
    base = base.rstrip("/")
    if not base.endswith("/subscribe"):
        base += "/subscribe"
    url = f"{base}?wantedCollections={POST}&maxMessageSizeBytes={max_bytes}"
    return url + (f"&cursor={cursor}" if cursor else "")


def is_did(text: str) -> bool:
    return bool(_DID.fullmatch(text))
