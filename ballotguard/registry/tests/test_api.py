"""The JSON API's registry side: candidates, ballots, forces, summary, hand-over and imports, with the
same scope as the pages (outside scope → 404, role never allowed → 403)."""

import importlib.util
import sys
import types
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import path

from ballotguard.accounts.models import ApiToken, AuditEvent
from ballotguard.api import api, api_docs
from ballotguard.registry.models import Candidate

urlpatterns = [path("api/v1/", api.urls), path("api/docs", api_docs, name="api-docs")]
pytestmark = pytest.mark.urls(__name__)

HAVE_IMPORTERS = importlib.util.find_spec("ballotguard.registry.importers") is not None


def names(body) -> list[str]:
    return [item["name"] for item in body["items"]]


# ---------------------------------------------------------------------------------------------------
# Candidates


def test_feoa_lists_candidates_in_their_forces(world, client_as):
    response = client_as(world.users.feoa_met).get("/api/v1/candidates")
    assert response.status_code == 200
    body = response.json()
    assert names(body) == ["Alice Archer", "Bob Baker"]
    assert body["count"] == 2 and body["next_offset"] is None
    item = body["items"][0]
    assert set(item) == {"id", "person_id", "name", "party", "ballot_paper_id", "area", "election_id", "operation", "gender", "handed_over"}
    assert item["area"] == {"code": "E14001172", "name": "Cities of London and Westminster"}
    assert item["party"] == {"party_id": "PP53", "name": "Labour Party"}
    assert item["operation"] == "bridger"
    # The second force of a constituency that spans two sees it too.
    assert names(client_as(world.users.feoa_city).get("/api/v1/candidates").json()) == ["Alice Archer", "Bob Baker"]


def test_list_does_not_show_contact_details_or_audit(world, client_as):
    body = client_as(world.users.feoa_wmp).get("/api/v1/candidates").json()
    assert "carol@example.org" not in str(body)
    assert not AuditEvent.objects.filter(action="read").exists()


def test_candidate_filters_and_pagination(world, client_as):
    client = client_as(world.users.admin)
    get = lambda **q: client.get("/api/v1/candidates", q).json()  # noqa: E731
    assert get()["count"] == 5
    assert names(get(election="local.birmingham.2026-05-07")) == ["Erin Evans"]
    assert names(get(area="E08000025")) == ["Erin Evans"]  # the ward's council
    assert names(get(party="PP63")) == ["Dan Davies", "Erin Evans"]
    assert names(get(operation="ford")) == ["Erin Evans"]
    assert names(get(handed_over="true")) == ["Carol Cooper"]
    assert names(get(name="bak")) == ["Bob Baker"]
    page = get(limit=2, offset=0)
    assert names(page) == ["Alice Archer", "Bob Baker"] and page["next_offset"] == 2
    assert get(limit=2, offset=4)["next_offset"] is None


def test_list_limit_is_capped_and_errors_name_the_field(world, client_as):
    client = client_as(world.users.admin)
    response = client.get("/api/v1/candidates", {"limit": 501})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["field"] == "limit"
    assert "500" in error["message"]
    assert error["loc"] == ["query", "limit"]
    response = client.get("/api/v1/candidates", {"operation": "nonsense", "handed_over": "maybe"})
    assert {e["field"] for e in response.json()["detail"]} == {"operation", "handed_over"}
    assert "nonsense" not in response.content.decode()  # input is never echoed


def test_returning_officer_lists_own_council(world, client_as):
    body = client_as(world.users.ro_birmingham).get("/api/v1/candidates").json()
    assert names(body) == ["Carol Cooper", "Dan Davies", "Erin Evans"]


@pytest.mark.parametrize("role", ["candidate", "staff", "analyst"])
def test_roles_that_cannot_list_candidates_get_403(world, client_as, role):
    response = client_as(getattr(world.users, role)).get("/api/v1/candidates")
    assert response.status_code == 403
    assert response.json()["detail"]


