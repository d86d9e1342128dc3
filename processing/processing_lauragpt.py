"""LauraGPTProcessor: one call turns (task, audio or text, optional targets) into model inputs.

Row layout, built at the id level (no string templates, so user text can never forge special tokens)::

    [<|audio|> x frames  |  text ids] [conditioning text ids] <|task|> [prompt codec ids] [target ids <eos>]

Loss is only on the target ids and their end token (``labels`` is -100 on everything else). The number of
``<|audio|>`` placeholders comes from the shared length formula (``modeling_lauragpt.audio_lengths``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from transformers import BatchFeature, ProcessorMixin

from ..audio_lengths import encoder_num_frames
from ..tasks import AUDIO, CODEC, DEFAULT_TASKS, TEXT, register_custom_tasks, task_spec
from ..vocabulary import VocabularyLayout, codec_token
from .audio_inputs import to_mono_waveform, unpack_clip

IGNORE_INDEX = -100


class LauraGPTProcessor(ProcessorMixin):
    """Feature extractor + any Hugging Face tokenizer, extended with LauraGPT's codec, audio and task tokens.

    Args:
        feature_extractor: a ``LauraGPTFeatureExtractor``.
        tokenizer: any HF tokenizer with an EOS token. If it lacks LauraGPT's tokens they are appended in the
            ``VocabularyLayout`` order, so ``text_vocab_size`` is the tokenizer's size before that.
        codebook_size: first-group codec codes (M).
        tasks: task names in task-token order (defaults to the eight built-in tasks).
        encoder_input_layer: the audio encoder's input layer (``config.audio_config.input_layer``), which decides
            how many placeholders a clip needs.
        custom_tasks: modalities of tasks outside the built-in eight, as in ``LauraGPTConfig.custom_tasks``
            (``{name: {"input_modality", "output_modality", "description"}}``); every name must be in ``tasks``.
    """

    def __init__(
        self,
        feature_extractor,
        tokenizer,
        codebook_size: int = 1024,
        tasks: Sequence[str] | None = None,
        encoder_input_layer: str = "linear",
        custom_tasks: dict | None = None,
        chat_template=None,
    ):
        self.codebook_size = codebook_size
        self.tasks = list(tasks) if tasks is not None else list(DEFAULT_TASKS)
        self.custom_tasks = register_custom_tasks(custom_tasks)
        if not set(self.custom_tasks) <= set(self.tasks):
            raise ValueError(f"custom_tasks {sorted(set(self.custom_tasks) - set(self.tasks))} are missing from tasks; append them.")
        self.encoder_input_layer = encoder_input_layer
        if tokenizer.eos_token_id is None:
            raise ValueError("The tokenizer has no eos_token; LauraGPT ends text outputs with it. Set tokenizer.eos_token.")
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        self.vocabulary = _extend_tokenizer(tokenizer, codebook_size, tuple(self.tasks))
        super().__init__(feature_extractor, tokenizer, chat_template=chat_template)

    # ----------------------------------------------------------------------------------------- building inputs
    def __call__(
        self,
        task: str | Sequence[str],
        audio=None,
        text: str | Sequence[str] | None = None,
        *,
        target_text: str | Sequence[str] | None = None,
        target_codes=None,
        prompt_codes=None,
        language: str | Sequence[str] | None = None,
        sampling_rate: int | None = None,
        padding_side: str | None = None,
        return_tensors: str = "pt",
    ) -> BatchFeature:
        """Build model inputs (and labels when targets are given) for one example or a batch.

        Args:
            task: a task name, or one per row (tasks may be mixed in a batch).
            audio: for audio-input tasks: a clip (1-D array/tensor, a 2-D multichannel array, or a
                ``{"array", "sampling_rate"}`` dict) or a list of clips, one per row.
            text: for text-input tasks (tts, mt): a string or one per row.
            target_text: training targets of text-output tasks.
            target_codes: training targets of codec-output tasks: first-group codes, shape (frames,) per row.
            prompt_codes: optional codec prefix after the task token of codec-output tasks (a voice prompt for
                zero-shot TTS); never in the loss.
            language: target language for translation tasks (s2tt, mt), e.g. ``"de"``, written before the task token.
            sampling_rate: rate of plain arrays in ``audio`` (dicts carry their own); other rates are resampled.
            padding_side: ``"left"`` for generation, ``"right"`` for training; defaults to right when targets are
                given, else left.

        Returns:
            ``BatchFeature`` with ``input_ids`` (batch, seq), ``attention_mask`` (batch, seq), and when any row has
            audio ``input_features`` (clips, frames, 560) and ``input_features_mask`` (clips, frames) (clips in row
            order), and ``labels`` (batch, seq) when targets are given.
        """
        if return_tensors != "pt":
            raise ValueError("LauraGPTProcessor returns PyTorch tensors only: use return_tensors='pt'.")
        given = {
            "task": (task, _is_str),
            "audio": (audio, _is_single_clip),
            "text": (text, _is_str),
            "target_text": (target_text, _is_str),
            "target_codes": (target_codes, _is_code_sequence),
            "prompt_codes": (prompt_codes, _is_code_sequence),
            "language": (language, _is_str),
        }
        batch = max(len(_as_rows(value, name, is_item=is_item)) for name, (value, is_item) in given.items())
        tasks, audio_rows, text_rows, target_text_rows, target_code_rows, prompt_code_rows, language_rows = (
            _as_rows(value, name, batch, is_item) for name, (value, is_item) in given.items()
        )
        specs = [task_spec(name, self.tasks) for name in tasks]

        waveforms, placeholder_counts = [], []
        for row, spec in enumerate(specs):
            _check_row(row, spec, audio_rows[row], text_rows[row], target_text_rows[row], target_code_rows[row], prompt_code_rows[row])
            if spec.input_modality == AUDIO:
                clip, rate = unpack_clip(audio_rows[row], sampling_rate)
                wave = to_mono_waveform(clip, rate, max_duration_s=self.feature_extractor.max_duration_s, index=row)
                waveforms.append(wave)
                placeholder_counts.append(self.num_audio_tokens(wave.shape[-1]))

        outputs = {}
        if waveforms:
            features = self.feature_extractor(waveforms, sampling_rate=self.feature_extractor.sampling_rate, return_tensors="pt")
            outputs.update(input_features=features["input_features"], input_features_mask=features["input_features_mask"])

        has_targets = any(r is not None for r in target_text_rows + target_code_rows)
        rows, label_rows, clip = [], [], 0
        for row, spec in enumerate(specs):
            if spec.input_modality == AUDIO:
                prefix = [self.vocabulary.audio_token_id] * placeholder_counts[clip]
                clip += 1
            else:
                prefix = self._text_ids(text_rows[row])
            if language_rows[row] is not None:
                prefix += self._text_ids(f"[{language_rows[row]}]")
            prefix.append(self.vocabulary.task_token_ids[spec.name])
            if prompt_code_rows[row] is not None:
                prefix += self._codec_ids(prompt_code_rows[row])
            target = self._target_ids(spec, target_text_rows[row], target_code_rows[row])
            rows.append(prefix + target)
            label_rows.append([IGNORE_INDEX] * len(prefix) + target)

        side = padding_side or ("right" if has_targets else "left")
        input_ids, attention_mask = _pad(rows, self.tokenizer.pad_token_id, side)
        outputs.update(input_ids=input_ids, attention_mask=attention_mask)
        if has_targets:
            outputs["labels"] = _pad(label_rows, IGNORE_INDEX, side)[0]
        return BatchFeature(data=outputs, tensor_type="pt")

    def num_audio_tokens(self, num_samples: int) -> int:
        """``<|audio|>`` placeholders for a 16 kHz clip of ``num_samples`` samples (the shared length formula)."""
        return int(encoder_num_frames(self.feature_extractor.num_frames(num_samples), self.encoder_input_layer))

    def _text_ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False, split_special_tokens=True)["input_ids"])

    def _codec_ids(self, codes) -> list[int]:
        codes = torch.as_tensor(codes).long().flatten()
        if codes.numel() and (codes.min() < 0 or codes.max() >= self.codebook_size):
            raise ValueError(f"Codec codes must lie in [0, {self.codebook_size}); got values from {int(codes.min())} to {int(codes.max())}.")
        return (codes + self.vocabulary.codec_token_offset).tolist()

    def _target_ids(self, spec, target_text, target_codes) -> list[int]:
        if target_text is not None:
            return self._text_ids(target_text) + [self.tokenizer.eos_token_id]
        if target_codes is not None:
            return self._codec_ids(target_codes) + [self.vocabulary.codec_end_token_id]
        return []

    # ----------------------------------------------------------------------------------------- reading outputs
    def decode_outputs(self, generated_ids: torch.Tensor, task: str | Sequence[str]) -> list:
        """Turn generated ids (new tokens only, one row per example) into task outputs.

        generated_ids : torch.LongTensor, shape = (batch, new_tokens)  e.g. ``generate(...)[:, prompt_len:]``
        returns : per row, a string for text-output tasks, or a LongTensor of first-group codes (frames,) for
            codec-output tasks (everything up to ``<|codec_end|>``).
        """
        tasks = _as_rows(task, "task", generated_ids.shape[0])
        results = []
        for row, name in zip(generated_ids, tasks):
            if task_spec(name, self.tasks).output_modality == CODEC:
                end = (row == self.vocabulary.codec_end_token_id).nonzero()
                row = row[: int(end[0])] if len(end) else row
                results.append(row[self.vocabulary.is_codec_id(row)] - self.vocabulary.codec_token_offset)
            else:
                end = (row == self.tokenizer.eos_token_id).nonzero()
                row = row[: int(end[0])] if len(end) else row
                results.append(self.tokenizer.decode(row[row < self.vocabulary.text_vocab_size], skip_special_tokens=True))
        return results

    @property
    def model_input_names(self) -> list[str]:
        return ["input_ids", "attention_mask", "input_features", "input_features_mask"]


# --------------------------------------------------------------------------------------------------- helpers
def _extend_tokenizer(tokenizer, codebook_size: int, tasks: tuple[str, ...]) -> VocabularyLayout:
    """Append LauraGPT's tokens to ``tokenizer`` where missing and return the layout, checking every id."""
    first_codec = tokenizer.convert_tokens_to_ids(codec_token(0))
    text_vocab_size = len(tokenizer) if first_codec in (None, tokenizer.unk_token_id) else first_codec
    layout = VocabularyLayout(text_vocab_size, codebook_size, tasks)
    expected = layout.special_tokens()
    missing_from = next((i for i, tok in enumerate(expected) if tok not in tokenizer.get_vocab()), len(expected))
    if len(tokenizer) != text_vocab_size + missing_from:
        raise ValueError(
            f"The tokenizer holds {len(tokenizer)} tokens, but LauraGPT's tokens should start at id {text_vocab_size} "
            f"with {missing_from} of them present. Tokens were added after the LauraGPT tokens; add new text tokens "
            "before creating the processor, or new tasks through the processor's `tasks`."
        )
    tokenizer.add_tokens(expected[missing_from:], special_tokens=True)
    wrong = [tok for i, tok in enumerate(expected) if tokenizer.convert_tokens_to_ids(tok) != text_vocab_size + i]
    if wrong:
        raise ValueError(f"Tokenizer ids of {wrong[:3]} differ from the LauraGPT vocabulary layout; rebuild the tokenizer.")
    return layout


