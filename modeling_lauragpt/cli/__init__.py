"""The ``lauragpt`` command line (``lauragpt COMMAND --help`` for details; also ``python -m modeling_lauragpt.cli``).

Each command is one module of this package, named after it (``build-demo-data`` -> ``build_demo_data.py``), holding
its argument parser (``build_parser()``) and ``main(argv: list[str] | None = None) -> int``; the library code it calls
lives outside ``cli/``. Each also runs alone (``python -m modeling_lauragpt.cli.train ...``, e.g. under
``accelerate launch``), without the error boundary.

This file dispatches, and is the one error boundary (``docs/errors.md``): an expected failure (bad input, a missing
or corrupt file, permissions, a full disk) prints one ``lauragpt COMMAND: error: ...`` line and exits 2, Ctrl-C exits
130 without a traceback, and ``--debug`` (anywhere on the line) shows the traceback instead.
"""

from __future__ import annotations

import importlib
import sys

from ..errors import LauraGPTError

# command -> (module relative to this package, one-line help)
COMMANDS = {
    "demo": (".demo", "run every task of the default model on bundled samples, write a report"),
    "run": (".run", "run a task (asr, s2tt, tts, se, aac, ser, slu, mt, s2st...) on files, folders or text"),
    "train": (".train", "multi-task Trainer recipe on Hub-format datasets (YAML/py overlays)"),
    "eval": (".eval", "generation-based per-task metrics: JSON, markdown table, plots"),
    "finetune": (".finetune", "add a new task token and train a LoRA adapter for it (PEFT)"),
    "build-demo-data": (".build_demo_data", "build the offline eight-task demo corpus (Hub parquet)"),
    "convert": (".convert", "convert FunCodec / FunASR checkpoints to our safetensors folders"),
    "export-hub": (".export_hub", "write a self-contained folder ready for push_to_hub"),
    "bench": (".bench", "quick benchmark suite (ratios measured side by side)"),
    "serve": (".serve", "start the Gradio web demo (every task, in a browser)"),
}


# lauragpt's own refusals (errors.py), bad values and input, missing, unreadable or unwritable files (FileNotFoundError,
# PermissionError, IsADirectoryError, a full disk ...), an optional package that is not installed. Anything else is a
# bug and keeps its traceback.
EXPECTED_ERRORS = (LauraGPTError, ValueError, OSError, ModuleNotFoundError)
EXIT_ERROR, EXIT_INTERRUPTED = 2, 130


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [arg for arg in argv if arg != "--debug"]
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        lines = [f"  {name:16} {text}" for name, (_, text) in COMMANDS.items()]
        print("usage: lauragpt COMMAND [options] [--debug]\n\ncommands:\n" + "\n".join(lines))
        if argv and argv[0] not in ("-h", "--help"):
            print(f"\nerror: unknown command {argv[0]!r}; pick one of the commands above", file=sys.stderr)
            return 2
        return 0
    module_name, _ = COMMANDS[argv[0]]
    try:
        command = importlib.import_module(module_name, package=__package__).main
        return command(argv[1:])
    except KeyboardInterrupt:
        if debug:
            raise
        print(
            f"\nlauragpt {argv[0]}: interrupted; nothing half-written was left in place of an output", file=sys.stderr
        )
        return EXIT_INTERRUPTED
    except EXPECTED_ERRORS as error:
        if debug:
            raise
        print(f"lauragpt {argv[0]}: error: {error} (--debug shows the traceback)", file=sys.stderr)
        return EXIT_ERROR
