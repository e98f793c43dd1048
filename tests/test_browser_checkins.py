"""A candidate on a phone (390x844) starts a campaign check-in, misses the check-out (time moved on by
running the sweep at the alert's due time), sees that their buddy has been alerted, and checks out
with one tap; the buddy gets the alert and then the all-clear. axe-core finds no serious or critical
violations on the check-in pages."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core import mail
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ballotguard.accounts.services import Actor
from ballotguard.checkins import services
from ballotguard.checkins.models import CheckIn
from ballotguard.checkins.notify import LocmemSMS
from conftest import PASSWORD
from tests.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PHONE = {"width": 390, "height": 844}
WHERE = "Leafleting Stoney Lane and the Yew Tree estate"




def _thumb_sized(locator, above_the_fold: bool = False) -> None:
    """Full width on the phone, at least 44px tall (WCAG 2.5.5), and reachable without scrolling."""
    box = locator.bounding_box()
    assert box is not None
    assert box["width"] >= PHONE["width"] - 40 and box["height"] >= 44, box
    if above_the_fold:
        assert box["y"] + box["height"] <= PHONE["height"], box


def test_check_in_on_a_phone_then_a_missed_check_out(world, live_server, browser):
    base = live_server.url
    context = browser.new_context(bypass_csp=True, viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, base, world.users.candidate, PASSWORD)

    page.goto(f"{base}/checkins/")
    assert "call 999" in page.locator("#emergency").inner_text()
    assert_accessible(page)
    start = page.get_by_role("button", name="Start a check-in")
    _thumb_sized(start, above_the_fold=True)
    start.click()
    page.wait_for_url("**/checkins/start/")
    assert page.locator("#emergency").is_visible()

    # Nothing filled in: GOV.UK errors, and still accessible.
    page.get_by_role("button", name="Start check-in").click()
    assert "There is a problem" in page.locator(".govuk-error-summary").inner_text()
    assert "Enter where you are going" in page.content()
    assert_accessible(page)

    page.get_by_label("Where are you going?").fill(WHERE)
    page.get_by_label("In 1 hour").check()
    page.get_by_label("Your buddy's name").fill("Bea Buddy")
    page.get_by_label("Your buddy's mobile number").fill("07700 900 982")
    page.get_by_label("Your buddy's email address").fill("bea@example.org")
    assert page.get_by_label("Carol Cooper: Birmingham Yardley").is_checked()  # her only candidacy, chosen for her
    page.get_by_label("alert the police adviser (FEOA) for my area").check()
    _thumb_sized(page.get_by_role("button", name="Start check-in"))
    page.get_by_role("button", name="Start check-in").click()
    page.wait_for_url("**/checkins/*/")
    checkin = CheckIn.objects.get()
    assert checkin.status == "active" and checkin.escalate_to_feoa and checkin.candidacy == world.candidates.yardley_1
    assert "Check-in started" in page.locator(".govuk-notification-banner").inner_text()
    assert page.get_by_role("button", name="Extend by 30 minutes").is_visible()
    _thumb_sized(page.get_by_role("button", name="I'm safe – check out"))
    assert_accessible(page)

    # Time moves on: the sweep runs at the first alert's due time, as the worker would.
    report = services.sweep(now=checkin.expected_end + services.grace())
    assert report.sent_by_stage == {"buddy": 2}
    assert mail.outbox[-1].to == ["bea@example.org"] and WHERE in mail.outbox[-1].body
    assert LocmemSMS.outbox[-1].to == "+447700900982"

    page.reload()
    assert "Overdue: your buddy has been alerted" in page.locator(".govuk-notification-banner").inner_text()
    assert page.get_by_role("button", name="Extend by 30 minutes").count() == 0  # too late to extend
    checkout = page.get_by_role("button", name="I'm safe – check out")
    _thumb_sized(checkout, above_the_fold=True)
    assert_accessible(page)

    checkout.tap()
    page.wait_for_selector("text=You have checked out")
    checkin.refresh_from_db()
    assert checkin.status == "checked_out"
    # The all-clear went to the buddy on both channels (the sweep enqueued on check-out).
    assert mail.outbox[-1].subject.startswith("Ballotguard: all clear") and "all clear" in LocmemSMS.outbox[-1].body
    assert_accessible(page)

    page.goto(f"{base}/checkins/")
    assert "Checked out safely" in page.content()
    assert_accessible(page)
    context.close()


def test_the_feoa_list_of_escalated_check_ins_is_accessible(world, live_server, browser):
    now = timezone.now()
    checkin = services.start(Actor(user=world.users.candidate), services.CheckInInput(
        where=WHERE, expected_end=now - dt.timedelta(hours=2), buddy_name="Bea", buddy_email="bea@example.org",
        escalate_to_feoa=True, candidacy_id=world.candidates.yardley_1.pk,
    ), now=now - dt.timedelta(hours=3))
    services.sweep()
    feoa = world.users.feoa_wmp
    device = TOTPDevice.objects.get(user=feoa)
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, feoa, PASSWORD, device)
    page.goto(f"{live_server.url}/checkins/escalated/")
    assert_accessible(page)
    page.get_by_role("link", name="Candidate-Carol Tester").click()
    page.wait_for_url(f"**/checkins/escalated/{checkin.pk}/")
    assert WHERE in page.content() and "bea@example.org" not in page.content()
    assert_accessible(page)
    context.close()
