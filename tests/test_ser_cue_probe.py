"""The SER cue probe (``scripts/ser_cue_probe.py``): its measurements, its linear probe and its tower features."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import WhisperFeatureExtractor

from modeling_lauragpt import LauraGPTConfig, LauraGPTForConditionalGeneration, LauraGPTProcessor
from modeling_lauragpt.processing.tokenizer_utils import train_text_tokenizer
from modeling_lauragpt.training.demo_corpus.audio import rms_dbfs, set_level
from modeling_lauragpt.training.demo_corpus.tasks.ser import EMOTIONS

from .helpers import SENTENCES

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "ser_cue_probe.py"
RATE = 16000


@pytest.fixture(scope="module")
def probe_script():
    """The script as a module (no package: loaded from its path)."""
    spec = importlib.util.spec_from_file_location("ser_cue_probe", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def _voiced(f0_hz: float, seconds: float, level_dbfs: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    wave = sum(np.sin(2 * np.pi * f0_hz * k * t) / k for k in range(1, 6)).astype(np.float32)
    return set_level(wave, level_dbfs)


def test_prosody_measures_level_rate_and_pitch(probe_script):
    wave = _voiced(150.0, 1.0, -20.0)
    level, seconds_per_char, log_f0, spread = probe_script.prosody(wave, "ten chars.")
    assert rms_dbfs(wave) == pytest.approx(-20.0, abs=0.1)
    assert level == pytest.approx(-20.0, abs=0.5)
    assert seconds_per_char == pytest.approx(0.1, abs=0.01)
    assert np.exp(log_f0) == pytest.approx(150.0, rel=0.05) and spread < 0.1
    louder_higher = probe_script.prosody(_voiced(200.0, 1.0, -14.0), "ten chars.")
    assert louder_higher[0] - level == pytest.approx(6.0, abs=0.5) and louder_higher[2] > log_f0


def test_probe_reads_a_label_one_feature_carries_and_not_noise(probe_script):
    rng = np.random.default_rng(0)
    labels = [list(EMOTIONS)[i % len(EMOTIONS)] for i in range(400)]
    index = np.array([list(EMOTIONS).index(label) for label in labels])
    informative = np.c_[index * 3.0 + rng.normal(size=400), rng.normal(size=(400, 3))]
    result = probe_script.probe(informative[:200], labels[:200], informative[200:], labels[200:])
    assert set(result) == {"l2=0.001", "l2=0.01", "l2=0.1"}
    assert result["l2=0.001"]["held_out_voice"] >= 0.85, result  # the weakest L2 weight reads it best
    shuffled = list(rng.permutation(labels))
    noise = probe_script.probe(informative[:200], shuffled[:200], informative[200:], shuffled[200:])
    assert all(r["held_out_voice"] < 0.45 for r in noise.values()), noise


def test_tower_features_pool_every_stage_of_the_tower(probe_script):
    shape = LauraGPTConfig.from_preset("tiny-whisper", audio_window="clip")
    extractor = WhisperFeatureExtractor(feature_size=shape.audio_config.num_mel_bins)
    tokenizer = train_text_tokenizer(SENTENCES, vocab_size=160)
    processor = LauraGPTProcessor(extractor, tokenizer, **LauraGPTProcessor.config_kwargs(shape))
    torch.manual_seed(0)
    model = LauraGPTForConditionalGeneration(LauraGPTConfig.from_processor(processor, "tiny-whisper")).eval()
    waves = [_voiced(120.0 + 20 * i, 0.4 + 0.2 * i, -23.0) for i in range(3)]
    features = probe_script.tower_features(waves, model, processor, batch=2)
    layers = len(model.model.audio_tower.layers)
    assert list(features) == ["log-mel", "stem", *[f"layer {k + 1}" for k in range(layers)], "pooled frames"]
    d_model = model.config.audio_config.d_model
    assert features["log-mel"].shape == (3, 2 * shape.audio_config.num_mel_bins)
    assert all(features[name].shape == (3, 2 * d_model) for name in list(features)[1:])
    assert all(np.isfinite(f).all() for f in features.values())
    alone = probe_script.tower_features(waves[2:], model, processor)  # padding in a batch changes nothing
    assert all(np.allclose(features[name][2], alone[name][0], atol=1e-4) for name in features)
