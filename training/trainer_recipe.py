"""The multi-task LauraGPT training recipe, top to bottom: data -> processor -> model -> Trainer -> saved folder.

    from modeling_lauragpt.training.trainer_recipe import run_recipe
    from modeling_lauragpt.training.recipe_config import load_recipe_config
    trainer = run_recipe(load_recipe_config("tiny.yaml", ["data.source=runs/demo/corpus"]), "runs/tiny")

What trains: the whole ``LauraGPTForConditionalGeneration`` (LLM, audio tower, projector), or all but the audio
tower with ``model.freeze_audio_tower`` (then ``data.cache_audio_frames`` runs the tower once per clip, before
training), or all but its lower layers with ``model.trainable_tower_layers`` (the cache then holds the frozen
layers' states, and the top layers run on them in each step). The codec only supplies targets (frozen); the vocoder is not involved. Evaluation reports the loss per task
(``eval_<task>_loss``); ``trainer_state.json`` in the output folder holds every logged value (``log_history``).
Multi-process runs are the same code under ``accelerate launch`` (``docs/training.md``): data preparation runs
on the main process first and the others read its cache and its saved processor.
"""

from __future__ import annotations

from pathlib import Path

import torch
import yaml
from transformers import (
    AutoModelForCausalLM,
    AutoProcessor,
    AutoTokenizer,
    Trainer,
    TrainingArguments,
    WhisperFeatureExtractor,
    set_seed,
)
from transformers.trainer_utils import get_last_checkpoint

from ..configuration_lauragpt import LauraGPTConfig
from ..conversion.assembly import load_audio_encoder
from ..conversion.vocabulary_trim import kept_token_ids, select_token_rows, trim_bpe_tokenizer
from ..errors import InvalidInputError, OutputConflictError
from ..modeling_lauragpt import LauraGPTForConditionalGeneration
from ..presets import codebook_size as preset_codebook_size
from ..processing.feature_extraction_lauragpt import LauraGPTFeatureExtractor
from ..processing.processing_lauragpt import LauraGPTProcessor
from ..processing.tokenizer_utils import train_text_tokenizer
from .collator import LauraGPTCollator
from .data.audio_frames import add_audio_frames
from .data.mixture import add_length_column, drop_overlong_rows
from .data.output_sets import merge_output_sets, task_output_sets
from .loss import training_loss
from .recipe_data import (
    TaskSplits,
    add_codes,
    load_codec,
    load_task_splits,
    training_clips,
    training_mixture,
    training_texts,
)
from .tower_rate_trainer import TowerRateTrainer

LENGTH_STRATEGIES = ("group_by_length", "batch_rebalance")  # samplers that read the `length` column


def training_arguments(config: dict, output_dir: str | Path) -> TrainingArguments:
    """``TrainingArguments`` from the recipe's ``training`` section, with what this recipe needs forced on:
    raw rows reach the collator, the loss is all evaluation computes, and the seed is the recipe's."""
    values = {"use_cpu": not torch.cuda.is_available(), "dataloader_pin_memory": torch.cuda.is_available()}
    values.update(config["training"])
    for key, value in values.items():  # YAML 1.1 reads `save_strategy: no` as false
        if key.endswith("_strategy") and value is False:
            values[key] = "no"
    values.update(
        output_dir=str(output_dir),
        seed=config["seed"],
        remove_unused_columns=False,
        label_names=["labels"],
        prediction_loss_only=True,
    )
    return TrainingArguments(**values)


