"""The tasks LauraGPT knows: what each one reads and what it writes.

One table serves the processor (which inputs a task needs), the generation logits processor (which output
vocabulary a task may use), and later the pipeline and the CLI. Task names are also the task-token names:
task ``asr`` is written as the special token ``<|asr|>``.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def task_spec(name: str, known_tasks: tuple[str, ...] | list[str] | None = None) -> TaskSpec:
    """Return the spec of task ``name``, or raise a ``ValueError`` that lists the known tasks.

    Args:
        name: the task name, e.g. ``"asr"``.
        known_tasks: the tasks a given model was trained for (its ``config.tasks``). Tasks outside the built-in
            table (added later, e.g. by PEFT fine-tuning) are audio-in, text-out.
    """
    known = tuple(known_tasks) if known_tasks is not None else DEFAULT_TASKS
    if name not in known:
        raise ValueError(
            f"Unknown task {name!r}. Known tasks: {', '.join(known)}. "
            "Pass one of these names (they are the model's task tokens)."
        )
    return BUILTIN_TASKS.get(name, TaskSpec(name, AUDIO, TEXT, f"{name}: audio in, text out (added task)"))


__all__ = ["AUDIO", "TEXT", "CODEC", "TaskSpec", "BUILTIN_TASKS", "DEFAULT_TASKS", "task_spec"]
