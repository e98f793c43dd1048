"""Hostile input is answered 4xx with a message naming the field, on SQLite and PostgreSQL (issue 14)."""

from __future__ import annotations

import pytest
from django.test import Client

from ballotguard.incidents.tests.conftest import PNG
from conftest import signed_in_client


@pytest.mark.parametrize("path", ["/pledge/a%00b/", "/candidates/%00/", "/incidents/P%00/", "/guidance/a%01b/"])
def test_a_control_character_in_the_path_is_a_400_page(world, path):
    response = Client().get(path)
    assert response.status_code == 400
    assert "control character" in response.content.decode()


def test_a_nul_in_a_query_filter_names_the_parameter(world):
    client = signed_in_client(world.users.feoa_wmp)
    response = client.get("/candidates/?name=a%00b")
    assert response.status_code == 400 and "name: Remove the control character" in response.content.decode()
    response = client.get("/api/v1/candidates?name=a%00b")
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "name"


def test_a_nul_in_a_json_field_names_the_field(world):
    client = signed_in_client(world.users.candidate)
    body = '{"candidate_id": %d, "occurred_at": "2025-01-01T10:00:00Z", "place": "online", "platform": "X\\u0000", ' \
           '"behaviours": ["abusive_or_hateful_message"], "description": "hi"}' % world.candidates.yardley_1.pk
    response = client.post("/api/v1/incidents", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "platform"


def test_a_nul_in_a_form_field_names_the_field(world):
    client = signed_in_client(world.users.admin)
    response = client.post("/access/propose/user", {"username": "x", "role": "analyst", "email": "x@example.org", "reason": "a\x01b"})
    assert response.status_code == 200
    assert "must not contain control characters" in response.content.decode()


def test_a_csv_with_a_nul_after_64_kib_is_refused_by_line(world):
    from ballotguard.engines.common.tabular import open_table

    body = "name,party\n" + "".join(f"Person {i},Party\n" for i in range(5000)) + "Bad\x00Name,Party\n"
    assert len(body) > 65536
    rows, errors = open_table(body.encode(), "c.csv", required=["name", "party"]).read_rows()
    assert len(rows) == 5000 and len(errors) == 1 and errors[0].line == 5002 and errors[0].column == "name"


def test_an_oversize_upload_is_a_413_page_or_json(world, settings):
    settings.BALLOTGUARD_MAX_IMPORT_BYTES = 1024
    from ballotguard.engines.incidents import evidence_types

    size = max(evidence_types.MAX_UPLOAD_BYTES, 1024) + 2 * 1024 * 1024
    # Only the declared length is looked at: nothing is read.
    meta = {"CONTENT_LENGTH": str(size), "CONTENT_TYPE": "multipart/form-data; boundary=xyz"}
    response = Client().generic("POST", "/sign-in", b"", **meta)
    assert response.status_code == 413 and "must be smaller than" in response.content.decode()
    assert "govuk" in response.content.decode()
    response = Client().generic("POST", "/api/v1/incidents/X/evidence", b"", **meta)
    assert response.status_code == 413 and "must be smaller than" in response.json()["detail"]
    response = Client().generic("POST", "/sign-in", b"", CONTENT_LENGTH=str(50 * 1024 * 1024), CONTENT_TYPE="application/x-www-form-urlencoded")
    assert response.status_code == 413


@pytest.mark.parametrize("path", [
    "/api/v1/candidates?offset=9223372036854775808", "/api/v1/incidents?offset=9223372036854775808",
    "/api/v1/audit?offset=9223372036854775808",
])
def test_an_offset_past_any_list_is_a_422_naming_offset(world, path):
    response = signed_in_client(world.users.admin if "audit" in path or "candidates" in path else world.users.feoa_wmp).get(path)
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "offset"


def test_a_page_past_any_list_is_a_404(world):
    client = signed_in_client(world.users.analyst)
    assert client.get("/insights/records/?page=99999999999999999999").status_code == 404
    assert client.get("/audit/?page=99999999999999999999").status_code in (200, 403)


def test_a_very_long_evidence_file_name_is_kept_short(world):
    from ballotguard.accounts.services import Actor
    from ballotguard.incidents import services
    from ballotguard.incidents.tests.conftest import report_input

    incident, _ = services.report(Actor(user=world.users.candidate), report_input(world.candidates.yardley_1))
    client = signed_in_client(world.users.candidate)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("a" * 10_000 + ".png", PNG, content_type="image/png")
    response = client.post(f"/api/v1/incidents/{incident.reference}/evidence", {"file": upload})
    assert response.status_code in (201, 422), response.content[:300]
    if response.status_code == 201:
        assert len(incident.evidence.get().original_name) <= 255


def test_the_openapi_document_has_one_schema_per_name(world):
    from ballotguard.api import api

    schemas = api.get_openapi_schema()["components"]["schemas"]
    evidence = schemas["EvidenceOut"]["properties"]
    assert "sha256" in evidence or "kind" in evidence  # the incident's evidence, not the campaign's
    assert "CampaignEvidenceOut" in schemas and "behaviour" in schemas["CampaignEvidenceOut"]["properties"]