def _tokenizer(config: dict, splits: TaskSplits):
    """The text tokenizer: named in the config (cut to the tokens the training text uses with
    ``processor.trim_tokenizer``), shipped with the corpus (``<data>/tokenizer``), or trained here."""
    name, source = config["processor"]["tokenizer"], config["data"].get("source")
    if config["processor"]["trim_tokenizer"] and not (name and config["model"]["text_model"]):
        raise InvalidInputError(
            "processor.trim_tokenizer cuts a pretrained text model's tokenizer down to the training text: set "
            "processor.tokenizer and model.text_model to that model (or trim_tokenizer=false)."
        )
    if config["processor"]["trim_tokenizer"]:
        return trim_bpe_tokenizer(AutoTokenizer.from_pretrained(name), training_texts(splits))
    if name is None and source and (Path(str(source)) / "tokenizer").is_dir():
        name = str(Path(str(source)) / "tokenizer")
    if name is not None:
        return AutoTokenizer.from_pretrained(name)
    return train_text_tokenizer(training_texts(splits), vocab_size=config["processor"]["tokenizer_vocab_size"])


def _pretrained_tower(config: dict):
    """(encoder, its feature extractor) of ``model.audio_tower``, or (None, None) when the tower starts random."""
    if not config["model"]["audio_tower"]:
        return None, None
    return load_audio_encoder(config["model"]["audio_tower"])


def _config_overrides(config: dict, encoder=None) -> dict:
    """``model.config``, plus the pretrained tower's own config as ``audio_config``."""
    overrides = dict(config["model"]["config"])
    if encoder is not None:
        audio_config = encoder.config.to_dict()
        audio_config["model_type"] = encoder.config.model_type
        overrides["audio_config"] = audio_config
    return overrides


def _preset_config(config: dict, encoder=None) -> LauraGPTConfig:
    """The model preset with the recipe's overrides (its audio tower decides the processor's feature extractor)."""
    return LauraGPTConfig.from_preset(config["model"]["preset"], **_config_overrides(config, encoder))


def build_processor(config: dict, splits: TaskSplits, codebook_size: int) -> LauraGPTProcessor:
    """A new processor (tokenizer + the tower's feature extractor: Whisper's log-mel, or our fbank with CMVN fit
    on training clips), or a saved one."""
    saved = config["model"]["init_from"] or config["processor"]["from_pretrained"]
    if saved:
        return AutoProcessor.from_pretrained(saved)
    encoder, extractor = _pretrained_tower(config)  # a pretrained tower brings its own feature extractor
    preset = _preset_config(config, encoder)
    if extractor is None and preset.audio_tower_type == "whisper":
        extractor = WhisperFeatureExtractor(feature_size=preset.audio_config.num_mel_bins)
    elif extractor is None:
        extractor = LauraGPTFeatureExtractor()
        clips = training_clips(splits, config["processor"]["cmvn_clips"])
        if clips:
            extractor.fit_cmvn(clips)
    audio_kwargs = {
        k: v
        for k, v in LauraGPTProcessor.config_kwargs(preset).items()
        if k not in ("tasks", "custom_tasks", "codebook_size")
    }
    return LauraGPTProcessor(extractor, _tokenizer(config, splits), codebook_size=codebook_size, **audio_kwargs)


def build_model(config: dict, processor: LauraGPTProcessor) -> LauraGPTForConditionalGeneration:
    """The model: a saved LauraGPT (``init_from``), or a preset sized to the processor's vocabulary (optionally
    starting its LLM from a pretrained causal LM, ``text_model``, and its tower from a pretrained encoder,
    ``audio_tower``). Seeded by the recipe's seed."""
    set_seed(config["seed"])
    model_config = config["model"]
    if model_config["init_from"]:
        return LauraGPTForConditionalGeneration.from_pretrained(model_config["init_from"])
    encoder, _ = _pretrained_tower(config)
    # The processor was built for the recipe's codec (codec.path), which may replace the preset's: its codebook size.
    lauragpt_config = LauraGPTConfig.from_processor(
        processor, model_config["preset"], codebook_size=processor.codebook_size, **_config_overrides(config, encoder)
    )
    model = LauraGPTForConditionalGeneration(lauragpt_config)
    if encoder is not None:
        model.load_audio_tower(encoder)
    if model_config["text_model"]:
        text_model = AutoModelForCausalLM.from_pretrained(model_config["text_model"])
        if config["processor"]["trim_tokenizer"]:  # the embedding rows of the tokens the trimmed tokenizer kept
            original = AutoTokenizer.from_pretrained(config["processor"]["tokenizer"])
            rows = kept_token_ids(processor.tokenizer, original, processor.vocabulary.text_vocab_size)
            select_token_rows(text_model, rows)
        model.load_text_model(text_model)
    return model


