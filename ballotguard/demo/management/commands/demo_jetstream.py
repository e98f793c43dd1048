"""``ballotguard demo-jetstream``: a local, live Jetstream of demo posts for ``make run``."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand

from ballotguard.demo.bluesky import live_posts, watched_handles
from ballotguard.monitoring.connectors.replay import JetstreamReplay


class Command(BaseCommand):
    help = ("Serve a local Jetstream on 127.0.0.1 (ws://127.0.0.1:PORT/subscribe) that publishes demo chatter every "
            "second and, every few seconds, a post to one of the demo candidates' Bluesky accounts; it also resolves "
            "their handles (/xrpc/com.atproto.identity.resolveHandle). Point stream-bluesky at it with "
            "BALLOTGUARD_BLUESKY_JETSTREAM_URL and BALLOTGUARD_BLUESKY_RESOLVER_URL. Fiction only; runs until stopped.")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=6008)
        parser.add_argument("--every", type=int, default=6, metavar="SECONDS", help="A post to a candidate every SECONDS (default 6).")

    def handle(self, *args, port: int, every: int, **options):
        handles = watched_handles()
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        with JetstreamReplay(port=port, live=live_posts(handles, every=every), handles=handles) as replay:
            self.stderr.write(f"Demo Jetstream on {replay.url} for {len(handles)} demo candidate accounts; Ctrl+C stops.")
            stop.wait()
