"""The real Whisper tiny.en as LauraGPT's tower (slow; runs when its wheel is cached): assembled from its folder,
the tower's frames on the processor's features are what Whisper's own decoder transcribes correctly."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile
import torch
from transformers import (
    Qwen2Config,
    Qwen2ForCausalLM,
    WhisperForConditionalGeneration,
    WhisperTokenizerFast,
)
from transformers.modeling_outputs import BaseModelOutput

from modeling_lauragpt import LauraGPTForConditionalGeneration, LauraGPTProcessor
from modeling_lauragpt.conversion.assembly import assemble
from modeling_lauragpt.conversion.whisper_ct2 import CHECK_CLIP, CHECK_TEXT
from modeling_lauragpt.processing.tokenizer_utils import train_text_tokenizer

from .helpers import SENTENCES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def assembled(tiny_en_dir, codec):
    tokenizer = train_text_tokenizer(SENTENCES, vocab_size=120)
    llm = Qwen2ForCausalLM(
        Qwen2Config(
            vocab_size=len(tokenizer),
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=1,
            num_attention_heads=4,
            num_key_value_heads=2,
        )
    )
    return assemble(llm, str(tiny_en_dir), codec, tokenizer=tokenizer)


def _normalised(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum() or c == " ").split()


@pytest.mark.parametrize("window", ["30s", "10s"])
def test_tower_frames_on_processor_features_are_transcribed_by_whispers_decoder(
    assembled, tiny_en_dir, window, monkeypatch
):
    whisper = WhisperForConditionalGeneration.from_pretrained(tiny_en_dir).eval()
    tokenizer = WhisperTokenizerFast.from_pretrained(tiny_en_dir)
    processor: LauraGPTProcessor = assembled.processor
    monkeypatch.setattr(processor, "audio_window", window)
    tower = assembled.model.model.audio_tower
    clip, _ = soundfile.read(str(CHECK_CLIP), dtype="float32")
    inputs = processor.audio_inputs([torch.from_numpy(clip)])
    with torch.no_grad():
        frames = tower(inputs["input_features"]).last_hidden_state
        if window == "30s":  # transformers' encoder, bit for bit
            assert torch.equal(frames, whisper.model.encoder(inputs["input_features"]).last_hidden_state)
        ids = whisper.generate(encoder_outputs=BaseModelOutput(last_hidden_state=frames), max_new_tokens=40)
    assert _normalised(tokenizer.decode(ids[0], skip_special_tokens=True)) == _normalised(CHECK_TEXT.read_text())


def test_assembled_model_keeps_tiny_en_and_counts_its_placeholders(assembled, tiny_en_dir, tmp_path):
    model, processor = assembled.model, assembled.processor
    assert model.config.audio_config.d_model == 384 and model.config.audio_frame_pooling == 2
    clip, _ = soundfile.read(str(CHECK_CLIP), dtype="float32")
    batch = processor(task="asr", audio=clip, sampling_rate=16000)
    with torch.no_grad():
        _, mask = model.get_audio_frames(batch["input_features"], batch["input_features_mask"])
    assert (
        int((batch["input_ids"] == model.config.audio_token_id).sum())
        == int(mask.sum())
        == processor.num_audio_tokens(len(clip))
    )
    assembled.save_pretrained(tmp_path)
    reloaded = LauraGPTForConditionalGeneration.from_pretrained(tmp_path)
    whisper = WhisperForConditionalGeneration.from_pretrained(tiny_en_dir)
    assert all(
        torch.equal(reloaded.model.audio_tower.state_dict()[k], v)
        for k, v in whisper.model.encoder.state_dict().items()
    )


def test_the_whisper_judge_transcribes_speech_at_any_rate(tiny_en_dir):
    from modeling_lauragpt.training.evaluation.whisper_judge import WhisperRecognizer
    from modeling_lauragpt.training.metrics import compute_wer

    audio, rate = soundfile.read(str(CHECK_CLIP), dtype="float32")
    judge = WhisperRecognizer(tiny_en_dir)
    reference = CHECK_TEXT.read_text().strip()
    assert compute_wer([judge.transcribe(audio, rate)], [reference])["wer"] < 0.2
    assert compute_wer([judge.transcribe(audio[::2], rate // 2)], [reference])["wer"] < 0.5  # resampled to 16 kHz
    assert judge.transcribe(np.zeros(0, np.float32)) == ""
