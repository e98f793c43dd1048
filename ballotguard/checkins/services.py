"""Campaign check-ins: starting, checking out, extending, and the sweep that sends the alerts.

Pages, the API, the task and the command call these functions; they own scope, transactions and audit.

Who may do what
    * Candidates and their staff start check-ins for themselves, optionally for a candidacy they may
      see (``registry.services.candidates_visible_to``): their own, or one delegated to them. Only the
      person who started a check-in sees it, checks out, extends or cancels it (others get 404).
    * A FEOA sees the check-ins escalated to their force(s): those whose candidacy's area their force
      covers and that reached the FEOA stage. Each open is audited.
    * The buddy is not a user: they receive e-mail or SMS only.

Stages (minutes from settings, see :func:`stage_times`)
    ``buddy`` at expected end + grace; ``buddy_again`` a set time later; ``feoa`` (if the person asked
    for escalation) a set time after that; ``all_clear`` to everyone alerted, once they check out.

No alert lost, none sent twice
    :func:`sweep` looks at the clock it is given (``now``, so tests drive time) and, for every open
    check-in whose stages are due, delivers each stage to each recipient on each channel in its own
    transaction: lock the check-in row (``select_for_update``), re-check that the stage is still due,
    INSERT the ``AlertDelivery`` row (UNIQUE on check-in, stage, channel, recipient), send, COMMIT.
    A second sweeper waits on the lock and then finds the row; if the send raises, the row is rolled
    back with it and the failure is recorded for a retry on the next sweep (up to
    ``BALLOTGUARD_CHECKIN_MAX_ATTEMPTS``). A worker killed mid-sweep has committed exactly the
    deliveries it sent; the next sweep, from any worker, sends the rest. The one window left is a
    crash after the provider accepted a message and before COMMIT (milliseconds): that message is
    sent again, which for a safety alert is the right way to fail (a duplicate beats a lost alert).

    Sweeps are triggered by a delayed task per check-in at its due times (durable in the
    database-backed queue, so a stopped worker runs them when it is back) and by
    ``ballotguard checkin-sweep``, run every minute, which catches anything else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone, translation

from ballotguard.accounts.models import Role, User
from ballotguard.accounts.services import Actor, audit
from ballotguard.core import erasure, retention
from ballotguard.core.background import task
from ballotguard.engines.candidates.contact import ContactError, normalise_email, normalise_phone
from ballotguard.registry.models import AreaForce, Candidate
from ballotguard.registry.services import NotPermitted, advisers_for, candidates_visible_to

from . import notify, wording
from .models import AlertDelivery, CheckIn

logger = logging.getLogger("ballotguard.checkins")

Stage = AlertDelivery.Stage
Channel = AlertDelivery.Channel
ALERT_STAGES = (Stage.BUDDY, Stage.BUDDY_AGAIN, Stage.FEOA)


# ---------------------------------------------------------------------------------------------------
# Settings (with defaults: the project's settings may override any of them)


def _minutes(name: str, default: int) -> timedelta:
    return timedelta(minutes=int(getattr(settings, name, default)))


def grace() -> timedelta:
    """Time after the expected end before the buddy is alerted."""
    return _minutes("BALLOTGUARD_CHECKIN_GRACE_MINUTES", 5)


def buddy_again_after() -> timedelta:
    """Time after the first alert before the buddy is alerted again."""
    return _minutes("BALLOTGUARD_CHECKIN_REMIND_MINUTES", 30)


def feoa_after() -> timedelta:
    """Time after the second alert before the FEOA is alerted (if the person chose escalation)."""
    return _minutes("BALLOTGUARD_CHECKIN_ESCALATE_MINUTES", 30)


def extension() -> timedelta:
    return _minutes("BALLOTGUARD_CHECKIN_EXTEND_MINUTES", 30)


def longest() -> timedelta:
    return timedelta(hours=int(getattr(settings, "BALLOTGUARD_CHECKIN_MAX_HOURS", 12)))


def max_attempts() -> int:
    return int(getattr(settings, "BALLOTGUARD_CHECKIN_MAX_ATTEMPTS", 5))


def stage_times(checkin: CheckIn) -> dict[str, datetime]:
    """When each alert stage of a check-in is due (the FEOA stage only if escalation was chosen)."""
    first = checkin.expected_end + grace()
    times = {Stage.BUDDY: first, Stage.BUDDY_AGAIN: first + buddy_again_after()}
    if checkin.escalate_to_feoa:
        times[Stage.FEOA] = times[Stage.BUDDY_AGAIN] + feoa_after()
        if checkin.buddy_unreachable_at is not None:
            # The buddy cannot be told (their text message failed, and there is no e-mail address):
            # the alert falls back to e-mail to the FEOA at once rather than after the buddy's stages.
            times[Stage.FEOA] = min(times[Stage.FEOA], max(checkin.buddy_unreachable_at, first))
    return times


# ---------------------------------------------------------------------------------------------------
# Who may check in, and for which candidacy


def can_check_in(user: User) -> bool:
    return user.is_authenticated and user.role in {Role.CANDIDATE, Role.STAFF}


def candidacies_for(user: User) -> QuerySet[Candidate]:
    """The candidacies a check-in may be for: the user's own, or those delegated to them."""
    if not can_check_in(user):
        return Candidate.objects.none()
    return candidates_visible_to(user).order_by("-ballot__election__date", "name")


