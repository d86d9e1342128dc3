"""LauraGPTProcessor: one call turns (task, audio or text, optional targets) into model inputs.

Row layout, built at the id level (no string templates, so user text can never forge special tokens)::

    [<|audio|> x frames  |  text ids] [conditioning text ids] <|task|> [prompt codec ids] [target ids <eos>]

Loss is only on the target ids and their end token (``labels`` is -100 on everything else). The number of
``<|audio|>`` placeholders comes from the shared length formula (``modeling_lauragpt.audio_lengths``), for the
audio tower the feature extractor belongs to: ``LauraGPTFeatureExtractor`` (Conformer) or
``WhisperFeatureExtractor`` (Whisper).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import torch
from transformers import BatchFeature, ProcessorMixin, WhisperFeatureExtractor
from transformers.processing_utils import ProcessingKwargs, Unpack

from ..audio import to_mono_waveform, unpack_clip
from ..audio_lengths import (
    encoder_num_frames,
    length_mask,
    pooled_num_frames,
    whisper_num_tokens,
    window_seconds,
)
from ..errors import InvalidInputError, ModelLoadError
from ..tasks import (
    AUDIO,
    BUILTIN_TASKS,
    CODEC,
    DEFAULT_TASKS,
    TEXT,
    TRANSLATION_TASKS,
    register_custom_tasks,
    task_spec,
)
from ..vocabulary import AUDIO_TOKEN, CODEC_END_TOKEN, IGNORE_INDEX, VocabularyLayout, codec_token
from .tokenizer_utils import plain_text_ids
from .whisper_features import whisper_features

PROCESSOR_FILES = ("processor_config.json", "preprocessor_config.json", "tokenizer_config.json")  # any one of them
DEFAULT_CODEBOOK_SIZE = 1024  # FunCodec's first group (the paper's codec)
DEFAULT_AUDIO_TASK, DEFAULT_TEXT_TASK = "asr", "tts"  # the task of a row given no task=: reading or speaking


class LauraGPTProcessorKwargs(ProcessingKwargs, total=False):
    """``text_kwargs``: ``padding`` ("longest", or "max_length" with ``max_length``), ``padding_side``;
    ``audio_kwargs``: ``sampling_rate``; ``return_tensors``: "pt" only. Flat keyword arguments are sorted into them."""


class LauraGPTProcessor(ProcessorMixin):
    """Feature extractor + any Hugging Face tokenizer, extended with LauraGPT's codec, audio and task tokens.

    Args:
        feature_extractor: the audio tower's: a ``LauraGPTFeatureExtractor`` (Conformer) or a
            ``WhisperFeatureExtractor`` (Whisper tower).
        tokenizer: any HF tokenizer with an EOS token. If it lacks LauraGPT's tokens they are appended in the
            ``VocabularyLayout`` order, so ``text_vocab_size`` is the tokenizer's size before that.
        codebook_size: first-group codec codes (M); by default the tokenizer's own count when it already holds
            LauraGPT's tokens (a saved processor's tokenizer), else 1024.
        tasks: task names in task-token order (defaults to the eight built-in tasks).
        encoder_input_layer: the audio encoder's input layer (``config.audio_config.input_layer``), which decides
            how many placeholders a clip needs.
        custom_tasks: modalities of tasks outside the built-in eight, as in ``LauraGPTConfig.custom_tasks``
            (``{name: {"input_modality", "output_modality", "description"}}``); every name must be in ``tasks``.
        audio_frame_pooling: tower frames averaged into one placeholder (``config.audio_frame_pooling``).
        audio_window: Whisper only: ``"30s"``, ``"Ns"`` or ``"clip"`` (``config.audio_window``).

    ``LauraGPTProcessor(extractor, tokenizer, **LauraGPTProcessor.config_kwargs(model.config))`` builds the
    processor that fits a model; ``check_model_config(config)`` says what differs.
    """

    valid_processor_kwargs = LauraGPTProcessorKwargs
    text_kwargs: ClassVar[dict] = {"padding": "longest", "return_tensors": "pt"}  # the lowest-priority defaults
    audio_token = AUDIO_TOKEN  # where a prompt's clip goes (processor(text=prompt, audio=clip))

    def __init__(
        self,
        feature_extractor,
        tokenizer,
        codebook_size: int | None = None,
        tasks: Sequence[str] | None = None,
        encoder_input_layer: str = "linear",
        custom_tasks: dict | None = None,
        audio_frame_pooling: int = 1,
        audio_window: str = "30s",
        chat_template=None,
    ):
        codebook_size = codebook_size or _tokenizer_codebook_size(tokenizer) or DEFAULT_CODEBOOK_SIZE
        self.codebook_size = codebook_size
        window_seconds(audio_window)  # a clear error now rather than at the first call
        self.audio_frame_pooling = audio_frame_pooling
        self.audio_window = audio_window
        self.tasks = list(tasks) if tasks is not None else list(DEFAULT_TASKS)
        self.custom_tasks = register_custom_tasks(custom_tasks)
        if not set(self.custom_tasks) <= set(self.tasks):
            raise InvalidInputError(
                f"custom_tasks {sorted(set(self.custom_tasks) - set(self.tasks))} are missing from tasks; append them."
            )
        self.encoder_input_layer = encoder_input_layer
        if tokenizer.eos_token_id is None:
            raise InvalidInputError(
                "The tokenizer has no eos_token; LauraGPT ends text outputs with it. Set tokenizer.eos_token."
            )
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        self.vocabulary = _extend_tokenizer(tokenizer, codebook_size, tuple(self.tasks))
        super().__init__(feature_extractor, tokenizer, chat_template=chat_template)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *args, **kwargs):
        """``ProcessorMixin.from_pretrained``, after checking that a local folder holds processor files: a folder
        without them raises ``ModelLoadError`` naming the fix (transformers' OSError speaks of the Hub)."""
        folder = Path(str(pretrained_model_name_or_path)).expanduser() / (kwargs.get("subfolder") or "")
        if folder.is_dir() and not any((folder / name).is_file() for name in PROCESSOR_FILES):
            raise ModelLoadError(
                f"{folder} has no processor files ({', '.join(PROCESSOR_FILES)}): save the processor beside "
                "the model with processor.save_pretrained(folder), or copy or download the folder again."
            )
        return super().from_pretrained(pretrained_model_name_or_path, *args, **kwargs)

    @staticmethod
    def config_kwargs(config) -> dict:
        """The processor arguments that must agree with a ``LauraGPTConfig`` (vocabulary, tasks, audio lengths)."""
        return {
            "codebook_size": config.codebook_size,
            "tasks": list(config.tasks),
            "custom_tasks": config.custom_tasks,
            "encoder_input_layer": getattr(config.audio_config, "input_layer", "linear"),
            "audio_frame_pooling": config.audio_frame_pooling,
            "audio_window": config.audio_window,
        }

    @property
    def is_whisper(self) -> bool:
        """Whether the feature extractor (and so the audio tower) is Whisper's."""
        return isinstance(self.feature_extractor, WhisperFeatureExtractor)

    @property
    def max_duration_s(self) -> float | None:
        """Longest clip the audio tower accepts, in seconds (Whisper: its 30 s window)."""
        return float(self.feature_extractor.chunk_length) if self.is_whisper else self.feature_extractor.max_duration_s

    def check_model_config(self, config) -> None:
        """Raise a ``ValueError`` listing every way this processor disagrees with the model ``config``: a feature
        extractor of the other tower, other feature sizes, placeholder counts, window or vocabulary."""
        problems = []
        whisper_model = config.audio_tower_type == "whisper"
        if whisper_model != self.is_whisper:
            tower = "a Whisper encoder" if whisper_model else "the Conformer"
            problems.append(
                f"the model's audio tower is {tower} but the feature extractor is {type(self.feature_extractor).__name__}"
            )
        else:
            wanted = config.audio_config.num_mel_bins if whisper_model else config.audio_config.input_size
            if self.feature_extractor.feature_size != wanted:
                problems.append(
                    f"the feature extractor gives {self.feature_extractor.feature_size} features per frame, the tower reads {wanted}"
                )
        expected = self.config_kwargs(config)
        expected.pop("audio_window" if not whisper_model else "encoder_input_layer")  # the other tower's setting
        for name, value in expected.items():
            mine = getattr(self, name)
            mine, value = (list(mine), list(value)) if name == "tasks" else (mine or None, value or None)
            if mine != value:
                problems.append(f"{name}: processor {mine!r}, model {value!r}")
        if problems:
            raise InvalidInputError(
                "The processor does not fit the model: " + "; ".join(problems) + ". Save the processor that was built "
                "for this model next to it (LauraGPTProcessor(extractor, tokenizer, "
                "**LauraGPTProcessor.config_kwargs(model.config)))."
            )

    # ----------------------------------------------------------------------------------------- building inputs
    def __call__(
        self,
        text: str | Sequence[str] | None = None,
        audio=None,
        task: str | Sequence[str] | None = None,
        target_text: str | Sequence[str] | None = None,
        target_codes=None,
        prompt_codes=None,
        language: str | Sequence[str] | None = None,
        audio_frames=None,
        audio_frames_per_token: int | None = None,
        **kwargs: Unpack[LauraGPTProcessorKwargs],
    ) -> BatchFeature:
        """Build model inputs (and labels when targets are given) for one example or a batch.

        Args:
            text: for text-input tasks (tts, mt): a string or one per row. Given together with ``audio``, a *prompt*
                instead (a chat template's output): its special tokens are read, and the ``<|audio|>`` it holds
                becomes that row's clip.
            audio: for audio-input tasks: a clip (1-D array/tensor, a 2-D multichannel array, or a
                ``{"array", "sampling_rate"}`` dict) or a list of clips, one per row.
            task: a task name, or one per row (tasks may be mixed in a batch). Defaults to ``"asr"`` for a row with
                audio and ``"tts"`` for a row with text; a prompt row takes none (its prompt holds the task token),
                and with one, ``[language] <|task|>`` is written after the prompt.
            target_text: training targets of text-output tasks.
            target_codes: training targets of codec-output tasks: first-group codes, shape (frames,) per row.
            prompt_codes: optional codec prefix after the task token of codec-output tasks (a voice prompt for
                zero-shot TTS); never in the loss.
            language: target language for translation tasks (s2tt, mt), e.g. ``"de"``, written before the task token.
            audio_frames: cached audio-tower frames (``model.get_audio_frames``), one ``(frames, hidden)`` tensor per
                audio-input row, in place of ``audio`` (training with a frozen tower).
            audio_frames_per_token: cached frames per ``<|audio|>`` placeholder: None or 1 for pooled frames,
                ``model.cached_frames_pooling`` for tower states under trainable top layers
                (``model.get_frozen_audio_frames``), which the model pools itself.
            **kwargs: ``sampling_rate`` (of plain arrays in ``audio``; dicts carry their own; other rates are
                resampled), ``padding_side`` (``"left"`` for generation, ``"right"`` for training; by default right
                when targets are given, else left), ``padding`` (``"longest"``, or ``"max_length"`` with
                ``max_length``), ``return_tensors`` (``"pt"`` only); flat or as ``text_kwargs`` / ``audio_kwargs``.

        Returns:
            ``BatchFeature`` with ``input_ids`` (batch, seq), ``attention_mask`` (batch, seq), and when any row has
            audio ``input_features`` and ``input_features_mask`` (clips in row order; (clips, frames, 560) for the
            Conformer, (clips, mel_bins, frames) for Whisper), or ``audio_frames`` (clips, frames, hidden) and
            ``audio_frames_mask`` when cached frames were given, and ``labels`` (batch, seq) when targets are given.
        """
        options = self._call_options(kwargs)
        given = {
            "text": (text, _is_str),
            "audio": (audio, _is_single_clip),
            "task": (task, _is_str),
            "target_text": (target_text, _is_str),
            "target_codes": (target_codes, _is_code_sequence),
            "prompt_codes": (prompt_codes, _is_code_sequence),
            "language": (language, _is_str),
            "audio_frames": (audio_frames, _is_frame_matrix),
        }
        if text is None and audio is None and audio_frames is None and task is None:
            raise InvalidInputError("Pass text=..., audio=... (or both: a prompt holding <|audio|> and its clip).")
        batch = max(len(_as_rows(value, name, is_item=is_item)) for name, (value, is_item) in given.items())
        (
            text_rows,
            audio_rows,
            tasks,
            target_text_rows,
            target_code_rows,
            prompt_code_rows,
            language_rows,
            frame_rows,
        ) = (_as_rows(value, name, batch, is_item) for name, (value, is_item) in given.items())
        has_audio = [audio_rows[row] is not None or frame_rows[row] is not None for row in range(batch)]
        prompts = [
            text_rows[row] is not None
            and has_audio[row]
            and (tasks[row] is None or task_spec(tasks[row], self.tasks).input_modality == AUDIO)
            for row in range(batch)
        ]
        specs = [self._row_task(tasks[row], prompts[row], has_audio[row]) for row in range(batch)]

        waveforms, cached, placeholder_counts = [], [], []
        for row, spec in enumerate(specs):
            if spec is not None:
                row_text = None if prompts[row] else text_rows[row]
                _check_row(
                    row,
                    spec,
                    has_audio[row],
                    row_text,
                    target_text_rows[row],
                    target_code_rows[row],
                    prompt_code_rows[row],
                )
                _check_language(row, spec, language_rows[row])
            elif language_rows[row] is not None:
                raise InvalidInputError(
                    f"row {row}: language= needs a task=; a prompt row writes its own language and task tokens."
                )
            if not has_audio[row]:
                continue
            if frame_rows[row] is not None:
                cached.append(torch.as_tensor(frame_rows[row], dtype=torch.float32))
                placeholder_counts.append(pooled_num_frames(cached[-1].shape[0], audio_frames_per_token or 1))
                continue
            wave = self.prepare_waveform(audio_rows[row], options["sampling_rate"], index=row)
            waveforms.append(wave)
            placeholder_counts.append(self.num_audio_tokens(wave.shape[-1]))
            if placeholder_counts[-1] < 1:
                raise InvalidInputError(
                    f"Audio clip {row} lasts {1000 * wave.shape[-1] / self.feature_extractor.sampling_rate:.0f} ms, too "
                    "short to give one audio-tower frame; pad it with silence or drop it."
                )
        if waveforms and cached:
            raise InvalidInputError(
                "Give every audio row either audio or cached audio_frames, not a mix of both in one batch."
            )

        outputs = self.audio_inputs(waveforms) if waveforms else {}
        if cached:
            frames = torch.nn.utils.rnn.pad_sequence(cached, batch_first=True)
            mask = length_mask(torch.tensor([len(c) for c in cached]), frames.shape[1]).long()
            outputs.update(audio_frames=frames, audio_frames_mask=mask)

        has_targets = any(r is not None for r in target_text_rows + target_code_rows)
        rows, label_rows, clip = [], [], 0
        for row, spec in enumerate(specs):
            audio_ids = None
            if has_audio[row]:
                audio_ids = [self.vocabulary.audio_token_id] * placeholder_counts[clip]
                clip += 1
            if prompts[row]:
                prefix = self._prompt_ids(row, text_rows[row], audio_ids)
            else:
                prefix = audio_ids if audio_ids is not None else self._text_ids(text_rows[row])
            if spec is not None:
                if language_rows[row] is not None:
                    prefix += self._text_ids(f"[{language_rows[row]}]")
                prefix.append(self.vocabulary.task_token_ids[spec.name])
                if prompt_code_rows[row] is not None:
                    prefix += self._codec_ids(prompt_code_rows[row])
            target = self._target_ids(spec, target_text_rows[row], target_code_rows[row])
            rows.append(prefix + target)
            label_rows.append([IGNORE_INDEX] * len(prefix) + target)

        side = options["padding_side"] or ("right" if has_targets else "left")
        width = options["max_length"] if options["padding"] == "max_length" else None
        input_ids, attention_mask = _pad(rows, self.tokenizer.pad_token_id, side, width)
        outputs.update(input_ids=input_ids, attention_mask=attention_mask)
        if has_targets:
            outputs["labels"] = _pad(label_rows, IGNORE_INDEX, side, width)[0]
        return BatchFeature(data=outputs, tensor_type="pt")

    def _call_options(self, kwargs: dict) -> dict:
        """The call's options from transformers' kwargs merge (flat, ``text_kwargs``/``audio_kwargs``, tokenizer
        init kwargs, processor defaults), checked."""
        merged = self._merge_kwargs(LauraGPTProcessorKwargs, tokenizer_init_kwargs=self.tokenizer.init_kwargs, **kwargs)
        text_options, audio_options = merged["text_kwargs"], merged["audio_kwargs"]
        for options in (text_options, audio_options):
            if options.get("return_tensors", "pt") != "pt":
                raise InvalidInputError("LauraGPTProcessor returns PyTorch tensors only: use return_tensors='pt'.")
        if text_options.get("truncation") not in (None, False, "do_not_truncate"):
            raise InvalidInputError(
                "LauraGPT rows are not truncated (a cut row loses its task token): shorten the input instead."
            )
        padding = text_options.get("padding", "longest")
        padding = {True: "longest", False: "longest", "do_not_pad": "longest"}.get(padding, padding)
        if padding not in ("longest", "max_length"):
            raise InvalidInputError(f"padding must be 'longest' or 'max_length', got {padding!r}.")
        if padding == "max_length" and not text_options.get("max_length"):
            raise InvalidInputError("padding='max_length' needs max_length=<positions>.")
        # the side is the caller's choice only: a tokenizer's own default (often right) would right-pad prompts
        side = kwargs.get("padding_side") or kwargs.get("text_kwargs", {}).get("padding_side")
        return {
            "sampling_rate": audio_options.get("sampling_rate"),
            "padding_side": side,
            "padding": padding,
            "max_length": text_options.get("max_length"),
        }

    def _row_task(self, task: str | None, prompt: bool, has_audio: bool):
        """The row's task spec: the one given, the default by input (audio: asr, text: tts), or None for a prompt
        row without one (its prompt holds the task token)."""
        if task is not None:
            return task_spec(task, self.tasks)
        if prompt:
            return None
        return task_spec(DEFAULT_AUDIO_TASK if has_audio else DEFAULT_TEXT_TASK, self.tasks)

    def _prompt_ids(self, row: int, prompt: str, audio_ids: list[int]) -> list[int]:
        """A prompt's ids with its special tokens read, and its one ``<|audio|>`` expanded to the clip's placeholders."""
        ids = list(self.tokenizer(prompt, add_special_tokens=False)["input_ids"])
        marks = [i for i, token in enumerate(ids) if token == self.vocabulary.audio_token_id]
        if len(marks) != 1 and prompt.strip() in self.tasks:
            raise InvalidInputError(
                f"row {row}: {prompt.strip()!r} was given as text; the task is a keyword: processor(task={prompt.strip()!r}, audio=...)."
            )
        if len(marks) != 1:
            raise InvalidInputError(
                f"row {row}: the number of {self.audio_token} tokens in the prompts should be the same as the number of "
                f"audio clips (one per row), but this prompt holds {len(marks)}. Write {self.audio_token} once where "
                "the clip goes, or pass task=... without text."
            )
        return ids[: marks[0]] + audio_ids + ids[marks[0] + 1 :]

    def num_audio_tokens(self, num_samples: int) -> int:
        """``<|audio|>`` placeholders for a 16 kHz clip of ``num_samples`` samples (the shared length formula)."""
        if self.is_whisper:
            return int(whisper_num_tokens(num_samples, self.feature_extractor.hop_length, self.audio_frame_pooling))
        frames = encoder_num_frames(self.feature_extractor.num_frames(num_samples), self.encoder_input_layer)
        return int(pooled_num_frames(frames, self.audio_frame_pooling))

    def prepare_waveform(self, clip, sampling_rate: int | None = None, index: int | None = None) -> torch.Tensor:
        """One clip (array, tensor, ``{"array", "sampling_rate"}`` dict or ``datasets`` audio value) as the mono
        float32 waveform at the feature extractor's rate, checked against the tower's longest clip."""
        array, rate = unpack_clip(clip, sampling_rate)
        return to_mono_waveform(array, rate, self.feature_extractor.sampling_rate, self.max_duration_s, index=index)

    def audio_inputs(self, waveforms: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        """The tower's ``input_features`` and ``input_features_mask`` for mono clips at the extractor's rate."""
        if self.is_whisper:
            return whisper_features(self.feature_extractor, waveforms, self.audio_window)
        features = self.feature_extractor(
            waveforms, sampling_rate=self.feature_extractor.sampling_rate, return_tensors="pt"
        )
        return {"input_features": features["input_features"], "input_features_mask": features["input_features_mask"]}

    def frame_major_features(self, batch) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The batch's audio features as ``(clips, frames, feature_size)`` and their mask (the layout the vocoder's
        speech-enhancement condition reads), or None without audio. Whisper's log-mel is transposed and cut to the
        longest clip's speech frames (the silence of its window is not speech to enhance)."""
        if "input_features" not in batch:
            return None
        features, mask = batch["input_features"], batch["input_features_mask"]
        if not self.is_whisper:
            return features, mask
        speech = int(mask.sum(dim=1).max())
        return features[..., :speech].transpose(1, 2), mask[:, :speech]

    def _text_ids(self, text: str) -> list[int]:
        return plain_text_ids(self.tokenizer, text)

    def _codec_ids(self, codes) -> list[int]:
        codes = torch.as_tensor(codes).long().flatten()
        if codes.numel() and (codes.min() < 0 or codes.max() >= self.codebook_size):
            raise InvalidInputError(
                f"Codec codes must lie in [0, {self.codebook_size}); got values from {int(codes.min())} to {int(codes.max())}."
            )
        return (codes + self.vocabulary.codec_token_offset).tolist()

    def _target_ids(self, spec, target_text, target_codes) -> list[int]:
        if spec is None and (target_text is not None or target_codes is not None):
            raise InvalidInputError("Targets need a task=...: a prompt row without one has no task to train.")
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
                text_ids = row[(row >= 0) & (row < self.vocabulary.text_vocab_size)]  # -100 label padding is no token
                results.append(self.tokenizer.decode(text_ids, skip_special_tokens=True))
        return results

    @property
    def model_input_names(self) -> list[str]:
        """What a call with audio returns (cached ``audio_frames``/``audio_frames_mask``, a training shortcut, take
        the place of the features)."""
        return ["input_ids", "attention_mask", "input_features", "input_features_mask"]


# --------------------------------------------------------------------------------------------------- helpers
def _only_special_tokens_after(tokenizer, first_id: int) -> bool:
    """Whether every token from ``first_id`` on is an added special token (``plain_text_ids`` splits those off user
    text, so they never reach the model, whose vocabulary ends before them)."""
    added = tokenizer.added_tokens_decoder
    return all(i in added and added[i].special for i in range(first_id, len(tokenizer)))


def _tokenizer_codebook_size(tokenizer) -> int | None:
    """The codes per group of the LauraGPT tokens a tokenizer already holds (None when it holds none)."""
    vocab = tokenizer.get_vocab()
    if codec_token(0) not in vocab or CODEC_END_TOKEN not in vocab:
        return None
    return vocab[CODEC_END_TOKEN] - vocab[codec_token(0)]


def _extend_tokenizer(tokenizer, codebook_size: int, tasks: tuple[str, ...]) -> VocabularyLayout:
    """Append LauraGPT's tokens to ``tokenizer`` where missing and return the layout, checking every id."""
    first_codec = tokenizer.convert_tokens_to_ids(codec_token(0))
    text_vocab_size = len(tokenizer) if first_codec in (None, tokenizer.unk_token_id) else first_codec
    layout = VocabularyLayout(text_vocab_size, codebook_size, tasks)
    expected = layout.special_tokens()
    missing_from = next((i for i, tok in enumerate(expected) if tok not in tokenizer.get_vocab()), len(expected))
    if _only_special_tokens_after(tokenizer, text_vocab_size + len(expected)) and missing_from == len(expected):
        return layout  # e.g. from_pretrained(..., cls_token=...): split off user text, so never an input id
    if len(tokenizer) != text_vocab_size + missing_from:
        raise InvalidInputError(
            f"The tokenizer holds {len(tokenizer)} tokens, but LauraGPT's tokens should start at id {text_vocab_size} "
            f"with {missing_from} of them present. Tokens were added after the LauraGPT tokens; add new text tokens "
            "before creating the processor, or new tasks through the processor's `tasks`."
        )
    tokenizer.add_tokens(expected[missing_from:], special_tokens=True)
    wrong = [tok for i, tok in enumerate(expected) if tokenizer.convert_tokens_to_ids(tok) != text_vocab_size + i]
    if wrong:
        raise InvalidInputError(
            f"Tokenizer ids of {wrong[:3]} differ from the LauraGPT vocabulary layout; rebuild the tokenizer."
        )
    return layout


def _is_str(value) -> bool:
    return isinstance(value, str)


def _is_single_clip(value) -> bool:
    if isinstance(value, dict) or hasattr(value, "get_all_samples"):
        return True
    if isinstance(value, (list, tuple)):
        return len(value) > 0 and isinstance(value[0], (int, float))
    return hasattr(value, "shape")


def _is_frame_matrix(value) -> bool:
    return hasattr(value, "shape") and len(value.shape) == 2


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
        raise InvalidInputError(
            f"Got {len(rows)} values for `{name}` but other arguments give {batch} rows: pass one value (shared by "
            "every row) or exactly one per row."
        )
    if not rows:
        raise InvalidInputError(f"`{name}` is empty.")
    return rows


def _check_row(row, spec, audio: bool, text, target_text, target_codes, prompt_codes):
    """Raise a clear error when a row's inputs or targets do not fit its task."""
    where = f"row {row} (task {spec.name!r}: {spec.description})"
    if spec.input_modality == AUDIO and not audio:
        raise InvalidInputError(f"{where} needs audio: pass audio=...")
    if spec.input_modality == AUDIO and text is not None:
        raise InvalidInputError(
            f"{where} takes audio, not text. Drop text=..., or use a text-input task such as 'tts' or 'mt'."
        )
    if spec.input_modality == TEXT and (text is None or not text.strip()):
        raise InvalidInputError(f"{where} needs text: pass a non-empty text=...")
    if spec.input_modality == TEXT and audio:
        raise InvalidInputError(
            f"{where} takes text, not audio. Drop audio=..., or use an audio-input task such as 'asr'."
        )
    if spec.output_modality == CODEC and target_text is not None:
        raise InvalidInputError(f"{where} writes codec tokens: give target_codes=, not target_text=.")
    if spec.output_modality == TEXT and (target_codes is not None or prompt_codes is not None):
        raise InvalidInputError(f"{where} writes text: give target_text=, not target_codes= or prompt_codes=.")


def _check_language(row, spec, language) -> None:
    """A target language must be a non-empty tag, and only translation tasks take one: on any other built-in task
    it would change the output."""
    where = f"row {row} (task {spec.name!r}: {spec.description})"
    if language is not None and not language.strip():
        raise InvalidInputError(f"{where}: language is empty; pass a target language such as 'de', or none.")
    if spec.name in BUILTIN_TASKS and spec.name not in TRANSLATION_TASKS and language is not None:
        raise InvalidInputError(f"{where} takes no language= (only {', '.join(TRANSLATION_TASKS)} do); drop it.")


def _pad(rows: list[list[int]], value: int, side: str, width: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad rows to the longest, or to ``width`` when longer (``padding="max_length"``; a longer row is kept whole)."""
    if side not in ("left", "right"):
        raise InvalidInputError(f"padding_side must be 'left' or 'right', got {side!r}.")
    width = max([len(r) for r in rows] + [width or 0])
    ids = torch.full((len(rows), width), value, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        span = slice(width - len(r), width) if side == "left" else slice(0, len(r))
        ids[i, span] = torch.tensor(r, dtype=torch.long)
        mask[i, span] = 1
    return ids, mask


__all__ = ["IGNORE_INDEX", "LauraGPTProcessor"]
