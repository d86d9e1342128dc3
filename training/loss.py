"""How the training loss weighs the rows of a mixed-task batch (the recipe's ``loss.average``).

``token`` is transformers' causal-LM loss: the mean over every output token of the batch, so a row counts in
proportion to its output length. In a LauraGPT mixture that lets the long codec-token outputs (TTS, SE: about 25
tokens per second of speech) outweigh the short text outputs (an ASR transcript, an SER label) several times over,
whatever the task draw weights say. ``example`` averages each row's tokens first, then the rows: every row counts
the same, and the draw weights set each task's share of the gradient.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..errors import InvalidInputError
from ..vocabulary import IGNORE_INDEX

LOSS_AVERAGES = ("token", "example")


@dataclass
class ExampleMeanLoss:
    """``Trainer(compute_loss_func=...)``: each row's mean cross-entropy over its output tokens, averaged over rows.

    Args:
        gradient_accumulation_steps: micro-batches per optimiser step (a training loss is divided by it, as the
            Trainer expects of a ``compute_loss_func``; training steps are the calls given ``num_items_in_batch``).
        device_scale: what the Trainer multiplies a ``compute_loss_func`` loss by across processes
            (``world_size`` when ``average_tokens_across_devices``, else 1); divided out, since rows are averaged
            per process and the gradients are then averaged across processes.
    """

    gradient_accumulation_steps: int = 1
    device_scale: int = 1

    def __call__(self, outputs, labels: torch.Tensor, num_items_in_batch=None) -> torch.Tensor:
        """
        outputs : the model output; ``logits`` of shape (batch, sequence, vocab)
        labels : torch.LongTensor, shape = (batch, sequence), not shifted, -100 off the outputs
        returns : the scalar loss
        """
        logits = outputs["logits"][:, :-1].float()
        targets = labels[:, 1:].to(logits.device)
        per_token = F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=IGNORE_INDEX, reduction="none")
        counts = (targets != IGNORE_INDEX).sum(dim=1)
        rows = counts > 0
        if not bool(rows.any()):
            return per_token.sum() * 0.0
        loss = (per_token.sum(dim=1)[rows] / counts[rows]).mean()
        if num_items_in_batch is None:  # evaluation: the plain mean
            return loss
        return loss / (self.gradient_accumulation_steps * self.device_scale)


def training_loss(average: str, args) -> ExampleMeanLoss | None:
    """The ``compute_loss_func`` for ``loss.average`` (``None``: the model's own per-token loss)."""
    if average not in LOSS_AVERAGES:
        raise InvalidInputError(f"loss.average is {average!r}; use one of {', '.join(LOSS_AVERAGES)}.")
    if average == "token":
        return None
    device_scale = args.world_size if args.average_tokens_across_devices else 1
    return ExampleMeanLoss(args.gradient_accumulation_steps, device_scale)


__all__ = ["LOSS_AVERAGES", "ExampleMeanLoss", "training_loss"]
