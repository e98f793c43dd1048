"""Coordinated campaigns in the product: detection over ingested messages and incident observables,
decisions kept across runs, scope, the API, the pages and the task worker's schedule."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from django.utils import timezone

from ballotguard.accounts.models import AuditEvent
from ballotguard.accounts.services import Actor
from ballotguard.core.matching import candidate_pseudonym
from ballotguard.incidents import services as incident_services
from ballotguard.monitoring import services
from ballotguard.monitoring.models import Campaign, DetectionRun, Message
from ballotguard.monitoring.services import campaigns
from ballotguard.registry.models import (
    Area,
    AreaForce,
    Ballot,
    PoliceForce,
    SocialHandle,
)
from conftest import make_user

pytestmark = pytest.mark.django_db

BURST = [
    "Traitor! Everyone in this country can see you lied about the budget. Resign now #TraitorsOut",
    "Traitor!! Everyone in this country can see you lied about the budget. Resign now #TraitorsOut",
    "Traitor! Everyone in this country can see that you lied about the budget. Resign now #TraitorsOut",
    "TRAITOR! Everyone in this country can see you lied about the budget. Resign today #TraitorsOut",
]
ORDINARY = ["What is your view on the bus cuts?", "Good luck on Thursday", "Will you fix the potholes on our road?"]
BRIGADE = ["brig_one", "brig_two", "brig_three", "brig_four"]


def _rows(now: dt.datetime, accounts=BRIGADE, bursts=(3, 2, 1), prefix="b") -> list[dict]:
    rows = []
    for day in bursts:
        start = now - dt.timedelta(days=day)
        for n, handle in enumerate(accounts):
            to = "@carol_mp" if n % 2 == 0 else "@alice_clw"
            rows.append({
                "platform": "x", "message_id": f"{prefix}-{day}-{handle}", "author_handle": f"@{handle}", "author_name": "Brigade",
                "text": BURST[n % len(BURST)], "sent_at": (start + dt.timedelta(seconds=9 * n)).isoformat(), "mentions": [to],
                "hashtags": ["TraitorsOut"],
            })
    return rows


def _background(now: dt.datetime) -> list[dict]:
    return [
        {"platform": "x", "message_id": f"o-{i}", "author_handle": f"@voter_{i}", "text": ORDINARY[i % 3],
         "sent_at": (now - dt.timedelta(hours=5 * i + 1)).isoformat(), "mentions": ["@carol_mp" if i % 2 else "@alice_clw"]}
        for i in range(9)
    ]


def ingest(rows: list[dict]) -> None:
    services.ingest_file(Actor.cli(), io.BytesIO("\n".join(json.dumps(r) for r in rows).encode() + b"\n"), "m.jsonl", score=False)


@pytest.fixture
def gmp(world):
    """A fourth force with its own constituency and adviser, touched by no campaign."""
    force = PoliceForce.objects.create(code="E23000005", name="Greater Manchester", nation="England")
    area = Area.objects.create(code="E14001362", name="Manchester Central", slug="manchester-central", area_type="constituency")
    AreaForce.objects.create(area=area, force=force, population_share=1.0, is_primary=True)
    Ballot.objects.create(ballot_paper_id="parl.manchester-central.2024-07-04", election=world.elections.ge, area=area, post_label=area.name)
    return make_user("feoa-gmp", "feoa", forces=[force])


@pytest.fixture
def activity(world, gmp, settings):
    """Four accounts posting the same slogan to Carol (Yardley, West Midlands) and Alice (Cities of
    London and Westminster, Met and City) within 30 seconds, three days running; ordinary replies
    around them; the same phone number in incidents in both constituencies; and an incident in
    Westminster naming one of the four accounts.

    Twenty-one messages are far too few for the significance test (chance cannot be ruled out when a
    group is all there is), so these tests of the service's mechanics run the engine without it;
    the statistics are tested in the engine's own tests."""
    settings.BALLOTGUARD_CAMPAIGN_FDR = "off"
    SocialHandle.objects.create(candidate=world.candidates.yardley_1, platform="x", handle="carol_mp")
    SocialHandle.objects.create(candidate=world.candidates.clw_1, platform="x", handle="alice_clw")
    alice = make_user("candidate-alice", "candidate")
    world.candidates.clw_1.user = alice
    world.candidates.clw_1.save(update_fields=["user"])
    now = timezone.now()
    ingest(_rows(now) + _background(now))

    def report(user, candidate, hours, observables):
        data = incident_services.ReportInput(
            candidate_id=candidate.pk, occurred_at=now - dt.timedelta(hours=hours), place="phone" if "phone" in observables else "online",
            platform="" if "phone" in observables else "X", behaviours=["threat_to_kill_or_harm"], description="Calls saying I will be next.",
            observables=observables,
        )
        incident, _ = incident_services.report(Actor(user=user), data)
        return incident

    world.phone_yardley = report(world.users.candidate, world.candidates.yardley_1, 50, {"phone": "07700 900461"})
    world.phone_clw = report(alice, world.candidates.clw_1, 20, {"phone": "+44 7700 900461"})
    world.named = report(alice, world.candidates.clw_1, 30, {"handle": "@Brig_One"})
    world.alice = alice
    world.gmp = gmp
    return world


