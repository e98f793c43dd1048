"""The abuse model: the committed artifact, its scores and reasons, and the training recipe."""

from __future__ import annotations

import json
import pathlib
import zipfile

import numpy as np
import pytest

from ballotguard.engines.abuse import training as at
from ballotguard.engines.abuse.model import DEFAULT_ARTIFACT, MAX_CHARS, AbuseModel, FeaturiserParams, default_model, normalise

SHARED = pathlib.Path(__file__).resolve().parents[3].parent / "shared" / "data" / "abuse"

ABUSIVE = [
    "You are a fucking idiot and a liar",
    "Shut up you stupid bitch",
    "what a pathetic disgusting piece of shit you are",
]
NEUTRAL = [
    "Thank you for coming to the hustings tonight",
    "Please vote Labour on Thursday",
    "Great to meet residents at the community centre this morning",
]


@pytest.fixture(scope="module")
def model() -> AbuseModel:
    return default_model()


def test_artifact_is_plain_arrays_and_json():
    npz, meta = DEFAULT_ARTIFACT.with_suffix(".npz"), DEFAULT_ARTIFACT.with_suffix(".json")
    with zipfile.ZipFile(npz) as z:
        assert sorted(z.namelist()) == ["bias.npy", "idf.npy", "weights.npy"]
    with np.load(npz, allow_pickle=False) as arrays:
        assert arrays["weights"].dtype == np.float16 and arrays["idf"].dtype == np.float16
    metadata = json.loads(meta.read_text())
    assert metadata["rebuild_command"].startswith("ballotguard train-abuse-model")
    assert npz.stat().st_size < 5 * 1024 * 1024
    assert 0 < metadata["threshold"] < 1
    # the review-queue operating point is stricter than the macro-F1 one, and its rule is recorded
    assert metadata["threshold"] < metadata["review_threshold"] < 1
    assert "precision is >= 0.80" in metadata["classifier"]["review_threshold_rule"]
    assert metadata["classifier"]["review_inner_split"]["precision"] >= 0.80


def test_model_exposes_both_operating_points(model):
    assert model.metadata["threshold"] == model.threshold
    assert model.metadata["review_threshold"] == model.review_threshold
    texts = ABUSIVE + NEUTRAL
    scores = model.score(texts)
    np.testing.assert_array_equal(model.is_abusive(texts), scores >= model.threshold)
    np.testing.assert_array_equal(model.needs_review(texts), scores >= model.review_threshold)
    assert not model.needs_review(NEUTRAL).any()


def test_review_threshold_rule():
    y = np.array([1, 0, 1, 1, 0, 1, 1, 1, 1, 1], dtype=bool)
    prob = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95])
    t, info = at.review_threshold(y, prob, precision=0.8)
    # precision: >=0.1 → 0.8 (8/10): the lowest threshold reaching 0.8 wins, however low
    assert t == 0.01 and info["met"] and info["precision"] == 0.8
    t, info = at.review_threshold(y, prob, precision=0.9)
    assert t == 0.51 and info["met"] and info["recall"] == 0.625  # 5 of 8 abusive rows above 0.51
    t, info = at.review_threshold(~y, prob, precision=0.9)  # never reached: the most precise threshold
    assert not info["met"] and t == 0.11 and info["precision"] == 0.2222  # 2 of 9 rows above 0.11


def test_scores_are_probabilities_and_deterministic(model):
    texts = ABUSIVE + NEUTRAL
    first, second = model.score(texts), model.score(texts)
    assert first.shape == (len(texts),)
    assert np.array_equal(first, second)
    assert ((first >= 0) & (first <= 1)).all()


def test_abusive_above_threshold_neutral_below(model):
    assert (model.score(ABUSIVE) >= model.threshold).all()
    assert (model.score(NEUTRAL) < model.threshold).all()


def test_batch_equals_one_by_one(model):
    texts = ABUSIVE + NEUTRAL + ["", "😂😂", "x" * 5000]
    batch = model.score(texts)
    single = np.array([model.score([t])[0] for t in texts])
    np.testing.assert_allclose(batch, single, rtol=0, atol=1e-12)


