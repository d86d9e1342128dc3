"""Decoding rules: each task writes only in its own output vocabulary.

Text-output tasks (asr, s2tt, aac, ser, slu, mt) may emit text ids only (their end is the tokenizer's EOS);
codec-output tasks (tts, se) may emit first-group codec ids and ``<|codec_end|>`` only. The task of each row is
read from its prompt (the last task token in the row), so one batch may mix tasks.
"""

from __future__ import annotations

import torch
from transformers import LogitsProcessor

from .tasks import CODEC, task_spec
from .vocabulary import VocabularyLayout


class TaskVocabularyLogitsProcessor(LogitsProcessor):
    """Mask the scores of every id outside the output vocabulary of the row's task.

    Args:
        vocabulary: the model's token layout (``config.vocabulary``).

    Rows whose prompt holds no task token are left unrestricted; so is generation from ``inputs_embeds`` alone,
    where ``generate`` sees no prompt ids to read a task from (pass ``input_ids`` as well to keep the rule).
    """

    def __init__(self, vocabulary: VocabularyLayout):
        self.vocabulary = vocabulary
        task_ids = vocabulary.task_token_ids
        self._task_ids = torch.tensor(list(task_ids.values()))
        self._codec_task_ids = torch.tensor(
            [i for name, i in task_ids.items() if task_spec(name, vocabulary.tasks).output_modality == CODEC] or [-1]
        )

    def allowed_ids_masks(self, vocab_size: int, device) -> tuple[torch.Tensor, torch.Tensor]:
        """Boolean masks over ``vocab_size`` ids: (text-output allowed, codec-output allowed)."""
        ids = torch.arange(vocab_size, device=device)
        text = ids < self.vocabulary.text_vocab_size
        codec = self.vocabulary.is_codec_id(ids) | (ids == self.vocabulary.codec_end_token_id)
        return text, codec

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        """
        input_ids : torch.LongTensor, shape = (batch, sequence)  prompt + tokens generated so far
        scores : torch.FloatTensor, shape = (batch, vocab)  next-token scores
        returns : the same scores with disallowed ids set to -inf
        """
        if input_ids.shape[1] == 0:  # generate(inputs_embeds=...) without ids: no prompt to read a task from
            return scores
        task_ids = self._task_ids.to(input_ids.device)
        is_task = torch.isin(input_ids, task_ids)
        has_task = is_task.any(dim=1)
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        last_task_position = torch.where(is_task, positions, -1).max(dim=1).values.clamp(min=0)
        row_task = input_ids.gather(1, last_task_position[:, None]).squeeze(1)
        codec_rows = torch.isin(row_task, self._codec_task_ids.to(input_ids.device))

        text_allowed, codec_allowed = self.allowed_ids_masks(scores.shape[-1], scores.device)
        allowed = torch.where(codec_rows[:, None], codec_allowed, text_allowed)
        allowed = allowed | ~has_task[:, None]
        return scores.masked_fill(~allowed, -float("inf"))


__all__ = ["TaskVocabularyLogitsProcessor"]
