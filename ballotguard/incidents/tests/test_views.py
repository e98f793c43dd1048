"""The incident pages without a browser: drafts, errors that keep what was typed, uploads, the case page."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ballotguard.incidents.models import Evidence, Incident

from .conftest import PNG

pytestmark = pytest.mark.django_db


def form(**overrides) -> dict:
    data = {
        "day": "3", "month": "4", "year": "2025", "time": "21:30", "place": "home",
        "behaviours": ["threat_to_kill_or_harm", "turning_up_at_home"], "home_address_known": "on",
        "description": "A man shouted through the letterbox that he would kill me.",
        "perpetrator": "Tall, grey coat", "obs_vehicle": "ab12 cde", "obs_phone": "", "action": "continue",
    }
    data.update(overrides)
    return data


def _checked(html: str, name: str, value: str) -> bool:
    """Whether the radio or checkbox ``name=value`` is rendered checked."""
    tags = re.findall(r"<input[^>]*>", html)
    return any(f'name="{name}"' in t and f'value="{value}"' in t and " checked" in t for t in tags)


def test_every_report_screen_starts_with_999(world, client_as):
    carol = client_as(world.users.candidate)
    html = carol.get("/incidents/report/").content.decode()
    main = html[html.index('id="main-content"'):]
    assert main.index("call <a class=\"govuk-link\" href=\"tel:999\">999</a>") < main.index("<h1")


def test_report_journey_draft_evidence_check_send(world, client_as):
    carol = client_as(world.users.candidate)
    response = carol.post("/incidents/report/", form(action="draft"))
    assert response.status_code == 302 and response["Location"] == "/incidents/"
    incident = Incident.objects.get()
    assert incident.status == "draft" and incident.forces.count() == 0  # nobody sees a draft
    assert incident.observables.get().display == "AB12 CDE"

    response = carol.post(f"/incidents/{incident.reference}/edit/", form())
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.reference}/evidence/"
    upload = SimpleUploadedFile("front-door.png", PNG, content_type="image/png")
    response = carol.post(f"/incidents/{incident.reference}/evidence/", {"files": [upload], "action": "continue"})
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.reference}/check/"
    check = carol.get(f"/incidents/{incident.reference}/check/").content.decode()
    assert "Check your report" in check and "front-door.png" in check
    assert check.index('href="tel:999"') < check.index("<h1")  # the 999 warning before anything else
    response = carol.post(f"/incidents/{incident.reference}/check/")
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "new" and incident.risk_level == "high"
    page = carol.get(f"/incidents/{incident.reference}/").content.decode()
    assert "This has not reported a crime to the police." in page and "West Midlands" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"day": "31", "month": "2"}, "Date it happened must be a real date"),
        ({"year": "2999"}, "The date it happened must be today or in the past"),
        ({"obs_vehicle": "NOT A REG"}, "Enter a UK vehicle registration"),
        ({"area": "Atlantis"}, "Enter the name of a constituency, council or ward"),
        ({"behaviours": []}, "Select what happened"),
    ],
)
def test_errors_keep_everything_typed(world, client_as, overrides, message):
    carol = client_as(world.users.candidate)
    response = carol.post("/incidents/report/", form(**overrides))
    assert response.status_code == 200
    html = response.content.decode()
    assert "govuk-error-summary" in html and message in html
    assert "A man shouted through the letterbox" in html and "Tall, grey coat" in html
    assert _checked(html, "place", "home")
    assert all(_checked(html, "behaviours", b) for b in form(**overrides)["behaviours"])
    assert Incident.objects.filter(status="new").count() == 0


def test_mislabelled_and_oversized_uploads_are_refused_and_keep_what_was_stored(world, client_as, monkeypatch):
    carol = client_as(world.users.candidate)
    carol.post("/incidents/report/", form())
    incident = Incident.objects.get()
    ok = SimpleUploadedFile("one.png", PNG, content_type="image/png")
    carol.post(f"/incidents/{incident.reference}/evidence/", {"files": [ok], "action": "upload"})
    fake = SimpleUploadedFile("holiday.jpg", b"MZ\x90\x00" + b"\x00" * 64, content_type="image/jpeg")
    response = carol.post(f"/incidents/{incident.reference}/evidence/", {"files": [fake], "action": "upload"})
    assert response.status_code == 400
    assert "says it is a .jpg" in response.content.decode()

    from ballotguard.core import uploads

    monkeypatch.setattr(uploads, "upload_limit", lambda: 1000)
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * 5000, content_type="image/png")
    response = carol.post(f"/incidents/{incident.reference}/evidence/", {"files": [big], "action": "upload"})
    assert response.status_code == 400 and "The selected file must be smaller than 1 KB" in response.content.decode()
    assert list(Evidence.objects.values_list("original_name", flat=True)) == ["one.png"]


def test_feoa_case_page_forms_show_errors_in_govuk_style(world, client_as):
    carol = client_as(world.users.candidate)
    carol.post("/incidents/report/", form())
    incident = Incident.objects.get()
    carol.post(f"/incidents/{incident.reference}/check/")
    feoa = client_as(world.users.feoa_wmp)
    queue = feoa.get("/incidents/").content.decode()
    assert incident.reference in queue and "High risk" in queue
    feoa.post(f"/incidents/{incident.reference}/status/", {"status": "triaged"})
    response = feoa.post(f"/incidents/{incident.reference}/status/", {"status": "referred"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and "Enter the police crime reference number" in html
    response = feoa.post(f"/incidents/{incident.reference}/risk/", {"level": "low", "reason": ""})
    assert response.status_code == 400 and "Enter why you are changing the risk level" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == "triaged" and incident.risk_override_level == ""


def test_another_candidate_sees_nothing_of_carols_incident(world, client_as, alice):
    carol = client_as(world.users.candidate)
    carol.post("/incidents/report/", form())
    incident = Incident.objects.get()
    other = client_as(alice)
    assert other.get(f"/incidents/{incident.reference}/").status_code == 404
    assert other.get(f"/incidents/{incident.reference}/edit/").status_code == 404
    assert incident.reference not in other.get("/incidents/").content.decode()


def test_a_case_page_shown_again_with_errors_is_an_audited_read(world, client_as):
    from ballotguard.accounts.models import AuditEvent

    carol = client_as(world.users.candidate)
    carol.post("/incidents/report/", form())
    incident = Incident.objects.get()
    carol.post(f"/incidents/{incident.reference}/check/")
    before = AuditEvent.objects.filter(action="read", object_type="incident", actor_username="feoa-wmp").count()
    response = client_as(world.users.feoa_wmp).post(f"/incidents/{incident.reference}/notes/", {"note": ""})
    assert response.status_code == 400 and "A man shouted" in response.content.decode()
    assert AuditEvent.objects.filter(action="read", object_type="incident", actor_username="feoa-wmp").count() == before + 1


def test_an_expired_form_gets_a_govuk_page_that_says_what_to_do(world):
    from django.test import Client

    from conftest import signed_in_client

    client = signed_in_client(world.users.candidate, Client(enforce_csrf_checks=True))
    response = client.post("/incidents/report/", form())
    assert response.status_code == 403
    html = response.content.decode()
    assert "Sorry, we could not save that" in html and "Back" in html and "999" in html
    assert Incident.objects.count() == 0


def test_danger_stops_the_report_at_once_with_a_tap_to_call_999_page(world, client_as):
    """'I am in danger now' must interrupt before anything else is asked (not show advice on step 3)."""
    carol = client_as(world.users.candidate)
    response = carol.post("/incidents/report/", form(in_danger_now="on"))
    assert response.status_code == 200
    html = response.content.decode()
    main = html[html.index('id="main-content"'):]
    assert "<h1" in main and "Call 999 now" in main[main.index("<h1"):main.index("</h1>")]
    assert 'href="tel:999"' in main and "Add evidence" not in html
    draft = Incident.objects.get()  # nothing typed is lost: it is a draft, sent to nobody
    assert draft.status == "draft" and draft.in_danger_now and draft.forces.count() == 0
    assert draft.reference in main and "has not been sent to anyone" in main

    # "I am safe now" re-posts what was typed, marked as seen, and the journey goes on to evidence.
    carried = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', main))
    assert carried["danger_acknowledged"] == "1" and carried["description"].startswith("A man shouted")
    resume = re.search(r'<form method="post" action="([^"]+)"', main).group(1)
    assert resume == f"/incidents/{draft.reference}/edit/"
    response = carol.post(resume, form(in_danger_now="on", danger_acknowledged="1"))
    assert response.status_code == 302 and response["Location"] == f"/incidents/{draft.reference}/evidence/"
    assert Incident.objects.count() == 1


def test_danger_interrupts_even_when_the_rest_of_the_form_has_errors(world, client_as):
    carol = client_as(world.users.candidate)
    response = carol.post("/incidents/report/", form(in_danger_now="on", day="31", month="2"))
    html = response.content.decode()
    assert response.status_code == 200 and "Call 999 now" in html and 'href="tel:999"' in html
    assert "has not been saved yet" in html and Incident.objects.count() == 0
    # Going on shows the form again with its error and everything typed.
    response = carol.post("/incidents/report/", form(in_danger_now="on", day="31", month="2", danger_acknowledged="1"))
    html = response.content.decode()
    assert "Date it happened must be a real date" in html and "A man shouted through the letterbox" in html
    assert _checked(html, "in_danger_now", "on")


def test_the_danger_question_comes_first_on_the_report_form(world, client_as):
    html = client_as(world.users.candidate).get("/incidents/report/").content.decode()
    form_html = html[html.index("<form"):]
    assert form_html.index('name="in_danger_now"') < form_html.index('name="day"')
    assert 'data-aria-controls="conditional-danger"' in form_html and 'href="tel:999"' in form_html[:form_html.index('name="day"')]


def test_feoa_sees_new_and_overdue_counts_and_dates_with_their_year(world, client_as, file_report):
    """Issue 16, point 7: at 11pm, 'Overdue since 23 May' of an earlier year must not pass for tonight's."""
    import datetime as dt

    from django.utils import timezone

    old = file_report(world.users.candidate, world.candidates.yardley_1)
    Incident.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - dt.timedelta(days=400))
    tonight = file_report(world.users.candidate, world.candidates.yardley_1, place="home", behaviours=["threat_to_kill_or_harm", "turning_up_at_home"],
                          home_address_known=True, description="A man shouted through the letterbox that he would kill me.")
    assert tonight.effective_risk == "high"
    feoa = client_as(world.users.feoa_wmp)

    home = feoa.get("/").content.decode()
    counts = re.findall(r'bg-case-count__number">(\d+)</span><span class="bg-case-count__label">([^<]+)<', home)
    assert counts == [("1", "past their triage time"), ("2", "new, waiting for triage"), ("1", "open and high risk")]

    queue = feoa.get("/incidents/").content.decode()
    year_ago = timezone.localtime(timezone.now() - dt.timedelta(days=400)).year
    assert re.search(rf"Overdue since \d+ \w+ {year_ago}, \d\d:\d\d", queue)
    assert "Today " in queue  # tonight's report reads as today, not as a bare date
    # The overdue count links to exactly those cases.
    overdue_only = feoa.get("/incidents/?status=new&overdue=on").content.decode()
    assert old.reference in overdue_only and overdue_only.count('href="/incidents/BG-') == 1

