"""Checklists per kind of incident: what a FEOA should do, and by when, for each behaviour reported.

Like TheHive's case templates: each behaviour (a threat to kill, turning up at home, online abuse,
damage to property, electoral fraud...) brings a short list of tasks, each with a due time counted
from when the report was sent, sooner for a high-risk incident. An incident that reports several
behaviours gets each task once: tasks are matched by their ``key`` (``safety_advice``,
``crime_report``...), and where two behaviours' templates both hold a key, the one due soonest wins
(its title and guidance are kept, and the task remembers every behaviour that asked for it).

Pure Python: the incidents app stores the templates (versioned, editable by administrators) and the
tasks; this module holds the shipped defaults, the planning rule, the progress figures and the
validation of an edited template, so each can be tested without a database.

The shipped defaults are written from the guidance the project already encodes (``routing``,
``offences``, ``risk`` and docs/incidents.md): 999 first and FEOAs as advisers, not a way to report a
crime; 101 or police.uk for crimes; the force's election single point of contact for election
offences and Report Fraud for fraud; the platform for online abuse, after the evidence is kept; a
course of conduct needs two or more occasions (Protection from Harassment Act 1997); hostility is
aggravation (Crime and Disorder Act 1998 ss28-32, Sentencing Act 2020 s66); and hostility towards a
candidate can bring electoral disqualification (Elections Act 2022 s30 and Schedule 9). Adviser-facing
text: not translated.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ballotguard.engines.incidents.facts import Behaviour

MAX_TASKS = 30
MAX_TITLE = 200
MAX_GUIDANCE = 1000
MAX_HOURS = 24 * 365  # a year
MAX_REASON = 500
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


class TaskState(str, enum.Enum):
    OPEN = "open"
    DONE = "done"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return {"open": "To do", "done": "Done", "not_applicable": "Not applicable"}[self.value]


@dataclass(frozen=True)
class TaskSpec:
    """One task of a template: due ``due_hours`` after the report was sent, or ``due_hours_high``
    (when given) if the incident is high risk."""

    key: str
    title: str
    guidance: str = ""
    due_hours: int = 24
    due_hours_high: int | None = None

    def hours_for(self, risk_level: str) -> int:
        if risk_level == "high" and self.due_hours_high is not None:
            return self.due_hours_high
        return self.due_hours


def _t(key: str, title: str, guidance: str, due_hours: int, due_hours_high: int | None = None) -> TaskSpec:
    return TaskSpec(key=key, title=title, guidance=guidance, due_hours=due_hours, due_hours_high=due_hours_high)


# Every shipped task once, in the order a checklist lists tasks due at the same time.
TASKS: dict[str, TaskSpec] = {t.key: t for t in (
    _t("contact_candidate", "Contact the candidate and check they are safe now",
       "Acknowledge the report by phone or message. If they are in danger now, they call 999: say so. "
       "Record how and when you reached them.", 24, 1),
    _t("threat_to_life", "Consider the force's threat-to-life procedure",
       "A threat to kill (Offences Against the Person Act 1861 s16) may meet the threshold for a threat-to-life "
       "warning (Osman): refer it to the force's threat-to-life lead and record the decision.", 24, 2),
    _t("crime_report", "Check a crime report has been made with the force, and record the crime reference",
       "FEOAs are advisers, not a way to report a crime, and Ballotguard reports nothing: the candidate reports on "
       "101 or at police.uk (999 in an emergency), or you help them to. Record the crime reference when you refer the incident.",
       24, 2),
    _t("home_address_check", "Home address check",
       "Is the home address public (nomination papers, the open electoral register, Companies House, social media)? "
       "Consider a home security survey, a marker on the address so that a 999 call is prioritised, and withholding "
       "the address from the ballot paper next time.", 24, 4),
    _t("injuries_recorded", "Record injuries, witnesses and CCTV",
       "Photographs of any injury and medical notes; the names of witnesses; CCTV or body-worn footage asked for "
       "before it is overwritten.", 24, 4),
    _t("safety_advice", "Give safety advice",
       "Personal safety advice for what happened (see the guidance library) and an offer to review the candidate's "
       "safety plan. Record the advice with the status 'Advice given'.", 48, 4),
    _t("evidence_secured", "Make sure the evidence is secured",
       "Screenshots showing the date, time, account and web address; originals kept, not forwarded; doorbell or "
       "CCTV footage asked for before it is overwritten. Download the evidence pack for the officer in the case.", 48, 12),
    _t("damage_recorded", "Record the damage before it is repaired",
       "Photographs of the damage and the cost of repair or replacement (Criminal Damage Act 1971 s1); CCTV and "
       "witnesses nearby.", 48, 24),
    _t("platform_report", "Report the content to the platform, once the evidence is kept",
       "Use the platform's reporting tools or its route for elected representatives and record its reference. "
       "Never before screenshots and links are kept: content taken down is evidence lost.", 48, 24),
    _t("hate_crime", "Make sure the hostility is recorded",
       "Hostility because of race, religion, sexual orientation, disability or transgender identity is aggravation "
       "(Crime and Disorder Act 1998 ss28-32, Sentencing Act 2020 s66): the crime report should record it. Record "
       "hostility based on sex too, though it is not a statutory aggravating factor.", 48, 24),
    _t("election_spoc", "Tell the force's election single point of contact (SPOC)",
       "Election offences (Representation of the People Act 1983: bribery, treating, undue influence, false "
       "statements about a candidate) go to the force's election-crime SPOC.", 48, 24),
    _t("candidate_hostility", "Make sure the crime report says the victim is a candidate",
       "Elections Act 2022 s30 and Schedule 9: an offence aggravated by hostility towards a candidate, campaigner "
       "or office-holder can bring a five-year disqualification from elected office.", 72, 24),
    _t("link_incidents", "Look for earlier incidents by the same person",
       "Harassment and stalking (Protection from Harassment Act 1997) need a course of conduct: two or more "
       "occasions. Check the linked incidents and ask the candidate about earlier ones.", 72, 24),
    _t("report_fraud", "Check fraud has been reported to Report Fraud",
       "reportfraud.police.uk or 0300 123 2040 (it replaced Action Fraud on 4 December 2025), as well as to the "
       "force's election SPOC.", 72, 24),
    _t("specialist_support", "Offer a referral to specialist support",
       "Victim Support or a specialist sexual violence service; record whether the candidate accepted.", 72, 24),
    _t("event_safety", "Agree safety measures for later events with the organiser",
       "Tell the organiser (the returning officer, for the count) what happened; agree stewarding, a police "
       "presence or a safe way out for the candidate's next events.", 72, 24),
    _t("electoral_commission", "Consider telling the Electoral Commission",
       "For impersonation in campaign material, or material without a digital imprint: the Commission regulates "
       "election material, not crimes against the person.", 120, 72),
    _t("victim_updated", "Update the candidate on progress",
       "Tell the candidate what has been done and what happens next, at the points agreed with them (the Victims' Code).",
       168, 72),
)}

_DEFAULT_KEYS: dict[Behaviour, tuple[str, ...]] = {
    Behaviour.THREAT_TO_KILL_OR_HARM: ("contact_candidate", "threat_to_life", "home_address_check", "crime_report", "safety_advice",
                                       "evidence_secured", "candidate_hostility", "victim_updated"),
    Behaviour.THREAT_OF_SEXUAL_VIOLENCE: ("contact_candidate", "crime_report", "safety_advice", "evidence_secured", "specialist_support",
                                          "victim_updated"),
    Behaviour.REPEATED_UNWANTED_CONTACT: ("contact_candidate", "crime_report", "safety_advice", "evidence_secured", "link_incidents",
                                          "victim_updated"),
    Behaviour.FOLLOWING_OR_LOITERING: ("contact_candidate", "home_address_check", "crime_report", "safety_advice", "link_incidents",
                                       "victim_updated"),
    Behaviour.TURNING_UP_AT_HOME: ("contact_candidate", "home_address_check", "crime_report", "safety_advice", "evidence_secured",
                                   "link_incidents", "victim_updated"),
    Behaviour.ABUSIVE_OR_HATEFUL_MESSAGE: ("contact_candidate", "evidence_secured", "platform_report", "safety_advice", "crime_report",
                                           "victim_updated"),
    Behaviour.PROTECTED_CHARACTERISTIC_HOSTILITY: ("contact_candidate", "crime_report", "evidence_secured", "hate_crime", "victim_updated"),
    Behaviour.DAMAGE_TO_PROPERTY: ("contact_candidate", "crime_report", "damage_recorded", "candidate_hostility", "victim_updated"),
    Behaviour.ASSAULT: ("contact_candidate", "crime_report", "injuries_recorded", "safety_advice", "candidate_hostility", "victim_updated"),
    Behaviour.INTIMIDATION_AT_EVENT: ("contact_candidate", "crime_report", "evidence_secured", "event_safety", "candidate_hostility",
                                      "victim_updated"),
    Behaviour.PUBLISHING_HOME_ADDRESS: ("contact_candidate", "home_address_check", "evidence_secured", "platform_report", "safety_advice",
                                        "victim_updated"),
    Behaviour.IMPERSONATION_OR_DEEPFAKE: ("contact_candidate", "evidence_secured", "platform_report", "election_spoc",
                                          "electoral_commission", "victim_updated"),
    Behaviour.FALSE_STATEMENT_ABOUT_CHARACTER: ("contact_candidate", "evidence_secured", "platform_report", "election_spoc", "victim_updated"),
    Behaviour.PRESSURE_ON_VOTING: ("contact_candidate", "evidence_secured", "election_spoc", "victim_updated"),
    Behaviour.BRIBERY_OR_ELECTORAL_FRAUD: ("contact_candidate", "evidence_secured", "election_spoc", "report_fraud", "victim_updated"),
}

# The templates Ballotguard ships with: version 1 of each behaviour's checklist.
DEFAULT_TEMPLATES: dict[Behaviour, tuple[TaskSpec, ...]] = {b: tuple(TASKS[k] for k in keys) for b, keys in _DEFAULT_KEYS.items()}


@dataclass(frozen=True)
class PlannedTask:
    """A task an incident should get: from ``spec`` (the template task due soonest for that key),
    asked for by ``behaviours``."""

    spec: TaskSpec
    behaviours: tuple[Behaviour, ...]
    source: Behaviour  # the behaviour whose template gave ``spec``
    due_at: dt.datetime

    @property
    def key(self) -> str:
        return self.spec.key


def plan(templates: Mapping[Behaviour, Sequence[TaskSpec]], behaviours: Iterable[Behaviour], risk_level: str,
         start: dt.datetime) -> list[PlannedTask]:
    """The tasks for an incident reporting ``behaviours``, each key once, due from ``start``.

    Behaviours are read in the vocabulary's order, whatever order they were ticked in, so the same
    report always gets the same checklist. The result is ordered by due time, then by the order the
    tasks first appear in the templates."""
    chosen: dict[str, tuple[TaskSpec, Behaviour]] = {}
    asked: dict[str, list[Behaviour]] = {}
    order: dict[str, int] = {}
    wanted = set(behaviours)
    for behaviour in (b for b in Behaviour if b in wanted):
        for spec in templates.get(behaviour, ()):
            asked.setdefault(spec.key, [])
            if behaviour not in asked[spec.key]:
                asked[spec.key].append(behaviour)
            order.setdefault(spec.key, len(order))
            current = chosen.get(spec.key)
            if current is None or spec.hours_for(risk_level) < current[0].hours_for(risk_level):
                chosen[spec.key] = (spec, behaviour)
    planned = [
        PlannedTask(spec=spec, behaviours=tuple(asked[key]), source=source, due_at=start + dt.timedelta(hours=spec.hours_for(risk_level)))
        for key, (spec, source) in chosen.items()
    ]
    return sorted(planned, key=lambda p: (p.due_at, order[p.key]))


@dataclass(frozen=True)
class Progress:
    total: int = 0
    done: int = 0
    not_applicable: int = 0
    overdue: int = 0

    @property
    def complete(self) -> int:
        """Tasks nobody needs to do any more: done, or not applicable with a reason."""
        return self.done + self.not_applicable

    @property
    def open(self) -> int:
        return self.total - self.complete

    @property
    def finished(self) -> bool:
        return self.total > 0 and self.open == 0

    @property
    def summary(self) -> str:
        """``3 of 7 done, 1 overdue``; not applicable tasks count as done and are named."""
        if not self.total:
            return "No checklist"
        text = f"{self.complete} of {self.total} done"
        if self.not_applicable:
            text += f" ({self.not_applicable} not applicable)"
        if self.overdue:
            text += f", {self.overdue} overdue"
        return text


def is_overdue(state: str, due_at: dt.datetime | None, now: dt.datetime) -> bool:
    return state == TaskState.OPEN.value and due_at is not None and due_at < now


def progress(tasks: Iterable[tuple[str, dt.datetime | None]], now: dt.datetime) -> Progress:
    """Counts over ``(state, due_at)`` pairs."""
    total = done = na = overdue = 0
    for state, due_at in tasks:
        total += 1
        done += state == TaskState.DONE.value
        na += state == TaskState.NOT_APPLICABLE.value
        overdue += is_overdue(state, due_at, now)
    return Progress(total=total, done=done, not_applicable=na, overdue=overdue)


# --- an administrator's edit of a template ---------------------------------------------------------


@dataclass(frozen=True)
class TaskInput:
    """One task as typed: everything a string, as it comes from a form or a JSON body."""

    title: str = ""
    key: str = ""
    guidance: str = ""
    due_hours: str | int | None = ""
    due_hours_high: str | int | None = ""


def key_from_title(title: str) -> str:
    """``Home address check`` → ``home_address_check``: a key for a new task typed without one."""
    key = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:50].rstrip("_")
    if key and not key[0].isalpha():
        key = ("task_" + key)[:50]
    return key


def _hours(value: str | int | None, field: str, errors: dict[str, str], *, required: bool, label: str) -> int | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        if required:
            errors[field] = f"Enter {label}"
        return None
    if not text.isdigit():
        errors[field] = f"Enter {label} as a whole number of hours, like 24"
        return None
    hours = int(text)
    if not 1 <= hours <= MAX_HOURS:
        errors[field] = f"{label[0].upper()}{label[1:]} must be between 1 and {MAX_HOURS:,} hours"
        return None
    return hours


def validate_tasks(items: Sequence[TaskInput]) -> tuple[tuple[TaskSpec, ...], dict[str, str]]:
    """Check an edited template. Returns the tasks and errors keyed ``tasks.N.field`` (N from 0).

    Rows with nothing typed are skipped; a key left blank is made from the title; keys must be unique
    within the template, because an incident holds each key once."""
    errors: dict[str, str] = {}
    specs: list[TaskSpec] = []
    seen: dict[str, int] = {}
    for n, item in enumerate(items):
        title, key, guidance = item.title.strip(), item.key.strip().lower(), item.guidance.strip()
        if not (title or key or guidance or str(item.due_hours or "").strip() or str(item.due_hours_high or "").strip()):
            continue
        where = f"tasks.{n}"
        if not title:
            errors[f"{where}.title"] = f"Enter the task's title (task {n + 1})"
        elif len(title) > MAX_TITLE:
            errors[f"{where}.title"] = f"The title must be {MAX_TITLE} characters or fewer (task {n + 1})"
        key = key or key_from_title(title)
        if title and not _KEY.match(key):
            errors[f"{where}.key"] = (f"The key must start with a letter and hold only lower-case letters, numbers and underscores, "
                                      f"50 characters at most (task {n + 1})")
        elif key in seen:
            errors[f"{where}.key"] = f"Task {n + 1} has the same key as task {seen[key] + 1}: each task of a checklist needs its own key"
        if len(guidance) > MAX_GUIDANCE:
            errors[f"{where}.guidance"] = f"The guidance must be {MAX_GUIDANCE:,} characters or fewer (task {n + 1})"
        hours = _hours(item.due_hours, f"{where}.due_hours", errors, required=True, label=f"when task {n + 1} is due")
        high = _hours(item.due_hours_high, f"{where}.due_hours_high", errors, required=False,
                      label=f"when task {n + 1} is due for a high-risk incident")
        if hours is not None and high is not None and high > hours:
            errors[f"{where}.due_hours_high"] = f"A high-risk incident's task cannot be due later than another's (task {n + 1})"
        if key:
            seen.setdefault(key, n)
        specs.append(TaskSpec(key=key, title=title, guidance=guidance, due_hours=hours or 0, due_hours_high=high))
    if len(specs) > MAX_TASKS:
        errors["tasks"] = f"A checklist can have {MAX_TASKS} tasks at most"
    return (tuple(specs) if not errors else ()), errors


def check_reason(state: str, reason: str) -> dict[str, str]:
    """A task marked not applicable needs a reason (GOV.UK: the message names what to do)."""
    errors: dict[str, str] = {}
    if state not in {s.value for s in TaskState}:
        errors["state"] = "Select to do, done or not applicable"
    elif state == TaskState.NOT_APPLICABLE.value and not reason.strip():
        errors["reason"] = "Enter why this task does not apply"
    if len(reason) > MAX_REASON:
        errors["reason"] = f"The reason must be {MAX_REASON} characters or fewer"
    return errors