def own_checkins(user: User) -> QuerySet[CheckIn]:
    if not user.is_authenticated:
        return CheckIn.objects.none()
    return CheckIn.objects.filter(user=user).select_related("candidacy__ballot__area")


def get_own(user: User, checkin_id: int) -> CheckIn:
    """The user's check-in, or ``CheckIn.DoesNotExist`` (someone else's is answered 404 too)."""
    return own_checkins(user).get(pk=checkin_id)


def current_checkin(user: User) -> CheckIn | None:
    return own_checkins(user).filter(status__in=CheckIn.OPEN).order_by("expected_end").first()


def last_buddy(user: User) -> dict:
    """The buddy of the user's last check-in, to fill the form in again (their own data)."""
    last = own_checkins(user).filter(location_purged_at__isnull=True).order_by("-started_at").first()
    if last is None:
        return {}
    return {"buddy_name": last.buddy_name, "buddy_email": last.buddy_email, "buddy_phone": last.buddy_phone}


# ---------------------------------------------------------------------------------------------------
# Starting, checking out, extending, cancelling


class CheckInInvalid(Exception):
    """Field errors, by field name, in plain English (forms and the API show them as they are)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class CheckInClosed(Exception):
    """The check-in is no longer open (or, for extending, already overdue)."""


@dataclass(frozen=True)
class CheckInInput:
    where: str
    expected_end: datetime | None
    buddy_name: str
    buddy_email: str = ""
    buddy_phone: str = ""
    escalate_to_feoa: bool = False
    candidacy_id: int | None = None


def _validate(user: User, data: CheckInInput, now: datetime) -> dict:
    errors: dict[str, str] = {}
    clean: dict = {}
    where = (data.where or "").strip()
    if not where:
        errors["where"] = "Enter where you are going"
    elif len(where) > 500:
        errors["where"] = "Where you are going must be 500 characters or fewer"
    clean["where"] = where
    end = data.expected_end
    if end is None:
        errors["expected_end"] = "Enter when you expect to finish"
    elif timezone.is_naive(end):
        errors["expected_end"] = "Give the time with a time zone"
    elif end <= now:
        errors["expected_end"] = "The time you expect to finish must be in the future"
    elif end > now + longest():
        hours = int(longest().total_seconds() // 3600)
        errors["expected_end"] = f"The time you expect to finish must be within {hours} hours"
    clean["expected_end"] = end
    name = (data.buddy_name or "").strip()
    if not name:
        errors["buddy_name"] = "Enter your buddy's name"
    elif len(name) > 100:
        errors["buddy_name"] = "Your buddy's name must be 100 characters or fewer"
    clean["buddy_name"] = name
    try:
        clean["buddy_email"] = normalise_email(data.buddy_email or "")
    except ContactError as exc:
        errors["buddy_email"] = exc.message
    try:
        clean["buddy_phone"] = normalise_phone(data.buddy_phone or "")
    except ContactError:
        errors["buddy_phone"] = "Enter a mobile number, like 07700 900 982 or +44 7700 900 982"
    if not errors.get("buddy_email") and not errors.get("buddy_phone") and not clean["buddy_email"] and not clean["buddy_phone"]:
        errors["buddy_email"] = "Enter your buddy's email address or mobile number, or both"
    clean["candidacy"] = None
    if data.candidacy_id is not None:
        clean["candidacy"] = candidacies_for(user).filter(pk=data.candidacy_id).first()
        if clean["candidacy"] is None:
            errors["candidacy"] = "Choose one of your candidacies"
    if data.escalate_to_feoa and clean["candidacy"] is None and "candidacy" not in errors:
        errors["candidacy"] = "Choose the candidacy, so we know which police force's adviser to alert"
    clean["escalate_to_feoa"] = bool(data.escalate_to_feoa)
    if errors:
        raise CheckInInvalid(errors)
    return clean


def start(actor: Actor, data: CheckInInput, now: datetime | None = None) -> CheckIn:
    """Start a check-in, and schedule the sweeps at its due times."""
    user = actor.user
    if user is None or not can_check_in(user):
        raise NotPermitted("Only candidates and their staff start check-ins.")
    now = now or timezone.now()
    clean = _validate(user, data, now)
    with transaction.atomic():
        language = "cy" if (translation.get_language() or "").startswith("cy") else "en"
        checkin = CheckIn.objects.create(user=user, started_at=now, language=language, **clean)
        audit(actor, "create", "checkin", checkin.pk, fields=["where", "buddy"],
              detail=f"candidacy {checkin.candidacy_id or '-'} escalate={checkin.escalate_to_feoa}")
        _schedule(checkin)
    return checkin


def check_out(actor: Actor, checkin: CheckIn, now: datetime | None = None) -> CheckIn:
    """I'm safe. Anyone already alerted gets the all-clear (from the sweep, so a crash loses nothing)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_own(actor, checkin)
        if not locked.is_open:
            raise CheckInClosed("This check-in has already finished.")
        was_alerted = locked.deliveries.filter(status=AlertDelivery.Status.SENT).exists()
        locked.status = CheckIn.Status.CHECKED_OUT
        locked.checked_out_at = locked.finished_at = now
        locked.save(update_fields=["status", "checked_out_at", "finished_at"])
        audit(actor, "update", "checkin", locked.pk, detail="checked out")
        if was_alerted:
            transaction.on_commit(_enqueue_sweep_now)
    return locked


