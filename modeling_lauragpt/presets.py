"""The one table of named presets: the model (``LauraGPTConfig``), its companion vocoder (``LauraGPTVocoderConfig``)
and the codec both of them read, kept in agreement by construction.

Each row of ``PRESETS`` names the codec preset it is built around and the text tokenizer it is sized for; what
must agree is then *derived*, never written twice:

- the model's and the vocoder's ``codebook_size`` are the codec preset's (the LLM writes first-group codes, the
  vocoder embeds them); the vocoder's ``codec_config`` is the codec preset itself, so the hop (25 Hz frames), the
  number of RVQ groups and the latent size the vocoder regresses are the codec's;
- the vocoder's ``text_vocab_size`` is the model's (both read the same tokenizer's ids);
- the vocoder's ``feature_size`` (its speech-enhancement condition) is what the model's audio tower reads: the
  Conformer's ``input_size`` (80 mel bins x 7 LFR frames) or Whisper's ``num_mel_bins``.

Codec presets live with their codec class: ``codec.CODEC_PRESETS`` for ``EncodecModel`` (``codec_config(name)``)
and ``CPU_CODEC_PRESETS`` here for ``LauraGPTCPUCodec`` (``LauraGPTCPUCodecConfig.from_preset(name)``); a row
names one as ``CodecPreset(model_type, name)``.

The configuration classes stay the entry points: ``LauraGPTConfig.from_preset(name)``,
``LauraGPTVocoderConfig.from_preset(name)`` and ``LauraGPTCPUCodecConfig.from_preset(name)`` read this table
(``model_values`` / ``vocoder_values`` / ``cpu_codec_values``), and ``LauraGPTConfig.from_processor(processor,
name)`` sizes a model preset to a processor. Adding a preset is one row here (``docs/development.md``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .errors import InvalidInputError

ENCODEC = "encodec"  # EncodecConfig.model_type: presets in codec.CODEC_PRESETS
CPU_CODEC = "lauragpt_cpu_codec"  # LauraGPTCPUCodecConfig.model_type: presets in CPU_CODEC_PRESETS below

# ------------------------------------------------------------------------------------------------ codec presets
CPU_CODEC_PRESETS: dict[str, dict] = {
    # The trained CPU codec (training/cpu_codec_training.py): the class defaults.
    "cpu": {},
    # Tests: the same hop, STFT and code paths, narrow blocks and few small codebooks.
    "tiny": {
        "hidden_size": 32,
        "intermediate_size": 64,
        "encoder_layers": 1,
        "decoder_layers": 1,
        "codebook_dim": 8,
        "num_quantizers": 3,
        "codebook_size": 16,
        "griffin_lim_iterations": 4,
    },
}


@dataclass(frozen=True)
class CodecPreset:
    """A named codec preset of one codec class: ``CodecPreset("encodec", "tiny")`` is ``codec_config("tiny")``,
    ``CodecPreset("lauragpt_cpu_codec", "tiny")`` is ``LauraGPTCPUCodecConfig.from_preset("tiny")``."""

    model_type: str
    name: str

    def values(self) -> dict:
        """The codec config values (a fresh copy; a CPU codec's carry its ``model_type``, an Encodec's none, as
        ``LauraGPTVocoderConfig.codec_config`` stores them)."""
        if self.model_type == ENCODEC:
            # lazily: codec.py imports the CPU codec config, which imports this module
            from .codec import CODEC_PRESETS

            return copy.deepcopy(_lookup(CODEC_PRESETS, self.name, "codec"))
        if self.model_type == CPU_CODEC:
            return {"model_type": CPU_CODEC, **copy.deepcopy(_lookup(CPU_CODEC_PRESETS, self.name, "CPU codec"))}
        raise InvalidInputError(f"Unknown codec class {self.model_type!r}; choose {ENCODEC!r} or {CPU_CODEC!r}.")

    def config(self):
        """The codec config (``EncodecConfig`` or ``LauraGPTCPUCodecConfig``)."""
        from .codec import resolve_codec_config

        return resolve_codec_config(self.values())

    def spec(self):
        """The codec's ``CodecSpec``: rate, hop, codebook size, groups and latent dim."""
        from .codec import codec_spec

        return codec_spec(self.config())

    def __str__(self) -> str:
        return f"{self.model_type} preset {self.name!r}"


