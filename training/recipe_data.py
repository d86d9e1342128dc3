"""The recipe's data: per-task train/eval splits through the adapters, codec targets, lengths, the mixture.

Where a task's rows come from (``data.tasks.<task>`` of the recipe config):

1. its own ``source`` (read with its ``adapter``, or the guessed one);
2. else ``data.source`` (``--data``: a canonical corpus holding every task, or a dataset read with ``data.adapter``
   or the task's adapter);
3. else its ``adapter``'s Hub dataset (``paper.yaml``: LibriSpeech for asr, LibriTTS for tts, ...).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from datasets import Dataset

from ..codec import Codec
from ..codec import load_codec as codec_folder
from ..errors import InvalidInputError
from .data.adapters import is_canonical_folder, load_task_dataset
from .data.codec_targets import add_target_codes, needs_codes, with_codes_column
from .data.mixture import add_length_column, mix_tasks


@dataclass
class TaskSplits:
    """Canonical rows per task: ``train`` and ``eval`` map task name -> ``datasets.Dataset``."""

    train: dict[str, Dataset]
    eval: dict[str, Dataset]

    @property
    def codec_tasks(self) -> list[str]:
        return [task for task in self.train if needs_codes(task)]


def task_entries(data_config: dict) -> dict[str, dict]:
    """The tasks to train (entries set to ``null`` are left out), each with its settings."""
    entries = {task: dict(entry or {}) for task, entry in (data_config.get("tasks") or {}).items() if entry is not None}
    if not entries:
        raise InvalidInputError("data.tasks is empty: name at least one task (e.g. --set data.tasks.asr.weight=1).")
    return entries


def _source_and_adapter(task: str, entry: dict, data_config: dict):
    if entry.get("source"):
        return entry["source"], entry.get("adapter")
    if data_config.get("source"):  # a canonical folder is read as such; anything else with the task's adapter
        source = data_config["source"]
        return source, data_config.get("adapter") or (None if is_canonical_folder(source) else entry.get("adapter"))
    if entry.get("adapter"):
        return entry["adapter"], entry["adapter"]
    raise InvalidInputError(
        f"Task {task!r} has no data: pass --data <canonical corpus folder or Hub id>, or set "
        f"data.tasks.{task}.adapter (a Hub dataset adapter) or data.tasks.{task}.source."
    )


def load_split(task: str, entry: dict, data_config: dict, split: str, max_examples: int | None) -> Dataset:
    """One task's canonical rows for ``split`` (a canonical name; the adapter maps it to the Hub's)."""
    source, adapter = _source_and_adapter(task, entry, data_config)
    return load_task_dataset(
        source,
        adapter=adapter,
        split=split,
        task=task,
        config=entry.get("config"),
        columns=entry.get("columns"),
        options=entry.get("options"),
        max_examples=max_examples,
        num_proc=data_config.get("num_proc"),
    )


def load_task_splits(data_config: dict) -> TaskSplits:
    """Train and eval splits of every task of ``data_config`` (eval splits capped at ``max_eval_examples``)."""
    train, evaluation = {}, {}
    for task, entry in task_entries(data_config).items():
        train[task] = load_split(
            task,
            entry,
            data_config,
            entry.get("train_split") or data_config["train_split"],
            data_config.get("max_train_examples"),
        )
        eval_split = entry.get("eval_split") or data_config.get("eval_split")
        if eval_split:
            evaluation[task] = load_split(task, entry, data_config, eval_split, data_config.get("max_eval_examples"))
    return TaskSplits(train, evaluation)


def load_codec(path: str | Path) -> Codec:
    """The frozen codec: an ``EncodecModel`` or ``LauraGPTCPUCodec`` folder, or a ``LauraGPTVocoder`` folder (its
    embedded codec)."""
    config_file = Path(path) / "config.json"
    if not config_file.is_file():
        raise FileNotFoundError(f"codec.path {str(path)!r} has no config.json: pass a codec or LauraGPTVocoder folder.")
    if json.loads(config_file.read_text())["model_type"] == "lauragpt_vocoder":
        from ..modeling_vocoder import LauraGPTVocoder

        codec = LauraGPTVocoder.from_pretrained(str(path)).codec
    else:
        codec = codec_folder(path)  # raises on a folder of another model type
    return codec.eval().requires_grad_(False)


def add_codes(splits: TaskSplits, codec: Codec | None, batch_size: int = 8, num_proc: int | None = None) -> TaskSplits:
    """Codec targets on the tts/se splits (train and eval); every split gets the ``target_codes`` column."""
    if splits.codec_tasks and codec is None:
        raise InvalidInputError(
            f"Tasks {splits.codec_tasks} predict codec tokens: set codec.path (a codec or vocoder folder)."
        )

    def coded(task: str, rows: Dataset) -> Dataset:
        if needs_codes(task):
            return add_target_codes(rows, codec, batch_size=batch_size, num_proc=num_proc)
        return with_codes_column(rows)

    return TaskSplits(
        {t: coded(t, rows) for t, rows in splits.train.items()}, {t: coded(t, rows) for t, rows in splits.eval.items()}
    )


def training_mixture(splits: TaskSplits, data_config: dict, seed: int, processor=None) -> Dataset:
    """The mixed training set (``length`` column added when ``processor`` is given, for group_by_length)."""
    train = splits.train
    if processor is not None:
        train = {
            t: add_length_column(rows, processor, num_proc=data_config.get("num_proc")) for t, rows in train.items()
        }
    weights = {task: float(entry.get("weight", 1.0)) for task, entry in task_entries(data_config).items()}
    return mix_tasks(train, weights, seed=seed, stopping_strategy=data_config["stopping_strategy"])


def training_texts(splits: TaskSplits) -> list[str]:
    """Every input and target text of the training splits (for a tokenizer trained on the data)."""
    texts = []
    for rows in splits.train.values():
        for column in ("text", "target_text"):
            texts += [t for t in rows.select_columns([column])[column] if t]
    return texts


def training_clips(splits: TaskSplits, count: int) -> list:
    """Up to ``count`` input clips spread over the audio-input tasks (for the global CMVN)."""
    from ..tasks import AUDIO, task_spec

    tasks = [t for t in splits.train if task_spec(t, [t]).input_modality == AUDIO]
    clips = []
    for task in tasks:
        rows = splits.train[task]
        share = -(-count // len(tasks))
        clips += [
            value
            for value in rows.select(range(min(share, len(rows)))).select_columns(["audio"])["audio"]
            if value is not None
        ]
    return clips[:count]


__all__ = [
    "TaskSplits",
    "add_codes",
    "load_codec",
    "load_split",
    "load_task_splits",
    "task_entries",
    "training_clips",
    "training_mixture",
    "training_texts",
]
