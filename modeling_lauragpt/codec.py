"""The audio codecs and the one small interface the vocoder, the data code and the pipeline see them through.

Two codec classes keep the paper codec's contract (16 kHz audio, 25 Hz frames, an RVQ whose first group gives
LauraGPT's audio tokens, the sum of all codebook vectors as the one-step vocoder's target, a decoder from that sum
to the waveform):

- ``transformers.EncodecModel`` configured like FunCodec's 16 kHz codec (the ``paper`` preset; FunCodec's released
  codec converts into it bit-exactly);
- ``LauraGPTCPUCodec``, a frequency-domain codec that a 2-core CPU can train (``modeling_cpu_codec``).

Every function here takes either one and dispatches on its class; ``codec_spec`` gives the figures the callers
need (rate, hop, codebook size, groups, latent dim). Shapes used everywhere::

    waveform (samples,) at 16 kHz  --encode_codes-->  codes (num_groups, frames),  frames = ceil(samples / 640)
    codes (batch, num_groups, frames)  --codes_to_latent-->  latent (batch, frames, latent_dim)
    latent (batch, frames, latent_dim)  --latent_to_waveform-->  audio (batch, frames * 640)

FunCodec's codec normalises with ``time_group_norm`` (GroupNorm over the whole clip), so zero padding would change
every frame of a clip: the helpers therefore only ever batch clips of the same length together for it, which
makes a batched call exactly equal to one call per clip. The CPU codec masks padding itself, so any clips share a
call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.nn import functional as F
from transformers import EncodecConfig, EncodecModel, PreTrainedConfig, PreTrainedModel

from .audio import SAMPLING_RATE, to_mono_waveform, unpack_clip
from .audio_lengths import codec_num_frames
from .configuration_cpu_codec import LauraGPTCPUCodecConfig
from .errors import InvalidInputError
from .modeling_cpu_codec import LauraGPTCPUCodec

# target_bandwidths in kbps: 0.25 kbps per quantizer (log2(1024) bits x 25 Hz), so 8.0 kbps = 32 quantizers.
_FUNCODEC_BANDWIDTHS = [0.25 * k for k in (1, 2, 4, 8, 16, 32)]

CODEC_PRESETS: dict[str, dict] = {
    # FunCodec `encodec_16k_n32_600k_step_ds640` (LauraTTS' codec): strides 8*5*4*2*2 = 640 samples (25 Hz at
    # 16 kHz), SEANet with 32 filters, 2-layer LSTM, time_group_norm, non-causal, 32 x 1024 x 128 RVQ.
    # EncodecModel(this) has 57,549,987 parameters, FunCodec's recipe count.
    "paper": {
        "sampling_rate": SAMPLING_RATE,
        "upsampling_ratios": [8, 5, 4, 2, 2],
        "hidden_size": 128,
        "codebook_dim": 128,
        "num_filters": 32,
        "num_lstm_layers": 2,
        "norm_type": "time_group_norm",
        "use_causal_conv": False,
        "codebook_size": 1024,
        "target_bandwidths": _FUNCODEC_BANDWIDTHS,
        "audio_channels": 1,
        "normalize": False,
    },
}
# Tests and demos: the same hop (640), codebook size (1024) and 32 quantizers, so every code path matches;
# narrow convolutions, a 32-d latent and one LSTM layer (about 2.6 M parameters).
CODEC_PRESETS["tiny"] = {
    **CODEC_PRESETS["paper"],
    "hidden_size": 32,
    "codebook_dim": 32,
    "num_filters": 8,
    "num_lstm_layers": 1,
}

# The embedded demo model's codec: the same 25 Hz hop, 8 quantizers of 256 codes (target_bandwidths in kbps at
# 8 bits x 25 Hz = 0.2 kbps per quantizer), 12 filters and a 64-d latent: small enough to train on a CPU.
CODEC_PRESETS["demo"] = {
    **CODEC_PRESETS["paper"],
    "hidden_size": 64,
    "codebook_dim": 64,
    "num_filters": 12,
    "num_lstm_layers": 1,
    "codebook_size": 256,
    "target_bandwidths": [0.4, 0.8, 1.6],
}


def codec_config(preset: str = "paper", **overrides) -> EncodecConfig:
    """An ``EncodecConfig`` from a named preset (``"paper"`` or ``"tiny"``), with keyword overrides."""
    if preset not in CODEC_PRESETS:
        raise InvalidInputError(f"Unknown codec preset {preset!r}; choose one of {sorted(CODEC_PRESETS)}.")
    return EncodecConfig(**{**CODEC_PRESETS[preset], **overrides})


# ------------------------------------------------------------------------------------------------ the interface
CODEC_CLASSES: dict[type[PreTrainedConfig], type[PreTrainedModel]] = {
    EncodecConfig: EncodecModel,
    LauraGPTCPUCodecConfig: LauraGPTCPUCodec,
}
Codec = EncodecModel | LauraGPTCPUCodec


@dataclass(frozen=True)
class CodecSpec:
    """What the vocoder and the pipeline need to know of a codec, whichever class it is."""

    sampling_rate: int  # Hz of the audio in and out
    hop_length: int  # waveform samples per codec frame (640 at 16 kHz = 25 Hz)
    codebook_size: int  # codes per RVQ group
    num_groups: int  # RVQ groups (quantizers); group 0 gives LauraGPT's audio tokens
    latent_dim: int  # dimension of the summed codebook vectors the decoder reads


def _codec_classes(model_type: str | None, what: str) -> tuple[type[PreTrainedConfig], type[PreTrainedModel]]:
    """(config class, model class) of the codec named by ``model_type``; else a ``ValueError`` about ``what``.

    By name, not by class: Hub remote code may load the same class from two copies of its file.
    """
    for config_class, model_class in CODEC_CLASSES.items():
        if model_type == config_class.model_type:
            return config_class, model_class
    known = ", ".join(f"{c.__name__} ({c.model_type!r})" for c in CODEC_CLASSES)
    raise InvalidInputError(f"Unsupported codec {what}: the vocoder and the pipeline work with {known}.")


def _config_classes(config) -> tuple[type[PreTrainedConfig], type[PreTrainedModel]]:
    return _codec_classes(getattr(config, "model_type", None), f"config {type(config).__name__}")


def is_cpu_codec(codec: Codec) -> bool:
    """Whether ``codec`` is a ``LauraGPTCPUCodec`` (else an ``EncodecModel``): the one switch of the interface."""
    return _config_classes(codec.config)[1] is LauraGPTCPUCodec


def codec_spec(codec_or_config: Codec | PreTrainedConfig) -> CodecSpec:
    """The ``CodecSpec`` of a codec model or of its config (``EncodecConfig`` or ``LauraGPTCPUCodecConfig``)."""
    config = codec_or_config.config if isinstance(codec_or_config, PreTrainedModel) else codec_or_config
    _config_classes(config)
    return CodecSpec(
        config.sampling_rate, config.hop_length, config.codebook_size, config.num_quantizers, config.codebook_dim
    )


def resolve_codec_config(value: dict | PreTrainedConfig | None) -> PreTrainedConfig | None:
    """A codec config from a dict by its ``model_type`` (``"encodec"`` when absent); configs and None pass through.

    Resolved here rather than through ``AutoConfig``, so a vocoder saved with either codec loads as Hub remote
    code too, where the CPU codec is not registered.
    """
    if not isinstance(value, dict):
        return value
    model_type = value.get("model_type", EncodecConfig.model_type)
    config_class, _ = _codec_classes(model_type, f"model_type {model_type!r} in codec_config")
    return config_class(**{k: v for k, v in value.items() if k != "model_type"})


def build_codec(config: PreTrainedConfig) -> Codec:
    """A new codec model (``EncodecModel`` or ``LauraGPTCPUCodec``) for its config."""
    config_class, model_class = _config_classes(config)
    return model_class(config if isinstance(config, config_class) else config_class.from_dict(config.to_dict()))


def load_codec(path: str | Path) -> Codec:
    """A saved codec folder (or Hub id) of either class, by the ``model_type`` of its config."""
    model_type = PreTrainedConfig.get_config_dict(str(path))[0].get("model_type")
    _, model_class = _codec_classes(model_type, f"folder {str(path)!r} (it holds a {model_type!r} model)")
    return model_class.from_pretrained(str(path))


def full_bandwidth(codec: EncodecModel) -> float:
    """An ``EncodecModel``'s largest bandwidth (kbps): the one that uses all ``config.num_quantizers`` groups."""
    return max(codec.config.target_bandwidths)


