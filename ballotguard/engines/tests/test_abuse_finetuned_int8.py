"""The optional static-int8 fine-tuned scorer ``abuse-ft-v1-int8`` (``BALLOTGUARD_ABUSE_SCORER=finetuned-int8``).

The first tests need nothing optional: the committed metadata and the loader's refusals. The rest
need onnxruntime and tokenizers (``pip install -r requirements-embeddings.txt``) and the int8 network
in ``var/models/abuse-ft-v1-int8`` (not committed; built by ``python -m
ballotguard.engines.abuse.finetuned_int8 build`` from ``abuse-ft-v1``'s network, see
docs/model-card-abuse.md); they are skipped, saying which is missing, where those are absent.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from ballotguard.engines.abuse import finetuned as ft
from ballotguard.engines.abuse import finetuned_int8 as fq
from ballotguard.engines.abuse.model import ArtifactError

ABUSIVE = ["You are a fucking idiot and a liar", "Shut up you stupid bitch", "what a pathetic disgusting piece of shit you are"]
NEUTRAL = ["Thank you for coming to the hustings tonight", "Please vote Labour on Thursday", "Great to meet residents at the community centre this morning"]


def committed() -> dict:
    path = fq.DEFAULT_ARTIFACT.with_suffix(".json")
    if not path.is_file():
        pytest.skip(f"{path.name} not built yet (run `{fq.REBUILD_COMMAND}`)")
    return json.loads(path.read_text())


def test_importing_the_module_needs_no_optional_runtime():
    code = "import sys, ballotguard.engines.abuse.finetuned_int8; print(sorted(m for m in ('torch', 'onnx', 'onnxruntime', 'tokenizers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_committed_metadata_records_the_int8_network_and_the_float_one_it_came_from():
    meta = committed()
    assert fq.DEFAULT_ARTIFACT.with_suffix(".json").stat().st_size < 16 * 1024
    assert not fq.DEFAULT_ARTIFACT.with_suffix(".onnx").exists()
    assert meta["version"] == fq.VERSION == "abuse-ft-v1-int8"
    assert 0 < meta["threshold"] <= meta["review_threshold"] < 1
    assert meta["inner_split"]["review"]["precision"] >= 0.80
    for key in ("model_onnx_sha256", "tokenizer_sha256"):
        assert re.fullmatch(r"[0-9a-f]{64}", meta["network"][key])
    # made from the float32 network the committed abuse-ft-v1.json describes, with the same tokenizer
    source = json.loads(ft.DEFAULT_ARTIFACT.with_suffix(".json").read_text())
    assert meta["network"]["quantised_from"] == {"version": ft.VERSION, "model_onnx_sha256": source["network"]["model_onnx_sha256"]}
    assert meta["network"]["tokenizer_sha256"] == source["network"]["tokenizer_sha256"]
    assert meta["network"]["model_onnx_sha256"] != source["network"]["model_onnx_sha256"]
    assert meta["network"]["max_tokens"] == source["network"]["max_tokens"]
    # static ranges: the batch a message came in did not move its score at build time
    assert meta["network"]["batch_dependence_max_abs_probability_change"] < 1e-4
    assert "training tweets" in meta["recipe"]["calibration"]
    assert meta["rebuild_command"] == fq.REBUILD_COMMAND
    assert 0 < meta["validation"]["olid_validation"]["macro_f1"] < 1


def test_calibration_sample_is_fixed_and_drawn_from_the_rows_given():
    rows = [type("Row", (), {"text": f"tweet {i}"})() for i in range(2000)]
    first, again = fq.calibration_texts(rows), fq.calibration_texts(rows)
    assert first == again and len(first) == fq.CALIBRATION_MESSAGES == len(set(first))
    assert fq.calibration_texts(rows[:10]) == [f"tweet {i}" for i in range(10)]


def test_missing_files_are_refused_naming_the_int8_rebuild_command(tmp_path):
    with pytest.raises(ArtifactError, match="abuse.finetuned_int8 build"):
        fq.Int8AbuseModel.load(tmp_path / "missing")
    with pytest.raises(ArtifactError, match="abuse.finetuned_int8 build"):
        fq.Int8AbuseModel.load(model_dir=tmp_path / "no-network")


# ---------------------------------------------------------------------------------------------
# With the runtime and the network


@pytest.fixture(scope="module")
def int8_model() -> fq.Int8AbuseModel:
    pytest.importorskip("onnxruntime", reason="onnxruntime not installed (pip install -r requirements-embeddings.txt)")
    pytest.importorskip("tokenizers", reason="tokenizers not installed (pip install -r requirements-embeddings.txt)")
    if not (fq.DEFAULT_MODEL_DIR / "model.onnx").is_file():
        pytest.skip(f"int8 network not built in {fq.DEFAULT_MODEL_DIR} (run `{fq.REBUILD_COMMAND}`)")
    committed()
    return fq.Int8AbuseModel.load(threads=1)


def test_int8_model_scores_abuse_above_neutral(int8_model):
    abusive, neutral = int8_model.score(ABUSIVE), int8_model.score(NEUTRAL)
    assert abusive.dtype == np.float64 and ((0 <= abusive) & (abusive <= 1)).all()
    assert abusive.min() > int8_model.review_threshold
    assert neutral.max() < int8_model.threshold
    assert int8_model.version == fq.VERSION and int8_model.batch_size == 1


def test_a_score_does_not_depend_on_the_batch_even_when_padded_with_others(int8_model):
    """What dynamic int8 quantisation got wrong: there a message's activation ranges came from its batch."""
    texts = ABUSIVE + NEUTRAL
    alone = np.array([int8_model.score([t])[0] for t in texts])
    int8_model.batch_size = 64
    try:
        padded = int8_model.score(NEUTRAL[::-1] + texts + ["x " * 300, "you absolute fucking moron " * 5])[len(NEUTRAL) : len(NEUTRAL) + len(texts)]
    finally:
        int8_model.batch_size = 1
    np.testing.assert_allclose(padded, alone, atol=1e-5)


