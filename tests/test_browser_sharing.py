"""A FEOA shares an incident with a partner as a STIX bundle and imports a partner's bundle back, in
headless Chromium; axe-core finds no serious or critical violations on the sharing pages (issue 17)."""

from __future__ import annotations

import json
import os

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from ballotguard.accounts.services import Actor
from ballotguard.incidents import services as incidents
from ballotguard.incidents.tests.conftest import report_input
from conftest import PASSWORD
from tests.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_feoa_shares_an_incident_and_imports_a_partners_bundle(world, live_server, browser, tmp_path):
    carol = world.candidates.yardley_1
    incident, _ = incidents.report(Actor(user=world.users.candidate), report_input(carol, observables={"handle": "@Shared_Troll"}))
    feoa = world.users.feoa_wmp
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, feoa, PASSWORD, TOTPDevice.objects.get(user=feoa))

    page.goto(f"{live_server.url}/incidents/{incident.reference}/")
    page.locator("#share-with-partners").click()
    page.wait_for_url("**/share/")
    assert_accessible(page)
    page.get_by_role("button", name="Download").click()  # nothing chosen: GOV.UK errors, named
    assert "Select the format" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
    page.get_by_label("This incident only").check()
    page.get_by_label("STIX 2.1 bundle").check()
    page.get_by_label("TLP:AMBER+STRICT", exact=False).check()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()
    path = tmp_path / "bundle.json"
    download.value.save_as(path)
    bundle = json.loads(path.read_text())
    assert bundle["type"] == "bundle" and "shared_troll" not in path.read_text().lower()  # pseudonymised by default

    page.get_by_role("link", name="Partners' bundles").click()
    page.wait_for_url("**/sharing/")
    assert_accessible(page)
    page.get_by_role("button", name="Import a partner's bundle").click()
    page.get_by_label("Who sent it").fill("Partner force")
    page.get_by_label("STIX 2.1 bundle").set_input_files(str(path))
    page.get_by_role("button", name="Import and match").click()
    page.wait_for_url("**/sharing/imports/*/")
    assert incident.reference in page.content() and "TLP:AMBER+STRICT" in page.content()
    assert_accessible(page)
    context.close()
