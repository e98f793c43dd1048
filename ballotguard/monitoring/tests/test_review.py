"""Scoring with exposure, the review queue's scope and order, decisions, promotion, feedback."""

from __future__ import annotations

import io
import json
import re

import pytest

from ballotguard.accounts.services import Actor
from ballotguard.core import fields as core_fields
from ballotguard.core.matching import candidate_pseudonym
from ballotguard.incidents.models import Evidence, Incident
from ballotguard.incidents.services import open_evidence
from ballotguard.monitoring import services
from ballotguard.monitoring.models import Message, ReviewDecision
from ballotguard.registry.services import NotPermitted

from .conftest import ABUSE, ORDINARY, THREAT, jsonl, message

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(handles):
    rows = [
        message(1, ABUSE),
        message(2, THREAT),
        message(3, ORDINARY),
        message(4, "come round and see her then, she lives at b25 8aa"),  # Carol's postcode, differently written
        message(5, ABUSE, to="alice_clw"),
    ]
    services.ingest_file(Actor.cli(), io.BytesIO(jsonl(rows)), "inbox.jsonl")
    return handles


def _m(n: int) -> Message:
    return Message.objects.get(message_id=str(n))


def test_exposure_is_found_without_echoing_the_postcode(inbox):
    exposed = _m(4)
    assert exposed.exposes_contact and exposed.is_threat and exposed.review == Message.Review.WAITING
    reasons = json.loads(exposed.reasons)
    assert any("postcode" in r for r in reasons)
    assert not any("B25" in r.upper() for r in reasons)


def test_scoring_never_decrypts_the_candidates_contact_details(inbox, monkeypatch):
    """The scorer reads keyed fingerprints only: opening any registry.candidate column fails the test."""
    original = core_fields.EncryptedTextField.from_db_value

    def guarded(self, value, expression, connection):
        assert not self._context.startswith("registry.candidate."), f"scoring decrypted {self._context}"
        return original(self, value, expression, connection)

    monkeypatch.setattr(core_fields.EncryptedTextField, "from_db_value", guarded)
    Message.objects.update(scored_at=None)
    assert services.score_pending() == 5
    assert _m(4).exposes_contact


def test_the_queue_is_scoped_by_force_and_ordered_threat_first(inbox):
    wmp = list(services.queue(inbox.users.feoa_wmp, services.QueueFilter()))
    assert [m.message_id for m in wmp][:2] == ["2", "4"] or [m.message_id for m in wmp][:2] == ["4", "2"]
    assert {m.message_id for m in wmp} == {"1", "2", "4"}
    assert wmp[-1].message_id == "1"  # abuse without threat comes after the threats
    met = {m.message_id for m in services.queue(inbox.users.feoa_met, services.QueueFilter())}
    assert met == {"5"}
    with pytest.raises(Message.DoesNotExist):
        services.get_message(inbox.users.feoa_met, _m(1).pk)
    national = {m.message_id for m in services.queue(inbox.users.analyst, services.QueueFilter())}
    assert national == {"1", "2", "4", "5"}
    for user in (inbox.users.candidate, inbox.users.staff, inbox.users.admin, inbox.users.ro_birmingham):
        with pytest.raises(NotPermitted):
            services.queue(user, services.QueueFilter())


def test_analysts_see_pseudonyms_and_every_read_is_audited(inbox):
    from ballotguard.accounts.models import AuditEvent

    view = services.read_message(Actor(user=inbox.users.analyst), _m(4))
    assert "b25" not in view.text.lower() and "[postcode]" in view.text
    assert view.author.startswith("author-") and "troll" not in view.author.lower()
    carol = inbox.candidates.yardley_1
    assert view.candidate == candidate_pseudonym(carol.pk) and view.author_name == ""
    assert re.fullmatch(r"C-[0-9A-F]{16}", view.candidate)  # a keyed pseudonym, not the database id
    full = services.read_message(Actor(user=inbox.users.feoa_wmp), _m(4))
    assert full.author == "@troll_1" and full.candidate == "Carol Cooper"
    reads = AuditEvent.objects.filter(object_type="message", object_id=str(_m(4).pk), action="read")
    assert reads.count() == 2
    assert set(reads.get(actor=inbox.users.feoa_wmp).fields) >= {"text", "author_handle"}


