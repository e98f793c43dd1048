"""Jetstream frames: parsing every kind, refusing bad ones, and finding the posts addressed to a candidate."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballotguard.engines.messages import jetstream as js
from ballotguard.engines.messages.records import Platform

CAROL = "did:plc:carolcarolcarolcarol01"
TROLL = "did:plc:trolltrolltrolltroll01"
T = 1_765_000_000_000_000
WATCHED = {CAROL: "carol.bsky.social"}


def frame(**commit_record) -> str:
    record = {"$type": js.POST, "text": "hello", "createdAt": "2025-12-06T10:00:00.000Z", **commit_record}
    return json.dumps({"did": TROLL, "time_us": T, "kind": "commit",
                       "commit": {"rev": "r", "operation": "create", "collection": js.POST, "rkey": "3kabc", "record": record, "cid": "c"}})


def mention(did):
    return {"facets": [{"index": {"byteStart": 0, "byteEnd": 6}, "features": [{"$type": js.MENTION, "did": did}]}]}


def test_every_kind_of_event_is_read():
    post = js.parse_frame(frame())
    assert (post.kind, post.operation, post.did, post.time_us, post.uri) == ("commit", "create", TROLL, T, f"at://{TROLL}/{js.POST}/3kabc")
    gone = js.parse_frame(json.dumps({"did": TROLL, "time_us": T, "kind": "commit", "commit": {"operation": "delete", "collection": js.POST, "rkey": "3kabc"}}))
    assert gone.operation == "delete" and gone.record is None
    who = js.parse_frame(json.dumps({"did": CAROL, "time_us": T, "kind": "identity", "identity": {"did": CAROL, "handle": "Carol.New.Social"}}))
    assert who.handle == "carol.new.social"
    acct = js.parse_frame(json.dumps({"did": CAROL, "time_us": T, "kind": "account", "account": {"active": False, "status": "takendown"}}))
    assert acct.active is False


@pytest.mark.parametrize("bad, reason", [
    (b"\xff\xfe not json", "not JSON"),
    ("[1, 2]", "not a JSON object"),
    ('{"time_us": 1, "kind": "commit"}', "no did"),
    ('{"did": "did:plc:x", "time_us": "soon", "kind": "commit"}', "no time_us"),
    ('{"did": "did:plc:x", "time_us": true, "kind": "commit"}', "no time_us"),
    ('{"did": "did:plc:x", "time_us": 5, "kind": "commit"}', "has no commit"),
    ('{"did": "did:plc:x", "time_us": 5, "kind": "commit", "commit": {"operation": "explode", "collection": "c", "rkey": "r"}}', "lacks operation"),
    ('{"did": "did:plc:x", "time_us": 5, "kind": "commit", "commit": {"operation": "create", "collection": "c", "rkey": "r"}}', "has no record"),
    ('{"did": "did:plc:x", "time_us": 5, "kind": "gossip"}', "kind is not"),
])
def test_malformed_frames_are_refused_with_a_reason(bad, reason):
    with pytest.raises(js.FrameError, match=reason):
        js.parse_frame(bad)


def test_an_oversize_frame_is_refused_before_it_is_parsed():
    with pytest.raises(js.OversizeFrame):
        js.parse_frame(frame(text="x" * js.MAX_FRAME_BYTES))


@given(st.one_of(st.binary(max_size=300), st.text(max_size=300), st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.sampled_from(["did", "time_us", "kind", "commit", "record", "operation", "rkey", "collection", "identity"]), kids, max_size=5),
    max_leaves=20).map(json.dumps)))
def test_no_frame_breaks_the_parser_or_the_filter(data):
    try:
        event = js.parse_frame(data)
    except js.FrameError:
        return
    js.PostFilter(WATCHED).match(event)


@pytest.mark.parametrize("record, how", [
    (mention(CAROL), ("mention",)),
    ({"reply": {"parent": {"uri": f"at://{CAROL}/{js.POST}/3kp", "cid": "c"}, "root": {"uri": f"at://{TROLL}/{js.POST}/3kr", "cid": "c"}}}, ("reply",)),
    ({"reply": {"parent": {"uri": f"at://{TROLL}/{js.POST}/3kp", "cid": "c"}, "root": {"uri": f"at://{CAROL}/{js.POST}/3kr", "cid": "c"}}}, ("reply",)),
    ({"embed": {"$type": js.EMBED_RECORD, "record": {"uri": f"at://{CAROL}/{js.POST}/3kq", "cid": "c"}}}, ("quote",)),
    ({"embed": {"$type": js.EMBED_RECORD_WITH_MEDIA, "record": {"record": {"uri": f"at://{CAROL}/{js.POST}/3kq", "cid": "c"}}, "media": {}}}, ("quote",)),
    ({**mention(CAROL), "embed": {"$type": js.EMBED_RECORD, "record": {"uri": f"at://{CAROL}/{js.POST}/3kq"}}}, ("mention", "quote")),
])
def test_posts_that_mention_reply_to_or_quote_a_candidate_are_kept(record, how):
    found = js.PostFilter(WATCHED).match(js.parse_frame(frame(**record)))
    assert found == js.Addressed((CAROL,), how)


@pytest.mark.parametrize("record", [
    {},
    mention("did:plc:someoneelse000000000001"),
    {"embed": {"$type": "app.bsky.embed.images", "images": []}},
    {"embed": {"$type": "app.bsky.embed.external", "external": {"uri": f"at://{CAROL}/x/y"}}},
    {"facets": [{"features": [{"$type": js.LINK, "uri": f"https://bsky.app/profile/{CAROL}"}]}]},
    {"facets": "garbage", "reply": [], "embed": 7},
])
def test_other_posts_are_passed_over(record):
    assert js.PostFilter(WATCHED).match(js.parse_frame(frame(**record))) is None


def test_a_candidates_own_thread_is_not_addressed_to_them():
    own = json.loads(frame(**mention(CAROL)))
    own["did"] = CAROL
    assert js.PostFilter(WATCHED).match(js.parse_frame(json.dumps(own))) is None


def test_the_record_carries_what_the_ingest_routes_and_scores_on():
    record = {**mention(CAROL), "text": "@carol.bsky.social you liar", "reply": {"parent": {"uri": f"at://{CAROL}/{js.POST}/3kp"}}}
    record["facets"].append({"features": [{"$type": js.LINK, "uri": "https://example.org/x"}, {"$type": js.TAG, "tag": "liar"}]})
    event = js.parse_frame(frame(**record))
    message = js.to_record(event, js.PostFilter(WATCHED).match(event), WATCHED)
    assert message.platform is Platform.BLUESKY and message.message_id == f"at://{TROLL}/{js.POST}/3kabc"
    assert message.mentions == ("carol.bsky.social",) and message.author_handle == TROLL
    assert message.text == "@carol.bsky.social you liar" and message.reply_to == f"at://{CAROL}/{js.POST}/3kp"
    assert message.urls == ("https://example.org/x",) and message.hashtags == ("liar",)
    assert message.sent_at.isoformat() == "2025-12-06T10:00:00+00:00"


def test_the_subscribe_url_asks_for_posts_from_the_cursor():
    url = js.subscribe_url("wss://jetstream2.us-east.bsky.network/subscribe", 123)
    assert url == f"wss://jetstream2.us-east.bsky.network/subscribe?wantedCollections={js.POST}&maxMessageSizeBytes={js.MAX_FRAME_BYTES}&cursor=123"
    assert js.subscribe_url("ws://127.0.0.1:9/", None).startswith("ws://127.0.0.1:9/subscribe?") and "cursor" not in js.subscribe_url("ws://h", None)
