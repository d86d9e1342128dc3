"""``lauragpt bench`` runs and writes its JSON (no timing is asserted: tests never judge speed)."""

from __future__ import annotations

import json
import subprocess
import sys


def test_quick_features_benchmark_writes_json(tmp_path):
    # a smoke run, not a measurement: one thread keeps it short on a shared machine
    command = ["bench", "--quick", "--only", "features", "--threads", "1", "--results-dir", str(tmp_path)]
    run = subprocess.run(
        [sys.executable, "-m", "modeling_lauragpt.cli", *command],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads((tmp_path / "features.threads1.quick.json").read_text())
    assert {"benchmark", "quick", "machine", "loadavg_start", "loadavg_end", "equality", "rows"} <= set(result)
    assert result["benchmark"] == "features" and result["quick"] is True
    assert {"torch", "torch_threads", "cpu_model", "loadavg"} <= set(result["machine"])
    assert [row["batch"] for row in result["rows"]] == [1, 8]
    for row in result["rows"]:
        for name in ("ours", "torchaudio_loop", "kaldi_native_fbank"):
            assert row[f"{name}_x_realtime"] > 0 and len(row[name]["runs_s"]) >= 1
    assert result["equality"]["fbank_max_abs_diff_vs_torchaudio_loop"] == 0.0
