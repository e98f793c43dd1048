"""Shared output for the import commands: a rich progress bar and the report table."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator

from django.core.management.base import CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ballotguard.registry.importers import ImportReport, ImportValidationError

MAX_REJECTED_SHOWN = 50


@contextlib.contextmanager
def progress_bar(console: Console, enabled: bool = True) -> Iterator:
    """Yields a ``progress(stage, done, total)`` callback that drives one rich progress bar."""
    if not enabled:
        yield None
        return
    columns = (TextColumn("[bold]{task.description:<32}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("Starting", total=1)

        def update(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=max(total, 1))

        yield update


def print_report(console: Console, report: ImportReport) -> None:
    title = f"Import of {report.kind}" + (" — DRY RUN, nothing was saved" if report.dry_run else "")
    table = Table(title=title, title_justify="left")
    table.add_column("Kind")
    for outcome in ("Created", "Updated", "Unchanged", "Removed"):
        table.add_column(outcome, justify="right")
    for kind in report.kinds:
        table.add_row(
            kind.replace("_", " "),
            f"{report.created.get(kind, 0):,}",
            f"{report.updated.get(kind, 0):,}",
            f"{report.unchanged.get(kind, 0):,}",
            f"{report.deleted.get(kind, 0):,}",
        )
    console.print(table)
    console.print(f"Rejected rows: {len(report.rejected):,}")
    for error in report.rejected[:MAX_REJECTED_SHOWN]:
        console.print(f"  [red]✗[/red] {error}", highlight=False, markup=True)
    if len(report.rejected) > MAX_REJECTED_SHOWN:
        console.print(f"  … and {len(report.rejected) - MAX_REJECTED_SHOWN:,} more")
    for warning in report.warnings:
        console.print(f"[yellow]Warning:[/yellow] {warning}", highlight=False)
    for note in report.notes:
        console.print(note, highlight=False)


def validation_failed(err: ImportValidationError) -> CommandError:
    lines = "\n".join(f"  - {message}" for message in err.messages)
    return CommandError(f"The import was refused and nothing was saved:\n{lines}")


def run_import(command, start: Callable[[Callable], ImportReport], *, as_json: bool, verbosity: int) -> None:
    """Run an import with a progress bar, then print its report as a table or JSON.

    ``start(progress)`` calls the importer with the progress callback; a file that fails validation
    becomes a CommandError (non-zero exit) listing every problem.
    """
    console = Console(file=command.stdout, stderr=False)
    try:
        with progress_bar(console, enabled=not as_json and verbosity > 0) as progress:
            report = start(progress)
    except ImportValidationError as err:
        raise validation_failed(err) from None
    if as_json:
        command.stdout.write(json.dumps(report.to_dict(), indent=2))
    else:
        print_report(console, report)
