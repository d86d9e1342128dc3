"""``lauragpt serve``: start the web demo (``web_demo.py``), every task of a model in a browser.

    lauragpt serve                                   # the embedded default model on http://127.0.0.1:7860
    lauragpt serve --model my-lauragpt --port 8080   # any LauraGPT folder (vocoder/ inside for audio output)
    lauragpt serve --host 0.0.0.0                    # reachable from other machines

A model folder that cannot be loaded stops it before the server starts, with one line and exit status 2.
"""

from __future__ import annotations

import argparse
import sys

from ..web_demo import DEFAULT_HOST, DEFAULT_PORT

HIGHEST_PORT = 65_535


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 1 to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= value <= HIGHEST_PORT:
        raise argparse.ArgumentTypeError(f"a port is 1 to {HIGHEST_PORT}, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lauragpt serve",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--model", help="a LauraGPT folder (default: the embedded default model)")
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to listen on (default: {DEFAULT_HOST}, this machine only)"
    )
    parser.add_argument("--port", type=port_number, default=DEFAULT_PORT, help=f"TCP port (default: {DEFAULT_PORT})")
    parser.add_argument("--device", default=None, help="e.g. cuda; default CPU")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ..web_demo import build_app, launch

    demo = build_app(args.model, device=args.device)  # ModelLoadError: the CLI boundary prints it, exit 2
    launch(demo, host=args.host, port=args.port, quiet=True, prevent_thread_lock=True)  # a busy port: OSError, exit 2
    print(f"lauragpt serve: open {demo.local_url} in a browser (Ctrl-C stops the server)", flush=True)
    demo.block_thread()  # until Ctrl-C
    return 0


__all__ = ["build_parser", "main", "port_number"]


if __name__ == "__main__":
    sys.exit(main())
