"""Training and measuring the learned threat scorer (:mod:`.threat_model`) on data nobody here wrote.

Data (``../shared/data/abuse``, see its SOURCE.md):

* **HateCheck** (Röttger et al. 2021, CC BY 4.0): 3,728 templated test cases. Its threat
  functionalities are ``threat_dir_h`` (direct threats) and ``threat_norm_h`` (threats as normative
  statements). Other functionalities perturb those same threats: spelling variants, questions,
  opinions, sub-clauses (still threats, labelled hateful), aimed at an individual or a non-protected
  group ("I want to kill him": not hate speech, but a threat), at an object ("kill that beat": not a
  threat), negated ("I would never kill...") or quoted to condemn them (not threats). For a product
  that protects people, :func:`read_hatecheck` labels a case a threat when it is one of the threat
  functionalities, or is derived from a threat case and still threatens a person or group (hateful,
  ``target_indiv_nh`` or ``target_group_nh``). Everything else is a non-threat. The *strict*
  label (threat functionalities only, as in the issue's table) is kept too.
* **OLID** (Zampieri et al. 2019) and **Davidson et al. 2017**: ordinary and abusive tweets with no
  threat label. Rows marked not offensive (OLID ``NOT``, Davidson ``neither``) and OLID's untargeted
  profanity (``UNT``) are used as non-threats; OLID's targeted insults (``TIN``) are left out of
  training, because that class mixes insults with threats.

Splits, all by a fixed rule of the seed:

* HateCheck by **template family**: a threat template and every case derived from it (its
  perturbations, its negations, its counter-quotes) form one group, and each group goes wholly to
  training or to test (:func:`template_split`), so no template is in both;
* OLID by :func:`.abuse_training.holdout_split` (the abuse model's own 80/20 split); Davidson's
  ``neither`` rows 80/20 by the same rule.

Recipe (:func:`train`): logistic regression (L2, C=1, each weight's sign fixed by :data:`SIGNS`,
fitted with SciPy's L-BFGS-B) on the training rows, with
class-balanced weights and the tweets weighted as much, in total, as HateCheck's non-threats;
five-fold out-of-fold scores grouped by template family give the Platt calibration and the
operating point (:func:`choose_threshold`). Those out-of-fold scores are the *validation* split:
each row is scored by a model that saw none of its template family, and none of the test families
is among them. Neither the test templates nor any team-written message is ever seen.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ballotguard.engines.abuse import training as at
from ballotguard.engines.abuse import threats
from ballotguard.engines.abuse.threat_model import FEATURES, ThreatModel, signals

SEED = 2021
VERSION = "threat-v2"
HATECHECK_FILE = Path("hatecheck2021") / "test_suite_cases.csv"
THREAT_FUNCTIONALITIES = ("threat_dir_h", "threat_norm_h")
TEST_FRACTION = 0.5
#: Issue 19's ceiling on false alarms at the operating point.
TARGET_FALSE_ALARMS = 0.10
#: The ceiling the operating point is chosen to on validation, on HateCheck's non-threats: half the
#: target, so that held-out false alarms stay under it when the test families differ from the
#: validation ones (on twelve seeds' splits they stayed under 0.05).
VALIDATION_FALSE_ALARMS = 0.05
#: The same on ordinary tweets, a stand-in for a candidate's ordinary mail: the same budget as on
#: HateCheck. A judgement of how many ordinary messages a reviewer will read to catch a threat; at 0.02
#: or 0.03 about 1 % of ordinary tweets are flagged instead of 5 %, and the committed split's recall
#: falls from 0.913 to 0.786 (see docs/model-card-threats.md).
VALIDATION_TWEET_FALSE_ALARMS = 0.05
#: The ceilings must still hold at a threshold with this many times lower odds than the chosen one.
#: The features are nearly all 0/1, so scores sit on a few levels, and the final model (fitted on all
#: the training rows) puts each level a little off where the fold models put it: a threshold chosen
#: right above a large level of non-threats could flag that whole level in use.
ODDS_MARGIN = 2.0
#: The tweets that stand for a candidate's ordinary mail (OLID not offensive, Davidson neither).
ORDINARY_KINDS = ("NOT", "neither")
FOLDS = 5
C = 1.0


@dataclass(frozen=True)
class ThreatRow:
    text: str
    is_threat: bool
    strict: bool  # the label: one of HateCheck's two threat functionalities
    source: str  # "hatecheck", "olid" or "davidson"
    group: str  # template family (HateCheck) or the row's own id (tweets)
    kind: str  # HateCheck functionality, OLID subtask label, or Davidson class


def read_hatecheck(path: str | Path) -> list[ThreatRow]:
    with open(path, newline="", encoding="utf-8") as fh:
        cases = list(csv.DictReader(fh))
    threat_cases = {c["case_id"] for c in cases if c["functionality"] in THREAT_FUNCTIONALITIES}
    threat_templates = {c["templ_id"] for c in cases if c["functionality"] in THREAT_FUNCTIONALITIES}
    rows = []
    for c in cases:
        f = c["functionality"]
        strict = f in THREAT_FUNCTIONALITIES
        derived = c["ref_case_id"] in threat_cases or c["ref_templ_id"] in threat_templates
        threatens = strict or (derived and (c["label_gold"] == "hateful" or f in ("target_indiv_nh", "target_group_nh")))
        # A derived case belongs to the family of the threat it perturbs, so a test threat's variants
        # are never in training.
        family = f"t{c['ref_templ_id']}" if derived and c["ref_templ_id"] else f"t{c['templ_id']}"
        rows.append(ThreatRow(c["test_case"].strip(), threatens, strict, "hatecheck", family, f))
    return rows


def read_tweets(data_dir: str | Path) -> tuple[list[ThreatRow], list[ThreatRow]]:
    """(training, held-out) non-threat tweets: OLID NOT/UNT by the abuse model's split, Davidson
    ``neither`` 80/20. OLID TIN rows are returned in the held-out list only (kind ``TIN``), to
    report how often insults are flagged; they are never trained on."""
    data_dir = Path(data_dir)
    train_rows: list[ThreatRow] = []
    held: list[ThreatRow] = []
    olid = at.read_olid(data_dir / at.OLID_FILE)
    olid_train, olid_valid = at.holdout_split(olid, seed=at.SEED)
    b_labels = _olid_subtask_b(data_dir / at.OLID_FILE)
    for part, out in ((olid_train, train_rows), (olid_valid, held)):
        for r in part:
            kind = "NOT" if not r.is_abusive else b_labels.get(r.text, "UNT")
            if kind == "TIN" and out is train_rows:
                continue
            out.append(ThreatRow(r.text, False, False, "olid", f"o{hash_id(r.text)}", kind))
    for r in at.read_davidson(data_dir / at.DAVIDSON_FILE):
        if r.is_abusive:
            continue
        row = ThreatRow(r.text, False, False, "davidson", f"d{hash_id(r.text)}", "neither")
        (held if _unit(row.group, SEED) < 0.2 else train_rows).append(row)
    return train_rows, held


def _olid_subtask_b(path: Path) -> dict[str, str]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        return {row["tweet"]: row["subtask_b"] for row in reader if row.get("subtask_b") not in (None, "", "NULL")}


def hash_id(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def _unit(key: str, seed: int) -> float:
    """A number in [0, 1) fixed by the key and the seed (the same on every machine)."""
    return int(hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()[:12], 16) / 16**12


def template_split(rows: Sequence[ThreatRow], *, seed: int = SEED, fraction: float = TEST_FRACTION) -> tuple[list[ThreatRow], list[ThreatRow]]:
    """(training, test): whole template families to one side or the other."""
    train, test = [], []
    for r in rows:
        (test if _unit(r.group, seed) < fraction else train).append(r)
    return train, test


def featurise(texts: Sequence[str]) -> np.ndarray:
    return np.array([signals(t, threats.assess_threat(t)).values for t in texts], dtype=float) if texts else np.zeros((0, len(FEATURES)))


def _weights(rows: Sequence[ThreatRow]) -> np.ndarray:
    y = np.array([r.is_threat for r in rows])
    tweet = np.array([r.source != "hatecheck" for r in rows])
    w = np.ones(len(rows))
    hc_neg = (~y) & (~tweet)
    if tweet.any() and hc_neg.any():
        w[tweet] = hc_neg.sum() / tweet.sum()
    if y.any():
        w[y] = w[~y].sum() / y.sum()  # balanced classes
    return w


#: The sign each weight may take. More evidence of harm, a target or intent never lowers the score,
#: and a mitigation never raises it: a prior that keeps the model from learning the quirks of a few
#: templates (on HateCheck, counter-speech quotes whole threats, so without it the all-three
#: interaction can come out negative and a plain threat score below a vague one).
SIGNS = {
    "harm": 1, "target": 1, "intent": 1, "harm_x_target": 1, "harm_x_intent": 1, "harm_x_target_x_intent": 1,
    "negation_x_harm": -1, "object_only": -1, "question": 0, "mitigated_x_harm": -1, "rule_score": 1, "rule_threat": 1,
}


@dataclass(frozen=True)
class _Linear:
    coef: np.ndarray
    intercept: float

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return X @ self.coef + self.intercept


def _fit(X: np.ndarray, y: np.ndarray, w: np.ndarray, seed: int) -> _Linear:
    """Weighted, L2-penalised logistic regression with the sign of each weight bounded (:data:`SIGNS`),
    by L-BFGS-B. Deterministic: the start is all zeros, so ``seed`` is unused."""
    from scipy.optimize import minimize

    yy = y.astype(float)
    n = X.shape[1]
    scale = w.sum()

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = X @ theta[:n] + theta[n]
        p = 1.0 / (1.0 + np.exp(-z))
        ll = np.logaddexp(0.0, z) - yy * z
        g = w * (p - yy)
        value = (w * ll).sum() / scale + 0.5 / (C * scale) * (theta[:n] @ theta[:n])
        grad = np.append(X.T @ g / scale + theta[:n] / (C * scale), g.sum() / scale)
        return value, grad

    bounds = [(0, None) if SIGNS[f] > 0 else (None, 0) if SIGNS[f] < 0 else (None, None) for f in FEATURES] + [(None, None)]
    result = minimize(loss, np.zeros(n + 1), jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 2000})
    return _Linear(result.x[:n], float(result.x[n]))


def _platt(logits: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """P = sigmoid(a * logit + b), fitted by (nearly unregularised) logistic regression on the
    out-of-fold logits, unweighted: the probability is calibrated to the training mix (about one
    threat in twelve rows), far above a real inbox's rate, so it orders a queue; it is not the
    chance that a given message in the wild is a threat."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e4, max_iter=1000).fit(logits.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def choose_threshold(prob: np.ndarray, rows: Sequence[ThreatRow]) -> tuple[float, dict]:
    """The operating point: the lowest threshold (so the most recall) at which the validation false
    alarms are at most :data:`VALIDATION_FALSE_ALARMS` on HateCheck's non-threats and at most
    :data:`VALIDATION_TWEET_FALSE_ALARMS` on ordinary tweets, even at a threshold :data:`ODDS_MARGIN`
    times lower in odds. ``prob`` are the out-of-fold (validation) probabilities of ``rows``.
    Returns the threshold with the validation figures at it."""
    y = np.array([r.is_threat for r in rows])
    hc_neg = np.array([(not r.is_threat) and r.source == "hatecheck" for r in rows])
    tw_neg = np.array([r.source != "hatecheck" and r.kind in ORDINARY_KINDS for r in rows])

    def figures(t: float) -> dict:
        flag = prob >= t
        return {"recall": float(flag[y].mean()) if y.any() else 0.0, "false_alarms": float(flag[hc_neg].mean()) if hc_neg.any() else 0.0,
                "tweet_false_alarms": float(flag[tw_neg].mean()) if tw_neg.any() else 0.0}

    best = (1.0, figures(1.0))
    for t in sorted(set(np.round(prob, 6)), reverse=True):
        if not 0.0 < t < 1.0:
            continue
        odds = t / (1.0 - t) / ODDS_MARGIN
        slack = figures(odds / (1.0 + odds))
        if slack["false_alarms"] > VALIDATION_FALSE_ALARMS or slack["tweet_false_alarms"] > VALIDATION_TWEET_FALSE_ALARMS:
            break
        best = (float(t), figures(float(t)))
    return best


