"""Whisper's text decoder as a decoder-only causal LM: a ``GPT2LMHeadModel`` with the decoder's own weights.

A Whisper decoder layer is ``x + self_attn(LN(x))``, then ``x + cross_attn(LN(x))``, then ``x + fc2(gelu(fc1(LN(x))))``.
Drop the cross-attention (LauraGPT is decoder-only: the audio frames sit in the sequence, not in a second stream) and
what is left is a GPT-2 block, weight for weight: pre-LayerNorm, biased q/v (Whisper's k has no bias: GPT-2's is set
to zero), exact GELU, learned absolute positions, a final LayerNorm and an output matrix tied to the token embedding.
``whisper_decoder_as_gpt2(whisper)`` copies them across, so LauraGPT's ``load_text_model`` can start its LLM from
the text knowledge of a pretrained Whisper (for the embedded default: OpenAI's tiny.en, MIT) instead of from noise::

    whisper = WhisperForConditionalGeneration.from_pretrained("runs/demo/whisper-tiny-en")
    lm = whisper_decoder_as_gpt2(whisper)      # GPT2LMHeadModel, 4 x 384 for tiny.en
    tokenizer = whisper_text_tokenizer(AutoTokenizer.from_pretrained("runs/demo/whisper-tiny-en"))
    lm.save_pretrained("runs/demo/whisper-tiny-en-lm"); tokenizer.save_pretrained("runs/demo/whisper-tiny-en-lm")

The tokenizer keeps Whisper's byte-level BPE and ``<|endoftext|>`` only: Whisper's own control tokens
(``<|startoftranscript|>``, languages such as ``<|mt|>``, timestamps) are dropped, so LauraGPT's task and codec
tokens follow the text vocabulary without clashing with them, and ``load_text_model`` keeps exactly the
embedding rows of the text tokens.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from tokenizers import Tokenizer
from transformers import (
    GPT2Config,
    GPT2LMHeadModel,
    PreTrainedTokenizerFast,
    WhisperConfig,
    WhisperForConditionalGeneration,
)

from ..audio import WHISPER_WINDOW_S
from ..errors import InvalidInputError

END_OF_TEXT = "<|endoftext|>"


def whisper_text_tokenizer(tokenizer: PreTrainedTokenizerFast) -> PreTrainedTokenizerFast:
    """Whisper's tokenizer without its control tokens and without its ``<|startoftranscript|>...`` template: the
    byte-level BPE plus ``<|endoftext|>`` (eos and pad), ids unchanged (GPT-2's 50,257 for the English models)."""
    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    if END_OF_TEXT not in spec["model"].get("vocab", {}):
        raise InvalidInputError(f"This is not a Whisper (GPT-2 BPE) tokenizer: its vocabulary has no {END_OF_TEXT}.")
    text_ids = len(spec["model"]["vocab"])
    spec["added_tokens"] = [token for token in spec["added_tokens"] if token["id"] < text_ids]
    spec["post_processor"] = None
    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(json.dumps(spec)), eos_token=END_OF_TEXT, pad_token=END_OF_TEXT
    )


def gpt2_config_for(whisper: WhisperConfig) -> GPT2Config:
    """The GPT-2 shape of a Whisper config's decoder (dropout off: LauraGPT's small LLMs train without it)."""
    if whisper.activation_function not in ("gelu", "gelu_new", "relu"):
        raise InvalidInputError(
            f"Whisper decoder activation {whisper.activation_function!r} has no GPT-2 equivalent; "
            "only gelu / gelu_new / relu decoders convert."
        )
    if getattr(whisper, "scale_embedding", False):
        raise InvalidInputError("A Whisper decoder with scale_embedding=True does not map onto GPT-2's embeddings.")
    return GPT2Config(
        vocab_size=whisper.vocab_size,
        n_positions=whisper.max_target_positions,
        n_embd=whisper.d_model,
        n_layer=whisper.decoder_layers,
        n_head=whisper.decoder_attention_heads,
        n_inner=whisper.decoder_ffn_dim,
        activation_function=whisper.activation_function,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        layer_norm_epsilon=1e-5,  # torch's LayerNorm default, which Whisper's layers use
        bos_token_id=whisper.bos_token_id,
        eos_token_id=whisper.eos_token_id,
        pad_token_id=whisper.pad_token_id,
        tie_word_embeddings=True,
    )


def _conv1d(linear_weight: torch.Tensor) -> torch.Tensor:
    """GPT-2's ``Conv1D`` stores (in, out): the transpose of ``nn.Linear``'s (out, in)."""
    return linear_weight.t().contiguous()


def decoder_state_dict(whisper: WhisperForConditionalGeneration) -> dict[str, torch.Tensor]:
    """The Whisper decoder's self-attention, FFN, norms and embeddings under ``GPT2LMHeadModel`` names."""
    decoder = whisper.model.decoder
    state = {
        "transformer.wte.weight": decoder.embed_tokens.weight,
        "transformer.wpe.weight": decoder.embed_positions.weight,
        "transformer.ln_f.weight": decoder.layer_norm.weight,
        "transformer.ln_f.bias": decoder.layer_norm.bias,
    }
    for i, layer in enumerate(decoder.layers):
        attention, prefix = layer.self_attn, f"transformer.h.{i}"
        k_bias = torch.zeros_like(attention.q_proj.bias)  # Whisper's k_proj has no bias
        fused = torch.cat([attention.q_proj.weight, attention.k_proj.weight, attention.v_proj.weight])
        state |= {
            f"{prefix}.ln_1.weight": layer.self_attn_layer_norm.weight,
            f"{prefix}.ln_1.bias": layer.self_attn_layer_norm.bias,
            f"{prefix}.attn.c_attn.weight": _conv1d(fused),
            f"{prefix}.attn.c_attn.bias": torch.cat([attention.q_proj.bias, k_bias, attention.v_proj.bias]),
            f"{prefix}.attn.c_proj.weight": _conv1d(attention.out_proj.weight),
            f"{prefix}.attn.c_proj.bias": attention.out_proj.bias,
            f"{prefix}.ln_2.weight": layer.final_layer_norm.weight,
            f"{prefix}.ln_2.bias": layer.final_layer_norm.bias,
            f"{prefix}.mlp.c_fc.weight": _conv1d(layer.fc1.weight),
            f"{prefix}.mlp.c_fc.bias": layer.fc1.bias,
            f"{prefix}.mlp.c_proj.weight": _conv1d(layer.fc2.weight),
            f"{prefix}.mlp.c_proj.bias": layer.fc2.bias,
        }
    return {name: tensor.detach().clone() for name, tensor in state.items()}


