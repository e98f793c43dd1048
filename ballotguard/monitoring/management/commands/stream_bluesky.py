"""``ballotguard stream-bluesky``: follow Bluesky's Jetstream and ingest the posts addressed to candidates."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand

from ballotguard.monitoring.connectors.bluesky import BlueskyConnector
from ballotguard.monitoring.connectors.identity import XrpcHandleResolver


class Command(BaseCommand):
    help = (
        "Follow Bluesky's public Jetstream (no account needed) and keep the posts that mention, reply to or "
        "quote a candidate's registered Bluesky account; they are stored and scored exactly as by "
        "ingest-messages, idempotently. Runs until stopped (Ctrl+C or SIGTERM). Resumes from the cursor stored "
        "in the database, rewinding BALLOTGUARD_BLUESKY_OVERLAP_SECONDS, so a restart or a dropped connection "
        "loses nothing and stores nothing twice. Obeys the start/stop control on the Sources page. Malformed "
        "and oversize frames are counted and skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", default="", help="Jetstream's subscribe URL (default BALLOTGUARD_BLUESKY_JETSTREAM_URL, "
                            "wss://jetstream2.us-east.bsky.network/subscribe).")
        parser.add_argument("--resolver-url", default="", help="The AT Protocol service that resolves handles to DIDs "
                            "(default BALLOTGUARD_BLUESKY_RESOLVER_URL, https://public.api.bsky.app).")
        parser.add_argument("--idle-exit", type=float, default=None, metavar="SECONDS",
                            help="Stop after this many seconds without a frame (for replays; off by default).")

    def handle(self, *args, url: str, resolver_url: str, idle_exit: float | None, **options):
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        connector = BlueskyConnector(url or None, XrpcHandleResolver(resolver_url or None))
        self.stderr.write(f"Following {connector.url}; Ctrl+C stops.")
        connector.run(stop, idle_exit=idle_exit)
        self.stderr.write("Stopped; the cursor is stored and the next run resumes from it.")
