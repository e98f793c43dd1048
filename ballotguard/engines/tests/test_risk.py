"""Risk: each factor's points, the HIGH and LOW guarantees, and properties over any facts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballotguard.engines.incidents.facts import Behaviour, IncidentFacts, Occasion, Place, ProtectedCharacteristic
from ballotguard.engines.incidents.risk import HIGH_THRESHOLD, MEDIUM_THRESHOLD, RiskLevel, assess_risk

B = Behaviour
DAY = timedelta(days=1)
T0 = datetime(2024, 4, 1, 9, 0)


def facts(*behaviours: Behaviour, **kwargs) -> IncidentFacts:
    return IncidentFacts(behaviours=frozenset(behaviours), **kwargs)


def occasion(days: float, *behaviours: Behaviour, place: Place = Place.OTHER) -> Occasion:
    return Occasion(occurred_at=T0 + days * DAY, behaviours=frozenset(behaviours), place=place)


def points(f: IncidentFacts) -> dict[str, int]:
    return {factor.code: factor.points for factor in assess_risk(f).factors}


FACTORS = [
    pytest.param(facts(in_danger_now=True), "danger_now", 50, id="danger-now"),
    pytest.param(facts(B.ASSAULT), "physical_approach", 50, id="approach-assault"),
    pytest.param(facts(B.TURNING_UP_AT_HOME), "physical_approach", 25, id="approach-at-home"),
    pytest.param(facts(B.FOLLOWING_OR_LOITERING), "physical_approach", 20, id="approach-following"),
    pytest.param(facts(B.INTIMIDATION_AT_EVENT, place=Place.HUSTINGS), "physical_approach", 20, id="approach-intimidation-in-person"),
    pytest.param(facts(B.ABUSIVE_OR_HATEFUL_MESSAGE, place=Place.STREET_CANVASSING), "physical_approach", 20, id="approach-abuse-face-to-face"),
    pytest.param(facts(B.THREAT_TO_KILL_OR_HARM, place=Place.ONLINE), "threat_specificity", 20, id="threat-bare"),
    pytest.param(facts(B.THREAT_TO_KILL_OR_HARM, perpetrator_known=True), "threat_specificity", 35, id="threat-named-perpetrator"),
    pytest.param(facts(B.THREAT_TO_KILL_OR_HARM, place=Place.OFFICE), "threat_specificity", 35, id="threat-in-person"),
    pytest.param(facts(B.THREAT_OF_SEXUAL_VIOLENCE, home_address_known=True), "threat_specificity", 35, id="threat-home-known"),
    pytest.param(facts(weapon_mentioned=True), "weapon", 25, id="weapon"),
    pytest.param(facts(home_address_known=True), "home_address_known", 20, id="home-flag"),
    pytest.param(facts(B.PUBLISHING_HOME_ADDRESS, place=Place.ONLINE), "home_address_known", 20, id="home-published"),
    pytest.param(facts(B.TURNING_UP_AT_HOME), "home_address_known", 20, id="home-turned-up"),
    pytest.param(facts(place=Place.HOME), "home_address_known", 20, id="home-place"),
    pytest.param(facts(B.REPEATED_UNWANTED_CONTACT), "fixation_repetition", 10, id="fixation-repeated-contact"),
    pytest.param(facts(linked_occasions=(occasion(0),)), "fixation_repetition", 10, id="fixation-one-linked"),
    pytest.param(facts(linked_occasions=tuple(occasion(d) for d in range(3))), "fixation_repetition", 20, id="fixation-three-linked"),
    pytest.param(
        facts(place=Place.HOME, occurred_at=T0 + 9 * DAY, linked_occasions=(occasion(0, place=Place.ONLINE),)),
        "escalation", 10, id="escalation-remote-to-in-person",
    ),
    pytest.param(
        facts(B.THREAT_TO_KILL_OR_HARM, linked_occasions=(occasion(0, B.ABUSIVE_OR_HATEFUL_MESSAGE),)),
        "escalation", 10, id="escalation-to-threat",
    ),
    pytest.param(
        facts(occurred_at=T0 + 12 * DAY, linked_occasions=(occasion(0), occasion(10))),
        "escalation", 10, id="escalation-closer-together",
    ),
    pytest.param(
        facts(B.THREAT_TO_KILL_OR_HARM, place=Place.HOME, occurred_at=T0 + 12 * DAY,
              linked_occasions=(occasion(0, B.ABUSIVE_OR_HATEFUL_MESSAGE, place=Place.ONLINE), occasion(10))),
        "escalation", 30, id="escalation-all-three-signs",
    ),
    pytest.param(facts(B.THREAT_OF_SEXUAL_VIOLENCE), "sexual_violence", 10, id="sexual-violence"),
    pytest.param(facts(B.PROTECTED_CHARACTERISTIC_HOSTILITY), "protected_characteristic", 10, id="protected-behaviour"),
    pytest.param(facts(characteristics=frozenset({ProtectedCharacteristic.RELIGION})), "protected_characteristic", 10, id="protected-named"),
]


@pytest.mark.parametrize("f, code, expected", FACTORS)
def test_factor_scores_its_points(f, code, expected):
    assert points(f)[code] == expected
    assert all(factor.why for factor in assess_risk(f).factors)


ABSENT = [
    pytest.param(facts(B.ABUSIVE_OR_HATEFUL_MESSAGE, place=Place.ONLINE), "physical_approach", id="no-approach-online"),
    pytest.param(facts(B.INTIMIDATION_AT_EVENT, place=Place.PHONE), "physical_approach", id="no-approach-by-phone"),
    pytest.param(facts(B.ABUSIVE_OR_HATEFUL_MESSAGE), "physical_approach", id="other-place-is-not-in-person"),
    pytest.param(facts(B.THREAT_TO_KILL_OR_HARM, linked_occasions=(occasion(0),)), "escalation", id="unknown-earlier-is-not-non-threat"),
    pytest.param(facts(linked_occasions=(occasion(0, place=Place.HOME),), place=Place.ONLINE), "escalation", id="in-person-to-remote"),
    pytest.param(facts(occurred_at=T0 + 20 * DAY, linked_occasions=(occasion(0), occasion(10))), "escalation", id="even-spacing"),
]


@pytest.mark.parametrize("f, code", ABSENT)
def test_factor_is_absent(f, code):
    assert code not in points(f)


@pytest.mark.parametrize(
    "f, level",
    [
        pytest.param(facts(in_danger_now=True), RiskLevel.HIGH, id="danger-now"),
        pytest.param(facts(B.ASSAULT), RiskLevel.HIGH, id="assault"),
        pytest.param(facts(B.THREAT_TO_KILL_OR_HARM, place=Place.ONLINE, home_address_known=True), RiskLevel.HIGH, id="threat-home-known"),
        pytest.param(facts(B.THREAT_TO_KILL_OR_HARM, B.PUBLISHING_HOME_ADDRESS, place=Place.ONLINE), RiskLevel.HIGH, id="threat-address-published"),
        pytest.param(facts(B.THREAT_TO_KILL_OR_HARM, place=Place.ONLINE, weapon_mentioned=True), RiskLevel.HIGH, id="threat-weapon"),
        pytest.param(facts(B.THREAT_TO_KILL_OR_HARM, place=Place.ONLINE), RiskLevel.MEDIUM, id="bare-threat"),
        pytest.param(facts(B.ABUSIVE_OR_HATEFUL_MESSAGE, place=Place.ONLINE, platform="X"), RiskLevel.LOW, id="one-abusive-message"),
        pytest.param(facts(), RiskLevel.LOW, id="nothing"),
    ],
)
def test_guarantees(f, level):
    assert assess_risk(f).level is level


def test_single_abusive_message_scores_nothing():
    result = assess_risk(facts(B.ABUSIVE_OR_HATEFUL_MESSAGE, place=Place.ONLINE))
    assert (result.score, result.factors) == (0, ())
    assert result.explain() == "No risk factors found in these facts."


def test_factors_are_strongest_first_and_explained_line_by_line():
    result = assess_risk(facts(B.THREAT_OF_SEXUAL_VIOLENCE, B.PUBLISHING_HOME_ADDRESS, place=Place.ONLINE))
    assert [(f.code, f.points) for f in result.factors] == [("threat_specificity", 35), ("home_address_known", 20), ("sexual_violence", 10)]
    assert result.score == 65
    assert result.explain().splitlines() == [f"+{f.points} {f.why}" for f in result.factors]


def test_sex_alone_is_not_called_a_hate_crime():
    why = assess_risk(facts(characteristics=frozenset({ProtectedCharacteristic.SEX}))).factors[0].why
    assert "hate crime" not in why and "not a statutory" in why


def test_mixed_naive_and_aware_dates_are_compared():
    aware = datetime(2024, 4, 1, tzinfo=timezone.utc)
    f = facts(place=Place.HOME, occurred_at=T0 + DAY, linked_occasions=(Occasion(aware, place=Place.ONLINE),))
    assert points(f)["escalation"] == 10


moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2024, 12, 31))
behaviour_sets = st.frozensets(st.sampled_from(Behaviour))
occasions = st.builds(Occasion, occurred_at=moments, behaviours=behaviour_sets, place=st.sampled_from(Place))
all_facts = st.builds(
    IncidentFacts,
    behaviours=behaviour_sets,
    place=st.sampled_from(Place),
    occurred_at=st.none() | moments,
    characteristics=st.frozensets(st.sampled_from(ProtectedCharacteristic)),
    in_danger_now=st.booleans(),
    weapon_mentioned=st.booleans(),
    home_address_known=st.booleans(),
    perpetrator_known=st.booleans(),
    linked_occasions=st.lists(occasions, max_size=5).map(tuple),
)
FLAGS = ("in_danger_now", "weapon_mentioned", "home_address_known", "perpetrator_known")


@given(all_facts)
def test_score_level_and_factors_are_consistent(f):
    result = assess_risk(f)
    assert 0 <= result.score <= 100
    assert result.score == min(100, sum(factor.points for factor in result.factors))
    expected = RiskLevel.HIGH if result.score >= HIGH_THRESHOLD else RiskLevel.MEDIUM if result.score >= MEDIUM_THRESHOLD else RiskLevel.LOW
    assert result.level is expected
    assert [factor.points for factor in result.factors] == sorted((factor.points for factor in result.factors), reverse=True)
    assert len({factor.code for factor in result.factors}) == len(result.factors)
    assert assess_risk(f) == result  # deterministic
    if f.in_danger_now or f.has(B.ASSAULT) or (f.has(B.THREAT_TO_KILL_OR_HARM) and (f.home_address_known or f.weapon_mentioned)):
        assert result.level is RiskLevel.HIGH


@given(all_facts, st.sampled_from(Behaviour))
def test_adding_a_behaviour_never_lowers_the_score(f, extra):
    more = IncidentFacts(**{**f.__dict__, "behaviours": f.behaviours | {extra}})
    assert assess_risk(more).score >= assess_risk(f).score


@given(all_facts, st.sampled_from(FLAGS))
def test_setting_a_flag_never_lowers_the_score(f, flag):
    more = IncidentFacts(**{**f.__dict__, flag: True})
    assert assess_risk(more).score >= assess_risk(f).score
