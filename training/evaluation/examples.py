"""Read the evaluation examples of one task from a dataset in the canonical format (``training/data/schema.py``).

Accepted datasets:
- a local folder in the Hub layout ``<data>/<task>/<split>-*.parquet`` (read with the parquet builder, so it works
  with or without a ``README.md`` that declares the configs);
- any name ``datasets.load_dataset(data, task, split=split)`` understands (a Hub id, a folder with configs);
- a ``datasets.Dataset`` with a ``task`` column (the split argument is ignored);
- a mapping (``DatasetDict`` or dict) keyed by split or by task name.

Each row becomes an ``EvalItem`` with decoded 16 kHz mono numpy audio. Captioning corpora that list several
captions of one clip as several rows (Clotho) become one item with all its captions as references.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...errors import InvalidInputError
from ..data.schema import SAMPLING_RATE


@dataclass
class EvalItem:
    """One example to run and score.

    ``input`` is what the pipeline receives: a string (tts, mt) or ``{"array", "sampling_rate"}`` (audio tasks).
    ``references`` holds the reference text(s): one per row, several for a captioned clip. ``text`` is the input
    text (tts) or, for se, the transcript of the clean speech when the corpus has one. ``voice`` is an optional
    prompt clip for tts.
    """

    id: str
    input: object
    references: list[str] = field(default_factory=list)
    target_audio: np.ndarray | None = None
    text: str | None = None
    language: str | None = None
    speaker: str | None = None
    voice: np.ndarray | None = None

    @property
    def input_audio(self) -> np.ndarray | None:
        return self.input["array"] if isinstance(self.input, dict) else None


def _parquet_files(folder: Path, task: str, split: str) -> list[str]:
    return sorted(str(p) for p in (folder / task).glob(f"{split}-*.parquet"))


def _folder_tasks(folder: Path, split: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and _parquet_files(folder, p.name, split))


def check_data_source(data) -> None:
    """Raise a clear ``ValueError`` for a dataset path that does not exist (before a model is loaded for nothing)."""
    if isinstance(data, (str, Path)):
        name = str(data)
        if not Path(name).exists() and (Path(name).is_absolute() or name.startswith((".", "~")) or name.count("/") > 1):
            raise InvalidInputError(
                f"Dataset folder {name!r} not found. Expected <data>/<task>/<split>-*.parquet, or a Hub dataset id."
            )


def dataset_tasks(data, split: str) -> list[str]:
    """The task names for which ``data`` holds examples of ``split``."""
    from datasets import Dataset, get_dataset_config_names

    if isinstance(data, Dataset):
        return sorted(set(data.unique("task")))
    if isinstance(data, Mapping):
        if split in data:
            return dataset_tasks(data[split], split)
        return sorted(data)
    if Path(str(data)).is_dir() and _folder_tasks(Path(str(data)), split):
        return _folder_tasks(Path(str(data)), split)
    return sorted(get_dataset_config_names(str(data)))


def load_task_split(data, task: str, split: str):
    """The ``datasets.Dataset`` of ``task`` examples in ``split`` (rows of other tasks filtered out)."""
    from datasets import Dataset, load_dataset

    if isinstance(data, Mapping):
        if split in data:
            return load_task_split(data[split], task, split)
        if task not in data:
            raise InvalidInputError(f"The dataset mapping has no {task!r} entry; its keys are {sorted(data)}.")
        data = data[task]
    if isinstance(data, Dataset):
        if "task" not in data.column_names:
            return data
        return data.filter(lambda name: name == task, input_columns="task")
    folder = Path(str(data))
    if folder.is_dir():
        files = _parquet_files(folder, task, split)
        if files:
            return load_dataset("parquet", data_files={split: files}, split=split)
    try:
        return load_dataset(str(data), task, split=split)
    except (ValueError, FileNotFoundError) as error:
        raise InvalidInputError(
            f"Could not load the {split!r} split of task {task!r} from {str(data)!r}: {error}. Expected the canonical "
            f"layout <data>/{task}/{split}-*.parquet (see modeling_lauragpt.training.data.schema)."
        ) from None


def decode_audio(value) -> np.ndarray | None:
    """A ``datasets`` audio value (torchcodec decoder or ``{"array", "sampling_rate"}``) as mono float32 at 16 kHz."""
    if value is None:
        return None
    from ...audio import to_mono_waveform, unpack_clip

    array, rate = unpack_clip(value, SAMPLING_RATE)
    return to_mono_waveform(array, rate, SAMPLING_RATE, max_duration_s=None).numpy()


def _audio_key(array: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(array).tobytes()).hexdigest()


def _item(task: str, row: dict, audio_input: bool) -> EvalItem:
    audio = decode_audio(row.get("audio")) if audio_input else None
    if audio_input and audio is None:
        raise InvalidInputError(f"Example {row.get('id')!r} of task {task!r} has no input audio in its 'audio' column.")
    if not audio_input and not row.get("text"):
        raise InvalidInputError(f"Example {row.get('id')!r} of task {task!r} has no input text in its 'text' column.")
    return EvalItem(
        id=str(row.get("id")),
        input={"array": audio, "sampling_rate": SAMPLING_RATE} if audio_input else row["text"],
        references=[row["target_text"]] if row.get("target_text") is not None else [],
        target_audio=decode_audio(row.get("target_audio")),
        text=row.get("text"),
        language=row.get("language"),
        speaker=row.get("speaker"),
    )


def load_items(data, task: str, split: str, audio_input: bool, max_examples: int | None = None) -> list[EvalItem]:
    """The first ``max_examples`` examples (all when None) of ``task`` as ``EvalItem``s.

    For ``aac``, rows whose input audio is identical are merged into one item whose references are all their
    captions, in row order; ``max_examples`` then counts clips.
    """
    dataset = load_task_split(data, task, split)
    if len(dataset) == 0:
        raise InvalidInputError(f"Task {task!r} has no examples in split {split!r} of {data!r}.")
    items: list[EvalItem] = []
    by_clip: dict[str, EvalItem] = {}
    for row in dataset:
        if max_examples is not None and len(items) >= max_examples and task != "aac":
            break
        item = _item(task, row, audio_input)
        if task == "aac":
            key = _audio_key(item.input_audio)
            if key in by_clip:
                by_clip[key].references += item.references
                continue
            if max_examples is not None and len(items) >= max_examples:
                continue
            by_clip[key] = item
        items.append(item)
    return items


def assign_same_speaker_prompts(items: list[EvalItem]) -> int:
    """Zero-shot TTS protocol: prompt each item with the reference speech of another item of the same speaker
    (the next one in order, cyclically). Returns how many items got a prompt; the rest stay unprompted."""
    by_speaker: dict[str, list[EvalItem]] = {}
    for item in items:
        if item.speaker is not None and item.target_audio is not None:
            by_speaker.setdefault(item.speaker, []).append(item)
    prompted = 0
    for group in by_speaker.values():
        if len(group) < 2:
            continue
        for i, item in enumerate(group):
            item.voice = group[(i + 1) % len(group)].target_audio
            prompted += 1
    return prompted


__all__ = [
    "EvalItem",
    "assign_same_speaker_prompts",
    "check_data_source",
    "dataset_tasks",
    "decode_audio",
    "load_items",
    "load_task_split",
]
