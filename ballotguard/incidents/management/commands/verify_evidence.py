"""``ballotguard verify-evidence``: prove every sealed evidence file still matches the SHA-256 taken on arrival."""

import hashlib

from django.core.management.base import BaseCommand, CommandError
from rich.progress import Progress

from ballotguard.accounts.services import Actor, audit
from ballotguard.core import blobs
from ballotguard.core.crypto import DecryptionError
from ballotguard.incidents.models import Evidence


class Command(BaseCommand):
    help = (
        "Open every evidence file, recompute its SHA-256 and compare it with the hash taken when it arrived. "
        "Exits with status 1, naming the files, if any is missing, fails to decrypt or differs. Each check is "
        "recorded in the audit log, so the chain of custody shows when the files were last proved intact."
    )

    def add_arguments(self, parser):
        parser.add_argument("--incident", default="", help="Only this incident's files (its reference, e.g. BG-7K3Q-2M9X).")

    def handle(self, *args, **opts):
        rows = Evidence.objects.filter(erased_at__isnull=True).select_related("incident").order_by("pk")  # retention deleted the rest
        if opts["incident"]:
            rows = rows.filter(incident__reference=opts["incident"])
        rows = list(rows)
        problems: list[str] = []
        total = sum(r.size for r in rows)
        with Progress(disable=not rows) as progress:
            bar = progress.add_task("Verifying evidence", total=total)
            for row in rows:
                outcome = self._check(row, progress, bar)
                # Recorded whatever the outcome: the custody log shows when each file was last checked.
                audit(Actor.cli(), "read", "evidence", row.pk, detail=f"verify-evidence: {outcome or 'intact'}"[:300])
                if outcome:
                    problems.append(f"{row.incident.reference} evidence {row.pk}: {outcome}")
        for line in problems:
            self.stderr.write(line)
        if problems:
            raise CommandError(f"{len(problems)} of {len(rows)} evidence files failed verification.")
        self.stdout.write(f"All {len(rows)} evidence files match their SHA-256 ({total:,} bytes checked).")

    def _check(self, row, progress, bar) -> str:
        """'' if the file opens and matches its SHA-256, else what is wrong."""
        digest = hashlib.sha256()
        try:
            for chunk in blobs.open_chunks(row.blob_name):
                digest.update(chunk)
                progress.advance(bar, len(chunk))
        except FileNotFoundError:
            return "the sealed file is missing"
        except DecryptionError as exc:
            return str(exc)
        if digest.hexdigest() != row.sha256:
            return "SHA-256 differs from the one taken on arrival"
        return ""
