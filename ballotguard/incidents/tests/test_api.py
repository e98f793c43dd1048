"""The incidents API: reporting with idempotency keys, field errors, evidence, the workflow, packs."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ballotguard.incidents.models import Incident

from .conftest import PNG

pytestmark = pytest.mark.django_db


def body(candidate, **overrides) -> dict:
    data = {
        "candidate_id": candidate.pk,
        "occurred_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "place": "online",
        "platform": "Facebook",
        "behaviours": ["abusive_or_hateful_message", "protected_characteristic_hostility"],
        "characteristics": ["religion"],
        "description": "Comments on my page saying <script>alert('x')</script> people like me should go home.",
        "observables": [{"kind": "handle", "value": "@hater"}, {"kind": "url", "value": "https://www.facebook.com/post/1?fbclid=abc"}],
    }
    data.update(overrides)
    return data


def post(client, data, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/v1/incidents", data, content_type="application/json", **headers)


def test_report_returns_guidance_and_a_retry_with_the_same_key_makes_nothing_new(world, client_as):
    carol = client_as(world.users.candidate)
    report = body(world.candidates.yardley_1)
    first = post(carol, report, key="retry-1")
    assert first.status_code == 201, first.json()
    receipt = first.json()
    assert receipt["status"] == "new" and receipt["routes"][0]["route"] == "999"
    assert first["Location"] == receipt["url"] == f"/api/v1/incidents/{receipt['reference']}"
    out = carol.get(receipt["url"]).json()
    assert out["observables"][1]["value"] == "https://facebook.com/post/1"
    assert "ea2022_s30" in {o["code"] for o in out["offences"]}  # hostility towards a candidate
    assert "not legal advice" in out["guidance_disclaimer"]
    again = post(carol, report, key="retry-1")
    assert again.status_code == 200 and again.json()["reference"] == out["reference"]
    assert Incident.objects.count() == 1
    conflict = post(carol, {**report, "description": "different"}, key="retry-1")
    assert conflict.status_code == 409


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"occurred_at": "2025-02-31T10:00:00+00:00"}, "occurred_at"),
        ({"occurred_at": "2025-02-01T10:00:00"}, "occurred_at"),
        ({"occurred_at": (timezone.now() + dt.timedelta(days=3)).isoformat()}, "occurred_at"),
        ({"place": "moon"}, "place"),
        ({"behaviours": []}, "behaviours"),
        ({"area_code": "E99999999"}, "area"),
        ({"observables": [{"kind": "vehicle", "value": "NOT A REG"}]}, "observables.vehicle"),
        ({"observables": [{"kind": "phone", "value": "12"}]}, "observables.phone"),
        ({"description": "x" * 10_001}, "description"),
    ],
)
def test_bad_reports_get_field_errors_and_store_nothing(world, client_as, overrides, field):
    response = post(client_as(world.users.candidate), body(world.candidates.yardley_1, **overrides))
    assert response.status_code == 422, response.content
    fields = [d["field"] for d in response.json()["detail"]]
    assert field in fields
    assert Incident.objects.count() == 0


def test_candidate_cannot_report_for_another_candidate(world, client_as):
    response = post(client_as(world.users.candidate), body(world.candidates.clw_1))
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "candidate"


def test_evidence_upload_download_and_pack(world, client_as):
    carol = client_as(world.users.candidate)
    ref = post(carol, body(world.candidates.yardley_1)).json()["reference"]
    upload = carol.post(f"/api/v1/incidents/{ref}/evidence", {"file": SimpleUploadedFile("shot.png", PNG, content_type="image/jpeg")})
    assert upload.status_code == 201, upload.content
    evidence = upload.json()
    assert evidence["mime"] == "image/png" and evidence["sha256"] == hashlib.sha256(PNG).hexdigest()

    bad = carol.post(f"/api/v1/incidents/{ref}/evidence", {"file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00binary", content_type="application/pdf")})
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "file"

    feoa = client_as(world.users.feoa_wmp)
    download = feoa.get(f"/api/v1/incidents/{ref}/evidence/{evidence['id']}")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert download["X-Evidence-SHA256"] == evidence["sha256"]
    assert (download["X-Content-Type-Options"], download["Cache-Control"]) == ("nosniff", "no-store")

    pack = feoa.get(f"/api/v1/incidents/{ref}/pack")
    assert pack.status_code == 200 and pack["Content-Type"] == "application/zip" and pack["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(pack.streaming_content)))
    names = archive.namelist()
    assert any(n.endswith(".pdf") for n in names) and "SHA256SUMS" in names and "manifest.csv" in names
    png_name = next(n for n in names if n.startswith("evidence/"))
    assert hashlib.sha256(archive.read(png_name)).hexdigest() == evidence["sha256"]


def test_feoa_workflow_over_the_api(world, client_as):
    ref = post(client_as(world.users.candidate), body(world.candidates.yardley_1)).json()["reference"]
    feoa = client_as(world.users.feoa_wmp)
    queue = feoa.get("/api/v1/incidents?status=open").json()
    assert [i["reference"] for i in queue["items"]] == [ref]

    def step(path, data):
        return feoa.post(f"/api/v1/incidents/{ref}/{path}", data, content_type="application/json")

    assert step("status", {"status": "referred", "crime_reference": "X1"}).status_code == 422
    assert step("status", {"status": "triaged"}).status_code == 200
    missing = step("status", {"status": "referred"})
    assert missing.status_code == 422 and missing.json()["detail"][0]["field"] == "crime_reference"
    assert step("status", {"status": "referred", "crime_reference": "43/98765/25"}).json()["crime_reference"] == "43/98765/25"
    assert step("risk", {"level": "high", "reason": ""}).status_code == 422
    assert step("risk", {"level": "high", "reason": "Named individual with prior convictions"}).json()["risk_level"] == "high"
    assert step("assign", {"user_id": world.users.feoa_wmp.pk}).json()["assigned_to"] == str(world.users.feoa_wmp)
    assert step("assign", {"user_id": world.users.feoa_met.pk}).status_code == 422  # not this force's adviser
    assert step("notes", {"text": "Called the candidate"}).status_code == 200

    # Notes are for FEOAs: the candidate's timeline leaves them out.
    mine = client_as(world.users.candidate).get(f"/api/v1/incidents/{ref}").json()
    assert "Called the candidate" not in [e["text"] for e in mine["timeline"]]
    theirs = feoa.get(f"/api/v1/incidents/{ref}").json()
    assert "Called the candidate" in [e["text"] for e in theirs["timeline"]]


def test_text_is_returned_as_data_never_interpreted(world, client_as):
    ref = post(client_as(world.users.candidate), body(world.candidates.yardley_1)).json()["reference"]
    page = client_as(world.users.feoa_wmp).get(f"/incidents/{ref}/")
    html = page.content.decode()
    assert "<script>alert('x')</script>" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


def test_feoa_internal_fields_stay_with_feoas(world, client_as):
    ref = post(client_as(world.users.candidate), body(world.candidates.yardley_1)).json()["reference"]
    feoa = client_as(world.users.feoa_wmp)
    feoa.post(f"/api/v1/incidents/{ref}/risk", {"level": "low", "reason": "INTERNAL view of the candidate"}, content_type="application/json")
    feoa.post(f"/api/v1/incidents/{ref}/assign", {"user_id": world.users.feoa_wmp.pk}, content_type="application/json")
    mine = client_as(world.users.candidate).get(f"/api/v1/incidents/{ref}").json()
    assert mine["risk_override_reason"] == "" and mine["assigned_to"] is None
    assert feoa.get(f"/api/v1/incidents/{ref}").json()["risk_override_reason"] == "INTERNAL view of the candidate"


def test_an_observable_with_a_line_break_is_refused_not_dropped(world, client_as):
    response = post(client_as(world.users.candidate), body(world.candidates.yardley_1, observables=[{"kind": "handle", "value": "@a\u2028@b"}]))
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "observables[0].value"
    assert Incident.objects.count() == 0
