"""The vocabulary of an incident report, shared by the routing, offence and risk engines.

A candidate describes what happened as a checklist of behaviours, where it happened, and what they
know; the engines reason only from these facts, never from free text, so their advice can be
explained and tested line by line. The string values are stored in the database: never rename one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from ballotguard.engines.common.i18n import gettext_noop


class Behaviour(str, enum.Enum):
    THREAT_TO_KILL_OR_HARM = "threat_to_kill_or_harm"
    THREAT_OF_SEXUAL_VIOLENCE = "threat_of_sexual_violence"
    REPEATED_UNWANTED_CONTACT = "repeated_unwanted_contact"
    FOLLOWING_OR_LOITERING = "following_or_loitering"
    TURNING_UP_AT_HOME = "turning_up_at_home"
    ABUSIVE_OR_HATEFUL_MESSAGE = "abusive_or_hateful_message"
    PROTECTED_CHARACTERISTIC_HOSTILITY = "protected_characteristic_hostility"
    DAMAGE_TO_PROPERTY = "damage_to_property"
    ASSAULT = "assault"
    INTIMIDATION_AT_EVENT = "intimidation_at_event"
    PUBLISHING_HOME_ADDRESS = "publishing_home_address"
    IMPERSONATION_OR_DEEPFAKE = "impersonation_or_deepfake"
    FALSE_STATEMENT_ABOUT_CHARACTER = "false_statement_about_character"
    PRESSURE_ON_VOTING = "pressure_on_voting"
    BRIBERY_OR_ELECTORAL_FRAUD = "bribery_or_electoral_fraud"

    @property
    def label(self) -> str:
        return BEHAVIOUR_LABELS[self]


BEHAVIOUR_LABELS: dict[Behaviour, str] = {
    Behaviour.THREAT_TO_KILL_OR_HARM: gettext_noop("A threat to kill or harm you or someone close to you"),
    Behaviour.THREAT_OF_SEXUAL_VIOLENCE: gettext_noop("A threat of sexual violence"),
    Behaviour.REPEATED_UNWANTED_CONTACT: gettext_noop("Repeated unwanted contact"),
    Behaviour.FOLLOWING_OR_LOITERING: gettext_noop("Following you, or loitering where you are"),
    Behaviour.TURNING_UP_AT_HOME: gettext_noop("Turning up at your home"),
    Behaviour.ABUSIVE_OR_HATEFUL_MESSAGE: gettext_noop("An abusive or hateful message"),
    Behaviour.PROTECTED_CHARACTERISTIC_HOSTILITY: gettext_noop("Hostility because of who you are (for example your race, religion, sexuality, disability or gender)"),
    Behaviour.DAMAGE_TO_PROPERTY: gettext_noop("Damage to property, posters or leaflets"),
    Behaviour.ASSAULT: gettext_noop("Assault: being hit, pushed, spat at or touched"),
    Behaviour.INTIMIDATION_AT_EVENT: gettext_noop("Intimidation at a campaign event, hustings or the count"),
    Behaviour.PUBLISHING_HOME_ADDRESS: gettext_noop("Publishing your home address"),
    Behaviour.IMPERSONATION_OR_DEEPFAKE: gettext_noop("Impersonating you, or a deepfake of you"),
    Behaviour.FALSE_STATEMENT_ABOUT_CHARACTER: gettext_noop("False statements about your personal character or conduct"),
    Behaviour.PRESSURE_ON_VOTING: gettext_noop("Pressure on how someone votes (threats, force or trickery)"),
    Behaviour.BRIBERY_OR_ELECTORAL_FRAUD: gettext_noop("Bribery, treating or other electoral fraud"),
}


class Place(str, enum.Enum):
    HOME = "home"
    OFFICE = "office"
    CAMPAIGN_EVENT = "campaign_event"
    STREET_CANVASSING = "street_canvassing"
    HUSTINGS = "hustings"
    COUNT = "count"
    ONLINE = "online"
    PHONE = "phone"
    POST = "post"
    OTHER = "other"

    @property
    def label(self) -> str:
        return PLACE_LABELS[self]

    @property
    def in_person(self) -> bool:
        """Whether the perpetrator was physically present (as opposed to online, phone or post)."""
        return self not in {Place.ONLINE, Place.PHONE, Place.POST}

    @property
    def is_communication(self) -> bool:
        return self in {Place.ONLINE, Place.PHONE, Place.POST}


PLACE_LABELS: dict[Place, str] = {
    Place.HOME: gettext_noop("At home"),
    Place.OFFICE: gettext_noop("At an office"),
    Place.CAMPAIGN_EVENT: gettext_noop("At a campaign event"),
    Place.STREET_CANVASSING: gettext_noop("While canvassing in the street"),
    Place.HUSTINGS: gettext_noop("At a hustings"),
    Place.COUNT: gettext_noop("At the count"),
    Place.ONLINE: gettext_noop("Online (social media, email, messaging)"),
    Place.PHONE: gettext_noop("By phone or text message"),
    Place.POST: gettext_noop("By post or a delivered note"),
    Place.OTHER: gettext_noop("Somewhere else"),
}


class ProtectedCharacteristic(str, enum.Enum):
    """Characteristics the law treats as aggravating hostility, plus sex, which candidates report
    often (women above all) but which is not yet a statutory aggravating factor in England and Wales."""

    RACE = "race"
    RELIGION = "religion"
    SEXUAL_ORIENTATION = "sexual_orientation"
    DISABILITY = "disability"
    TRANSGENDER_IDENTITY = "transgender_identity"
    SEX = "sex"

    @property
    def label(self) -> str:
        return CHARACTERISTIC_LABELS[self]


CHARACTERISTIC_LABELS: dict[ProtectedCharacteristic, str] = {
    ProtectedCharacteristic.RACE: gettext_noop("Race, colour, nationality or ethnic origin"),
    ProtectedCharacteristic.RELIGION: gettext_noop("Religion or belief"),
    ProtectedCharacteristic.SEXUAL_ORIENTATION: gettext_noop("Sexual orientation"),
    ProtectedCharacteristic.DISABILITY: gettext_noop("Disability"),
    ProtectedCharacteristic.TRANSGENDER_IDENTITY: gettext_noop("Transgender identity"),
    ProtectedCharacteristic.SEX: gettext_noop("Sex or gender"),
}


class IssueTag(str, enum.Enum):
    """The political issue an incident seemed to be about, if any: the Taskforce tracks whether
    intimidation clusters around particular issues (the 2024 general election saw protests focused
    on single issues). Optional for the reporter; a FEOA can add it at triage. Stored values: never rename."""

    MIDDLE_EAST_CONFLICT = "middle_east_conflict"
    IMMIGRATION = "immigration"
    CLIMATE_AND_NET_ZERO = "climate_and_net_zero"
    LOCAL_TRAFFIC_AND_PLANNING = "local_traffic_and_planning"
    GENDER_AND_SEXUALITY = "gender_and_sexuality"
    COST_OF_LIVING = "cost_of_living"
    HEALTH_AND_VACCINES = "health_and_vaccines"
    OTHER_ISSUE = "other_issue"

    @property
    def label(self) -> str:
        return ISSUE_TAG_LABELS[self]


ISSUE_TAG_LABELS: dict[IssueTag, str] = {
    IssueTag.MIDDLE_EAST_CONFLICT: gettext_noop("The conflict in Israel and Gaza"),
    IssueTag.IMMIGRATION: gettext_noop("Immigration or asylum"),
    IssueTag.CLIMATE_AND_NET_ZERO: gettext_noop("Climate change or net zero"),
    IssueTag.LOCAL_TRAFFIC_AND_PLANNING: gettext_noop("Local traffic schemes, housing or planning"),
    IssueTag.GENDER_AND_SEXUALITY: gettext_noop("Gender identity or sexuality"),
    IssueTag.COST_OF_LIVING: gettext_noop("Cost of living or taxes"),
    IssueTag.HEALTH_AND_VACCINES: gettext_noop("Health, the NHS or vaccines"),
    IssueTag.OTHER_ISSUE: gettext_noop("Another political issue"),
}


class TargetRole(str, enum.Enum):
    """Who was targeted: the Elections Act 2022 sanction covers all three."""

    CANDIDATE = "candidate"
    CAMPAIGNER = "campaigner"
    ELECTED_OFFICIAL = "elected_official"


@dataclass(frozen=True)
class Occasion:
    """An earlier incident linked to this one (same person targeted, same perpetrator or observable)."""

    occurred_at: datetime
    behaviours: frozenset[Behaviour] = frozenset()
    place: Place = Place.OTHER


@dataclass(frozen=True)
class IncidentFacts:
    """What the engines know about one incident.

    ``linked_occasions`` are the *other* incidents against the same person linked to this one by the
    same perpetrator or a shared observable: with this incident they make up a course of conduct.
    """

    behaviours: frozenset[Behaviour]
    place: Place = Place.OTHER
    occurred_at: datetime | None = None
    characteristics: frozenset[ProtectedCharacteristic] = frozenset()
    target_role: TargetRole = TargetRole.CANDIDATE
    in_danger_now: bool = False  # the reporter says the danger is happening now or the perpetrator is nearby
    weapon_mentioned: bool = False  # a weapon was seen, mentioned or threatened
    home_address_known: bool = False  # the perpetrator appears to know the candidate's home address
    perpetrator_known: bool = False  # the reporter can name or identify the perpetrator
    platform: str = ""  # the online platform, when online
    linked_occasions: tuple[Occasion, ...] = field(default_factory=tuple)

    def has(self, *behaviours: Behaviour) -> bool:
        return any(b in self.behaviours for b in behaviours)

    @property
    def occasions(self) -> int:
        """How many occasions make up the conduct: this incident plus the linked ones."""
        return 1 + len(self.linked_occasions)
