"""``import modeling_lauragpt`` registers our own Auto classes and the "lauragpt" task, and nothing else: transformers'
standard tasks stay as transformers ships them until ``enable_standard_pipelines()`` is called, and the import
pulls in no app (CLI, web demo, gradio, matplotlib)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from transformers import pipeline
from transformers.pipelines import SUPPORTED_TASKS

import modeling_lauragpt
from modeling_lauragpt import (
    LauraGPTForConditionalGeneration,
    disable_standard_pipelines,
    enable_standard_pipelines,
)
from modeling_lauragpt.processing.standard_pipelines import (
    SpeechRecognitionPipeline,
    TextToSpeechPipeline,
)

from .helpers import make_audio

STANDARD_TASKS = ("automatic-speech-recognition", "text-to-audio")
# Run in a fresh interpreter: what the import changes in transformers' task table, and which modules it loads.
PROBE = """
import json, sys
from transformers.pipelines import SUPPORTED_TASKS
before = {task: repr(entry["impl"]) for task, entry in SUPPORTED_TASKS.items()}
import modeling_lauragpt
from transformers import AutoConfig, AutoFeatureExtractor, AutoModel, AutoProcessor
from transformers.models.auto.configuration_auto import CONFIG_MAPPING
after = {task: repr(entry["impl"]) for task, entry in SUPPORTED_TASKS.items()}
print(json.dumps({"before": before, "after": after, "modules": sorted(sys.modules),
                  "lauragpt_config": CONFIG_MAPPING["lauragpt"].__name__}))
"""
APP_PACKAGES = (
    "gradio",
    "matplotlib",
    "modeling_lauragpt.cli",
    "modeling_lauragpt.web_demo",
    "modeling_lauragpt.demo",
    "modeling_lauragpt.training",
    "modeling_lauragpt.bench",
)  # each with its submodules


@pytest.fixture(scope="module")
def probe() -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_import_adds_only_the_lauragpt_task_and_patches_no_standard_task(probe):
    assert set(probe["after"]) - set(probe["before"]) == {"lauragpt"}
    assert {task: probe["after"][task] for task in probe["before"]} == probe["before"]
    assert probe["lauragpt_config"] == "LauraGPTConfig"


def test_import_loads_no_app_module(probe):
    loaded = [
        name
        for name in probe["modules"]
        if any(name == package or name.startswith(package + ".") for package in APP_PACKAGES)
    ]
    assert loaded == []


def test_every_public_name_imports():
    for name in modeling_lauragpt.__all__:
        assert getattr(modeling_lauragpt, name) is not None, name


def test_enable_is_explicit_idempotent_and_undone_by_disable():
    original = {task: SUPPORTED_TASKS[task]["impl"] for task in STANDARD_TASKS}
    assert all(isinstance(impl, str) and impl.startswith("transformers.pipelines.") for impl in original.values())
    try:
        enable_standard_pipelines()
        enable_standard_pipelines()
        assert SUPPORTED_TASKS["automatic-speech-recognition"]["impl"] is SpeechRecognitionPipeline
        assert SUPPORTED_TASKS["text-to-audio"]["impl"] is TextToSpeechPipeline
    finally:
        disable_standard_pipelines()
    assert {task: SUPPORTED_TASKS[task]["impl"] for task in STANDARD_TASKS} == original


def test_pipeline_class_hook_builds_the_lauragpt_asr_without_global_state(tmp_path, tiny_config, processor):
    torch.manual_seed(0)
    LauraGPTForConditionalGeneration(tiny_config).save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)
    before = {task: SUPPORTED_TASKS[task]["impl"] for task in STANDARD_TASKS}
    clip = make_audio(0.6, 4)
    asr = pipeline(
        "automatic-speech-recognition", model=str(tmp_path), pipeline_class=SpeechRecognitionPipeline, device="cpu"
    )
    ours = pipeline("lauragpt", model=str(tmp_path), device="cpu")
    assert asr({"raw": clip, "sampling_rate": 16000}, max_new_tokens=5) == ours(
        clip, task="asr", sampling_rate=16000, max_new_tokens=5
    )
    assert {task: SUPPORTED_TASKS[task]["impl"] for task in STANDARD_TASKS} == before
