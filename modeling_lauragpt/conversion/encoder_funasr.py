"""A FunASR Conformer ASR encoder (``encoder.*`` of a FunASR ``model.pb``/``model.pt``) + its ``am.mvn`` ->
``LauraGPTAudioEncoder`` folder with a ``LauraGPTFeatureExtractor`` holding the CMVN.

Our encoder keeps ESPnet/FunASR sub-module names, so the key map is short::

    encoder.embed.0.*  / encoder.embed.1.*        -> embed.linear.* / embed.norm.*       (input_layer "linear")
    encoder.embed.conv.{0,2}.* / encoder.embed.out.0.* -> embed.conv.{0,2}.* / embed.out.*  (input_layer "conv2d")
    encoder.encoders.{i}.<same name>              -> layers.{i}.<same name>
    encoder.after_norm.*                          -> after_norm.*

Everything else of the ASR model (decoder, CTC head, ...) is set aside and counted. The architecture comes from
FunASR's ``config.yaml`` (``encoder_conf``, ``frontend_conf``) where given, else from the tensor shapes; FunASR's
``ConformerEncoder`` defaults to ``rel_pos_type: legacy``, which maps to ``position_embedding_type
"relative_legacy"`` (``"latest"`` maps to ``"relative"``, ``abs_pos`` to ``"sinusoidal"``).
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

from ..configuration_lauragpt import LauraGPTAudioEncoderConfig
from ..modeling_audio_encoder import LauraGPTAudioEncoder
from ..processing.feature_extraction_lauragpt import LauraGPTFeatureExtractor
from .checkpoint_io import load_state_dict, read_yaml
from .key_report import CheckpointMismatchError, KeyReport, check_state_dict

PREFIX = "encoder."
FIX = (
    "pass a FunASR ConformerEncoder checkpoint (model.pb / model.pt with encoder.* keys) and its config.yaml; "
    "SANM/Paraformer, Branchformer or Whisper encoders have other layers and no LauraGPTAudioEncoder equivalent"
)
_RENAMES = [
    (r"^embed\.0\.", "embed.linear."),
    (r"^embed\.1\.", "embed.norm."),
    (r"^embed\.out\.0\.", "embed.out."),
    (r"^encoders\.(\d+)\.", r"layers.\1."),
]
_UNSUPPORTED = {  # encoder_conf value -> why our encoder cannot reproduce it
    ("normalize_before", False): "post-norm blocks (normalize_before: false)",
    ("concat_after", True): "concat_after: true",
    ("zero_triu", True): "zero_triu: true",
}
_POSITIONS = {"abs_pos": "sinusoidal", "latest": "relative", "legacy": "relative_legacy"}
GLOBAL_MVN_KEYS = ("normalize.mean", "normalize.std")  # FunASR's GlobalMVN buffers, applied after the frontend


class UnsupportedEncoderError(ValueError):
    """The FunASR encoder uses a setting LauraGPTAudioEncoder does not implement."""


def map_state_dict(
    state: dict[str, torch.Tensor],
) -> tuple[dict[str, tuple[str, torch.Tensor]], list[str], dict[str, str]]:
    """({our key: (FunASR key, tensor)}, unmapped encoder keys, {ignored key: reason})."""
    renamed, unmapped, ignored = {}, [], {}
    for key, tensor in state.items():
        if key in GLOBAL_MVN_KEYS:
            ignored[key] = "GlobalMVN statistics (folded into the feature extractor's CMVN)"
            continue
        if not key.startswith(PREFIX):
            ignored[key] = f"not the audio encoder ({key.split('.')[0]})"
            continue
        if key.endswith(".pe"):
            ignored[key] = "position table (recomputed)"
            continue
        name = key[len(PREFIX) :]
        for pattern, replacement in _RENAMES:
            name = re.sub(pattern, replacement, name)
        if name.startswith(("embed.", "layers.", "after_norm.")):
            renamed[name] = (key, tensor)
        else:
            unmapped.append(key)
    return renamed, unmapped, ignored


def _position_type(conf: dict, relative: bool) -> str:
    """Our ``position_embedding_type`` for FunASR's ``pos_enc_layer_type`` / ``rel_pos_type`` (``relative``: the
    tensors hold ``pos_bias_u/v``)."""
    layer = conf.get("pos_enc_layer_type", "rel_pos" if relative else "abs_pos")
    if layer not in ("abs_pos", "rel_pos", "legacy_rel_pos"):
        raise UnsupportedEncoderError(
            f"pos_enc_layer_type {layer!r} is not supported (abs_pos, rel_pos and legacy_rel_pos are)."
        )
    if relative != (layer != "abs_pos"):
        raise CheckpointMismatchError(
            f"config.yaml says pos_enc_layer_type {layer!r} but the tensors {'have' if relative else 'lack'} "
            f"relative-position biases (pos_bias_u/v). Fix: pass the config.yaml that belongs to this checkpoint."
        )
    if not relative:
        return "sinusoidal"
    rel_pos_type = "legacy" if layer == "legacy_rel_pos" else conf.get("rel_pos_type", "legacy")  # FunASR's default
    if rel_pos_type not in _POSITIONS:
        raise UnsupportedEncoderError(f"rel_pos_type {rel_pos_type!r} is unknown; FunASR has 'legacy' and 'latest'.")
    return _POSITIONS[rel_pos_type]


def frontend_settings(yaml_config: dict, input_size: int) -> dict:
    """``LauraGPTFeatureExtractor`` kwargs from FunASR's ``frontend_conf`` (``WavFrontend``), or, without a config,
    guessed from the encoder's input size (80: fbank alone; 560: 80 mel x LFR 7/6)."""
    conf = yaml_config.get("frontend_conf")
    if conf is None:
        guesses = {80: (1, 1), 560: (7, 6)}
        if input_size not in guesses:
            raise UnsupportedEncoderError(
                f"Cannot tell the frontend of a {input_size}-d encoder input; pass the model's config.yaml (frontend_conf)."
            )
        conf = {"n_mels": 80, "lfr_m": guesses[input_size][0], "lfr_n": guesses[input_size][1]}
    settings = {
        "sampling_rate": int(conf.get("fs", 16000)),
        "num_mel_bins": int(conf.get("n_mels", 80)),
        "frame_length_ms": float(conf.get("frame_length", 25)),
        "frame_shift_ms": float(conf.get("frame_shift", 10)),
        "window_type": conf.get("window", "hamming"),
        "lfr_m": int(conf.get("lfr_m", 1)),
        "lfr_n": int(conf.get("lfr_n", 1)),
        "dither": 0.0,  # inference is deterministic; FunASR's training dither does not apply
    }
    if settings["num_mel_bins"] * settings["lfr_m"] != input_size:
        raise UnsupportedEncoderError(
            f"frontend_conf gives {settings['num_mel_bins']} x {settings['lfr_m']} = "
            f"{settings['num_mel_bins'] * settings['lfr_m']} features per frame but the encoder reads {input_size}."
        )
    return settings


