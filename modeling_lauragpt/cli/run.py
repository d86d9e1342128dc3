"""``lauragpt run``: any task on files, folders or text, from the shell.

    lauragpt run --task asr --model DIR speech.wav                 # one JSON line per input on stdout
    lauragpt run --task asr --model DIR recordings/ --batch-size 8 # every audio file in a folder, with progress
    lauragpt run --task tts --model DIR --text "Hello" -o hello.wav
    lauragpt run --task se  --model DIR noisy/ --output-dir clean/   # clean/<name>.se.wav per input

Audio outputs are named ``<input stem>.<task>.wav`` (``tts_0000.tts.wav`` for text inputs), numbered ``-2``,
``-3`` ... when two inputs share a stem. Nothing is ever written over an input, and an existing file is replaced only
with ``--overwrite``; every name is checked before the model runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from tqdm.auto import tqdm

from ..atomic_files import write_audio_atomic
from ..errors import InvalidInputError, OutputConflictError
from ..pipeline_loading import load_pipeline
from ..processing.pipeline_lauragpt import CHAINED_TASKS
from ..tasks import AUDIO, BUILTIN_TASKS, CODEC

AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".mp3"}


def task_help() -> str:
    lines = [f"  {spec.name:10} {spec.description}" for spec in BUILTIN_TASKS.values()]
    lines += [f"  {name:10} {text}" for name, text in CHAINED_TASKS.items()]
    return "tasks:\n" + "\n".join(lines)


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (``--batch-size -2`` silently skipped every input)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lauragpt run",
        description=__doc__.split("\n\n")[0],
        epilog=task_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("inputs", nargs="*", help="audio files or folders of them (audio-input tasks)")
    parser.add_argument("--task", required=True, help="one of the tasks listed below")
    parser.add_argument(
        "--model", required=True, help="a LauraGPT folder (model + processor, vocoder/ for audio output)"
    )
    parser.add_argument("--text", action="append", help="input text of text-input tasks (tts, mt); repeat for a batch")
    parser.add_argument("--text-file", type=Path, help="one input text per line")
    parser.add_argument("--language", help="target language of s2tt, mt and s2st, e.g. de")
    parser.add_argument("--voice", type=Path, help="a prompt clip whose voice tts should use")
    parser.add_argument("-o", "--output", type=Path, help="output WAV of a single audio-output input")
    parser.add_argument("--output-dir", type=Path, help="where audio outputs go (default: the current folder)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files (never an input)")
    parser.add_argument(
        "--chunk-length-s", type=float, help="split long audio of text-output tasks into chunks of this many seconds"
    )
    parser.add_argument("--batch-size", type=positive_int, default=1)
    parser.add_argument("--max-new-tokens", type=positive_int, help="generation length limit in tokens")
    parser.add_argument(
        "--greedy", action="store_true", help="greedy decoding for audio output (default: top-k 25 sampling)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed of sampling")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    return parser


def collect_audio(paths: list[str]) -> list[Path]:
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
        elif path.is_file():
            files.append(path)
        else:
            raise InvalidInputError(f"{path} is neither an audio file nor a folder.")
    return files


def output_paths(
    inputs: list, task: str, out_dir: Path, output: Path | None, audio_in: bool, overwrite: bool
) -> list[Path]:
    """One WAV path per input, distinct from each other and from every input; raises ``OutputConflictError`` naming the fix
    when a path is an input, or exists and ``overwrite`` is off."""
    if output is not None and len(inputs) != 1:
        raise InvalidInputError(f"-o/--output names one file but there are {len(inputs)} inputs: use --output-dir.")
    if output is not None and output.is_dir():
        raise InvalidInputError(f"-o {output} is a folder; name a .wav file, or use --output-dir {output}.")
    protected = {Path(str(x)).resolve() for x in inputs} if audio_in else set()
    paths, taken = [], set()
    for index, source in enumerate(inputs):
        stem = Path(str(source)).stem if audio_in else f"tts_{index:04d}"
        candidate, number = output or out_dir / f"{stem}.{task}.wav", 1
        while output is None and candidate.resolve() in taken | protected:
            number += 1
            candidate = out_dir / f"{stem}-{number}.{task}.wav"
        if candidate.resolve() in protected:
            raise OutputConflictError(f"-o {candidate} is the input file; name another output file.")
        if candidate.exists() and not overwrite:
            raise OutputConflictError(
                f"{candidate} exists; pass --overwrite to replace it, or choose another --output-dir."
            )
        taken.add(candidate.resolve())
        paths.append(candidate)
    return paths


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ..tasks import task_spec

    known = set(BUILTIN_TASKS) | set(CHAINED_TASKS)
    if args.task not in known:
        raise InvalidInputError(
            f"unknown task {args.task!r}; pick one of {', '.join(sorted(known))} (lauragpt run --help describes them)."
        )
    audio_in = args.task in CHAINED_TASKS or task_spec(args.task, list(BUILTIN_TASKS)).input_modality == AUDIO
    if audio_in:
        inputs = collect_audio(args.inputs)
        if not inputs:
            raise InvalidInputError(f"task {args.task} takes audio: give audio files or folders.")
    else:
        if args.text_file is not None and not args.text_file.is_file():
            raise InvalidInputError(
                f"--text-file {args.text_file} does not exist; pass a file with one input text per line."
            )
        inputs = list(args.text or []) + (
            args.text_file.read_text(encoding="utf-8").splitlines() if args.text_file else []
        )
        if not inputs or args.inputs:
            raise InvalidInputError(f"task {args.task} takes text: use --text or --text-file (not file arguments).")

    audio_out = args.task in CHAINED_TASKS or task_spec(args.task, list(BUILTIN_TASKS)).output_modality == CODEC
    if audio_out:  # before the model loads: a bad name costs nothing
        targets = output_paths(inputs, args.task, args.output_dir or Path("."), args.output, audio_in, args.overwrite)
    torch.manual_seed(args.seed)
    pipe = load_pipeline(args.model, args.device)
    generate = {"max_new_tokens": args.max_new_tokens} if args.max_new_tokens else {}
    if args.greedy:
        generate["do_sample"] = False
    if args.chunk_length_s is not None:
        generate["chunk_length_s"] = args.chunk_length_s
    for start in tqdm(range(0, len(inputs), args.batch_size), disable=len(inputs) <= args.batch_size, file=sys.stderr):
        chunk = inputs[start : start + args.batch_size]
        try:
            results = pipe(
                [str(x) for x in chunk] if audio_in else chunk,
                task=args.task,
                batch_size=args.batch_size,
                language=args.language,
                voice=str(args.voice) if args.voice else None,
                **generate,
            )
        except ValueError as error:  # bad input: one line, with the command line's spelling of the fix
            raise InvalidInputError(str(error).replace("chunk_length_s=30", "--chunk-length-s 30")) from error
        for index, (source, result) in enumerate(zip(chunk, results), start):
            record = {"input": str(source), "task": args.task}
            if audio_out:
                target = targets[index]
                write_audio_atomic(target, result.pop("audio"), result.pop("sampling_rate"))
                record.update(output=str(target), **result)
            else:
                record.update(result)
            print(json.dumps(record, ensure_ascii=False), flush=True)
    return 0


__all__ = ["build_parser", "main", "output_paths", "positive_int", "task_help"]


if __name__ == "__main__":
    sys.exit(main())
