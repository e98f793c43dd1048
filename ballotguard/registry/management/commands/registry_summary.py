"""``ballotguard registry-summary``: how many elections, ballots, areas, forces and candidates there are."""

from __future__ import annotations

import json as _json

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.table import Table

from ballotguard.registry.services import registry_summary


class Command(BaseCommand):
    help = "Count what the registry holds: elections, ballots, areas by type, police forces, parties and candidates."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the counts as JSON (for scripts).")

    def handle(self, *args, json: bool, **options):
        summary = registry_summary()
        if json:
            self.stdout.write(_json.dumps(summary, indent=2, sort_keys=True))
            return
        table = Table(title="Registry", title_justify="left")
        table.add_column("What")
        table.add_column("Count", justify="right")
        for key, value in summary.items():
            if isinstance(value, dict):
                for sub, n in value.items():
                    table.add_row(f"{key.replace('_', ' ')}: {sub}", f"{n:,}")
            else:
                table.add_row(key.replace("_", " "), f"{value:,}")
        Console(file=self.stdout).print(table)
