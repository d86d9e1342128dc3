"""Waveform helpers of the demo corpus: reading any source file as 16 kHz mono, levels, mixing, encoding.

Every clip is float32 mono at ``SAMPLING_RATE`` (16 kHz); rows store it FLAC-encoded.
"""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np
import soundfile as sf

from ...errors import InvalidInputError
from ..data.schema import SAMPLING_RATE

PEAK_LIMIT = 0.95  # highest absolute sample value after any level change
SPEECH_RMS_DBFS = -23.0  # level clean speech is normalised to


def resample(wave: np.ndarray, rate: int) -> np.ndarray:
    """``wave`` (mono float32) from ``rate`` Hz to 16 kHz (band-limited sinc, ``torchaudio.functional.resample``)."""
    if rate == SAMPLING_RATE:
        return wave.astype(np.float32, copy=False)
    import torch
    import torchaudio.functional as AF

    return AF.resample(torch.from_numpy(np.ascontiguousarray(wave, dtype=np.float32)), rate, SAMPLING_RATE).numpy()


@lru_cache(maxsize=512)
def _read_file(path: str) -> np.ndarray:
    data, rate = sf.read(path, dtype="float32", always_2d=True)
    return resample(data.mean(axis=1), rate)


def read_audio(path: str) -> np.ndarray:
    """Any file soundfile reads (wav, ogg/oga, flac) as 16 kHz mono float32 (cached; returns a copy)."""
    return _read_file(str(path)).copy()


def trim_silence(wave: np.ndarray, threshold_db: float = -45.0, pad_s: float = 0.05) -> np.ndarray:
    """Cut leading/trailing parts quieter than ``threshold_db`` below the peak, keeping ``pad_s`` seconds."""
    if wave.size == 0:
        return wave
    loud = np.flatnonzero(np.abs(wave) > np.abs(wave).max() * 10 ** (threshold_db / 20))
    if loud.size == 0:
        return wave
    pad = int(pad_s * SAMPLING_RATE)
    return wave[max(0, loud[0] - pad) : loud[-1] + pad + 1]


def rms_dbfs(wave: np.ndarray) -> float:
    """Root-mean-square level in dB relative to full scale (-inf dB is floored at -120)."""
    return 20 * np.log10(max(float(np.sqrt(np.mean(np.square(wave, dtype=np.float64)))), 1e-6))


def set_level(wave: np.ndarray, target_dbfs: float) -> np.ndarray:
    """Scale ``wave`` to an RMS of ``target_dbfs``, then down again if its peak would pass ``PEAK_LIMIT``."""
    scaled = wave * np.float32(10 ** ((target_dbfs - rms_dbfs(wave)) / 20))
    return limit_peak(scaled)


def limit_peak(wave: np.ndarray, limit: float = PEAK_LIMIT) -> np.ndarray:
    """Scale ``wave`` down (never up) so that its largest absolute sample is at most ``limit``."""
    peak = float(np.abs(wave).max()) if wave.size else 0.0
    return (wave * np.float32(limit / peak) if peak > limit else wave).astype(np.float32)


def fit_length(noise: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """``noise`` looped (from a random offset) or cut to exactly ``length`` samples."""
    if noise.size == 0:
        raise InvalidInputError("Cannot fit an empty noise clip.")
    repeats = -(-(length + noise.size) // noise.size)
    start = int(rng.integers(0, noise.size))
    return np.tile(noise, repeats)[start : start + length]


def mix_at_snr(
    clean: np.ndarray, noise: np.ndarray, snr_db: float, signal_power_of: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(noisy, clean)``: noise scaled to ``snr_db`` below the clean signal's power (measured on
    ``signal_power_of`` when given, e.g. an event without its silent padding), both scaled down together when the
    mixture would pass the peak limit (so the target stays aligned in level with the input)."""
    clean_power = np.mean((clean if signal_power_of is None else signal_power_of).astype(np.float64) ** 2)
    noise_power = max(np.mean(noise.astype(np.float64) ** 2), 1e-12)
    gain = np.sqrt(clean_power / noise_power / 10 ** (snr_db / 10))
    noisy = clean + noise * np.float32(gain)
    peak = float(np.abs(noisy).max())
    scale = np.float32(PEAK_LIMIT / peak) if peak > PEAK_LIMIT else np.float32(1.0)
    return (noisy * scale).astype(np.float32), (clean * scale).astype(np.float32)


def coloured_noise(color: str, length: int, rng: np.random.Generator) -> np.ndarray:
    """White, pink (1/f power) or brown (1/f^2 power) noise, shaped in the frequency domain, RMS -23 dBFS."""
    exponents = {"white": 0.0, "pink": 1.0, "brown": 2.0}
    if color not in exponents:
        raise InvalidInputError(f"Unknown noise colour {color!r}; pick one of {sorted(exponents)}.")
    spectrum = np.fft.rfft(rng.standard_normal(length))
    frequencies = np.fft.rfftfreq(length, d=1.0 / SAMPLING_RATE)
    frequencies[0] = frequencies[1] if length > 1 else 1.0
    spectrum /= frequencies ** (exponents[color] / 2)
    return set_level(np.fft.irfft(spectrum, n=length).astype(np.float32), SPEECH_RMS_DBFS)


def encode_flac(wave: np.ndarray) -> bytes:
    """16-bit FLAC bytes of a 16 kHz clip (what the parquet files embed)."""
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(wave, -1.0, 1.0), SAMPLING_RATE, format="FLAC", subtype="PCM_16")
    return buffer.getvalue()


__all__ = [
    "SAMPLING_RATE",
    "coloured_noise",
    "encode_flac",
    "fit_length",
    "limit_peak",
    "mix_at_snr",
    "read_audio",
    "resample",
    "rms_dbfs",
    "set_level",
    "trim_silence",
]
