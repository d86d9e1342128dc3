"""The audio codec: ``transformers.EncodecModel`` configured like FunCodec's 16 kHz codec, and helpers around it.

LauraGPT's audio tokens are the **first** RVQ group of this codec (25 Hz, 1024 codes); the one-step vocoder
regresses the **sum of all 32 codebook vectors** per frame (the codec's quantized latent) and the codec's decoder
turns that latent into a waveform. Shapes used everywhere::

    waveform (samples,) at 16 kHz  --encode_codes-->  codes (num_quantizers, frames),  frames = ceil(samples / 640)
    codes (batch, num_quantizers, frames)  --codes_to_latent-->  latent (batch, frames, codebook_dim)
    latent (batch, frames, codebook_dim)  --latent_to_waveform-->  audio (batch, frames * 640)

FunCodec's codec normalises with ``time_group_norm`` (GroupNorm over the whole clip), so zero padding would change
every frame of a clip: the helpers therefore only ever batch clips of the same length together, which makes a
batched call exactly equal to one call per clip.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from transformers import EncodecConfig, EncodecModel

from .audio_lengths import codec_num_frames
from .processing.audio_inputs import to_mono_waveform, unpack_clip

# target_bandwidths in kbps: 0.25 kbps per quantizer (log2(1024) bits x 25 Hz), so 8.0 kbps = 32 quantizers.
_FUNCODEC_BANDWIDTHS = [0.25 * k for k in (1, 2, 4, 8, 16, 32)]

CODEC_PRESETS: dict[str, dict] = {
    # FunCodec `encodec_16k_n32_600k_step_ds640` (LauraTTS' codec): strides 8*5*4*2*2 = 640 samples (25 Hz at
    # 16 kHz), SEANet with 32 filters, 2-layer LSTM, time_group_norm, non-causal, 32 x 1024 x 128 RVQ.
    # EncodecModel(this) has 57,549,987 parameters, FunCodec's recipe count.
    "paper": {
        "sampling_rate": 16000,
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
        raise ValueError(f"Unknown codec preset {preset!r}; choose one of {sorted(CODEC_PRESETS)}.")
    return EncodecConfig(**{**CODEC_PRESETS[preset], **overrides})


def full_bandwidth(codec: EncodecModel) -> float:
    """The codec's largest bandwidth (kbps): the one that uses all ``config.num_quantizers`` groups."""
    return max(codec.config.target_bandwidths)


def _waveforms(codec: EncodecModel, waveforms, sampling_rate: int | None) -> list[torch.Tensor]:
    """Clips (1-D arrays/tensors, ``{"array", "sampling_rate"}`` dicts, datasets audio values) -> mono float32
    tensors at the codec's rate."""
    rate = codec.config.sampling_rate
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


@torch.no_grad()
def encode_codes(codec: EncodecModel, waveforms, batch_size: int = 8, sampling_rate: int | None = None) -> list[torch.LongTensor]:
    """All-group RVQ codes of each clip.

    waveforms : a list of clips, each a 1-D float array/tensor in [-1, 1] (any length), a ``{"array",
        "sampling_rate"}`` dict or a ``datasets`` audio value; resampled to ``codec.config.sampling_rate``
    batch_size : clips per encoder call (only clips of equal length share a call; see the module docstring)
    sampling_rate : rate of plain arrays in Hz (default: the codec's rate)
    returns : a list of ``torch.LongTensor`` of shape ``(num_quantizers, codec_num_frames(samples))`` on the CPU
    """
    if isinstance(waveforms, torch.Tensor) and waveforms.dim() == 1:
        raise ValueError("encode_codes takes a list of clips; wrap a single clip in a list: encode_codes(codec, [clip]).")
    clips = _waveforms(codec, waveforms, sampling_rate)
    param = next(codec.parameters())
    codes: list[torch.LongTensor | None] = [None] * len(clips)
    hop = codec.config.hop_length
    for batch in _same_length_batches([c.shape[0] for c in clips], batch_size):
        x = torch.stack([clips[i] for i in batch])[:, None].to(device=param.device, dtype=param.dtype)
        out = codec.encode(x, bandwidth=full_bandwidth(codec)).audio_codes[0]  # (batch, num_quantizers, frames)
        frames = codec_num_frames(x.shape[-1], hop)
        for row, index in enumerate(batch):
            codes[index] = out[row, :, :frames].cpu()
    return codes


