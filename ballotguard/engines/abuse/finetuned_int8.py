"""``abuse-ft-v1-int8``: the fine-tuned scorer ``abuse-ft-v1`` with its network quantised to int8, statically.

Selected with ``BALLOTGUARD_ABUSE_SCORER=finetuned-int8`` (optional, like ``abuse-ft-v1``; the default
scorer stays the default). See ``docs/model-card-abuse.md`` ("Faster fine-tuned scorers") for the figures.

Why *static*: onnxruntime's dynamic int8 quantisation measures each activation's range on the batch
being scored, so a message's score depended on the other messages in its batch (tried and rejected
for the embedding scorer). Here every activation's range is measured once, at build time, on
:data:`CALIBRATION_MESSAGES` OLID training tweets (rows the network was trained on; never the
validation split) and written into the network, so a message's score is a function of that message
alone. The scorer also runs **one message per onnxruntime call** (:attr:`Int8AbuseModel.batch_size`
= 1): no padding is computed, which on 2 cores is faster than batches of similar length.

What is quantised: the weights and inputs of the MatMul nodes (the projections and feed-forward
layers, ~90 % of the arithmetic), weights int8 per output channel, activations uint8 per tensor with
the range cut to 7 bits (``reduce_range``: CPUs without VNNI, such as this project's, can overflow
16-bit intermediate sums with full 8-bit operands). Embeddings, LayerNorm, softmax, GELU and the head
stay float32. The thresholds are taken again on the inner split with the quantised network (the
same rule as ``abuse-ft-v1``), since quantisation moves the scores a little.

Files: ``ballotguard/engines/abuse/models/abuse-ft-v1-int8.json`` (committed: thresholds, recipe,
figures, the SHA-256 of the int8 ONNX file, of the tokenizer and of the float32 network it was made
from) and ``var/models/abuse-ft-v1-int8/`` (NOT committed: ``model.onnx``, ~58 MB, and
``tokenizer.json``), written by ``python -m ballotguard.engines.abuse.finetuned_int8 build`` from the
float32 network in ``var/models/abuse-ft-v1`` (which must match the committed ``abuse-ft-v1.json``).
Building needs onnx and onnxruntime; serving only onnxruntime and tokenizers.
"""

from __future__ import annotations

import datetime as dt
import platform
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ballotguard.engines.abuse import finetuned as ft
from ballotguard.engines.abuse.embeddings import REPO_ROOT
from ballotguard.engines.abuse.model import MODELS_DIR, _sigmoid, package_version, sha256_file

VERSION = "abuse-ft-v1-int8"
DEFAULT_ARTIFACT = MODELS_DIR / VERSION
DEFAULT_MODEL_DIR = REPO_ROOT / "var" / "models" / VERSION
#: OLID training tweets whose activations set the int8 ranges (a fixed sample of the network's own
#: inner-training rows; the inner split, which chooses the thresholds, and the validation split are
#: never read for calibration).
CALIBRATION_MESSAGES = 512
CALIBRATION_SEED = 0
REBUILD_COMMAND = (
    "python -m ballotguard.engines.abuse.finetuned_int8 build --data-dir ../shared/data/abuse "
    "--source-dir var/models/abuse-ft-v1 --model-dir var/models/abuse-ft-v1-int8 --out ballotguard/engines/abuse/models/abuse-ft-v1-int8"
)
RECIPE = {
    "method": "onnxruntime quantize_static, QOperator format (QLinearMatMul / MatMulInteger)",
    "quantised_ops": ["MatMul"],
    "weights": "int8, symmetric, per output channel",
    "activations": "uint8, per tensor, ranges fixed at build time (MinMax over the calibration messages), reduce_range (7 bits)",
    "calibration": f"{CALIBRATION_MESSAGES} OLID inner-training tweets (numpy RandomState({CALIBRATION_SEED}) sample), one message per run, no padding",
    "pre_processing": "onnxruntime quant_pre_process (ONNX shape inference + basic graph optimisations; symbolic shape inference skipped)",
    "float_parts": "embeddings, LayerNorm, softmax, GELU, mean pooling, linear head",
    "messages_per_call": 1,
}


class Int8AbuseModel(ft.FinetunedAbuseModel):
    """``abuse-ft-v1`` with its network quantised to int8 with fixed activation ranges (see the module
    docstring); same API. Load with :meth:`load` (refuses a missing network or one whose SHA-256 is
    not the JSON's, naming :data:`REBUILD_COMMAND`)."""

    default_artifact = DEFAULT_ARTIFACT
    default_model_dir = DEFAULT_MODEL_DIR
    rebuild_command = REBUILD_COMMAND
    # One message per onnxruntime call: nothing padded, and each score plainly depends on its message only.
    batch_size = 1

    def __repr__(self) -> str:
        return f"<Int8AbuseModel {self.version} threshold={self.threshold:.3f} review_threshold={self.review_threshold:.3f}>"


