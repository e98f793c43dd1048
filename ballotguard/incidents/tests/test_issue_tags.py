"""Issue tags: the optional 'what was it about' on a report, which the Taskforce's trends break down by."""

from __future__ import annotations

import pytest

from ballotguard.incidents.models import Incident

from .test_api import body, post

pytestmark = pytest.mark.django_db


def test_issue_tags_are_stored_in_vocabulary_order_and_read_back(world, client_as):
    carol = client_as(world.users.candidate)
    response = post(carol, body(world.candidates.yardley_1, issue_tags=["immigration", "middle_east_conflict"]))
    assert response.status_code == 201, response.json()
    incident = Incident.objects.get(reference=response.json()["reference"])
    assert incident.issue_tags == ["middle_east_conflict", "immigration"]
    assert incident.issue_tag_labels == ["The conflict in Israel and Gaza", "Immigration or asylum"]
    assert carol.get(response.json()["url"]).json()["issue_tags"] == ["middle_east_conflict", "immigration"]


def test_an_unknown_issue_tag_is_a_field_error_and_nothing_is_stored(world, client_as):
    carol = client_as(world.users.candidate)
    response = post(carol, body(world.candidates.yardley_1, issue_tags=["football"]))
    assert response.status_code == 422
    assert any(e["field"].startswith("issue_tags") for e in response.json()["detail"])
    assert not Incident.objects.exists()


def test_the_report_form_offers_issue_tags(world, client_as):
    page = client_as(world.users.candidate).get("/incidents/report/")
    assert page.status_code == 200
    assert b"Did it seem to be about a political issue? (optional)" in page.content
    assert b'value="climate_and_net_zero"' in page.content