def test_candidate_detail_with_contact_details_is_audited(world, client_as):
    carol = world.candidates.yardley_1
    response = client_as(world.users.feoa_wmp).get(f"/api/v1/candidates/{carol.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Carol Cooper"
    assert body["forces"] == [{"code": "E23000014", "name": "West Midlands", "nation": "England"}]
    assert body["contact"] == {"email": "carol@example.org", "phone": "+447700900123", "address": "1 Test Street\nBirmingham", "postcode": "B25 8AA"}
    event = AuditEvent.objects.get(action="read", object_type="candidate", object_id=str(carol.pk))
    assert event.channel == "api" and event.actor_username == "feoa-wmp"


def test_candidate_detail_without_handover_has_no_contact(world, client_as):
    body = client_as(world.users.feoa_met).get(f"/api/v1/candidates/{world.candidates.clw_1.pk}").json()
    assert body["contact"] is None
    assert [f["code"] for f in body["forces"]] == ["E23000001", "E23000034"]  # primary force first


def test_candidate_outside_scope_is_404(world, client_as):
    carol = world.candidates.yardley_1
    for user in (world.users.feoa_city, world.users.ro_westminster, world.users.analyst):
        response = client_as(user).get(f"/api/v1/candidates/{carol.pk}")
        assert response.status_code == 404, user.username
        assert response.json() == {"detail": "Not found."}
    assert client_as(world.users.admin).get("/api/v1/candidates/999999").json() == {"detail": "Not found."}


def test_admin_sees_candidate_but_not_contact_details(world, client_as):
    body = client_as(world.users.admin).get(f"/api/v1/candidates/{world.candidates.yardley_1.pk}").json()
    assert body["contact"] is None


def test_candidate_reads_own_record_with_a_token(world):
    _, secret = ApiToken.issue(world.users.candidate, "phone app")
    response = Client().get(f"/api/v1/candidates/{world.candidates.yardley_1.pk}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert response.json()["contact"]["email"] == "carol@example.org"
    assert AuditEvent.objects.get(action="read").actor_username == "candidate-carol"


# ---------------------------------------------------------------------------------------------------
# Ballots, summary, forces


def test_returning_officer_sees_only_own_councils_ballots(world, client_as):
    body = client_as(world.users.ro_birmingham).get("/api/v1/ballots").json()
    ids = [b["ballot_paper_id"] for b in body["items"]]
    assert ids == ["parl.birmingham-yardley.2024-07-04", "local.birmingham.yardley-east.2026-05-07"]
    assert body["items"][0]["council"] == {"code": "E08000025", "name": "Birmingham"}
    other = client_as(world.users.ro_westminster).get("/api/v1/ballots").json()
    assert [b["ballot_paper_id"] for b in other["items"]] == ["parl.cities-of-london-and-westminster.2024-07-04"]
    filtered = client_as(world.users.ro_westminster).get("/api/v1/ballots", {"election": "local.birmingham.2026-05-07"}).json()
    assert filtered["count"] == 0


def test_ballots_for_admin_and_refused_roles(world, client_as):
    assert client_as(world.users.admin).get("/api/v1/ballots").json()["count"] == 3
    for role in ("candidate", "staff", "analyst"):
        assert client_as(getattr(world.users, role)).get("/api/v1/ballots").status_code == 403


def test_registry_summary(world, client_as):
    for role in ("feoa_met", "analyst", "admin", "ro_birmingham"):
        response = client_as(getattr(world.users, role)).get("/api/v1/registry/summary")
        assert response.status_code == 200
        body = response.json()
        assert body["candidates"] == 5 and body["candidates_handed_over"] == 1
        assert body["constituencies_covered_by_more_than_one_force"] == 1
    for role in ("candidate", "staff"):
        assert client_as(getattr(world.users, role)).get("/api/v1/registry/summary").status_code == 403


def test_police_forces_for_any_signed_in_user(world, client_as):
    body = client_as(world.users.staff).get("/api/v1/police-forces").json()
    assert [f["code"] for f in body] == ["E23000034", "E23000001", "E23000014"]
    assert set(body[0]) == {"code", "name", "nation"}
    assert Client().get("/api/v1/police-forces").status_code == 401


# ---------------------------------------------------------------------------------------------------
# Hand-over


def handover(client, items):
    return client.post("/api/v1/handover", {"items": items}, content_type="application/json")


def test_handover_happy_path(world, client_as):
    dan, carol = world.candidates.yardley_2, world.candidates.yardley_1
    response = handover(client_as(world.users.ro_birmingham), [
        {"candidate_id": dan.pk, "email": " Dan@Example.org ", "phone": "07700 900982", "address": "2 Road", "postcode": "b258aa", "consent": True},
        {"ballot_paper_id": carol.ballot.ballot_paper_id, "person_id": carol.person_id, "consent": False},
    ])
    assert response.status_code == 200, response.content
    assert response.json() == {"handed_over": 2, "items": [
        {"index": 0, "candidate_id": dan.pk, "consent": True}, {"index": 1, "candidate_id": carol.pk, "consent": False},
    ]}
    dan.refresh_from_db()
    carol.refresh_from_db()
    assert (dan.email, dan.phone, dan.postcode, dan.consent_to_share) == ("dan@example.org", "+447700900982", "B25 8AA", True)
    assert dan.handed_over
    assert carol.email == "" and carol.consent_to_share is False  # no consent: details erased
    assert AuditEvent.objects.filter(action="update", object_type="candidate", channel="api").count() == 2
    assert "dan@example.org" not in response.content.decode()


def test_handover_with_one_bad_item_saves_nothing(world, client_as):
    dan, erin = world.candidates.yardley_2, world.candidates.ward_1
    response = handover(client_as(world.users.ro_birmingham), [
        {"candidate_id": dan.pk, "email": "dan@example.org", "consent": True},
        {"candidate_id": erin.pk, "email": "erin@example.org", "consent": True},
        {"candidate_id": erin.pk, "phone": "12", "postcode": "NOPE", "consent": True},
    ])
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["detail"]}
    assert set(errors) == {"items[2].phone", "items[2].postcode"}
    assert errors["items[2].phone"].startswith("Enter a telephone number")
    assert "NOPE" not in response.content.decode()
    assert not Candidate.objects.filter(handed_over_at__isnull=False).exclude(pk=world.candidates.yardley_1.pk).exists()
    assert not AuditEvent.objects.exists()


def test_handover_structural_errors_name_item_and_field(world, client_as):
    response = handover(client_as(world.users.ro_birmingham), [
        {"candidate_id": world.candidates.yardley_2.pk, "consent": True},
        {"candidate_id": "x", "email": "a@b.org"},
    ])
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["detail"]}
    assert fields == {"items[1].candidate_id", "items[1].consent"}
    response = handover(client_as(world.users.ro_birmingham), [{"email": "a@b.org", "consent": True}])
    assert response.json()["detail"][0]["field"] == "items[0].candidate_id"
    assert handover(client_as(world.users.ro_birmingham), []).json()["detail"][0]["field"] == "items"


