"""The embedded default model: it loads, `lauragpt demo` runs it end to end, and it still does its tasks.

The floors sit just below what the shipped model gives on its bundled samples, held-out test rows of the demo corpus
(modeling_lauragpt/demo_samples), so a worse checkpoint or a broken code path fails them.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import soundfile
from transformers import pipeline

from modeling_lauragpt.defaults import DEFAULT_MODEL_DIR, DEMO_SAMPLES_DIR
from modeling_lauragpt.demo import load_samples
from modeling_lauragpt.training.demo_corpus.tasks.ser import EMOTIONS
from modeling_lauragpt.training.metrics.functional import (
    compute_bleu,
    compute_captioning,
)


@pytest.fixture(scope="module")
def default_pipe():
    return pipeline("lauragpt")  # no model: the embedded default


def test_default_model_is_complete_and_small():
    files = {p.relative_to(DEFAULT_MODEL_DIR).as_posix() for p in DEFAULT_MODEL_DIR.rglob("*") if p.is_file()}
    assert {
        "config.json",
        "model.safetensors",
        "processor_config.json",
        "tokenizer.json",
        "README.md",
        "vocoder/config.json",
        "vocoder/model.safetensors",
    } <= files
    size = sum(p.stat().st_size for p in DEFAULT_MODEL_DIR.rglob("*") if p.is_file())
    assert size < 100e6
    card = (DEFAULT_MODEL_DIR / "README.md").read_text()
    assert card.startswith("---\n") and "model-index" in card and "synthetic" in card.lower()


def test_pipeline_without_model_uses_the_default(default_pipe):
    assert str(DEFAULT_MODEL_DIR) in str(default_pipe.model.name_or_path)
    assert default_pipe.vocoder is not None
    # the remade design: Whisper tiny.en's encoder as the tower, the CPU codec under the vocoder
    assert type(default_pipe.model.model.audio_tower).__name__ == "LauraGPTWhisperEncoder"
    assert type(default_pipe.vocoder.codec).__name__ == "LauraGPTCPUCodec"


def test_smoke_evaluation_on_held_out_samples(default_pipe):
    """Greedy text outputs are deterministic; each floor sits just below what the shipped model gives on its bundled
    sample (aac BLEU-1 0.29, mt chrF 24.2, SER right, SLU intent and slots right, ASR "Activate" for "Activated."),
    so a regression fails here (card: aac CIDEr 6.28, mt BLEU 11.6, ser 55 %, slu intent 97 %, asr WER 54 %)."""
    samples = {s["task"]: s for s in load_samples()}
    caption = default_pipe(samples["aac"]["audio_path"], task="aac")["text"]  # right instrument, wrong notes
    assert compute_captioning([caption], [[samples["aac"]["reference"]]])["bleu_1"] >= 0.25, caption  # 0.286
    mt = samples["mt"]
    translation = default_pipe(mt["text"], task="mt", language=mt["language"])["text"]
    assert compute_bleu([translation], [mt["reference"]])["chrf"] >= 22.0, translation  # 24.2
    emotion = default_pipe(samples["ser"]["audio_path"], task="ser")["label"]
    assert emotion in EMOTIONS and emotion == samples["ser"]["reference"], emotion
    slu = default_pipe(samples["slu"]["audio_path"], task="slu")
    assert slu["text"] == samples["slu"]["reference"], slu  # intent and both slots right
    transcript = default_pipe(samples["asr"]["audio_path"], task="asr")["text"]
    assert transcript.strip().lower().startswith("activate"), transcript  # "Activate" for "Activated."
    tts = default_pipe(samples["tts"]["text"], task="tts")
    seconds = len(tts["audio"]) / tts["sampling_rate"]
    assert 0.3 < seconds < 15 and abs(tts["audio"]).max() > 1e-3


def test_demo_command_writes_every_output(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "modeling_lauragpt.cli", "demo", "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = tmp_path / "out"
    report = json.loads((out / "results.json").read_text())
    manifest = json.loads((DEMO_SAMPLES_DIR / "manifest.json").read_text())
    assert [r["task"] for r in report["samples"]] == [s["task"] for s in manifest]
    assert {"asr", "s2tt", "tts", "se", "aac", "ser", "slu", "mt"} <= {r["task"] for r in report["samples"]}
    wavs = sorted((out / "audio").glob("*.wav"))
    assert len(wavs) == sum(s["task"] in ("tts", "se") for s in manifest)
    assert all(soundfile.info(str(w)).samplerate == 16000 for w in wavs)
    assert (out / "spectrograms.png").stat().st_size > 10_000 and (out / "report.md").read_text().count("|") > 20
    assert "samples" in result.stdout and "| task |" in result.stdout
