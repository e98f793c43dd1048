"""Tables people can sort (issue 17), page by page and in the API: the case queue, the outreach
worklist, flagged messages, coordinated campaigns and the candidate list. Each sorts by a header
link, marks the sorted column with aria-sort, keeps the filters and the paging, falls back to its
own order for an unknown column on a page, and answers 422 naming the field in the API."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from ballotguard.incidents.models import Incident
from ballotguard.monitoring.models import Campaign, DetectionRun, Message
from ballotguard.registry.models import Candidate

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def header(html: str, label: str) -> str:
    """The <th> whose link says ``label``."""
    for th in re.findall(r"<th [^>]*>.*?</th>", html, flags=re.S):
        if re.search(rf">{re.escape(label)}</a></th>$", th):
            return th
    raise AssertionError(f"no sortable header {label!r}")


def href(th: str) -> str:
    return re.search(r'href="([^"]+)"', th).group(1).replace("&amp;", "&")


def incidents(world, n: int = 3) -> list[Incident]:
    """Carol's reports (West Midlands): sent 1, 2, 3 days ago, risk low, high, medium, one assigned."""
    made = []
    for k, (risk, rank) in enumerate([("low", 1), ("high", 3), ("medium", 2)][:n]):
        when = NOW - dt.timedelta(days=k + 1)
        i = Incident.objects.create(candidate=world.candidates.yardley_1, reported_by=world.users.candidate, status=Incident.Status.NEW,
                                    occurred_at=when, submitted_at=when, place="online", behaviours=["abusive_or_hateful_message"],
                                    risk_level=risk, risk_rank=rank, description="test")
        i.forces.set([world.forces.wmp])
        made.append(i)
    return made


def refs(html: str) -> list[str]:
    return re.findall(r'href="/incidents/([A-Z0-9-]+)/"', html)


# ---------------------------------------------------------------------------------------------------
# The FEOA's case queue


def test_queue_sorts_by_a_header_link_and_marks_aria_sort(world, client_as):
    made = incidents(world)
    feoa = client_as(world.users.feoa_wmp)
    html = feoa.get("/incidents/").content.decode()
    # The queue's own order (highest risk first) is shown on the Risk column.
    assert 'aria-sort="descending"' in header(html, "Risk") and 'aria-sort="none"' in header(html, "Sent")
    assert refs(html) == [made[1].reference, made[2].reference, made[0].reference]

    html = feoa.get("/incidents/?status=open&sort=sent&order=asc").content.decode()
    assert refs(html) == [made[2].reference, made[1].reference, made[0].reference]  # oldest first
    sent = header(html, "Sent")
    assert 'aria-sort="ascending"' in sent
    assert "order=desc" in href(sent) and "status=open" in href(sent)  # turns round, keeps the filter
    # The filter form carries the sort, so applying a filter keeps it.
    assert '<input type="hidden" name="sort" value="sent">' in html

    html = feoa.get("/incidents/?sort=sent&order=desc").content.decode()
    assert refs(html) == [made[0].reference, made[1].reference, made[2].reference]


def test_queue_sorts_by_who_is_assigned_with_nobody_last(world, client_as):
    made = incidents(world)
    Incident.objects.filter(pk=made[2].pk).update(assigned_to=world.users.feoa_wmp)
    feoa = client_as(world.users.feoa_wmp)
    for order in ("asc", "desc"):
        assert refs(feoa.get(f"/incidents/?sort=assigned&order={order}").content.decode())[0] == made[2].reference


@pytest.mark.parametrize("query", ["sort=password", "sort=risk&order=sideways", "sort=assigned_to__password", "sort=risk%3B%20DROP%20TABLE%20x", "order=up"])
def test_queue_falls_back_to_its_own_order_for_anything_unknown(world, client_as, query):
    made = incidents(world)
    response = client_as(world.users.feoa_wmp).get(f"/incidents/?{query}")
    assert response.status_code == 200
    assert refs(response.content.decode()) == [made[1].reference, made[2].reference, made[0].reference]


