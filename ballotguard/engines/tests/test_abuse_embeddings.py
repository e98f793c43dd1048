"""The optional embedding scorer (``BALLOTGUARD_ABUSE_SCORER=embeddings``).

The tests in the first part need nothing optional: they check the committed artifact and the
scorer's arithmetic and API with a stand-in encoder. Those in the second part need onnxruntime and
tokenizers (``pip install -r requirements-embeddings.txt``) and the exported encoder in
``var/models/minilm-l6-v2`` (``python -m ballotguard.engines.abuse.embeddings export-encoder``);
they are skipped, saying which is missing, where those are absent.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from ballotguard.engines.abuse import embeddings as ae
from ballotguard.engines.abuse.model import DEFAULT_ARTIFACT as BASE_ARTIFACT
from ballotguard.engines.abuse.model import ArtifactError, default_model

ABUSIVE = ["You are a fucking idiot and a liar", "Shut up you stupid bitch", "what a pathetic disgusting piece of shit you are"]
NEUTRAL = ["Thank you for coming to the hustings tonight", "Please vote Labour on Thursday", "Great to meet residents at the community centre this morning"]


class StubEncoder:
    """Deterministic stand-in for :class:`ae.Encoder`: an embedding from the message's length."""

    def embed(self, texts):
        texts = list(texts)
        out = np.zeros((len(texts), ae.EMBED_DIM), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i] = np.cos(np.arange(ae.EMBED_DIM) * (1 + len(t) % 7))
        return out


def stub_model(combiner=(0.7, 0.5, 0.1)) -> ae.EmbeddingAbuseModel:
    w = np.linspace(-0.01, 0.01, ae.EMBED_DIM)
    return ae.EmbeddingAbuseModel(default_model(), StubEncoder(), w, 0.2, combiner, threshold=0.5, review_threshold=0.7, metadata={"x": 1})


def test_importing_the_module_needs_no_optional_runtime():
    code = "import sys, ballotguard.engines.abuse.embeddings; print(sorted(m for m in ('torch', 'onnxruntime', 'tokenizers', 'transformers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_committed_artifact_is_small_plain_arrays_and_json():
    npz, meta = ae.DEFAULT_ARTIFACT.with_suffix(".npz"), ae.DEFAULT_ARTIFACT.with_suffix(".json")
    with zipfile.ZipFile(npz) as z:
        assert sorted(z.namelist()) == ["combiner.npy", "head_bias.npy", "head_weights.npy", "reference_embeddings.npy"]
    with np.load(npz, allow_pickle=False) as arrays:
        assert arrays["head_weights"].shape == (ae.EMBED_DIM,)
        assert arrays["reference_embeddings"].shape == (len(ae.REFERENCE_TEXTS), ae.EMBED_DIM)
    assert npz.stat().st_size < 64 * 1024
    metadata = json.loads(meta.read_text())
    assert 0 < metadata["threshold"] < metadata["review_threshold"] < 1
    assert metadata["version"] == ae.VERSION
    # stacked on the committed default model, byte for byte
    assert metadata["base_model"]["npz_sha256"] == ae.sha256_file(BASE_ARTIFACT.with_suffix(".npz"))
    # the figures it was chosen for: better than the default on the held-out split
    figures = metadata["validation"]
    assert figures["olid_validation"]["macro_f1"] > figures["olid_validation_default_model"]["macro_f1"]


def test_runtime_missing_is_a_reason_or_none():
    reason = ae.runtime_missing()
    assert reason is None or "requirements-embeddings.txt" in reason


def test_scores_combine_both_logits():
    model = stub_model()
    texts = ABUSIVE + NEUTRAL
    z_ngram = default_model().logits(texts)
    z_emb = StubEncoder().embed(texts).astype(np.float64) @ model.head_weights + model.head_bias
    expected = 1 / (1 + np.exp(-(0.7 * z_ngram + 0.5 * z_emb + 0.1)))
    np.testing.assert_allclose(model.score(texts), expected, rtol=1e-12)
    np.testing.assert_array_equal(model.is_abusive(texts), model.score(texts) >= model.threshold)
    np.testing.assert_array_equal(model.needs_review(texts), model.score(texts) >= model.review_threshold)
    assert model.metadata["threshold"] == 0.5 and model.metadata["review_threshold"] == 0.7
    assert model.score([]).shape == (0,)


def test_same_api_as_the_default_model():
    model = stub_model()
    with pytest.raises(TypeError):
        model.score("one string")
    with pytest.raises(TypeError):
        model.score(["fine", 3])
    base = dict(default_model().explain(ABUSIVE[0], 3))
    explained = model.explain(ABUSIVE[0], 3)
    assert [label for label, _ in explained] == list(base)
    for label, value in explained:
        assert value == pytest.approx(0.7 * base[label])
    assert model.version == ae.VERSION


def test_bad_shapes_and_missing_files_are_refused(tmp_path):
    with pytest.raises(ArtifactError):
        ae.EmbeddingAbuseModel(default_model(), StubEncoder(), np.zeros(10), 0.0, (1, 1, 0), threshold=0.5, review_threshold=0.6)
    with pytest.raises(ArtifactError, match="export-encoder"):
        ae.Encoder(tmp_path / "nowhere")
    with pytest.raises(ArtifactError, match="abuse.embeddings train"):
        ae.EmbeddingAbuseModel.load(tmp_path / "missing")


# ---------------------------------------------------------------------------------------------
# With the optional runtime and the exported encoder


@pytest.fixture(scope="module")
def real_model() -> ae.EmbeddingAbuseModel:
    pytest.importorskip("onnxruntime", reason="optional embedding runtime not installed: pip install -r requirements-embeddings.txt")
    pytest.importorskip("tokenizers", reason="optional embedding runtime not installed: pip install -r requirements-embeddings.txt")
    if not (ae.DEFAULT_ENCODER_DIR / "model.onnx").is_file():
        pytest.skip(f"encoder not exported to {ae.DEFAULT_ENCODER_DIR}: run `{ae.REBUILD_COMMANDS[0]}`")
    return ae.EmbeddingAbuseModel.load(threads=1)


def test_real_model_scores(real_model):
    abusive, neutral = real_model.score(ABUSIVE), real_model.score(NEUTRAL)
    assert (abusive >= real_model.threshold).all()
    assert (neutral < real_model.review_threshold).all()
    assert abusive.min() > neutral.max()


def test_real_model_batch_equals_one_by_one(real_model):
    texts = ABUSIVE + NEUTRAL + ["", "🙂", "x" * 5000]
    batch = real_model.score(texts)
    single = np.array([real_model.score([t])[0] for t in texts])
    np.testing.assert_allclose(batch, single, atol=1e-5)


def test_load_refuses_another_encoder(real_model, tmp_path):
    npz, meta = ae.DEFAULT_ARTIFACT.with_suffix(".npz"), ae.DEFAULT_ARTIFACT.with_suffix(".json")
    with np.load(npz, allow_pickle=False) as arrays:
        arrays = dict(arrays)
    arrays["reference_embeddings"] = np.roll(arrays["reference_embeddings"], 1, axis=1)
    np.savez(tmp_path / "other.npz", **arrays)
    (tmp_path / "other.json").write_text(meta.read_text())
    with pytest.raises(ArtifactError, match="not the one"):
        ae.EmbeddingAbuseModel.load(tmp_path / "other", threads=1)
