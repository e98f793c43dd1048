"""Jetstream frames in the documented JSON shape, built from parts: for the tests, the benchmark
and the demo's replay. Nothing here is read from the network."""

from __future__ import annotations

import json
from datetime import datetime, timezone

POST = "app.bsky.feed.post"


def _iso(time_us: int) -> str:
    return datetime.fromtimestamp(time_us / 1_000_000, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def post(did: str, rkey: str, time_us: int, text: str, *, mention: tuple[str, str] | None = None, reply_to: str | None = None,
         quote: str | None = None, link: str | None = None, tag: str | None = None, operation: str = "create") -> str:
    """A post commit. ``mention``: (DID, handle) written as ``@handle`` in the text; ``reply_to`` and
    ``quote``: AT URIs of the post replied to or quoted."""
    record: dict = {"$type": POST, "text": text, "createdAt": _iso(time_us), "langs": ["en"]}
    facets = []
    if mention:
        did_m, handle = mention
        record["text"] = f"@{handle} {text}"
        facets.append({"index": {"byteStart": 0, "byteEnd": len(handle.encode()) + 1},
                       "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did_m}]})
    if link:
        facets.append({"index": {"byteStart": 0, "byteEnd": 1}, "features": [{"$type": "app.bsky.richtext.facet#link", "uri": link}]})
    if tag:
        facets.append({"index": {"byteStart": 0, "byteEnd": 1}, "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}]})
    if facets:
        record["facets"] = facets
    if reply_to:
        ref = {"uri": reply_to, "cid": "bafyreiparent"}
        record["reply"] = {"parent": ref, "root": ref}
    if quote:
        record["embed"] = {"$type": "app.bsky.embed.record", "record": {"uri": quote, "cid": "bafyreiquoted"}}
    return json.dumps({"did": did, "time_us": time_us, "kind": "commit", "commit": {
        "rev": f"rev{time_us}", "operation": operation, "collection": POST, "rkey": rkey, "record": record,
        "cid": f"bafyrei{rkey}"}})


def delete(did: str, rkey: str, time_us: int) -> str:
    return json.dumps({"did": did, "time_us": time_us, "kind": "commit",
                       "commit": {"rev": f"rev{time_us}", "operation": "delete", "collection": POST, "rkey": rkey}})


def identity(did: str, handle: str, time_us: int) -> str:
    return json.dumps({"did": did, "time_us": time_us, "kind": "identity",
                       "identity": {"did": did, "handle": handle, "seq": time_us // 1000, "time": _iso(time_us)}})


def account(did: str, time_us: int, active: bool = True, status: str | None = None) -> str:
    body = {"did": did, "active": active, "seq": time_us // 1000, "time": _iso(time_us)}
    if status:
        body["status"] = status
    return json.dumps({"did": did, "time_us": time_us, "kind": "account", "account": body})
