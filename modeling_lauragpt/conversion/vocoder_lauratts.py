"""LauraTTS' codec generator (FunCodec ``LauraGenModel.codec_encoder`` + ``codec_encoder_out_layer``, the one-step
"NAR" codec predictor) against ``LauraGPTVocoder``: why no exact conversion exists, and an opt-in warm start.

Module trees (reference_code.md §1.3 / §1.5, and ``modeling_vocoder.py``)::

    LauraTTS (predict_nq 2, 128-d codec latent)               LauraGPTVocoder (1 group, codebook_dim latent)
    frame input  sum_{k<2} codebook[k][code_k]  (frozen, 128)  code_embed  Embedding(codebook_size, d)  (learned)
    positions    128-d sinusoids added BEFORE embed.0 ("split")  sinusoids added AFTER input_norms (per segment)
    embed.0      Linear(128 -> d), embed.1 LayerNorm(d), x sqrt(d)  input_norms[kind] LayerNorm(d), segment_embed
    text cond.   text_encoder (6-block Conformer over 72 g2p      text_embed  Embedding(text_vocab_size, d) over the
                 phonemes, 1536-d embeddings) + text_enc_out_layer   LLM tokenizer's ids
    blocks       d, heads, FFN, NO conv: rel-pos MHA ("latest":   same sizes, absolute positions: linear_q/k/v/out,
                 linear_pos, pos_bias_u, pos_bias_v) + FFN + norms  FFN, norm_mha, norm_ff (no linear_pos, pos_bias)
    after_norm   LayerNorm(d)                                     final_norm  LayerNorm(d)
    out          codec_encoder_out_layer Linear(d -> 128)         out_proj  Linear(d -> codebook_dim)

The two compute different functions (second codec group, phoneme text encoder, relative attention, where positions
enter), so ``convert_lauratts_vocoder`` refuses by default with ``LauraTTSConversionError`` stating this for the
given checkpoint. ``warm_start=True`` builds a vocoder of the same sizes and copies what means the same thing
(block projections, FFNs and norms, final norm, output layer; ``prompt_proj`` <- ``embed.0``, since a prompt
latent is a codebook sum like LauraTTS' input; ``code_embed[c]`` <- ``embed.0(codebook[0][c] + mean codebook[1])``):
an initialisation for training the vocoder, not an equivalent model.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch
from transformers import EncodecModel

from ..configuration_vocoder import LauraGPTVocoderConfig
from ..modeling_vocoder import LauraGPTVocoder
from .checkpoint_io import load_state_dict
from .key_report import CheckpointMismatchError, KeyReport

PREFIX = "codec_encoder."
TRAIN_FIX = (
    "train the vocoder for your LauraGPT model on its codec and tokenizer (modeling_lauragpt.training.vocoder_training), or "
    "pass --warm-start (warm_start=True) to start that training from the shape-compatible LauraTTS tensors"
)


class LauraTTSConversionError(CheckpointMismatchError):
    """LauraTTS' codec generator has no exact LauraGPTVocoder equivalent (the message says why, for this checkpoint)."""


