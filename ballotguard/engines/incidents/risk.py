"""A transparent risk score for one incident, so a FEOA can see at a glance what drives it.

The score is the sum of the points of the factors present, capped at 100; the level is read off the
score alone, so every HIGH can be traced to its reasons. It is an aid to triage, not a verdict: the
FEOA's judgement comes first.

=========================  ======  ==========================================================
factor (code)              points  when
=========================  ======  ==========================================================
danger_now                     50  the reporter is in danger now or the person is nearby
physical_approach              50  an assault
                               25  turning up at home (no assault)
                               20  following or loitering, or threats, abuse, hostility or
                                   intimidation face to face (intimidation at an event counts
                                   unless it was online, by phone or by post)
threat_specificity             35  a threat to kill or harm, or of sexual violence, made
                                   credible by one of: home address known, made in person,
                                   a weapon, a perpetrator the reporter can name
                               20  such a threat with none of those
weapon                         25  a weapon was seen, mentioned or threatened
home_address_known             20  the perpetrator knows the home address: the reporter says
                                   so, they turned up there, published it, or it happened there
fixation_repetition            20  three or more linked incidents
                               10  one or two linked incidents, or repeated unwanted contact
escalation                     10  for each sign, up to 30. Signs, over all the incidents in
                                   time order: remote contact (online, phone, post) followed by
                                   contact in person; incidents without threats or violence
                                   followed by one with them; the latest gap between incidents
                                   less than half the first (three or more dated incidents)
sexual_violence                10  a threat of sexual violence (on top of threat_specificity)
protected_characteristic       10  hostility because of race, religion, sexual orientation,
                                   disability, transgender identity or sex
=========================  ======  ==========================================================

Levels: HIGH from 50, MEDIUM from 20, LOW below. The points are set so that these always hold:
danger now, an assault, or a threat plus a known home address or a weapon, each reach HIGH on their
own; a single abusive online message with nothing else scores 0 (LOW); and adding a behaviour or
setting a flag never lowers the score. (Adding a threat to this incident when it is the earliest can
remove one escalation sign, 10 points, but the threat itself adds at least 20.)

``Place.OTHER`` is the default place, so it is not taken as evidence of contact in person, and a
linked incident with no behaviours recorded is not taken as evidence of a non-threatening one.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from ballotguard.engines.incidents.facts import Behaviour, IncidentFacts, Occasion, Place, ProtectedCharacteristic

HIGH_THRESHOLD = 50
MEDIUM_THRESHOLD = 20
MAX_SCORE = 100


class RiskLevel(str, enum.Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @classmethod
    def for_score(cls, score: int) -> RiskLevel:
        if score >= HIGH_THRESHOLD:
            return cls.HIGH
        if score >= MEDIUM_THRESHOLD:
            return cls.MEDIUM
        return cls.LOW


@dataclass(frozen=True)
class RiskFactor:
    code: str  # stable id, listed in the module docstring
    points: int
    why: str  # plain English, for the FEOA


@dataclass(frozen=True)
class RiskAssessment:
    score: int  # 0..100, the capped sum of the factors' points
    level: RiskLevel
    factors: tuple[RiskFactor, ...]  # strongest first, ties in the order of the docstring's table

    def explain(self) -> str:
        """One line per factor, ``+35 why``; a single line saying so when there are none."""
        if not self.factors:
            return "No risk factors found in these facts."
        return "\n".join(f"+{f.points} {f.why}" for f in self.factors)


_CODES = (
    "danger_now",
    "physical_approach",
    "threat_specificity",
    "weapon",
    "home_address_known",
    "fixation_repetition",
    "escalation",
    "sexual_violence",
    "protected_characteristic",
)

_THREATS = frozenset({Behaviour.THREAT_TO_KILL_OR_HARM, Behaviour.THREAT_OF_SEXUAL_VIOLENCE})
_THREAT_OR_VIOLENCE = _THREATS | {Behaviour.ASSAULT}
_FACE_TO_FACE_HOSTILITY = _THREATS | {
    Behaviour.ABUSIVE_OR_HATEFUL_MESSAGE,
    Behaviour.PROTECTED_CHARACTERISTIC_HOSTILITY,
    Behaviour.INTIMIDATION_AT_EVENT,
}


def assess_risk(facts: IncidentFacts) -> RiskAssessment:
    """Score the facts: pure and deterministic, the same facts always give the same assessment."""
    found = [
        f
        for f in (
            _danger_now(facts),
            _physical_approach(facts),
            _threat_specificity(facts),
            _weapon(facts),
            _home_address(facts),
            _fixation(facts),
            _escalation(facts),
            _sexual_violence(facts),
            _protected_characteristic(facts),
        )
        if f is not None
    ]
    found.sort(key=lambda f: (-f.points, _CODES.index(f.code)))
    score = min(MAX_SCORE, sum(f.points for f in found))
    return RiskAssessment(score=score, level=RiskLevel.for_score(score), factors=tuple(found))


_THREAT_WORDS = {
    Behaviour.THREAT_TO_KILL_OR_HARM: "a threat to kill or harm",
    Behaviour.THREAT_OF_SEXUAL_VIOLENCE: "a threat of sexual violence",
}


def _listed(phrases: list[str]) -> str:
    if len(phrases) == 1:
        return phrases[0]
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _known_in_person(place: Place) -> bool:
    """In person, and known to be: ``OTHER`` is the default, so it proves nothing."""
    return place.in_person and place is not Place.OTHER


def _home_cues(facts: IncidentFacts) -> list[str]:
    cues = []
    if facts.home_address_known:
        cues.append("the reporter believes the perpetrator knows the home address")
    if facts.has(Behaviour.TURNING_UP_AT_HOME):
        cues.append("they turned up at the home")
    if facts.has(Behaviour.PUBLISHING_HOME_ADDRESS):
        cues.append("they published the home address")
    if facts.place is Place.HOME:
        cues.append("it happened at the home")
    return cues


def _danger_now(facts: IncidentFacts) -> RiskFactor | None:
    if not facts.in_danger_now:
        return None
    return RiskFactor("danger_now", 50, "The reporter says they are in danger now or the person is nearby: this alone makes the risk high.")


def _physical_approach(facts: IncidentFacts) -> RiskFactor | None:
    if facts.has(Behaviour.ASSAULT):
        return RiskFactor("physical_approach", 50, "An assault: the perpetrator has already used physical violence.")
    if facts.has(Behaviour.TURNING_UP_AT_HOME):
        return RiskFactor("physical_approach", 25, "The perpetrator turned up at the home: they are willing to approach in person where the candidate lives.")
    if facts.has(Behaviour.FOLLOWING_OR_LOITERING):
        return RiskFactor("physical_approach", 20, "Following or loitering: the perpetrator is approaching in person.")
    at_event = facts.has(Behaviour.INTIMIDATION_AT_EVENT) and not facts.place.is_communication
    face_to_face = _known_in_person(facts.place) and facts.has(*_FACE_TO_FACE_HOSTILITY)
    if at_event or face_to_face:
        return RiskFactor("physical_approach", 20, "Threats, abuse or intimidation face to face: the perpetrator was physically present.")
    return None


def _threat_specificity(facts: IncidentFacts) -> RiskFactor | None:
    if not facts.has(*_THREATS):
        return None
    kinds = _listed([words for b, words in _THREAT_WORDS.items() if facts.has(b)])
    kinds = kinds[0].upper() + kinds[1:]
    cues = []
    if _home_cues(facts):
        cues.append("the home address is known")
    if _known_in_person(facts.place):
        cues.append("the threat was made in person")
    if facts.weapon_mentioned:
        cues.append("a weapon was mentioned")
    if facts.perpetrator_known:
        cues.append("the perpetrator can be named")
    if cues:
        return RiskFactor("threat_specificity", 35, f"{kinds}, made credible because {_listed(cues)}.")
    return RiskFactor("threat_specificity", 20, f"{kinds}, so far without anything that makes it more credible.")


def _weapon(facts: IncidentFacts) -> RiskFactor | None:
    if not facts.weapon_mentioned:
        return None
    return RiskFactor("weapon", 25, "A weapon was seen, mentioned or threatened.")


def _home_address(facts: IncidentFacts) -> RiskFactor | None:
    cues = _home_cues(facts)
    if not cues:
        return None
    return RiskFactor("home_address_known", 20, f"The perpetrator knows where the candidate lives: {_listed(cues)}.")


def _fixation(facts: IncidentFacts) -> RiskFactor | None:
    linked = len(facts.linked_occasions)
    if linked >= 3:
        return RiskFactor("fixation_repetition", 20, f"This incident and {linked} linked ones: a sustained fixation on this person, and a course of conduct.")
    if linked:
        return RiskFactor("fixation_repetition", 10, f"This incident and {linked} linked {'one' if linked == 1 else 'ones'}: two or more incidents can make a course of conduct (harassment).")
    if facts.has(Behaviour.REPEATED_UNWANTED_CONTACT):
        return RiskFactor("fixation_repetition", 10, "Repeated unwanted contact: the perpetrator keeps coming back to this person.")
    return None


def _instant(moment: datetime) -> datetime:
    """Naive and aware datetimes cannot be compared: read aware ones as naive UTC."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _escalation(facts: IncidentFacts) -> RiskFactor | None:
    if not facts.linked_occasions:
        return None
    now = Occasion(occurred_at=datetime.max, behaviours=facts.behaviours, place=facts.place)  # undated: the latest
    if facts.occurred_at is not None:
        now = Occasion(occurred_at=facts.occurred_at, behaviours=facts.behaviours, place=facts.place)
    events = [*facts.linked_occasions, now]
    # A stable sort: events at the same moment keep their order, this incident after the linked ones.
    timeline = sorted(events, key=lambda e: _instant(e.occurred_at))

    signs = []
    if _followed_by(timeline, lambda e: e.place.is_communication, lambda e: _known_in_person(e.place)):
        signs.append("contact moved from online, phone or post to in person")
    if _followed_by(timeline, lambda e: bool(e.behaviours) and not e.behaviours & _THREAT_OR_VIOLENCE, lambda e: bool(e.behaviours & _THREAT_OR_VIOLENCE)):
        signs.append("it moved from other behaviour to threats or violence")
    dated = [_instant(e.occurred_at) for e in timeline if e is not now or facts.occurred_at is not None]
    if len(dated) >= 3 and (dated[-1] - dated[-2]) * 2 < dated[1] - dated[0]:
        signs.append("the incidents are coming closer together")
    if not signs:
        return None
    return RiskFactor("escalation", 10 * len(signs), f"Escalation over time: {'; '.join(signs)}.")