def extend(actor: Actor, checkin: CheckIn, minutes: int | None = None, now: datetime | None = None) -> CheckIn:
    """Move the expected end on (from now, if it has already passed). Only before anyone is alerted."""
    now = now or timezone.now()
    by = timedelta(minutes=minutes) if minutes else extension()
    with transaction.atomic():
        locked = _lock_own(actor, checkin)
        if locked.status != CheckIn.Status.ACTIVE:
            raise CheckInClosed("Your buddy has already been alerted: check out, then start a new check-in if you need one.")
        new_end = max(locked.expected_end, now) + by
        if new_end > now + longest():
            hours = int(longest().total_seconds() // 3600)
            raise CheckInInvalid({"minutes": f"A check-in can end at most {hours} hours from now"})
        locked.expected_end = new_end
        locked.extended_count += 1
        locked.save(update_fields=["expected_end", "extended_count"])
        audit(actor, "update", "checkin", locked.pk, detail=f"extended by {int(by.total_seconds() // 60)} min")
        _schedule(locked)
    return locked


def cancel(actor: Actor, checkin: CheckIn, now: datetime | None = None) -> CheckIn:
    """Not going after all. Only before anyone is alerted: after that, checking out sends the all-clear."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_own(actor, checkin)
        if locked.status != CheckIn.Status.ACTIVE:
            raise CheckInClosed("Your buddy has already been alerted: check out instead, so they know you are safe.")
        locked.status = CheckIn.Status.CANCELLED
        locked.finished_at = now
        locked.save(update_fields=["status", "finished_at"])
        audit(actor, "update", "checkin", locked.pk, detail="cancelled")
    return locked


def _lock_own(actor: Actor, checkin: CheckIn) -> CheckIn:
    if actor.user is None or checkin.user_id != actor.user.pk:
        raise CheckIn.DoesNotExist
    return CheckIn.objects.select_for_update().get(pk=checkin.pk)


# ---------------------------------------------------------------------------------------------------
# Scheduling


SWEEP_TASK = "ballotguard.checkins.tasks.sweep_checkins"


def _schedule(checkin: CheckIn) -> None:
    """After commit, enqueue a sweep at each of the check-in's due times, where the backend can defer."""
    times = sorted(set(stage_times(checkin).values()))
    transaction.on_commit(lambda: _enqueue_at(times))


def _enqueue_at(times: list[datetime]) -> None:
    sweep_checkins = task(SWEEP_TASK)
    if not sweep_checkins.get_backend().supports_defer:
        return  # e.g. the immediate backend in tests: the command and tests run the sweep
    for when in times:
        try:
            sweep_checkins.using(run_after=when).enqueue()
        except Exception as exc:  # the periodic sweep is the safety net; never fail the page for this
            logger.warning("Could not schedule a check-in sweep: %s", type(exc).__name__)


def _enqueue_sweep_now() -> None:
    try:
        task(SWEEP_TASK).enqueue()
    except Exception as exc:
        logger.warning("Could not enqueue a check-in sweep: %s", type(exc).__name__)


# ---------------------------------------------------------------------------------------------------
# The sweep


@dataclass
class SweepReport:
    checked: int = 0
    sent: int = 0
    failed: int = 0
    gave_up: int = 0
    already: int = 0
    errors: int = 0
    skipped: int = 0
    sent_by_stage: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"checked": self.checked, "sent": self.sent, "failed": self.failed, "gave_up": self.gave_up,
                "already": self.already, "errors": self.errors, "skipped": self.skipped, "sent_by_stage": dict(self.sent_by_stage)}


