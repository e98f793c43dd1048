"""How check-in alerts leave the building: one small interface, an e-mail notifier and an SMS notifier.

A :class:`Notifier` sends one message to one address on one channel and raises if it could not;
the sweep in ``services`` decides what is sent to whom and records it.

* E-mail goes through Django's e-mail backend (``EMAIL_BACKEND``): SMTP in production, the console
  in the demo, ``locmem`` in tests (``django.core.mail.outbox``).
* SMS goes through the provider that ``BALLOTGUARD_CHECKIN_SMS_PROVIDER`` names: ``notify``,
  ``console`` or ``locmem`` (:data:`SMS_PROVIDERS`), or the dotted path of an operator's own class;
  :func:`sms_provider` is the one place that turns the setting into a provider. A provider is any
  class with ``send_sms(to, body, reference="")`` that raises on failure (``reference`` is the
  alert's, for providers that report delivery; others ignore it); a real one (Twilio, an operator's
  gateway) is a dozen lines wrapping the vendor's client. :class:`LocmemSMS` records messages for tests.
* **GOV.UK Notify** (:class:`GovukNotify`): when ``BALLOTGUARD_NOTIFY_API_KEY`` is set, e-mail goes
  through :class:`NotifyEmailBackend` and SMS through :class:`NotifySMS`; both retry with back-off and
  raise on failure. Notify's delivery receipts arrive at ``/notify/receipts/`` (``views.notify_receipt``).
  The one database write here is :class:`~ballotguard.checkins.models.NotifyDelivery`: Notify's id and
  the reference of each message it accepted, so a receipt can be matched.
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass
from typing import ClassVar, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.module_loading import import_string

# The providers shipped, by the name BALLOTGUARD_CHECKIN_SMS_PROVIDER gives them.
SMS_PROVIDERS = {
    "notify": "ballotguard.checkins.notify.NotifySMS",  # GOV.UK Notify (needs BALLOTGUARD_NOTIFY_API_KEY)
    "console": "ballotguard.checkins.notify.ConsoleSMS",  # the demo: standard output, number masked
    "locmem": "ballotguard.checkins.notify.LocmemSMS",  # tests: LocmemSMS.outbox
}


class Notifier(Protocol):
    channel: str

    def send(self, to: str, subject: str, body: str, reference: str = "") -> None:
        """Send, or raise. ``subject`` is ignored by channels that have none; ``reference`` is the
        sender's id for the message (GOV.UK Notify keeps it and returns it in delivery receipts)."""


class SMSProvider(Protocol):
    def send_sms(self, to: str, body: str, reference: str = "") -> None:
        """Send a text message to an E.164 number, or raise. ``reference`` is the sender's id for the
        message, for providers that report delivery (GOV.UK Notify); others ignore it."""


class EmailNotifier:
    channel = "email"

    def send(self, to: str, subject: str, body: str, reference: str = "") -> None:
        headers = {"X-Ballotguard-Reference": reference} if reference else None
        EmailMessage(subject=subject, body=body, to=[to], headers=headers).send(fail_silently=False)


class SMSNotifier:
    channel = "sms"

    def __init__(self, provider: SMSProvider | None = None):
        self.provider = provider if provider is not None else sms_provider()

    def send(self, to: str, subject: str, body: str, reference: str = "") -> None:
        self.provider.send_sms(to, body, reference)


