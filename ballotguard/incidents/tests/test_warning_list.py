"""The observables warning list: public values everyone meets never link incidents by themselves."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ballotguard.accounts.models import AuditEvent
from ballotguard.accounts.services import Actor
from ballotguard.incidents.models import IncidentEvent, IncidentLink, ObservableWarning
from ballotguard.incidents.services import warnings as warning_list
from ballotguard.registry.models import SocialHandle
from ballotguard.registry.services import NotPermitted

COMMONS = "020 7219 3000"


def test_defaults_are_shipped_by_the_migration(db):
    displays = set(ObservableWarning.objects.filter(source="default", retired_at__isnull=True).values_list("display", flat=True))
    assert "+44 20 7219 3000" in displays and "https://x.com/" in displays


def test_a_shipped_value_links_nothing_but_a_private_one_still_does(world, alice, file_report):
    carol = world.users.candidate
    a = file_report(carol, world.candidates.yardley_1, observables={"phone": f"{COMMONS}\n07700 900 982"})
    b = file_report(alice, world.candidates.clw_1, observables={"phone": "+442072193000"})
    assert not IncidentLink.objects.filter(first__in=[a, b], second__in=[a, b]).exists()
    c = file_report(alice, world.candidates.clw_1, observables={"phone": f"+447700900982\n{COMMONS}"})
    assert list(IncidentLink.objects.filter(first=a, second=c).values_list("kind", flat=True)) == ["phone"]  # the mobile, once


def test_a_candidates_own_handle_links_nothing(world, alice, file_report):
    SocialHandle.objects.create(candidate=world.candidates.yardley_1, platform="x", handle="carolforyardley")
    a = file_report(world.users.candidate, world.candidates.yardley_1, observables={"handle": "@CarolForYardley"})
    b = file_report(alice, world.candidates.clw_1, observables={"handle": "https://x.com/carolforyardley"})
    assert not IncidentLink.objects.filter(first__in=[a, b], second__in=[a, b]).exists()


def test_adding_a_value_removes_its_links_says_so_and_is_audited(world, alice, file_report):
    a = file_report(world.users.candidate, world.candidates.yardley_1, observables={"phone": "0121 496 0000", "handle": "@troll"})
    b = file_report(alice, world.candidates.clw_1, observables={"phone": "01214960000", "handle": "@troll"})
    assert IncidentLink.objects.filter(first=a, second=b).count() == 2
    admin = world.users.admin
    warning, removed = warning_list.add_warning(Actor(user=admin), "phone", "0121 496 0000", "Party's regional office, on every leaflet")
    assert removed == 1
    assert list(IncidentLink.objects.filter(first=a, second=b).values_list("kind", flat=True)) == ["handle"]  # the handle link stays
    for incident in (a, b):
        texts = [e.text for e in IncidentEvent.objects.filter(incident=incident, kind="linked")]
        assert any("warning list" in t for t in texts)
    assert AuditEvent.objects.filter(object_type="observable_warning", object_id=str(warning.pk), action="create").exists()
    # Reports naming it from now on are not linked by it either.
    c = file_report(alice, world.candidates.clw_1, observables={"phone": "+44 121 496 0000"})
    assert not IncidentLink.objects.filter(second=c, kind="phone").exists() and not IncidentLink.objects.filter(first=c, kind="phone").exists()


def test_retiring_a_value_matches_its_incidents_again(world, alice, file_report, django_capture_on_commit_callbacks):
    a = file_report(world.users.candidate, world.candidates.yardley_1, observables={"url": "https://www.gov.uk/"})
    b = file_report(alice, world.candidates.clw_1, observables={"url": "https://gov.uk"})
    assert not IncidentLink.objects.filter(first=a, second=b).exists()
    gov = ObservableWarning.objects.get(display="https://gov.uk/", retired_at__isnull=True)
    with django_capture_on_commit_callbacks(execute=True):
        warning_list.retire_warning(Actor(user=world.users.admin), gov.pk, "Testing retirement")
    assert IncidentLink.objects.filter(first=a, second=b, kind="url").exists()


def test_only_administrators_keep_the_list(world):
    for user in (world.users.feoa_met, world.users.analyst, world.users.candidate):
        with pytest.raises(NotPermitted):
            warning_list.add_warning(Actor(user=user), "phone", "0121 496 0001", "why")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "phone", "value": "banana", "reason": "x"}, "value"),
        ({"kind": "description", "value": "tall man", "reason": "x"}, "kind"),
        ({"kind": "url", "value": "https://x.com/", "reason": "again"}, "value"),  # already on the list
        ({"kind": "url", "value": "https://example.org/", "reason": ""}, "reason"),
    ],
)
def test_the_page_refuses_bad_entries_naming_the_field(world, client_as, data, field):
    before = ObservableWarning.objects.count()
    response = client_as(world.users.admin).post(reverse("incidents:warning-list"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body and f'href="#id_{field}' in body
    assert ObservableWarning.objects.count() == before


def test_an_administrator_adds_and_retires_through_the_pages(world, client_as):
    client = client_as(world.users.admin)
    response = client.post(reverse("incidents:warning-list"), {"kind": "email", "value": "Info@Party.example", "reason": "Head office inbox"}, follow=True)
    assert response.status_code == 200 and "info@party.example" in response.content.decode().lower()
    warning = ObservableWarning.objects.get(value="info@party.example", retired_at__isnull=True)
    page = client.get(reverse("incidents:warning-retire", args=[warning.pk]))
    assert page.status_code == 200
    assert client.post(reverse("incidents:warning-retire", args=[warning.pk]), {"reason": ""}).status_code == 400
    client.post(reverse("incidents:warning-retire", args=[warning.pk]), {"reason": "Party closed that inbox"})
    warning.refresh_from_db()
    assert warning.retired_at and warning.retired_reason == "Party closed that inbox"
    assert client.get(reverse("incidents:warning-retire", args=[warning.pk])).status_code == 404


def test_advisers_read_the_list_and_see_warned_details_on_the_case(world, client_as, alice, file_report):
    a = file_report(world.users.candidate, world.candidates.yardley_1, observables={"phone": COMMONS})
    feoa = client_as(world.users.feoa_wmp)
    assert "Add to the warning list" not in feoa.get(reverse("incidents:warning-list")).content.decode()
    assert feoa.post(reverse("incidents:warning-list"), {"kind": "phone", "value": "0121 496 0002", "reason": "x"}).status_code == 403
    case = feoa.get(reverse("incidents:detail", args=[a.reference])).content.decode()
    assert "On the warning list" in case
    # The candidate's own page does not mark it: the list is the advisers' business.
    assert "On the warning list" not in client_as(world.users.candidate).get(reverse("incidents:detail", args=[a.reference])).content.decode()


def test_the_api_lists_adds_and_retires(world, client_as):
    admin = client_as(world.users.admin)
    listed = admin.get("/api/v1/observable-warnings").json()
    assert any(w["display"] == "https://x.com/" for w in listed)
    bad = admin.post("/api/v1/observable-warnings", {"kind": "phone", "value": "nope", "reason": "x"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "value"
    made = admin.post("/api/v1/observable-warnings", {"kind": "phone", "value": "0121 496 0003", "reason": "Council switchboard"}, content_type="application/json")
    assert made.status_code == 201 and made.json()["links_removed"] == 0
    wid = made.json()["warning"]["id"]
    assert admin.post(f"/api/v1/observable-warnings/{wid}/retire", {"reason": ""}, content_type="application/json").status_code == 422
    done = admin.post(f"/api/v1/observable-warnings/{wid}/retire", {"reason": "Wrong number"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["retired_at"]
    assert admin.post(f"/api/v1/observable-warnings/{wid}/retire", {"reason": "again"}, content_type="application/json").status_code == 404
    assert any(w["id"] == wid for w in admin.get("/api/v1/observable-warnings?retired=true").json())
    feoa = client_as(world.users.feoa_met)
    assert feoa.get("/api/v1/observable-warnings").status_code == 200
    assert feoa.post("/api/v1/observable-warnings", {"kind": "phone", "value": "0121 496 0004", "reason": "x"}, content_type="application/json").status_code == 403
