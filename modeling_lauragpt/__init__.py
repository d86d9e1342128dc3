"""LauraGPT on the Hugging Face stack.

``import modeling_lauragpt`` registers every LauraGPT class with transformers' Auto classes, so that
``AutoConfig``, ``AutoModel``, ``AutoModelForCausalLM``, ``AutoModelForSpeechSeq2Seq``, ``AutoFeatureExtractor``
and ``AutoProcessor`` load LauraGPT folders.
"""

from transformers import (
    AutoConfig,
    AutoFeatureExtractor,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForSpeechSeq2Seq,
    AutoProcessor,
)

from .configuration_lauragpt import LauraGPTAudioEncoderConfig, LauraGPTConfig
from .modeling_audio_encoder import LauraGPTAudioEncoder
from .modeling_lauragpt import LauraGPTForConditionalGeneration, LauraGPTModel
from .processing.feature_extraction_lauragpt import LauraGPTFeatureExtractor
from .processing.processing_lauragpt import LauraGPTProcessor
from .tasks import BUILTIN_TASKS, DEFAULT_TASKS

__version__ = "0.1.0"

AutoConfig.register(LauraGPTConfig.model_type, LauraGPTConfig, exist_ok=True)
AutoConfig.register(LauraGPTAudioEncoderConfig.model_type, LauraGPTAudioEncoderConfig, exist_ok=True)
AutoModel.register(LauraGPTConfig, LauraGPTModel, exist_ok=True)
AutoModel.register(LauraGPTAudioEncoderConfig, LauraGPTAudioEncoder, exist_ok=True)
AutoModelForCausalLM.register(LauraGPTConfig, LauraGPTForConditionalGeneration, exist_ok=True)
AutoModelForSpeechSeq2Seq.register(LauraGPTConfig, LauraGPTForConditionalGeneration, exist_ok=True)
AutoFeatureExtractor.register(LauraGPTConfig, LauraGPTFeatureExtractor, exist_ok=True)
AutoProcessor.register(LauraGPTConfig, LauraGPTProcessor, exist_ok=True)

__all__ = [
    "LauraGPTConfig",
    "LauraGPTAudioEncoderConfig",
    "LauraGPTAudioEncoder",
    "LauraGPTModel",
    "LauraGPTForConditionalGeneration",
    "LauraGPTFeatureExtractor",
    "LauraGPTProcessor",
    "BUILTIN_TASKS",
    "DEFAULT_TASKS",
]