def train(rows: Sequence[ThreatRow], *, seed: int = SEED, progress: Callable[[str], None] | None = None, X: np.ndarray | None = None) -> ThreatModel:
    from sklearn.model_selection import GroupKFold

    say = progress or (lambda _m: None)
    X = featurise([r.text for r in rows]) if X is None else X
    y = np.array([r.is_threat for r in rows])
    w = _weights(rows)
    groups = np.array([r.group for r in rows])
    say(f"{len(rows):,} training rows ({y.sum()} threats); {FOLDS}-fold out-of-fold scores by template family")
    oof = np.zeros(len(rows))
    for tr, va in GroupKFold(n_splits=FOLDS).split(X, y, groups):
        oof[va] = _fit(X[tr], y[tr], w[tr], seed).decision_function(X[va])
    a, b = _platt(oof, y)
    prob = 1 / (1 + np.exp(-(a * oof + b)))
    threshold, at_threshold = choose_threshold(prob, rows)
    final = _fit(X, y, w, seed)
    rule_flags = X[:, FEATURES.index("rule_threat")] > 0
    rule_precision = float(y[rule_flags].mean()) if rule_flags.any() else 0.0
    say(f"calibration a={a:.3f} b={b:.3f}; threshold {threshold:.3f}: out-of-fold {at_threshold}")
    meta = {
        "trained_on": "HateCheck training template families + OLID NOT/UNT (abuse-model training split) + Davidson 'neither' (80%)",
        "seed": seed, "rows": len(rows), "threats": int(y.sum()), "C": C,
        "operating_point": {
            "rule": (f"lowest threshold with validation (out-of-fold, by template family) false alarms <= {VALIDATION_FALSE_ALARMS} on HateCheck "
                     f"non-threats and <= {VALIDATION_TWEET_FALSE_ALARMS} on ordinary tweets, even at {ODDS_MARGIN:g}x lower odds (target: <= {TARGET_FALSE_ALARMS} held out)"),
            "validation": at_threshold,
        },
        "rule_precision": {"flagged_by_rules": int(rule_flags.sum()), "of_which_threats": int((rule_flags & y).sum())},
        "sklearn": at._sklearn_version(),
    }
    return ThreatModel(VERSION, tuple(float(v) for v in final.coef), final.intercept, (a, b), threshold, meta, rule_precision)


