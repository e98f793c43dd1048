"""The registry imports, on small hand-written files in the real formats (tests/fixtures/)."""

from __future__ import annotations

import json
import pathlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ballotguard.accounts.models import AuditEvent
from ballotguard.accounts.services import Actor
from ballotguard.registry.importers import (
    INDEPENDENT_PARTY_ID,
    ImportValidationError,
    import_candidates,
    import_geography,
    party_id_for,
)
from ballotguard.registry.models import (
    Area,
    AreaForce,
    Ballot,
    Candidate,
    ConstituencyCouncilOverlap,
    Election,
    Party,
    PoliceForce,
)

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
GEOGRAPHY = FIXTURES / "geography"
GE_LIST = FIXTURES / "ge2024_list.csv"
DC_EXPORT = FIXTURES / "dc_export.csv"
HOC = FIXTURES / "hoc_results.csv"

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, list]:
    """Everything the imports write, to prove a second run or a dry run changes nothing."""
    return {
        "forces": list(PoliceForce.objects.order_by("code").values()),
        "areas": list(Area.objects.order_by("code").values()),
        "links": list(AreaForce.objects.order_by("area__code", "force__code").values("area__code", "force__code", "population_share", "is_primary")),
        "overlaps": list(ConstituencyCouncilOverlap.objects.order_by("pk").values()),
        "elections": list(Election.objects.order_by("election_id").values()),
        "ballots": list(Ballot.objects.order_by("ballot_paper_id").values()),
        "parties": list(Party.objects.order_by("party_id").values()),
        "candidates": list(Candidate.objects.order_by("pk").values("pk", "person_id", "name", "party_id", "gender", "elected", "updated_at")),
    }


def forces_of(code: str) -> list[tuple[str, bool]]:
    return [(link.force.code, link.is_primary) for link in AreaForce.objects.filter(area__code=code).select_related("force")]


@pytest.fixture
def geography():
    return import_geography(GEOGRAPHY)


# --- geography ---------------------------------------------------------------------------------------


def test_geography_creates_forces_areas_and_links(geography):
    report = geography
    assert report.rejected == []
    assert report.created["police_forces"] == 7  # 5 E&W + Police Scotland + PSNI
    assert report.created["constituencies"] == 6
    assert report.created["wards"] == 5
    assert PoliceForce.objects.get(code="E23000034").name == "City of London"
    assert PoliceForce.objects.get(code="S23000009").name == "Police Scotland"
    assert PoliceForce.objects.get(code="N99999999").nation == "Northern Ireland"

    clw = Area.objects.get(code="E14001172")
    assert clw.slug == "cities-of-london-and-westminster"
    assert clw.population == pytest.approx(162640.68)
    assert (clw.hex_q, clw.hex_r) == (64, -40)
    assert clw.region.code == "E12000007"
    assert forces_of("E14001172") == [("E23000001", True), ("E23000034", False)]
    shares = dict(AreaForce.objects.filter(area=clw).values_list("force__code", "population_share"))
    assert shares["E23000001"] == pytest.approx(0.9402, abs=1e-4)
    assert shares["E23000034"] == pytest.approx(0.0597, abs=1e-4)

    assert forces_of("S14000107") == [("S23000009", True)]
    assert forces_of("N05000001") == [("N99999999", True)]  # the zero-population sliver is skipped
    welsh = Area.objects.get(code="W07000102")
    assert welsh.name_welsh == "Maldwyn a Glyndŵr" and welsh.region.code == "W92000004"
    assert Area.objects.get(code="S14000107").region.name == "Scotland"

    # Councils, wards and CSPs each lie in one force.
    ward = Area.objects.get(code="E05011150")
    assert ward.parent.code == "E08000025" and ward.area_type == Area.Type.WARD
    assert forces_of("E05011150") == [("E23000014", True)]
    assert forces_of("E09000001") == [("E23000034", True)]
    assert forces_of("W14000005") == [("W15000004", True)]
    assert Area.objects.get(code="E08000025").region.code == "E12000005"
    assert any("sliver" in note for note in report.notes)


def test_geography_is_idempotent(geography):
    before = snapshot()
    again = import_geography(GEOGRAPHY)
    assert again.total_created == again.total_updated == again.total_deleted == 0
    assert again.total_unchanged == geography.total_created
    assert snapshot() == before


def test_geography_dry_run_writes_nothing():
    report = import_geography(GEOGRAPHY, dry_run=True)
    assert report.dry_run and report.created["constituencies"] == 6
    assert Area.objects.count() == PoliceForce.objects.count() == AreaForce.objects.count() == 0


