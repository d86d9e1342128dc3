"""LauraGPT's audio constants, with their units, and the one path from whatever a user passes as audio to a clean
mono float32 waveform at 16 kHz, with clear errors (openai/whisper's ``audio.py`` is the model).

Every rate, hop and window below is defined once; the others are derived from it. The length formulas that turn
samples into frames and placeholders are in ``audio_lengths.py``.

Accepted clips:
- numpy arrays: float32/float64 in [-1, 1]; int16 (scaled by 1/32768); int32 (scaled by 1/2**31);
- torch tensors of the same dtypes (any device; they are copied to the CPU);
- Python lists of floats;
- a ``{"array": ..., "sampling_rate": ...}`` dict or a ``datasets`` audio value (see ``unpack_clip``).

A 1-D clip is mono, shape ``(samples,)``. A 2-D clip is ONE multichannel recording, shape ``(channels, samples)``
or ``(samples, channels)``: the channel axis is the smaller one (at most ``MAX_CHANNELS``) and channels are
averaged. A batch is a list of clips, never a 2-D array.

Everything is validated with numpy before any torch op runs, so a bad clip gives one ``ValueError`` that names
the problem, the clip's index in the batch when known, and the fix.
"""

from __future__ import annotations

import math
from fractions import Fraction
from numbers import Real

import numpy as np
import torch
from transformers.utils import logging

from .errors import InvalidInputError

logger = logging.get_logger(__name__)

# The audio every part reads and writes
SAMPLING_RATE = 16_000  # Hz: towers, codecs, vocoders and the pipeline's outputs
FBANK_FRAME_LENGTH_MS = 25.0  # Kaldi fbank analysis window (Conformer tower), ms
FBANK_FRAME_SHIFT_MS = 10.0  # Kaldi fbank hop, ms: 100 frames per second
MEL_HOP_MS = 10.0  # Whisper log-mel hop, ms
WHISPER_HOP_LENGTH = round(SAMPLING_RATE * MEL_HOP_MS / 1000)  # 160 samples between Whisper log-mel frames
WHISPER_CONV_STRIDE = 2  # Whisper's conv2 halves the mel frame rate: 100 Hz -> 50 Hz encoder frames
WHISPER_WINDOW_S = 30.0  # Whisper's training window, s: 3000 log-mel frames = 1500 encoder positions
CODEC_HOP_LENGTH = 8 * 5 * 4 * 2 * 2  # 640 samples per codec frame: the paper codec's strides (FunCodec 16 kHz)
CODEC_FRAME_RATE = SAMPLING_RATE / CODEC_HOP_LENGTH  # 25.0 Hz: LauraGPT's audio tokens per second
MIN_CLIP_MS = FBANK_FRAME_LENGTH_MS  # shortest clip a tower can read: one analysis window, ms

# What a user may pass
MAX_CHANNELS = 8  # more than this on the smaller axis is taken for a batch passed as one array
MAX_PEAK_AMPLITUDE = 2.0**31  # int32-scale floats are the loudest real audio; far beyond, fbank power overflows float32
MIN_SAMPLING_RATE, MAX_SAMPLING_RATE = 4_000, 384_000  # Hz: real recordings; a header outside is a broken header
MAX_RESAMPLING_FACTOR = 1_000  # largest reduced rate factor given to torchaudio's resampler (its kernel grows with it)
INT_SCALES = {np.dtype(np.int16): 2.0**15, np.dtype(np.int32): 2.0**31}  # PCM integer full scale -> [-1, 1)


def window_samples(sampling_rate: int, milliseconds: float) -> int:
    """Samples in ``milliseconds`` of audio, truncated as Kaldi does (``int(sr * ms / 1000)``)."""
    return int(sampling_rate * milliseconds * 0.001)


def unpack_clip(clip, sampling_rate: int | None):
    """``(array, sampling_rate)`` of a clip: a ``{"array", "sampling_rate"}`` dict or a ``datasets`` audio value
    (torchcodec ``AudioDecoder``, which supports the same keys) carries its own rate; anything else is returned
    with ``sampling_rate`` unchanged."""
    if isinstance(clip, dict):
        missing = [key for key in ("array", "sampling_rate") if key not in clip]
        if missing:
            raise InvalidInputError(
                f"An audio dict needs 'array' and 'sampling_rate'; this one lacks {missing} (it has "
                f"{sorted(map(str, clip))}). Pass {{'array': samples, 'sampling_rate': hz}}."
            )
        return clip["array"], clip["sampling_rate"]
    if hasattr(clip, "get_all_samples"):
        return clip["array"], clip["sampling_rate"]
    return clip, sampling_rate


def _where(index: int | None) -> str:
    return "Audio clip" if index is None else f"Audio clip {index} of the batch"


