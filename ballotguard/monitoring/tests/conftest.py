"""Helpers for the monitoring tests: candidates' handles and message files."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from ballotguard.registry.models import SocialHandle

THREAT = "we know where you live. you'll end up like Jo Cox"
ABUSE = "You are a pathetic lying idiot and a disgusting excuse for a human being"
ORDINARY = "What is your position on the bus cuts in Yardley?"


@pytest.fixture
def handles(world):
    """Carol (Birmingham Yardley, West Midlands) is @carol_mp on X; Alice (Cities of London and
    Westminster, Met and City of London) is @alice_clw."""
    SocialHandle.objects.create(candidate=world.candidates.yardley_1, platform="x", handle="carol_mp")
    SocialHandle.objects.create(candidate=world.candidates.clw_1, platform="x", handle="alice_clw")
    return world


def message(n: int, text: str, to: str = "carol_mp", **extra) -> dict:
    row = {
        "platform": "x", "message_id": str(n), "author_handle": f"@Troll_{n % 3}", "author_name": "A Troll",
        "text": text, "sent_at": (timezone.now() - dt.timedelta(hours=n)).isoformat(), "mentions": [f"@{to}"],
        "urls": [], "hashtags": [],
    }
    row.update(extra)
    return row


def jsonl(rows: list[dict | str]) -> bytes:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows).encode() + b"\n"
