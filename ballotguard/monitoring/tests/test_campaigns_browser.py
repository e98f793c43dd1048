"""An analyst opens a coordinated campaign in headless Chromium under the real Content-Security-Policy,
sees its hex map and its timeline drawn by vega-embed, and confirms it; axe-core finds no serious or
critical violations on the campaign pages."""

from __future__ import annotations

import os

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from ballotguard.accounts.services import Actor
from ballotguard.monitoring.models import Campaign
from ballotguard.monitoring.services import campaigns
from ballotguard.registry.models import Area
from conftest import PASSWORD
from tests.browser import CHROMIUM_FLAGS, assert_accessible, chromium_path, sign_in

from .test_campaigns import _timer_rows, activity, gmp, ingest  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS, headless=True)
        yield launched
        launched.close()


def test_analyst_opens_a_campaign_sees_the_map_and_timeline_and_confirms_it(activity, live_server, browser):  # noqa: F811
    Area.objects.filter(code="E14001172").update(hex_q=64, hex_r=-40)
    Area.objects.filter(code="E14001100").update(hex_q=50, hex_r=-30)
    campaigns.run_now(Actor.cli())
    campaign = Campaign.objects.exclude(accounts=[]).get()
    analyst = activity.users.analyst

    context = browser.new_context(viewport={"width": 1280, "height": 900})  # the real CSP
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    sign_in(page, live_server.url, analyst, PASSWORD, TOTPDevice.objects.get(user=analyst))

    page.get_by_role("link", name="Campaigns", exact=True).first.click()
    page.wait_for_url("**/monitoring/campaigns/")
    rows = page.locator("table.bg-campaigns tbody tr")
    assert rows.count() == 2
    page.get_by_role("link", name=campaign.reference).click()
    page.wait_for_url(f"**/monitoring/campaigns/{campaign.pk}/")
    assert page.locator("h1").inner_text().strip() == f"Campaign {campaign.reference}"

    hexmap = page.locator("figure.bg-hexmap-figure svg")
    assert hexmap.count() == 1 and "Constituencies targeted" in hexmap.inner_html()
    assert page.locator("table[data-map-table='campaign-map'] tbody tr").count() == 2
    page.wait_for_selector("#campaign-timeline[data-rendered='true'] svg")
    assert page.locator("#campaign-timeline svg .mark-rect path, #campaign-timeline svg path").count() > 0
    assert page.locator("table[data-chart-table='campaign-timeline'] tbody tr").count() >= 3
    body = page.locator("main").inner_text()
    assert "author-" in body and "brig_" not in body.lower()

    assert problems == [], problems  # the chart drew under the real CSP
    page.get_by_label("Confirm: these accounts are working together").check()
    page.get_by_role("button", name="Save decision").click()  # no note: a GOV.UK error (answered 400)
    assert "Say why you confirmed or dismissed this campaign" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("Confirm: these accounts are working together").check()
    page.get_by_label("Why?").fill("The same slogan to candidates in two forces within seconds, three days running.")
    page.get_by_role("button", name="Save decision").click()
    page.wait_for_selector(".govuk-notification-banner--success")
    assert "Campaign confirmed" in page.locator(".govuk-notification-banner").inner_text()
    campaign.refresh_from_db()
    assert campaign.status == "confirmed" and campaign.decided_by == analyst
    assert [p for p in problems if "status of 400" not in p] == [], problems
    signed_in = context.storage_state()  # a TOTP code is good once: keep the session instead
    context.close()

    checked = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900}, storage_state=signed_in)  # to inject axe-core
    page = checked.new_page()
    page.goto(f"{live_server.url}/monitoring/campaigns/")
    assert_accessible(page)
    page.goto(f"{live_server.url}/monitoring/campaigns/{campaign.pk}/")
    page.wait_for_selector("#campaign-timeline[data-rendered='true'] svg")
    assert_accessible(page)
    checked.close()


def test_analyst_filters_the_campaigns_posting_on_a_timer_and_reads_why(activity, live_server, browser):  # noqa: F811
    from django.utils import timezone

    ingest(_timer_rows(timezone.now()))
    campaigns.run_now(Actor.cli())
    scheduled = Campaign.objects.get(kind="scheduled")
    analyst = activity.users.analyst
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, analyst, PASSWORD, TOTPDevice.objects.get(user=analyst))
    page.goto(f"{live_server.url}/monitoring/campaigns/")
    assert page.locator("table.bg-campaigns tbody tr").count() == 3
    page.get_by_label("Kind").select_option("scheduled")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/monitoring/campaigns/?*kind=scheduled*")
    rows = page.locator("table.bg-campaigns tbody tr")
    assert rows.count() == 1 and "Accounts posting on a timer" in rows.first.inner_text()
    page.get_by_role("link", name=scheduled.reference).click()
    page.wait_for_url(f"**/monitoring/campaigns/{scheduled.pk}/")
    why = page.locator("#campaign-timer").inner_text()
    assert why.startswith("5 of 5 accounts post every 15 minutes, on the quarter hour") and "scheduled software" in why
    signed_in = context.storage_state()
    context.close()

    checked = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900}, storage_state=signed_in)  # to inject axe-core
    page = checked.new_page()
    page.goto(f"{live_server.url}/monitoring/campaigns/?kind=scheduled")
    assert_accessible(page)
    page.goto(f"{live_server.url}/monitoring/campaigns/{scheduled.pk}/")
    page.wait_for_selector("#campaign-timeline[data-rendered='true'] svg")
    assert_accessible(page)
    checked.close()
