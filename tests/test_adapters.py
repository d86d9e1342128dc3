"""Dataset adapters on local folders in each public dataset's exact Hub layout (README configs + parquet, real
column names, audio embedded at the source's own rate): every one must give canonical 16 kHz rows."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf
from datasets import Audio, ClassLabel, Dataset, Features, Value
from datasets.table import embed_table_storage

from modeling_lauragpt.slu_format import parse_slu
from modeling_lauragpt.training.data.adapters import (
    ADAPTERS,
    get_adapter,
    load_task_dataset,
    resolve_adapter,
)
from modeling_lauragpt.training.data.schema import (
    COLUMNS,
    example_features,
    make_example,
)

from .helpers import make_audio, write_hub_folder


def wav_cell(seconds: float, rate: int, seed: int = 0) -> dict:
    """An audio cell as the Hub stores it: encoded bytes + a file name."""
    buffer = io.BytesIO()
    sf.write(buffer, make_audio(seconds, seed, sampling_rate=rate), rate, format="WAV")
    return {"bytes": buffer.getvalue(), "path": f"clip{seed}.wav"}


def _samples(row, column="audio"):
    return len(row[column]["array"]), row[column]["sampling_rate"]


def test_librispeech_rows_are_canonical(tmp_path):
    features = Features(
        {
            "file": Value("string"),
            "audio": Audio(sampling_rate=16000),
            "text": Value("string"),
            "speaker_id": Value("int64"),
            "chapter_id": Value("int64"),
            "id": Value("string"),
        }
    )
    rows = [
        {
            "file": f"{i}.flac",
            "audio": wav_cell(0.5 + 0.1 * i, 16000, i),
            "text": "HELLO WORLD",
            "speaker_id": 19,
            "chapter_id": 198,
            "id": f"19-198-000{i}",
        }
        for i in range(3)
    ]
    folder = write_hub_folder(tmp_path / "ls", {"clean": {"train.100": rows, "validation": rows[:1]}}, features)
    train = load_task_dataset(folder, adapter="librispeech", split="train")
    assert train.features == example_features() and len(train) == 3
    row = train[2]
    assert row["task"] == "asr" and row["id"] == "librispeech/19-198-0002" and row["speaker"] == "19"
    assert row["target_text"] == "HELLO WORLD" and row["text"] is None and row["target_audio"] is None
    assert _samples(row) == (11200, 16000)
    assert len(load_task_dataset(folder, adapter="librispeech", split="validation")) == 1


def test_covost2_and_libritts_resample_and_set_language(tmp_path):
    covost = Features(
        {
            "client_id": Value("string"),
            "file": Value("string"),
            "audio": Audio(sampling_rate=48000),
            "sentence": Value("string"),
            "translation": Value("string"),
            "id": Value("string"),
        }
    )
    rows = [
        {
            "client_id": "abc",
            "file": "a.mp3",
            "audio": wav_cell(0.25, 48000),
            "sentence": "good morning",
            "translation": "guten Morgen",
            "id": "common_voice_en_1",
        }
    ]
    folder = write_hub_folder(tmp_path / "covost", {"en_de": {"validation": rows}}, covost)
    row = load_task_dataset(folder, adapter="covost2", split="validation")[0]
    assert (row["task"], row["language"], row["target_text"], row["speaker"]) == ("s2tt", "de", "guten Morgen", "abc")
    assert _samples(row) == (4000, 16000)

    libritts = Features(
        {
            "audio": Audio(sampling_rate=24000),
            "text_normalized": Value("string"),
            "text_original": Value("string"),
            "speaker_id": Value("string"),
            "path": Value("string"),
            "chapter_id": Value("string"),
            "id": Value("string"),
        }
    )
    rows = [
        {
            "audio": wav_cell(0.5, 24000),
            "text_normalized": "Hello, world.",
            "text_original": "Hello,   world.",
            "speaker_id": "84",
            "path": "84_1.wav",
            "chapter_id": "121123",
            "id": "84_121123_000008_000000",
        }
    ]
    folder = write_hub_folder(tmp_path / "libritts", {"clean": {"dev.clean": rows}}, libritts)
    row = load_task_dataset(folder, adapter="libritts", split="validation")[0]
    assert row["task"] == "tts" and row["text"] == "Hello, world." and row["audio"] is None
    assert _samples(row, "target_audio") == (8000, 16000)


def test_voicebank_pairs_and_aishell_transcripts(tmp_path):
    features = Features(
        {"id": Value("string"), "clean": Audio(sampling_rate=16000), "noisy": Audio(sampling_rate=16000)}
    )
    rows = [{"id": "p226_001", "clean": wav_cell(0.3, 16000, 1), "noisy": wav_cell(0.3, 16000, 2)}]
    folder = write_hub_folder(tmp_path / "vb", {None: {"train": rows, "test": rows}}, features)
    row = load_task_dataset(folder, adapter="voicebank_demand", split="validation")[0]  # validation = test split
    assert (row["task"], row["speaker"], row["id"]) == ("se", "p226", "voicebank_demand/p226_001")
    assert not np.allclose(row["audio"]["array"], row["target_audio"]["array"])

    features = Features({"audio": Audio(sampling_rate=16000), "transcription": Value("string")})
    rows = [{"audio": wav_cell(0.3, 16000), "transcription": "甚至 出现 交易"}]
    folder = write_hub_folder(tmp_path / "aishell", {None: {"train": rows}}, features)
    row = load_task_dataset(folder, adapter="aishell")[0]
    assert row["target_text"] == "甚至出现交易" and row["id"] == "aishell/train-0"


def test_clotho_gives_one_row_per_caption_or_the_chosen_one(tmp_path):
    features = Features(
        {
            "file_name": Value("string"),
            "audio": Audio(sampling_rate=44100),
            **{f"caption_{k}": Value("string") for k in range(1, 6)},
        }
    )
    rows = [
        {
            "file_name": f"clip{i}.wav",
            "audio": wav_cell(0.2, 44100, i),
            **{f"caption_{k}": f"caption {k} of clip {i}" for k in range(1, 6)},
        }
        for i in range(2)
    ]
    folder = write_hub_folder(tmp_path / "clotho", {None: {"train": rows}}, features)
    every = load_task_dataset(folder, adapter="clotho")
    assert len(every) == 10 and every[6]["target_text"] == "caption 2 of clip 1"
    assert every[6]["id"] == "clotho/clip1.wav#1" and _samples(every[6]) == (3200, 16000)
    first = load_task_dataset(folder, adapter="clotho", options={"captions": 0})
    assert first["target_text"] == ["caption 1 of clip 0", "caption 1 of clip 1"]


def test_iemocap_sessions_and_label_names(tmp_path):
    features = Features({"audio": Audio(sampling_rate=16000), "label": ClassLabel(names=["ang", "hap", "neu", "sad"])})
    sessions = {f"session{s}": [{"audio": wav_cell(0.2, 16000, s), "label": s % 4}] for s in range(1, 6)}
    folder = write_hub_folder(tmp_path / "iemocap", {None: sessions}, features)
    train = load_task_dataset(folder, adapter="iemocap", split="train")
    assert train["target_text"] == ["happy", "neutral", "sad", "angry"]  # sessions 1-4, labels 1, 2, 3, 0
    test = load_task_dataset(folder, adapter="iemocap", split="test")
    assert test["target_text"] == ["happy"] and test[0]["task"] == "ser"


def test_slurp_intent_and_slots_from_annotation_or_entities(tmp_path):
    features = Features(
        {
            "audio": Audio(sampling_rate=16000),
            "slurp_id": Value("int64"),
            "sentence": Value("string"),
            "sentence_annotation": Value("string"),
            "intent": ClassLabel(names=["alarm_set", "weather_query"]),
        }
    )
    rows = [
        {
            "audio": wav_cell(0.2, 16000),
            "slurp_id": 4489,
            "sentence": "wake me up at eight tomorrow",
            "sentence_annotation": "wake me up at [time : eight] [date : tomorrow]",
            "intent": 0,
        }
    ]
    folder = write_hub_folder(tmp_path / "slurp", {None: {"devel": rows}}, features)
    row = load_task_dataset(folder, adapter="slurp", split="validation")[0]
    assert row["target_text"] == "alarm_set | time=eight | date=tomorrow"
    assert parse_slu(row["target_text"]) == ("alarm_set", {"time": "eight", "date": "tomorrow"})

    features = Features(
        {
            "audio": Audio(sampling_rate=16000),
            "intent": Value("string"),
            "annotation": Value("string"),
            "entities": [{"type": Value("string"), "filler": Value("string")}],
        }
    )
    rows = [
        {
            "audio": wav_cell(0.2, 16000),
            "intent": "weather_query",
            "annotation": "ignored [x : y]",
            "entities": [{"type": "place_name", "filler": "paris"}],
        }
    ]
    folder = write_hub_folder(tmp_path / "slurp2", {None: {"train": rows}}, features)
    assert load_task_dataset(folder, adapter="slurp")[0]["target_text"] == "weather_query | place_name=paris"


def test_wmt_translation_dicts_and_language_choice(tmp_path):
    features = Features({"translation": {"de": Value("string"), "en": Value("string")}})
    rows = [{"translation": {"de": "Guten Tag", "en": "Good day"}}]
    folder = write_hub_folder(tmp_path / "wmt", {"de-en": {"validation": rows}}, features)
    row = load_task_dataset(folder, adapter="wmt14", split="validation")[0]
    assert (row["task"], row["text"], row["target_text"], row["language"]) == ("mt", "Good day", "Guten Tag", "de")
    reverse = load_task_dataset(
        folder, adapter="wmt14", split="validation", options={"source_language": "de", "target_language": "en"}
    )[0]
    assert (reverse["text"], reverse["language"]) == ("Guten Tag", "en")
    with pytest.raises(ValueError, match="target_language"):
        load_task_dataset(folder, adapter="wmt14", split="validation", options={"target_language": "fr"})


def test_canonical_corpus_and_adapter_resolution(tmp_path):
    rows = [
        make_example(
            "asr",
            f"demo/{i}",
            audio={"array": make_audio(0.3, i, 8000), "sampling_rate": 8000},
            target_text="hello",
            speaker="kal",
        )
        for i in range(2)
    ]
    dataset = Dataset.from_list(rows, features=example_features())
    path = tmp_path / "corpus" / "asr" / "train-00000-of-00001.parquet"
    path.parent.mkdir(parents=True)
    dataset.with_format("arrow").map(embed_table_storage, batched=True).with_format(None).to_parquet(str(path))
    loaded = load_task_dataset(tmp_path / "corpus", task="asr")  # adapter guessed: canonical layout
    assert loaded.column_names == list(COLUMNS) and len(loaded) == 2
    assert _samples(loaded[0]) == (4800, 16000)
    assert resolve_adapter(tmp_path / "corpus") is None
    assert resolve_adapter("librispeech") is ADAPTERS["librispeech"]
    assert resolve_adapter("mythicinfinity/libritts").name == "libritts"
    with pytest.raises(ValueError, match="pass task="):
        load_task_dataset(tmp_path / "corpus")
    with pytest.raises(FileNotFoundError, match="build-demo-data"):
        load_task_dataset(tmp_path / "corpus", adapter="demo", task="tts")
    with pytest.raises(ValueError, match="Cannot tell which adapter"):
        resolve_adapter(tmp_path)
    with pytest.raises(KeyError, match="librispeech"):
        get_adapter("no-such-set")


def test_missing_column_names_the_override(tmp_path):
    features = Features({"audio": Audio(sampling_rate=16000), "transcript": Value("string")})
    folder = write_hub_folder(
        tmp_path / "mirror", {"clean": {"train.100": [{"audio": wav_cell(0.2, 16000), "transcript": "hi"}]}}, features
    )
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['text'\].*with_options"):
        load_task_dataset(folder, adapter="librispeech")
    row = load_task_dataset(folder, adapter="librispeech", columns={"text": "transcript"})[0]
    assert row["target_text"] == "hi" and row["id"] == "librispeech/train-0"
    with pytest.raises(ValueError, match="gives 'asr' rows"):
        load_task_dataset(folder, adapter="librispeech", task="tts")
