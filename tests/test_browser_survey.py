"""The candidates' survey in a real browser (issue 17): Carol finds the invitation on her home page,
answers the questionnaire in Welsh (errors first), and an analyst reads the survey figures and the
closing dates. axe-core finds no serious or critical violations in English or Welsh."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ballotguard.insights.services import refresh_snapshots
from ballotguard.survey.models import SurveyResponse, SurveyWindow
from ballotguard.survey.tests.test_survey import many_responses
from conftest import PASSWORD
from tests.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_a_candidate_answers_the_survey_in_english_and_welsh(world, live_server, browser):
    SurveyWindow.objects.create(election=world.elections.ge, closes_on=timezone.localdate() + dt.timedelta(days=10))
    base = live_server.url
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.set_default_timeout(15_000)
    sign_in(page, base, world.users.candidate, PASSWORD)
    banner = page.locator(".govuk-notification-banner")
    assert "Tell us about your experience" in banner.inner_text()
    assert_accessible(page)
    banner.get_by_role("link", name="Answer the survey").click()
    page.wait_for_url(f"**/survey/{world.candidates.yardley_1.pk}/")
    assert_accessible(page)
    page.get_by_role("button", name="Newid yr iaith i Cymraeg").click()
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "cy"
    page.get_by_role("button", name="Anfonwch eich atebion").click()
    assert "Dewiswch yr hyn a brofoch" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
    page.get_by_label("Camdriniaeth eiriol neu fygythiadau wyneb yn wyneb").check()
    page.locator("#id_reported_1").check()  # Na (no)
    page.get_by_label("Osgoi ymgyrchu ar eich pen eich hun").check()
    page.locator("#id_adviser_view_0").check()
    page.locator("#id_guidance_view_3").check()
    page.get_by_role("button", name="Anfonwch eich atebion").click()
    page.wait_for_url("**/survey/")
    assert "Wedi ateb" in page.content()
    assert_accessible(page)
    assert SurveyResponse.objects.get().answers["changes"] == ["avoided_alone"]


def test_an_analyst_reads_the_survey_figures_and_sets_a_closing_date(world, live_server, browser):
    SurveyWindow.objects.create(election=world.elections.ge, closes_on=timezone.localdate() + dt.timedelta(days=10))
    many_responses(world)
    refresh_snapshots(trigger="test")
    analyst = world.users.analyst
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, analyst, PASSWORD, TOTPDevice.objects.get(user=analyst))
    page.goto(f"{live_server.url}/insights/survey/")
    assert "60%" in page.get_by_test_id("experienced").inner_text()
    page.wait_for_selector("#survey-gender svg, #survey-gender canvas")  # vega-embed drew the chart beside its table
    assert_accessible(page)
    page.goto(f"{live_server.url}/survey/elections/")
    assert_accessible(page)
    page.get_by_role("link", name="Set a closing date for Birmingham City Council elections 2026").click()
    page.get_by_role("button", name="Save closing date").click()
    assert "Enter the closing date" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