def test_chunking_does_not_change_scores(model, monkeypatch):
    texts = (ABUSIVE + NEUTRAL) * 5
    whole = model.score(texts)
    monkeypatch.setattr(model, "chunk_size", 4)
    np.testing.assert_allclose(model.score(texts), whole, rtol=0, atol=1e-12)


def test_edge_inputs(model):
    scores = model.score(["", " ", "x" * 100_000, "Ça va? Привет 你好 🤬🔪", "\x00\u200b\ufeff", "\ud800 lone surrogate", "🏳️‍🌈👍🏽"])
    assert ((scores >= 0) & (scores <= 1)).all()
    assert model.score([]).shape == (0,)
    # long messages are cut to MAX_CHARS: what follows cannot change the score
    head = "you idiot " * (MAX_CHARS // 10)
    assert model.score([head])[0] == model.score([head + " thank you so much"])[0]
    with pytest.raises(TypeError):
        model.score([None])
    with pytest.raises(TypeError):
        model.score("a single string")
    assert model.explain("") == []


def test_normalise():
    assert normalise("@Someone's a F**KING idiot!!!! https://x.co/abc #LockHerUp 2024 😂") == (
        "@user 's a f**king idiot !! url # lock her up 0 face_with_tears_of_joy"
    )
    assert normalise("ｉｄｉｏｔ") == "idiot"  # full-width letters folded
    assert normalise("id\u200biot") == "idiot"  # zero-width space dropped


def test_explain_is_exact_and_signed(model):
    text = "You are a fucking idiot and a liar"
    contributions = model.contributions(text)
    logit = model.logits([text])[0]
    assert sum(contributions.values()) + model.bias == pytest.approx(logit, abs=1e-9)
    reasons = model.explain(text, top=3)
    assert len(reasons) == 3
    assert [c for _, c in reasons] == sorted((c for _, c in reasons), reverse=True)
    labels = [label for label, _ in reasons]
    assert "word:idiot" in labels and all(label.startswith(("word:", "phrase:")) for label in labels)
    assert all(c > 0 for _, c in reasons)  # an abusive message's strongest reasons push towards abusive
    thanks = dict(model.explain("Thank you so much for your help", top=10))
    assert thanks["word:thank"] < 0


def test_load_rejects_missing_and_other_featuriser(tmp_path):
    from ballotguard.engines.abuse.model import ArtifactError

    with pytest.raises(ArtifactError):
        AbuseModel.load(tmp_path / "nothing")
    meta = json.loads(DEFAULT_ARTIFACT.with_suffix(".json").read_text())
    meta["featuriser"]["version"] = 999
    (tmp_path / "m.json").write_text(json.dumps(meta))
    (tmp_path / "m.npz").write_bytes(DEFAULT_ARTIFACT.with_suffix(".npz").read_bytes())
    with pytest.raises(ArtifactError, match="retrain"):
        AbuseModel.load(tmp_path / "m")


def test_load_rejects_artifact_without_review_threshold(tmp_path):
    """An artifact from before the review operating point is refused, naming the rebuild command."""
    from ballotguard.engines.abuse.model import ArtifactError

    meta = json.loads(DEFAULT_ARTIFACT.with_suffix(".json").read_text())
    del meta["review_threshold"]
    (tmp_path / "old.json").write_text(json.dumps(meta))
    (tmp_path / "old.npz").write_bytes(DEFAULT_ARTIFACT.with_suffix(".npz").read_bytes())
    with pytest.raises(ArtifactError, match="review_threshold.*ballotguard train-abuse-model --data-dir"):
        AbuseModel.load(tmp_path / "old")


def test_holdout_split_is_deterministic_and_stratified():
    rows = [at.LabelledText(f"text {i}", i % 3 == 0, "olid", str(1000 + i)) for i in range(300)]
    train, valid = at.holdout_split(rows, seed=7)
    assert {r.id for r in valid} == {r.id for r in at.holdout_split(list(reversed(rows)), seed=7)[1]}
    assert len(valid) == 60 and sum(r.is_abusive for r in valid) == 20
    assert not {r.id for r in train} & {r.id for r in valid}
    assert {r.id for r in valid} != {r.id for r in at.holdout_split(rows, seed=8)[1]}


def test_training_on_a_tiny_dataset_round_trips(tmp_path):
    rude = ["you are an idiot", "shut up moron", "what a stupid clown", "you pathetic liar", "idiot moron clown", "get lost you idiot"]
    kind = ["thank you for your help", "see you at the meeting", "lovely day for canvassing", "the count starts at ten", "thanks for the leaflet", "good luck on thursday"]
    rows = [at.LabelledText(t, True, "tiny", f"r{i}") for i, t in enumerate(rude * 4)] + [at.LabelledText(t, False, "tiny", f"k{i}") for i, t in enumerate(kind * 4)]
    params = FeaturiserParams(word_bits=12, char_bits=12, lexicon=("idiot",))
    model = at.train(rows, extra=[("total buffoon", True)], seed=1, params=params, c_grid=(1.0,))
    assert model.metadata["feedback_rows"] == 1 and model.metadata["training_rows"] == {"tiny": 48, "feedback": 1}
    at.save_artifact(model, tmp_path / "tiny")
    loaded = AbuseModel.load(tmp_path / "tiny.npz")
    texts = ["you idiot", "thanks for the help", ""]
    np.testing.assert_array_equal(loaded.score(texts), model.score(texts))
    assert loaded.threshold == model.threshold and loaded.params == params
    assert loaded.review_threshold == model.review_threshold and "review_threshold_rule" in loaded.metadata["classifier"]
    assert loaded.score(["you idiot"])[0] > loaded.score(["thanks for the help"])[0]


def test_feedback_csv(tmp_path):
    path = tmp_path / "fb.csv"
    path.write_text('text,is_abusive\n"you clown",1\nthanks,false\n', encoding="utf-8")
    assert at.read_feedback_csv(path) == [("you clown", True), ("thanks", False)]
    path.write_text("text,is_abusive\nx,maybe\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        at.read_feedback_csv(path)


def test_olid_test_set_is_read_in_either_published_form(tmp_path):
    olid, tweeteval, neither = tmp_path / "olid", tmp_path / "tweeteval", tmp_path / "neither"
    for d in (olid, tweeteval, neither):
        d.mkdir()
    (olid / "testset-levela.tsv").write_text('id\ttweet\n15923\t@USER you are a "clown"\n27014\tlovely day URL\n', encoding="utf-8")
    (olid / "labels-levela.csv").write_text("15923,OFF\n27014,NOT\n", encoding="utf-8")
    (tweeteval / "test_text.txt").write_text('@user you are a "clown"\nlovely day URL\n', encoding="utf-8")
    (tweeteval / "test_labels.txt").write_text("1\n0\n", encoding="utf-8")
    for d in (olid, tweeteval):
        assert [(r.text, r.is_abusive) for r in at.read_olid_test(d)] == [('@USER you are a "clown"', True), ("lovely day URL", False)]
    (olid / "labels-levela.csv").write_text("15923,OFF\n27014,MAYBE\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        at.read_olid_test(olid)
    (tweeteval / "test_labels.txt").write_text("1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="do not match"):
        at.read_olid_test(tweeteval)
    with pytest.raises(ValueError, match="no OLID test set"):
        at.read_olid_test(neither)


@pytest.mark.realdata
def test_artifact_reproduces_its_validation_figures(model):
    """The model artifact loads and reproduces the validation figures within a tolerance."""
    olid = SHARED / at.OLID_FILE
    if not olid.is_file():
        pytest.skip(f"shared abuse data not found at {SHARED}")
    meta = model.metadata
    rows = at.read_olid(olid)
    assert len(rows) == meta["data_files"]["olid"]["rows"]
    assert at.sha256_file(olid) == meta["data_files"]["olid"]["sha256"]
    _, valid = at.holdout_split(rows, seed=meta["split"]["seed"])
    assert len(valid) == meta["split"]["validation_rows"]
    figures = at.evaluate(model, valid)
    assert figures["macro_f1"] == pytest.approx(meta["validation"]["olid_validation"]["macro_f1"], abs=0.005)
