"""A candidate's personal safety plan: a short questionnaire in, a checklist in priority order out.

Pure Python, no Django: the safety app stores the answers (encrypted) and renders the checklist; the
API, the pages and the tests all call :func:`checklist`.

The questions (:class:`PlanAnswers`)
    ``home_address``        is the home address on the ballot paper: ``withheld``, ``published``, ``not_sure``
    ``lives_alone``         does the candidate live alone
    ``children_at_home``    do children live with them
    ``public_office``       do they have an office or surgery open to the public
    ``online_visibility``   how visible they are online: ``low``, ``medium`` or ``high``
    ``campaigning``         do they campaign ``alone``, ``sometimes_alone`` or ``never_alone`` (pairs or groups)
    ``past_incidents``      have they already had harassment, threats or abuse

The rules (``RULES``, checked in this order; each adds one item)
    ======================== ===================================================== ======== =====================
    id                       when                                                  priority guidance
    ======================== ===================================================== ======== =====================
    save-emergency-numbers   always                                                1        reporting-routes
    withhold-home-address    address published                                     1        home-security
    check-home-address       address: not sure                                     1        home-security
    tell-your-feoa           past incidents                                        1        reporting-routes
    daily-check-in           lives alone                                           1        lone-working
    never-canvass-alone      campaigns alone                                       1        lone-working
    office-safety            office open to the public                             1        lone-working
    secure-accounts          always                                                2 (1 if visibility high) online-safety
    home-security-review     address published or not sure, or past incidents      2        home-security
    keep-a-record            past incidents                                        2        reporting-routes
    household-plan           children at home, or lives with others and address   2        home-security
                             published
    share-your-route         campaigns sometimes alone                             2        lone-working
    privacy-settings         visibility medium or high                             2 (1 if high and children) online-safety
    children-out-of-posts    children at home and visibility medium or high        2        online-safety
    office-post              office open to the public                             2        handling-post
    suspicious-post          always                                                3 (2 if address published) handling-post
    hustings-plan            always                                                3 (2 if past incidents) public-events
    count-plan               always                                                3        the-count
    personal-safety-basics   always                                                3        personal-safety
    ======================== ===================================================== ======== =====================

Priority 1 is "do this now", 2 "do this soon", 3 "good practice". A rule with an ``urgent_when``
condition is raised one level (never above 1) when it holds. The checklist is sorted by priority and,
within a priority, keeps the table's order, so the most basic step (save 999, 101 and your FEOA's
details) always comes first. Every item says *why* it is on this candidate's list, in words that
follow from their answers.

Titles, reasons and the priority labels are English, each a whole message marked with ``gettext_noop``;
``checklist(answers, gettext)`` returns them in the caller's language (Django's ``gettext`` on a Welsh
page, see :mod:`ballotguard.engines.common.i18n`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from enum import Enum

from ballotguard.engines.common.i18n import Translate, english, gettext_noop


class HomeAddress(str, Enum):
    WITHHELD = "withheld"
    PUBLISHED = "published"
    NOT_SURE = "not_sure"


class Visibility(str, Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Campaigning(str, Enum):
    ALONE = "alone"
    SOMETIMES_ALONE = "sometimes_alone"
    NEVER_ALONE = "never_alone"


@dataclass(frozen=True)
class PlanAnswers:
    home_address: HomeAddress
    lives_alone: bool
    children_at_home: bool
    public_office: bool
    online_visibility: Visibility
    campaigning: Campaigning
    past_incidents: bool


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    priority: int  # 1 do this now, 2 do this soon, 3 good practice
    title: str
    why: str
    guidance_slug: str


# Marked for the catalogue; the page translates the label it shows.
PRIORITY_LABELS = {1: gettext_noop("Do this now"), 2: gettext_noop("Do this soon"), 3: gettext_noop("Good practice")}


class AnswersInvalid(ValueError):
    """The answers cannot be read. ``errors`` maps each question's name to a message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


_Why = str | Callable[[PlanAnswers], str]


@dataclass(frozen=True)
class Rule:
    id: str
    priority: int
    title: str
    why: _Why
    guidance_slug: str
    when: Callable[[PlanAnswers], bool]
    urgent_when: Callable[[PlanAnswers], bool] | None = None

    def item(self, answers: PlanAnswers, gettext: Translate = english) -> ChecklistItem:
        priority = self.priority
        if self.urgent_when is not None and self.urgent_when(answers):
            priority = max(1, priority - 1)
        why = self.why(answers) if callable(self.why) else self.why
        return ChecklistItem(id=self.id, priority=priority, title=gettext(self.title), why=gettext(why),
                             guidance_slug=self.guidance_slug)


def _always(_: PlanAnswers) -> bool:
    return True


def _address_exposed(a: PlanAnswers) -> bool:
    return a.home_address in {HomeAddress.PUBLISHED, HomeAddress.NOT_SURE}


