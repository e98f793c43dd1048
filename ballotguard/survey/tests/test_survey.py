"""The candidates' survey end to end: closing dates (page and API), invitations and reminders sent
through GOV.UK Notify by the task, one anonymous response per candidate (page and API), the survey
insights (page, API, CSV, briefing pack), and what a response does not keep."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from ballotguard.accounts.models import AuditEvent
from ballotguard.checkins.tests.test_govuk_notify import fake_notify  # noqa: F401  (the local Notify server, a fixture)
from ballotguard.insights.models import SurveyFigures
from ballotguard.insights.services import refresh_snapshots
from ballotguard.registry.models import Ballot, Candidate, Election
from ballotguard.survey import services
from ballotguard.survey.models import SurveyInvitation, SurveyResponse, SurveyWindow
from ballotguard.survey.tasks import survey_sweep
from conftest import signed_in_client

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
ANSWERS = {"experiences": ["online_abuse", "at_home"], "reported": "yes", "reported_to": ["police"], "changes": ["avoided_alone"],
           "adviser_view": "helpful", "guidance_view": "very_helpful", "comment": "The FEOA was great."}


def open_survey(world, closes_in: int = 20) -> SurveyWindow:
    """The general election's survey, open today (made directly: the 2024 polling day is long past)."""
    return SurveyWindow.objects.create(election=world.elections.ge, closes_on=TODAY + dt.timedelta(days=closes_in))


# --- invitations and reminders -------------------------------------------------------------------


def test_the_task_invites_every_candidate_once_through_notify_and_reminds_only_those_who_have_not_responded(world, fake_notify):
    window = open_survey(world, closes_in=20)
    survey_sweep.enqueue()  # the task worker (ImmediateBackend in tests)
    invited = SurveyInvitation.objects.filter(candidate__ballot__election=world.elections.ge)
    assert invited.count() == 4 and not SurveyInvitation.objects.filter(candidate=world.candidates.ward_1).exists()
    [sent] = fake_notify.received  # Carol is the only one with an e-mail address
    assert sent["email_address"] == "carol@example.org" and sent["reference"].startswith("survey-") and sent["reference"].endswith("-invite")
    assert "anonymous" in sent["personalisation"]["body"] and f"/survey/{world.candidates.yardley_1.pk}/" in sent["personalisation"]["body"]
    assert invited.get(candidate=world.candidates.yardley_1).emailed
    survey_sweep.enqueue()
    assert len(fake_notify.received) == 1  # nothing twice

    # Seven days before closing, a reminder; not on the same day as the invitation.
    SurveyInvitation.objects.update(invited_at=timezone.now() - dt.timedelta(days=13))
    report = services.sweep(today=window.closes_on - dt.timedelta(days=7))
    assert report.reminded == 4 and len(fake_notify.received) == 2 and fake_notify.received[-1]["reference"].endswith("-reminder1")
    assert services.sweep(today=window.closes_on - dt.timedelta(days=6)).reminded == 0
    # Carol responds: the second reminder goes to the others only, and nothing goes after the closing date.
    services.submit(actor(world), world.candidates.yardley_1.pk, ANSWERS, today=window.closes_on - dt.timedelta(days=3))
    assert services.sweep(today=window.closes_on - dt.timedelta(days=2)).reminded == 3
    assert len(fake_notify.received) == 2
    SurveyInvitation.objects.update(reminders=0)
    assert services.sweep(today=window.closes_on + dt.timedelta(days=1)).as_dict()["reminded"] == 0


def test_candidates_in_a_welsh_force_are_written_to_in_welsh_first(world, fake_notify):
    world.forces.wmp.nation = "Wales"  # for the test: Carol's force as if it were one of the four Welsh forces
    world.forces.wmp.save()
    open_survey(world)
    services.sweep()
    [sent] = fake_notify.received
    subject, body = sent["personalisation"]["subject"], sent["personalisation"]["body"]
    assert subject.startswith("Dywedwch wrthym am eich ymgyrch") and subject.endswith("Tell us about your campaign: an anonymous survey")
    assert body.index("Diolch am sefyll") < body.index("Thank you for standing")


