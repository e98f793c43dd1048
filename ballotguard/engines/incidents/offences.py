"""Which offences may fit what a candidate reported, and what evidence the police will want.

This is guidance, not a charging decision. It lists the England and Wales offences that *may* apply
to the facts of an incident, so a candidate knows that what happened to them can be a crime, and so
the Force Elected-Official Adviser and the evidence pack start from the right sections of the right
Acts. Whether an offence was committed is for the police and the Crown Prosecution Service.

Why a table of rules rather than free-text matching: every item must be explainable line by line
("you reported X, the statute says Y"), and each rule is tested against the statute's own words.
Each entry in ``OFFENCES`` pairs a statute summary with a small predicate over ``IncidentFacts``.

Things the rules get right on purpose:

* A *course of conduct* needs conduct on at least two occasions (Protection from Harassment Act 1997
  s7(3)(a)). One report is one occasion; linked incidents by the same perpetrator add occasions. With
  one occasion the harassment and stalking offences are never listed: ``course_of_conduct()`` says so,
  and the guidance asks the reporter to link earlier incidents.
* Since 31 January 2024 the Online Safety Act 2023 s179 (false communications) and s181 (threatening
  communications) replaced the "false" and "threat" limbs of Malicious Communications Act 1988 s1
  and the false-message limbs of Communications Act 2003 s127(2). So a threat by message is
  guidance under s181 (and OAPA 1861 s16 for a threat to kill), not under MCA s1.
* Public Order Act 1986 ss4, 4A and 5 need words, behaviour or a display in the victim's presence:
  they are never listed for a message sent online, by phone or by post.
* Racial or religious hostility turns harassment, assault, criminal damage and public order offences
  into the Crime and Disorder Act 1998 ss29–32 aggravated offences. For other offences, and for
  disability, sexual orientation and transgender identity, hostility is a statutory aggravating factor
  at sentence (Sentencing Act 2020 s66). Hostility based on sex or gender is neither: the guidance says
  so plainly and asks for it to be recorded anyway.
* Elections Act 2022 s30 and Schedule 9: when a listed offence against a candidate, campaigner or
  elected office-holder is aggravated by hostility related to that role, the court must (unless
  unjust) disqualify an adult offender from elected office for 5 years. Electoral-process offences
  (false statements, bribery, undue influence on voters) do not by themselves describe such hostility.

Scope: the law of England and Wales as understood at the time of writing (2025). Scotland (for
example the Criminal Justice and Licensing (Scotland) Act 2010 ss38–39 and the Hate Crime and Public
Order (Scotland) Act 2021) and Northern Ireland (for example the Malicious Communications (Northern
Ireland) Order 1988 and the Protection from Harassment (Northern Ireland) Order 1997) differ and are
not modelled. Order of the result: most serious maximum penalty first, then sentencing aggravation,
then the electoral sanction, which follows from the offences above it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from ballotguard.engines.common.i18n import gettext_noop
from ballotguard.engines.incidents.facts import (
    Behaviour,
    IncidentFacts,
    Place,
    ProtectedCharacteristic,
    TargetRole,
)


class GuidanceKind(str, enum.Enum):
    OFFENCE = "offence"
    AGGRAVATION = "aggravation"  # Crime and Disorder Act 1998 ss28–32, Sentencing Act 2020 s66
    SANCTION = "sanction"  # Elections Act 2022 s30 electoral disqualification

    @property
    def label(self) -> str:
        return {"offence": "Offence", "aggravation": "Aggravation", "sanction": "Electoral sanction"}[self.value]


@dataclass(frozen=True)
class OffenceGuidance:
    """One offence, aggravation or sanction that may apply.

    In ``OFFENCES`` the ``why`` is the statute's test in plain English; in what ``offences_for`` returns
    it starts with the facts that made the rule fire, followed by that test.
    """

    code: str
    act: str
    section: str
    title: str
    kind: GuidanceKind
    why: str
    evidence: tuple[str, ...]
    max_penalty: str = ""


DISCLAIMER = gettext_noop(
    "This is guidance, not legal advice. It lists offences under the law of England and Wales that may be "
    "relevant to what you have described. Whether an offence has been committed is for the police and the "
    "Crown Prosecution Service to decide (in Scotland the Procurator Fiscal, in Northern Ireland the Public "
    "Prosecution Service, where the law is different). If you are in danger now, call 999."
)


def course_of_conduct(facts: IncidentFacts) -> bool:
    """Whether the conduct spans at least two occasions (Protection from Harassment Act 1997 s7(3)(a)).

    This incident is one occasion; each linked incident by the same perpetrator is another.
    """
    return facts.occasions >= 2


# --- behaviour groups, each named for the statutory idea it stands for ---------------------------

_THREATS = frozenset({Behaviour.THREAT_TO_KILL_OR_HARM, Behaviour.THREAT_OF_SEXUAL_VIOLENCE})
# What makes a person fear "that violence will be used against him" (PHA 1997 s4, s4A(1)(b)(i)).
_FEAR_OF_VIOLENCE = _THREATS | {Behaviour.ASSAULT}
_ABUSE = frozenset({Behaviour.ABUSIVE_OR_HATEFUL_MESSAGE, Behaviour.PROTECTED_CHARACTERISTIC_HOSTILITY})
# "Threatening, abusive or insulting words or behaviour" face to face (Public Order Act 1986 ss4A, 5).
_PUBLIC_ORDER = _ABUSE | _THREATS | {Behaviour.INTIMIDATION_AT_EVENT}
# Acts "associated with stalking": PHA 1997 s2A(3)(a)–(g).
_STALKING_EXAMPLES: dict[Behaviour, str] = {
    Behaviour.FOLLOWING_OR_LOITERING: "following a person (s2A(3)(a)) and loitering in any place (s2A(3)(e))",
    Behaviour.REPEATED_UNWANTED_CONTACT: "contacting, or attempting to contact, a person by any means (s2A(3)(b))",
    Behaviour.PUBLISHING_HOME_ADDRESS: "publishing any statement or other material relating to a person (s2A(3)(c))",
    Behaviour.IMPERSONATION_OR_DEEPFAKE: "publishing material purporting to originate from a person (s2A(3)(c))",
    Behaviour.TURNING_UP_AT_HOME: "loitering (s2A(3)(e)) and watching or spying on a person (s2A(3)(g))",
    Behaviour.DAMAGE_TO_PROPERTY: "interfering with any property in the possession of a person (s2A(3)(f))",
}
_STALKING = frozenset(_STALKING_EXAMPLES)
_ELECTORAL_PROCESS = frozenset({Behaviour.PRESSURE_ON_VOTING, Behaviour.BRIBERY_OR_ELECTORAL_FRAUD})
# Conduct that can harass the person targeted, when repeated (PHA 1997 s1: alarm or distress).
_HARASSING = frozenset(Behaviour) - _ELECTORAL_PROCESS
# Conduct that shows hostility towards the person targeted, for the Elections Act 2022 sanction.
# False statements, impersonation and electoral-process offences are left out: on their own they
# describe a lie or a corrupt act, not hostility towards the victim.
_HOSTILE = frozenset(Behaviour) - _ELECTORAL_PROCESS - {
    Behaviour.FALSE_STATEMENT_ABOUT_CHARACTER,
    Behaviour.IMPERSONATION_OR_DEEPFAKE,
}
# Behaviour at the home that can be "present outside or in the vicinity of" a dwelling (CJPA 2001 s42A).
_PRESENCE_AT_HOME = _PUBLIC_ORDER | {
    Behaviour.FOLLOWING_OR_LOITERING,
    Behaviour.REPEATED_UNWANTED_CONTACT,
    Behaviour.PRESSURE_ON_VOTING,
}
# Behaviour that often repeats: with one occasion, the guidance asks for earlier incidents to be linked.
_OFTEN_REPEATED = _STALKING | _ABUSE | _THREATS

_PUBLIC_NETWORK = frozenset({Place.ONLINE, Place.PHONE})  # Communications Act 2003 s127: not post
_MEETINGS = frozenset({Place.CAMPAIGN_EVENT, Place.HUSTINGS})  # RPA 1983 s97 "lawful public meeting"

_RACE_RELIGION = frozenset({ProtectedCharacteristic.RACE, ProtectedCharacteristic.RELIGION})
_S66_OTHERS = frozenset(
    {
        ProtectedCharacteristic.DISABILITY,
        ProtectedCharacteristic.SEXUAL_ORIENTATION,
        ProtectedCharacteristic.TRANSGENDER_IDENTITY,
    }
)

_WHERE: dict[Place, str] = {
    Place.HOME: "at your home",
    Place.OFFICE: "at an office",
    Place.CAMPAIGN_EVENT: "at a campaign event",
    Place.STREET_CANVASSING: "while you were canvassing in the street",
    Place.HUSTINGS: "at a hustings",
    Place.COUNT: "at the count",
    Place.ONLINE: "online",
    Place.PHONE: "by phone or text message",
    Place.POST: "by post or a delivered note",
    Place.OTHER: "in person",
}
_ROLE: dict[TargetRole, str] = {
    TargetRole.CANDIDATE: "a candidate",
    TargetRole.CAMPAIGNER: "a campaigner",
    TargetRole.ELECTED_OFFICIAL: "an elected office-holder",
}


# --- small helpers that turn facts into words --------------------------------------------------


def _all_behaviours(facts: IncidentFacts) -> frozenset[Behaviour]:
    """Behaviours across this incident and every linked occasion."""
    found = set(facts.behaviours)
    for occasion in facts.linked_occasions:
        found |= occasion.behaviours
    return frozenset(found)


def _fear_occasions(facts: IncidentFacts) -> int:
    """Occasions on which the reporter describes threats or violence (a weapon counts for this one).

    A linked occasion with no recorded behaviours is unknown, so it is not counted.
    """
    now = 1 if (facts.behaviours & _FEAR_OF_VIOLENCE or (facts.weapon_mentioned and facts.behaviours & _HOSTILE)) else 0
    return now + sum(1 for occasion in facts.linked_occasions if occasion.behaviours & _FEAR_OF_VIOLENCE)


def _labels(behaviours: Iterable[Behaviour]) -> str:
    """Behaviour labels in the enum's order, so the wording is deterministic."""
    chosen = set(behaviours)
    words = [b.label[0].lower() + b.label[1:] for b in Behaviour if b in chosen]
    return "; ".join(words)