def test_int8_network_stays_close_to_the_float_one():
    if not (ft.DEFAULT_MODEL_DIR / "model.onnx").is_file() or not (fq.DEFAULT_MODEL_DIR / "model.onnx").is_file():
        pytest.skip(f"needs both networks built ({ft.DEFAULT_MODEL_DIR}, {fq.DEFAULT_MODEL_DIR})")
    pytest.importorskip("onnxruntime", reason="onnxruntime not installed (pip install -r requirements-embeddings.txt)")
    texts = ABUSIVE + NEUTRAL + ["@USER he is a liar and a fraud", "Vote for change on Thursday #GE2026", "@USER what a load of rubbish", "Love this!"]
    float_logits = ft.FinetunedAbuseModel.load(threads=1).logits(texts)
    int8_logits = fq.Int8AbuseModel.load(threads=1).logits(texts)
    # Within what the build measured on the 2,118 inner-split tweets (mean 0.40, max 1.97 logits on
    # 2026-12-07: int8 moves a logit by a fraction of its spread, not its sign on these clear cases).
    change = committed()["network"]["inner_split_logit_change_vs_float32"]
    assert np.abs(int8_logits - float_logits).max() <= change["max_abs"]
    assert np.abs(int8_logits - float_logits).mean() <= 2 * change["mean_abs"]
    assert (np.sign(int8_logits) == np.sign(float_logits)).all()
    assert np.corrcoef(int8_logits, float_logits)[0, 1] > 0.99


def test_an_int8_network_other_than_the_recorded_one_is_refused(int8_model, tmp_path):
    meta = committed()
    meta["network"]["model_onnx_sha256"] = "0" * 64
    (tmp_path / "other.json").write_text(json.dumps(meta))
    with pytest.raises(ArtifactError, match=r"SHA-256.*abuse.finetuned_int8 build"):
        fq.Int8AbuseModel.load(tmp_path / "other", threads=1)


# ---------------------------------------------------------------------------------------------
# The quantisation itself, on a small network of the same shape (needs onnx and onnxruntime only)


