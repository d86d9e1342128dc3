"""``lauragpt finetune``: add a new task token to a trained LauraGPT and train a LoRA adapter for it.

    lauragpt finetune --model path/to/lauragpt --task lid --input audio --output text \\
        --description "spoken language identification: speech in, language code out" \\
        --data path/to/lid_dataset --output-dir runs/lid --max-steps 500 --merge

writes ``runs/lid/adapter`` (adapter weights + the processor that knows ``<|lid|>``) and, with ``--merge``,
``runs/lid/merged``, a complete model folder for ``pipeline("lauragpt", model="runs/lid/merged")``.
``--data`` is a canonical dataset (``training.data.schema``): a ``save_to_disk`` folder or a Hub-format folder
(parquet / json files) whose ``train`` split has rows with ``task`` equal to ``--task``.

The training knobs (``FinetuneArguments``: lora_r, lora_alpha, lora_dropout, max_steps, learning_rate, batch_size,
seed) also come from a YAML of those fields, ``--config lid.yaml``, and ``--set field=value``; the flags
(``--lora-r``, ``--max-steps``...) are shortcuts and win over ``--set``, which wins over the YAML:

    lauragpt finetune --model path/to/lauragpt --task lid --data path/to/lid_dataset --output-dir runs/lid \\
        --config lid.yaml --set learning_rate=1e-4 --max-steps 200
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import InvalidInputError
from ..tasks import AUDIO, CODEC, TEXT, TaskSpec
from ..training.arguments import add_config_arguments, arguments_from_command_line

ADAPTER_SUBFOLDER = "adapter"
MERGED_SUBFOLDER = "merged"


@dataclass
class FinetuneArguments:
    """The training knobs of ``lauragpt finetune`` (the keyword arguments of ``peft_finetune.finetune_new_task``)."""

    lora_r: int = 8  # LoRA rank
    lora_alpha: int = 16  # LoRA scaling numerator
    lora_dropout: float = 0.0  # dropout on the LoRA path
    max_steps: int = 1000  # optimizer steps
    learning_rate: float = 2e-4  # peak learning rate
    batch_size: int = 8  # examples per step
    seed: int = 0  # seed of the LoRA init and data order


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lauragpt finetune", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", required=True, help="folder (or Hub id) of the trained LauraGPT model and processor")
    parser.add_argument("--task", required=True, help="name of the new task; also its token <|name|>")
    parser.add_argument("--input", choices=(AUDIO, TEXT), default=AUDIO, help="what the task reads (default: audio)")
    parser.add_argument("--output", choices=(TEXT, CODEC), default=TEXT, help="what the task writes (default: text)")
    parser.add_argument("--description", help="one line describing the task (default: built from the modalities)")
    parser.add_argument(
        "--data", required=True, type=Path, help="canonical dataset folder (save_to_disk or Hub format)"
    )
    parser.add_argument(
        "--output-dir", required=True, type=Path, help=f"receives {ADAPTER_SUBFOLDER}/ (and {MERGED_SUBFOLDER}/)"
    )
    # shortcuts for FinetuneArguments fields: None means "not given", so --set and --config can set the field
    parser.add_argument("--lora-r", type=int, help="LoRA rank (default: 8)")
    parser.add_argument("--lora-alpha", type=int, help="LoRA scaling numerator (default: 16)")
    parser.add_argument("--lora-dropout", type=float, help="dropout on the LoRA path (default: 0)")
    parser.add_argument("--max-steps", type=int, help="optimizer steps (default: 1000)")
    parser.add_argument("--learning-rate", type=float, help="peak learning rate (default: 2e-4)")
    parser.add_argument("--batch-size", type=int, help="examples per step (default: 8)")
    parser.add_argument("--seed", type=int, help="seed of the LoRA init and data order (default: 0)")
    add_config_arguments(parser, example="learning_rate=1e-4")
    parser.add_argument(
        "--merge", action="store_true", help=f"also write the merged model to OUTPUT_DIR/{MERGED_SUBFOLDER}"
    )
    return parser


def parse_args(argv: list[str] | None = None) -> tuple[argparse.Namespace, FinetuneArguments]:
    """The command line and its training knobs: default < ``--config`` YAML < ``--set`` < a flag.

    parse_args([..., "--set", "max_steps=50", "--max-steps", "9"])[1].max_steps -> 9
    """
    args = build_parser().parse_args(argv)
    return args, arguments_from_command_line(FinetuneArguments, args)


def load_training_rows(path: Path, task: str | None = None):
    """The ``train`` split of a canonical dataset folder, as a ``datasets.Dataset``. A Hub-format folder with one
    config per task (what ``lauragpt build-demo-data`` writes) gives its ``task`` config."""
    import datasets

    if not path.exists():
        raise FileNotFoundError(
            f"--data {path} does not exist: pass a dataset folder written by save_to_disk or in Hub format."
        )
    if (path / "state.json").exists() or (path / "dataset_dict.json").exists():
        data = datasets.load_from_disk(str(path))
    else:
        configs = [name for name in datasets.get_dataset_config_names(str(path)) if name != "default"]
        if configs and task not in configs:
            raise InvalidInputError(
                f"--data {path} holds one config per task ({', '.join(configs)}) and none is {task!r}: put the rows of "
                f"the new task (task column {task!r}) in a '{task}' config of that folder, or in a folder of their own."
            )
        data = datasets.load_dataset(str(path), task) if configs else datasets.load_dataset(str(path))
    if isinstance(data, datasets.DatasetDict):
        if "train" not in data:
            raise InvalidInputError(f"--data {path} has splits {sorted(data)} but no 'train' split to fine-tune on.")
        data = data["train"]
    if "task" not in data.column_names:
        raise InvalidInputError(
            f"--data {path} has columns {data.column_names} but no 'task' column: convert it to the canonical format "
            "(modeling_lauragpt.training.data.schema.make_example)."
        )
    return data


def main(argv: list[str] | None = None) -> int:
    args, arguments = parse_args(argv)
    from ..modeling_lauragpt import LauraGPTForConditionalGeneration
    from ..processing.processing_lauragpt import LauraGPTProcessor
    from ..training.peft_finetune import finetune_new_task, merge_adapter

    description = args.description or f"{args.task}: {args.input} in, {args.output} out (fine-tuned task)"
    spec = TaskSpec(args.task, args.input, args.output, description)
    # data, model and task problems raise ValueError / OSError: lauragpt's error boundary makes each one line
    rows = load_training_rows(args.data, args.task)
    model = LauraGPTForConditionalGeneration.from_pretrained(args.model)
    processor = LauraGPTProcessor.from_pretrained(args.model)
    adapter_dir = args.output_dir / ADAPTER_SUBFOLDER
    peft_model, processor = finetune_new_task(
        model,
        processor,
        spec,
        rows,
        adapter_dir,
        **asdict(arguments),
        base_model_name_or_path=args.model,
    )
    trainable, total = peft_model.get_nb_trainable_parameters()
    print(f"adapter for task {args.task!r} ({trainable:,} of {total:,} parameters trained) -> {adapter_dir}")
    if args.merge:
        merged_dir = args.output_dir / MERGED_SUBFOLDER
        merge_adapter(peft_model, processor, merged_dir)
        print(
            f"merged model -> {merged_dir}  (pipeline('lauragpt', model={str(merged_dir)!r})(clip, task={args.task!r}))"
        )
    return 0


__all__ = ["FinetuneArguments", "build_parser", "load_training_rows", "main", "parse_args"]


if __name__ == "__main__":
    sys.exit(main())