# ------------------------------------------------------------------------------------------------ tokenizers
# The text vocabulary each row is sized for (``LauraGPTConfig.from_processor`` replaces it by the processor's).
QWEN_TEXT = MappingProxyType({"text_vocab_size": 151851, "text_eos_token_id": 151643, "pad_token_id": 151643})
TINY_TEXT = MappingProxyType({"text_vocab_size": 256, "text_eos_token_id": 0, "pad_token_id": 0})
DEMO_TEXT = MappingProxyType({"text_vocab_size": 1000, "text_eos_token_id": 0, "pad_token_id": 0})
# Whisper's English byte-level BPE without its control tokens (conversion/whisper_decoder_lm.whisper_text_tokenizer):
# <|endoftext|> (50256) ends text and pads.
WHISPER_EN_TEXT = MappingProxyType({"text_vocab_size": 50257, "text_eos_token_id": 50256, "pad_token_id": 50256})

# ------------------------------------------------------------------------------------------------ model parts
# Encoder shapes of OpenAI's Whisper sizes (d_model, layers, heads, FFN, mel bins); the decoder fields of a
# WhisperConfig are unused by the audio tower and kept at transformers' defaults.
WHISPER_ENCODER_SIZES = {
    "tiny": {
        "d_model": 384,
        "encoder_layers": 4,
        "encoder_attention_heads": 6,
        "encoder_ffn_dim": 1536,
        "num_mel_bins": 80,
    },
}

# The LLMs of the small presets (Qwen2 shapes): ~1 M parameters for tests, ~6 M for the embedded default.
TINY_LLM = {
    "model_type": "qwen2",
    "hidden_size": 128,
    "intermediate_size": 256,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 2048,
}
DEMO_LLM = {
    "model_type": "qwen2",
    "hidden_size": 256,
    "intermediate_size": 768,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 1024,
}
# Whisper tiny(.en)'s text decoder without its cross-attention, as a GPT-2 (conversion/whisper_decoder_lm.py): 4
# layers x 384, 6 heads, FFN 1536, exact GELU, 448 learned positions; ~8 M parameters besides its 51,864-row
# embedding.
WHISPER_TINY_DECODER_LLM = {
    "model_type": "gpt2",
    "n_embd": 384,
    "n_layer": 4,
    "n_head": 6,
    "n_inner": 1536,
    "n_positions": 448,
    "activation_function": "gelu",
    "resid_pdrop": 0.0,
    "embd_pdrop": 0.0,
    "attn_pdrop": 0.0,
    "layer_norm_epsilon": 1e-5,
}

# The fields a row's model / vocoder part may not set: they are derived from its codec and tokenizer.
DERIVED_MODEL_FIELDS = ("codebook_size", *QWEN_TEXT)
DERIVED_VOCODER_FIELDS = ("codec_config", "codebook_size", "text_vocab_size", "feature_size")


@dataclass(frozen=True)
class Preset:
    """One row: a codec, a tokenizer size and the model (and optionally vocoder) sizes around them.

    codec: the codec preset both the model's codes and the vocoder's codec come from
    text: ``text_vocab_size``, ``text_eos_token_id``, ``pad_token_id`` of the tokenizer the row is sized for
    model: ``LauraGPTConfig`` fields other than the derived ones (``audio_config`` and ``text_config`` as dicts)
    vocoder: ``LauraGPTVocoderConfig`` predictor fields other than the derived ones; None: no vocoder preset
    """

    codec: CodecPreset
    text: Mapping
    model: Mapping
    vocoder: Mapping | None = None

    def __post_init__(self):
        for part, values, derived in (
            ("model", self.model, DERIVED_MODEL_FIELDS),
            ("vocoder", self.vocoder or {}, DERIVED_VOCODER_FIELDS),
        ):
            repeated = sorted(set(values) & set(derived))
            if repeated:
                raise InvalidInputError(
                    f"A preset's {part} part sets {repeated}, which are derived from its codec and text "
                    "vocabulary; set them through `codec` / `text` instead."
                )

    @property
    def codebook_size(self) -> int:
        """Codes per RVQ group of the row's codec: the model's M and the vocoder's."""
        return self.codec.spec().codebook_size

    @property
    def feature_size(self) -> int:
        """Features per frame the row's audio tower reads (the vocoder's speech-enhancement condition too)."""
        audio = self.model.get("audio_config") or {}
        if audio.get("model_type") == "whisper":
            from transformers import WhisperConfig

            return audio.get("num_mel_bins", WhisperConfig().num_mel_bins)
        from .configuration_lauragpt import LauraGPTAudioEncoderConfig

        return audio.get("input_size", LauraGPTAudioEncoderConfig().input_size)


