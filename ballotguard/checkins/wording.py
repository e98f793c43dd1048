"""What each alert says, per stage, channel and kind of recipient. No database, no sending.

Each message carries no more personal data than its recipient needs (e-mail and SMS are not secure
channels, and phones show messages on the lock screen):

* the buddy: who, when they expected to finish, that they have not checked out, and where they said
  they were going (the buddy needs it to look for them). Never the candidate's candidacy or party.
* the FEOA: who, the candidacy and area, when they expected to finish, and a link behind the sign-in.
  Never where they went (that is on the signed-in page) and never the buddy's name or details.
* the all-clear: who, and that they have checked out safely.

The buddy's messages and the all-clear are written in the language the person used when they started
the check-in (``CheckIn.language``: English or Welsh); ``services`` composes them under that language.
The FEOA's alert is always English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

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
    # "18:30 on Monday 5 May" in English; a translation gives its own order and words for the day and month.
    return dateformat.format(timezone.localtime(moment), _("H:i \\o\\n l j F"))


def _english_when(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local:%H:%M} on {local:%A} {local.day} {local:%B}"


def _time(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M}"


def buddy_alert(facts: Facts, channel: str, again: bool) -> Message:
    values = {"service": SERVICE, "person": facts.person, "time": _time(facts.expected_end), "where": facts.where,
              "when": _when(facts.expected_end)}
    if channel == "sms":
        body = (
            _("%(service)s: Second alert: %(person)s has not checked out of their safety check-in.") if again
            else _("%(service)s: %(person)s has not checked out of their safety check-in.")
        ) % values + " " + _(
            "They expected to finish by %(time)s at: %(where)s. Please try to reach them now. If you think they are in danger, call 999."
        ) % values
        return Message(subject="", body=body)
    subject = (_("%(service)s: Second alert: %(person)s has not checked out") if again else _("%(service)s: %(person)s has not checked out")) % values
    body = (
        _("%(person)s named you as their buddy when they started a safety check-in on %(service)s.") % values + "\n\n"
        + _("They expected to finish by %(when)s and have not checked out.") % values + "\n\n"
        + _("Where they said they were going:") + f"\n{facts.where}\n\n"
        + (_("This is the second alert: they have still not checked out.") + "\n\n" if again else "")
        + _("Please try to reach them now.") + "\n\n"
        + _("If you think they are in danger, call 999.") + "\n"
    )
    return Message(subject=subject, body=body)


def feoa_alert(facts: Facts) -> Message:
    # Police advisers' alerts are in English (their working language in every force today).
    subject = f"{SERVICE}: missed safety check-in, escalated to you"
    body = (
        f"{facts.person} has not checked out of a safety check-in and asked for it to be escalated to their "
        "police adviser if they missed it. "
        + ("Their buddy could not be reached: the text message to them could not be delivered, and they gave no e-mail "
           "address, so this has come to you early.\n\n" if facts.buddy_unreachable else "Their buddy has been alerted twice.\n\n")
        + f"Candidacy: {facts.candidacy}\n"
        f"Expected to finish by: {_english_when(facts.expected_end)}\n\n"
        f"Where they went, and the history, after signing in: {facts.link}\n\n"
        "If anyone is in immediate danger, call 999.\n"
    )
    return Message(subject=subject, body=body)


def all_clear(facts: Facts, channel: str) -> Message:
    values = {"service": SERVICE, "person": facts.person,
              "when": _time(facts.checked_out_at) if facts.checked_out_at else _("now")}
    if channel == "sms":
        return Message(subject="", body=_("%(service)s: all clear. %(person)s checked out safely at %(when)s. Thank you.") % values)
    return Message(
        subject=_("%(service)s: all clear, %(person)s has checked out") % values,
        body=_("%(person)s checked out of their safety check-in at %(when)s and is safe.") % values + "\n\n"
        + _("Thank you for looking out for them.") + "\n",
    )
