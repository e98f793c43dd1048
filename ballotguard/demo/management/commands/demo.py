"""``ballotguard demo``: build demo data and print a login for every role."""

from __future__ import annotations

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rich.console import Console

from ballotguard.demo import builder, national


class Command(BaseCommand):
    help = (
        "Build demo data: real constituencies, councils and police forces typed by hand, fake candidates "
        "(Faker en_GB) and one demo user per role, then print their logins. With --real-candidates, import "
        "the real GE2024 candidates and geography from ../shared/data/uk instead. Running it again only "
        "prints the logins, unless --reset-passwords is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--real-candidates", action="store_true", help="use the real GE2024 candidates from ../shared/data/uk")
        parser.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[4].parent / "shared" / "data" / "uk",
                            help="where the reference data lives (default: ../shared/data/uk beside the repository)")
        parser.add_argument("--reset-passwords", action="store_true", help="give every demo user a new password and authenticator secret")
        parser.add_argument("--seed", type=int, default=2024, help="random seed for the fake people")
        parser.add_argument("--no-national", action="store_true",
                            help="skip the national insights demo (every constituency, fake GE2024 and GE2019 candidates, generated incidents)")
        parser.add_argument("--national-constituencies", type=int, default=None, metavar="N",
                            help="build the national insights demo for an evenly spread subset of N constituencies (quicker)")

    def handle(self, *args, **opts):
        console = Console()
        if builder.demo_exists() and not opts["reset_passwords"]:
            logins = builder.load_logins()
            if not logins:
                raise CommandError("Demo users exist but their logins file is missing: run `ballotguard demo --reset-passwords`.")
            console.print("[bold]Demo data already loaded.[/bold]")
        elif builder.demo_exists():
            logins = builder.build_users()
        elif opts["real_candidates"]:
            logins = self._real(opts["data_dir"], console)
        else:
            with console.status("Building demo data…"):
                logins = builder.build_demo(seed=opts["seed"])
        if not opts["no_national"]:
            self._national(opts, console)
        from ballotguard.demo.survey import build_survey

        if made := build_survey(seed=opts["seed"]):
            console.print(f"Candidates' survey demo: GE2024's survey open for three weeks, {made:,} anonymous responses "
                          "(Insights → Candidates' survey; the demo candidate's home page shows the invitation).", highlight=False, soft_wrap=True)
        self._print(console, logins)

    def _national(self, opts, console: Console) -> None:
        """The national insights demo, once (ballotguard.demo.national): skipped, saying why, when the
        reference data is absent or real candidates are loaded."""
        if national.national_exists():
            return
        reason = national.skip_reason(opts["data_dir"])
        if reason is None and (opts["real_candidates"] or national.real_candidates_present()):
            reason = "real GE2024 candidates are loaded, and invented incidents are never put next to real people's names"
        if reason is not None:
            console.print(f"National insights demo skipped: {reason}.", highlight=False, soft_wrap=True)
            return
        result = national.build_national(opts["data_dir"], seed=opts["seed"], constituencies=opts["national_constituencies"], console=console)
        for line in result.lines():
            console.print(line, highlight=False, soft_wrap=True)

    def _real(self, data_dir: Path, console: Console):
        if not (data_dir / "geography").is_dir() or not (data_dir / "candidates").is_dir():
            raise CommandError(f"--real-candidates needs the reference data in {data_dir} (geography/ and candidates/).")
        with transaction.atomic():
            call_command("import_geography", str(data_dir / "geography"))
            call_command(
                "import_candidates", str(data_dir / "candidates" / "ge2024_candidates_democracyclub.csv"),
                gender_from=str(data_dir / "results" / "HoC-GE2024-results-by-candidate.csv"),
            )
            return builder.build_users()

    def _print(self, console: Console, logins) -> None:
        # Plain lines, not a table: a table squeezed into a narrow terminal truncates the passwords.
        console.print("[bold]Demo logins[/bold] (demo data only: fake people, example.org addresses, Ofcom drama phone numbers)")
        width = max(len(login.username) for login in logins)
        for login in logins:
            secret = f"  authenticator secret {login.totp_secret}" if login.totp_secret else ""
            console.print(f"  {login.username:<{width}}  password {login.password}{secret}  ({login.role}: {login.note})",
                          soft_wrap=True, highlight=False)
        console.print(
            "FEOA, returning officer, analyst and administrator sign-ins ask for a 6-digit code: add the secret to an authenticator app, "
            "or run [bold].venv/bin/ballotguard demo-totp USERNAME[/bold] for the current code.",
        )
        console.print(f"These logins are kept in {builder.logins_path()} (readable by you only).")
