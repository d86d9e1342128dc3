"""A tiny canonical corpus of all eight tasks (``<task>/<split>-*.parquet``) and a saved tiny codec, written on
the fly for the training-recipe tests."""

from __future__ import annotations

from pathlib import Path

from datasets import Dataset
from datasets.table import embed_table_storage

from modeling_lauragpt.training.data.schema import example_features, make_example

from .helpers import SENTENCES, make_audio

TASKS = ("asr", "s2tt", "tts", "se", "aac", "ser", "slu", "mt")
GERMAN = [
    "hallo welt",
    "bitte passwort eingeben",
    "die konferenz ist gesperrt",
    "licht an in der kueche",
    "wecker auf sieben uhr",
    "ein hund bellt",
    "guten tag",
    "der schnelle braune fuchs",
]
EMOTIONS = ["neutral", "happy", "sad", "angry"]


def _clip(seed: int, seconds: float = 0.4) -> dict:
    return {"array": make_audio(seconds, seed), "sampling_rate": 16000}


def task_rows(task: str, count: int, clip_seed: int) -> list[dict]:
    """``count`` canonical rows of ``task``: sentences and labels 0..count-1, clips from seeds ``clip_seed + k``."""
    rows = []
    for k in range(count):
        sentence, german = SENTENCES[k % len(SENTENCES)], GERMAN[k % len(GERMAN)]
        clip = _clip(100 * TASKS.index(task) + clip_seed + k)
        columns = {
            "asr": {"audio": clip, "target_text": sentence},
            "s2tt": {"audio": clip, "target_text": german, "language": "de"},
            "tts": {"text": sentence, "target_audio": clip},
            "se": {"audio": _clip(1000 + clip_seed + k), "target_audio": clip},
            "aac": {"audio": clip, "target_text": "a tone rises and falls"},
            "ser": {"audio": clip, "target_text": EMOTIONS[k % 4]},
            "slu": {"audio": clip, "target_text": f"set_alarm | time={k} am"},
            "mt": {"text": sentence, "target_text": german, "language": "de"},
        }[task]
        rows.append(make_example(task, f"{task}/{clip_seed + k}", speaker=f"voice{k % 2}", **columns))
    return rows


def write_corpus(root: Path, train: int = 6, validation: int = 3) -> Path:
    """Write the corpus under ``root`` (embedded audio, like ``lauragpt build-demo-data``) and return ``root``.

    The validation split repeats the first training rows: from 6 rows per task a tiny model can only fit what it
    saw, so a falling validation loss shows that each task's inputs and targets reach the loss.
    """
    for task in TASKS:
        for split, count, clip_seed in (("train", train, 0), ("validation", validation, 0)):
            path = root / task / f"{split}-00000-of-00001.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            dataset = Dataset.from_list(task_rows(task, count, clip_seed), features=example_features())
            dataset.with_format("arrow").map(embed_table_storage, batched=True).with_format(None).to_parquet(str(path))
    return root


def recipe_overrides(corpus: Path, codec_dir: Path, **training) -> list[str]:
    """``--set`` style overrides of tiny.yaml for a test run on ``corpus`` (training.* values from ``training``)."""
    values = {
        "training.logging_steps": 1,
        "training.train_sampling_strategy": "random",
        "processor.cmvn_clips": 12,
        **{f"training.{key}": value for key, value in training.items()},
    }
    return [f"data.source={corpus}", f"codec.path={codec_dir}", *(f"{k}={v}" for k, v in values.items())]