@pytest.mark.parametrize("action", ["draft", "continue"])
def test_an_empty_report_leaves_no_orphan_draft(world, client_as, action):
    """Issue 16 point 8: pressing a button on an empty form left a draft called "Not given"."""
    carol = client_as(world.users.candidate)
    response = carol.post("/incidents/report/", {"action": action})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and "Select what happened, or type something" in html
    assert not Incident.objects.exists()
    # One thing typed is enough for a draft.
    response = carol.post("/incidents/report/", {"action": "draft", "description": "A letter came."})
    assert response.status_code == 302 and Incident.objects.get().status == "draft"


def test_the_queue_runs_the_triage_clock_to_the_forces_own_target(world, client_as, file_report):
    """A force's own triage targets (docs/case-clocks.md) reach the case queue: page, counts, the
    overdue filter, sorting, the case page and the API, not the national hour and day."""
    import datetime as dt

    from django.utils import timezone

    from ballotguard.incidents.models import ClockTarget

    wmp = world.forces.wmp
    ClockTarget.objects.create(force=wmp, clock="triage", risk_level="high", hours=4)  # national: 1 hour
    ClockTarget.objects.create(force=wmp, clock="triage", risk_level="low", hours=2)  # national: 24 hours
    high = file_report(world.users.candidate, world.candidates.yardley_1, place="home", behaviours=["threat_to_kill_or_harm", "turning_up_at_home"],
                       home_address_known=True, description="A man shouted through the letterbox that he would kill me.")
    low = file_report(world.users.candidate, world.candidates.yardley_1)
    assert (high.effective_risk, low.effective_risk) == ("high", "low")
    sent = timezone.now() - dt.timedelta(hours=3)
    Incident.objects.filter(pk__in=[high.pk, low.pk]).update(submitted_at=sent)
    high.refresh_from_db()
    low.refresh_from_db()
    assert not high.triage_overdue and low.triage_overdue  # the other way round on the national clock
    assert high.triage_due_at == sent + dt.timedelta(hours=4) and low.triage_due_at == sent + dt.timedelta(hours=2)

    feoa = client_as(world.users.feoa_wmp)
    home = feoa.get("/").content.decode()
    counts = re.findall(r'bg-case-count__number">(\d+)</span><span class="bg-case-count__label">([^<]+)<', home)
    assert ("1", "past their triage time") in counts
    overdue_only = feoa.get("/incidents/?status=new&overdue=on").content.decode()
    assert low.reference in overdue_only and high.reference not in overdue_only
    queue = feoa.get("/incidents/").content.decode()
    assert queue.count("Overdue since") == 1
    by_clock = feoa.get("/incidents/?sort=triage_by&order=asc").content.decode()
    assert by_clock.index(low.reference) < by_clock.index(high.reference)  # due first: low at +2 h, high at +4 h
    assert "Triage overdue" not in feoa.get(f"/incidents/{high.reference}/").content.decode()
    assert "Triage overdue" in feoa.get(f"/incidents/{low.reference}/").content.decode()

    api = {i["reference"]: i for i in feoa.get("/api/v1/incidents?status=open").json()["items"]}
    assert api[high.reference]["triage_overdue"] is False and api[low.reference]["triage_overdue"] is True
    assert abs(dt.datetime.fromisoformat(api[high.reference]["triage_due_at"]) - (sent + dt.timedelta(hours=4))) < dt.timedelta(seconds=1)
    assert feoa.get("/api/v1/incidents?overdue=true").json()["items"][0]["reference"] == low.reference


