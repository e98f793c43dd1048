"""Separation of duties: one administrator proposes, a second person approves, nothing else changes
who may see police data (issue 14)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from ballotguard.accounts import access
from ballotguard.accounts.models import AccessChange, AuditEvent, User
from ballotguard.accounts.services import Actor
from ballotguard.registry.models import Delegation
from conftest import make_user, signed_in_client


@pytest.fixture
def admin2(world):
    return make_user("admin-two", "admin")


def _grant_feoa(world, username="new-feoa", force=None, **kw):
    return access.Grant(username=username, role="feoa", forces=(force or world.forces.wmp,), email=f"{username}@police.example",
                        first_name="New", last_name="Adviser", **kw)


def test_one_administrator_cannot_create_a_police_adviser_alone(world, admin2, django_capture_on_commit_callbacks):
    admin = world.users.admin
    with django_capture_on_commit_callbacks(execute=True):
        change = access.propose_grant(Actor(user=admin), _grant_feoa(world), "new starter in the West Midlands")
    assert not User.objects.filter(username="new-feoa").exists()
    with pytest.raises(access.AccessChangeError, match="second person"):
        access.approve(Actor(user=admin), change)
    assert not User.objects.filter(username="new-feoa").exists()
    # The force is told of the proposal once it is committed (the test settings run tasks immediately).
    assert any("West Midlands" in m.subject and "proposed" in m.subject for m in mail.outbox)

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        change = access.approve(Actor(user=admin2), change)
    assert change.status == AccessChange.Status.APPROVED
    user = User.objects.get(username="new-feoa")
    assert user.role == "feoa" and list(user.police_forces.all()) == [world.forces.wmp]
    assert not user.has_usable_password()  # only the invitation sets it
    invitation = [m for m in mail.outbox if m.to == ["new-feoa@police.example"]]
    assert len(invitation) == 1 and "/account/set-password/" in invitation[0].body
    assert any("approved" in m.subject for m in mail.outbox if "feoa-wmp@example.org" in m.to)
    details = list(AuditEvent.objects.filter(object_type="access_change", object_id=str(change.pk)).values_list("actor_username", "detail"))
    assert ("admin", details[-1][1]) == details[-1] and details[-1][1].startswith("proposed")
    assert ("admin-two", "approved as administrator") in details

    # The invitation sets a password; then sign-in asks for a second factor like any FEOA.
    link = re.search(r"(/account/set-password/\S+)", invitation[0].body).group(1)
    client = Client()
    response = client.get(link, follow=True)
    response = client.post(response.redirect_chain[-1][0], {"new_password1": "a-long-new-passphrase-9", "new_password2": "a-long-new-passphrase-9"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-long-new-passphrase-9")


def test_a_forces_lead_feoa_approves_police_changes_once_one_exists(world, admin2):
    lead = world.users.feoa_wmp
    lead.is_force_lead = True
    lead.save(update_fields=["is_force_lead"])
    change = access.propose_grant(Actor(user=world.users.admin), _grant_feoa(world), "new starter")
    assert access.outstanding_approvals(change) == [world.forces.wmp]
    with pytest.raises(access.AccessChangeError, match="lead FEOA of West Midlands"):
        access.approve(Actor(user=admin2), change)
    with pytest.raises(access.AccessChangeError):
        access.approve(Actor(user=world.users.feoa_met), change)  # another force's adviser
    access.approve(Actor(user=lead), change)
    assert User.objects.get(username="new-feoa").police_forces.get() == world.forces.wmp


def test_moving_an_adviser_between_forces_needs_both_forces_leads(world):
    world.users.feoa_wmp.is_force_lead = True
    world.users.feoa_wmp.save()
    world.users.feoa_city.is_force_lead = True
    world.users.feoa_city.save()
    met_adviser = make_user("met-two", "feoa", forces=[world.forces.met])
    change = access.propose_grant(Actor(user=world.users.admin), access.Grant(username="met-two", role="feoa", forces=(world.forces.wmp,)), "transfer")
    # Met has no lead (so is not listed), West Midlands has: only its lead can approve.
    assert access.outstanding_approvals(change) == [world.forces.wmp]
    access.approve(Actor(user=world.users.feoa_wmp), change)
    assert list(met_adviser.police_forces.all()) == [world.forces.wmp]

    change = access.propose_grant(Actor(user=world.users.admin), access.Grant(username="met-two", role="feoa", forces=(world.forces.city,)), "transfer")
    assert set(access.outstanding_approvals(change)) == {world.forces.wmp, world.forces.city}
    access.approve(Actor(user=world.users.feoa_city), change)
    assert AccessChange.objects.get(pk=change.pk).status == AccessChange.Status.PENDING
    access.approve(Actor(user=world.users.feoa_wmp), change)
    assert list(met_adviser.police_forces.all()) == [world.forces.city]


def test_candidate_links_and_delegations_need_a_second_administrator(world, admin2):
    admin = world.users.admin
    newcomer = make_user("candidate-dan", "candidate")
    change = access.propose_candidate_access(Actor(user=admin), AccessChange.Kind.LINK_CANDIDATE, world.candidates.yardley_2, "candidate-dan", "asked to be linked")
    with pytest.raises(access.AccessChangeError):
        access.approve(Actor(user=admin), change)
    with pytest.raises(access.AccessChangeError):
        access.approve(Actor(user=world.users.feoa_wmp), change)  # not a lead, and not a police change
    access.approve(Actor(user=admin2), change)
    world.candidates.yardley_2.refresh_from_db()
    assert world.candidates.yardley_2.user == newcomer

    change = access.propose_candidate_access(Actor(user=admin), AccessChange.Kind.END_DELEGATION, world.candidates.yardley_1, "staff-sam", "left the campaign")
    access.reject(Actor(user=admin2), change, "the candidate has not asked for this")
    assert Delegation.objects.filter(staff=world.users.staff).exists()
    with pytest.raises(access.AccessChangeError, match="already"):
        access.approve(Actor(user=admin2), change)


@pytest.mark.parametrize("grant, field", [
    (dict(role="feoa", forces=()), "forces"),
    (dict(role="analyst", is_force_lead=True), "is_force_lead"),
    (dict(role="returning_officer"), "council"),
    (dict(role="candidate", email=""), "email"),
])
def test_bad_proposals_name_the_field(world, grant, field):
    base = dict(username="someone-new", email="x@example.org")
    base.update(grant)
    with pytest.raises(access.AccessChangeError) as exc:
        access.propose_grant(Actor(user=world.users.admin), access.Grant(**base), "why")
    assert exc.value.field == field


def test_only_administrators_propose_and_nobody_approves_a_change_about_themselves(world, admin2):
    with pytest.raises(access.AccessChangeError):
        access.propose_grant(Actor(user=world.users.feoa_wmp), _grant_feoa(world), "why")
    with pytest.raises(access.AccessChangeError, match="your own"):
        access.propose_grant(Actor(user=world.users.admin), access.Grant(username="admin", role="feoa", forces=(world.forces.wmp,)), "why")
    change = access.propose_grant(Actor(user=world.users.admin), access.Grant(username="admin-two", role="feoa", forces=(world.forces.wmp,)), "why")
    with pytest.raises(access.AccessChangeError, match="about you"):
        access.approve(Actor(user=admin2), change)


# ---------------------------------------------------------------------------------------------------
# Deactivating and reactivating a user


def test_deactivating_a_user_needs_a_second_person_and_ends_their_sessions_and_tokens(world, admin2, django_capture_on_commit_callbacks):
    from ballotguard.accounts.models import ApiToken

    analyst = world.users.analyst
    _token, secret = ApiToken.issue(analyst, "script")
    session = signed_in_client(analyst)
    assert session.get("/api/v1/me").status_code == 200
    admin = world.users.admin
    change = access.propose_activation(Actor(user=admin), analyst.username, active=False, reason="left the Taskforce")
    assert change.kind == AccessChange.Kind.DEACTIVATE and access.outstanding_approvals(change) == [None]
    with pytest.raises(access.AccessChangeError, match="second person"):
        access.approve(Actor(user=admin), change)
    with pytest.raises(access.AccessChangeError, match="about you"):
        access.approve(Actor(user=analyst), change)
    assert User.objects.get(pk=analyst.pk).is_active  # nothing applied yet

    access.approve(Actor(user=admin2), change)
    assert not User.objects.get(pk=analyst.pk).is_active
    assert session.get("/api/v1/me").status_code == 401  # the signed-in session ends at its next request
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    applied = AuditEvent.objects.get(object_type="user", object_id=str(analyst.pk), action="update")
    assert applied.actor_username == "admin-two" and applied.detail == f"deactivated by {change.reference}" and "is_active" in applied.fields

    with pytest.raises(access.AccessChangeError, match="already deactivated"):
        access.propose_activation(Actor(user=admin), analyst.username, active=False, reason="again")
    back = access.propose_activation(Actor(user=admin2), analyst.username, active=True, reason="rejoined")
    with pytest.raises(access.AccessChangeError, match="already waiting"):
        access.propose_activation(Actor(user=admin), analyst.username, active=True, reason="twice")
    access.approve(Actor(user=admin), back)
    assert User.objects.get(pk=analyst.pk).is_active and back.kind == AccessChange.Kind.REACTIVATE


def test_deactivating_an_adviser_is_approved_by_their_forces_lead_and_the_force_is_told(world, admin2, django_capture_on_commit_callbacks):
    lead = make_user("wmp-lead", "feoa", forces=[world.forces.wmp])
    lead.is_force_lead = True
    lead.save(update_fields=["is_force_lead"])
    adviser = world.users.feoa_wmp
    with django_capture_on_commit_callbacks(execute=True):
        change = access.propose_activation(Actor(user=world.users.admin), adviser.username, active=False, reason="account compromised")
    assert access.outstanding_approvals(change) == [world.forces.wmp]
    assert any("West Midlands" in m.subject and "proposed" in m.subject for m in mail.outbox)
    with pytest.raises(access.AccessChangeError, match="lead FEOA of West Midlands"):
        access.approve(Actor(user=admin2), change)  # two administrators cannot remove a force's adviser
    access.approve(Actor(user=lead), change)
    assert not User.objects.get(pk=adviser.pk).is_active


@pytest.mark.parametrize("username, field, message", [
    ("admin", "username", "your own access"), ("nobody-by-this-name", "username", "no user with this username"),
    ("analyst", "username", "already active"),
])
def test_bad_activation_proposals_name_the_field(world, username, field, message):
    with pytest.raises(access.AccessChangeError, match=message) as exc:
        access.propose_activation(Actor(user=world.users.admin), username, active=username == "analyst", reason="r")
    assert exc.value.field == field
    with pytest.raises(access.AccessChangeError, match="Only an administrator"):
        access.propose_activation(Actor(user=world.users.feoa_wmp), "analyst", active=False, reason="r")


def test_pages_and_api_propose_and_approve_a_deactivation(world, admin2):
    analyst = world.users.analyst
    client = signed_in_client(world.users.admin)
    assert "Propose deactivating or reactivating a user" in client.get("/access/").content.decode()
    missing = client.post("/access/propose/activation", {"username": analyst.username, "change": "deactivate"})
    assert missing.status_code == 200 and 'href="#id_reason"' in missing.content.decode() and not AccessChange.objects.exists()
    already = client.post("/access/propose/activation", {"username": analyst.username, "change": "reactivate", "reason": "r"})
    assert "This user is already active" in already.content.decode() and not AccessChange.objects.exists()
    response = client.post("/access/propose/activation", {"username": analyst.username, "change": "deactivate", "reason": "left"})
    assert response.status_code == 302
    change = AccessChange.objects.get()
    page = client.get(f"/access/{change.pk}/").content.decode()
    assert "Deactivate a user" in page and 'value="approve"' not in page
    assert client.post(f"/access/{change.pk}/", {"decision": "approve"}).status_code == 200  # refused: a second person
    assert User.objects.get(pk=analyst.pk).is_active
    assert signed_in_client(admin2).post(f"/access/{change.pk}/", {"decision": "approve"}).status_code == 302
    assert not User.objects.get(pk=analyst.pk).is_active
    assert signed_in_client(world.users.feoa_wmp).get("/access/propose/activation").status_code == 403

    api = signed_in_client(admin2)
    response = api.post("/api/v1/access-changes/activation", {"username": analyst.username, "active": True, "reason": "back"},
                        content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "reactivate" and body["status"] == "pending" and body["outstanding"] == ["administrator"]
    response = api.post(f"/api/v1/access-changes/{body['id']}/approve", {}, content_type="application/json")
    assert response.status_code == 403 and "second person" in response.json()["detail"]
    assert not User.objects.get(pk=analyst.pk).is_active
    response = client.post(f"/api/v1/access-changes/{body['id']}/approve", {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert User.objects.get(pk=analyst.pk).is_active
    wrong = api.post("/api/v1/access-changes/activation", {"username": "nobody-by-this-name", "active": False, "reason": "r"},
                     content_type="application/json")
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["field"] == "username"
    refused = signed_in_client(world.users.analyst).post("/api/v1/access-changes/activation", {"username": "admin-two", "active": False,
                                                                                             "reason": "r"}, content_type="application/json")
    assert refused.status_code == 403 and User.objects.get(pk=admin2.pk).is_active


# ---------------------------------------------------------------------------------------------------
# Suspending: one person removes access at once


def _lead_of(world, force, username):
    lead = make_user(username, "feoa", forces=[force])
    lead.is_force_lead = True
    lead.save(update_fields=["is_force_lead"])
    return lead


def test_a_lead_feoa_suspends_their_adviser_at_once_and_the_session_and_token_stop_for_good(world, admin2, django_capture_on_commit_callbacks):
    from ballotguard.accounts.models import ApiToken

    lead = _lead_of(world, world.forces.wmp, "wmp-lead")
    adviser = world.users.feoa_wmp
    _token, secret = ApiToken.issue(adviser, "case system")
    session = signed_in_client(adviser)
    assert session.get("/api/v1/me").status_code == 200
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        change = access.suspend(Actor(user=lead), adviser.username, "laptop stolen at 11pm")
    # Applied by one person, at once: no approval waits.
    assert change.kind == AccessChange.Kind.SUSPEND and change.status == AccessChange.Status.APPROVED
    assert change.proposed_by == lead and change.decided_by == lead and change.reason == "laptop stolen at 11pm"
    assert not User.objects.get(pk=adviser.pk).is_active
    assert session.get("/api/v1/me").status_code == 401
    assert session.get("/").status_code == 302  # a page sends them to sign in
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    details = set(AuditEvent.objects.filter(object_type="user", object_id=str(adviser.pk)).values_list("actor_username", "detail"))
    assert ("wmp-lead", f"suspended by {change.reference}") in details
    assert ("wmp-lead", "1 session(s) ended, 1 API token(s) revoked") in details
    assert AuditEvent.objects.filter(object_type="access_change", object_id=str(change.pk), detail__startswith="suspended at once").exists()
    told = [m for m in mail.outbox if change.reference in m.subject]
    assert told and "West Midlands" in told[0].subject and "approve or reject" not in told[0].body
    assert change in access.notices_for(world.users.feoa_wmp) and change in access.changes_visible_to(lead)

    # Bringing them back is the two-person reactivation, not blocked by the suspension record; and
    # the stolen session and token stay dead after it.
    back = access.propose_activation(Actor(user=world.users.admin), adviser.username, active=True, reason="new laptop issued")
    assert access.outstanding_approvals(back) == [world.forces.wmp]
    with pytest.raises(access.AccessChangeError, match="lead FEOA of West Midlands"):
        access.approve(Actor(user=admin2), back)
    assert not User.objects.get(pk=adviser.pk).is_active
    access.approve(Actor(user=lead), back)
    assert User.objects.get(pk=adviser.pk).is_active
    assert session.get("/api/v1/me").status_code == 401
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    assert signed_in_client(User.objects.get(pk=adviser.pk)).get("/api/v1/me").status_code == 200  # a fresh sign-in works


def test_an_administrator_suspends_anyone_but_themselves_and_a_waiting_deactivation_is_closed(world, admin2):
    analyst = world.users.analyst
    waiting = access.propose_activation(Actor(user=admin2), analyst.username, active=False, reason="leaving next month")
    change = access.suspend(Actor(user=world.users.admin), analyst.username, "account used from abroad")
    assert not User.objects.get(pk=analyst.pk).is_active and change.affected_forces.count() == 0
    waiting.refresh_from_db()
    assert waiting.status == AccessChange.Status.REJECTED and change.reference in waiting.decision_note
    access.propose_activation(Actor(user=admin2), analyst.username, active=True, reason="cleared")  # nothing blocks it
    access.suspend(Actor(user=world.users.admin), admin2.username, "admin laptop stolen")
    assert not User.objects.get(pk=admin2.pk).is_active


@pytest.mark.parametrize("username, reason, field, message", [
    ("admin", "r", "username", "cannot suspend yourself"),
    ("nobody-by-this-name", "r", "username", "no user with this username"),
    ("analyst", "  ", "reason", "Enter why"),
])
def test_bad_suspensions_name_the_field(world, username, reason, field, message):
    with pytest.raises(access.AccessChangeError, match=message) as exc:
        access.suspend(Actor(user=world.users.admin), username, reason)
    assert exc.value.field == field and User.objects.filter(is_active=False).count() == 0


def test_who_may_not_suspend(world):
    adviser = world.users.feoa_wmp
    met_lead = _lead_of(world, world.forces.met, "met-lead")
    wmp_lead = _lead_of(world, world.forces.wmp, "wmp-lead")
    for who, target in ((world.users.feoa_met, adviser.username),  # an adviser who is not a lead
                        (met_lead, adviser.username),  # the lead of another force
                        (met_lead, "nobody-by-this-name"),  # ...who learns nothing by trying names
                        (wmp_lead, world.users.analyst.username),  # a lead, for someone who is not their force's adviser
                        (world.users.candidate, adviser.username), (world.users.analyst, adviser.username)):
        with pytest.raises(access.AccessChangeError) as exc:
            access.suspend(Actor(user=who), target, "r")
        assert exc.value.field == "", (who.username, target)
    with pytest.raises(access.AccessChangeError, match="yourself"):
        access.suspend(Actor(user=wmp_lead), wmp_lead.username, "r")
    access.suspend(Actor(user=wmp_lead), adviser.username, "phone stolen")
    with pytest.raises(access.AccessChangeError, match="already deactivated"):
        access.suspend(Actor(user=world.users.admin), adviser.username, "again")
    assert User.objects.filter(is_active=False).count() == 1 and AccessChange.objects.count() == 1


def test_page_suspends_now_with_a_warning(world):
    client = signed_in_client(world.users.admin)
    assert 'href="/access/suspend"' in client.get("/access/").content.decode()
    page = client.get("/access/suspend?username=analyst").content.decode()
    assert "govuk-warning-text" in page and "govuk-button--warning" in page and "Suspend now" in page and 'value="analyst"' in page
    missing = client.post("/access/suspend", {"username": "analyst"})
    assert missing.status_code == 200 and 'href="#id_reason"' in missing.content.decode() and not AccessChange.objects.exists()
    wrong = client.post("/access/suspend", {"username": "nobody-by-this-name", "reason": "r"})
    assert 'href="#id_username"' in wrong.content.decode() and "There is no user with this username" in wrong.content.decode()
    response = client.post("/access/suspend", {"username": "analyst", "reason": "laptop stolen"})
    change = AccessChange.objects.get()
    assert response.status_code == 302 and response.url == f"/access/{change.pk}/"
    assert not User.objects.get(username="analyst").is_active
    page = client.get(f"/access/{change.pk}/").content.decode()
    assert "Suspend a user at once" in page and "laptop stolen" in page and 'value="approve"' not in page
    history = client.get("/access/").content.decode()
    assert change.reference in history and "Suspend a user at once" in history

    for user in (world.users.feoa_met, world.users.candidate, world.users.ro_westminster):
        assert signed_in_client(user).get("/access/suspend").status_code == 403
        assert signed_in_client(user).post("/access/suspend", {"username": "feoa-wmp", "reason": "r"}).status_code == 403
    met_lead = _lead_of(world, world.forces.met, "met-lead")
    lead = signed_in_client(met_lead)
    assert "suspend an adviser now" in lead.get("/").content.decode()
    refused = lead.post("/access/suspend", {"username": "feoa-wmp", "reason": "r"})
    assert refused.status_code == 200 and "only the FEOAs of your own force" in refused.content.decode()
    assert lead.post("/access/suspend", {"username": "feoa-met", "reason": "r"}).status_code == 302
    assert User.objects.filter(is_active=False).count() == 2


def test_api_suspends_now(world):
    from ballotguard.accounts.models import ApiToken

    _token, secret = ApiToken.issue(world.users.admin, "script")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = api.post("/api/v1/access-changes/suspension", {"username": "analyst", "reason": "laptop stolen"}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "suspend" and body["status"] == "approved" and body["outstanding"] == [] and body["decided_by"] == "admin"
    assert not User.objects.get(username="analyst").is_active
    for payload, field in (({"username": "nobody-by-this-name", "reason": "r"}, "username"), ({"username": "admin", "reason": "r"}, "username"),
                           ({"username": "feoa-wmp", "reason": " "}, "reason"), ({"username": "feoa-wmp"}, "reason")):
        response = api.post("/api/v1/access-changes/suspension", payload, content_type="application/json")
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == field, (payload, response.content)

    met_lead = _lead_of(world, world.forces.met, "met-lead")
    lead = signed_in_client(met_lead)
    response = lead.post("/api/v1/access-changes/suspension", {"username": "feoa-wmp", "reason": "r"}, content_type="application/json")
    assert response.status_code == 403 and "own force" in response.json()["detail"]
    for user in (world.users.feoa_met, world.users.candidate):  # not a lead; not police: refused before the input is read
        response = signed_in_client(user).post("/api/v1/access-changes/suspension", {}, content_type="application/json")
        assert response.status_code == 403
    assert User.objects.get(username="feoa-wmp").is_active
    response = lead.post("/api/v1/access-changes/suspension", {"username": "feoa-met", "reason": "phone lost"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["affected_forces"] == [world.forces.met.code]


# ---------------------------------------------------------------------------------------------------
# Pages and API


def test_pages_propose_and_approve(world, admin2):
    client = signed_in_client(world.users.admin)
    response = client.post("/access/propose/user", {"username": "new-ro", "email": "ro@council.example", "role": "returning_officer",
                                                    "council": "E08000025", "reason": "new returning officer"})
    assert response.status_code == 302
    change = AccessChange.objects.get()
    page = client.get(f"/access/{change.pk}/").content.decode()
    assert "another administrator" in page and 'value="approve"' not in page
    response = client.post(f"/access/{change.pk}/", {"decision": "approve"})
    assert response.status_code == 200 and "a second person must approve" in response.content.decode()

    other = signed_in_client(admin2)
    assert 'value="approve"' in other.get(f"/access/{change.pk}/").content.decode()
    assert other.post(f"/access/{change.pk}/", {"decision": "approve"}).status_code == 302
    assert User.objects.get(username="new-ro").council == world.areas.birmingham


def test_proposal_form_errors_name_the_field(world):
    client = signed_in_client(world.users.admin)
    response = client.post("/access/propose/user", {"username": "x", "role": "feoa", "reason": "r", "email": "x@example.org"})
    assert response.status_code == 200
    assert 'href="#id_forces_0"' in response.content.decode()
    assert "Select the police force or forces of the FEOA" in response.content.decode()
    assert not AccessChange.objects.exists()


def test_access_pages_are_for_administrators_and_lead_feoas(world):
    for user in (world.users.feoa_wmp, world.users.analyst, world.users.candidate, world.users.ro_birmingham):
        assert signed_in_client(user).get("/access/").status_code == 403
    world.users.feoa_wmp.is_force_lead = True
    world.users.feoa_wmp.save()
    assert signed_in_client(world.users.feoa_wmp).get("/access/").status_code == 200
    assert signed_in_client(world.users.feoa_wmp).get("/access/propose/user").status_code == 403


def test_api_propose_and_approve(world, admin2):
    client = signed_in_client(world.users.admin)
    response = client.post("/api/v1/access-changes/grants", {"username": "new-analyst", "role": "analyst", "email": "a@example.org",
                                                             "reason": "joins the Taskforce"}, content_type="application/json")
    assert response.status_code == 201, response.content
    change_id = response.json()["id"]
    assert response.json()["outstanding"] == ["administrator"]
    response = client.post(f"/api/v1/access-changes/{change_id}/approve", {}, content_type="application/json")
    assert response.status_code == 403 and "second person" in response.json()["detail"]
    response = signed_in_client(admin2).post(f"/api/v1/access-changes/{change_id}/approve", {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert User.objects.get(username="new-analyst").role == "analyst"

    response = client.post("/api/v1/access-changes/grants", {"username": "y", "role": "feoa", "forces": ["E99999999"], "email": "y@example.org",
                                                             "reason": "r"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "forces"
    response = client.post("/api/v1/access-changes/99999999999/approve", {}, content_type="application/json")
    assert response.status_code == 422


# ---------------------------------------------------------------------------------------------------
# Django admin is read-only for who may see what, and never shows a TOTP secret


def test_django_admin_cannot_grant_access_or_set_passwords(world):
    client = signed_in_client(world.users.admin)
    feoa = world.users.feoa_wmp
    assert client.get("/django-admin/accounts/user/add/").status_code == 403
    response = client.post("/django-admin/accounts/user/add/", {"username": "sneaky", "password1": "x-Very-long-1", "password2": "x-Very-long-1", "role": "feoa"})
    assert response.status_code == 403 and not User.objects.filter(username="sneaky").exists()
    page = client.get(f"/django-admin/accounts/user/{feoa.pk}/change/")
    assert page.status_code == 200 and b'name="role"' not in page.content and b"argon2" not in page.content
    response = client.post(f"/django-admin/accounts/user/{feoa.pk}/change/", {"username": feoa.username, "role": "admin"})
    assert response.status_code == 403
    response = client.get(f"/django-admin/accounts/user/{feoa.pk}/password/", follow=True)
    assert b'name="password1"' not in response.content
    response = client.post(f"/django-admin/accounts/user/{feoa.pk}/password/", {"password1": "x-Very-long-1", "password2": "x-Very-long-1"})
    feoa.refresh_from_db()
    assert not feoa.check_password("x-Very-long-1")
    for path in ("/django-admin/registry/delegation/add/", "/django-admin/registry/policeforce/add/",
                 f"/django-admin/accounts/user/{feoa.pk}/delete/"):
        assert client.get(path).status_code == 403, path
    candidate = world.candidates.yardley_2
    client.post(f"/django-admin/registry/candidate/{candidate.pk}/change/", {"user": world.users.admin.pk, "name": candidate.name})
    candidate.refresh_from_db()
    assert candidate.user is None
    assert b'name="user"' not in client.get(f"/django-admin/registry/candidate/{candidate.pk}/change/").content

    device = TOTPDevice.objects.get(user=feoa)
    for path in ("/django-admin/otp_totp/totpdevice/", f"/django-admin/otp_totp/totpdevice/{device.pk}/change/"):
        content = client.get(path).content.decode()
        assert device.key not in content and "config_url" not in content and "otpauth://" not in content
    assert client.post(f"/django-admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"}).status_code == 403
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_django_admin_sends_a_password_invitation_instead(world):
    client = signed_in_client(world.users.admin)
    response = client.post("/django-admin/accounts/user/", {"action": "send_password_invitation", "_selected_action": [world.users.feoa_wmp.pk]})
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["feoa-wmp@example.org"]]
    assert AuditEvent.objects.filter(object_type="user", object_id=str(world.users.feoa_wmp.pk), detail="password invitation sent").exists()


# ---------------------------------------------------------------------------------------------------
# Token lifetimes


def test_tokens_page_sets_and_shows_an_expiry_within_the_maximum(world, settings):
    import datetime as dt

    from django.utils import timezone

    from ballotguard.accounts.models import ApiToken

    settings.BALLOTGUARD_TOKEN_MAX_DAYS = 30
    client = signed_in_client(world.users.feoa_wmp)
    page = client.get("/account/api-tokens/").content.decode()
    assert "never after more than 30 days" in page
    response = client.post("/account/api-tokens/", {"name": "too long", "expires_in_days": "31"})
    assert "A token can last at most 30 days" in response.content.decode() and not ApiToken.objects.exists()
    response = client.post("/account/api-tokens/", {"name": "case system", "expires_in_days": "7"})
    token = ApiToken.objects.get()
    assert dt.timedelta(days=6, hours=23) < token.expires_at - timezone.now() <= dt.timedelta(days=7)
    assert token.expires_at.strftime("%-d %b %Y") in response.content.decode()
    # Nothing, not even a direct call, makes a token that outlives the maximum.
    other, _ = ApiToken.issue(world.users.feoa_wmp, "x", expires_at=timezone.now() + dt.timedelta(days=999))
    assert other.expires_at <= timezone.now() + dt.timedelta(days=30)


def test_an_expired_token_is_refused(world):
    import datetime as dt

    from django.utils import timezone

    from ballotguard.accounts.models import ApiToken

    token, secret = ApiToken.issue(world.users.feoa_wmp, "short", expires_at=timezone.now() + dt.timedelta(days=1))
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    response = signed_in_client(world.users.feoa_wmp).post("/api/v1/tokens", {"name": "x", "expires_in_days": 366}, content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "expires_in_days"


@pytest.mark.django_db(transaction=True)
def test_two_activation_proposals_made_at_once_leave_one_waiting(world, admin2, monkeypatch):
    """"Only one change to whether a user is active waits at a time" holds when two administrators
    propose at the same moment: each proposal pauses after writing its change until the other has
    written too (or a moment has passed, when the other is held back by the lock)."""
    import threading

    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("in-memory SQLite cannot run concurrent writers; runs on PostgreSQL")
    both_written = threading.Barrier(2)
    forces_of = access._forces_of

    def pausing(user):
        try:
            both_written.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass
        return forces_of(user)

    monkeypatch.setattr(access, "_forces_of", pausing)
    analyst = world.users.analyst
    outcomes: list = []

    def propose(admin):
        try:
            outcomes.append(access.propose_activation(Actor(user=admin), analyst.username, active=False, reason="left").pk)
        except access.AccessChangeError as exc:
            outcomes.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=propose, args=(admin,)) for admin in (world.users.admin, admin2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert AccessChange.objects.filter(target_user=analyst, status="pending").count() == 1
    assert sum(isinstance(o, str) and "already waiting" in o for o in outcomes) == 1


def test_a_suspended_users_waiting_proposals_close_and_their_approvals_are_withdrawn(world, admin2):
    # A stolen administrator account proposes a police adviser; once it is suspended, the proposal
    # cannot be approved by a colleague who does not know where it came from.
    stolen = access.propose_grant(Actor(user=admin2), _grant_feoa(world, "planted-feoa"), "new starter")
    access.suspend(Actor(user=world.users.admin), admin2.username, "admin laptop stolen")
    stolen.refresh_from_db()
    assert stolen.status == AccessChange.Status.REJECTED and "proposer was deactivated" in stolen.decision_note
    with pytest.raises(access.AccessChangeError, match="already rejected"):
        access.approve(Actor(user=_lead_of(world, world.forces.wmp, "wmp-lead")), stolen)
    assert not User.objects.filter(username="planted-feoa").exists()

    # A stolen lead's approval of a change that still waits for another force's lead is withdrawn:
    # the last approval no longer completes it.
    city_lead, _ = _lead_of(world, world.forces.city, "city-lead"), _lead_of(world, world.forces.city, "city-lead-2")
    make_user("met-two", "feoa", forces=[world.forces.met])
    wmp_move = access.propose_grant(Actor(user=world.users.admin),
                                    access.Grant(username="met-two", role="feoa", forces=(world.forces.city, world.forces.wmp)), "both")
    access.approve(Actor(user=city_lead), wmp_move)
    access.suspend(Actor(user=world.users.admin), city_lead.username, "phone stolen")
    assert not wmp_move.approvals.exists()
    assert AuditEvent.objects.filter(object_type="access_change", object_id=str(wmp_move.pk),
                                     detail__contains="approval by city-lead withdrawn").exists()
    access.approve(Actor(user=User.objects.get(username="wmp-lead")), wmp_move)
    assert AccessChange.objects.get(pk=wmp_move.pk).status == AccessChange.Status.PENDING  # city's other lead must still approve
    access.approve(Actor(user=User.objects.get(username="city-lead-2")), wmp_move)
    assert AccessChange.objects.get(pk=wmp_move.pk).status == AccessChange.Status.APPROVED
