"""The safety plan's rules: each rule's condition, its priority (and raised priority), and the order."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballotguard.engines.candidates.safety_plan import (
    RULES, AnswersInvalid, Campaigning, HomeAddress, PlanAnswers, Visibility, answers_from_dict, answers_to_dict, checklist,
)

# The least exposed candidate: address withheld, lives with others, no children or office, low profile
# online, never campaigns alone, nothing has happened yet.
BASE = PlanAnswers(
    home_address=HomeAddress.WITHHELD, lives_alone=False, children_at_home=False, public_office=False,
    online_visibility=Visibility.LOW, campaigning=Campaigning.NEVER_ALONE, past_incidents=False,
)
ALWAYS = ["save-emergency-numbers", "secure-accounts", "suspicious-post", "hustings-plan", "count-plan", "personal-safety-basics"]


def ids(answers: PlanAnswers) -> list[str]:
    return [item.id for item in checklist(answers)]


def item(answers: PlanAnswers, rule_id: str):
    return next(i for i in checklist(answers) if i.id == rule_id)


def test_everyone_gets_the_basics_in_priority_order():
    assert ids(BASE) == ALWAYS
    assert [i.priority for i in checklist(BASE)] == [1, 2, 3, 3, 3, 3]
    assert "999" in item(BASE, "save-emergency-numbers").why and "not a way to report a crime" in item(BASE, "save-emergency-numbers").why


# Each conditional rule: the change that triggers it, and the priority it then has.
TRIGGERS = [
    ("withhold-home-address", {"home_address": HomeAddress.PUBLISHED}, 1),
    ("check-home-address", {"home_address": HomeAddress.NOT_SURE}, 1),
    ("tell-your-feoa", {"past_incidents": True}, 1),
    ("daily-check-in", {"lives_alone": True}, 1),
    ("never-canvass-alone", {"campaigning": Campaigning.ALONE}, 1),
    ("office-safety", {"public_office": True}, 1),
    ("home-security-review", {"home_address": HomeAddress.PUBLISHED}, 2),
    ("home-security-review", {"home_address": HomeAddress.NOT_SURE}, 2),
    ("home-security-review", {"past_incidents": True}, 2),
    ("keep-a-record", {"past_incidents": True}, 2),
    ("household-plan", {"children_at_home": True}, 2),
    ("household-plan", {"home_address": HomeAddress.PUBLISHED}, 2),
    ("share-your-route", {"campaigning": Campaigning.SOMETIMES_ALONE}, 2),
    ("privacy-settings", {"online_visibility": Visibility.MEDIUM}, 2),
    ("privacy-settings", {"online_visibility": Visibility.HIGH}, 2),
    ("privacy-settings", {"online_visibility": Visibility.HIGH, "children_at_home": True}, 1),
    ("children-out-of-posts", {"children_at_home": True, "online_visibility": Visibility.MEDIUM}, 2),
    ("office-post", {"public_office": True}, 2),
]


@pytest.mark.parametrize("rule_id,change,priority", TRIGGERS)
def test_each_rule_applies_when_its_condition_holds(rule_id, change, priority):
    assert rule_id not in ids(BASE)
    answers = replace(BASE, **change)
    found = item(answers, rule_id)
    assert found.priority == priority
    assert found.title and found.why and found.guidance_slug


def test_every_conditional_rule_is_tested():
    conditional = {r.id for r in RULES} - set(ALWAYS)
    assert conditional == {rule_id for rule_id, _, _ in TRIGGERS}


def test_rules_that_do_not_apply():
    # Living alone: no household plan unless children live there too.
    assert "household-plan" not in ids(replace(BASE, lives_alone=True, home_address=HomeAddress.PUBLISHED))
    assert "household-plan" in ids(replace(BASE, lives_alone=True, children_at_home=True))
    # Children but a low profile online: nothing about posts.
    assert "children-out-of-posts" not in ids(replace(BASE, children_at_home=True))
    # Withheld address and no incidents: no home security review.
    assert "home-security-review" not in ids(replace(BASE, lives_alone=True, public_office=True))
    assert "share-your-route" not in ids(replace(BASE, campaigning=Campaigning.ALONE))
    assert "never-canvass-alone" not in ids(replace(BASE, campaigning=Campaigning.SOMETIMES_ALONE))


def test_raised_priorities():
    assert item(replace(BASE, online_visibility=Visibility.HIGH), "secure-accounts").priority == 1
    assert item(replace(BASE, online_visibility=Visibility.MEDIUM), "secure-accounts").priority == 2
    assert item(replace(BASE, home_address=HomeAddress.PUBLISHED), "suspicious-post").priority == 2
    assert item(replace(BASE, home_address=HomeAddress.NOT_SURE), "suspicious-post").priority == 3
    assert item(replace(BASE, past_incidents=True), "hustings-plan").priority == 2
    assert item(BASE, "count-plan").priority == 3


def test_reasons_follow_the_answers():
    review = item(replace(BASE, home_address=HomeAddress.PUBLISHED, past_incidents=True), "home-security-review").why
    assert "published on the ballot paper" in review and "already been targeted" in review
    assert "may be published" in item(replace(BASE, home_address=HomeAddress.NOT_SURE), "home-security-review").why
    assert "Children live with you" in item(replace(BASE, children_at_home=True), "household-plan").why
    assert "live with others" in item(replace(BASE, home_address=HomeAddress.PUBLISHED), "household-plan").why
    assert "very visible" in item(replace(BASE, online_visibility=Visibility.HIGH), "secure-accounts").why


def test_the_most_exposed_candidate_gets_every_rule_in_order():
    worst = PlanAnswers(
        home_address=HomeAddress.PUBLISHED, lives_alone=False, children_at_home=True, public_office=True,
        online_visibility=Visibility.HIGH, campaigning=Campaigning.ALONE, past_incidents=True,
    )
    assert ids(worst) == [
        "save-emergency-numbers", "withhold-home-address", "tell-your-feoa", "never-canvass-alone", "office-safety",
        "secure-accounts", "privacy-settings",
        "home-security-review", "keep-a-record", "household-plan", "children-out-of-posts", "office-post",
        "suspicious-post", "hustings-plan",
        "count-plan", "personal-safety-basics",
    ]


answers_strategy = st.builds(
    PlanAnswers, home_address=st.sampled_from(HomeAddress), lives_alone=st.booleans(), children_at_home=st.booleans(),
    public_office=st.booleans(), online_visibility=st.sampled_from(Visibility), campaigning=st.sampled_from(Campaigning),
    past_incidents=st.booleans(),
)


@given(answers_strategy)
def test_properties_of_every_checklist(answers):
    items = checklist(answers)
    priorities = [i.priority for i in items]
    assert priorities == sorted(priorities) and set(priorities) <= {1, 2, 3}
    assert items[0].id == "save-emergency-numbers"
    assert len({i.id for i in items}) == len(items)
    order = [r.id for r in RULES]
    for p in (1, 2, 3):  # within a priority, the table's order
        same = [order.index(i.id) for i in items if i.priority == p]
        assert same == sorted(same)
    assert answers_from_dict(answers_to_dict(answers)) == answers


def test_answers_from_dict_names_each_bad_question():
    with pytest.raises(AnswersInvalid) as caught:
        answers_from_dict({"home_address": "maybe", "lives_alone": "yes", "children_at_home": False})
    assert list(caught.value.errors) == ["home_address", "lives_alone", "public_office", "online_visibility", "campaigning", "past_incidents"]
