"""An administrator puts a party's head-office number on the observables warning list in a real
browser: the link it made between two reports goes, the page is accessible, and a bad entry gets a
GOV.UK error summary that names the field."""

from __future__ import annotations

import os

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from ballotguard.accounts.services import Actor
from ballotguard.incidents import services
from ballotguard.incidents.models import IncidentLink
from ballotguard.incidents.tests.conftest import report_input
from conftest import PASSWORD, make_user
from tests.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def page(browser):
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})  # bypass_csp: axe is injected
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_an_administrator_lists_a_head_office_number_and_the_false_link_goes(world, live_server, page):
    alice = make_user("candidate-alice", "candidate")
    world.candidates.clw_1.user = alice
    world.candidates.clw_1.save(update_fields=["user"])
    one, _ = services.report(Actor(user=world.users.candidate), report_input(world.candidates.yardley_1, observables={"phone": "0121 496 0500"}))
    two, _ = services.report(Actor(user=alice), report_input(world.candidates.clw_1, observables={"phone": "+44 121 496 0500"}))
    assert IncidentLink.objects.filter(first=one, second=two).exists()

    admin = world.users.admin
    sign_in(page, live_server.url, admin, PASSWORD, TOTPDevice.objects.filter(user=admin).first())
    page.get_by_role("link", name="Warning list").click()
    page.wait_for_url("**/incidents/warning-list/")
    assert_accessible(page)

    page.get_by_label("Phone number", exact=True).check()
    page.get_by_label("Value").fill("0121 496 0500")
    page.get_by_role("button", name="Add to the warning list").click()
    assert "There is a problem" in page.locator("main").inner_text()  # no reason given
    assert page.locator(".govuk-error-summary a[href='#id_reason']").count() == 1
    assert_accessible(page)

    page.get_by_label("Why must it never link incidents?").fill("Party's regional office, printed on every leaflet")
    page.get_by_role("button", name="Add to the warning list").click()
    banner = page.locator(".govuk-notification-banner, .govuk-panel, [role=alert], [role=status]").first.inner_text()
    assert "1 link between incidents was removed" in banner
    assert not IncidentLink.objects.filter(first=one, second=two).exists()
    assert_accessible(page)