def _where(facts: IncidentFacts) -> str:
    if facts.place is Place.ONLINE and facts.platform:
        return f"online (on {facts.platform})"
    return _WHERE[facts.place]


def _occasions(facts: IncidentFacts) -> str:
    linked = facts.occasions - 1
    return (
        f"This incident and {linked} linked incident{'s' if linked != 1 else ''} make {facts.occasions} occasions "
        "by the same person, which can be a course of conduct"
    )


def _characteristics(chars: Iterable[ProtectedCharacteristic]) -> str:
    chosen = set(chars)
    return "; ".join(c.label.lower() for c in ProtectedCharacteristic if c in chosen)


# --- the rules: each returns the facts-based reason, or None when it does not apply -----------

Rule = Callable[[IncidentFacts, frozenset[str]], "str | None"]


def _pha_s2(facts: IncidentFacts, _: frozenset[str]) -> str | None:
    seen = _all_behaviours(facts) & _HARASSING
    if not course_of_conduct(facts) or not seen:
        return None
    return f"{_occasions(facts)}. Across them you reported: {_labels(seen)}."


def _pha_s2a(facts: IncidentFacts, _: frozenset[str]) -> str | None:
    seen = _all_behaviours(facts) & _STALKING
    if not course_of_conduct(facts) or not seen:
        return None
    examples = "; ".join(_STALKING_EXAMPLES[b] for b in Behaviour if b in seen)
    return (
        f"{_occasions(facts)}. You reported: {_labels(seen)}. The Act gives these as examples of behaviour "
        f"associated with stalking: {examples}."
    )


def _pha_s4(facts: IncidentFacts, _: frozenset[str]) -> str | None:
    fear = _fear_occasions(facts)
    if not course_of_conduct(facts) or fear < 2:
        return None
    seen = _all_behaviours(facts) & _FEAR_OF_VIOLENCE
    return (
        f"{_occasions(facts)}. On {fear} of them you reported threats or violence ({_labels(seen)}), "
        "which can cause you to fear, on at least two occasions, that violence will be used against you."
    )


def _pha_s4a(facts: IncidentFacts, found: frozenset[str]) -> str | None:
    if _pha_s2a(facts, found) is None:
        return None
    seen = _all_behaviours(facts)
    reasons = [f"{_occasions(facts)}, and it includes behaviour associated with stalking."]
    if _fear_occasions(facts) >= 2:
        reasons.append(
            "It includes threats or violence on at least two occasions, which can cause fear that "
            "violence will be used against you (s4A(1)(b)(i))."
        )
    if seen & {Behaviour.TURNING_UP_AT_HOME, Behaviour.PUBLISHING_HOME_ADDRESS} or facts.home_address_known:
        reasons.append(
            "The stalking has reached your home. If it has caused you serious alarm or distress that has a "
            "substantial adverse effect on your usual day-to-day activities (for example you have stopped "
            "campaigning alone, changed your routines or stayed away from home), this more serious offence may "
            "apply (s4A(1)(b)(ii)). Tell the police exactly what you have had to change."
        )
    return " ".join(reasons) if len(reasons) > 1 else None