def _visible(a: PlanAnswers) -> bool:
    return a.online_visibility in {Visibility.MEDIUM, Visibility.HIGH}


def _home_review_why(a: PlanAnswers) -> str:
    # Whole sentences, one per combination of reasons, so that a translation never joins fragments.
    targeted = a.past_incidents
    if a.home_address == HomeAddress.PUBLISHED:
        if targeted:
            return gettext_noop("Because your home address is published on the ballot paper and you have already been targeted, simple measures at home (lighting, locks, a door viewer or camera doorbell) matter more for you. Your FEOA can advise on a home security review.")
        return gettext_noop("Because your home address is published on the ballot paper, simple measures at home (lighting, locks, a door viewer or camera doorbell) matter more for you. Your FEOA can advise on a home security review.")
    if a.home_address == HomeAddress.NOT_SURE:
        if targeted:
            return gettext_noop("Because your home address may be published on the ballot paper and you have already been targeted, simple measures at home (lighting, locks, a door viewer or camera doorbell) matter more for you. Your FEOA can advise on a home security review.")
        return gettext_noop("Because your home address may be published on the ballot paper, simple measures at home (lighting, locks, a door viewer or camera doorbell) matter more for you. Your FEOA can advise on a home security review.")
    return gettext_noop("Because you have already been targeted, simple measures at home (lighting, locks, a door viewer or camera doorbell) matter more for you. Your FEOA can advise on a home security review.")


def _household_why(a: PlanAnswers) -> str:
    if a.children_at_home:
        return gettext_noop("Children live with you: agree with the adults at home what to do if someone unexpected calls, and tell their school who may collect them.")
    return gettext_noop("Your address is public and you live with others: make sure everyone at home knows not to engage with callers about your campaign and when to call 999.")


RULES: tuple[Rule, ...] = (
    Rule("save-emergency-numbers", 1, gettext_noop("Save 999, 101 and your police adviser's details in your phone"),
         gettext_noop("Everyone needs this: in immediate danger call 999; for anything else call 101 or report at police.uk. Your FEOA (force elected-official adviser) gives advice but is not a way to report a crime."),
         "reporting-routes", _always),
    Rule("withhold-home-address", 1, gettext_noop("Keep your home address off the ballot paper"),
         gettext_noop("You said your home address is published. At your next nomination, fill in the home address form so the ballot paper shows only the area you live in; ask the returning officer how to do this."),
         "home-security", lambda a: a.home_address == HomeAddress.PUBLISHED),
    Rule("check-home-address", 1, gettext_noop("Check whether your home address is on the ballot paper"),
         gettext_noop("You were not sure. Look at the statement of persons nominated or ask your agent or the returning officer; if it is published, the home address form keeps it off next time."),
         "home-security", lambda a: a.home_address == HomeAddress.NOT_SURE),
    Rule("tell-your-feoa", 1, gettext_noop("Tell your police adviser what has already happened, and report crimes to the police"),
         gettext_noop("You have had incidents already. Your FEOA can assess the risk and arrange support; a crime is reported by calling 101 (or 999 in danger) or at police.uk, and you can record each incident here too."),
         "reporting-routes", lambda a: a.past_incidents),
    Rule("daily-check-in", 1, gettext_noop("Set up a daily check-in with someone you trust"),
         gettext_noop("You live alone, so nobody would notice quickly if something went wrong. Agree a time each day to check in, and what they should do if you do not."),
         "lone-working", lambda a: a.lives_alone),
    Rule("never-canvass-alone", 1, gettext_noop("Canvass and deliver leaflets in pairs"),
         gettext_noop("You said you campaign alone. Going in pairs, or at least telling someone your route and when you will be back, is the single most effective step for doorstep safety."),
         "lone-working", lambda a: a.campaigning == Campaigning.ALONE),
    Rule("office-safety", 1, gettext_noop("Make your office or surgery safe to open to the public"),
         gettext_noop("You have an office open to the public: see people by appointment where you can, never open up alone, keep a clear exit, and ask your FEOA about a security check and alarms."),
         "lone-working", lambda a: a.public_office),
    Rule("secure-accounts", 2, gettext_noop("Turn on two-step verification on your email and social media"),
         lambda a: gettext_noop("You are very visible online, so your accounts are a target: two-step verification stops most takeovers, and a password manager keeps each password different.")
         if a.online_visibility == Visibility.HIGH
         else gettext_noop("Everyone's accounts can be taken over: two-step verification stops most takeovers, and a password manager keeps each password different."),
         "online-safety", _always, urgent_when=lambda a: a.online_visibility == Visibility.HIGH),
    Rule("home-security-review", 2, gettext_noop("Review the security of your home"), _home_review_why, "home-security",
         lambda a: _address_exposed(a) or a.past_incidents),
    Rule("keep-a-record", 2, gettext_noop("Keep a record of every incident, with evidence"),
         gettext_noop("You have had incidents already. Harassment is a course of conduct: dated records and screenshots of each occasion help the police link them."),
         "reporting-routes", lambda a: a.past_incidents),
    Rule("household-plan", 2, gettext_noop("Agree a safety plan with the people you live with"), _household_why, "home-security",
         lambda a: a.children_at_home or (not a.lives_alone and a.home_address == HomeAddress.PUBLISHED)),
    Rule("share-your-route", 2, gettext_noop("Tell someone your route when you campaign on your own"),
         gettext_noop("You sometimes campaign alone: share your route and return time with a team member, keep your phone charged, and leave any doorstep that feels wrong."),
         "lone-working", lambda a: a.campaigning == Campaigning.SOMETIMES_ALONE),
    Rule("privacy-settings", 2, gettext_noop("Tighten the privacy settings on your personal accounts"),
         gettext_noop("You are visible online: keep campaign and personal accounts separate, hide friends lists and tagged photos, and turn off location on posts."),
         "online-safety", _visible, urgent_when=lambda a: a.online_visibility == Visibility.HIGH and a.children_at_home),
    Rule("children-out-of-posts", 2, gettext_noop("Keep your children and their routines out of public posts"),
         gettext_noop("Children live with you and you are visible online: photos in school uniform, at home or at regular places show where they can be found."),
         "online-safety", lambda a: a.children_at_home and _visible(a)),
    Rule("office-post", 2, gettext_noop("Agree how post is opened at your office"),
         gettext_noop("Your office is open to the public and receives post: agree who opens it, where, and what to do with anything suspicious."),
         "handling-post", lambda a: a.public_office),
    Rule("suspicious-post", 3, gettext_noop("Know what to do with a suspicious letter or package"),
         lambda a: gettext_noop("Your home address is public, so post can reach you at home. Do not open anything suspicious: put it down, leave the room, close the door and call 999.")
         if a.home_address == HomeAddress.PUBLISHED
         else gettext_noop("Do not open anything suspicious: put it down, leave the room, close the door and call 999."),
         "handling-post", _always, urgent_when=lambda a: a.home_address == HomeAddress.PUBLISHED),
    Rule("hustings-plan", 3, gettext_noop("Ask organisers about security before hustings and public events"),
         lambda a: gettext_noop("You have been targeted before, so plan events with care: ask who is in charge of security, how you will arrive and leave, and tell your FEOA about the event.")
         if a.past_incidents
         else gettext_noop("Ask who is in charge of security, how you will arrive and leave, and tell your FEOA about the event."),
         "public-events", _always, urgent_when=lambda a: a.past_incidents),
    Rule("count-plan", 3, gettext_noop("Plan your arrival at and departure from the count"),
         gettext_noop("Counts are tense, late and public: go with your agent, arrange a lift home and know the venue's exits."),
         "the-count", _always),
    Rule("personal-safety-basics", 3, gettext_noop("Read the personal safety basics"),
         gettext_noop("Good habits (varying your routine, trusting your instincts, keeping your phone charged) help whatever your circumstances."),
         "personal-safety", _always),
)