def test_handover_outside_council_is_404_naming_the_item(world, client_as):
    response = handover(client_as(world.users.ro_birmingham), [
        {"candidate_id": world.candidates.yardley_2.pk, "consent": False},
        {"candidate_id": world.candidates.clw_1.pk, "email": "alice@example.org", "consent": True},
        {"ballot_paper_id": "parl.cities-of-london-and-westminster.2024-07-04", "person_id": "1002", "consent": True},
    ])
    assert response.status_code == 404
    assert [e["field"] for e in response.json()["detail"]] == ["items[1].candidate_id", "items[2].person_id"]
    world.candidates.yardley_2.refresh_from_db()
    assert not world.candidates.yardley_2.handed_over


def test_handover_same_candidate_twice_is_refused(world, client_as):
    dan = world.candidates.yardley_2
    response = handover(client_as(world.users.ro_birmingham), [
        {"candidate_id": dan.pk, "consent": False},
        {"ballot_paper_id": dan.ballot.ballot_paper_id, "person_id": dan.person_id, "consent": False},
    ])
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "items[1]"


def test_handover_only_for_returning_officers(world, client_as):
    for role in ("feoa_wmp", "admin", "candidate"):
        response = handover(client_as(getattr(world.users, role)), [{"candidate_id": world.candidates.yardley_2.pk, "consent": False}])
        assert response.status_code == 403, role


def test_handover_with_session_needs_csrf(world):
    from conftest import signed_in_client

    client = signed_in_client(world.users.ro_birmingham, Client(enforce_csrf_checks=True))
    response = handover(client, [{"candidate_id": world.candidates.yardley_2.pk, "consent": False}])
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


# ---------------------------------------------------------------------------------------------------
# Imports: the endpoints' glue against a stand-in importer, and the real importer when it exists


@dataclass
class FakeReport:
    kind: str
    dry_run: bool
    rejected: list = field(default_factory=list)

    def to_dict(self):
        return {"kind": self.kind, "dry_run": self.dry_run, "created": {"candidates": 1}, "updated": {}, "unchanged": {},
                "deleted": {}, "rejected": self.rejected, "warnings": [], "notes": [], "totals": {"created": 1}}


@pytest.fixture
def fake_importers(monkeypatch):
    module = types.ModuleType("ballotguard.registry.importers")
    calls = []

    class ImportValidationError(Exception):
        def __init__(self, messages):
            super().__init__("; ".join(messages))
            self.messages = messages

    def import_candidates(source, *, filename, gender_from, dry_run, actor, allow_unknown_columns=False):
        calls.append(("candidates", source, filename, gender_from, dry_run, actor))
        if source.startswith(b"bad"):
            raise ImportValidationError(["The file has no person_id column"])
        return FakeReport("candidates", dry_run, [{"line": 3, "column": "party_id", "message": "Unknown party", "file": ""}])

    def import_geography(source, *, dry_run, actor):
        calls.append(("geography", source, dry_run, actor))
        return FakeReport("geography", dry_run)

    module.ImportValidationError = ImportValidationError
    module.import_candidates = import_candidates
    module.import_geography = import_geography
    monkeypatch.setitem(sys.modules, "ballotguard.registry.importers", module)
    return calls