def _cjpa_s42a(facts: IncidentFacts, _: frozenset[str]) -> str | None:
    at_home = Behaviour.TURNING_UP_AT_HOME in facts.behaviours or (
        facts.place is Place.HOME and facts.behaviours & _PRESENCE_AT_HOME
    )
    if not at_home:
        return None
    seen = facts.behaviours & (_PRESENCE_AT_HOME | {Behaviour.TURNING_UP_AT_HOME})
    reported = _labels(seen)
    # "Turning up at your home" already says where: never "at your home at your home".
    where = "" if Behaviour.TURNING_UP_AT_HOME in seen else " at your home"
    return (
        f"You reported {reported}{where}. If the person was outside or near your home to press you to "
        "do, or not do, something you are entitled to decide (for example how you vote or speak, or whether you "
        "stand, withdraw or resign), and their presence harassed, alarmed or distressed you or your household, "
        "this offence may apply. Police at the scene can also direct them to leave (section 42)."
    )


def _mca_s1(facts: IncidentFacts, _: frozenset[str]) -> str | None:
    seen = facts.behaviours & (_ABUSE | {Behaviour.THREAT_OF_SEXUAL_VIOLENCE})
    if not facts.place.is_communication or not seen:
        return None
    return (
        f"You reported {_labels(seen)}, sent {_where(facts)}. A message that is indecent or grossly offensive, "
        "sent so that it causes you distress or anxiety, may fall under this section."
    )


def _ca_s127(facts: IncidentFacts, _: frozenset[str]) -> str | None:
    if facts.place not in _PUBLIC_NETWORK:
        return None
    reasons = []
    offensive = facts.behaviours & (_ABUSE | _THREATS)
    if offensive:
        reasons.append(
            f"You reported {_labels(offensive)}, sent {_where(facts)}: a message that is grossly offensive or "
            "menacing sent over the internet or a phone network may fall under s127(1)."
        )
    if Behaviour.REPEATED_UNWANTED_CONTACT in facts.behaviours:
        reasons.append(
            f"You reported repeated unwanted contact {_where(facts)}: persistently using a phone or internet "
            "network to cause annoyance, inconvenience or needless anxiety may fall under s127(2)(c), even "
            "within a single report."
        )
    return " ".join(reasons) or None


def _osa_s179(facts: IncidentFacts, _: frozenset[str]) -> str | None:
    seen = facts.behaviours & {Behaviour.FALSE_STATEMENT_ABOUT_CHARACTER, Behaviour.IMPERSONATION_OR_DEEPFAKE}
    if not facts.place.is_communication or not seen:
        return None
    why = (
        f"You reported {_labels(seen)}, sent {_where(facts)}. If the sender knew it was false and meant "
        "it to cause non-trivial psychological or physical harm to people likely to see it (you included), this "
        "offence may apply."
    )
    if Behaviour.IMPERSONATION_OR_DEEPFAKE in seen:
        why += (
            " If a deepfake shows you in an intimate or sexual way, sharing it or threatening to share it is a "
            "separate offence (Sexual Offences Act 2003 s66B): tell the police."
        )
    return why


def _osa_s181(facts: IncidentFacts, _: frozenset[str]) -> str | None:
    seen = facts.behaviours & _THREATS
    if not facts.place.is_communication or not seen:
        return None
    return (
        f"You reported {_labels(seen)}, sent {_where(facts)}. A message threatening death or serious harm "
        "(serious injury, rape or assault by penetration) is covered if the sender meant you to fear it would be "
        "carried out, or did not care whether you would, even if they never meant to carry it out themselves."
    )


def _poa_s4(facts: IncidentFacts, _: frozenset[str]) -> str | None:
    if not facts.place.in_person:
        return None
    seen = facts.behaviours & (_THREATS | {Behaviour.INTIMIDATION_AT_EVENT})
    armed = facts.weapon_mentioned and facts.behaviours & _HOSTILE
    if not seen and not armed:
        return None
    why = f"You reported {_labels(seen or facts.behaviours & _HOSTILE)} {_where(facts)}"
    why += ", and a weapon was seen, mentioned or threatened" if facts.weapon_mentioned else ""
    why += (
        ". Threatening words or behaviour face to face that make you believe immediate unlawful violence will be "
        "used may fall under this section."
    )
    return why + _dwelling_note(facts)


def _poa_s4a(facts: IncidentFacts, _: frozenset[str]) -> str | None:
    seen = facts.behaviours & _PUBLIC_ORDER
    if not facts.place.in_person or not seen:
        return None
    return (
        f"You reported {_labels(seen)} {_where(facts)}. Threatening or abusive words, behaviour, signs or placards "
        "used with intent to cause you harassment, alarm or distress, and which did so, may fall under this "
        "section." + _dwelling_note(facts)
    )


def _poa_s5(facts: IncidentFacts, _: frozenset[str]) -> str | None:
    seen = facts.behaviours & _PUBLIC_ORDER
    if not facts.place.in_person or not seen:
        return None
    return (
        f"You reported {_labels(seen)} {_where(facts)}. Threatening or abusive words, behaviour, signs or placards "
        "within the hearing or sight of someone likely to be caused harassment, alarm or distress may fall under "
        "this section, even without proof of intent." + _dwelling_note(facts)
    )


def _dwelling_note(facts: IncidentFacts) -> str:
    if facts.place is not Place.HOME:
        return ""
    return (
        " It does not apply when both of you were inside a home; on the doorstep, in the garden or in the street "
        "it can."
    )


def _oapa_s16(facts: IncidentFacts, _: frozenset[str]) -> str | None:
    if Behaviour.THREAT_TO_KILL_OR_HARM not in facts.behaviours:
        return None
    why = (
        f"You reported a threat to kill or harm you or someone close to you, made {_where(facts)}. If the threat "
        "was to kill, and was meant to make you fear it would be carried out, this is the most serious threat "
        "offence, however the threat was made."
    )
    if facts.weapon_mentioned:
        why += " You said a weapon was seen, mentioned or threatened: tell the police this first."
    return why


def _cda1971_s1(facts: IncidentFacts, _: frozenset[str]) -> str | None:
    if Behaviour.DAMAGE_TO_PROPERTY not in facts.behaviours:
        return None
    return (
        "You reported damage to property, posters or leaflets. Defacing, tearing or destroying election posters "
        "or boards, graffiti, and damage to an office, home or car are all criminal damage if done deliberately "
        "or recklessly without lawful excuse."
    )


