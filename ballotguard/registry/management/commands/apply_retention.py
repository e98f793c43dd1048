"""``ballotguard apply-retention``: delete what is no longer needed (see ``ballotguard.registry.retention``)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from ballotguard.registry import retention

from ._reporting import progress_bar

ROWS = [
    ("contact_details_erased", "Candidates' contact details erased (not elected, election past, no open incident)"),
    ("kept_elected", "Kept: elected"),
    ("kept_result_not_recorded", "Kept: result not recorded (record it so retention can apply)"),
    ("kept_open_incident", "Kept: an incident still open"),
    ("kept_within_period", "Kept: election not yet past the period"),
    ("contact_attempt_notes_blanked", "Outreach contact attempts' notes blanked (method, outcome, dates kept)"),
    ("safety_plans_deleted", "Safety plans deleted (contact details erased)"),
    ("safety_plan_revisions_deleted", "Superseded safety-plan revisions deleted"),
    ("messages_deleted", "Monitoring messages deleted (not promoted to an incident)"),
    ("review_decisions_deleted", "Review decisions deleted with their messages"),
    ("checkin_locations_erased", "Check-in locations and buddy contacts erased"),
    ("checkins_still_open", "Check-ins still open (never touched)"),
    ("incidents_minimised", "Closed incidents minimised"),
    ("observables_blanked", "Observables blanked (match hashes kept)"),
    ("evidence_files_deleted", "Evidence files deleted (SHA-256 kept)"),
    ("data_keys_destroyed", "Data keys destroyed"),
]


class Command(BaseCommand):
    help = (
        "Apply the retention periods in BALLOTGUARD_RETENTION: erase unsuccessful candidates' contact details once "
        "the election is past the period (unless an incident is open), with their outreach notes and safety plans; "
        "delete superseded safety-plan revisions and monitoring messages not promoted to an incident; erase "
        "check-in locations; and minimise closed incidents. Fields under a data key cannot be recovered, not even "
        "from a database backup: their data keys are destroyed (deleted rows stay in backups until those expire). "
        "Audited with counts. Use --dry-run first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would be erased; change nothing.")
        parser.add_argument("--json", action="store_true", help="Print the counts as JSON instead of a table.")

    def handle(self, *args, dry_run: bool, json: bool, **options):
        console = Console(file=self.stdout, stderr=False)
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
        for key, label in ROWS:
            table.add_row(label, f"{counts[key]:,}")
        console.print(table)
        periods = retention.periods()
        console.print(
            f"Periods (days): contact details {periods['contact_details_after_election_days']} after election day, "
            f"check-in locations {periods['checkin_locations_days']} after check-out, "
            f"closed incidents {periods['closed_incidents_minimise_days']} after closure, "
            f"monitoring messages {periods['monitoring_messages_days']} after sending, "
            f"superseded safety-plan revisions {periods['safety_plan_revisions_days']} after the revision.",
            highlight=False,
        )


_json = json
