"""``ballotguard refresh-insights [--loop SECONDS]``: recompute the Taskforce's pre-aggregated figures."""

from __future__ import annotations


from django.core.management.base import BaseCommand
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ballotguard.insights.services import refresh_running, refresh_snapshots
from ballotguard.core.schedule import run_every


class Command(BaseCommand):
    help = (
        "Recompute every insights snapshot (each election, nationally and for each police force) from the incidents, "
        "candidates and outreach records, replacing the old ones in one transaction; a snapshot whose inputs have not "
        "changed since it was computed is kept (--all recomputes everything). Pages read only these snapshots, "
        "so run it on a schedule: keep it running with --loop 300 (make run does), or from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, metavar="SECONDS", help="Refresh again every SECONDS until stopped (default: once).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (for logs).")
        parser.add_argument("--all", action="store_true", dest="force_all",
                            help="Recompute every snapshot, even those whose inputs have not changed since they were computed.")

    def handle(self, *args, loop: int, no_progress: bool, force_all: bool = False, **options):
        def once(first: bool) -> None:
            if refresh_running():
                self.stdout.write("Another refresh is running: skipped.")
            else:
                self._refresh(show=not no_progress and loop <= 0, force_all=force_all)

        run_every(loop, once)

    def _refresh(self, show: bool, force_all: bool) -> None:
        with Progress(TextColumn("Refreshing insights"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), disable=not show) as bar:
            job = bar.add_task("snapshots", total=None)
            run = refresh_snapshots(trigger="schedule" if not show else "command",
                                    progress=lambda done, total: bar.update(job, completed=done, total=total), force_all=force_all)
        self.stdout.write(f"Insights refreshed: {run.snapshots} snapshots ({run.snapshots - run.unchanged} recomputed, {run.unchanged} "
                          f"unchanged) from {run.incidents:,} incidents and {run.candidates:,} candidates in {run.seconds:.1f} s.")