def _cja1988_s39(facts: IncidentFacts, _: frozenset[str]) -> str | None:
    if Behaviour.ASSAULT not in facts.behaviours:
        return None
    return (
        f"You reported an assault {_where(facts)}. Being hit, pushed, spat at or touched without consent is a "
        "battery, and being made to fear such force immediately is an assault. If you were injured, it may be "
        "assault occasioning actual bodily harm (Offences Against the Person Act 1861 s47, up to 5 years) or more "
        "serious still."
    )


def _rpa_s106(facts: IncidentFacts, _: frozenset[str]) -> str | None:
    seen = facts.behaviours & {Behaviour.FALSE_STATEMENT_ABOUT_CHARACTER, Behaviour.IMPERSONATION_OR_DEEPFAKE}
    if facts.target_role is not TargetRole.CANDIDATE or not seen:
        return None
    return (
        f"You are a candidate and reported {_labels(seen)}. If it was made or published before or during the "
        "election to affect your result, and states as fact something false about your personal character or "
        "conduct (not your politics or public record), it is an illegal practice. You can also ask the High "
        "Court or county court for an injunction to stop it being repeated (s106(3))."
    )


def _rpa_s114a(facts: IncidentFacts, _: frozenset[str]) -> str | None:
    if Behaviour.PRESSURE_ON_VOTING not in facts.behaviours:
        return None
    return (
        f"You reported pressure on how someone votes, {_where(facts)}. Using or threatening violence, damage, "
        "harm to reputation or money, spiritual pressure, intimidation, or deception about the administration of "
        "the election, to make a person vote a particular way or not vote, is undue influence."
    )


def _rpa_s113(facts: IncidentFacts, _: frozenset[str]) -> str | None:
    if Behaviour.BRIBERY_OR_ELECTORAL_FRAUD not in facts.behaviours:
        return None
    return (
        "You reported bribery, treating or other electoral fraud. If money, a gift, a job or any other valuable "
        "thing was given, lent, offered or promised to get someone to vote or not vote, that is bribery."
    )


def _rpa_s114(facts: IncidentFacts, _: frozenset[str]) -> str | None:
    if Behaviour.BRIBERY_OR_ELECTORAL_FRAUD not in facts.behaviours:
        return None
    return (
        "You reported bribery, treating or other electoral fraud. If food, drink or entertainment was provided "
        "to corruptly influence how people vote, that is treating."
    )


def _rpa_s60(facts: IncidentFacts, _: frozenset[str]) -> str | None:
    if Behaviour.BRIBERY_OR_ELECTORAL_FRAUD not in facts.behaviours:
        return None
    return (
        "You reported bribery, treating or other electoral fraud. If someone voted as another person, in person, "
        "by post or as a proxy, that is personation."
    )


def _rpa_s97(facts: IncidentFacts, _: frozenset[str]) -> str | None:
    if Behaviour.INTIMIDATION_AT_EVENT not in facts.behaviours or facts.place not in _MEETINGS:
        return None
    return (
        f"You reported intimidation {_where(facts)}. If it was an election meeting during the election period and "
        "someone acted, or stirred others to act, in a disorderly way to stop the meeting going ahead, that is an "
        "illegal practice."
    )


# Aggravations look at which offences were found.

_CDA1998_BASES: dict[str, frozenset[str]] = {
    "cda1998_s29": frozenset({"cja1988_s39"}),
    "cda1998_s30": frozenset({"cda1971_s1"}),
    "cda1998_s31": frozenset({"poa1986_s4", "poa1986_s4a", "poa1986_s5"}),
    "cda1998_s32": frozenset({"pha1997_s2", "pha1997_s2a", "pha1997_s4", "pha1997_s4a"}),
}
_COVERED_BY_CDA1998 = frozenset().union(*_CDA1998_BASES.values())


def _cda1998(code: str) -> Rule:
    def rule(facts: IncidentFacts, found: frozenset[str]) -> str | None:
        chars = facts.characteristics & _RACE_RELIGION
        bases = found & _CDA1998_BASES[code]
        if not chars or not bases:
            return None
        return (
            f"You reported hostility because of your {_characteristics(chars)}, together with conduct that may be "
            f"{_titles(bases)}. That offence can be charged in its racially or religiously aggravated form, "
            "which carries a higher maximum penalty."
        )

    return rule


def _sa2020_s66(facts: IncidentFacts, found: frozenset[str]) -> str | None:
    parts = []
    others = facts.characteristics & _S66_OTHERS
    if others and found:
        parts.append(
            f"You reported hostility because of your {_characteristics(others)}. If the court finds any offence "
            f"here ({_titles(found)}) was aggravated by that hostility, it must treat it as more serious and say "
            "so in open court."
        )
    race_religion = facts.characteristics & _RACE_RELIGION
    uncovered = found - _COVERED_BY_CDA1998
    if race_religion and uncovered:
        parts.append(
            f"You reported hostility because of your {_characteristics(race_religion)}. Where there is no "
            f"aggravated form of the offence ({_titles(uncovered)}), that hostility is instead an aggravating "
            "factor at sentence."
        )
    return " ".join(parts) or None


def _ea2022_s30(facts: IncidentFacts, found: frozenset[str]) -> str | None:
    if not electoral_sanction_applies(facts):
        return None
    role = _ROLE[facts.target_role]
    listed = found & _SCHEDULE_9
    return (
        f"You were targeted as {role}, and reported conduct that may be {_titles(listed)}. If the court finds the "
        f"offence was aggravated by hostility related to your being {role} (shown at the time, or the reason for "
        "it), it must also bar an offender aged 18 or over from standing for or holding elected office for 5 "
        "years, unless that would be unjust. Tell the police why you think your role was the reason: what was "
        "said about your candidacy, party, votes or office."
    )


# --- evidence lines, written for the person who has to collect them -------------------------------
# Plain instructions to the candidate, marked for the Welsh catalogue (the page translates each line;
# the evidence pack for the police keeps them English). The statutory wording above stays English.

