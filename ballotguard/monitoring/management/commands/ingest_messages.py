"""``ballotguard ingest-messages FILE``: messages sent to candidates, from JSONL or CSV, scored on the way in."""

from __future__ import annotations

import json
import os
import pathlib

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from ballotguard.accounts.services import Actor
from ballotguard.engines.messages.records import Platform, parse_platform
from ballotguard.engines.common.tabular import TableError
from ballotguard.monitoring.services import ingest_file

MAX_SHOWN = 50


class Command(BaseCommand):
    help = (
        "Ingest messages sent to candidates from a JSONL or CSV file (platform, message_id, author_handle, "
        "author_name, text, sent_at, reply_to, mentions, urls, hashtags; common exporter names such as "
        "id, username, timestamp and created_at are accepted). A message mentioning a candidate's social "
        "handle is routed to them and so to their police force. Safe to run again: a message already "
        "stored (same platform and message id) is counted as a duplicate and left alone. Bad rows are "
        "listed with their line number and skipped. The file is read as a stream, in constant memory."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", type=pathlib.Path, help="A .jsonl or .csv file (UTF-8; other lines are read as Windows-1252 and counted).")
        parser.add_argument("--platform", default="", help="The platform of rows that do not say (e.g. a CSV export from one platform): "
                            + ", ".join(p.value for p in Platform))
        parser.add_argument("--no-score", action="store_true", help="Store only; the task worker scores the messages (ballotguard db_worker).")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument("--score-processes", type=int, default=min(2, os.cpu_count() or 1), metavar="N",
                            help="Processes that score: with 2 or more, batches are scored in forked processes while "
                                 "this one reads and stores the others (same scores). Default: 2 where the machine "
                                 "has two cores or more, else 1.")

    def handle(self, *args, file: pathlib.Path, platform: str, no_score: bool, json: bool, score_processes: int, **options):
        if score_processes < 1:
            raise CommandError("--score-processes must be 1 or more")
        default_platform = None
        if platform:
            default_platform = parse_platform(platform)
            if default_platform is None:
                raise CommandError(f"Unknown platform {platform!r}: use one of {', '.join(p.value for p in Platform)}")
        if not file.is_file():
            raise CommandError(f"{file} is not a file")
        console = Console(stderr=True)
        size = file.stat().st_size
        show = options.get("verbosity", 1) > 0 and not json
        try:
            with file.open("rb") as stream, Progress(
                TextColumn("[bold]Ingesting {task.fields[name]}"), BarColumn(), DownloadColumn(), TimeElapsedColumn(),
                TimeRemainingColumn(), console=console, transient=True, disable=not show,
            ) as bar:
                task = bar.add_task("ingest", total=max(size, 1), name=file.name)
                report = ingest_file(
                    Actor.cli(), stream, file.name, score=not no_score, default_platform=default_platform,
                    progress=lambda _rows: bar.update(task, completed=stream.tell()), score_processes=score_processes,
                )
        except TableError as exc:
            raise CommandError(f"{file.name}: {exc}") from None
        if json:
            self.stdout.write(_json_dumps(report.as_dict()))
            return
        out = Console()
        table = Table(title=f"Ingest of {file.name}", title_justify="left")
        table.add_column("Outcome")
        table.add_column("Messages", justify="right")
        for label, value in (("Rows read", report.rows), ("Created", report.created), ("Already stored (duplicates)", report.duplicates),
                             ("Rejected", report.rejected), ("Not addressed to a known candidate", report.unrouted),
                             ("Flagged for review" if not no_score else "Flagged (scoring left to the task worker)", report.flagged)):
            table.add_row(label, f"{value:,}")
        out.print(table)
        for error in report.errors[:MAX_SHOWN]:
            out.print(f"  [red]✗[/red] {error}", highlight=False)
        if report.rejected > MAX_SHOWN:
            out.print(f"  … and {report.rejected - MAX_SHOWN:,} more rejected rows")
        if report.recoded:
            out.print(f"[yellow]Warning:[/yellow] {report.recoded:,} lines were not UTF-8 and were read as Windows-1252", highlight=False)
        if report.ignored_columns:
            out.print(f"[yellow]Warning:[/yellow] columns ignored: {', '.join(report.ignored_columns)}", highlight=False)


def _json_dumps(value) -> str:
    return json.dumps(value, indent=2, default=str)
