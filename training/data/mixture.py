"""The multi-task mixture: per-task splits -> one training set, drawn by task weight, with a length column.

    train = mix_tasks({"asr": asr, "tts": tts_with_codes}, weights={"asr": 2, "tts": 1}, seed=0)
    train = add_length_column(train, processor)    # for train_sampling_strategy="group_by_length"

``mix_tasks`` is ``datasets.interleave_datasets`` with the weights normalised into probabilities; the result is a
map-style ``Dataset`` (an index mapping over the task splits), so the Trainer's samplers, ``group_by_length``
and distributed sharding all apply to it.
"""

from __future__ import annotations

from collections.abc import Mapping

from datasets import Dataset, Value, interleave_datasets

from ...errors import InvalidInputError
from ...processing.processing_lauragpt import LauraGPTProcessor
from ...tasks import AUDIO, task_spec
from .audio_frames import AUDIO_FRAMES_COLUMN, FRAMES_FEATURE
from .codec_targets import with_codes_column
from .schema import CODES_COLUMN, SAMPLING_RATE, example_features

LENGTH_COLUMN = "length"  # TrainingArguments.length_column_name's default
STOPPING_STRATEGIES = ("first_exhausted", "all_exhausted", "all_exhausted_without_replacement")


def task_probabilities(sizes: Mapping[str, int], weights: Mapping[str, float] | None = None) -> dict[str, float]:
    """Sampling probability per task: ``weights`` normalised to sum 1 (default: proportional to ``sizes``).

    sizes : rows per task; weights : non-negative weight per task (every task in ``sizes`` must have one)
    """
    if weights is None:
        weights = {task: float(size) for task, size in sizes.items()}
    unknown, missing = sorted(set(weights) - set(sizes)), sorted(set(sizes) - set(weights))
    if unknown or missing:
        raise InvalidInputError(
            f"Task weights must name exactly the mixed tasks {sorted(sizes)}; extra {unknown}, missing {missing}."
        )
    if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        raise InvalidInputError(f"Task weights must be >= 0 and not all 0; got {dict(weights)}.")
    total = float(sum(weights.values()))
    return {task: weights[task] / total for task in sizes}


def _aligned(dataset: Dataset, with_length: bool, with_frames: bool) -> Dataset:
    """Cast a canonical split to the shared features (codes column always, length column when mixing lengths,
    cached tower frames when every split has them)."""
    dataset = with_codes_column(dataset)
    features = example_features(with_codes=True)
    if with_length:
        features[LENGTH_COLUMN] = Value("int32")
    if with_frames:
        features[AUDIO_FRAMES_COLUMN] = FRAMES_FEATURE
    extra = [c for c in dataset.column_names if c not in features]
    return dataset.remove_columns(extra).cast(features)


def mix_tasks(
    datasets: Mapping[str, Dataset],
    weights: Mapping[str, float] | None = None,
    seed: int = 0,
    stopping_strategy: str = "all_exhausted",
) -> Dataset:
    """Interleave per-task canonical splits so that each row comes from task ``t`` with probability ``p_t``.

    Args:
        datasets: task name -> canonical split (tts/se with ``target_codes``); empty splits are refused.
        weights: task -> weight (normalised; default: proportional to the split sizes, i.e. plain concatenation
            odds). A weight of 0 leaves the task out.
        seed: seed of the task draws (same seed, same mixture).
        stopping_strategy: ``"all_exhausted"`` (default: small tasks are repeated until every row of every task was
            drawn once), ``"first_exhausted"`` (stop when the first task runs out) or
            ``"all_exhausted_without_replacement"`` (every row exactly once).

    Returns:
        a ``Dataset`` with ``example_features(with_codes=True)`` (+ ``length`` and ``audio_frames`` when every
        split has them).
    """
    if stopping_strategy not in STOPPING_STRATEGIES:
        raise InvalidInputError(f"stopping_strategy must be one of {STOPPING_STRATEGIES}; got {stopping_strategy!r}.")
    empty = [task for task, rows in datasets.items() if len(rows) == 0]
    if empty or not datasets:
        raise InvalidInputError(
            f"Nothing to mix: tasks {empty or 'all'} have no rows. Check their data source and split."
        )
    probabilities = task_probabilities({task: len(rows) for task, rows in datasets.items()}, weights)
    tasks = [task for task, p in probabilities.items() if p > 0]
    with_length = all(LENGTH_COLUMN in datasets[task].column_names for task in tasks)
    with_frames = all(AUDIO_FRAMES_COLUMN in datasets[task].column_names for task in tasks)
    parts = [_aligned(datasets[task], with_length, with_frames) for task in tasks]
    total = sum(probabilities[task] for task in tasks)
    return interleave_datasets(
        parts, probabilities=[probabilities[t] / total for t in tasks], seed=seed, stopping_strategy=stopping_strategy
    )


