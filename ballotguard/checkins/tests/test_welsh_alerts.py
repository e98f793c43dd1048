"""A check-in started on a Welsh page alerts the buddy in Welsh, by text and e-mail, and sends the
all-clear in Welsh; the police adviser's alert stays in English (issue 16)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import translation

from ballotguard.checkins import services
from ballotguard.checkins.notify import LocmemSMS

from .test_checkins import at, start

pytestmark = pytest.mark.django_db


def test_a_check_in_started_in_welsh_alerts_the_buddy_in_welsh(world):
    with translation.override("cy"):
        checkin = start(world)
    assert checkin.language == "cy"
    services.sweep(now=at(6, checkin))  # the buddy's first alert
    sms = LocmemSMS.outbox[-1].body
    assert "nid yw" in sms and "wedi gorffen eu gwiriad diogelwch" in sms and "ffoniwch 999" in sms
    assert "has not checked out" not in sms
    email = mail.outbox[-1]
    assert email.subject.startswith("Ballotguard: nid yw") and "Ble dywedon nhw eu bod yn mynd:" in email.body
    assert "Canvassing Church Road" in email.body  # where they went, as they typed it

    services.sweep(now=at(70, checkin))  # the FEOA stage: in English
    to_feoa = [m for m in mail.outbox if "escalated to you" in m.subject]
    assert to_feoa and "has not checked out of a safety check-in" in to_feoa[0].body

    services.check_out(services.Actor(user=world.users.candidate), checkin, now=at(71, checkin))
    services.sweep(now=at(72, checkin))
    assert "popeth yn iawn" in LocmemSMS.outbox[-1].body
    clear = [m for m in mail.outbox if "all clear" in m.subject or "popeth yn iawn" in m.subject]
    assert {("popeth yn iawn" in m.subject) for m in clear} == {True, False}  # buddy in Welsh, the FEOA in English


def test_a_check_in_started_in_english_stays_english(world):
    checkin = start(world)
    assert checkin.language == "en"
    services.sweep(now=at(6, checkin))
    assert "has not checked out of their safety check-in" in LocmemSMS.outbox[-1].body
