"""The survey's engine: checking answers, keeping responses anonymous, and its figures' intervals and
disclosure control. No database."""

from __future__ import annotations

from collections import Counter

import pytest

from ballotguard.engines.insights import survey as engine
from ballotguard.engines.insights.disclosure import DEFAULT_MARKER

GOOD = {"experiences": ["online_abuse", "verbal"], "reported": "yes", "reported_to": ["police", "platform"], "changes": ["avoided_alone"],
        "adviser_view": "helpful", "guidance_view": "not_used", "comment": "  Thanks  "}


def test_good_answers_are_kept_in_the_questionnaires_order():
    a = engine.check_answers({**GOOD, "experiences": ["verbal", "online_abuse", "verbal"]})
    assert a.experiences == ("online_abuse", "verbal") and a.online and a.offline and a.reported_to_police and a.comment == "Thanks"


@pytest.mark.parametrize(("change", "field"), [
    ({"experiences": []}, "experiences"),  # skipped the question: not counted as unharmed
    ({"experiences": ["verbal"], "none_experienced": True}, "experiences"),
    ({"experiences": ["shouting"]}, "experiences"),
    ({"experiences": "verbal"}, "experiences"),
    ({"reported": None}, "reported"),
    ({"reported": "yes", "reported_to": []}, "reported_to"),
    ({"reported_to": ["the press"]}, "reported_to"),
    ({"changes": ["moved house"]}, "changes"),
    ({"adviser_view": ""}, "adviser_view"),
    ({"guidance_view": "great"}, "guidance_view"),
    ({"comment": "x" * 2001}, "comment"),
])
def test_each_bad_answer_is_named(change, field):
    with pytest.raises(engine.AnswersInvalid) as bad:
        engine.check_answers({**GOOD, **change})
    assert field in bad.value.errors


def test_nothing_experienced_needs_no_reporting_answer_and_drops_one_given():
    a = engine.check_answers({**GOOD, "experiences": [], "none_experienced": True, "reported": None, "reported_to": ["police"]})
    assert not a.experienced and a.reported is None and a.reported_to == ()


POP = ([{"gender": "female", "party": "Green Party", "region": "North West", "force": "E1", "election_type": "local"}]
       + [{"gender": "male", "party": "Labour", "region": "North West", "force": "E1", "election_type": "local"}] * 6
       + [{"gender": "female", "party": "Labour", "region": "North West", "force": "E1", "election_type": "local"}] * 5)


def test_a_response_keeps_only_attributes_shared_by_at_least_k_candidates():
    kept = engine.generalise(POP[0], POP, k=5, parties_kept=["Labour"])
    assert kept == {"gender": "female", "party": engine.WITHHELD, "region": "North West", "force": "E1", "election_type": "local"}
    assert engine.generalise(POP[-1], POP, k=5, parties_kept=["Labour"])["party"] == "Labour"
    # A tiny election: everything but the election type is withheld.
    assert engine.generalise(POP[0], POP[:3], k=5) == {a: engine.WITHHELD for a in engine.ATTRIBUTES} | {"election_type": "local"}
    # Bulk and one-at-a-time agree.
    population = engine.Population(POP, k=5, parties_kept=["Labour"])
    assert [population.generalise(p) for p in POP] == [engine.generalise(p, POP, k=5, parties_kept=["Labour"]) for p in POP]


def _responses(n_women_yes=30, n_women_no=10, n_men_yes=20, n_men_no=25, police=12, force="E1"):
    out = []
    for gender, yes, no in (("female", n_women_yes, n_women_no), ("male", n_men_yes, n_men_no)):
        out += [engine.Response(gender, "Labour", "North West", force, "parl", True, True, False, False, True, gender == "female") for _ in range(yes)]
        out += [engine.Response(gender, "Labour", "North West", force, "parl", False, False, False, False, False, False) for _ in range(no)]
    for i in range(police):
        out[i] = engine.Response(**{**out[i].__dict__, "reported_to_police": True})
    return out