def test_the_case_page_works_out_the_triage_time_once(world, client_as, file_report, monkeypatch):
    """The case page reads the triage time up to three times (overdue?, the banner, the inset): it
    costs its two queries once per request, not per read. The queue keeps its single query."""
    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from ballotguard.incidents.models import ClockTarget
    from ballotguard.incidents.services import clocks

    low = file_report(world.users.candidate, world.candidates.yardley_1)
    Incident.objects.filter(pk=low.pk).update(submitted_at=timezone.now() - dt.timedelta(days=2))
    feoa = client_as(world.users.feoa_wmp)
    target_table = ClockTarget._meta.db_table
    with CaptureQueriesContext(connection) as page:
        html = feoa.get(f"/incidents/{low.reference}/").content.decode()
    assert "Triage overdue" in html and "was due for triage by" in html
    assert sum(f'"{target_table}"' in q["sql"] for q in page.captured_queries) == 1  # two reads: it was 2
    def per_row(incident):
        raise AssertionError("the queue reads the triage time from its SQL annotation, not per row")

    monkeypatch.setattr(clocks, "triage_due_of", per_row)
    assert "Overdue since" in feoa.get("/incidents/").content.decode()
    monkeypatch.undo()

    # Worked out again when what it depends on changes on the same instance.
    incident = Incident.objects.get(pk=low.pk)
    first = incident.triage_due_at
    incident.submitted_at += dt.timedelta(hours=1)
    assert incident.triage_due_at == first + dt.timedelta(hours=1)