def test_geography_from_uploaded_bytes_with_hexmap_optional(tmp_path):
    files = {p.name: p.read_bytes() for p in GEOGRAPHY.iterdir() if p.suffix == ".csv"}
    files["notes.txt"] = b"hello"
    report = import_geography(files)
    assert report.created["constituencies"] == 6
    assert any("notes.txt" in w for w in report.warnings)
    assert Area.objects.get(code="E14001172").hex_q is None
    assert Area.objects.get(code="E14001172").region.code == "E12000007"  # from its councils


def test_geography_updates_changed_values_and_drops_stale_links(geography):
    Area.objects.filter(code="E14001063").update(name="Old name")
    PoliceForce.objects.filter(code="E23000001").update(feoa_email="feoa@met.example")
    wrong = PoliceForce.objects.get(code="E23000030")
    AreaForce.objects.create(area=Area.objects.get(code="E14001172"), force=wrong, population_share=0.5)
    report = import_geography(GEOGRAPHY)
    assert report.updated["constituencies"] == 1
    assert report.deleted["area_force_links"] == 1
    assert Area.objects.get(code="E14001063").name == "Aldershot"
    assert PoliceForce.objects.get(code="E23000001").feoa_email == "feoa@met.example"  # never overwritten
    assert forces_of("E14001172") == [("E23000001", True), ("E23000034", False)]


def test_geography_file_failures_write_nothing(tmp_path):
    for p in GEOGRAPHY.iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    (tmp_path / "ward24_lad24_ons_bestfit.csv").write_bytes(b"ward_code,ward_name\nE05000001,X\n")
    (tmp_path / "lad24_region24_ons.csv").write_bytes(b"")
    with pytest.raises(ImportValidationError) as err:
        import_geography(tmp_path)
    text = " | ".join(err.value.messages)
    assert "lad24_region24_ons.csv: The file is empty" in text
    assert "ward24_lad24_ons_bestfit.csv: Missing required columns: ward24_code, ward24_name, ltla24_code" in text
    assert Area.objects.count() == PoliceForce.objects.count() == 0

    (tmp_path / "lad24_region24_ons.csv").unlink()
    with pytest.raises(ImportValidationError, match="Missing geography files: lad24_region24_ons.csv"):
        import_geography(tmp_path)
    (tmp_path / "pcon24_hexmap.hexjson").write_bytes(b"{not json")
    (tmp_path / "lad24_region24_ons.csv").write_bytes((GEOGRAPHY / "lad24_region24_ons.csv").read_bytes())
    (tmp_path / "ward24_lad24_ons_bestfit.csv").write_bytes((GEOGRAPHY / "ward24_lad24_ons_bestfit.csv").read_bytes())
    with pytest.raises(ImportValidationError, match="HexJSON"):
        import_geography(tmp_path)
    assert Area.objects.count() == 0


def test_geography_rejects_bad_rows_with_file_and_line(tmp_path):
    for p in GEOGRAPHY.iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    with (tmp_path / "ward24_lad24_ons_bestfit.csv").open("a") as f:
        f.write("E05099999,Nowhere,E09999999,Nowhere,1\nE05011150,Yardley East again,E08000025,Birmingham,1\n")
    report = import_geography(tmp_path)
    assert [str(e) for e in report.rejected] == [
        "ward24_lad24_ons_bestfit.csv line 7: council 'E09999999' is not in lad24_csp24_pfa24_ons.csv",
        "ward24_lad24_ons_bestfit.csv line 8: ward E05011150 is repeated (first on line 2)",
    ]
    assert report.created["wards"] == 5


# --- candidates --------------------------------------------------------------------------------------


def test_ge2024_list_builds_ballot_ids_and_rejects_bad_rows(geography):
    report = import_candidates(GE_LIST)
    assert report.created["candidates"] == 8
    assert report.created["ballots"] == 6
    assert [(e.line, e.message) for e in report.rejected] == [
        (10, "no constituency has the code 'E14099999'"),
        (11, "person_id is missing"),
        (12, "duplicate: person 101 is already on ballot parl.cities-of-london-and-westminster.2024-07-04 (line 2)"),
    ]
    ids = set(Ballot.objects.values_list("ballot_paper_id", flat=True))
    assert "parl.ayr-carrick-and-cumnock.2024-07-04" in ids
    # Placed by post label (no pcon24cd), matching Glyndwr (ONS) to Glyndŵr (DC).
    welsh = Ballot.objects.get(ballot_paper_id="parl.montgomeryshire-and-glyndwr.2024-07-04")
    assert welsh.area.code == "W07000102" and welsh.post_label == "Montgomeryshire and Glyndŵr"
    election = Election.objects.get(election_id="parl.2024-07-04")
    assert election.operation == "bridger" and election.election_type == "parl"
    # The council holding most of the constituency's population runs the ballot (approximately).
    assert Ballot.objects.get(area__code="E14001172").council.code == "E09000033"
    assert Ballot.objects.get(area__code="S14000107").council is None  # Scottish councils are not in the ONS E&W lookups


