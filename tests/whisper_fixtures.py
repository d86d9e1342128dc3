"""Builders shared by the Whisper-tower tests: a processor with transformers' WhisperFeatureExtractor and a tiny
random LauraGPT whose audio tower is a 2-layer, 64-wide Whisper encoder (preset ``tiny-whisper``)."""

from __future__ import annotations

import torch
from transformers import WhisperFeatureExtractor

from modeling_lauragpt import (
    LauraGPTConfig,
    LauraGPTForConditionalGeneration,
    LauraGPTProcessor,
)


def whisper_config(processor: LauraGPTProcessor, **overrides) -> LauraGPTConfig:
    """``tiny-whisper`` sized to ``processor``'s vocabulary (overrides: e.g. ``audio_window="30s"``)."""
    tokenizer = processor.tokenizer
    return LauraGPTConfig.from_preset(
        "tiny-whisper",
        text_vocab_size=processor.vocabulary.text_vocab_size,
        text_eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        codebook_size=processor.codebook_size,
        tasks=list(processor.tasks),
        **overrides,
    )


def whisper_processor(base: LauraGPTProcessor, **config_overrides) -> LauraGPTProcessor:
    """``base``'s tokenizer with a WhisperFeatureExtractor, set up for ``tiny-whisper`` (+ overrides)."""
    config = whisper_config(base, **config_overrides)
    return LauraGPTProcessor(
        WhisperFeatureExtractor(feature_size=80), base.tokenizer, **LauraGPTProcessor.config_kwargs(config)
    )


def whisper_model(processor: LauraGPTProcessor, seed: int = 0, **config_overrides) -> LauraGPTForConditionalGeneration:
    """A random ``tiny-whisper`` LauraGPT that fits ``processor`` (its window unless overridden)."""
    config_overrides.setdefault("audio_window", processor.audio_window)
    torch.manual_seed(seed)
    return LauraGPTForConditionalGeneration(whisper_config(processor, **config_overrides)).eval()
