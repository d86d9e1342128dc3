"""Figures that inference and evaluation share (matplotlib, Agg backend: no display needed).

``plot_spectrograms(rows, path)`` draws log-power spectrograms, one row per example: generated audio beside its
references (tts: generated | reference speech; se: enhanced | noisy input | clean). ``lauragpt demo``, the web
demo and ``lauragpt eval`` all use it; the learning curves of a training run are in ``training/evaluation/plots.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .atomic_files import atomic_path
from .audio import SAMPLING_RATE
from .errors import InvalidInputError

STFT_SIZE = 512  # samples: 32 ms at 16 kHz
STFT_HOP = 160  # samples: 10 ms at 16 kHz
FLOOR_DB = -100.0  # power floor of the spectrogram (silence, failed generations)
DYNAMIC_RANGE_DB = 80.0  # shown below each panel's peak


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend (imported on first use: matplotlib is slow to import)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | Path, dpi: int) -> Path:
    """Save ``fig`` to ``path`` atomically (its format from the suffix) and close it."""
    with atomic_path(path) as temporary:
        fig.savefig(temporary, dpi=dpi)
    pyplot().close(fig)
    return Path(path)


def log_spectrogram(audio: np.ndarray) -> np.ndarray:
    """(frequency bins, frames) power in dB of a Hann-window STFT, floored at ``FLOOR_DB``."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    if len(audio) < STFT_SIZE:
        audio = np.pad(audio, (0, STFT_SIZE - len(audio)))
    frames = np.lib.stride_tricks.sliding_window_view(audio, STFT_SIZE)[::STFT_HOP]
    power = np.abs(np.fft.rfft(frames * np.hanning(STFT_SIZE), axis=-1)) ** 2
    return np.maximum(10 * np.log10(power + 1e-12), FLOOR_DB).T


def plot_spectrograms(
    rows: list[list[tuple[str, np.ndarray]]], path: str | Path, sampling_rate: int = SAMPLING_RATE, title: str = ""
) -> Path:
    """A grid of spectrograms: one row per example, one panel per ``(label, waveform)`` of that row.

    Each panel is shown relative to its own peak (0 dB) over ``DYNAMIC_RANGE_DB``, so a quiet reference and a loud
    output are both readable. Writes ``path`` (PNG) and returns it.
    """
    if not rows or not all(rows):
        raise InvalidInputError("plot_spectrograms needs at least one row of (label, waveform) panels")
    plt = pyplot()
    columns = max(len(row) for row in rows)
    fig, axes = plt.subplots(
        len(rows), columns, figsize=(3.6 * columns + 1, 2.3 * len(rows) + 0.6), squeeze=False, layout="constrained"
    )
    image = None
    for r, row in enumerate(rows):
        for c in range(columns):
            ax = axes[r, c]
            if c >= len(row):
                ax.axis("off")
                continue
            label, audio = row[c]
            spectrum = log_spectrogram(audio)
            seconds = max(len(audio), 1) / sampling_rate
            image = ax.imshow(
                spectrum - spectrum.max(),
                origin="lower",
                aspect="auto",
                cmap="magma",
                vmin=-DYNAMIC_RANGE_DB,
                vmax=0,
                extent=(0, seconds, 0, sampling_rate / 2000),
            )
            ax.set_title(label, fontsize=9)
            ax.tick_params(labelsize=7)
            if c == 0:
                ax.set_ylabel("kHz", fontsize=8)
            if r == len(rows) - 1:
                ax.set_xlabel("time (s)", fontsize=8)
    fig.colorbar(image, ax=axes.ravel().tolist(), label="dB re. panel peak", shrink=0.9)
    if title:
        fig.suptitle(title, fontsize=10)
    return save_figure(fig, path, dpi=90)


__all__ = ["log_spectrogram", "plot_spectrograms", "pyplot", "save_figure"]