def _campaigns():
    return list(Campaign.objects.order_by("-score", "id"))


def _message_campaign():
    return Campaign.objects.exclude(accounts=[]).get()


def _phone_campaign():
    return Campaign.objects.filter(accounts=[]).get()


# ---------------------------------------------------------------------------------------------------
# Services


def test_detection_over_messages_and_observables_finds_a_campaign_across_constituencies_and_forces(activity):
    run = campaigns.run_now(Actor.cli())
    assert run.status == DetectionRun.Status.SUCCEEDED, run.error
    assert run.messages_count == 21 and run.incidents_count == 3 and run.campaigns_found == 2 and run.campaigns_new == 2
    c = _message_campaign()
    brigade = set(Message.objects.filter(message_id__startswith="b-").values_list("author_hash", flat=True))
    assert set(c.accounts) == brigade and len(brigade) == 4
    assert set(c.areas.values_list("code", flat=True)) == {"E14001100", "E14001172"}
    assert set(c.forces.values_list("code", flat=True)) == {"E23000014", "E23000001", "E23000034"}
    assert c.messages.count() == 12 and not c.messages.filter(message_id__startswith="o-").exists()
    assert set(c.incidents.all()) == {activity.named}  # the report naming @brig_one
    assert {"text", "near_text", "hashtag"} <= set(c.behaviours)
    stored = json.dumps([c.accounts, c.evidence, c.constituencies, c.behaviours]).lower()
    assert "traitor!" not in stored and "brig_" not in stored and "budget" not in stored  # no text, no handles
    assert c.evidence and all(e["a"]["pseudonym"].startswith("author-") for e in c.evidence if e["a"]["kind"] == "account")

    phone = _phone_campaign()
    assert set(phone.incidents.all()) == {activity.phone_yardley, activity.phone_clw}
    assert set(phone.areas.values_list("code", flat=True)) == {"E14001100", "E14001172"}
    assert phone.behaviours == ["observable"] and phone.evidence[0]["shared"] == "Phone number"


def test_running_again_is_idempotent_and_keeps_the_analysts_decision(activity):
    campaigns.run_now(Actor.cli())
    before = {c.key: (c.pk, c.fingerprint, c.messages.count()) for c in _campaigns()}
    campaigns.run_now(Actor.cli())
    assert {c.key: (c.pk, c.fingerprint, c.messages.count()) for c in _campaigns()} == before

    c = _message_campaign()
    campaigns.decide(Actor(user=activity.users.analyst), c, "confirm", "Same slogan to two candidates within seconds, three days running.", expected="new")
    # A fifth account joins the next burst: a different member set, the same campaign.
    ingest(_rows(timezone.now(), accounts=[*BRIGADE, "brig_five"], bursts=(0.5, 0.25), prefix="late"))
    run = campaigns.run_now(Actor.cli())
    assert run.campaigns_new == 0 and Campaign.objects.count() == 2
    again = _message_campaign()
    assert again.pk == c.pk and again.key == c.key and again.fingerprint != c.fingerprint
    assert again.status == Campaign.Status.CONFIRMED and len(again.accounts) == 5 and len(again.joined_since_decision) == 1
    assert again.run == run and again.first_run != run


