"""``lauragpt export-hub MODEL_DIR OUT``: a self-contained copy of a LauraGPT folder, ready for ``push_to_hub``.

OUT holds the weights and configs of MODEL_DIR (and of its ``vocoder/`` / ``codec/``), the processor, a generated
model card, and the package's code flattened into single-level ``.py`` files, with ``auto_map`` entries in
``config.json``, ``processor_config.json`` (and its nested feature extractor), ``tokenizer_config.json``,
``vocoder/config.json`` and (a ``LauraGPTCPUCodec`` there) ``codec/config.json``, plus a ``custom_pipelines`` entry
for ``pipeline("lauragpt", trust_remote_code=True)``.
Those entries exist only in exports: the package's own saved folders never carry them (a checkpoint with
``custom_pipelines`` makes ``pipeline()`` demand ``trust_remote_code`` even with the package installed).

    lauragpt export-hub path/to/model path/to/export --repo-id you/lauragpt-small --license apache-2.0 --verify
    huggingface-cli upload you/lauragpt-small path/to/export        # or HfApi().upload_folder(...), see docs/conversion.md
"""

from __future__ import annotations

import argparse
import sys

from ..conversion.export_hub import export_hub


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lauragpt export-hub", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("model_dir", help="a saved LauraGPT folder (model + processor, optional vocoder/)")
    parser.add_argument("out", help="output folder: upload it as the Hub repository")
    parser.add_argument("--repo-id", help="the Hub repository it is meant for (used in the card's snippets)")
    parser.add_argument("--license", help="Hub license id for the card (default: the existing card's, else 'other')")
    parser.add_argument("--base-model", help="Hub id of the base LLM, for the card's metadata")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty OUT")
    parser.add_argument(
        "--verify", action="store_true", help="load the export in a fresh process without lauragpt importable"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = export_hub(args.model_dir, args.out, args.repo_id, args.license, args.base_model, args.overwrite)
    print(f"Exported {args.model_dir} to {out} ({len(list(out.glob('*.py')))} code files).")
    if args.verify:
        from ..conversion.export_check import verify_export

        result = verify_export(out)
        print(result.stdout.strip() or result.stderr.strip()[-2000:])
        return 0 if result.returncode == 0 else 1
    return 0


__all__ = ["build_parser", "main"]


if __name__ == "__main__":
    sys.exit(main())
