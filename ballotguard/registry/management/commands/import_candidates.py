"""``ballotguard import-candidates FILE``: elections, ballots, parties and candidates from Democracy Club."""

from __future__ import annotations

import pathlib

from django.core.management.base import BaseCommand

from ballotguard.accounts.services import Actor
from ballotguard.registry.importers import import_candidates

from ._reporting import run_import


class Command(BaseCommand):
    help = (
        "Import candidates from a Democracy Club candidates CSV: the full export (ballot_paper_id and the "
        "other core columns) or the Open Innovations GE2024 list (pcon24cd, party_key). Elections, ballots "
        "and parties are created as needed; ballots are placed in constituencies or wards, so import the "
        "geography first. Rows that cannot be placed are rejected with their line number and the rest go in. "
        "Safe to run again: unchanged records are left alone, and contact details are never touched."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", type=pathlib.Path, help="The candidates CSV file (UTF-8; CP1252 is accepted with a warning).")
        parser.add_argument(
            "--gender-from", metavar="FILE", type=pathlib.Path, default=None,
            help="A House of Commons Library results-by-candidate CSV: joins 'Candidate gender' on DC person id "
            "(falling back to constituency and name).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check and count everything, then roll back: nothing is saved.")
        parser.add_argument(
            "--allow-unknown-columns", action="store_true",
            help="Ignore columns that are not Democracy Club fields (with a warning) instead of refusing the file.",
        )
        parser.add_argument("--json", action="store_true", help="Print the report as JSON instead of a table.")

    def handle(self, *args, file: pathlib.Path, gender_from, dry_run: bool, allow_unknown_columns: bool, json: bool, **options):
        run_import(
            self,
            lambda progress: import_candidates(
                file, filename=file.name, gender_from=gender_from, dry_run=dry_run,
                allow_unknown_columns=allow_unknown_columns, progress=progress, actor=Actor.cli(),
            ),
            as_json=json, verbosity=options.get("verbosity", 1),
        )
