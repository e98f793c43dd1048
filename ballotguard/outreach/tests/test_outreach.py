"""FEOA outreach: the worklist, contact attempts, briefings, bulk invitations, attendance, the
candidate's side, permissions, the API and the coverage figures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from ballotguard.accounts.models import AuditEvent, User
from ballotguard.accounts.services import Actor
from ballotguard.outreach import services
from ballotguard.outreach.matching import Invitee, Line, ListUnreadable, match_attendance, split_lines
from ballotguard.outreach.models import Briefing, ContactAttempt, Invitation
from ballotguard.registry.models import Ballot, Candidate
from ballotguard.registry.services import NotPermitted

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def actor(user: User) -> Actor:
    return Actor(user=user)


def hand_over(candidate: Candidate, days_ago: float, consent: bool = True, *, email: str | None = None, phone: str = "") -> Candidate:
    """As a returning officer hands over: with consent, an e-mail address (and a phone number if given)."""
    Candidate.objects.filter(pk=candidate.pk).update(handed_over_at=NOW - dt.timedelta(days=days_ago), consent_to_share=consent)
    candidate.refresh_from_db()
    if consent and not candidate.email:
        candidate.email = f"{candidate.person_id}@example.org" if email is None else email
        candidate.phone = phone
        candidate.save(update_fields=["email", "phone", "data_key"])
    return candidate


def names(qs) -> list[str]:
    return [c.name for c in qs]


def attempt(user, candidate, outcome="reached", method="phone", **kw) -> ContactAttempt:
    return services.record_contact_attempt(actor(user), candidate, method=method, outcome=outcome, **kw)


def briefing(user, force, *, starts_in_days: float = 7, title="Candidate security briefing", **kw) -> Briefing:
    return services.create_briefing(
        actor(user), force=force, title=title, kind=kw.pop("kind", "group"), format=kw.pop("format", "in_person"),
        starts_at=NOW + dt.timedelta(days=starts_in_days), location=kw.pop("location", "Lloyd House, Birmingham"),
        topics=kw.pop("topics", ["personal-safety", "the-count"]),
    )


def start(b: Briefing) -> Briefing:
    Briefing.objects.filter(pk=b.pk).update(starts_at=NOW - dt.timedelta(hours=2))
    b.refresh_from_db()
    return b


@pytest.fixture
def wm(world):
    """West Midlands: Carol (handed over by the fixture, today), Dan (10 days ago), Erin (3 days ago),
    and Dan's refused hand-over twin to show refusals never appear."""
    c = world.candidates
    hand_over(c.yardley_2, 10)
    hand_over(c.ward_1, 3)
    return world


# ---------------------------------------------------------------------------------------------------
# The worklist: ordering and scoping


def test_worklist_is_oldest_hand_over_first_and_only_handed_over_with_consent(wm):
    feoa = wm.users.feoa_wmp
    assert names(services.worklist(feoa)) == ["Dan Davies", "Erin Evans", "Carol Cooper"]
    hand_over(wm.candidates.ward_1, 3, consent=False)  # a refusal: nothing to contact them with
    assert names(services.worklist(feoa)) == ["Dan Davies", "Carol Cooper"]
    Candidate.objects.filter(pk=wm.candidates.yardley_2.pk).update(handed_over_at=None)
    assert names(services.worklist(feoa)) == ["Carol Cooper"]


def test_worklist_says_how_to_reach_each_candidate_and_lists_dead_ends_last(wm, client_as):
    """Issue 16, point 5: a hand-over with neither a phone nor an e-mail is a task for the returning
    officer, not the first thing an adviser tries; the page says which ways exist without opening them."""
    Candidate.objects.filter(pk=wm.candidates.yardley_2.pk).update(email="", phone="")  # Dan: nothing to use
    erin = Candidate.objects.get(pk=wm.candidates.ward_1.pk)
    erin.email, erin.phone = "", "+447700900555"
    erin.save(update_fields=["email", "phone", "data_key"])
    assert names(services.worklist(wm.users.feoa_wmp)) == ["Erin Evans", "Carol Cooper", "Dan Davies"]
    before = AuditEvent.objects.count()
    html = client_as(wm.users.feoa_wmp).get("/outreach/").content.decode()
    rows = {name: html[html.index(name):html.index("</tr>", html.index(name))] for name in ("Erin Evans", "Carol Cooper", "Dan Davies")}
    assert "Phone</td>" in rows["Erin Evans"] and "Phone and e-mail" in rows["Carol Cooper"]
    assert "No phone or e-mail" in rows["Dan Davies"] and "Ask the returning officer" in rows["Dan Davies"]
    assert "+447700900555" not in html and "carol@example.org" not in html  # nothing opened on the list
    api = client_as(wm.users.feoa_wmp).get("/api/v1/outreach/worklist").json()["items"]
    assert [(i["name"], i["has_phone"], i["has_email"]) for i in api] == [
        ("Erin Evans", True, False), ("Carol Cooper", True, True), ("Dan Davies", False, False)]
    assert not AuditEvent.objects.filter(pk__gt=before, action="read", object_type="candidate").exists()


