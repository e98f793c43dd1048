"""``ballotguard checkin-sweep [--loop SECONDS]``: send every check-in alert that is due and not yet sent."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from ballotguard.checkins.services import sweep
from ballotguard.core.schedule import run_every


class Command(BaseCommand):
    help = (
        "Send every campaign check-in alert that is due and not yet sent: the safety net beside the delayed "
        "tasks the worker runs. Run it every minute (cron or a systemd timer), or keep it running with "
        "--loop 60. Safe to run as often as you like, from several machines at once: nothing is sent twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, metavar="SECONDS", help="Sweep again every SECONDS until stopped (default: once).")
        parser.add_argument("--json", action="store_true", help="Print each sweep's counts as JSON.")

    def handle(self, *args, loop: int, json: bool, **options):
        def once(first: bool) -> None:
            report = sweep().as_dict()
            if json:
                self.stdout.write(_dumps(report))
            else:
                self.stdout.write(
                    f"Check-in sweep: {report['checked']} check-ins looked at, {report['sent']} alerts sent, "
                    f"{report['failed']} to retry, {report['gave_up']} given up, {report['already']} already sent, {report['errors']} errors (see the log)."
                )

        run_every(loop, once)


def _dumps(data: dict) -> str:
    return json.dumps(data, sort_keys=True)
