"""What every benchmark shares: the command line, interleaved timing with medians, machine facts, tables, JSON.

The machine these benchmarks run on is shared (other jobs use the same cores), so absolute times drift. Every
comparison therefore runs its candidates **interleaved**: repetition r runs A, B, ... (the order rotates each round
so no candidate always goes first), and the medians over repetitions are compared. The load average at the start
and end of a run is written beside the figures.

    args = parse_args("generation", __doc__, argv)           # --quick, --threads, --results-dir, --repeats
    timings = interleaved({"ours": f, "baseline": g}, repeats=5)
    timings["ours"].median, timings["ours"].result            # seconds; what the last call returned
    write_results("generation", args, {"rows": rows})         # bench/results/generation[.quick].json
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

DEFAULT_RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_THREADS = 2  # the CPU budget the project's figures are stated for (2 cores, the machine every figure in docs/benchmarks.md was measured on)


# ------------------------------------------------------------------------------------------------- command line
PASSIVE_OMP = {"OMP_WAIT_POLICY": "PASSIVE"}


def run_main(main: Callable[[], int]) -> None:
    """Entry point of ``python -m modeling_lauragpt.bench.<name>`` / ``python bench/<name>.py``.

    OpenMP threads that spin while waiting (libgomp's default) make every multi-threaded op on a shared machine wait
    until all its threads hold a core at once: small ops then run 10-150x slower on 2 threads than on 1, which would
    penalise many-small-op workloads (cached decoding) far more than few-large-op ones. libgomp reads its wait policy
    once, when torch loads it, so the process restarts itself once with ``OMP_WAIT_POLICY=PASSIVE`` unless the
    variable is already set (set it to ``ACTIVE`` to measure the spinning default).
    """
    if "OMP_WAIT_POLICY" not in os.environ:
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], {**os.environ, **PASSIVE_OMP})
    sys.exit(main())


def parse_args(
    name: str, description: str | None, argv: Sequence[str] | None, add_arguments: Callable | None = None
) -> argparse.Namespace:
    """The options every benchmark takes, plus its own (``add_arguments(parser)``); sets torch's thread count.

    ``--quick`` shrinks the workload (seconds instead of minutes) and writes ``<name>.quick.json`` so that a quick
    run never overwrites the full figures (likewise ``--threads N`` other than 2 writes ``<name>.threadsN.json``).
    """
    parser = argparse.ArgumentParser(
        prog=f"python -m modeling_lauragpt.bench.{name}", description=(description or "").splitlines()[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help="small workload, few repetitions (a smoke run of the benchmark)"
    )
    parser.add_argument(
        "--threads", type=int, default=DEFAULT_THREADS, help="torch intra-op threads (default: %(default)s)"
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help="interleaved repetitions per candidate (default: per benchmark)"
    )
    parser.add_argument(
        "--results-dir", type=Path, default=DEFAULT_RESULTS_DIR, help="where the JSON goes (default: bench/results)"
    )
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args(list(argv) if argv is not None else None)
    torch.set_num_threads(args.threads)
    quiet_progress_bars()
    args.started = time.time()
    args.loadavg_start = list(os.getloadavg())
    args.contention_start = contention_probe(args.threads)
    return args


def quiet_progress_bars() -> None:
    """No download/save/load progress bars in benchmark output (they would interleave with the tables)."""
    import huggingface_hub.utils
    import transformers.utils.logging

    transformers.utils.logging.disable_progress_bar()
    huggingface_hub.utils.disable_progress_bars()


def repeats(args: argparse.Namespace, full: int, quick: int) -> int:
    """Repetitions for this run: ``--repeats`` if given, else ``quick`` or ``full``."""
    return args.repeats or (quick if args.quick else full)


# ----------------------------------------------------------------------------------------------------- timing
@dataclass
class Timing:
    """Wall-clock seconds of one candidate's repetitions (warm-up excluded) and its last result."""

    seconds: list[float] = field(default_factory=list)
    result: Any = None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def best(self) -> float:
        return min(self.seconds)

    def summary(self) -> dict:
        """JSON-ready: median, min, max and every repetition, in seconds."""
        return {"median_s": self.median, "min_s": self.best, "max_s": max(self.seconds), "runs_s": self.seconds}


def time_call(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``fn`` once: (wall-clock seconds, its result). Garbage is collected first so it is not billed to ``fn``."""
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def interleaved(candidates: dict[str, Callable[[], Any]], repeats: int, warmup: int = 1) -> dict[str, Timing]:
    """Time each candidate ``repeats`` times, alternating between candidates, after ``warmup`` untimed rounds.

    Round ``r`` runs the candidates starting from index ``r mod n``, so slow drifts of the machine's load hit every
    candidate alike. Returns ``{name: Timing}`` in the order given.
    """
    names = list(candidates)
    timings = {name: Timing() for name in names}
    for _ in range(warmup):
        for name in names:
            timings[name].result = candidates[name]()
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            seconds, timings[name].result = time_call(candidates[name])
            timings[name].seconds.append(seconds)
    return timings


# --------------------------------------------------------------------------------------------------- memory
def reset_peak_rss() -> bool:
    """Reset the process's peak resident set size (Linux ``/proc/self/clear_refs``); False where that is refused."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mib() -> float:
    """Peak resident set size in MiB since the last ``reset_peak_rss`` (``VmHWM``), else since the process began."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


# ----------------------------------------------------------------------------------------------- machine facts
def contention_probe(threads: int, seconds: float = 0.2) -> dict:
    """Latency of a small matmul (64x256 @ 256x256) on 1 thread and on ``threads`` threads, in microseconds.

    On an idle machine the two are close. When other jobs occupy the cores, a multi-threaded op waits until every
    one of its threads gets a core, and small ops slow down by up to 100x: ``slowdown`` well above 1 means the
    run's many-small-op workloads (cached decoding) were penalised more than its few-large-op ones.
    """
    a, w = torch.randn(64, 256), torch.randn(256, 256)
    latency = {}
    for n in sorted({1, threads}):
        torch.set_num_threads(n)
        calls, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            torch.nn.functional.linear(a, w)
            calls += 1
        latency[n] = (time.perf_counter() - start) / calls * 1e6
    torch.set_num_threads(threads)
    return {
        "small_matmul_us_1_thread": latency[1],
        f"small_matmul_us_{threads}_threads": latency[threads],
        "slowdown": latency[threads] / latency[1],
    }


def cpu_model() -> str:
    """The CPU's marketing name from ``/proc/cpuinfo`` (or ``platform.processor()``)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict:
    """Versions, threads, CPU, GPU and the current load average."""
    import transformers

    info = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "torch_threads": torch.get_num_threads(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "loadavg": list(os.getloadavg()),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "unset (libgomp default: spinning)"),
    }
    return info


# ------------------------------------------------------------------------------------------------ output
def print_table(title: str, rows: list[dict], columns: list[tuple[str, str, str]]) -> None:
    """Print ``rows`` as an aligned table; ``columns`` are ``(key, header, format spec)``, e.g. ``("x", "ratio", ".2f")``."""
    cells = [[header for _, header, _ in columns]]
    for row in rows:
        cells.append([_format(row.get(key), spec) for key, _, spec in columns])
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    print(f"\n{title}")
    for n, line in enumerate(cells):
        print("  " + "  ".join(c.rjust(w) for c, w in zip(line, widths)))
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))