def _codebook_size(config: dict, codec) -> int:
    if codec is not None:
        return codec.config.codebook_size
    return preset_codebook_size(config["model"]["preset"])


def _checkpoint(output_dir: Path, resume) -> str | None:
    """The checkpoint to resume from: ``resume`` itself when it is a path, the last one in ``output_dir`` when
    ``resume`` is true (``None`` when there is none yet: the run starts fresh)."""
    if not resume:
        return None
    if isinstance(resume, (str, Path)) and str(resume).lower() not in ("true", "last"):
        if not Path(resume).is_dir():
            raise FileNotFoundError(
                f"Checkpoint {str(resume)!r} not found: pass a checkpoint-<step> folder or --resume alone."
            )
        return str(resume)
    last = get_last_checkpoint(str(output_dir)) if output_dir.is_dir() else None
    if last is None:
        print(f"[recipe] no checkpoint in {output_dir} yet: starting from step 0")
    return last


def prepare(config: dict, args: TrainingArguments, output_dir: Path, reuse_processor: bool):
    """Task splits (with codec targets) and the processor, as every process of a run needs them (call inside
    ``args.main_process_first``).

    The main process builds the processor and saves it to ``output_dir``; the others (and resumed runs) load that
    one, so every process and every resumed run tokenizes and normalises exactly alike.
    """
    splits = load_task_splits(config["data"])
    codec = load_codec(config["codec"]["path"]) if config["codec"]["path"] else None
    splits = add_codes(splits, codec, batch_size=config["codec"]["batch_size"], num_proc=config["data"].get("num_proc"))
    saved = (output_dir / "processor_config.json").is_file()
    if saved and (reuse_processor or not args.should_save):
        processor = AutoProcessor.from_pretrained(str(output_dir))
    else:
        processor = build_processor(config, splits, _codebook_size(config, codec))
        if args.should_save:
            processor.save_pretrained(str(output_dir))
    if codec is not None and codec.config.codebook_size != processor.codebook_size:
        raise InvalidInputError(
            f"The codec has {codec.config.codebook_size} codes per group but the processor (and model) expects "
            f"{processor.codebook_size}: use the codec the model was built for, or a new processor (processor.from_pretrained=null)."
        )
    return splits, processor


def with_audio_frames(splits: TaskSplits, model, processor) -> TaskSplits:
    """Every split with its cached tower frames (``add_audio_frames``), computed on the task splits before they are
    mixed, so each clip runs through the tower once however often the mixture draws it."""
    return TaskSplits(
        {task: add_audio_frames(rows, model, processor) for task, rows in splits.train.items()},
        {task: add_audio_frames(rows, model, processor) for task, rows in splits.eval.items()},
    )


def training_and_eval_sets(splits: TaskSplits, config: dict, args: TrainingArguments, processor):
    """The training mixture and the per-task evaluation sets (``length`` columns when the sampler reads them)."""
    needs_length = args.train_sampling_strategy in LENGTH_STRATEGIES  # group_by_length samples eval sets too
    train = training_mixture(splits, config["data"], config["seed"], processor if needs_length else None)
    evaluation = splits.eval
    if needs_length:
        evaluation = {
            task: add_length_column(rows, processor, num_proc=config["data"].get("num_proc"))
            for task, rows in evaluation.items()
        }
    return train, evaluation