def test_nothing_is_sent_before_polling_day_is_over(world, fake_notify):
    election = Election.objects.create(election_id="local.test.2099-05-07", election_type="local", date=TODAY, name="Test", operation="ford")
    Candidate.objects.create(ballot=Ballot.objects.create(ballot_paper_id="local.test.x.2099-05-07", election=election, area=world.areas.ward,
                                                          post_label="X"), person_id="9", name="Pat", email="pat@example.org")
    SurveyWindow.objects.create(election=election, closes_on=TODAY + dt.timedelta(days=10))
    assert services.sweep().invited == 0 and fake_notify.received == []


def test_the_invitation_shows_on_the_candidates_home_page_in_english_and_welsh(world):
    open_survey(world)
    client = signed_in_client(world.users.candidate)
    page = client.get("/").content.decode()
    assert "Tell us about your experience of UK Parliament general election 2024" in page and f"/survey/{world.candidates.yardley_1.pk}/" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    page = client.get("/").content.decode()
    assert "Dywedwch wrthym am eich profiad" in page
    assert "Tell us about" not in signed_in_client(world.users.staff).get("/").content.decode()  # the candidate answers, not their staff


# --- responding ----------------------------------------------------------------------------------


def actor(world):
    from ballotguard.accounts.services import Actor

    return Actor(user=world.users.candidate)


def test_a_candidate_answers_once_through_the_page_and_the_response_is_not_linked_to_them(world):
    open_survey(world)
    client = signed_in_client(world.users.candidate)
    url = f"/survey/{world.candidates.yardley_1.pk}/"
    assert client.get(url).status_code == 200
    bad = client.post(url, {"experiences": ["online_abuse"], "adviser_view": "helpful"})
    page = bad.content.decode()
    assert bad.status_code == 200 and "Select yes if you told anyone about it" in page and "Select how helpful it was" in page
    assert SurveyResponse.objects.count() == 0 and not SurveyInvitation.objects.filter(responded=True).exists()  # nothing stored
    audits = AuditEvent.objects.count()
    done = client.post(url, {**ANSWERS})
    assert done.status_code == 302 and done["Location"] == "/survey/"
    response = SurveyResponse.objects.get()
    assert response.answers["experiences"] == ["online_abuse", "at_home"] and response.comment == "The FEOA was great."
    assert response.week.weekday() == 0 and response.week <= TODAY  # the Monday, not the moment
    assert response.election_type == "parl" and response.gender == "withheld"  # four candidates: fewer than k = 5 share anything
    # No column of the response can hold the candidate or their account, and nothing audited links them.
    columns = {f.column for f in SurveyResponse._meta.concrete_fields}
    assert columns == {"id", "election_id", "week", "election_type", "gender", "party", "region", "force", "answers", "comment"}
    assert len(str(response.pk)) == 36 and AuditEvent.objects.count() == audits
    assert SurveyInvitation.objects.get(candidate=world.candidates.yardley_1).responded
    # Once only: the page says so, and the API answers 409.
    again = client.get(url, follow=True)
    assert "already answered" in again.content.decode() and SurveyResponse.objects.count() == 1
    api = client.post(f"/api/v1/survey/{world.candidates.yardley_1.pk}/response", {**ANSWERS, "reported": True}, content_type="application/json")
    assert api.status_code == 409 and SurveyResponse.objects.count() == 1


def test_the_attributes_kept_are_coarsened_in_a_small_election(world, settings):
    settings.BALLOTGUARD_SURVEY_K = 2
    open_survey(world)
    services.submit(actor(world), world.candidates.yardley_1.pk, ANSWERS)
    # Carol is the only Labour woman in the West Midlands: party, force and region go; two women stood, so gender stays.
    kept = SurveyResponse.objects.values("gender", "party", "region", "force").get()
    assert kept == {"gender": "female", "party": "withheld", "region": "withheld", "force": "withheld"}


