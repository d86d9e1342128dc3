"""The evaluation loop: examples -> ``pipeline("lauragpt")`` in batches -> predictions -> the paper's metrics.

    from modeling_lauragpt.training.evaluation import evaluate_model

    results = evaluate_model("path/to/lauragpt", "path/to/data", tasks=["asr", "tts"], split="test",
                             max_examples=50, batch_size=8, output_dir="eval_out")
    results["tasks"]["asr"]["metrics"]["wer"]

``model_or_pipeline`` is a model folder (with ``vocoder/`` for tts/se) or a ready pipeline; any callable with the
pipeline's signature ``pipe(inputs, task=..., batch_size=..., language=..., voice=..., **generate_kwargs) ->
list[dict]`` works, which is how the tests feed reference outputs through the harness. The row's ``language``
column is passed on exactly as the training collator does (written before the task token).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from ...errors import InvalidInputError
from ...tasks import AUDIO, task_spec
from ..data.schema import SAMPLING_RATE
from .examples import (
    EvalItem,
    assign_same_speaker_prompts,
    check_data_source,
    dataset_tasks,
    load_items,
)
from .scoring import SCORED_TASKS, ScoreOptions, score_task


@dataclass
class EvalConfig:
    """Everything that shapes one evaluation run (recorded in ``results.json``)."""

    split: str = "test"
    max_examples: int | None = None  # per task; None = all
    batch_size: int = 8
    generate_kwargs: dict = field(default_factory=dict)  # passed to generate() of every task (max_new_tokens ...)
    seed: int = 0  # torch seed set before each task: codec outputs are sampled (top-k 25)
    tts_prompt: str = "none"  # "same-speaker": zero-shot TTS prompted by another utterance of the same speaker
    meteor: bool = True
    speaker_similarity: bool = True
    whisper_judge: str | None = None  # a Whisper folder: second judge of tts/se speech, and beside the model's asr


def build_pipeline(model_or_pipeline, device: str | None = None):
    """A ``pipeline("lauragpt")`` for a model folder or Hub id; pipelines and pipeline-like callables pass through."""
    if not isinstance(model_or_pipeline, (str, Path)):
        if not callable(model_or_pipeline):
            raise TypeError(
                f"evaluate_model takes a model folder or a pipeline('lauragpt'), got {type(model_or_pipeline).__name__}. "
                "Wrap a model with pipeline('lauragpt', model=..., processor=...)."
            )
        return model_or_pipeline
    name = str(model_or_pipeline)
    if not Path(name).is_dir() and (Path(name).is_absolute() or name.startswith((".", "~")) or name.count("/") > 1):
        raise InvalidInputError(
            f"Model folder {name!r} not found. Pass a folder written by save_pretrained (or a Hub id)."
        )
    from transformers import pipeline

    import modeling_lauragpt  # noqa: F401  (registers the "lauragpt" pipeline task)

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    return pipeline("lauragpt", model=name, device=device)


def model_tasks(pipe) -> tuple[str, ...] | None:
    """The tasks the pipeline's model was trained for, or None for a pipeline-like callable without a model."""
    config = getattr(getattr(pipe, "model", None), "config", None)
    return tuple(config.tasks) if config is not None and hasattr(config, "tasks") else None


def _call_groups(items: list[EvalItem]) -> list[list[int]]:
    """Item indices grouped so that one pipeline call shares one language and one voice prompt, in first-seen order."""
    groups: dict = {}
    for i, item in enumerate(items):
        key = (item.language, i if item.voice is not None else None)
        groups.setdefault(key, []).append(i)
    return list(groups.values())


def _call(pipe, task, items, generate_kwargs):
    kwargs = dict(generate_kwargs)
    if items[0].language:
        kwargs["language"] = items[0].language
    if items[0].voice is not None:
        kwargs["voice"] = {"array": items[0].voice, "sampling_rate": SAMPLING_RATE}
    return pipe([it.input for it in items], task=task, batch_size=len(items), **kwargs)


def _call_alone(pipe, task, item, generate_kwargs, errors):
    """One item on its own (after its batch failed): its result, or None with the error appended to ``errors``."""
    try:
        return _call(pipe, task, [item], generate_kwargs)[0]
    except ValueError as error:
        errors.append(f"{item.id}: {error}")
        return None


def generate_outputs(
    pipe, task: str, items: list[EvalItem], batch_size: int, generate_kwargs: dict
) -> tuple[list, list[str]]:
    """Run the pipeline on every item; returns the outputs (aligned with items) and the error of each failure.

    A batch that raises ``ValueError`` (e.g. a codec row that ended before its first token) is retried one item
    at a time; an item that fails alone gets ``None`` and its error message is kept.
    """
    outputs: list = [None] * len(items)
    errors: list[str] = []
    for group in _call_groups(items):
        for start in range(0, len(group), batch_size):
            chunk = group[start : start + batch_size]
            try:
                results = _call(pipe, task, [items[i] for i in chunk], generate_kwargs)
            except ValueError as error:
                if len(chunk) == 1:
                    errors.append(f"{items[chunk[0]].id}: {error}")
                    continue
                results = [_call_alone(pipe, task, items[i], generate_kwargs, errors) for i in chunk]
            for i, result in zip(chunk, results):
                outputs[i] = result
    return outputs, errors


