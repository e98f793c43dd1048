"""The faster fine-tuned abuse scorers against the float32 one, on the OLID validation split.

Scorers: ``abuse-v1`` (default n-gram), ``abuse-ft-v1`` (MiniLM-L6 fine-tuned on OLID, float32),
``abuse-ft-v1-int8`` (the same network, static int8) and ``abuse-cascade-v1`` (``abuse-v1`` settles
what it can; the int8 network rescores the band around its threshold). Data: OLID (Zampieri et al.
2019), the held-out validation split of ``abuse_training.holdout_split`` (2,648 tweets, never trained
on, never used to choose anything). For each: macro-F1 at the threshold and at the review threshold,
the share sent to the network (cascade), and the speed on the validation texts with onnxruntime on
``--threads`` threads (default 2), **one message per ``score`` call** (as a worker scoring messages as
they arrive) and all at once, over ``--rounds`` rounds, with the load average printed beside each
(the machine is shared), and per CPU-second of the process (less sensitive to the other work). Where a network or the runtime is absent its row says why it was skipped.

Run:
    .venv/bin/python bench/abuse_fast.py [--data ../shared/data/abuse] [--threads 2] [--rounds 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ballotguard.engines.abuse import training as at  # noqa: E402
from ballotguard.engines.abuse.model import ArtifactError, default_model  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "abuse"


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split(" ")[0] if Path("/proc/loadavg").exists() else "?"


def per_second(model, texts, *, one_per_call: bool) -> tuple[float, float]:
    """(messages per wall-clock second, messages per CPU-second of this process). On a busy shared
    machine the wall-clock figure falls with the load; the CPU-time one much less so (it is what one
    otherwise idle core would give, all threads' time counted)."""
    start, cpu = time.perf_counter(), time.process_time()
    if one_per_call:
        for t in texts:
            model.score([t])
    else:
        model.score(texts)
    return len(texts) / (time.perf_counter() - start), len(texts) / (time.process_time() - cpu)


def load_scorers(threads: int):
    """(name, model or None, why skipped, load seconds)."""
    from ballotguard.engines.abuse import cascade, finetuned, finetuned_int8
    from ballotguard.engines.abuse.embeddings import runtime_missing

    out = [("abuse-v1", default_model(), None, 0.0)]
    missing = runtime_missing()
    for name, load in (("abuse-ft-v1", lambda: finetuned.FinetunedAbuseModel.load(threads=threads)),
                       ("abuse-ft-v1-int8", lambda: finetuned_int8.Int8AbuseModel.load(threads=threads)),
                       ("abuse-cascade-v1", lambda: cascade.CascadeAbuseModel.load(threads=threads))):
        if missing:
            out.append((name, None, missing, 0.0))
            continue
        try:
            start = time.perf_counter()
            model = load()
            out.append((name, model, None, time.perf_counter() - start))
        except (ArtifactError, ImportError) as exc:
            out.append((name, None, str(exc), 0.0))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help=f"the shared abuse data directory (default {DATA})")
    parser.add_argument("--threads", type=int, default=2, help="onnxruntime threads (default 2)")
    parser.add_argument("--rounds", type=int, default=2, help="speed rounds per scorer (default 2)")
    args = parser.parse_args()
    olid_path = args.data / at.OLID_FILE
    if not olid_path.is_file():
        print(f"Skipped: OLID not found at {olid_path}")
        return
    _, valid = at.holdout_split(at.read_olid(olid_path), seed=at.SEED)
    texts, y = [r.text for r in valid], np.array([r.is_abusive for r in valid])
    print(f"OLID validation split: {len(valid):,} tweets ({int(y.sum())} offensive); onnxruntime threads {args.threads}; load {loadavg()}")
    for name, model, why, load_s in load_scorers(args.threads):
        if model is None:
            print(f"{name}: skipped: {why}")
            continue
        p = model.score(texts)
        at_t = at.classification_report(y, p >= model.threshold)
        at_r = at.classification_report(y, p >= model.review_threshold)
        share = ""
        if hasattr(model, "rescored"):
            share = f"; share rescored by the network {model.rescored / model.scored:.3f}"
        print(f"{name}: macro-F1 {at_t['macro_f1']:.4f} @ {model.threshold:.2f} (abusive P {at_t['abusive']['precision']:.3f} / R {at_t['abusive']['recall']:.3f}); "
              f"review @ {model.review_threshold:.2f}: macro-F1 {at_r['macro_f1']:.4f}, abusive P {at_r['abusive']['precision']:.3f} / R {at_r['abusive']['recall']:.3f}"
              f"{share}; loaded in {load_s:.2f} s")
        for r in range(args.rounds):
            one, one_cpu = per_second(model, texts, one_per_call=True)
            load_one = loadavg()
            batch, batch_cpu = per_second(model, texts, one_per_call=False)
            print(f"  round {r + 1}: {one:,.0f} msg/s one message per call ({one_cpu:,.0f} per CPU-second; load {load_one}); "
                  f"{batch:,.0f} msg/s all at once ({batch_cpu:,.0f} per CPU-second; load {loadavg()})")


if __name__ == "__main__":
    main()