PRESETS: dict[str, Preset] = {
    # Paper §4: Conformer 32 blocks, d 512, 16 heads, FFN 1536 (x2 macaron), LayerNorm conv module, sinusoidal
    # positions; Qwen-1.8B: 24 layers, hidden 2048, 16 heads, SwiGLU width 5504, 8192 context, untied head; the
    # vocoder has LauraTTS' codec_encoder sizes (6 blocks, d 512, 8 heads, FFN 2048, the class defaults) over
    # FunCodec's 16 kHz codec (32 x 1024 x 128 RVQ).
    "paper": Preset(
        codec=CodecPreset(ENCODEC, "paper"),
        text=QWEN_TEXT,
        model={
            "audio_config": {},
            "text_config": {
                "model_type": "qwen2",
                "hidden_size": 2048,
                "intermediate_size": 5504,
                "num_hidden_layers": 24,
                "num_attention_heads": 16,
                "num_key_value_heads": 16,
                "max_position_embeddings": 8192,
                "rms_norm_eps": 1e-6,
            },
        },
        vocoder={},
    ),
    # For tests and demos: every code path of the paper model in about 1.2 M parameters (with a 256-token text
    # vocabulary), and a small vocoder, over the tiny codec (the paper codec's hop, 1024 codes, 32 quantizers).
    "tiny": Preset(
        codec=CodecPreset(ENCODEC, "tiny"),
        text=TINY_TEXT,
        model={
            "audio_config": {
                "hidden_size": 128,
                "num_hidden_layers": 2,
                "num_attention_heads": 4,
                "intermediate_size": 256,
                "conv_kernel_size": 5,
                "hidden_dropout": 0.0,
                "positional_dropout": 0.0,
            },
            "text_config": TINY_LLM,
        },
        vocoder={
            "hidden_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "intermediate_size": 128,
            "dropout": 0.0,
            "max_position_embeddings": 1500,
        },
    ),
    # The embedded default model (training/recipes/demo.py): about 6 M parameters, trainable on a 2-core CPU in
    # under an hour, over the "demo" codec (256 codes x 8 quantizers, 64-d latent), ~1,000 text tokens.
    "demo": Preset(
        codec=CodecPreset(ENCODEC, "demo"),
        text=DEMO_TEXT,
        model={
            "audio_config": {
                "hidden_size": 192,
                "num_hidden_layers": 4,
                "num_attention_heads": 4,
                "intermediate_size": 512,
                "conv_kernel_size": 15,
            },
            "text_config": DEMO_LLM,
        },
        vocoder={
            "hidden_size": 192,
            "num_hidden_layers": 4,
            "num_attention_heads": 4,
            "intermediate_size": 512,
            "max_position_embeddings": 1500,
        },
    ),
    # Whisper tiny(.en)'s encoder (4 layers, d 384, 6 heads, 80 mel bins, 30 s of 20 ms frames), pooled 2x to 25 Hz,
    # under the demo-sized LLM and codec: the shape of the embedded default, whose tower is the bundled Whisper tiny.en.
    "whisper-tiny": Preset(
        codec=CodecPreset(ENCODEC, "demo"),
        text=DEMO_TEXT,
        model={
            "audio_config": {"model_type": "whisper", **WHISPER_ENCODER_SIZES["tiny"]},
            "text_config": DEMO_LLM,
            "audio_frame_pooling": 2,
        },
    ),
    # All of Whisper tiny.en: its encoder as the tower (pooled 2x to 25 Hz) and its text decoder, cross-attention
    # dropped, as the LLM (a GPT-2 of the same weights, started by ``load_text_model``), with its tokenizer.
    "whisper-tiny-decoder": Preset(
        codec=CodecPreset(ENCODEC, "demo"),
        text=WHISPER_EN_TEXT,
        model={
            "audio_config": {"model_type": "whisper", **WHISPER_ENCODER_SIZES["tiny"]},
            "text_config": WHISPER_TINY_DECODER_LLM,
            "audio_frame_pooling": 2,
            "tie_word_embeddings": True,
        },
    ),
    # For tests: a random 2-layer, 64-wide Whisper encoder (full 30 s position table) under the tiny LLM and codec.
    "tiny-whisper": Preset(
        codec=CodecPreset(ENCODEC, "tiny"),
        text=TINY_TEXT,
        model={
            "audio_config": {
                "model_type": "whisper",
                "d_model": 64,
                "encoder_layers": 2,
                "encoder_attention_heads": 4,
                "encoder_ffn_dim": 128,
                "decoder_layers": 1,
                "decoder_attention_heads": 4,
                "decoder_ffn_dim": 128,
                "num_mel_bins": 80,
                "max_source_positions": 1500,
            },
            "text_config": TINY_LLM,
            "audio_frame_pooling": 2,
        },
    ),
}