def describe(state: dict[str, torch.Tensor]) -> dict:
    """Sizes of a LauraTTS checkpoint's codec generator, read from its tensors."""
    if f"{PREFIX}after_norm.weight" not in state or "codec_encoder_out_layer.weight" not in state:
        raise CheckpointMismatchError(
            "No LauraTTS codec generator in the checkpoint (codec_encoder.*, codec_encoder_out_layer.*). Fix: pass the "
            "model.pth of FunCodec's LauraTTS (speech_synthesizer-laura-en-libritts-16k-codec_nq2-pytorch)."
        )
    blocks = {int(m.group(1)) for k in state if (m := re.match(rf"{PREFIX}encoders\.(\d+)\.", k))}
    bias = state.get(f"{PREFIX}encoders.0.self_attn.pos_bias_u")
    decoder = state.get("codec_lm.decoder.weight")
    codebook = state.get("quantizer_codebook.embed")
    return {
        "hidden_size": int(state[f"{PREFIX}after_norm.weight"].shape[0]),
        "num_hidden_layers": len(blocks),
        "num_attention_heads": int(bias.shape[0]) if bias is not None else None,
        "intermediate_size": int(state[f"{PREFIX}encoders.0.feed_forward.w_1.weight"].shape[0]),
        "input_size": int(state[f"{PREFIX}embed.0.weight"].shape[1]),
        "latent_size": int(state["codec_encoder_out_layer.weight"].shape[0]),
        "relative": bias is not None,
        "conv_module": any(".conv_module." in k for k in state if k.startswith(PREFIX)),
        "predict_nq": int(decoder.shape[0]) // (int(codebook.shape[1]) + 1)
        if decoder is not None and codebook is not None
        else None,
        "codebook": tuple(codebook.shape) if codebook is not None else None,
        "text_encoder_parameters": sum(v.numel() for k, v in state.items() if k.startswith("text_encoder.")),
        "phonemes": int(state["token_embedding.weight"].shape[0]) if "token_embedding.weight" in state else None,
    }


def explain(sizes: dict) -> str:
    """Why this checkpoint's codec generator cannot become a LauraGPTVocoder exactly, point by point."""
    d, groups, blocks = sizes["hidden_size"], sizes["predict_nq"] or 2, sizes["num_hidden_layers"]
    frame_input = (
        f"frame input: LauraTTS embeds the sum of the first {groups} groups' frozen codebook vectors (codec_encoder."
        f"embed.0: Linear({sizes['input_size']} -> {d})); LauraGPTVocoder embeds first-group codes alone with a learned "
        f"table (code_embed: codebook_size x {d}). LauraGPT predicts one group, so the others are never available."
    )
    text = (
        f"text condition: LauraTTS reads the states of its own phoneme Conformer (text_encoder.*, "
        f"{sizes['text_encoder_parameters']:,} parameters over {sizes['phonemes']} g2p phonemes, through "
        "text_enc_out_layer); LauraGPTVocoder embeds the LLM tokenizer's ids (text_embed) and has no text encoder."
    )
    attention = (
        f"relative-position attention (linear_pos, pos_bias_u, pos_bias_v in each of its {blocks} blocks)"
        if sizes["relative"]
        else "absolute attention"
    )
    positions = (
        f"positions: LauraTTS adds {sizes['input_size']}-d sinusoids before embed.0 and uses {attention}; "
        "LauraGPTVocoder adds sinusoids after a LayerNorm and attends with absolute positions only."
    )
    matching = (
        f"What does match in shape and role: the {blocks} blocks' linear_q/k/v/out, FFN (d {d}, FFN "
        f"{sizes['intermediate_size']}) and norms; after_norm -> final_norm; codec_encoder_out_layer "
        f"Linear({d} -> {sizes['latent_size']}) -> out_proj."
    )
    reasons = "\n".join(f"  {i}. {reason}" for i, reason in enumerate((frame_input, text, positions), 1))
    return (
        f"LauraTTS' codec generator cannot be converted into LauraGPTVocoder exactly:\n{reasons}\n{matching}\n"
        f"Fix: {TRAIN_FIX}."
    )


def _block_map(layers: int) -> dict[str, str]:
    """Our vocoder key -> LauraTTS key, for every tensor with the same role and shape."""
    mapping = {
        "final_norm.weight": f"{PREFIX}after_norm.weight",
        "final_norm.bias": f"{PREFIX}after_norm.bias",
        "out_proj.weight": "codec_encoder_out_layer.weight",
        "out_proj.bias": "codec_encoder_out_layer.bias",
        "prompt_proj.weight": f"{PREFIX}embed.0.weight",
        "prompt_proj.bias": f"{PREFIX}embed.0.bias",
    }
    for i in range(layers):
        names = [f"self_attn.linear_{c}" for c in ("q", "k", "v", "out")] + [
            "feed_forward.w_1",
            "feed_forward.w_2",
            "norm_mha",
            "norm_ff",
        ]
        for name in names:
            for leaf in ("weight", "bias"):
                mapping[f"layers.{i}.{name}.{leaf}"] = f"{PREFIX}encoders.{i}.{name}.{leaf}"
    return mapping


