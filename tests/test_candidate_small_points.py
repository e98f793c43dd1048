"""Issue 16, point 8, as candidates meet it: no "API tokens" in their menu, no raw ids on their record,
a check-in page that says what happened after checking out, and tappable phone numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ballotguard.accounts.services import Actor
from ballotguard.checkins import services as checkins

pytestmark = pytest.mark.django_db


def test_api_tokens_are_not_in_a_candidates_or_their_staffs_menu(world, client_as):
    for user in (world.users.candidate, world.users.staff):
        assert "API tokens" not in client_as(user).get("/").content.decode()
    for user in (world.users.feoa_wmp, world.users.ro_birmingham):
        assert "API tokens" in client_as(user).get("/").content.decode()


def test_a_candidate_sees_no_raw_ids_on_their_record_and_the_police_do(world, client_as):
    carol = world.candidates.yardley_1
    own = client_as(world.users.candidate).get(f"/candidates/{carol.pk}/").content.decode()
    assert "parl.birmingham-yardley.2024-07-04" not in own and "Democracy Club person ID" not in own
    police = client_as(world.users.feoa_wmp).get(f"/candidates/{carol.pk}/").content.decode()
    assert "parl.birmingham-yardley.2024-07-04" in police and "Democracy Club person ID" in police


def test_after_checking_out_the_page_no_longer_promises_a_future_alert(world, client_as):
    now = timezone.now()
    checkin = checkins.start(Actor(user=world.users.candidate), checkins.CheckInInput(
        where="Church Road", expected_end=now + dt.timedelta(hours=1), buddy_name="Bea", buddy_phone="07700 900 982",
        escalate_to_feoa=True, candidacy_id=world.candidates.yardley_1.pk,
    ), now=now)
    client = client_as(world.users.candidate)
    before = client.get(f"/checkins/{checkin.pk}/").content.decode()
    assert "if you still have not checked out" in before
    assert 'href="tel:+447700900982"' in before  # the buddy's number is tappable
    checkins.check_out(Actor(user=world.users.candidate), checkin)
    after = client.get(f"/checkins/{checkin.pk}/").content.decode()
    assert "if you still have not checked out" not in after and "if you have not checked out" not in after
    assert "Not alerted: you checked out in time" in after


def test_the_advisers_phone_number_is_tappable_on_the_candidates_home_page(world, client_as):
    adviser = world.users.feoa_wmp
    adviser.phone = "0121 496 0000"
    adviser.save(update_fields=["phone"])
    html = client_as(world.users.candidate).get("/").content.decode()
    assert 'href="tel:01214960000"' in html