def test_worklist_ties_break_by_id_and_cancelled_ballots_drop_out(wm):
    c = wm.candidates
    same = NOW - dt.timedelta(days=5)
    Candidate.objects.filter(pk__in=[c.yardley_2.pk, c.ward_1.pk]).update(handed_over_at=same)
    first, second = sorted([c.yardley_2, c.ward_1], key=lambda x: x.pk)
    assert names(services.worklist(wm.users.feoa_wmp))[:2] == [first.name, second.name]
    Ballot.objects.filter(pk=wm.ballots.ward.pk).update(cancelled=True)
    assert "Erin Evans" not in names(services.worklist(wm.users.feoa_wmp))


def test_worklist_is_scoped_by_force_and_a_two_force_constituency_is_on_both(wm, client_as):
    u, c = wm.users, wm.candidates
    hand_over(c.clw_1, 2)  # Alice: Cities of London and Westminster, Met (primary) and City of London
    assert names(services.worklist(u.feoa_met)) == ["Alice Archer"]
    assert names(services.worklist(u.feoa_city)) == ["Alice Archer"]
    assert "Alice Archer" not in names(services.worklist(u.feoa_wmp))
    assert not {"Carol Cooper", "Dan Davies", "Erin Evans"} & set(names(services.worklist(u.feoa_met)))
    # Pages and API agree.
    met_page = client_as(u.feoa_met).get("/outreach/").content.decode()
    assert "Alice Archer" in met_page and "Carol Cooper" not in met_page
    api = client_as(u.feoa_wmp).get("/api/v1/outreach/worklist").json()
    assert [i["name"] for i in api["items"]] == ["Dan Davies", "Erin Evans", "Carol Cooper"] and api["count"] == 3
    assert "email" not in api["items"][0] and "phone" not in api["items"][0]


def test_a_first_contact_by_either_force_takes_a_two_force_candidate_off_both_lists(wm):
    u, c = wm.users, wm.candidates
    hand_over(c.clw_1, 2)
    attempt(u.feoa_met, c.clw_1, "reached")
    assert names(services.worklist(u.feoa_met)) == [] and names(services.worklist(u.feoa_city)) == []


def test_worklist_filters_by_council_and_election(wm, client_as):
    feoa = wm.users.feoa_wmp
    local = services.WorklistFilter(election=wm.elections.local.election_id)
    assert names(services.worklist(feoa, local)) == ["Erin Evans"]
    assert names(services.worklist(feoa, services.WorklistFilter(council=wm.areas.birmingham.code))) == ["Dan Davies", "Erin Evans", "Carol Cooper"]
    assert names(services.worklist(feoa, services.WorklistFilter(council=wm.areas.westminster.code))) == []
    councils, elections = services.worklist_choices(feoa)
    assert councils == [(wm.areas.birmingham.code, "Birmingham")] and len(elections) == 2
    client = client_as(feoa)
    page = client.get("/outreach/", {"election": wm.elections.local.election_id}).content.decode()
    assert "Erin Evans" in page and "Dan Davies" not in page
    bad = client.get("/outreach/", {"council": "E09000033"})  # a council not on the worklist
    assert bad.status_code == 200 and "Select a council from the list" in bad.content.decode()
    assert client.get("/api/v1/outreach/worklist", {"election": wm.elections.local.election_id}).json()["count"] == 1


def test_worklist_shows_attempts_last_outcome_and_next_step(wm, client_as):
    u, c = wm.users, wm.candidates
    attempt(u.feoa_wmp, c.yardley_2, "no_answer", at=NOW - dt.timedelta(days=2))
    attempt(u.feoa_wmp, c.yardley_2, "left_message", next_step="Call back Tuesday evening")
    row = services.worklist(u.feoa_wmp).get(pk=c.yardley_2.pk)
    assert row.attempts == 2 and row.last_outcome == "left_message" and row.last_next_step == "Call back Tuesday evening"
    page = client_as(u.feoa_wmp).get("/outreach/").content.decode()
    assert "Call back Tuesday evening" in page and "Left a message" in page and "Not tried" in page


# ---------------------------------------------------------------------------------------------------
# Contact attempts


@pytest.mark.parametrize("outcome", ["left_message", "no_answer", "wrong_details", "declined"])
def test_an_attempt_that_did_not_reach_the_candidate_keeps_them_on_the_worklist(wm, outcome):
    attempt(wm.users.feoa_wmp, wm.candidates.yardley_2, outcome)
    assert "Dan Davies" in names(services.worklist(wm.users.feoa_wmp))