def sweep(now: datetime | None = None, notifiers: dict[str, notify.Notifier] | None = None) -> SweepReport:
    """Send every alert that is due at ``now`` and not yet sent; safe to run as often as you like.

    Each delivery commits on its own; an exception that is not an ordinary send failure (a worker
    being killed) stops the sweep with everything delivered so far committed, and the next sweep
    carries on from there.
    """
    now = now or timezone.now()
    channels = notifiers if notifiers is not None else notify.notifiers()
    report = SweepReport()
    due = CheckIn.objects.filter(status__in=CheckIn.OPEN, expected_end__lte=now - grace()).order_by("expected_end", "pk")
    for checkin_id in list(due.values_list("pk", flat=True)):
        report.checked += 1
        checkin = _advance(checkin_id, now)
        if checkin is None:
            continue
        for stage, due_at in stage_times(checkin).items():
            if due_at > now:
                continue
            for channel, recipient in _recipients(checkin, stage):
                _deliver(checkin_id, stage, channel, recipient, due_at, now, channels, report)
    # The all-clear for those who checked out after someone was alerted (bounded to two days back).
    alerted = AlertDelivery.objects.filter(checkin=OuterRef("pk"), stage__in=ALERT_STAGES, status=AlertDelivery.Status.SENT)
    cleared = CheckIn.objects.filter(status=CheckIn.Status.CHECKED_OUT, finished_at__gte=now - timedelta(days=2)).filter(Exists(alerted))
    for checkin in cleared.order_by("pk"):
        report.checked += 1
        told = set(checkin.deliveries.filter(stage__in=ALERT_STAGES, status=AlertDelivery.Status.SENT).values_list("channel", "recipient"))
        for channel, recipient in sorted(told):
            _deliver(checkin.pk, Stage.ALL_CLEAR, channel, recipient, checkin.checked_out_at or now, now, channels, report)
    return report