def checklist(answers: PlanAnswers, gettext: Translate = english) -> list[ChecklistItem]:
    """The items whose rules apply, most urgent first; ties keep the order of ``RULES``.

    Titles and reasons are English unless the caller passes a ``gettext`` (Django's, on a Welsh page):
    each is one whole message marked with ``gettext_noop``, so a translation never joins fragments."""
    items = [rule.item(answers, gettext) for rule in RULES if rule.when(answers)]
    return sorted(items, key=lambda item: item.priority)  # sorted() is stable


# ---------------------------------------------------------------------------------------------------
# Answers to and from plain dicts (JSON storage, the API)

_BOOLS = ("lives_alone", "children_at_home", "public_office", "past_incidents")
_ENUMS: dict[str, type[Enum]] = {"home_address": HomeAddress, "online_visibility": Visibility, "campaigning": Campaigning}
QUESTIONS = ("home_address", "lives_alone", "children_at_home", "public_office", "online_visibility", "campaigning", "past_incidents")


def answers_to_dict(answers: PlanAnswers) -> dict:
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in asdict(answers).items()}


def answers_from_dict(data: Mapping) -> PlanAnswers:
    """Read answers, naming every question that is missing or has a value outside its choices."""
    errors: dict[str, str] = {}
    values: dict = {}
    for name, enum in _ENUMS.items():
        raw = data.get(name)
        try:
            values[name] = enum(raw)
        except ValueError:
            errors[name] = f"Choose one of: {', '.join(m.value for m in enum)}"
    for name in _BOOLS:
        raw = data.get(name)
        if not isinstance(raw, bool):
            errors[name] = "Answer yes (true) or no (false)"
        else:
            values[name] = raw
    if errors:
        raise AnswersInvalid({k: errors[k] for k in QUESTIONS if k in errors})
    return PlanAnswers(**values)
