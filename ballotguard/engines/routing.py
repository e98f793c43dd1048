"""Where a candidate should report an incident, and why, worked out from the facts alone.

The advice is a list of routes, each with a plain-English reason tied to what the candidate told
us. A few rules are fixed and must never be weakened:

- **999 comes first, always.** It is urgent when someone is in danger now; otherwise it is a
  standing reminder. When someone is in danger now, 999 replaces 101: the call handler takes the
  whole account, so we do not send the candidate to a second number as well.
- Crimes that are not emergencies go to **101 or police.uk**.
- Election offences (bribery, treating, undue influence, personation, false statements about a
  candidate, impersonation) go to **the police's election-crime network**: 101, asking for the force's
  election single point of contact (SPOC). Electoral fraud goes to **Report Fraud** as well, and the
  advice says why both. Report Fraud (reportfraud.police.uk, 0300 123 2040) replaced Action Fraud on
  4 December 2025; the advice names the old service only to say so, because people still search for it.
- Anything online also goes to **the platform**, after the evidence has been kept.
- The **Electoral Commission** regulates election material (digital imprints, impersonation in
  campaign material) and campaign finance. It does not deal with crimes against the person.
- The **FEOA** is always listed, last: an adviser on safety, not a way to report a crime.

Ballotguard records crime reference numbers but never reports a crime itself, so no text here may
say or imply that a report has been made.

The order is fixed: 999, then anything urgent, then the police routes, then the others, and the FEOA
last; within a group, the order of :class:`Route`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ballotguard.engines.incident_facts import Behaviour, IncidentFacts, Place


class Route(str, enum.Enum):
    EMERGENCY_999 = "999"
    POLICE_101 = "101"  # 101 or police.uk online
    ELECTION_FRAUD_POLICE = "election_fraud_police"  # the police's election-crime network, via 101 and the election SPOC
    REPORT_FRAUD = "report_fraud"  # the national fraud reporting service (Action Fraud until 4 December 2025)
    PLATFORM = "platform"  # the platform's own reporting tools
    ELECTORAL_COMMISSION = "electoral_commission"
    FEOA = "feoa"  # the force's elected-official adviser: safety advice, not a crime-reporting route


@dataclass(frozen=True)
class RouteAdvice:
    route: Route
    title: str  # e.g. "Call 999 now"
    why: str  # plain English: why this route for these facts
    how: str  # how to make contact: a number or a website
    urgent: bool


# Behaviours that can be crimes for the local police (101), in the words used to explain why.
_POLICE_CRIMES: dict[Behaviour, str] = {
    Behaviour.THREAT_TO_KILL_OR_HARM: "a threat to kill or harm",
    Behaviour.THREAT_OF_SEXUAL_VIOLENCE: "a threat of sexual violence",
    Behaviour.ASSAULT: "an assault",
    Behaviour.TURNING_UP_AT_HOME: "turning up at your home",
    Behaviour.FOLLOWING_OR_LOITERING: "following you or loitering",
    Behaviour.REPEATED_UNWANTED_CONTACT: "repeated unwanted contact",
    Behaviour.DAMAGE_TO_PROPERTY: "damage to property",
    Behaviour.INTIMIDATION_AT_EVENT: "intimidation at an event",
    Behaviour.PROTECTED_CHARACTERISTIC_HOSTILITY: "hostility because of who you are",
    Behaviour.ABUSIVE_OR_HATEFUL_MESSAGE: "an abusive or hateful message",
    Behaviour.PUBLISHING_HOME_ADDRESS: "publishing your home address",
}

# Non-emergency crimes the police should hear about the same day.
_PROMPT: frozenset[Behaviour] = frozenset(
    {Behaviour.THREAT_TO_KILL_OR_HARM, Behaviour.THREAT_OF_SEXUAL_VIOLENCE, Behaviour.ASSAULT, Behaviour.TURNING_UP_AT_HOME}
)

# Election offences, for officers trained in election crime.
_ELECTION_OFFENCES: dict[Behaviour, str] = {
    Behaviour.BRIBERY_OR_ELECTORAL_FRAUD: "electoral fraud (bribery, treating or personation)",
    Behaviour.PRESSURE_ON_VOTING: "pressure on how someone votes (undue influence)",
    Behaviour.FALSE_STATEMENT_ABOUT_CHARACTER: "a false statement about a candidate's character",
    Behaviour.IMPERSONATION_OR_DEEPFAKE: "impersonation or a deepfake of a candidate",
}

# What the Electoral Commission regulates that these behaviours can touch: election material.
_COMMISSION_MATTERS: frozenset[Behaviour] = frozenset(
    {Behaviour.IMPERSONATION_OR_DEEPFAKE, Behaviour.FALSE_STATEMENT_ABOUT_CHARACTER}
)

_POLICE_ROUTES = (Route.POLICE_101, Route.ELECTION_FRAUD_POLICE, Route.REPORT_FRAUD)
_ROUTE_ORDER = {r: i for i, r in enumerate(Route)}


def route(facts: IncidentFacts) -> list[RouteAdvice]:
    """The routes for these facts: 999 first, the FEOA last, no route twice."""
    advice = [_emergency(facts)]
    if not facts.in_danger_now and facts.has(*_POLICE_CRIMES):
        advice.append(_police_101(facts))
    if facts.has(*_ELECTION_OFFENCES):
        advice.append(_election_police(facts))
    if facts.has(Behaviour.BRIBERY_OR_ELECTORAL_FRAUD):
        advice.append(_report_fraud())
    if _is_online(facts):
        advice.append(_platform(facts))
    if facts.has(*_COMMISSION_MATTERS):
        advice.append(_electoral_commission())
    advice.append(_feoa())
    return _ordered(advice)


def _ordered(advice: list[RouteAdvice]) -> list[RouteAdvice]:
    unique = {a.route: a for a in advice}

    def key(a: RouteAdvice) -> tuple[int, int]:
        if a.route is Route.EMERGENCY_999:
            group = 0
        elif a.route is Route.FEOA:
            group = 4
        elif a.urgent:
            group = 1
        elif a.route in _POLICE_ROUTES:
            group = 2
        else:
            group = 3
        return group, _ROUTE_ORDER[a.route]

    return sorted(unique.values(), key=key)


def _is_online(facts: IncidentFacts) -> bool:
    return facts.place is Place.ONLINE or bool(facts.platform.strip())


def _listed(phrases: list[str], *, kind: str) -> str:
    """``["a threat", "an assault"]`` → ``"A threat and an assault can be crimes"``."""
    text = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    verb = f"can be {'an' if kind[0] in 'aeiou' else 'a'} {kind}" if len(phrases) == 1 else f"can be {kind}s"
    return f"{text[0].upper()}{text[1:]} {verb}"


def _emergency(facts: IncidentFacts) -> RouteAdvice:
    if facts.in_danger_now:
        violence = [p for b, p in _POLICE_CRIMES.items() if b in (Behaviour.ASSAULT, Behaviour.TURNING_UP_AT_HOME) and facts.has(b)]
        because = f"You told us about {' and '.join(violence)} and that you are in danger now" if violence else "You told us you are in danger now"
        return RouteAdvice(
            route=Route.EMERGENCY_999,
            title="Call 999 now",
            why=f"{because}, or that the person is nearby: the police can send someone straight away. Do this before anything else.",
            how="Call 999. If you cannot speak, call 999 from a mobile and press 55 when asked, so the call handler knows it is a real emergency.",
            urgent=True,
        )
    return RouteAdvice(
        route=Route.EMERGENCY_999,
        title="If you are in immediate danger, call 999",
        why="If you or anyone with you is in immediate danger, or the person comes back or is nearby, call 999 at any time, before anything else on this page.",
        how="Call 999. If you cannot speak, call 999 from a mobile and press 55 when asked.",
        urgent=False,
    )


def _police_101(facts: IncidentFacts) -> RouteAdvice:
    crimes = [p for b, p in _POLICE_CRIMES.items() if facts.has(b)]
    prompt = facts.has(*_PROMPT) or facts.weapon_mentioned
    why = f"{_listed(crimes, kind='crime')}; as no one is in danger right now, the police take reports on 101 or online."
    if facts.occasions >= 2:
        why += f" Tell them about all {facts.occasions} linked incidents: together they can make a course of conduct, which is what harassment needs."
    elif prompt:
        why += " Do it today: the sooner the police know, the sooner they can act."
    return RouteAdvice(
        route=Route.POLICE_101,
        title="Report it to the police today on 101 or police.uk" if prompt else "Report it to the police on 101 or police.uk",
        why=why,
        how="Call 101, or report online at police.uk. Ask for the crime reference number and add it to your record here so your FEOA can follow it up.",
        urgent=prompt,
    )


def _election_police(facts: IncidentFacts) -> RouteAdvice:
    offences = [p for b, p in _ELECTION_OFFENCES.items() if facts.has(b)]
    return RouteAdvice(
        route=Route.ELECTION_FRAUD_POLICE,
        title="Report it to the police's election-crime team",
        why=(
            f"{_listed(offences, kind='election offence')}. Every force has officers trained in election crime, "
            "reached through its election single point of contact (SPOC)."
        ),
        how="Call 101 and ask for the force's election single point of contact (SPOC), or report online at police.uk and say it concerns an election.",
        urgent=False,
    )


def _report_fraud() -> RouteAdvice:
    return RouteAdvice(
        route=Route.REPORT_FRAUD,
        title="Report the fraud to Report Fraud as well",
        why=(
            "Report Fraud is the national reporting service for fraud, while the police's election team investigates the election offence locally. "
            "They keep separate records, so tell both and give each the other's reference number. "
            "Report Fraud replaced Action Fraud on 4 December 2025."
        ),
        how="Report online at reportfraud.police.uk or call 0300 123 2040.",
        urgent=False,
    )


def _platform(facts: IncidentFacts) -> RouteAdvice:
    name = facts.platform.strip()
    where = name or "the platform"
    doxxed = facts.has(Behaviour.PUBLISHING_HOME_ADDRESS)
    why = (
        f"Keep the evidence first: screenshots showing the web address (URL), the account name and the date and time, before you report or block. "
        f"Then report it to {where}, which can remove it; that is separate from telling the police."
    )
    if doxxed:
        why += " Ask for your home address to be taken down urgently."
    return RouteAdvice(
        route=Route.PLATFORM,
        title=f"Report it to {where}" if name else "Report it to the platform",
        why=why,
        how=f"Use {name}'s own reporting tools (the Report option on the post, message or account)." if name
        else "Use the platform's own reporting tools (the Report option on the post, message or account).",
        urgent=doxxed,
    )


def _electoral_commission() -> RouteAdvice:
    return RouteAdvice(
        route=Route.ELECTORAL_COMMISSION,
        title="Tell the Electoral Commission about the election material",
        why=(
            "The Electoral Commission regulates election material and campaign finance: material that impersonates you or makes claims about you "
            "without a digital imprint saying who published it is for them. It does not deal with crimes against you such as threats or abuse; those are for the police."
        ),
        how="Contact the Electoral Commission through electoralcommission.org.uk.",
        urgent=False,
    )


def _feoa() -> RouteAdvice:
    return RouteAdvice(
        route=Route.FEOA,
        title="Talk to your force's elected-official adviser (FEOA)",
        why=(
            "Your FEOA is a police adviser who can help with your safety: security at home and at events, and what to do next. "
            "Telling your FEOA is not the same as reporting a crime, so use the routes above for that."
        ),
        how="Your FEOA's contact details are shown in Ballotguard; you can also ask for them on 101.",
        urgent=False,
    )
