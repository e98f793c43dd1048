"""The learned threat scorer: its features, its artefact, how it sits beside the rules, and its recipe."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from ballotguard.engines.abuse import threat_model as tm
from ballotguard.engines.abuse import threat_training as tt
from ballotguard.engines.abuse import threats
from ballotguard.engines.abuse.model import default_model
from ballotguard.engines.abuse.scoring import EVENT_DAY_ODDS, LINKED_SENDER_ODDS, ThreatContext, score_messages

SHARED = pathlib.Path(__file__).resolve().parents[3].parent / "shared" / "data" / "abuse"


def axes(text: str) -> dict[str, float]:
    return dict(zip(tm.FEATURES, tm.signals(text).values))


def test_harm_target_and_intent_together():
    f = axes("I'm going to stab that man tomorrow")
    assert f["harm"] == f["target"] == f["intent"] == f["harm_x_target_x_intent"] == 1.0
    assert tm.signals("I'm going to stab that man tomorrow").evidence == {"harm": "stab", "target": "that man", "intent": "im going to"}


def test_far_apart_words_are_not_one_statement():
    """Harm words in one sentence and 'you should' forty words later make no harm x intent."""
    text = "The debate on knife attacks in the city went on for hours and nobody listened to the families at all. " "Anyway you should come to the meeting on Tuesday"
    f = axes(text)
    assert f["harm"] == 1.0 and f["intent"] == 1.0 and f["harm_x_intent"] == 0.0


def test_implied_harm_counts_as_harm():
    """Surveillance of the person's life, waiting where they will be and murdered MPs carry harm
    without a harm verb (the design assumption the model card states)."""
    for text in ("We know what time you leave for the school run", "We'll be waiting for you at the hustings", "Remember what happened to Jo Cox"):
        assert axes(text)["harm"] == 1.0, text
    assert axes("We know the school run is busy on Mondays")["harm"] == 0.0  # no menace aimed at the person
    # Being where the person will be, in words supporters use too, is harm only beside menace or surveillance
    assert axes("See you at the hustings on Thursday!")["harm"] == 0.0
    assert axes("See you at the hustings on Thursday. Watch your back")["harm"] == 1.0
    assert axes("I know your office is closed on Mondays")["harm"] == 0.0  # knowing is not watching


def test_well_is_we_will_only_with_its_apostrophe():
    assert axes("We'll find you at the count")["intent"] == 1.0
    assert axes("Well done at the count, see you there")["intent"] == 0.0


def test_safe_uses_of_harm_words():
    assert axes("Kill the bill!")["harm"] == 0.0  # figurative: blanked before matching
    assert axes("We need gun control now")["harm"] == 0.0  # a topic of debate, not an act
    assert axes("Scrap the tax on pensions now")["object_only"] == 1.0
    assert axes("I would never hurt anyone")["negation_x_harm"] == 1.0
    assert axes('Saying "I will kill all of them" is vile')["mitigated_x_harm"] == 1.0


def test_committed_artefact_loads_and_is_monotone():
    model = tm.ThreatModel.load()
    assert model.version == "threat-v2" and 0 < model.threshold < 1 and 0 < model.rule_precision <= 1
    # the sign constraints held when it was fitted
    for name, weight in zip(tm.FEATURES, model.weights):
        assert weight * tt.SIGNS[name] >= 0 or tt.SIGNS[name] == 0, name
    base = [0.0] * len(tm.FEATURES)
    full = dict(zip(tm.FEATURES, base)) | {"harm": 1, "target": 1, "intent": 1, "harm_x_target": 1, "harm_x_intent": 1, "harm_x_target_x_intent": 1}
    assert model.probability([full[f] for f in tm.FEATURES]) > model.threshold > model.probability(base)


def test_clear_threats_and_ordinary_messages_with_the_committed_model():
    model = tm.ThreatModel.load()
    for text in ("I am going to kill you and your family tonight", "Someone should just shoot that traitor MP", "I'll slit your throat"):
        assert model.score(text).is_threat, text
    for text in ("What is your position on the bus cuts in Yardley?", "Great to meet you on the doorstep today, thanks for listening", "Kill the bill!",
                 "See you at the hustings on Thursday!", "Great to see you at the count, well done", "I know your office is closed on Mondays"):
        assert not model.score(text).is_threat, text


def test_artefact_round_trip_and_errors(tmp_path):
    model = tm.ThreatModel.load()
    path = model.save(tmp_path / "t.json")
    assert tm.ThreatModel.load(path) == model
    data = json.loads(path.read_text())
    data["features"] = data["features"][:-1]
    path.write_text(json.dumps(data))
    with pytest.raises(tm.ArtifactError, match="rebuild it"):
        tm.ThreatModel.load(path)
    path.write_text("{not json")
    with pytest.raises(tm.ArtifactError, match="not JSON"):
        tm.ThreatModel.load(path)
    with pytest.raises(tm.ArtifactError, match="train-threat-model"):
        tm.ThreatModel.load(tmp_path / "missing.json")


def _model(**weights) -> tm.ThreatModel:
    """A hand-set model for testing how scores combine (identity calibration)."""
    return tm.ThreatModel("test", tuple(float(weights.get(f, 0.0)) for f in tm.FEATURES), weights.get("bias", -4.0), (1.0, 0.0), 0.5, rule_precision=0.9)


def test_rules_are_a_floor_and_rank_by_their_precision():
    model = _model()  # scores everything at sigmoid(-4) ≈ 0.018
    text = "I will kill you"
    rules = threats.assess_threat(text)
    [score] = score_messages([text], default_model(), threat_model=model)
    assert score.is_threat and score.threat_score == pytest.approx(0.9 * rules.score, abs=1e-4)
    assert not any(r.startswith("threat model") for r in score.reasons)  # the model did not flag it; the rules did
    [alone] = score_messages([text], default_model(), threat_model=None)
    assert alone.threat_score == pytest.approx(rules.score, abs=1e-4) and alone.is_threat


def test_the_model_flags_what_the_rules_miss_with_a_reason():
    model = _model(harm_x_target_x_intent=6.0)
    text = "I'm going to drown those people next week"
    assert not threats.assess_threat(text).is_threat
    [score] = score_messages([text], default_model(), threat_model=model)
    assert score.is_threat and score.threat_score > 0.8
    assert any(r.startswith("threat model") and "harm 'drown'" in r for r in score.reasons)


def test_context_raises_the_threat_score_with_a_reason():
    model = _model(harm=3.7)  # harm alone: sigmoid(-0.3) ≈ 0.43, under the 0.5 threshold
    text = "Remember what happened to Jo Cox"
    [plain, event, linked] = score_messages(
        [text] * 3, default_model(), threat_model=model,
        contexts=[ThreatContext(), ThreatContext(event_day="on the polling day of Yardley (4 July 2024)"), ThreatContext(sender_linked=True)],
    )
    p = plain.threat_score
    assert not plain.is_threat and p < 0.5
    odds = p / (1 - p)
    assert event.threat_score == pytest.approx(odds * EVENT_DAY_ODDS / (1 + odds * EVENT_DAY_ODDS), abs=2e-4) and event.is_threat
    assert linked.threat_score == pytest.approx(odds * LINKED_SENDER_ODDS / (1 + odds * LINKED_SENDER_ODDS), abs=2e-4) and linked.is_threat
    assert "raised: sent on the polling day of Yardley (4 July 2024), when the candidate is at a known public place" in event.reasons
    assert any("already linked to an incident" in r for r in linked.reasons)
    [ordinary] = score_messages(["Thanks for the leaflet"], default_model(), threat_model=model, contexts=[ThreatContext(sender_linked=True)])
    assert not ordinary.is_threat and not any(r.startswith("raised") for r in ordinary.reasons)


def test_sign_constrained_fit_keeps_the_prior():
    """A feature whose sign is fixed positive gets weight 0, not a negative one, when the data say otherwise."""
    rng = np.random.default_rng(7)
    n = 400
    X = np.zeros((n, len(tm.FEATURES)))
    y = rng.random(n) < 0.3
    X[:, tm.FEATURES.index("harm_x_intent")] = y  # informative
    X[:, tm.FEATURES.index("target")] = ~y & (rng.random(n) < 0.8)  # anti-correlated with threats
    fit = tt._fit(X, y, np.ones(n), 0)
    assert fit.coef[tm.FEATURES.index("harm_x_intent")] > 1.0
    assert fit.coef[tm.FEATURES.index("target")] == pytest.approx(0.0, abs=1e-9)


def test_threshold_is_the_lowest_within_the_validation_ceilings_with_a_margin():
    rows = [tt.ThreatRow("t", True, True, "hatecheck", "g1", "threat_dir_h")] * 10
    rows += [tt.ThreatRow("n", False, False, "hatecheck", "g2", "derog_neg_emote_h")] * 20
    rows += [tt.ThreatRow("w", False, False, "olid", "o", "NOT")] * 100
    rows += [tt.ThreatRow("u", False, False, "olid", "o", "UNT")] * 10
    prob = np.array([0.9] * 5 + [0.2] * 5 + [0.3] + [0.01] * 19 + [0.12] * 5 + [0.07] * 2 + [0.001] * 93 + [0.2] * 10)
    threshold, figures = tt.choose_threshold(prob, rows)
    # At 0.2 every threat is caught, one HateCheck non-threat in 20 (the 5 % ceiling) is flagged, and
    # at half its odds (0.11) five ordinary tweets in 100 (5 %) would be. At 0.12, half the odds
    # (0.064) would flag seven tweets: over the ceiling, though 0.12 itself flags only five. The
    # profane (UNT) tweets are not ordinary mail and do not count.
    assert threshold == pytest.approx(0.2) and figures == {"recall": 1.0, "false_alarms": 0.05, "tweet_false_alarms": 0.0}
    assert tt.VALIDATION_FALSE_ALARMS < tt.TARGET_FALSE_ALARMS and tt.ODDS_MARGIN > 1


@pytest.mark.realdata
def test_template_split_keeps_families_whole():
    path = SHARED / tt.HATECHECK_FILE
    if not path.is_file():
        pytest.skip(f"HateCheck not found at {path}")
    rows = tt.read_hatecheck(path)
    assert len(rows) == 3728 and sum(r.strict for r in rows) == 273
    train, test = tt.template_split(rows, seed=tt.SEED)
    assert not {r.group for r in train} & {r.group for r in test}
    assert sum(r.strict for r in test) > 50 and sum(r.strict for r in train) > 50
    # "I want to kill him" is not hate speech but is a threat; "I would never kill..." is neither
    assert all(r.is_threat for r in rows if r.kind in tt.THREAT_FUNCTIONALITIES)
    assert not any(r.is_threat for r in rows if r.kind in ("negate_neg_nh", "counter_quote_nh", "target_obj_nh"))


@pytest.mark.realdata
def test_the_command_rebuilds_the_committed_artefact(tmp_path):
    """One documented command rebuilds the artefact exactly (the figures in it included)."""
    if not (SHARED / tt.HATECHECK_FILE).is_file():
        pytest.skip(f"shared abuse data not found at {SHARED}")
    model, figures = tt.train_default(SHARED, seed=tt.SEED)
    committed = tm.ThreatModel.load()
    assert model.weights == pytest.approx(committed.weights, abs=1e-5)
    assert model.threshold == pytest.approx(committed.threshold, abs=1e-5)
    assert figures == committed.metadata["held_out"]
