"""``ballotguard check-sources``: tell administrators when a live message source has stalled."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from ballotguard.monitoring.services.sources import STATUS, check_stalls
from ballotguard.core.schedule import run_every


class Command(BaseCommand):
    help = ("Check every live message source (Bluesky, Mastodon) that should be running: one not heard from, or that has read "
            "nothing, for BALLOTGUARD_SOURCE_STALL_SECONDS (default 300) is reported by e-mail to every active "
            "administrator, once per stall. Prints each source's figures as JSON. --loop repeats every SECONDS.")

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, metavar="SECONDS", help="Check again every SECONDS (0: once).")

    def handle(self, *args, loop: int, **options):
        def once(first: bool) -> None:
            alerted = check_stalls()
            figures = [status() for status in STATUS.values()]
            self.stdout.write(json.dumps({"stalled_alerted": alerted, "sources": figures}, default=str))

        run_every(loop, once)