def _advance(checkin_id: int, now: datetime) -> CheckIn | None:
    """Move an open check-in to overdue or escalated as its stages fall due; None if it has closed."""
    with transaction.atomic():
        checkin = CheckIn.objects.select_for_update().filter(pk=checkin_id).first()
        if checkin is None or not checkin.is_open:
            return None
        times = stage_times(checkin)
        changed = []
        if checkin.status == CheckIn.Status.ACTIVE and times[Stage.BUDDY] <= now:
            checkin.status, checkin.overdue_at = CheckIn.Status.OVERDUE, times[Stage.BUDDY]
            changed += ["status", "overdue_at"]
        if Stage.FEOA in times and times[Stage.FEOA] <= now and checkin.status != CheckIn.Status.ESCALATED:
            checkin.status, checkin.escalated_at = CheckIn.Status.ESCALATED, times[Stage.FEOA]
            changed += ["status", "escalated_at"]
        if changed:
            checkin.save(update_fields=sorted(set(changed)))
    return checkin


def _recipients(checkin: CheckIn, stage: str) -> list[tuple[str, str]]:
    """(channel, recipient key) pairs for a stage. Keys, not addresses: addresses are read at send time."""
    if stage in (Stage.BUDDY, Stage.BUDDY_AGAIN):
        out = []
        if checkin.buddy_email:
            out.append((Channel.EMAIL.value, "buddy"))
        if checkin.buddy_phone:
            out.append((Channel.SMS.value, "buddy"))
        return out
    if stage == Stage.FEOA:
        if checkin.candidacy_id is None:
            return []
        # A FEOA covering both forces of a two-force constituency is listed once.
        advisers = list({u.pk: u for u in advisers_for(checkin.candidacy) if u.email}.values())
        if not advisers:
            logger.warning("Check-in %s escalated, but no FEOA of its force has an e-mail address", checkin.pk)
        return [(Channel.EMAIL.value, f"user:{u.pk}") for u in advisers]
    return []


def _address(checkin: CheckIn, channel: str, recipient: str) -> str:
    if recipient == "buddy":
        return checkin.buddy_email if channel == Channel.EMAIL else checkin.buddy_phone
    if recipient.startswith("user:"):
        user = _adviser_now(checkin, int(recipient.split(":", 1)[1]))
        return user.email if user is not None else ""
    return ""


def _adviser_now(checkin: CheckIn, user_id: int) -> User | None:
    """The FEOA behind a ``user:<id>`` recipient, re-checked at send time, or None.

    The recipients were listed before the delivery's transaction (and, for the all-clear, at an
    earlier sweep), so between then and now the account may have been deactivated, given another
    role, or moved off the force: such a person must not be told who is out and where to look. The
    check is the one ``advisers_for`` makes: active, role FEOA, and one of their forces covers the
    area of the check-in's candidacy.
    """
    if checkin.candidacy_id is None:
        return None
    covers = AreaForce.objects.filter(area_id=checkin.candidacy.ballot.area_id, force__advisers=OuterRef("pk"))
    return (User.objects.filter(pk=user_id, is_active=True, role=Role.FEOA)
            .filter(Exists(covers)).first())


def _buddy_sms_failed(checkin_id: int, now: datetime) -> None:
    """A buddy alert by text message could not be delivered. If the buddy gave an e-mail address, the
    same alert went there too and nothing more is needed; if not, the check-in is marked so that the
    FEOA stage (when escalation was chosen) falls due now, by e-mail, and the FEOA sees why."""
    checkin = CheckIn.objects.select_for_update().filter(pk=checkin_id).first()
    if checkin is None or checkin.buddy_unreachable_at is not None or not checkin.is_open or checkin.buddy_email:
        return
    checkin.buddy_unreachable_at = now
    checkin.save(update_fields=["buddy_unreachable_at"])
    logger.warning("Check-in %s: the buddy could not be reached by text message and has no e-mail address; falling back to the FEOA", checkin_id)


