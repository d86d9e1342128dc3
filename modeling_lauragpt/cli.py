"""The ``lauragpt`` command line: ``lauragpt demo`` (more subcommands come with the pipeline and training)."""

from __future__ import annotations

import sys

COMMANDS = {
    "demo": "build, train, save, reload and run a tiny LauraGPT on made-up data (seconds, CPU)",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        lines = [f"  {name:8} {text}" for name, text in COMMANDS.items()]
        print("usage: lauragpt COMMAND [options]\n\ncommands:\n" + "\n".join(lines))
        return 0 if not argv or argv[0] in ("-h", "--help") else 2
    if argv[0] == "demo":
        from .demo import main as demo_main

        return demo_main(argv[1:])
    return 2


if __name__ == "__main__":
    sys.exit(main())