def test_shares_have_clopper_pearson_intervals_that_match_r():
    # binom.test(55, 100): 0.4472802 to 0.6496798
    figures = engine.figures(_responses(30, 15, 25, 30), invited=200, baselines=[], views={}, threshold=5, min_respondents=10)
    share = figures["headline"]["experienced"]["share"]
    assert share["estimate"] == pytest.approx(0.55) and share["lower"] == pytest.approx(0.4472802, abs=1e-6) and share["upper"] == pytest.approx(0.6496798, abs=1e-6)
    by_gender = {r["_values"]["key"]: r for r in figures["breakdowns"][0]["rows"]}
    assert by_gender["female"]["respondents"] == "45" and by_gender["female"]["experienced"] == "30"


def test_small_groups_are_suppressed_with_their_shares():
    responses = _responses(30, 10, 20, 25) + [engine.Response("non_binary", "Labour", "North West", "E1", "parl", True, True, False, False, False, False)] * 2
    table = engine.breakdown(responses, "gender", name="g", title="t", heading="Gender", labels=engine.BREAKDOWNS[0][3], threshold=5)
    rows = {r["_values"]["key"]: r for r in table["rows"]}
    assert rows["non_binary"]["respondents"] == DEFAULT_MARKER and rows["non_binary"]["share"] == DEFAULT_MARKER
    # Secondary suppression: the non-binary count cannot be had by subtraction from the others.
    assert sum(r["experienced"] == DEFAULT_MARKER for r in rows.values()) >= 2


def test_too_few_respondents_publish_nothing_but_the_invitations():
    figures = engine.figures(_responses(3, 2, 2, 1, police=0), invited=40, baselines=[], views={}, threshold=5, min_respondents=10)
    assert figures == {"threshold": 5, "invited": 40, "enough": False, "min_respondents": 10}
    assert engine.tables_of(figures) == []


def test_underreporting_ratio_and_its_interval():
    result = engine.underreporting(experienced=55, respondents=100, with_incident=100, candidates=1000)
    assert result.ratio.ratio == pytest.approx(5.5)
    assert result.ratio.lower < 5.5 < result.ratio.upper and result.ratio.lower > 3
    table = engine.underreporting_table(_responses(), [engine.ForceBaseline("E1", "Testshire", 1000, 100), engine.ForceBaseline("E2", "Othershire", 50, 2)], 5)
    rows = {r["_values"]["code"]: r for r in table["rows"]}
    assert rows["E1"]["_values"]["ratio"]["ratio"] == pytest.approx((50 / 85) / 0.1)
    assert rows["E2"]["ratio"] == DEFAULT_MARKER and rows["E2"]["ballotguard_share"] == DEFAULT_MARKER  # 2 with an incident: small


def test_views_table_is_suppressed_as_one_table():
    table = engine.views_table({"adviser_view": Counter(helpful=20, not_used=30, very_helpful=2), "guidance_view": Counter(not_used=52)}, 5)
    rows = {r["_values"]["question"]: r for r in table["rows"]}
    assert rows["Your police adviser"]["very_helpful"] == DEFAULT_MARKER


def test_a_group_that_answered_all_one_way_is_not_published():
    # Nine respondents in Cumbria, all of whom experienced abuse: publishing "9 of 9" would tell anyone who
    # knows a Cumbrian candidate responded what they said.
    responses = _responses() + [engine.Response("female", "Labour", "North West", "E9", "parl", True, True, False, False, True, True)] * 9
    table = engine.underreporting_table(responses, [engine.ForceBaseline("E1", "Testshire", 1000, 100), engine.ForceBaseline("E9", "Cumbria", 100, 20)], 5)
    rows = {r["_values"]["code"]: r for r in table["rows"]}
    assert rows["E9"]["survey_share"] == DEFAULT_MARKER and rows["E9"]["ratio"] == DEFAULT_MARKER
    assert rows["E9"]["_values"]["experienced"] is None
