"""The single length formula: waveform samples -> audio-tower frames -> ``<|audio|>`` placeholders, for both
audio towers, and waveform samples -> codec frames.

- Conformer tower: samples -> Kaldi fbank frames -> LFR frames -> encoder frames (input layer) -> pooled frames.
- Whisper tower: samples -> log-mel frames (10 ms hop) -> encoder frames (conv2, stride 2: 20 ms) -> pooled frames.

The feature extractor (how many feature frames a clip gives), the processor (how many ``<|audio|>``
placeholders to write) and the model (which encoder frames are real) all call these functions, so they can
never disagree. Every function accepts Python ints or integer tensors.

Units: samples at ``sampling_rate`` Hz; frame length and shift in milliseconds. The rates, hops and windows
themselves are the constants block of ``audio.py``.
"""

from __future__ import annotations

import torch

from .audio import (
    CODEC_HOP_LENGTH,
    FBANK_FRAME_LENGTH_MS,
    FBANK_FRAME_SHIFT_MS,
    SAMPLING_RATE,
    WHISPER_CONV_STRIDE,
    WHISPER_HOP_LENGTH,
    WHISPER_WINDOW_S,
    window_samples,
)
from .errors import InvalidInputError

INPUT_LAYERS = ("linear", "conv2d")
CLIP_WINDOW = "clip"  # audio_window value: no silence added, the clip is its own window (whisper.cpp's audio_ctx)


def fbank_num_frames(
    num_samples,
    sampling_rate: int = SAMPLING_RATE,
    frame_length_ms: float = FBANK_FRAME_LENGTH_MS,
    frame_shift_ms: float = FBANK_FRAME_SHIFT_MS,
):
    """Kaldi fbank frames with ``snip_edges=True``: ``1 + (N - window) // shift`` (0 if shorter than a window)."""
    window = window_samples(sampling_rate, frame_length_ms)
    shift = window_samples(sampling_rate, frame_shift_ms)
    frames = 1 + (num_samples - window) // shift
    return frames.clamp(min=0) if hasattr(frames, "clamp") else max(frames, 0)


