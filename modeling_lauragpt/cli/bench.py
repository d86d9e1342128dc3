"""``lauragpt bench``: run the benchmark suite (or some of it) and write each benchmark's JSON.

    lauragpt bench --quick                      # every benchmark, small workloads: a few minutes on 2 CPU cores
    lauragpt bench --only generation vocoder    # full workloads of the named benchmarks
    lauragpt bench --quick --only features --results-dir /tmp/bench

Each benchmark is also a module of its own (``python -m modeling_lauragpt.bench.<name> --help``); this command runs
each in a fresh Python process, one after another, so that one's memory and threads never weigh on the next, with
``OMP_WAIT_POLICY=PASSIVE`` unless that variable is set (see ``run_main`` in ``bench/common.py``). A failing
benchmark does not stop the others; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from ..bench.common import (
    DEFAULT_RESULTS_DIR,
    DEFAULT_THREADS,
    PASSIVE_OMP,
    print_table,
)

BENCHMARKS = {
    "features": "feature extractor vs kaldi-native-fbank and a torchaudio fbank loop: equality and throughput",
    "audio_tower": "encoder s per audio s: Whisper tiny.en (clip and 30 s windows, pooled) vs the demo Conformer",
    "generation": "generate with dynamic, static and compiled static caches vs full-prefix recompute (LauraTTS decoding), 5/10/30 s of codec tokens",
    "vocoder": "one-step vs 31-pass multi-step vocoder: speed per second of audio, tiny-pair quality",
    "end_to_end": "pipeline RTF of asr and tts, batch 1-8, peak memory",
    "training": "training samples/s and FLOP/s vs the measured matmul peak (GPU paper preset when available)",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lauragpt bench",
        description="Benchmarks: ratios measured side by side in one run; figures printed and written as JSON.",
        epilog="benchmarks:\n" + "\n".join(f"  {name:11} {text}" for name, text in BENCHMARKS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="small workloads (the whole suite in a few minutes)")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), metavar="NAME", help="run only these benchmarks")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="torch threads (default: %(default)s)")
    parser.add_argument(
        "--results-dir", default=str(DEFAULT_RESULTS_DIR), help="where the JSON files go (default: bench/results)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    common = ["--threads", str(args.threads), "--results-dir", args.results_dir] + (["--quick"] if args.quick else [])
    environment = {**PASSIVE_OMP, **os.environ}
    summary = []
    for name in args.only or list(BENCHMARKS):
        print(f"\n=== {name}: {BENCHMARKS[name]}", flush=True)
        start = time.perf_counter()
        status = subprocess.run(
            [sys.executable, "-m", f"modeling_lauragpt.bench.{name}", *common], env=environment, check=False
        ).returncode
        outcome = "ok" if status == 0 else f"failed (exit {status})"
        summary.append({"benchmark": name, "outcome": outcome, "seconds": time.perf_counter() - start})
    print_table(
        "lauragpt bench",
        summary,
        [("benchmark", "benchmark", ""), ("outcome", "outcome", ""), ("seconds", "seconds", ".1f")],
    )
    return 0 if all(row["outcome"] == "ok" for row in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
