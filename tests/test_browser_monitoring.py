"""A FEOA reviews a flagged message and promotes it to an incident, and a candidate sees their abuse
timeline drawn by vega-embed under the real Content-Security-Policy, in headless Chromium; axe-core
finds no serious or critical violations on the monitoring pages."""

from __future__ import annotations

import io
import os

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from ballotguard.accounts.services import Actor
from ballotguard.incidents.models import Incident
from ballotguard.monitoring.models import Message
from ballotguard.monitoring.services import ingest_file
from ballotguard.registry.models import SocialHandle
from conftest import PASSWORD
from tests.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

THREAT = "we know where you live. you'll end up like Jo Cox"


def _inbox(world):
    import datetime as dt
    import json

    from django.utils import timezone

    SocialHandle.objects.create(candidate=world.candidates.yardley_1, platform="x", handle="carol_mp")
    texts = [THREAT, "You are a pathetic lying idiot", "What about the bus cuts?", "Good luck Thursday", "resign, useless"]
    rows = [
        {"platform": "x", "message_id": str(i), "author_handle": f"@troll_{i}", "text": text,
         "sent_at": (timezone.now() - dt.timedelta(days=3 * i)).isoformat(), "mentions": ["@carol_mp"]}
        for i, text in enumerate(texts)
    ]
    ingest_file(Actor.cli(), io.BytesIO("\n".join(json.dumps(r) for r in rows).encode()), "m.jsonl")




def test_feoa_reviews_and_promotes_a_flagged_message(world, live_server, browser):
    _inbox(world)
    feoa = world.users.feoa_wmp
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, feoa, PASSWORD, TOTPDevice.objects.get(user=feoa))

    page.get_by_role("link", name="Flagged messages", exact=True).first.click()
    page.wait_for_url("**/monitoring/")
    rows = page.locator("table.bg-queue tbody tr")
    assert "we know where you live" in rows.first.inner_text()  # threats first
    assert "bus cuts" not in page.content()
    assert_accessible(page)

    rows.first.get_by_role("link").click()
    page.wait_for_url("**/monitoring/messages/*/")
    assert "@troll_0" in page.content()
    assert_accessible(page)
    page.get_by_role("button", name="Save decision").click()  # nothing chosen: a GOV.UK error
    assert "Choose what to do with this message" in page.locator(".govuk-error-message").inner_text()
    page.get_by_label("Promote to an incident").check()
    page.get_by_role("button", name="Save decision").click()
    page.wait_for_url("**/monitoring/")
    banner = page.locator(".govuk-notification-banner").inner_text()
    message = Message.objects.get(message_id="0")
    assert message.review == "promoted"
    incident = Incident.objects.get(pk=message.incident_id)
    assert incident.reference in banner and incident.candidate == world.candidates.yardley_1
    assert incident.evidence.count() == 1 and incident.status == Incident.Status.NEW

    page.goto(f"{live_server.url}/incidents/{incident.reference}/")
    assert "Raised by" in page.content() and "@troll_0" in page.content()
    context.close()


def test_candidate_sees_the_abuse_timeline_drawn_under_the_real_csp(world, live_server, browser):
    _inbox(world)
    carol = world.candidates.yardley_1
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone, and the real CSP
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    sign_in(page, live_server.url, world.users.candidate, PASSWORD)
    page.get_by_role("link", name="Abuse timeline: messages sent to you online").click()
    page.wait_for_url(f"**/candidates/{carol.pk}/abuse-timeline/")
    page.wait_for_selector("#abuse-timeline[data-rendered='true'] svg")
    assert page.locator("#abuse-timeline svg path, #abuse-timeline svg .mark-line").count() > 0
    assert page.locator("table[data-chart-table='abuse-timeline'] tbody tr").count() >= 2
    assert problems == [], problems
    context.close()

    checked = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844})
    page = checked.new_page()
    sign_in(page, live_server.url, world.users.candidate, PASSWORD)
    page.goto(f"{live_server.url}/candidates/{carol.pk}/abuse-timeline/")
    page.wait_for_selector("#abuse-timeline[data-rendered='true'] svg")
    assert_accessible(page)
    checked.close()