def test_a_new_group_with_the_first_members_of_a_campaign_that_grew_gets_its_own_key(monkeypatch):
    """Issue 5 review: a campaign keeps the key made from its first members while it grows; when a
    later run matches it by overlap to another group and a new group has exactly those first
    members, the new campaign must not take the same (unique) key, or that run and every later
    one fail."""
    first = [f"{n:064x}" for n in range(1, 5)]  # accounts a, b, c, d as author hashes
    later = [f"{n:064x}" for n in range(5, 9)]  # e, f, g, h
    runs = iter([
        [first],                    # 1: {a..d} is new: key = its fingerprint's start
        [first + later[:2]],        # 2: {a..f} overlaps {a..d} by 4/6: same campaign, new fingerprint
        [first + later],            # 3: {a..h} overlaps {a..f} by 6/8: same campaign again
        [later, first],             # 4: {e..h} takes the campaign (4/8), {a..d} is new
        [later, first],             # 5: the same again changes nothing
    ])
    monkeypatch.setattr(campaigns, "detect", lambda inputs, s: ([campaigns.Found(accounts=set(g), score=10.0 - i) for i, g in enumerate(next(runs))], {}))

    done = [campaigns.run_now(Actor.cli()) for _ in range(3)]
    assert all(r.status == DetectionRun.Status.SUCCEEDED for r in done), [r.error for r in done]
    grown = Campaign.objects.get()
    original_key = campaigns.Found(accounts=set(first)).fingerprint()[:24]
    assert grown.key == original_key and grown.fingerprint != campaigns.Found(accounts=set(first)).fingerprint()

    fourth = campaigns.run_now(Actor.cli())
    assert fourth.status == DetectionRun.Status.SUCCEEDED, fourth.error
    assert fourth.campaigns_found == 2 and fourth.campaigns_new == 1
    grown.refresh_from_db()
    assert grown.key == original_key and grown.accounts == sorted(later)
    new = Campaign.objects.exclude(pk=grown.pk).get()
    assert new.accounts == sorted(first) and new.key != grown.key and new.reference != grown.reference

    fifth = campaigns.run_now(Actor.cli())
    assert fifth.status == DetectionRun.Status.SUCCEEDED and fifth.campaigns_new == 0
    assert {c.pk: c.key for c in Campaign.objects.all()} == {grown.pk: grown.key, new.pk: new.key}


def test_new_keys_avoid_stored_keys_and_references():
    fingerprint = "ab" * 32
    assert campaigns._new_key(fingerprint, set()) == fingerprint[:24]
    taken = {fingerprint[:24]}
    key = campaigns._new_key(fingerprint, taken)
    assert key not in taken and len(key) == 24 and key[:8] != fingerprint[:8]
    clash = {fingerprint[:8] + "0" * 16}  # another key showing the same reference, CMP-ABABABAB
    assert campaigns._new_key(fingerprint, clash)[:8] != fingerprint[:8]


def test_decisions_need_a_note_refuse_stale_forms_and_are_for_analysts(activity):
    campaigns.run_now(Actor.cli())
    c = _message_campaign()
    analyst = Actor(user=activity.users.analyst)
    with pytest.raises(campaigns.DecisionInvalid) as missing:
        campaigns.decide(analyst, c, "dismiss", "  ")
    assert set(missing.value.errors) == {"note"}
    with pytest.raises(services.campaigns.NotPermitted):
        campaigns.decide(Actor(user=activity.users.feoa_wmp), c, "confirm", "looks coordinated")
    campaigns.decide(analyst, c, "dismiss", "A petition's suggested wording.", expected="new")
    with pytest.raises(campaigns.DecisionConflict, match="analyst has already marked this campaign as dismissed"):
        campaigns.decide(analyst, c, "confirm", "Changed my mind", expected="new")
    c.refresh_from_db()
    assert c.status == "dismissed" and c.decision_note == "A petition's suggested wording." and c.decided_by == activity.users.analyst
    assert AuditEvent.objects.filter(object_type="campaign", object_id=str(c.pk), action="update").count() == 1


def test_a_failed_run_is_recorded_with_the_class_only(activity, monkeypatch):
    def boom(*args, **kwargs):
        raise ValueError("a message text that must not be stored")

    monkeypatch.setattr(campaigns, "detect", boom)
    run = campaigns.run_now(Actor.cli())
    assert run.status == "failed" and run.error == "ValueError" and run.finished_at is not None