_SCREENSHOTS = gettext_noop(
    "Screenshots of each message or post showing the full web address (URL), the date and time, and the "
    "account's handle and profile link, not only its display name"
)
_ORIGINALS = gettext_noop(
    "The original messages, kept on your phone or account (do not delete or block before saving them); for "
    "emails, the original with its full headers, forwarded as an attachment"
)
_CALL_LOG = gettext_noop("Your call log and texts showing the caller's number, date, time and length of each call; voicemails saved")
_LETTER = gettext_noop(
    "Any letter, card or note, handled as little as possible and kept in a clean envelope, with the envelope "
    "and postmark"
)
_FOOTAGE = gettext_noop(
    "CCTV, doorbell or phone footage in its original file with date and time (copy it before it is overwritten)"
)
_WITNESSES = gettext_noop("Names and contact details of witnesses, and their own accounts written down as soon as possible")
_DIARY = gettext_noop(
    "A diary of each occasion: date, time, place, what was said or done, who saw it, and how it made you feel"
)
_LINKED = gettext_noop("The references of the linked incidents, and any police crime reference numbers already given")
_DESCRIPTION = gettext_noop(
    "The person's name if you know it, or a description: clothing, height, build, vehicle and registration"
)
_EXACT_WORDS = gettext_noop("The exact words used, written down straight away, in the order they were said")
_IMPACT = gettext_noop(
    "A note of how it has affected you: changes to your campaigning, routines, sleep, health or work (for a "
    "victim personal statement)"
)
_SIGNS = gettext_noop("Photographs of any signs, placards, banners or leaflets used")
_HOSTILITY = gettext_noop("The exact words, symbols or gestures that showed hostility, and when they were used")
_PUBLICATION = gettext_noop(
    "Copies of the leaflet, post, article or video; where and when it was published; who published or shared "
    "it, and its imprint (the promoter's name and address on printed or digital election material)"
)
_FALSITY = gettext_noop("What is false in it and how you can show that: documents, records or witnesses")
_ELECTION_DATES = gettext_noop("The dates of the notice of election, the close of nominations and polling day")
_VOTERS = gettext_noop(
    "Names of the voters approached (with their consent), what they were offered, told or threatened with, "
    "and when"
)


# Lines that only make sense for one channel; they are dropped when no occasion used that channel.
_CHANNEL_LINES: dict[str, frozenset[Place]] = {
    _SCREENSHOTS: frozenset({Place.ONLINE, Place.PHONE}),
    _ORIGINALS: frozenset({Place.ONLINE, Place.PHONE}),
    _CALL_LOG: frozenset({Place.PHONE}),
    _LETTER: frozenset({Place.POST}),
}


def _evidence_for(facts: IncidentFacts, guidance: OffenceGuidance) -> tuple[str, ...]:
    """The registry's lines that fit how it happened, plus the platform's name where the facts give one."""
    places = {facts.place} | {occasion.place for occasion in facts.linked_occasions}
    lines = [line for line in guidance.evidence if places & _CHANNEL_LINES.get(line, places)]
    if facts.place is Place.ONLINE and facts.platform and guidance.code in _COMMUNICATIONS:
        lines.insert(
            0,
            f"The {facts.platform} account's handle and profile URL, and {facts.platform}'s report reference "
            "if you reported it",
        )
    return tuple(dict.fromkeys(lines))


# --- the table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    guidance: OffenceGuidance
    rule: Rule


_PHA = "Protection from Harassment Act 1997"
_CDA98 = "Crime and Disorder Act 1998"
_POA = "Public Order Act 1986"
_RPA = "Representation of the People Act 1983"
_OSA = "Online Safety Act 2023"

_CDA1998_TEST = (
    "An offence is racially or religiously aggravated if, at the time, or immediately before or after, the offender "
    "demonstrates towards the victim hostility based on the victim's membership (or presumed membership) of a "
    "racial or religious group, or if it is motivated (wholly or partly) by such hostility (section 28)."
)


def _entry(
    code: str,
    act: str,
    section: str,
    title: str,
    kind: GuidanceKind,
    law: str,
    evidence: tuple[str, ...],
    max_penalty: str,
    rule: Rule,
) -> _Entry:
    return _Entry(OffenceGuidance(code, act, section, title, kind, law, evidence, max_penalty), rule)


_O, _A, _S = GuidanceKind.OFFENCE, GuidanceKind.AGGRAVATION, GuidanceKind.SANCTION