def rates(flags: np.ndarray, rows: Sequence[ThreatRow]) -> dict:
    """Recall on threats and false alarms on non-threats, for the full and the strict label."""
    y = np.array([r.is_threat for r in rows])
    strict = np.array([r.strict for r in rows])
    hc = np.array([r.source == "hatecheck" for r in rows])
    out = {"n_threats": int(y.sum()), "n_non_threats": int((~y).sum())}
    out["recall"] = float(flags[y].mean()) if y.any() else float("nan")
    out["false_alarms"] = float(flags[~y].mean()) if (~y).any() else float("nan")
    if hc.any():
        out["strict_recall"] = float(flags[strict].mean()) if strict.any() else float("nan")
        out["strict_false_alarms"] = float(flags[hc & ~strict].mean())
    return out


def train_default(data_dir: str | Path, *, seed: int = SEED, progress: Callable[[str], None] | None = None) -> tuple[ThreatModel, dict]:
    """The committed recipe: train on HateCheck's training template families plus the training tweets,
    then measure on the held-out template families and tweets (recorded in the artefact)."""
    data_dir = Path(data_dir)
    hatecheck = read_hatecheck(data_dir / HATECHECK_FILE)
    hc_train, hc_test = template_split(hatecheck, seed=seed)
    tw_train, tw_held = read_tweets(data_dir)
    model = train(hc_train + tw_train, seed=seed, progress=progress)
    figures = measure(model, hc_test, tw_held)
    model.metadata["held_out"] = figures
    model.metadata["split"] = {"seed": seed, "hatecheck_test_fraction": TEST_FRACTION, "hatecheck_train_rows": len(hc_train), "hatecheck_test_rows": len(hc_test)}
    return model, figures


