"""FunCodec's SEANet/RVQ codec (e.g. ``audio_codec-encodec-zh_en-general-16k-nq32ds640-pytorch``) ->
``transformers.EncodecModel``.

Both models have the same layers in the same order (FunCodec's ``SEANetEncoder``/``SEANetDecoder`` and
transformers' ``EncodecEncoder``/``EncodecDecoder`` both descend from Meta's Encodec), so the key map only drops
FunCodec's extra wrapper level and splits its stacked codebooks (reference_code.md §2.2)::

    encoder.model.{i}.conv.conv.{weight,bias}          -> encoder.layers.{i}.conv.{weight,bias}
    encoder.model.{i}.conv.norm.{weight,bias}          -> encoder.layers.{i}.norm.{weight,bias}   (time_group_norm)
    {en,de}coder.model.{i}.{block.{j},shortcut}.conv.conv.* -> {en,de}coder.layers.{i}.{block.{j},shortcut}.conv.*
    {en,de}coder.model.{i}.lstm.*                      -> {en,de}coder.layers.{i}.lstm.*
    decoder.model.{i}.convtr.convtr.*                  -> decoder.layers.{i}.conv.*
    decoder.model.{i}.convtr.norm.*                    -> decoder.layers.{i}.norm.*
    *.weight_g / *.weight_v (weight_norm)              -> *.parametrizations.weight.original0 / original1
    quantizer.rq.model.{inited,cluster_size,embed,embed_avg}[k]   -> quantizer.layers.{k}.codebook.*
    quantizer.rq.model.layers.{k}._codebook.*          -> quantizer.layers.{k}.codebook.*        (use_ddp: false)

The architecture is read from the tensor shapes (widths, ratios from the transposed-conv kernels, kernel sizes,
LSTM depth, norm type, codebooks); ``config.yaml`` adds what shapes cannot tell (causal, sampling rate, input
normalisation). The GAN discriminator and the mel-loss buffers are training-only and dropped.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import torch
from transformers import EncodecConfig, EncodecModel

from ..codec import CODEC_PRESETS
from .checkpoint_io import load_state_dict, read_yaml
from .key_report import CheckpointMismatchError, KeyReport, check_state_dict

PAPER_CODEC_PARAMETERS = 57_549_987  # EncodecModel(codec_config("paper")): FunCodec's 16 kHz nq32 ds640 recipe
TRAINING_ONLY = {
    "discriminator.": "GAN discriminator (training only)",
    "mel_spec_transforms.": "mel-loss buffers (training only)",
}
_RENAMES = [  # (FunCodec pattern, transformers replacement), tried in order on each key
    (r"^(encoder|decoder)\.model\.(\d+)\.(block\.\d+\.|shortcut\.|)conv\.conv\.", r"\1.layers.\2.\3conv."),
    (r"^(encoder|decoder)\.model\.(\d+)\.(block\.\d+\.|shortcut\.|)conv\.norm\.", r"\1.layers.\2.\3norm."),
    (r"^decoder\.model\.(\d+)\.convtr\.convtr\.", r"decoder.layers.\1.conv."),
    (r"^decoder\.model\.(\d+)\.convtr\.norm\.", r"decoder.layers.\1.norm."),
    (r"^(encoder|decoder)\.model\.(\d+)\.lstm\.", r"\1.layers.\2.lstm."),
]
_WEIGHT_NORM = {"weight_g": "parametrizations.weight.original0", "weight_v": "parametrizations.weight.original1"}
_CODEBOOK_BUFFERS = ("inited", "cluster_size", "embed", "embed_avg")
FIX = (
    "pass the model.pth of a FunCodec SEANet/RVQ codec (encodec_seanet_encoder/decoder + costume_quantizer) with its "
    "config.yaml; codecs with other encoders (freqcodec), quantizer projections (codec_dim) or no conv norm have no "
    "EncodecModel equivalent"
)


def rename_key(key: str) -> str | None:
    """Our EncodecModel key for a FunCodec encoder/decoder key, or None if it is not one."""
    for pattern, replacement in _RENAMES:
        new, count = re.subn(pattern, replacement, key)
        if count:
            head, _, leaf = new.rpartition(".")
            return f"{head}.{_WEIGHT_NORM[leaf]}" if leaf in _WEIGHT_NORM else new
    return None


def _codebook_entries(state: dict[str, torch.Tensor]) -> tuple[dict[str, tuple[str, torch.Tensor]], set[str]]:
    """Per-quantizer codebook buffers from the stacked (DDP) or per-layer layout: ({our key: (source, tensor)}, used keys)."""
    renamed, used = {}, set()
    for name in _CODEBOOK_BUFFERS:
        stacked = f"quantizer.rq.model.{name}"
        if stacked in state:
            used.add(stacked)
            for k, row in enumerate(state[stacked]):
                renamed[f"quantizer.layers.{k}.codebook.{name}"] = (f"{stacked}[{k}]", row)
    for key, tensor in state.items():
        match = re.fullmatch(r"quantizer\.rq\.model\.layers\.(\d+)\._codebook\.(\w+)", key)
        if match and match.group(2) in _CODEBOOK_BUFFERS:
            used.add(key)
            renamed[f"quantizer.layers.{match.group(1)}.codebook.{match.group(2)}"] = (key, tensor)
    return renamed, used


def map_state_dict(
    state: dict[str, torch.Tensor],
) -> tuple[dict[str, tuple[str, torch.Tensor]], list[str], dict[str, str]]:
    """Rename every FunCodec key: ({our key: (FunCodec key, tensor)}, unmapped FunCodec keys, {ignored key: reason})."""
    renamed, used = _codebook_entries(state)
    unmapped, ignored = [], {}
    for key, tensor in state.items():
        if key in used:
            continue
        reason = next((why for prefix, why in TRAINING_ONLY.items() if key.startswith(prefix)), None)
        target = rename_key(key)
        if reason:
            ignored[key] = reason
        elif target is None:
            unmapped.append(key)
        else:
            renamed[target] = (key, tensor)
    return renamed, unmapped, ignored


def _weight(renamed: dict, key_head: str) -> torch.Tensor | None:
    """The (unnormalised) weight of a conv, whatever its weight-norm naming, or None if absent."""
    for leaf in ("weight", "parametrizations.weight.original1"):
        if f"{key_head}.{leaf}" in renamed:
            return renamed[f"{key_head}.{leaf}"][1]
    return None


def _top_level_convs(renamed: dict, part: str, transposed: bool | None = None) -> list[torch.Tensor]:
    """Weights of ``part``'s top-level convs in layer order (``transposed``: only FunCodec ``convtr`` ones)."""
    found = []
    for key, (source, tensor) in renamed.items():
        match = re.fullmatch(rf"{part}\.layers\.(\d+)\.conv\.(weight|parametrizations\.weight\.original1)", key)
        if match and (transposed is None or transposed == (".convtr." in source)):
            found.append((int(match.group(1)), tensor))
    return [tensor for _, tensor in sorted(found, key=lambda item: item[0])]


