"""The ``lauragpt`` command line: ``lauragpt demo`` and ``lauragpt run`` (``lauragpt COMMAND --help`` for details)."""

from __future__ import annotations

import sys

COMMANDS = {
    "demo": "build, train, save, reload and run a tiny LauraGPT on made-up data (seconds, CPU)",
    "run": "run a task (asr, s2tt, tts, se, aac, ser, slu, mt, s2st...) on files, folders or text",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        lines = [f"  {name:8} {text}" for name, text in COMMANDS.items()]
        print("usage: lauragpt COMMAND [options]\n\ncommands:\n" + "\n".join(lines))
        return 0 if not argv or argv[0] in ("-h", "--help") else 2
    if argv[0] == "demo":
        from .demo import main as command
    else:
        from .run_cli import main as command
    return command(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
