"""The candidates' survey: closing dates, invitations and reminders, and anonymous responses.

* An analyst or administrator sets each election's closing date (:func:`set_closing_date`).
* The task worker's sweep (:func:`sweep`, task ``survey.tasks.survey_sweep``) invites every candidate
  of an election from the day after polling day until the closing date, by e-mail through the one
  e-mail path (GOV.UK Notify when configured) and on their home page, and reminds those who have not
  responded ``REMINDER_DAYS`` before the closing date. Nothing is sent after the closing date or to
  anyone who has responded. Running it twice sends nothing twice (the invitation row is the record).
* A candidate responds once (:func:`submit`): in one transaction the invitation is marked as
  responded and a response is stored with no link to them (see ``models`` and docs/survey.md).

Audit: setting a closing date is audited. Responding is deliberately not: an audit event carries the
exact time and the person, which is precisely what the response must not be joinable with.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from ballotguard.accounts.models import AuditEvent, Role, User
from ballotguard.accounts.services import Actor, audit
from ballotguard.engines.insights import survey as engine
from ballotguard.registry.models import AreaForce, Candidate, Election
from ballotguard.registry.services import NotPermitted

from .models import SurveyInvitation, SurveyResponse, SurveyWindow

log = logging.getLogger(__name__)

REMINDER_DAYS = (7, 2)  # reminders this many days before the closing date
MAX_WINDOW_DAYS = 120  # a closing date at most this long after polling day
DEFAULT_WINDOW_DAYS = 28
SETTERS = (Role.ANALYST, Role.ADMIN)


def k_anonymity() -> int:
    """How many candidates of an election must share a response's kept attributes."""
    return int(getattr(settings, "BALLOTGUARD_SURVEY_K", getattr(settings, "BALLOTGUARD_SUPPRESSION_THRESHOLD", 5)))


class SurveyError(ValueError):
    """Input that cannot be accepted; ``errors`` maps each field at fault to the message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class SurveyClosed(Exception):
    """The survey is not open for this candidacy: not yet, closed, or already answered."""


# ---------------------------------------------------------------------------------------------------
# Closing dates


def can_set_dates(user: User) -> bool:
    return getattr(user, "role", None) in SETTERS


def windows() -> list[tuple[Election, SurveyWindow | None]]:
    by_election = {w.election_id: w for w in SurveyWindow.objects.all()}
    return [(e, by_election.get(e.pk)) for e in Election.objects.order_by("-date", "name")]


def set_closing_date(actor: Actor, election: Election, closes_on: object, *, today: dt.date | None = None) -> SurveyWindow:
    if not can_set_dates(actor.user):
        raise NotPermitted("Only Taskforce analysts and administrators set survey closing dates.")
    today = today or timezone.localdate()
    if not isinstance(closes_on, dt.date):
        raise SurveyError({"closes_on": "Enter a real closing date, like 31 7 2026"})
    if closes_on <= election.date:
        raise SurveyError({"closes_on": f"The closing date must be after polling day ({election.date:%-d %B %Y})"})
    if closes_on > election.date + dt.timedelta(days=MAX_WINDOW_DAYS):
        raise SurveyError({"closes_on": f"The closing date must be within {MAX_WINDOW_DAYS} days of polling day"})
    if closes_on < today:
        raise SurveyError({"closes_on": "The closing date must be today or in the future"})
    window, _created = SurveyWindow.objects.update_or_create(
        election=election, defaults={"closes_on": closes_on, "set_by": actor.user, "set_at": timezone.now()})
    audit(actor, AuditEvent.Action.UPDATE, "survey.window", election.election_id, detail=f"closes_on={closes_on.isoformat()}")
    return window


# ---------------------------------------------------------------------------------------------------
# The candidate's side


@dataclass(frozen=True)
class Invitation:
    """What a candidate's pages show about one candidacy's survey."""

    candidate: Candidate
    closes_on: dt.date
    status: str  # "open", "responded" or "closed"


def own_candidacies(user: User) -> QuerySet[Candidate]:
    """The candidacies a user answers for: their own only. Staff act for a candidate elsewhere, but
    the survey asks about the candidate's own experience, so only the candidate answers it."""
    if getattr(user, "role", None) != Role.CANDIDATE:
        return Candidate.objects.none()
    return Candidate.objects.filter(user=user).select_related("ballot__election", "survey_invitation")


