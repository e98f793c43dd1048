"""Insights end to end on the shared test world: refresh, scope per role, perturbation on the page
and in exports, pseudonymised records and the audited reveal, and the JSON API."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from ballotguard.accounts.models import AuditEvent
from ballotguard.incidents.models import Incident
from ballotguard.insights import services
from ballotguard.insights.models import RefreshRun, RevealReason, Snapshot
from ballotguard.registry.models import Candidate

pytestmark = pytest.mark.django_db

THREE = {"0", "5", "6", "7", "8"}  # what the cell-key method can show for a true 3: never 3, within 5


def near(shown, true: int) -> bool:
    return abs(int(str(shown).replace(",", "")) - true) <= 5 and int(str(shown).replace(",", "")) not in {1, 2, 3, 4}


def add_incidents(candidate: Candidate, n: int, *, forces, reporter, status=Incident.Status.NEW, risk="medium", **fields) -> list[Incident]:
    made = []
    for k in range(n):
        when = timezone.now() - dt.timedelta(days=7 * (k % 3))
        incident = Incident.objects.create(
            candidate=candidate, reported_by=reporter, status=status, occurred_at=when, submitted_at=when, place=fields.get("place", "online"),
            behaviours=fields.get("behaviours", ["abusive_or_hateful_message"]), characteristics=fields.get("characteristics", []),
            issue_tags=fields.get("issue_tags", []), risk_level=risk, description="test", crime_reference=fields.get("crime_reference", ""),
        )
        incident.forces.set(forces)
        made.append(incident)
    return made


def test_refresh_makes_national_and_force_snapshots_per_election(world, figures):
    ge = world.elections.ge
    scopes = set(Snapshot.objects.filter(election=ge).values_list("scope", flat=True))
    assert scopes == {"national", world.forces.met.code, world.forces.city.code, world.forces.wmp.code}
    national = Snapshot.objects.get(election=ge, scope="national")
    assert national.incidents == 15  # the draft is not counted
    assert near(national.payload["headline"]["incidents"]["value"], 15)  # published perturbed
    assert national.payload["method"]["name"] == "cell-key perturbation"
    met = Snapshot.objects.get(election=ge, scope=world.forces.met.code)
    assert met.incidents == 12


def test_small_counts_never_reach_the_page(world, figures, client_as):
    page = client_as(world.users.analyst).get(f"/insights/trends/?election={world.elections.ge.election_id}&force=national").content.decode()
    forces = page[page.index("By police force"):]
    start = forces.index('<th scope="row" class="govuk-table__header">West Midlands</th>')
    west_midlands = forces[start:forces.index("</tr>", start)]
    shown = re.findall(r"<td class=\"govuk-table__cell[^\"]*\">([0-9,]+)</td>", west_midlands)[0]
    assert shown in THREE and ">3<" not in west_midlands
    assert "Figures are perturbed to protect individuals: totals may not equal the sum of rows." in page
    assert 'id="method"' in page and "cell-key method" in page
    wmp = client_as(world.users.feoa_wmp).get(f"/insights/?election={world.elections.ge.election_id}")
    html = wmp.content.decode()
    # The West Midlands has 3 incidents: the headline never shows the 3, and shows what the national
    # page shows for the same incidents (the same cell key, the same value: nothing to average away).
    headline = html[html.index('data-testid="headline"'):html.index("</dl>", html.index('data-testid="headline"'))]
    assert re.search(rf"<dd class=\"govuk-summary-list__value\">{shown}</dd>", headline)
    assert not re.search(r"<dd class=\"govuk-summary-list__value\">3</dd>", headline)


def test_feoa_sees_only_their_force_and_other_roles_nothing(world, figures, client_as):
    met = client_as(world.users.feoa_met)
    assert met.get("/insights/").status_code == 200
    assert met.get(f"/insights/?force={world.forces.wmp.code}").status_code == 404
    assert met.get("/insights/?force=national").status_code == 404
    assert met.get(f"/api/v1/insights/figures?force={world.forces.wmp.code}").status_code == 404
    assert met.get("/api/v1/insights").json()["scopes"] == [world.forces.met.code]
    for user in (world.users.candidate, world.users.ro_westminster, world.users.admin):
        client = client_as(user)
        assert client.get("/insights/").status_code == 403
        assert client.get("/api/v1/insights/figures").status_code == 403
        assert client.get("/insights/records/").status_code == 403
    assert met.get("/insights/records/").status_code == 403  # records are for analysts


def test_analyst_sees_national_and_any_force(world, figures, client_as):
    analyst = client_as(world.users.analyst)
    body = analyst.get(f"/api/v1/insights/figures?election={world.elections.ge.election_id}").json()
    assert body["scope"] == "national"
    genders = {r["group"]: r for r in next(t for t in body["figures"]["disparities"] if t["name"] == "gender")["rows"]}
    assert genders["Women"]["candidates"]  # denominators are shown
    method = body["figures"]["method"]  # the API says how its figures are protected, as the pages do
    assert method["name"] == "cell-key perturbation" and method["max_noise"] == 5 and "totals may not equal" in method["note"]
    assert analyst.get(f"/insights/map/?force={world.forces.wmp.code}").status_code == 200


def test_csv_export_is_perturbed_safe_and_audited(world, figures, client_as):
    analyst = client_as(world.users.analyst)
    response = analyst.get(f"/insights/tables/forces.csv?election={world.elections.ge.election_id}&force=national")
    assert response.status_code == 200
    text = response.content.decode()
    assert "OFFICIAL-SENSITIVE" in text.splitlines()[0] and "totals may not equal the sum of rows" in text.splitlines()[0]
    west_midlands = next(line for line in text.splitlines() if line.startswith("West Midlands"))
    assert west_midlands.split(",")[1] in THREE
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, object_type="insights.table").exists()
    assert analyst.get("/insights/tables/nonsense.csv").status_code == 404
    areas = analyst.get(f"/insights/tables/areas.csv?election={world.elections.ge.election_id}&force=national").content.decode()
    assert areas.splitlines()[1] == "Constituency,Candidates,Incidents,Per 100 candidates (95% CI)"
    # Both constituencies are shown: Yardley's 3 perturbed (never 3), and 15 - 12 gives it back only by chance.
    rows = {line.split(",")[0]: line.split(",")[2] for line in areas.splitlines()[2:]}
    assert set(rows) == {"Birmingham Yardley", "Cities of London and Westminster"} and "[c]" not in areas
    assert rows["Birmingham Yardley"] in THREE and near(rows["Cities of London and Westminster"], 12)


def test_records_are_pseudonymised_and_a_reveal_needs_a_reason_and_is_audited(world, figures, client_as):
    analyst = client_as(world.users.analyst)
    page = analyst.get("/insights/records/")
    html = page.content.decode()
    assert page.status_code == 200
    assert world.candidates.clw_1.name not in html
    assert not any(i.reference in html for i in Incident.objects.all())
    first = re.search(r"<code class=\"bg-nowrap\">(P-[0-9A-F]{16})</code>", html).group(1)

    short = analyst.post("/insights/records/", {"pseudonym": first, "reason": "curious"})
    assert "Give the reason you need to see who this is" in short.content.decode()
    assert not RevealReason.objects.exists()

    reason = "Possible coordinated campaign: checking whether the same candidate is behind two clusters"
    shown = analyst.post("/insights/records/", {"pseudonym": first, "reason": reason})
    html = shown.content.decode()
    incident = next(i for i in Incident.objects.exclude(status=Incident.Status.DRAFT) if services.pseudonym(i.reference) == first)
    assert f"is incident {incident.reference}" in html and incident.candidate.name in html
    stored = RevealReason.objects.get()
    assert stored.reason == reason and stored.user == world.users.analyst
    event = AuditEvent.objects.filter(object_type="incident", object_id=incident.reference).get()
    assert "reason" in event.detail and reason not in event.detail

    unknown = analyst.post("/insights/records/", {"pseudonym": "P-0000000000000000", "reason": reason})
    assert "No record has that pseudonym" in unknown.content.decode()


def test_refresh_button_queues_the_task(world, figures, client_as):
    before = RefreshRun.objects.count()
    response = client_as(world.users.feoa_met).post("/insights/refresh/", {"next": "/insights/trends/"})
    assert response.status_code == 302 and response["Location"] == "/insights/trends/"
    assert RefreshRun.objects.count() == before + 1  # the test settings run tasks at once
    api = client_as(world.users.analyst).post("/api/v1/insights/refresh")
    assert api.status_code == 202
    assert client_as(world.users.candidate).post("/api/v1/insights/refresh").status_code == 403


def test_a_refresh_whose_worker_died_is_failed_and_does_not_hold_back_the_next(world, figures, client_as, settings):
    settings.BALLOTGUARD_JOB_STALE_AFTER = 3600
    dead = RefreshRun.objects.create(trigger="schedule", started_at=timezone.now() - dt.timedelta(hours=2))
    recent = RefreshRun.objects.create(trigger="schedule", started_at=timezone.now() - dt.timedelta(minutes=10))
    assert services.refresh_running()  # the recent one may still be working
    dead.refresh_from_db()
    assert dead.status == RefreshRun.Status.FAILED and dead.error.startswith("The task worker stopped while this was running")
    assert RefreshRun.objects.get(pk=recent.pk).status == RefreshRun.Status.RUNNING
    RefreshRun.objects.filter(pk=recent.pk).update(started_at=timezone.now() - dt.timedelta(hours=1, minutes=1))
    assert not services.refresh_running()
    assert "A refresh is running now" not in client_as(world.users.analyst).get("/insights/").content.decode()


def test_pages_before_the_first_refresh_say_so(world, client_as):
    page = client_as(world.users.analyst).get("/insights/")
    assert page.status_code == 200
    assert "The figures have not been computed yet." in page.content.decode()


def test_every_page_renders_for_analyst_and_feoa(world, figures, client_as):
    for user in (world.users.analyst, world.users.feoa_met):
        client = client_as(user)
        for path in ("/insights/", "/insights/trends/", "/insights/disparities/", "/insights/coverage/", "/insights/map/"):
            response = client.get(path)
            assert response.status_code == 200, (user, path)
            assert b"OFFICIAL-SENSITIVE" in response.content
    local = client_as(world.users.analyst).get(f"/insights/map/?election={world.elections.local.election_id}")
    assert local.status_code == 200
    assert "Councils, highest rate first" in local.content.decode() and "Birmingham" in local.content.decode()


def test_records_page_through_without_a_total(world, client_as):
    add_incidents(world.candidates.clw_1, services.PAGE_SIZE + 3, forces=[world.forces.met], reporter=world.users.candidate)
    analyst = client_as(world.users.analyst)
    first = analyst.get("/insights/records/").content.decode()
    assert first.count('<code class="bg-nowrap">P-') == services.PAGE_SIZE and "Next page" in first
    second = analyst.get("/insights/records/?page=2").content.decode()
    assert second.count('<code class="bg-nowrap">P-') == 3 and "Next page" not in second


def test_weeks_are_uk_weeks_from_monday(world):
    """00:30 on Monday 1 July 2024 in London is 23:30 UTC on Sunday: it belongs to the week of 1 July."""
    london = dt.timezone(dt.timedelta(hours=1))  # BST
    monday_early = dt.datetime(2024, 7, 1, 0, 30, tzinfo=london)
    sunday_late = dt.datetime(2024, 6, 30, 23, 30, tzinfo=london)
    for when in (monday_early, sunday_late):
        incident = Incident.objects.create(candidate=world.candidates.clw_1, reported_by=world.users.candidate, status=Incident.Status.NEW,
                                           occurred_at=when, submitted_at=when, place="online", behaviours=["assault"], description="x")
        incident.forces.set([world.forces.met])
    weeks = services.load_frames().incidents.sort("week")["week"].to_list()
    assert weeks == [dt.date(2024, 6, 24), dt.date(2024, 7, 1)]


def test_coverage_is_per_election(world):
    """Outreach to a general-election candidate counts for the general election only."""
    from ballotguard.outreach.models import ContactAttempt

    carol = world.candidates.yardley_1  # handed over with consent in the shared world
    assert carol.handed_over_at is not None
    ContactAttempt.objects.create(candidate=carol, adviser=world.users.feoa_wmp, method="phone", outcome="reached")
    services.refresh_snapshots(trigger="test")

    def wmp_row(election):
        payload = Snapshot.objects.get(election=election, scope="national").payload
        return next(r["_values"] for r in payload["coverage"]["rows"] if r["_values"]["code"] == world.forces.wmp.code)

    assert wmp_row(world.elections.ge)["handed_over"] >= 1 and wmp_row(world.elections.ge)["contacted"] == 1
    assert wmp_row(world.elections.local)["contacted"] == 0


def test_insights_open_on_the_latest_election_with_incidents_and_say_so(world, figures, client_as):
    """Issue 16, point 2: the later local election has no incidents, so the pages open on the general election."""
    assert world.elections.local.date > world.elections.ge.date
    assert Snapshot.objects.get(election=world.elections.local, scope="national").incidents == 0
    html = client_as(world.users.analyst).get("/insights/").content.decode()
    shown = re.search(r'data-testid="shown">([^<]+)<', html).group(1)
    assert shown.startswith(f"Showing {world.elections.ge.name} (4 July 2024), All of the UK: the latest election with incidents reported")
    # Asked for by name, the local election is shown, without the 'chosen for you' line.
    local = client_as(world.users.analyst).get(f"/insights/?election={world.elections.local.election_id}").content.decode()
    assert 'data-testid="shown"' not in local and world.elections.local.name in local


def test_weekly_figures_show_the_campaign_period_and_can_be_widened(world, client_as):
    """Issue 16, point 4: a report from January and one from today must not pad the GE2024 series with zeros."""
    london = dt.timezone(dt.timedelta(hours=1))
    for when in (dt.datetime(2024, 6, 20, 12, tzinfo=london), dt.datetime(2024, 6, 21, 12, tzinfo=london),
                 dt.datetime(2024, 1, 10, 12, tzinfo=london), timezone.now()):
        for _ in range(6):  # six a week: a perturbed 6 is never shown as 0
            incident = Incident.objects.create(candidate=world.candidates.clw_1, reported_by=world.users.candidate, status=Incident.Status.NEW,
                                               occurred_at=when, submitted_at=when, place="online", behaviours=["assault"], description="x")
            incident.forces.set([world.forces.met])
    services.refresh_snapshots(trigger="test")
    analyst = client_as(world.users.analyst)
    query = f"?election={world.elections.ge.election_id}&force=national"

    def weeks(html: str) -> list[str]:
        table = html[html.index('id="weekly-table"') if 'id="weekly-table"' in html else html.index("Incidents reported, by week"):]
        table = table[:table.index("</table>")]
        return re.findall(r'<th scope="row" class="govuk-table__header">([^<]+)</th>', table)

    campaign = analyst.get(f"/insights/trends/{query}").content.decode()
    period = re.search(r'data-testid="period">(.*?)</p>', campaign, re.S).group(1)
    assert "the weeks from 20 May 2024 to 29 July 2024" in period and "2 weeks outside it show incidents" in period
    shown = weeks(campaign)
    assert shown and all("2024-05-20" <= w <= "2024-07-29" for w in shown), shown
    assert len(shown) <= 11  # ten weeks at most, not two and a half years of zeros

    whole = analyst.get(f"/insights/trends/{query}&period=all").content.decode()
    assert len(weeks(whole)) > 100 and "Show the campaign period only" in whole

    from ballotguard.insights.briefing import briefing_for

    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(briefing_for(Snapshot.objects.get(election=world.elections.ge, scope="national"), generated_by="t"))
    text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "campaign period (20 May 2024 to 29 July 2024)" in text and "2026-" not in text.split("campaign period")[1][:3000]


def test_a_refresh_recomputes_only_the_elections_whose_inputs_changed(world, figures):
    """Issue 16, point 9: the every-five-minutes refresh must not burn a core recomputing unchanged figures."""
    first = {(s.election_id, s.scope): (s.pk, s.fingerprint, s.computed_at) for s in Snapshot.objects.all()}
    assert all(fingerprint for _, fingerprint, _ in first.values())
    again = services.refresh_snapshots(trigger="test")
    assert again.unchanged == again.snapshots == len(first)
    after = {(s.election_id, s.scope): (s.pk, s.fingerprint, s.computed_at) for s in Snapshot.objects.all()}
    assert {k: v[:2] for k, v in after.items()} == {k: v[:2] for k, v in first.items()}  # the same rows, kept
    assert all(after[k][2] >= first[k][2] for k in first)  # and known to be current as of this run

    # One more incident against a general-election candidate: the general election's snapshots are
    # recomputed (and count it); the local election's are kept.
    add_incidents(world.candidates.clw_1, 1, forces=[world.forces.met, world.forces.city], reporter=world.users.candidate)
    changed = services.refresh_snapshots(trigger="test")
    ge_keys = {k for k in first if k[0] == world.elections.ge.pk}
    assert changed.snapshots == len(first) and changed.unchanged == len(first) - len(ge_keys)
    assert Snapshot.objects.get(election=world.elections.ge, scope="national").incidents == 16
    now = {(s.election_id, s.scope): s.pk for s in Snapshot.objects.all()}
    assert all(now[k] != first[k][0] for k in ge_keys)
    assert all(now[k] == first[k][0] for k in first if k not in ge_keys)
    assert services.refresh_snapshots(trigger="test", force_all=True).unchanged == 0


def test_the_coverage_chart_ranks_by_the_share_it_shows(world, client_as):
    """Issue 16, point 8: the table ranks by several gaps (high-risk incidents waiting first), so its
    order is not the chart's; the chart of the share contacted must run from the lowest share."""
    import json

    from ballotguard.outreach.models import ContactAttempt

    Candidate.objects.filter(pk=world.candidates.clw_1.pk).update(handed_over_at=timezone.now(), consent_to_share=True)
    ContactAttempt.objects.create(candidate=world.candidates.yardley_1, adviser=world.users.feoa_wmp, method="phone", outcome="reached")
    add_incidents(world.candidates.yardley_1, 5, forces=[world.forces.wmp], reporter=world.users.candidate, risk="high")
    services.refresh_snapshots(trigger="test")
    html = client_as(world.users.analyst).get(f"/insights/coverage/?election={world.elections.ge.election_id}&force=national").content.decode()
    spec = json.loads(re.search(r'<script id="coverage-spec" type="application/json">(.*?)</script>', html, re.S).group(1))
    shares = [v["share"] for v in spec["data"]["values"]]
    assert shares == sorted(shares) and shares[-1] == 100 and "lowest first" in spec["title"]
    table = Snapshot.objects.get(election=world.elections.ge, scope="national").payload["coverage"]["rows"]
    assert table[0]["_values"]["code"] == world.forces.wmp.code  # the table still leads with high-risk incidents waiting
