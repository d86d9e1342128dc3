"""The ``lauragpt`` console script, run the way a user runs it: in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

from transformers import AutoFeatureExtractor


def _run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "modeling_lauragpt.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_demo_trains_saves_reloads_and_reproduces_every_example(tmp_path):
    result = _run("demo", "--output-dir", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(" yes") == 4 and " NO" not in result.stdout
    saved = tmp_path / "out"
    assert {"config.json", "model.safetensors", "processor_config.json", "tokenizer.json"} <= {p.name for p in saved.iterdir()}
    config = json.loads((saved / "config.json").read_text())
    assert config["model_type"] == "lauragpt" and "auto_map" not in config and "custom_pipelines" not in config
    assert AutoFeatureExtractor.from_pretrained(saved).cmvn_mean is not None


def test_help_lists_commands_and_unknown_command_fails(tmp_path):
    help_text = _run("--help", cwd=tmp_path)
    assert help_text.returncode == 0 and "demo" in help_text.stdout
    assert _run("dance", cwd=tmp_path).returncode == 2
