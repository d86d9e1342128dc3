"""Teach a trained LauraGPT a task none of its task tokens covers, with LoRA (PEFT), then merge it back.

The cycle, top to bottom::

    lid = TaskSpec("lid", "audio", "text", "spoken language identification")
    peft_model, processor = finetune_new_task(model, processor, lid, rows, "out/adapter")  # add_task + LoRA
    peft_model, processor = load_adapter("out/adapter")                                 # base folder + adapter
    merged = merge_adapter(peft_model, processor, "out/merged")                          # a complete model folder

``add_task`` appends ``<|lid|>`` after the existing task tokens (no earlier id moves), grows the embedding and
output matrices by one mean-initialised row, and records the task's modalities in ``config.custom_tasks`` and the
processor's ``custom_tasks``. Training is ``transformers.Trainer`` with ``LauraGPTCollator``; LoRA adapts the
LLM's attention and MLP projections, and ``trainable_token_indices`` trains only the new token's rows of the
input embedding and of ``lm_head`` (so the adapter carries them: its base is the unmodified model folder).
"""

from __future__ import annotations

import copy
import shutil
import tempfile
from pathlib import Path

import torch
from peft import LoraConfig, PeftConfig, PeftModel, get_peft_model
from transformers import Trainer, TrainingArguments

from ..errors import InvalidInputError
from ..modeling_lauragpt import LauraGPTForConditionalGeneration
from ..processing.pipeline_lauragpt import VOCODER_SUBFOLDER
from ..processing.processing_lauragpt import LauraGPTProcessor
from ..tasks import TaskSpec, register_task, task_spec
from .collator import LauraGPTCollator

# LoRA on every projection of the LLM's blocks; the audio tower, projector and vocoder Linears are left alone.
LLM_LORA_TARGETS = r".*language_model\.layers\.\d+\.(self_attn\.(q|k|v|o)_proj|mlp\.(gate|up|down)_proj)"
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")


def add_task_to_model(model: LauraGPTForConditionalGeneration, spec: TaskSpec) -> int:
    """Append task ``spec`` to ``model.config`` and give its token a mean-initialised embedding and output row.

    Returns the new task token's id. The rows are the mean of all earlier rows, so the same base model always
    gets the same new rows.
    """
    config = model.config
    if spec.name in config.tasks:
        raise InvalidInputError(
            f"The model already has task {spec.name!r} (tasks: {', '.join(config.tasks)}); pick a new name."
        )
    register_task(spec)
    config.tasks = [*config.tasks, spec.name]
    config.custom_tasks = {**config.custom_tasks, spec.name: spec.to_dict()}
    new_id = config.task_token_ids[spec.name]
    if model.get_input_embeddings().weight.shape[0] <= new_id:
        model.resize_token_embeddings(new_id + 1, mean_resizing=False)
    matrices = {id(m.weight): m.weight for m in (model.get_input_embeddings(), model.get_output_embeddings())}
    with torch.no_grad():
        for weight in matrices.values():
            weight[new_id] = weight[:new_id].float().mean(dim=0).to(weight.dtype)
    return new_id


def add_task(
    model: LauraGPTForConditionalGeneration, processor: LauraGPTProcessor, spec: TaskSpec
) -> LauraGPTProcessor:
    """Add task ``spec`` to the model (in place) and return a new processor whose tokenizer has its token.

    The given processor and its tokenizer are left unchanged (the new one works on a copy).
    """
    if list(processor.tasks) != list(model.config.tasks):
        raise InvalidInputError(
            f"Processor tasks {processor.tasks} differ from model tasks {model.config.tasks}: load both from the "
            "same model folder."
        )
    new_id = add_task_to_model(model, spec)
    extended = LauraGPTProcessor(
        processor.feature_extractor,
        copy.deepcopy(processor.tokenizer),
        **LauraGPTProcessor.config_kwargs(model.config),
    )
    if extended.vocabulary.task_token_ids[spec.name] != new_id:
        raise InvalidInputError(
            f"The tokenizer gives <|{spec.name}|> id {extended.vocabulary.task_token_ids[spec.name]} but the model "
            f"expects {new_id}: the processor's text vocabulary does not belong to this model."
        )
    return extended


def new_task_lora_config(
    model: LauraGPTForConditionalGeneration,
    task_names: list[str],
    r: int = 8,
    alpha: int = 16,
    dropout: float = 0.0,
    target_modules: str | list[str] = LLM_LORA_TARGETS,
) -> LoraConfig:
    """LoRA on the LLM plus trainable rows for the tokens of ``task_names`` (input embedding and ``lm_head``).

    With a tied head only the embedding rows are listed and ``ensure_weight_tying`` keeps the two in step.
    """
    ids = [model.config.task_token_ids[name] for name in task_names]
    tied = bool(model.config.tie_word_embeddings)
    return LoraConfig(
        task_type="CAUSAL_LM",
        r=r,
        lora_alpha=alpha,
        lora_dropout=dropout,
        target_modules=target_modules,
        trainable_token_indices={"embed_tokens": ids} if tied else {"embed_tokens": ids, "lm_head": ids},
        ensure_weight_tying=tied,
    )


