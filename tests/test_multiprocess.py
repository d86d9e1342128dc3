"""Two processes (``accelerate launch`` with the shipped CPU config, gloo) train exactly like one process with the
same global batch: same examples per step, same losses, same eval loss per task, same final weights."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from modeling_lauragpt.training.recipe_config import load_recipe_config
from modeling_lauragpt.training.trainer_recipe import run_recipe

from .recipe_corpus import TASKS, recipe_overrides, write_corpus

ACCELERATE_CONFIG = Path(__file__).resolve().parents[1] / "training" / "accelerate_configs" / "cpu_2proc.yaml"
STEPS = 6
SHARED = {"max_steps": STEPS, "eval_steps": STEPS, "save_strategy": "no"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _history(output_dir: Path) -> tuple[dict, dict]:
    log = json.loads((output_dir / "trainer_state.json").read_text())["log_history"]
    losses = {e["step"]: e["loss"] for e in log if "loss" in e}
    evals = {k: v for e in log for k, v in e.items() if k.startswith("eval_") and k.endswith("_loss")}
    return losses, evals


def test_two_cpu_processes_match_one(tmp_path, codec):
    corpus = write_corpus(tmp_path / "corpus", validation=4)  # even, so both processes evaluate 2 distinct rows
    codec_dir = tmp_path / "codec"
    codec.save_pretrained(str(codec_dir))

    one = tmp_path / "one"
    run_recipe(
        load_recipe_config(
            "tiny.yaml",
            recipe_overrides(corpus, codec_dir, per_device_train_batch_size=4, per_device_eval_batch_size=2, **SHARED),
        ),
        one,
    )

    two = tmp_path / "two"
    # half the per-device batches: the same global batch, for training and for evaluation (the Trainer averages the
    # eval loss over the tokens of each global eval batch, average_tokens_across_devices)
    overrides = recipe_overrides(
        corpus, codec_dir, per_device_train_batch_size=2, per_device_eval_batch_size=1, **SHARED
    )
    command = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--config_file",
        str(ACCELERATE_CONFIG),
        "--main_process_port",
        str(_free_port()),
        "-m",
        "modeling_lauragpt.cli.train",
        "--config",
        "tiny.yaml",
        "--output-dir",
        str(two),
        *(a for o in overrides for a in ("--set", o)),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=400, check=False)
    assert result.returncode == 0, result.stderr[-4000:]
    assert f"[train] {STEPS} steps" in result.stdout

    losses, evals = _history(one)
    losses_two, evals_two = _history(two)
    assert sorted(losses) == sorted(losses_two) == list(range(1, STEPS + 1))
    for step in losses:
        assert losses_two[step] == pytest.approx(losses[step], abs=2e-4), (step, losses[step], losses_two[step])
    assert sorted(evals) == sorted(f"eval_{task}_loss" for task in TASKS)
    assert evals_two == pytest.approx(evals, abs=2e-4)
    weights, weights_two = load_file(str(one / "model.safetensors")), load_file(str(two / "model.safetensors"))
    for name, value in weights.items():
        torch.testing.assert_close(weights_two[name], value, rtol=1e-3, atol=1e-4)  # Adam: lr-sized steps, 1e-2 in all