def _as_numpy(audio, index: int | None) -> np.ndarray:
    """Any accepted container -> a numpy array (dtype untouched except for torch-only float types)."""
    if isinstance(audio, torch.Tensor):
        audio = audio.detach().cpu()
        if audio.is_floating_point() and audio.dtype not in (torch.float32, torch.float64):
            audio = audio.float()  # bfloat16 / float16 have no (or a lossy) numpy twin
        return audio.numpy()
    if isinstance(audio, np.ndarray):
        return audio
    if isinstance(audio, (list, tuple)):
        try:
            return np.asarray(audio, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise InvalidInputError(
                f"{_where(index)} is a {type(audio).__name__} that is not a flat list of numbers (or a list of equal-"
                f"length channel lists): {err}. Pass a 1-D list/array of samples, or a list of clips for a batch."
            ) from None
    raise InvalidInputError(
        f"{_where(index)} has unsupported type {type(audio).__name__}. Pass a numpy array, a torch tensor or a list "
        "of floats (a batch is a list of such clips)."
    )


def _to_float(array: np.ndarray, index: int | None) -> np.ndarray:
    """Integer PCM -> float64 in [-1, 1); floats -> float64."""
    if array.dtype in INT_SCALES:
        return array.astype(np.float64) / INT_SCALES[array.dtype]
    if np.issubdtype(array.dtype, np.floating):
        return array.astype(np.float64, copy=False)
    raise InvalidInputError(
        f"{_where(index)} has dtype {array.dtype}, which is not an audio sample format. Pass float32/float64 "
        "samples in [-1, 1], or int16/int32 PCM (scaled by 1/32768 and 1/2**31)."
    )


def _downmix(array: np.ndarray, index: int | None) -> np.ndarray:
    """1-D stays; 2-D is one multichannel clip whose smaller axis is the channel axis -> mean over channels."""
    if array.ndim == 1:
        return array
    shape_help = (
        "Expected a 1-D (samples,) mono clip or ONE 2-D multichannel clip shaped (channels, samples) or "
        f"(samples, channels) with at most {MAX_CHANNELS} channels; pass a batch as a list of clips."
    )
    if array.ndim != 2:
        raise InvalidInputError(
            f"{_where(index)} has {array.ndim} dimensions, shape {tuple(array.shape)}. {shape_help}"
        )
    channel_axis = int(np.argmin(array.shape))
    if array.shape[channel_axis] > MAX_CHANNELS:
        raise InvalidInputError(
            f"{_where(index)} has shape {tuple(array.shape)}: {array.shape[channel_axis]} channels is too many. "
            f"{shape_help}"
        )
    return array.mean(axis=channel_axis)


def resampling_ratio(orig_rate: int, new_rate: int) -> tuple[int, int]:
    """The (orig, new) pair handed to ``torchaudio.functional.resample``: the rates reduced by their gcd, or, when
    that leaves a factor over ``MAX_RESAMPLING_FACTOR`` (22,051 Hz -> 16 kHz is 22,051 : 16,000, a kernel of
    gigabytes), the nearest ratio with factors within it (a pitch error of at most about 1e-5, inaudible)."""
    gcd = math.gcd(orig_rate, new_rate)
    orig, new = orig_rate // gcd, new_rate // gcd
    if max(orig, new) <= MAX_RESAMPLING_FACTOR:
        return orig, new
    ratio = Fraction(new_rate, orig_rate).limit_denominator(MAX_RESAMPLING_FACTOR)
    while max(ratio.numerator, ratio.denominator) > MAX_RESAMPLING_FACTOR:  # limit_denominator bounds one side only
        ratio = Fraction(new_rate, orig_rate).limit_denominator(ratio.denominator // 2)
    return ratio.denominator, ratio.numerator


def resampled_length(num_samples: int, orig_rate: int, new_rate: int) -> int:
    """Samples ``torchaudio.functional.resample`` returns: ``ceil(num_samples * new / orig)`` (``resampling_ratio``)."""
    if orig_rate == new_rate:
        return num_samples
    orig, new = resampling_ratio(orig_rate, new_rate)
    return math.ceil(new * num_samples / orig)


def _check_rate(sampling_rate, index: int | None) -> int:
    if (
        isinstance(sampling_rate, bool)
        or not isinstance(sampling_rate, Real)
        or not math.isfinite(sampling_rate)
        or sampling_rate <= 0
        or sampling_rate != int(sampling_rate)
    ):
        raise InvalidInputError(
            f"{_where(index)}: sampling_rate must be a positive whole number of Hz, got {sampling_rate!r}."
        )
    if not MIN_SAMPLING_RATE <= sampling_rate <= MAX_SAMPLING_RATE:
        raise InvalidInputError(
            f"{_where(index)}: sampling_rate {int(sampling_rate)} Hz is outside {MIN_SAMPLING_RATE}-{MAX_SAMPLING_RATE} Hz; "
            "a header this far off is almost surely wrong. Pass the clip's real rate."
        )
    return int(sampling_rate)


def to_mono_waveform(
    audio,
    sampling_rate: int | None,
    target_sampling_rate: int = SAMPLING_RATE,
    max_duration_s: float | None = 300.0,
    min_duration_ms: float = MIN_CLIP_MS,
    index: int | None = None,
) -> torch.Tensor:
    """Validate one clip and return it as a mono float32 waveform at ``target_sampling_rate``.

    Args:
        audio: one clip (see the module docstring): ``(samples,)``, ``(channels, samples)`` or ``(samples, channels)``.
        sampling_rate: the clip's rate in Hz; resampled with ``torchaudio.functional.resample`` if it differs.
            ``None`` assumes ``target_sampling_rate`` and logs a warning once.
        target_sampling_rate: output rate in Hz.
        max_duration_s: longest accepted clip in seconds (``None``: no limit).
        min_duration_ms: shortest accepted clip in milliseconds, after resampling (one analysis window: 25 ms).
        index: the clip's position in its batch, quoted in error messages.

    Returns:
        ``torch.Tensor`` of shape ``(num_samples,)``, dtype float32, at ``target_sampling_rate``.
    """
    if sampling_rate is None:
        logger.warning_once(
            f"No sampling_rate given: assuming {target_sampling_rate} Hz. Pass sampling_rate=... to avoid silently "
            "wrong features."
        )
        sampling_rate = target_sampling_rate
    rate = _check_rate(sampling_rate, index)
    target = _check_rate(target_sampling_rate, index)
    array = _as_numpy(audio, index)
    if array.ndim == 0:
        raise InvalidInputError(f"{_where(index)} is a scalar, not a waveform. Pass a 1-D array of samples.")
    if array.size == 0:
        raise InvalidInputError(
            f"{_where(index)} is empty (shape {tuple(array.shape)}, 0 samples). Drop it or pass real audio."
        )
    mono = _downmix(_to_float(array, index), index)

    finite = np.isfinite(mono)
    if not finite.all():
        num_nan, num_inf = int(np.isnan(mono).sum()), int(np.isinf(mono).sum())
        first = int(np.argmin(finite))
        raise InvalidInputError(
            f"{_where(index)} contains {num_nan} NaN and {num_inf} Inf values (first at sample {first}). "
            "Fix the audio source, or replace them, e.g. with np.nan_to_num(audio)."
        )

    duration_s = mono.shape[0] / rate
    if max_duration_s is not None and duration_s > max_duration_s:
        raise InvalidInputError(
            f"{_where(index)} is {duration_s:.1f} s long, over the limit of max_duration_s={max_duration_s} s. "
            f"Split it into chunks of at most {max_duration_s} s, or raise max_duration_s on the feature extractor."
        )
    out_samples = resampled_length(mono.shape[0], rate, target)
    min_samples = window_samples(target, min_duration_ms)
    if out_samples < min_samples:
        raise InvalidInputError(
            f"{_where(index)} is too short: {mono.shape[0]} samples at {rate} Hz ({1000 * duration_s:.2f} ms), but "
            f"one analysis window needs at least {min_duration_ms} ms ({min_samples} samples at {target} Hz). "
            "Pad it with silence or drop it."
        )

    peak = float(np.abs(mono).max())
    if peak > MAX_PEAK_AMPLITUDE:
        raise InvalidInputError(
            f"{_where(index)} peaks at {peak:.3g}, beyond even int32-scale samples ({MAX_PEAK_AMPLITUDE:.3g}): its "
            "features would overflow. Scale it to [-1, 1], e.g. audio / np.abs(audio).max()."
        )
    if peak > 1.0:
        logger.warning_once(
            "Audio peak amplitude above 1.0: float audio is expected in [-1, 1]. If these are int16-scale floats, "
            "divide them by 32768 (or pass an int16 array)."
        )
    waveform = torch.from_numpy(mono.astype(np.float32))
    if rate != target:
        import torchaudio  # only here: most clips arrive at 16 kHz, and torchaudio is slow to import

        waveform = torchaudio.functional.resample(waveform, *resampling_ratio(rate, target))
    return waveform


__all__ = [
    "CODEC_FRAME_RATE",
    "CODEC_HOP_LENGTH",
    "FBANK_FRAME_LENGTH_MS",
    "FBANK_FRAME_SHIFT_MS",
    "MAX_CHANNELS",
    "MAX_PEAK_AMPLITUDE",
    "MAX_RESAMPLING_FACTOR",
    "MAX_SAMPLING_RATE",
    "MEL_HOP_MS",
    "MIN_CLIP_MS",
    "MIN_SAMPLING_RATE",
    "SAMPLING_RATE",
    "WHISPER_CONV_STRIDE",
    "WHISPER_HOP_LENGTH",
    "WHISPER_WINDOW_S",
    "resampled_length",
    "resampling_ratio",
    "to_mono_waveform",
    "unpack_clip",
    "window_samples",
]
