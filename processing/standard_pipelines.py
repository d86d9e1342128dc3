"""LauraGPT folders in transformers' standard speech pipelines: an explicit, opt-in hook.

``import modeling_lauragpt`` registers only the package's own Auto classes and its ``"lauragpt"`` pipeline task; it
leaves transformers' ``"automatic-speech-recognition"`` and ``"text-to-speech"`` (``"text-to-audio"``) tasks as
transformers ships them. Two documented ways let those standard tasks build a LauraGPT pipeline:

- per call, no global state: transformers' own ``pipeline_class=`` argument::

      from modeling_lauragpt.processing.standard_pipelines import SpeechRecognitionPipeline, TextToSpeechPipeline
      pipeline("automatic-speech-recognition", model=dir, pipeline_class=SpeechRecognitionPipeline)
      pipeline("text-to-speech", model=dir, pipeline_class=TextToSpeechPipeline)

- process-wide, for code that calls ``pipeline(task, model=dir)`` unchanged: call
  ``modeling_lauragpt.enable_standard_pipelines()`` once (``disable_standard_pipelines()`` undoes it). It points
  the two tasks of transformers' ``SUPPORTED_TASKS`` at the subclasses below.

The subclasses ARE transformers' ``AutomaticSpeechRecognitionPipeline`` and ``TextToAudioPipeline`` for every other
model (same code, unchanged results); for a LauraGPT model they build a ``LauraGPTPipeline`` fixed to the matching
task, so both routes give the same results as ``pipeline("lauragpt")(..., task="asr" / "tts")``.
"""

from __future__ import annotations

from transformers.pipelines import SUPPORTED_TASKS
from transformers.pipelines.automatic_speech_recognition import (
    AutomaticSpeechRecognitionPipeline,
)
from transformers.pipelines.text_to_audio import TextToAudioPipeline

from ..modeling_lauragpt import LauraGPTForConditionalGeneration
from .pipeline_lauragpt import LauraGPTPipeline
from .processing_lauragpt import LauraGPTProcessor


class LauraGPTSingleTaskPipeline(LauraGPTPipeline):
    """A ``LauraGPTPipeline`` bound to one task, built from whatever components the standard factory loaded."""

    def __init__(self, *args, task_name: str, processor=None, feature_extractor=None, tokenizer=None, **kwargs):
        model = kwargs["model"]
        if processor is None or not isinstance(processor, LauraGPTProcessor):
            processor = LauraGPTProcessor(
                feature_extractor if feature_extractor is not None else processor.feature_extractor,
                tokenizer,
                **LauraGPTProcessor.config_kwargs(model.config),
            )
        self.task_name = task_name
        super().__init__(*args, processor=processor, **kwargs)

    def __call__(self, inputs, **kwargs):
        kwargs.pop("task", None)
        if isinstance(inputs, dict) and "raw" in inputs:  # the ASR pipeline's {"raw", "sampling_rate"} form
            inputs = {"array": inputs["raw"], "sampling_rate": inputs["sampling_rate"]}
        return super().__call__(inputs, task=self.task_name, **kwargs)


def _dispatching(base: type, task_name: str) -> type:
    """A subclass of ``base`` whose constructor returns a LauraGPT pipeline for LauraGPT models."""

    def __new__(cls, *args, **kwargs):
        model = kwargs.get("model", args[0] if args else None)
        if isinstance(model, LauraGPTForConditionalGeneration):
            kwargs["model"] = model
            return LauraGPTSingleTaskPipeline(task_name=task_name, **{k: v for k, v in kwargs.items() if k != "task"})
        return super(cls, cls).__new__(cls)

    return type(base.__name__, (base,), {"__new__": __new__, "__module__": __name__, "__doc__": base.__doc__})


SpeechRecognitionPipeline = _dispatching(AutomaticSpeechRecognitionPipeline, "asr")
TextToSpeechPipeline = _dispatching(TextToAudioPipeline, "tts")


# The tasks of transformers' SUPPORTED_TASKS the hook repoints, and the impl each had before it did.
_STANDARD_TASKS = {"automatic-speech-recognition": SpeechRecognitionPipeline, "text-to-audio": TextToSpeechPipeline}
_ORIGINAL_IMPLS: dict[str, object] = {}


def enable_standard_pipelines() -> None:
    """Let ``pipeline("automatic-speech-recognition" | "text-to-speech", model=<LauraGPT folder>)`` work process-wide.

    An explicit opt-in (importing the package never calls it): it points those two entries of transformers'
    ``SUPPORTED_TASKS`` at ``SpeechRecognitionPipeline`` / ``TextToSpeechPipeline``, which behave exactly like
    transformers' own pipelines for every other model. Idempotent; ``disable_standard_pipelines()`` undoes it. To
    change no global state at all, pass ``pipeline_class=SpeechRecognitionPipeline`` (or ``TextToSpeechPipeline``)
    to ``pipeline()`` instead.
    """
    for task, impl in _STANDARD_TASKS.items():
        current = SUPPORTED_TASKS[task]["impl"]
        if current is not impl:
            _ORIGINAL_IMPLS[task] = current
            SUPPORTED_TASKS[task]["impl"] = impl


def disable_standard_pipelines() -> None:
    """Give the two standard tasks back the implementations they had before ``enable_standard_pipelines()``."""
    for task, impl in _STANDARD_TASKS.items():
        if SUPPORTED_TASKS[task]["impl"] is impl and task in _ORIGINAL_IMPLS:
            SUPPORTED_TASKS[task]["impl"] = _ORIGINAL_IMPLS.pop(task)


__all__ = [
    "LauraGPTSingleTaskPipeline",
    "SpeechRecognitionPipeline",
    "TextToSpeechPipeline",
    "disable_standard_pipelines",
    "enable_standard_pipelines",
]