# ---------------------------------------------------------------------------------------------------
# Scope, pages and the API


@pytest.fixture
def detected(activity):
    campaigns.run_now(Actor.cli())
    return activity


def test_scope_feoas_see_campaigns_touching_their_force_and_only_their_forces_messages(detected, client_as):
    c = _message_campaign()
    assert client_as(detected.gmp).get(f"/monitoring/campaigns/{c.pk}/").status_code == 404
    assert client_as(detected.gmp).get(f"/api/v1/campaigns/{c.pk}").status_code == 404
    assert client_as(detected.gmp).get("/api/v1/campaigns").json()["count"] == 0
    for user in (detected.users.candidate, detected.users.admin, detected.users.staff, detected.users.ro_birmingham):
        assert client_as(user).get("/monitoring/campaigns/").status_code == 403
        assert client_as(user).get(f"/monitoring/campaigns/{c.pk}/").status_code == 403
        assert client_as(user).get("/api/v1/campaigns").status_code == 403
        assert client_as(user).post("/api/v1/campaigns/detect", content_type="application/json").status_code == 403

    wmp = client_as(detected.users.feoa_wmp).get(f"/api/v1/campaigns/{c.pk}").json()
    visible = {m["id"] for m in wmp["messages"]}
    assert visible == set(c.messages.filter(candidate=detected.candidates.yardley_1).values_list("pk", flat=True))
    assert wmp["messages_total"] == 12 and wmp["messages_not_shown"] == 6
    assert wmp["incidents"] == [] and wmp["incidents_total"] == 1  # the Westminster report is the Met's
    met = client_as(detected.users.feoa_met).get(f"/api/v1/campaigns/{c.pk}").json()
    assert [i["reference"] for i in met["incidents"]] == [detected.named.reference]


def test_analysts_see_pseudonyms_not_handles_and_every_read_is_audited(detected, client_as):
    c = _message_campaign()
    analyst = client_as(detected.users.analyst)
    listing = analyst.get("/monitoring/campaigns/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert c.reference in html and "Birmingham Yardley" in html and "West Midlands" in html
    detail = analyst.get(f"/monitoring/campaigns/{c.pk}/").content.decode()
    assert "brig_" not in detail.lower() and "author-" in detail and "Carol" not in detail and "Alice" not in detail
    assert "Traitor" in detail  # the words stay, pseudonymised
    assert 'data-vega-spec="campaign-timeline-spec"' in detail and 'data-chart-table="campaign-timeline"' in detail
    assert AuditEvent.objects.filter(actor=detected.users.analyst, object_type="campaign", object_id=str(c.pk), action="read").exists()
    assert AuditEvent.objects.filter(actor=detected.users.analyst, object_type="message", action="read").count() == 12
    api = analyst.get(f"/api/v1/campaigns/{c.pk}").json()
    assert all(a.startswith("author-") for a in api["accounts"]) and api["accounts"] == c.pseudonyms
    assert sorted(api["candidates"]) == sorted(candidate_pseudonym(pk) for pk in c.candidate_ids)
    assert all(re.fullmatch(r"C-[0-9A-F]{16}", x) for x in api["candidates"]) and "candidate-" not in detail
    assert api["incidents"] == [] and api["incidents_total"] == 1  # analysts do not open incidents


def test_the_hex_map_colours_the_constituencies_targeted(detected, client_as):
    Area.objects.filter(code="E14001172").update(hex_q=64, hex_r=-40)
    Area.objects.filter(code="E14001100").update(hex_q=50, hex_r=-30)
    Area.objects.filter(code="E14001362").update(hex_q=45, hex_r=-20)
    c = _message_campaign()
    html = client_as(detected.users.analyst).get(f"/monitoring/campaigns/{c.pk}/").content.decode()
    assert "<svg" in html and "Constituencies targeted by campaign" in html and "Manchester Central" in html
    assert 'data-map-table="campaign-map"' in html
    assert "style=" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]  # CSP: no inline styles in the map


