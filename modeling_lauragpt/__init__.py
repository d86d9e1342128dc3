"""LauraGPT on the Hugging Face stack.

``import modeling_lauragpt`` registers every LauraGPT class with transformers' Auto classes, so that
``AutoConfig``, ``AutoModel``, ``AutoModelForCausalLM``, ``AutoModelForSpeechSeq2Seq``, ``AutoFeatureExtractor``
and ``AutoProcessor`` load LauraGPT folders (the CPU codec's among them), and registers the package's own
``"lauragpt"`` pipeline task. That is all it registers: transformers' standard tasks stay as transformers ships
them. ``pipeline("automatic-speech-recognition" | "text-to-speech", model=<LauraGPT folder>)`` is an explicit
opt-in: ``pipeline_class=`` per call, or ``enable_standard_pipelines()`` process-wide
(``processing/standard_pipelines.py``).

Start-up is almost all torch and transformers, which the registrations need (they take the classes themselves);
the package's own modules add little, and no app (CLI, web demo, gradio, matplotlib) is imported here.
"""

from transformers import (
    AutoConfig,
    AutoFeatureExtractor,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForSpeechSeq2Seq,
    AutoModelForTextToWaveform,
    AutoProcessor,
)
from transformers.pipelines import PIPELINE_REGISTRY

from .configuration_cpu_codec import LauraGPTCPUCodecConfig
from .configuration_lauragpt import LauraGPTAudioEncoderConfig, LauraGPTConfig
from .configuration_vocoder import LauraGPTVocoderConfig
from .defaults import DEFAULT_MODEL_DIR
from .errors import (
    DeviceUnavailableError,
    InvalidInputError,
    LauraGPTError,
    MissingProgramError,
    ModelLoadError,
    OutputConflictError,
)
from .modeling_audio_encoder import LauraGPTAudioEncoder
from .modeling_cpu_codec import LauraGPTCPUCodec, register_cpu_codec
from .modeling_lauragpt import LauraGPTForConditionalGeneration, LauraGPTModel
from .modeling_multistep_vocoder import (
    LauraGPTMultiStepVocoder,
    LauraGPTMultiStepVocoderConfig,
)
from .modeling_vocoder import LauraGPTVocoder, VocoderConditions
from .processing.feature_extraction_lauragpt import LauraGPTFeatureExtractor
from .processing.pipeline_lauragpt import LauraGPTPipeline
from .processing.processing_lauragpt import LauraGPTProcessor
from .processing.standard_pipelines import (
    disable_standard_pipelines,
    enable_standard_pipelines,
)
from .tasks import BUILTIN_TASKS, DEFAULT_TASKS

__version__ = "0.1.0"

AutoConfig.register(LauraGPTConfig.model_type, LauraGPTConfig, exist_ok=True)
AutoConfig.register(LauraGPTAudioEncoderConfig.model_type, LauraGPTAudioEncoderConfig, exist_ok=True)
AutoModel.register(LauraGPTConfig, LauraGPTModel, exist_ok=True)
AutoModel.register(LauraGPTAudioEncoderConfig, LauraGPTAudioEncoder, exist_ok=True)
AutoConfig.register(LauraGPTVocoderConfig.model_type, LauraGPTVocoderConfig, exist_ok=True)
AutoModel.register(LauraGPTVocoderConfig, LauraGPTVocoder, exist_ok=True)
AutoConfig.register(LauraGPTMultiStepVocoderConfig.model_type, LauraGPTMultiStepVocoderConfig, exist_ok=True)
AutoModel.register(LauraGPTMultiStepVocoderConfig, LauraGPTMultiStepVocoder, exist_ok=True)
register_cpu_codec()  # AutoConfig / AutoModel for "lauragpt_cpu_codec"
AutoModelForCausalLM.register(LauraGPTConfig, LauraGPTForConditionalGeneration, exist_ok=True)
AutoModelForSpeechSeq2Seq.register(LauraGPTConfig, LauraGPTForConditionalGeneration, exist_ok=True)
# Text in, speech out (codec tokens that the companion vocoder turns into a waveform): lets
# pipeline("text-to-speech", model=dir, pipeline_class=TextToSpeechPipeline) load LauraGPT folders.
AutoModelForTextToWaveform.register(LauraGPTConfig, LauraGPTForConditionalGeneration, exist_ok=True)
AutoFeatureExtractor.register(LauraGPTConfig, LauraGPTFeatureExtractor, exist_ok=True)
AutoProcessor.register(LauraGPTConfig, LauraGPTProcessor, exist_ok=True)
# pipeline("lauragpt") with no model loads the embedded default model (a local folder inside the package)
PIPELINE_REGISTRY.register_pipeline(
    "lauragpt",
    pipeline_class=LauraGPTPipeline,
    pt_model=AutoModelForCausalLM,
    default={"model": (str(DEFAULT_MODEL_DIR), "main")},
    type="multimodal",
)
# No patching of transformers' own tasks here: see enable_standard_pipelines().

__all__ = [
    "BUILTIN_TASKS",
    "DEFAULT_TASKS",
    "DeviceUnavailableError",
    "InvalidInputError",
    "LauraGPTAudioEncoder",
    "LauraGPTAudioEncoderConfig",
    "LauraGPTCPUCodec",
    "LauraGPTCPUCodecConfig",
    "LauraGPTConfig",
    "LauraGPTError",
    "LauraGPTFeatureExtractor",
    "LauraGPTForConditionalGeneration",
    "LauraGPTModel",
    "LauraGPTMultiStepVocoder",
    "LauraGPTMultiStepVocoderConfig",
    "LauraGPTPipeline",
    "LauraGPTProcessor",
    "LauraGPTVocoder",
    "LauraGPTVocoderConfig",
    "MissingProgramError",
    "ModelLoadError",
    "OutputConflictError",
    "VocoderConditions",
    "disable_standard_pipelines",
    "enable_standard_pipelines",
]