def test_queue_paging_keeps_the_sort(world, client_as, settings):
    settings.BALLOTGUARD_PAGE_SIZE = 2
    made = incidents(world)
    feoa = client_as(world.users.feoa_wmp)
    html = feoa.get("/incidents/?sort=sent&order=asc").content.decode()
    assert refs(html) == [made[2].reference, made[1].reference]
    next_link = re.search(r'href="(\?[^"]*page=2[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "sort=sent" in next_link and "order=asc" in next_link
    assert refs(feoa.get("/incidents/" + next_link).content.decode()) == [made[0].reference]


def test_queue_api_sorts_and_refuses_unknown_columns_naming_the_field(world, client_as):
    made = incidents(world)
    feoa = client_as(world.users.feoa_wmp)
    body = feoa.get("/api/v1/incidents?sort=sent&order=asc").json()
    assert [i["reference"] for i in body["items"]] == [made[2].reference, made[1].reference, made[0].reference]
    for query, field in [("sort=password", "sort"), ("sort=sent&order=up", "order")]:
        response = feoa.get(f"/api/v1/incidents?{query}")
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == field
    # A candidate sorts their own reports, but not by who is assigned (the advisers' business).
    carol = client_as(world.users.candidate)
    assert carol.get("/api/v1/incidents?sort=sent&order=desc").json()["items"][0]["reference"] == made[0].reference
    refused = carol.get("/api/v1/incidents?sort=assigned")
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "sort"


# ---------------------------------------------------------------------------------------------------
# The outreach worklist


def _hand_over(c: Candidate, days_ago: float, phone: str = "") -> None:
    Candidate.objects.filter(pk=c.pk).update(handed_over_at=NOW - dt.timedelta(days=days_ago), consent_to_share=True)
    c.refresh_from_db()
    c.email, c.phone = f"{c.person_id}@example.org", phone
    c.save(update_fields=["email", "phone", "data_key"])


def test_worklist_sorts_by_name_and_reachability_in_page_and_api(world, client_as):
    c = world.candidates
    _hand_over(c.yardley_2, 10)             # Dan: e-mail only
    _hand_over(c.ward_1, 3, "+447700900456")  # Erin: phone and e-mail
    feoa = client_as(world.users.feoa_wmp)
    names = lambda html: re.findall(r'href="/outreach/candidates/\d+/">([^<]+)</a>', html)  # noqa: E731
    assert names(feoa.get("/outreach/").content.decode()) == ["Dan Davies", "Erin Evans", "Carol Cooper"]
    html = feoa.get("/outreach/?sort=name&order=desc").content.decode()
    assert names(html) == ["Erin Evans", "Dan Davies", "Carol Cooper"]
    assert 'aria-sort="descending"' in header(html, "Candidate")
    assert names(feoa.get("/outreach/?sort=reach").content.decode())[-1] == "Dan Davies"  # e-mail only: after those with a phone
    api = feoa.get("/api/v1/outreach/worklist?sort=name&order=asc").json()
    assert [i["name"] for i in api["items"]] == ["Carol Cooper", "Dan Davies", "Erin Evans"]
    bad = feoa.get("/api/v1/outreach/worklist?sort=phone")  # encrypted: not offered
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "sort"


# ---------------------------------------------------------------------------------------------------
# Flagged messages and campaigns


def _messages(world) -> list[Message]:
    made = []
    for k, (abuse, threat, to) in enumerate([(0.9, 0.1, world.candidates.yardley_1), (0.7, 0.95, world.candidates.yardley_2), (0.8, None, world.candidates.yardley_1)]):
        made.append(Message.objects.create(platform="x", message_id=str(k), candidate=to, sent_at=NOW - dt.timedelta(hours=k + 1),
                                           text=f"message {k}", author_handle="@troll", abuse_score=abuse, threat_score=threat,
                                           review=Message.Review.WAITING))
    return made


def test_flagged_messages_sort_and_analysts_cannot_sort_by_candidate(world, client_as):
    made = _messages(world)
    feoa = client_as(world.users.feoa_wmp)
    ids = lambda html: [int(x) for x in re.findall(r'href="/monitoring/messages/(\d+)/"', html)]  # noqa: E731
    assert ids(feoa.get("/monitoring/").content.decode()) == [made[1].pk, made[0].pk, made[2].pk]
    html = feoa.get("/monitoring/?review=waiting&sort=message&order=asc").content.decode()
    assert ids(html) == [made[2].pk, made[1].pk, made[0].pk]  # oldest first
    assert 'aria-sort="ascending"' in header(html, "Message")
    assert "review=waiting" in href(header(html, "Review"))
    assert ids(feoa.get("/monitoring/?sort=candidate&order=desc").content.decode())[0] == made[1].pk  # Dan before Carol
    # The filter's select and checkbox are GOV.UK's (issue 16, point 3).
    assert 'class="govuk-select' in html and 'class="govuk-checkboxes__input' in html

    analyst = client_as(world.users.analyst)
    html = analyst.get("/monitoring/?sort=candidate&order=desc").content.decode()
    assert ids(html) == [made[1].pk, made[0].pk, made[2].pk]  # refused: the queue's own order
    assert 'data-sort="candidate"' not in html
    refused = analyst.get("/api/v1/messages/queue?sort=candidate")
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "sort"
    body = analyst.get("/api/v1/messages/queue?sort=message&order=asc").json()
    assert [m["id"] for m in body["items"]] == [made[2].pk, made[1].pk, made[0].pk]


def test_campaigns_sort_by_score_and_time(world, client_as):
    run = DetectionRun.objects.create(trigger="manual")
    made = []
    for k, score in enumerate([5.0, 9.0, 1.0]):
        made.append(Campaign.objects.create(key=f"k{k:07d}", fingerprint=f"f{k}", first_run=run, run=run, score=score,
                                            first_at=NOW - dt.timedelta(days=k), last_at=NOW - dt.timedelta(days=k) + dt.timedelta(hours=1)))
    analyst = client_as(world.users.analyst)
    pks = lambda html: [int(x) for x in re.findall(r'href="/monitoring/campaigns/(\d+)/"', html)]  # noqa: E731
    assert pks(analyst.get("/monitoring/campaigns/").content.decode()) == [made[1].pk, made[0].pk, made[2].pk]
    html = analyst.get("/monitoring/campaigns/?sort=score&order=asc").content.decode()
    assert pks(html) == [made[2].pk, made[0].pk, made[1].pk]
    assert 'aria-sort="ascending"' in header(html, "Score")
    api = analyst.get("/api/v1/campaigns?sort=when&order=asc").json()
    assert [c["id"] for c in api["items"]] == [made[2].pk, made[1].pk, made[0].pk]
    bad = analyst.get("/api/v1/campaigns?sort=accounts")
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "sort"


# ---------------------------------------------------------------------------------------------------
# The returning officer's candidate list


def test_candidate_list_sorts_for_a_returning_officer(world, client_as):
    ro = client_as(world.users.ro_birmingham)
    names = lambda html: re.findall(r'href="/candidates/\d+/">([^<]+)</a>', html)  # noqa: E731
    default = names(ro.get("/candidates/").content.decode())
    assert default == sorted(default)
    html = ro.get("/candidates/?sort=party&order=asc").content.decode()
    assert names(html) == ["Dan Davies", "Erin Evans", "Carol Cooper"]  # Green, Green, Labour; name breaks the tie
    assert 'aria-sort="ascending"' in header(html, "Party")
    api = ro.get("/api/v1/candidates?sort=handed_over&order=desc").json()
    assert api["items"][0]["name"] == "Carol Cooper"  # the only one handed over
    assert ro.get("/api/v1/candidates?sort=email").status_code == 422


def test_handover_tables_sort_within_each_ballot(world, client_as):
    Candidate.objects.filter(pk=world.candidates.yardley_2.pk).update(handed_over_at=NOW, consent_to_share=False)
    ro = client_as(world.users.ro_birmingham)
    html = ro.get("/handover/?sort=status&order=asc").content.decode()
    yardley = html[html.index("Birmingham Yardley"):]
    yardley = yardley[:yardley.index("</table>")]
    assert yardley.index("Carol Cooper") < yardley.index("Dan Davies")  # handed over, then refused
    assert 'aria-sort="ascending"' in header(yardley, "Status")
    html = ro.get("/handover/?sort=name&order=desc").content.decode()
    yardley = html[html.index("Birmingham Yardley"):]
    assert yardley.index("Dan Davies") < yardley.index("Carol Cooper")
    assert ro.get("/handover/?sort=email").status_code == 200  # not a column: the page's own order
