"""What each alert says, per stage, channel and kind of recipient. No database, no sending.

Each message carries no more personal data than its recipient needs (e-mail and SMS are not secure
channels, and phones show messages on the lock screen):

* the buddy: who, when they expected to finish, that they have not checked out, and where they said
  they were going (the buddy needs it to look for them). Never the candidate's candidacy or party.
* the FEOA: who, the candidacy and area, when they expected to finish, and a link behind the sign-in.
  Never where they went (that is on the signed-in page) and never the buddy's name or details.
* the all-clear: who, and that they have checked out safely.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

SERVICE = "Ballotguard"


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


@dataclass(frozen=True)
class Facts:
    """Everything a message may use; composed by ``services`` from the check-in."""

    person: str
    expected_end: datetime
    where: str = ""
    candidacy: str = ""  # "Carol Cooper, Birmingham Yardley": only for the FEOA
    link: str = ""  # only for the FEOA
    checked_out_at: datetime | None = None
    buddy_unreachable: bool = False  # only for the FEOA: the buddy's text message could not be delivered


def _when(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local:%H:%M} on {local:%A} {local.day} {local:%B}"


def _time(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M}"


def buddy_alert(facts: Facts, channel: str, again: bool) -> Message:
    first = "" if not again else "Second alert: "
    if channel == "sms":
        body = (
            f"{SERVICE}: {first}{facts.person} has not checked out of their safety check-in. "
            f"They expected to finish by {_time(facts.expected_end)} at: {facts.where}. "
            "Please try to reach them now. If you think they are in danger, call 999."
        )
        return Message(subject="", body=body)
    subject = f"{SERVICE}: {first}{facts.person} has not checked out"
    body = (
        f"{facts.person} named you as their buddy when they started a safety check-in on {SERVICE}.\n\n"
        f"They expected to finish by {_when(facts.expected_end)} and have not checked out.\n\n"
        f"Where they said they were going:\n{facts.where}\n\n"
        + ("This is the second alert: they have still not checked out.\n\n" if again else "")
        + "Please try to reach them now.\n\n"
        "If you think they are in danger, call 999.\n"
    )
    return Message(subject=subject, body=body)


def feoa_alert(facts: Facts) -> Message:
    subject = f"{SERVICE}: missed safety check-in, escalated to you"
    body = (
        f"{facts.person} has not checked out of a safety check-in and asked for it to be escalated to their "
        "police adviser if they missed it. "
        + ("Their buddy could not be reached: the text message to them could not be delivered, and they gave no e-mail "
           "address, so this has come to you early.\n\n" if facts.buddy_unreachable else "Their buddy has been alerted twice.\n\n")
        + f"Candidacy: {facts.candidacy}\n"
        f"Expected to finish by: {_when(facts.expected_end)}\n\n"
        f"Where they went, and the history, after signing in: {facts.link}\n\n"
        "If anyone is in immediate danger, call 999.\n"
    )
    return Message(subject=subject, body=body)


def all_clear(facts: Facts, channel: str) -> Message:
    when = _time(facts.checked_out_at) if facts.checked_out_at else "now"
    if channel == "sms":
        return Message(subject="", body=f"{SERVICE}: all clear. {facts.person} checked out safely at {when}. Thank you.")
    return Message(
        subject=f"{SERVICE}: all clear, {facts.person} has checked out",
        body=f"{facts.person} checked out of their safety check-in at {when} and is safe.\n\nThank you for looking out for them.\n",
    )