def test_reaching_the_candidate_takes_them_off_the_worklist(wm, client_as):
    carol = wm.candidates.yardley_1
    client = client_as(wm.users.feoa_wmp)
    response = client.post(f"/outreach/candidates/{carol.pk}/", {"method": "phone", "outcome": "reached", "next_step": "Invite to May briefing", "notes": "Worried about her home address"})
    assert response.status_code == 302
    assert "Carol Cooper" not in names(services.worklist(wm.users.feoa_wmp))
    saved = ContactAttempt.objects.get(candidate=carol)
    assert saved.adviser == wm.users.feoa_wmp and saved.notes == "Worried about her home address"
    with connection.cursor() as cursor:
        cursor.execute("SELECT notes FROM outreach_contactattempt WHERE id = %s", [saved.pk])
        assert "Worried" not in cursor.fetchone()[0]  # encrypted at rest
    assert AuditEvent.objects.filter(object_type="contact_attempt", object_id=str(saved.pk), action="create", fields=["notes"]).exists()
    page = client.get(f"/outreach/candidates/{carol.pk}/").content.decode()
    assert "Worried about her home address" in page and "+447700900123" in page
    assert AuditEvent.objects.filter(object_type="contact_attempt", object_id=str(saved.pk), action="read").exists()
    assert AuditEvent.objects.filter(object_type="candidate", object_id=str(carol.pk), action="read").exists()  # contact details


def test_contact_attempt_validation(wm, client_as):
    carol = wm.candidates.yardley_1
    client = client_as(wm.users.feoa_wmp)
    response = client.post(f"/outreach/candidates/{carol.pk}/", {"method": "pigeon"})
    page = response.content.decode()
    assert response.status_code == 400 and "Select how you tried to contact the candidate" in page and "Select what happened" in page
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    response = client.post(f"/outreach/candidates/{carol.pk}/", {"method": "phone", "outcome": "reached", "day": future})
    assert response.status_code == 400 and "today or in the past" in response.content.decode()
    assert not ContactAttempt.objects.exists()
    with pytest.raises(services.InvalidInput) as err:
        attempt(wm.users.feoa_wmp, carol, "reached", at=NOW + dt.timedelta(days=1))
    assert err.value.field == "at"
    earlier = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    assert client.post(f"/outreach/candidates/{carol.pk}/", {"method": "email", "outcome": "left_message", "day": earlier, "time": "09:15"}).status_code == 302
    assert timezone.localtime(ContactAttempt.objects.get().at).strftime("%H:%M") == "09:15"


def test_contact_attempts_outside_the_force_are_not_found(wm, client_as):
    carol = wm.candidates.yardley_1
    with pytest.raises(Candidate.DoesNotExist):
        attempt(wm.users.feoa_met, carol)
    assert client_as(wm.users.feoa_met).get(f"/outreach/candidates/{carol.pk}/").status_code == 404
    assert client_as(wm.users.feoa_met).post(f"/outreach/candidates/{carol.pk}/", {"method": "phone", "outcome": "reached"}).status_code == 404
    api = client_as(wm.users.feoa_met).post(f"/api/v1/candidates/{carol.pk}/contact-attempts", {"method": "phone", "outcome": "reached"}, content_type="application/json")
    assert api.status_code == 404 and api.json() == {"detail": "Not found."}
    assert not ContactAttempt.objects.exists()


# ---------------------------------------------------------------------------------------------------
# Briefings and bulk invitations


def test_creating_a_briefing_page_and_validation(wm, client_as):
    client = client_as(wm.users.feoa_wmp)
    assert client.get("/outreach/briefings/new/").status_code == 200
    bad = client.post("/outreach/briefings/new/", {"force": wm.forces.met.pk, "kind": "group", "format": "online"})
    page = bad.content.decode()
    assert bad.status_code == 400 and "Enter a title for the briefing" in page and "Select one of your police forces" in page and "Enter the date of the briefing" in page
    day = (timezone.localdate() + dt.timedelta(days=14)).isoformat()
    ok = client.post("/outreach/briefings/new/", {
        "title": "Birmingham candidates' briefing", "force": wm.forces.wmp.pk, "kind": "group", "format": "online",
        "day": day, "time": "18:30", "location": "https://meet.example.org/secret-room", "topics": ["online-safety", "reporting-routes"],
    })
    assert ok.status_code == 302
    b = Briefing.objects.get()
    assert b.force == wm.forces.wmp and b.topics == ["online-safety", "reporting-routes"] and b.created_by == wm.users.feoa_wmp
    with connection.cursor() as cursor:
        cursor.execute("SELECT location FROM outreach_briefing WHERE id = %s", [b.pk])
        assert "secret-room" not in cursor.fetchone()[0]
    detail = client.get(f"/outreach/briefings/{b.pk}/").content.decode()
    assert "secret-room" in detail and "Online safety, Where to report" in detail
    assert "Birmingham candidates" in client.get("/outreach/briefings/").content.decode()
    assert client_as(wm.users.feoa_met).get(f"/outreach/briefings/{b.pk}/").status_code == 404


