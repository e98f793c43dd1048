"""GOV.UK Notify, against a local server that speaks Notify's REST API (``POST /v2/notifications/email``
and ``/sms``, JWT bearer auth signed with the API key's secret, its documented response and error
shapes), and Notify's delivery-receipt callback into Ballotguard."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from django.core import mail
from django.core.mail import send_mail

from ballotguard.checkins import notify
from ballotguard.checkins.models import NotifyDelivery

pytestmark = pytest.mark.django_db

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"ballotguard_test-{SERVICE_ID}-{SECRET}"
EMAIL_TEMPLATE = "f33517ff-2a88-4f6e-b855-c550268ce08a"
SMS_TEMPLATE = "b7a7ac9b-3c1a-45c9-9b2f-02b2bd0d4eb2"


class FakeNotify(ThreadingHTTPServer):
    """Checks what the real API checks (the JWT's issuer, signature and age; the body's fields) and
    answers as it does. ``script`` is a list of status codes to answer before accepting."""

    def __init__(self):
        self.received: list[dict] = []
        self.script: list[int] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                try:
                    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["iss", "iat"]})
                    assert claims["iss"] == SERVICE_ID and abs(time.time() - claims["iat"]) < 30
                except (jwt.PyJWTError, AssertionError):
                    return self.answer(403, {"errors": [{"error": "AuthError", "message": "Invalid token: signature, api token not found"}], "status_code": 403})
                kind = self.path.rsplit("/", 1)[-1]
                address = body.get("email_address" if kind == "email" else "phone_number")
                if not address or body.get("template_id") not in (EMAIL_TEMPLATE, SMS_TEMPLATE):
                    return self.answer(400, {"errors": [{"error": "ValidationError", "message": "template_id is not a valid UUID"}], "status_code": 400})
                if outer.script:
                    code = outer.script.pop(0)
                    kind_error = {400: "BadRequestError", 429: "RateLimitError"}.get(code, "Exception")
                    return self.answer(code, {"errors": [{"error": kind_error, "message": f"Can't send to {address}"}], "status_code": code})
                outer.received.append({"kind": kind, "auth": claims, **body})
                notification = str(uuid.uuid4())
                content = {"body": body.get("personalisation", {}).get("body", "")}
                if kind == "email":
                    content.update(subject=body["personalisation"].get("subject", ""), from_email="ballotguard@notifications.service.gov.uk")
                self.answer(201, {"id": notification, "reference": body.get("reference"), "content": content,
                                  "uri": f"https://api.notifications.service.gov.uk/v2/notifications/{notification}",
                                  "template": {"id": body["template_id"], "version": 1, "uri": "https://api.notifications.service.gov.uk/v2/template/x"}})

            def answer(self, code, payload):
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def fake_notify(settings):
    server = FakeNotify()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.BALLOTGUARD_NOTIFY_API_KEY = API_KEY
    settings.BALLOTGUARD_NOTIFY_BASE_URL = server.url
    settings.BALLOTGUARD_NOTIFY_EMAIL_TEMPLATE = EMAIL_TEMPLATE
    settings.BALLOTGUARD_NOTIFY_SMS_TEMPLATE = SMS_TEMPLATE
    settings.BALLOTGUARD_NOTIFY_CALLBACK_TOKEN = "receipt-token-for-tests"
    settings.EMAIL_BACKEND = "ballotguard.checkins.notify.NotifyEmailBackend"
    settings.BALLOTGUARD_CHECKIN_SMS_PROVIDER = "ballotguard.checkins.notify.NotifySMS"
    yield server
    server.shutdown()
    server.server_close()


def no_wait(seconds):
    no_wait.waits.append(seconds)


def test_every_send_mail_goes_through_notify_with_its_template_personalisation_and_reference(fake_notify):
    from django.core.mail import EmailMessage

    assert send_mail("Briefing invitation", "Come to the briefing on Tuesday.", None, ["candidate@example.org"]) == 1
    EmailMessage("High risk", "Triage it by 14:00", to=["feoa@example.org"], headers={"X-Ballotguard-Reference": "incident-INC-1"}).send()
    first, second = fake_notify.received
    assert first["kind"] == "email" and first["email_address"] == "candidate@example.org" and first["template_id"] == EMAIL_TEMPLATE
    assert first["personalisation"] == {"subject": "Briefing invitation", "body": "Come to the briefing on Tuesday."}
    assert second["reference"] == "incident-INC-1" and second["auth"]["iss"] == SERVICE_ID
    assert NotifyDelivery.objects.filter(reference="incident-INC-1", channel="email", status="sending").count() == 1
    assert not mail.outbox  # it went to Notify, not to Django's test outbox


def test_check_in_alerts_by_sms_and_email_carry_a_reference(fake_notify):
    notifiers = notify.notifiers()
    notifiers["sms"].send("+447700900123", "", "Jo has not checked out.", reference="checkin-7-buddy-sms-buddy")
    notifiers["email"].send("buddy@example.org", "Jo has not checked out", "Call them.", reference="checkin-7-buddy-email-buddy")
    sms, email = fake_notify.received
    assert (sms["kind"], sms["phone_number"], sms["template_id"], sms["personalisation"]) == ("sms", "+447700900123", SMS_TEMPLATE, {"body": "Jo has not checked out."})
    assert sms["reference"] == "checkin-7-buddy-sms-buddy" and email["reference"] == "checkin-7-buddy-email-buddy"


def test_rate_limits_and_server_errors_are_retried_with_back_off(fake_notify):
    no_wait.waits = []
    fake_notify.script = [500, 429]
    sender = notify.GovukNotify(sleep=no_wait, backoff=0.5)
    notify_id = sender.send("sms", "+447700900123", {"body": "hello"}, "r1")
    assert no_wait.waits == [0.5, 1.0] and len(fake_notify.received) == 1
    assert NotifyDelivery.objects.get(notify_id=notify_id).reference == "r1"


def test_a_failure_is_raised_to_the_sender_naming_its_kind_not_the_address(fake_notify, caplog):
    no_wait.waits = []
    fake_notify.script = [400]
    with pytest.raises(notify.NotifyFailed) as refused:
        notify.GovukNotify(sleep=no_wait).send("sms", "+447700900123", {"body": "hello"})
    assert refused.value.status_code == 400 and "BadRequestError" in str(refused.value) and "7700900123" not in str(refused.value)
    assert no_wait.waits == []  # a 400 is not retried
    fake_notify.script = [503, 503, 503]
    with pytest.raises(notify.NotifyFailed, match="HTTP 503"):
        notify.GovukNotify(sleep=no_wait).send("email", "a@example.org", {"subject": "s", "body": "b"})
    assert no_wait.waits == [0.5, 1.0]  # three attempts, then the failure is surfaced
    with pytest.raises(notify.NotifyFailed, match="could not be reached"):
        notify.GovukNotify(base_url="http://127.0.0.1:9", sleep=no_wait, attempts=1).send("sms", "+447700900123", {"body": "x"})
    with pytest.raises(notify.NotifyFailed, match="AuthError"):
        notify.GovukNotify(api_key=f"wrong-{SERVICE_ID}-{uuid.uuid4()}", sleep=no_wait).send("sms", "+447700900123", {"body": "x"})
    assert not NotifyDelivery.objects.exists()
    assert "7700900123" not in caplog.text and "a@example.org" not in caplog.text  # Notify's messages quote addresses


def test_a_check_in_alert_that_notify_refuses_is_recorded_and_retried_by_the_sweep(fake_notify, world):
    """The sweep sees the failure (it raises), records it against the alert and sends on its next run."""
    from ballotguard.checkins import services
    from ballotguard.checkins.models import AlertDelivery

    from .test_checkins import at, start

    checkin = start(world)
    fake_notify.script = [503] * 3 * 2  # both channels' three attempts fail
    through_notify = {"email": notify.EmailNotifier(), "sms": notify.SMSNotifier(notify.NotifySMS(notify.GovukNotify(sleep=no_wait)))}
    services.sweep(now=at(5, checkin), notifiers=through_notify)
    assert set(AlertDelivery.objects.filter(checkin=checkin).values_list("channel", "status")) == {("email", "failed"), ("sms", "failed")}
    services.sweep(now=at(6, checkin), notifiers=through_notify)
    assert set(AlertDelivery.objects.filter(checkin=checkin).values_list("channel", "status")) == {("email", "sent"), ("sms", "sent")}
    assert {r["reference"] for r in fake_notify.received} == {f"checkin-{checkin.pk}-buddy-email-buddy", f"checkin-{checkin.pk}-buddy-sms-buddy"}


def test_delivery_receipts_need_notifys_bearer_token_and_name_bad_fields(fake_notify, client):
    notify_id = notify.GovukNotify(sleep=no_wait).send("sms", "+447700900123", {"body": "hello"}, "checkin-1-buddy-sms-buddy")
    receipt = {"id": notify_id, "reference": "checkin-1-buddy-sms-buddy", "to": "+447700900123", "status": "permanent-failure",
               "created_at": "2026-12-07T01:00:00.000000Z", "completed_at": "2026-12-07T01:00:05.000000Z",
               "sent_at": "2026-12-07T01:00:01.000000Z", "notification_type": "sms", "template_id": SMS_TEMPLATE, "template_version": 1}
    url = "/notify/receipts/"
    assert client.post(url, receipt, content_type="application/json").status_code == 401
    assert client.post(url, receipt, content_type="application/json", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    auth = {"HTTP_AUTHORIZATION": "Bearer receipt-token-for-tests"}
    bad = client.post(url, {**receipt, "status": "lost", "completed_at": "later"}, content_type="application/json", **auth)
    assert bad.status_code == 400 and {d["field"] for d in bad.json()["detail"]} == {"status", "completed_at"}
    assert client.post(url, {**receipt, "id": str(uuid.uuid4())}, content_type="application/json", **auth).status_code == 404
    assert NotifyDelivery.objects.get(notify_id=notify_id).status == "sending"  # nothing changed by the bad ones
    ok = client.post(url, receipt, content_type="application/json", **auth)
    assert ok.status_code == 200
    delivery = NotifyDelivery.objects.get(notify_id=notify_id)
    assert delivery.status == "permanent-failure" and delivery.failed and delivery.completed_at.minute == 0


# ---------------------------------------------------------------------------------------------------
# A text message to the buddy that cannot be delivered falls back to e-mail, and the FEOA sees it


class DeadSMS:
    channel = "sms"

    def send(self, to, subject, body, reference=""):
        raise notify.NotifyFailed(400, "BadRequestError")


def test_a_buddy_sms_that_is_given_up_falls_back_to_the_feoa_by_email_early(world, client_as, settings):
    from ballotguard.checkins import services
    from ballotguard.checkins.models import AlertDelivery, CheckIn

    from .test_checkins import at, start

    settings.BALLOTGUARD_CHECKIN_MAX_ATTEMPTS = 2
    checkin = start(world, email="")  # the buddy gave a phone number only
    dead = {"email": notify.EmailNotifier(), "sms": DeadSMS()}
    services.sweep(now=at(5, checkin), notifiers=dead)
    assert CheckIn.objects.get(pk=checkin.pk).buddy_unreachable_at is None  # one failure: retried first
    services.sweep(now=at(6, checkin), notifiers=dead)
    checkin.refresh_from_db()
    assert checkin.buddy_unreachable_at == at(6, checkin)
    assert AlertDelivery.objects.get(stage="buddy", channel="sms").status == "gave_up"
    report = services.sweep(now=at(7, checkin), notifiers=dead)  # long before the FEOA's normal time
    assert report.sent_by_stage == {"feoa": 1}
    feoa_mail = [m for m in mail.outbox if world.users.feoa_wmp.email in m.to]
    assert len(feoa_mail) == 1 and "could not be reached" in feoa_mail[0].body
    checkin.refresh_from_db()
    assert checkin.status == "escalated" and checkin.escalated_at == at(6, checkin)
    page = client_as(world.users.feoa_wmp).get(f"/checkins/escalated/{checkin.pk}/").content.decode()
    assert "Their buddy could not be reached" in page and "Could not be sent" in page


def test_a_notify_receipt_saying_the_buddy_sms_failed_falls_back_too(fake_notify, world, client):
    from ballotguard.checkins import services
    from ballotguard.checkins.models import AlertDelivery, CheckIn

    from .test_checkins import at, start

    checkin = start(world, email="")
    services.sweep(now=at(5, checkin))  # through Notify (the settings name it): accepted, not yet delivered
    sms = NotifyDelivery.objects.get(channel="sms")
    assert sms.reference == f"checkin-{checkin.pk}-buddy-sms-buddy"
    receipt = {"id": sms.notify_id, "reference": sms.reference, "status": "permanent-failure", "notification_type": "sms"}
    assert client.post("/notify/receipts/", receipt, content_type="application/json",
                       HTTP_AUTHORIZATION="Bearer receipt-token-for-tests").status_code == 200
    row = AlertDelivery.objects.get(stage="buddy", channel="sms")
    assert row.status == "undelivered" and row.last_error == "GOV.UK Notify: permanent-failure"
    assert CheckIn.objects.get(pk=checkin.pk).buddy_unreachable_at is not None
    services.sweep(now=max(at(6, checkin), CheckIn.objects.get(pk=checkin.pk).buddy_unreachable_at))
    feoa = [r for r in fake_notify.received if r["kind"] == "email" and r["email_address"] == world.users.feoa_wmp.email]
    assert len(feoa) == 1 and "could not be reached" in feoa[0]["personalisation"]["body"]


def test_when_the_buddy_also_gave_an_email_address_nothing_is_brought_forward(world, settings):
    from ballotguard.checkins import services
    from ballotguard.checkins.models import CheckIn

    from .test_checkins import at, start

    settings.BALLOTGUARD_CHECKIN_MAX_ATTEMPTS = 1
    checkin = start(world)  # e-mail and phone
    services.sweep(now=at(5, checkin), notifiers={"email": notify.EmailNotifier(), "sms": DeadSMS()})
    assert len(mail.outbox) == 1  # the buddy had the alert by e-mail
    assert CheckIn.objects.get(pk=checkin.pk).buddy_unreachable_at is None
    assert services.sweep(now=at(7, checkin)).sent_by_stage == {}


def test_the_sms_provider_is_chosen_by_name_in_one_place(settings):
    """The setting names the provider; sms_provider() is the only place it is read; every provider
    gets the alert's reference (no isinstance on a provider's class)."""
    from django.core.exceptions import ImproperlyConfigured

    from ballotguard.checkins.apps import sms_provider_check

    settings.BALLOTGUARD_NOTIFY_API_KEY = API_KEY  # the notify provider needs it (see the next test)
    for name, cls in (("locmem", notify.LocmemSMS), ("console", notify.ConsoleSMS), ("notify", notify.NotifySMS),
                      ("ballotguard.checkins.notify.LocmemSMS", notify.LocmemSMS)):
        settings.BALLOTGUARD_CHECKIN_SMS_PROVIDER = name
        assert notify.sms_provider_class() is cls and sms_provider_check() == []
    for wrong, says in (("twilio", "must be one of notify, console, locmem"), ("ballotguard.nowhere.SMS", "cannot be imported"),
                        ("ballotguard.checkins.notify.SentSMS", "has no send_sms")):
        settings.BALLOTGUARD_CHECKIN_SMS_PROVIDER = wrong
        with pytest.raises(ImproperlyConfigured, match=says):
            notify.sms_provider()
        assert [e.id for e in sms_provider_check()] == ["checkins.E001"]

    settings.BALLOTGUARD_CHECKIN_SMS_PROVIDER = "locmem"
    notify.SMSNotifier().send("+447700900123", "", "Jo has not checked out.", reference="checkin-7-buddy-sms-buddy")
    assert notify.LocmemSMS.outbox[-1].reference == "checkin-7-buddy-sms-buddy"


def test_the_alert_reference_is_written_and_read_by_one_pair_of_functions():
    from ballotguard.checkins.models import AlertDelivery

    for stage in AlertDelivery.Stage.values:
        for channel in AlertDelivery.Channel.values:
            for recipient in ("buddy", "user:42"):
                reference = AlertDelivery.alert_reference(9, stage, channel, recipient)
                assert AlertDelivery.alert_keys(reference) == {"checkin_id": 9, "stage": stage, "channel": channel, "recipient": recipient}
    assert AlertDelivery.alert_keys("incident-BG-1") is None and AlertDelivery.alert_keys("checkin-9-buddy-fax-buddy") is None


class OldInterfaceSMS:
    """An operator's provider written to the interface documented before the alert reference was
    passed to every provider: ``send_sms(to, body)``."""

    def send_sms(self, to, body):
        raise AssertionError("never called: refused at start-up")


class StaticSMS:
    @staticmethod
    def send_sms(to, body, reference=""):
        pass


def test_a_provider_that_cannot_take_the_reference_is_refused_at_start_up_not_when_an_alert_is_due(settings):
    """SMSNotifier passes every provider the reference, so a two-argument send_sms would raise
    TypeError on every alert: the start-up check must catch it, as it does a wrong name."""
    from django.core.exceptions import ImproperlyConfigured

    from ballotguard.checkins.apps import sms_provider_check

    settings.BALLOTGUARD_CHECKIN_SMS_PROVIDER = f"{__name__}.OldInterfaceSMS"
    with pytest.raises(ImproperlyConfigured, match=r"does not take the alert's reference: define it as send_sms\(self, to, body, reference"):
        notify.sms_provider()
    assert [e.id for e in sms_provider_check()] == ["checkins.E001"]

    settings.BALLOTGUARD_CHECKIN_SMS_PROVIDER = f"{__name__}.StaticSMS"
    assert notify.sms_provider_class() is StaticSMS and sms_provider_check() == []


def test_notify_named_without_its_api_key_is_refused_at_start_up_not_when_the_sweep_runs(world, settings):
    """Without the key NotifySMS cannot be made, so the sweep would stop as it builds its notifiers,
    before any alert, e-mail included, is sent: the start-up check says so instead."""
    from django.core.exceptions import ImproperlyConfigured

    from ballotguard.checkins.apps import sms_provider_check

    settings.BALLOTGUARD_NOTIFY_API_KEY = ""
    settings.BALLOTGUARD_CHECKIN_SMS_PROVIDER = "notify"
    with pytest.raises(ImproperlyConfigured, match="BALLOTGUARD_NOTIFY_API_KEY is not set"):
        notify.sms_provider_class()
    assert [e.id for e in sms_provider_check()] == ["checkins.E001"]
    settings.BALLOTGUARD_NOTIFY_API_KEY = API_KEY
    assert sms_provider_check() == []
