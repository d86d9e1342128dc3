"""Build the demo corpus: plan every task's rows, synthesise their clips in a pool, write parquet, tokenizer, card.

from modeling_lauragpt.training.demo_corpus import BuildPlan, build_demo_corpus
build_demo_corpus("data/demo", BuildPlan.for_train_size(800, seed=0))
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ...errors import InvalidInputError, OutputConflictError
from ...processing.tokenizer_utils import train_text_tokenizer
from .card import write_card
from .render import synthesize
from .sources import leaves
from .splits import SPLITS, TRAIN
from .tasks import PLANNERS, TASKS, BuildPlan, PlannedRow
from .text_sources import frozen_characters
from .writer import SplitSummary, parquet_path, render_rows, write_split

LANGUAGE_TAGS = ("[de]", "[fr]", "[es]", "[en]")  # the processor writes the target language like this


@dataclass
class BuildResult:
    """Where the corpus is, what each task split holds, and how long the build took."""

    out: Path
    summaries: dict[str, dict[str, SplitSummary]]
    seconds: float

    def counts(self) -> dict[str, dict[str, int]]:
        return {task: {split: s.rows for split, s in splits.items()} for task, splits in self.summaries.items()}


def corpus_tokenizer(texts: list[str], all_texts: Iterable[str], vocab_size: int):
    """A BPE trained on ``texts`` (training split) whose alphabet also covers every character of ``all_texts`` and
    of the frozen source texts, so no test character is lost while merges only come from training text."""
    alphabet = "".join(sorted(set("".join(all_texts)) - {" "} | set(frozen_characters())))
    spaced_alphabet = " ".join(alphabet)  # one word per character: it adds characters, not merges
    return train_text_tokenizer([*texts, *LANGUAGE_TAGS, spaced_alphabet], vocab_size=vocab_size)


def _prepare_output(out: Path, overwrite: bool, tasks: Iterable[str]) -> None:
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise OutputConflictError(f"{out} is not empty: pick another folder or pass --overwrite.")
        if not (out / "build_summary.json").is_file():
            raise OutputConflictError(
                f"{out} is not an earlier demo-corpus build (no build_summary.json): --overwrite replaces only such a "
                "build, never other files. Pick a new or empty folder."
            )
        for name in [*tasks, "tokenizer", "README.md", "build_summary.json"]:
            target = out / name
            shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


def build_demo_corpus(
    out: str | Path,
    plan: BuildPlan | None = None,
    tasks: Iterable[str] = TASKS,
    workers: int = 2,
    cache_dir: str | Path | None = None,
    vocab_size: int = 1000,
    overwrite: bool = False,
    command: str = "lauragpt build-demo-data",
    log: Callable[[str], None] = print,
) -> BuildResult:
    """Build the corpus into ``out`` (see ``docs/demo_corpus.md``).

    Args:
        out: output folder (Hub layout: ``<task>/<split>-00000-of-00001.parquet``, ``README.md``, ``tokenizer/``).
        plan: rows per split, seed, longest clip (default ``BuildPlan()``: 800 training rows per task).
        tasks: task names to build (default all eight).
        workers: synthesis processes.
        cache_dir: keep synthesised clips here between builds (default: a temporary folder).
        vocab_size: size of the BPE tokenizer trained on the training text.
        overwrite: replace an earlier build in ``out``.
        command: the command line recorded in the card.
    """
    started, out, tasks, plan = time.time(), Path(out), list(tasks), plan or BuildPlan()
    unknown = sorted(set(tasks) - set(PLANNERS))
    if unknown:
        raise InvalidInputError(f"Unknown task(s) {unknown}; pick from {list(TASKS)}.")
    _prepare_output(out, overwrite, tasks)
    rows: dict[str, list[PlannedRow]] = {task: PLANNERS[task](plan) for task in tasks}
    log(f"planned {sum(map(len, rows.values()))} rows: " + ", ".join(f"{t} {len(r)}" for t, r in rows.items()))
    needed = [
        leaf
        for task_rows in rows.values()
        for row in task_rows
        for recipe in (row.audio, row.target_audio)
        if recipe is not None
        for leaf in leaves(recipe)
    ]
    with tempfile.TemporaryDirectory(prefix="demo_corpus_clips_") as temporary:
        cache = Path(cache_dir) if cache_dir else Path(temporary)
        made = synthesize(needed, cache, workers=workers, log=log)
        log(f"synthesised {made} new clips ({time.time() - started:.0f} s)")
        summaries: dict[str, dict[str, SplitSummary]] = {}
        for task, task_rows in rows.items():
            summaries[task] = {}
            for split in SPLITS:
                examples, summary = render_rows([r for r in task_rows if r.split == split], cache, plan.max_seconds)
                summary.num_bytes = write_split(examples, parquet_path(out, task, split))
                summaries[task][split] = summary
            log(
                f"{task}: "
                + ", ".join(
                    f"{split} {s.rows}" + (f" ({s.dropped} dropped)" if s.dropped else "")
                    for split, s in summaries[task].items()
                )
                + f" ({time.time() - started:.0f} s)"
            )
    texts = [
        row.columns[key]
        for task_rows in rows.values()
        for row in task_rows
        for key in ("text", "target_text")
        if row.columns.get(key)
    ]
    train_texts = [
        row.columns[key]
        for task_rows in rows.values()
        for row in task_rows
        if row.split == TRAIN
        for key in ("text", "target_text")
        if row.columns.get(key)
    ]
    corpus_tokenizer(train_texts, texts, vocab_size).save_pretrained(str(out / "tokenizer"))
    write_card(out, tasks, summaries, command, plan.seed)
    result = BuildResult(out, summaries, time.time() - started)
    summary = {"seed": plan.seed, "command": command, "seconds": round(result.seconds, 1), "counts": result.counts()}
    (out / "build_summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return result


__all__ = ["BuildResult", "build_demo_corpus", "corpus_tokenizer"]
