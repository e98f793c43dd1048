"""``ballotguard apply-retention``: delete what is no longer needed, by every app's registered rules
(see ``ballotguard.core.retention``; the run and its audit event: ``ballotguard.registry.retention``)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from ballotguard.core import retention as rules
from ballotguard.registry import retention

from ._reporting import progress_bar


class Command(BaseCommand):
    help = (
        "Apply the retention periods in BALLOTGUARD_RETENTION: erase unsuccessful candidates' contact details once "
        "the election is past the period (unless an incident is open), with their outreach notes and safety plans; "
        "delete superseded safety-plan revisions and monitoring messages not promoted to an incident; erase "
        "check-in locations; and minimise closed incidents. Fields under a data key cannot be recovered, not even "
        "from a database backup: their data keys are destroyed (deleted rows stay in backups until those expire). "
        "Each app declares its own rules; they run in a fixed order (docs/operations.md, Retention). "
        "Audited with counts. Use --dry-run first; --list-rules lists the rules (what each covers, whether it "
        "erases or deletes, its period) and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would be erased; change nothing.")
        parser.add_argument("--json", action="store_true", help="Print the counts (or, with --list-rules, the rules) as JSON instead of a table.")
        parser.add_argument("--list-rules", action="store_true",
                            help="List the rules in the order they run (what each covers, erase or delete, its period); change nothing.")

    def handle(self, *args, dry_run: bool, json: bool, list_rules: bool = False, **options):
        console = Console(file=self.stdout, stderr=False)
        if list_rules:
            self._list_rules(console, json)
            return
        try:
            with progress_bar(console, enabled=not json and options.get("verbosity", 1) > 0 and not dry_run) as progress:
                report = retention.apply(dry_run=dry_run, progress=progress)
        except retention.RetentionConfigError as exc:
            raise CommandError(str(exc)) from None
        counts = report.as_dict()
        if json:
            self.stdout.write(_json.dumps(counts, indent=2))
            return
        title = "Retention" + (" — DRY RUN, nothing was changed" if dry_run else "")
        table = Table(title=title, title_justify="left")
        table.add_column("What")
        table.add_column("Count", justify="right")
        for count in rules.counts():
            table.add_row(count.label, f"{counts[count.name]:,}")
        console.print(table)
        periods = retention.periods()
        said = [rule.period_text.format(days=periods[rule.period]) for rule in rules.ordered() if rule.period]
        console.print(f"Periods (days): {', '.join(said)}.", highlight=False)

    def _list_rules(self, console: Console, json: bool) -> None:
        try:
            described = rules.describe()
        except rules.RetentionConfigError as exc:
            raise CommandError(str(exc)) from None
        if json:
            self.stdout.write(_json.dumps(described, indent=2))
            return
        table = Table(title="Retention rules, in the order they run", title_justify="left", caption_justify="left",
                      caption="erase: the row stays, its personal fields go. delete: the row goes. "
                              "with …: no period of its own, it takes what goes with that rule's.")
        table.add_column("Rule", no_wrap=True)
        table.add_column("Covers")
        table.add_column("Action")
        table.add_column("Period", no_wrap=True)
        for rule in described:
            period = f"{rule['days']} days" if rule["period"] else "with " + ", ".join(rule["after"])
            table.add_row(rule["name"], rule["covers"], rule["action"], period)
        console.print(table)


_json = json