def _text_tokens(processor: LauraGPTProcessor, text: str) -> int:
    return len(processor.tokenizer(text, add_special_tokens=False, split_special_tokens=True)["input_ids"])


def example_length(row: dict, processor: LauraGPTProcessor) -> int:
    """Tokens of ``row``'s training sequence: input (audio placeholders or text ids), language tag, task token,
    targets and their end token (what ``processor(...)["input_ids"]`` holds, computed without fbank)."""
    spec = task_spec(row["task"], processor.tasks)
    length = 1  # the task token
    if spec.input_modality == AUDIO:
        audio = row["audio"]
        samples = len(audio["array"]) * SAMPLING_RATE // int(audio["sampling_rate"])
        length += processor.num_audio_tokens(samples)
    else:
        length += _text_tokens(processor, row.get("text") or "")
    if row.get("language"):
        length += _text_tokens(processor, f"[{row['language']}]")
    codes = row.get(CODES_COLUMN)
    if codes is not None:
        length += len(codes[0] if codes and isinstance(codes[0], list) else codes) + 1
    elif row.get("target_text") is not None:
        length += _text_tokens(processor, row["target_text"]) + 1
    return length


def _length_batch(*columns, names: list[str], processor: LauraGPTProcessor) -> dict:
    rows = [dict(zip(names, values)) for values in zip(*columns)]
    return {LENGTH_COLUMN: [example_length(row, processor) for row in rows]}


def add_length_column(dataset: Dataset, processor: LauraGPTProcessor, num_proc: int | None = None) -> Dataset:
    """Add ``length`` (int32 tokens per row, ``example_length``) with a cached ``datasets.map``. Input audio is
    decoded once here (``target_audio`` never). Use it on each task split before ``mix_tasks``."""
    names = [c for c in ("task", "audio", "text", "language", "target_text", CODES_COLUMN) if c in dataset.column_names]
    features = dataset.features.copy()
    features[LENGTH_COLUMN] = Value("int32")
    return dataset.map(
        _length_batch,
        input_columns=names,
        batched=True,
        features=features,
        num_proc=num_proc,
        fn_kwargs={"names": names, "processor": processor},
        desc="sequence lengths",
    )


def drop_overlong_rows(
    dataset: Dataset, processor: LauraGPTProcessor, limit: int, name: str, num_proc: int | None = None
) -> Dataset:
    """The rows of ``dataset`` whose training sequence fits ``limit`` positions (the LLM's position table): a longer
    one would index past it. Prints how many were dropped, by task; uses the ``length`` column (added if absent).

    dataset : one task split or a mixture (rows with ``task``); name : what it is, for the message"""
    if LENGTH_COLUMN not in dataset.column_names:
        dataset = add_length_column(dataset, processor, num_proc=num_proc)
    lengths = dataset[LENGTH_COLUMN]
    too_long = [i for i, length in enumerate(lengths) if length > limit]
    if not too_long:
        return dataset
    tasks = dataset.select(too_long)["task"]
    counts = {task: tasks.count(task) for task in sorted(set(tasks))}
    print(
        f"[data] {name}: {len(too_long)} of {len(lengths)} rows are longer than the LLM's {limit} positions "
        f"(longest {max(lengths)} tokens) and are left out: {counts}"
    )
    return dataset.filter(lambda length: length <= limit, input_columns=[LENGTH_COLUMN], desc="row lengths")


__all__ = [
    "LENGTH_COLUMN",
    "STOPPING_STRATEGIES",
    "add_length_column",
    "drop_overlong_rows",
    "example_length",
    "mix_tasks",
    "task_probabilities",
]
