"""Load one split of one task as canonical rows, from the Hub or from a local folder in the same Hub format.

    load_task_dataset("librispeech", split="validation")                 # openslr/librispeech_asr, config clean
    load_task_dataset("/data/librispeech_mirror", adapter="librispeech")  # a local folder in the Hub's layout
    load_task_dataset("/data/demo_corpus", adapter="demo", task="tts")    # our canonical corpora, one config per task

Canonical corpora (``adapter="demo"``, e.g. ``lauragpt build-demo-data``) are folders ``<task>/<split>-*.parquet``
(with or without a ``README.md`` declaring the configs) or Hub datasets with one config per task; their rows are
already canonical and are only cast to 16 kHz audio.
"""

from __future__ import annotations

from pathlib import Path

from datasets import Audio, Dataset, load_dataset

from ....errors import InvalidInputError
from ....tasks import DEFAULT_TASKS
from ..schema import CODES_COLUMN, COLUMNS, SAMPLING_RATE
from .base import ADAPTERS, DatasetAdapter, get_adapter, to_canonical

CANONICAL = "demo"  # adapter name of corpora already in the canonical format


def _task_files(folder: Path, task: str, split: str) -> list[str]:
    return sorted(str(p) for p in (folder / task).glob(f"{split}-*.parquet"))


def is_canonical_folder(path) -> bool:
    """Whether ``path`` is a local folder laid out as ``<task>/<split>-*.parquet`` for at least one known task."""
    folder = Path(str(path))
    return folder.is_dir() and any(
        (folder / task).is_dir() and any((folder / task).glob("*.parquet")) for task in DEFAULT_TASKS
    )


def load_canonical(source, task: str, split: str = "train") -> Dataset:
    """One task split of a canonical corpus: its canonical columns (plus ``target_codes`` when stored), audio at 16 kHz.

    source : a folder ``<task>/<split>-*.parquet`` or anything ``datasets.load_dataset(source, task)`` reads
    """
    folder = Path(str(source))
    files = _task_files(folder, task, split) if folder.is_dir() else []
    if files:
        dataset = load_dataset("parquet", data_files={split: files}, split=split)
    elif folder.is_dir() and not (folder / "README.md").exists():
        raise FileNotFoundError(
            f"No {task}/{split}-*.parquet in {folder}: a canonical corpus has one folder per task "
            "(build one with `lauragpt build-demo-data`), or pass the adapter of the dataset this folder mirrors."
        )
    else:
        dataset = load_dataset(str(source), task, split=split)
    missing = [c for c in COLUMNS if c not in dataset.column_names]
    if missing:
        raise InvalidInputError(
            f"{source} ({task}/{split}) is not canonical: it lacks {missing}. Pass the adapter of its Hub schema "
            f"(one of {sorted(ADAPTERS)}) instead of adapter={CANONICAL!r}."
        )
    keep = [c for c in (*COLUMNS, CODES_COLUMN) if c in dataset.column_names]
    dataset = dataset.select_columns(keep)
    for column in ("audio", "target_audio"):
        dataset = dataset.cast_column(column, Audio(sampling_rate=SAMPLING_RATE))
    return dataset


def resolve_adapter(name_or_path, adapter: str | DatasetAdapter | None = None) -> DatasetAdapter | None:
    """The adapter that reads ``name_or_path`` (``None`` = canonical corpus), given or guessed.

    Guesses: a registered adapter name or Hub id -> that adapter; a local ``<task>/`` parquet folder -> canonical.
    """
    if isinstance(adapter, DatasetAdapter):
        return adapter
    if adapter is not None:
        return None if adapter == CANONICAL else get_adapter(adapter)
    name = str(name_or_path)
    if not Path(name).exists():
        try:
            return get_adapter(name)
        except KeyError:
            pass
    if is_canonical_folder(name):
        return None
    raise InvalidInputError(
        f"Cannot tell which adapter reads {name!r}. Pass adapter=<name> (one of {sorted(ADAPTERS)}) for a dataset in "
        f"that Hub schema, or adapter={CANONICAL!r} for a canonical corpus (<task>/<split>-*.parquet)."
    )


def _load_hub_split(source: str, adapter: DatasetAdapter, split: str) -> Dataset:
    hub_split = adapter.hub_split(split)
    try:
        if adapter.config is None:
            return load_dataset(source, split=hub_split)
        return load_dataset(source, adapter.config, split=hub_split)
    except ValueError as error:
        raise InvalidInputError(
            f"Could not load config {adapter.config!r}, split {hub_split!r} of {source!r} with adapter {adapter.name!r}: "
            f"{error}. Pass config=... and a split this dataset has (canonical {split!r} maps to {hub_split!r})."
        ) from error


def load_task_dataset(
    name_or_path,
    adapter: str | DatasetAdapter | None = None,
    split: str = "train",
    task: str | None = None,
    config: str | None = None,
    columns: dict | None = None,
    options: dict | None = None,
    max_examples: int | None = None,
    num_proc: int | None = None,
) -> Dataset:
    """One split of one task as canonical rows (``training.data.schema``), audio decoded lazily at 16 kHz.

    Args:
        name_or_path: a registered adapter name (``"librispeech"``: its Hub id is loaded), a Hub dataset id, or a
            local folder in that dataset's Hub format (parquet + ``README.md`` configs) or in the canonical format.
        adapter: the adapter's name or a ``DatasetAdapter``; ``"demo"`` for canonical corpora; guessed if ``None``.
        split: canonical split (``train``, ``validation``, ``test``; mapped to the Hub's names) or a Hub split.
        task: required for canonical corpora (their config); checked against the adapter's task otherwise.
        config, columns, options: per-call overrides of the adapter (``DatasetAdapter.with_options``).
        max_examples: keep only the first rows of the source split (before conversion).
        num_proc: processes for the conversion map.
    """
    resolved = resolve_adapter(name_or_path, adapter)
    if resolved is None:
        if task is None:
            raise InvalidInputError(
                f"A canonical corpus holds one config per task: pass task= (one of {list(DEFAULT_TASKS)})."
            )
        dataset = load_canonical(name_or_path, task, split)
        return dataset.select(range(min(max_examples, len(dataset)))) if max_examples is not None else dataset
    if task is not None and task != resolved.task:
        raise InvalidInputError(
            f"Adapter {resolved.name!r} gives {resolved.task!r} rows, not {task!r}: pick an adapter of task {task!r}."
        )
    resolved = resolved.with_options(config=config, columns=columns, options=options)
    source = str(name_or_path)
    if source == resolved.name and not Path(source).exists():  # an adapter name stands for its Hub dataset
        source = resolved.hub_id
    dataset = _load_hub_split(source, resolved, split)
    if max_examples is not None:
        dataset = dataset.select(range(min(max_examples, len(dataset))))
    return to_canonical(dataset, resolved, split=split, num_proc=num_proc)


__all__ = ["CANONICAL", "is_canonical_folder", "load_canonical", "load_task_dataset", "resolve_adapter"]