def _waveforms(codec: Codec, waveforms, sampling_rate: int | None) -> list[torch.Tensor]:
    """Clips (1-D arrays/tensors, ``{"array", "sampling_rate"}`` dicts, datasets audio values) -> mono float32
    tensors at the codec's rate."""
    rate = codec_spec(codec).sampling_rate
    out = []
    for index, clip in enumerate(waveforms):
        array, clip_rate = unpack_clip(clip, sampling_rate if sampling_rate is not None else rate)
        out.append(to_mono_waveform(array, clip_rate, rate, max_duration_s=None, min_duration_ms=0.0, index=index))
    return out


def _same_length_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of at most ``batch_size`` clips that all have the same length."""
    by_length: dict[int, list[int]] = {}
    for index, length in enumerate(lengths):
        by_length.setdefault(int(length), []).append(index)
    return [group[i : i + batch_size] for group in by_length.values() for i in range(0, len(group), batch_size)]


def _encode_batches(codec: Codec, lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Clip indices per encoder call: same-length clips for ``EncodecModel`` (its ``time_group_norm`` sees padding),
    consecutive clips for the CPU codec (it masks padding, so a padded batch equals one call per clip)."""
    if is_cpu_codec(codec):
        return [list(range(i, min(i + batch_size, len(lengths)))) for i in range(0, len(lengths), batch_size)]
    return _same_length_batches(lengths, batch_size)


