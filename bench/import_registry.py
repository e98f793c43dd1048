"""How long the registry imports take on the real UK data, against a naive row-by-row import.

Measures, on a freshly migrated database:

- ``import_geography`` of ../shared/data/uk/geography (45 forces, 650 constituencies, 7,536 wards…);
- ``import_candidates`` of the 4,515 GE2024 candidates with ``--gender-from`` the HoC results file,
  first into empty tables and then again (the idempotent re-run: nothing changes).

Peer, measured in the same run on the same data and database: the import most teams write first —
row by row through the ORM, ``update_or_create`` for each election, ballot, party and candidate,
with the same area look-ups and gender join. Its tables are emptied first so both start alike.

Run:
    .venv/bin/python bench/import_registry.py                       # temporary SQLite file
    .venv/bin/python bench/import_registry.py --database-url postgres://postgres@127.0.0.1:5432/postgres
(PostgreSQL: a throwaway database is created and dropped around the run.)
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._db import fresh_database  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "uk"


def naive_import(candidates_csv: Path, hoc_csv: Path) -> int:
    """The peer: one ORM round trip (or several) per row, ``update_or_create`` everywhere."""
    from uk_election_ids.election_ids import IdBuilder

    from ballotguard.engines.common.names import match_key
    from ballotguard.registry.models import Area, Ballot, Candidate, ConstituencyCouncilOverlap, Election, Party

    with hoc_csv.open(encoding="utf-8-sig", newline="") as f:
        hoc = list(csv.DictReader(f))
    gender_by_person = {r["DC Person ID"]: r["Candidate gender"].lower().replace("-", "_") for r in hoc}
    gender_by_name = {(r["ONS ID"], match_key(f"{r['Candidate first name']} {r['Candidate surname']}")): r["Candidate gender"].lower().replace("-", "_") for r in hoc}
    n = 0
    with candidates_csv.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            area = Area.objects.get(code=row["pcon24cd"], area_type="constituency")
            overlap = ConstituencyCouncilOverlap.objects.filter(constituency=area, council__isnull=False).order_by("-population").first()
            election, _ = Election.objects.update_or_create(
                election_id=row["election_id"],
                defaults={"election_type": "parl", "date": dt.date(2024, 7, 4), "name": "UK Parliamentary election, 4 July 2024", "operation": "bridger"},
            )
            ballot, _ = Ballot.objects.update_or_create(
                ballot_paper_id=IdBuilder("parl", dt.date(2024, 7, 4)).with_division(row["post_label"]).ballot_id,
                defaults={"election": election, "area": area, "council_id": overlap.council_id if overlap else None, "post_label": row["post_label"]},
            )
            party, _ = Party.objects.update_or_create(party_id=f"naive:{row['party_key']}:{row['party_name']}"[:40], defaults={"name": row["party_name"]})
            gender = gender_by_person.get(row["person_id"]) or gender_by_name.get((row["pcon24cd"], match_key(row["person_name"])), "")
            Candidate.objects.update_or_create(
                ballot=ballot, person_id=row["person_id"], defaults={"name": row["person_name"], "party": party, "gender": gender}
            )
            n += 1
    return n


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="postgres://… for PostgreSQL (a throwaway database is used); default: a temporary SQLite file")
    parser.add_argument("--data", type=Path, default=DATA, help=f"the shared UK data directory (default {DATA})")
    parser.add_argument("--list-candidates", type=int, default=100_000, help="synthetic candidates added for the list-page latency measurement")
    args = parser.parse_args()
    geography = args.data / "geography"
    candidates = args.data / "candidates" / "ge2024_candidates_democracyclub.csv"
    hoc = args.data / "results" / "HoC-GE2024-results-by-candidate.csv"
    if not candidates.is_file():
        sys.exit(f"Shared data not found at {args.data}")

    with fresh_database(args.database_url):
        from django.db import connection, transaction
        from rich.console import Console
        from rich.table import Table

        from ballotguard.registry.importers import import_candidates, import_geography
        from ballotguard.registry.models import Ballot, Candidate, Election, Party

        geo_s, geo = timed(import_geography, geography)
        cand_s, cand = timed(import_candidates, candidates, gender_from=hoc)
        rerun_geo_s, rerun_geo = timed(import_geography, geography)
        rerun_s, rerun = timed(import_candidates, candidates, gender_from=hoc)
        assert cand.created["candidates"] == 4515 and not rerun.changed and not rerun_geo.changed

        with transaction.atomic():
            Candidate.objects.all().delete()
            Ballot.objects.all().delete()
            Election.objects.all().delete()
            Party.objects.all().delete()
        naive_s, naive_n = timed(naive_import, candidates, hoc)
        naive_rerun_s, _ = timed(naive_import, candidates, hoc)
        assert naive_n == 4515 == Candidate.objects.count()

        console = Console(width=110)
        table = Table(title=f"Registry import on {connection.vendor} ({connection.settings_dict['NAME']})", title_justify="left")
        for column in ("Step", "Ballotguard (s)", "Naive update_or_create (s)", "Speed-up"):
            table.add_column(column, justify="right" if column != "Step" else "left")
        table.add_row("Geography (8,838 area–force links)", f"{geo_s:.2f}", "—", "")
        table.add_row("Geography again (no changes)", f"{rerun_geo_s:.2f}", "—", "")
        table.add_row("4,515 GE2024 candidates + gender", f"{cand_s:.2f}", f"{naive_s:.2f}", f"{naive_s / cand_s:.1f}×")
        table.add_row("Same file again (no changes)", f"{rerun_s:.2f}", f"{naive_rerun_s:.2f}", f"{naive_rerun_s / rerun_s:.1f}×")
        table.add_row("Geography + candidates, total", f"{geo_s + cand_s:.2f}", "", "")
        console.print(table)

        # The FEOA candidate list with 100,000 more candidates loaded, beside Django admin's changelist.
        from bench.list_latency import build_candidates as build_list_candidates, measure, print_figures

        users = build_list_candidates(args.list_candidates)
        print_figures(measure(users), Candidate.objects.count())


if __name__ == "__main__":
    main()
