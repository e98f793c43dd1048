"""A candidate on a phone fills in the safety plan questionnaire, sees the prioritised checklist, marks a
piece of guidance read and signs the civility pledge, in headless Chromium under the real
Content-Security-Policy; axe-core finds no serious or critical violations on each page, including the
public list of signatories."""

from __future__ import annotations

import os

import pytest

from ballotguard.safety.models import PledgeSignature, ReadReceipt, SafetyPlan
from conftest import PASSWORD
from tests.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PHONE = {"width": 390, "height": 844}




def _check(page, question: str, answer: str) -> None:
    page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()


def test_candidate_on_a_phone_plans_reads_and_signs(world, live_server, browser):
    base = live_server.url
    carol = world.candidates.yardley_1
    # axe-core is injected by evaluate(), which the CSP would refuse: this context bypasses it; the
    # second context below runs under the real policy.
    context = browser.new_context(bypass_csp=True, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, base, world.users.candidate, PASSWORD)

    page.goto(f"{base}/safety/")
    assert_accessible(page)
    page.get_by_role("link", name="Start the safety plan for Carol Cooper").click()
    page.wait_for_url(f"**/candidates/{carol.pk}/safety-plan/edit/")
    assert_accessible(page)
    page.get_by_role("button", name="Make my checklist").click()  # nothing answered: GOV.UK errors
    assert "There is a problem" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
    _check(page, "Is your home address on the ballot paper?", "Yes, it is published")
    _check(page, "Do you live alone?", "Yes")
    _check(page, "Do children live with you?", "No")
    _check(page, "Do you have an office or surgery that is open to the public?", "No")
    _check(page, "How visible are you online?", "Very: large following, national coverage or posts that spread widely")
    _check(page, "Do you campaign alone or with others?", "Usually alone")
    _check(page, "Have you already experienced harassment, threats or abuse as a candidate or elected official?", "Yes")
    page.get_by_role("button", name="Make my checklist").click()
    page.wait_for_url(f"**/candidates/{carol.pk}/safety-plan/")
    headings = page.locator("h2.govuk-heading-m").all_inner_texts()
    assert headings[:3] == ["Do this now", "Do this soon", "Good practice"]
    first = page.locator(".bg-checklist__title").all_inner_texts()
    assert first[0].startswith("Save 999, 101") and "Keep your home address off the ballot paper" in first[:6]
    assert SafetyPlan.objects.filter(candidate=carol).count() == 1
    assert_accessible(page)

    page.get_by_role("link", name="Guidance: Handling post and suspicious packages").click()
    page.wait_for_url("**/guidance/handling-post/")
    assert_accessible(page)
    page.get_by_role("button", name="Mark as read").click()
    page.wait_for_url("**/guidance/")
    assert "marked as read" in page.locator(".govuk-notification-banner").inner_text()
    assert ReadReceipt.objects.filter(user=world.users.candidate, slug="handling-post").exists()
    assert_accessible(page)

    page.goto(f"{base}/candidates/{carol.pk}/pledge/")
    assert_accessible(page)
    page.get_by_label("I agree to the civility pledge").check()
    page.get_by_label("List my name, party and ward or constituency on the public page of signatories").check()
    page.get_by_role("button", name="Sign the pledge").click()
    page.wait_for_url(f"**/candidates/{carol.pk}/pledge/")
    assert "signed the civility pledge" in page.locator(".govuk-notification-banner").inner_text()
    assert PledgeSignature.objects.get(candidate=carol).listed
    assert_accessible(page)
    context.close()

    # The public list, signed out, and the print button under the real CSP (print.js is a static module).
    public = browser.new_context(bypass_csp=True, viewport=PHONE)
    page = public.new_page()
    page.goto(f"{base}/pledge/parl.2024-07-04/")
    assert "Carol Cooper" in page.locator("table").inner_text()
    assert_accessible(page)
    page.goto(f"{base}/pledge/")
    assert_accessible(page)
    public.close()

    strict = browser.new_context(viewport=PHONE)
    page = strict.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    sign_in(page, base, world.users.candidate, PASSWORD)
    page.goto(f"{base}/candidates/{carol.pk}/safety-plan/")
    page.get_by_role("button", name="Print this plan").wait_for(state="visible")
    # GOV.UK's typeface loads from /assets/ (served at the root, as govuk-frontend expects).
    loaded = page.evaluate("""async () => (await document.fonts.load('bold 19px "GDS Transport"')).map(f => f.status)""")
    assert loaded and all(status == "loaded" for status in loaded), loaded
    assert page.locator("[data-bg-print-hint]").is_hidden()
    page.emulate_media(media="print")
    assert page.locator(".govuk-footer").is_hidden() and page.locator(".bg-checklist").first.is_visible()
    assert problems == [], problems
    strict.close()
