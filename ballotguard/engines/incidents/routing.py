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

Every sentence is English as written unless the caller passes a ``gettext`` (Django's, on a Welsh
page): the engine marks its strings for the catalogue and never imports Django
(:mod:`ballotguard.engines.common.i18n`). Sentences are whole messages with named placeholders, so a
translation can put the words in its own order.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ballotguard.engines.incidents.facts import Behaviour, IncidentFacts, Place
from ballotguard.engines.common.i18n import Translate, english, gettext_noop


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
    Behaviour.THREAT_TO_KILL_OR_HARM: gettext_noop("a threat to kill or harm"),
    Behaviour.THREAT_OF_SEXUAL_VIOLENCE: gettext_noop("a threat of sexual violence"),
    Behaviour.ASSAULT: gettext_noop("an assault"),
    Behaviour.TURNING_UP_AT_HOME: gettext_noop("turning up at your home"),
    Behaviour.FOLLOWING_OR_LOITERING: gettext_noop("following you or loitering"),
    Behaviour.REPEATED_UNWANTED_CONTACT: gettext_noop("repeated unwanted contact"),
    Behaviour.DAMAGE_TO_PROPERTY: gettext_noop("damage to property"),
    Behaviour.INTIMIDATION_AT_EVENT: gettext_noop("intimidation at an event"),
    Behaviour.PROTECTED_CHARACTERISTIC_HOSTILITY: gettext_noop("hostility because of who you are"),
    Behaviour.ABUSIVE_OR_HATEFUL_MESSAGE: gettext_noop("an abusive or hateful message"),
    Behaviour.PUBLISHING_HOME_ADDRESS: gettext_noop("publishing your home address"),
}

# Non-emergency crimes the police should hear about the same day.
_PROMPT: frozenset[Behaviour] = frozenset(
    {Behaviour.THREAT_TO_KILL_OR_HARM, Behaviour.THREAT_OF_SEXUAL_VIOLENCE, Behaviour.ASSAULT, Behaviour.TURNING_UP_AT_HOME}
)

# Election offences, for officers trained in election crime.
_ELECTION_OFFENCES: dict[Behaviour, str] = {
    Behaviour.BRIBERY_OR_ELECTORAL_FRAUD: gettext_noop("electoral fraud (bribery, treating or personation)"),
    Behaviour.PRESSURE_ON_VOTING: gettext_noop("pressure on how someone votes (undue influence)"),
    Behaviour.FALSE_STATEMENT_ABOUT_CHARACTER: gettext_noop("a false statement about a candidate's character"),
    Behaviour.IMPERSONATION_OR_DEEPFAKE: gettext_noop("impersonation or a deepfake of a candidate"),
}

# What the Electoral Commission regulates that these behaviours can touch: election material.
_COMMISSION_MATTERS: frozenset[Behaviour] = frozenset(
    {Behaviour.IMPERSONATION_OR_DEEPFAKE, Behaviour.FALSE_STATEMENT_ABOUT_CHARACTER}
)

_POLICE_ROUTES = (Route.POLICE_101, Route.ELECTION_FRAUD_POLICE, Route.REPORT_FRAUD)
_ROUTE_ORDER = {r: i for i, r in enumerate(Route)}


def route(facts: IncidentFacts, gettext: Translate = english) -> list[RouteAdvice]:
    """The routes for these facts: 999 first, the FEOA last, no route twice. ``gettext`` translates
    each sentence (English when left out)."""
    _ = gettext
    advice = [_emergency(facts, _)]
    if not facts.in_danger_now and facts.has(*_POLICE_CRIMES):
        advice.append(_police_101(facts, _))
    if facts.has(*_ELECTION_OFFENCES):
        advice.append(_election_police(facts, _))
    if facts.has(Behaviour.BRIBERY_OR_ELECTORAL_FRAUD):
        advice.append(_report_fraud(_))
    if _is_online(facts):
        advice.append(_platform(facts, _))
    if facts.has(*_COMMISSION_MATTERS):
        advice.append(_electoral_commission(_))
    advice.append(_feoa(_))
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


def _capitalised(text: str) -> str:
    return f"{text[0].upper()}{text[1:]}" if text else text


def _joined(phrases: list[str], _: Translate) -> str:
    """``["a threat", "an assault"]`` → ``"a threat and an assault"``, each phrase translated."""
    words = [_(p) for p in phrases]
    if len(words) == 1:
        return words[0]
    return _("%(first)s and %(last)s") % {"first": ", ".join(words[:-1]), "last": words[-1]}


def _crimes(phrases: list[str], _: Translate) -> str:
    """``"A threat and an assault can be crimes"``."""
    what = _joined(phrases, _)
    sentence = _("%(what)s can be a crime") if len(phrases) == 1 else _("%(what)s can be crimes")
    return _capitalised(sentence % {"what": what})


def _election_offences(phrases: list[str], _: Translate) -> str:
    """``"Electoral fraud (…) can be an election offence"``."""
    what = _joined(phrases, _)
    sentence = _("%(what)s can be an election offence") if len(phrases) == 1 else _("%(what)s can be election offences")
    return _capitalised(sentence % {"what": what})


