"""``ballotguard stream-mastodon``: follow the mentions of every connected Mastodon account."""

from __future__ import annotations

import signal
import threading
import time

from django.core.management.base import BaseCommand

from ballotguard.monitoring.connectors.mastodon import NAME, MastodonConnector, heartbeat
from ballotguard.monitoring.models import MastodonAccount, Source


class Command(BaseCommand):
    help = ("Follow the mentions of every Mastodon account a candidate has connected: catch up through the REST API from "
            "each account's stored position, then stream; a dropped stream or a restart catches up again, so nothing is "
            "missed, and nothing is stored twice. Newly connected accounts are picked up, disconnected ones dropped, "
            "every --rescan seconds. Obeys the start/stop control on the Sources page. Runs until stopped (Ctrl+C or SIGTERM).")

    def add_arguments(self, parser):
        parser.add_argument("--rescan", type=float, default=30.0, metavar="SECONDS",
                            help="How often to look for newly connected and disconnected accounts (default 30).")
        parser.add_argument("--idle-exit", type=float, default=None, metavar="SECONDS",
                            help="Stop once every followed account has gone this many seconds without a notification "
                            "(for tests and replays; off by default).")

    def handle(self, *args, rescan: float, idle_exit: float | None, **options):
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        threads: dict[int, threading.Thread] = {}
        started = time.monotonic()
        while not stop.is_set():
            if idle_exit is not None and not any(t.is_alive() for t in threads.values()) and (threads or time.monotonic() - started >= idle_exit):
                break  # every account's thread ended idle (or there was none to follow)
            live = set(MastodonAccount.objects.filter(revoked_at__isnull=True).exclude(access_token="").values_list("pk", flat=True))
            if Source.objects.filter(name=NAME, enabled=False).exists():
                live = set()  # stopped on the Sources page: the account threads see it and end
            heartbeat(len([t for t in threads.values() if t.is_alive()]) + len(live - set(threads)))
            for pk in live:
                if pk not in threads or (idle_exit is None and not threads[pk].is_alive()):
                    threads[pk] = threading.Thread(target=MastodonConnector(pk).run, args=(stop,), kwargs={"idle_exit": idle_exit},
                                                   daemon=True, name=f"mastodon-{pk}")
                    threads[pk].start()
            stop.wait(rescan if idle_exit is None else min(rescan, 0.5))
        for thread in threads.values():
            thread.join(timeout=5)
