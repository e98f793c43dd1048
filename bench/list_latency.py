"""p95 latency of the FEOA candidate list page with 100,000 candidates loaded.

Peer, measured in the same run on the same data: Django admin's own changelist of candidates (the
off-the-shelf list page a team would get for free), signed in as a superuser.

Used by bench/import_registry.py; run alone with
    .venv/bin/python bench/list_latency.py [--database-url postgres://postgres@127.0.0.1:5432/x] [--candidates 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build_candidates(n: int) -> dict:
    """Spread n candidates over ballots in a two-force constituency set-up; return the FEOA and admin."""
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from rich.progress import track

    from ballotguard.accounts.models import User
    from ballotguard.registry.models import Area, AreaForce, Ballot, Candidate, Election, Party, PoliceForce

    forces = [PoliceForce.objects.create(code=f"X2300{i:04d}", name=f"Force {i}", nation="England") for i in range(10)]
    election = Election.objects.create(election_id="parl.2029-05-03", election_type="parl", date=dt.date(2029, 5, 3), name="Bench GE", operation="bridger")
    local = Election.objects.create(election_id="local.bench.2029-05-03", election_type="local", date=dt.date(2029, 5, 3), name="Bench locals", operation="ford")
    parties = [Party.objects.create(party_id=f"PP{i}", name=f"Party {i:02d}") for i in range(20)]
    ballots = []
    for i in range(2000):
        area = Area.objects.create(code=f"X1400{i:04d}", name=f"Area {i:04d}", slug=f"area-{i:04d}", area_type="constituency" if i < 650 else "ward")
        AreaForce.objects.create(area=area, force=forces[i % 10], population_share=1.0, is_primary=True)
        if i % 30 == 0:
            AreaForce.objects.create(area=area, force=forces[(i + 1) % 10], population_share=0.2)
        ballots.append(Ballot.objects.create(ballot_paper_id=f"b.{i}", election=election if i < 650 else local, area=area, post_label=area.name))
    batch = []
    now = dt.datetime.now(dt.timezone.utc)
    for i in track(range(n), description=f"Creating {n:,} candidates"):
        batch.append(Candidate(ballot=ballots[i % len(ballots)], person_id=str(i), name=f"Candidate {i:06d}",
                               party=parties[i % len(parties)], gender="female" if i % 3 == 0 else "male",
                               handed_over_at=now if i % 2 else None))
        if len(batch) == 5000:
            Candidate.objects.bulk_create(batch)
            batch = []
    Candidate.objects.bulk_create(batch)
    feoa = User.objects.create_user("bench-feoa", password="x" * 16, role="feoa")
    feoa.police_forces.set([forces[0]])
    admin = User.objects.create_user("bench-admin", password="x" * 16, role="admin", is_staff=True, is_superuser=True)
    for user in (feoa, admin):
        TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    return {"feoa": feoa, "admin": admin}


def p95_ms(client, urls: list[str], rounds: int) -> tuple[float, float]:
    timings = []
    for _ in range(rounds):
        for url in urls:
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
    timings.sort()
    return timings[int(0.95 * (len(timings) - 1))], statistics.median(timings)


def measure(users: dict, rounds: int = 20) -> dict:
    from conftest import signed_in_client

    feoa_client = signed_in_client(users["feoa"])
    admin_client = signed_in_client(users["admin"])
    ours = ["/candidates/", "/candidates/?page=50", "/candidates/?party=PP3", "/candidates/?operation=ford&handed_over=yes",
            "/candidates/?name=Candidate+0001", "/candidates/?election=parl.2029-05-03&page=3"]
    peer = ["/django-admin/registry/candidate/", "/django-admin/registry/candidate/?p=49", "/django-admin/registry/candidate/?party__id__exact=4",
            "/django-admin/registry/candidate/?q=Candidate+0001"]
    for url in ours + peer:  # warm caches once
        (feoa_client if url in ours else admin_client).get(url)
    ours_p95, ours_median = p95_ms(feoa_client, ours, rounds)
    peer_p95, peer_median = p95_ms(admin_client, peer, rounds)
    return {"ours_p95_ms": ours_p95, "ours_median_ms": ours_median, "peer_p95_ms": peer_p95, "peer_median_ms": peer_median}


def main() -> None:
    from bench._db import fresh_database

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help="postgres://… for PostgreSQL; default a temporary SQLite file")
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with fresh_database(args.database_url):
        users = build_candidates(args.candidates)
        figures = measure(users, args.rounds)
    print_figures(figures, args.candidates)


def print_figures(figures: dict, n: int) -> None:
    print(f"FEOA candidate list, {n:,} candidates: p95 {figures['ours_p95_ms']:.1f} ms (median {figures['ours_median_ms']:.1f} ms); target < 150 ms")
    print(f"  peer, Django admin changelist: p95 {figures['peer_p95_ms']:.1f} ms (median {figures['peer_median_ms']:.1f} ms)")


if __name__ == "__main__":
    main()
