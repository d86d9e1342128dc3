"""``lauragpt build-demo-data OUT``: build the offline eight-task demo corpus (see docs/demo_corpus.md).

The sizes (``CorpusArguments``) also come from a YAML of its fields (``--config``) and ``--set field=value``
(``--set task_train.asr=6000`` sets one task); the flags are shortcuts and win over ``--set``, which wins over the
YAML: ``lauragpt build-demo-data runs/corpus --config corpus.yaml --set task_train.asr=6000 --workers 4``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from dataclasses import dataclass, field

from ..errors import InvalidInputError
from ..training.arguments import add_config_arguments, arguments_from_command_line
from ..training.demo_corpus.build import build_demo_corpus
from ..training.demo_corpus.tasks import TASKS, BuildPlan
from .run import positive_int

SMALL_PLAN = {"train": 6, "validation": 2, "test": 3}


@dataclass
class CorpusArguments:
    """How much of the demo corpus to build (``--config`` YAML fields; the flags' help says what each means)."""

    per_task: int = 800
    task_train: dict[str, int] = field(default_factory=dict)  # task -> training rows, instead of per_task
    max_seconds: float = 7.0
    workers: int = 2
    vocab_size: int = 1000
    tasks: list[str] = field(default_factory=lambda: list(TASKS))
    cache_dir: str | None = None
    small: bool = False
    seed: int = 0

    def __post_init__(self):
        unknown = sorted(set(self.tasks) - set(TASKS))
        if unknown:
            raise InvalidInputError(f"tasks {unknown} are not demo-corpus tasks; pick from {', '.join(TASKS)}.")
        for name in ("per_task", "workers"):
            if getattr(self, name) < 1:
                raise InvalidInputError(f"{name} must be at least 1, got {getattr(self, name)}.")
        for task, rows in self.task_train.items():
            problem = _task_rows_problem(task, rows)
            if problem:
                raise InvalidInputError(f"task_train.{task}={rows}: {problem}.")


def _task_rows_problem(task: str, rows: int) -> str | None:
    """Why ``task_train`` cannot give ``task`` ``rows`` training rows (None when it can)."""
    if task not in TASKS:
        return f"the task must be one of {', '.join(TASKS)}"
    return None if rows >= 1 else "the rows must be at least 1"


def _task_rows(value: str) -> tuple[str, int]:
    task, sep, rows = value.partition("=")
    if not sep or not rows.isdigit() or _task_rows_problem(task, int(rows)):
        raise argparse.ArgumentTypeError(f"{value!r} is not TASK=N with TASK one of {', '.join(TASKS)} and N >= 1")
    return task, int(rows)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lauragpt build-demo-data", description=__doc__)
    parser.add_argument("out", help="output folder (Hub dataset layout)")
    # shortcuts for CorpusArguments fields: None means "not given", so --set and --config can set the field
    parser.add_argument("--seed", type=int, help="seed of every random choice (voices, SNRs, noises, melodies)")
    parser.add_argument(
        "--per-task",
        type=positive_int,
        metavar="N",
        help="training rows per task (validation ~6%% and test ~8%% of it); default 800",
    )
    parser.add_argument(
        "--task-train",
        nargs="+",
        metavar="TASK=N",
        type=_task_rows,
        help="training rows of some tasks instead of --per-task, e.g. asr=6000 (their validation "
        "and test splits keep the --per-task size)",
    )
    parser.add_argument(
        "--small", action="store_true", default=None, help=f"a few rows per task and split ({SMALL_PLAN}), for tests"
    )
    parser.add_argument("--tasks", nargs="+", choices=TASKS, help="tasks to build (default all)")
    parser.add_argument("--workers", type=positive_int, help="synthesis processes (default 2)")
    parser.add_argument("--cache-dir", help="keep synthesised clips here so that rebuilds reuse them")
    parser.add_argument("--max-seconds", type=float, help="drop rows with a longer clip (default 7)")
    parser.add_argument("--vocab-size", type=int, help="size of the BPE tokenizer saved in OUT/tokenizer")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier build in OUT")
    add_config_arguments(parser, example="task_train.asr=6000")
    return parser


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, CorpusArguments]:
    """The command line and its sizes: default < ``--config`` YAML < ``--set`` < a flag.

    parse_args(["out", "--set", "per_task=50", "--per-task", "9"])[1].per_task -> 9
    """
    args = build_parser().parse_args(argv)
    if args.task_train is not None:
        args.task_train = dict(args.task_train)
    return args, arguments_from_command_line(CorpusArguments, args)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args, corpus = parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sizes = SMALL_PLAN if corpus.small else BuildPlan.for_train_size(corpus.per_task).__dict__
    plan = BuildPlan(
        **{
            **sizes,
            "seed": corpus.seed,
            "max_seconds": corpus.max_seconds,
            "task_train": tuple(sorted(corpus.task_train.items())),
        }
    )
    command = "lauragpt build-demo-data " + shlex.join(argv)
    result = build_demo_corpus(
        args.out,
        plan,
        tasks=corpus.tasks,
        workers=corpus.workers,
        cache_dir=corpus.cache_dir,
        vocab_size=corpus.vocab_size,
        overwrite=args.overwrite,
        command=command,
    )
    total = sum(sum(counts.values()) for counts in result.counts().values())
    print(f"wrote {total} rows to {result.out} in {result.seconds:.0f} s")
    for task, counts in result.counts().items():
        print(f"  {task:5} " + "  ".join(f"{split} {count}" for split, count in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
