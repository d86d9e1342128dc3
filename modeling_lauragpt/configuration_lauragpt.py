"""Configurations: the Conformer audio encoder and the whole LauraGPT model, with size presets.

``LauraGPTConfig.from_preset("paper")`` gives the paper's sizes (Conformer 32 x 512 + a Qwen-1.8B-shaped Qwen2
LLM, about 2 B parameters); ``"tiny"`` gives a model of about 1.2 M parameters for tests and demos. The presets
are rows of ``presets.PRESETS``, each taking its codebook size from its codec preset;
``LauraGPTConfig.from_processor(processor, "tiny")`` sizes one to a processor's vocabulary.

The audio tower is either our Conformer (``LauraGPTAudioEncoderConfig``) or transformers' Whisper encoder (a
``WhisperConfig`` of any size as ``audio_config``: ``from_preset("whisper-tiny")``).
"""

from __future__ import annotations

from huggingface_hub.dataclasses import strict
from transformers import AutoConfig, PreTrainedConfig, WhisperConfig
from transformers.configuration_utils import SubConfigSpec

from .audio_lengths import INPUT_LAYERS, window_seconds
from .errors import InvalidInputError
from .presets import PRESETS, get_preset, model_values
from .tasks import DEFAULT_TASKS, register_custom_tasks
from .vocabulary import VocabularyLayout

POSITION_EMBEDDING_TYPES = ("sinusoidal", "relative", "relative_legacy")
CONV_NORM_TYPES = ("layer_norm", "batch_norm")


@strict
class LauraGPTAudioEncoderConfig(PreTrainedConfig):
    r"""
    The Conformer audio encoder (paper §3.1, FunASR/ESPnet Conformer).

    input_size (`int`, defaults to 560): feature dimension per input frame (80 mel bins x 7 LFR-stacked frames).
    hidden_size (`int`, defaults to 512): attention dimension d_model.
    num_hidden_layers (`int`, defaults to 32): Conformer blocks.
    num_attention_heads (`int`, defaults to 16): attention heads per block.
    intermediate_size (`int`, defaults to 1536): units of each feed-forward module.
    hidden_act (`str`, defaults to `"swish"`): activation of feed-forward and convolution modules.
    macaron_style (`bool`, defaults to `True`): two half-step feed-forward modules around attention + conv.
    use_conv_module (`bool`, defaults to `True`): include the convolution module.
    conv_kernel_size (`int`, defaults to 15): depthwise convolution kernel, in frames (odd).
    conv_norm_type (`str`, defaults to `"layer_norm"`): norm inside the convolution module. The paper replaces
        BatchNorm by LayerNorm because BatchNorm caused endless-loop decoding.
    input_layer (`str`, defaults to `"linear"`): `"linear"` (Linear + LayerNorm, frame rate kept) or `"conv2d"`
        (4x Conv2dSubsampling, as FunASR's Conformer ASR checkpoints use).
    position_embedding_type (`str`, defaults to `"sinusoidal"`): `"sinusoidal"` absolute positions (the paper) or
        `"relative"` (ESPnet "latest" relative positions with `pos_bias_u/v`, as LauraTTS uses) or
        `"relative_legacy"` (ESPnet's legacy relative positions, FunASR's default for Conformer ASR checkpoints).
    max_position_embeddings (`int`, defaults to 5000): longest input in encoder frames (5000 x 60 ms = 300 s).
    hidden_dropout (`float`, defaults to 0.1): dropout on residual branches.
    attention_dropout (`float`, defaults to 0.0): dropout on attention probabilities.
    positional_dropout (`float`, defaults to 0.1): dropout after adding positional encodings.
    layer_norm_eps (`float`, defaults to 1e-12): LayerNorm epsilon (ESPnet's value).
    initializer_range (`float`, defaults to 0.02): std of the normal init of linear weights.
    """

    model_type = "lauragpt_audio_encoder"
    base_config_key = "audio_config"

    input_size: int = 560
    hidden_size: int = 512
    num_hidden_layers: int = 32
    num_attention_heads: int = 16
    intermediate_size: int = 1536
    hidden_act: str = "swish"
    macaron_style: bool = True
    use_conv_module: bool = True
    conv_kernel_size: int = 15
    conv_norm_type: str = "layer_norm"
    input_layer: str = "linear"
    position_embedding_type: str = "sinusoidal"
    max_position_embeddings: int = 5000
    hidden_dropout: float = 0.1
    attention_dropout: float = 0.0
    positional_dropout: float = 0.1
    layer_norm_eps: float = 1e-12
    initializer_range: float = 0.02

    def validate_architecture(self):
        """Raise on settings the encoder cannot build (called by ``@strict``)."""
        if self.hidden_size % self.num_attention_heads:
            raise InvalidInputError(
                f"hidden_size ({self.hidden_size}) must be divisible by num_attention_heads ({self.num_attention_heads})."
            )
        if self.conv_kernel_size % 2 == 0:
            raise InvalidInputError(
                f"conv_kernel_size must be odd so frames stay aligned, got {self.conv_kernel_size}."
            )
        for name, value, allowed in (
            ("input_layer", self.input_layer, INPUT_LAYERS),
            ("position_embedding_type", self.position_embedding_type, POSITION_EMBEDDING_TYPES),
            ("conv_norm_type", self.conv_norm_type, CONV_NORM_TYPES),
        ):
            if value not in allowed:
                raise InvalidInputError(f"{name}={value!r} is not supported; choose one of {allowed}.")