def _compose(checkin: CheckIn, stage: str, channel: str, recipient: str) -> wording.Message:
    # The buddy hears in the person's language; police advisers in English (wording.py).
    with translation.override(checkin.language if recipient == "buddy" else "en"):
        return _composed(checkin, stage, channel)


def _composed(checkin: CheckIn, stage: str, channel: str) -> wording.Message:
    facts = wording.Facts(person=checkin.person_name, expected_end=checkin.expected_end, checked_out_at=checkin.checked_out_at)
    if stage == Stage.ALL_CLEAR:
        return wording.all_clear(facts, channel)
    if stage == Stage.FEOA:
        c = checkin.candidacy
        link = f"{settings.BALLOTGUARD_BASE_URL}{reverse('checkins:escalated-detail', args=[checkin.pk])}"
        candidacy = f"{c.name}, {c.ballot.post_label or c.ballot.area.name} ({c.ballot.election.name})" if c else ""
        return wording.feoa_alert(wording.Facts(person=facts.person, expected_end=facts.expected_end, candidacy=candidacy, link=link,
                                                buddy_unreachable=checkin.buddy_unreachable_at is not None))
    return wording.buddy_alert(
        wording.Facts(person=facts.person, expected_end=facts.expected_end, where=checkin.where), channel, again=stage == Stage.BUDDY_AGAIN,
    )


def _still_due(checkin: CheckIn, stage: str, now: datetime) -> bool:
    if stage == Stage.ALL_CLEAR:
        return checkin.status == CheckIn.Status.CHECKED_OUT
    if not checkin.is_open:
        return False  # checked out or cancelled while this sweep was running
    due_at = stage_times(checkin).get(stage)
    return due_at is not None and due_at <= now


def _deliver(checkin_id: int, stage: str, channel: str, recipient: str, due_at: datetime, now: datetime,
             channels: dict[str, notify.Notifier], report: SweepReport) -> None:
    """Record and send one alert in one transaction; the UNIQUE constraint makes a second send impossible."""
    keys = {"checkin_id": checkin_id, "stage": stage, "channel": channel, "recipient": recipient}
    try:
        with transaction.atomic():
            # of=("self",): PostgreSQL cannot lock the nullable side of the outer join to the candidacy.
            checkin = (CheckIn.objects.select_for_update(of=("self",))
                       .select_related("user", "candidacy__ballot__area", "candidacy__ballot__election").get(pk=checkin_id))
            if not _still_due(checkin, stage, now):
                return
            row = AlertDelivery.objects.select_for_update().filter(**keys).first()
            if row is not None and row.status != AlertDelivery.Status.FAILED:
                report.already += 1
                return
            address = _address(checkin, channel, recipient)
            if not address and recipient.startswith("user:"):
                # The adviser left, changed role or no longer covers the force (re-checked just now):
                # recorded as skipped, never as sent, so the all-clear does not go to them either.
                if row is None:
                    AlertDelivery.objects.create(**keys, due_at=due_at, status=AlertDelivery.Status.SKIPPED, attempts=0)
                else:
                    row.status, row.sent_at = AlertDelivery.Status.SKIPPED, None
                    row.save(update_fields=["status", "sent_at"])
                skipped = True
            elif not address:
                return  # the buddy's number was removed by retention
            else:
                skipped = False
                message = _compose(checkin, stage, channel, recipient)
                if row is None:
                    AlertDelivery.objects.create(**keys, due_at=due_at, sent_at=now, status=AlertDelivery.Status.SENT)
                else:
                    row.status, row.sent_at, row.attempts, row.last_error = AlertDelivery.Status.SENT, now, row.attempts + 1, ""
                    row.save(update_fields=["status", "sent_at", "attempts", "last_error"])
                try:
                    channels[channel].send(address, message.subject, message.body, reference=AlertDelivery.alert_reference(**keys))
                except Exception as exc:  # the row above is rolled back with the transaction
                    raise _SendFailed from exc
    except IntegrityError:
        report.already += 1  # another sweeper recorded (and sent) it between our read and our insert
        return
    except _SendFailed as failed:  # an ordinary send failure: recorded, retried by the next sweep
        _record_failure(keys, due_at, failed.__cause__, report, now)
        return
    except Exception as exc:  # a bug or the database: log (class only), leave it for the next sweep, go on
        logger.error("Check-in %s: %s while delivering %s/%s", checkin_id, type(exc).__name__, stage, channel)
        report.errors += 1
        return
    if skipped:
        logger.info("Check-in %s: %s alert to %s skipped: no longer an adviser of its force", checkin_id, stage, recipient)
        report.skipped += 1
        return
    report.sent += 1
    report.sent_by_stage[stage] = report.sent_by_stage.get(stage, 0) + 1