class CharTokenizer:
    """Stands in for the WordPiece tokenizer: one id per character."""

    def encode_batch(self, texts):
        return [type("Encoding", (), {"ids": [ord(c) % 63 + 1 for c in t[:40]]})() for t in texts]


def small_network(path):
    """Embedding → MatMul → Relu → MatMul (+ residual) → mean over the attention mask → MatMul head:
    the ops abuse-ft-v1's export quantises, with its input and output names."""
    onnx = pytest.importorskip("onnx", reason="onnx not installed (build-time requirement, see requirements-embeddings.txt)")
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    weights = {"E": rng.normal(0, 1, (64, 16)), "W1": rng.normal(0, 0.5, (16, 32)), "W2": rng.normal(0, 0.5, (32, 16)), "Wh": rng.normal(0, 0.5, (16, 1))}
    inits = [numpy_helper.from_array(v.astype(np.float32), k) for k, v in weights.items()]
    inits += [numpy_helper.from_array(np.array([2], dtype=np.int64), "ax2"), numpy_helper.from_array(np.array([1], dtype=np.int64), "ax1")]
    nodes = [
        helper.make_node("Gather", ["E", "input_ids"], ["h"]),
        helper.make_node("MatMul", ["h", "W1"], ["a"]), helper.make_node("Relu", ["a"], ["r"]),
        helper.make_node("MatMul", ["r", "W2"], ["h2"]), helper.make_node("Add", ["h", "h2"], ["h3"]),
        helper.make_node("Cast", ["attention_mask"], ["m"], to=TensorProto.FLOAT), helper.make_node("Unsqueeze", ["m", "ax2"], ["m3"]),
        helper.make_node("Mul", ["h3", "m3"], ["hm"]), helper.make_node("ReduceSum", ["hm", "ax1"], ["s"], keepdims=0),
        helper.make_node("ReduceSum", ["m3", "ax1"], ["n"], keepdims=0), helper.make_node("Div", ["s", "n"], ["pooled"]),
        helper.make_node("MatMul", ["pooled", "Wh"], ["logit"]),
    ]
    graph = helper.make_graph(nodes, "small", [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
                                               helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"])],
                              [helper.make_tensor_value_info("logit", TensorProto.FLOAT, ["batch", 1])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), str(path))


def scorer_for(path) -> fq.Int8AbuseModel:
    import onnxruntime as ort

    return fq.Int8AbuseModel(ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]), CharTokenizer(), threshold=0.5, review_threshold=0.5)


def test_static_quantisation_keeps_a_score_independent_of_its_batch_where_dynamic_did_not(tmp_path):
    pytest.importorskip("onnxruntime", reason="onnxruntime not installed (pip install -r requirements-embeddings.txt)")
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    small_network(tmp_path / "float.onnx")
    texts = ["you idiot", "hello there, see you at the count", "vote on thursday", "a long long message " * 2, "ok"]
    fq.quantise(tmp_path / "float.onnx", tmp_path / "static.onnx", CharTokenizer(), [f"calibration tweet {i} " * (i % 5 + 1) for i in range(64)], tmp_path / "work")
    ops = {n.op_type for n in onnx.load(str(tmp_path / "static.onnx")).graph.node}
    assert ops & {"QLinearMatMul", "MatMulInteger"} and "MatMul" not in ops
    quantize_dynamic(str(tmp_path / "float.onnx"), str(tmp_path / "dynamic.onnx"), weight_type=QuantType.QInt8)

    def moved(model) -> float:
        alone = np.array([model.score([t])[0] for t in texts])
        model.batch_size = 64
        together = model.score(texts + ["!!!!!!!! ~~~~~~~~ " * 3])[: len(texts)]
        return float(np.abs(alone - together).max())

    assert moved(scorer_for(tmp_path / "static.onnx")) < 1e-6
    assert moved(scorer_for(tmp_path / "dynamic.onnx")) > 1e-4  # what the static ranges are for
    close = np.abs(scorer_for(tmp_path / "static.onnx").score(texts) - scorer_for(tmp_path / "float.onnx").score(texts)).max()
    assert close < 0.05
