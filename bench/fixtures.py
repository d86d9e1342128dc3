"""Material the benchmarks build on the fly: sentences, speech clips, a tokenizer/processor, models and a codec.

Nothing here is downloaded. Speech comes from the ``flite`` synthesiser when it is installed (real speech
structure, so PESQ means something) and otherwise from a seeded synthetic voice; ``clip_source()`` says which.
Models have random weights unless a benchmark trains them: speed does not depend on the weights' values.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile
import torch
from transformers import EncodecModel

from modeling_lauragpt import (
    LauraGPTFeatureExtractor,
    LauraGPTProcessor,
)
from modeling_lauragpt.audio import SAMPLING_RATE, to_mono_waveform
from modeling_lauragpt.codec import codec_config, init_codebooks_from_audio
from modeling_lauragpt.processing.tokenizer_utils import train_text_tokenizer

SENTENCES = [
    "please leave a message after the tone",
    "the weather today is sunny with a light breeze",
    "your call is important to us",
    "press one for sales or two for support",
    "the meeting has been moved to thursday afternoon",
    "a small boat drifts slowly across the quiet lake",
    "thank you for waiting, an agent will be with you shortly",
    "the train to the airport leaves every twenty minutes",
    "remember to switch off the lights before you go",
    "she read the letter twice and smiled",
    "all lines are busy at the moment",
    "the museum opens at nine in the morning",
]


def clip_source() -> str:
    """Where ``speech_clip`` gets its audio: ``"flite (slt voice)"`` or ``"synthetic"``."""
    return "flite (slt voice)" if shutil.which("flite") else "synthetic"


def synthetic_voice(seconds: float, seed: int = 0) -> np.ndarray:
    """A seeded speech-like signal at 16 kHz: a voiced source whose pitch wanders, chopped into ~4 Hz syllables
    with short pauses, plus a little breath noise and a low noise floor. float32 in [-1, 1]."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLING_RATE)
    t = np.arange(n) / SAMPLING_RATE
    pitch = 110 + 40 * rng.random() + 25 * np.sin(2 * np.pi * (0.3 + 0.2 * rng.random()) * t)
    phase = 2 * np.pi * np.cumsum(pitch) / SAMPLING_RATE
    weights = 1.0 / np.arange(1, 9) ** (1.0 + rng.random(8) * 0.5)
    voiced = sum(w * np.sin(k * phase) for k, w in enumerate(weights, start=1))
    syllables = np.clip(np.sin(2 * np.pi * (3.5 + rng.random()) * t + rng.random() * 6), 0, None) ** 0.7
    signal = voiced * syllables + 0.05 * rng.standard_normal(n) * syllables
    signal = 0.25 * signal / np.abs(signal).max() + 3e-4 * rng.standard_normal(n)  # a room's noise floor
    return signal.astype(np.float32)


def speech_clip(text: str, seed: int = 0, seconds: float | None = None) -> np.ndarray:
    """``text`` spoken by flite (16 kHz float32), or a synthetic clip of about 0.35 s per word without flite.

    seconds : if given, the clip is cut or zero-padded to exactly this length.
    """
    if shutil.which("flite"):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "clip.wav"
            subprocess.run(["flite", "-voice", "slt", "-t", text, "-o", str(path)], check=True, capture_output=True)
            array, rate = soundfile.read(str(path), dtype="float32")
        clip = to_mono_waveform(array, rate, SAMPLING_RATE, max_duration_s=None).numpy()
    else:
        clip = synthetic_voice(0.35 * len(text.split()) + 0.3, seed)
    if seconds is not None:
        target = int(seconds * SAMPLING_RATE)
        clip = np.pad(clip, (0, max(0, target - len(clip))))[:target]
    return clip.astype(np.float32)


def noisy(clip: np.ndarray, snr_db: float = 5.0, seed: int = 0) -> np.ndarray:
    """``clip`` plus white noise at ``snr_db`` (the speech-enhancement condition)."""
    noise = np.random.default_rng(seed).standard_normal(len(clip)).astype(np.float32)
    scale = np.sqrt(np.mean(clip**2) / (np.mean(noise**2) * 10 ** (snr_db / 10)))
    return (clip + scale * noise).astype(np.float32)


def build_processor(clips: list[np.ndarray] | None = None, vocab_size: int = 200) -> LauraGPTProcessor:
    """A processor with a BPE trained on ``SENTENCES`` and, when ``clips`` are given, CMVN fitted on them."""
    extractor = LauraGPTFeatureExtractor()
    if clips:
        extractor.fit_cmvn(clips, sampling_rate=SAMPLING_RATE)
    return LauraGPTProcessor(extractor, train_text_tokenizer(SENTENCES, vocab_size=vocab_size))


def tiny_codec(clips: list[np.ndarray], seed: int = 0) -> EncodecModel:
    """The tiny codec preset (same hop, 32 groups of 1024 codes) with codebooks initialised from ``clips``."""
    torch.manual_seed(seed)
    return init_codebooks_from_audio(EncodecModel(codec_config("tiny")).eval(), clips, seed=seed)


def count_parameters(module: torch.nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters of ``module`` (only those with ``requires_grad`` when ``trainable_only``)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


__all__ = [
    "SENTENCES",
    "build_processor",
    "clip_source",
    "count_parameters",
    "noisy",
    "speech_clip",
    "synthetic_voice",
    "tiny_codec",
]