def calibration_texts(inner_train: Sequence, n: int = CALIBRATION_MESSAGES, seed: int = CALIBRATION_SEED) -> list[str]:
    rng = np.random.RandomState(seed)
    return [inner_train[i].text for i in sorted(rng.choice(len(inner_train), size=min(n, len(inner_train)), replace=False))]


def quantise(source_onnx: Path, out_onnx: Path, tokenizer, texts: Sequence[str], work_dir: Path) -> None:
    """Write the static int8 version of ``source_onnx`` to ``out_onnx``, ranges measured on ``texts``."""
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quant_pre_process, quantize_static

    class Messages(CalibrationDataReader):
        """One unpadded message per feed: the ranges are those of real tokens, as served."""

        def __init__(self):
            self._feeds = iter(tokenizer.encode_batch([t[:2000] for t in texts]))

        def get_next(self):
            enc = next(self._feeds, None)
            if enc is None:
                return None
            ids = np.array([enc.ids], dtype=np.int64)
            return {"input_ids": ids, "attention_mask": np.ones_like(ids)}

    work_dir.mkdir(parents=True, exist_ok=True)
    pre = work_dir / "pre.onnx"
    # The export's dynamic shapes defeat onnxruntime's symbolic shape inference ("incomplete"); ONNX's
    # own shape inference and the graph optimisations are enough for MatMul quantisation.
    quant_pre_process(str(source_onnx), str(pre), skip_symbolic_shape=True)
    quantize_static(
        str(pre), str(out_onnx), Messages(), quant_format=QuantFormat.QOperator, op_types_to_quantize=["MatMul"],
        per_channel=True, reduce_range=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
    )
    pre.unlink()


def batch_dependence(model: ft.FinetunedAbuseModel, texts: Sequence[str]) -> float:
    """Largest change of a message's probability between scoring it alone and scoring it in padded
    batches of 64 with other messages (0 up to float rounding when the score depends on the message only)."""
    texts = list(texts)
    alone = np.array([model.score([t])[0] for t in texts])
    saved = model.batch_size
    model.batch_size = 64
    try:
        together = model.score(texts[::-1] + ["x " * 300])[: len(texts)][::-1]
    finally:
        model.batch_size = saved
    return float(np.abs(alone - together).max())


