"""Canonical rows (``training.data.schema``) -> a LauraGPT training batch, built by the processor.

The processor decides the whole sequence (``[input] [language] <|task|> [outputs] <eos>``) and puts ``-100`` on
everything but the outputs, so the collator only picks each row's columns by its task.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..errors import InvalidInputError
from ..processing.processing_lauragpt import LauraGPTProcessor
from ..tasks import AUDIO, CODEC, task_spec
from ..vocabulary import IGNORE_INDEX
from .data.audio_frames import AUDIO_FRAMES_COLUMN
from .data.schema import CODES_COLUMN


@dataclass
class LauraGPTCollator:
    """Rows -> ``LauraGPTForConditionalGeneration.forward`` keyword arguments with ``labels``.

    Args:
        processor: the model's ``LauraGPTProcessor``.
        padding_side: ``"right"`` for training (labels follow the inputs).
        output_logits_only: also give ``logits_to_keep``, a (batch, sequence) mask of the positions that predict
            an output token in each row, so the model computes its output matrix there only (the loss and gradients
            are the same; the matrix is a large share of a step, and rows of one batch put their outputs at
            different positions: on the default recipe's mixture, a union of positions over the rows computed 2.7x
            the logits). Only for the model's own token-mean loss: a ``compute_loss_func`` would receive the logits
            of the kept positions only.
        audio_frames_per_token: cached frames per ``<|audio|>`` placeholder: ``model.cached_frames_pooling`` (tower
            states under trainable top layers are pooled by the model in each step; 1 for pooled frames).

    Rows are canonical examples: ``audio`` values may be ``{"array", "sampling_rate"}`` dicts, 1-D arrays at
    16 kHz, or ``datasets`` audio decoders; codec-output rows need ``target_codes`` (all groups or the first group).
    Rows with cached tower frames (``audio_frames``, from ``training.data.audio_frames.add_audio_frames``) give
    those instead of their audio, and the tower does not run.
    """

    processor: LauraGPTProcessor
    padding_side: str = "right"
    output_logits_only: bool = False
    audio_frames_per_token: int = 1

    def __call__(self, rows: list[dict]) -> dict[str, torch.Tensor]:
        """
        rows : list of canonical example dicts (mixed tasks allowed)
        returns : input_ids, attention_mask, labels (batch, seq); input_features and input_features_mask when any
            row has audio input (or audio_frames and audio_frames_mask when the rows carry cached frames);
            with ``output_logits_only``, logits_to_keep (batch, seq) bool
        """
        tasks, audio, frames, text, target_text, target_codes, language = [], [], [], [], [], [], []
        for index, row in enumerate(rows):
            spec = task_spec(row["task"], self.processor.tasks)
            tasks.append(spec.name)
            cached = row.get(AUDIO_FRAMES_COLUMN) if spec.input_modality == AUDIO else None
            frames.append(None if cached is None else torch.as_tensor(cached, dtype=torch.float32))
            audio.append(row.get("audio") if spec.input_modality == AUDIO and cached is None else None)
            text.append(row.get("text") if spec.input_modality != AUDIO else None)
            language.append(row.get("language") or None)
            if spec.output_modality == CODEC:
                codes = row.get(CODES_COLUMN)
                if codes is None:
                    raise InvalidInputError(
                        f"Row {index} ({row.get('id')!r}, task {spec.name!r}) has no {CODES_COLUMN!r}: audio-output rows "
                        "need codec targets. Add them with training.data.codec_targets.add_target_codes(dataset, codec)."
                    )
                codes = torch.as_tensor(codes, dtype=torch.long)
                target_codes.append(codes[0] if codes.dim() == 2 else codes)
                target_text.append(None)
            else:
                target_codes.append(None)
                target_text.append(row.get("target_text"))
        batch = dict(
            self.processor(
                task=tasks,
                audio=audio,
                text=text,
                target_text=target_text,
                target_codes=target_codes,
                language=language,
                padding_side=self.padding_side,
                audio_frames=frames,
                audio_frames_per_token=self.audio_frames_per_token,
            )
        )
        if self.output_logits_only:
            batch["logits_to_keep"] = output_mask(batch["labels"])
        return batch


def output_mask(labels: torch.Tensor) -> torch.Tensor:
    """Where a position predicts an output token: position t of a row predicts ``labels[row, t + 1]``.

    labels : torch.LongTensor, shape = (batch, sequence)  -100 off the outputs
    returns : torch.BoolTensor, shape = (batch, sequence)  the model's ``logits_to_keep``; False on each row's
        prompt, padding and last position, so rows of different tasks compute logits only at their own outputs
    """
    predicts = labels[:, 1:] != IGNORE_INDEX
    return torch.cat([predicts, predicts.new_zeros(labels.shape[0], 1)], dim=1)


__all__ = ["LauraGPTCollator", "output_mask"]
