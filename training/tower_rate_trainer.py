"""A ``Trainer`` whose optimizer trains the audio tower's unfrozen layers at their own learning rate.

Unfreezing the top layers of a pretrained tower (``model.trainable_tower_layers``) at the LLM's learning rate moves
weights that were already trained; fine-tuning practice gives them a smaller one. ``TowerRateTrainer`` builds
transformers' own optimizer (the same class, betas and weight-decay groups) and moves the tower's trainable
parameters into groups of their own at ``tower_learning_rate``; the scheduler then scales every group alike.
"""

from __future__ import annotations

import torch
from transformers import Trainer

TOWER_PREFIX = "model.audio_tower."


class TowerRateTrainer(Trainer):
    """``Trainer`` with ``tower_learning_rate`` (None: one learning rate for every parameter, as ``Trainer``)."""

    def __init__(self, *args, tower_learning_rate: float | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tower_learning_rate = tower_learning_rate

    def create_optimizer(self, model=None) -> torch.optim.Optimizer:
        fresh = self.optimizer is None
        optimizer = super().create_optimizer(model)
        if fresh and self.tower_learning_rate is not None:
            tower = {id(p) for name, p in (model or self.model).named_parameters() if name.startswith(TOWER_PREFIX)}
            for group in list(optimizer.param_groups):
                ours = [p for p in group["params"] if id(p) in tower]
                if not ours:
                    continue
                group["params"] = [p for p in group["params"] if id(p) not in tower]
                optimizer.add_param_group({**group, "params": ours, "lr": self.tower_learning_rate})
        return optimizer


__all__ = ["TowerRateTrainer"]
