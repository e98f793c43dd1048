"""Retention (``apply-retention``) on a fixture that covers every rule and every exception, and the
crypto-shredding that makes an erased field unrecoverable from a database backup too."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import stat
from types import SimpleNamespace

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.management import call_command
from django.db import connection, transaction

from ballotguard.accounts.models import AuditEvent
from ballotguard.accounts.services import Actor
from ballotguard.checkins.models import CheckIn
from ballotguard.core import blobs, erasure
from ballotguard.core.crypto import DecryptionError, _unb64, key_ring
from ballotguard.core.fields import ErasableWriteError
from ballotguard.engines.candidates.contact import ContactDetails
from ballotguard.incidents import services as incidents
from ballotguard.incidents.models import Evidence, Incident, IncidentEvent, IncidentTask, Observable
from ballotguard.incidents.tests.conftest import PNG, report_input
from ballotguard.monitoring.models import Message, ReviewDecision
from ballotguard.outreach.models import ContactAttempt
from ballotguard.registry import retention
from ballotguard.registry.models import Candidate
from ballotguard.registry.services import handover
from ballotguard.safety.models import SafetyPlan
from conftest import make_user

UTC = dt.timezone.utc
# The general election (4 July 2024) is long past; the local election (7 May 2026) is 25 days past.
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CHANGES = ("contact_details_erased", "checkin_locations_erased", "incidents_minimised", "evidence_files_deleted",
           "observables_blanked", "data_keys_destroyed", "contact_attempt_notes_blanked", "safety_plans_deleted",
           "safety_plan_revisions_deleted", "messages_deleted", "review_decisions_deleted")


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM {table} WHERE id = %s', [pk])
        return cursor.fetchone()[0]


def _details(email: str) -> ContactDetails:
    return ContactDetails(email=email, phone="+447700900456", address="2 Test Road\nBirmingham", postcode="B26 1AA")


def _checkin(user, *, started: dt.datetime, finished: dt.datetime | None, status=CheckIn.Status.CHECKED_OUT) -> CheckIn:
    return CheckIn.objects.create(
        user=user, where="Canvassing Stechford Road", buddy_name="Bea", buddy_email="bea@example.org", buddy_phone="+447700900999",
        started_at=started, expected_end=started + dt.timedelta(hours=2), status=status, finished_at=finished,
    )


def _user_for(candidate: Candidate):
    user = make_user(f"candidate-{candidate.person_id}", "candidate")
    Candidate.objects.filter(pk=candidate.pk).update(user=user)
    candidate.user = user
    return user


def _attempt(candidate: Candidate, *, notes: str = "", next_step: str = "", days_ago: int = 100) -> ContactAttempt:
    return ContactAttempt.objects.create(candidate=candidate, at=NOW - dt.timedelta(days=days_ago), method="phone",
                                         outcome="reached", notes=notes, next_step=next_step)


def _plan(candidate: Candidate, revision: int, days_ago: int) -> SafetyPlan:
    return SafetyPlan.objects.create(candidate=candidate, revision=revision, answers='{"lives_alone": true}',
                                     created_at=NOW - dt.timedelta(days=days_ago))


def _message(candidate: Candidate, message_id: str, days_ago: int, review: str, *, decisions: int = 0, incident=None) -> Message:
    message = Message.objects.create(platform="x", message_id=message_id, candidate=candidate, sent_at=NOW - dt.timedelta(days=days_ago),
                                     text=f"words of a third party {message_id}", author_handle="someone", review=review, incident=incident)
    for _ in range(decisions):
        ReviewDecision.objects.create(message=message, decision="dismissed", is_abusive=False, decided_by_role="analyst")
    return message


def _close(incident: Incident, at: dt.datetime) -> None:
    Incident.objects.filter(pk=incident.pk).update(status=Incident.Status.CLOSED, closed_at=at)


@pytest.fixture
def estate(world):
    """Every rule and every exception, as at ``NOW``."""
    c = world.candidates
    ro = Actor(user=world.users.ro_birmingham)
    carol, dan, alice, bob, erin = c.yardley_1, c.yardley_2, c.clw_1, c.clw_2, c.ward_1
    # Carol: handed over (conftest), elected: kept.
    Candidate.objects.filter(pk=carol.pk).update(elected=True)
    # Dan: handed over by the returning officer, not elected, no incident: erased.
    handover(ro, dan, _details("dan@example.org"), consent=True)
    Candidate.objects.filter(pk=dan.pk).update(elected=False)
    # Fay: not elected, only a long-closed incident (which is itself minimised): erased.
    fay = Candidate.objects.create(ballot=world.ballots.yardley, person_id="2003", name="Fay Ford", elected=False)
    handover(ro, fay, _details("fay@example.org"), consent=True)
    # Alice: not elected, an incident still open: kept.  Bob: result not recorded: kept.
    for who, elected in ((alice, False), (bob, None)):
        who.email, who.phone, who.postcode, who.consent_to_share, who.handed_over_at = (
            f"{who.person_id}@example.org", "+447700900321", "SW1A 1AA", True, NOW - dt.timedelta(days=700))
        who.elected = elected
        who.save()
    # Erin: not elected, but her local election is only 25 days past: kept.
    handover(ro, erin, _details("erin@example.org"), consent=True)
    Candidate.objects.filter(pk=erin.pk).update(elected=False)
    # Gil: never handed over, not elected: nothing to erase, not counted.
    Candidate.objects.create(ballot=world.ballots.yardley, person_id="2004", name="Gil Green", elected=False)

    reporter = _user_for(fay)
    actor = Actor(user=reporter)
    open_incident, _ = incidents.report(Actor(user=_user_for(alice)), report_input(alice, description="Open: he follows me"))
    recent, _ = incidents.report(Actor(user=_user_for(dan)), report_input(dan, description="Closed last month", observables={"phone": "07700 900 111"}))
    _close(recent, NOW - dt.timedelta(days=30))
    old, _ = incidents.report(actor, report_input(fay, description="Closed long ago: he knows where I live",
                                                  perpetrator="A man called Vic", observables={"phone": "07700 900 982"}))
    evidence = incidents.add_evidence(actor, old, "vic-threat.png", [PNG], len(PNG))
    old.advice = "Vary your route home"
    old.save(update_fields=["advice"])
    incidents.add_event(actor, old, IncidentEvent.Kind.NOTE, "Vic seen outside the office")
    task = old.tasks.first()  # a checklist task ruled out, with a reason that names the perpetrator
    task.state, task.reason = "not_applicable", "Vic has moved away"
    task.save()
    _close(old, NOW - dt.timedelta(days=800))
    # The rule is "no open incident": Dan's closed one (recent) does not keep his details either.

    # Outreach: Dan's note goes with his contact details (the attempt stays); Erin's is kept.
    attempts = SimpleNamespace(
        dan=_attempt(dan, notes="Lives with his mother; call after six", next_step="Send the home-security leaflet"),
        fay=_attempt(fay),  # nothing to blank: not counted
        erin=_attempt(erin, notes="Prefers e-mail", next_step="Invite to the briefing"),
    )
    # Safety plans: Dan's (both revisions) go with his contact details; Erin's superseded revision from
    # 400 days ago goes, the one from 100 days ago and her latest stay; Carol's only (latest) one stays.
    plans = SimpleNamespace(
        dan=[_plan(dan, 1, 500), _plan(dan, 2, 5)],
        erin_old=_plan(erin, 1, 400), erin_mid=_plan(erin, 2, 100), erin_latest=_plan(erin, 3, 10),
        carol=_plan(carol, 1, 500),
    )
    # Monitoring: two old messages not promoted go (with their two decisions); a recent one and an old
    # one promoted to the still-open incident stay.
    messages = SimpleNamespace(
        dismissed=_message(erin, "old-dismissed", 200, "dismissed", decisions=1),
        confirmed=_message(carol, "old-confirmed", 181, "confirmed", decisions=1),
        recent=_message(carol, "recent", 179, "waiting"),
        promoted=_message(alice, "old-promoted", 300, "promoted", decisions=1, incident=open_incident),
    )

    checkins = SimpleNamespace(
        old=_checkin(reporter, started=NOW - dt.timedelta(days=10), finished=NOW - dt.timedelta(days=10, hours=-1)),
        recent=_checkin(reporter, started=NOW - dt.timedelta(days=2), finished=NOW - dt.timedelta(days=2, hours=-1)),
        still_open=_checkin(reporter, started=NOW - dt.timedelta(days=30), finished=None, status=CheckIn.Status.ESCALATED),
    )
    for obj in (carol, dan, fay, alice, bob, erin, open_incident, recent, old, evidence):
        obj.refresh_from_db()
    return SimpleNamespace(
        carol=carol, dan=dan, fay=fay, alice=alice, bob=bob, erin=erin, open=open_incident, recent=recent, old=old,
        evidence=evidence, checkins=checkins, attempts=attempts, plans=plans, messages=messages, observable=Observable.objects.get(incident=old),
        note=IncidentEvent.objects.get(incident=old, kind=IncidentEvent.Kind.NOTE),
    )


def _backup(e) -> dict[str, tuple[str, str]]:
    """Ciphertext copied out of the database before the run, as a backup would hold it: (raw, context)."""
    return {
        "dan.email": (_raw("registry_candidate", "email", e.dan.pk), "registry.candidate.email"),
        "dan.address": (_raw("registry_candidate", "address", e.dan.pk), "registry.candidate.address"),
        "incident.description": (_raw("incidents_incident", "description", e.old.pk), "incidents.incident.description"),
        "incident.advice": (_raw("incidents_incident", "advice", e.old.pk), "incidents.incident.advice"),
        "observable.value": (_raw("incidents_observable", "value", e.observable.pk), "incidents.observable.value"),
        "event.text": (_raw("incidents_incidentevent", "text", e.note.pk), "incidents.incidentevent.text"),
        "evidence.name": (_raw("incidents_evidence", "original_name", e.evidence.pk), "incidents.evidence.original_name"),
        "checkin.where": (_raw("checkins_checkin", "where", e.checkins.old.pk), "checkins.checkin.where"),
        "checkin.buddy_phone": (_raw("checkins_checkin", "buddy_phone", e.checkins.old.pk), "checkins.checkin.buddy_phone"),
    }


def _state() -> dict:
    """Everything retention may change, raw, plus the key store and evidence store listings."""
    tables = {
        "registry_candidate": ["email", "phone", "address", "postcode", "data_key", "contact_erased_at", "exposure_fingerprints"],
        "checkins_checkin": ["where", "buddy_email", "buddy_phone", "data_key", "location_purged_at"],
        "incidents_incident": ["description", "perpetrator", "advice", "data_key", "minimised_at"],
        "incidents_observable": ["display", "value", "match_hash"],
        "incidents_incidentevent": ["text"],
        "incidents_evidence": ["original_name", "erased_at", "sha256"],
        "outreach_contactattempt": ["notes", "next_step", "method", "outcome", "at"],
        "safety_safetyplan": ["candidate_id", "revision"],
        "monitoring_message": ["text", "review"],
        "monitoring_reviewdecision": ["message_id"],
    }
    out = {}
    with connection.cursor() as cursor:
        for table, columns in tables.items():
            cursor.execute(f"SELECT id, {', '.join(f'{chr(34)}{c}{chr(34)}' for c in columns)} FROM {table} ORDER BY id")
            out[table] = [tuple(map(str, row)) for row in cursor.fetchall()]
    out["keys"] = erasure.all_key_ids()
    out["blobs"] = sorted(Evidence.objects.filter(erased_at__isnull=True).values_list("blob_name", flat=True))
    return out


# ---------------------------------------------------------------------------------------------------
# The rules


def test_retention_on_a_fixture_that_covers_every_rule(estate, settings):
    e = estate
    backup = _backup(e)
    keys = {"dan": e.dan.data_key, "fay": e.fay.data_key, "incident": e.old.data_key, "checkin": e.checkins.old.data_key}
    assert all(keys.values()) and all(erasure.exists(k) for k in keys.values())
    assert all(raw.startswith("bg2:") for raw, _ in backup.values())

    report = retention.apply(now=NOW)

    assert report.as_dict() == {
        "dry_run": False, "contact_details_erased": 2, "kept_elected": 1, "kept_result_not_recorded": 1,
        "kept_open_incident": 1, "kept_within_period": 1, "checkin_locations_erased": 1, "checkins_still_open": 1,
        "incidents_minimised": 1, "evidence_files_deleted": 1, "observables_blanked": 1, "data_keys_destroyed": 4,
        "contact_attempt_notes_blanked": 1, "safety_plans_deleted": 2, "safety_plan_revisions_deleted": 1,
        "messages_deleted": 2, "review_decisions_deleted": 2,
    }
    # Not elected, past the period, no open incident: erased; the facts for coverage figures stay.
    for who in (e.dan, e.fay):
        who.refresh_from_db()
        assert (who.email, who.phone, who.address, who.postcode) == ("", "", "", "")
        assert who.exposure_fingerprints == [] and who.data_key == "" and who.contact_erased_at == NOW
        assert who.handed_over_at is not None and who.consent_to_share is True
        assert _raw("registry_candidate", "email", who.pk) == ""
    # Kept: elected, open incident, result not recorded, election not yet past the period.
    for who, email in ((e.carol, "carol@example.org"), (e.alice, "1001@example.org"), (e.bob, "1002@example.org"), (e.erin, "erin@example.org")):
        who.refresh_from_db()
        assert who.email == email and who.contact_erased_at is None and erasure.exists(who.data_key)

    # Outreach: the note and next step go with the contact details; the facts for coverage stay.
    dan_attempt = ContactAttempt.objects.get(pk=e.attempts.dan.pk)
    assert (dan_attempt.notes, dan_attempt.next_step) == ("", "")
    assert (dan_attempt.method, dan_attempt.outcome, dan_attempt.at) == ("phone", "reached", e.attempts.dan.at)
    assert _raw("outreach_contactattempt", "notes", dan_attempt.pk) == ""
    assert ContactAttempt.objects.get(pk=e.attempts.erin.pk).notes == "Prefers e-mail"
    assert ContactAttempt.objects.filter(candidate=e.fay).count() == 1
    # Safety plans: all of Dan's; Erin's superseded revision past the period; latest revisions kept.
    assert not SafetyPlan.objects.filter(candidate=e.dan).exists()
    assert sorted(SafetyPlan.objects.filter(candidate=e.erin).values_list("revision", flat=True)) == [2, 3]
    assert SafetyPlan.objects.filter(pk=e.plans.carol.pk).exists()
    # Monitoring: old messages not promoted deleted with their decisions; recent and promoted kept.
    assert sorted(Message.objects.values_list("message_id", flat=True)) == ["old-promoted", "recent"]
    assert list(ReviewDecision.objects.values_list("message__message_id", flat=True)) == ["old-promoted"]

    # Check-ins: finished 10 days ago erased; 2 days ago kept; an open one never touched.
    old, recent, still_open = (CheckIn.objects.get(pk=c.pk) for c in (e.checkins.old, e.checkins.recent, e.checkins.still_open))
    assert (old.where, old.buddy_email, old.buddy_phone, old.location_purged_at) == ("", "", "", NOW)
    assert old.buddy_name == "Bea"  # kept so the person recognises their own history
    assert recent.where == still_open.where == "Canvassing Stechford Road" and recent.location_purged_at is None

    # Incidents: open and recently closed untouched; closed long ago minimised, facts kept.
    assert Incident.objects.get(pk=e.open.pk).description == "Open: he follows me"
    assert Incident.objects.get(pk=e.recent.pk).description == "Closed last month"
    minimised = Incident.objects.get(pk=e.old.pk)
    assert (minimised.description, minimised.perpetrator, minimised.advice) == ("", "", "")
    assert minimised.minimised_at == NOW and minimised.reference == e.old.reference and minimised.behaviours == e.old.behaviours
    obs = Observable.objects.get(pk=e.observable.pk)
    assert (obs.display, obs.value, obs.kind) == ("", "", "phone") and obs.match_hash == e.observable.match_hash
    assert IncidentEvent.objects.get(pk=e.note.pk).text == ""
    assert list(IncidentTask.objects.filter(incident=minimised).exclude(reason="")) == []
    ev = Evidence.objects.get(pk=e.evidence.pk)
    assert ev.erased_at == NOW and ev.sha256 == e.evidence.sha256 and ev.original_name == ""
    assert not blobs._path(ev.blob_name).exists()
    with pytest.raises(Evidence.DoesNotExist):
        incidents.evidence_of(minimised, ev.pk)

    # Crypto-shredding: the ciphertext copied out before the run (a database backup) cannot be opened
    # any more, not even by someone holding every master key.
    for kid in keys.values():
        assert not erasure.exists(kid) and kid not in erasure.all_key_ids()
    ring = key_ring(settings.FIELD_ENCRYPTION_KEYS)
    for name, (raw, context) in backup.items():
        assert erasure.open_value(raw, context) is None, name
        with pytest.raises(DecryptionError):
            ring.open(raw, context)
        _, _, nonce, ct = raw.split(":")
        for master in ring.keys.values():  # the master keys are not the data keys
            with pytest.raises(InvalidTag):
                AESGCM(master).decrypt(_unb64(nonce), _unb64(ct), context.encode())


def test_dry_run_changes_nothing_and_counts_what_a_run_does(estate):
    before = _state()
    dry = retention.apply(now=NOW, dry_run=True)
    assert _state() == before
    assert not AuditEvent.objects.filter(object_type="retention").exists()
    real = retention.apply(now=NOW)
    assert {**dry.as_dict(), "dry_run": False} == real.as_dict()


def test_a_second_run_is_a_no_op_and_every_run_is_audited_with_counts_only(estate):
    first = retention.apply(now=NOW)
    after_first = _state()
    second = retention.apply(now=NOW)
    assert _state() == after_first
    assert all(getattr(second, name) == 0 for name in CHANGES)
    assert (second.kept_elected, second.kept_open_incident, second.kept_result_not_recorded) == (1, 1, 1)
    events = list(AuditEvent.objects.filter(action="delete", object_type="retention").order_by("id"))
    assert len(events) == 2
    counts = json.loads(events[0].detail.removeprefix("apply-retention "))
    assert counts == {short: getattr(first, name) for name, short in retention.AUDIT_KEYS.items()}
    assert set(retention.AUDIT_KEYS) == set(first.as_dict()) - {"dry_run"}
    assert counts["contact"] == first.contact_details_erased == 2 and counts["messages"] == 2
    assert counts["incidents"] == 1 and counts["files"] == 1
    for event in events:
        assert not any(word in event.detail for word in ("Dan", "Fay", "example.org", "Vic", "BG-"))
    # The check-in purge inside the run is not audited separately: one event per run.
    assert not AuditEvent.objects.filter(object_type="checkin", action="delete").exists()


def test_notes_and_plans_of_candidates_erased_earlier_are_caught_up(estate):
    """Selected by ``contact_erased_at``: a candidacy erased before these rules existed (or by a run that
    stopped half way), and a note added to an erased candidacy since, are blanked by the next run."""
    retention.apply(now=NOW)
    late_note = _attempt(estate.dan, notes="Called back after erasure", days_ago=1)
    late_plan = _plan(estate.fay, 1, 1)
    dry = retention.apply(now=NOW, dry_run=True)
    assert (dry.contact_attempt_notes_blanked, dry.safety_plans_deleted, dry.contact_details_erased) == (1, 1, 0)
    report = retention.apply(now=NOW)
    assert {**dry.as_dict(), "dry_run": False} == report.as_dict()
    assert ContactAttempt.objects.get(pk=late_note.pk).notes == ""
    assert not SafetyPlan.objects.filter(pk=late_plan.pk).exists()


def test_the_message_period_is_a_setting(estate, settings):
    settings.BALLOTGUARD_RETENTION = {**settings.BALLOTGUARD_RETENTION, "monitoring_messages_days": 178,
                                      "safety_plan_revisions_days": 50}
    report = retention.apply(now=NOW)
    assert report.messages_deleted == 3 and report.safety_plan_revisions_deleted == 2
    assert sorted(Message.objects.values_list("message_id", flat=True)) == ["old-promoted"]
    assert list(SafetyPlan.objects.filter(candidate=estate.erin).values_list("revision", flat=True)) == [3]
    settings.BALLOTGUARD_RETENTION = {"monitoring_messages_days": -1}
    with pytest.raises(retention.RetentionConfigError):
        retention.periods()


def test_rotate_keys_still_works_after_retention_with_data_keys_present(estate, settings):
    retention.apply(now=NOW)
    new_key = base64.b64encode(os.urandom(32)).decode()
    settings.FIELD_ENCRYPTION_KEYS = f"k9:{new_key},{settings.FIELD_ENCRYPTION_KEYS}"
    call_command("rotate_keys")  # minimised incidents' evidence has no file: skipped, not an error
    settings.FIELD_ENCRYPTION_KEYS = f"k9:{new_key}"
    erasure._cache.clear()
    assert Candidate.objects.get(pk=estate.erin.pk).email == "erin@example.org"
    assert Incident.objects.get(pk=estate.recent.pk).description == "Closed last month"
    assert Candidate.objects.get(pk=estate.dan.pk).email == ""
    call_command("verify_evidence")  # the erased file is not reported missing


def test_the_command_dry_run_and_json(estate, monkeypatch, capsys):
    monkeypatch.setattr(retention.timezone, "now", lambda: NOW)
    call_command("apply_retention", "--dry-run", "--json")
    counts = json.loads(capsys.readouterr().out)
    assert counts["dry_run"] is True and counts["contact_details_erased"] == 2
    assert Candidate.objects.get(pk=estate.dan.pk).email == "dan@example.org"
    call_command("apply_retention")
    out = capsys.readouterr().out
    assert "Candidates' contact details erased" in out and "Retention" in out
    assert Candidate.objects.get(pk=estate.dan.pk).email == ""


def test_periods_shorter_than_the_petition_period_are_refused(settings):
    settings.BALLOTGUARD_RETENTION = {"contact_details_after_election_days": 20}
    with pytest.raises(retention.RetentionConfigError):
        retention.periods()


def test_an_incident_opened_meanwhile_keeps_the_details(estate):
    incidents.report(Actor(user=estate.dan.user), report_input(estate.dan, description="New"))
    report = retention.apply(now=NOW)
    assert report.contact_details_erased == 1 and report.kept_open_incident == 2
    assert Candidate.objects.get(pk=estate.dan.pk).email == "dan@example.org"


# ---------------------------------------------------------------------------------------------------
# Erasable fields: every write path seals under the record's key, or refuses


def test_bulk_paths_cannot_store_plaintext_in_an_erasable_field(world):
    carol = world.candidates.yardley_1
    with pytest.raises(ErasableWriteError), transaction.atomic():
        Candidate.objects.filter(pk=carol.pk).update(email="plain@example.org")
    carol.email = "plain@example.org"
    with pytest.raises(ErasableWriteError), transaction.atomic():
        Candidate.objects.bulk_update([carol], ["email"])
    field = Candidate._meta.get_field("email")
    with pytest.raises(ErasableWriteError):  # the monitoring ingest's raw insert prepares values this way
        field.get_db_prep_save("plain@example.org", connection)
    assert Candidate.objects.filter(pk=carol.pk).update(phone="") == 1  # blanking is always allowed
    assert Candidate.objects.get(pk=carol.pk).email == "carol@example.org"


def test_text_that_looks_like_ciphertext_is_sealed_not_stored_as_it_is(world):
    carol = world.candidates.yardley_1
    carol.address = "bg2:00000000000000000000000000000000:AAAA:AAAA"
    carol.save()
    assert _raw("registry_candidate", "address", carol.pk) != carol.address
    assert Candidate.objects.get(pk=carol.pk).address == carol.address


def test_the_key_id_is_recorded_whatever_fields_are_saved(world):
    reporter = world.users.candidate
    incident, _ = incidents.report(Actor(user=reporter), report_input(world.candidates.yardley_1, observables={}))
    Incident.objects.filter(pk=incident.pk).update(description="", data_key="")  # as if written before keys existed
    incident = Incident.objects.get(pk=incident.pk)
    incident.advice = "Call 101"
    incident.save(update_fields=["advice"])  # data_key is not among the fields saved
    kid = Incident.objects.get(pk=incident.pk).data_key
    assert kid and _raw("incidents_incident", "advice", incident.pk).startswith(f"bg2:{kid}:")
    # A stale copy saved in full neither blanks the key nor makes a second one.
    stale = Incident.objects.get(pk=incident.pk)
    stale.data_key = ""
    stale.save()
    assert Incident.objects.get(pk=incident.pk).data_key == kid
    # A related record's value (a timeline line) goes under the incident's key.
    event = incidents.add_event(Actor(user=reporter), incident, IncidentEvent.Kind.NOTE, "note")
    assert _raw("incidents_incidentevent", "text", event.pk).startswith(f"bg2:{kid}:")


def test_a_destroyed_key_reads_as_empty_and_a_missing_key_store_is_an_error(world, settings, tmp_path):
    carol = world.candidates.yardley_1
    erasure.destroy(carol.data_key)
    assert Candidate.objects.get(pk=carol.pk).email == ""
    settings.BALLOTGUARD_KEYSTORE_DIR = tmp_path / "not-restored"
    with pytest.raises(erasure.KeyStoreUnavailable):
        Candidate.objects.get(pk=carol.pk)


def test_key_files_are_private_and_useless_without_the_master_key(world, settings):
    kid = world.candidates.yardley_1.data_key
    path = erasure._path(kid)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text("ascii")
    assert text.startswith("BGK1\n") and text.split("\n")[1].startswith("bg1:")
    other = base64.b64encode(os.urandom(32)).decode()
    settings.FIELD_ENCRYPTION_KEYS = f"k2:{other}"  # same key id, different key: the wrap does not open
    erasure._cache.clear()
    with pytest.raises(DecryptionError):
        erasure.load(kid)


def test_a_copy_loaded_before_erasure_cannot_bring_the_details_back(estate):
    """Loaded, then erased by retention, then saved in full: refused, and the row stays erased."""
    from ballotguard.core.erasure import ErasedRecordError

    stale = Candidate.objects.get(pk=estate.dan.pk)
    assert stale.postcode
    retention.apply(now=NOW)
    with pytest.raises(ErasedRecordError), transaction.atomic():
        stale.save()
    fresh = Candidate.objects.get(pk=estate.dan.pk)
    assert fresh.postcode == "" and fresh.contact_erased_at is not None


def test_a_promoted_message_goes_with_its_minimised_incident(estate):
    from ballotguard.monitoring.models import Message

    message = Message.objects.create(platform="x", message_id="m1", candidate=estate.fay, sent_at=NOW - dt.timedelta(days=801),
                                     text="he knows where I live", author_handle="vic", incident=estate.old, review="promoted")
    retention.apply(now=NOW)
    message.refresh_from_db()
    assert (message.text, message.author_handle) == ("", "")


def test_the_audit_detail_fits_its_column_with_large_counts():
    report = retention.RetentionReport(**{name: 999_999 for name in retention.AUDIT_KEYS})
    assert len(retention.audit_detail(report)) <= 300
    assert json.loads(retention.audit_detail(report).removeprefix("apply-retention "))["messages"] == 999_999