def _padded(clips: list[torch.Tensor], device, dtype) -> tuple[torch.Tensor, torch.LongTensor]:
    """1-D clips -> zero right-padded (batch, max_samples) on ``device`` and their lengths (batch,)."""
    lengths = torch.tensor([c.shape[0] for c in clips])
    x = torch.stack([F.pad(c, (0, int(lengths.max()) - c.shape[0])) for c in clips])
    return x.to(device=device, dtype=dtype), lengths.to(device)


def _encode_padded(codec: Codec, x: torch.Tensor, lengths: torch.LongTensor) -> torch.LongTensor:
    """(batch, samples) padded audio -> all-group codes (batch, num_groups, ceil(samples / hop_length))."""
    if is_cpu_codec(codec):
        return codec.encode(x, lengths)
    return codec.encode(x[:, None], bandwidth=full_bandwidth(codec)).audio_codes[0]


@torch.no_grad()
def encode_codes(
    codec: Codec, waveforms, batch_size: int = 8, sampling_rate: int | None = None
) -> list[torch.LongTensor]:
    """All-group RVQ codes of each clip.

    codec : an ``EncodecModel`` or a ``LauraGPTCPUCodec``
    waveforms : a list of clips, each a 1-D float array/tensor in [-1, 1] (any length), a ``{"array",
        "sampling_rate"}`` dict or a ``datasets`` audio value; resampled to the codec's rate
    batch_size : clips per encoder call (for ``EncodecModel`` only clips of equal length share a call; see the
        module docstring)
    sampling_rate : rate of plain arrays in Hz (default: the codec's rate)
    returns : a list of ``torch.LongTensor`` of shape ``(num_groups, codec_num_frames(samples))`` on the CPU
    """
    if isinstance(waveforms, torch.Tensor) and waveforms.dim() == 1:
        raise InvalidInputError(
            "encode_codes takes a list of clips; wrap a single clip in a list: encode_codes(codec, [clip])."
        )
    clips = _waveforms(codec, waveforms, sampling_rate)
    param = next(codec.parameters())
    hop = codec_spec(codec).hop_length
    codes: list[torch.LongTensor | None] = [None] * len(clips)
    for batch in _encode_batches(codec, [c.shape[0] for c in clips], batch_size):
        x, lengths = _padded([clips[i] for i in batch], param.device, param.dtype)
        out = _encode_padded(codec, x, lengths)
        for row, index in enumerate(batch):
            codes[index] = out[row, :, : codec_num_frames(int(lengths[row]), hop)].cpu()
    return codes