@strict
class LauraGPTConfig(PreTrainedConfig):
    r"""
    LauraGPT: a Conformer audio encoder + projector feeding a decoder-only LLM whose vocabulary holds text tokens,
    first-group codec tokens, a codec end token, the `<|audio|>` placeholder and one token per task.

    audio_config (`dict`, `LauraGPTAudioEncoderConfig` or `WhisperConfig`): the audio tower: our Conformer, or
        transformers' Whisper encoder (a dict with `"model_type": "whisper"`; only the encoder fields are used).
    text_config (`dict` or `PreTrainedConfig`, defaults to a Qwen2 config): the LLM, built with
        `AutoModel.from_config`. Its `vocab_size` is raised to the full layout size if smaller.
    text_vocab_size (`int`, defaults to 151851): N, the text tokenizer's size before LauraGPT's tokens (Qwen's).
    codebook_size (`int`, defaults to 1024): M, first-group codec codes the LLM predicts.
    tasks (`list[str]`): task names, in task-token order (new tasks are appended).
    custom_tasks (`dict`, *optional*): what each task outside the eight built-in ones reads and writes,
        `{name: {"input_modality": "audio"|"text", "output_modality": "text"|"codec", "description": str}}`
        (written by PEFT fine-tuning; see `tasks.register_task`). Every name must also be in `tasks`.
    text_eos_token_id (`int`, defaults to 151643): the tokenizer's end-of-text id, which ends text outputs.
    pad_token_id (`int`, *optional*): padding id in `input_ids` (the paper preset: Qwen's 151643; None: no padding
        id, generation pads with the EOS).
    projector_hidden_act (`str`, defaults to `"gelu"`): activation between the projector's two linear layers.
    audio_frame_pooling (`int`, defaults to 1): average every this many tower frames before the projector
        (2 turns Whisper's 50 Hz frames into 25 Hz, as Qwen2-Audio does; 1 = no pooling).
    audio_window (`str`, defaults to `"30s"`): Whisper tower only: how much context each clip is encoded in.
        `"30s"`: Whisper's own 30 s window (the clip padded with silence, transformers' encoder unchanged); `"Ns"`
        (0 < N < 30): the clip padded with silence to at least N s, the positional table sliced to the batch's
        longest window and padding masked; `"clip"`: the clip alone, no silence (whisper.cpp's `audio_ctx`). Shorter
        windows encode faster; `bench/whisper_window.py` measures what they cost in accuracy (docs/conversion.md).
    task_languages (`dict`, *optional*): the target languages each translation task was trained on,
        `{"s2tt": ["de", "es", "fr"], ...}` (written by the training recipe); the pipeline refuses others.
    task_labels (`dict`, *optional*): the closed label set of each classification task, `{"ser": ["angry", ...]}`
        (written by the training recipe); the pipeline decodes those tasks inside it.
    initializer_range (`float`, defaults to 0.02): std of the normal init of new weights.
    tie_word_embeddings (`bool`, defaults to `False`): share the input embedding and output matrix (Qwen-1.8B
        does not).
    use_cache (`bool`, defaults to `True`): return the KV cache from forward passes (generation uses it).
    """

    model_type = "lauragpt"
    sub_configs_defaults = {
        "audio_config": LauraGPTAudioEncoderConfig,
        "text_config": SubConfigSpec(config_class=AutoConfig, model_type="qwen2"),
    }

    audio_config: dict | PreTrainedConfig | None = None
    text_config: dict | PreTrainedConfig | None = None
    text_vocab_size: int = 151851
    codebook_size: int = 1024
    tasks: list[str] | tuple[str, ...] = DEFAULT_TASKS
    custom_tasks: dict | None = None
    text_eos_token_id: int = 151643
    pad_token_id: int | None = None
    projector_hidden_act: str = "gelu"
    audio_frame_pooling: int = 1
    audio_window: str = "30s"
    task_languages: dict | None = None
    task_labels: dict | None = None
    initializer_range: float = 0.02
    tie_word_embeddings: bool = False
    use_cache: bool = True

    def __post_init__(self, **kwargs):
        self.audio_config = _resolve_audio_config(self.audio_config)
        super().__post_init__(**kwargs)
        self.tasks = list(self.tasks)
        self.custom_tasks = register_custom_tasks(self.custom_tasks)
        needed = self.vocabulary.vocab_size
        self.text_config.vocab_size = max(self.text_config.vocab_size, needed)
        self.text_config.pad_token_id = self.pad_token_id
        for name in ("bos_token_id", "eos_token_id"):  # LauraGPT prompts use neither: keep them valid text ids
            value = getattr(self.text_config, name, None)
            if isinstance(value, int) and not 0 <= value < self.text_vocab_size:
                setattr(self.text_config, name, self.text_eos_token_id)
        self.text_config.tie_word_embeddings = self.tie_word_embeddings

    def validate_architecture(self):
        """Raise on inconsistent special ids, task lists or audio settings (called by ``@strict``)."""
        if self.audio_frame_pooling < 1:
            raise InvalidInputError(
                f"audio_frame_pooling must be a positive number of frames, got {self.audio_frame_pooling}."
            )
        window_seconds(self.audio_window)  # raises on a value that is neither "clip" nor "Ns" with 0 < N <= 30
        if len(set(self.tasks)) != len(self.tasks):
            raise InvalidInputError(f"tasks must be unique, got {self.tasks}.")
        undeclared = sorted(set(self.custom_tasks or {}) - set(self.tasks))
        if undeclared:
            raise InvalidInputError(f"custom_tasks {undeclared} are missing from tasks; append their names to tasks.")
        for name in ("text_eos_token_id", "pad_token_id"):
            value = getattr(self, name)
            if value is not None and not 0 <= value < self.text_vocab_size:
                raise InvalidInputError(
                    f"{name}={value} must be a text id, i.e. in [0, text_vocab_size={self.text_vocab_size})."
                )

    @property
    def audio_tower_type(self) -> str:
        """``"whisper"`` for a Whisper encoder tower, ``"conformer"`` for ours."""
        return "whisper" if isinstance(self.audio_config, WhisperConfig) else "conformer"

    @property
    def vocabulary(self) -> VocabularyLayout:
        """Where text, codec, codec-end, audio and task tokens sit in the shared vocabulary."""
        return VocabularyLayout(self.text_vocab_size, self.codebook_size, tuple(self.tasks))

    @property
    def audio_token_id(self) -> int:
        return self.vocabulary.audio_token_id

    @property
    def codec_end_token_id(self) -> int:
        return self.vocabulary.codec_end_token_id

    @property
    def task_token_ids(self) -> dict[str, int]:
        return self.vocabulary.task_token_ids

    @classmethod
    def from_preset(cls, name: str, **overrides) -> LauraGPTConfig:
        """Build a config from a named preset of ``presets.PRESETS`` (``"paper"``, ``"demo"``, ``"tiny"``,
        ``"whisper-tiny"``, ``"whisper-tiny-decoder"``, ``"tiny-whisper"``); its ``codebook_size`` is its codec
        preset's.

        Keyword overrides replace top-level fields; ``audio_config=`` / ``text_config=`` dicts are merged into the
        preset's sub-config values (or replace them, when they name another ``model_type``). To size a preset to a
        processor's vocabulary, use ``from_processor``.
        Example: ``LauraGPTConfig.from_preset("tiny", text_config={"num_hidden_layers": 1})``.
        """
        values = model_values(name)
        for key in ("audio_config", "text_config"):
            override = dict(overrides.pop(key, None) or {})
            if override.get("model_type", values[key].get("model_type")) != values[key].get("model_type"):
                values[key] = {}  # another architecture: its own defaults, not the preset's field names
            values[key].update(override)
        values.update(overrides)
        layout = VocabularyLayout(
            values["text_vocab_size"], values["codebook_size"], tuple(values.get("tasks", DEFAULT_TASKS))
        )
        values["text_config"].setdefault("vocab_size", layout.vocab_size)
        for special in ("bos_token_id", "eos_token_id"):  # the LLM's own defaults (GPT-2's 50256) may lie outside
            values["text_config"].setdefault(special, values.get("text_eos_token_id"))  # a trimmed vocabulary
        return cls(**values)

    @classmethod
    def from_processor(cls, processor, preset: str, **overrides) -> LauraGPTConfig:
        """Model preset ``preset`` sized to a ``LauraGPTProcessor``: the architecture is the preset's, the
        vocabulary the processor's.

        From the processor: ``text_vocab_size`` (its vocabulary layout), ``text_eos_token_id`` and ``pad_token_id``
        (its tokenizer's), ``codebook_size``, ``tasks`` and ``custom_tasks``, and, for a Whisper-tower preset,
        ``audio_window`` (how long a window its feature extractor encodes each clip in). Keyword ``overrides``
        replace fields as in ``from_preset`` (``codebook_size=`` when the model writes the codes of another codec
        than the preset's, e.g. a trained CPU codec).

        Raises ``InvalidInputError`` when the processor and the preset cannot describe the same model: the
        processor's codebook size differs from the preset's codec (or the ``codebook_size`` override), or its
        feature extractor is for the other audio tower, gives other feature sizes, or its audio settings
        (``audio_frame_pooling``, ``encoder_input_layer``) differ (``processor.check_model_config``).

        Example::

            processor = LauraGPTProcessor(LauraGPTFeatureExtractor(), tokenizer)  # 1024 codes by default
            config = LauraGPTConfig.from_processor(processor, "tiny")  # replaces from_preset("tiny",
            model = LauraGPTForConditionalGeneration(config)            #   text_vocab_size=..., codebook_size=..., tasks=...)
        """
        row = get_preset(preset)
        tokenizer = processor.tokenizer
        values = {
            "text_vocab_size": processor.vocabulary.text_vocab_size,
            "text_eos_token_id": tokenizer.eos_token_id,
            "pad_token_id": tokenizer.pad_token_id,
            "tasks": list(processor.tasks),
            "custom_tasks": processor.custom_tasks or None,
        }
        if (row.model.get("audio_config") or {}).get("model_type") == WhisperConfig.model_type:
            values["audio_window"] = processor.audio_window
        wanted = overrides.get("codebook_size", row.codebook_size)
        if processor.codebook_size != wanted:
            source = (
                "the codebook_size override"
                if "codebook_size" in overrides
                else f"preset {preset!r} (its codec, {row.codec}, has {row.codebook_size} codes per group)"
            )
            fitting = sorted(name for name in PRESETS if PRESETS[name].codebook_size == processor.codebook_size)
            raise InvalidInputError(
                f"The processor's codebook_size is {processor.codebook_size} but {source} gives the model "
                f"codebook_size={wanted}: the model would write codec ids the processor does not have. Fix: "
                + (
                    f"choose a preset whose codec has {processor.codebook_size} codes ({', '.join(fitting)}), "
                    if fitting
                    else ""
                )
                + f"build the processor with codebook_size={wanted}, or pass codebook_size={processor.codebook_size} "
                "if the model's codec really has that many codes."
            )
        config = cls.from_preset(preset, **{**values, **overrides})
        if config.vocabulary != processor.vocabulary:
            raise InvalidInputError(
                f"The overrides give a vocabulary of {config.text_vocab_size} text tokens, {config.codebook_size} codes "
                f"and tasks {list(config.tasks)}, but the processor's has {processor.vocabulary.text_vocab_size}, "
                f"{processor.codebook_size} and {list(processor.tasks)}. Fix: drop those overrides (the processor's "
                "vocabulary is the model's), or build a processor with that vocabulary."
            )
        try:
            processor.check_model_config(config)
        except InvalidInputError as error:
            raise InvalidInputError(
                f"Preset {preset!r} does not fit the processor: {error} For from_processor: choose a preset of the "
                "processor's audio tower, pass the preset's differing setting as an override (e.g. "
                "audio_frame_pooling=...), or build the processor for the preset with LauraGPTProcessor(extractor, "
                f"tokenizer, **LauraGPTProcessor.config_kwargs(LauraGPTConfig.from_preset({preset!r})))."
            ) from error
        return config


def _resolve_audio_config(audio_config):
    """A dict with ``"model_type": "whisper"`` becomes a ``WhisperConfig``; other dicts stay for the Conformer."""
    if not isinstance(audio_config, dict):
        return audio_config
    model_type = audio_config.get("model_type", LauraGPTAudioEncoderConfig.model_type)
    if model_type == WhisperConfig.model_type:
        return WhisperConfig(**{k: v for k, v in audio_config.items() if k != "model_type"})
    if model_type != LauraGPTAudioEncoderConfig.model_type:
        raise InvalidInputError(
            f"audio_config has model_type {model_type!r}; LauraGPT's audio tower is our Conformer "
            f"({LauraGPTAudioEncoderConfig.model_type!r}) or a Whisper encoder ('whisper')."
        )
    return audio_config


__all__ = ["LauraGPTAudioEncoderConfig", "LauraGPTConfig"]