def warm_start_vocoder(
    state: dict[str, torch.Tensor], codec: EncodecModel, text_vocab_size: int
) -> tuple[LauraGPTVocoder, KeyReport]:
    """A new LauraGPTVocoder with LauraTTS' generator sizes around ``codec``, initialised from every LauraTTS tensor
    that keeps its meaning (see the module docstring). Returns the vocoder and a report whose ``ignored`` lists
    the LauraTTS tensors left out and ``missing`` ours left at their fresh initialisation."""
    sizes = describe(state)
    if sizes["num_attention_heads"] is None or sizes["conv_module"]:
        raise LauraTTSConversionError(
            explain(sizes) + "\nThis checkpoint's blocks are not the recipe's (rel-pos, no conv module)."
        )
    if codec.config.codebook_dim != sizes["latent_size"]:
        raise CheckpointMismatchError(
            f"The codec's latent is {codec.config.codebook_dim}-d but LauraTTS regresses {sizes['latent_size']}-d latents. "
            "Fix: pass the codec LauraTTS was trained with (FunCodec's 16 kHz nq32 ds640, converted by `lauragpt convert codec`)."
        )
    config = LauraGPTVocoderConfig.from_preset(
        "paper",
        codec_config=codec.config,
        codebook_size=codec.config.codebook_size,
        text_vocab_size=text_vocab_size,
        **{k: sizes[k] for k in ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size")},
    )
    vocoder = LauraGPTVocoder(config)
    vocoder.codec.load_state_dict(codec.state_dict())
    mapping = _block_map(sizes["num_hidden_layers"])
    ours = vocoder.state_dict()
    copied = {
        k: state[src] for k, src in mapping.items() if src in state and tuple(state[src].shape) == tuple(ours[k].shape)
    }
    codebook = state.get("quantizer_codebook.embed")
    if codebook is not None and codebook.shape[1] == config.codebook_size and codebook.shape[2] == sizes["input_size"]:
        frame_input = codebook[0] + (codebook[1].mean(dim=0) if codebook.shape[0] > 1 else 0)
        copied["code_embed.weight"] = torch.nn.functional.linear(
            frame_input, state[f"{PREFIX}embed.0.weight"], state[f"{PREFIX}embed.0.bias"]
        )
    vocoder.load_state_dict(copied, strict=False)
    used = {mapping[k] for k in copied if k in mapping}
    report = KeyReport(
        missing=sorted(k for k in ours if k not in copied and not k.startswith("codec.")),
        ignored={k: "no LauraGPTVocoder counterpart" for k in state if k not in used},
    )
    return vocoder.eval(), report


def convert_lauratts_vocoder(
    checkpoint: str | Path | dict,
    codec: EncodecModel | None = None,
    text_vocab_size: int = 151851,
    warm_start: bool = False,
) -> tuple[LauraGPTVocoder, KeyReport]:
    """Refuse (``LauraTTSConversionError``, explaining why for this checkpoint) unless ``warm_start``; then return
    ``warm_start_vocoder(...)``. ``codec`` (the converted FunCodec codec) is required for the warm start."""
    state = checkpoint if isinstance(checkpoint, dict) else load_state_dict(checkpoint)
    sizes = describe(state)
    if not warm_start:
        raise LauraTTSConversionError(explain(sizes))
    if codec is None:
        raise ValueError(
            "The warm start needs the codec LauraTTS was trained with: convert it first (`lauragpt convert codec`) and pass it."
        )
    return warm_start_vocoder(state, codec, text_vocab_size)


__all__ = ["LauraTTSConversionError", "convert_lauratts_vocoder", "describe", "explain", "warm_start_vocoder"]