def test_parties_from_the_ge2024_list():
    assert party_id_for("con", "Conservative and Unionist Party") == "oi:con"
    assert party_id_for("other", "Independent") == INDEPENDENT_PARTY_ID
    assert party_id_for("other", "Workers Party of Britain") == "name:workers-party-of-britain"
    assert party_id_for("green", "Scottish Green Party") == "name:scottish-green-party"
    long_id = party_id_for("other", "The Very Long Named Party for Testing the Forty Character Limit")
    assert len(long_id) <= 40 and long_id.startswith("name:")


@pytest.mark.usefixtures("geography")
def test_parties_keyed_on_name_for_shared_keys():
    import_candidates(GE_LIST)
    names = dict(Party.objects.values_list("party_id", "name"))
    assert names["name:workers-party-of-britain"] == "Workers Party of Britain"
    assert names["name:social-democratic-party"] == "Social Democratic Party"
    assert names[INDEPENDENT_PARTY_ID] == "Independent"
    assert Candidate.objects.get(person_id="101").party.party_id == "name:labour-party"


@pytest.mark.usefixtures("geography")
def test_candidates_import_is_idempotent_and_never_touches_contact_details():
    first = import_candidates(GE_LIST, gender_from=HOC)
    alice = Candidate.objects.get(person_id="101")
    alice.email, alice.phone, alice.consent_to_share = "alice@example.org", "+447700900123", True
    alice.save()
    before = snapshot()
    second = import_candidates(GE_LIST, gender_from=HOC)
    assert second.total_created == second.total_updated == 0
    assert second.unchanged == {k: v for k, v in first.created.items()}
    assert snapshot() == before
    # Without the gender file, genders joined earlier are kept; contact details are never touched.
    third = import_candidates(GE_LIST)
    assert third.total_updated == 0
    alice.refresh_from_db()
    assert (alice.email, alice.phone, alice.consent_to_share, alice.gender) == ("alice@example.org", "+447700900123", True, "female")


@pytest.mark.usefixtures("geography")
def test_candidates_update_changed_rows_only(tmp_path):
    import_candidates(GE_LIST)
    changed = GE_LIST.read_text(encoding="utf-8").replace("Bob Example", "Robert Example")
    report = import_candidates(changed.encode(), filename="changed.csv")
    assert report.updated == {"parties": 0, "elections": 0, "ballots": 0, "candidates": 1}
    assert report.unchanged["candidates"] == 7
    assert Candidate.objects.get(person_id="102").name == "Robert Example"


@pytest.mark.usefixtures("geography")
def test_candidates_dry_run_writes_nothing():
    report = import_candidates(GE_LIST, dry_run=True, actor=Actor.cli())
    assert report.created["candidates"] == 8
    assert Candidate.objects.count() == Ballot.objects.count() == Election.objects.count() == Party.objects.count() == 0
    assert AuditEvent.objects.count() == 0


@pytest.mark.usefixtures("geography")
def test_gender_join_on_person_id_then_constituency_and_name():
    report = import_candidates(GE_LIST, gender_from=HOC)
    genders = dict(Candidate.objects.values_list("person_id", "gender"))
    assert genders["101"] == "female" and genders["102"] == "male"
    assert genders["103"] == "female"  # HoC has a different DC id (99103): joined on constituency and name
    assert genders["104"] == "non_binary"
    assert genders["106"] == ""  # not in the HoC file
    assert any("for 5 of 8 candidate rows (4 by DC person id, 1 by constituency and name; 3 not found)" in n for n in report.notes)


