"""Learning curves of a training run (matplotlib, Agg backend: no display needed).

``plot_training_curves(trainer_state, path)``: the training loss and every evaluation loss (``eval_loss``,
``eval_<task>_loss`` as ``Trainer`` logs them with one eval set per task) against the step, from the
``log_history`` of a ``trainer_state.json``. The spectrograms of an evaluation run are drawn by
``modeling_lauragpt.figures``, which ``lauragpt demo`` and the web demo use too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ...errors import InvalidInputError
from ...figures import pyplot, save_figure

EVAL_LOSS_KEY = re.compile(r"^eval_(?:(?P<name>.+)_)?loss$")


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
        raise InvalidInputError(
            f"{trainer_state!s:.80}: its log_history has no 'loss' or 'eval_*loss' entries to plot."
        )
    plt = pyplot()
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
    return save_figure(fig, path, dpi=100)


__all__ = ["loss_curves", "plot_training_curves"]
