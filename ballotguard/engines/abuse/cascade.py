"""``abuse-cascade-v1``: the default n-gram model settles what it can; a fine-tuned network rescores the rest.

Selected with ``BALLOTGUARD_ABUSE_SCORER=cascade`` (optional; the default scorer stays the default).
See ``docs/model-card-abuse.md`` ("Faster fine-tuned scorers") for the figures.

Why: the fine-tuned network (``abuse-ft-v1``, or its int8 version ``abuse-ft-v1-int8``) is the more
accurate scorer but runs at a few hundred messages a second on 2 cores; the default model
(``abuse-v1``) runs at about 20,000. Most messages are far from the default model's threshold and the
two models agree on them, so only the messages whose default probability falls in a **band** around
its threshold go to the network.

How it decides: ``abuse-v1`` scores every message (probability ``p1``); a message with ``p1`` below
the band is not abusive, one at or above it is abusive, and one inside the band ``[low, high)`` gets the
network's decision. The score it returns keeps that decision at one threshold (0.5): it is
``sigmoid(z - logit(t))`` with ``z`` and ``t`` the logit and threshold of whichever model decided, so
each model's own threshold maps to 0.5. The review threshold is then taken on the inner split with
these scores (the usual rule: lowest with abusive precision >= 0.80).

How the band was chosen (the rule was fixed before any figure was seen, on the inner split only, never
the validation split): ``abuse-v1``'s recipe refitted on the 8,474 inner-training rows (the committed
model has seen the inner split, so its own scores there would look too sure) and the network (trained
on those rows only) score the 2,118-row inner split; of all bands ``low <= t1 <= high`` on a 0.01
grid, the one sending the **smallest share** of messages to the network whose inner macro-F1 is within
:data:`TOLERANCE` of the network's alone (ties: the higher macro-F1).

Files: ``ballotguard/engines/abuse/models/abuse-cascade-v1.json`` (committed): the band, thresholds,
figures, the SHA-256 of the ``abuse-v1`` weights and of the network's ONNX file it was chosen for.
:meth:`CascadeAbuseModel.load` refuses (naming :data:`REBUILD_COMMAND`) a network or default model other
than those, since the band belongs to them; the network itself is loaded (and checked) by its own class.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ballotguard.engines.abuse import finetuned as ft
from ballotguard.engines.abuse import finetuned_int8 as fq
from ballotguard.engines.abuse.model import MODELS_DIR, AbuseModel, ArtifactError, Scorer, _sigmoid, default_model, sha256_file

VERSION = "abuse-cascade-v1"
DEFAULT_ARTIFACT = MODELS_DIR / VERSION
#: How much inner macro-F1 the cascade may give up against the network alone (fixed beforehand).
TOLERANCE = 0.005
#: Band edges tried (probabilities of the default model), on each side of its threshold.
GRID = np.round(np.arange(0.0, 1.0001, 0.01), 2)
NETWORKS: dict[str, type[ft.FinetunedAbuseModel]] = {ft.VERSION: ft.FinetunedAbuseModel, fq.VERSION: fq.Int8AbuseModel}
DEFAULT_NETWORK = fq.VERSION
REBUILD_COMMAND = (
    "python -m ballotguard.engines.abuse.cascade build --data-dir ../shared/data/abuse --network abuse-ft-v1-int8 "
    "--out ballotguard/engines/abuse/models/abuse-cascade-v1"
)


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


class CascadeAbuseModel(Scorer):
    """Same API as :class:`~ballotguard.engines.abuse.model.AbuseModel`; see the module docstring."""

    def __init__(self, first: AbuseModel, network: ft.FinetunedAbuseModel, *, band: tuple[float, float], threshold: float = 0.5,
                 review_threshold: float = 0.5, version: str = VERSION, metadata: dict | None = None):
        low, high = float(band[0]), float(band[1])
        if not low <= first.threshold <= high:
            raise ValueError(f"the band [{low}, {high}) must contain the first model's threshold {first.threshold}")
        self.first = first
        self.network = network
        self.band = (low, high)
        self.threshold = float(threshold)
        self.review_threshold = float(review_threshold)
        self.version = version
        self.metadata = dict(metadata or {}, threshold=self.threshold, review_threshold=self.review_threshold)
        #: How many messages went to the network, of how many scored (since loading).
        self.rescored = 0
        self.scored = 0

    def __repr__(self) -> str:
        return f"<CascadeAbuseModel {self.version} band=[{self.band[0]:.2f}, {self.band[1]:.2f}) network={self.network.version}>"

    @classmethod
    def load(cls, path: str | Path | None = None, *, model_dir: str | Path | None = None, threads: int = ft.DEFAULT_THREADS) -> CascadeAbuseModel:
        """The committed JSON, the default model and the network it was built for (from ``model_dir``,
        default: the network class's own). Refuses, naming the rebuild command, when any is missing or
        is not the one the band was chosen for."""
        stem = Path(DEFAULT_ARTIFACT if path is None else path)
        meta_path = stem.with_suffix(".json")
        if not meta_path.is_file():
            raise ArtifactError(f"cascade abuse scorer not found: {meta_path}; rebuild with `{REBUILD_COMMAND}`")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        first = default_model()
        if first.version != meta["first"]["version"] or sha256_file(MODELS_DIR / f"{first.version}.npz") != meta["first"]["npz_sha256"]:
            raise ArtifactError(f"{meta_path} was built for another default model than {first.version}'s committed weights: rebuild with `{REBUILD_COMMAND}`")
        wanted = meta["network"]["version"]
        if wanted not in NETWORKS:
            raise ArtifactError(f"{meta_path} names an unknown network {wanted!r}")
        network = NETWORKS[wanted].load(model_dir=model_dir, threads=threads)  # checks the ONNX file against the network's own JSON
        if network.metadata["network"]["model_onnx_sha256"] != meta["network"]["model_onnx_sha256"]:
            raise ArtifactError(f"the {wanted} network is not the one {meta_path}'s band was chosen for (SHA-256 differs): rebuild with `{REBUILD_COMMAND}`")
        return cls(first, network, band=tuple(meta["band"]), threshold=meta["threshold"], review_threshold=meta["review_threshold"],
                   version=meta["version"], metadata=meta)

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts) if not isinstance(texts, str) else texts
        z1 = self.first.logits(texts)  # also refuses a str or non-str messages
        out = z1 - _logit(self.first.threshold)
        inside = np.flatnonzero(in_band(_sigmoid(z1), self.band))
        if inside.size:
            out[inside] = self.network.logits([texts[i] for i in inside]) - _logit(self.network.threshold)
        self.scored += len(texts)
        self.rescored += int(inside.size)
        return out

    def explain(self, text: str, top: int = 5) -> list[tuple[str, float]]:
        """The default model's word and phrase contributions (see :meth:`AbuseModel.explain`)."""
        return self.first.explain(text, top)

    def contributions(self, text: str) -> dict[str, float]:
        return self.first.contributions(text)


def in_band(p1: np.ndarray, band: tuple[float, float]) -> np.ndarray:
    return (p1 >= band[0]) & (p1 < band[1])


def decide(p1: np.ndarray, p2: np.ndarray, band: tuple[float, float], t1: float, t2: float) -> np.ndarray:
    """The cascade's decision at its threshold, from both models' probabilities."""
    return np.where(in_band(p1, band), p2 >= t2, p1 >= t1)


def choose_band(y: np.ndarray, p1: np.ndarray, p2: np.ndarray, t1: float, t2: float, *, tolerance: float = TOLERANCE) -> dict:
    """The narrowest band (smallest share sent to the network) whose macro-F1 on these rows is within
    ``tolerance`` of the network's alone; ties go to the higher macro-F1, then the lower ``low``."""
    from ballotguard.engines.abuse import training as at

    y = np.asarray(y, dtype=bool)
    alone = at.macro_f1(y, p2 >= t2)
    best = None
    for low in GRID[GRID <= t1]:
        for high in GRID[GRID >= t1]:
            share = float(in_band(p1, (low, high)).mean())
            f1 = at.macro_f1(y, decide(p1, p2, (low, high), t1, t2))
            if f1 >= alone - tolerance:
                key = (share, -f1, low)
                if best is None or key < best[0]:
                    best = (key, float(low), float(high), f1, share)
    assert best is not None  # the band [0, 1] sends everything to the network: always within tolerance
    _, low, high, f1, share = best
    return {"band": [low, high], "macro_f1": round(f1, 4), "share_rescored": round(share, 4), "network_alone_macro_f1": round(alone, 4),
            "first_alone_macro_f1": round(at.macro_f1(y, p1 >= t1), 4)}


def build(data_dir: str | Path, *, network_version: str = DEFAULT_NETWORK, model_dir: str | Path | None = None, progress=None) -> CascadeAbuseModel:
    """Choose the band on the inner split (see the module docstring), take the review threshold there,
    then measure the validation split once: macro-F1 at both operating points, share rescored, speed."""
    from ballotguard.engines.abuse import finetuned_train as aft
    from ballotguard.engines.abuse import training as at

    say = progress or (lambda _msg: None)
    first = default_model()
    network = NETWORKS[network_version].load(model_dir=model_dir)
    seed = int(network.metadata.get("seed") or at.SEED)
    inner_train, inner_valid, valid_rows, olid = aft.inner_rows(Path(data_dir), seed)
    y_it = np.array([r.is_abusive for r in inner_train])
    base_C = float(first.metadata.get("classifier", {}).get("C", 3.0))
    say(f"refitting {first.version}'s recipe (C={base_C:g}) on the {len(inner_train):,} inner-training rows")
    first_inner = at._fit([r.text for r in inner_train], y_it, first.params, base_C, seed).rounded()
    yi = np.array([r.is_abusive for r in inner_valid])
    ti = [r.text for r in inner_valid]
    z1, z2 = first_inner.logits(ti), network.logits(ti)
    p1, p2 = _sigmoid(z1), _sigmoid(z2)
    chosen = choose_band(yi, p1, p2, first.threshold, network.threshold)
    say(f"inner split: band {chosen['band']} sends {chosen['share_rescored']:.1%} to {network.version}; macro-F1 {chosen['macro_f1']:.4f} "
        f"(network alone {chosen['network_alone_macro_f1']:.4f}, {first.version} alone {chosen['first_alone_macro_f1']:.4f})")
    z_inner = np.where(in_band(p1, chosen["band"]), z2 - _logit(network.threshold), z1 - _logit(first.threshold))
    review_t, review_inner = at.review_threshold(yi, _sigmoid(z_inner))
    model = CascadeAbuseModel(first, network, band=tuple(chosen["band"]), threshold=0.5, review_threshold=review_t)

    yv = np.array([r.is_abusive for r in valid_rows])
    tv = [r.text for r in valid_rows]
    start = time.perf_counter()
    pv = model.score(tv)
    msgs_per_s = len(tv) / (time.perf_counter() - start)
    share_valid = model.rescored / model.scored
    model.metadata = {
        "version": VERSION,
        "built_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "seed": seed,
        "threshold": 0.5,
        "review_threshold": review_t,
        "band": chosen["band"],
        "first": {"version": first.version, "threshold": first.threshold, "npz_sha256": sha256_file(MODELS_DIR / f"{first.version}.npz")},
        "network": {"version": network.version, "threshold": network.threshold, "model_onnx_sha256": network.metadata["network"]["model_onnx_sha256"]},
        "score": "sigmoid(z - logit(t)) of the model that decided (abuse-v1 outside the band, the network inside), so each one's threshold maps to 0.5",
        "band_rule": (f"on the inner split (seed {seed + 1}), scored by {first.version}'s recipe refitted on the inner-training rows and by the network: "
                      f"the band [low, high) around {first.version}'s threshold, on a 0.01 grid, sending the smallest share to the network "
                      f"with macro-F1 >= the network's alone - {TOLERANCE}; ties: higher macro-F1"),
        "review_threshold_rule": "lowest threshold with abusive precision >= 0.80 on the inner split, cascade scores (abuse_training.review_threshold)",
        "inner_split": {"n": len(inner_valid), **chosen, "review": review_inner},
        "validation": {
            "share_rescored": round(share_valid, 4),
            "olid_validation": at.classification_report(yv, pv >= 0.5),
            "olid_validation_at_review_threshold": at.classification_report(yv, pv >= review_t),
        },
        "speed_msgs_per_s_2_threads_at_build": round(msgs_per_s),
        "rebuild_command": REBUILD_COMMAND if network_version == DEFAULT_NETWORK else REBUILD_COMMAND.replace(DEFAULT_NETWORK, network_version),
        "environment": {"python": platform.python_version(), "numpy": np.__version__},
    }
    model.rescored = model.scored = 0
    say(f"OLID validation: macro-F1 {model.metadata['validation']['olid_validation']['macro_f1']:.4f}, {share_valid:.1%} rescored, {msgs_per_s:,.0f} msg/s")
    return model


def save_metadata(model: CascadeAbuseModel, path: str | Path = DEFAULT_ARTIFACT) -> Path:
    meta_path = Path(path).with_suffix(".json")
    meta_path.parent.mkdir(parents=True, exist_ok=True)
    meta_path.write_text(json.dumps(dict(model.metadata, threshold=model.threshold, review_threshold=model.review_threshold), indent=2, ensure_ascii=False) + "\n",
                         encoding="utf-8")
    return meta_path


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ballotguard.engines.abuse.cascade", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="choose the band on the inner split and measure the cascade (needs the network built; ~1-2 min on 2 cores)")
    b.add_argument("--data-dir", type=Path, required=True, help="the shared abuse data directory (OLID)")
    b.add_argument("--network", choices=sorted(NETWORKS), default=DEFAULT_NETWORK, help=f"the network that rescores the band (default {DEFAULT_NETWORK})")
    b.add_argument("--model-dir", type=Path, default=None, help="the network's directory (default: its own, var/models/VERSION)")
    b.add_argument("--out", type=Path, default=DEFAULT_ARTIFACT, help="the JSON artefact (without .json)")
    args = parser.parse_args(argv)
    say = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    model = build(args.data_dir, network_version=args.network, model_dir=args.model_dir, progress=say)
    say(f"wrote {save_metadata(model, args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