def build(data_dir: str | Path, *, source_dir: str | Path = ft.DEFAULT_MODEL_DIR, model_dir: str | Path = DEFAULT_MODEL_DIR,
          source_artifact: str | Path = ft.DEFAULT_ARTIFACT, progress: Callable[[str], None] | None = None) -> Int8AbuseModel:
    """Quantise ``abuse-ft-v1``'s float32 network (checked against its committed JSON), take both
    thresholds on the inner split with the int8 network, measure the validation split, the batch
    (in)dependence and the speed (2 threads, one message per call). Returns the model with its metadata."""
    from ballotguard.engines.abuse import finetuned_train as aft
    from ballotguard.engines.abuse import training as at

    say = progress or (lambda _msg: None)
    source = ft.FinetunedAbuseModel.load(source_artifact, model_dir=source_dir)  # refuses a network the JSON was not written with
    src = Path(source_dir)
    out = Path(model_dir)
    out.mkdir(parents=True, exist_ok=True)
    data_dir = Path(data_dir)
    inner_train, inner_valid, valid_rows, olid = aft.inner_rows(data_dir, source.metadata.get("seed"))
    calib = calibration_texts(inner_train)
    say(f"quantising {src / 'model.onnx'} with ranges from {len(calib)} training tweets")
    start = time.perf_counter()
    tmp = out / "model.onnx.tmp"
    quantise(src / "model.onnx", tmp, source.tokenizer, calib, out / "work")
    tmp.replace(out / "model.onnx")
    shutil.copyfile(src / "tokenizer.json", out / "tokenizer.json")
    shutil.rmtree(out / "work", ignore_errors=True)
    build_s = time.perf_counter() - start
    session, tokenizer = ft._open(out / "model.onnx", out / "tokenizer.json", ft.DEFAULT_THREADS, source.metadata["network"]["max_tokens"])
    model = Int8AbuseModel(session, tokenizer, threshold=0.5, review_threshold=0.5, version=VERSION)

    yi = np.array([r.is_abusive for r in inner_valid])
    inner_texts = [r.text for r in inner_valid]
    inner_int8 = model.logits(inner_texts)
    pi = _sigmoid(inner_int8)
    threshold, inner_f1 = at.best_threshold(yi, pi)
    review_t, review_inner = at.review_threshold(yi, pi)
    inner_float = source.logits(inner_texts)
    yv = np.array([r.is_abusive for r in valid_rows])
    tv = [r.text for r in valid_rows]
    start = time.perf_counter()
    pv = model.score(tv)
    msgs_per_s = len(tv) / (time.perf_counter() - start)
    moved = batch_dependence(model, inner_texts[:200])
    model.threshold, model.review_threshold = threshold, review_t
    model.metadata = {
        "version": VERSION,
        "built_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "seed": source.metadata.get("seed"),
        "threshold": threshold,
        "review_threshold": review_t,
        "network": {
            **{k: v for k, v in source.metadata["network"].items() if k not in ("model_onnx_sha256", "model_onnx_bytes", "export_max_abs_error_vs_torch")},
            "weights": "int8 MatMul weights, uint8 activations with fixed ranges (static quantisation)",
            "model_onnx_sha256": sha256_file(out / "model.onnx"), "tokenizer_sha256": sha256_file(out / "tokenizer.json"),
            "model_onnx_bytes": (out / "model.onnx").stat().st_size,
            "quantised_from": {"version": source.version, "model_onnx_sha256": source.metadata["network"]["model_onnx_sha256"]},
            "inner_split_logit_change_vs_float32": {"mean_abs": round(float(np.abs(inner_int8 - inner_float).mean()), 4),
                                                    "max_abs": round(float(np.abs(inner_int8 - inner_float).max()), 4)},
            "batch_dependence_max_abs_probability_change": moved,
        },
        "recipe": dict(RECIPE, build_seconds=round(build_s, 1)),
        "threshold_rule": "macro-F1-best threshold on the inner split (not trained on), scored by the int8 network",
        "review_threshold_rule": "lowest threshold with abusive precision >= 0.80 on the inner split (abuse_training.review_threshold)",
        "inner_split": {"n": len(inner_valid), "seed": (source.metadata.get("seed") or at.SEED) + 1, "macro_f1": round(inner_f1, 4), "review": review_inner},
        "split": dict(source.metadata.get("split", {})),
        "validation": {
            "olid_validation": at.classification_report(yv, pv >= threshold),
            "olid_validation_at_review_threshold": at.classification_report(yv, pv >= review_t),
        },
        "speed_msgs_per_s_2_threads_one_per_call_at_build": round(msgs_per_s),
        "rebuild_command": REBUILD_COMMAND,
        "data_files": dict(source.metadata.get("data_files", {})),
        "environment": {"python": platform.python_version(), "numpy": np.__version__, "onnx": package_version("onnx"),
                        "onnxruntime": package_version("onnxruntime"), "tokenizers": package_version("tokenizers")},
    }
    say(f"inner split: threshold {threshold:.2f} (macro-F1 {inner_f1:.4f}), review threshold {review_t:.2f}; OLID validation macro-F1 "
        f"{model.metadata['validation']['olid_validation']['macro_f1']:.4f}; {msgs_per_s:.0f} msg/s; batch dependence {moved:.2g}")
    return model


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ballotguard.engines.abuse.finetuned_int8", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="quantise abuse-ft-v1's network to static int8 and measure it (needs onnx + onnxruntime; ~2-4 min on 2 cores)")
    b.add_argument("--data-dir", type=Path, required=True, help="the shared abuse data directory (OLID: calibration, inner split, validation)")
    b.add_argument("--source-dir", type=Path, default=ft.DEFAULT_MODEL_DIR, help="abuse-ft-v1's float32 network (must match --source-artifact)")
    b.add_argument("--source-artifact", type=Path, default=ft.DEFAULT_ARTIFACT, help="the float32 network's JSON (default: the committed abuse-ft-v1)")
    b.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR, help="where the int8 model.onnx and tokenizer.json are written")
    b.add_argument("--out", type=Path, default=DEFAULT_ARTIFACT, help="the JSON artefact (without .json)")
    args = parser.parse_args(argv)
    say = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    model = build(args.data_dir, source_dir=args.source_dir, model_dir=args.model_dir, source_artifact=args.source_artifact, progress=say)
    say(f"wrote {ft.save_metadata(model, args.out)} and {Path(args.model_dir) / 'model.onnx'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
