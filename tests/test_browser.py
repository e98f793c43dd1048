"""A FEOA signs in with a password and a TOTP code, filters the candidate list and opens a candidate,
in a real headless Chromium; axe-core finds no serious or critical accessibility violations on any page."""

from __future__ import annotations

import os

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from tests.browser import CHROMIUM_FLAGS, axe_violations, chromium_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are synchronous
# and safe, so Django's async-safety guard is relaxed for this module only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS, headless=True)
        # bypass_csp lets axe-core be injected; the CSP itself is asserted in the view tests.
        context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()


def _assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"axe-core on {page.url}: {violations}"


def test_feoa_signs_in_with_totp_filters_and_opens_a_candidate(world, live_server, page):
    feoa = world.users.feoa_met
    device = TOTPDevice.objects.get(user=feoa)

    page.goto(f"{live_server.url}/sign-in")
    _assert_accessible(page)
    page.get_by_label("Username").fill(feoa.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url("**/sign-in/verify**")
    _assert_accessible(page)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    page.get_by_label("Security code").fill(f"{code:06d}")
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(f"{live_server.url}/")
    _assert_accessible(page)
    page.get_by_role("link", name="Candidates", exact=True).first.click()
    page.wait_for_url("**/candidates/**")
    _assert_accessible(page)
    # Both Cities of London and Westminster candidates are in the Met's list; the Yardley ones are not.
    body = page.locator("main").inner_text()
    assert "Alice Archer" in body and "Bob Baker" in body and "Carol Cooper" not in body

    page.get_by_label("Party").select_option(label="Labour Party")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**party=PP53**")
    body = page.locator("main").inner_text()
    assert "Alice Archer" in body and "Bob Baker" not in body
    _assert_accessible(page)

    page.get_by_role("link", name="Alice Archer").click()
    page.wait_for_url(f"**/candidates/{world.candidates.clw_1.pk}/")
    assert page.locator("h1").inner_text().strip().startswith("Alice Archer")
    assert world.forces.city.name in page.locator("main").inner_text()  # the secondary force is listed
    _assert_accessible(page)