def mean_cross_attention(whisper: WhisperForConditionalGeneration, encoder_states: torch.Tensor) -> list[torch.Tensor]:
    """Per decoder layer, what its cross-attention adds to the residual stream when it attends evenly to
    ``encoder_states``: ``out_proj(v_proj(state))`` averaged over the frames (v and out are affine, so this is the
    output of uniform attention).

    encoder_states : torch.Tensor, shape = (frames, d_model)  Whisper encoder outputs of typical speech
    returns : one (d_model,) vector per decoder layer
    """
    with torch.no_grad():
        return [
            layer.encoder_attn.out_proj(layer.encoder_attn.v_proj(encoder_states)).mean(dim=0)
            for layer in whisper.model.decoder.layers
        ]


def whisper_decoder_as_gpt2(
    whisper: WhisperForConditionalGeneration, encoder_states: torch.Tensor | None = None
) -> GPT2LMHeadModel:
    """A new ``GPT2LMHeadModel`` (float32, eval mode) holding ``whisper``'s decoder without its cross-attention.

    encoder_states : torch.Tensor, shape = (frames, d_model), optional  encoder outputs of some real speech. With
        them each layer's cross-attention is not dropped but replaced by its mean output over those frames
        (``mean_cross_attention``), a constant added to the self-attention's output bias, where the decoder's
        residual stream expects it. Measured on tiny.en over 40 held-out transcripts of the demo corpus: the text
        loss is 8.97 nats per token with the cross-attention dropped (10.91 for a random model of the same
        shape), 6.29 with its mean over the committed check clip folded in (``save_whisper_decoder_lm``), 5.95
        over 20 training clips.
    Raises ``InvalidInputError`` when the decoder does not map onto GPT-2 (its activation or embedding scale).
    """
    state = decoder_state_dict(whisper)
    if encoder_states is not None:
        for i, constant in enumerate(mean_cross_attention(whisper, encoder_states)):
            state[f"transformer.h.{i}.attn.c_proj.bias"] = state[f"transformer.h.{i}.attn.c_proj.bias"] + constant
    lm = GPT2LMHeadModel(gpt2_config_for(whisper.config))
    missing, unexpected = lm.load_state_dict(state, strict=False)
    missing = [name for name in missing if name != "lm_head.weight"]  # tied to transformer.wte
    if missing or unexpected:
        raise InvalidInputError(f"Whisper decoder -> GPT-2 left missing {missing} and unexpected {unexpected} keys.")
    lm.tie_weights()
    lm.generation_config.pad_token_id = whisper.config.pad_token_id
    return lm.float().eval()


def check_clip_encoder_states(whisper: WhisperForConditionalGeneration, extractor) -> torch.Tensor:
    """Whisper's encoder outputs over the committed check clip (one spoken sentence), its speech frames only.

    returns : torch.Tensor, shape = (frames, d_model)
    """
    from .whisper_ct2 import clip_features

    features, seconds = clip_features(extractor)
    frames_per_second = whisper.config.max_source_positions / WHISPER_WINDOW_S  # 1500 frames per 30 s window
    with torch.no_grad():
        states = whisper.model.encoder(features).last_hidden_state[0]
    return states[: max(1, int(seconds * frames_per_second))]


def save_whisper_decoder_lm(whisper_dir: str | Path, out: str | Path, overwrite: bool = False) -> Path:
    """Convert the Whisper folder ``whisper_dir`` (``lauragpt convert whisper-tiny-en`` output) into ``out``: its
    decoder as a ``GPT2LMHeadModel``, cross-attention folded to its mean over the committed check clip, and
    ``whisper_text_tokenizer``. What the demo recipe's LLM starts from (``model.text_model``).
    returns : ``out``
    raises : ``OutputConflictError`` if ``out`` is not empty, unless ``overwrite`` (its other files are kept)
    """
    from transformers import AutoFeatureExtractor, AutoTokenizer

    from .whisper_ct2 import refuse_non_empty

    refuse_non_empty(Path(out), overwrite)

    whisper = WhisperForConditionalGeneration.from_pretrained(str(whisper_dir)).eval()
    extractor = AutoFeatureExtractor.from_pretrained(str(whisper_dir))
    lm = whisper_decoder_as_gpt2(whisper, check_clip_encoder_states(whisper, extractor))
    lm.save_pretrained(str(out))
    whisper_text_tokenizer(AutoTokenizer.from_pretrained(str(whisper_dir))).save_pretrained(str(out))
    return Path(out)


__all__ = [
    "check_clip_encoder_states",
    "decoder_state_dict",
    "gpt2_config_for",
    "mean_cross_attention",
    "save_whisper_decoder_lm",
    "whisper_decoder_as_gpt2",
    "whisper_text_tokenizer",
]