def test_inviting_a_whole_council_is_idempotent_and_keeps_answers(wm):
    u = wm.users
    b = briefing(u.feoa_wmp, wm.forces.wmp)
    ge = wm.elections.ge.election_id
    first = services.invite_council(actor(u.feoa_wmp), b, wm.areas.birmingham.code, ge)
    assert (first.invited, first.already, first.with_account) == (2, 0, 1)  # Carol and Dan; Carol has an account
    assert sorted(b.invitations.values_list("candidate__name", flat=True)) == ["Carol Cooper", "Dan Davies"]
    carol_inv = b.invitations.get(candidate=wm.candidates.yardley_1)
    services.respond(actor(u.candidate), carol_inv, accept=True)
    again = services.invite_council(actor(u.feoa_wmp), b, wm.areas.birmingham.code, ge)
    assert (again.invited, again.already) == (0, 2)
    assert b.invitations.count() == 2 and b.invitations.get(pk=carol_inv.pk).status == "accepted"
    local = services.invite_council(actor(u.feoa_wmp), b, wm.areas.birmingham.code, wm.elections.local.election_id)
    assert (local.invited, local.already) == (1, 0) and b.invitations.count() == 3
    assert AuditEvent.objects.filter(object_type="invitation", action="create").count() == 2  # the no-op wrote nothing


def test_inviting_a_council_is_scoped_to_the_briefings_force(wm):
    u = wm.users
    ge = wm.elections.ge.election_id
    met_briefing = briefing(u.feoa_met, wm.forces.met)
    with pytest.raises(services.InvalidInput) as err:  # Birmingham is not in the Met's area
        services.invite_council(actor(u.feoa_met), met_briefing, wm.areas.birmingham.code, ge)
    assert err.value.field == "council"
    assert not Invitation.objects.exists()
    city_briefing = briefing(u.feoa_city, wm.forces.city)
    report = services.invite_council(actor(u.feoa_city), city_briefing, wm.areas.westminster.code, ge)
    assert report.invited == 2  # Cities of London and Westminster is partly the City's
    wmp_briefing = briefing(u.feoa_wmp, wm.forces.wmp)
    with pytest.raises(Briefing.DoesNotExist):  # another force's briefing
        services.invite_council(actor(u.feoa_met), wmp_briefing, wm.areas.westminster.code, ge)
    with pytest.raises(Candidate.DoesNotExist):  # one by one, outside the force: refused as a whole
        services.invite(actor(u.feoa_wmp), wmp_briefing, [wm.candidates.yardley_1, wm.candidates.clw_1])
    assert not wmp_briefing.invitations.exists()
    with pytest.raises(services.InvalidInput):
        services.invite_council(actor(u.feoa_wmp), wmp_briefing, "E99999999", ge)
    with pytest.raises(services.InvalidInput):
        services.invite_council(actor(u.feoa_wmp), start(wmp_briefing), wm.areas.birmingham.code, ge)  # already started


def test_invite_council_page_reports_counts(wm, client_as):
    b = briefing(wm.users.feoa_wmp, wm.forces.wmp)
    client = client_as(wm.users.feoa_wmp)
    data = {"council": wm.areas.birmingham.code, "election": wm.elections.ge.election_id}
    response = client.post(f"/outreach/briefings/{b.pk}/invite-council/", data, follow=True)
    page = response.content.decode()
    assert "2 candidates of Birmingham invited." in page and "1 of those invited have a Ballotguard account" in page
    page = client.post(f"/outreach/briefings/{b.pk}/invite-council/", data, follow=True).content.decode()
    assert "0 candidates of Birmingham invited. 2 had already been invited" in page
    bad = client.post(f"/outreach/briefings/{b.pk}/invite-council/", {"council": "", "election": ""})
    assert bad.status_code == 400 and "Select a council" in bad.content.decode()
    assert client_as(wm.users.feoa_met).post(f"/outreach/briefings/{b.pk}/invite-council/", data).status_code == 404


def test_inviting_one_candidate_from_their_page(wm, client_as):
    b = briefing(wm.users.feoa_wmp, wm.forces.wmp)
    dan = wm.candidates.yardley_2
    client = client_as(wm.users.feoa_wmp)
    assert "Invite Dan Davies" in client.get(f"/outreach/candidates/{dan.pk}/").content.decode()
    assert client.post(f"/outreach/candidates/{dan.pk}/invite/", {"briefing": b.pk}).status_code == 302
    assert b.invitations.get().candidate == dan
    assert client.post(f"/outreach/candidates/{dan.pk}/invite/", {"briefing": ""}).status_code == 400


# ---------------------------------------------------------------------------------------------------
# Attendance from a list