def first_group(codes: torch.LongTensor) -> torch.LongTensor:
    """The LLM's audio tokens: ``(..., num_groups, frames)`` -> ``(..., frames)`` codes of RVQ group 0."""
    return codes[..., 0, :]


def check_codes(codec: Codec, codes: torch.Tensor) -> None:
    """Raise ``ValueError`` unless ``codes`` are (batch, 1..num_groups, frames) integers in [0, codebook_size)."""
    spec = codec_spec(codec)
    if codes.dim() != 3 or codes.dtype.is_floating_point:
        raise InvalidInputError(
            f"codes must be integers of shape (batch, num_groups, frames); got {codes.dtype} {tuple(codes.shape)}."
        )
    if not 1 <= codes.shape[1] <= spec.num_groups:
        raise InvalidInputError(
            f"codes have {codes.shape[1]} groups but the codec has 1..{spec.num_groups} (its quantizers)."
        )
    if codes.numel() and (int(codes.min()) < 0 or int(codes.max()) >= spec.codebook_size):
        raise InvalidInputError(
            f"codes must lie in [0, {spec.codebook_size}); got values from {int(codes.min())} to {int(codes.max())}. "
            "Pass codec codes, not LLM vocabulary ids (processor.decode_outputs subtracts the codec offset)."
        )


def codes_to_latent(codec: Codec, codes: torch.LongTensor) -> torch.Tensor:
    """The codec's quantized latent, what its decoder consumes: the sum of the codebook vectors of every group given.

    codes : torch.LongTensor, shape = (batch, num_groups, frames)  1 <= num_groups <= the codec's groups (all of
        them for the vocoder's target; the first groups only for a partial sum), values in [0, codebook_size)
    returns : torch.Tensor, shape = (batch, frames, latent_dim)
    """
    check_codes(codec, codes)
    if is_cpu_codec(codec):
        return codec.codes_to_latent(codes).transpose(1, 2)
    return codec.quantizer.decode(codes.transpose(0, 1)).transpose(1, 2)  # decode: (batch, latent_dim, frames)


def _decode(codec: Codec, latent: torch.Tensor) -> torch.Tensor:
    """(batch, frames, latent_dim) -> (batch, frames * hop_length), every row decoded at the full length."""
    if is_cpu_codec(codec):
        return codec.decode(latent.transpose(1, 2))
    return codec.decoder(latent.transpose(1, 2))[:, 0]


