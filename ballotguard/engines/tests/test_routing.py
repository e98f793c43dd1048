"""Routing: 999 first, the right routes for the facts, the FEOA last, and no claim of a report made."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballotguard.engines.incidents.facts import Behaviour, IncidentFacts, Occasion, Place
from ballotguard.engines.incidents.routing import Route, RouteAdvice, route

B = Behaviour
CLAIMS_A_REPORT = re.compile(
    r"\b(we|ballotguard)('ve| have| has)? (already )?(reported|passed|sent|forwarded|told)\b|\b(has|have|was|were|been) (already )?(reported|passed on|sent to)\b",
    re.IGNORECASE,
)


def facts(*behaviours: Behaviour, **kwargs) -> IncidentFacts:
    return IncidentFacts(behaviours=frozenset(behaviours), **kwargs)


def routes_of(f: IncidentFacts) -> list[Route]:
    return [a.route for a in route(f)]


def advice_for(f: IncidentFacts, r: Route) -> RouteAdvice:
    return next(a for a in route(f) if a.route is r)


# (facts, route that must be present, words its why or how must contain)
INCLUDED = [
    pytest.param(facts(in_danger_now=True), Route.EMERGENCY_999, ["danger now"], id="999-in-danger"),
    pytest.param(facts(B.ABUSIVE_OR_HATEFUL_MESSAGE), Route.EMERGENCY_999, ["immediate danger"], id="999-reminder"),
    pytest.param(facts(B.ASSAULT), Route.POLICE_101, ["an assault", "police.uk"], id="101-assault-not-in-danger"),
    pytest.param(facts(B.THREAT_TO_KILL_OR_HARM, place=Place.PHONE), Route.POLICE_101, ["threat to kill"], id="101-threat"),
    pytest.param(facts(B.DAMAGE_TO_PROPERTY), Route.POLICE_101, ["damage to property"], id="101-damage"),
    pytest.param(
        facts(B.REPEATED_UNWANTED_CONTACT, linked_occasions=(Occasion(datetime(2024, 5, 1)),)),
        Route.POLICE_101, ["course of conduct"], id="101-course-of-conduct",
    ),
    pytest.param(facts(B.BRIBERY_OR_ELECTORAL_FRAUD), Route.ELECTION_FRAUD_POLICE, ["single point of contact", "101"], id="election-bribery"),
    pytest.param(facts(B.PRESSURE_ON_VOTING), Route.ELECTION_FRAUD_POLICE, ["undue influence"], id="election-undue-influence"),
    pytest.param(facts(B.FALSE_STATEMENT_ABOUT_CHARACTER), Route.ELECTION_FRAUD_POLICE, ["false statement"], id="election-false-statement"),
    pytest.param(facts(B.BRIBERY_OR_ELECTORAL_FRAUD), Route.REPORT_FRAUD, ["tell both", "reportfraud.police.uk", "0300 123 2040"], id="report-fraud"),
    pytest.param(facts(B.ABUSIVE_OR_HATEFUL_MESSAGE, place=Place.ONLINE), Route.PLATFORM, ["screenshots", "URL", "before you report or block"], id="platform-online"),
    pytest.param(facts(B.IMPERSONATION_OR_DEEPFAKE, platform="TikTok"), Route.PLATFORM, ["TikTok"], id="platform-named"),
    pytest.param(facts(B.IMPERSONATION_OR_DEEPFAKE), Route.ELECTORAL_COMMISSION, ["imprint", "not deal with crimes against you"], id="commission-deepfake"),
    pytest.param(facts(B.FALSE_STATEMENT_ABOUT_CHARACTER), Route.ELECTORAL_COMMISSION, ["electoralcommission.org.uk"], id="commission-material"),
    pytest.param(facts(), Route.FEOA, ["adviser", "not the same as reporting a crime"], id="feoa-always"),
]


@pytest.mark.parametrize("f, expected, words", INCLUDED)
def test_route_is_given_with_its_reason(f, expected, words):
    advice = advice_for(f, expected)
    text = (advice.why + " " + advice.how).lower()
    for word in words:
        assert word.lower() in text


EXCLUDED = [
    pytest.param(facts(B.ASSAULT, in_danger_now=True), Route.POLICE_101, id="no-101-when-999-is-urgent"),
    pytest.param(facts(B.ABUSIVE_OR_HATEFUL_MESSAGE, place=Place.PHONE), Route.PLATFORM, id="no-platform-for-a-text"),
    pytest.param(facts(B.PRESSURE_ON_VOTING), Route.REPORT_FRAUD, id="no-report-fraud-without-fraud"),
    pytest.param(facts(B.ASSAULT, B.THREAT_TO_KILL_OR_HARM), Route.ELECTORAL_COMMISSION, id="no-commission-for-crimes-against-the-person"),
    pytest.param(facts(B.IMPERSONATION_OR_DEEPFAKE), Route.POLICE_101, id="election-offence-not-general-101"),
]


@pytest.mark.parametrize("f, absent", EXCLUDED)
def test_route_is_left_out(f, absent):
    assert absent not in routes_of(f)


@pytest.mark.parametrize(
    "f, urgent",
    [
        pytest.param(facts(in_danger_now=True), True, id="danger-now"),
        pytest.param(facts(B.ASSAULT, in_danger_now=True), True, id="assault-danger-now"),
        pytest.param(facts(B.ASSAULT), False, id="assault-earlier"),
        pytest.param(facts(), False, id="nothing"),
    ],
)
def test_999_is_first_and_urgent_only_in_danger(f, urgent):
    first = route(f)[0]
    assert first.route is Route.EMERGENCY_999
    assert first.urgent is urgent
    assert first.title == ("Call 999 now" if urgent else "If you are in immediate danger, call 999")


@pytest.mark.parametrize(
    "f, expected",
    [
        pytest.param(facts(), [Route.EMERGENCY_999, Route.FEOA], id="nothing"),
        pytest.param(
            facts(B.BRIBERY_OR_ELECTORAL_FRAUD, B.IMPERSONATION_OR_DEEPFAKE, B.ABUSIVE_OR_HATEFUL_MESSAGE, place=Place.ONLINE),
            [Route.EMERGENCY_999, Route.POLICE_101, Route.ELECTION_FRAUD_POLICE, Route.REPORT_FRAUD, Route.PLATFORM, Route.ELECTORAL_COMMISSION, Route.FEOA],
            id="everything-non-urgent",
        ),
        pytest.param(
            facts(B.PUBLISHING_HOME_ADDRESS, B.BRIBERY_OR_ELECTORAL_FRAUD, place=Place.ONLINE),
            [Route.EMERGENCY_999, Route.PLATFORM, Route.POLICE_101, Route.ELECTION_FRAUD_POLICE, Route.REPORT_FRAUD, Route.FEOA],
            id="urgent-takedown-before-police",
        ),
        pytest.param(
            facts(B.THREAT_TO_KILL_OR_HARM, B.ABUSIVE_OR_HATEFUL_MESSAGE, place=Place.ONLINE, platform="X"),
            [Route.EMERGENCY_999, Route.POLICE_101, Route.PLATFORM, Route.FEOA],
            id="threat-online",
        ),
    ],
)
def test_order_is_fixed(f, expected):
    assert routes_of(f) == expected


def test_urgent_routes_come_before_the_rest():
    advice = route(facts(B.THREAT_TO_KILL_OR_HARM, B.PRESSURE_ON_VOTING))
    assert [a.route for a in advice] == [Route.EMERGENCY_999, Route.POLICE_101, Route.ELECTION_FRAUD_POLICE, Route.FEOA]
    assert advice[1].urgent and "today" in advice[1].title


@pytest.mark.parametrize(
    "text",
    ["We have reported this to the police.", "Your incident has been reported.", "It was reported to Report Fraud.", "Ballotguard has passed it on."],
)
def test_the_claim_detector_catches_claims(text):
    assert CLAIMS_A_REPORT.search(text)


def test_the_claim_detector_allows_instructions():
    assert not CLAIMS_A_REPORT.search("Telling your FEOA is not the same as reporting a crime; report it on 101.")


all_facts = st.builds(
    IncidentFacts,
    behaviours=st.frozensets(st.sampled_from(Behaviour)),
    place=st.sampled_from(Place),
    in_danger_now=st.booleans(),
    weapon_mentioned=st.booleans(),
    home_address_known=st.booleans(),
    perpetrator_known=st.booleans(),
    platform=st.sampled_from(["", "Facebook"]),
)


@given(all_facts)
def test_properties_hold_for_any_facts(f):
    advice = route(f)
    assert advice[0].route is Route.EMERGENCY_999 and advice[0].urgent is f.in_danger_now
    assert advice[-1].route is Route.FEOA and not advice[-1].urgent
    assert len({a.route for a in advice}) == len(advice)
    assert [a.urgent for a in advice[1:-1]] == sorted((a.urgent for a in advice[1:-1]), reverse=True)
    assert route(f) == advice  # deterministic
    for a in advice:
        assert a.title and a.why and a.how
        for text in (a.title, a.why, a.how):
            assert not CLAIMS_A_REPORT.search(text), text
