"""The one loop behind every ``--loop SECONDS`` command (check-in sweep, insights refresh, campaign
detection, live-source stall check, Democracy Club sync), so they agree on what ``--loop`` means:
0 or less runs once; more runs now, then again every that many seconds until stopped. A cron job or a
systemd timer calling the command without ``--loop`` is the same thing, run by the system instead."""

from __future__ import annotations

import time
from collections.abc import Callable


def run_every(seconds: int, once: Callable[[bool], None], *, sleep: Callable[[float], None] = time.sleep) -> None:
    """Call ``once(first)`` now (``first`` is True on the first call only); with ``seconds`` > 0, call
    it again every ``seconds`` until the process is stopped."""
    first = True
    while True:
        once(first)
        if seconds <= 0:
            return
        first = False
        sleep(seconds)
