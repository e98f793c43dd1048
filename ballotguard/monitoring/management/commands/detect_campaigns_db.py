"""``ballotguard detect-campaigns-db [--loop SECONDS] [--schedule-only]``: detect coordinated
campaigns over the database's messages and incident observables, and keep the schedule alive."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from ballotguard.accounts.services import Actor
from ballotguard.monitoring.services import campaigns
from ballotguard.core.schedule import run_every


class Command(BaseCommand):
    help = (
        "Detect coordinated campaigns over the ingested messages and incident observables and store them "
        "(what the task worker does on its schedule), then make sure the worker's schedule is queued. "
        "With --loop SECONDS it stays running as the safety net beside the worker: every SECONDS it "
        "restarts a lost schedule and runs detection itself only when no run has finished for longer "
        "than the interval (BALLOTGUARD_CAMPAIGN_DETECTION_INTERVAL, default 900 s)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, metavar="SECONDS", help="Check again every SECONDS until stopped (default: run once).")
        parser.add_argument("--schedule-only", action="store_true", help="Only make sure the worker's schedule is queued; detect nothing now.")
        parser.add_argument("--json", action="store_true", help="Print each run's counts as JSON.")

    def handle(self, *args, loop: int, schedule_only: bool, json: bool, **options):
        def once(first: bool) -> None:
            campaigns.recover_stale()
            due = not schedule_only and (first or _overdue())
            if due:
                run = campaigns.run_now(Actor.cli(), trigger="command")
                report = {"run": run.pk, "status": run.status, "messages": run.messages_count, "incidents": run.incidents_count,
                          "campaigns": run.campaigns_found, "new": run.campaigns_new, "duration_ms": run.duration_ms, "error": run.error}
                if json:
                    self.stdout.write(_dumps(report))
                else:
                    self.stdout.write(
                        f"Campaign detection run {run.pk}: {run.status}; {run.messages_count} messages and {run.incidents_count} incidents "
                        f"looked at, {run.campaigns_found} campaigns ({run.campaigns_new} new) in {run.duration_ms} ms"
                        + (f"; error {run.error}" if run.error else "") + "."
                    )
            queued = campaigns.schedule_next(delay=0 if schedule_only else None)
            if queued is not None and not json:
                self.stdout.write(f"Scheduled detection queued for the task worker at {queued.run_after:%Y-%m-%d %H:%M:%S} UTC.")

        run_every(loop, once)


def _overdue() -> bool:
    last = campaigns.last_finished()
    return last is None or (timezone.now() - last.finished_at).total_seconds() > campaigns.detection_interval()


def _dumps(data: dict) -> str:
    return json.dumps(data, sort_keys=True)