def test_dismiss_and_confirm_are_recorded_as_feedback(inbox):
    feoa = Actor(user=inbox.users.feoa_wmp)
    services.decide(feoa, _m(1), "confirm", expected="waiting")
    services.decide(feoa, _m(4), "dismiss", expected="waiting")
    assert _m(1).review == "confirmed" and _m(4).review == "dismissed"
    assert list(ReviewDecision.objects.order_by("id").values_list("decision", "is_abusive", "decided_by_role")) == [
        ("confirmed", True, "feoa"), ("dismissed", False, "feoa")]
    rows = dict((text, label) for text, label in services.feedback_rows(Actor.cli()))
    assert rows[ABUSE] is True and rows[_m(4).text] is False


def test_a_stale_decision_is_refused_not_overwritten(inbox):
    services.decide(Actor(user=inbox.users.analyst), _m(1), "dismiss", expected="waiting")
    with pytest.raises(services.ReviewConflict, match="analyst"):
        services.decide(Actor(user=inbox.users.feoa_wmp), _m(1), "confirm", expected="waiting")
    assert _m(1).review == "dismissed"


def test_promotion_creates_an_incident_with_the_message_as_evidence(inbox):
    feoa = Actor(user=inbox.users.feoa_wmp)
    incident = services.promote(feoa, _m(2), expected="waiting")
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.candidate == inbox.candidates.yardley_1 and incident.status == Incident.Status.NEW
    assert incident.place == "online" and "threat_to_kill_or_harm" in incident.behaviours
    assert set(incident.forces.values_list("code", flat=True)) == {"E23000014"}
    assert incident.reported_by == inbox.users.feoa_wmp
    assert [o.value for o in incident.observables.all()] == ["troll_2"]
    evidence = Evidence.objects.get(incident=incident)
    content = b"".join(open_evidence(feoa, evidence))
    assert THREAT.encode() in content and b"@troll_2" in content and evidence.kind == "text"
    assert incident.events.filter(text__isnull=False).exists()
    assert _m(2).review == "promoted" and _m(2).incident == incident
    with pytest.raises(services.ReviewConflict, match="already been promoted"):
        services.promote(feoa, _m(2))
    assert Incident.objects.count() == 1


def test_an_analyst_can_promote_without_seeing_who_it_is(inbox):
    incident = services.promote(Actor(user=inbox.users.analyst), _m(5))
    assert incident.candidate == inbox.candidates.clw_1
    assert set(incident.forces.values_list("code", flat=True)) == {"E23000001", "E23000034"}


def test_a_message_to_nobody_known_cannot_be_promoted(handles):
    services.ingest_file(Actor.cli(), io.BytesIO(jsonl([message(1, THREAT, to="stranger")])), "m.jsonl")
    with pytest.raises(services.ReviewConflict, match="not addressed"):
        services.promote(Actor(user=handles.users.analyst), _m(1))


def test_weekly_timeline_has_zero_weeks_between(inbox):
    import datetime as dt

    from django.utils import timezone

    Message.objects.filter(message_id="3").update(sent_at=timezone.now() - dt.timedelta(weeks=3))
    rows = services.weekly_counts(inbox.candidates.yardley_1)
    # Three weeks back spans three or four weeks: in the first hours of a Monday the other messages
    # (sent an hour or more ago) still fall in last week.
    assert len(rows) >= 3
    assert [dt.date.fromisoformat(r["week"]) for r in rows] == [dt.date.fromisoformat(rows[0]["week"]) + dt.timedelta(weeks=k) for k in range(len(rows))]
    assert sum(r["received"] for r in rows) == 4
    assert sum(r["threats"] for r in rows) == 2
    assert any(r["received"] == 0 for r in rows)


def test_pseudonymised_text_masks_emails_and_street_addresses():
    masked = services.pseudonymise_text("mail jo.smith@gmail.com or visit 12 Acacia Avenue, @jo_mp, 07700 900123 B25 8AA")
    assert "jo.smith" not in masked and "Acacia" not in masked and "jo_mp" not in masked
    assert "900123" not in masked and "B25" not in masked
    assert "[email]" in masked and "[address]" in masked