def test_attendance_matching_without_a_database():
    invitees = [Invitee(1, "Carol Cooper", "2001"), Invitee(2, "Dan Davies", "2002"), Invitee(3, "Siân O'Neill", "2003"),
                Invitee(4, "John Smith", "4001"), Invitee(5, "John Smith", "4002"), Invitee(6, "Dan Davies", "2002")]
    lines = split_lines("  carol   COOPER \n\n2002\nsian oneill,\nJohn Smith\n4002\nNobody Here\nCarol Cooper\n")
    assert [line.number for line in lines] == [1, 3, 4, 5, 6, 7, 8]
    result = match_attendance(lines, invitees)
    assert result.matched == {1: Line(1, "carol COOPER"), 2: Line(3, "2002"), 6: Line(3, "2002"), 3: Line(4, "sian oneill"), 5: Line(6, "4002")}
    assert [(u.number, u.reason.split(":")[0]) for u in result.unmatched] == [(5, "2 invitees have this name"), (7, "Nobody of this name or person id was invited to this briefing")]
    assert result.repeated == [Line(8, "Carol Cooper")]
    for bad in ("", " \n\t\n", "a\x00b"):
        with pytest.raises(ListUnreadable):
            split_lines(bad)


def test_recording_attendance_matches_names_and_ids_and_reports_the_rest(wm):
    u, c = wm.users, wm.candidates
    b = briefing(u.feoa_wmp, wm.forces.wmp)
    services.invite_council(actor(u.feoa_wmp), b, wm.areas.birmingham.code, wm.elections.ge.election_id)
    with pytest.raises(services.InvalidInput):  # not started yet
        services.record_attendance(actor(u.feoa_wmp), b, "Carol Cooper")
    b = start(b)
    report = services.record_attendance(actor(u.feoa_wmp), b, "carol cooper\n2002\nErin Evans\n")
    assert [(n, i.candidate.name) for n, _, i in report.matched] == [(1, "Carol Cooper"), (2, "Dan Davies")]
    assert report.unmatched == [(3, "Erin Evans", "Nobody of this name or person id was invited to this briefing")]
    assert report.newly_recorded == 2 and b.invitations.filter(attended=True).count() == 2
    again = services.record_attendance(actor(u.feoa_wmp), b, "Carol Cooper")
    assert again.newly_recorded == 0 and len(again.matched) == 1
    for empty in ("", "\n  \n"):
        with pytest.raises(services.InvalidInput) as err:
            services.record_attendance(actor(u.feoa_wmp), b, empty)
        assert err.value.field == "names"
    with pytest.raises(Briefing.DoesNotExist):
        services.record_attendance(actor(u.feoa_met), b, "Carol Cooper")
    assert services.outreach_records(Candidate.objects.filter(pk=c.yardley_1.pk))[0].briefed


def test_attendance_page_paste_upload_and_errors(wm, client_as):
    u = wm.users
    b = briefing(u.feoa_wmp, wm.forces.wmp)
    services.invite_council(actor(u.feoa_wmp), b, wm.areas.birmingham.code, wm.elections.ge.election_id)
    b = start(b)
    client = client_as(u.feoa_wmp)
    url = f"/outreach/briefings/{b.pk}/attendance/"
    assert client.get(url).status_code == 200
    empty = client.post(url, {"names": "  "})
    assert empty.status_code == 400 and "Enter at least one name" in empty.content.decode()
    unreadable = client.post(url, {"names": "", "file": SimpleUploadedFile("list.xlsx", b"PK\x03\x04binary", content_type="application/octet-stream")})
    assert unreadable.status_code == 400 and "looks like a spreadsheet" in unreadable.content.decode()
    assert not b.invitations.filter(attended=True).exists()
    mixed = client.post(url, {"names": "CAROL  cooper\nMystery Guest"})
    page = mixed.content.decode()
    assert mixed.status_code == 200 and "There is a problem" in page and "Line 2: “Mystery Guest”" in page
    assert "1 line matched, 1 did not" in page and "Error: " in page
    upload = client.post(url, {"names": "", "file": SimpleUploadedFile("attended.txt", "2002\r\n".encode(), content_type="text/plain")})
    assert upload.status_code == 200 and "1 line matched" in upload.content.decode()
    assert set(b.invitations.filter(attended=True).values_list("candidate__name", flat=True)) == {"Carol Cooper", "Dan Davies"}


# ---------------------------------------------------------------------------------------------------
# The candidate's side


def test_your_police_adviser_page_shows_the_feoa_and_that_they_are_not_a_crime_route(wm, client_as):
    wm.users.feoa_wmp.phone = "01234 567890"
    wm.users.feoa_wmp.save()
    page = client_as(wm.users.candidate).get("/your-police-adviser/").content.decode()
    assert "Feoa-Wmp Tester" in page and "feoa-wmp@example.org" in page and "01234 567890" in page
    assert "999" in page and "101" in page and "police.uk" in page and "not a way to report a crime" in page
    assert "feoa-met" not in page
    assert client_as(wm.users.staff).get("/your-police-adviser/").status_code == 200
    assert client_as(wm.users.feoa_wmp).get("/your-police-adviser/").url == "/outreach/"
    assert client_as(wm.users.candidate).get("/outreach/").url == "/your-police-adviser/"


