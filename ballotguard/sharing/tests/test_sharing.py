"""Sharing with partners end to end: exports through the page and the API, imports that link incidents,
who may do what, and the audit log."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ballotguard.accounts.models import AuditEvent
from ballotguard.accounts.services import Actor
from ballotguard.incidents import services as incidents
from ballotguard.incidents.models import AccessRequest, Incident, IncidentEvent, IncidentLink
from ballotguard.incidents.services.guidance import course_of_conduct_ids
from ballotguard.incidents.tests.conftest import report_input
from ballotguard.monitoring.models import Campaign, DetectionRun
from ballotguard.registry.services import NotPermitted
from ballotguard.sharing import services
from ballotguard.sharing.models import PartnerImport, PartnerMatch
from conftest import signed_in_client


def _report(world, candidate=None, **observables) -> Incident:
    incident, _ = incidents.report(Actor(user=world.users.candidate), report_input(candidate or world.candidates.yardley_1, observables=observables))
    return incident


def _linked(a: Incident, b: Incident) -> bool:
    first, second = sorted([a.pk, b.pk])
    return IncidentLink.objects.filter(first_id=first, second_id=second).exists()


@pytest.mark.parametrize("identified", [True, False])
def test_round_trip_export_then_import_links_the_incidents(world, identified):
    """A course of conduct (two reports sharing a phone number) goes to a partner, and comes back from
    them after the originals are gone: two new reports, one naming the handle and one the e-mail
    address, are linked by it although they share nothing themselves."""
    wmp = Actor(user=world.users.feoa_wmp)
    a = _report(world, handle="@Troll_One", phone="07700 900456")
    b = _report(world, phone="07700900456", email="troll@example.net")
    assert _linked(a, b)
    export = services.export_incident(wmp, a.reference, scope="conduct", fmt="stix", tlp="amber+strict", identified=identified)
    doc = json.loads(export.body)
    assert len([o for o in doc["objects"] if o["type"] == "observed-data"]) == 2
    assert ("troll_one" in export.body) is identified and a.reference not in export.body and "traitor" not in export.body
    a.delete(), b.delete()

    x = _report(world, handle="https://x.com/troll_one")
    y = _report(world, email="TROLL@example.net")
    assert not _linked(x, y)
    record = services.import_bundle(wmp, export.body.encode(), "A partner force")
    assert record.matched_incidents == 2 and record.links_made == 1 and record.tlp == "amber+strict"
    assert _linked(x, y)
    assert set(course_of_conduct_ids(x)) == {x.pk, y.pk}
    texts = [e.text for e in IncidentEvent.objects.filter(incident=x, kind="linked")]
    assert any("bundle from A partner force (TLP:AMBER+STRICT) names this incident's social media handle" in t for t in texts)
    assert any(f"Linked to {y.reference} by a partner's bundle" in t for t in texts)
    assert {(m.incident_id, m.kind) for m in PartnerMatch.objects.filter(partner_import=record)} == {(x.pk, "handle"), (y.pk, "email")}
    assert AuditEvent.objects.filter(action="import", object_type="partner_import", object_id=str(record.pk)).exists()
    # Importing it again makes no second link.
    assert services.import_bundle(wmp, export.body.encode(), "A partner force").links_made == 0


def test_an_import_naming_a_value_on_the_warning_list_matches_nothing_by_it(world):
    wmp = Actor(user=world.users.feoa_wmp)
    a = _report(world, phone="020 7219 3000", handle="@only_in_a")
    b = _report(world, phone="+44 20 7219 3000")
    body = services.export_incident(wmp, a.reference, scope="incident", fmt="stix", tlp="green", identified=True).body
    record = services.import_bundle(wmp, body.encode(), "Partner")
    assert {m.incident_id for m in PartnerMatch.objects.filter(partner_import=record)} == {a.pk}  # by the handle only
    assert not _linked(a, b)


def test_an_import_matches_only_the_importers_own_force(world):
    wmp = Actor(user=world.users.feoa_wmp)
    a = _report(world, handle="@only_wmp")
    body = services.export_incident(wmp, a.reference, scope="incident", fmt="stix", tlp="green").body
    record = services.import_bundle(Actor(user=world.users.feoa_met), body.encode(), "Partner")
    assert record.matched_incidents == 0
    assert not services.imports_visible_to(world.users.feoa_wmp).filter(pk=record.pk).exists()


def test_identified_export_only_of_the_feoas_own_force(world):
    a = _report(world, handle="@granted_one")
    met = Actor(user=world.users.feoa_met)
    with pytest.raises(Incident.DoesNotExist):
        services.export_incident(met, a.reference, scope="incident", fmt="stix", tlp="amber")
    AccessRequest.objects.create(incident=a, requested_by=world.users.feoa_met, reason="linked", status=AccessRequest.Status.GRANTED)
    with pytest.raises(services.SharingInvalid) as err:
        services.export_incident(met, a.reference, scope="incident", fmt="stix", tlp="amber", identified=True)
    assert "identified" in err.value.errors and a.reference in err.value.errors["identified"]
    pseudonymised = services.export_incident(met, a.reference, scope="incident", fmt="misp", tlp="amber")
    assert "granted_one" not in pseudonymised.body and "tlp:amber" in pseudonymised.body
    for user in (world.users.analyst, world.users.candidate, world.users.admin):
        with pytest.raises(NotPermitted):
            services.export_incident(Actor(user=user), a.reference, scope="incident", fmt="stix", tlp="amber")


def test_exports_are_audited_and_identified_ones_record_the_read(world):
    a = _report(world, handle="@audited")
    wmp = Actor(user=world.users.feoa_wmp)
    services.export_incident(wmp, a.reference, scope="incident", fmt="stix", tlp="red")
    services.export_incident(wmp, a.reference, scope="incident", fmt="misp", tlp="clear", identified=True)
    exports = list(AuditEvent.objects.filter(action="export", object_type="incident", object_id=str(a.pk)).order_by("id"))
    assert [("TLP:RED" in e.detail, "pseudonymised" in e.detail) for e in exports] == [(True, True), (False, False)]
    assert "audited" not in " ".join(e.detail for e in exports)  # no values in the log
    assert AuditEvent.objects.filter(action="read", object_type="incident", object_id=str(a.pk), fields=["observables"]).count() == 1


def _campaign(world, *incidents_) -> Campaign:
    run = DetectionRun.objects.create(trigger="command", status="finished")
    now = timezone.now()
    campaign = Campaign.objects.create(key="abcdef0123456789", fingerprint="f" * 64, first_run=run, run=run, first_at=now - dt.timedelta(days=1),
                                       last_at=now, score=3.0, accounts=[], candidate_ids=[world.candidates.yardley_1.pk])
    campaign.forces.set([world.forces.wmp])
    campaign.incidents.set(incidents_)
    return campaign


def test_campaigns_are_shared_pseudonymised_by_analysts_and_their_forces_feoas(world):
    a = _report(world, handle="@campaigner")
    campaign = _campaign(world, a)
    for user in (world.users.analyst, world.users.feoa_wmp):
        export = services.export_campaign(Actor(user=user), campaign.pk, fmt="stix", tlp="amber")
        assert "campaigner" not in export.body and campaign.reference in export.body
    with pytest.raises(Campaign.DoesNotExist):
        services.export_campaign(Actor(user=world.users.feoa_met), campaign.pk, fmt="stix", tlp="amber")
    assert AuditEvent.objects.filter(action="export", object_type="campaign").count() == 2
    # The pseudonyms match again here: a campaign shared and sent back links what it names.
    body = services.export_campaign(Actor(user=world.users.analyst), campaign.pk, fmt="stix", tlp="amber").body
    b = _report(world, handle="@Campaigner")
    a.delete()
    assert services.import_bundle(Actor(user=world.users.feoa_wmp), body.encode(), "Taskforce").matched_incidents == 1
    assert b.pk in PartnerMatch.objects.values_list("incident_id", flat=True)


# --- pages


def test_export_page_downloads_a_bundle_and_names_missing_choices(world):
    a = _report(world, handle="@page_export")
    client = signed_in_client(world.users.feoa_wmp)
    url = f"/incidents/{a.reference}/share/"
    page = client.get(url)
    assert page.status_code == 200 and b"TLP:AMBER+STRICT" in page.content
    bad = client.post(url, {"scope": "incident"})
    assert bad.status_code == 400 and b"Select the format" in bad.content and b"Select a TLP marking" in bad.content
    ok = client.post(url, {"scope": "conduct", "format": "stix", "tlp": "amber"})
    assert ok.status_code == 200 and ok["Content-Disposition"].startswith("attachment;")
    assert json.loads(ok.content)["type"] == "bundle"
    assert a.reference.encode() in client.get(f"/incidents/{a.reference}/").content
    assert b"share-with-partners" in client.get(f"/incidents/{a.reference}/").content


def test_import_page_matches_and_shows_the_result_and_refuses_bad_files_naming_the_field(world):
    wmp = Actor(user=world.users.feoa_wmp)
    a = _report(world, handle="@page_import")
    body = services.export_incident(wmp, a.reference, scope="incident", fmt="stix", tlp="amber").body.encode()
    client = signed_in_client(world.users.feoa_wmp)
    bad = client.post("/sharing/import/", {"partner": "Partner", "bundle": SimpleUploadedFile("b.json", b'{"type": "bundle", "id": "bundle--x", "spec_version": "2.0"}')})
    assert bad.status_code == 400 and b"id=\"id_bundle-error\"" in bad.content and b"valid &quot;id&quot;" in bad.content
    missing = client.post("/sharing/import/", {"bundle": SimpleUploadedFile("b.json", body)})
    assert missing.status_code == 400 and b"Enter who sent the bundle" in missing.content
    assert not PartnerImport.objects.exists()
    ok = client.post("/sharing/import/", {"partner": "Partner", "bundle": SimpleUploadedFile("b.json", body)}, follow=True)
    assert ok.status_code == 200 and a.reference.encode() in ok.content and b"TLP:AMBER" in ok.content
    assert b"Partner" in client.get("/sharing/").content


# --- API


def test_api_export_and_import(world):
    wmp_api = signed_in_client(world.users.feoa_wmp)
    a = _report(world, handle="@api_share")
    response = wmp_api.post(f"/api/v1/incidents/{a.reference}/share", {"format": "misp", "tlp": "amber+strict"}, content_type="application/json")
    assert response.status_code == 200 and json.loads(response.content)["Tag"][0]["name"] == "tlp:amber+strict"
    bad = wmp_api.post(f"/api/v1/incidents/{a.reference}/share", {"format": "pdf", "tlp": "purple"}, content_type="application/json")
    assert bad.status_code == 422 and {"format", "tlp"} <= {e["field"] for e in bad.json()["detail"]}
    stix = wmp_api.post(f"/api/v1/incidents/{a.reference}/share", {"format": "stix", "tlp": "green", "identified": True}, content_type="application/json")
    assert stix.status_code == 200 and b"api_share" in stix.content

    imported = wmp_api.post("/api/v1/sharing/imports", {"partner": "API partner", "bundle": io.BytesIO(stix.content)})
    assert imported.status_code == 201, imported.content
    out = imported.json()
    assert out["matched_incidents"] == 1 and out["matches"] == [{"reference": a.reference, "kind": "handle", "group": out["matches"][0]["group"]}]
    assert wmp_api.get(f"/api/v1/sharing/imports/{out['id']}").json()["tlp"] == "green"
    assert [i["id"] for i in wmp_api.get("/api/v1/sharing/imports").json()] == [out["id"]]
    hostile = wmp_api.post("/api/v1/sharing/imports", {"partner": "x", "bundle": io.BytesIO(b"[" * 5000)})
    assert hostile.status_code == 422 and hostile.json()["detail"][0]["field"] == "bundle"
    assert PartnerImport.objects.count() == 1
    met_api = signed_in_client(world.users.feoa_met)
    assert met_api.get(f"/api/v1/sharing/imports/{out['id']}").status_code == 404