def sms_provider_class(name: str | None = None) -> type[SMSProvider]:
    """The provider class that ``name`` (default: ``BALLOTGUARD_CHECKIN_SMS_PROVIDER``) names: one of
    :data:`SMS_PROVIDERS` or a dotted path. ImproperlyConfigured, saying what is allowed, for
    anything else: a check-in alert must not find out at the moment it is due."""
    name = (settings.BALLOTGUARD_CHECKIN_SMS_PROVIDER if name is None else name).strip()
    path = SMS_PROVIDERS.get(name, name)
    if "." not in path:
        raise ImproperlyConfigured(f"BALLOTGUARD_SMS_PROVIDER must be one of {', '.join(SMS_PROVIDERS)} or the dotted path of a class, "
                                   f"not {name!r}.")
    try:
        provider = import_string(path)
    except ImportError:
        raise ImproperlyConfigured(f"BALLOTGUARD_SMS_PROVIDER names {path!r}, which cannot be imported.") from None
    if not callable(getattr(provider, "send_sms", None)):
        raise ImproperlyConfigured(f"BALLOTGUARD_SMS_PROVIDER names {path!r}, which has no send_sms(to, body, reference) method.")
    if isinstance(provider, type) and issubclass(provider, NotifySMS) and not settings.BALLOTGUARD_NOTIFY_API_KEY:
        # Else every sweep would stop when it makes its notifiers, e-mail alerts included.
        raise ImproperlyConfigured("BALLOTGUARD_SMS_PROVIDER is GOV.UK Notify, but BALLOTGUARD_NOTIFY_API_KEY is not set: "
                                   "set the key, or choose another provider.")
    if not _takes_reference(provider):
        # A provider written to the old interface, send_sms(to, body), would fail every alert.
        raise ImproperlyConfigured(f"BALLOTGUARD_SMS_PROVIDER names {path!r}, whose send_sms does not take the alert's reference: "
                                   "define it as send_sms(self, to, body, reference=\"\") (a provider that cannot report delivery ignores it).")
    return provider


def _takes_reference(provider) -> bool:
    """Whether ``provider().send_sms(to, body, reference)`` can be called, judged from its signature."""
    raw = inspect.getattr_static(provider, "send_sms", None)
    try:
        signature = inspect.signature(getattr(provider, "send_sms"))
    except (TypeError, ValueError):  # no signature to read (a builtin): trust it
        return True
    args = ("", "", "") if isinstance(raw, (staticmethod, classmethod)) or not isinstance(provider, type) else (None, "", "", "")
    try:
        signature.bind(*args)
    except TypeError:
        return False
    return True


def sms_provider() -> SMSProvider:
    """The SMS provider the settings name: the one place the choice is made."""
    return sms_provider_class()()


def notifiers() -> dict[str, Notifier]:
    return {"email": EmailNotifier(), "sms": SMSNotifier()}


def mask_number(number: str) -> str:
    """``+447700900123`` → ``+44*******123``: enough to tell two buddies apart in a demo."""
    if len(number) <= 6:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 6) + number[-3:]


class ConsoleSMS:
    """For the demo: writes the text to standard output, as Django's console e-mail backend does.

    It prints the message (the demo needs to show it) but masks the number, and it writes to stdout,
    not to the logging system, so messages do not end up in log files shipped elsewhere. Never use it
    in production: configure a real provider.
    """

    def send_sms(self, to: str, body: str, reference: str = "") -> None:
        sys.stdout.write(f"--- SMS to {mask_number(to)} ---\n{body}\n--- end of SMS ---\n")
        sys.stdout.flush()


@dataclass(frozen=True)
class SentSMS:
    to: str
    body: str
    reference: str = ""


class LocmemSMS:
    """For tests: keeps every text in ``LocmemSMS.outbox`` (cleared by the tests)."""

    outbox: ClassVar[list[SentSMS]] = []

    def send_sms(self, to: str, body: str, reference: str = "") -> None:
        LocmemSMS.outbox.append(SentSMS(to=to, body=body, reference=reference))


# ---------------------------------------------------------------------------------------------------
# GOV.UK Notify: every e-mail (as Django's e-mail backend) and every text message (as the SMS provider)


class NotifyFailed(Exception):
    """GOV.UK Notify did not accept the message. ``status_code`` is Notify's (0: never reached);
    the text names the kind of failure only, never the address or the content."""

    def __init__(self, status_code: int, reason: str):
        super().__init__(f"GOV.UK Notify refused the message: {reason} (HTTP {status_code})" if status_code else f"GOV.UK Notify could not be reached: {reason}")
        self.status_code = status_code


RETRYABLE = {429, 500, 502, 503, 504}


