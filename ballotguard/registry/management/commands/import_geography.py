"""``ballotguard import-geography DIR``: police forces, regions, councils, wards and constituencies."""

from __future__ import annotations

import pathlib

from django.core.management.base import BaseCommand

from ballotguard.accounts.services import Actor
from ballotguard.registry.importers import GEOGRAPHY_FILES, import_geography

from ._reporting import run_import


class Command(BaseCommand):
    help = (
        "Import UK geography and police forces from a directory of ONS / mySociety / Open Innovations "
        f"files ({', '.join(GEOGRAPHY_FILES)}; the .hexjson is optional). Creates the 45 police forces, "
        "regions, community safety partnerships, councils, wards and constituencies, and links every area "
        "to the force(s) that police it. Safe to run again: unchanged records are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR", type=pathlib.Path, help="Directory holding the geography files, e.g. ../shared/data/uk/geography")
        parser.add_argument("--dry-run", action="store_true", help="Check and count everything, then roll back: nothing is saved.")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON instead of a table.")

    def handle(self, *args, directory: pathlib.Path, dry_run: bool, json: bool, **options):
        run_import(
            self,
            lambda progress: import_geography(directory, dry_run=dry_run, progress=progress, actor=Actor.cli()),
            as_json=json, verbosity=options.get("verbosity", 1),
        )
