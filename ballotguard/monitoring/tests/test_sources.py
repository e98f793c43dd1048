"""The Sources page and API: health figures, the start/stop control, and stall alerts to administrators."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from ballotguard.accounts.models import AuditEvent
from ballotguard.monitoring.models import BufferedPost, Message, Source
from ballotguard.monitoring.services import sources

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(world):
    now = timezone.now()
    Source.objects.create(name="bluesky", enabled=True, connected=True, connected_since=now - dt.timedelta(hours=1),
                          heartbeat_at=now, last_event_at=now, last_message_at=now - dt.timedelta(seconds=30),
                          cursor=int((now - dt.timedelta(seconds=3)).timestamp() * 1_000_000),
                          events=120_000, matched=42, malformed=3, oversize=1, errors=2, last_error="ConnectionClosedError (close code 1006)")
    BufferedPost.objects.create(source="bluesky", message_id="at://did:plc:x/app.bsky.feed.post/1", record="{}")
    for i in range(10):
        Message.objects.create(platform="bluesky", message_id=f"at://did:plc:x/app.bsky.feed.post/m{i}", text="hi",
                               sent_at=now, source="bluesky", ingested_at=now - dt.timedelta(minutes=1))
    return world


def test_an_administrator_sees_each_sources_health(running, client_as):
    page = client_as(running.users.admin).get("/monitoring/sources/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Bluesky (Jetstream)" in html and "Connected" in html and "Stalled" not in html
    assert "3 malformed and 1 oversize frames skipped; 2 dropped or failed connections" in html
    assert "2.0 (last 5 minutes)" in html  # 10 messages in the last 5 minutes
    assert "Waiting to be stored and scored</dt><dd class=\"govuk-summary-list__value\">1<" in html
    assert "Stop Bluesky" in html
    figures = sources.statuses(running.users.admin)[0]
    assert figures["connected"] and 2 <= figures["lag_seconds"] <= 30 and figures["backlog"] == 1


def test_nobody_else_sees_or_controls_sources(running, client_as):
    for user in (running.users.feoa_wmp, running.users.analyst, running.users.candidate):
        client = client_as(user)
        assert client.get("/monitoring/sources/").status_code == 403
        assert client.post("/monitoring/sources/bluesky/control/", {"action": "stop"}).status_code == 403
        assert client.get("/api/v1/sources").status_code == 403
        assert client.post("/api/v1/sources/bluesky", {"enabled": False}, content_type="application/json").status_code == 403
    assert Source.objects.get(name="bluesky").enabled


def test_stop_and_start_from_the_page_are_stored_and_audited(running, client_as):
    client = client_as(running.users.admin)
    response = client.post("/monitoring/sources/bluesky/control/", {"action": "stop"})
    assert response.status_code == 302 and not Source.objects.get(name="bluesky").enabled
    assert "Start Bluesky" in client.get("/monitoring/sources/").content.decode()
    client.post("/monitoring/sources/bluesky/control/", {"action": "start"})
    assert Source.objects.get(name="bluesky").enabled
    assert list(AuditEvent.objects.filter(object_type="source").order_by("at", "id").values_list("detail", flat=True)) == ["stopped", "started"]
    assert client.post("/monitoring/sources/myspace/control/", {"action": "stop"}).status_code == 404
    assert client.post("/monitoring/sources/bluesky/control/", {"action": "explode"}).status_code == 404


def test_the_api_lists_and_controls_sources(running, client_as):
    client = client_as(running.users.admin)
    listed = client.get("/api/v1/sources").json()
    assert [s["name"] for s in listed] == ["bluesky", "mastodon"] and listed[0]["malformed"] == 3 and listed[0]["backlog"] == 1
    stopped = client.post("/api/v1/sources/bluesky", {"enabled": False}, content_type="application/json")
    assert stopped.status_code == 200 and stopped.json()["enabled"] is False
    bad = client.post("/api/v1/sources/bluesky", {"enabled": "perhaps"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "enabled"
    missing = client.post("/api/v1/sources/myspace", {"enabled": True}, content_type="application/json")
    assert missing.status_code == 404 and "bluesky" in missing.json()["detail"]


def test_a_stalled_source_alerts_administrators_once_and_clears_when_it_recovers(running, settings):
    settings.BALLOTGUARD_SOURCE_STALL_SECONDS = 120
    later = timezone.now() + dt.timedelta(minutes=10)
    assert sources.check_stalls(later) == ["bluesky"]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [running.users.admin.email]
    assert "stalled" in mail.outbox[0].subject and "stream-bluesky" in mail.outbox[0].body
    assert sources.check_stalls(later + dt.timedelta(minutes=1)) == []  # once per stall
    assert len(mail.outbox) == 1
    Source.objects.filter(name="bluesky").update(heartbeat_at=later, last_event_at=later)
    assert sources.check_stalls(later) == [] and Source.objects.get(name="bluesky").stall_alerted_at is None
    Source.objects.update(enabled=False)  # a source stopped on purpose is not stalled
    assert sources.check_stalls(later + dt.timedelta(hours=1)) == [] and len(mail.outbox) == 1


def test_a_stalled_source_is_shown_on_the_page(running, client_as, settings):
    Source.objects.update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    html = client_as(running.users.admin).get("/monitoring/sources/").content.decode()
    assert "Stalled" in html and "Not connected" in html
