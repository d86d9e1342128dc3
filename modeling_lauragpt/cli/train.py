"""``lauragpt train``: the multi-task Trainer recipe from a YAML config.

    lauragpt train --config tiny.yaml --data runs/demo/corpus --output-dir runs/tiny
    lauragpt train --config tiny.yaml --data runs/demo/corpus --output-dir runs/tiny --resume      # last checkpoint
    lauragpt train --config paper.yaml --output-dir runs/paper --set codec.path=codec/ --set training.bf16=false
    accelerate launch --config_file training/accelerate_configs/cpu_2proc.yaml \\
        -m modeling_lauragpt.cli.train --config tiny.yaml --data runs/demo/corpus --output-dir runs/tiny2

``--config`` is a YAML path or a file of ``training/configs`` (``tiny``, ``paper``), deep-merged onto
``base.yaml``; ``--set key.sub=value`` (repeatable) overrides any key last. See ``docs/training.md``.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import InvalidInputError
from ..training.arguments import add_set_argument
from .run import positive_int


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lauragpt train",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config", default="tiny.yaml", help="overlay YAML (path, or tiny / paper / ...; default tiny.yaml)"
    )
    parser.add_argument(
        "--data", help="canonical corpus folder or Hub id (data.source), or one Hub dataset / adapter name"
    )
    parser.add_argument(
        "--output-dir", required=True, help="checkpoints, then the final model + processor + trainer_state.json"
    )
    parser.add_argument(
        "--resume",
        nargs="?",
        const=True,
        default=None,
        metavar="CHECKPOINT",
        help="resume from the last checkpoint in --output-dir, or from CHECKPOINT",
    )
    parser.add_argument("--max-steps", type=positive_int, help="optimizer steps (training.max_steps)")
    parser.add_argument("--tasks", help="comma-separated tasks to train (the others are left out), e.g. asr,tts")
    parser.add_argument("--codec", help="codec or vocoder folder for tts/se targets (codec.path)")
    add_set_argument(parser, "training.learning_rate=3e-4")
    parser.add_argument("--print-config", action="store_true", help="print the resolved config and exit")
    parser.add_argument("--overwrite", action="store_true", help="train into an --output-dir that holds other files")
    return parser


def resolve_config(args: argparse.Namespace) -> dict:
    """The recipe config of a command line: overlay, then ``--set``, then the shortcut flags (a flag given wins, as
    in every training command)."""
    from ..training.recipe_config import load_recipe_config

    shortcuts = []
    if args.data is not None:
        shortcuts.append(f"data.source={args.data}")
    if args.max_steps is not None:
        shortcuts.append(f"training.max_steps={args.max_steps}")
    if args.codec is not None:
        shortcuts.append(f"codec.path={args.codec}")
    config = load_recipe_config(args.config, list(args.overrides) + shortcuts)
    if args.tasks:
        wanted = [t.strip() for t in args.tasks.split(",") if t.strip()]
        unknown = sorted(set(wanted) - set(config["data"]["tasks"]))
        if unknown:
            raise InvalidInputError(f"--tasks {unknown} are not in data.tasks ({sorted(config['data']['tasks'])}).")
        config["data"]["tasks"] = {t: e for t, e in config["data"]["tasks"].items() if t in wanted}
    return config


def check_training_section(config: dict) -> None:
    """Build the ``TrainingArguments`` once, before any data is read, so a bad ``training.*`` value (a typo'd
    field, ``learning_rate=abc``) is refused by name instead of failing deep inside a run."""
    import dataclasses
    import tempfile

    from transformers import TrainingArguments

    from ..training.trainer_recipe import training_arguments

    defaults = {field.name: field.default for field in dataclasses.fields(TrainingArguments)}
    for key, value in config["training"].items():
        default = defaults.get(key)
        if isinstance(default, (int, float)) and not isinstance(default, bool) and isinstance(value, str):
            raise InvalidInputError(f"the recipe's training.{key} must be a number, got {value!r}.")
    with tempfile.TemporaryDirectory() as scratch:
        try:
            training_arguments(config, scratch)
        except (TypeError, ValueError) as error:
            raise InvalidInputError(f"the recipe's training section is invalid: {error}") from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import yaml

    try:  # a refusal of a value or file goes to lauragpt's error boundary (modeling_lauragpt/cli/__init__.py)
        config = resolve_config(args)
    except yaml.YAMLError as error:
        where = " ".join(str(error).split())  # PyYAML's message spans lines; the error boundary prints one
        raise InvalidInputError(f"the recipe config {args.config} is not valid YAML: {where}") from error
    check_training_section(config)
    if args.print_config:
        print(yaml.safe_dump(config, sort_keys=False))
        return 0
    from ..training.trainer_recipe import run_recipe

    # run_recipe checks the output folder before it reads any data
    trainer = run_recipe(config, args.output_dir, resume=args.resume, overwrite=args.overwrite)
    if trainer.is_world_process_zero():
        losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
        last = f", last logged loss {losses[-1]:.4f}" if losses else ""
        print(
            f"[train] {trainer.state.global_step} steps{last} -> {args.output_dir} (model, processor, trainer_state.json)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