def _format(value, spec: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, (int, float)) and spec:
        return format(value, spec)
    return str(value)


def write_results(name: str, args: argparse.Namespace, payload: dict) -> Path:
    """Write ``payload`` with the run's settings and machine facts to ``<results-dir>/<name>[.threadsN][.quick].json``
    (``.threadsN`` when ``--threads`` is not the default 2)."""
    document = {
        "benchmark": name,
        "quick": bool(args.quick),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_s": round(time.time() - args.started, 2),
        "machine": machine_info(),
        "loadavg_start": args.loadavg_start,
        "loadavg_end": list(os.getloadavg()),
        "contention_start": args.contention_start,
        "contention_end": contention_probe(args.threads),
        **payload,
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    threads = "" if args.threads == DEFAULT_THREADS else f".threads{args.threads}"
    path = args.results_dir / f"{name}{threads}{'.quick' if args.quick else ''}.json"
    path.write_text(json.dumps(document, indent=2, default=_json_default) + "\n", encoding="utf-8")
    slowdowns = [document[k]["slowdown"] for k in ("contention_start", "contention_end")]
    print(
        f"\nload average {args.loadavg_start[0]:.2f} -> {document['loadavg_end'][0]:.2f} (1 min); small-op slowdown on "
        f"{args.threads} threads vs 1: {slowdowns[0]:.1f}x -> {slowdowns[1]:.1f}x; wrote {path}"
    )
    return path


def _json_default(value):
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


__all__ = [
    "DEFAULT_RESULTS_DIR",
    "DEFAULT_THREADS",
    "PASSIVE_OMP",
    "Timing",
    "contention_probe",
    "cpu_model",
    "interleaved",
    "machine_info",
    "parse_args",
    "peak_rss_mib",
    "print_table",
    "quiet_progress_bars",
    "repeats",
    "reset_peak_rss",
    "run_main",
    "time_call",
    "write_results",
]
