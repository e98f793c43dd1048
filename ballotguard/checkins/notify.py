"""How check-in alerts leave the building: one small interface, an e-mail notifier and an SMS notifier.

A :class:`Notifier` sends one message to one address on one channel and raises if it could not;
the sweep in ``services`` decides what is sent to whom and records it. Nothing here touches the
database.

* E-mail goes through Django's e-mail backend (``EMAIL_BACKEND``): SMTP in production, the console
  in the demo, ``locmem`` in tests (``django.core.mail.outbox``).
* SMS goes through a provider class named by dotted path in ``BALLOTGUARD_CHECKIN_SMS_PROVIDER``
  (default :class:`ConsoleSMS`). A provider is any class with ``send_sms(to, body)`` that raises on
  failure; a real one (GOV.UK Notify, Twilio, an operator's gateway) is a dozen lines wrapping the
  vendor's client, configured from its own settings. :class:`LocmemSMS` records messages for tests.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import ClassVar, Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

DEFAULT_SMS_PROVIDER = "ballotguard.checkins.notify.ConsoleSMS"


class Notifier(Protocol):
    channel: str

    def send(self, to: str, subject: str, body: str) -> None:
        """Send, or raise. ``subject`` is ignored by channels that have none."""


class SMSProvider(Protocol):
    def send_sms(self, to: str, body: str) -> None:
        """Send a text message to an E.164 number, or raise."""


class EmailNotifier:
    channel = "email"

    def send(self, to: str, subject: str, body: str) -> None:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[to], fail_silently=False)


class SMSNotifier:
    channel = "sms"

    def __init__(self, provider: SMSProvider | None = None):
        self.provider = provider if provider is not None else sms_provider()

    def send(self, to: str, subject: str, body: str) -> None:
        self.provider.send_sms(to, body)


def sms_provider() -> SMSProvider:
    path = getattr(settings, "BALLOTGUARD_CHECKIN_SMS_PROVIDER", DEFAULT_SMS_PROVIDER) or DEFAULT_SMS_PROVIDER
    return import_string(path)()


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

    def send_sms(self, to: str, body: str) -> None:
        sys.stdout.write(f"--- SMS to {mask_number(to)} ---\n{body}\n--- end of SMS ---\n")
        sys.stdout.flush()


@dataclass(frozen=True)
class SentSMS:
    to: str
    body: str


class LocmemSMS:
    """For tests: keeps every text in ``LocmemSMS.outbox`` (cleared by the tests)."""

    outbox: ClassVar[list[SentSMS]] = []

    def send_sms(self, to: str, body: str) -> None:
        LocmemSMS.outbox.append(SentSMS(to=to, body=body))
