"""The optional fine-tuned scorer ``abuse-ft-v1`` (``BALLOTGUARD_ABUSE_SCORER=finetuned``).

The first tests need nothing optional: the committed metadata and the loader's refusals. The rest
need onnxruntime and tokenizers (``pip install -r requirements-embeddings.txt``) and the network in
``var/models/abuse-ft-v1`` (not committed; ``python -m ballotguard.engines.abuse.finetuned train``,
see docs/model-card-abuse.md); they are skipped, saying which is missing, where those are absent.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from ballotguard.engines.abuse import finetuned as ft
from ballotguard.engines.abuse.model import ArtifactError

ABUSIVE = ["You are a fucking idiot and a liar", "Shut up you stupid bitch", "what a pathetic disgusting piece of shit you are"]
NEUTRAL = ["Thank you for coming to the hustings tonight", "Please vote Labour on Thursday", "Great to meet residents at the community centre this morning"]


def test_importing_the_module_needs_no_optional_runtime():
    code = "import sys, ballotguard.engines.abuse.finetuned; print(sorted(m for m in ('torch', 'onnxruntime', 'tokenizers', 'transformers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_committed_metadata_is_small_json_with_hashes_and_thresholds():
    meta_path = ft.DEFAULT_ARTIFACT.with_suffix(".json")
    assert meta_path.stat().st_size < 16 * 1024
    assert not ft.DEFAULT_ARTIFACT.with_suffix(".onnx").exists()
    meta = json.loads(meta_path.read_text())
    assert meta["version"] == ft.VERSION
    assert 0 < meta["threshold"] <= meta["review_threshold"] < 1
    assert meta["inner_split"]["review"]["precision"] >= 0.80
    for key in ("model_onnx_sha256", "tokenizer_sha256"):
        assert re.fullmatch(r"[0-9a-f]{64}", meta["network"][key])
    assert meta["network"]["max_tokens"] == ft.MAX_TOKENS
    assert meta["rebuild_command"] == ft.REBUILD_COMMAND
    assert 0 < meta["validation"]["olid_validation"]["macro_f1"] < 1


def test_missing_files_are_refused_naming_the_rebuild_command(tmp_path):
    with pytest.raises(ArtifactError, match="abuse.finetuned train"):
        ft.FinetunedAbuseModel.load(tmp_path / "missing")
    with pytest.raises(ArtifactError, match="abuse.finetuned train"):
        ft.FinetunedAbuseModel.load(model_dir=tmp_path / "no-network")


# ---------------------------------------------------------------------------------------------
# With the runtime and the network


@pytest.fixture(scope="module")
def real_model() -> ft.FinetunedAbuseModel:
    pytest.importorskip("onnxruntime", reason="onnxruntime not installed (pip install -r requirements-embeddings.txt)")
    pytest.importorskip("tokenizers", reason="tokenizers not installed (pip install -r requirements-embeddings.txt)")
    if not (ft.DEFAULT_MODEL_DIR / "model.onnx").is_file():
        pytest.skip(f"fine-tuned network not built in {ft.DEFAULT_MODEL_DIR} (run `{ft.REBUILD_COMMAND}`)")
    return ft.FinetunedAbuseModel.load(threads=1)


def test_real_model_scores_abuse_above_neutral(real_model):
    abusive, neutral = real_model.score(ABUSIVE), real_model.score(NEUTRAL)
    assert abusive.dtype == np.float64 and ((0 <= abusive) & (abusive <= 1)).all()
    assert abusive.min() > real_model.review_threshold
    assert neutral.max() < real_model.threshold
    assert real_model.is_abusive(ABUSIVE).all() and not real_model.needs_review(NEUTRAL).any()


def test_a_score_does_not_depend_on_the_other_messages_in_the_batch(real_model):
    alone = np.array([real_model.score([t])[0] for t in ABUSIVE + NEUTRAL])
    together = real_model.score(NEUTRAL[::-1] + ABUSIVE + ["x " * 300] + NEUTRAL)[len(NEUTRAL) : len(NEUTRAL) + len(ABUSIVE)]
    np.testing.assert_allclose(together, alone[: len(ABUSIVE)], atol=1e-5)
    assert real_model.score([]).shape == (0,)


def test_real_model_api_matches_the_default_model(real_model):
    with pytest.raises(TypeError):
        real_model.score("one string")
    with pytest.raises(TypeError):
        real_model.score([None])
    explained = real_model.explain(ABUSIVE[0], top=3)
    assert 0 < len(explained) <= 3 and all(isinstance(label, str) and isinstance(v, float) for label, v in explained)
    assert real_model.metadata["threshold"] == real_model.threshold
    assert real_model.version == ft.VERSION


def test_a_network_other_than_the_recorded_one_is_refused(real_model, tmp_path):
    meta = json.loads(ft.DEFAULT_ARTIFACT.with_suffix(".json").read_text())
    meta["network"]["model_onnx_sha256"] = "0" * 64
    (tmp_path / "other.json").write_text(json.dumps(meta))
    with pytest.raises(ArtifactError, match="SHA-256"):
        ft.FinetunedAbuseModel.load(tmp_path / "other", threads=1)
