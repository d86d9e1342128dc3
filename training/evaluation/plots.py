"""Figures of an evaluation run (matplotlib, Agg backend: no display needed).

- ``plot_training_curves(trainer_state, path)``: the training loss and every evaluation loss (``eval_loss``,
  ``eval_<task>_loss`` as ``Trainer`` logs them with one eval set per task) against the step, from the
  ``log_history`` of a ``trainer_state.json``.
- ``plot_spectrograms(rows, path)``: log-power spectrograms, one row per example: the generated audio beside its
  references (tts: generated | reference speech; se: enhanced | noisy input | clean).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from ...atomic_files import atomic_path
from ...errors import InvalidInputError

EVAL_LOSS_KEY = re.compile(r"^eval_(?:(?P<name>.+)_)?loss$")
STFT_SIZE = 512  # 32 ms at 16 kHz
STFT_HOP = 160  # 10 ms
FLOOR_DB = -100.0  # power floor of the spectrogram (silence, failed generations)
DYNAMIC_RANGE_DB = 80.0  # shown below each panel's peak


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str | Path, dpi: int) -> Path:
    """Save ``fig`` to ``path`` atomically (its format from the suffix) and close it."""
    with atomic_path(path) as temporary:
        fig.savefig(temporary, dpi=dpi)
    _pyplot().close(fig)
    return Path(path)


def loss_curves(log_history: list[dict]) -> dict[str, tuple[list[int], list[float]]]:
    """``{curve name: (steps, values)}``: ``"train"`` from ``loss`` entries, ``"eval"`` from ``eval_loss`` and
    ``"eval <task>"`` from ``eval_<task>_loss`` entries. The final ``train_loss`` summary is not a curve point."""
    curves: dict[str, tuple[list[int], list[float]]] = {}
    for entry in log_history:
        step = entry.get("step")
        if step is None:
            continue
        for key, value in entry.items():
            if not isinstance(value, (int, float)):
                continue
            match = EVAL_LOSS_KEY.match(key)
            if key == "loss":
                name = "train"
            elif match:
                name = f"eval {match['name']}" if match["name"] else "eval"
            else:
                continue
            steps, values = curves.setdefault(name, ([], []))
            steps.append(int(step))
            values.append(float(value))
    return curves


def plot_training_curves(trainer_state: str | Path | dict, path: str | Path) -> Path:
    """Write the loss curves of a ``trainer_state.json`` (path or loaded dict) to ``path`` (PNG); returns it."""
    state = trainer_state if isinstance(trainer_state, dict) else json.loads(Path(trainer_state).read_text())
    curves = loss_curves(state.get("log_history", []))
    if not curves:
        raise InvalidInputError(f"{trainer_state!s:.80}: its log_history has no 'loss' or 'eval_*loss' entries to plot.")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, (steps, values) in sorted(curves.items()):
        style = "-" if name == "train" else "o-"
        ax.plot(steps, values, style, label=name, linewidth=1.2 if name == "train" else 1.5, markersize=3)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title("training and evaluation losses")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path, dpi=100)


def log_spectrogram(audio: np.ndarray) -> np.ndarray:
    """(frequency bins, frames) power in dB of a Hann-window STFT, floored at ``FLOOR_DB``."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    if len(audio) < STFT_SIZE:
        audio = np.pad(audio, (0, STFT_SIZE - len(audio)))
    frames = np.lib.stride_tricks.sliding_window_view(audio, STFT_SIZE)[::STFT_HOP]
    power = np.abs(np.fft.rfft(frames * np.hanning(STFT_SIZE), axis=-1)) ** 2
    return np.maximum(10 * np.log10(power + 1e-12), FLOOR_DB).T


def plot_spectrograms(rows: list[list[tuple[str, np.ndarray]]], path: str | Path, sampling_rate: int = 16000, title: str = "") -> Path:
    """A grid of spectrograms: one row per example, one panel per ``(label, waveform)`` of that row.

    Each panel is shown relative to its own peak (0 dB) over ``DYNAMIC_RANGE_DB``, so a quiet reference and a loud
    output are both readable. Writes ``path`` (PNG) and returns it.
    """
    if not rows or not all(rows):
        raise InvalidInputError("plot_spectrograms needs at least one row of (label, waveform) panels")
    plt = _pyplot()
    columns = max(len(row) for row in rows)
    fig, axes = plt.subplots(len(rows), columns, figsize=(3.6 * columns + 1, 2.3 * len(rows) + 0.6), squeeze=False,
                             layout="constrained")
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
            image = ax.imshow(spectrum - spectrum.max(), origin="lower", aspect="auto", cmap="magma", vmin=-DYNAMIC_RANGE_DB,
                              vmax=0, extent=(0, seconds, 0, sampling_rate / 2000))
            ax.set_title(label, fontsize=9)
            ax.tick_params(labelsize=7)
            if c == 0:
                ax.set_ylabel("kHz", fontsize=8)
            if r == len(rows) - 1:
                ax.set_xlabel("time (s)", fontsize=8)
    fig.colorbar(image, ax=axes.ravel().tolist(), label="dB re. panel peak", shrink=0.9)
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(fig, path, dpi=90)


__all__ = ["log_spectrogram", "loss_curves", "plot_spectrograms", "plot_training_curves"]