def lfr_num_frames(num_fbank_frames, lfr_n: int = 6):
    """Low-frame-rate frames: FunASR keeps ``ceil(T / n)`` stacked frames (the tail is edge-padded)."""
    return -(-num_fbank_frames // lfr_n)


def encoder_num_frames(num_feature_frames, input_layer: str = "linear"):
    """Frames leaving the audio encoder's input layer.

    ``"linear"`` keeps the frame rate (the paper's encoder: LFR already gives 60 ms frames); ``"conv2d"`` is
    ESPnet/FunASR ``Conv2dSubsampling`` (two 3x3 stride-2 convolutions): ``((T - 1) // 2 - 1) // 2``.
    """
    if input_layer == "linear":
        return num_feature_frames
    if input_layer == "conv2d":
        frames = ((num_feature_frames - 1) // 2 - 1) // 2
        return frames.clamp(min=0) if hasattr(frames, "clamp") else max(frames, 0)
    raise InvalidInputError(f"Unknown encoder input layer {input_layer!r}; expected one of {INPUT_LAYERS}.")


def pooled_num_frames(num_frames, pooling: int = 1):
    """Frames left after averaging every ``pooling`` tower frames (``avg_pool1d``, kernel = stride = pooling; a
    partial last group is dropped, as Qwen2-Audio's pooler does)."""
    return num_frames // pooling


def audio_num_tokens(
    num_samples,
    sampling_rate: int = SAMPLING_RATE,
    frame_length_ms: float = FBANK_FRAME_LENGTH_MS,
    frame_shift_ms: float = FBANK_FRAME_SHIFT_MS,
    lfr_n: int = 6,
    input_layer: str = "linear",
    pooling: int = 1,
):
    """Number of ``<|audio|>`` placeholders (= pooled Conformer frames) for a clip of ``num_samples`` samples."""
    fbank = fbank_num_frames(num_samples, sampling_rate, frame_length_ms, frame_shift_ms)
    return pooled_num_frames(encoder_num_frames(lfr_num_frames(fbank, lfr_n), input_layer), pooling)


def window_seconds(audio_window: str) -> float:
    """Seconds of context a Whisper tower sees at least: ``"clip"`` -> 0 (the clip alone), ``"10s"`` -> 10.0 (each
    clip padded with silence to 10 s), ..., ``"30s"`` -> 30.0 (Whisper's own window). Raises on anything else."""
    if audio_window == CLIP_WINDOW:
        return 0.0
    number = audio_window[:-1] if isinstance(audio_window, str) and audio_window.endswith("s") else ""
    seconds = float(number) if number.replace(".", "", 1).isdigit() else None
    if seconds is None or not 0 < seconds <= WHISPER_WINDOW_S:
        raise InvalidInputError(
            f"audio_window={audio_window!r} is not supported: use 'clip' (the clip alone) or 'Ns' with 0 < N <= 30 "
            "(each clip padded with silence to at least N seconds; '30s' is Whisper's own window)."
        )
    return seconds


def whisper_window_samples(num_samples, audio_window: str, sampling_rate: int = SAMPLING_RATE):
    """Samples of the window a clip of ``num_samples`` is encoded in: the clip, padded with silence to
    ``window_seconds(audio_window)`` when shorter."""
    least = round(window_seconds(audio_window) * sampling_rate)
    return num_samples.clamp(min=least) if hasattr(num_samples, "clamp") else max(num_samples, least)


def whisper_mel_frames(num_samples, hop_length: int = WHISPER_HOP_LENGTH):
    """Log-mel frames ``WhisperFeatureExtractor`` computes for a clip of ``num_samples`` samples: ``N // hop``
    (its centred STFT gives ``1 + N // hop`` frames and it drops the last one)."""
    return num_samples // hop_length


def whisper_encoder_frames(num_mel_frames):
    """Frames leaving Whisper's convolution stem (conv2: kernel 3, stride 2, padding 1): ``(T - 1) // 2 + 1``
    (0 for no input)."""
    frames = (num_mel_frames - 1) // WHISPER_CONV_STRIDE + 1
    return frames.clamp(min=0) if hasattr(frames, "clamp") else max(frames, 0)


def whisper_num_tokens(num_samples, hop_length: int = WHISPER_HOP_LENGTH, pooling: int = 1):
    """Number of ``<|audio|>`` placeholders (= pooled Whisper encoder frames) for ``num_samples`` samples.
    One second at 16 kHz: 100 mel frames -> 50 encoder frames -> 25 tokens with ``pooling=2``."""
    return pooled_num_frames(whisper_encoder_frames(whisper_mel_frames(num_samples, hop_length)), pooling)


def length_mask(lengths, num_frames: int):
    """(batch, num_frames) bool mask, True on the first ``lengths[b]`` frames of each row (right padding).
    ``lengths`` is a 1-D integer tensor; the mask is on its device."""
    lengths = torch.as_tensor(lengths)
    return torch.arange(num_frames, device=lengths.device)[None, :] < lengths[:, None]


def codec_num_frames(num_samples, hop_length: int = CODEC_HOP_LENGTH):
    """Codec frames ``transformers.EncodecModel`` (non-causal or causal, no chunking) returns for a clip of
    ``num_samples`` samples: ``ceil(N / hop)``; its encoder pads the last partial hop. FunCodec's 16 kHz codec has
    ``hop_length = 8*5*4*2*2 = 640`` samples (25 Hz); decoding ``F`` frames gives ``F * hop_length`` samples."""
    return -(-num_samples // hop_length)


__all__ = [
    "CLIP_WINDOW",
    "INPUT_LAYERS",
    "audio_num_tokens",
    "codec_num_frames",
    "encoder_num_frames",
    "fbank_num_frames",
    "length_mask",
    "lfr_num_frames",
    "pooled_num_frames",
    "whisper_encoder_frames",
    "whisper_mel_frames",
    "whisper_num_tokens",
    "whisper_window_samples",
    "window_seconds",
]
