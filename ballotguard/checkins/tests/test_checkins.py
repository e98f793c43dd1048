"""Campaign check-ins: alerts and escalation with simulated time, a worker killed mid-sweep, send
failures and retries, the database's guarantee against double sends, scope, pages and API."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ballotguard.accounts.models import AuditEvent
from ballotguard.accounts.services import Actor
from ballotguard.checkins import notify, services
from ballotguard.checkins.models import AlertDelivery, CheckIn
from ballotguard.checkins.notify import LocmemSMS
from ballotguard.registry.services import NotPermitted

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 4, 30, 17, 0, tzinfo=dt.timezone.utc)  # 18:00 in London
WHERE = "Canvassing Church Road and Yardley Green Road, B25"


def start(world, user=None, *, escalate=True, email="bea@example.org", phone="07700 900 982", end=T0 + dt.timedelta(hours=1), now=T0, **kw) -> CheckIn:
    user = user or world.users.candidate
    data = services.CheckInInput(
        where=WHERE, expected_end=end, buddy_name="Bea Buddy", buddy_email=email, buddy_phone=phone,
        escalate_to_feoa=escalate, candidacy_id=kw.pop("candidacy_id", world.candidates.yardley_1.pk), **kw,
    )
    return services.start(Actor(user=user), data, now=now)


def at(minutes_after_end: int, checkin: CheckIn) -> dt.datetime:
    return checkin.expected_end + dt.timedelta(minutes=minutes_after_end)


def sent() -> list[tuple[str, str, str]]:
    return sorted(AlertDelivery.objects.filter(status="sent").values_list("stage", "channel", "recipient"))


# ---------------------------------------------------------------------------------------------------
# Alerts and escalation with simulated time


def test_buddy_then_again_then_feoa_then_all_clear_each_exactly_once(world):
    checkin = start(world)
    feoa = world.users.feoa_wmp

    assert services.sweep(now=at(4, checkin)).sent == 0  # inside the 5-minute grace
    assert mail.outbox == [] and LocmemSMS.outbox == []
    checkin.refresh_from_db()
    assert checkin.status == CheckIn.Status.ACTIVE

    report = services.sweep(now=at(5, checkin))
    assert report.sent == 2 and report.sent_by_stage == {"buddy": 2}
    checkin.refresh_from_db()
    assert checkin.status == CheckIn.Status.OVERDUE and checkin.overdue_at == at(5, checkin)
    assert [m.to for m in mail.outbox] == [["bea@example.org"]]
    assert [s.to for s in LocmemSMS.outbox] == ["+447700900982"]
    email = mail.outbox[0]
    assert "Carol Tester" in email.subject  # the account's name: who is out
    assert WHERE in email.body and "19:00" in email.body and "999" in email.body
    assert "Birmingham Yardley" not in email.body and "Labour" not in email.body  # the buddy needs no candidacy
    assert WHERE in LocmemSMS.outbox[0].body and len(LocmemSMS.outbox[0].body) < 320

    # Running again at the same moment, or a minute later, sends nothing.
    assert services.sweep(now=at(5, checkin)).sent == 0
    assert services.sweep(now=at(6, checkin)).sent == 0
    assert len(mail.outbox) == 1 and len(LocmemSMS.outbox) == 1

    assert services.sweep(now=at(35, checkin)).sent_by_stage == {"buddy_again": 2}
    assert "Second alert" in mail.outbox[1].subject and LocmemSMS.outbox[1].body.startswith("Ballotguard: Second alert")

    report = services.sweep(now=at(65, checkin))
    assert report.sent_by_stage == {"feoa": 1}
    checkin.refresh_from_db()
    assert checkin.status == CheckIn.Status.ESCALATED
    to_feoa = mail.outbox[2]
    assert to_feoa.to == [feoa.email]  # West Midlands only: not the Met's or the City's adviser
    assert "Carol Tester" in to_feoa.body and "Birmingham Yardley" in to_feoa.body
    assert f"/checkins/escalated/{checkin.pk}/" in to_feoa.body
    assert WHERE not in to_feoa.body and "Bea" not in to_feoa.body and "bea@" not in to_feoa.body and "7700" not in to_feoa.body

    services.check_out(Actor(user=world.users.candidate), checkin, now=at(70, checkin))
    report = services.sweep(now=at(71, checkin))
    assert report.sent_by_stage == {"all_clear": 3}  # buddy e-mail, buddy SMS, the FEOA
    assert "all clear" in mail.outbox[-1].subject and "all clear" in LocmemSMS.outbox[-1].body
    assert services.sweep(now=at(200, checkin)).sent == 0
    assert len(mail.outbox) == 5 and len(LocmemSMS.outbox) == 3
    assert sent() == sorted([
        ("buddy", "email", "buddy"), ("buddy", "sms", "buddy"), ("buddy_again", "email", "buddy"), ("buddy_again", "sms", "buddy"),
        ("feoa", "email", f"user:{feoa.pk}"), ("all_clear", "email", "buddy"), ("all_clear", "sms", "buddy"),
        ("all_clear", "email", f"user:{feoa.pk}"),
    ])


@pytest.mark.parametrize("change", ["deactivated", "role_changed", "moved_off_the_force"])
def test_the_feoa_is_re_checked_at_send_time_and_skipped_if_no_longer_eligible(world, monkeypatch, change):
    """The recipients are listed before each delivery's transaction: an adviser deactivated, given
    another role or moved to another force in between is not told; the delivery is recorded as
    skipped (never as sent), so no all-clear follows either."""
    checkin = start(world)
    feoa = world.users.feoa_wmp
    services.sweep(now=at(35, checkin))  # buddy, buddy again
    listed = services._recipients

    def then_change(c, stage):
        out = listed(c, stage)
        if stage == AlertDelivery.Stage.FEOA:
            assert out == [("email", f"user:{feoa.pk}")]  # still eligible when listed
            if change == "deactivated":
                type(feoa).objects.filter(pk=feoa.pk).update(is_active=False)
            elif change == "role_changed":
                type(feoa).objects.filter(pk=feoa.pk).update(role="staff")
            else:
                feoa.police_forces.set([world.forces.met])
        return out

    monkeypatch.setattr(services, "_recipients", then_change)
    before = len(mail.outbox)
    report = services.sweep(now=at(65, checkin))
    assert report.sent == 0 and report.skipped == 1 and report.as_dict()["skipped"] == 1
    assert len(mail.outbox) == before  # nothing to the former adviser
    row = AlertDelivery.objects.get(checkin=checkin, stage="feoa")
    assert (row.status, row.recipient, row.sent_at) == ("skipped", f"user:{feoa.pk}", None)
    assert ("feoa", "email", f"user:{feoa.pk}") not in sent()
    # Final: a later sweep does not send it either, and the all-clear goes to the buddy only.
    monkeypatch.setattr(services, "_recipients", listed)
    assert services.sweep(now=at(66, checkin)).sent == 0
    services.check_out(Actor(user=world.users.candidate), checkin, now=at(70, checkin))
    assert services.sweep(now=at(71, checkin)).sent_by_stage == {"all_clear": 2}
    assert all(feoa.email not in m.to for m in mail.outbox)


def test_the_all_clear_is_not_sent_to_an_adviser_who_has_since_left_the_force(world):
    checkin = start(world)
    feoa = world.users.feoa_wmp
    assert services.sweep(now=at(65, checkin)).sent_by_stage == {"buddy": 2, "buddy_again": 2, "feoa": 1}
    feoa.police_forces.set([world.forces.city])
    services.check_out(Actor(user=world.users.candidate), checkin, now=at(70, checkin))
    report = services.sweep(now=at(71, checkin))
    assert report.sent_by_stage == {"all_clear": 2} and report.skipped == 1
    assert AlertDelivery.objects.get(checkin=checkin, stage="all_clear", recipient=f"user:{feoa.pk}").status == "skipped"
    assert sum(feoa.email in m.to for m in mail.outbox) == 1  # the escalation only


def test_without_escalation_the_feoa_is_never_alerted(world):
    checkin = start(world, escalate=False, phone="")
    services.sweep(now=at(500, checkin))
    assert sent() == [("buddy", "email", "buddy"), ("buddy_again", "email", "buddy")]
    checkin.refresh_from_db()
    assert checkin.status == CheckIn.Status.OVERDUE and checkin.escalated_at is None


def test_checking_out_in_time_alerts_nobody(world):
    checkin = start(world)
    services.check_out(Actor(user=world.users.candidate), checkin, now=at(-10, checkin))
    assert services.sweep(now=at(500, checkin)).sent == 0
    assert mail.outbox == [] and LocmemSMS.outbox == []


def test_settings_change_the_stage_times(world, settings):
    settings.BALLOTGUARD_CHECKIN_GRACE_MINUTES = 0
    settings.BALLOTGUARD_CHECKIN_REMIND_MINUTES = 10
    settings.BALLOTGUARD_CHECKIN_ESCALATE_MINUTES = 20
    checkin = start(world)
    assert services.stage_times(checkin) == {"buddy": at(0, checkin), "buddy_again": at(10, checkin), "feoa": at(30, checkin)}
    assert services.sweep(now=at(30, checkin)).sent_by_stage == {"buddy": 2, "buddy_again": 2, "feoa": 1}


# ---------------------------------------------------------------------------------------------------
# No alert lost, none sent twice: a worker killed mid-sweep, a worker that was down, concurrency


class WorkerKilled(BaseException):
    """Not an ``Exception``: like SIGKILL or SystemExit, nothing in the sweep catches it."""


class DiesOnSecondSend:
    """A notifier that delivers once and then the worker dies in the middle of the next send."""

    def __init__(self, inner):
        self.inner, self.channel, self.calls = inner, inner.channel, 0

    def send(self, to, subject, body, reference=""):
        self.calls += 1
        if self.calls == 2:
            raise WorkerKilled
        self.inner.send(to, subject, body)


def test_a_worker_killed_mid_sweep_loses_nothing_and_the_next_one_sends_nothing_twice(world):
    checkin = start(world)
    dying = {"email": DiesOnSecondSend(notify.EmailNotifier()), "sms": DiesOnSecondSend(notify.SMSNotifier())}
    dying["sms"].calls = 1  # the e-mail goes out; the SMS send is where the worker dies
    with pytest.raises(WorkerKilled):
        services.sweep(now=at(5, checkin), notifiers=dying)
    assert sent() == [("buddy", "email", "buddy")]  # committed before the crash
    assert len(mail.outbox) == 1 and LocmemSMS.outbox == []

    # The restarted worker runs the sweep (late): the SMS goes, the e-mail does not go again.
    report = services.sweep(now=at(7, checkin))
    assert report.sent == 1 and report.already == 1
    assert len(mail.outbox) == 1 and len(LocmemSMS.outbox) == 1
    assert sent() == [("buddy", "email", "buddy"), ("buddy", "sms", "buddy")]


def test_a_worker_down_through_every_due_time_catches_up_on_restart(world):
    """Nothing ran while the worker was down; the first sweep after it comes back sends each stage once."""
    checkin = start(world)
    report = services.sweep(now=at(180, checkin))
    assert report.sent_by_stage == {"buddy": 2, "buddy_again": 2, "feoa": 1}
    assert services.sweep(now=at(181, checkin)).sent == 0
    assert len(mail.outbox) == 3 and len(LocmemSMS.outbox) == 2


def test_killed_between_the_feoa_stage_and_the_next_check_in(world):
    first = start(world)
    second = start(world, escalate=False, email="", phone="07700 900 123")
    killer = {"email": DiesOnSecondSend(notify.EmailNotifier()), "sms": DiesOnSecondSend(notify.SMSNotifier())}
    with pytest.raises(WorkerKilled):
        services.sweep(now=at(5, first), notifiers=killer)  # first: e-mail ok, SMS dies
    services.sweep(now=at(5, first))
    buddies = sorted((d.checkin_id, d.channel) for d in AlertDelivery.objects.all())
    assert buddies == [(first.pk, "email"), (first.pk, "sms"), (second.pk, "sms")]
    assert len(mail.outbox) == 1 and len(LocmemSMS.outbox) == 2


def test_the_database_refuses_a_second_delivery_of_a_stage(world):
    checkin = start(world)
    services.sweep(now=at(5, checkin))
    with pytest.raises(IntegrityError), transaction.atomic():
        AlertDelivery.objects.create(checkin=checkin, stage="buddy", channel="email", recipient="buddy", due_at=at(5, checkin))


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_send_each_alert_once(world):
    """Four workers sweep at once. Needs a database with real concurrent connections: PostgreSQL, or
    SQLite in a file (the in-memory test database's shared cache answers "table is locked" at once)."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("in-memory SQLite cannot run concurrent writers; runs on PostgreSQL")
    checkin = start(world)
    now = at(65, checkin)
    errors: list[BaseException] = []

    def run():
        try:
            services.sweep(now=now)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(mail.outbox) == 3 and len(LocmemSMS.outbox) == 2  # buddy x2, again x2, FEOA: once each
    assert AlertDelivery.objects.count() == 5


# ---------------------------------------------------------------------------------------------------
# Send failures and retries


class Broken:
    channel = "sms"

    def send(self, to, subject, body, reference=""):
        raise ConnectionError(f"gateway refused {to}")


def test_a_failed_send_is_retried_then_given_up_and_the_log_has_no_number(world, settings, caplog):
    settings.BALLOTGUARD_CHECKIN_MAX_ATTEMPTS = 3
    checkin = start(world)
    broken = {"email": notify.EmailNotifier(), "sms": Broken()}
    report = services.sweep(now=at(5, checkin), notifiers=broken)
    assert report.sent == 1 and report.failed == 1
    row = AlertDelivery.objects.get(channel="sms")
    assert row.status == "failed" and row.attempts == 1 and row.last_error == "ConnectionError"
    assert "7700" not in caplog.text and "ConnectionError" in caplog.text

    report = services.sweep(now=at(6, checkin))  # the gateway is back
    assert report.sent == 1 and len(LocmemSMS.outbox) == 1 and len(mail.outbox) == 1
    row.refresh_from_db()
    assert row.status == "sent" and row.attempts == 2

    services.sweep(now=at(35, checkin), notifiers=broken)
    services.sweep(now=at(36, checkin), notifiers=broken)
    services.sweep(now=at(37, checkin), notifiers=broken)
    again = AlertDelivery.objects.get(stage="buddy_again", channel="sms")
    assert again.status == "gave_up" and again.attempts == 3
    assert services.sweep(now=at(38, checkin)).sent == 0  # given up: not retried forever
    assert len(LocmemSMS.outbox) == 1


# ---------------------------------------------------------------------------------------------------
# Starting, extending, cancelling


def test_start_validates_every_field(world):
    bad = services.CheckInInput(where=" ", expected_end=T0 - dt.timedelta(minutes=1), buddy_name="", buddy_email="", buddy_phone="",
                                escalate_to_feoa=True, candidacy_id=None)
    with pytest.raises(services.CheckInInvalid) as exc:
        services.start(Actor(user=world.users.candidate), bad, now=T0)
    assert set(exc.value.errors) == {"where", "expected_end", "buddy_name", "buddy_email", "candidacy"}
    with pytest.raises(services.CheckInInvalid) as exc:
        start(world, end=T0 + dt.timedelta(hours=13), email="not-an-email", phone="12")
    assert set(exc.value.errors) == {"expected_end", "buddy_email", "buddy_phone"}
    with pytest.raises(services.CheckInInvalid) as exc:  # a candidacy that is not hers
        start(world, candidacy_id=world.candidates.clw_1.pk)
    assert set(exc.value.errors) == {"candidacy"}
    with pytest.raises(NotPermitted):
        start(world, user=world.users.feoa_wmp)
    assert CheckIn.objects.count() == 0


def test_staff_check_in_for_a_delegated_candidacy_and_the_fields_are_encrypted(world):
    checkin = start(world, user=world.users.staff)
    assert checkin.candidacy == world.candidates.yardley_1
    with connection.cursor() as cursor:
        cursor.execute("SELECT \"where\", buddy_email, buddy_phone, buddy_name FROM checkins_checkin WHERE id = %s", [checkin.pk])
        raw = " ".join(cursor.fetchone())
    assert "Church Road" not in raw and "bea@" not in raw and "7700" not in raw and "Bea" not in raw
    assert AuditEvent.objects.filter(object_type="checkin", object_id=str(checkin.pk), action="create").exists()


def test_extend_moves_the_alerts_and_only_before_the_buddy_is_told(world):
    carol = Actor(user=world.users.candidate)
    checkin = start(world)
    services.extend(carol, checkin, now=at(-10, checkin))
    checkin.refresh_from_db()
    assert checkin.expected_end == T0 + dt.timedelta(minutes=90) and checkin.extended_count == 1
    assert services.sweep(now=T0 + dt.timedelta(minutes=65)).sent == 0  # the old due time
    services.extend(carol, checkin, now=at(3, checkin))  # late, inside the grace: from now
    checkin.refresh_from_db()
    assert checkin.expected_end == T0 + dt.timedelta(minutes=90 + 3 + 30)
    services.sweep(now=at(5, checkin))
    with pytest.raises(services.CheckInClosed):
        services.extend(carol, checkin, now=at(6, checkin))
    with pytest.raises(services.CheckInClosed):
        services.cancel(carol, checkin, now=at(6, checkin))


def test_cancel_and_nobody_else_can_touch_a_check_in(world):
    checkin = start(world)
    with pytest.raises(CheckIn.DoesNotExist):
        services.check_out(Actor(user=world.users.staff), checkin)
    services.cancel(Actor(user=world.users.candidate), checkin, now=at(-30, checkin))
    checkin.refresh_from_db()
    assert checkin.status == "cancelled" and checkin.finished_at == at(-30, checkin)
    assert services.sweep(now=at(500, checkin)).sent == 0
    with pytest.raises(services.CheckInClosed):
        services.check_out(Actor(user=world.users.candidate), checkin)


def test_a_check_out_while_the_sweep_runs_stops_the_rest(world):
    checkin = start(world)

    class ChecksOutDuringSend:
        def __init__(self, inner):
            self.inner, self.channel = inner, inner.channel

        def send(self, to, subject, body, reference=""):
            self.inner.send(to, subject, body)
            CheckIn.objects.filter(pk=checkin.pk).update(status="checked_out", checked_out_at=at(5, checkin), finished_at=at(5, checkin))

    services.sweep(now=at(5, checkin), notifiers={"email": ChecksOutDuringSend(notify.EmailNotifier()), "sms": notify.SMSNotifier()})
    # The e-mail went; the SMS did not (checked out meanwhile); the all-clear follows the e-mail only.
    assert [m.subject.startswith("Ballotguard: all clear") for m in mail.outbox] == [False, True]
    assert LocmemSMS.outbox == []


def test_start_schedules_sweeps_at_the_due_times_where_the_backend_can_defer(world, settings, django_capture_on_commit_callbacks):
    from django_tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        checkin = start(world, now=timezone.now(), end=timezone.now() + dt.timedelta(hours=1))
    times = services.stage_times(checkin)
    queued = sorted(r.task.run_after for r in default_task_backend.results if r.task.name == "sweep_checkins")
    assert queued == sorted(times.values())


def test_the_task_and_the_command_run_the_sweep(world, capsys):
    from ballotguard.checkins.tasks import sweep_checkins

    checkin = start(world, now=timezone.now() - dt.timedelta(hours=3), end=timezone.now() - dt.timedelta(hours=2))
    result = sweep_checkins.enqueue()  # the immediate backend in tests
    assert result.return_value["sent_by_stage"] == {"buddy": 2, "buddy_again": 2, "feoa": 1}
    call_command("checkin_sweep", "--json")
    assert json.loads(capsys.readouterr().out)["sent"] == 0
    assert CheckIn.objects.get(pk=checkin.pk).status == "escalated"


def test_console_sms_masks_the_number(capsys):
    notify.ConsoleSMS().send_sms("+447700900982", "hello")
    out = capsys.readouterr().out
    assert "+44*******982" in out and "7700900" not in out and "hello" in out


# ---------------------------------------------------------------------------------------------------
# Retention


def test_purge_locations_blanks_where_and_the_buddy_contact_of_finished_check_ins(world):
    carol = Actor(user=world.users.candidate)
    old = start(world)
    services.check_out(carol, old, now=T0 + dt.timedelta(minutes=30))
    still_open = start(world)
    assert services.purge_locations(T0 + dt.timedelta(days=1)) == 1
    old.refresh_from_db()
    still_open.refresh_from_db()
    assert old.where == "" and old.buddy_email == "" and old.buddy_phone == "" and old.location_purged_at is not None
    assert still_open.where == WHERE
    assert services.purge_locations(T0 + dt.timedelta(days=1)) == 0


def test_purge_locations_works_in_batches_and_a_run_that_stops_half_way_is_finished_by_the_next(world, monkeypatch):
    """One transaction per batch (docs/operations.md): a failure in the second batch leaves the first
    one purged, and the next run purges the rest."""
    from ballotguard.core import erasure
    from ballotguard.core import retention as core

    carol = Actor(user=world.users.candidate)
    checkins = [start(world) for _ in range(3)]
    for checkin in checkins:
        services.check_out(carol, checkin, now=T0 + dt.timedelta(minutes=30))
    assert all(CheckIn.objects.get(pk=c.pk).data_key for c in checkins)
    monkeypatch.setattr(core, "BATCH", 2)
    destroy, destroyed = erasure.destroy, []

    def failing_on_the_third(kid):
        if len(destroyed) == 2:
            raise OSError("the key store went away")
        destroyed.append(kid)
        return destroy(kid)

    monkeypatch.setattr(erasure, "destroy", failing_on_the_third)
    with pytest.raises(OSError):
        services.purge_locations(T0 + dt.timedelta(days=1))
    purged = CheckIn.objects.filter(location_purged_at__isnull=False)
    assert purged.count() == 2 and not purged.filter(pk=checkins[2].pk).exists()
    assert CheckIn.objects.get(pk=checkins[2].pk).where == WHERE  # its batch was rolled back whole
    monkeypatch.setattr(erasure, "destroy", destroy)
    assert services.purge_locations(T0 + dt.timedelta(days=1)) == 1
    assert not CheckIn.objects.filter(location_purged_at__isnull=True).exists()


# ---------------------------------------------------------------------------------------------------
# The FEOA's list


def test_feoa_sees_only_escalated_check_ins_in_their_force(world, client_as):
    escalated = start(world)
    quiet = start(world, escalate=False)
    services.sweep(now=at(500, escalated))
    feoa = world.users.feoa_wmp
    assert list(services.escalated_for(feoa)) == [escalated]
    assert list(services.escalated_for(world.users.feoa_met)) == []
    response = client_as(feoa).get("/checkins/escalated/")
    assert response.status_code == 200 and "Carol Tester" in response.content.decode()
    page = client_as(feoa).get(f"/checkins/escalated/{escalated.pk}/").content.decode()
    assert WHERE in page and "Bea" not in page and "bea@" not in page
    assert AuditEvent.objects.filter(actor=feoa, action="read", object_type="checkin", object_id=str(escalated.pk)).exists()
    assert client_as(feoa).get(f"/checkins/escalated/{quiet.pk}/").status_code == 404
    assert client_as(world.users.feoa_met).get(f"/checkins/escalated/{escalated.pk}/").status_code == 404
    assert client_as(world.users.candidate).get("/checkins/escalated/").status_code == 403
    assert client_as(world.users.admin).get("/checkins/").status_code == 403


# ---------------------------------------------------------------------------------------------------
# Pages


def test_start_page_warns_999_first_and_shows_errors(world, client_as):
    client = client_as(world.users.candidate)
    page = client.get("/checkins/start/").content.decode()
    assert page.index("call <a class=\"govuk-link\" href=\"tel:999\">999</a>") < page.index("<form method=\"post\" novalidate")
    response = client.post("/checkins/start/", {"duration": "time"})
    body = response.content.decode()
    assert response.status_code == 400 and "There is a problem" in body
    assert "Enter where you are going" in body and "Enter the time you expect to finish" in body and "Enter your buddy" in body


def test_start_check_out_and_history_through_the_pages(world, client_as):
    client = client_as(world.users.candidate)
    response = client.post("/checkins/start/", {
        "where": WHERE, "duration": "60", "buddy_name": "Bea Buddy", "buddy_phone": "07700 900 982",
        "candidacy": str(world.candidates.yardley_1.pk), "escalate_to_feoa": "on",
    })
    checkin = CheckIn.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/checkins/{checkin.pk}/"
    assert checkin.escalate_to_feoa and checkin.buddy_phone == "+447700900982" and checkin.buddy_email == ""
    assert abs((checkin.expected_end - timezone.now()) - dt.timedelta(hours=1)) < dt.timedelta(minutes=1)
    page = client.get(f"/checkins/{checkin.pk}/").content.decode()
    assert "I&#x27;m safe – check out" in page or "I'm safe – check out" in page
    assert "Extend by 30 minutes" in page and "tel:999" in page
    client.post(f"/checkins/{checkin.pk}/extend/")
    checkin.refresh_from_db()
    assert checkin.extended_count == 1
    services.sweep(now=checkin.expected_end + dt.timedelta(minutes=5))
    page = client.get(f"/checkins/{checkin.pk}/").content.decode()
    assert "Overdue: your buddy has been alerted" in page and "Extend by" not in page
    client.post(f"/checkins/{checkin.pk}/check-out/")
    checkin.refresh_from_db()
    assert checkin.status == "checked_out"
    assert "Checked out safely" in client.get("/checkins/").content.decode()
    # The form remembers the buddy for next time.
    assert "+447700900982" in client.get("/checkins/start/").content.decode()
    # Nobody else opens it.
    assert client_as(world.users.staff).get(f"/checkins/{checkin.pk}/").status_code == 404


# ---------------------------------------------------------------------------------------------------
# API


def test_api_start_list_extend_checkout_and_field_errors(world, client_as):
    client = client_as(world.users.candidate)
    bad = client.post("/api/v1/checkins", {"where": "", "buddy_name": "", "duration_minutes": 60}, content_type="application/json")
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["detail"]}
    assert fields == {"where", "buddy_name", "buddy_email"}
    naive = client.post("/api/v1/checkins", {"where": WHERE, "buddy_name": "Bea", "buddy_email": "bea@example.org",
                                              "expected_end": "2030-01-01T10:00:00"}, content_type="application/json")
    assert naive.status_code == 422 and naive.json()["detail"][0]["field"] == "expected_end"
    scope = client.post("/api/v1/checkins", {"where": WHERE, "buddy_name": "Bea", "buddy_email": "bea@example.org", "duration_minutes": 60,
                                              "candidate_id": world.candidates.clw_1.pk}, content_type="application/json")
    assert scope.status_code == 422 and scope.json()["detail"][0]["field"] == "candidate_id"

    created = client.post("/api/v1/checkins", {"where": WHERE, "buddy_name": "Bea", "buddy_email": "bea@example.org", "duration_minutes": 60,
                                                "candidate_id": world.candidates.yardley_1.pk, "escalate_to_feoa": True}, content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "active" and body["where"] == WHERE and body["alerts"] == []
    checkin_id = body["id"]
    listed = client.get("/api/v1/checkins").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == checkin_id
    extended = client.post(f"/api/v1/checkins/{checkin_id}/extend", {"minutes": 15}, content_type="application/json")
    assert extended.status_code == 200 and extended.json()["expected_end"] > body["expected_end"]
    assert client.post(f"/api/v1/checkins/{checkin_id}/extend", {"minutes": 1}, content_type="application/json").status_code == 422
    assert client_as(world.users.staff).post(f"/api/v1/checkins/{checkin_id}/checkout").status_code == 404
    assert client_as(world.users.feoa_wmp).post("/api/v1/checkins", {}, content_type="application/json").status_code == 403

    checkin = CheckIn.objects.get(pk=checkin_id)
    services.sweep(now=checkin.expected_end + dt.timedelta(hours=3))
    feoa_list = client_as(world.users.feoa_wmp).get("/api/v1/checkins/escalated").json()
    assert [r["id"] for r in feoa_list] == [checkin_id] and feoa_list[0]["where"] == WHERE
    assert client_as(world.users.feoa_met).get("/api/v1/checkins/escalated").json() == []
    assert client.post(f"/api/v1/checkins/{checkin_id}/extend", content_type="application/json").status_code == 409
    out = client.post(f"/api/v1/checkins/{checkin_id}/checkout")
    assert out.status_code == 200 and out.json()["status"] == "checked_out"
    assert {a["recipient"] for a in out.json()["alerts"]} == {"buddy", "feoa"}
    assert client.post(f"/api/v1/checkins/{checkin_id}/checkout").status_code == 409


def test_the_database_backend_keeps_the_delayed_sweeps_for_a_worker_that_is_not_running(world, settings, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        checkin = start(world, now=now, end=now + dt.timedelta(hours=1))
    rows = DBTaskResult.objects.filter(task_path="ballotguard.checkins.tasks.sweep_checkins", status="READY")
    assert sorted(rows.values_list("run_after", flat=True)) == sorted(services.stage_times(checkin).values())