def test_candidate_accepts_and_declines_invitations(wm, client_as):
    u = wm.users
    b = briefing(u.feoa_wmp, wm.forces.wmp, location="https://meet.example.org/room-42")
    services.invite_council(actor(u.feoa_wmp), b, wm.areas.birmingham.code, wm.elections.ge.election_id)
    inv = b.invitations.get(candidate=wm.candidates.yardley_1)
    dan_inv = b.invitations.get(candidate=wm.candidates.yardley_2)
    client = client_as(u.candidate)
    page = client.get("/your-police-adviser/").content.decode()
    assert "Candidate security briefing" in page and "room-42" in page and "Not answered" in page
    assert client.post(f"/your-police-adviser/invitations/{inv.pk}/", {"response": "accept"}).status_code == 302
    inv.refresh_from_db()
    assert inv.status == "accepted" and inv.responded_by == u.candidate and inv.responded_at is not None
    client_as(u.staff).post(f"/your-police-adviser/invitations/{inv.pk}/", {"response": "decline"})
    inv.refresh_from_db()
    assert inv.status == "declined" and inv.responded_by == u.staff
    assert client.post(f"/your-police-adviser/invitations/{dan_inv.pk}/", {"response": "accept"}).status_code == 404  # not theirs
    assert client_as(u.feoa_wmp).post(f"/your-police-adviser/invitations/{inv.pk}/", {"response": "accept"}).status_code == 403
    detail = client_as(u.feoa_wmp).get(f"/outreach/briefings/{b.pk}/").content.decode()
    assert "Declined (1)" in detail and "No reply (1)" in detail
    start(b)
    client.post(f"/your-police-adviser/invitations/{inv.pk}/", {"response": "accept"})
    inv.refresh_from_db()
    assert inv.status == "declined"  # too late to change
    assert AuditEvent.objects.filter(object_type="invitation", object_id=str(inv.pk), action="update").count() == 2


# ---------------------------------------------------------------------------------------------------
# Permissions per role


PAGES = ["/outreach/", "/outreach/briefings/", "/outreach/briefings/new/"]


def test_pages_per_role(wm, client_as):
    u = wm.users
    for user in (u.ro_birmingham, u.analyst, u.admin):
        for url in PAGES + ["/your-police-adviser/", f"/outreach/candidates/{wm.candidates.yardley_1.pk}/"]:
            assert client_as(user).get(url).status_code == 403, (user.username, url)
    for user in (u.candidate, u.staff):
        assert client_as(user).get("/outreach/briefings/").status_code == 403
        assert client_as(user).get(f"/outreach/candidates/{wm.candidates.yardley_1.pk}/").status_code == 403
    for url in PAGES:
        assert client_as(u.feoa_wmp).get(url).status_code == 200
        assert Client().get(url).status_code == 302  # to sign in
    with pytest.raises(NotPermitted):
        services.worklist(u.analyst)
    with pytest.raises(NotPermitted):
        attempt(u.ro_birmingham, wm.candidates.yardley_1)
    with pytest.raises(NotPermitted):
        services.invitations_for(u.feoa_wmp)


def test_api_permissions_per_role(wm, client_as):
    u, carol = wm.users, wm.candidates.yardley_1
    b = briefing(u.feoa_wmp, wm.forces.wmp)
    services.invite_council(actor(u.feoa_wmp), b, wm.areas.birmingham.code, wm.elections.ge.election_id)
    inv = b.invitations.get(candidate=carol)
    adviser_calls = [
        ("get", "/api/v1/outreach/worklist", None),
        ("post", f"/api/v1/candidates/{carol.pk}/contact-attempts", {"method": "phone", "outcome": "reached"}),
        ("post", "/api/v1/briefings", {"title": "x", "starts_at": "2030-01-01T18:00:00Z"}),
        ("post", f"/api/v1/briefings/{b.pk}/invite-council", {"council": "E08000025", "election": "parl.2024-07-04"}),
        ("post", f"/api/v1/briefings/{b.pk}/attendance", {"lines": ["Carol Cooper"]}),
    ]
    candidate_calls = [("get", "/api/v1/invitations", None), ("post", f"/api/v1/invitations/{inv.pk}/respond", {"response": "accept"})]
    for user in (u.ro_birmingham, u.analyst, u.admin, u.candidate, u.staff):
        for method, url, body in adviser_calls:
            r = getattr(client_as(user), method)(url, body, content_type="application/json") if body else client_as(user).get(url)
            assert r.status_code == 403, (user.username, url, r.status_code)
    for user in (u.ro_birmingham, u.analyst, u.admin, u.feoa_wmp):
        for method, url, body in candidate_calls:
            r = getattr(client_as(user), method)(url, body, content_type="application/json") if body else client_as(user).get(url)
            assert r.status_code == 403, (user.username, url)
    for user in (u.candidate, u.staff, u.feoa_wmp, u.admin):
        assert client_as(user).get("/api/v1/outreach/coverage").status_code == 403
    assert client_as(u.analyst).get("/api/v1/outreach/coverage").status_code == 200
    assert Client().get("/api/v1/outreach/worklist").status_code == 401
    # Another force: 404 for the briefing and the candidate.
    met = client_as(u.feoa_met)
    assert met.get(f"/api/v1/briefings/{b.pk}").status_code == 404
    assert met.post(f"/api/v1/briefings/{b.pk}/invite-council", {"council": "E09000033", "election": "parl.2024-07-04"}, content_type="application/json").status_code == 404
    assert met.get(f"/api/v1/candidates/{carol.pk}/contact-attempts").status_code == 404
    assert client_as(u.candidate).post(f"/api/v1/invitations/{b.invitations.get(candidate=wm.candidates.yardley_2).pk}/respond", {"response": "accept"}, content_type="application/json").status_code == 404


