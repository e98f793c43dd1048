"""Trains the abuse model (:mod:`ballotguard.engines.abuse.model`) from labelled data.

Used only by ``ballotguard train-abuse-model``, the benchmarks and tests, so scikit-learn and SciPy
are imported inside the functions that need them: the service that scores messages never loads them.

Recipe (every choice below was made by cross-validation on the OLID *training part* only; the
held-out validation split is used for nothing but the figures reported at the end):

* features: exactly the featuriser the service uses (:func:`.model.term_counts`), so training
  and serving agree bit for bit; IDF = ln((1 + n) / (1 + df)) + 1 over the training rows, and 0 for
  buckets seen in fewer than ``min_df`` messages (so unseen and one-off n-grams are ignored);
* NB-LR (Wang & Manning 2012): each feature is scaled by its naive-Bayes log-count ratio before a
  class-balanced L2 logistic regression (liblinear); the ratio is folded into the saved weights;
* C and the decision threshold are chosen for macro-F1 on an *inner* split (20 %) of the training
  rows, then the model is refitted on all training rows;
* the review-queue threshold is chosen on the same inner split, from the scores of the inner model
  with the chosen C: the lowest threshold (0.01–0.99, steps of 0.01) at which the precision of the
  abusive class is at least ``REVIEW_PRECISION`` (0.80); see :func:`review_threshold`.

The hold-out split (:func:`holdout_split`) is deterministic and stratified: within each label, rows
are ordered by ``sha256(f"{seed}:{source}:{id}")`` and the first ``round(fraction × count)`` form the
validation split. OLID's ids are its tweet ids, so the split does not depend on file order.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import platform
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ballotguard.engines.abuse.model import (
    REBUILD_COMMAND,
    REVIEW_PRECISION,
    AbuseModel,
    FeaturiserParams,
    FeatureMatrix,
    load_lexicon,
    sha256_file,
    term_counts,
    tfidf,
)

SEED = 2019
HOLDOUT_FRACTION = 0.2
INNER_FRACTION = 0.2
C_GRID = (1.0, 3.0, 10.0)
MIN_DF = 2
VERSION = "abuse-v1"
# REBUILD_COMMAND is defined in .model (its loader names it in errors) and used from here.

OLID_FILE = Path("olid2019") / "olid-training-v1.0.tsv"
DAVIDSON_FILE = Path("davidson2017") / "labeled_data.csv"


@dataclass(frozen=True)
class LabelledText:
    text: str
    is_abusive: bool
    source: str = "extra"
    id: str = ""


# ---------------------------------------------------------------------------------------------
# Reading the data


def read_olid(path: str | Path) -> list[LabelledText]:
    """OLID 2019 training set: ``subtask_a`` OFF (offensive) or NOT. Tab-separated, no quoting."""
    rows = []
    with Path(path).open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        i_id, i_tweet, i_a = header.index("id"), header.index("tweet"), header.index("subtask_a")
        for row in reader:
            if not row:
                continue
            if row[i_a] not in ("OFF", "NOT"):
                raise ValueError(f"{path}: unexpected subtask_a label {row[i_a]!r} for id {row[i_id]}")
            rows.append(LabelledText(row[i_tweet], row[i_a] == "OFF", "olid", row[i_id]))
    return rows


def read_olid_test(directory: str | Path) -> list[LabelledText]:
    """OLID 2019's official test set (860 tweets, subtask A) from ``directory``, in either of the two forms
    it is published in: OLID's own (``testset-levela.tsv``, ``id`` and ``tweet`` tab-separated, with
    ``labels-levela.csv``, ``id,OFF|NOT`` lines) or TweetEval's ``offensive`` task (``test_text.txt`` and
    ``test_labels.txt``, a tweet and a 0/1 label per line, where OLID's ``@USER`` was rewritten ``@user``:
    it is put back, so the texts read as OLID wrote them)."""
    directory = Path(directory)
    olid_texts, olid_labels = directory / "testset-levela.tsv", directory / "labels-levela.csv"
    tweeteval_texts, tweeteval_labels = directory / "test_text.txt", directory / "test_labels.txt"
    if olid_texts.is_file() and olid_labels.is_file():
        labels = {}
        with olid_labels.open(encoding="utf-8", newline="") as f:
            for n, row in enumerate(csv.reader(f), 1):
                if len(row) != 2 or row[1] not in ("OFF", "NOT"):
                    raise ValueError(f"{olid_labels.name}, line {n}: expected ID,OFF or ID,NOT, got {','.join(row)!r}")
                labels[row[0]] = row[1] == "OFF"
        rows = []
        with olid_texts.open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(reader)
            i_id, i_tweet = header.index("id"), header.index("tweet")
            for row in reader:
                if row:
                    if row[i_id] not in labels:
                        raise ValueError(f"{olid_texts.name}: tweet {row[i_id]} has no label in {olid_labels.name}")
                    rows.append(LabelledText(row[i_tweet], labels[row[i_id]], "olid-test", row[i_id]))
        return rows
    if tweeteval_texts.is_file() and tweeteval_labels.is_file():
        texts = tweeteval_texts.read_text(encoding="utf-8").splitlines()
        labels = tweeteval_labels.read_text(encoding="utf-8").split()
        if len(texts) != len(labels) or set(labels) - {"0", "1"}:
            raise ValueError(f"{directory}: {len(texts)} texts and {len(labels)} labels (0 or 1 each) do not match")
        return [LabelledText(re.sub(r"(?<!\w)@user\b", "@USER", t), y == "1", "olid-test", str(i)) for i, (t, y) in enumerate(zip(texts, labels))]
    raise ValueError(f"{directory}: no OLID test set (testset-levela.tsv with labels-levela.csv, or TweetEval's test_text.txt with test_labels.txt)")


def read_davidson(path: str | Path) -> list[LabelledText]:
    """Davidson et al. 2017: class 0 (hate speech) or 1 (offensive language) counts as abusive."""
    rows = []
    with Path(path).open(encoding="utf-8", newline="") as f:
        for i, row in enumerate(csv.DictReader(f)):
            rows.append(LabelledText(row["tweet"], row["class"] in ("0", "1"), "davidson", row.get("") or str(i)))
    return rows


def read_feedback_csv(path: str | Path) -> list[tuple[str, bool]]:
    """Reviewer feedback: a CSV with columns ``text`` and ``is_abusive`` (1/0, true/false, yes/no)."""
    truthy, falsy = {"1", "true", "yes", "y", "t"}, {"0", "false", "no", "n", "f"}
    out = []
    with Path(path).open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"text", "is_abusive"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: needs columns text and is_abusive, has {reader.fieldnames}")
        for n, row in enumerate(reader, start=2):
            flag = (row["is_abusive"] or "").strip().lower()
            if flag not in truthy | falsy:
                raise ValueError(f"{path}, line {n}: is_abusive must be 1/0 or true/false, got {row['is_abusive']!r}")
            out.append((row["text"] or "", flag in truthy))
    return out


# ---------------------------------------------------------------------------------------------
# Splits and metrics


def holdout_split(rows: Sequence[LabelledText], *, fraction: float = HOLDOUT_FRACTION, seed: int = SEED) -> tuple[list[LabelledText], list[LabelledText]]:
    """(training, validation): deterministic and stratified by label (see the module docstring)."""
    train: list[LabelledText] = []
    valid: list[LabelledText] = []
    for label in (True, False):
        group = [(i, r) for i, r in enumerate(rows) if r.is_abusive == label]
        group.sort(key=lambda ir: hashlib.sha256(f"{seed}:{ir[1].source}:{ir[1].id or ir[0]}".encode()).digest())
        k = round(fraction * len(group))
        valid.extend(r for _, r in group[:k])
        train.extend(r for _, r in group[k:])
    return train, valid


def classification_report(y_true: Sequence[bool], y_pred: Sequence[bool]) -> dict:
    """Macro-F1 and per-class precision/recall/F1 for abusive (offensive) vs not."""
    t = np.asarray(y_true, dtype=bool)
    p = np.asarray(y_pred, dtype=bool)
    out: dict = {"n": int(len(t)), "positives": int(t.sum())}
    f1s = []
    for name, cls in (("abusive", True), ("not", False)):
        tp = int(((p == cls) & (t == cls)).sum())
        pred, true = int((p == cls).sum()), int((t == cls).sum())
        precision = tp / pred if pred else 0.0
        recall = tp / true if true else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[name] = {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}
        f1s.append(f1)
    out["macro_f1"] = round(float(np.mean(f1s)), 4)
    out["accuracy"] = round(float((t == p).mean()) if len(t) else 0.0, 4)
    return out


def macro_f1(y_true: Sequence[bool], y_pred: Sequence[bool]) -> float:
    return classification_report(y_true, y_pred)["macro_f1"]


def best_threshold(y_true: np.ndarray, prob: np.ndarray) -> tuple[float, float]:
    """The threshold (0.05–0.95, steps of 0.01) with the highest macro-F1, and that F1."""
    best = (0.5, -1.0)
    for t in np.round(np.arange(0.05, 0.951, 0.01), 2):
        f = macro_f1(y_true, prob >= t)
        if f > best[1] + 1e-9:
            best = (float(t), f)
    return best


def review_threshold(y_true: np.ndarray, prob: np.ndarray, *, precision: float = REVIEW_PRECISION) -> tuple[float, dict]:
    """The review-queue operating point and its figures on (y_true, prob).

    Rule: the LOWEST threshold on the grid 0.01–0.99 (steps of 0.01) at which at least one row is
    flagged and the precision of the abusive class is >= ``precision``; the lowest, because it keeps
    the most recall among thresholds whose flags are right at least 80 % of the time. If no
    threshold reaches it, the threshold with the highest precision (``"met": false`` says so).
    Call it only with scores of rows the model was not trained on (the inner split).
    """
    y = np.asarray(y_true, dtype=bool)
    best: tuple[float, float] = (-1.0, 0.99)
    for t in np.round(np.arange(0.01, 0.991, 0.01), 2):
        flagged = prob >= t
        if not flagged.any():
            break
        p = float(y[flagged].mean())
        if p >= precision:
            report = classification_report(y, flagged)
            return float(t), {"met": True, "precision": report["abusive"]["precision"], "recall": report["abusive"]["recall"]}
        if p > best[0] + 1e-12:
            best = (p, float(t))
    t = best[1]
    report = classification_report(y, prob >= t)
    return t, {"met": False, "precision": report["abusive"]["precision"], "recall": report["abusive"]["recall"]}


# ---------------------------------------------------------------------------------------------
# Training


def _csr(m: FeatureMatrix):
    from scipy.sparse import csr_matrix

    return csr_matrix((m.value, (m.row, m.col)), shape=(m.n_rows, m.n_cols))


def _fit(texts: Sequence[str], labels: np.ndarray, params: FeaturiserParams, C: float, seed: int) -> AbuseModel:
    """One NB-LR fit; returns an in-memory model (float64 weights)."""
    from sklearn.linear_model import LogisticRegression

    row, col, counts = term_counts(texts, params)
    df = np.bincount(col, minlength=params.n_features)
    n = len(texts)
    idf = np.where(df >= MIN_DF, np.log((1.0 + n) / (1.0 + df)) + 1.0, 0.0)
    X = _csr(tfidf(row, col, counts, idf, n, params))
    # naive-Bayes log-count ratio, smoothed by 1, over the active columns only (smoothing the
    # million empty hash buckets too would swamp the class totals and flatten every ratio)
    active = idf > 0
    pos = np.where(active, np.asarray(X[labels].sum(axis=0)).ravel() + 1.0, 0.0)
    neg = np.where(active, np.asarray(X[~labels].sum(axis=0)).ravel() + 1.0, 0.0)
    ratio = np.zeros(params.n_features)
    ratio[active] = np.log((pos[active] / pos.sum()) / (neg[active] / neg.sum()))
    clf = LogisticRegression(C=C, class_weight="balanced", solver="liblinear", max_iter=1000, random_state=seed)
    clf.fit(X.multiply(ratio).tocsr(), labels)
    weights = clf.coef_.ravel() * ratio
    return AbuseModel(weights, idf, float(clf.intercept_[0]), params, threshold=0.5, review_threshold=0.5, version=VERSION, metadata={})


def train(
    rows: Sequence[LabelledText],
    *,
    extra: Iterable[tuple[str, bool]] = (),
    seed: int = SEED,
    params: FeaturiserParams | None = None,
    c_grid: Sequence[float] = C_GRID,
    progress: Callable[[str], None] | None = None,
) -> AbuseModel:
    """Train on ``rows`` plus reviewer feedback ``extra``; C and threshold chosen on an inner split.

    Returns the model as it will be once saved (float16 weights), with ``metadata`` describing the
    training (the caller adds data-file hashes and validation figures before saving).
    """
    params = params or FeaturiserParams(lexicon=load_lexicon())
    say = progress or (lambda _msg: None)
    extra_rows = [LabelledText(t, bool(y), "feedback", f"feedback-{i}") for i, (t, y) in enumerate(extra)]
    rows = list(rows)
    if len({r.is_abusive for r in rows}) < 2:
        raise ValueError("training data needs both abusive and non-abusive rows")
    inner_train, inner_valid = holdout_split(rows, fraction=INNER_FRACTION, seed=seed + 1)
    fit_rows = inner_train + extra_rows
    y_fit = np.array([r.is_abusive for r in fit_rows])
    y_inner = np.array([r.is_abusive for r in inner_valid])
    candidates = []
    inner_scores = {}
    for C in c_grid:
        say(f"inner split: fitting C={C:g} on {len(fit_rows):,} rows")
        model = _fit([r.text for r in fit_rows], y_fit, params, C, seed).rounded()
        inner_scores[C] = model.score([r.text for r in inner_valid])
        threshold, f1 = best_threshold(y_inner, inner_scores[C])
        say(f"inner split: C={C:g} threshold={threshold:.2f} macro-F1={f1:.4f}")
        candidates.append((f1, -C, C, threshold))
    inner_f1, _, C, threshold = max(candidates)
    # The review-queue operating point: same inner split, same (chosen-C) inner model's scores.
    review_t, review_inner = review_threshold(y_inner, inner_scores[C])
    say(f"inner split: review threshold {review_t:.2f} (abusive precision {review_inner['precision']:.3f}, recall {review_inner['recall']:.3f})")
    all_rows = rows + extra_rows
    say(f"final fit: C={C:g} on {len(all_rows):,} rows")
    model = _fit([r.text for r in all_rows], np.array([r.is_abusive for r in all_rows]), params, C, seed).rounded()
    model.threshold = threshold
    model.review_threshold = review_t
    sources: dict[str, int] = {}
    for r in all_rows:
        sources[r.source] = sources.get(r.source, 0) + 1
    model.metadata = {
        "version": VERSION,
        "trained_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "seed": seed,
        "training_rows": sources,
        "training_positives": int(sum(r.is_abusive for r in all_rows)),
        "feedback_rows": len(extra_rows),
        "classifier": {
            "kind": "NB-LR: naive-Bayes log-count-ratio scaled features, L2 logistic regression (liblinear), class_weight=balanced",
            "C": C,
            "C_grid": list(c_grid),
            "min_df": MIN_DF,
            "threshold_rule": f"macro-F1-best threshold on an inner {INNER_FRACTION:.0%} split of the training rows (seed {seed + 1})",
            "review_threshold_rule": (
                f"lowest threshold (0.01-0.99, step 0.01) at which the abusive class's precision is >= {REVIEW_PRECISION:.2f} "
                f"on the same inner {INNER_FRACTION:.0%} split of the training rows, scored by the inner model with the chosen C "
                "(never the held-out validation split or the hand-written messages); if none reaches it, the most precise threshold"
            ),
            "review_inner_split": {"threshold": review_t, **review_inner},
            "inner_split": {"n": len(inner_valid), "macro_f1": round(inner_f1, 4), "candidates": [{"C": c, "threshold": t, "macro_f1": round(f, 4)} for f, _, c, t in candidates]},
        },
        "environment": {"python": platform.python_version(), "numpy": np.__version__, "scikit_learn": _sklearn_version()},
    }
    return model


def _sklearn_version() -> str:
    import sklearn

    return sklearn.__version__


def evaluate(model: AbuseModel, rows: Sequence[LabelledText], threshold: float | None = None) -> dict:
    """The classification report of ``model`` on ``rows`` at its threshold (or the one given)."""
    prob = model.score([r.text for r in rows])
    return classification_report([r.is_abusive for r in rows], prob >= (model.threshold if threshold is None else threshold))


def save_artifact(model: AbuseModel, path: str | Path) -> tuple[Path, Path]:
    """Write ``PATH.npz`` and ``PATH.json`` (see :meth:`AbuseModel.save`)."""
    return model.save(path)


def train_default(data_dir: str | Path, *, extra: Iterable[tuple[str, bool]] = (), seed: int = SEED, progress: Callable[[str], None] | None = None) -> tuple[AbuseModel, dict]:
    """The recipe behind the committed artifact: OLID's training part only, figures on its hold-out.

    Davidson is not added to training: cross-validation on OLID's training part showed it lowers
    macro-F1 (its labels follow US slang and slurs, not OLID's notion of offence); it is used for
    the cross-dataset figures instead. Returns the model (metadata filled in) and the figures.
    """
    data_dir = Path(data_dir)
    say = progress or (lambda _msg: None)
    olid_path, davidson_path = data_dir / OLID_FILE, data_dir / DAVIDSON_FILE
    olid = read_olid(olid_path)
    train_rows, valid_rows = holdout_split(olid, seed=seed)
    say(f"OLID: {len(olid):,} rows → {len(train_rows):,} training, {len(valid_rows):,} held out for validation")
    model = train(train_rows, extra=extra, seed=seed, progress=progress)
    figures = {"olid_validation": evaluate(model, valid_rows), "olid_validation_at_review_threshold": evaluate(model, valid_rows, model.review_threshold)}
    say(f"OLID validation macro-F1 {figures['olid_validation']['macro_f1']:.4f}")
    data_files = {"olid": {"path": str(OLID_FILE), "rows": len(olid), "sha256": sha256_file(olid_path)}}
    if davidson_path.is_file():
        davidson = read_davidson(davidson_path)
        figures["davidson_all_trained_on_olid"] = evaluate(model, davidson)
        say(f"Davidson (all rows, model trained on OLID) macro-F1 {figures['davidson_all_trained_on_olid']['macro_f1']:.4f}")
        data_files["davidson"] = {"path": str(DAVIDSON_FILE), "rows": len(davidson), "sha256": sha256_file(davidson_path), "used_for": "cross-dataset test only"}
    model.metadata.update(
        data_files=data_files,
        split={
            "rule": f"stratified by label; within each label rows ordered by sha256('{{seed}}:olid:{{tweet id}}'), first {HOLDOUT_FRACTION:.0%} = validation",
            "seed": seed,
            "training_rows": len(train_rows),
            "validation_rows": len(valid_rows),
        },
        validation=figures,
        rebuild_command=REBUILD_COMMAND if seed == SEED and not model.metadata.get("feedback_rows") else f"ballotguard train-abuse-model --seed {seed} (with feedback)",
    )
    return model, figures
