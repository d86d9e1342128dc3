"""The demo corpus builder: a small build loads with `datasets` (also without its source clips), holds out its
test voice and sentences, is deterministic for a seed, and its card says which labels are synthetic."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import soundfile
import yaml
from datasets import Audio, get_dataset_config_names, load_dataset
from transformers import PreTrainedTokenizerFast

from modeling_lauragpt.cli import main as lauragpt
from modeling_lauragpt.cli.build_demo_data import main as cli_main
from modeling_lauragpt.training.demo_corpus import TASKS, BuildPlan, build_demo_corpus
from modeling_lauragpt.training.demo_corpus.render import synthesize
from modeling_lauragpt.training.demo_corpus.sources import Speech, leaves
from modeling_lauragpt.training.demo_corpus.splits import (
    HELD_OUT_VOICE,
    normalise_words,
)
from modeling_lauragpt.training.demo_corpus.tasks import PLANNERS
from modeling_lauragpt.training.demo_corpus.voices import (
    ASR_TRAIN_VOICES,
    ESPEAK_VOICES,
    espeak_to_file,
)

pytestmark = pytest.mark.skipif(
    any(shutil.which(program) is None for program in ("flite", "festival", "fluidsynth"))
    or not Path("/usr/share/asterisk/sounds").is_dir(),
    reason="system packages missing: run scripts/install_system_deps.sh",
)
SMALL = BuildPlan(seed=3, train=4, validation=2, test=3)
SPLIT_SIZES = {"train": SMALL.train, "validation": SMALL.validation, "test": SMALL.test}


def _build(out: Path, cache: Path, tasks=TASKS) -> Path:
    build_demo_corpus(out, SMALL, tasks=tasks, cache_dir=cache, vocab_size=300, log=lambda message: None)
    shutil.rmtree(cache)  # the parquet files must not need the synthesised clips
    return out


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory) -> Path:
    return _build(tmp_path_factory.mktemp("corpus") / "demo", tmp_path_factory.mktemp("clips"))


def _raw_rows(corpus: Path, task: str, split: str) -> list[dict]:
    """Rows with audio as stored (FLAC bytes), to compare builds byte for byte."""
    dataset = load_dataset(str(corpus), task, split=split)
    return list(dataset.cast_column("audio", Audio(decode=False)).cast_column("target_audio", Audio(decode=False)))


def test_every_task_config_loads_with_embedded_audio(small_corpus):
    assert sorted(get_dataset_config_names(str(small_corpus))) == sorted(TASKS)
    for task in TASKS:
        for split, size in SPLIT_SIZES.items():
            dataset = load_dataset(str(small_corpus), task, split=split)
            assert dataset.num_rows == size, (task, split)
            row = dataset[0]
            assert row["task"] == task and row["id"].startswith(task)
            if task != "mt":
                clip = row["target_audio"] if task == "tts" else row["audio"]
                assert clip["sampling_rate"] == 16000 and 0 < len(clip["array"]) <= 16000 * SMALL.max_seconds
            if task in ("se", "tts"):
                assert row["target_audio"] is not None
            if task in ("s2tt", "mt"):
                assert row["language"] in ("de", "fr", "es") and row["target_text"]


def test_held_out_voice_and_sentences_never_in_train():
    plan = BuildPlan.for_train_size(300)
    for task, planner in PLANNERS.items():
        spoken = {"train": set(), "validation": set(), "test": set()}
        for row in planner(plan):
            voices = {
                leaf.voice
                for recipe in (row.audio, row.target_audio)
                if recipe is not None
                for leaf in leaves(recipe)
                if isinstance(leaf, Speech)
            }
            if row.split == "test":
                assert voices <= {HELD_OUT_VOICE}, (task, row.id)
            else:
                assert HELD_OUT_VOICE not in voices, (task, row.id)
            spoken[row.split].add(normalise_words(row.columns.get("text") or row.columns["target_text"]))
        assert spoken["test"] and not spoken["test"] & spoken["train"], task
        assert not spoken["validation"] & spoken["train"], task


def test_small_build_holds_out_the_test_voice(small_corpus):
    for task in ("tts", "slu", "ser"):
        train_speakers = {row["speaker"] for row in _raw_rows(small_corpus, task, "train")}
        test_speakers = {row["speaker"] for row in _raw_rows(small_corpus, task, "test")}
        assert test_speakers == {HELD_OUT_VOICE} and HELD_OUT_VOICE not in train_speakers


def test_same_seed_same_corpus(small_corpus, tmp_path):
    tasks = ("asr", "aac", "ser")
    again = _build(tmp_path / "again", tmp_path / "clips", tasks=tasks)
    for task in tasks:
        for split in SPLIT_SIZES:
            assert _raw_rows(again, task, split) == _raw_rows(small_corpus, task, split), (task, split)
    other_seed = PLANNERS["ser"](BuildPlan(seed=4, train=4, validation=2, test=3))
    built = [row["id"] for split in SPLIT_SIZES for row in _raw_rows(small_corpus, "ser", split)]
    assert [row.id for row in other_seed] != built


def test_card_configs_synthetic_labels_and_tokenizer(small_corpus):
    card = (small_corpus / "README.md").read_text()
    header = yaml.safe_load(card.split("---")[1])
    assert [config["config_name"] for config in header["configs"]] == list(TASKS)
    assert "## Synthetic labels" in card
    synthetic_section = card.split("## Synthetic labels")[1].split("\n## ")[0]
    for task in ("ser", "slu", "aac"):
        assert f"**{task}**" in synthetic_section
    assert HELD_OUT_VOICE in card and "CC-BY-SA-3.0" in card
    tokenizer = PreTrainedTokenizerFast.from_pretrained(str(small_corpus / "tokenizer"))
    assert tokenizer.decode(tokenizer.encode("Größe [de] set_alarm | time=noon")) == "Größe [de] set_alarm | time=noon"


def test_cli_small_text_only_build_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "mt_only"
    assert cli_main([str(out), "--small", "--tasks", "mt", "--vocab-size", "200"]) == 0
    assert load_dataset(str(out), "mt", split="train").num_rows == 6
    assert lauragpt(["build-demo-data", str(out), "--small", "--tasks", "mt"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    mine = tmp_path / "my_folder"
    mine.mkdir()
    (mine / "README.md").write_text("my notes")
    assert (
        lauragpt(["build-demo-data", str(mine), "--small", "--tasks", "mt", "--overwrite"]) == 2
    )  # not a build: nothing is deleted
    assert (
        "not an earlier demo-corpus build" in capsys.readouterr().err and (mine / "README.md").read_text() == "my notes"
    )


def test_a_larger_asr_split_adds_voices_and_keeps_the_test_split():
    plain = PLANNERS["asr"](SMALL)
    larger = PLANNERS["asr"](BuildPlan(**{**SMALL.__dict__, "task_train": (("asr", 40),)}))
    train = [row for row in larger if row.split == "train"]
    assert len(train) == 40 and len({row.id for row in train}) == 40
    assert [row.id for row in larger if row.split != "train"] == [row.id for row in plain if row.split != "train"]
    voices = {row.columns["speaker"] for row in train}
    assert HELD_OUT_VOICE not in voices and voices & set(ESPEAK_VOICES)  # espeak-ng speaks only ASR training rows
    assert voices <= set(ASR_TRAIN_VOICES) | {"asterisk_en_allison"}


def test_an_espeak_voice_is_synthesised_at_16_khz(tmp_path):
    voice = next(iter(ESPEAK_VOICES))
    assert synthesize([Speech(voice, "Please hold the line.")], tmp_path, workers=1) == 1
    audio, rate = soundfile.read(next(tmp_path.glob("speech-*.wav")))
    assert rate == 16000 and 0.5 < len(audio) / rate < 3.0


def test_an_espeak_voice_reads_ssml_prosody_as_markup(tmp_path):
    voice, text = next(iter(ESPEAK_VOICES.values())), "Please hold the line."
    espeak_to_file(voice, text, tmp_path / "plain.wav")
    espeak_to_file(voice, f'<speak><prosody rate="200%">{text}</prosody></speak>', tmp_path / "fast.wav", markup=True)
    plain, fast = (soundfile.info(str(tmp_path / f"{name}.wav")).duration for name in ("plain", "fast"))
    assert fast < 0.75 * plain  # the tags were obeyed (spoken, they would make it longer)
