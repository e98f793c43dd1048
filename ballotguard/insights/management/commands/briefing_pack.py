"""``ballotguard briefing-pack [--election ID] [--force CODE|national] [--out FILE.pdf]``: the Taskforce briefing pack as a PDF."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ballotguard.accounts.services import Actor
from ballotguard.insights.briefing import briefing_filename, briefing_for
from ballotguard.insights.models import NATIONAL, Snapshot
from ballotguard.insights.services import record_export


class Command(BaseCommand):
    help = (
        "Write the Taskforce briefing pack (an OFFICIAL-SENSITIVE PDF of the headline figures, charts, tables, methods and "
        "caveats) for one election and one scope. It reads the stored insights snapshots, so its figures are as of the "
        "last refresh: run `ballotguard refresh-insights` first for up-to-date figures. Like a Taskforce analyst, it can "
        "make the national pack or any police force's; small counts are suppressed exactly as on the pages. The export "
        "is recorded in the audit log."
    )

    def add_arguments(self, parser):
        parser.add_argument("--election", metavar="ID", help="Election id, e.g. parl.2024-07-04 (default: the latest election with figures).")
        parser.add_argument("--force", metavar="CODE|national", default=NATIONAL,
                            help="A police force's ONS code (e.g. E23000014), or 'national' (the default).")
        parser.add_argument("--out", metavar="FILE.pdf",
                            help="Where to write the PDF (default: briefing-pack-<election>-<scope>-<date>.pdf in the current folder).")

    def handle(self, *args, election: str | None, force: str, out: str | None, **options):
        snapshot = self._snapshot(election, (force or NATIONAL).strip())
        now = timezone.now()
        pdf = briefing_for(snapshot, generated_by="the command line (ballotguard briefing-pack)", generated_at=now)
        path = Path(out) if out else Path(briefing_filename(snapshot.payload, now))
        if not path.parent.is_dir():
            raise CommandError(f"Folder {path.parent} does not exist.")
        path.write_bytes(pdf)
        record_export(Actor.cli(), snapshot, "briefing-pack")
        self.stdout.write(f"Briefing pack for {snapshot.election.name} ({snapshot.scope}), figures as of "
                          f"{timezone.localtime(snapshot.computed_at):%Y-%m-%d %H:%M}: {path} ({len(pdf):,} bytes).")

    def _snapshot(self, election: str | None, scope: str) -> Snapshot:
        if not Snapshot.objects.exists():
            raise CommandError("There are no insights figures yet: run `ballotguard refresh-insights` first.")
        in_scope = Snapshot.objects.select_related("election").filter(scope=scope)
        if election:
            found = in_scope.filter(election__election_id=election).first()
            if found is None:
                ids = sorted(set(Snapshot.objects.values_list("election__election_id", flat=True)))
                if election not in ids:
                    raise CommandError(f"No figures for election {election!r}. Elections with figures: {', '.join(ids)}. "
                                       "If it is new, run `ballotguard refresh-insights`.")
                scopes = sorted(set(Snapshot.objects.filter(election__election_id=election).values_list("scope", flat=True)))
                raise CommandError(f"No figures for {scope!r} in {election}: it has no candidates there. Scopes with figures: {', '.join(scopes)}.")
            return found
        found = in_scope.order_by("-election__date", "election__name").first()
        if found is None:
            scopes = sorted(set(Snapshot.objects.values_list("scope", flat=True)))
            raise CommandError(f"No figures for {scope!r}. Scopes with figures: {', '.join(scopes)} "
                               "(police forces by ONS code, or 'national').")
        return found