def test_a_case_in_two_forces_runs_to_the_shorter_of_their_triage_targets(world, alice, client_as, file_report):
    import datetime as dt

    from django.utils import timezone

    from ballotguard.incidents.models import ClockTarget

    ClockTarget.objects.create(force=world.forces.city, clock="triage", risk_level="low", hours=6)
    ClockTarget.objects.create(force=world.forces.met, clock="triage", risk_level="low", hours=12)
    incident = file_report(alice, world.candidates.clw_1)  # Cities of London and Westminster: Met and City
    assert {f.code for f in incident.forces.all()} == {world.forces.met.code, world.forces.city.code} and incident.effective_risk == "low"
    Incident.objects.filter(pk=incident.pk).update(submitted_at=timezone.now() - dt.timedelta(hours=7))
    for user in (world.users.feoa_met, world.users.feoa_city):
        item = client_as(user).get("/api/v1/incidents?status=open").json()["items"][0]
        assert item["reference"] == incident.reference and item["triage_overdue"] is True


def test_the_queue_page_states_the_triage_targets_it_runs_to(world, client_as):
    """The sentence above the queue says the clock the queue keeps: the force's own targets, not
    'an hour for high risk, a day for the rest' once the force has set its own."""
    from ballotguard.incidents.models import ClockTarget

    ClockTarget.objects.create(force=world.forces.wmp, clock="triage", risk_level="high", hours=4)
    page = client_as(world.users.feoa_wmp).get("/incidents/").content.decode()
    assert "within an hour" not in page
    assert f"{world.forces.wmp.name} 4 / 24 / 24" in page