MODEL_PRESETS = tuple(sorted(PRESETS))
VOCODER_PRESETS = tuple(sorted(name for name, row in PRESETS.items() if row.vocoder is not None))


# ------------------------------------------------------------------------------------------------ lookups
def _lookup(table: Mapping, name: str, what: str = ""):
    """``table[name]``; otherwise an ``InvalidInputError`` naming the (``what``) preset and listing the table's."""
    if name not in table:
        kind = f"{what} preset" if what else "preset"
        raise InvalidInputError(f"Unknown {kind} {name!r}; choose one of {sorted(table)}.")
    return table[name]


def get_preset(name: str) -> Preset:
    """The row ``name``; an ``InvalidInputError`` listing the names otherwise."""
    return _lookup(PRESETS, name)


def model_values(name: str) -> dict:
    """``LauraGPTConfig`` keyword values of model preset ``name`` (a fresh copy): the row's model part, its text
    vocabulary and its codec's codebook size."""
    row = get_preset(name)
    values = copy.deepcopy(dict(row.model))
    values.setdefault("audio_config", {})
    values.setdefault("text_config", {})
    return {**values, **row.text, "codebook_size": row.codebook_size}


def vocoder_values(name: str) -> dict:
    """``LauraGPTVocoderConfig`` keyword values of vocoder preset ``name`` (a fresh copy): the row's codec preset
    as ``codec_config``, its codebook size, the model's text vocabulary and audio features, and the predictor
    sizes."""
    row = _lookup({name: row for name, row in PRESETS.items() if row.vocoder is not None}, name)
    return {
        "codec_config": row.codec.values(),
        "codebook_size": row.codebook_size,
        "text_vocab_size": row.text["text_vocab_size"],
        "feature_size": row.feature_size,
        **copy.deepcopy(dict(row.vocoder)),
    }


def cpu_codec_values(name: str) -> dict:
    """``LauraGPTCPUCodecConfig`` keyword values of CPU codec preset ``name`` (a fresh copy)."""
    return copy.deepcopy(_lookup(CPU_CODEC_PRESETS, name))


def codebook_size(name: str) -> int:
    """Codes per group of preset ``name``'s codec (what its model writes and its processor must be built for)."""
    return get_preset(name).codebook_size


__all__ = [
    "CPU_CODEC",
    "CPU_CODEC_PRESETS",
    "ENCODEC",
    "MODEL_PRESETS",
    "PRESETS",
    "VOCODER_PRESETS",
    "CodecPreset",
    "Preset",
    "codebook_size",
    "cpu_codec_values",
    "get_preset",
    "model_values",
    "vocoder_values",
]
