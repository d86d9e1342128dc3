"""Multi-task mixture (weights -> draw counts), codec targets for audio-output rows, and the length column."""

from __future__ import annotations

from collections import Counter

import pytest
import torch
from datasets import Dataset, load_dataset
from datasets.table import embed_table_storage

from modeling_lauragpt.codec import encode_codes
from modeling_lauragpt.training.data.codec_targets import add_target_codes
from modeling_lauragpt.training.data.mixture import (
    LENGTH_COLUMN,
    add_length_column,
    drop_overlong_rows,
    example_length,
    mix_tasks,
    task_probabilities,
)
from modeling_lauragpt.training.data.schema import (
    CODES_COLUMN,
    example_features,
    make_example,
)

from .helpers import make_audio


def _text_rows(task: str, count: int) -> Dataset:
    rows = [make_example(task, f"{task}/{i}", text=f"sentence {i}", target_text=f"satz {i}") for i in range(count)]
    return Dataset.from_list(rows, features=example_features())


def _clip(seconds: float, seed: int) -> dict:
    return {"array": make_audio(seconds, seed), "sampling_rate": 16000}


def test_draw_counts_follow_the_weights():
    parts = {"mt": _text_rows("mt", 300), "asr": _text_rows("asr", 300), "tts": _text_rows("tts", 300)}
    weights = {"mt": 6, "asr": 3, "tts": 1}
    mixed = mix_tasks(parts, weights, seed=0, stopping_strategy="first_exhausted")
    counts = Counter(mixed["task"])
    assert counts["mt"] == 300  # the heaviest task runs out first
    for task, weight in weights.items():
        assert abs(counts[task] / len(mixed) - weight / 10) < 0.05, counts
    assert mix_tasks(parts, weights, seed=0, stopping_strategy="first_exhausted")["id"] == mixed["id"]
    assert mix_tasks(parts, weights, seed=1, stopping_strategy="first_exhausted")["id"] != mixed["id"]

    every = mix_tasks(parts, weights, seed=0, stopping_strategy="all_exhausted")
    assert set(every["id"]) == {f"{t}/{i}" for t in parts for i in range(300)}  # small tasks repeat, none lost
    counts = Counter(every["task"])
    assert abs(counts["mt"] / counts["tts"] - 6) < 1.0, counts


def test_default_weights_follow_sizes_and_zero_drops_a_task():
    assert task_probabilities({"asr": 30, "mt": 10}) == {"asr": 0.75, "mt": 0.25}
    mixed = mix_tasks({"asr": _text_rows("asr", 20), "mt": _text_rows("mt", 20)}, {"asr": 1, "mt": 0})
    assert set(mixed["task"]) == {"asr"}
    with pytest.raises(ValueError, match="missing"):
        task_probabilities({"asr": 3, "mt": 1}, {"asr": 1})
    with pytest.raises(ValueError, match="not all 0"):
        task_probabilities({"asr": 3}, {"asr": 0})
    with pytest.raises(ValueError, match="no rows"):
        mix_tasks({"asr": _text_rows("asr", 1).select([])})


def test_codec_targets_only_for_audio_output_rows_and_cached(tmp_path, codec):
    rows = [
        make_example("tts", "t0", text="hello world", target_audio=_clip(0.5, 1)),
        make_example("asr", "a0", audio=_clip(0.4, 2), target_text="hello"),
        make_example("se", "s0", audio=_clip(0.3, 3), target_audio=_clip(0.3, 4)),
    ]
    path = tmp_path / "rows.parquet"  # from disk, as the recipe loads it, so datasets caches the map
    Dataset.from_list(rows, features=example_features()).with_format("arrow").map(
        embed_table_storage, batched=True
    ).with_format(None).to_parquet(str(path))
    dataset = load_dataset("parquet", data_files=str(path), split="train", cache_dir=str(tmp_path / "cache"))
    coded = add_target_codes(dataset, codec, batch_size=2)
    assert coded.features[CODES_COLUMN] == example_features(with_codes=True)[CODES_COLUMN]
    assert coded[1][CODES_COLUMN] is None
    expected = encode_codes(
        codec, [dataset[0]["target_audio"], dataset[2]["target_audio"]]
    )  # the stored (16-bit) clips
    for row, codes in zip((0, 2), expected):
        got = torch.tensor(coded[row][CODES_COLUMN])
        assert got.shape == (codec.config.num_quantizers, codes.shape[1]) and torch.equal(got, codes)
    again = add_target_codes(dataset, codec, batch_size=2)
    assert again.cache_files == coded.cache_files  # read back from the datasets cache
    with pytest.raises(ValueError, match="no target_audio"):
        add_target_codes(Dataset.from_list([make_example("tts", "x", text="hi")], features=example_features()), codec)


def test_length_column_matches_the_processor_sequence(processor):
    rows = [
        make_example("asr", "a", audio=_clip(0.7, 5), target_text="hello world", target_codes=None),
        make_example("mt", "m", text="good day", target_text="guten tag", language="de", target_codes=None),
        make_example("tts", "t", text="hello", target_codes=[[3, 4, 5, 6], [1, 1, 1, 1]]),
    ]
    dataset = Dataset.from_list(rows, features=example_features(with_codes=True))
    with_length = add_length_column(dataset, processor)
    for row, length in zip(rows, with_length[LENGTH_COLUMN]):
        codes = row[CODES_COLUMN]
        batch = processor(
            task=row["task"],
            audio=row["audio"],
            text=row["text"],
            target_text=row["target_text"],
            target_codes=None if codes is None else codes[0],
            language=row["language"],
        )
        assert length == batch["input_ids"].shape[1] == example_length(row, processor)
    parts = {"asr": with_length.select([0]), "mt": with_length.select([1]), "tts": with_length.select([2])}
    mixed = mix_tasks(parts, stopping_strategy="all_exhausted_without_replacement")
    assert LENGTH_COLUMN in mixed.column_names and sorted(mixed[LENGTH_COLUMN]) == sorted(with_length[LENGTH_COLUMN])


def test_rows_longer_than_the_llms_positions_are_left_out_and_counted(processor, capsys):
    rows = [
        make_example("mt", f"m{i}", text="word " * (3 + 40 * i), target_text="wort", language="de") for i in range(3)
    ]
    dataset = Dataset.from_list(rows, features=example_features())
    lengths = add_length_column(dataset, processor)[LENGTH_COLUMN]
    limit = lengths[1]  # the first two fit, the third does not
    kept = drop_overlong_rows(dataset, processor, limit, "mt training")
    assert kept["id"] == ["m0", "m1"]
    assert f"1 of 3 rows are longer than the LLM's {limit} positions (longest {lengths[2]} tokens)" in (
        capsys.readouterr().out
    )
    assert drop_overlong_rows(dataset, processor, lengths[2], "mt training")["id"] == ["m0", "m1", "m2"]