def test_the_api_lists_and_answers_with_field_errors(world):
    open_survey(world)
    client = signed_in_client(world.users.candidate)
    listed = client.get("/api/v1/survey").json()
    assert listed == [{"candidate_id": world.candidates.yardley_1.pk, "election_id": "parl.2024-07-04",
                       "election_name": "UK Parliament general election 2024", "closes_on": (TODAY + dt.timedelta(days=20)).isoformat(), "status": "open"}]
    url = f"/api/v1/survey/{world.candidates.yardley_1.pk}/response"
    bad = client.post(url, {"experiences": ["online_abuse"], "reported": True}, content_type="application/json")
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["detail"]} == {"reported_to", "adviser_view", "guidance_view"}
    assert SurveyResponse.objects.count() == 0
    assert client.post(f"/api/v1/survey/{world.candidates.yardley_2.pk}/response", {}, content_type="application/json").status_code == 404
    ok = client.post(url, {"none_experienced": True, "adviser_view": "not_used", "guidance_view": "helpful"}, content_type="application/json")
    assert ok.status_code == 201 and SurveyResponse.objects.get().answers["experiences"] == []
    assert client.get("/api/v1/survey").json()[0]["status"] == "responded"


def test_a_closed_survey_takes_no_answers(world):
    SurveyWindow.objects.create(election=world.elections.ge, closes_on=TODAY - dt.timedelta(days=1))
    client = signed_in_client(world.users.candidate)
    assert client.get("/api/v1/survey").json()[0]["status"] == "closed"
    assert client.get(f"/survey/{world.candidates.yardley_1.pk}/").status_code == 302
    assert client.post(f"/api/v1/survey/{world.candidates.yardley_1.pk}/response", {**ANSWERS, "reported": True},
                       content_type="application/json").status_code == 409


def test_the_questionnaire_is_in_welsh(world):
    open_survey(world)
    client = signed_in_client(world.users.candidate)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    page = client.get(f"/survey/{world.candidates.yardley_1.pk}/").content.decode()
    assert '<html lang="cy"' in page and "Yn ystod yr ymgyrch" in page
    bad = client.post(f"/survey/{world.candidates.yardley_1.pk}/", {"adviser_view": "helpful", "guidance_view": "helpful"}).content.decode()
    assert "Dewiswch yr hyn a brofoch" in bad


# --- closing dates -------------------------------------------------------------------------------


def recent_election(world) -> Election:
    return Election.objects.create(election_id=f"local.test.{TODAY - dt.timedelta(days=3)}", election_type="local",
                                   date=TODAY - dt.timedelta(days=3), name="Test local election", operation="ford")


def test_an_analyst_sets_a_closing_date_on_the_page_and_invitations_go_out(world, mailoutbox):
    election = recent_election(world)
    Candidate.objects.create(ballot=Ballot.objects.create(ballot_paper_id="local.test.x", election=election, area=world.areas.ward, post_label="X"),
                             person_id="9", name="Pat", email="pat@example.org")
    client = signed_in_client(world.users.analyst)
    assert "Test local election" in client.get("/survey/elections/").content.decode()
    url = f"/survey/elections/{election.pk}/"
    bad = client.post(url, {"closes_on": str(election.date)})
    assert bad.status_code == 200 and "must be after polling day" in bad.content.decode() and not SurveyWindow.objects.exists()
    assert "Enter a real closing date" in client.post(url, {"closes_on": "31/02/2026"}).content.decode()
    done = client.post(url, {"closes_on": str(TODAY + dt.timedelta(days=14))})
    assert done.status_code == 302 and SurveyWindow.objects.get().closes_on == TODAY + dt.timedelta(days=14)
    assert [m.to for m in mailoutbox] == [["pat@example.org"]]  # the task ran when the date was set
    assert AuditEvent.objects.filter(object_type="survey.window", object_id=election.election_id).exists()


