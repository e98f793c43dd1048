"""The demo's live Bluesky: the real connector follows the local demo Jetstream and posts to the demo
candidates arrive, routed and scored, while the stream runs."""

from __future__ import annotations

import threading

import pytest

from ballotguard.accounts.services import Actor
from ballotguard.demo.bluesky import did_for, live_posts, watched_handles
from ballotguard.monitoring.connectors.bluesky import BlueskyConnector, drain
from ballotguard.monitoring.connectors.identity import XrpcHandleResolver
from ballotguard.monitoring.connectors.replay import JetstreamReplay
from ballotguard.monitoring.models import Message, Source
from ballotguard.registry.models import SocialHandle

pytestmark = pytest.mark.django_db


def test_the_connector_follows_the_demo_stream_live(world):
    candidate = world.candidates.yardley_1
    SocialHandle.objects.create(candidate=candidate, platform="bluesky", handle=f"demo-cand-{candidate.pk}.bsky.social")
    handles = watched_handles()
    assert handles == {f"demo-cand-{candidate.pk}.bsky.social": did_for(f"demo-cand-{candidate.pk}.bsky.social")}
    stop = threading.Event()
    with JetstreamReplay(live=live_posts(handles, every=2), live_interval=0.1, handles=handles) as replay:
        timer = threading.Timer(2.5, stop.set)
        timer.start()
        BlueskyConnector(replay.url, XrpcHandleResolver(f"http://127.0.0.1:{replay.port}"), flush_seconds=0.2, drain=False).run(stop)
    while drain(Actor.cli()):
        pass
    arrived = Message.objects.filter(platform="bluesky", candidate=candidate)
    assert arrived.count() >= 3 and not arrived.filter(scored_at__isnull=True).exists()
    state = Source.objects.get(name="bluesky")
    assert state.events > arrived.count() and state.malformed == 0 and state.matched == arrived.count()