# Most serious first (by the highest statutory maximum), which is also the order of the result.
_TABLE: tuple[_Entry, ...] = (
    _entry(
        "cda1998_s30", _CDA98, "section 30", "Racially or religiously aggravated criminal damage", _A,
        "Criminal damage (Criminal Damage Act 1971 s1(1)) that is racially or religiously aggravated. " + _CDA1998_TEST,
        (_HOSTILITY, _WITNESSES, _FOOTAGE),
        "14 years' imprisonment",
        _cda1998("cda1998_s30"),
    ),
    _entry(
        "cda1998_s32", _CDA98, "section 32", "Racially or religiously aggravated harassment or stalking", _A,
        "Harassment, stalking or putting people in fear of violence (Protection from Harassment Act 1997 s2, s2A, "
        "s4 or s4A) that is racially or religiously aggravated. " + _CDA1998_TEST,
        (_HOSTILITY, _DIARY, _LINKED),
        "14 years' imprisonment (aggravated s4 or s4A); 2 years (aggravated s2 or s2A)",
        _cda1998("cda1998_s32"),
    ),
    _entry(
        "pha1997_s4a", _PHA, "section 4A", "Stalking involving fear of violence or serious alarm or distress", _O,
        "A course of conduct that amounts to stalking and either causes the person to fear, on at least two "
        "occasions, that violence will be used against them, or causes them serious alarm or distress which has a "
        "substantial adverse effect on their usual day-to-day activities, where the stalker knows or ought to know "
        "that it will (section 4A(1)).",
        (_DIARY, _LINKED, _IMPACT, _FOOTAGE, _WITNESSES),
        "10 years' imprisonment",
        _pha_s4a,
    ),
    _entry(
        "pha1997_s4", _PHA, "section 4", "Putting people in fear of violence", _O,
        "A person whose course of conduct causes another to fear, on at least two occasions, that violence will be "
        "used against them commits an offence if they know or ought to know that their course of conduct will "
        "cause the other so to fear on each of those occasions (section 4(1)).",
        (_DIARY, _EXACT_WORDS, _LINKED, _WITNESSES, _IMPACT),
        "10 years' imprisonment",
        _pha_s4,
    ),
    _entry(
        "oapa1861_s16", "Offences Against the Person Act 1861", "section 16", "Threats to kill", _O,
        "A person who without lawful excuse makes to another a threat, intending that that other would fear it "
        "would be carried out, to kill that other or a third person (section 16). The threat can be made in any "
        "way: face to face, in writing, by phone or online.",
        (
            _EXACT_WORDS,
            _ORIGINALS,
            _SCREENSHOTS,
            _WITNESSES,
            gettext_noop("Anything that made the threat believable: a weapon, knowledge of your address or movements, "
                         "earlier threats"),
        ),
        "10 years' imprisonment",
        _oapa_s16,
    ),
    _entry(
        "cda1971_s1", "Criminal Damage Act 1971", "section 1(1)", "Criminal damage", _O,
        "A person who without lawful excuse destroys or damages any property belonging to another, intending to "
        "destroy or damage it or being reckless as to whether it would be destroyed or damaged (section 1(1)). "
        "Damage worth £5,000 or less is tried in the magistrates' court.",
        (
            gettext_noop("Photographs of the damage before anything is cleaned or repaired, with the date, time and place"),
            gettext_noop("Quotes, invoices or receipts for repair or replacement (the value decides which court hears it)"),
            gettext_noop("Where the posters or boards were, and the landowner's permission for them"),
            _FOOTAGE,
            _WITNESSES,
        ),
        "10 years' imprisonment (3 months where the damage is worth £5,000 or less)",
        _cda1971_s1,
    ),
    _entry(
        "cda1998_s29", _CDA98, "section 29", "Racially or religiously aggravated assault", _A,
        "Common assault, or assault occasioning actual bodily harm or wounding (Offences Against the Person Act "
        "1861 s47 or s20), that is racially or religiously aggravated. " + _CDA1998_TEST,
        (_HOSTILITY, _WITNESSES, _FOOTAGE),
        "2 years' imprisonment (aggravated common assault); 7 years (aggravated s20 or s47)",
        _cda1998("cda1998_s29"),
    ),
    _entry(
        "osa2023_s181", _OSA, "section 181", "Threatening communications", _O,
        "Sending a message that conveys a threat of death or serious harm, intending an individual encountering "
        "it to fear that the threat would be carried out, or being reckless as to whether they would (whether or "
        "not by the sender) (section 181(1)). Serious harm means grievous bodily harm, rape, assault by "
        "penetration or serious financial loss (section 181(2)). Sending a message includes posting online, "
        "texting, calling and sending a letter (section 182). In force since 31 January 2024; it replaced the "
        "'threat' limb of the Malicious Communications Act 1988 s1.",
        (_SCREENSHOTS, _ORIGINALS, _CALL_LOG, _LETTER, _EXACT_WORDS),
        "5 years' imprisonment",
        _osa_s181,
    ),
    _entry(
        "mca1988_s1", "Malicious Communications Act 1988", "section 1", "Sending indecent or grossly offensive messages", _O,
        "Sending a letter, electronic communication or article of any description that conveys a message which "
        "is indecent or grossly offensive, or is itself indecent or grossly offensive, where the sender's purpose "
        "(or one of them) is that it should cause distress or anxiety to the recipient or anyone they intend it to "
        "reach (section 1(1)). Since 31 January 2024 its 'threat' and 'false information' limbs no longer apply "
        "in England and Wales: the Online Safety Act 2023 s181 and s179 replaced them.",
        (_ORIGINALS, _SCREENSHOTS, _LETTER, gettext_noop("Who else the message was sent to or shown to")),
        "2 years' imprisonment",
        _mca_s1,
    ),
    _entry(
        "cda1998_s31", _CDA98, "section 31", "Racially or religiously aggravated public order offences", _A,
        "An offence under the Public Order Act 1986 s4, s4A or s5 that is racially or religiously aggravated. "
        + _CDA1998_TEST,
        (_HOSTILITY, _WITNESSES, _FOOTAGE),
        "2 years' imprisonment (aggravated s4 or s4A); a fine (aggravated s5)",
        _cda1998("cda1998_s31"),
    ),
    _entry(
        "rpa1983_s60", _RPA, "section 60", "Personation", _O,
        "Voting as some other person, living, dead or fictitious, in person, by post or as a proxy, or voting as "
        "proxy for someone without being entitled to, is personation, a corrupt practice (section 60).",
        (
            gettext_noop("The polling station or postal vote concerned, the date and time, and the elector's name and number"),
            _WITNESSES,
            gettext_noop("Any tendered ballot paper or note made by the presiding officer"),
        ),
        "2 years' imprisonment",
        _rpa_s60,
    ),
    _entry(
        "rpa1983_s113", _RPA, "section 113", "Bribery", _O,
        "Giving, lending, offering or promising money, or procuring or offering any office or employment, to or "
        "for a voter or anyone else in order to induce a voter to vote or refrain from voting (or because they "
        "did) is bribery, a corrupt practice (section 113).",
        (
            gettext_noop("Leaflets, messages or offers showing what was offered, to whom and by whom"),
            _VOTERS,
            _WITNESSES,
        ),
        "1 year's imprisonment",
        _rpa_s113,
    ),
    _entry(
        "rpa1983_s114a", _RPA, "section 114A", "Undue influence", _O,
        "Using or threatening violence, damaging or threatening to damage property or reputation, causing or "
        "threatening financial loss, causing spiritual injury or placing undue spiritual pressure, any other act "
        "designed to intimidate, or any act designed to deceive a person about the administration of an "
        "election, for the purpose of inducing or compelling a person to vote in a particular way or to refrain "
        "from voting, or otherwise impeding the free exercise of the franchise, is undue influence, a corrupt "
        "practice (section 114A, as substituted by the Elections Act 2022).",
        (_VOTERS, _PUBLICATION, _WITNESSES),
        "1 year's imprisonment",
        _rpa_s114a,
    ),
    _entry(
        "rpa1983_s114", _RPA, "section 114", "Treating", _O,
        "Corruptly giving or providing, or paying for, any meat, drink, entertainment or provision, before, "
        "during or after an election, to corruptly influence a person to vote or refrain from voting, is "
        "treating, a corrupt practice (section 114). A voter who corruptly accepts it is guilty too.",
        (
            gettext_noop("Photographs, receipts or invitations for the food, drink or entertainment provided"),
            _VOTERS,
            _WITNESSES,
        ),
        "1 year's imprisonment",
        _rpa_s114,
    ),
    _entry(
        "pha1997_s2a", _PHA, "section 2A", "Stalking", _O,
        "Harassment (a course of conduct in breach of section 1(1)) is stalking when its acts or omissions are "
        "associated with stalking. Section 2A(3) gives examples: following a person; contacting, or attempting to "
        "contact, a person by any means; publishing any statement or other material relating or purporting to "
        "relate to a person, or purporting to originate from a person; monitoring a person's use of the internet, "
        "email or other electronic communication; loitering in any place, public or private; interfering with any "
        "property in the possession of a person; watching or spying on a person. A course of conduct needs at "
        "least two occasions (section 7(3)(a)).",
        (_DIARY, _LINKED, _FOOTAGE, _SCREENSHOTS, _DESCRIPTION, _IMPACT),
        "6 months' imprisonment",
        _pha_s2a,
    ),
    _entry(
        "pha1997_s2", _PHA, "section 2", "Harassment", _O,
        "Pursuing a course of conduct which amounts to harassment of another, and which the person knows or ought "
        "to know amounts to harassment (sections 1(1) and 2). Harassment includes alarming a person or causing "
        "them distress, and conduct includes speech (section 7). A course of conduct must involve conduct on at "
        "least two occasions in relation to that person (section 7(3)(a)).",
        (_DIARY, _LINKED, _SCREENSHOTS, _FOOTAGE, _WITNESSES, _IMPACT),
        "6 months' imprisonment",
        _pha_s2,
    ),
    _entry(
        "cjpa2001_s42a", "Criminal Justice and Police Act 2001", "section 42A", "Harassment of a person in their home", _O,
        "Being present outside or in the vicinity of a person's home for the purpose of representing to or "
        "persuading the resident that they should not do something they are entitled or required to do, or "
        "should do something they are under no obligation to do; intending the presence to amount to harassment "
        "of, or to cause alarm or distress to, the resident, or knowing or when they ought to know that it is "
        "likely to; where the presence amounts to, or is likely to result in, harassment, alarm or distress to the "
        "resident, someone in the home or a neighbour (section 42A(1)).",
        (
            _FOOTAGE,
            _DESCRIPTION,
            gettext_noop("What they said they wanted you to do or stop doing: chants, placards, leaflets, messages"),
            _SIGNS,
            gettext_noop("Names of neighbours or household members who saw it or were distressed"),
        ),
        "6 months' imprisonment",
        _cjpa_s42a,
    ),
    _entry(
        "poa1986_s4", _POA, "section 4", "Fear or provocation of violence", _O,
        "Using towards another person threatening, abusive or insulting words or behaviour, or distributing or "
        "displaying to them any writing, sign or other visible representation which is threatening, abusive or "
        "insulting, with intent to cause them to believe that immediate unlawful violence will be used against "
        "them or another, or to provoke such violence, or whereby they are likely to believe such violence will be "
        "used (section 4(1)). It does not apply where both people are inside a dwelling (section 4(2)).",
        (_EXACT_WORDS, _WITNESSES, _FOOTAGE, _DESCRIPTION, _SIGNS),
        "6 months' imprisonment",
        _poa_s4,
    ),
    _entry(
        "poa1986_s4a", _POA, "section 4A", "Intentional harassment, alarm or distress", _O,
        "With intent to cause a person harassment, alarm or distress, using threatening, abusive or insulting "
        "words or behaviour, or disorderly behaviour, or displaying any writing, sign or other visible "
        "representation which is threatening, abusive or insulting, thereby causing that or another person "
        "harassment, alarm or distress (section 4A(1)).",
        (_EXACT_WORDS, _WITNESSES, _FOOTAGE, _DESCRIPTION, _SIGNS),
        "6 months' imprisonment",
        _poa_s4a,
    ),
    _entry(
        "cja1988_s39", "Criminal Justice Act 1988", "section 39", "Common assault and battery", _O,
        "Common assault is causing a person to apprehend immediate unlawful force; battery is applying unlawful "
        "force, however slight (a push, a slap, spitting at someone). Both are charged under section 39.",
        (
            gettext_noop("Photographs of any injury and notes from your GP, NHS 111, a walk-in centre or A&E"),
            gettext_noop("Clothing that was spat on or marked, kept unwashed in a paper bag"),
            _FOOTAGE,
            _WITNESSES,
            _DESCRIPTION,
        ),
        "6 months' imprisonment",
        _cja1988_s39,
    ),
    _entry(
        "ca2003_s127", "Communications Act 2003", "section 127", "Improper use of a public electronic communications network", _O,
        "Sending, or causing to be sent, by means of a public electronic communications network (the internet, a "
        "phone or text network) a message or other matter that is grossly offensive or of an indecent, obscene or "
        "menacing character (section 127(1)); or persistently making use of such a network to cause annoyance, "
        "inconvenience or needless anxiety to another (section 127(2)(c)). The message need not be received. It "
        "does not cover letters. Its false-message limbs (section 127(2)(a) and (b)) were repealed in England and "
        "Wales on 31 January 2024; knowingly false messages now fall under the Online Safety Act 2023 s179.",
        (_SCREENSHOTS, _ORIGINALS, _CALL_LOG),
        "6 months' imprisonment",
        _ca_s127,
    ),
    _entry(
        "osa2023_s179", _OSA, "section 179", "False communications", _O,
        "Sending a message that conveys information the sender knows to be false, intending at the time to cause "
        "non-trivial psychological or physical harm to a likely audience, without reasonable excuse (section "
        "179(1)). Sending a message includes posting online and sending letters (section 182). Recognised news "
        "publishers and broadcasters are exempt. In force since 31 January 2024.",
        (_SCREENSHOTS, _ORIGINALS, _FALSITY, gettext_noop("How far it spread: shares, views and replies, with screenshots")),
        "6 months' imprisonment",
        _osa_s179,
    ),
    _entry(
        "poa1986_s5", _POA, "section 5", "Harassment, alarm or distress", _O,
        "Using threatening or abusive words or behaviour, or disorderly behaviour, or displaying any writing, sign "
        "or other visible representation which is threatening or abusive, within the hearing or sight of a person "
        "likely to be caused harassment, alarm or distress by it (section 5(1)). No intent is needed; it is a "
        "defence that the conduct was reasonable (section 5(3)). 'Insulting' was removed from section 5 by the "
        "Crime and Courts Act 2013 (from 1 February 2014).",
        (_EXACT_WORDS, _WITNESSES, _FOOTAGE, _DESCRIPTION, _SIGNS),
        "A fine (level 3, up to £1,000)",
        _poa_s5,
    ),
    _entry(
        "rpa1983_s106", _RPA, "section 106", "False statements about a candidate", _O,
        "Before or during an election, for the purpose of affecting the return of any candidate, making or "
        "publishing any false statement of fact in relation to the candidate's personal character or conduct is "
        "an illegal practice, unless the person can show they had reasonable grounds for believing, and did "
        "believe, it to be true (section 106(1)). It covers statements about the person, not about their "
        "politics or public conduct.",
        (_PUBLICATION, _FALSITY, _ELECTION_DATES, _SCREENSHOTS),
        "A fine (an illegal practice)",
        _rpa_s106,
    ),
    _entry(
        "rpa1983_s97", _RPA, "section 97", "Disturbance at an election meeting", _O,
        "At a lawful public meeting to which the section applies (a political meeting in the constituency during "
        "a parliamentary election, or a meeting about a local government election in its area on or within three "
        "weeks before polling day), acting, or inciting others to act, in a disorderly manner for the purpose of "
        "preventing the transaction of the business for which the meeting was called is an illegal practice "
        "(section 97).",
        (
            gettext_noop("The meeting's name, organiser, venue, date and time, and any official recording or livestream"),
            _FOOTAGE,
            _WITNESSES,
            _DESCRIPTION,
        ),
        "A fine (an illegal practice)",
        _rpa_s97,
    ),
    _entry(
        "sa2020_s66", "Sentencing Act 2020", "section 66", "Hostility as an aggravating factor at sentence", _A,
        "When sentencing any offence, the court must treat hostility based on race, religion, disability, sexual "
        "orientation or transgender identity (demonstrated towards the victim at the time, or immediately before "
        "or after, or motivating the offence) as an aggravating factor, and must say so in open court (section "
        "66). For race and religion it does not apply to the Crime and Disorder Act 1998 ss29–32 offences, which "
        "build the hostility into the offence itself.",
        (_HOSTILITY, _WITNESSES, _SCREENSHOTS),
        "",
        _sa2020_s66,
    ),
    _entry(
        "ea2022_s30", "Elections Act 2022", "section 30 and Schedule 9", "Electoral disqualification order", _S,
        "When an offender aged 18 or over is convicted of an offence listed in Schedule 9 (which covers the main "
        "offences of violence, threats, harassment, public order, criminal damage and abusive communications) "
        "and the offence is aggravated by hostility related to the victim being a candidate, an elected "
        "office-holder or a campaigner, the court must make an order disqualifying the offender from standing for, "
        "being elected to or holding relevant elective offices for 5 years, unless it would be unjust to do so "
        "(section 30). In force since 1 November 2023.",
        (
            gettext_noop("Anything that shows you were targeted because you are a candidate, campaigner or office-holder: "
                         "references to your election, party, votes, leaflets or office"),
            gettext_noop("Proof of your role: the statement of persons nominated, your agent's appointment, or your council "
                         "or Parliament page"),
            _LINKED,
        ),
        "5 years' disqualification from elected office",
        _ea2022_s30,
    ),
)

