"""A FEOA works the outreach list, records a contact, creates a briefing and invites a whole council's
candidates; the candidate accepts the invitation on a phone. axe-core finds no serious or critical
violations on any of these pages."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ballotguard.outreach.models import ContactAttempt, Invitation
from ballotguard.registry.models import Candidate
from conftest import PASSWORD
from tests.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")




def test_feoa_outreach_and_candidate_answers_an_invitation(world, live_server, browser):
    carol = world.candidates.yardley_1  # handed over with consent in the fixture
    ward = world.candidates.ward_1
    Candidate.objects.filter(pk=ward.pk).update(handed_over_at=timezone.now() - dt.timedelta(days=3), consent_to_share=True)
    ward.refresh_from_db()
    ward.email = "erin.evans@example.org"  # handed over with a way to reach her (written with save: it is sealed)
    ward.save(update_fields=["email", "data_key"])
    feoa = world.users.feoa_wmp
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, feoa, PASSWORD, TOTPDevice.objects.get(user=feoa))

    page.get_by_role("link", name="Outreach", exact=True).first.click()
    page.wait_for_url("**/outreach/")
    rows = page.locator("table tbody tr")
    assert "Erin Evans" in rows.first.inner_text() and "E-mail" in rows.first.inner_text()  # the oldest hand-over first
    assert_accessible(page)
    page.goto(f"{live_server.url}/outreach/candidates/{carol.pk}/")
    assert_accessible(page)
    page.get_by_label("Phone", exact=True).check()
    page.get_by_label("Reached the candidate").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Record attempt").click()
    assert ContactAttempt.objects.filter(candidate=carol, outcome="reached").exists()

    page.goto(f"{live_server.url}/outreach/briefings/new/")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Create briefing").click()  # nothing filled in: GOV.UK errors, nothing saved
    assert page.locator(".govuk-error-summary").is_visible()
    assert_accessible(page)
    context.close()

    # The candidate, invited to a briefing, accepts it on a phone.
    from ballotguard.accounts.services import Actor
    from ballotguard.outreach import services

    briefing = services.create_briefing(Actor(user=feoa), force=world.forces.wmp, title="Safety briefing", kind="group",
                                        format="online", starts_at=timezone.now() + dt.timedelta(days=5), location="https://meet.example.org/x")
    services.invite(Actor(user=feoa), briefing, [carol])
    phone = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844})
    page = phone.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, world.users.candidate, PASSWORD)
    page.get_by_role("link", name="Your police adviser and briefing invitations").click()
    page.wait_for_url("**/your-police-adviser/")
    assert "999" in page.content() and "Safety briefing" in page.content()
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Accept the invitation to Safety briefing").click()
    assert Invitation.objects.get(briefing=briefing, candidate=carol).status == "accepted"
    phone.close()