def _emergency(facts: IncidentFacts, _: Translate) -> RouteAdvice:
    if facts.in_danger_now:
        violence = [p for b, p in _POLICE_CRIMES.items() if b in (Behaviour.ASSAULT, Behaviour.TURNING_UP_AT_HOME) and facts.has(b)]
        if violence:
            why = _(
                "You told us about %(what)s and that you are in danger now, or that the person is nearby: "
                "the police can send someone straight away. Do this before anything else."
            ) % {"what": " ".join([_(violence[0])] + [_("and %(next)s") % {"next": _(v)} for v in violence[1:]])}
        else:
            why = _(
                "You told us you are in danger now, or that the person is nearby: the police can send someone "
                "straight away. Do this before anything else."
            )
        return RouteAdvice(
            route=Route.EMERGENCY_999,
            title=_("Call 999 now"),
            why=why,
            how=_("Call 999. If you cannot speak, call 999 from a mobile and press 55 when asked, so the call handler knows it is a real emergency."),
            urgent=True,
        )
    return RouteAdvice(
        route=Route.EMERGENCY_999,
        title=_("If you are in immediate danger, call 999"),
        why=_("If you or anyone with you is in immediate danger, or the person comes back or is nearby, call 999 at any time, before anything else on this page."),
        how=_("Call 999. If you cannot speak, call 999 from a mobile and press 55 when asked."),
        urgent=False,
    )


def _police_101(facts: IncidentFacts, _: Translate) -> RouteAdvice:
    crimes = [p for b, p in _POLICE_CRIMES.items() if facts.has(b)]
    prompt = facts.has(*_PROMPT) or facts.weapon_mentioned
    why = _("%(crimes)s; as no one is in danger right now, the police take reports on 101 or online.") % {"crimes": _crimes(crimes, _)}
    if facts.occasions >= 2:
        why += " " + _(
            "Tell them about all %(occasions)s linked incidents: together they can make a course of conduct, which is what harassment needs."
        ) % {"occasions": facts.occasions}
    elif prompt:
        why += " " + _("Do it today: the sooner the police know, the sooner they can act.")
    return RouteAdvice(
        route=Route.POLICE_101,
        title=_("Report it to the police today on 101 or police.uk") if prompt else _("Report it to the police on 101 or police.uk"),
        why=why,
        how=_("Call 101, or report online at police.uk. Ask for the crime reference number and add it to your record here so your FEOA can follow it up."),
        urgent=prompt,
    )


def _election_police(facts: IncidentFacts, _: Translate) -> RouteAdvice:
    offences = [p for b, p in _ELECTION_OFFENCES.items() if facts.has(b)]
    return RouteAdvice(
        route=Route.ELECTION_FRAUD_POLICE,
        title=_("Report it to the police's election-crime team"),
        why=_(
            "%(offences)s. Every force has officers trained in election crime, reached through its election single point of contact (SPOC)."
        ) % {"offences": _election_offences(offences, _)},
        how=_("Call 101 and ask for the force's election single point of contact (SPOC), or report online at police.uk and say it concerns an election."),
        urgent=False,
    )


def _report_fraud(_: Translate) -> RouteAdvice:
    return RouteAdvice(
        route=Route.REPORT_FRAUD,
        title=_("Report the fraud to Report Fraud as well"),
        why=_(
            "Report Fraud is the national reporting service for fraud, while the police's election team investigates the election offence locally. "
            "They keep separate records, so tell both and give each the other's reference number. "
            "Report Fraud replaced Action Fraud on 4 December 2025."
        ),
        how=_("Report online at reportfraud.police.uk or call 0300 123 2040."),
        urgent=False,
    )


def _platform(facts: IncidentFacts, _: Translate) -> RouteAdvice:
    name = facts.platform.strip()
    where = name or _("the platform")
    doxxed = facts.has(Behaviour.PUBLISHING_HOME_ADDRESS)
    why = _(
        "Keep the evidence first: screenshots showing the web address (URL), the account name and the date and time, before you report or block. "
        "Then report it to %(where)s, which can remove it; that is separate from telling the police."
    ) % {"where": where}
    if doxxed:
        why += " " + _("Ask for your home address to be taken down urgently.")
    return RouteAdvice(
        route=Route.PLATFORM,
        title=_("Report it to %(where)s") % {"where": where} if name else _("Report it to the platform"),
        why=why,
        how=_("Use %(name)s's own reporting tools (the Report option on the post, message or account).") % {"name": name} if name
        else _("Use the platform's own reporting tools (the Report option on the post, message or account)."),
        urgent=doxxed,
    )


def _electoral_commission(_: Translate) -> RouteAdvice:
    return RouteAdvice(
        route=Route.ELECTORAL_COMMISSION,
        title=_("Tell the Electoral Commission about the election material"),
        why=_(
            "The Electoral Commission regulates election material and campaign finance: material that impersonates you or makes claims about you "
            "without a digital imprint saying who published it is for them. It does not deal with crimes against you such as threats or abuse; those are for the police."
        ),
        how=_("Contact the Electoral Commission through electoralcommission.org.uk."),
        urgent=False,
    )


def _feoa(_: Translate) -> RouteAdvice:
    return RouteAdvice(
        route=Route.FEOA,
        title=_("Talk to your force's elected-official adviser (FEOA)"),
        why=_(
            "Your FEOA is a police adviser who can help with your safety: security at home and at events, and what to do next. "
            "Telling your FEOA is not the same as reporting a crime, so use the routes above for that."
        ),
        how=_("Your FEOA's contact details are shown in Ballotguard; you can also ask for them on 101."),
        urgent=False,
    )