OFFENCES: tuple[OffenceGuidance, ...] = tuple(entry.guidance for entry in _TABLE)
"""Everything the engine knows, most serious first; ``why`` here is the statute's test."""

_BY_CODE: dict[str, OffenceGuidance] = {g.code: g for g in OFFENCES}
_TITLES: dict[str, str] = {g.code: f"{g.title.lower()} ({g.act} {g.section.replace('section ', 's')})" for g in OFFENCES}

_ELECTORAL_CODES = frozenset({"rpa1983_s60", "rpa1983_s97", "rpa1983_s106", "rpa1983_s113", "rpa1983_s114", "rpa1983_s114a"})
# The offences here that Elections Act 2022 Schedule 9 lists. Checked against the Schedule's text:
# Criminal Damage Act 1971 s1 (para 27), Public Order Act 1986 ss4, 4A, 5 (para 35), and Online Safety
# Act 2023 ss179, 181 (added by that Act's Schedule 14). The others are taken to be listed from the
# Schedule's stated scope (intimidation offences); confirm against legislation.gov.uk when it changes.
_SCHEDULE_9 = frozenset(
    g.code for g in OFFENCES if g.kind is GuidanceKind.OFFENCE and g.code not in _ELECTORAL_CODES
)
_COMMUNICATIONS = frozenset({"mca1988_s1", "ca2003_s127", "osa2023_s179", "osa2023_s181", "oapa1861_s16"})


