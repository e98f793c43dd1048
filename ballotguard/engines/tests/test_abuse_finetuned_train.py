"""The fine-tuning tools behind the optional fine-tuned scorers (``abuse_finetuned_train``).

The recipe and grid tests need nothing optional; the float16-shard round trip needs PyTorch and
safetensors (build-time only) and is skipped, saying so, where they are absent.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ballotguard.engines.abuse import finetuned as ft
from ballotguard.engines.abuse import finetuned_train as aft


def test_importing_the_training_module_needs_no_torch():
    code = "import sys, ballotguard.engines.abuse.finetuned_train; print(sorted(m for m in ('torch', 'transformers', 'tokenizers', 'safetensors') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_v1_recipe_is_the_committed_one():
    meta = json.loads(ft.DEFAULT_ARTIFACT.with_suffix(".json").read_text())
    r = ft.v1_recipe()
    assert (r.max_tokens, r.epochs, r.batch_size, r.lr) == (meta["network"]["max_tokens"], meta["recipe"]["epochs"], meta["recipe"]["batch_size"], meta["recipe"]["lr"])
    assert (r.seed, r.head_seed, r.base_fp16) == (meta["recipe"]["torch_seed"], None, False)


def test_grid_fixes_the_head_so_seeds_can_be_averaged():
    grid = aft.default_grid()
    assert len({r.key() for r in grid}) == len(grid)
    assert all(r.head_seed == 0 and r.base_fp16 for r in grid)
    assert any(r.key() == "len64-ep2-bs32-lr4e-05" for r in grid)  # abuse-ft-v1's recipe, for comparison
    assert aft.Recipe().with_seed(3).seed == 3


def test_inner_split_is_the_default_models(tmp_path):
    olid = tmp_path / "olid2019"
    olid.mkdir()
    lines = ["id\ttweet\tsubtask_a\tsubtask_b\tsubtask_c"] + [f"{i}\ttweet number {i}\t{'OFF' if i % 3 == 0 else 'NOT'}\tNULL\tNULL" for i in range(200)]
    (olid / "olid-training-v1.0.tsv").write_text("\n".join(lines) + "\n")
    from ballotguard.engines.abuse import training as at

    inner_train, inner_valid, valid, rows = aft.inner_rows(tmp_path)
    train_rows, want_valid = at.holdout_split(rows, seed=at.SEED)
    want_train, want_inner = at.holdout_split(train_rows, fraction=at.INNER_FRACTION, seed=at.SEED + 1)
    assert [r.id for r in valid] == [r.id for r in want_valid]
    assert [r.id for r in inner_valid] == [r.id for r in want_inner] and [r.id for r in inner_train] == [r.id for r in want_train]
    assert not {r.id for r in valid} & {r.id for r in inner_train + inner_valid}


def test_float16_shards_round_trip_and_are_checked(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch not installed (build-time only)")
    pytest.importorskip("safetensors", reason="safetensors not installed (build-time only)")
    state = {"big": torch.randn(3000, 700), "small": torch.randn(5), "ids": torch.arange(4)}
    paths = aft.save_shards(state, tmp_path, max_bytes=1_000_000)
    assert all(p.stat().st_size <= 1_000_000 for p in paths)
    back = aft.load_shards(tmp_path)
    assert list(back) == list(state)
    assert torch.equal(back["big"], state["big"].half().float()) and torch.equal(back["ids"], state["ids"])
    first = tmp_path / "state-000.safetensors"
    first.write_bytes(first.read_bytes()[:-1] + b"\0")
    with pytest.raises(ValueError, match="SHA-256"):
        aft.load_shards(tmp_path)