def test_api_list_filters_detail_and_decision(detected, client_as):
    analyst = client_as(detected.users.analyst)
    listing = analyst.get("/api/v1/campaigns").json()
    assert listing["count"] == 2 and listing["items"][0]["score"] >= listing["items"][1]["score"]
    assert analyst.get("/api/v1/campaigns?force=E23000005").json()["count"] == 0
    assert analyst.get("/api/v1/campaigns?status=confirmed").json()["count"] == 0
    assert analyst.get("/api/v1/campaigns?status=bogus").status_code == 422
    c = _message_campaign()
    url = f"/api/v1/campaigns/{c.pk}/decision"
    bad = analyst.post(url, {"decision": "confirm", "note": ""}, content_type="application/json")
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["detail"]} == {"note"}
    wrong = analyst.post(url, {"decision": "delete", "note": "x"}, content_type="application/json")
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["field"] == "decision"
    assert client_as(detected.users.feoa_wmp).post(url, {"decision": "confirm", "note": "x"}, content_type="application/json").status_code == 403
    ok = analyst.post(url, {"decision": "confirm", "note": "Coordinated.", "expected_status": "new"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "confirmed"
    stale = analyst.post(url, {"decision": "dismiss", "note": "No.", "expected_status": "new"}, content_type="application/json")
    assert stale.status_code == 409 and "already marked" in stale.json()["detail"]
    assert analyst.get("/api/v1/campaigns?status=confirmed").json()["count"] == 1
    assert analyst.get("/api/v1/campaigns/999999").status_code == 404


def test_api_detect_answers_202_and_the_worker_runs_it(activity, client_as, django_capture_on_commit_callbacks):
    analyst = client_as(activity.users.analyst)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = analyst.post("/api/v1/campaigns/detect", content_type="application/json")
    assert response.status_code == 202 and len(callbacks) == 1
    run = DetectionRun.objects.get(pk=response.json()["run_id"])
    assert run.trigger == "on_demand" and run.requested_by == activity.users.analyst
    assert run.status == "succeeded" and Campaign.objects.count() == 2  # the test settings run tasks immediately


def test_pages_decide_with_a_govuk_error_summary_and_run_now(detected, client_as, django_capture_on_commit_callbacks):
    c = _message_campaign()
    analyst = client_as(detected.users.analyst)
    missing = analyst.post(f"/monitoring/campaigns/{c.pk}/decision/", {"decision": "confirm", "expected_status": "new"})
    assert missing.status_code == 400
    html = missing.content.decode()
    assert "govuk-error-summary" in html and "Say why you confirmed or dismissed this campaign" in html and 'href="#id_note"' in html
    done = analyst.post(f"/monitoring/campaigns/{c.pk}/decision/", {"decision": "dismiss", "note": "Petition wording", "expected_status": "new"}, follow=True)
    assert "Campaign dismissed" in done.content.decode()
    c.refresh_from_db()
    assert c.status == "dismissed"
    assert client_as(detected.users.feoa_wmp).post(f"/monitoring/campaigns/{c.pk}/decision/", {"decision": "confirm", "note": "x"}).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst.post("/monitoring/campaigns/detect/", follow=True)
    assert "Detection has started" in response.content.decode()
    assert DetectionRun.objects.filter(trigger="on_demand", status="succeeded").count() == 1
    filtered = analyst.get("/monitoring/campaigns/?status=confirmed").content.decode()
    assert c.reference not in filtered


# ---------------------------------------------------------------------------------------------------
# The task worker: on demand and on a schedule


@pytest.fixture
def deferred(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from ballotguard.monitoring.tasks import detect_campaigns_task

    backend = detect_campaigns_task.get_backend()
    backend.clear()
    return backend


def test_on_demand_runs_are_enqueued_once_committed_and_not_duplicated(activity, deferred, django_capture_on_commit_callbacks):
    analyst = Actor(user=activity.users.analyst)
    with django_capture_on_commit_callbacks(execute=True):
        run = campaigns.request_run(analyst)
    again = campaigns.request_run(analyst)  # still queued: the same run, not a second one
    assert again.pk == run.pk and run.status == "queued"
    assert [(r.task.name, r.args) for r in deferred.results] == [("detect_campaigns_task", [run.pk])]
    from ballotguard.monitoring.tasks import detect_campaigns_task

    result = detect_campaigns_task.call(run.pk)
    assert result["status"] == "succeeded" and detect_campaigns_task.call(run.pk)["status"].startswith("skipped")


def test_the_schedule_is_one_chain_of_delayed_tasks(activity, deferred, django_capture_on_commit_callbacks, settings):
    from ballotguard.monitoring.tasks import detect_campaigns_task

    settings.BALLOTGUARD_CAMPAIGN_DETECTION_INTERVAL = 600
    with django_capture_on_commit_callbacks(execute=True):
        first = campaigns.schedule_next(delay=0)
        assert campaigns.schedule_next() is None  # one chain only
    assert first.trigger == "scheduled" and first.status == "queued"
    assert len(deferred.results) == 1 and deferred.results[0].args == [first.pk]
    with django_capture_on_commit_callbacks(execute=True):
        outcome = detect_campaigns_task.call(first.pk)
    assert outcome["status"] == "succeeded"
    following = DetectionRun.objects.get(trigger="scheduled", status="queued")
    assert following.pk != first.pk
    assert 590 <= (following.run_after - timezone.now()).total_seconds() <= 600
    assert len(deferred.results) == 2 and deferred.results[1].task.run_after == following.run_after
    assert deferred.results[1].args == [following.pk]


def test_the_command_restarts_a_lost_chain_and_runs_when_due(activity, deferred, django_capture_on_commit_callbacks):
    from django.core.management import call_command

    lost = DetectionRun.objects.create(trigger="scheduled", run_after=timezone.now() - dt.timedelta(hours=2))
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("detect_campaigns_db", stdout=out)
    lost.refresh_from_db()
    assert lost.status == "failed" and "lost" in lost.error
    assert DetectionRun.objects.filter(trigger="command", status="succeeded").count() == 1
    assert DetectionRun.objects.filter(trigger="scheduled", status="queued").count() == 1
    assert "2 campaigns" in out.getvalue()


def test_a_run_whose_worker_died_is_failed_and_detection_can_be_asked_for_again(activity, deferred, client_as, settings,
                                                                                   django_capture_on_commit_callbacks):
    """A worker killed mid-run left the on-demand run "running"; request_run returned it for ever, so
    nobody could run detection again. Past BALLOTGUARD_JOB_STALE_AFTER it is failed, with the reason."""
    settings.BALLOTGUARD_JOB_STALE_AFTER = 3600
    dead = DetectionRun.objects.create(trigger="on_demand", status="running", started_at=timezone.now() - dt.timedelta(hours=2))
    page = client_as(activity.users.analyst).get("/monitoring/campaigns/").content.decode()
    assert "The latest run failed (The task worker stopped while this was running" in page and "A run is running" not in page
    dead.refresh_from_db()
    assert dead.status == "failed" and dead.finished_at is not None
    DetectionRun.objects.filter(pk=dead.pk).update(status="running", error="")  # died again; nobody read the page
    with django_capture_on_commit_callbacks(execute=True):
        run = campaigns.request_run(Actor(user=activity.users.analyst))
    assert run.pk != dead.pk and run.status == "queued"
    assert DetectionRun.objects.get(pk=dead.pk).status == "failed"
    recent = DetectionRun.objects.create(trigger="command", status="running", started_at=timezone.now() - dt.timedelta(minutes=5))
    assert campaigns.fail_dead_runs() == 0 and DetectionRun.objects.get(pk=recent.pk).status == "running"


# ---------------------------------------------------------------------------------------------------
# The demo


def test_the_demo_shows_a_campaign_across_two_forces_leading_to_the_reported_account(settings, tmp_path):
    from django.core.management import call_command

    settings.VAR_DIR = tmp_path
    call_command("demo", stdout=io.StringIO())
    planted = Campaign.objects.filter(messages__message_id__startswith="demo-brigade-").distinct().get()
    assert len(planted.accounts) == 6 and planted.forces.filter(code__in=["E23000014", "E23000001"]).count() == 2
    assert planted.areas.count() >= 2
    assert planted.incidents.filter(candidate__user__username="demo-candidate").count() >= 2  # @patriot_watcher_1984's reports
    assert not planted.messages.exclude(message_id__startswith="demo-brigade-").exists()  # no background account drawn in
    assert DetectionRun.objects.filter(status="succeeded").exists()


def test_the_page_and_the_api_say_why_a_campaign_was_found(detected, client_as):
    c = _message_campaign()
    analyst = client_as(detected.users.analyst)
    # Found with the count thresholds only (the fixture's 21 messages are too few for the test).
    html = analyst.get(f"/monitoring/campaigns/{c.pk}/").content.decode()
    assert "Why this is a campaign" in html and "no significance test was run" in html
    api = analyst.get(f"/api/v1/campaigns/{c.pk}").json()
    assert api["chance"] == [] and api["p_value"] is None and "no significance test was run" in api["why"]
    # What the significance test leaves on a campaign (services.campaigns._fill) is shown in words.
    c.chance = [{"behaviour": "near_text", "label": "near-identical text", "co_actions": 18, "expected": 0.004},
                {"behaviour": "reply", "label": "replies to the same message", "co_actions": 3, "expected": 1.25}]
    c.p_value = 2.5e-9
    c.save(update_fields=["chance", "p_value"])
    html = analyst.get(f"/monitoring/campaigns/{c.pk}/").content.decode()
    assert "near-identical text: 18 times, where chance would give about none (under 0.01)" in html
    assert "replies to the same message: 3 times, where chance would give about 1.25" in html and "2.5e-09" in html
    api = analyst.get(f"/api/v1/campaigns/{c.pk}").json()
    assert api["p_value"] == 2.5e-9 and [k["co_actions"] for k in api["chance"]] == [18, 3]
    assert "near-identical text 18 times (chance would give under 0.01)" in api["why"] and "2.5e-09" in api["why"]
    assert "brig" not in api["why"].lower()  # pseudonyms and counts only


def test_the_service_keeps_what_the_significance_test_found(detected):
    """The engine's per-behaviour chance figures and weakest p-value travel into the stored campaign."""
    from ballotguard.engines.coordination import detection as coordination

    f = campaigns.Found()
    engine = coordination.Campaign(
        id="C1", accounts=("a", "b"), message_ids=(), constituencies=(), forces=(), candidates=(), behaviours=("text",),
        first_time=0.0, last_time=1.0, edges=1, total_weight=3, score=3.0, evidence=(),
        co_actions=(("text", 3, 0.002),), p_value=1e-7, explanation="",
    )
    f.absorb(engine, {})
    f.absorb(coordination.Campaign(**{**engine.__dict__, "co_actions": (("text", 2, 0.001), ("reply", 1, 0.5)), "p_value": 3e-6}), {})
    assert f.chance == {"text": [5, 0.003], "reply": [1, 0.5]} and f.p_value == 3e-6


# ---------------------------------------------------------------------------------------------------
# Accounts posting on a timer (issue 13): a campaign of its own kind


def _timer_rows(now: dt.datetime, bots: int = 5, hours: int = 20) -> list[dict]:
    """Bots posting a headline with #Headlines to Carol on the quarter hour, a second or two late."""
    start = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=hours + 1)
    rows = []
    for tick in range(hours * 4):
        for k in range(bots):
            rows.append({
                "platform": "x", "message_id": f"t-{tick}-{k}", "author_handle": f"@wire_{k}", "author_name": "Wire",
                "text": f"Headline {tick} from wire {k}: council news", "sent_at": (start + dt.timedelta(minutes=15 * tick, seconds=k % 3)).isoformat(),
                "mentions": ["@carol_mp"], "hashtags": ["Headlines"],
            })
    return rows


@pytest.fixture
def timed(activity):
    ingest(_timer_rows(timezone.now()))
    run = campaigns.run_now(Actor.cli())
    assert run.status == DetectionRun.Status.SUCCEEDED, run.error
    return activity


def _timer_campaign() -> Campaign:
    return Campaign.objects.get(kind=Campaign.Kind.SCHEDULED)


def test_timer_bots_are_stored_as_a_scheduled_campaign_and_people_as_coordinated(timed):
    bots = set(Message.objects.filter(message_id__startswith="t-").values_list("author_hash", flat=True))
    c = _timer_campaign()
    assert set(c.accounts) == bots and len(bots) == 5
    assert c.timer["period_seconds"] == 900 and c.timer["every_seconds"] == 900 and c.timer["accounts"] == 5
    assert abs(c.timer["offset_seconds"]) < 3 and c.timer["p_value"] <= 0.001
    assert "wire_" not in json.dumps(c.timer)  # counts only, no handles
    assert _message_campaign_of("b-").kind == Campaign.Kind.COORDINATED and _message_campaign_of("b-").timer is None
    assert _phone_campaign().kind == Campaign.Kind.COORDINATED
    # Found again: still scheduled, same row.
    campaigns.run_now(Actor.cli())
    assert _timer_campaign().pk == c.pk


def _message_campaign_of(prefix: str) -> Campaign:
    authors = set(Message.objects.filter(message_id__startswith=prefix).values_list("author_hash", flat=True))
    return next(c for c in Campaign.objects.exclude(accounts=[]) if set(c.accounts) == authors)


def test_the_pages_show_the_kind_and_filter_by_it(timed, client_as):
    analyst = client_as(timed.users.analyst)
    c = _timer_campaign()
    people = _message_campaign_of("b-")
    listing = analyst.get("/monitoring/campaigns/").content.decode()
    assert "Accounts posting on a timer" in listing and "People acting together" in listing
    assert '<option value="scheduled">Accounts posting on a timer</option>' in listing
    only_timers = analyst.get("/monitoring/campaigns/?kind=scheduled").content.decode()
    assert c.reference in only_timers and people.reference not in only_timers
    only_people = analyst.get("/monitoring/campaigns/?kind=coordinated").content.decode()
    assert c.reference not in only_people and people.reference in only_people
    html = analyst.get(f"/monitoring/campaigns/{c.pk}/").content.decode()
    assert "Scheduled campaign (accounts posting on a timer)" in html
    assert "5 of 5 accounts post every 15 minutes, on the quarter hour" in html and "this looks like scheduled software" in html
    assert "Why this is a campaign" in html and "Each link is at least the minimum number of co-actions" in html  # the co-action evidence stays
    other = analyst.get(f"/monitoring/campaigns/{people.pk}/").content.decode()
    assert "Coordinated campaign, score" in other and "scheduled software" not in other


def test_the_api_gives_the_kind_and_the_timer_and_filters_by_kind(timed, client_as):
    analyst = client_as(timed.users.analyst)
    c = _timer_campaign()
    items = analyst.get("/api/v1/campaigns").json()["items"]
    assert {i["id"]: i["kind"] for i in items}[c.pk] == "scheduled"
    assert [i["id"] for i in analyst.get("/api/v1/campaigns?kind=scheduled").json()["items"]] == [c.pk]
    assert c.pk not in [i["id"] for i in analyst.get("/api/v1/campaigns?kind=coordinated").json()["items"]]
    assert analyst.get("/api/v1/campaigns?kind=bots").status_code == 422
    detail = analyst.get(f"/api/v1/campaigns/{c.pk}").json()
    assert detail["kind"] == "scheduled" and detail["timer"]["period_seconds"] == 900 and detail["timer"]["accounts"] == 5
    assert detail["why"].startswith("5 of 5 accounts post every 15 minutes, on the quarter hour")
    people = analyst.get(f"/api/v1/campaigns/{_message_campaign_of('b-').pk}").json()
    assert people["kind"] == "coordinated" and people["timer"] is None and "timer" not in people["why"]


def test_merged_campaigns_are_scheduled_only_when_most_of_their_accounts_post_on_a_timer():
    """A bridge can merge a scheduled message campaign with another: the engine's rule is applied again to the whole."""
    from ballotguard.engines.coordination import automation
    from ballotguard.engines.coordination import detection as coordination

    timer = automation.Timer(period=900.0, every=900.0, offset=1.0, spread=0.5, accounts=("a", "b", "c"), p_value=1e-20)
    base = dict(message_ids=(), constituencies=(), forces=(), candidates=(), behaviours=("hashtag",), first_time=0.0, last_time=1.0,
                edges=3, total_weight=6, score=6.0, evidence=())
    bots = coordination.Campaign(id="C1", accounts=("a", "b", "c"), kind="scheduled", timer=timer, **base)
    people = coordination.Campaign(id="C2", accounts=("d", "e", "f", "g"), **base)
    f = campaigns.Found()
    f.absorb(bots, {})
    assert f.kind == "scheduled"
    g = campaigns.Found()
    g.absorb(people, {})
    campaigns._merge(f, g)
    assert f.kind == "coordinated"  # 3 of 7