def first_group(codes: torch.LongTensor) -> torch.LongTensor:
    """The LLM's audio tokens: ``(..., num_quantizers, frames)`` -> ``(..., frames)`` codes of RVQ group 0."""
    return codes[..., 0, :]


def codes_to_latent(codec: EncodecModel, codes: torch.LongTensor) -> torch.Tensor:
    """The codec's quantized latent, what its decoder consumes: the sum of the codebook vectors of every group given.

    codes : torch.LongTensor, shape = (batch, num_groups, frames)  num_groups <= num_quantizers (all 32 for the
        vocoder's target; the first groups only for a partial sum)
    returns : torch.Tensor, shape = (batch, frames, codebook_dim)
    """
    if codes.dim() != 3:
        raise ValueError(f"codes must have shape (batch, num_groups, frames); got {tuple(codes.shape)}.")
    if codes.shape[1] > codec.config.num_quantizers:
        raise ValueError(f"codes have {codes.shape[1]} groups but the codec has only {codec.config.num_quantizers} quantizers.")
    latent = codec.quantizer.decode(codes.transpose(0, 1))  # (batch, codebook_dim, frames)
    return latent.transpose(1, 2)


def latent_to_waveform(codec: EncodecModel, latent: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
    """Decode latents with the codec's decoder.

    latent : torch.Tensor, shape = (batch, frames, codebook_dim)
    lengths : torch.LongTensor, shape = (batch,), optional  real frames per row; each row is then decoded at its own
        length (``time_group_norm`` would otherwise see the padding) and is zero after its end
    returns : torch.Tensor, shape = (batch, frames * hop_length)  float waveform at ``codec.config.sampling_rate``
    """
    if latent.dim() != 3 or latent.shape[-1] != codec.config.codebook_dim:
        raise ValueError(
            f"latent must have shape (batch, frames, {codec.config.codebook_dim}); got {tuple(latent.shape)}."
        )
    hop = codec.config.hop_length
    latent = latent.to(next(codec.parameters()).dtype)
    if lengths is None:
        return codec.decoder(latent.transpose(1, 2))[:, 0]
    audio = latent.new_zeros(latent.shape[0], latent.shape[1] * hop)
    for batch in _same_length_batches(lengths.tolist(), latent.shape[0]):
        frames = int(lengths[batch[0]])
        if frames > 0:
            audio[batch, : frames * hop] = codec.decoder(latent[batch, :frames].transpose(1, 2))[:, 0]
    return audio


@torch.no_grad()
def init_codebooks_from_audio(
    codec: EncodecModel, waveforms, seed: int = 0, jitter: float = 0.5, sampling_rate: int | None = None
) -> EncodecModel:
    """Fill an untrained codec's codebooks (zeros after ``EncodecModel(config)``) so that its codes are informative.

    Quantizer 0 gets ``codebook_size`` randomly drawn encoder frames of ``waveforms`` (the random-sample start of
    FunCodec's k-means initialisation), jittered by ``jitter`` standard deviations so that no two codewords nearly
    tie. Quantizer ``k > 0`` gets Gaussian codewords with the per-dimension spread of the residual that quantizers
    ``0..k-1`` leave, so every group shrinks the residual a little, as in a trained RVQ, and even the last group
    still counts. For tests and demos only: a trained codec needs no such step. Returns ``codec``, changed in place.
    """
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
    codec: EncodecModel,
    audio_column: str = "audio",
    codes_column: str = "codes",
    batch_size: int = 8,
) -> dict:
    """A ``datasets.Dataset.map`` function (``batched=True``) that adds the all-group codes of an audio column::

        dataset = dataset.map(add_codec_codes, batched=True, fn_kwargs={"codec": codec})

    Each new value is a ``num_quantizers x frames`` nested list of ints (the first row is the LLM's audio tokens).
    Audio values may be 1-D arrays at the codec's rate, ``{"array", "sampling_rate"}`` dicts or decoded ``datasets``
    ``Audio`` values. ``datasets`` caches the result, keyed on the codec's weights.
    """
    codes = encode_codes(codec, batch[audio_column], batch_size=batch_size)
    return {codes_column: [c.tolist() for c in codes]}


__all__ = [
    "CODEC_PRESETS",
    "codec_config",
    "full_bandwidth",
    "encode_codes",
    "first_group",
    "codes_to_latent",
    "latent_to_waveform",
    "init_codebooks_from_audio",
    "add_codec_codes",
]