@pytest.mark.usefixtures("geography")
def test_dc_export_operations_gss_and_local_ballots():
    report = import_candidates(DC_EXPORT)
    messages = {e.line: e.message for e in report.rejected}
    assert messages[6].startswith("out of scope: Little Snoring Parish Council is a parish, town or community council")
    assert "date" in messages[7]
    assert messages[8] == "no ward of this council is called 'Nowhere Ward'"
    assert len(messages) == 3

    # Scotland: DC's stale gss (S14000006) is ignored; the post label places the ballot.
    kim = Candidate.objects.get(person_id="201")
    assert kim.ballot.area.code == "S14000107" and kim.gender == "female" and kim.elected is True
    assert kim.ballot.election.operation == "bridger"
    assert Candidate.objects.get(person_id="202").party.party_id == INDEPENDENT_PARTY_ID

    local = Election.objects.get(election_id="local.birmingham.2025-05-01")
    assert local.operation == "ford" and local.election_type == "local" and local.organisation.code == "E08000025"
    mo = Candidate.objects.get(person_id="203")
    assert mo.ballot.area.code == "E05011150" and mo.ballot.council.code == "E08000025"
    assert mo.ballot.seats_contested == 2 and mo.gender == "non_binary" and mo.elected is None
    nia = Candidate.objects.get(person_id="204")  # no ballot_paper_id in the file: built by uk-election-ids
    assert nia.ballot.ballot_paper_id == "local.birmingham.sutton-vesey.2025-05-01"
    assert not Election.objects.filter(election_id__startswith="local.little-snoring").exists()


@pytest.mark.usefixtures("geography")
def test_candidates_file_failures_write_nothing():
    for data, expected in (
        (b"", "The file is empty"),
        (b"PK\x03\x04\x00\x00", "spreadsheet"),
        (b"person_id,person_name\n1,A\n", "Missing required columns: election_id, ballot_paper_id"),
    ):
        with pytest.raises(ImportValidationError) as err:
            import_candidates(data, filename="upload.csv")
        assert expected in " ".join(err.value.messages)
    with_extra = DC_EXPORT.read_text(encoding="utf-8").replace("elected\n", "elected,shoe_size\n", 1)
    with_extra = "\n".join(line + ",9" if i else line for i, line in enumerate(with_extra.splitlines()))
    with pytest.raises(ImportValidationError, match="Unknown columns: shoe_size"):
        import_candidates(with_extra.encode(), filename="upload.csv")
    assert Candidate.objects.count() == Ballot.objects.count() == 0
    report = import_candidates(with_extra.encode(), filename="upload.csv", allow_unknown_columns=True)
    assert report.created["candidates"] == 4
    assert any("shoe_size" in w for w in report.warnings)


@pytest.mark.usefixtures("geography")
def test_cp1252_candidates_file_is_imported_with_a_warning():
    text = GE_LIST.read_text(encoding="utf-8").replace("Glyndŵr", "Glyndwr").replace("Bob Example", "Siôn Môn")
    report = import_candidates(text.encode("cp1252"), filename="excel.csv")
    assert any("Windows-1252" in w for w in report.warnings)
    assert Candidate.objects.get(person_id="102").name == "Siôn Môn"


def test_candidates_without_geography_are_rejected():
    report = import_candidates(GE_LIST)
    assert report.total_created == 0 and len(report.rejected) == 11
    assert any("import the geography first" in w for w in report.warnings)


def test_audit_event_has_counts_only(geography):
    import_candidates(GE_LIST, actor=Actor.cli())
    event = AuditEvent.objects.get(action="import")
    assert event.object_type == "import" and event.object_id == "candidates"
    assert "candidates: +8" in event.detail
    assert "Example" not in event.detail


def test_report_to_dict_is_json(geography):
    report = import_candidates(GE_LIST)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["totals"]["created"] == report.total_created
    assert data["rejected"][0] == {"line": 10, "message": "no constituency has the code 'E14099999'", "column": "pcon24cd", "file": "ge2024_list.csv"}


# --- commands ---------------------------------------------------------------------------------------


def test_commands_import_and_report(capsys):
    call_command("import_geography", str(GEOGRAPHY))
    call_command("import_candidates", str(GE_LIST), "--gender-from", str(HOC))
    out = capsys.readouterr().out
    assert "Import of candidates" in out and "line 10: no constituency has the code" in out
    call_command("registry_summary", "--json")
    summary = json.loads(capsys.readouterr().out)
    assert summary["police_forces"] == 7 and summary["candidates"] == 8
    assert summary["constituencies_covered_by_more_than_one_force"] == 1
    call_command("import_candidates", str(GE_LIST), "--dry-run", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["dry_run"] is True and data["totals"]["created"] == 0
    call_command("registry_summary")
    assert "police forces" in capsys.readouterr().out


def test_command_refuses_bad_file_with_clear_message(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"person_id\n1\n")
    with pytest.raises(CommandError, match="nothing was saved"):
        call_command("import_candidates", str(bad))
    with pytest.raises(CommandError, match="not a directory"):
        call_command("import_geography", str(tmp_path / "missing"))
