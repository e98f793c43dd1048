"""Case clocks end to end: what stops each clock, targets per force (page and API), the lead FEOA's
breach list (page and API), and the figures in the snapshot, page, API and CSV."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ballotguard.accounts.models import AuditEvent
from ballotguard.accounts.services import Actor
from ballotguard.incidents import services as incidents
from ballotguard.incidents.models import ClockTarget, Incident, IncidentEvent
from ballotguard.incidents.services import clocks
from ballotguard.insights import services
from ballotguard.insights.models import Snapshot
from ballotguard.outreach.services import record_contact_attempt

from .test_insights import add_incidents


@pytest.fixture
def lead(world):
    user = world.users.feoa_wmp
    user.is_force_lead = True
    user.save(update_fields=["is_force_lead"])
    return user


@pytest.fixture
def file_report():
    from ballotguard.incidents.tests.conftest import report_input

    def _file(user, candidate):
        incident, _ = incidents.report(Actor(user=user), report_input(candidate))
        return incident

    return _file


def _ago(**kw):
    return timezone.now() - dt.timedelta(**kw)


def test_the_workflow_and_outreach_stop_the_clocks(world, file_report):
    feoa = Actor(user=world.users.feoa_wmp)
    a = file_report(world.users.candidate, world.candidates.yardley_1)
    b = file_report(world.users.candidate, world.candidates.yardley_1)
    assert a.first_contact_at is None and a.referred_at is None
    incidents.change_status(feoa, a, "triaged")
    incidents.change_status(feoa, a, "advice_given", advice="Screenshot, then block.")
    a.refresh_from_db()
    assert a.first_contact_at is not None and a.events.filter(kind=IncidentEvent.Kind.CONTACTED).count() == 1
    incidents.change_status(feoa, a, "referred", crime_reference="20/12345/26")
    a.refresh_from_db()
    first_referral = a.referred_at
    assert first_referral is not None
    # Reaching the candidate on the outreach page stops b's first-contact clock, not a's again.
    reached = timezone.now()
    record_contact_attempt(feoa, world.candidates.yardley_1, method="phone", outcome="reached", at=reached)
    a.refresh_from_db()
    b.refresh_from_db()
    assert b.first_contact_at == reached and a.events.filter(kind=IncidentEvent.Kind.CONTACTED).count() == 1
    # A message left is not contact.
    c = file_report(world.users.candidate, world.candidates.yardley_1)
    record_contact_attempt(feoa, world.candidates.yardley_1, method="phone", outcome="left_message")
    c.refresh_from_db()
    assert c.first_contact_at is None


def test_lead_feoa_sets_own_force_targets_on_the_page(world, lead, client_as):
    client = client_as(lead)
    code = world.forces.wmp.code
    assert client.get("/insights/clocks/targets/").status_code == 200
    page = client.get(f"/insights/clocks/targets/{code}/")
    assert page.status_code == 200 and b'name="triage_high"' in page.content
    form = {clocks.field_name(c, r): f"{clocks.national_targets()[c][r]:g}" for c in clocks.Clock for r in clocks.RISKS}
    bad = client.post(f"/insights/clocks/targets/{code}/", form | {"triage_high": "soon", "close_low": "0"})
    assert bad.status_code == 400 and b'href="#triage_high"' in bad.content and b'href="#close_low"' in bad.content
    assert ClockTarget.objects.count() == 0  # nothing stored
    ok = client.post(f"/insights/clocks/targets/{code}/", form | {"triage_high": "2"})
    assert ok.status_code == 302
    assert clocks.targets_for(world.forces.wmp)[clocks.Clock.TRIAGE]["high"] == 2
    assert ClockTarget.objects.count() == 1  # the others equal the defaults: not stored
    assert AuditEvent.objects.filter(object_type="clock_targets", object_id=code, fields=["triage_high"]).exists()
    # Another force's: 404; an ordinary FEOA: 403.
    assert client.get(f"/insights/clocks/targets/{world.forces.met.code}/").status_code == 404
    assert client_as(world.users.feoa_met).get(f"/insights/clocks/targets/{world.forces.met.code}/").status_code == 403


def test_targets_through_the_api(world, lead, client_as):
    code = world.forces.wmp.code
    client = client_as(lead)
    listing = client.get("/api/v1/insights/clocks/targets").json()
    assert listing[0]["force"] is None and listing[0]["hours"]["triage_high"] == 1
    assert [t["force"] for t in listing[1:]] == [code] and listing[1]["editable"]
    bad = client.put(f"/api/v1/insights/clocks/targets/{code}", {"triage_high": -1, "close_low": "x"}, content_type="application/json")
    assert bad.status_code == 422 and {d["field"] for d in bad.json()["detail"]} == {"triage_high", "close_low"}
    unknown = client.put(f"/api/v1/insights/clocks/targets/{code}", {"bogus": 3}, content_type="application/json")
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["field"] == "bogus"
    assert ClockTarget.objects.count() == 0
    ok = client.put(f"/api/v1/insights/clocks/targets/{code}", {"close_high": 336}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["hours"]["close_high"] == 336 and ok.json()["own"]
    assert client.put(f"/api/v1/insights/clocks/targets/{world.forces.met.code}", {}, content_type="application/json").status_code == 404
    admin = client_as(world.users.admin)
    assert admin.put(f"/api/v1/insights/clocks/targets/{world.forces.met.code}", {"triage_low": 8},
                     content_type="application/json").status_code == 200
    assert client_as(world.users.feoa_met).put(f"/api/v1/insights/clocks/targets/{world.forces.met.code}", {},
                                                content_type="application/json").status_code == 403


def test_breaches_worst_first_for_the_lead_only(world, lead, client_as, monkeypatch):
    reporter = world.users.candidate
    slow, slower = add_incidents(world.candidates.yardley_1, 2, forces=[world.forces.wmp], reporter=reporter, risk="high")
    Incident.objects.filter(pk=slow.pk).update(submitted_at=_ago(hours=10), first_contact_at=_ago(hours=9), triaged_at=_ago(hours=7),
                                               status="triaged")  # triage 3 h against 1 h: 2 h over
    Incident.objects.filter(pk=slower.pk).update(submitted_at=_ago(hours=30), first_contact_at=_ago(hours=29))  # untriaged: 29 h over
    fine = add_incidents(world.candidates.yardley_1, 1, forces=[world.forces.wmp], reporter=reporter, risk="low")[0]
    Incident.objects.filter(pk=fine.pk).update(submitted_at=_ago(hours=2))
    elsewhere = add_incidents(world.candidates.clw_1, 1, forces=[world.forces.met], reporter=reporter, risk="high")[0]
    Incident.objects.filter(pk=elsewhere.pk).update(submitted_at=_ago(days=3))

    client = client_as(lead)
    empty = client.get("/api/v1/insights/clocks/breaches").json()
    assert empty["total"] == 0 and empty["ranked_at"] is None  # ranked at the refresh
    services.refresh_snapshots(trigger="test")
    page = client.get("/insights/clocks/breaches/")
    assert page.status_code == 200
    body = page.content.decode()
    assert body.index(slower.reference) < body.index(slow.reference)
    assert fine.reference not in body and elsewhere.reference not in body
    api = client.get("/api/v1/insights/clocks/breaches").json()
    assert [b["reference"] for b in api["breaches"]] == [slower.reference, slow.reference] and api["total"] == 2
    assert api["breaches"][0]["worst_clock"] == "triage" and 28.9 < api["breaches"][0]["over_hours"] < 29.1
    assert api["breaches"][1]["missed"][0]["state"] == "missed"
    assert AuditEvent.objects.filter(object_type="incident.breaches", object_id=world.forces.wmp.code).count() == 3
    # Not the lead: 403; a force they do not lead: 404.
    assert client_as(world.users.feoa_met).get("/insights/clocks/breaches/").status_code == 403
    assert client_as(world.users.feoa_met).get("/api/v1/insights/clocks/breaches").status_code == 403
    assert client.get(f"/insights/clocks/breaches/?force={world.forces.met.code}").status_code == 404
    assert client.get(f"/api/v1/insights/clocks/breaches?force={world.forces.met.code}").status_code == 404
    # Triaging the worst now stops its clock: it stays on the list (late is late), measured live.
    Incident.objects.filter(pk=slower.pk).update(triaged_at=timezone.now(), status="triaged")
    again = client.get("/api/v1/insights/clocks/breaches").json()["breaches"]
    assert again[0]["reference"] == slower.reference and again[0]["missed"][0]["state"] == "missed"
    # Only the worst BREACH_KEEP are kept; the total counts them all.
    monkeypatch.setattr(services, "BREACH_KEEP", 1)
    services.refresh_snapshots(trigger="test")
    kept = client.get("/api/v1/insights/clocks/breaches").json()
    assert kept["total"] == 2 and [b["reference"] for b in kept["breaches"]] == [slower.reference]
    assert "The worst 1 are listed" in client.get("/insights/clocks/breaches/").content.decode()
    monkeypatch.setattr(services, "BREACH_KEEP", 2000)
    services.refresh_snapshots(trigger="test")
    # A longer target of the force's own takes the shorter breach off the list.
    clocks.set_targets(Actor(user=lead), world.forces.wmp, {"triage_high": "4"})
    assert [b["reference"] for b in client.get("/api/v1/insights/clocks/breaches").json()["breaches"]] == [slower.reference]


def test_clock_figures_on_the_page_api_and_csv(world, client_as):
    made = add_incidents(world.candidates.clw_1, 12, forces=[world.forces.met, world.forces.city], reporter=world.users.candidate)
    for k, incident in enumerate(made):
        Incident.objects.filter(pk=incident.pk).update(submitted_at=_ago(days=2), triaged_at=_ago(days=2) + dt.timedelta(hours=k + 1),
                                                       status="triaged", assigned_to=world.users.feoa_met if k < 6 else None)
    services.refresh_snapshots(trigger="test")
    ge = world.elections.ge
    national = Snapshot.objects.get(election=ge, scope="national").payload["clocks"]
    triage = next(c for c in national["clocks"] if c["clock"] == "triage")
    medium = next(r for r in triage["tables"][0]["rows"] if r["_values"]["key"] == "medium")
    assert medium["_values"]["measured"] == 12 and medium["_values"]["median_hours"] == pytest.approx(6.5, abs=0.01)
    assert medium["_values"]["p90_hours"] == pytest.approx(11, abs=0.01)  # nearest rank: the 11th of 12
    assert medium["_values"]["within_share"] == 1.0  # every one within the 24-hour target
    assert medium["within"].startswith("100% (")
    met_scope = Snapshot.objects.get(election=ge, scope=world.forces.met.code).payload["clocks"]
    by_adviser = next(c for c in met_scope["clocks"] if c["clock"] == "triage")["tables"][1]
    assert [r["group"] for r in by_adviser["rows"]] == [str(world.users.feoa_met), "Not assigned", "All"]

    analyst = client_as(world.users.analyst)
    page = analyst.get(f"/insights/clocks/?election={ge.election_id}&force=national")
    assert page.status_code == 200 and b"Time to triage by risk level" in page.content
    # Sortable like every figures table: by the hours, not the words ("11 hours" after "2.0 days" would be wrong).
    by_median = analyst.get(f"/insights/clocks/?election={ge.election_id}&force=national&sort=clock_triage_by_risk.median&order=desc")
    assert by_median.status_code == 200 and b'aria-sort="descending"' in by_median.content
    api = analyst.get(f"/api/v1/insights/clocks?election={ge.election_id}").json()
    assert api["clocks"]["clocks"][1]["clock"] == "triage"
    csv = analyst.get(f"/insights/tables/clock_triage_by_force.csv?election={ge.election_id}&force=national")
    assert csv.status_code == 200 and "Time to triage by police force" in csv.content.decode()
    # A FEOA reads their own force's clocks, not the national ones.
    feoa = client_as(world.users.feoa_met)
    assert feoa.get(f"/api/v1/insights/clocks?election={ge.election_id}&force=national").status_code == 404
