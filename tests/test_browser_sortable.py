"""In a real browser: a FEOA sorts the case queue by clicking a header (issue 17), and every candidate
page fits a 320 px phone with no sideways scroll, the abuse timeline's chart and legend included, its
text in the GOV.UK typeface, and phone numbers tappable (issue 16, point 6)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ballotguard.incidents.models import Incident
from ballotguard.monitoring.models import Message
from conftest import PASSWORD
from tests.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

NOW = timezone.now()


def _incidents(world) -> list[Incident]:
    made = []
    for k, (risk, rank) in enumerate([("low", 1), ("high", 3), ("medium", 2)]):
        when = NOW - dt.timedelta(days=k + 1)
        i = Incident.objects.create(candidate=world.candidates.yardley_1, reported_by=world.users.candidate, status=Incident.Status.NEW,
                                    occurred_at=when, submitted_at=when, place="online", behaviours=["abusive_or_hateful_message"],
                                    risk_level=risk, risk_rank=rank, description="A reply calling me a traitor.")
        i.forces.set([world.forces.wmp])
        made.append(i)
    return made


def test_feoa_sorts_the_case_queue_by_clicking_a_header(world, live_server, browser):
    made = _incidents(world)
    feoa = world.users.feoa_wmp
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, live_server.url, feoa, PASSWORD, TOTPDevice.objects.get(user=feoa))
    page.goto(f"{live_server.url}/incidents/?status=open")
    sent = page.locator("th", has=page.locator("a[data-sort=sent]"))
    assert sent.get_attribute("aria-sort") == "none"
    assert page.locator("th", has=page.locator("a[data-sort=risk]")).get_attribute("aria-sort") == "descending"

    def references():
        return [t.strip() for t in page.locator("table.bg-queue tbody tr td:first-child a").all_inner_texts()]

    with page.expect_navigation():
        page.locator("a[data-sort=sent]").click()
    assert "sort=sent" in page.url and "order=asc" in page.url and "status=open" in page.url
    assert sent.get_attribute("aria-sort") == "ascending"
    assert references() == [made[2].reference, made[1].reference, made[0].reference]
    assert_accessible(page)
    with page.expect_navigation():
        page.locator("a[data-sort=sent]").click()  # again: turned round
    assert sent.get_attribute("aria-sort") == "descending"
    assert references() == [made[0].reference, made[1].reference, made[2].reference]
    # Applying a filter keeps the sort.
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filters").click()
    assert "sort=sent" in page.url and sent.get_attribute("aria-sort") == "descending"
    context.close()


SMALLEST_PHONE = {"width": 320, "height": 640}


def test_every_candidate_page_fits_a_320_px_phone(world, live_server, browser):
    carol = world.candidates.yardley_1
    made = _incidents(world)
    adviser = world.users.feoa_wmp
    adviser.phone = "0121 496 0000"
    adviser.save(update_fields=["phone"])
    # Three weeks of messages, so the abuse timeline draws its chart and legend.
    for k in range(9):
        Message.objects.create(platform="x", message_id=f"m{k}", candidate=carol, sent_at=NOW - dt.timedelta(days=2 * k + 1),
                               text="You are a pathetic lying idiot", author_handle="@troll", abuse_score=0.9 if k % 2 else 0.1,
                               threat_score=0.9 if k == 3 else 0.0, is_threat=k == 3,
                               review=Message.Review.WAITING if k % 2 else Message.Review.NOT_FLAGGED)

    context = browser.new_context(bypass_csp=True, viewport=SMALLEST_PHONE, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, live_server.url, world.users.candidate, PASSWORD)
    base = live_server.url
    paths = [
        "/", "/incidents/", "/incidents/report/", f"/incidents/{made[0].reference}/", f"/candidates/{carol.pk}/",
        f"/candidates/{carol.pk}/abuse-timeline/", "/your-police-adviser/", "/safety/", f"/candidates/{carol.pk}/safety-plan/",
        f"/candidates/{carol.pk}/pledge/", "/checkins/", "/checkins/start/", "/guidance/", "/guidance/reporting-routes/",
        "/monitoring/mastodon/", "/pledge/",
    ]
    for path in paths:
        page.goto(base + path)
        assert page.url.startswith(base + path.split("?")[0]), f"{path} went to {page.url}"
        if "abuse-timeline" in path:
            page.wait_for_selector("#abuse-timeline[data-rendered=true] svg")
            # Every piece of chart text (axes, legend, title) inside the 320 px and in the GOV.UK typeface.
            texts = page.evaluate("""() => [...document.querySelectorAll('#abuse-timeline svg text')].map(t => {
                const r = t.getBoundingClientRect();
                return {text: t.textContent, left: r.left, right: r.right, font: getComputedStyle(t).fontFamily};
            }).filter(t => t.text.trim())""")
            assert any(t["text"] == "Threats" for t in texts), texts  # the legend is drawn
            for t in texts:
                assert t["left"] >= 0 and t["right"] <= 320, f"chart text cut off: {t}"
                assert "GDS Transport" in t["font"] or "arial" in t["font"].lower(), t
        width = page.evaluate("() => document.scrollingElement.scrollWidth")
        assert width <= 320, f"{path} scrolls sideways: {width} px"
    # The adviser's phone number can be tapped.
    page.goto(base + "/your-police-adviser/")
    assert page.locator('a[href="tel:01214960000"]').count() >= 1
    assert_accessible(page)
    context.close()