def test_closing_dates_through_the_api(world):
    election = recent_election(world)
    admin = signed_in_client(world.users.admin)
    url = f"/api/v1/survey/elections/{election.election_id}/closing-date"
    bad = admin.put(url, {"closes_on": str(TODAY + dt.timedelta(days=400))}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "closes_on"
    ok = admin.put(url, {"closes_on": str(TODAY + dt.timedelta(days=10))}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["closes_on"] == str(TODAY + dt.timedelta(days=10))
    assert any(w["election_id"] == election.election_id and w["closes_on"] for w in admin.get("/api/v1/survey/elections").json())
    assert signed_in_client(world.users.feoa_wmp).put(url, {"closes_on": str(TODAY)}, content_type="application/json").status_code == 403
    assert admin.put("/api/v1/survey/elections/nope/closing-date", {"closes_on": str(TODAY)}, content_type="application/json").status_code == 404


# --- insights ------------------------------------------------------------------------------------


def many_responses(world, n: int = 40) -> None:
    """Responses as stored (the service is tested above): 60% experienced, a third of those told the police."""
    for i in range(n):
        experienced = i % 5 < 3
        SurveyResponse.objects.create(
            election=world.elections.ge, week=TODAY - dt.timedelta(days=TODAY.weekday()), election_type="parl",
            gender="female" if i % 2 else "male", party="Labour Party", region="West Midlands" if i < 30 else "London",
            force="E23000014" if i < 30 else "E23000001",
            answers={"experiences": ["verbal"] if experienced else [], "reported": experienced or None,
                     "reported_to": ["police"] if experienced and i % 3 == 0 else ["party"] if experienced else [], "changes": [],
                     "adviser_view": "helpful", "guidance_view": "not_used"})


def test_the_survey_insights_page_api_csv_and_briefing_pack(world):
    open_survey(world)
    many_responses(world)
    refresh_snapshots(trigger="command")
    stored = SurveyFigures.objects.get(key="all")
    assert stored.payload["enough"] and stored.payload["headline"]["experienced"]["count"] == 24
    analyst = signed_in_client(world.users.analyst)
    page = analyst.get("/insights/survey/").content.decode()
    assert "Under-reporting by police force" in page and "60% (" in page
    assert 'href="/insights/survey/tables/survey-underreporting.csv?election=all"' in page  # each table downloads from the survey's own view
    one = analyst.get("/insights/survey/?election=parl.2024-07-04")
    assert one.status_code == 200 and analyst.get("/insights/survey/?election=nope").status_code == 404
    api = analyst.get("/api/v1/insights/survey").json()
    under = {r["_values"]["code"]: r for r in api["figures"]["underreporting"]["rows"]}
    assert under["E23000014"]["respondents"] == "30"
    table = analyst.get("/api/v1/insights/survey/tables/survey-gender").json()
    assert [r["_values"]["key"] for r in table["rows"]] == ["male", "female"]  # by label: Men, Women
    csv = analyst.get("/insights/survey/tables/survey-underreporting.csv")
    assert csv.status_code == 200 and b"Under-reporting by police force" in csv.content
    assert AuditEvent.objects.filter(object_type="insights.survey", action="export").count() == 3
    for role in ("feoa_wmp", "candidate", "admin"):
        client = signed_in_client(getattr(world.users, role))
        assert client.get("/insights/survey/").status_code == 403 and client.get("/api/v1/insights/survey").status_code == 403
    pdf = analyst.get("/insights/briefing.pdf?election=parl.2024-07-04&force=national")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_briefing_pack_has_a_survey_page():
    from ballotguard.insights.briefing import _Briefing, _survey_section
    from ballotguard.engines.insights import survey as engine

    responses = [engine.Response("female", "Labour", "North West", "E1", "parl", i % 2 == 0, True, False, i % 4 == 0, True, False) for i in range(40)]
    payload = engine.figures(responses, invited=80, baselines=[engine.ForceBaseline("E1", "Testshire", 200, 30)], views={}, threshold=5, min_respondents=10)
    pdf = _Briefing("footer", demo=False)
    pdf.add_page()
    _survey_section(pdf, payload)
    assert pdf.page_no() >= 2