def _is_str(value) -> bool:
    return isinstance(value, str)


def _is_single_clip(value) -> bool:
    if isinstance(value, dict) or hasattr(value, "get_all_samples"):
        return True
    if isinstance(value, (list, tuple)):
        return len(value) > 0 and isinstance(value[0], (int, float))
    return hasattr(value, "shape")


def _is_code_sequence(value) -> bool:
    if isinstance(value, (list, tuple)):
        return len(value) == 0 or isinstance(value[0], int)
    return hasattr(value, "shape") and len(value.shape) <= 1


def _as_rows(value, name: str, batch: int | None = None, is_item=_is_str) -> list:
    """Broadcast one item to ``batch`` rows, or check a per-row list has ``batch`` entries."""
    if value is None:
        return [None] * (batch or 1)
    rows = [value] if is_item(value) else list(value)
    if batch is not None and len(rows) == 1 and batch > 1:
        rows = rows * batch
    if batch is not None and len(rows) != batch:
        raise ValueError(
            f"Got {len(rows)} values for `{name}` but other arguments give {batch} rows: pass one value (shared by "
            "every row) or exactly one per row."
        )
    if not rows:
        raise ValueError(f"`{name}` is empty.")
    return rows


def _check_row(row, spec, audio, text, target_text, target_codes, prompt_codes):
    """Raise a clear error when a row's inputs or targets do not fit its task."""
    where = f"row {row} (task {spec.name!r}: {spec.description})"
    if spec.input_modality == AUDIO and audio is None:
        raise ValueError(f"{where} needs audio: pass audio=...")
    if spec.input_modality == AUDIO and text is not None:
        raise ValueError(f"{where} takes audio, not text. Drop text=..., or use a text-input task such as 'tts' or 'mt'.")
    if spec.input_modality == TEXT and text is None:
        raise ValueError(f"{where} needs text: pass text=...")
    if spec.input_modality == TEXT and audio is not None:
        raise ValueError(f"{where} takes text, not audio. Drop audio=..., or use an audio-input task such as 'asr'.")
    if spec.output_modality == CODEC and target_text is not None:
        raise ValueError(f"{where} writes codec tokens: give target_codes=, not target_text=.")
    if spec.output_modality == TEXT and (target_codes is not None or prompt_codes is not None):
        raise ValueError(f"{where} writes text: give target_text=, not target_codes= or prompt_codes=.")


def _pad(rows: list[list[int]], value: int, side: str) -> tuple[torch.Tensor, torch.Tensor]:
    if side not in ("left", "right"):
        raise ValueError(f"padding_side must be 'left' or 'right', got {side!r}.")
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), value, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        span = slice(width - len(r), width) if side == "left" else slice(0, len(r))
        ids[i, span] = torch.tensor(r, dtype=torch.long)
        mask[i, span] = 1
    return ids, mask


__all__ = ["LauraGPTProcessor", "IGNORE_INDEX"]
