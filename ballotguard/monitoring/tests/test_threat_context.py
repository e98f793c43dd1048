"""Threat context in the monitoring app: what the product knows beyond a message's words raises its
threat score, with a reason, through ingest and rescoring alike; the rules-only setting still works."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest

from ballotguard.accounts.services import Actor
from ballotguard.monitoring import services
from ballotguard.monitoring.models import Message
from ballotguard.monitoring.services import scoring

from .conftest import THREAT, jsonl, message

pytestmark = pytest.mark.django_db

WAITING = "See you at the count, we will be waiting"


def _ingest(rows):
    services.ingest_file(Actor.cli(), io.BytesIO(jsonl(rows)), "context.jsonl")


def _m(n: int) -> Message:
    return Message.objects.get(message_id=str(n))


def test_a_sender_already_linked_to_an_incident_raises_the_score(handles):
    _ingest([message(2, THREAT)])  # from @Troll_2
    services.promote(Actor(user=handles.users.feoa_wmp), _m(2), expected="waiting")
    _ingest([message(11, WAITING, author_handle="@Troll_2"), message(12, WAITING, author_handle="@someone_else")])
    linked, other = _m(11), _m(12)
    assert linked.is_threat and other.is_threat
    assert linked.threat_score > other.threat_score
    assert "raised: the sender is already linked to an incident" in json.loads(linked.reasons)
    assert not any("linked to an incident" in r for r in json.loads(other.reasons))
    # the queue, worst first, puts the linked sender's message above the same words from someone else
    queue = [m.message_id for m in Message.objects.filter(message_id__in=["11", "12"]).order_by("-threat_score")]
    assert queue == ["11", "12"]


def test_polling_and_count_day_of_the_candidates_election_raise_the_score(handles):
    """Carol stands in Birmingham Yardley at the general election of 4 July 2024."""
    noon = dt.datetime(2024, 7, 4, 11, 0, tzinfo=dt.UTC)
    _ingest([
        message(21, WAITING, sent_at=noon.isoformat()),
        message(22, WAITING, sent_at=(noon + dt.timedelta(days=1)).isoformat()),
        message(23, WAITING, sent_at=(noon + dt.timedelta(days=9)).isoformat()),
    ])
    polling, count, later = _m(21), _m(22), _m(23)
    assert polling.threat_score == count.threat_score > later.threat_score
    assert any(r.startswith("raised: sent on the polling day of Birmingham Yardley (4 July 2024)") for r in json.loads(polling.reasons))
    assert any(r.startswith("raised: sent on the count day of Birmingham Yardley") for r in json.loads(count.reasons))
    assert not any(r.startswith("raised") for r in json.loads(later.reasons))


def test_an_open_campaign_check_in_raises_the_score(handles):
    """Carol checked in for an outing (a hustings, canvassing): messages sent during it rank higher;
    one sent after she checked out, or during a cancelled outing, does not."""
    from ballotguard.checkins.models import CheckIn

    carol = handles.candidates.yardley_1
    start = dt.datetime(2026, 3, 2, 18, 0, tzinfo=dt.UTC)

    def outing(begin, hours, **kw):
        return CheckIn.objects.create(user=handles.users.candidate, candidacy=carol, where="Yardley hustings", started_at=begin,
                                      expected_end=begin + dt.timedelta(hours=hours), buddy_name="Bea", **kw)

    outing(start, 2, status=CheckIn.Status.CHECKED_OUT, finished_at=start + dt.timedelta(hours=1))
    outing(start + dt.timedelta(days=1), 2, status=CheckIn.Status.CANCELLED, finished_at=start + dt.timedelta(days=1, minutes=5))
    at = lambda delta: (start + delta).isoformat()  # noqa: E731
    _ingest([
        message(61, WAITING, sent_at=at(dt.timedelta(minutes=30))),  # during the outing
        message(62, WAITING, sent_at=at(dt.timedelta(hours=1, minutes=30))),  # after she checked out
        message(63, WAITING, sent_at=at(dt.timedelta(days=1, minutes=30))),  # the cancelled one
    ])
    during, after, cancelled = _m(61), _m(62), _m(63)
    assert during.threat_score > after.threat_score == cancelled.threat_score
    assert "raised: sent while the candidate was out campaigning (a check-in was open), when the candidate is at a known public place" in json.loads(during.reasons)
    assert "Yardley hustings" not in during.reasons  # where she went is never read


def test_rescoring_reads_the_same_context(handles):
    _ingest([message(2, THREAT)])
    services.promote(Actor(user=handles.users.feoa_wmp), _m(2), expected="waiting")
    _ingest([message(31, WAITING, author_handle="@Troll_2")])
    before = _m(31).threat_score
    Message.objects.filter(message_id="31").update(threat_score=None, scored_at=None, reasons="")
    assert services.score_pending() >= 1
    assert _m(31).threat_score == before


def test_the_rules_alone_when_the_setting_says_so(handles, settings):
    settings.BALLOTGUARD_THREAT_SCORER = "rules"
    _ingest([message(41, THREAT), message(42, "I'm going to drown those people next week")])
    from ballotguard.engines.abuse.threats import assess_threat

    assert _m(41).threat_score == pytest.approx(assess_threat(THREAT).score, abs=1e-4) and _m(41).is_threat
    assert not _m(42).is_threat  # the rules miss it
    settings.BALLOTGUARD_THREAT_SCORER = "learned"
    Message.objects.filter(message_id="42").update(scored_at=None)
    services.score_pending()
    assert _m(42).is_threat and any(r.startswith("threat model") for r in json.loads(_m(42).reasons))


def test_context_queries_touch_no_encrypted_column(handles, django_assert_max_num_queries):
    _ingest([message(51, WAITING), message(52, WAITING, to="alice_clw")])
    messages = list(Message.objects.order_by("pk"))
    with django_assert_max_num_queries(3):
        contexts = scoring.threat_contexts(messages)
    assert len(contexts) == 2 and not any(c.sender_linked for c in contexts)