def _followed_by(timeline: list[Occasion], before: Callable[[Occasion], bool], after: Callable[[Occasion], bool]) -> bool:
    """Whether some occasion matching ``before`` comes earlier than some occasion matching ``after``."""
    seen_before = False
    for event in timeline:
        if seen_before and after(event):
            return True
        seen_before = seen_before or before(event)
    return False


def _sexual_violence(facts: IncidentFacts) -> RiskFactor | None:
    if not facts.has(Behaviour.THREAT_OF_SEXUAL_VIOLENCE):
        return None
    return RiskFactor("sexual_violence", 10, "A threat of sexual violence: treated as serious in its own right, whatever the medium.")


def _protected_characteristic(facts: IncidentFacts) -> RiskFactor | None:
    if not (facts.has(Behaviour.PROTECTED_CHARACTERISTIC_HOSTILITY) or facts.characteristics):
        return None
    named = "; ".join(c.label.lower() for c in ProtectedCharacteristic if c in facts.characteristics)
    about = f" ({named})" if named else ""
    # Sex is not (yet) a statutory aggravating factor in England and Wales: do not call it a hate crime.
    statutory = not facts.characteristics or bool(facts.characteristics - {ProtectedCharacteristic.SEX})
    effect = "it can make an offence a hate crime, and such abuse tends to persist" if statutory else "sex is not a statutory aggravating factor, but such abuse tends to persist"
    return RiskFactor("protected_characteristic", 10, f"Hostility because of who the candidate is{about}: {effect}.")