def latent_to_waveform(codec: Codec, latent: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
    """Decode latents with the codec's decoder.

    latent : torch.Tensor, shape = (batch, frames, latent_dim)
    lengths : torch.LongTensor, shape = (batch,), optional  real frames per row; each row is then decoded at its own
        length (``time_group_norm`` would otherwise see the padding) and is zero after its end
    returns : torch.Tensor, shape = (batch, frames * hop_length)  float waveform at the codec's rate
    """
    spec = codec_spec(codec)
    if latent.dim() != 3 or latent.shape[-1] != spec.latent_dim:
        raise InvalidInputError(
            f"latent must have shape (batch, frames, {spec.latent_dim}); got {tuple(latent.shape)}."
        )
    latent = latent.to(next(codec.parameters()).dtype)
    if lengths is None:
        return _decode(codec, latent)
    audio = latent.new_zeros(latent.shape[0], latent.shape[1] * spec.hop_length)
    for batch in _same_length_batches(lengths.tolist(), latent.shape[0]):
        frames = int(lengths[batch[0]])
        if frames > 0:
            audio[batch, : frames * spec.hop_length] = _decode(codec, latent[batch, :frames])
    return audio


@torch.no_grad()
def init_codebooks_from_audio(
    codec: Codec, waveforms, seed: int = 0, jitter: float = 0.5, sampling_rate: int | None = None
) -> Codec:
    """Fill an untrained codec's codebooks (zeros after ``EncodecModel(config)``) so that its codes are informative.

    ``EncodecModel``: quantizer 0 gets ``codebook_size`` randomly drawn encoder frames of ``waveforms`` (the
    random-sample start of FunCodec's k-means initialisation), jittered by ``jitter`` standard deviations so that no
    two codewords nearly tie. Quantizer ``k > 0`` gets Gaussian codewords with the per-dimension spread of the
    residual that quantizers ``0..k-1`` leave, so every group shrinks the residual a little, as in a trained RVQ,
    and even the last group still counts. ``LauraGPTCPUCodec``: its own k-means initialisation
    (``init_codebooks``; ``jitter`` unused; the clips need at least ``codebook_size`` frames in all). For tests and
    demos only: a trained codec needs no such step. Returns ``codec``, changed in place.
    """
    if is_cpu_codec(codec):
        param = next(codec.parameters())
        codec.init_codebooks(
            *_padded(_waveforms(codec, waveforms, sampling_rate), param.device, param.dtype), seed=seed
        )
        return codec
    generator = torch.Generator().manual_seed(seed)
    param = next(codec.parameters())
    frames = []
    for clip in _waveforms(codec, waveforms, sampling_rate):
        x = clip[None, None].to(device=param.device, dtype=param.dtype)
        frames.append(codec.encoder(x)[0].transpose(0, 1).cpu())  # (frames, codebook_dim)
    residual = torch.cat(frames)
    size, dim = codec.config.codebook_size, residual.shape[1]
    for k, layer in enumerate(codec.quantizer.layers):
        noise = torch.randn(size, dim, generator=generator) * residual.std(dim=0)
        if k == 0:
            rows = torch.randint(0, residual.shape[0], (size,), generator=generator)
            codebook = residual[rows] + jitter * noise
        else:
            codebook = residual.mean(dim=0) + noise
        layer.codebook.embed.copy_(codebook)
        layer.codebook.embed_avg.copy_(codebook)
        residual = residual - codebook[layer.codebook.encode(residual.to(param.device)).cpu()]
    return codec


def add_codec_codes(
    batch: dict,
    codec: Codec,
    audio_column: str = "audio",
    codes_column: str = "codes",
    batch_size: int = 8,
) -> dict:
    """A ``datasets.Dataset.map`` function (``batched=True``) that adds the all-group codes of an audio column::

        dataset = dataset.map(add_codec_codes, batched=True, fn_kwargs={"codec": codec})

    Each new value is a ``num_groups x frames`` nested list of ints (the first row is the LLM's audio tokens).
    Audio values may be 1-D arrays at the codec's rate, ``{"array", "sampling_rate"}`` dicts or decoded ``datasets``
    ``Audio`` values. ``datasets`` caches the result, keyed on the codec's weights.
    """
    codes = encode_codes(codec, batch[audio_column], batch_size=batch_size)
    return {codes_column: [c.tolist() for c in codes]}


__all__ = [
    "CODEC_CLASSES",
    "CODEC_PRESETS",
    "Codec",
    "CodecSpec",
    "add_codec_codes",
    "build_codec",
    "check_codes",
    "codec_config",
    "codec_spec",
    "codes_to_latent",
    "encode_codes",
    "first_group",
    "full_bandwidth",
    "init_codebooks_from_audio",
    "is_cpu_codec",
    "latent_to_waveform",
    "load_codec",
    "resolve_codec_config",
]