def infer_config(state: dict[str, torch.Tensor], yaml_config: dict | None = None) -> EncodecConfig:
    """An ``EncodecConfig`` read from the FunCodec tensors' shapes, plus causal / sampling rate / normalisation
    from FunCodec's ``config.yaml`` (``encoder_conf.causal``, ``model_conf.target_sample_hz``,
    ``model_conf.audio_normalize``; FunCodec's recipe values when absent). Values a missing tensor would give
    fall back to the paper preset, so that the key check reports that tensor."""
    yaml_config = yaml_config or {}
    renamed, _, _ = map_state_dict(state)
    embeds = [tensor for key, (_, tensor) in renamed.items() if key.endswith(".codebook.embed")]
    if not embeds:
        raise CheckpointMismatchError(
            f"No codebooks (quantizer.rq.model.embed) in the checkpoint: it is not a FunCodec RVQ codec. Fix: {FIX}."
        )
    values = {k: v for k, v in CODEC_PRESETS["paper"].items() if k != "target_bandwidths"}
    if (first := _weight(renamed, "encoder.layers.0.conv")) is not None:
        values.update(audio_channels=first.shape[1], num_filters=first.shape[0], kernel_size=first.shape[-1])
    if encoder_convs := _top_level_convs(renamed, "encoder"):
        values.update(hidden_size=encoder_convs[-1].shape[0], last_kernel_size=encoder_convs[-1].shape[-1])
    if (residual := _weight(renamed, "encoder.layers.1.block.1.conv")) is not None:
        values.update(residual_kernel_size=residual.shape[-1], compress=residual.shape[1] // residual.shape[0])
    if transposed := _top_level_convs(renamed, "decoder", transposed=True):
        values["upsampling_ratios"] = [w.shape[-1] // 2 for w in transposed]  # FunCodec: kernel = 2 x stride
    if lstm_layers := sum(1 for k in renamed if re.fullmatch(r"encoder\.layers\.\d+\.lstm\.weight_ih_l\d+", k)):
        values["num_lstm_layers"] = lstm_layers
    if any(k.endswith("original0") for k in renamed):
        values["norm_type"] = "weight_norm"
    elif not any(re.fullmatch(r"(en|de)coder\.layers\.\d+\.norm\.weight", k) for k in renamed):
        raise CheckpointMismatchError(
            f"The codec's convolutions have neither weight_norm nor time_group_norm. Fix: {FIX}."
        )
    encoder_conf, model_conf = yaml_config.get("encoder_conf") or {}, yaml_config.get("model_conf") or {}
    values.update(
        sampling_rate=int(model_conf.get("target_sample_hz", yaml_config.get("sampling_rate", 16000))),
        use_causal_conv=bool(encoder_conf.get("causal", False)),
        normalize=bool(model_conf.get("audio_normalize", True)),
        use_conv_shortcut=any(".shortcut." in k for k in renamed),
        codebook_size=embeds[0].shape[0],
        codebook_dim=embeds[0].shape[1],
    )
    # EncodecConfig.num_quantizers = 1000 * max bandwidth // (frame_rate * codebook_nbits): bandwidths for 1, 2, 4 ... groups
    num_quantizers = len(embeds)
    bits_per_frame = math.ceil(math.log2(values["codebook_size"])) * math.ceil(
        values["sampling_rate"] / math.prod(values["upsampling_ratios"])
    )
    counts = sorted({2**i for i in range(num_quantizers.bit_length()) if 2**i < num_quantizers} | {num_quantizers})
    config = EncodecConfig(**values, target_bandwidths=[n * bits_per_frame / 1000 for n in counts])
    if config.num_quantizers != num_quantizers:  # guard against float rounding in transformers' formula
        config.target_bandwidths[-1] = (num_quantizers + 0.5) * bits_per_frame / 1000
    return config


def convert_funcodec_codec(
    checkpoint: str | Path | dict, config_yaml: str | Path | None = None
) -> tuple[EncodecModel, KeyReport]:
    """Load a FunCodec codec checkpoint into a new ``EncodecModel``, refusing any missing, unexpected or
    mis-shaped tensor (``CheckpointMismatchError`` with the full report).

    checkpoint : a FunCodec ``model.pth`` (or its folder), or an already loaded state dict
    config_yaml : FunCodec's ``config.yaml`` beside it (optional; see ``infer_config``)
    returns : (the codec in eval mode, the key report)
    """
    state = checkpoint if isinstance(checkpoint, dict) else load_state_dict(checkpoint)
    config, weights, report = match_funcodec_codec(state, read_yaml(config_yaml))
    model = EncodecModel(config)
    model.load_state_dict({k: v.float() for k, v in weights.items()}, strict=True)
    return model.eval(), report


def match_funcodec_codec(
    state: dict[str, torch.Tensor], yaml_config: dict | None = None
) -> tuple[EncodecConfig, dict, KeyReport]:
    """Config, renamed weights and report for a FunCodec state dict, without building the model (the target's
    shapes come from a meta-device ``EncodecModel``, so this also checks paper-size layouts cheaply)."""
    config = infer_config(state, yaml_config)
    with torch.device("meta"):
        target = EncodecModel(config).state_dict()
    renamed, unmapped, ignored = map_state_dict(state)
    weights, report = check_state_dict(renamed, target, unmapped, ignored, "FunCodec codec -> EncodecModel", FIX)
    return config, weights, report


def count_parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


__all__ = [
    "PAPER_CODEC_PARAMETERS",
    "convert_funcodec_codec",
    "count_parameters",
    "infer_config",
    "map_state_dict",
    "match_funcodec_codec",
    "rename_key",
]
