"""The tasks LauraGPT knows: what each one reads and what it writes.

One table serves the processor (which inputs a task needs), the generation logits processor (which output
vocabulary a task may use), and later the pipeline and the CLI. Task names are also the task-token names:
task ``asr`` is written as the special token ``<|asr|>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InvalidInputError

AUDIO = "audio"
TEXT = "text"
CODEC = "codec"


@dataclass(frozen=True)
class TaskSpec:
    """What one task consumes and produces.

    Attributes:
        name: the task's name, also the name of its task token.
        input_modality: ``"audio"`` (continuous features scattered into ``<|audio|>`` placeholders) or ``"text"``.
        output_modality: ``"text"`` (text token ids, ending with the tokenizer's EOS) or ``"codec"`` (first-group
            codec ids, ending with ``<|codec_end|>``).
        description: one line for error messages and ``--help``.
    """

    name: str
    input_modality: str
    output_modality: str
    description: str

    def to_dict(self) -> dict[str, str]:
        """The fields stored under the task's name in ``config.custom_tasks`` (everything but the name)."""
        return {
            "input_modality": self.input_modality,
            "output_modality": self.output_modality,
            "description": self.description,
        }


BUILTIN_TASKS: dict[str, TaskSpec] = {
    spec.name: spec
    for spec in (
        TaskSpec("asr", AUDIO, TEXT, "speech recognition: speech in, its transcript out"),
        TaskSpec("s2tt", AUDIO, TEXT, "speech-to-text translation: speech in, text in the target language out"),
        TaskSpec("tts", TEXT, CODEC, "text-to-speech: text in, codec tokens of speech out"),
        TaskSpec("se", AUDIO, CODEC, "speech enhancement: noisy speech in, codec tokens of clean speech out"),
        TaskSpec("aac", AUDIO, TEXT, "automated audio captioning: audio in, a caption out"),
        TaskSpec("ser", AUDIO, TEXT, "speech emotion recognition: speech in, an emotion label out"),
        TaskSpec("slu", AUDIO, TEXT, "spoken language understanding: speech in, intent and slots out"),
        TaskSpec("mt", TEXT, TEXT, "text translation: text in, text in the target language out"),
    )
}

DEFAULT_TASKS: tuple[str, ...] = tuple(BUILTIN_TASKS)
TRANSLATION_TASKS: tuple[str, ...] = ("s2tt", "mt")  # built-in tasks that need a target language; the others take none

# Tasks added after pre-training (e.g. by PEFT fine-tuning), declared by the configs and processors that list them
# in ``custom_tasks``; filled by ``register_task``.
_CUSTOM_TASKS: dict[str, TaskSpec] = {}


def register_task(spec: TaskSpec) -> TaskSpec:
    """Make a task outside the built-in table known to ``task_spec`` in this process, and return it.

    Configs and processors call this for each entry of their ``custom_tasks`` when they are built (the way
    ``AutoConfig.register`` makes a model type known), so a saved fine-tuned model brings its tasks back with it.
    Registering a name again with the same modalities only updates its description.
    """
    if spec.name in BUILTIN_TASKS:
        raise InvalidInputError(
            f"{spec.name!r} is a built-in task ({BUILTIN_TASKS[spec.name].description}); pick another name."
        )
    if spec.input_modality not in (AUDIO, TEXT) or spec.output_modality not in (TEXT, CODEC):
        raise InvalidInputError(
            f"Task {spec.name!r}: input_modality must be {AUDIO!r} or {TEXT!r} and output_modality {TEXT!r} or "
            f"{CODEC!r}; got {spec.input_modality!r} -> {spec.output_modality!r}."
        )
    known = _CUSTOM_TASKS.get(spec.name)
    if known is not None and (known.input_modality, known.output_modality) != (
        spec.input_modality,
        spec.output_modality,
    ):
        raise InvalidInputError(
            f"Task {spec.name!r} is already declared in this process as {known.input_modality} -> "
            f"{known.output_modality}; it cannot also be {spec.input_modality} -> {spec.output_modality}. "
            "Give the new task another name."
        )
    _CUSTOM_TASKS[spec.name] = spec
    return spec


def register_custom_tasks(custom_tasks: dict | None) -> dict[str, dict[str, str]]:
    """Register ``{name: {"input_modality", "output_modality", "description"}}`` (a ``custom_tasks`` field).

    Returns the same mapping normalised to plain dicts, ready to be stored in ``config.json``.
    """
    normalised = {}
    for name, fields in (custom_tasks or {}).items():
        fields = fields.to_dict() if isinstance(fields, TaskSpec) else dict(fields)
        if set(fields) != {"input_modality", "output_modality", "description"}:
            raise InvalidInputError(
                f"custom_tasks[{name!r}] must hold exactly input_modality, output_modality and description; "
                f"got {sorted(fields)}."
            )
        normalised[name] = register_task(TaskSpec(name, **fields)).to_dict()
    return normalised


def task_spec(name: str, known_tasks: tuple[str, ...] | list[str] | None = None) -> TaskSpec:
    """Return the spec of task ``name``, or raise a ``ValueError`` that lists the known tasks.

    Args:
        name: the task name, e.g. ``"asr"``.
        known_tasks: the tasks a given model was trained for (its ``config.tasks``). Tasks outside the built-in
            table are looked up among the registered custom tasks (``register_task``); unregistered ones are
            audio-in, text-out.
    """
    known = tuple(known_tasks) if known_tasks is not None else DEFAULT_TASKS
    if name not in known:
        raise InvalidInputError(
            f"Unknown task {name!r}. Known tasks: {', '.join(known)}. "
            "Pass one of these names (they are the model's task tokens)."
        )
    spec = BUILTIN_TASKS.get(name) or _CUSTOM_TASKS.get(name)
    return spec or TaskSpec(name, AUDIO, TEXT, f"{name}: audio in, text out (added task)")


__all__ = [
    "AUDIO",
    "BUILTIN_TASKS",
    "CODEC",
    "DEFAULT_TASKS",
    "TEXT",
    "TRANSLATION_TASKS",
    "TaskSpec",
    "register_custom_tasks",
    "register_task",
    "task_spec",
]