def flags(model: ThreatModel | None, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Who flags each text: the rules alone, the learned model alone, and the product's decision
    (either: the rules are a floor)."""
    rules, learned = [], []
    for text in texts:
        assessment = threats.assess_threat(text)
        rules.append(assessment.is_threat)
        learned.append(model.score(text, assessment).is_threat if model is not None else False)
    r, m = np.array(rules, dtype=bool), np.array(learned, dtype=bool)
    return {"rules": r, "learned": m, "combined": r | m}


def measure(model: ThreatModel, hc_test: Sequence[ThreatRow], tweets: Sequence[ThreatRow]) -> dict:
    """Figures of the product's decision (rules or model) on held-out rows."""
    out = {"hatecheck_test": rates(flags(model, [r.text for r in hc_test])["combined"], hc_test)}
    for label, sel in (("tweets_ordinary", lambda r: r.kind in ("NOT", "neither")), ("olid_untargeted", lambda r: r.kind == "UNT"), ("olid_targeted_insult_or_threat", lambda r: r.kind == "TIN")):
        part = [r for r in tweets if sel(r)]
        if part:
            out[label] = {"n": len(part), "flag_rate": float(flags(model, [r.text for r in part])["combined"].mean())}
    return {k: ({kk: round(vv, 4) if isinstance(vv, float) else vv for kk, vv in v.items()}) for k, v in out.items()}