# ---------------------------------------------------------------------------------------------------
# The API


def test_api_contact_attempts_and_field_errors(wm, client_as):
    carol = wm.candidates.yardley_1
    client = client_as(wm.users.feoa_wmp)
    url = f"/api/v1/candidates/{carol.pk}/contact-attempts"
    bad = client.post(url, {"method": "pigeon", "outcome": "reached", "next_step": "x" * 301}, content_type="application/json")
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["detail"]} == {"method", "next_step"}
    future = client.post(url, {"method": "phone", "outcome": "reached", "at": (NOW + dt.timedelta(days=1)).isoformat()}, content_type="application/json")
    assert future.status_code == 422 and future.json()["detail"][0]["field"] == "at"
    first = client.post(url, {"method": "phone", "outcome": "no_answer", "next_step": "Try email"}, content_type="application/json")
    assert first.status_code == 201 and first.json()["on_worklist"] is True
    second = client.post(url, {"method": "email", "outcome": "reached", "notes": "Happy to attend a briefing"}, content_type="application/json")
    assert second.status_code == 201 and second.json()["on_worklist"] is False
    history = client.get(url).json()
    assert [h["outcome"] for h in history] == ["reached", "no_answer"] and history[0]["notes"] == "Happy to attend a briefing"
    assert "Carol Cooper" not in [i["name"] for i in client.get("/api/v1/outreach/worklist").json()["items"]]


def test_api_briefings_invitations_attendance_and_answers(wm, client_as):
    u = wm.users
    feoa = client_as(u.feoa_wmp)
    starts = (NOW + dt.timedelta(days=5)).isoformat()
    bad = feoa.post("/api/v1/briefings", {"title": "", "starts_at": starts, "topics": ["gardening"]}, content_type="application/json")
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["detail"]} == {"title", "topics[0]"}
    wrong_force = feoa.post("/api/v1/briefings", {"title": "x", "starts_at": starts, "force": wm.forces.met.code}, content_type="application/json")
    assert wrong_force.status_code == 422 and wrong_force.json()["detail"][0]["field"] == "force"
    created = feoa.post("/api/v1/briefings", {"title": "Count night safety", "starts_at": starts, "kind": "group", "format": "online",
                                              "location": "https://meet.example.org/abc", "topics": ["the-count"]}, content_type="application/json")
    assert created.status_code == 201, created.content
    bid = created.json()["id"]
    assert created.json()["force"] == wm.forces.wmp.code and created.json()["invitations"] == []
    invite = feoa.post(f"/api/v1/briefings/{bid}/invite-council", {"council": "E08000025", "election": "parl.2024-07-04"}, content_type="application/json")
    assert invite.json() == {"invited": 2, "already_invited": 0, "with_account": 1}
    again = feoa.post(f"/api/v1/briefings/{bid}/invite-council", {"council": "E08000025", "election": "parl.2024-07-04"}, content_type="application/json")
    assert again.json() == {"invited": 0, "already_invited": 2, "with_account": 0}
    none = feoa.post(f"/api/v1/briefings/{bid}/invite-council", {"council": "E09000033", "election": "parl.2024-07-04"}, content_type="application/json")
    assert none.status_code == 422 and none.json()["detail"][0]["field"] == "council"

    carol = client_as(u.candidate)
    mine = carol.get("/api/v1/invitations").json()
    assert len(mine) == 1 and mine[0]["status"] == "invited" and mine[0]["location"] == "https://meet.example.org/abc"
    answered = carol.post(f"/api/v1/invitations/{mine[0]['id']}/respond", {"response": "accept"}, content_type="application/json")
    assert answered.status_code == 200 and answered.json()["status"] == "accepted"
    assert carol.post(f"/api/v1/invitations/{mine[0]['id']}/respond", {"response": "maybe"}, content_type="application/json").json()["detail"][0]["field"] == "response"
    detail = feoa.get(f"/api/v1/briefings/{bid}").json()
    assert detail["accepted"] == 1 and detail["invited"] == 2

    early = feoa.post(f"/api/v1/briefings/{bid}/attendance", {"lines": ["Carol Cooper"]}, content_type="application/json")
    assert early.status_code == 422 and early.json()["detail"][0]["field"] == "lines"
    start(Briefing.objects.get(pk=bid))
    assert feoa.post(f"/api/v1/briefings/{bid}/attendance", {"lines": []}, content_type="application/json").status_code == 422
    marked = feoa.post(f"/api/v1/briefings/{bid}/attendance", {"lines": ["  CAROL cooper", "9999", "2002"]}, content_type="application/json").json()
    assert [m["line"] for m in marked["matched"]] == [1, 3] and marked["unmatched"][0]["line"] == 2 and marked["newly_recorded"] == 2
    late = carol.post(f"/api/v1/invitations/{mine[0]['id']}/respond", {"response": "decline"}, content_type="application/json")
    assert late.status_code == 422
    assert [b["id"] for b in feoa.get("/api/v1/briefings").json()] == [bid]
    assert client_as(u.feoa_met).get("/api/v1/briefings").json() == []