def finetune_new_task(
    model: LauraGPTForConditionalGeneration,
    processor: LauraGPTProcessor,
    spec: TaskSpec,
    rows,
    output_dir: str | Path,
    *,
    lora_r: int = 8,
    lora_alpha: int = 16,
    lora_dropout: float = 0.0,
    target_modules: str | list[str] = LLM_LORA_TARGETS,
    max_steps: int = 1000,
    learning_rate: float = 2e-4,
    batch_size: int = 8,
    seed: int = 0,
    base_model_name_or_path: str | None = None,
) -> tuple[PeftModel, LauraGPTProcessor]:
    """Add task ``spec`` (``add_task``), train a LoRA adapter for it and save only the adapter.

    Args:
        model, processor: the base model (changed in place: it gets the task's token and the adapter layers) and
            its processor (left unchanged).
        spec: the new task.
        rows: canonical training examples (a ``datasets.Dataset`` or a list of ``make_example`` dicts); only rows of
            ``spec.name`` are used.
        output_dir: receives ``adapter_config.json``, ``adapter_model.safetensors`` and the processor files.
        base_model_name_or_path: the base model folder or Hub id written into the adapter (defaults to the folder
            the model was loaded from).

    Returns the trained ``PeftModel`` (in eval mode) and the processor that knows the new task.
    """
    task = spec.name
    if hasattr(rows, "filter"):
        rows = rows.filter(lambda t: t == task, input_columns="task")
    else:
        rows = [row for row in rows if row["task"] == task]
    if len(rows) == 0:
        raise InvalidInputError(f"No training rows have task {task!r}: set each row's 'task' column to {task!r}.")
    base = base_model_name_or_path or model.name_or_path
    if not base:
        raise InvalidInputError(
            "The adapter needs its base model: save the base model and pass base_model_name_or_path=."
        )
    processor = add_task(model, processor, spec)
    torch.manual_seed(seed)
    peft_model = get_peft_model(
        model, new_task_lora_config(model, [task], lora_r, lora_alpha, lora_dropout, target_modules)
    )
    with tempfile.TemporaryDirectory() as scratch:
        arguments = TrainingArguments(
            output_dir=scratch,
            max_steps=max_steps,
            per_device_train_batch_size=batch_size,
            learning_rate=learning_rate,
            weight_decay=0.0,
            logging_steps=max(1, max_steps // 10),
            save_strategy="no",
            report_to="none",
            remove_unused_columns=False,
            label_names=["labels"],
            seed=seed,
            dataloader_pin_memory=torch.cuda.is_available(),
            disable_tqdm=True,
        )
        Trainer(model=peft_model, args=arguments, train_dataset=rows, data_collator=LauraGPTCollator(processor)).train()
    peft_model.eval()
    save_adapter(peft_model, processor, output_dir, base)
    return peft_model, processor


def save_adapter(
    peft_model: PeftModel, processor: LauraGPTProcessor, output_dir: str | Path, base_model_name_or_path: str
):
    """Write only the adapter weights and config, plus the processor that knows the new task."""
    local = Path(base_model_name_or_path)
    for config in peft_model.peft_config.values():
        config.base_model_name_or_path = str(local.resolve()) if local.is_dir() else base_model_name_or_path
    peft_model.save_pretrained(output_dir)
    processor.save_pretrained(output_dir)


def load_adapter(adapter_dir: str | Path, base_model=None) -> tuple[PeftModel, LauraGPTProcessor]:
    """Load a saved adapter onto its base model: ``(PeftModel, processor)``.

    ``base_model`` (a folder, Hub id or loaded ``LauraGPTForConditionalGeneration``) defaults to the
    ``base_model_name_or_path`` recorded in the adapter. The adapter's new tasks are added to the base first.
    """
    folder = Path(adapter_dir)
    missing = [name for name in (*ADAPTER_FILES, "processor_config.json") if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{folder} lacks {', '.join(missing)}: pass the folder finetune_new_task saved the adapter and "
            "processor to (`lauragpt finetune` writes it to OUTPUT_DIR/adapter)."
        )
    processor = LauraGPTProcessor.from_pretrained(folder)
    if base_model is None or isinstance(base_model, (str, Path)):
        base_model = LauraGPTForConditionalGeneration.from_pretrained(
            base_model or PeftConfig.from_pretrained(folder).base_model_name_or_path
        )
    known = list(base_model.config.tasks)
    if processor.tasks[: len(known)] != known:
        raise InvalidInputError(
            f"The adapter was trained for tasks {processor.tasks}, which do not extend the base model's {known}."
        )
    for name in processor.tasks[len(known) :]:
        add_task_to_model(base_model, task_spec(name, processor.tasks))
    return PeftModel.from_pretrained(base_model, folder).eval(), processor


def merge_adapter(
    peft_model: PeftModel, processor: LauraGPTProcessor, output_dir: str | Path
) -> LauraGPTForConditionalGeneration:
    """Fold the adapter into the base weights and save a complete model folder (model, processor, vocoder).

    The base folder's companion vocoder (``vocoder/``), when there is one, is copied so audio-output tasks keep
    working through ``pipeline("lauragpt", model=output_dir)``. Returns the merged model.
    """
    base = Path(next(iter(peft_model.peft_config.values())).base_model_name_or_path or "")
    merged = peft_model.merge_and_unload()
    merged.save_pretrained(output_dir)
    processor.save_pretrained(output_dir)
    if (base / VOCODER_SUBFOLDER).is_dir():
        shutil.copytree(base / VOCODER_SUBFOLDER, Path(output_dir) / VOCODER_SUBFOLDER, dirs_exist_ok=True)
    return merged


__all__ = [
    "LLM_LORA_TARGETS",
    "add_task",
    "add_task_to_model",
    "finetune_new_task",
    "load_adapter",
    "merge_adapter",
    "new_task_lora_config",
    "save_adapter",
]
