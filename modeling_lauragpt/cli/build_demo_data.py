"""``lauragpt build-demo-data OUT``: build the offline eight-task demo corpus (see docs/demo_corpus.md)."""

from __future__ import annotations

import argparse
import os
import shlex
import sys

from ..training.demo_corpus.build import build_demo_corpus
from ..training.demo_corpus.tasks import TASKS, BuildPlan
from .run import positive_int

SMALL_PLAN = {"train": 6, "validation": 2, "test": 3}


def _task_rows(value: str) -> tuple[str, int]:
    task, sep, rows = value.partition("=")
    if not sep or task not in TASKS or not rows.isdigit() or int(rows) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not TASK=N with TASK one of {', '.join(TASKS)} and N >= 1")
    return task, int(rows)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lauragpt build-demo-data", description=__doc__)
    parser.add_argument("out", help="output folder (Hub dataset layout)")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of every random choice (voices, SNRs, noises, melodies)"
    )
    parser.add_argument(
        "--per-task",
        type=positive_int,
        default=800,
        metavar="N",
        help="training rows per task (validation ~6%% and test ~8%% of it); default 800",
    )
    parser.add_argument(
        "--task-train",
        nargs="+",
        default=[],
        metavar="TASK=N",
        type=_task_rows,
        help="training rows of some tasks instead of --per-task, e.g. asr=6000 (their validation "
        "and test splits keep the --per-task size)",
    )
    parser.add_argument("--small", action="store_true", help=f"a few rows per task and split ({SMALL_PLAN}), for tests")
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS, help="tasks to build (default all)")
    parser.add_argument("--workers", type=positive_int, default=2, help="synthesis processes (default 2)")
    parser.add_argument("--cache-dir", help="keep synthesised clips here so that rebuilds reuse them")
    parser.add_argument("--max-seconds", type=float, default=7.0, help="drop rows with a longer clip (default 7)")
    parser.add_argument("--vocab-size", type=int, default=1000, help="size of the BPE tokenizer saved in OUT/tokenizer")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier build in OUT")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sizes = SMALL_PLAN if args.small else BuildPlan.for_train_size(args.per_task).__dict__
    plan = BuildPlan(
        **{
            **sizes,
            "seed": args.seed,
            "max_seconds": args.max_seconds,
            "task_train": tuple(sorted(dict(args.task_train).items())),
        }
    )
    command = "lauragpt build-demo-data " + shlex.join(argv)
    result = build_demo_corpus(
        args.out,
        plan,
        tasks=args.tasks,
        workers=args.workers,
        cache_dir=args.cache_dir,
        vocab_size=args.vocab_size,
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