class _SendFailed(Exception):
    """The notifier raised; the original exception is the cause."""


def _record_failure(keys: dict, due_at: datetime, exc: Exception, report: SweepReport, now: datetime | None = None) -> None:
    # The class name only: an exception's text can quote the address.
    logger.warning("Check-in alert %s/%s to %s not sent: %s", keys["stage"], keys["channel"], keys["recipient"], type(exc).__name__)
    with transaction.atomic():
        list(CheckIn.objects.select_for_update().filter(pk=keys["checkin_id"]).values_list("pk", flat=True))  # as _deliver does
        row, created = AlertDelivery.objects.get_or_create(
            **keys, defaults={"status": AlertDelivery.Status.FAILED, "due_at": due_at, "attempts": 1, "last_error": type(exc).__name__[:100]},
        )
        if not created:
            if row.status != AlertDelivery.Status.FAILED:
                return
            row.attempts += 1
            row.last_error = type(exc).__name__[:100]
        if row.attempts >= max_attempts():
            row.status = AlertDelivery.Status.GAVE_UP
            report.gave_up += 1
            if keys["channel"] == Channel.SMS and keys["recipient"] == "buddy" and keys["stage"] in (Stage.BUDDY, Stage.BUDDY_AGAIN):
                _buddy_sms_failed(keys["checkin_id"], now or timezone.now())
        else:
            report.failed += 1
        row.save()


# ---------------------------------------------------------------------------------------------------
# The FEOA's view: check-ins escalated in their force(s)


def can_see_escalated(user: User) -> bool:
    return user.is_authenticated and user.role == Role.FEOA


def escalated_for(user: User) -> QuerySet[CheckIn]:
    if not can_see_escalated(user):
        raise NotPermitted("Only police advisers see escalated check-ins.")
    in_force = AreaForce.objects.filter(area_id=OuterRef("candidacy__ballot__area_id"), force__in=user.police_forces.all())
    return (CheckIn.objects.filter(escalated_at__isnull=False, candidacy__isnull=False).filter(Exists(in_force))
            .select_related("user", "candidacy__ballot__area", "candidacy__ballot__election").order_by("-escalated_at", "-pk"))


def read_escalated(actor: Actor, checkin_id: int) -> CheckIn:
    """One escalated check-in, with where they went, for a FEOA of the force (audited)."""
    if actor.user is None:
        raise CheckIn.DoesNotExist
    checkin = escalated_for(actor.user).get(pk=checkin_id)
    audit(actor, "read", "checkin", checkin.pk, fields=["where"], detail=f"escalated, candidacy {checkin.candidacy_id}")
    return checkin


# ---------------------------------------------------------------------------------------------------
# Retention


def locations_to_purge(older_than: datetime) -> QuerySet[CheckIn]:
    """Check-ins finished (checked out or cancelled) before ``older_than`` whose locations are still kept."""
    return CheckIn.objects.filter(finished_at__lt=older_than, location_purged_at__isnull=True)