class GovukNotify:
    """Sends through GOV.UK Notify with its own client (``notifications-python-client``), retrying
    what Notify says is worth retrying (429 rate limit, 5xx, no connection) with exponential back-off,
    and raising :class:`NotifyFailed` for the rest (a 400 or 403 will not get better by asking again),
    so the sender sees the failure: the check-in sweep records it and retries on its next run.

    Ballotguard composes its own wording, so it uses one Notify e-mail template whose subject is
    ``((subject))`` and body ``((body))``, and one text-message template ``((body))``
    (``BALLOTGUARD_NOTIFY_EMAIL_TEMPLATE`` and ``BALLOTGUARD_NOTIFY_SMS_TEMPLATE``). Every accepted
    message is recorded (Notify's id, the reference, the channel; never the address) in
    :class:`~ballotguard.checkins.models.NotifyDelivery`, which Notify's delivery receipts update.
    """

    def __init__(self, api_key: str | None = None, base_url: str | None = None, *, attempts: int | None = None,
                 backoff: float = 0.5, sleep=None):
        from notifications_python_client.notifications import NotificationsAPIClient

        key = api_key or settings.BALLOTGUARD_NOTIFY_API_KEY
        if not key:
            raise NotifyFailed(0, "BALLOTGUARD_NOTIFY_API_KEY is not set")
        self.client = NotificationsAPIClient(key, base_url=base_url or settings.BALLOTGUARD_NOTIFY_BASE_URL, timeout=10)
        self.attempts = attempts or settings.BALLOTGUARD_NOTIFY_ATTEMPTS
        self.backoff = backoff
        import time

        self.sleep = sleep or time.sleep

    def send(self, channel: str, to: str, personalisation: dict, reference: str = "") -> str:
        """Send and return Notify's notification id, or raise :class:`NotifyFailed`."""
        from notifications_python_client.errors import HTTPError, InvalidResponse
        from requests import RequestException

        for attempt in range(1, self.attempts + 1):
            try:
                if channel == "sms":
                    response = self.client.send_sms_notification(
                        phone_number=to, template_id=settings.BALLOTGUARD_NOTIFY_SMS_TEMPLATE, personalisation=personalisation, reference=reference or None)
                else:
                    response = self.client.send_email_notification(
                        email_address=to, template_id=settings.BALLOTGUARD_NOTIFY_EMAIL_TEMPLATE, personalisation=personalisation, reference=reference or None)
            except HTTPError as exc:
                # No response at all (refused, timed out) comes as a 503 without one.
                status, reason = (exc.status_code, _notify_error(exc)) if exc.response is not None else (0, "no response")
            except (RequestException, InvalidResponse) as exc:
                status, reason = 0, type(exc).__name__
            else:
                _record_delivery(response.get("id", ""), channel, reference)
                return response.get("id", "")
            if (status and status not in RETRYABLE) or attempt == self.attempts:
                raise NotifyFailed(status, reason)
            self.sleep(self.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")


def _notify_error(exc) -> str:
    """Notify's error *kind* (``BadRequestError``, ``RateLimitError``…): its message can quote the address."""
    message = exc.message
    if isinstance(message, list) and message and isinstance(message[0], dict):
        return str(message[0].get("error", "error"))[:60]
    return "error"


def _record_delivery(notify_id: str, channel: str, reference: str) -> None:
    from .models import NotifyDelivery

    if notify_id:
        NotifyDelivery.objects.get_or_create(notify_id=notify_id, defaults={"channel": channel, "reference": reference[:100]})


class NotifySMS:
    """The ``notify`` SMS provider (the default when ``BALLOTGUARD_NOTIFY_API_KEY`` is set)."""

    def __init__(self, notify: GovukNotify | None = None):
        self.notify = notify or GovukNotify()

    def send_sms(self, to: str, body: str, reference: str = "") -> None:
        self.notify.send("sms", to, {"body": body}, reference)


class NotifyEmailBackend(BaseEmailBackend):
    """Django's e-mail backend over GOV.UK Notify, so every ``send_mail`` in Ballotguard (check-in
    alerts, high-risk incident alerts, hand-over notices, briefing invitations) goes through Notify.
    A header ``X-Ballotguard-Reference`` becomes Notify's reference. Attachments are not supported
    (Ballotguard's e-mails carry links, never files)."""

    def __init__(self, fail_silently: bool = False, notify: GovukNotify | None = None, **kwargs):
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.notify = notify

    def send_messages(self, email_messages) -> int:
        notify = self.notify or GovukNotify()
        sent = 0
        for message in email_messages:
            reference = message.extra_headers.get("X-Ballotguard-Reference", "")
            try:
                for to in message.recipients():
                    notify.send("email", to, {"subject": message.subject, "body": message.body}, reference)
                sent += 1
            except NotifyFailed:
                if not self.fail_silently:
                    raise
        return sent
