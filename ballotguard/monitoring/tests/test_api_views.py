"""The JSON API and the pages: ingest in bulk, the queue, decisions, the timeline, and who may do what."""

from __future__ import annotations

import io

import pytest

from ballotguard.accounts.services import Actor
from ballotguard.core.matching import candidate_pseudonym
from ballotguard.engines.abuse.threat_model import default_threat_model
from ballotguard.monitoring import services
from ballotguard.monitoring.models import Message

from .conftest import ABUSE, ORDINARY, THREAT, jsonl, message

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(handles):
    services.ingest_file(Actor.cli(), io.BytesIO(jsonl([message(1, ABUSE), message(2, THREAT), message(3, ORDINARY)])), "m.jsonl")
    return handles


def test_api_ingest_is_idempotent_names_bad_fields_and_is_scored_by_the_worker(handles, client_as, django_capture_on_commit_callbacks):
    client = client_as(handles.users.admin)
    body = {"messages": [message(1, THREAT), message(2, ORDINARY), message(3, ORDINARY, platform="myspace"), message(4, ORDINARY, sent_at="soon")]}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post("/api/v1/messages", body, content_type="application/json")
    assert len(callbacks) == 1  # the scoring task, enqueued once the batch is committed
    assert Message.objects.get(message_id="1").scored_at is not None
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["created"], data["duplicates"], data["unrouted"]) == (2, 0, 0)
    assert {r["field"] for r in data["rejected"]} == {"messages[2].platform", "messages[3].sent_at"}
    # The test settings run tasks immediately, as the worker would within seconds.
    threat = Message.objects.get(message_id="1")
    assert threat.scored_at is not None and threat.is_threat and threat.review == "waiting"
    again = client.post("/api/v1/messages", body, content_type="application/json").json()
    assert (again["created"], again["duplicates"]) == (0, 2)


