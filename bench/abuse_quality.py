"""How well the abuse model separates offensive from other messages, against alt-profanity-check.

Figures, for Ballotguard's committed model (``ballotguard/engines/abuse/models/abuse-v1``) and for the
peer, ``alt-profanity-check`` (a linear SVM on bag-of-words, trained on Davidson et al. 2017 and
other data; its threshold is 0.5), measured in the same run on the same rows:

1. OLID held-out validation split (20 % of OLID's training file, chosen by the fixed rule in
   ``ballotguard.engines.abuse.training.holdout_split``; the model never saw these rows, and no
   choice of the recipe was made on them): macro-F1 and precision/recall for each class, at both of
   the model's operating points: ``threshold`` (macro-F1-best) and ``review_threshold`` (the lowest
   threshold with abusive precision >= 0.80 on an inner split of the training rows; what the
   review queue flags at);
2. across datasets: the committed (OLID-trained) model on all of Davidson, and a model trained here,
   with the same recipe, on all of Davidson and tested on the OLID validation split. The peer was
   trained on Davidson's data, so its Davidson figure is NOT held out;
3. the hand-written messages of ``ballotguard/engines/tests/data/threat_messages.jsonl``: threat
   recall and false alarms of ``ballotguard.engines.abuse.threats.assess_threat``, and each scorer's abuse
   false-positive rate on the counter-speech rows and on the harmless rows (non-threat, non-insult:
   criticism, news, figurative speech, counter-speech), Ballotguard at both operating points.

Target (issue "Online abuse monitoring"): OLID macro-F1 ≥ 0.78; threat recall ≥ 0.9 with ≤ 10 %
false alarms. The best OffensEval 2019 system (BERT on a GPU) reached 0.829 on OLID's official test
set; a plain TF-IDF + logistic regression about 0.73.

4. the learned threat scorer (``threat-v2``, :mod:`ballotguard.engines.abuse.threat_model`) beside the
   rules and the peer, on data nobody on the team wrote: HateCheck (Röttger et al. 2021) split by
   template family, the committed model on the test families of its own split (seed 2021), then the
   same recipe retrained and tested on eight more seeds' splits (each choosing its operating point
   on its own validation: out-of-fold scores of its training families); the held-out ordinary tweets (OLID
   NOT, Davidson neither) and OLID's targeted insults as the false-alarm side; the team-written set
   of item 3 reported apart, labelled as such; and the scoring speed with the learned scorer on.
   Targets (issue 19): threat recall ≥ 0.85 with ≤ 10 % false alarms on HateCheck's threat
   functionalities (template-disjoint test split), and on an independent set of threats against UK
   candidates (not available here, so not measured); OLID macro-F1 ≥ 0.80 (official test set; the
   validation split stands in); ≥ 1,000 messages/s.

With ``--embeddings``, also the optional scorer ``abuse-emb-v1``
(``ballotguard.engines.abuse.embeddings``: the default model stacked with MiniLM sentence
embeddings through onnxruntime) beside the default on the same rows, with its speed; where its
runtime or its exported encoder is absent the section says why it is skipped. The same flag also
measures the optional fine-tuned scorers ``abuse-ft-v1`` (``ballotguard.engines.abuse.finetuned``:
MiniLM-L6 fine-tuned on OLID, through onnxruntime), its static int8 network ``abuse-ft-v1-int8`` and
the n-gram → int8 cascade ``abuse-cascade-v1``: OLID validation, all of Davidson and the hand-written
messages, each skipped, saying why, where its network under ``var/models/`` or the runtime is absent.

With ``--olid-test DIR``, also OLID's official test set (not in the shared data: OLID's own files or
TweetEval's copy in DIR, read by ``training.read_olid_test``): every scorer at its own threshold, with a
95 % bootstrap interval.

Run:
    .venv/bin/python bench/abuse_quality.py [--data ../shared/data/abuse] [--skip-davidson-training] [--embeddings] [--olid-test DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ballotguard.engines.abuse import training as at  # noqa: E402
from ballotguard.engines.abuse.model import AbuseModel  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "abuse"
OTHER_SEEDS = (1, 2, 3, 4, 5, 6, 7, 8)  # template splits the threat recipe is retrained and measured on, beside the committed one
THREATS = ROOT / "ballotguard" / "engines" / "tests" / "data" / "threat_messages.jsonl"


def peer_scorer():
    try:
        from profanity_check import predict_prob
    except ImportError as exc:  # pragma: no cover - depends on the environment
        print(f"alt-profanity-check not importable ({exc}); peer figures left out")
        return None
    return lambda texts: np.asarray(predict_prob(list(texts)), dtype=float)


def fmt(report: dict) -> list[str]:
    return [
        f"{report['macro_f1']:.3f}",
        f"{report['abusive']['precision']:.3f} / {report['abusive']['recall']:.3f}",
        f"{report['not']['precision']:.3f} / {report['not']['recall']:.3f}",
    ]


def threat_section(console, model: AbuseModel, peer) -> None:
    from rich.table import Table

    try:
        from ballotguard.engines.abuse.threats import assess_threat
    except ImportError:
        assess_threat = None
    if assess_threat is None or not THREATS.is_file():
        console.print("Threat set: threat set not available yet (needs ballotguard/engines/abuse/threats.py and " f"{THREATS.relative_to(ROOT)})")
        return
    rows = [json.loads(line) for line in THREATS.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [r["text"] for r in rows]
    is_threat = np.array([bool(r["threat"]) for r in rows])
    kinds = np.array([r.get("kind", "") for r in rows])
    flagged = np.array([assess_threat(t).is_threat for t in texts])
    recall = flagged[is_threat].mean()
    false_alarm = flagged[~is_threat].mean()
    table = Table(title=f"Hand-written threat set ({len(rows)} messages: {is_threat.sum()} threats, {(~is_threat).sum()} harsh but not threatening)", title_justify="left")
    table.add_column("Figure")
    table.add_column("Value", justify="right")
    table.add_column("Target", justify="right")
    table.add_row("threat recall (assess_threat)", f"{recall:.3f}", "≥ 0.90")
    table.add_row("threat false alarms on non-threats", f"{false_alarm:.3f}", "≤ 0.10")
    for kind in sorted(set(kinds[~is_threat])):
        sel = (~is_threat) & (kinds == kind)
        table.add_row(f"  false alarms, {kind} ({sel.sum()})", f"{flagged[sel].mean():.3f}", "")
    console.print(table)

    table = Table(title="Abuse scorers on the same messages: share flagged as abusive", title_justify="left")
    for column in ("Rows", f"Ballotguard @ threshold {model.threshold:.2f}", f"Ballotguard @ review {model.review_threshold:.2f}", "alt-profanity-check"):
        table.add_column(column, justify="left" if column == "Rows" else "right")
    scores = model.score(texts)
    ours, ours_review = scores >= model.threshold, scores >= model.review_threshold
    theirs = peer(texts) >= 0.5 if peer else None
    for label, sel in (
        ("counter-speech (false-positive rate)", kinds == "counter_speech"),
        ("harmless: non-threat rows other than insults (false-positive rate)", (~is_threat) & (kinds != "insult")),
        ("all non-threat rows (flag rate; includes insults)", ~is_threat),
        ("insults (flag rate; should be high)", kinds == "insult"),
        ("threat rows (flag rate)", is_threat),
    ):
        table.add_row(f"{label} ({sel.sum()})", f"{ours[sel].mean():.3f}", f"{ours_review[sel].mean():.3f}", f"{theirs[sel].mean():.3f}" if peer else "—")
    console.print(table)


def learned_threat_section(console, data_dir: Path, model: AbuseModel, peer, *, skip_seeds: bool = False) -> None:
    """Issue 19: the learned threat scorer beside the rules and the peer, on data nobody here wrote."""
    from rich.table import Table

    from ballotguard.engines.abuse import threat_training as tt
    from ballotguard.engines.abuse import threats
    from ballotguard.engines.abuse.scoring import score_messages
    from ballotguard.engines.abuse.threat_model import ThreatModel, signals

    hc_path = data_dir / tt.HATECHECK_FILE
    if not hc_path.is_file():
        console.print(f"Learned threat scorer: skipped: HateCheck not found at {hc_path}")
        return
    learned = ThreatModel.load()
    hatecheck = tt.read_hatecheck(hc_path)
    _, tweets_held = tt.read_tweets(data_dir)
    features: dict[str, tuple] = {}

    def feats(rows):
        for r in rows:
            if r.text not in features:
                a = threats.assess_threat(r.text)
                features[r.text] = (signals(r.text, a).values, a.is_threat)
        return np.array([features[r.text][0] for r in rows]), np.array([features[r.text][1] for r in rows], dtype=bool)

    def decide(m, rows):
        X, rules = feats(rows)
        mine = np.array([m.probability(x) >= m.threshold for x in X], dtype=bool)
        return rules, mine, rules | mine

    def peer_flags(rows):
        return peer([r.text for r in rows]) >= 0.5 if peer else None

    seed = learned.metadata.get("split", {}).get("seed", tt.SEED)
    _, test = tt.template_split(hatecheck, seed=seed)
    strict_neg = [r for r in test if not r.is_threat]  # non-threat functionalities, less the cases that still threaten a person
    table = Table(title=f"Threats, HateCheck test template families (seed {seed}, the committed {learned.version}'s own split; never trained on; threshold {learned.threshold:.3f})", title_justify="left")
    for column in ("Scorer", "Recall: threat functionalities", "False alarms: non-threats", "Recall: all threatening cases", "False alarms: every other case", "Target"):
        table.add_column(column, justify="left" if column == "Scorer" else "right")
    strict = np.array([r.strict for r in test])
    y = np.array([r.is_threat for r in test])
    rules, mine, both = decide(learned, test)
    rows = [("rules alone (assess_threat)", rules), (f"{learned.version} alone", mine), (f"{learned.version} or rules (what ships)", both)]
    if peer:
        rows.append(("alt-profanity-check ≥ 0.5 (abuse, not threat: a peer, not a rival)", peer_flags(test)))
    for name, f in rows:
        table.add_row(name, f"{f[strict].mean():.3f}", f"{f[~y].mean():.3f}", f"{f[y].mean():.3f}", f"{f[~strict].mean():.3f}", "≥ 0.85 at ≤ 0.10" if "ships" in name else "")
    console.print(table)
    console.print(f"  {strict.sum()} threat-functionality cases; {len(strict_neg)} non-threats (HateCheck's other functionalities, less "
                  f"{int((y & ~strict).sum())} cases that still threaten a person, e.g. spelling variants of threats and 'I want to kill him', "
                  "which count as threats under 'all threatening cases'; 'every other case' counts flagging them as false alarms).")
    recall, false_alarms = both[strict].mean(), both[~y].mean()
    console.print(f"Issue 19 target: threat recall ≥ 0.85 at ≤ 10% false alarms (HateCheck threat functionalities, template-disjoint test split, "
                  f"seed {seed}): {learned.version} or rules {recall:.3f} at {false_alarms:.3f}: "
                  f"{'meets' if recall >= 0.85 and false_alarms <= 0.10 else 'BELOW'}"
                  + (f"; alt-profanity-check {peer_flags(test)[strict].mean():.3f} at {peer_flags(test)[~y].mean():.3f}" if peer else "") + ".")
    validation = learned.metadata.get("operating_point", {})
    console.print(f"  Operating point {learned.threshold:.3f}, chosen on validation only: {validation.get('rule', '?')}; there: {validation.get('validation', {})}.")
    if not skip_seeds:
        table = Table(title="Same recipe (operating point chosen on each split's own validation) retrained on other seeds' template splits", title_justify="left")
        for column in ("Seed", "Threat cases", "Threshold", "Recall: threat functionalities", "False alarms", "Recall: all threatening", "Ordinary tweets flagged", "Target", "Peer recall / false alarms"):
            table.add_column(column, justify="right")
        tw_train, _ = tt.read_tweets(data_dir)
        ordinary = [r for r in tweets_held if r.kind in tt.ORDINARY_KINDS]
        figures = []
        for s in OTHER_SEEDS:
            train, test_s = tt.template_split(hatecheck, seed=s)
            m = tt.train(train + tw_train, seed=s, X=feats(train + tw_train)[0])
            _, _, f = decide(m, test_s)
            ys = np.array([r.is_threat for r in test_s])
            st = np.array([r.strict for r in test_s])
            tw = decide(m, ordinary)[2].mean()
            figures.append((f[st].mean(), f[~ys].mean(), tw))
            met = f[st].mean() >= 0.85 and f[~ys].mean() <= 0.10
            pf = peer_flags(test_s)
            table.add_row(str(s), f"{st.sum()}", f"{m.threshold:.3f}", f"{f[st].mean():.3f}", f"{f[~ys].mean():.3f}", f"{f[ys].mean():.3f}", f"{tw:.4f}", "meets" if met else "BELOW",
                          f"{pf[st].mean():.3f} / {pf[~ys].mean():.3f}" if pf is not None else "—")
        console.print(table)
        recall = [r for r, _, _ in figures]
        met = sum(r >= 0.85 and fa <= 0.10 for r, fa, _ in figures)
        console.print(f"  Seeds {OTHER_SEEDS[0]}-{OTHER_SEEDS[-1]}: recall {np.mean(recall):.3f} (min {min(recall):.3f}), false alarms ≤ {max(fa for _, fa, _ in figures):.3f}, "
                      f"ordinary tweets flagged ≤ {max(tw for _, _, tw in figures):.4f}; target (≥ 0.85 at ≤ 0.10) met on {met} of {len(figures)}. "
                      "Caveat: the features were designed while looking at seed 2021's training families, which overlap these seeds' test families.")

    table = Table(title="False-alarm side: held-out tweets nobody here wrote (share flagged as a threat; and share in the review queue for any reason)", title_justify="left")
    for column in ("Rows", "rules", f"{learned.version} or rules", "alt-profanity-check ≥ 0.5", "queue: abuse or rules", f"queue: abuse or rules or {learned.version}"):
        table.add_column(column, justify="left" if column == "Rows" else "right")
    for label, kinds in (("ordinary: OLID NOT + Davidson neither", tt.ORDINARY_KINDS), ("OLID untargeted profanity (UNT)", ("UNT",)), ("OLID targeted insults or threats (TIN; some are threats)", ("TIN",))):
        part = [r for r in tweets_held if r.kind in kinds]
        rules, _, both = decide(learned, part)
        pf = peer_flags(part)
        # What a reviewer sees: a message enters the queue when any layer flags it (abuse at its review threshold).
        queue_rules = np.mean([m.flagged for m in score_messages([r.text for r in part], model, threat_model=None, explain=False)])
        queue = np.mean([m.flagged for m in score_messages([r.text for r in part], model, threat_model=learned, explain=False)])
        table.add_row(f"{label} ({len(part):,})", f"{rules.mean():.4f}", f"{both.mean():.4f}", f"{pf.mean():.4f}" if pf is not None else "—", f"{queue_rules:.4f}", f"{queue:.4f}")
    console.print(table)

    if THREATS.is_file():
        hw = [json.loads(line) for line in THREATS.read_text(encoding="utf-8").splitlines() if line.strip()]
        texts = [r["text"] for r in hw]
        is_threat = np.array([bool(r["threat"]) for r in hw])
        flags = tt.flags(learned, texts)
        console.print(
            f"Team-written set (written by the team, NOT a held-out measure; the rules were tuned on it): {is_threat.sum()} threats, "
            + "; ".join(f"{k} recall {v[is_threat].mean():.3f} / false alarms {v[~is_threat].mean():.3f}" for k, v in flags.items())
        )
    console.print("Independent UK-candidate threat set (issue 19's second target): not available in this environment; not measured.")

    texts = [r.text for r in tweets_held]

    def timed(threat_model):
        wall, cpu = time.perf_counter(), time.process_time()
        score_messages(texts, model, threat_model=threat_model)
        return len(texts) / (time.perf_counter() - wall), len(texts) / (time.process_time() - cpu)

    # Alternated three times, best of each: on a shared machine one run can land in a busy minute.
    runs = [(timed(None), timed(learned)) for _ in range(3)]
    rules_wall, rules_cpu = max(r[0][0] for r in runs), max(r[0][1] for r in runs)
    wall, cpu = max(r[1][0] for r in runs), max(r[1][1] for r in runs)
    console.print(f"Speed, score_messages (abuse model, rules, explanations) on {len(texts):,} held-out tweets, one process: rules only "
                  f"{rules_wall:,.0f} msg/s wall, {rules_cpu:,.0f} per CPU-second; with {learned.version} {wall:,.0f} msg/s wall, {cpu:,.0f} per CPU-second "
                  f"({'meets' if cpu >= 1000 else 'BELOW'} the 1,000/s target per core; best of three alternated runs). Load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs "
                  "(a shared machine: wall-clock rates fall with the load, CPU-second rates much less).")


def embeddings_section(console, model: AbuseModel, valid, davidson) -> None:
    """The optional embedding scorer beside the default (``--embeddings``)."""
    from rich.table import Table

    from ballotguard.engines.abuse import embeddings as ae

    reason = ae.runtime_missing()
    if reason is None and not (ae.DEFAULT_ENCODER_DIR / "model.onnx").is_file():
        reason = f"encoder not exported to {ae.DEFAULT_ENCODER_DIR} (run `{ae.REBUILD_COMMANDS[0]}`)"
    if reason is None:
        try:
            start = time.perf_counter()
            emb = ae.EmbeddingAbuseModel.load()
            load_s = time.perf_counter() - start
        except (ImportError, ae.ArtifactError) as exc:
            reason = str(exc)
    if reason is not None:
        console.print(f"Optional embedding scorer (--embeddings): skipped: {reason}")
        return
    texts = [r.text for r in valid]
    y = [r.is_abusive for r in valid]
    start = time.perf_counter()
    ours = model.score(texts)
    default_s = time.perf_counter() - start
    start = time.perf_counter()
    theirs = emb.score(texts)
    emb_s = time.perf_counter() - start
    table = Table(title=f"Optional scorer {emb.version} (n-gram logit + MiniLM-embedding logit, onnxruntime) beside {model.version}", title_justify="left")
    for column in ("Test set", "Scorer", "Macro-F1", "Abusive P / R", "Not P / R"):
        table.add_column(column, justify="left" if column in ("Test set", "Scorer") else "right")
    name_valid = f"OLID validation ({len(valid):,}, held out)"
    table.add_row(name_valid, f"{model.version} @ threshold {model.threshold:.2f}", *fmt(at.classification_report(y, ours >= model.threshold)))
    table.add_row("", f"{emb.version} @ threshold {emb.threshold:.2f}", *fmt(at.classification_report(y, theirs >= emb.threshold)))
    table.add_row("", f"{model.version} @ review threshold {model.review_threshold:.2f}", *fmt(at.classification_report(y, ours >= model.review_threshold)))
    table.add_row("", f"{emb.version} @ review threshold {emb.review_threshold:.2f}", *fmt(at.classification_report(y, theirs >= emb.review_threshold)))
    y_dav = [r.is_abusive for r in davidson]
    start = time.perf_counter()
    dav = emb.score([r.text for r in davidson])
    dav_s = time.perf_counter() - start
    table.add_row(f"Davidson, all {len(davidson):,}", f"{model.version} (trained on OLID)", *fmt(at.evaluate(model, davidson)))
    table.add_row("", f"{emb.version} (trained on OLID)", *fmt(at.classification_report(y_dav, dav >= emb.threshold)))
    console.print(table)
    if THREATS.is_file():
        rows = [json.loads(line) for line in THREATS.read_text(encoding="utf-8").splitlines() if line.strip()]
        kinds = np.array([r.get("kind", "") for r in rows])
        is_threat = np.array([bool(r["threat"]) for r in rows])
        hw = [r["text"] for r in rows]
        a, b = model.score(hw), emb.score(hw)
        harmless = (~is_threat) & (kinds != "insult")
        console.print(
            f"Hand-written messages, share flagged at review threshold: harmless ({harmless.sum()}) {model.version} {(a[harmless] >= model.review_threshold).mean():.3f}, "
            f"{emb.version} {(b[harmless] >= emb.review_threshold).mean():.3f}; insults ({(kinds == 'insult').sum()}) {model.version} "
            f"{(a[kinds == 'insult'] >= model.review_threshold).mean():.3f}, {emb.version} {(b[kinds == 'insult'] >= emb.review_threshold).mean():.3f}"
        )
    threads = ae.DEFAULT_THREADS
    console.print(
        f"Speed on the OLID validation texts (one process, onnxruntime {threads} threads): {model.version} {len(texts) / default_s:,.0f} msg/s, "
        f"{emb.version} {len(texts) / emb_s:,.0f} msg/s (Davidson: {len(davidson) / dav_s:,.0f} msg/s); loading {emb.version} took {load_s:.1f} s. "
        f"Recorded at training: {emb.metadata.get('validation', {}).get('olid_validation', {}).get('macro_f1')}"
    )


def macro_f1_interval(y, predicted, rounds: int = 2000, seed: int = 2019) -> tuple[float, float]:
    """A 95 % bootstrap interval of macro-F1 (rows resampled with replacement, each resample scored by
    ``training.classification_report``): how far the figure of a set this size moves by sampling alone."""
    y, predicted = np.asarray(y, bool), np.asarray(predicted, bool)
    rng = np.random.default_rng(seed)
    macro = [at.classification_report(y[pick], predicted[pick])["macro_f1"] for pick in rng.integers(0, len(y), size=(rounds, len(y)))]
    return float(np.quantile(macro, 0.025)), float(np.quantile(macro, 0.975))


def olid_test_section(console, model: AbuseModel, peer, rows, embeddings: bool) -> None:
    """Issue 19's abuse target on OLID's official test set (860 tweets; read by ``training.read_olid_test``),
    each scorer at its own threshold as shipped (chosen on validation, never on this set), with a
    bootstrap interval; the default also at 0.5, where issue 19 measured it."""
    from rich.table import Table

    y = [r.is_abusive for r in rows]
    texts = [r.text for r in rows]
    table = Table(title=f"OLID official test set ({len(rows)} tweets, {sum(y)} offensive): never trained or tuned on", title_justify="left")
    for column in ("Scorer", "Threshold", "Macro-F1", "95 % bootstrap", "Abusive P / R", "Not P / R"):
        table.add_column(column, justify="left" if column == "Scorer" else "right")
    default = model.score(texts)
    scored = [(model.version, model.threshold, default, True), (f"{model.version} (not its threshold: where issue 19 measured it)", 0.5, default, False)]
    if embeddings:
        from bench.abuse_fast import load_scorers

        from ballotguard.engines.abuse import finetuned as ft

        for name, fm, why, _ in load_scorers(ft.DEFAULT_THREADS)[1:]:
            if fm is None:
                console.print(f"OLID test set, {name}: skipped: {why}")
            else:
                scored.append((fm.version, fm.threshold, fm.score(texts), True))
    if peer:
        scored.append(("alt-profanity-check (peer)", 0.5, peer(texts), False))
    best = None
    for name, threshold, score, own in scored:
        report = at.classification_report(y, score >= threshold)
        low, high = macro_f1_interval(y, score >= threshold)
        table.add_row(name, f"{threshold:.2f}", f"{report['macro_f1']:.3f}", f"{low:.3f}–{high:.3f}", *fmt(report)[1:])
        if own and (best is None or report["macro_f1"] > best[1]):
            best = (name, report["macro_f1"])
    console.print(table)
    console.print(f"Issue 19 target: OLID macro-F1 ≥ 0.80 on the official test set: best at its own threshold {best[0]} {best[1]:.4f}, "
                  f"{'meets' if best[1] >= 0.80 else 'BELOW'}.")


def finetuned_section(console, model: AbuseModel, valid, davidson) -> None:
    """The optional fine-tuned scorers beside the default (``--embeddings``): ``abuse-ft-v1``, its static
    int8 network and the n-gram → int8 cascade, each where its network is built (loaded as
    ``bench/abuse_fast.py`` loads them, which says why one is skipped)."""
    from bench.abuse_fast import load_scorers

    from ballotguard.engines.abuse import finetuned as ft

    for name, fm, why, load_s in load_scorers(ft.DEFAULT_THREADS)[1:]:  # [0] is the default, abuse-v1
        if fm is None:
            console.print(f"Optional fine-tuned scorer {name} (--embeddings): skipped: {why}")
        else:
            _finetuned_scorer(console, model, valid, davidson, fm, load_s)


def _finetuned_scorer(console, model: AbuseModel, valid, davidson, fm, load_s: float) -> None:
    from rich.table import Table

    from ballotguard.engines.abuse import finetuned as ft

    texts = [r.text for r in valid]
    y = [r.is_abusive for r in valid]
    ours = model.score(texts)
    start = time.perf_counter()
    theirs = fm.score(texts)
    fm_s = time.perf_counter() - start
    table = Table(title=f"Optional scorer {fm.version} (MiniLM-L6 fine-tuned on OLID, onnxruntime) beside {model.version}", title_justify="left")
    for column in ("Test set", "Scorer", "Macro-F1", "Abusive P / R", "Not P / R"):
        table.add_column(column, justify="left" if column in ("Test set", "Scorer") else "right")
    name_valid = f"OLID validation ({len(valid):,}, held out)"
    table.add_row(name_valid, f"{model.version} @ threshold {model.threshold:.2f}", *fmt(at.classification_report(y, ours >= model.threshold)))
    table.add_row("", f"{fm.version} @ threshold {fm.threshold:.2f}", *fmt(at.classification_report(y, theirs >= fm.threshold)))
    table.add_row("", f"{model.version} @ review threshold {model.review_threshold:.2f}", *fmt(at.classification_report(y, ours >= model.review_threshold)))
    table.add_row("", f"{fm.version} @ review threshold {fm.review_threshold:.2f}", *fmt(at.classification_report(y, theirs >= fm.review_threshold)))
    y_dav = [r.is_abusive for r in davidson]
    dav = fm.score([r.text for r in davidson])
    table.add_row(f"Davidson, all {len(davidson):,}", f"{model.version} (trained on OLID)", *fmt(at.evaluate(model, davidson)))
    table.add_row("", f"{fm.version} (trained on OLID)", *fmt(at.classification_report(y_dav, dav >= fm.threshold)))
    console.print(table)
    if THREATS.is_file():
        rows = [json.loads(line) for line in THREATS.read_text(encoding="utf-8").splitlines() if line.strip()]
        kinds = np.array([r.get("kind", "") for r in rows])
        is_threat = np.array([bool(r["threat"]) for r in rows])
        b = fm.score([r["text"] for r in rows])
        parts = []
        for label, sel in (("counter-speech", kinds == "counter_speech"), ("harmless", (~is_threat) & (kinds != "insult")), ("insults", kinds == "insult"), ("threats", is_threat)):
            parts.append(f"{label} ({sel.sum()}) {(b[sel] >= fm.threshold).mean():.3f} / {(b[sel] >= fm.review_threshold).mean():.3f}")
        console.print(f"Hand-written messages, share flagged by {fm.version} at threshold / review threshold: " + "; ".join(parts))
    console.print(
        f"Speed on the OLID validation texts (one process, onnxruntime {ft.DEFAULT_THREADS} threads, all in one call): {fm.version} {len(texts) / fm_s:,.0f} msg/s; "
        f"loading took {load_s:.1f} s. Recorded at build: {fm.metadata.get('validation', {}).get('olid_validation', {}).get('macro_f1')}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help=f"the shared abuse data directory (default {DATA})")
    parser.add_argument("--model", type=Path, default=None, help="artifact to measure (default: the committed model)")
    parser.add_argument("--skip-davidson-training", action="store_true", help="do not train the Davidson → OLID model (saves ~40 s)")
    parser.add_argument("--skip-threat-seeds", action="store_true", help="measure the threat scorer on the committed split only (saves ~1 min)")
    parser.add_argument("--olid-test", type=Path, default=None, metavar="DIR",
                        help="also measure on OLID's official test set in DIR (OLID's testset-levela.tsv and labels-levela.csv, or TweetEval's "
                             "offensive test_text.txt and test_labels.txt); not in the shared data, so nothing is measured on it without this")
    parser.add_argument("--embeddings", action="store_true", help="also measure the optional embedding and fine-tuned scorers (needs requirements-embeddings.txt and their built networks; ~5 min on 2 cores)")
    args = parser.parse_args()
    from rich.console import Console
    from rich.table import Table

    console = Console(width=120)
    olid_path, davidson_path = args.data / at.OLID_FILE, args.data / at.DAVIDSON_FILE
    if not olid_path.is_file() or not davidson_path.is_file():
        print(f"Skipped: shared abuse data not found at {args.data} (needs {at.OLID_FILE} and {at.DAVIDSON_FILE})")
        return
    model = AbuseModel.load(args.model)
    peer = peer_scorer()
    olid = at.read_olid(olid_path)
    davidson = at.read_davidson(davidson_path)
    seed = model.metadata.get("split", {}).get("seed", at.SEED)
    _, valid = at.holdout_split(olid, seed=seed)
    y_valid = [r.is_abusive for r in valid]
    y_dav = [r.is_abusive for r in davidson]

    def peer_report(rows, y):
        return at.classification_report(y, peer([r.text for r in rows]) >= 0.5) if peer else None

    table = Table(
        title=f"Offensive vs not: Ballotguard {model.version} (threshold {model.threshold:.2f}, review threshold {model.review_threshold:.2f}) vs alt-profanity-check (0.5)",
        title_justify="left",
    )
    for column in ("Test set", "Scorer", "Macro-F1", "Abusive P / R", "Not P / R"):
        table.add_column(column, justify="left" if column in ("Test set", "Scorer") else "right")
    ours_valid = at.evaluate(model, valid)
    recorded = model.metadata.get("validation", {}).get("olid_validation", {}).get("macro_f1")
    name_valid = f"OLID validation ({len(valid):,}, held out)"
    table.add_row(name_valid, f"Ballotguard @ threshold {model.threshold:.2f}", *fmt(ours_valid))
    table.add_row("", f"Ballotguard @ review threshold {model.review_threshold:.2f}", *fmt(at.evaluate(model, valid, model.review_threshold)))
    if peer:
        table.add_row("", "alt-profanity-check", *fmt(peer_report(valid, y_valid)))
    name_dav = f"Davidson, all {len(davidson):,}"
    table.add_row(name_dav, "Ballotguard (trained on OLID)", *fmt(at.evaluate(model, davidson)))
    if peer:
        table.add_row("", "alt-profanity-check (trained on it: not held out)", *fmt(peer_report(davidson, y_dav)))
    if not args.skip_davidson_training:
        start = time.perf_counter()
        dav_model = at.train(davidson, seed=seed)
        took = time.perf_counter() - start
        table.add_row(name_valid, f"Ballotguard recipe trained on Davidson ({took:.0f} s)", *fmt(at.evaluate(dav_model, valid)))
        if peer:
            table.add_row("", "alt-profanity-check (Davidson-trained)", *fmt(peer_report(valid, y_valid)))
    console.print(table)
    target = "meets" if ours_valid["macro_f1"] >= 0.78 else "BELOW"
    console.print(
        f"OLID validation macro-F1 {ours_valid['macro_f1']:.4f} ({target} the 0.78 target; recorded in the artifact: {recorded}). "
        "Reference points: TF-IDF + LR ≈ 0.73; best OffensEval 2019 (BERT, official test set) 0.829."
    )
    console.print(f"Issue 19 target: OLID macro-F1 ≥ 0.80 (official test set, measured with --olid-test; the validation split, which ran 0.02 below it, stands in here): "
                  f"{ours_valid['macro_f1']:.4f}, {'meets' if ours_valid['macro_f1'] >= 0.80 else 'BELOW'}.")
    if args.olid_test:
        olid_test_section(console, model, peer, at.read_olid_test(args.olid_test), args.embeddings)
    threat_section(console, model, peer)
    learned_threat_section(console, args.data, model, peer, skip_seeds=args.skip_threat_seeds)
    if args.embeddings:
        embeddings_section(console, model, valid, davidson)
        finetuned_section(console, model, valid, davidson)


if __name__ == "__main__":
    main()
