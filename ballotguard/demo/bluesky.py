"""The demo's live Bluesky: a local Jetstream replay that keeps posting, so a newcomer running
``make run`` sees messages to the demo candidates arrive in the review queue as they are posted.

The demo candidates have Bluesky handles (``demo-cand-<id>.bsky.social``, given in ``messages.py``)
beside their X handles; each gets a made-up DID derived from the handle, which the replay server's resolver answers
with. Every second the server publishes a little chatter addressed to nobody we follow, and every few
seconds a post that mentions, replies to or quotes a demo candidate, written from the demo's own
fictional texts. Nothing is harvested from anywhere and nothing leaves the machine.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable

from ballotguard.engines.messages.records import Platform
from ballotguard.monitoring.connectors import frames
from ballotguard.registry.models import SocialHandle

from .messages import ABUSIVE, ORDINARY, THREATENING

CHATTER = ["lovely morning for a walk", "anyone watching the match?", "new blog post up", "coffee first, then emails",
           "the trains are late again", "just finished a great book"]


def did_for(handle: str) -> str:
    """A made-up ``did:plc`` (24 characters of base-32 alphabet), stable for a handle."""
    digest = hashlib.sha256(f"ballotguard-demo:{handle}".encode()).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    return "did:plc:" + "".join(alphabet[b % 32] for b in digest[:24])


def watched_handles() -> dict[str, str]:
    """Every registered Bluesky handle of a demo candidate → its made-up DID (the resolver's table)."""
    handles = SocialHandle.objects.filter(platform=Platform.BLUESKY.value, handle__startswith="demo-cand-").values_list("handle", flat=True)
    return {h: did_for(h) for h in handles}


def live_posts(handles: dict[str, str], *, seed: int = 2026, every: int = 6) -> Callable[[int], list[str]]:
    """The generator the replay server calls each second with the time (microseconds)."""
    rng = random.Random(seed)
    targets = sorted(handles.items())
    tick = {"n": 0}

    def generate(now_us: int) -> list[str]:
        tick["n"] += 1
        out = [frames.post(did_for(f"demo-chatter-{rng.randrange(5000)}"), f"3kc{now_us}{i}", now_us + i, rng.choice(CHATTER))
               for i in range(rng.randrange(3, 12))]
        if targets and tick["n"] % every == 0:
            handle, did = rng.choice(targets)
            roll = rng.random()
            pool = THREATENING if roll < 0.1 else ABUSIVE if roll < 0.4 else ORDINARY
            text = rng.choice(pool).format(place="your area")
            author = did_for(f"demo-user-{rng.randrange(400)}")
            how = rng.randrange(3)
            out.append(frames.post(author, f"3kd{now_us}", now_us + 50, text,
                                   mention=(did, handle) if how == 0 else None,
                                   reply_to=f"at://{did}/app.bsky.feed.post/3kdemo{rng.randrange(50)}" if how == 1 else None,
                                   quote=f"at://{did}/app.bsky.feed.post/3kdemo{rng.randrange(50)}" if how == 2 else None))
        return out

    return generate