def _titles(codes: Iterable[str]) -> str:
    chosen = set(codes)
    return "; ".join(_TITLES[g.code] for g in OFFENCES if g.code in chosen)


def _offence_reasons(facts: IncidentFacts) -> dict[str, str]:
    """The offences (not aggravations or sanctions) whose rules fire, with their reasons."""
    reasons: dict[str, str] = {}
    for entry in _TABLE:
        if entry.guidance.kind is GuidanceKind.OFFENCE:
            reason = entry.rule(facts, frozenset())
            if reason:
                reasons[entry.guidance.code] = reason
    return reasons


def electoral_sanction_applies(facts: IncidentFacts) -> bool:
    """Whether the Elections Act 2022 disqualification order may follow a conviction.

    True when the facts describe hostile conduct (not only a false statement, impersonation or an
    electoral-process offence) that may be a Schedule 9 offence. Every ``TargetRole`` is covered: a
    candidate, a campaigner and an elected office-holder.
    """
    if not _all_behaviours(facts) & _HOSTILE:
        return False
    return bool(set(_offence_reasons(facts)) & _SCHEDULE_9)


def _notes(facts: IncidentFacts, codes: frozenset[str]) -> dict[str, str]:
    """Extra sentences that belong on one item each, so they are said once, not on every item."""
    notes: dict[str, list[str]] = {}
    offences = [g.code for g in OFFENCES if g.code in codes and g.kind is GuidanceKind.OFFENCE]
    if not offences:
        return {}
    first = offences[0]
    person = [code for code in offences if code in _SCHEDULE_9]
    if ProtectedCharacteristic.SEX in facts.characteristics:
        target = "sa2020_s66" if "sa2020_s66" in codes else (person[0] if person else first)
        notes.setdefault(target, []).append(
            "You reported hostility because of your sex or gender. This is not currently a statutory aggravating "
            "factor in England and Wales (it is not one of the characteristics in the Crime and Disorder Act 1998 "
            "or the Sentencing Act 2020 s66), but ask for it to be recorded: the court can still weigh it in "
            "judging how serious the offence was, and some police forces record misogyny as a hate incident."
        )
    if Behaviour.PROTECTED_CHARACTERISTIC_HOSTILITY in facts.behaviours and not facts.characteristics:
        notes.setdefault(person[0] if person else first, []).append(
            "You reported hostility because of who you are: tell the police which characteristic (race, religion, "
            "sexual orientation, disability, transgender identity, or sex), because that decides whether an "
            "aggravated offence or a higher sentence may follow."
        )
    if not course_of_conduct(facts) and facts.behaviours & _OFTEN_REPEATED:
        notes.setdefault(first, []).append(
            "Only this one occasion is known. If the same person has done anything like this before, link those "
            "incidents: two or more occasions can make a course of conduct under the Protection from Harassment "
            "Act 1997 (harassment and stalking)."
        )
    return {code: " ".join(lines) for code, lines in notes.items()}


def offences_for(facts: IncidentFacts) -> list[OffenceGuidance]:
    """The offences, aggravations and sanction that may apply to these facts, most serious first.

    Deterministic and without duplicates: the result follows the order of ``OFFENCES``, each code at
    most once. Each item's ``why`` says which reported facts made it relevant, then what the law says.
    """
    reasons = _offence_reasons(facts)
    found = frozenset(reasons)
    for entry in _TABLE:
        if entry.guidance.kind is not GuidanceKind.OFFENCE:
            reason = entry.rule(facts, found)
            if reason:
                reasons[entry.guidance.code] = reason
    notes = _notes(facts, frozenset(reasons))
    result = []
    for guidance in OFFENCES:
        if guidance.code not in reasons:
            continue
        why = " ".join(part for part in (reasons[guidance.code], notes.get(guidance.code, ""), "The law: " + guidance.why) if part)
        result.append(replace(guidance, why=why, evidence=_evidence_for(facts, guidance)))
    return result
