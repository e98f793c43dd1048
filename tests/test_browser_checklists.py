"""Checklists in a real headless Chromium (issue 17): a FEOA works an incident's checklist from the
queue and the case page, trips the "not applicable needs a reason" error, and an administrator saves a
new version of a template. axe-core finds no serious or critical violation on any of these pages."""

from __future__ import annotations

import os

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from ballotguard.accounts.services import Actor
from ballotguard.incidents import services
from ballotguard.incidents.models import ChecklistTemplate
from ballotguard.incidents.tests.conftest import report_input
from conftest import PASSWORD
from tests.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _page(browser):
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def test_feoa_works_the_checklist_and_an_administrator_versions_a_template(world, live_server, browser):
    incident, _ = services.report(Actor(user=world.users.candidate), report_input(
        world.candidates.yardley_1, place="home", behaviours=["turning_up_at_home"], description="He waited outside my house."))
    total = incident.tasks.count()

    feoa = world.users.feoa_wmp
    page = _page(browser)
    sign_in(page, live_server.url, feoa, PASSWORD, TOTPDevice.objects.get(user=feoa))
    page.goto(f"{live_server.url}/incidents/")
    assert f"0 of {total} done" in page.locator("table.bg-queue").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name=incident.reference).click()
    page.wait_for_url(f"**/incidents/{incident.reference}/")
    checklist = page.locator("table.bg-checklist")
    assert checklist.locator("tbody tr").count() == total
    page.locator("details.govuk-details", has_text="Guidance").first.locator("summary").click()
    assert_accessible(page)

    # "Mark as done" on the first task, then the home address check ruled out, first without a reason.
    with page.expect_navigation():
        checklist.get_by_role("button", name="Mark as done").first.click()
    assert f"1 of {total} done" in page.locator(".bg-checklist-progress").inner_text()
    with page.expect_navigation():
        page.get_by_role("link", name="Home address check").click()
    assert_accessible(page)
    page.get_by_label("Not applicable").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save task").click()
    assert "Enter why this task does not apply" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
    page.get_by_label("Why does it not apply?").fill("The address is not public: checked the register and the nomination papers")
    with page.expect_navigation():
        page.get_by_role("button", name="Save task").click()
    assert f"2 of {total} done (1 not applicable)" in page.locator(".bg-checklist-progress").inner_text()
    assert "The address is not public" in page.locator("table.bg-checklist").inner_text()
    page.context.close()

    # The administrator: the list, one checklist, and a new version with a sooner first task.
    admin = world.users.admin
    page = _page(browser)
    sign_in(page, live_server.url, admin, PASSWORD, TOTPDevice.objects.filter(user=admin).first())
    page.get_by_role("link", name="Checklists", exact=True).click()
    page.wait_for_url("**/checklists/")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Turning up at your home").click()
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Change this checklist").click()
    assert_accessible(page)
    page.locator("#id_tasks-0-due_hours").fill("12")
    page.get_by_label("What changed, and why? (optional)").fill("Contact within 12 hours")
    with page.expect_navigation():
        page.get_by_role("button", name="Save a new version").click()
    assert "Version 2 of the checklist saved" in page.content()
    assert ChecklistTemplate.objects.get(behaviour="turning_up_at_home", version=2).tasks.get(position=0).due_hours == 12
    assert_accessible(page)
    page.context.close()