def evaluate_task(
    pipe, data, task: str, config: EvalConfig, known_tasks=None
) -> tuple[dict, list[EvalItem], list, list[dict]]:
    """Load, generate and score one task: ``(result, items, outputs, records)``.

    ``result`` is the task's entry of ``results.json``: ``num_examples``, ``metrics``, ``notes``, ``num_failed``,
    ``generation_seconds``, ``scoring_seconds``.
    """
    audio_input = task_spec(task, known_tasks or (task,)).input_modality == AUDIO
    items = load_items(data, task, config.split, audio_input, config.max_examples)
    notes = []
    if task == "tts" and config.tts_prompt == "same-speaker":
        prompted = assign_same_speaker_prompts(items)
        notes.append(f"zero-shot: {prompted}/{len(items)} utterances prompted with another utterance of their speaker")
    torch.manual_seed(config.seed)
    start = time.perf_counter()
    outputs, errors = generate_outputs(pipe, task, items, config.batch_size, config.generate_kwargs)
    generation_seconds = time.perf_counter() - start
    if errors and len(errors) == len(items):
        raise InvalidInputError(f"Every generation of task {task!r} failed, nothing to score. First error: {errors[0]}")
    scores = score_task(
        task,
        items,
        outputs,
        ScoreOptions(
            meteor=config.meteor, speaker_similarity=config.speaker_similarity, whisper_judge=config.whisper_judge
        ),
    )
    result = {
        "num_examples": len(items),
        "num_failed": len(errors),
        "metrics": scores.metrics,
        "notes": notes + scores.notes + [f"failed: {e}" for e in errors[:5]],
        "generation_seconds": round(generation_seconds, 3),
        "scoring_seconds": round(time.perf_counter() - start - generation_seconds, 3),
    }
    return result, items, outputs, scores.records


def select_tasks(pipe, data, tasks, split: str) -> tuple[list[str], list[str]]:
    """The tasks to run and notes about skipped ones. Asked-for tasks must exist; by default every task of the
    dataset that the model knows and the harness can score is run."""
    known = model_tasks(pipe)
    if tasks:
        for task in tasks:
            if known is not None and task not in known:
                raise InvalidInputError(f"The model has no task {task!r}; its tasks are {', '.join(known)}.")
            if task not in SCORED_TASKS:
                raise InvalidInputError(
                    f"No metric is defined for task {task!r}; the harness scores {', '.join(SCORED_TASKS)}."
                )
        return list(tasks), []
    found = dataset_tasks(data, split)
    order = list(known or ()) + [t for t in SCORED_TASKS if t not in (known or ())]  # the model's task order
    chosen = sorted((t for t in found if t in SCORED_TASKS and (known is None or t in known)), key=order.index)
    skipped = [
        f"task {t!r} in the data is not evaluated (unknown to the model or without a metric)"
        for t in found
        if t not in chosen
    ]
    if not chosen:
        raise InvalidInputError(
            f"No task of the model found in split {split!r} of {data!r} (found: {found}). Pass tasks=[...]."
        )
    return chosen, skipped


def evaluate_model(
    model_or_pipeline,
    dataset_or_folder,
    tasks: list[str] | None = None,
    split: str = "test",
    max_examples: int | None = None,
    batch_size: int = 8,
    output_dir: str | Path | None = None,
    generate_kwargs: dict | None = None,
    device: str | None = None,
    trainer_state: str | Path | None = None,
    num_spectrograms: int = 2,
    **options,
) -> dict:
    """Evaluate every requested task and return the results (the content of ``results.json``).

    ``options`` are the remaining ``EvalConfig`` fields (``seed``, ``tts_prompt``, ``meteor``,
    ``speaker_similarity``, ``whisper_judge``). With ``output_dir``, also writes ``results.json``, ``results.md``,
    ``predictions/<task>.jsonl``, ``audio/<task>/<id>.wav`` and ``plots/*.png`` (see ``report.write_report``);
    ``trainer_state`` (a Trainer ``trainer_state.json``; by default the model folder's one, if any) adds the
    training curves.
    """
    from ... import __version__
    from .report import write_report

    config = EvalConfig(
        split=split,
        max_examples=max_examples,
        batch_size=batch_size,
        generate_kwargs=dict(generate_kwargs or {}),
        **options,
    )
    if config.tts_prompt not in ("none", "same-speaker"):
        raise InvalidInputError(f"tts_prompt must be 'none' or 'same-speaker', got {config.tts_prompt!r}")
    check_data_source(dataset_or_folder)
    pipe = build_pipeline(model_or_pipeline, device)
    chosen, notes = select_tasks(pipe, dataset_or_folder, tasks, split)
    if any(t in ("tts", "se") for t in chosen):
        from .tts_intelligibility import require_pocketsphinx

        require_pocketsphinx()  # fail before generating for minutes
    results = {
        "model": str(model_or_pipeline)
        if isinstance(model_or_pipeline, (str, Path))
        else type(model_or_pipeline).__name__,
        "data": str(dataset_or_folder)
        if isinstance(dataset_or_folder, (str, Path))
        else type(dataset_or_folder).__name__,
        "lauragpt_version": __version__,
        "config": asdict(config),
        "tasks": {},
        "notes": notes,
    }
    details = {}
    for task in chosen:
        result, items, outputs, records = evaluate_task(pipe, dataset_or_folder, task, config, model_tasks(pipe))
        results["tasks"][task] = result
        details[task] = (items, outputs, records)
    if output_dir is not None:
        if trainer_state is None and isinstance(model_or_pipeline, (str, Path)):
            candidate = Path(model_or_pipeline) / "trainer_state.json"
            trainer_state = candidate if candidate.is_file() else None
        write_report(results, details, output_dir, trainer_state=trainer_state, num_spectrograms=num_spectrograms)
    return results


__all__ = ["EvalConfig", "build_pipeline", "evaluate_model", "evaluate_task", "generate_outputs", "select_tasks"]