def fold_global_mvn(extractor: LauraGPTFeatureExtractor, state: dict[str, torch.Tensor], yaml_config: dict) -> None:
    """Fold FunASR's model-side ``GlobalMVN`` (``(x - mean) / std`` after the frontend's ``am.mvn``) into the
    extractor's CMVN: ``((x - m) * i - mean) / std = (x - m - mean / i) * (i / std)``. Without those buffers,
    nothing changes; ``normalize: utterance_mvn`` (per-utterance statistics) has no global equivalent."""
    kind = str(yaml_config.get("normalize") or "").lower()
    if "utterance" in kind:
        raise UnsupportedEncoderError(
            "The model normalises each utterance (normalize: utterance_mvn); only global CMVN is supported."
        )
    if not all(k in state for k in GLOBAL_MVN_KEYS):
        return
    conf = yaml_config.get("normalize_conf") or {}
    mean = state["normalize.mean"].double() * float(conf.get("norm_means", True))
    std = state["normalize.std"].double() if conf.get("norm_vars", True) else torch.ones_like(mean)
    if extractor.cmvn_mean is None:
        base_mean, base_istd = torch.zeros_like(mean), torch.ones_like(mean)
    else:
        base_mean, base_istd = torch.tensor(extractor.cmvn_mean).double(), torch.tensor(extractor.cmvn_istd).double()
    extractor.set_cmvn((base_mean + mean / base_istd).tolist(), (base_istd / std).tolist())


