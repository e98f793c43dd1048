"""Importing the real UK reference data in ../shared/data/uk reproduces its documented join checks.

Skipped when the shared data is not beside the repository (it is not part of the project).
"""

from __future__ import annotations

import csv
import pathlib

import pytest

from ballotguard.accounts.models import Role, User
from ballotguard.registry.importers import import_candidates, import_geography
from ballotguard.registry.models import Area, AreaForce, Candidate, PoliceForce
from ballotguard.registry.services import candidates_visible_to

DATA = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data" / "uk"
GEOGRAPHY = DATA / "geography"
CANDIDATES = DATA / "candidates" / "ge2024_candidates_democracyclub.csv"
HOC = DATA / "results" / "HoC-GE2024-results-by-candidate.csv"

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.django_db,
    pytest.mark.skipif(not (GEOGRAPHY.is_dir() and CANDIDATES.is_file() and HOC.is_file()), reason=f"shared UK data not found at {DATA}"),
]


@pytest.fixture
def imported():
    geography = import_geography(GEOGRAPHY)
    candidates = import_candidates(CANDIDATES, gender_from=HOC)
    return geography, candidates


def derived_rows() -> list[dict[str, str]]:
    with (GEOGRAPHY / "pcon24_pfa_derived.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_real_geography_and_candidates(imported):
    geography, candidates = imported
    assert geography.rejected == [] and candidates.rejected == []
    assert Area.objects.filter(area_type=Area.Type.CONSTITUENCY).count() == 650
    assert PoliceForce.objects.count() == 45
    assert Candidate.objects.count() == 4515

    # Constituency → force links reproduce pcon24_pfa_derived.csv exactly (670 rows).
    links = AreaForce.objects.filter(area__area_type=Area.Type.CONSTITUENCY)
    got = set(links.values_list("area__code", "force__code", "is_primary"))
    rows = derived_rows()
    assert len(rows) == 670
    assert got == {(r["pcon24cd"], r["pfa_code"], r["is_primary"] == "True") for r in rows}

    by_area: dict[str, int] = {}
    for code, _, _ in got:
        by_area[code] = by_area.get(code, 0) + 1
    two_forces = {code for code, n in by_area.items() if n == 2}
    assert len(two_forces) == 20 and max(by_area.values()) == 2
    assert two_forces == {r["pcon24cd"] for r in rows if r["is_primary"] == "False"}
    assert sum(1 for _, _, primary in got if primary) == 650

    genders = Candidate.objects.exclude(gender="").count()
    assert genders == 4515
    assert Candidate.objects.filter(gender=Candidate.Gender.FEMALE).count() == 1386
    assert Candidate.objects.filter(gender=Candidate.Gender.NON_BINARY).count() == 9


def test_cities_of_london_and_westminster_is_seen_by_both_forces(imported):
    met_feoa = User.objects.create_user(username="met-feoa", password="x" * 20, role=Role.FEOA)
    city_feoa = User.objects.create_user(username="city-feoa", password="x" * 20, role=Role.FEOA)
    met_feoa.police_forces.set([PoliceForce.objects.get(code="E23000001")])
    city_feoa.police_forces.set([PoliceForce.objects.get(code="E23000034")])
    clw = Candidate.objects.filter(ballot__area__code="E14001172")
    assert clw.count() > 0
    for feoa in (met_feoa, city_feoa):
        visible = candidates_visible_to(feoa)
        assert set(visible.filter(ballot__area__code="E14001172").values_list("pk", flat=True)) == set(clw.values_list("pk", flat=True))
    assert candidates_visible_to(city_feoa).count() == clw.count()  # the City of London Police see only that seat
    assert candidates_visible_to(met_feoa).count() > 500


def test_reimporting_changes_nothing(imported):
    geography = import_geography(GEOGRAPHY)
    candidates = import_candidates(CANDIDATES, gender_from=HOC)
    for report in (geography, candidates):
        assert not report.changed, report.summary()
    assert candidates.unchanged["candidates"] == 4515
