"""Configuration of the one-step codec vocoder (paper §3.3), the companion model that turns LauraGPT's
first-group codec tokens into a waveform.

``LauraGPTVocoderConfig.from_preset("paper")`` gives a predictor shaped like LauraTTS' ``codec_encoder`` (6 blocks,
d 512, 8 heads, FFN 2048) over FunCodec's 16 kHz codec; ``"tiny"`` gives a small one over the tiny codec, for tests
and demos. The codec may be either codec class (``EncodecModel`` or ``LauraGPTCPUCodec``): ``codec_config`` holds
its config, resolved from a dict by its ``model_type``; ``LauraGPTVocoder.from_codec`` builds a vocoder around
either.
"""

from huggingface_hub.dataclasses import strict
from transformers import AutoConfig, PreTrainedConfig
from transformers.configuration_utils import SubConfigSpec

from .codec import CODEC_PRESETS, CodecSpec, codec_spec, resolve_codec_config
from .configuration_lauragpt import LauraGPTAudioEncoderConfig
from .errors import InvalidInputError
from .presets import VOCODER_PRESETS, vocoder_values


@strict
class LauraGPTVocoderConfig(PreTrainedConfig):
    r"""
    One-step codec vocoder: a non-causal transformer reads ``[text ; noisy features ; prompt voice ; first-group
    codes]`` and regresses, at each code frame, the codec's quantized latent (the sum of all RVQ codebook vectors);
    the frozen codec decoder turns it into audio.

    codec_config (`dict`, `EncodecConfig` or `LauraGPTCPUCodecConfig`, defaults to FunCodec's 16 kHz codec): the
        frozen codec's config (`EncodecModel` or `LauraGPTCPUCodec`); a dict is resolved by its `model_type`
        (`"encodec"` when absent, or `"lauragpt_cpu_codec"`).
    hidden_size (`int`, defaults to 512): predictor width d_model.
    num_hidden_layers (`int`, defaults to 6): transformer blocks.
    num_attention_heads (`int`, defaults to 8): attention heads per block.
    intermediate_size (`int`, defaults to 2048): units of each feed-forward module.
    hidden_act (`str`, defaults to `"swish"`): feed-forward activation (LauraTTS' choice).
    dropout (`float`, defaults to 0.1): dropout on the summed input embeddings and on residual branches.
    attention_dropout (`float`, defaults to 0.0): dropout on attention probabilities.
    max_position_embeddings (`int`, defaults to 3000): longest segment, in its own units (tokens, 60 ms feature
        frames or 40 ms codec frames: 3000 codec frames = 120 s); every segment's positions restart at 0.
    layer_norm_eps (`float`, defaults to 1e-5): LayerNorm epsilon.
    initializer_range (`float`, defaults to 0.02): std of the normal init of linear and embedding weights.
    text_vocab_size (`int`, defaults to 151851): size of the text tokenizer whose ids form the text condition (the
        LLM's text vocabulary before LauraGPT's own tokens; Qwen's by default). The vocoder has its own text
        embedding, so it is trained independently of the LLM but must share its tokenizer.
    feature_size (`int`, defaults to 560): dimension of the speech-enhancement condition, LauraGPT's LFR fbank
        features (80 mel bins x 7 stacked frames).
    codebook_size (`int`, defaults to 1024): codes per RVQ group; must equal `codec_config.codebook_size`.
    codec_input_corruption (`float`, defaults to 0.1): probability, per frame and in training only, of replacing
        an input first-group code by a random one, so that the vocoder tolerates the LLM's sampling errors
        (LauraTTS trains on partly wrong LM predictions instead; the paper does not say).
    l1_loss_weight (`float`, defaults to 1.0): weight of the mean absolute error (paper: L1 + L2; LauraTTS 0.5).
    l2_loss_weight (`float`, defaults to 1.0): weight of the mean squared error (paper: L1 + L2; LauraTTS 0.25).
    """

    model_type = "lauragpt_vocoder"
    sub_configs_defaults = {
        "codec_config": SubConfigSpec(
            config_class=AutoConfig, model_type="encodec", init_kwargs=CODEC_PRESETS["paper"]
        ),
    }

    codec_config: dict | PreTrainedConfig | None = None
    hidden_size: int = 512
    num_hidden_layers: int = 6
    num_attention_heads: int = 8
    intermediate_size: int = 2048
    hidden_act: str = "swish"
    dropout: float = 0.1
    attention_dropout: float = 0.0
    max_position_embeddings: int = 3000
    layer_norm_eps: float = 1e-5
    initializer_range: float = 0.02
    text_vocab_size: int = 151851
    feature_size: int = 560
    codebook_size: int = 1024
    codec_input_corruption: float = 0.1
    l1_loss_weight: float = 1.0
    l2_loss_weight: float = 1.0

    def __post_init__(self, **kwargs):
        self.codec_config = resolve_codec_config(self.codec_config)
        super().__post_init__(**kwargs)

    def validate_architecture(self):
        """Raise on settings the vocoder cannot build (called by ``@strict``)."""
        if self.hidden_size % self.num_attention_heads:
            raise InvalidInputError(
                f"hidden_size ({self.hidden_size}) must be divisible by num_attention_heads ({self.num_attention_heads})."
            )
        if not 0.0 <= self.codec_input_corruption < 1.0:
            raise InvalidInputError(
                f"codec_input_corruption is a probability in [0, 1); got {self.codec_input_corruption}."
            )
        codec_codebook = self.codec_spec.codebook_size  # raises on a config of another codec class
        if codec_codebook != self.codebook_size:
            raise InvalidInputError(
                f"codebook_size={self.codebook_size} differs from the codec's codebook_size={codec_codebook}; "
                "they must be equal (the vocoder embeds the codec's first-group codes)."
            )

    @property
    def codec_spec(self) -> CodecSpec:
        """Rate, hop, codebook size, groups and latent dim of the codec, whichever class it is."""
        return codec_spec(self.codec_config)

    @property
    def num_quantizers(self) -> int:
        """RVQ groups of the codec (32 for FunCodec's codec at 8 kbps)."""
        return self.codec_spec.num_groups

    @property
    def hop_length(self) -> int:
        """Waveform samples per codec frame (640 at 16 kHz = 25 Hz)."""
        return self.codec_spec.hop_length

    @property
    def sampling_rate(self) -> int:
        """Output rate in Hz (the codec's)."""
        return self.codec_spec.sampling_rate

    @property
    def latent_dim(self) -> int:
        """Dimension of the codec latent the vocoder regresses (the codec's codebook_dim)."""
        return self.codec_spec.latent_dim

    def predictor_layer_config(self) -> LauraGPTAudioEncoderConfig:
        """The predictor blocks are the project's Conformer blocks without convolution or macaron modules, i.e. plain
        pre-norm transformer layers (LauraTTS' ``codec_encoder`` uses ``use_cnn_module: false`` likewise)."""
        return LauraGPTAudioEncoderConfig(
            input_size=self.hidden_size,
            hidden_size=self.hidden_size,
            num_hidden_layers=self.num_hidden_layers,
            num_attention_heads=self.num_attention_heads,
            intermediate_size=self.intermediate_size,
            hidden_act=self.hidden_act,
            macaron_style=False,
            use_conv_module=False,
            max_position_embeddings=self.max_position_embeddings,
            hidden_dropout=self.dropout,
            attention_dropout=self.attention_dropout,
            positional_dropout=self.dropout,
            layer_norm_eps=self.layer_norm_eps,
            initializer_range=self.initializer_range,
        )

    @classmethod
    def from_preset(cls, name: str, **overrides) -> "LauraGPTVocoderConfig":
        """Build a config from a named preset of ``presets.PRESETS`` (``"paper"``, ``"demo"`` or ``"tiny"``): its
        ``codec_config`` and ``codebook_size`` are the row's codec preset, its ``text_vocab_size`` and
        ``feature_size`` those of the row's model preset.

        Keyword overrides replace top-level fields; a ``codec_config=`` dict is merged into the preset's codec
        values when it names no other ``model_type`` (a codec config, or a dict of another codec class, replaces
        them). Example:
        ``LauraGPTVocoderConfig.from_preset("tiny", text_vocab_size=processor.vocabulary.text_vocab_size)``.
        """
        values = vocoder_values(name)
        codec = overrides.pop("codec_config", None)
        preset_type = values["codec_config"].get("model_type", "encodec")
        if isinstance(codec, PreTrainedConfig) or (codec and codec.get("model_type", preset_type) != preset_type):
            values["codec_config"] = codec
        else:
            values["codec_config"].update(codec or {})
        values.update(overrides)
        return cls(**values)


__all__ = ["VOCODER_PRESETS", "LauraGPTVocoderConfig"]
