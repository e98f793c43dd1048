"""Reporting, scope, links across forces, access requests, the workflow and evidence, through the services."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core import mail
from django.utils import timezone

from ballotguard.accounts.models import AuditEvent
from ballotguard.accounts.services import Actor
from ballotguard.core import blobs
from ballotguard.core.crypto import DecryptionError
from ballotguard.engines.incidents.evidence_types import EvidenceRejected
from ballotguard.incidents import services
from ballotguard.incidents.models import AccessRequest, Incident, IncidentLink, Observable
from ballotguard.registry.services import NotPermitted

from .conftest import PNG, report_input

pytestmark = pytest.mark.django_db


def test_report_is_sent_to_every_force_of_a_two_force_constituency(world, alice, file_report):
    incident = file_report(alice, world.candidates.clw_1)
    assert incident.status == Incident.Status.NEW and incident.submitted_at is not None
    assert set(incident.forces.values_list("code", flat=True)) == {"E23000001", "E23000034"}
    assert services.incidents_visible_to(world.users.feoa_met).filter(pk=incident.pk).exists()
    assert services.incidents_visible_to(world.users.feoa_city).filter(pk=incident.pk).exists()
    assert not services.incidents_visible_to(world.users.feoa_wmp).filter(pk=incident.pk).exists()


@pytest.mark.parametrize("role", ["ro_westminster", "analyst", "admin", "feoa_wmp"])
def test_roles_outside_scope_see_no_incident(world, alice, file_report, role):
    file_report(alice, world.candidates.clw_1)
    assert services.incidents_visible_to(getattr(world.users, role)).count() == 0


def test_staff_see_only_what_was_delegated_and_drafts_stay_with_the_reporter(world, file_report):
    carol, sam = world.users.candidate, world.users.staff
    sent = file_report(sam, world.candidates.yardley_1)
    draft = services.save_draft(Actor(user=sam), report_input(world.candidates.yardley_1, description=""))
    assert set(services.incidents_visible_to(sam)) == {sent, draft}
    assert set(services.incidents_visible_to(carol)) == {sent}  # the staff member's draft is theirs until sent
    assert set(services.incidents_visible_to(world.users.feoa_wmp)) == {sent}


def test_candidate_cannot_report_for_someone_else(world, alice):
    with pytest.raises(services.ReportInvalid) as exc:
        services.report(Actor(user=alice), report_input(world.candidates.yardley_1))
    assert exc.value.errors == {"candidate": "Select the candidate this happened to"}
    with pytest.raises(NotPermitted):
        services.report(Actor(user=world.users.feoa_met), report_input(world.candidates.clw_1))


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"occurred_at": timezone.now() + dt.timedelta(days=2)}, "occurred_at", "The date it happened must be today or in the past"),
        ({"occurred_at": None}, "occurred_at", "Enter the date and time it happened"),
        ({"place": "moon"}, "place", "Select where it happened from the list"),
        ({"area_code": "E99999999"}, "area", "Enter the name of a constituency, council or ward"),
        ({"behaviours": []}, "behaviours", "Select what happened: choose at least one"),
        ({"behaviours": ["protected_characteristic_hostility"]}, "characteristics", "Select what the hostility was about"),
        ({"description": " "}, "description", "Describe what happened"),
        ({"observables": {"vehicle": "NOT A REG"}}, "observables.vehicle", "Enter a UK vehicle registration"),
    ],
)
def test_bad_reports_are_refused_with_a_message_for_the_field(world, alice, overrides, field, message):
    before = Incident.objects.count()
    with pytest.raises(services.ReportInvalid) as exc:
        services.report(Actor(user=alice), report_input(world.candidates.clw_1, **overrides))
    assert message in exc.value.errors[field]
    assert Incident.objects.count() == before


def test_idempotency_key_returns_the_first_incident_and_refuses_a_different_body(world, alice):
    data = report_input(world.candidates.clw_1)
    first, created = services.report(Actor(user=alice), data, "key-1")
    again, created_again = services.report(Actor(user=alice), data, "key-1")
    assert created and not created_again and again.pk == first.pk
    assert Incident.objects.filter(reported_by=alice).count() == 1
    with pytest.raises(services.IdempotencyConflict):
        services.report(Actor(user=alice), report_input(world.candidates.clw_1, description="Something else"), "key-1")


def test_personal_content_is_encrypted_at_rest(world, alice, file_report):
    from django.db import connection

    incident = file_report(alice, world.candidates.clw_1, description="He said he knows where I live", observables={"phone": "07700 900 982"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT description FROM incidents_incident WHERE id = %s", [incident.pk])
        (raw,) = cursor.fetchone()
        cursor.execute("SELECT display, value, match_hash FROM incidents_observable WHERE incident_id = %s", [incident.pk])
        display, value, match_hash = cursor.fetchone()
    incident.refresh_from_db()
    # Sealed under the incident's own data key, so that minimisation can erase it (ballotguard.core.erasure).
    assert "knows where I live" not in raw and raw.startswith(f"bg2:{incident.data_key}:")
    assert display.startswith(f"bg2:{incident.data_key}:") and value.startswith(f"bg2:{incident.data_key}:")
    assert "7700" not in display + value + match_hash
    assert Observable.objects.get(incident=incident).value == "+447700900982"


def test_shared_observable_links_incidents_across_forces_without_showing_content(world, alice, file_report):
    carol = world.users.candidate
    in_wmp = file_report(carol, world.candidates.yardley_1, observables={"phone": "07700 900 982"})
    in_met = file_report(alice, world.candidates.clw_1, observables={"phone": "+44 7700 900982", "handle": "@someone"})
    assert IncidentLink.objects.filter(first=in_wmp, second=in_met).exists()

    met = world.users.feoa_met
    links = services.linked_incidents(met, in_met)
    assert [(link.reference, link.visible, link.forces) for link in links] == [(in_wmp.reference, False, ["West Midlands"])]
    assert links[0].incident is None  # nothing of its content
    with pytest.raises(Incident.DoesNotExist):
        services.get_incident(met, in_wmp.reference)
    # Alice sees no link to Carol's incident: candidates see links among their own incidents only.
    assert services.linked_incidents(alice, in_met) == []

    request = services.request_access(Actor(user=met), in_wmp.reference, "Same phone number threatening my candidate")
    assert request.status == AccessRequest.Status.PENDING
    assert list(services.pending_requests_for(world.users.feoa_wmp)) == [request]
    assert list(services.pending_requests_for(world.users.feoa_city)) == []
    with pytest.raises(AccessRequest.DoesNotExist):
        services.decide_access(Actor(user=world.users.feoa_city), request.pk, True)
    services.decide_access(Actor(user=world.users.feoa_wmp), request.pk, True)
    assert services.get_incident(met, in_wmp.reference) == in_wmp
    assert not services.can_act_as_adviser(met, in_wmp)  # read-only: the granted FEOA cannot change it
    assert AuditEvent.objects.filter(object_type="access_request", object_id=str(request.pk)).count() == 2


def test_access_can_only_be_asked_for_a_linked_incident(world, alice, file_report):
    other = file_report(world.users.candidate, world.candidates.yardley_1, observables={})
    with pytest.raises(Incident.DoesNotExist):
        services.request_access(Actor(user=world.users.feoa_met), other.reference, "Curious")


def test_course_of_conduct_makes_harassment_guidance_and_raises_risk(world, file_report, django_capture_on_commit_callbacks):
    carol = world.users.candidate
    now = timezone.now()
    first = file_report(carol, world.candidates.yardley_1, occurred_at=now - dt.timedelta(days=10), observables={"handle": "@stalker"})
    assert "pha1997_s2" not in {o.code for o in services.guidance_for(first, carol).offences}
    # The earlier report is re-scored by the task that runs once the new one is committed.
    with django_capture_on_commit_callbacks(execute=True):
        second = file_report(
            carol, world.candidates.yardley_1, occurred_at=now - dt.timedelta(days=1), place="home",
            behaviours=["turning_up_at_home", "threat_to_kill_or_harm"], observables={"handle": "https://x.com/Stalker"},
        )
    guidance = services.guidance_for(second, carol)
    assert guidance.occasions == 2
    assert {"pha1997_s2", "pha1997_s2a"} <= {o.code for o in guidance.offences}
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.risk_level == "high"
    assert first.risk_factors and any(f["code"] == "fixation_repetition" for f in first.risk_factors)


def test_high_risk_report_emails_the_forces_advisers_through_the_task_worker(world, alice, file_report, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident = file_report(alice, world.candidates.clw_1, place="home", behaviours=["threat_to_kill_or_harm", "turning_up_at_home"],
                               in_danger_now=True)
    assert incident.risk_level == "high"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert set(message.to) == {"feoa-met@example.org", "feoa-city@example.org"}
    assert incident.reference in message.subject and "HIGH RISK" in message.subject
    assert "Alice" not in message.body and "traitor" not in message.body  # no personal data by e-mail
    # Two advisers: said as English says it, not "2 adviser(s)" (issue 16, point 8).
    assert [e.text for e in incident.events.filter(kind="notified")] == ["High risk: 2 advisers e-mailed"]


def test_the_high_risk_e_mail_subject_gives_the_day_when_the_forces_triage_target_runs_past_today(
        world, alice, file_report, django_capture_on_commit_callbacks):
    from ballotguard.incidents.models import ClockTarget

    for force in (world.forces.met, world.forces.city):  # both forces of the seat: the shorter target counts
        ClockTarget.objects.create(force=force, clock="triage", risk_level="high", hours=48)
    with django_capture_on_commit_callbacks(execute=True):
        incident = file_report(alice, world.candidates.clw_1, place="home", behaviours=["threat_to_kill_or_harm", "turning_up_at_home"],
                               in_danger_now=True)
    due = timezone.localtime(incident.triage_due_at)
    assert due.date() > timezone.localdate()
    assert mail.outbox[0].subject.endswith(f"needs triage by {due:%H:%M on %a %d %b}")


def test_low_risk_report_sends_no_email(world, alice, file_report, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        file_report(alice, world.candidates.clw_1)
    assert mail.outbox == []


def test_workflow_requires_the_fields_each_step_needs(world, alice, file_report):
    incident = file_report(alice, world.candidates.clw_1)
    met = Actor(user=world.users.feoa_met)
    with pytest.raises(services.ReportInvalid) as exc:
        services.change_status(met, incident, "referred")
    assert "cannot become" in exc.value.errors["status"]
    services.change_status(met, incident, "triaged")
    with pytest.raises(services.ReportInvalid) as exc:
        services.change_status(met, incident, "referred")
    assert exc.value.errors == {"crime_reference": "Enter the police crime reference number"}
    with pytest.raises(services.ReportInvalid):
        services.change_status(met, incident, "referred", crime_reference="<script>")
    services.change_status(met, incident, "referred", crime_reference="01/123456/25")
    with pytest.raises(services.ReportInvalid) as exc:
        services.change_status(met, incident, "closed")
    assert exc.value.errors == {"reason": "Enter why the incident is being closed"}
    services.change_status(met, incident, "closed", reason="Charged")
    incident.refresh_from_db()
    assert (incident.status, incident.crime_reference, incident.closure_reason) == ("closed", "01/123456/25", "Charged")
    assert incident.triaged_at is not None and incident.closed_at is not None
    assert list(incident.events.filter(kind="status").values_list("text", flat=True))[-1].startswith("Referred to police → Closed")
    with pytest.raises(NotPermitted):
        services.change_status(Actor(user=world.users.feoa_wmp), incident, "triaged", reason="x")


def test_risk_override_needs_a_reason_and_reorders_the_queue(world, alice, file_report):
    low = file_report(alice, world.candidates.clw_1)
    medium = file_report(alice, world.candidates.clw_1, behaviours=["following_or_loitering"], place="street_canvassing", observables={})
    met = Actor(user=world.users.feoa_met)
    with pytest.raises(services.ReportInvalid) as exc:
        services.override_risk(met, low, "high", "")
    assert exc.value.errors == {"reason": "Enter why you are changing the risk level"}
    services.override_risk(met, low, "high", "Known fixated individual")
    queue = list(services.queue(world.users.feoa_met, services.QueueFilter(status="open")))
    assert queue[0] == low and medium in queue
    assert low.events.filter(kind="risk").exists()


def test_triage_clock_turns_red_after_an_hour_for_high_risk(world, alice, file_report):
    incident = file_report(alice, world.candidates.clw_1, behaviours=["assault"], place="hustings", observables={})
    assert incident.effective_risk == "high" and not incident.triage_overdue
    Incident.objects.filter(pk=incident.pk).update(submitted_at=timezone.now() - dt.timedelta(minutes=61))
    incident.refresh_from_db()
    assert incident.triage_overdue
    assert list(services.queue(world.users.feoa_met, services.QueueFilter(overdue=True))) == [incident]


def test_evidence_is_sealed_hashed_and_every_access_is_recorded(world, alice, file_report):
    incident = file_report(alice, world.candidates.clw_1)
    data = PNG + b"\x01" * 3_000_000  # more than one sealed chunk
    evidence = services.add_evidence(Actor(user=alice), incident, "screenshot.jpg", [data[:100], data[100:]], len(data))
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert (evidence.kind, evidence.mime) == ("image", "image/png")  # the content decides, not the name
    assert blobs._path(evidence.blob_name).read_bytes()[:4] == b"BGB1"  # the sealed format, not the PNG
    assert PNG not in blobs._path(evidence.blob_name).read_bytes()
    opened = b"".join(services.open_evidence(Actor(user=world.users.feoa_met), evidence))
    assert opened == data
    custody = list(services.custody(evidence))
    assert [(e.action, e.actor_username) for e in custody] == [("create", "candidate-alice"), ("read", "feoa-met")]


def test_tampered_evidence_fails_to_open(world, alice, file_report):
    incident = file_report(alice, world.candidates.clw_1)
    evidence = services.add_evidence(Actor(user=alice), incident, "a.png", [PNG], len(PNG))
    path = blobs._path(evidence.blob_name)
    content = bytearray(path.read_bytes())
    content[-1] ^= 1
    path.write_bytes(bytes(content))
    with pytest.raises(DecryptionError):
        b"".join(blobs.open_chunks(evidence.blob_name))


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("photo.jpg", b"MZ\x90\x00" + b"\x00" * 100, "says it is a .jpg"),
        ("empty.png", b"", "empty"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "SVG"),
    ],
)
def test_bad_evidence_is_refused_and_nothing_is_stored(world, alice, file_report, settings, name, data, message):
    incident = file_report(alice, world.candidates.clw_1)
    with pytest.raises(EvidenceRejected) as exc:
        services.add_evidence(Actor(user=alice), incident, name, [data], len(data))
    assert message in exc.value.message
    assert incident.evidence.count() == 0
    root = settings.EVIDENCE_ROOT
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))


def test_analyst_and_returning_officer_cannot_add_evidence(world, alice, file_report):
    incident = file_report(alice, world.candidates.clw_1)
    for user in (world.users.analyst, world.users.ro_westminster, world.users.feoa_wmp):
        with pytest.raises(NotPermitted):
            services.add_evidence(Actor(user=user), incident, "a.png", [PNG], len(PNG))


def test_reports_sent_at_the_same_moment_are_linked_once_both_are_committed(world, alice, file_report):
    """The second report's in-request matching cannot see a report committed after it started; the
    task that runs after commit matches again."""
    first = file_report(alice, world.candidates.clw_1, observables={"phone": "07700 900 982"})
    second = file_report(world.users.candidate, world.candidates.yardley_1, observables={"phone": "07700900982"})
    IncidentLink.objects.all().delete()  # as if neither had seen the other
    assert services.relink(first.pk) == 1
    assert services.relink(second.pk) == 0  # already linked: nothing doubled
    assert IncidentLink.objects.count() == 1


def test_guidance_never_describes_a_linked_incident_the_viewer_cannot_see(world, file_report):
    """Carol's report in Westminster (Met and West Midlands see it) shares a phone with her report in
    Yardley (West Midlands only): the Met's FEOA gets guidance from the first alone."""
    carol = world.users.candidate
    hidden = file_report(carol, world.candidates.yardley_1, behaviours=["threat_to_kill_or_harm"], observables={"phone": "07700 900 982"})
    shown = file_report(carol, world.candidates.yardley_1, area_code=world.areas.clw.code, observables={"phone": "07700 900 982"})
    assert world.forces.met in shown.forces.all() and world.forces.met not in hidden.forces.all()
    met, wmp = world.users.feoa_met, world.users.feoa_wmp
    as_met, as_wmp = services.guidance_for(shown, met), services.guidance_for(shown, wmp)
    assert (as_met.occasions, as_wmp.occasions) == (1, 2)
    assert "threat to kill" not in " ".join(o.why for o in as_met.offences).lower()
    assert "threat to kill" in " ".join(o.why for o in as_wmp.offences).lower()