def test_import_candidates_calls_the_importer(world, client_as, fake_importers):
    client = client_as(world.users.admin)
    response = client.post("/api/v1/imports/candidates", {
        "file": SimpleUploadedFile("candidates.csv", b"person_id,person_name\n1,A\n", "text/csv"),
        "gender_from": SimpleUploadedFile("gender.csv", b"person_id,gender\n1,female\n", "text/csv"),
        "dry_run": "true",
    })
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["kind"] == "candidates" and body["dry_run"] is True
    assert body["rejected"] == [{"line": 3, "column": "party_id", "message": "Unknown party", "file": ""}]
    assert body["created"] == {"candidates": 1}
    kind, source, filename, gender, dry_run, actor = fake_importers[0]
    assert (source, filename, gender, dry_run) == (b"person_id,person_name\n1,A\n", "candidates.csv", b"person_id,gender\n1,female\n", True)
    assert actor.user == world.users.admin and actor.channel == "api"


def test_import_candidates_errors(world, client_as, fake_importers, settings):
    client = client_as(world.users.admin)
    response = client.post("/api/v1/imports/candidates", {"file": SimpleUploadedFile("c.csv", b"bad file")})
    assert response.status_code == 422
    assert response.json() == {"detail": [{"field": "file", "message": "The file has no person_id column", "loc": ["file"]}]}

    response = client.post("/api/v1/imports/candidates", {"dry_run": "true"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "file"

    settings.BALLOTGUARD_MAX_IMPORT_BYTES = 1000
    response = client.post("/api/v1/imports/candidates", {"file": SimpleUploadedFile("c.csv", b"x" * 2000)})
    assert response.status_code == 413  # counted after upload (Content-Length within the slack)
    assert "too large" in response.json()["detail"]
    response = client.post("/api/v1/imports/candidates", {"file": SimpleUploadedFile("c.csv", b"x" * 100_000)})
    assert response.status_code == 413  # refused from Content-Length before the body is read
    assert "too large" in response.json()["detail"]
    assert len(fake_importers) == 1  # only the 'bad file' call reached the importer


def test_import_geography_calls_the_importer(world, client_as, fake_importers):
    response = client_as(world.users.admin).post("/api/v1/imports/geography", {
        "PCON_2024.csv": SimpleUploadedFile("whatever.csv", b"a,b\n"),
        "files": [SimpleUploadedFile("LAD_CSP.csv", b"c,d\n")],
    })
    assert response.status_code == 200, response.content
    assert response.json()["kind"] == "geography"
    _, sources, dry_run, _ = fake_importers[0]
    assert sources == {"PCON_2024.csv": b"a,b\n", "LAD_CSP.csv": b"c,d\n"}
    assert dry_run is False
    assert client_as(world.users.admin).post("/api/v1/imports/geography", {}).status_code == 422


def test_imports_are_for_administrators(world, client_as, fake_importers):
    for role in ("feoa_met", "analyst", "ro_birmingham"):
        client = client_as(getattr(world.users, role))
        assert client.post("/api/v1/imports/candidates", {"file": SimpleUploadedFile("c.csv", b"a")}).status_code == 403
        assert client.post("/api/v1/imports/geography", {"x.csv": SimpleUploadedFile("x.csv", b"a")}).status_code == 403
    assert Client().post("/api/v1/imports/candidates", {"file": SimpleUploadedFile("c.csv", b"a")}).status_code == 401
    assert fake_importers == []


@pytest.mark.skipif(not HAVE_IMPORTERS, reason="ballotguard.registry.importers is not written yet")
def test_import_candidates_with_the_real_importer(world, client_as):
    csv = (
        "person_id,person_name,election_id,ballot_paper_id,election_date,election_current,party_name,party_id,"
        "post_label,cancelled_poll,seats_contested\n"
        "9001,Zed Zeta,parl.2024-07-04,parl.birmingham-yardley.2024-07-04,2024-07-04,False,Labour Party,PP53,"
        "Birmingham Yardley,False,1\n"
    ).encode()
    client = client_as(world.users.admin)

    def upload(dry_run):
        return client.post("/api/v1/imports/candidates", {
            "file": SimpleUploadedFile("candidates.csv", csv, "text/csv"), "dry_run": "true" if dry_run else "false",
        })

    response = upload(dry_run=True)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["kind"] == "candidates" and body["dry_run"] is True
    assert body["created"].get("candidates") == 1, body
    assert not Candidate.objects.filter(person_id="9001").exists()

    response = upload(dry_run=False)
    assert response.status_code == 200, response.content
    assert Candidate.objects.filter(person_id="9001", ballot=world.ballots.yardley).exists()

    response = client.post("/api/v1/imports/candidates", {"file": SimpleUploadedFile("c.csv", b"nothing,useful\n1,2\n")})
    assert response.status_code == 422
    assert response.json()["detail"] and all(e["field"] == "file" for e in response.json()["detail"])
