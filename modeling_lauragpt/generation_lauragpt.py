"""Decoding rules and defaults: each task writes only in its own output vocabulary, and codec-output tasks sample.

Text-output tasks (asr, s2tt, aac, ser, slu, mt) may emit text ids only (their end is the tokenizer's EOS);
codec-output tasks (tts, se) may emit first-group codec ids and ``<|codec_end|>`` only. The task of each row is
read from its prompt (the last task token in the row), so one batch may mix tasks.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from transformers import GenerationConfig, LogitsProcessor

from .errors import InvalidInputError
from .tasks import CODEC, task_spec
from .vocabulary import VocabularyLayout

TEXT_OUTPUT_DEFAULTS = {"do_sample": False, "max_new_tokens": 200}  # text tasks decode greedily
CODEC_OUTPUT_DEFAULTS = {"do_sample": True, "top_k": 25, "max_new_tokens": 750}  # LauraTTS: top-k 25; 30 s at 25 Hz
CODEC_DEFAULTS_FIELD = "codec_output_defaults"  # generation_config attribute: what codec-output batches change


def set_generation_defaults(generation_config: GenerationConfig) -> GenerationConfig:
    """Write LauraGPT's decoding defaults into ``generation_config`` (in place): the text-output ones as its own
    fields, the codec-output ones (TTS, SE) under ``codec_output_defaults``, which ``generate`` applies to a batch
    whose rows all write codec tokens. Returns ``generation_config``."""
    for name, value in TEXT_OUTPUT_DEFAULTS.items():
        setattr(generation_config, name, value)
    setattr(generation_config, CODEC_DEFAULTS_FIELD, dict(CODEC_OUTPUT_DEFAULTS))
    return generation_config


def fill_generation_defaults(generation_config: GenerationConfig) -> GenerationConfig:
    """Give a ``generation_config`` saved before these defaults existed (no ``codec_output_defaults``) the ones it
    lacks: the codec-output defaults, and ``max_new_tokens`` when no length was set. Fields set are kept."""
    if getattr(generation_config, CODEC_DEFAULTS_FIELD, None) is None:
        setattr(generation_config, CODEC_DEFAULTS_FIELD, dict(CODEC_OUTPUT_DEFAULTS))
        if generation_config.max_new_tokens is None and generation_config.max_length == GenerationConfig().max_length:
            generation_config.max_new_tokens = TEXT_OUTPUT_DEFAULTS["max_new_tokens"]
    return generation_config


def codec_output_defaults(generation_config: GenerationConfig) -> dict:
    """What a batch of codec-output rows decodes with unless ``generate`` is told otherwise: the config's
    ``codec_output_defaults``, after ``fill_generation_defaults`` gave an older config its own."""
    return dict(getattr(fill_generation_defaults(generation_config), CODEC_DEFAULTS_FIELD))


def batch_output_ids(input_ids: torch.LongTensor | None, vocabulary: VocabularyLayout) -> range | None:
    """The ids every row of the prompt may write when all rows share one output vocabulary: the text ids when all
    belong to text-output tasks, the codec ids and ``<|codec_end|>`` when all belong to codec-output ones (TTS, SE).
    ``None`` for a mixed batch, a row without a task token, or no prompt ids."""
    if input_ids is None or input_ids.numel() == 0:
        return None
    codec_rows, has_task = TaskVocabularyLogitsProcessor(vocabulary).row_tasks(input_ids)
    if not has_task.all():
        return None
    if codec_rows.all():
        return range(vocabulary.codec_token_offset, vocabulary.codec_end_token_id + 1)
    return range(vocabulary.text_vocab_size) if not codec_rows.any() else None


def restricted_logits(lm_head: nn.Module, hidden_states: torch.Tensor, ids: range | None) -> torch.Tensor:
    """``lm_head(hidden_states)`` with every id outside ``ids`` at -inf, what ``TaskVocabularyLogitsProcessor``
    makes of them, computing only the rows of the output matrix in ``ids`` when the head is a plain ``nn.Linear``
    (a TTS step then reads 1,025 of the default model's 12,733 rows: the output matrix dominates a decoding step).

    hidden_states : torch.Tensor, shape = (batch, positions, hidden)
    ids : a contiguous range of ids (``batch_output_ids``), or ``None`` for all of them
    returns : torch.Tensor, shape = (batch, positions, vocab)
    """
    if ids is None:
        return lm_head(hidden_states)
    if type(lm_head) is not nn.Linear:  # a PEFT-wrapped or quantised head: compute it whole, then mask
        logits = lm_head(hidden_states)
        outside = torch.ones(logits.shape[-1], dtype=torch.bool, device=logits.device)
        outside[ids.start : ids.stop] = False
        return logits.masked_fill(outside, -float("inf"))
    bias = None if lm_head.bias is None else lm_head.bias[ids.start : ids.stop]
    kept = F.linear(hidden_states, lm_head.weight[ids.start : ids.stop], bias)
    logits = kept.new_full((*kept.shape[:-1], lm_head.out_features), -float("inf"))
    logits[..., ids.start : ids.stop] = kept
    return logits


class ChoiceLogitsProcessor(LogitsProcessor):
    """Each row writes one of ``choices`` (id sequences, each ending with its end token): at every step only the
    ids that continue a choice the row has written so far stay allowed. Classification tasks (SER) decode inside
    their label set this way.

    Args:
        choices: token-id sequences, e.g. ``plain_text_ids(tokenizer, label) + [eos]`` per label.
    """

    def __init__(self, choices: list[list[int]]):
        if not choices or not all(choices):
            raise InvalidInputError("ChoiceLogitsProcessor needs at least one non-empty choice.")
        self.choices = [list(choice) for choice in choices]
        self.prompt_length = None

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        """
        input_ids : torch.LongTensor, shape = (batch, sequence)  prompt + tokens generated so far
        scores : torch.FloatTensor, shape = (batch, vocab)
        returns : the scores with every id that leaves all choices set to -inf
        """
        if self.prompt_length is None:  # the first call sees the (left-padded) prompt alone
            self.prompt_length = input_ids.shape[1]
        allowed = torch.zeros_like(scores, dtype=torch.bool)
        for row, written in enumerate(input_ids[:, self.prompt_length :].tolist()):
            step = len(written)
            following = [c[step] for c in self.choices if len(c) > step and c[:step] == written]
            allowed[row, following or [c[-1] for c in self.choices]] = True  # past a whole choice: its end token
        return scores.masked_fill(~allowed, -float("inf"))


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
        self._masks: dict[tuple[int, str], tuple[torch.Tensor, torch.Tensor]] = {}

    def row_tasks(self, input_ids: torch.LongTensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Each row's task, read from its last task token: (writes codec tokens, has a task token), both (batch,)."""
        is_task = torch.isin(input_ids, self._task_ids.to(input_ids.device))
        has_task = is_task.any(dim=1)
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        last_task_position = torch.where(is_task, positions, -1).max(dim=1).values.clamp(min=0)
        row_task = input_ids.gather(1, last_task_position[:, None]).squeeze(1)
        return torch.isin(row_task, self._codec_task_ids.to(input_ids.device)), has_task

    def allowed_ids_masks(self, vocab_size: int, device) -> tuple[torch.Tensor, torch.Tensor]:
        """Boolean masks over ``vocab_size`` ids: (text-output allowed, codec-output allowed); built once per size
        and device, not at every decoding step."""
        key = (vocab_size, str(device))
        if key not in self._masks:
            ids = torch.arange(vocab_size, device=device)
            text = ids < self.vocabulary.text_vocab_size
            codec = self.vocabulary.is_codec_id(ids) | (ids == self.vocabulary.codec_end_token_id)
            self._masks[key] = (text, codec)
        return self._masks[key]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        """
        input_ids : torch.LongTensor, shape = (batch, sequence)  prompt + tokens generated so far
        scores : torch.FloatTensor, shape = (batch, vocab)  next-token scores
        returns : the same scores with disallowed ids set to -inf
        """
        if input_ids.shape[1] == 0:  # generate(inputs_embeds=...) without ids: no prompt to read a task from
            return scores
        codec_rows, has_task = self.row_tasks(input_ids)
        text_allowed, codec_allowed = self.allowed_ids_masks(scores.shape[-1], scores.device)
        allowed = torch.where(codec_rows[:, None], codec_allowed, text_allowed)
        allowed = allowed | ~has_task[:, None]
        return scores.masked_fill(~allowed, -float("inf"))


__all__ = [
    "CODEC_OUTPUT_DEFAULTS",
    "TEXT_OUTPUT_DEFAULTS",
    "ChoiceLogitsProcessor",
    "TaskVocabularyLogitsProcessor",
    "batch_output_ids",
    "codec_output_defaults",
    "fill_generation_defaults",
    "restricted_logits",
    "set_generation_defaults",
]