def invitations_for(user: User, today: dt.date | None = None) -> list[Invitation]:
    """Every candidacy of the user whose survey has opened (after polling day, with a closing date)."""
    today = today or timezone.localdate()
    out = []
    for candidate in own_candidacies(user).order_by("-ballot__election__date"):
        window = SurveyWindow.objects.filter(election_id=candidate.ballot.election_id).select_related("election").first()
        if window is None or today <= window.election.date:
            continue
        invitation = getattr(candidate, "survey_invitation", None)
        if invitation is not None and invitation.responded:
            status = "responded"
        elif today > window.closes_on:
            status = "closed"
        else:
            status = "open"
        out.append(Invitation(candidate, window.closes_on, status))
    return out


def open_invitation(user: User, candidate_id: int, today: dt.date | None = None) -> Invitation:
    """The user's own candidacy's survey. ``Candidate.DoesNotExist`` when it is not theirs (404) or
    has no survey; SurveyClosed when it is closed or answered."""
    for invitation in invitations_for(user, today):
        if invitation.candidate.pk == candidate_id:
            if invitation.status != "open":
                raise SurveyClosed(invitation.status)
            return invitation
    raise Candidate.DoesNotExist


def _primary_forces(area_ids: set[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for area_id, code, primary in (AreaForce.objects.filter(area_id__in=area_ids).order_by("area_id", "-is_primary", "force__code")
                                   .values_list("area_id", "force__code", "is_primary")):
        out.setdefault(area_id, code)
    return out


def attributes_of(election: Election) -> dict[int, dict[str, str]]:
    """Every candidate of an election as the response's coarse attributes, by candidate id."""
    rows = list(Candidate.objects.filter(ballot__election=election).values_list(
        "pk", "gender", "party__name", "ballot__area__region__name", "ballot__area_id"))
    forces = _primary_forces({r[4] for r in rows})
    return {pk: {"gender": gender or "", "party": party or "Independent", "region": region or "Not known",
                 "force": forces.get(area_id, ""), "election_type": election.election_type}
            for pk, gender, party, region, area_id in rows}


def anonymous_attributes(candidate: Candidate) -> dict[str, str]:
    """The candidate's attributes as a response keeps them: coarsened until ``k_anonymity()`` of the
    election's candidates share them (``engines.insights.survey.generalise``)."""
    population = attributes_of(candidate.ballot.election)
    k = k_anonymity()
    party_sizes: dict[str, int] = {}
    for attrs in population.values():
        party_sizes[attrs["party"]] = party_sizes.get(attrs["party"], 0) + 1
    return engine.generalise(population[candidate.pk], population.values(), k=k,
                             parties_kept=[p for p, n in party_sizes.items() if n >= k])


def submit(actor: Actor, candidate_id: int, data: dict, *, today: dt.date | None = None) -> None:
    """Store one candidate's answers, anonymously. Raises ``Candidate.DoesNotExist`` (not theirs),
    SurveyClosed (not open, or answered already) or ``engines.insights.survey.AnswersInvalid`` (nothing stored)."""
    today = today or timezone.localdate()
    invitation = open_invitation(actor.user, candidate_id, today)
    answers = engine.check_answers(data)
    candidate = invitation.candidate
    attrs = anonymous_attributes(candidate)
    with transaction.atomic():
        marker, _created = SurveyInvitation.objects.select_for_update().get_or_create(candidate=candidate)
        if marker.responded:
            raise SurveyClosed("responded")
        marker.responded = True
        marker.save(update_fields=["responded"])
        stored = answers.as_dict()
        comment = stored.pop("comment")
        SurveyResponse.objects.create(
            election_id=candidate.ballot.election_id, week=engine.survey_week(today), comment=comment, answers=stored,
            **attrs,
        )
    log.info("survey response stored")  # no id, no candidate: nothing to join the response with


# ---------------------------------------------------------------------------------------------------
# Invitations and reminders (the task worker)


@dataclass
class SweepReport:
    invited: int = 0
    reminded: int = 0
    emailed: int = 0
    failed: int = 0
    no_address: int = 0
    elections: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"invited": self.invited, "reminded": self.reminded, "emailed": self.emailed, "failed": self.failed,
                "no_address": self.no_address, "elections": len(self.elections)}


def _address(candidate: Candidate) -> str:
    """Where to write: the contact e-mail handed over with consent, else their account's."""
    return (candidate.email or (candidate.user.email if candidate.user_id else "") or "").strip()


def _is_welsh(candidate: Candidate) -> bool:
    return AreaForce.objects.filter(area_id=candidate.ballot.area_id, force__nation="Wales").exists()


def _compose(candidate: Candidate, window: SurveyWindow, reminder: bool) -> tuple[str, str]:
    url = settings.BALLOTGUARD_BASE_URL.rstrip("/") + reverse("survey:respond", args=[candidate.pk])
    closes = window.closes_on

    def one() -> tuple[str, str]:
        subject = _("Reminder: tell us about your campaign") if reminder else _("Tell us about your campaign: an anonymous survey")
        body = _(
            "Thank you for standing in %(election)s.\n\n"
            "The Defending Democracy Taskforce wants to hear whether you faced harassment, abuse or intimidation during the campaign, "
            "online or in person, whether you reported it, and what you thought of the support from your police adviser. "
            "Most abuse is never reported, so your answers help make the next election safer.\n\n"
            "The survey is anonymous: your answers are stored without your name and cannot be linked back to you. "
            "It takes about five minutes.\n\nAnswer it by %(closes)s: sign in to Ballotguard and go to %(url)s\n\n"
            "In immediate danger, call 999."
        ) % {"election": window.election.name, "closes": formats.date_format(closes, "j F Y"), "url": url}
        return subject, body

    if _is_welsh(candidate):  # Welsh first, then English (the Welsh Language Standards)
        with translation.override("cy"):
            cy_subject, cy_body = one()
        with translation.override("en"):
            en_subject, en_body = one()
        return f"{cy_subject} / {en_subject}", f"{cy_body}\n\n---\n\n{en_body}"
    with translation.override("en"):
        return one()


def _send(candidate: Candidate, window: SurveyWindow, invitation: SurveyInvitation, report: SweepReport, reminder: bool) -> bool:
    from ballotguard.checkins.notify import EmailNotifier, NotifyFailed  # the one e-mail path (GOV.UK Notify when configured)

    address = _address(candidate)
    if not address:
        report.no_address += 1
        return False
    subject, body = _compose(candidate, window, reminder)
    kind = f"reminder{invitation.reminders + 1}" if reminder else "invite"
    try:
        EmailNotifier().send(address, subject, body, reference=f"survey-{invitation.pk}-{kind}")
    except (NotifyFailed, OSError) as exc:
        invitation.last_error = type(exc).__name__[:60]
        report.failed += 1
        log.warning("survey e-mail not sent: %s", type(exc).__name__)
        return False
    report.emailed += 1
    return True


def sweep(today: dt.date | None = None) -> SweepReport:
    """Invite and remind, for every election whose survey is open today. Safe to run as often as you
    like: the invitation row is written before it is sent (an e-mail that fails is counted, and a
    reminder retries it); a responded candidate or a closed survey gets nothing."""
    today = today or timezone.localdate()
    report = SweepReport()
    for window in SurveyWindow.objects.select_related("election").filter(election__date__lt=today, closes_on__gte=today):
        report.elections.append(window.election.election_id)
        candidates = Candidate.objects.filter(ballot__election=window.election).select_related("user", "ballot__election")
        for candidate in candidates.filter(survey_invitation__isnull=True).iterator(chunk_size=500):
            with transaction.atomic():
                invitation, created = SurveyInvitation.objects.get_or_create(candidate=candidate)
                if not created:
                    continue
                invitation.emailed = _send(candidate, window, invitation, report, reminder=False)
                invitation.save(update_fields=["emailed", "last_error"])
                report.invited += 1
        days_left = (window.closes_on - today).days
        due = sum(1 for d in REMINDER_DAYS if days_left <= d)  # reminders that should have gone by today
        pending = (SurveyInvitation.objects.select_related("candidate__user", "candidate__ballot__election")
                   .filter(candidate__ballot__election=window.election, responded=False, reminders__lt=due, invited_at__date__lt=today))
        for invitation in pending.iterator(chunk_size=500):
            with transaction.atomic():
                locked = SurveyInvitation.objects.select_for_update().get(pk=invitation.pk)
                if locked.responded or locked.reminders >= due:
                    continue
                sent = _send(invitation.candidate, window, locked, report, reminder=True)
                locked.reminders = due  # one reminder per run even when two are overdue: no burst of two
                locked.reminded_at = timezone.now()
                locked.emailed = locked.emailed or sent
                locked.save(update_fields=["reminders", "reminded_at", "emailed", "last_error"])
                report.reminded += 1
    return report
