"""LauraGPT folders in transformers' standard speech pipelines.

``pipeline("automatic-speech-recognition", model=dir)`` and ``pipeline("text-to-speech", model=dir)`` are built by
transformers' own ``AutomaticSpeechRecognitionPipeline`` and ``TextToAudioPipeline``. Importing
``modeling_lauragpt`` swaps in the subclasses below: for every other model they ARE those pipelines, unchanged;
for a LauraGPT model they build a ``LauraGPTPipeline`` fixed to the matching task, so both routes give the same
results.
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


def register_standard_pipelines():
    """Point transformers' ASR and text-to-audio tasks at the dispatching subclasses (idempotent)."""
    SUPPORTED_TASKS["automatic-speech-recognition"]["impl"] = SpeechRecognitionPipeline
    SUPPORTED_TASKS["text-to-audio"]["impl"] = TextToSpeechPipeline


__all__ = ["LauraGPTSingleTaskPipeline", "SpeechRecognitionPipeline", "TextToSpeechPipeline", "register_standard_pipelines"]
