"""Welsh in a real browser (issue 16): a candidate on a 320 px phone switches to Cymraeg with the toggle,
the choice is remembered from page to page and across signing out, the report journey (the danger
interruption and GOV.UK errors included), check-ins, the police adviser, safety and guidance pages and the
safety plan are in Welsh with no horizontal scroll, the plan's print-out (PDF) holds its Welsh steps, and axe-core finds no serious or critical violation on any Welsh page;
a returning officer's hand-over pages and the public pledge list likewise. A browser whose language is
Welsh gets Welsh before anyone chooses."""

from __future__ import annotations

import os

import pypdfium2 as pdfium
import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ballotguard.accounts.services import Actor
from ballotguard.engines.candidates.safety_plan import Campaigning, HomeAddress, PlanAnswers, Visibility
from ballotguard.safety import services as safety
from conftest import PASSWORD
from tests.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SMALLEST_PHONE = {"width": 320, "height": 640}


def _welsh_and_fits(page) -> None:
    """The page is Welsh, fits a 320 px screen, and axe-core is content with it."""
    assert page.get_attribute("html", "lang") == "cy", page.url
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} scrolls sideways: {width}"
    assert_accessible(page)


def test_a_candidate_switches_to_welsh_and_it_stays_welsh(world, live_server, browser):
    base = live_server.url
    context = browser.new_context(bypass_csp=True, viewport=SMALLEST_PHONE, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(60_000)
    sign_in(page, base, world.users.candidate, PASSWORD)
    assert page.get_attribute("html", "lang") == "en-GB"

    page.goto(f"{base}/incidents/")
    page.get_by_role("button", name="Newid yr iaith i Cymraeg").click()
    page.wait_for_url(f"{base}/incidents/")  # back on the same page
    assert page.get_by_role("heading", level=1).inner_text() == "Eich adroddiadau"
    _welsh_and_fits(page)

    # Remembered from page to page, through the (Welsh) menu.
    page.goto(f"{base}/")
    _welsh_and_fits(page)
    page.get_by_role("button", name="Rhoi gwybod am ddigwyddiad").first.click()
    page.wait_for_url("**/incidents/report/")
    _welsh_and_fits(page)
    page.get_by_role("button", name="Parhau i'r dystiolaeth").click()  # nothing ticked: Welsh GOV.UK errors
    assert "Mae problem wedi codi" in page.locator(".govuk-error-summary").inner_text()
    _welsh_and_fits(page)
    page.get_by_label("Rydw i mewn perygl nawr, neu mae'r person yn dal gerllaw").check()
    page.get_by_role("button", name="Parhau i'r dystiolaeth").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Ffoniwch 999 nawr"
    assert page.get_by_role("button", name="Ffonio 999").get_attribute("href") == "tel:999"
    _welsh_and_fits(page)

    for path, heading in [
        ("/checkins/start/", "Dechrau gwiriad diogelwch"), ("/your-police-adviser/", "Eich cynghorydd heddlu"),
        ("/safety/", "Eich diogelwch"), ("/guidance/", "Canllawiau diogelwch"),
        ("/guidance/reporting-routes/", "Ble i roi gwybod am aflonyddu, bygythiadau a chamdriniaeth"),
    ]:
        page.goto(f"{base}{path}")
        assert page.get_by_role("heading", level=1).inner_text() == heading, path
        _welsh_and_fits(page)
    # Every piece now has a Welsh version, nothing in it marked as English.
    page.goto(f"{base}/guidance/handling-post/")
    assert page.get_by_role("heading", level=1).inner_text() == "Trin post a phecynnau amheus"
    assert page.locator(".bg-guidance").get_attribute("lang") == "cy"
    _welsh_and_fits(page)

    # The safety plan in Welsh, and its print-out: the PDF the browser prints holds the Welsh steps.
    candidate = world.candidates.yardley_1
    safety.save_plan(Actor(user=world.users.candidate), candidate, PlanAnswers(
        home_address=HomeAddress.PUBLISHED, lives_alone=True, children_at_home=False, public_office=False,
        online_visibility=Visibility.LOW, campaigning=Campaigning.NEVER_ALONE, past_incidents=False))
    page.goto(f"{base}/candidates/{candidate.pk}/safety-plan/")
    assert page.get_by_role("heading", level=2).first.inner_text() == "Gwnewch hyn nawr"
    _welsh_and_fits(page)
    document = pdfium.PdfDocument(page.pdf(format="A4"))
    printed = " ".join(" ".join(document[i].get_textpage().get_text_range().split()) for i in range(len(document)))
    assert "Cadwch 999, 101 a manylion eich cynghorydd heddlu yn eich ffôn" in printed
    assert "Cadwch eich cyfeiriad cartref oddi ar y papur pleidleisio" in printed and "Do this now" not in printed

    # Signing out keeps the choice: the sign-in page is Welsh too.
    page.get_by_role("button", name="Allgofnodi").click()
    page.wait_for_url("**/sign-in")
    _welsh_and_fits(page)

    # And back to English with the same toggle.
    page.get_by_role("button", name="Change the language to English").click()
    page.wait_for_url("**/sign-in")
    assert page.get_attribute("html", "lang") == "en-GB"
    assert page.get_by_role("heading", level=1).inner_text() == "Sign in to Ballotguard"
    context.close()


def test_a_welsh_browser_gets_welsh_and_the_toggle_works_under_the_real_csp(world, live_server, browser):
    base = live_server.url
    context = browser.new_context(viewport=SMALLEST_PHONE, locale="cy-GB", extra_http_headers={"Accept-Language": "cy-GB,cy;q=0.9"})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(f"{base}/sign-in")
    assert page.get_attribute("html", "lang") == "cy"
    assert page.get_by_role("heading", level=1).inner_text() == "Mewngofnodi i Ballotguard"
    page.get_by_role("button", name="Change the language to English").click()
    page.wait_for_url("**/sign-in")
    assert page.get_attribute("html", "lang") == "en-GB"  # the cookie wins over the browser
    page.goto(f"{base}/pledge/")
    assert page.get_attribute("html", "lang") == "en-GB"
    assert problems == [], problems
    context.close()


def test_a_returning_officer_and_the_public_in_welsh(world, live_server, browser):
    base = live_server.url
    context = browser.new_context(bypass_csp=True, viewport=SMALLEST_PHONE, locale="cy-GB", extra_http_headers={"Accept-Language": "cy"})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{base}/pledge/")
    _welsh_and_fits(page)
    page.goto(f"{base}/pledge/parl.2024-07-04/")
    _welsh_and_fits(page)
    sign_in_welsh(page, base, world.users.ro_birmingham)
    _welsh_and_fits(page)
    for path in ["/handover/", "/handover/upload/", f"/handover/{world.candidates.yardley_2.pk}/"]:
        page.goto(f"{base}{path}")
        _welsh_and_fits(page)
    page.get_by_role("button", name="Cadw a throsglwyddo").click()  # nothing chosen: Welsh errors
    assert "Mae problem wedi codi" in page.locator(".govuk-error-summary").inner_text()
    _welsh_and_fits(page)
    context.close()


def sign_in_welsh(page, base: str, user) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("Enw defnyddiwr").fill(user.username)
    page.get_by_label("Cyfrinair").fill(PASSWORD)
    page.get_by_role("button", name="Mewngofnodi").click()
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:  # returning officers, like the police, give a security code next (in Welsh too)
        page.wait_for_url("**/sign-in/verify**")
        _welsh_and_fits(page)
        page.get_by_label("Cod diogelwch").fill(f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}")
        page.get_by_role("button", name="Parhau").click()
    page.wait_for_url(f"{base}/")