def infer_config(
    state: dict[str, torch.Tensor],
    yaml_config: dict | None = None,
    input_size: int | None = None,
    rel_pos_type: str | None = None,
    num_heads: int | None = None,
) -> LauraGPTAudioEncoderConfig:
    """A ``LauraGPTAudioEncoderConfig`` for a FunASR Conformer: sizes from the tensors, the rest from
    ``encoder_conf`` (FunASR's defaults when absent). ``input_size``/``rel_pos_type``/``num_heads`` override it."""
    yaml_config = yaml_config or {}
    conf = dict(yaml_config.get("encoder_conf") or {})
    if rel_pos_type is not None:
        conf["rel_pos_type"] = rel_pos_type
    if num_heads is not None:
        conf["attention_heads"] = num_heads
    for (name, value), why in _UNSUPPORTED.items():
        if conf.get(name) == value:
            raise UnsupportedEncoderError(f"The encoder uses {why}, which LauraGPTAudioEncoder does not implement.")
    if conf.get("positionwise_layer_type", "linear") != "linear":
        raise UnsupportedEncoderError("Only positionwise_layer_type 'linear' feed-forward modules are supported.")
    renamed, _, _ = map_state_dict(state)
    shapes = {k: tuple(v.shape) for k, (_, v) in renamed.items()}
    if "after_norm.weight" not in shapes or "layers.0.feed_forward.w_1.weight" not in shapes:
        raise CheckpointMismatchError(
            f"No Conformer encoder (encoder.encoders.0.*, encoder.after_norm) in the checkpoint. Fix: {FIX}."
        )
    hidden = shapes["after_norm.weight"][0]
    relative = "layers.0.self_attn.pos_bias_u" in shapes
    heads = conf.get("attention_heads") or (shapes["layers.0.self_attn.pos_bias_u"][0] if relative else None)
    if heads is None:
        raise UnsupportedEncoderError(
            "The number of attention heads is not in the tensors; pass config.yaml (encoder_conf.attention_heads)."
        )
    if "embed.conv.0.weight" in shapes:
        input_layer = "conv2d"
        frontend = yaml_config.get("frontend_conf") or {}
        input_size = (
            input_size or yaml_config.get("input_size") or frontend.get("n_mels", 80) * frontend.get("lfr_m", 1)
        )
    elif "embed.linear.weight" in shapes:
        input_layer, input_size = "linear", shapes["embed.linear.weight"][1]
    else:
        raise UnsupportedEncoderError(
            f"Unsupported encoder input layer {conf.get('input_layer')!r}: only 'linear' and 'conv2d' convert."
        )
    return LauraGPTAudioEncoderConfig(
        input_size=int(input_size),
        hidden_size=hidden,
        num_hidden_layers=1 + max(int(k.split(".")[1]) for k in shapes if k.startswith("layers.")),
        num_attention_heads=int(heads),
        intermediate_size=shapes["layers.0.feed_forward.w_1.weight"][0],
        hidden_act=conf.get("activation_type", "swish"),
        macaron_style="layers.0.feed_forward_macaron.w_1.weight" in shapes,
        use_conv_module="layers.0.conv_module.depthwise_conv.weight" in shapes,
        conv_kernel_size=shapes.get("layers.0.conv_module.depthwise_conv.weight", (0, 0, 15))[-1],
        conv_norm_type="batch_norm" if "layers.0.conv_module.norm.running_mean" in shapes else "layer_norm",
        input_layer=input_layer,
        position_embedding_type=_position_type(conf, relative),
        hidden_dropout=float(conf.get("dropout_rate", 0.1)),
        positional_dropout=float(conf.get("positional_dropout_rate", 0.1)),
        attention_dropout=float(conf.get("attention_dropout_rate", 0.0)),
    )


def convert_funasr_encoder(
    checkpoint: str | Path | dict,
    config_yaml: str | Path | None = None,
    am_mvn: str | Path | None = None,
    input_size: int | None = None,
    rel_pos_type: str | None = None,
    num_heads: int | None = None,
) -> tuple[LauraGPTAudioEncoder, LauraGPTFeatureExtractor, KeyReport]:
    """Convert a FunASR Conformer encoder and its frontend.

    checkpoint : FunASR ``model.pb``/``model.pt`` (or its folder), or a loaded state dict
    config_yaml : the model's ``config.yaml`` (recommended: heads, positions, frontend)
    am_mvn : the model's ``am.mvn`` (global CMVN of the frontend); a ``GlobalMVN`` stored in the checkpoint
        (``normalize.mean/std``) is folded in too; with neither, the feature extractor has no CMVN
    input_size, rel_pos_type, num_heads : overrides for checkpoints without a config (``rel_pos_type`` "legacy" or
        "latest")
    returns : (encoder in eval mode, feature extractor, key report); raises ``CheckpointMismatchError`` with the
        full report on any missing, unexpected or mis-shaped tensor
    """
    state = checkpoint if isinstance(checkpoint, dict) else load_state_dict(checkpoint)
    yaml_config = read_yaml(config_yaml)
    config = infer_config(state, yaml_config, input_size, rel_pos_type, num_heads)
    with torch.device("meta"):
        target = LauraGPTAudioEncoder(config).state_dict()
    renamed, unmapped, ignored = map_state_dict(state)
    weights, report = check_state_dict(
        renamed, target, unmapped, ignored, "FunASR Conformer -> LauraGPTAudioEncoder", FIX
    )
    encoder = LauraGPTAudioEncoder(config)
    encoder.load_state_dict({k: v.to(target[k].dtype) for k, v in weights.items()}, strict=True)
    extractor = LauraGPTFeatureExtractor(**frontend_settings(yaml_config, config.input_size))
    if am_mvn is not None:
        extractor.load_am_mvn(am_mvn)
    fold_global_mvn(extractor, state, yaml_config)
    return encoder.eval(), extractor, report


__all__ = [
    "UnsupportedEncoderError",
    "convert_funasr_encoder",
    "fold_global_mvn",
    "frontend_settings",
    "infer_config",
    "map_state_dict",
]
