"""``ballotguard sync-democracy-club``: elections, ballots and candidates from Democracy Club's APIs."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from ballotguard.registry.democracy_club import SyncError, sync
from ballotguard.core.schedule import run_every


class Command(BaseCommand):
    help = (
        "Pull ballots and candidates from Democracy Club's candidates API (BALLOTGUARD_DC_CANDIDATES_URL) and ballot "
        "changes (cancelled, seats) from EveryElection (BALLOTGUARD_DC_ELECTIONS_URL), as import-candidates would import "
        "them: idempotent, placed in the registry's areas, rejected rows listed. Incremental: each run asks only for "
        "what changed since the stored cursor (--full ignores it). Schedule it (cron, or --loop SECONDS)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--election-date", default="", help="Only ballots polling on this date (YYYY-MM-DD).")
        parser.add_argument("--full", action="store_true", help="Ignore the stored cursors and read everything.")
        parser.add_argument("--loop", type=int, default=0, metavar="SECONDS", help="Run again every SECONDS (0: once).")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args, election_date: str, full: bool, loop: int, json: bool, **options):
        def once(first: bool) -> None:
            try:
                # --full asks for everything once; later passes follow the stored cursor.
                report = sync(election_date=election_date, full=full and first).as_dict()
            except SyncError as exc:
                if loop <= 0:
                    raise CommandError(str(exc)) from None
                self.stderr.write(f"Sync failed: {exc}; trying again in {loop} s")
            else:
                if json:
                    self.stdout.write(_dumps(report))
                else:
                    c, ee = report["candidates"], report["everyelection"]
                    self.stdout.write(
                        f"Candidates API: {report['ballots_read']:,} ballots, {report['candidacies_read']:,} candidacies; candidates "
                        f"{c.get('created', 0):,} created, {c.get('updated', 0):,} updated, {c.get('unchanged', 0):,} unchanged, "
                        f"{report['rejected_count']:,} rejected. EveryElection: {ee['ballots_read']:,} ballots, {ee['ballots_updated']:,} "
                        f"updated, {ee['ballots_unknown']:,} not in Ballotguard yet.")
                    for line in report["rejected"]:
                        self.stdout.write(f"  ✗ {line}")

        run_every(loop, once)


def _dumps(value) -> str:
    return json.dumps(value, indent=2, default=str)