def test_api_ingest_refuses_oversized_batches_and_other_roles(handles, client_as):
    too_many = {"messages": [message(i, ORDINARY) for i in range(1001)]}
    response = client_as(handles.users.admin).post("/api/v1/messages", too_many, content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "messages"
    for user in (handles.users.feoa_wmp, handles.users.analyst, handles.users.candidate):
        assert client_as(user).post("/api/v1/messages", {"messages": [message(1, ORDINARY)]}, content_type="application/json").status_code == 403


def test_api_queue_decision_and_scope(inbox, client_as):
    feoa = client_as(inbox.users.feoa_wmp)
    queue = feoa.get("/api/v1/messages/queue").json()
    assert queue["count"] == 2 and queue["items"][0]["is_threat"] and queue["items"][0]["author"] == "@troll_2"
    first = queue["items"][0]["id"]
    # Each score says which models gave it, in the API and on the page.
    threat_model = default_threat_model().version
    assert {(i["abuse_model"], i["threat_model"]) for i in queue["items"]} == {("abuse-v1", threat_model)}
    page = feoa.get(f"/monitoring/messages/{first}/").content.decode()
    assert f"Scored by the abuse model abuse-v1 and the threat model {threat_model}." in page
    assert client_as(inbox.users.feoa_met).get(f"/api/v1/messages/{first}").status_code == 404
    assert client_as(inbox.users.candidate).get("/api/v1/messages/queue").status_code == 403
    analyst = client_as(inbox.users.analyst).get("/api/v1/messages/queue").json()
    assert analyst["items"][0]["pseudonymised"] and analyst["items"][0]["author"].startswith("author-")

    response = feoa.post(f"/api/v1/messages/{first}/decision", {"decision": "promote", "expected_review": "waiting"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["incident_reference"].startswith("BG-")
    stale = feoa.post(f"/api/v1/messages/{first}/decision", {"decision": "dismiss"}, content_type="application/json")
    assert stale.status_code == 409
    bad = feoa.post(f"/api/v1/messages/{first}/decision", {"decision": "delete"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "decision"


def test_api_timeline(inbox, client_as):
    carol = inbox.candidates.yardley_1
    rows = client_as(inbox.users.candidate).get(f"/api/v1/candidates/{carol.pk}/abuse-timeline").json()
    assert sum(r["received"] for r in rows) == 3
    assert client_as(inbox.users.feoa_met).get(f"/api/v1/candidates/{carol.pk}/abuse-timeline").status_code == 404
    assert client_as(inbox.users.admin).get(f"/api/v1/candidates/{carol.pk}/abuse-timeline").status_code == 403


def test_queue_page_and_promotion_through_the_form(inbox, client_as):
    feoa = client_as(inbox.users.feoa_wmp)
    page = feoa.get("/monitoring/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "we know where you live" in html and "What is your position" not in html
    threat = Message.objects.get(message_id="2")
    detail = feoa.get(f"/monitoring/messages/{threat.pk}/").content.decode()
    assert "Promote to an incident" in detail and "@troll_2" in detail
    missing = feoa.post(f"/monitoring/messages/{threat.pk}/decision/", {"expected_review": "waiting"})
    assert missing.status_code == 400 and "Choose what to do with this message" in missing.content.decode()
    done = feoa.post(f"/monitoring/messages/{threat.pk}/decision/", {"decision": "promote", "expected_review": "waiting"}, follow=True)
    threat.refresh_from_db()
    assert threat.review == "promoted" and threat.incident.reference in done.content.decode()


def test_pages_are_closed_to_other_roles_and_forces(inbox, client_as):
    threat = Message.objects.get(message_id="2")
    assert client_as(inbox.users.feoa_met).get(f"/monitoring/messages/{threat.pk}/").status_code == 404
    for user in (inbox.users.candidate, inbox.users.admin, inbox.users.ro_birmingham):
        assert client_as(user).get("/monitoring/").status_code == 403
        assert client_as(user).post(f"/monitoring/messages/{threat.pk}/decision/", {"decision": "dismiss"}).status_code == 403
    analyst_page = client_as(inbox.users.analyst).get("/monitoring/").content.decode()
    assert "troll" not in analyst_page.lower() and "Carol" not in analyst_page


def test_timeline_page_has_a_chart_and_its_table(inbox, client_as):
    carol = inbox.candidates.yardley_1
    html = client_as(inbox.users.candidate).get(f"/candidates/{carol.pk}/abuse-timeline/").content.decode()
    assert 'data-vega-spec="abuse-timeline-spec"' in html and 'id="abuse-timeline-spec"' in html
    assert "<table" in html and "Messages received" in html and "999" in html
    other = inbox.candidates.clw_1
    assert client_as(inbox.users.candidate).get(f"/candidates/{other.pk}/abuse-timeline/").status_code == 404
    analyst = client_as(inbox.users.analyst).get(f"/candidates/{carol.pk}/abuse-timeline/").content.decode()
    assert "Carol" not in analyst and candidate_pseudonym(carol.pk) in analyst and f"candidate {carol.pk}" not in analyst


def test_the_csp_allows_only_the_import_map_inline(inbox, client_as):
    import base64
    import hashlib
    import re

    response = client_as(inbox.users.candidate).get(f"/candidates/{inbox.candidates.yardley_1.pk}/abuse-timeline/")
    csp = response["Content-Security-Policy"]
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", response.content.decode(), re.S)
    executed = [body for attrs, body in inline if 'type="application/json"' not in attrs]
    assert len(executed) == 1  # the import map
    digest = base64.b64encode(hashlib.sha256(executed[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_candidates_manage_their_handles(handles, client_as):
    carol = handles.candidates.yardley_1
    client = client_as(handles.users.candidate)
    bad = client.post(f"/candidates/{carol.pk}/handles/", {"platform": "", "handle": "two words"})
    assert bad.status_code == 400 and "Choose the platform" in bad.content.decode()
    client.post(f"/candidates/{carol.pk}/handles/", {"platform": "bluesky", "handle": "https://bsky.app/profile/Carol.Cooper"})
    assert carol.handles.filter(platform="bluesky", handle="carol.cooper").exists()
    assert client_as(handles.users.feoa_wmp).post(f"/candidates/{carol.pk}/handles/", {"platform": "x", "handle": "x"}).status_code == 403
    handle = carol.handles.get(platform="bluesky")
    client.post(f"/candidates/{carol.pk}/handles/{handle.pk}/remove/")
    assert not carol.handles.filter(platform="bluesky").exists()


def test_timeline_page_in_welsh(inbox, client_as):
    """Issue 16: the candidate's abuse timeline, its chart title and its table, in Welsh."""
    carol = inbox.candidates.yardley_1
    client = client_as(inbox.users.candidate)
    client.cookies["bg_language"] = "cy"
    html = client.get(f"/candidates/{carol.pk}/abuse-timeline/").content.decode()
    assert '<html lang="cy"' in html and "Llinell amser camdriniaeth" in html
    assert "Negeseuon a dderbyniwyd" in html and "Wythnos yn dechrau" in html  # the table's headings
    assert "Negeseuon at Carol Cooper, fesul wythnos" in html  # the chart's title
    assert "Messages received" not in html and "Week beginning</th>" not in html
