"""Load a Hub export the way a user without ``lauragpt`` does: a fresh ``python -I`` process, run from a scratch folder
outside the repository, whose import system refuses the package (its editable-install finder is removed and a
finder placed first raises ``ModuleNotFoundError`` for it), so ``import modeling_lauragpt`` fails there as it would
on a machine without it, and so would any import of it hidden in the exported code. It loads the model, processor,
vocoder and pipeline with ``trust_remote_code=True``, runs one text-output and one codec-output task, and prints a
JSON summary (which classes came from where)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SCRIPT = r'''
import importlib, json, sys
out = sys.argv[1]


class NoLauraGPT:
    """As on a machine without lauragpt: every import of the package (or its editable-install finder) fails."""

    def find_spec(self, name, path=None, target=None):
        if "lauragpt" in name.split(".")[0].lower():  # modeling_lauragpt, __editable___lauragpt_..._finder
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path[:] = [NoLauraGPT()] + [f for f in sys.meta_path if "lauragpt" not in getattr(f, "__module__", "")]
importlib.invalidate_caches()
try:
    import modeling_lauragpt  # noqa: F401
    importable = True
except ImportError:
    importable = False
if importable:
    raise SystemExit("modeling_lauragpt is still importable: the check would prove nothing")

import os
import numpy as np
import torch
from transformers import AutoModel, AutoModelForCausalLM, AutoProcessor, pipeline

def origin(obj):
    return type(obj).__module__.split(".")[0] + ":" + type(obj).__name__

summary = {"package_importable": importable}
model = AutoModelForCausalLM.from_pretrained(out, trust_remote_code=True).eval()
processor = AutoProcessor.from_pretrained(out, trust_remote_code=True)
summary.update(model=origin(model), processor=origin(processor), feature_extractor=origin(processor.feature_extractor))
clip = (0.1 * np.sin(2 * np.pi * 220 * np.arange(16000) / 16000)).astype("float32")
with torch.no_grad():  # fingerprints of the loaded weights and rebuilt buffers, to compare with the package's model
    summary["text_logits_sum"] = float(model(input_ids=torch.tensor([[1, 2, 3, 4]])).logits.double().sum())
    if "asr" in model.config.tasks:
        summary["asr_logits_sum"] = float(model(**processor(task="asr", audio=clip)).logits.double().sum())
if os.path.exists(os.path.join(out, "vocoder", "config.json")):
    summary["vocoder"] = origin(AutoModel.from_pretrained(os.path.join(out, "vocoder"), trust_remote_code=True))
pipe = pipeline("lauragpt", model=out, trust_remote_code=True)
summary["pipeline"] = origin(pipe)
tasks = model.config.tasks
text_task = next((t for t in ("asr", "aac", "ser", "s2tt", "slu") if t in tasks), None)
if text_task:
    summary["text_output"] = pipe(clip, task=text_task, max_new_tokens=3)
if "tts" in tasks and "vocoder" in summary:
    speech = pipe("hello", task="tts", max_new_tokens=4, min_new_tokens=2)
    summary["tts_samples"] = int(len(speech["audio"]))
    summary["tts_sampling_rate"] = int(speech["sampling_rate"])
print(json.dumps(summary, default=str))
'''


def verify_export(out: str | Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the check on export folder ``out``; ``returncode`` 0 and the JSON summary on stdout on success."""
    out = Path(out).resolve()
    with tempfile.TemporaryDirectory() as scratch:
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "HF_MODULES_CACHE": str(Path(scratch) / "modules"),
            "TRANSFORMERS_VERBOSITY": "error",
            "TOKENIZERS_PARALLELISM": "false",
        }
        return subprocess.run(
            [sys.executable, "-I", "-c", SCRIPT, str(out)],
            cwd=scratch,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def summary_of(result: subprocess.CompletedProcess) -> dict:
    """The JSON summary a successful check printed (its last stdout line)."""
    if result.returncode != 0:
        raise RuntimeError(f"The export did not load without lauragpt:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


__all__ = ["SCRIPT", "summary_of", "verify_export"]
