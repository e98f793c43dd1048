"""The offence-guidance engine, tested row by row against the statutes' own words.

Each row's id quotes (or closely paraphrases) the words of the section that makes it fire or not;
the property tests check what must hold for any facts at all.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballotguard.engines.incidents.facts import (
    Behaviour,
    IncidentFacts,
    Occasion,
    Place,
    ProtectedCharacteristic,
    TargetRole,
)
from ballotguard.engines.incidents.offences import (
    DISCLAIMER,
    OFFENCES,
    GuidanceKind,
    OffenceGuidance,
    course_of_conduct,
    electoral_sanction_applies,
    offences_for,
)

B = Behaviour
P = Place
C = ProtectedCharacteristic
T0 = datetime(2025, 4, 1, 18, 30)


def occasion(*behaviours: Behaviour, place: Place = P.OTHER, days_ago: int = 7) -> Occasion:
    return Occasion(occurred_at=T0 - timedelta(days=days_ago), behaviours=frozenset(behaviours), place=place)


def facts(
    *behaviours: Behaviour,
    place: Place = P.OTHER,
    linked: tuple[Occasion, ...] = (),
    chars: tuple[ProtectedCharacteristic, ...] = (),
    role: TargetRole = TargetRole.CANDIDATE,
    **extra,
) -> IncidentFacts:
    return IncidentFacts(
        behaviours=frozenset(behaviours),
        place=place,
        occurred_at=T0,
        characteristics=frozenset(chars),
        target_role=role,
        linked_occasions=linked,
        **extra,
    )


def codes(f: IncidentFacts) -> list[str]:
    return [g.code for g in offences_for(f)]


def item(f: IncidentFacts, code: str) -> OffenceGuidance:
    return next(g for g in offences_for(f) if g.code == code)


PHA = {"pha1997_s2", "pha1997_s2a", "pha1997_s4", "pha1997_s4a"}
POA = {"poa1986_s4", "poa1986_s4a", "poa1986_s5"}
CDA1998 = {"cda1998_s29", "cda1998_s30", "cda1998_s31", "cda1998_s32"}


# --- rows that must trigger (and what must not come with them) ------------------------------------

TRIGGERS = [
    pytest.param(
        facts(B.ABUSIVE_OR_HATEFUL_MESSAGE, place=P.ONLINE, linked=(occasion(B.ABUSIVE_OR_HATEFUL_MESSAGE, place=P.ONLINE),)),
        {"pha1997_s2", "mca1988_s1", "ca2003_s127"},
        {"pha1997_s2a", "pha1997_s4", "pha1997_s4a"},
        id="PHA s2: 'a course of conduct which amounts to harassment' on two occasions (s7(3)(a))",
    ),
    pytest.param(
        facts(B.REPEATED_UNWANTED_CONTACT, place=P.PHONE, linked=(occasion(B.REPEATED_UNWANTED_CONTACT, place=P.PHONE),)),
        {"pha1997_s2", "pha1997_s2a", "ca2003_s127"},
        {"pha1997_s4", "pha1997_s4a"},
        id="PHA s2A(3)(b): 'contacting, or attempting to contact, a person by any means'",
    ),
    pytest.param(
        facts(B.FOLLOWING_OR_LOITERING, place=P.STREET_CANVASSING, linked=(occasion(B.FOLLOWING_OR_LOITERING),)),
        {"pha1997_s2", "pha1997_s2a"},
        {"pha1997_s4", "pha1997_s4a", "cjpa2001_s42a"},
        id="PHA s2A(3)(a),(e): 'following a person', 'loitering in any place'",
    ),
    pytest.param(
        facts(B.PUBLISHING_HOME_ADDRESS, place=P.ONLINE, linked=(occasion(B.PUBLISHING_HOME_ADDRESS, place=P.ONLINE),)),
        {"pha1997_s2", "pha1997_s2a", "pha1997_s4a"},
        {"pha1997_s4"},
        id="PHA s2A(3)(c): 'publishing any statement or other material relating ... to a person'",
    ),
    pytest.param(
        facts(B.IMPERSONATION_OR_DEEPFAKE, place=P.ONLINE, linked=(occasion(B.IMPERSONATION_OR_DEEPFAKE, place=P.ONLINE),)),
        {"pha1997_s2a", "osa2023_s179"},
        set(),
        id="PHA s2A(3)(c): material 'purporting to originate from a person'",
    ),
    pytest.param(
        facts(B.THREAT_TO_KILL_OR_HARM, place=P.ONLINE, linked=(occasion(B.THREAT_TO_KILL_OR_HARM, place=P.PHONE),)),
        {"pha1997_s4", "pha1997_s2"},
        {"pha1997_s2a", "pha1997_s4a"},
        id="PHA s4: 'causes another to fear, on at least two occasions, that violence will be used'",
    ),
    pytest.param(
        facts(B.FOLLOWING_OR_LOITERING, B.THREAT_TO_KILL_OR_HARM, place=P.STREET_CANVASSING,
              linked=(occasion(B.FOLLOWING_OR_LOITERING, B.THREAT_TO_KILL_OR_HARM),)),
        {"pha1997_s4a", "pha1997_s4", "pha1997_s2a", "pha1997_s2"},
        set(),
        id="PHA s4A(1)(b)(i): stalking causing 'fear, on at least two occasions, that violence will be used'",
    ),
    pytest.param(
        facts(B.TURNING_UP_AT_HOME, place=P.HOME, linked=(occasion(B.TURNING_UP_AT_HOME, place=P.HOME),)),
        {"pha1997_s4a", "pha1997_s2a", "cjpa2001_s42a"},
        {"pha1997_s4"},
        id="PHA s4A(1)(b)(ii): stalking at home, 'serious alarm or distress' with 'substantial adverse effect'",
    ),
    pytest.param(
        facts(B.TURNING_UP_AT_HOME, place=P.HOME),
        {"cjpa2001_s42a"},
        PHA,
        id="CJPA 2001 s42A: 'present outside or in the vicinity of any premises ... used ... as his dwelling'",
    ),
    pytest.param(
        facts(B.FOLLOWING_OR_LOITERING, place=P.HOME),
        {"cjpa2001_s42a"},
        PHA,
        id="CJPA 2001 s42A: loitering near the home 'for the purpose ... of persuading the resident'",
    ),
    pytest.param(
        facts(B.ABUSIVE_OR_HATEFUL_MESSAGE, place=P.POST),
        {"mca1988_s1"},
        {"ca2003_s127"} | POA,
        id="MCA 1988 s1: a letter 'which conveys a message which is indecent or grossly offensive'",
    ),
    pytest.param(
        facts(B.ABUSIVE_OR_HATEFUL_MESSAGE, place=P.ONLINE),
        {"ca2003_s127", "mca1988_s1"},
        POA | PHA,
        id="CA 2003 s127(1): 'grossly offensive ... or menacing' by 'a public electronic communications network'",
    ),
    pytest.param(
        facts(B.REPEATED_UNWANTED_CONTACT, place=P.PHONE),
        {"ca2003_s127"},
        PHA | {"mca1988_s1"},
        id="CA 2003 s127(2)(c): 'persistently makes use of a public electronic communications network'",
    ),
    pytest.param(
        facts(B.IMPERSONATION_OR_DEEPFAKE, place=P.ONLINE),
        {"osa2023_s179", "rpa1983_s106"},
        {"mca1988_s1", "ca2003_s127", "ea2022_s30"},
        id="OSA 2023 s179: 'information that the person knows to be false' meant to cause 'non-trivial ... harm'",
    ),
    pytest.param(
        facts(B.THREAT_TO_KILL_OR_HARM, place=P.ONLINE),
        {"osa2023_s181", "oapa1861_s16", "ca2003_s127", "ea2022_s30"},
        {"mca1988_s1"} | POA | PHA,
        id="OSA 2023 s181: a message that 'conveys a threat of death or serious harm'",
    ),
    pytest.param(
        facts(B.THREAT_OF_SEXUAL_VIOLENCE, place=P.PHONE),
        {"osa2023_s181", "mca1988_s1", "ca2003_s127"},
        {"oapa1861_s16"},
        id="OSA 2023 s181(2): serious harm includes 'rape' and 'assault by penetration'",
    ),
    pytest.param(
        facts(B.THREAT_TO_KILL_OR_HARM, place=P.POST),
        {"osa2023_s181", "oapa1861_s16"},
        {"ca2003_s127"} | POA,
        id="OAPA 1861 s16: 'makes to another a threat ... to kill', here by letter",
    ),
    pytest.param(
        facts(B.THREAT_TO_KILL_OR_HARM, place=P.HUSTINGS),
        {"oapa1861_s16", "poa1986_s4", "poa1986_s4a", "poa1986_s5"},
        {"osa2023_s181", "ca2003_s127", "mca1988_s1"},
        id="POA 1986 s4: 'threatening ... words or behaviour' face to face, 'immediate unlawful violence'",
    ),
    pytest.param(
        facts(B.ABUSIVE_OR_HATEFUL_MESSAGE, place=P.STREET_CANVASSING),
        {"poa1986_s4a", "poa1986_s5"},
        {"poa1986_s4", "mca1988_s1", "ca2003_s127"},
        id="POA 1986 s4A, s5: 'abusive words or behaviour ... within the hearing or sight of a person'",
    ),
    pytest.param(
        facts(B.INTIMIDATION_AT_EVENT, place=P.HUSTINGS),
        {"rpa1983_s97", "poa1986_s4", "poa1986_s4a", "poa1986_s5"},
        set(),
        id="RPA 1983 s97: 'acts ... in a disorderly manner for the purpose of preventing the transaction of the business'",
    ),
    pytest.param(
        facts(B.INTIMIDATION_AT_EVENT, place=P.COUNT, weapon_mentioned=True),
        {"poa1986_s4"},
        {"rpa1983_s97"},
        id="POA 1986 s4 at the count; the count is not a 'lawful public meeting' (no RPA s97)",
    ),
    pytest.param(
        facts(B.DAMAGE_TO_PROPERTY, place=P.STREET_CANVASSING),
        {"cda1971_s1", "ea2022_s30"},
        CDA1998 | {"sa2020_s66"},
        id="CDA 1971 s1(1): posters — 'destroys or damages any property belonging to another'",
    ),
    pytest.param(
        facts(B.ASSAULT, place=P.CAMPAIGN_EVENT),
        {"cja1988_s39", "ea2022_s30"},
        CDA1998 | {"sa2020_s66"},
        id="CJA 1988 s39: 'common assault and battery'",
    ),
    pytest.param(
        facts(B.ASSAULT, B.PROTECTED_CHARACTERISTIC_HOSTILITY, place=P.STREET_CANVASSING, chars=(C.RACE,)),
        {"cda1998_s29", "cja1988_s39", "cda1998_s31"},
        {"cda1998_s30"},
        id="CDA 1998 s29: 'racially or religiously aggravated' common assault",
    ),
    pytest.param(
        facts(B.DAMAGE_TO_PROPERTY, place=P.OFFICE, chars=(C.RACE,)),
        {"cda1998_s30", "cda1971_s1"},
        {"cda1998_s29", "cda1998_s31", "cda1998_s32", "sa2020_s66"},
        id="CDA 1998 s30: race hostility + damage — 'racially ... aggravated criminal damage'",
    ),
    pytest.param(
        facts(B.PROTECTED_CHARACTERISTIC_HOSTILITY, place=P.HUSTINGS, chars=(C.RELIGION,)),
        {"cda1998_s31", "poa1986_s4a", "poa1986_s5"},
        {"sa2020_s66", "cda1998_s32"},
        id="CDA 1998 s31: 'religiously aggravated' public order offence, 'hostility based on ... membership'",
    ),
    pytest.param(
        facts(B.ABUSIVE_OR_HATEFUL_MESSAGE, place=P.ONLINE, chars=(C.RACE,),
              linked=(occasion(B.PROTECTED_CHARACTERISTIC_HOSTILITY, place=P.ONLINE),)),
        {"cda1998_s32", "pha1997_s2", "sa2020_s66"},
        {"cda1998_s31"},
        id="CDA 1998 s32: 'racially ... aggravated harassment'; s66 for the messages themselves",
    ),
    pytest.param(
        facts(B.DAMAGE_TO_PROPERTY, place=P.HOME, chars=(C.DISABILITY,)),
        {"sa2020_s66", "cda1971_s1"},
        CDA1998,
        id="Sentencing Act 2020 s66: 'hostility related to disability' — aggravation, not CDA 1998",
    ),
    pytest.param(
        facts(B.ABUSIVE_OR_HATEFUL_MESSAGE, place=P.ONLINE, chars=(C.RACE,)),
        {"sa2020_s66", "mca1988_s1"},
        CDA1998,
        id="Sentencing Act 2020 s66: 'racial hostility' where the offence has no CDA 1998 aggravated form",
    ),
    pytest.param(
        facts(B.PROTECTED_CHARACTERISTIC_HOSTILITY, place=P.STREET_CANVASSING, chars=(C.TRANSGENDER_IDENTITY, C.SEXUAL_ORIENTATION)),
        {"sa2020_s66", "poa1986_s4a"},
        CDA1998,
        id="Sentencing Act 2020 s66: 'sexual orientation' and 'transgender identity'",
    ),
    pytest.param(
        facts(B.FALSE_STATEMENT_ABOUT_CHARACTER, place=P.POST),
        {"rpa1983_s106", "osa2023_s179"},
        {"ea2022_s30"},
        id="RPA 1983 s106: 'false statement of fact in relation to the personal character or conduct' — no sanction",
    ),
    pytest.param(
        facts(B.PRESSURE_ON_VOTING, place=P.STREET_CANVASSING),
        {"rpa1983_s114a"},
        {"ea2022_s30"},
        id="RPA 1983 s114A: 'inducing or compelling a person to vote in a particular way or to refrain from voting'",
    ),
    pytest.param(
        facts(B.BRIBERY_OR_ELECTORAL_FRAUD),
        {"rpa1983_s113", "rpa1983_s114", "rpa1983_s60"},
        {"ea2022_s30"},
        id="RPA 1983 s113 'bribery', s114 'treating', s60 'personation' — no sanction",
    ),
    pytest.param(
        facts(B.ABUSIVE_OR_HATEFUL_MESSAGE, place=P.ONLINE, role=TargetRole.CAMPAIGNER),
        {"ea2022_s30"},
        set(),
        id="Elections Act 2022 s30: hostility related to the victim being a 'campaigner'",
    ),
    pytest.param(
        facts(B.ASSAULT, place=P.OFFICE, role=TargetRole.ELECTED_OFFICIAL),
        {"ea2022_s30", "cja1988_s39"},
        set(),
        id="Elections Act 2022 s30: hostility related to the victim holding 'a relevant elective office'",
    ),
]


@pytest.mark.parametrize(("f", "present", "absent"), TRIGGERS)
def test_offence_triggers(f: IncidentFacts, present: set[str], absent: set[str]):
    found = set(codes(f))
    assert present <= found, f"missing {present - found}; got {sorted(found)}"
    assert not (absent & found), f"should not list {absent & found}"


# --- rows that must not trigger -------------------------------------------------------------------

NOT_TRIGGERED = [
    pytest.param(
        facts(B.REPEATED_UNWANTED_CONTACT, B.FOLLOWING_OR_LOITERING, B.THREAT_TO_KILL_OR_HARM, place=P.STREET_CANVASSING),
        PHA,
        id="PHA s7(3)(a): one occasion is not 'conduct on at least two occasions' — no s2, s2A, s4, s4A",
    ),
    pytest.param(
        facts(B.THREAT_TO_KILL_OR_HARM, B.ABUSIVE_OR_HATEFUL_MESSAGE, B.INTIMIDATION_AT_EVENT, place=P.ONLINE),
        POA,
        id="POA 1986 s4, s4A, s5 need words, behaviour or a display in person — not an online message",
    ),
    pytest.param(
        facts(B.ABUSIVE_OR_HATEFUL_MESSAGE, place=P.PHONE),
        POA,
        id="POA 1986: not a phone call or text either",
    ),
    pytest.param(
        facts(B.ABUSIVE_OR_HATEFUL_MESSAGE, B.REPEATED_UNWANTED_CONTACT, place=P.POST),
        {"ca2003_s127"},
        id="CA 2003 s127: a letter is not sent by 'a public electronic communications network'",
    ),
    pytest.param(
        facts(B.THREAT_TO_KILL_OR_HARM, place=P.ONLINE),
        {"mca1988_s1"},
        id="MCA 1988 s1(1)(a)(ii) 'a threat' repealed in England and Wales by OSA 2023 (s181 instead)",
    ),
    pytest.param(
        facts(B.FALSE_STATEMENT_ABOUT_CHARACTER, place=P.ONLINE),
        {"mca1988_s1", "ca2003_s127", "ea2022_s30"},
        id="MCA s1 'false' and CA s127(2) false-message limbs repealed (OSA s179 instead); no sanction for a lie alone",
    ),
    pytest.param(
        facts(B.FALSE_STATEMENT_ABOUT_CHARACTER, place=P.ONLINE, role=TargetRole.ELECTED_OFFICIAL),
        {"rpa1983_s106"},
        id="RPA 1983 s106 protects a 'candidate': not an office-holder who is not standing",
    ),
    pytest.param(
        facts(B.DAMAGE_TO_PROPERTY, B.PROTECTED_CHARACTERISTIC_HOSTILITY, chars=(C.DISABILITY,)),
        CDA1998,
        id="CDA 1998 s28: 'racial or religious group' only — disability hostility is Sentencing Act s66",
    ),
    pytest.param(
        facts(B.PROTECTED_CHARACTERISTIC_HOSTILITY, place=P.STREET_CANVASSING, chars=(C.SEX,)),
        CDA1998 | {"sa2020_s66"},
        id="Sex or gender is not a statutory aggravating factor (CDA 1998 s28, SA 2020 s66)",
    ),
    pytest.param(
        facts(B.THREAT_TO_KILL_OR_HARM, place=P.ONLINE, linked=(occasion(),)),
        {"pha1997_s4", "pha1997_s4a"},
        id="PHA s4: a linked occasion with nothing recorded is not proof of fear 'on at least two occasions'",
    ),
    pytest.param(
        facts(B.THREAT_TO_KILL_OR_HARM, place=P.ONLINE, linked=(occasion(B.ABUSIVE_OR_HATEFUL_MESSAGE, place=P.ONLINE),)),
        {"pha1997_s4", "pha1997_s2a"},
        id="PHA s4: one threat and one abusive message is harassment, not fear 'on at least two occasions'",
    ),
    pytest.param(
        facts(B.INTIMIDATION_AT_EVENT, place=P.COUNT),
        {"rpa1983_s97"},
        id="RPA 1983 s97: only at 'a lawful public meeting', not the count",
    ),
    pytest.param(
        facts(B.ABUSIVE_OR_HATEFUL_MESSAGE, place=P.STREET_CANVASSING),
        {"poa1986_s4", "oapa1861_s16"},
        id="POA 1986 s4 and OAPA s16 need a threat: abuse alone is s4A/s5",
    ),
    pytest.param(
        facts(B.PRESSURE_ON_VOTING, B.BRIBERY_OR_ELECTORAL_FRAUD, B.FALSE_STATEMENT_ABOUT_CHARACTER, place=P.POST),
        {"ea2022_s30", "sa2020_s66"} | CDA1998,
        id="Elections Act 2022 s30 needs hostility: electoral-process offences alone do not bring it",
    ),
]


@pytest.mark.parametrize(("f", "absent"), NOT_TRIGGERED)
def test_offence_not_triggered(f: IncidentFacts, absent: set[str]):
    found = set(codes(f))
    assert not (absent & found), f"should not list {absent & found}"


# --- every behaviour leads somewhere, or we say honestly that it does not -----------------------

NATURAL_PLACE: dict[Behaviour, tuple[Place, tuple[ProtectedCharacteristic, ...]]] = {
    B.THREAT_TO_KILL_OR_HARM: (P.ONLINE, ()),
    B.THREAT_OF_SEXUAL_VIOLENCE: (P.ONLINE, ()),
    B.REPEATED_UNWANTED_CONTACT: (P.PHONE, ()),
    B.FOLLOWING_OR_LOITERING: (P.STREET_CANVASSING, ()),
    B.TURNING_UP_AT_HOME: (P.HOME, ()),
    B.ABUSIVE_OR_HATEFUL_MESSAGE: (P.ONLINE, ()),
    B.PROTECTED_CHARACTERISTIC_HOSTILITY: (P.ONLINE, (C.RACE,)),
    B.DAMAGE_TO_PROPERTY: (P.STREET_CANVASSING, ()),
    B.ASSAULT: (P.CAMPAIGN_EVENT, ()),
    B.INTIMIDATION_AT_EVENT: (P.HUSTINGS, ()),
    B.PUBLISHING_HOME_ADDRESS: (P.ONLINE, ()),
    B.IMPERSONATION_OR_DEEPFAKE: (P.ONLINE, ()),
    B.FALSE_STATEMENT_ABOUT_CHARACTER: (P.POST, ()),
    B.PRESSURE_ON_VOTING: (P.STREET_CANVASSING, ()),
    B.BRIBERY_OR_ELECTORAL_FRAUD: (P.OTHER, ()),
}
# Following someone once, or publishing their address once, is not in itself an offence in England
# and Wales; both are stalking behaviours (PHA s2A(3)(a), (c)) once there is a course of conduct.
ONLY_AS_A_COURSE = {B.FOLLOWING_OR_LOITERING, B.PUBLISHING_HOME_ADDRESS}


def test_natural_places_cover_every_behaviour():
    assert set(NATURAL_PLACE) == set(Behaviour)


@pytest.mark.parametrize("behaviour", [b for b in Behaviour if b not in ONLY_AS_A_COURSE], ids=lambda b: b.value)
def test_every_behaviour_leads_to_guidance_on_one_occasion(behaviour: Behaviour):
    place, chars = NATURAL_PLACE[behaviour]
    assert offences_for(facts(behaviour, place=place, chars=chars))


@pytest.mark.parametrize("behaviour", sorted(ONLY_AS_A_COURSE, key=lambda b: b.value), ids=lambda b: b.value)
def test_stalking_behaviours_alone_need_a_course_of_conduct(behaviour: Behaviour):
    place, _ = NATURAL_PLACE[behaviour]
    once = facts(behaviour, place=place)
    assert offences_for(once) == [] and not course_of_conduct(once)
    twice = facts(behaviour, place=place, linked=(occasion(behaviour, place=place),))
    assert course_of_conduct(twice)
    assert {"pha1997_s2", "pha1997_s2a"} <= set(codes(twice))


HONESTLY_NOTHING = [
    pytest.param(facts(), id="no behaviours reported"),
    pytest.param(facts(B.FOLLOWING_OR_LOITERING, place=P.STREET_CANVASSING), id="followed once in the street"),
    pytest.param(facts(B.PUBLISHING_HOME_ADDRESS, place=P.ONLINE), id="address published once"),
    pytest.param(facts(B.REPEATED_UNWANTED_CONTACT, place=P.POST), id="repeated letters, not offensive, one report"),
    pytest.param(
        facts(B.FALSE_STATEMENT_ABOUT_CHARACTER, place=P.STREET_CANVASSING, role=TargetRole.ELECTED_OFFICIAL),
        id="spoken falsehood about an office-holder who is not standing: defamation is a civil matter",
    ),
]


@pytest.mark.parametrize("f", HONESTLY_NOTHING)
def test_honestly_no_offence(f: IncidentFacts):
    assert offences_for(f) == []
    assert not electoral_sanction_applies(f)


# --- course of conduct, sanction, ordering and wording --------------------------------------------


@pytest.mark.parametrize(
    ("linked", "expected"),
    [pytest.param((), False, id="one occasion"), pytest.param((occasion(),), True, id="two occasions"),
     pytest.param((occasion(), occasion(days_ago=14)), True, id="three occasions")],
)
def test_course_of_conduct_needs_two_occasions(linked, expected):
    assert course_of_conduct(facts(B.REPEATED_UNWANTED_CONTACT, linked=linked)) is expected


def test_one_occasion_asks_for_earlier_incidents_to_be_linked():
    first = offences_for(facts(B.REPEATED_UNWANTED_CONTACT, place=P.PHONE))[0]
    assert "link those incidents" in first.why
    linked = offences_for(facts(B.REPEATED_UNWANTED_CONTACT, place=P.PHONE, linked=(occasion(B.REPEATED_UNWANTED_CONTACT),)))
    assert all("link those incidents" not in g.why for g in linked)


@pytest.mark.parametrize("role", list(TargetRole), ids=lambda r: r.value)
def test_electoral_sanction_covers_every_role(role: TargetRole):
    f = facts(B.THREAT_TO_KILL_OR_HARM, place=P.ONLINE, role=role)
    assert electoral_sanction_applies(f)
    sanction = item(f, "ea2022_s30")
    assert sanction.kind is GuidanceKind.SANCTION and "5 years" in sanction.why


def test_electoral_sanction_false_for_false_statement_or_bribery_alone():
    assert not electoral_sanction_applies(facts(B.FALSE_STATEMENT_ABOUT_CHARACTER, place=P.ONLINE))
    assert not electoral_sanction_applies(facts(B.BRIBERY_OR_ELECTORAL_FRAUD))
    assert not electoral_sanction_applies(facts(B.PRESSURE_ON_VOTING))
    assert electoral_sanction_applies(facts(B.FALSE_STATEMENT_ABOUT_CHARACTER, B.ABUSIVE_OR_HATEFUL_MESSAGE, place=P.ONLINE))


def test_most_serious_first():
    found = codes(facts(B.THREAT_TO_KILL_OR_HARM, B.DAMAGE_TO_PROPERTY, place=P.HUSTINGS, chars=(C.RACE,)))
    assert found.index("cda1998_s30") < found.index("cda1971_s1")
    assert found.index("oapa1861_s16") < found.index("poa1986_s4") < found.index("poa1986_s5")
    assert found[-1] == "ea2022_s30"
    registry = [g.code for g in OFFENCES]
    assert found == sorted(found, key=registry.index)


def test_why_mentions_the_facts_and_then_the_law():
    f = facts(B.ABUSIVE_OR_HATEFUL_MESSAGE, place=P.ONLINE, platform="X")
    g = item(f, "mca1988_s1")
    law = next(o for o in OFFENCES if o.code == "mca1988_s1").why
    assert "abusive or hateful message" in g.why and "on X" in g.why
    assert g.why.endswith("The law: " + law)
    assert g.evidence[0].startswith("The X account's handle")


def test_evidence_fits_the_channel():
    letter = item(facts(B.THREAT_TO_KILL_OR_HARM, place=P.POST), "osa2023_s181").evidence
    assert any("postmark" in line for line in letter)
    assert not any("call log" in line or "URL" in line for line in letter)
    call = item(facts(B.THREAT_TO_KILL_OR_HARM, place=P.PHONE), "osa2023_s181").evidence
    assert any("call log" in line for line in call) and not any("postmark" in line for line in call)
    face_to_face = item(facts(B.THREAT_TO_KILL_OR_HARM, place=P.HUSTINGS), "oapa1861_s16").evidence
    assert any("exact words" in line for line in face_to_face)
    assert not any("headers" in line or "URL" in line for line in face_to_face)
    course = item(
        facts(B.FOLLOWING_OR_LOITERING, place=P.STREET_CANVASSING, linked=(occasion(B.REPEATED_UNWANTED_CONTACT, place=P.ONLINE),)),
        "pha1997_s2",
    ).evidence
    assert any("URL" in line for line in course), "a linked online occasion keeps the screenshot line"
    assert any("diary of each occasion" in line for line in course)


def test_sex_hostility_is_recorded_honestly_not_invented():
    found = offences_for(facts(B.PROTECTED_CHARACTERISTIC_HOSTILITY, place=P.STREET_CANVASSING, chars=(C.SEX,)))
    assert not {g.code for g in found} & (CDA1998 | {"sa2020_s66"})
    notes = [g for g in found if "not currently a statutory aggravating factor" in g.why]
    assert len(notes) == 1 and notes[0].kind is GuidanceKind.OFFENCE
    assert "misogyny" in notes[0].why


def test_sex_note_goes_on_s66_when_there_is_one():
    found = offences_for(facts(B.PROTECTED_CHARACTERISTIC_HOSTILITY, place=P.ONLINE, chars=(C.SEX, C.DISABILITY)))
    notes = [g.code for g in found if "not currently a statutory aggravating factor" in g.why]
    assert notes == ["sa2020_s66"]


def test_hostility_without_a_characteristic_asks_which():
    found = offences_for(facts(B.PROTECTED_CHARACTERISTIC_HOSTILITY, place=P.ONLINE))
    assert any("tell the police which characteristic" in g.why for g in found)
    assert not {g.code for g in found} & (CDA1998 | {"sa2020_s66"})


def test_weapon_is_called_out_on_threat_to_kill():
    g = item(facts(B.THREAT_TO_KILL_OR_HARM, place=P.STREET_CANVASSING, weapon_mentioned=True), "oapa1861_s16")
    assert "weapon" in g.why


def test_public_order_at_home_explains_the_dwelling_exception():
    g = item(facts(B.ABUSIVE_OR_HATEFUL_MESSAGE, place=P.HOME), "poa1986_s5")
    assert "inside a home" in g.why


# --- the registry ---------------------------------------------------------------------------------

REQUIRED_CODES = {
    "pha1997_s2", "pha1997_s2a", "pha1997_s4", "pha1997_s4a", "cjpa2001_s42a", "mca1988_s1", "ca2003_s127",
    "osa2023_s179", "osa2023_s181", "poa1986_s4", "poa1986_s4a", "poa1986_s5", "oapa1861_s16", "cda1971_s1",
    "cja1988_s39", "cda1998_s29", "cda1998_s30", "cda1998_s31", "cda1998_s32", "sa2020_s66", "rpa1983_s106",
    "rpa1983_s114a", "rpa1983_s113", "rpa1983_s114", "ea2022_s30",
}


def test_registry_is_complete_and_unique():
    registry = [g.code for g in OFFENCES]
    assert len(registry) == len(set(registry))
    assert REQUIRED_CODES <= set(registry)


@pytest.mark.parametrize("g", OFFENCES, ids=lambda g: g.code)
def test_registry_entries_are_filled_in(g: OffenceGuidance):
    assert g.act and g.section and g.title and g.why and g.evidence
    assert all(line.strip() for line in g.evidence)
    assert g.max_penalty or g.code == "sa2020_s66"  # s66 raises the sentence within the offence's own maximum


def test_registry_kinds():
    kinds = {g.code: g.kind for g in OFFENCES}
    assert {c for c, k in kinds.items() if k is GuidanceKind.AGGRAVATION} == CDA1998 | {"sa2020_s66"}
    assert {c for c, k in kinds.items() if k is GuidanceKind.SANCTION} == {"ea2022_s30"}


@pytest.mark.parametrize(
    ("code", "penalty"),
    [
        ("pha1997_s4", "10 years"), ("pha1997_s4a", "10 years"), ("oapa1861_s16", "10 years"),
        ("cda1971_s1", "10 years"), ("osa2023_s181", "5 years"), ("mca1988_s1", "2 years"),
        ("cda1998_s30", "14 years"), ("pha1997_s2", "6 months"), ("poa1986_s5", "fine"),
        ("ea2022_s30", "5 years"),
    ],
)
def test_maximum_penalties(code: str, penalty: str):
    assert penalty in next(g for g in OFFENCES if g.code == code).max_penalty


def test_disclaimer():
    assert "not legal advice" in DISCLAIMER
    for who in ("police", "Crown Prosecution Service", "Procurator Fiscal", "Public Prosecution Service"):
        assert who in DISCLAIMER


# --- properties -----------------------------------------------------------------------------------

behaviour_sets = st.frozensets(st.sampled_from(list(Behaviour)), max_size=6)
occasions = st.builds(
    Occasion,
    occurred_at=st.just(T0 - timedelta(days=3)),
    behaviours=behaviour_sets,
    place=st.sampled_from(list(Place)),
)
any_facts = st.builds(
    IncidentFacts,
    behaviours=behaviour_sets,
    place=st.sampled_from(list(Place)),
    occurred_at=st.just(T0),
    characteristics=st.frozensets(st.sampled_from(list(ProtectedCharacteristic))),
    target_role=st.sampled_from(list(TargetRole)),
    in_danger_now=st.booleans(),
    weapon_mentioned=st.booleans(),
    home_address_known=st.booleans(),
    perpetrator_known=st.booleans(),
    platform=st.sampled_from(["", "X", "Facebook"]),
    linked_occasions=st.lists(occasions, max_size=3).map(tuple),
)
REGISTRY_ORDER = [g.code for g in OFFENCES]


@settings(max_examples=300, deadline=None)
@given(any_facts)
def test_properties_of_any_result(f: IncidentFacts):
    result = offences_for(f)
    assert result == offences_for(f)  # deterministic
    found = [g.code for g in result]
    assert len(found) == len(set(found))  # no duplicates
    assert found == sorted(found, key=REGISTRY_ORDER.index)  # most serious first
    for g in result:
        assert g.act and g.section and g.title and g.why and g.evidence
        assert all(line.strip() for line in g.evidence)
        assert "The law: " in g.why
    if set(found) & PHA:
        assert course_of_conduct(f)
    if f.place.is_communication:
        assert not set(found) & POA
    if set(found) & CDA1998:
        assert f.characteristics & {C.RACE, C.RELIGION}
    if any(g.kind is not GuidanceKind.OFFENCE for g in result):
        assert any(g.kind is GuidanceKind.OFFENCE for g in result)
    assert ("ea2022_s30" in found) == electoral_sanction_applies(f)


@settings(max_examples=200, deadline=None)
@given(any_facts)
def test_linking_never_removes_guidance(f: IncidentFacts):
    """A further linked occasion can only add to what may apply, never take away."""
    more = IncidentFacts(**{**f.__dict__, "linked_occasions": f.linked_occasions + (occasion(),)})
    assert set(codes(f)) <= set(codes(more))


def test_harassment_at_home_never_says_at_your_home_twice():
    """Issue 16 point 8: the pack read "turning up at your home at your home"."""
    from ballotguard.engines.incidents.facts import Behaviour, IncidentFacts, Place
    from ballotguard.engines.incidents.offences import offences_for

    for place in (Place.HOME, Place.OTHER):
        for behaviours in ({Behaviour.TURNING_UP_AT_HOME}, {Behaviour.FOLLOWING_OR_LOITERING, Behaviour.TURNING_UP_AT_HOME}):
            text = " ".join(o.why for o in offences_for(IncidentFacts(behaviours=frozenset(behaviours), place=place)))
            assert "at your home at your home" not in text
            assert "You reported" in text and "turning up at your home" in text