def test_stale_tabs_cannot_undo_a_sent_report(world, file_report):
    carol = world.users.candidate
    draft = services.save_draft(Actor(user=carol), report_input(world.candidates.yardley_1))
    stale = Incident.objects.get(pk=draft.pk)
    services.submit(Actor(user=carol), draft)
    with pytest.raises(NotPermitted):
        services.submit(Actor(user=carol), stale)  # a second click on Send
    with pytest.raises(NotPermitted):
        services.save_draft(Actor(user=carol), report_input(world.candidates.yardley_1), stale)  # another tab's "Save as draft"
    stale.refresh_from_db()
    assert stale.status == "new" and stale.events.filter(kind="submitted").count() == 1


def test_two_feoas_acting_at_once_keep_both_changes(world, alice, file_report):
    incident = file_report(alice, world.candidates.clw_1)
    copy_a, copy_b = Incident.objects.get(pk=incident.pk), Incident.objects.get(pk=incident.pk)
    services.override_risk(Actor(user=world.users.feoa_met), copy_a, "high", "Known to police")
    services.change_status(Actor(user=world.users.feoa_city), copy_b, "triaged")
    incident.refresh_from_db()
    assert (incident.status, incident.risk_override_level) == ("triaged", "high")


def test_a_waiting_report_that_becomes_high_risk_alerts_its_advisers(world, file_report, django_capture_on_commit_callbacks):
    carol = world.users.candidate
    with django_capture_on_commit_callbacks(execute=True):
        first = file_report(carol, world.candidates.yardley_1, place="street_canvassing", behaviours=["following_or_loitering"],
                            occurred_at=timezone.now() - dt.timedelta(days=3), observables={"vehicle": "AB12 CDE"})
    assert first.risk_level != "high" and mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            file_report(carol, world.candidates.yardley_1, place="street_canvassing", behaviours=["following_or_loitering", "threat_to_kill_or_harm"],
                        weapon_mentioned=True, observables={"vehicle": "AB12CDE"})
    first.refresh_from_db()
    assert first.risk_level == "high"
    assert any(first.reference in m.subject for m in mail.outbox)


def test_queue_puts_reports_waiting_for_triage_first_within_a_risk_level(world, alice, file_report):
    older = file_report(alice, world.candidates.clw_1, behaviours=["assault"], place="hustings", observables={})
    newer = file_report(alice, world.candidates.clw_1, behaviours=["assault"], place="hustings", observables={})
    services.change_status(Actor(user=world.users.feoa_met), older, "triaged")
    low = file_report(alice, world.candidates.clw_1)
    assert list(services.queue(world.users.feoa_met, services.QueueFilter(status="open"))) == [newer, older, low]


def test_the_area_can_be_named(world, alice, file_report):
    incident = file_report(alice, world.candidates.clw_1, area_code="birmingham  yardley")
    assert incident.area == world.areas.yardley
    assert set(incident.forces.values_list("code", flat=True)) == {"E23000001", "E23000034", "E23000014"}
