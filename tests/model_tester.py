"""One ModelTester for transformers' common suites: a tiny LauraGPT with the Conformer or the Whisper tower, fed
text only or audio + text (``tests/test_transformers_suites.py``)."""

from __future__ import annotations

import torch

from modeling_lauragpt import LauraGPTConfig
from modeling_lauragpt.audio_lengths import (
    encoder_num_frames,
    pooled_num_frames,
    whisper_encoder_frames,
)

TOWERS = ("conformer", "whisper")
TEXT_VOCAB_SIZE = 99

_LLM = {
    "hidden_size": 32,
    "intermediate_size": 37,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 128,
}
_TOWER_CONFIGS = {
    "conformer": {
        "input_size": 24,
        "hidden_size": 16,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": 24,
        "conv_kernel_size": 3,
        "hidden_dropout": 0.0,
        "positional_dropout": 0.0,
    },
    "whisper": {
        "d_model": 16,
        "encoder_layers": 2,
        "encoder_attention_heads": 2,
        "encoder_ffn_dim": 24,
        "decoder_layers": 1,
        "decoder_attention_heads": 2,
        "decoder_ffn_dim": 24,
        "num_mel_bins": 8,
    },
}
_PRESETS = {"conformer": "tiny", "whisper": "tiny-whisper"}


class LauraGPTModelTester:
    """Builds the config and inputs the common mixins ask for.

    Args:
        parent: the ``unittest.TestCase``.
        tower: ``"conformer"`` or ``"whisper"``.
        audio: also pass ``input_features`` (one clip per row, its ``<|audio|>`` placeholders after the first token).
    """

    def __init__(
        self,
        parent,
        tower: str = "conformer",
        audio: bool = True,
        batch_size: int = 3,
        seq_length: int = 16,
        feature_frames: int = 12,
        is_training: bool = True,
    ):
        self.parent, self.tower, self.audio = parent, tower, audio
        self.batch_size, self.seq_length, self.feature_frames = batch_size, seq_length, feature_frames
        self.is_training = is_training
        self.hidden_size = _LLM["hidden_size"]
        self.num_hidden_layers = _LLM["num_hidden_layers"]
        self.num_attention_heads = _LLM["num_attention_heads"]
        self.vocab_size = self.get_config().text_config.vocab_size
        self.encoder_seq_length = seq_length

    def get_config(self) -> LauraGPTConfig:
        overrides = {"audio_window": "clip"} if self.tower == "whisper" else {}
        return LauraGPTConfig.from_preset(
            _PRESETS[self.tower],
            audio_config=dict(_TOWER_CONFIGS[self.tower]),
            text_config=dict(_LLM),
            text_vocab_size=TEXT_VOCAB_SIZE,
            codebook_size=16,
            text_eos_token_id=1,
            pad_token_id=0,
            **overrides,
        )

    def num_placeholders(self, config: LauraGPTConfig) -> int:
        if self.tower == "whisper":
            frames = whisper_encoder_frames(self.feature_frames)
        else:
            frames = encoder_num_frames(self.feature_frames, config.audio_config.input_layer)
        return int(pooled_num_frames(frames, config.audio_frame_pooling))

    def input_features(self, config: LauraGPTConfig) -> torch.Tensor:
        if self.tower == "whisper":
            shape = (self.batch_size, config.audio_config.num_mel_bins, self.feature_frames)
        else:
            shape = (self.batch_size, self.feature_frames, config.audio_config.input_size)
        return torch.randn(shape)

    def prepare_config_and_inputs_for_common(self) -> tuple[LauraGPTConfig, dict]:
        config = self.get_config()
        input_ids = torch.randint(2, TEXT_VOCAB_SIZE, (self.batch_size, self.seq_length))
        attention_mask = torch.ones_like(input_ids)
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if self.audio:
            placeholders = self.num_placeholders(config)
            input_ids[:, 1 : 1 + placeholders] = config.audio_token_id
            features = self.input_features(config)
            inputs["input_features"] = features
            inputs["input_features_mask"] = torch.ones(features.shape[0], self.feature_frames, dtype=torch.long)
        return config, inputs

    def prepare_config_and_inputs(self):
        return self.prepare_config_and_inputs_for_common()