def check_output_dir(output_dir: Path, overwrite: bool = False) -> None:
    """Refuse an ``output_dir`` that holds files but is not an earlier run of this recipe (neither ``recipe.yaml``
    nor a Trainer ``checkpoint-*``): training would write over another model's weights. ``overwrite`` allows it."""
    if overwrite or not output_dir.is_dir() or not any(output_dir.iterdir()):
        return
    if (output_dir / "recipe.yaml").is_file() or any(output_dir.glob("checkpoint-*")):
        return
    raise OutputConflictError(
        f"{output_dir} holds files but is not an earlier training run (no recipe.yaml or checkpoint-*): training would "
        "write over them. "
        "Pick a new or empty --output-dir, or pass --overwrite."
    )


def run_recipe(
    config: dict, output_dir: str | Path, resume: bool | str | None = None, overwrite: bool = False
) -> Trainer:
    """Train LauraGPT with ``config`` (``load_recipe_config``) into ``output_dir`` and save model + processor there.

    Args:
        config: the full recipe config.
        output_dir: checkpoints (``checkpoint-<step>``), then the final model, processor, ``trainer_state.json``
            and the resolved ``recipe.yaml``.
        resume: ``True`` resumes from the last checkpoint in ``output_dir`` (a fresh start when there is none);
            a path resumes from that checkpoint.
        overwrite: allow an ``output_dir`` that holds other files (``check_output_dir``).

    Returns:
        the ``Trainer`` after training (``trainer.state.log_history``: losses, eval losses per task).
    """
    output_dir = Path(output_dir)
    check_output_dir(output_dir, overwrite)
    args = training_arguments(config, output_dir)
    checkpoint = _checkpoint(output_dir, resume)
    with args.main_process_first(desc="dataset and processor preparation"):
        splits, processor = prepare(config, args, output_dir, reuse_processor=checkpoint is not None)
    model = build_model(config, processor)
    if config["model"]["freeze_audio_tower"]:
        model.freeze_audio_tower(config["model"]["trainable_tower_layers"])
    if config["data"]["cache_audio_frames"]:
        with args.main_process_first(desc="audio-tower frames"):
            splits = with_audio_frames(splits, model, processor)
        model.train()
    with args.main_process_first(desc="training mixture"):
        train, evaluation = training_and_eval_sets(splits, config, args, processor)
    languages, labels = task_output_sets(train)  # what the pipeline checks target languages and SER labels against
    model.config.task_languages = merge_output_sets(model.config.task_languages, languages)
    model.config.task_labels = merge_output_sets(model.config.task_labels, labels)
    limit = config["data"].get("max_sequence_length") or model.config.text_config.max_position_embeddings
    num_proc = config["data"].get("num_proc")
    train = drop_overlong_rows(train, processor, limit, "training mixture", num_proc)
    evaluation = {
        task: drop_overlong_rows(rows, processor, limit, f"{task} evaluation", num_proc)
        for task, rows in evaluation.items()
    }
    if args.should_save:
        (output_dir / "recipe.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    trainer = TowerRateTrainer(
        model=model,
        args=args,
        train_dataset=train,
        eval_dataset=evaluation or None,
        # the model's own token-mean loss needs logits only where an output token is predicted (one process per
        # device: DataParallel would split the position list along with the batch)
        data_collator=LauraGPTCollator(
            processor,
            output_logits_only=config["loss"]["average"] == "token" and args.n_gpu <= 1,
            audio_frames_per_token=model.cached_frames_pooling,
        ),
        processing_class=processor,
        compute_loss_func=training_loss(config["loss"]["average"], args),
        tower_learning_rate=config["model"]["tower_learning_rate"],
    )
    trainer.train(resume_from_checkpoint=checkpoint)
    trainer.save_model(str(output_dir))
    trainer.save_state()
    return trainer


__all__ = [
    "LENGTH_STRATEGIES",
    "build_model",
    "build_processor",
    "check_output_dir",
    "prepare",
    "run_recipe",
    "training_arguments",
]