def purge_locations(older_than: datetime, now: datetime | None = None, *, audited: bool = True,
                    progress: Callable[[str, int, int], None] | None = None) -> int:
    """Erase where people went, and their buddy's contact details, on check-ins finished before a time.

    Called by ``ballotguard apply-retention`` (which audits the whole run itself: ``audited=False``).
    The check-in's data key is destroyed, so the values cannot be opened from a database backup
    either; the columns are blanked. The row (times, status, deliveries) stays for the history; the
    buddy's name stays so the person recognises their own history. Returns how many check-ins were
    purged. Check-ins never finished are left alone: they are still someone's open alert.

    Works in batches of ``core.retention.BATCH``, one transaction each (the rule every retention rule
    keeps): a run that stops half way has committed whole batches, and the next finds the rest.
    """
    now = now or timezone.now()
    ids = list(locations_to_purge(older_than).order_by("pk").values_list("pk", flat=True))
    count = 0
    for start in range(0, len(ids), retention.BATCH):
        if progress is not None:
            progress("Erasing check-in locations", start, len(ids))
        with transaction.atomic():
            # The rule again, under the row locks: only what still matches is purged.
            rows = list(locations_to_purge(older_than).filter(pk__in=ids[start:start + retention.BATCH]).select_for_update().values_list("pk", "data_key"))
            if not rows:
                continue
            purged = CheckIn.objects.filter(pk__in=[pk for pk, _ in rows]).update(
                where="", buddy_email="", buddy_phone="", data_key="", location_purged_at=now,
            )
            # Inside the transaction, last: if the commit fails, the next run finds the rows again and a
            # key already destroyed is simply not there to destroy.
            for kid in {kid for _, kid in rows if kid}:
                erasure.destroy(kid)
            if audited:
                audit(Actor.cli(), "delete", "checkin", "", fields=["where", "buddy_email", "buddy_phone"],
                      detail=f"retention: {purged} check-ins")
            count += purged
    return count


# ---------------------------------------------------------------------------------------------------
# GOV.UK Notify's delivery receipts


class ReceiptInvalid(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def record_receipt(payload: object) -> "NotifyDelivery":
    """Apply one delivery receipt (Notify's callback body: ``id``, ``reference``, ``status``,
    ``completed_at``, ``notification_type``…). Raises :class:`ReceiptInvalid` naming the fields, or
    ``NotifyDelivery.DoesNotExist`` for a message Ballotguard did not send. A failure is logged by
    reference (never the address) so the sender's side can see it."""
    from .models import NotifyDelivery

    if not isinstance(payload, dict):
        raise ReceiptInvalid({"body": "must be a JSON object"})
    errors = {}
    notify_id, status = payload.get("id"), payload.get("status")
    if not isinstance(notify_id, str) or not notify_id:
        errors["id"] = "is required"
    if status not in NotifyDelivery.Status.values:
        errors["status"] = f"must be one of {', '.join(NotifyDelivery.Status.values)}"
    completed = None
    if payload.get("completed_at") not in (None, ""):
        try:
            completed = datetime.fromisoformat(str(payload["completed_at"]).replace("Z", "+00:00"))
        except ValueError:
            errors["completed_at"] = "must be an ISO 8601 date and time"
    if errors:
        raise ReceiptInvalid(errors)
    delivery = NotifyDelivery.objects.get(notify_id=notify_id)
    with transaction.atomic():
        delivery.status, delivery.completed_at = status, completed or timezone.now()
        delivery.save(update_fields=["status", "completed_at"])
        if delivery.failed:
            logger.warning("GOV.UK Notify could not deliver %s message %s: %s", delivery.channel, delivery.reference or notify_id, status)
            _alert_undelivered(delivery)
    return delivery


def _alert_undelivered(delivery) -> None:
    """A check-in alert Notify accepted but could not deliver: recorded on the alert (the FEOA and the
    person see it), and a failed text message to the buddy falls back as ``_buddy_sms_failed`` says."""
    keys = AlertDelivery.alert_keys(delivery.reference)
    if keys is None:
        return
    checkin_id, stage, channel, recipient = keys["checkin_id"], keys["stage"], keys["channel"], keys["recipient"]
    AlertDelivery.objects.filter(**keys).update(
        status=AlertDelivery.Status.UNDELIVERED, last_error=f"GOV.UK Notify: {delivery.status}"[:100])
    if channel == Channel.SMS and recipient == "buddy" and stage in (Stage.BUDDY, Stage.BUDDY_AGAIN):
        _buddy_sms_failed(checkin_id, timezone.now())
