"""Codec targets: the all-group RVQ codes of ``target_audio`` for the rows of audio-output tasks (tts, se).

    dataset = add_target_codes(dataset, codec)     # datasets.map, cached on disk with the codec's weights

Rows of text-output tasks get ``target_codes = None``, so every task split ends up with the same features and can
be interleaved. The LLM learns the first group; the vocoder uses all of them.
"""

from __future__ import annotations

from datasets import Dataset, List, Value

from ...codec import Codec, add_codec_codes
from ...errors import InvalidInputError
from ...tasks import CODEC, task_spec
from .schema import CODES_COLUMN

CODES_FEATURE = List(List(Value("int32")))


def needs_codes(task: str) -> bool:
    """Whether rows of ``task`` have codec targets (its output modality is ``codec``)."""
    return task_spec(task, [task]).output_modality == CODEC


def _encode_batch(tasks: list, ids: list, target_audio: list, codec: Codec, batch_size: int) -> dict:
    """Batched ``datasets.map`` function over (task, id, target_audio): ``target_codes`` for codec-output rows,
    ``None`` for the others (only ``target_audio`` is decoded, and only where it is needed)."""
    codes = [None] * len(tasks)
    rows = [i for i, task in enumerate(tasks) if needs_codes(task)]
    missing = [ids[i] for i in rows if target_audio[i] is None]
    if missing:
        raise InvalidInputError(
            f"Rows {missing[:5]} of an audio-output task have no target_audio: tts/se rows need their target speech "
            "(the adapter's clean/speech column)."
        )
    if rows:
        encoded = add_codec_codes(
            {"target_audio": [target_audio[i] for i in rows]},
            codec,
            audio_column="target_audio",
            codes_column=CODES_COLUMN,
            batch_size=batch_size,
        )
        for i, value in zip(rows, encoded[CODES_COLUMN]):
            codes[i] = value
    return {CODES_COLUMN: codes}


def add_target_codes(
    dataset: Dataset, codec: Codec, batch_size: int = 8, map_batch_size: int = 64, num_proc: int | None = None
) -> Dataset:
    """Add ``target_codes`` (num_groups x frames ints, ``None`` for text-output rows) with ``datasets.map``.

    dataset : canonical rows (any mix of tasks)
    codec : the frozen codec whose first group the LLM predicts, an ``EncodecModel`` or a ``LauraGPTCPUCodec``
        (16 kHz)
    batch_size : clips per codec call; map_batch_size : rows per map call
    returns : the dataset with a ``target_codes`` column of type ``List(List(int32))``; the map is cached by
        ``datasets`` (fingerprint of the rows and the codec's weights), so a second call reads the cache
    """
    if "task" not in dataset.column_names or "target_audio" not in dataset.column_names:
        raise InvalidInputError(
            f"add_target_codes needs canonical rows (task, target_audio, ...); got columns {dataset.column_names}. "
            "Load them with training.data.adapters.load_task_dataset."
        )
    codec.eval()
    features = dataset.features.copy()
    features[CODES_COLUMN] = CODES_FEATURE
    return dataset.map(
        _encode_batch,
        input_columns=["task", "id", "target_audio"],
        batched=True,
        batch_size=map_batch_size,
        features=features,
        num_proc=num_proc,
        fn_kwargs={"codec": codec, "batch_size": batch_size},
        desc="codec targets",
    )


def with_codes_column(dataset: Dataset) -> Dataset:
    """``dataset`` with a ``target_codes`` column (all ``None`` when it had none), so any two splits interleave."""
    if CODES_COLUMN in dataset.column_names:
        return dataset.cast_column(CODES_COLUMN, CODES_FEATURE)
    return dataset.add_column(CODES_COLUMN, [None] * len(dataset), feature=CODES_FEATURE)


__all__ = ["CODES_FEATURE", "add_target_codes", "needs_codes", "with_codes_column"]
