"""Recipes for the audio of a row: small frozen dataclasses that say how a clip is made, rendered on demand.

Task builders only describe audio (``Speech``, ``Melody``, ``Recording``, ``Noise``, ``Sequence``, ``Mixture``,
``Overlay``); ``render.py`` synthesises the expensive leaves (``Speech``, ``Melody``) once each in a process pool,
and ``render`` below assembles the rest. Equal recipes give equal clips, so clips are shared between tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .audio import (
    SAMPLING_RATE,
    SPEECH_RMS_DBFS,
    coloured_noise,
    fit_length,
    limit_peak,
    mix_at_snr,
    read_audio,
    set_level,
    trim_silence,
)
from .splits import stable_hash
from .voices import NEUTRAL_PROSODY, Prosody

EVENT_RMS_DBFS = -24.0
MUSIC_RMS_DBFS = -22.0


@dataclass(frozen=True)
class Speech:
    """``text`` spoken by the synthetic voice ``voice`` (a key of ``voices.VOICES``) with ``prosody``."""

    voice: str
    text: str
    prosody: Prosody = NEUTRAL_PROSODY
    level_dbfs: float = SPEECH_RMS_DBFS


@dataclass(frozen=True)
class Melody:
    """Notes (MIDI numbers) played one per beat on a General MIDI instrument, rendered by fluidsynth."""

    program: int
    notes: tuple[int, ...]
    beat_seconds: float
    level_dbfs: float = MUSIC_RMS_DBFS


@dataclass(frozen=True)
class Recording:
    """A sound file on disk, at ``level_dbfs`` (``None`` keeps its level), cut to ``max_seconds`` when given."""

    path: str
    level_dbfs: float | None = SPEECH_RMS_DBFS
    max_seconds: float | None = None


@dataclass(frozen=True)
class Noise:
    """``seconds`` of white, pink or brown noise from the generator seeded with ``seed``."""

    color: str
    seconds: float
    seed: int


@dataclass(frozen=True)
class Sequence:
    """Clips one after the other with ``gap_seconds`` of silence between them."""

    parts: tuple
    gap_seconds: float = 0.3


@dataclass(frozen=True)
class Mixture:
    """Speech plus noise at ``snr_db``; ``part`` picks the noisy input or the (equally scaled) clean target."""

    clean: object
    noise: object
    snr_db: float
    seed: int
    part: str = "noisy"


@dataclass(frozen=True)
class Overlay:
    """``foreground`` at a random place in a bed of ``background`` at least ``min_seconds`` long (the background
    looped or cut), ``snr_db`` louder than the background (powers measured over the foreground alone)."""

    foreground: object
    background: object
    snr_db: float
    seed: int
    min_seconds: float = 2.0


Source = Speech | Melody | Recording | Noise | Sequence | Mixture | Overlay
SYNTHESIZED = (Speech, Melody)  # made by external programs, in the pool


def cache_name(leaf: Speech | Melody) -> str:
    """File name of a synthesised leaf in the clip cache (stable across processes and runs)."""
    return f"{type(leaf).__name__.lower()}-{stable_hash(repr(leaf)):016x}.wav"


def leaves(source) -> list:
    """The synthesised leaves (``Speech``/``Melody``) a recipe needs, depth first."""
    if isinstance(source, SYNTHESIZED):
        return [source]
    children = {
        Sequence: lambda s: s.parts,
        Mixture: lambda s: (s.clean, s.noise),
        Overlay: lambda s: (s.foreground, s.background),
    }.get(type(source), lambda s: ())(source)
    return [leaf for child in children for leaf in leaves(child)]


def _overlay(source: Overlay, foreground: np.ndarray, background: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(source.seed)
    length = max(foreground.size, int(source.min_seconds * SAMPLING_RATE))
    offset = int(rng.integers(0, length - foreground.size + 1))
    placed = np.zeros(length, dtype=np.float32)
    placed[offset : offset + foreground.size] = foreground
    bed = fit_length(background, length, rng)
    return mix_at_snr(placed, bed, source.snr_db, signal_power_of=foreground)[0]


def render(source, cache_dir: Path) -> np.ndarray:
    """The 16 kHz float32 clip of a recipe (synthesised leaves must already be in ``cache_dir``)."""
    if isinstance(source, SYNTHESIZED):
        path = cache_dir / cache_name(source)
        if not path.exists():
            raise RuntimeError(f"{type(source).__name__} clip missing from {cache_dir}: synthesise leaves first.")
        return read_audio(str(path))
    if isinstance(source, Recording):
        wave = trim_silence(read_audio(source.path))
        if source.max_seconds is not None:
            wave = wave[: int(source.max_seconds * SAMPLING_RATE)]
        return wave if source.level_dbfs is None else set_level(wave, source.level_dbfs)
    if isinstance(source, Noise):
        return coloured_noise(source.color, int(source.seconds * SAMPLING_RATE), np.random.default_rng(source.seed))
    if isinstance(source, Sequence):
        gap = np.zeros(int(source.gap_seconds * SAMPLING_RATE), dtype=np.float32)
        pieces = [piece for part in source.parts for piece in (render(part, cache_dir), gap)][:-1]
        return limit_peak(np.concatenate(pieces))
    if isinstance(source, Mixture):
        clean = render(source.clean, cache_dir)
        noise = fit_length(render(source.noise, cache_dir), clean.size, np.random.default_rng(source.seed))
        noisy, clean = mix_at_snr(clean, noise, source.snr_db)
        return noisy if source.part == "noisy" else clean
    if isinstance(source, Overlay):
        return _overlay(source, render(source.foreground, cache_dir), render(source.background, cache_dir))
    raise TypeError(f"Not an audio recipe: {source!r}")


__all__ = [
    "Melody",
    "Mixture",
    "Noise",
    "Overlay",
    "Recording",
    "Sequence",
    "Source",
    "Speech",
    "cache_name",
    "leaves",
    "render",
]