# ---------------------------------------------------------------------------------------------------
# Coverage figures


def test_coverage_by_force_from_outreach_records(wm):
    u, c, e = wm.users, wm.candidates, wm.elections
    close_ge = dt.date(2024, 6, 7)
    e.ge.nominations_close = close_ge
    e.ge.save()
    e.local.nominations_close = dt.date(2026, 4, 8)
    e.local.save()
    hand_over(c.clw_1, 30)  # Alice: Met and City
    attempt(u.feoa_met, c.clw_1, "no_answer", at=timezone.make_aware(dt.datetime(2024, 6, 8, 10)))
    attempt(u.feoa_met, c.clw_1, "reached", at=timezone.make_aware(dt.datetime(2024, 6, 10, 10)))  # 3 days
    attempt(u.feoa_wmp, c.yardley_1, "reached", at=timezone.make_aware(dt.datetime(2024, 6, 14, 23, 30)))  # 7 days (UK date)
    attempt(u.feoa_wmp, c.yardley_1, "reached", at=timezone.make_aware(dt.datetime(2024, 6, 20, 9)))  # later contact: ignored
    attempt(u.feoa_wmp, c.yardley_2, "reached", at=timezone.make_aware(dt.datetime(2024, 6, 8, 9)))  # 1 day
    # Erin (local) handed over, never reached.
    b = start(briefing(u.feoa_wmp, wm.forces.wmp))
    Invitation.objects.create(briefing=b, candidate=c.yardley_1)
    services.record_attendance(actor(u.feoa_wmp), b, "Carol Cooper")
    figures = {force.code: cov for force, cov in services.coverage_by_force(today=dt.date(2026, 4, 18))}
    wmp, met, city = figures[wm.forces.wmp.code], figures[wm.forces.met.code], figures[wm.forces.city.code]
    assert (wmp.handed_over, wmp.contacted, wmp.briefed, wmp.not_contacted) == (3, 2, 1, 1)
    assert wmp.median_days_to_first_contact == 4.0  # 1 and 7
    assert wmp.waiting_days == 10.0  # Erin: 8 to 18 April 2026
    assert (met.handed_over, met.contacted, met.median_days_to_first_contact) == (1, 1, 3.0)
    assert (city.handed_over, city.contacted, city.median_days_to_first_contact) == (1, 1, 3.0)
    records = {r.candidate_id: r for r in services.outreach_records()}
    assert records[c.clw_1.pk].force_ids == tuple(sorted([wm.forces.met.pk, wm.forces.city.pk]))
    assert records[c.yardley_1.pk].nominations_close == close_ge and records[c.yardley_1.pk].briefed
    assert c.clw_2.pk not in records  # never handed over


def test_api_coverage_for_analysts(wm, client_as):
    attempt(wm.users.feoa_wmp, wm.candidates.yardley_2, "reached")
    rows = {r["force_code"]: r for r in client_as(wm.users.analyst).get("/api/v1/outreach/coverage").json()}
    assert set(rows) == {wm.forces.met.code, wm.forces.city.code, wm.forces.wmp.code}
    assert rows[wm.forces.wmp.code]["handed_over"] == 3 and rows[wm.forces.wmp.code]["contacted"] == 1
    assert rows[wm.forces.wmp.code]["median_days_to_first_contact"] is None  # no close-of-nominations date in the fixture
    assert rows[wm.forces.met.code]["handed_over"] == 0


def test_the_openapi_schema_lists_the_outreach_endpoints(world, client_as):
    schema = client_as(world.users.feoa_wmp).get("/api/v1/openapi.json").json()
    paths = set(schema["paths"])
    assert {"/api/v1/outreach/worklist", "/api/v1/candidates/{candidate_id}/contact-attempts", "/api/v1/briefings",
            "/api/v1/briefings/{briefing_id}/invite-council", "/api/v1/briefings/{briefing_id}/attendance",
            "/api/v1/invitations", "/api/v1/invitations/{invitation_id}/respond", "/api/v1/outreach/coverage"} <= paths
