"""The safety companion: guidance and read receipts, safety plans, the civility pledge, pages and API."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client

from ballotguard.accounts.models import AuditEvent
from ballotguard.accounts.services import Actor
from ballotguard.engines.candidates.safety_plan import Campaigning, HomeAddress, PlanAnswers, Visibility
from ballotguard.registry.models import Candidate
from ballotguard.safety import services
from ballotguard.safety.models import PledgeSignature, ReadReceipt, SafetyPlan
from ballotguard.safety.services import NotPermitted

pytestmark = pytest.mark.django_db

TOPICS = {"personal-safety", "home-security", "online-safety", "lone-working", "public-events", "the-count", "handling-post", "reporting-routes"}
FORM = {"home_address": "published", "lives_alone": "yes", "children_at_home": "no", "public_office": "no",
        "online_visibility": "high", "campaigning": "alone", "past_incidents": "yes"}
API_PLAN = {"home_address": "published", "lives_alone": True, "children_at_home": False, "public_office": False,
            "online_visibility": "high", "campaigning": "alone", "past_incidents": True}


def answers(**change) -> PlanAnswers:
    base = dict(home_address=HomeAddress.WITHHELD, lives_alone=False, children_at_home=False, public_office=False,
                online_visibility=Visibility.LOW, campaigning=Campaigning.NEVER_ALONE, past_incidents=False)
    return PlanAnswers(**{**base, **change})


# ---------------------------------------------------------------------------------------------------
# The guidance library


def test_the_library_has_every_topic_each_a_useful_length_and_safe_to_render():
    library = services.library()
    assert set(library) >= TOPICS
    assert list(library)[0] == "reporting-routes"
    for doc in library.values():
        assert 250 <= doc.words <= 600, (doc.slug, doc.words)
        html = services.guidance_html(doc)
        assert "<script" not in html and "<h1" not in html and 'class="govuk-body"' in html
    routes = library["reporting-routes"].body
    assert "999" in routes and "101" in routes and "police.uk" in routes and "not a way to report a crime" in routes
    assert "Operation Bridger" in routes and "Operation Ford" in routes
    # Report Fraud replaced Action Fraud on 4 December 2025: send people to the current service.
    assert "Report Fraud" in routes and "reportfraud.police.uk" in routes and "0300 123 2040" in routes
    assert "actionfraud.police.uk" not in routes
    assert "home address form" in library["home-security"].body
    assert "two-step verification" in library["online-safety"].body


def test_every_slug_the_plan_links_to_exists():
    from ballotguard.engines.candidates.safety_plan import RULES

    assert {r.guidance_slug for r in RULES} <= set(services.library())


def test_marking_read_and_updated_since_you_read_it(world, client_as, monkeypatch):
    carol = world.users.candidate
    client = client_as(carol)
    page = client.get("/guidance/")
    assert page.status_code == 200 and "Not read" in page.content.decode()
    detail = client.get("/guidance/handling-post/")
    assert detail.status_code == 200 and 'class="govuk-heading-m"' in detail.content.decode() and "Mark as read" in detail.content.decode()
    response = client.post("/guidance/handling-post/read/")
    assert response.status_code == 302
    receipt = ReadReceipt.objects.get(user=carol, slug="handling-post")
    assert receipt.version == services.get_guidance("handling-post").version
    assert "You marked this as read" in client.get("/guidance/handling-post/").content.decode()
    # The guidance is revised: the reader sees that it changed since they read it.
    ReadReceipt.objects.filter(pk=receipt.pk).update(version=0)
    assert services.status_of(carol, services.get_guidance("handling-post")).state == "updated"
    assert "Updated since you read it" in client.get("/guidance/").content.decode()
    assert "has been updated since you read it" in client.get("/guidance/handling-post/").content.decode()
    assert client.get("/guidance/no-such-thing/").status_code == 404
    assert client.post("/guidance/no-such-thing/read/").status_code == 404


def test_who_may_read_and_mark_guidance(world, client_as):
    assert Client().get("/guidance/").status_code == 302  # sign in first
    feoa = client_as(world.users.feoa_wmp)
    assert feoa.get("/guidance/online-safety/").status_code == 200
    assert "Mark as read" not in feoa.get("/guidance/online-safety/").content.decode()
    assert feoa.post("/guidance/online-safety/read/").status_code == 403
    assert client_as(world.users.staff).post("/guidance/online-safety/read/").status_code == 302


def test_feoa_sees_who_has_read_what_in_their_force_and_the_read_is_audited(world, client_as):
    services.mark_read(Actor(world.users.candidate), "reporting-routes")
    services.save_plan(Actor(world.users.candidate), world.candidates.yardley_1, answers())
    page = client_as(world.users.feoa_wmp).get("/safety/candidates/")
    body = page.content.decode()
    assert page.status_code == 200 and "Carol Cooper" in body and "1 of 8" in body and "Personal safety basics" in body
    assert "Updated " in body  # the plan's date, never its answers
    event = AuditEvent.objects.get(actor=world.users.feoa_wmp, object_type="candidate", object_id=str(world.candidates.yardley_1.pk))
    assert event.action == "read" and "guidance_read" in event.fields
    assert "Carol Cooper" not in client_as(world.users.feoa_met).get("/safety/candidates/").content.decode()
    assert client_as(world.users.candidate).get("/safety/candidates/").status_code == 403
    assert client_as(world.users.analyst).get("/safety/candidates/").status_code == 403


# ---------------------------------------------------------------------------------------------------
# The safety plan


def test_candidate_fills_in_the_plan_and_sees_a_prioritised_checklist(world, client_as):
    carol = world.candidates.yardley_1
    client = client_as(world.users.candidate)
    assert client.get(f"/candidates/{carol.pk}/safety-plan/").url == f"/candidates/{carol.pk}/safety-plan/edit/"
    empty = client.post(f"/candidates/{carol.pk}/safety-plan/edit/", {})
    assert empty.status_code == 400
    assert "Select whether your home address is on the ballot paper" in empty.content.decode()
    assert "govuk-error-summary" in empty.content.decode()
    saved = client.post(f"/candidates/{carol.pk}/safety-plan/edit/", FORM)
    assert saved.status_code == 302
    page = client.get(saved.url).content.decode()
    assert page.index("Do this now") < page.index("Do this soon") < page.index("Good practice")
    assert page.index("Save 999, 101") < page.index("Keep your home address off the ballot paper") < page.index("Plan your arrival")
    assert "Print this plan" in page and "Ctrl+P" in page and "safety/print.js" in page and "safety/safety.css" in page
    assert "javascript:" not in page
    assert AuditEvent.objects.filter(object_type="safety_plan", action="create").count() == 1


def test_answers_are_encrypted_and_revisions_are_kept(world, client_as):
    carol = world.candidates.yardley_1
    staff = client_as(world.users.staff)  # delegated staff fill it in too
    assert staff.post(f"/candidates/{carol.pk}/safety-plan/edit/", FORM).status_code == 302
    prefilled = staff.get(f"/candidates/{carol.pk}/safety-plan/edit/").content.decode()
    assert re.search(r'value="published"[^>]*checked', prefilled) and re.search(r'name="lives_alone" value="yes"[^>]*checked', prefilled)
    assert staff.post(f"/candidates/{carol.pk}/safety-plan/edit/", {**FORM, "home_address": "withheld"}).status_code == 302
    assert list(SafetyPlan.objects.filter(candidate=carol).values_list("revision", flat=True)) == [2, 1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT answers FROM safety_safetyplan")
        stored = [row[0] for row in cursor.fetchall()]
    assert stored and all("lives_alone" not in s and "published" not in s for s in stored)
    current = staff.get(f"/candidates/{carol.pk}/safety-plan/").content.decode()
    assert "Keep your home address off the ballot paper" not in current and "Earlier versions" in current
    old = staff.get(f"/candidates/{carol.pk}/safety-plan/revisions/1/").content.decode()
    assert "Keep your home address off the ballot paper" in old and "It is not your current plan" in old
    assert staff.get(f"/candidates/{carol.pk}/safety-plan/revisions/9/").status_code == 404


def test_feoa_sees_that_a_plan_exists_but_not_its_answers_and_others_see_nothing(world, client_as):
    carol = world.candidates.yardley_1
    services.save_plan(Actor(world.users.candidate), carol, answers(lives_alone=True))
    feoa = client_as(world.users.feoa_wmp)
    page = feoa.get(f"/candidates/{carol.pk}/safety-plan/").content.decode()
    assert "has a personal safety plan" in page and "daily check-in" not in page and "live alone" not in page
    assert feoa.get(f"/candidates/{carol.pk}/safety-plan/edit/").status_code == 404
    for user in (world.users.feoa_met, world.users.analyst, world.users.admin, world.users.ro_birmingham):
        assert client_as(user).get(f"/candidates/{carol.pk}/safety-plan/").status_code == 404
    # Carol cannot open another candidate's plan.
    assert client_as(world.users.candidate).get(f"/candidates/{world.candidates.yardley_2.pk}/safety-plan/edit/").status_code == 404
    with pytest.raises(NotPermitted):
        services.save_plan(Actor(world.users.feoa_wmp), carol, answers())
    with pytest.raises(NotPermitted):
        services.read_plan(Actor(world.users.feoa_wmp), services.latest_plan(carol))


# ---------------------------------------------------------------------------------------------------
# The civility pledge


def test_candidate_signs_is_listed_publicly_and_withdraws(world, client_as):
    carol = world.candidates.yardley_1
    client = client_as(world.users.candidate)
    assert "Civil tone" in client.get(f"/candidates/{carol.pk}/pledge/").content.decode()
    refused = client.post(f"/candidates/{carol.pk}/pledge/", {"listed": "on"})
    assert refused.status_code == 400 and "Confirm that you agree" in refused.content.decode()
    assert client.post(f"/candidates/{carol.pk}/pledge/", {"agree": "on", "listed": "on"}).status_code == 302
    public = Client()
    listing = public.get("/pledge/parl.2024-07-04/").content.decode()
    assert "Carol Cooper" in listing and "Labour Party" in listing and "Birmingham Yardley" in listing
    assert "carol@example.org" not in listing and "B25" not in listing
    assert "UK Parliament general election 2024" in public.get("/pledge/").content.decode()
    # Off the list, still signed.
    assert client.post(f"/candidates/{carol.pk}/pledge/", {}).status_code == 302
    assert PledgeSignature.objects.get(candidate=carol, withdrawn_at__isnull=True).listed is False
    assert "Carol Cooper" not in public.get("/pledge/parl.2024-07-04/").content.decode()
    assert client.post(f"/candidates/{carol.pk}/pledge/withdraw/").status_code == 302
    assert services.signature_in_force(carol) is None and PledgeSignature.objects.filter(candidate=carol).count() == 1
    assert public.get("/pledge/no-such-election/").status_code == 404
    assert AuditEvent.objects.filter(object_type="pledge_signature").count() == 3


def test_only_the_candidate_signs(world, client_as):
    carol = world.candidates.yardley_1
    staff = client_as(world.users.staff)
    assert staff.get(f"/candidates/{carol.pk}/pledge/").status_code == 200
    assert staff.post(f"/candidates/{carol.pk}/pledge/", {"agree": "on"}).status_code == 403
    assert staff.post(f"/candidates/{carol.pk}/pledge/withdraw/").status_code == 403
    assert client_as(world.users.feoa_wmp).get(f"/candidates/{carol.pk}/pledge/").status_code == 404
    assert client_as(world.users.candidate).post(f"/candidates/{world.candidates.yardley_2.pk}/pledge/", {"agree": "on"}).status_code == 404


def test_the_candidate_hub(world, client_as):
    carol = world.candidates.yardley_1
    services.sign_pledge(Actor(world.users.candidate), carol, listed=True)
    page = client_as(world.users.candidate).get("/safety/").content.decode()
    assert "Not started" in page and "Signed on" in page and "listed publicly" in page and "0 of 8" in page
    assert client_as(world.users.feoa_wmp).get("/safety/").url == "/safety/candidates/"


# ---------------------------------------------------------------------------------------------------
# The API


def test_api_guidance_and_read_receipts(world, client_as):
    client = client_as(world.users.candidate)
    items = client.get("/api/v1/guidance").json()
    assert {i["slug"] for i in items} >= TOPICS and all(i["state"] == "unread" for i in items)
    read = client.post("/api/v1/guidance/the-count/read")
    assert read.status_code == 200 and read.json()["state"] == "read"
    detail = client.get("/api/v1/guidance/the-count").json()
    assert detail["state"] == "read" and "govuk-body" in detail["html"]
    assert client.get("/api/v1/guidance/nope").status_code == 404
    assert client.post("/api/v1/guidance/nope/read").status_code == 404
    assert client_as(world.users.feoa_wmp).post("/api/v1/guidance/the-count/read").status_code == 403
    assert Client().get("/api/v1/guidance").status_code == 401
    readership = client_as(world.users.feoa_wmp).get("/api/v1/guidance/readership").json()
    assert readership["count"] == 1 and readership["items"][0]["read"] == ["the-count"]
    assert client.get("/api/v1/guidance/readership").status_code == 403


def test_api_safety_plan(world, client_as):
    carol = world.candidates.yardley_1
    url = f"/api/v1/candidates/{carol.pk}/safety-plan"
    client = client_as(world.users.candidate)
    assert client.get(url).json() == {"candidate_id": carol.pk, "exists": False, "revision": None, "updated_at": None,
                                      "answers": None, "checklist": None, "revisions": []}
    bad = client.put(url, {**API_PLAN, "home_address": "maybe", "lives_alone": None}, content_type="application/json")
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["detail"]} == {"home_address", "lives_alone"}
    saved = client.put(url, API_PLAN, content_type="application/json")
    assert saved.status_code == 200, saved.content
    data = saved.json()
    assert data["revision"] == 1 and data["answers"] == API_PLAN
    assert data["checklist"][0]["id"] == "save-emergency-numbers"
    assert [i["priority"] for i in data["checklist"]] == sorted(i["priority"] for i in data["checklist"])
    assert client_as(world.users.staff).put(url, {**API_PLAN, "lives_alone": False}, content_type="application/json").json()["revision"] == 2
    feoa = client_as(world.users.feoa_wmp).get(url).json()
    assert feoa["exists"] and feoa["revision"] == 2 and feoa["answers"] is None and feoa["checklist"] is None
    assert client_as(world.users.feoa_wmp).put(url, API_PLAN, content_type="application/json").status_code == 403
    assert client_as(world.users.feoa_met).get(url).status_code == 404
    assert client_as(world.users.analyst).get(url).status_code == 403


def test_api_pledge(world, client_as):
    carol = world.candidates.yardley_1
    url = f"/api/v1/candidates/{carol.pk}/pledge"
    client = client_as(world.users.candidate)
    first = client.post(url, {"listed": True}, content_type="application/json")
    assert first.status_code == 201 and first.json()["signed"] and first.json()["listed"]
    assert client.post(url, {"listed": True}, content_type="application/json").status_code == 200
    assert client.post(url, {"listed": "perhaps"}, content_type="application/json").json()["detail"][0]["field"] == "listed"
    public = Client().get("/api/v1/pledge/parl.2024-07-04")
    assert public.status_code == 200
    assert public.json()["signatories"] == [{"name": "Carol Cooper", "party": "Labour Party", "area": "Birmingham Yardley"}]
    assert Client().get("/api/v1/pledge").json()[0]["signatories"] == 1
    assert Client().get("/api/v1/pledge/nope").status_code == 404
    assert client_as(world.users.staff).post(url, {"listed": True}, content_type="application/json").status_code == 403
    withdrawn = client.delete(url)
    assert withdrawn.status_code == 200 and withdrawn.json()["signed"] is False
    assert Client().get("/api/v1/pledge/parl.2024-07-04").json()["signatories"] == []
    assert client.post(f"/api/v1/candidates/{world.candidates.yardley_2.pk}/pledge", {}, content_type="application/json").status_code == 404


def test_one_signature_in_force_per_candidacy(world):
    carol = world.candidates.yardley_1
    actor = Actor(world.users.candidate)
    first, created = services.sign_pledge(actor, carol, listed=False)
    again, created_again = services.sign_pledge(actor, carol, listed=True)
    assert created and not created_again and first.pk == again.pk and again.listed
    services.withdraw_pledge(actor, carol)
    assert not services.withdraw_pledge(actor, carol)
    services.sign_pledge(actor, carol, listed=False)
    assert PledgeSignature.objects.filter(candidate=carol).count() == 2
    assert Candidate.objects.get(pk=carol.pk).pledge_signatures.filter(withdrawn_at__isnull=True).count() == 1


def test_the_openapi_schema_lists_the_safety_endpoints(db):
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/guidance", "/api/v1/guidance/{slug}/read", "/api/v1/candidates/{candidate_id}/safety-plan",
                 "/api/v1/candidates/{candidate_id}/pledge", "/api/v1/pledge/{election_id}"):
        assert path in paths, path
    assert "security" not in paths["/api/v1/pledge/{election_id}"]["get"]  # public
