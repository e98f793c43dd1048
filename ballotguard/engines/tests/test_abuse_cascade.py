"""The optional cascade scorer ``abuse-cascade-v1`` (``BALLOTGUARD_ABUSE_SCORER=cascade``): ``abuse-v1``
settles what it can, a fine-tuned network rescores the band around its threshold.

The routing and the band rule are tested with the committed default model and a stand-in network
that records what it was asked; the committed JSON and the loader's refusals need nothing optional.
The last tests need onnxruntime, tokenizers and the int8 network in ``var/models/abuse-ft-v1-int8``
(not committed; see docs/model-card-abuse.md) and are skipped, saying why, without them.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from ballotguard.engines.abuse import cascade as ac
from ballotguard.engines.abuse import finetuned_int8 as fq
from ballotguard.engines.abuse.model import MODELS_DIR, ArtifactError, Scorer, _sigmoid, default_model, sha256_file

TEXTS = ["You are a fucking idiot and a liar", "Thank you for coming to the hustings tonight", "@USER he is a liar", "what a load of rubbish",
         "Please vote Labour on Thursday", "Shut up you stupid bitch", "@USER you are wrong about this", "Love this!"]


def committed() -> dict:
    path = ac.DEFAULT_ARTIFACT.with_suffix(".json")
    if not path.is_file():
        pytest.skip(f"{path.name} not built yet (run `{ac.REBUILD_COMMAND}`)")
    return json.loads(path.read_text())


class RecordingNetwork(Scorer):
    """Stands in for the network: a fixed logit per message, and a record of what it was asked."""

    version = "stand-in"
    threshold = 0.7
    review_threshold = 0.9

    def __init__(self, logit: float):
        self.logit = logit
        self.asked: list[str] = []

    def logits(self, texts):
        self.asked += list(texts)
        return np.full(len(texts), self.logit)


def test_only_messages_in_the_band_reach_the_network_and_each_models_threshold_maps_to_a_half():
    first = default_model()
    p1 = first.score(TEXTS)
    band = (0.3, 0.7)
    net = RecordingNetwork(logit=3.0)
    cascade = ac.CascadeAbuseModel(first, net, band=band)
    scores = cascade.score(TEXTS)
    inside = (p1 >= band[0]) & (p1 < band[1])
    assert 0 < inside.sum() < len(TEXTS)  # the texts straddle the band, or this test tests nothing
    assert net.asked == [t for t, i in zip(TEXTS, inside) if i]
    assert (cascade.rescored, cascade.scored) == (int(inside.sum()), len(TEXTS))
    logit = np.log(p1 / (1 - p1)) - np.log(first.threshold / (1 - first.threshold))
    np.testing.assert_allclose(scores[~inside], _sigmoid(logit[~inside]), atol=1e-12)
    np.testing.assert_allclose(scores[inside], _sigmoid(3.0 - np.log(0.7 / 0.3)))
    np.testing.assert_array_equal(cascade.is_abusive(TEXTS), ac.decide(p1, _sigmoid(np.full(len(TEXTS), 3.0)), band, first.threshold, 0.7))
    assert cascade.explain(TEXTS[0], top=3) == first.explain(TEXTS[0], top=3)
    with pytest.raises(TypeError):
        cascade.score("one string")


def test_a_band_must_contain_the_first_models_threshold():
    with pytest.raises(ValueError, match="threshold"):
        ac.CascadeAbuseModel(default_model(), RecordingNetwork(0.0), band=(0.6, 0.9))


def test_the_band_rule_takes_the_smallest_share_within_the_tolerance():
    rng = np.random.default_rng(0)
    n = 4000
    y = rng.random(n) < 0.35
    # a network that is right more often than the first model, most of all near the first's threshold
    p1 = np.clip(np.where(y, 0.62, 0.38) + rng.normal(0, 0.2, n), 0.001, 0.999)
    p2 = np.clip(np.where(y, 0.75, 0.25) + rng.normal(0, 0.15, n), 0.001, 0.999)
    chosen = ac.choose_band(y, p1, p2, 0.5, 0.5)
    low, high = chosen["band"]
    assert low <= 0.5 <= high
    assert chosen["macro_f1"] >= chosen["network_alone_macro_f1"] - ac.TOLERANCE
    assert chosen["first_alone_macro_f1"] < chosen["network_alone_macro_f1"] - ac.TOLERANCE  # else the empty band would do
    assert 0 < chosen["share_rescored"] < 1
    # no band sending fewer messages is within the tolerance
    from ballotguard.engines.abuse import training as at

    for lo in ac.GRID[ac.GRID <= 0.5]:
        for hi in ac.GRID[ac.GRID >= 0.5]:
            if ac.in_band(p1, (lo, hi)).mean() < chosen["share_rescored"] - 1e-9:
                assert at.macro_f1(y, ac.decide(p1, p2, (lo, hi), 0.5, 0.5)) < chosen["network_alone_macro_f1"] - ac.TOLERANCE
    # a network no better than the first model gets nothing to rescore
    assert ac.choose_band(y, p1, p1, 0.5, 0.5)["share_rescored"] == 0.0


def test_committed_metadata_names_the_models_the_band_was_chosen_for():
    meta = committed()
    first = default_model()
    assert meta["version"] == ac.VERSION and meta["threshold"] == 0.5
    low, high = meta["band"]
    assert low <= first.threshold <= high
    assert meta["first"] == {"version": first.version, "threshold": first.threshold, "npz_sha256": sha256_file(MODELS_DIR / f"{first.version}.npz")}
    network = json.loads(fq.DEFAULT_ARTIFACT.with_suffix(".json").read_text())
    assert meta["network"] == {"version": fq.VERSION, "threshold": network["threshold"], "model_onnx_sha256": network["network"]["model_onnx_sha256"]}
    assert 0 < meta["inner_split"]["share_rescored"] < 1 and 0 < meta["validation"]["share_rescored"] < 1
    assert meta["rebuild_command"] == ac.REBUILD_COMMAND


def test_a_missing_cascade_json_is_refused_naming_the_rebuild_command(tmp_path):
    with pytest.raises(ArtifactError, match="abuse.cascade build"):
        ac.CascadeAbuseModel.load(tmp_path / "missing")


def test_load_refuses_what_the_band_was_not_chosen_for(tmp_path):
    meta = committed()
    other_first = dict(meta, first=dict(meta["first"], npz_sha256="0" * 64))
    (tmp_path / "other-first.json").write_text(json.dumps(other_first))
    with pytest.raises(ArtifactError, match=r"default model.*abuse.cascade build"):
        ac.CascadeAbuseModel.load(tmp_path / "other-first")
    with pytest.raises(ArtifactError, match="abuse.finetuned_int8 build"):  # the network itself is missing
        ac.CascadeAbuseModel.load(model_dir=tmp_path / "no-network")


# ---------------------------------------------------------------------------------------------
# With the runtime and the int8 network


@pytest.fixture(scope="module")
def real_cascade() -> ac.CascadeAbuseModel:
    pytest.importorskip("onnxruntime", reason="onnxruntime not installed (pip install -r requirements-embeddings.txt)")
    pytest.importorskip("tokenizers", reason="tokenizers not installed (pip install -r requirements-embeddings.txt)")
    if not (fq.DEFAULT_MODEL_DIR / "model.onnx").is_file():
        pytest.skip(f"int8 network not built in {fq.DEFAULT_MODEL_DIR} (run `{fq.REBUILD_COMMAND}`)")
    committed()
    return ac.CascadeAbuseModel.load(threads=1)


def test_real_cascade_flags_abuse_and_rescores_only_some(real_cascade):
    scores = real_cascade.score(TEXTS)
    assert scores[0] > real_cascade.threshold and scores[5] > real_cascade.threshold
    assert scores[1] < real_cascade.threshold and scores[4] < real_cascade.threshold
    assert real_cascade.rescored < real_cascade.scored == len(TEXTS)


def test_a_network_other_than_the_bands_is_refused(real_cascade, tmp_path):
    meta = committed()
    meta["network"]["model_onnx_sha256"] = "0" * 64
    (tmp_path / "other.json").write_text(json.dumps(meta))
    with pytest.raises(ArtifactError, match=r"SHA-256.*abuse.cascade build"):
        ac.CascadeAbuseModel.load(tmp_path / "other", threads=1)
