"""The one-step codec vocoder (paper §3.3): first-group codec codes + conditions -> codec latent -> waveform.

A non-causal transformer reads one sequence made of up to four segments, each right-padded on its own::

    [ text ids (TTS) ; noisy LFR features (SE) ; prompt voice latent (zero-shot TTS) ; first-group codes ]

Each segment is embedded (``text_embed``, ``feature_proj``, ``prompt_proj``, ``code_embed``), layer-normalised,
and gets sinusoidal positions restarting at 0 (LauraTTS' "split" positions) plus a learned segment-type
embedding. Padded positions are masked out of attention, so a padded batch gives each row exactly what it gives
alone. At the code positions ``out_proj`` regresses the codec's quantized latent, the sum of all
``num_quantizers`` codebook vectors (L1 + L2 loss); the frozen codec's decoder turns it into a waveform.

The codec is an ``EncodecModel`` or a ``LauraGPTCPUCodec``, seen only through ``codec.py``'s interface; the
conditions travel together as one ``VocoderConditions``.
"""

import copy
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from transformers.utils import ModelOutput

from .codec import Codec, build_codec, codec_spec, codes_to_latent, latent_to_waveform
from .configuration_vocoder import LauraGPTVocoderConfig
from .errors import InvalidInputError
from .modeling_audio_encoder import LauraGPTConformerLayer
from .positional_encoding import LauraGPTSinusoidalPositionalEncoding
from .pretrained_model import LauraGPTPreTrainedModel
from .vocoder_conditions import VocoderConditions, range_error

TEXT, FEATURES, PROMPT, CODES = range(4)  # segment types, in sequence order
SEGMENT_NAMES = ("text", "input_features", "prompt_codes", "codes")


@dataclass
class LauraGPTVocoderOutput(ModelOutput):
    r"""
    loss (`torch.FloatTensor` of shape `()`, *optional*): `l1_loss_weight * l1_loss + l2_loss_weight * l2_loss`,
        when `target_codes` is given.
    predicted_latent (`torch.FloatTensor` of shape `(batch, frames, latent_dim)`): predicted codec latent at
        each code frame, zero on padded frames.
    target_latent (`torch.FloatTensor` of shape `(batch, frames, latent_dim)`, *optional*): the sum of all
        codebook vectors of `target_codes`.
    l1_loss (`torch.FloatTensor` of shape `()`, *optional*): mean absolute error over real frames and dimensions.
    l2_loss (`torch.FloatTensor` of shape `()`, *optional*): mean squared error over real frames and dimensions.
    """

    loss: torch.FloatTensor | None = None
    predicted_latent: torch.FloatTensor | None = None
    target_latent: torch.FloatTensor | None = None
    l1_loss: torch.FloatTensor | None = None
    l2_loss: torch.FloatTensor | None = None


def corrupt_codes(
    codes: torch.LongTensor, probability: float, codebook_size: int, generator: torch.Generator | None = None
) -> torch.LongTensor:
    """Replace each code, with ``probability``, by a uniformly drawn one (a stand-in for LLM sampling errors).

    codes : torch.LongTensor, shape = (batch, frames) -> a new tensor of the same shape
    """
    if probability <= 0:
        return codes
    replace = torch.rand(codes.shape, generator=generator, device=codes.device) < probability
    random = torch.randint(0, codebook_size, codes.shape, generator=generator, device=codes.device)
    return torch.where(replace, random, codes)


def pad_codes(codes: list[torch.Tensor]) -> tuple[torch.LongTensor, torch.LongTensor]:
    """A list of 1-D id tensors ``(frames_i,)`` (codes, or the text condition's token ids) -> right-padded ids
    ``(batch, frames)`` and mask ``(batch, frames)``."""
    lengths = torch.tensor([len(c) for c in codes])
    padded = torch.zeros(len(codes), int(lengths.max()), dtype=torch.long)
    for row, c in enumerate(codes):
        padded[row, : len(c)] = torch.as_tensor(c, dtype=torch.long)
    return padded, (torch.arange(padded.shape[1])[None] < lengths[:, None]).long()


def _zero_padding(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``x`` with 0 wherever ``mask`` (broadcastable to ``x``) is 0, so padding ids never index an embedding."""
    return x.masked_fill(~mask.bool(), 0)


def saved_text_tokenizer(name_or_path, subfolder: str = ""):
    """The text tokenizer saved with a vocoder (its ``text_ids`` are that tokenizer's ids), or ``None``: a vocoder
    saved without one reads the ids of the LauraGPT processor it was trained with."""
    from transformers import AutoTokenizer

    folder = Path(str(name_or_path)) / subfolder
    if folder.is_dir():
        return AutoTokenizer.from_pretrained(str(folder)) if (folder / "tokenizer_config.json").is_file() else None
    try:  # a Hub repository
        return AutoTokenizer.from_pretrained(str(name_or_path), subfolder=subfolder)
    except (OSError, ValueError):
        return None


class LauraGPTVocoder(LauraGPTPreTrainedModel):
    """Predictor (non-causal transformer) + a frozen codec (``EncodecModel`` or ``LauraGPTCPUCodec``): first-group
    codes and conditions in, audio out."""

    config: LauraGPTVocoderConfig
    main_input_name = "codes"
    input_modalities = ("audio", "text")
    _no_split_modules = ["LauraGPTConformerLayer"]
    accepts_loss_kwargs = False  # forward takes conditions as **keywords; the Trainer must not add num_items_in_batch

    def __init__(self, config: LauraGPTVocoderConfig):
        super().__init__(config)
        d, eps = config.hidden_size, config.layer_norm_eps
        self.codec = build_codec(config.codec_config)
        self.codec.requires_grad_(False)
        self.text_embed = nn.Embedding(config.text_vocab_size, d)
        self.feature_proj = nn.Linear(config.feature_size, d)
        self.prompt_proj = nn.Linear(config.latent_dim, d)
        self.code_embed = nn.Embedding(config.codebook_size, d)
        self.input_norms = nn.ModuleList(nn.LayerNorm(d, eps=eps) for _ in SEGMENT_NAMES)
        self.segment_embed = nn.Embedding(len(SEGMENT_NAMES), d)
        self.positions = LauraGPTSinusoidalPositionalEncoding(d, config.max_position_embeddings, 0.0)
        self.dropout = nn.Dropout(config.dropout)
        layer_config = config.predictor_layer_config()
        self.layers = nn.ModuleList(LauraGPTConformerLayer(layer_config) for _ in range(config.num_hidden_layers))
        self.final_norm = nn.LayerNorm(d, eps=eps)
        self.out_proj = self._build_head()
        self.gradient_checkpointing = False
        self.text_tokenizer = None  # what text_ids mean, when saved with the vocoder; else the LauraGPT processor's
        self.post_init()
        self.codec.eval()

    def _build_head(self) -> nn.Module:
        """The output layer over the predictor states: the codec latent (latent_dim) per frame."""
        return nn.Linear(self.config.hidden_size, self.config.latent_dim)

    # ------------------------------------------------------------------------------------------------ properties
    @property
    def sampling_rate(self) -> int:
        """Rate of `generate_waveform`'s audio, in Hz (the codec's)."""
        return self.config.sampling_rate

    @property
    def hop_length(self) -> int:
        """Waveform samples per code frame (640 for FunCodec's 16 kHz codec)."""
        return self.config.hop_length

    def train(self, mode: bool = True):
        """Train the predictor; the codec stays frozen and in eval mode."""
        super().train(mode)
        self.codec.eval()
        return self

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *args, **kwargs) -> "LauraGPTVocoder":
        """``PreTrainedModel.from_pretrained``, then re-freeze the codec (loading gives new trainable parameters),
        and load the text tokenizer saved beside the weights, if any (``text_tokenizer``)."""
        model = super().from_pretrained(pretrained_model_name_or_path, *args, **kwargs)
        model.codec.requires_grad_(False)
        model.text_tokenizer = saved_text_tokenizer(pretrained_model_name_or_path, kwargs.get("subfolder", ""))
        return model

    def save_pretrained(self, save_directory, *args, **kwargs) -> None:
        """``PreTrainedModel.save_pretrained``, plus ``text_tokenizer`` (when set) in the same folder."""
        super().save_pretrained(save_directory, *args, **kwargs)
        if self.text_tokenizer is not None:
            self.text_tokenizer.save_pretrained(save_directory)

    @classmethod
    def from_codec(cls, codec: Codec, preset: str = "paper", **overrides) -> "LauraGPTVocoder":
        """A new vocoder (predictor sizes from ``preset`` and ``overrides``) around a copy of a (pretrained) codec.

        codec : an ``EncodecModel`` or a ``LauraGPTCPUCodec``; its config becomes ``config.codec_config`` and its
            weights (and the CPU codec's codebook buffers) are copied
        """
        config = LauraGPTVocoderConfig.from_preset(
            preset, codec_config=copy.deepcopy(codec.config), codebook_size=codec_spec(codec).codebook_size, **overrides
        )
        vocoder = cls(config)
        vocoder.codec.load_state_dict(codec.state_dict())
        return vocoder

    def check_compatible(self, lauragpt_config) -> None:
        """Raise ``ValueError`` unless a ``LauraGPTConfig``'s codec codes and text ids mean the same to this vocoder."""
        shared = ("codebook_size",) if self.text_tokenizer is not None else ("codebook_size", "text_vocab_size")
        problems = [
            f"{name}: LauraGPT {getattr(lauragpt_config, name)} vs vocoder {getattr(self.config, name)}"
            for name in shared
            if getattr(lauragpt_config, name) != getattr(self.config, name)
        ]
        if problems:
            raise InvalidInputError(
                f"Mismatched codec/vocoder: {'; '.join(problems)}. Use the vocoder trained for this LauraGPT model "
                "(same codec and tokenizer), or train one with modeling_lauragpt.training.vocoder_training.train_vocoder."
            )

    # ------------------------------------------------------------------------------------------------ inputs
    def _prepare(self, codes, codes_mask, conditions: VocoderConditions, target_codes=None):
        """Move the inputs to the predictor's device, fill in default masks and check them.

        returns : (codes (batch, frames), codes_mask (batch, frames), conditions with masks, target_codes or None)
        """
        device = self.out_proj.weight.device
        codes = codes.to(device)
        codes_mask = torch.ones_like(codes) if codes_mask is None else codes_mask.to(device)
        conditions = conditions.to(device).with_masks()
        target_codes = None if target_codes is None else target_codes.to(device)
        self._check_inputs(codes, codes_mask, conditions, target_codes)
        return codes, codes_mask, conditions, target_codes

    def _check_inputs(self, codes, codes_mask, conditions: VocoderConditions, target_codes):
        cfg, batch = self.config, codes.shape[0]
        if codes.dim() != 2:
            raise InvalidInputError(
                f"codes must be first-group codes of shape (batch, frames); got {tuple(codes.shape)}."
            )
        errors = [
            range_error(
                "codes",
                codes[codes_mask.bool()],
                cfg.codebook_size,
                "Pass codec codes, not LLM vocabulary ids (processor.decode_outputs subtracts the codec offset).",
            ),
        ]
        if target_codes is not None:
            if target_codes.shape != (batch, cfg.num_quantizers, codes.shape[1]):
                errors.append(
                    ValueError(
                        f"target_codes must have shape (batch, num_quantizers={cfg.num_quantizers}, frames={codes.shape[1]}) "
                        f"like codes; got {tuple(target_codes.shape)}."
                    )
                )
            else:
                errors.append(range_error("target_codes", target_codes, cfg.codebook_size, "Pass codec codes."))
        for error in errors:
            if error is not None:
                raise error
        conditions.check(cfg, batch)

    # ------------------------------------------------------------------------------------------------ predictor
    def _segment(self, content: torch.Tensor, mask: torch.Tensor, kind: int) -> tuple[torch.Tensor, torch.Tensor]:
        """content (batch, length, hidden) -> normalised content + positions + segment type; mask (batch, length)."""
        length = content.shape[1]
        if length > self.config.max_position_embeddings:
            raise InvalidInputError(
                f"The {SEGMENT_NAMES[kind]} segment has {length} positions but the vocoder holds "
                f"{self.config.max_position_embeddings} (max_position_embeddings): split the input into shorter chunks."
            )
        hidden = (
            self.input_norms[kind](content)
            + self.positions.pe[:length].to(content.dtype)
            + self.segment_embed.weight[kind]
        )
        return hidden, mask.bool()

    def predict_latent(
        self,
        codes: torch.LongTensor,
        codes_mask: torch.Tensor | None = None,
        conditions: VocoderConditions | None = None,
        **condition_fields,
    ) -> torch.Tensor:
        """The latent the codec decoder gets (no checks, no corruption).

        codes : torch.LongTensor, shape = (batch, frames); codes_mask : (batch, frames), optional (None: all real)
        conditions : a ``VocoderConditions``, or its fields as keyword arguments
        returns : torch.Tensor, shape = (batch, frames, latent_dim)  predicted latent, zero on padded frames
        """
        mask = codes_mask if codes_mask is not None else torch.ones_like(codes)
        conditions = VocoderConditions.build(conditions, **condition_fields).with_masks()
        states = self.predictor_states(self.code_embed(_zero_padding(codes, mask)), mask, conditions)
        return self.out_proj(states).masked_fill(~mask.bool()[..., None], 0.0)

    def predictor_states(
        self, code_content: torch.Tensor, codes_mask: torch.Tensor, conditions: VocoderConditions
    ) -> torch.Tensor:
        """The non-causal transformer over [conditions ; code content], read at the code positions.

        code_content : torch.Tensor, shape = (batch, frames, hidden)  embedded codes
        codes_mask : shape = (batch, frames)  1 on real frames
        conditions : ``VocoderConditions`` with their masks (``with_masks()``)
        returns : torch.Tensor, shape = (batch, frames, hidden)  final-normed states at the code positions
        """
        c, segments = conditions, []
        if c.text_ids is not None:
            segments.append(self._segment(self.text_embed(_zero_padding(c.text_ids, c.text_mask)), c.text_mask, TEXT))
        if c.input_features is not None:
            mask = c.input_features_mask
            features = _zero_padding(c.input_features.to(self.feature_proj.weight.dtype), mask[..., None])
            segments.append(self._segment(self.feature_proj(features), mask, FEATURES))
        if c.prompt_codes is not None:
            mask = c.prompt_codes_mask
            with torch.no_grad():
                latent = codes_to_latent(self.codec, _zero_padding(c.prompt_codes, mask[:, None]))
            segments.append(self._segment(self.prompt_proj(latent.to(self.prompt_proj.weight.dtype)), mask, PROMPT))
        segments.append(self._segment(code_content, codes_mask, CODES))

        hidden = self.dropout(torch.cat([s[0] for s in segments], dim=1))
        key_mask = torch.cat([s[1] for s in segments], dim=1)
        key_bias = torch.zeros(key_mask.shape, dtype=hidden.dtype, device=hidden.device)
        key_bias = key_bias.masked_fill(~key_mask, torch.finfo(hidden.dtype).min)[:, None, None, :]
        for layer in self.layers:
            hidden, _ = layer(hidden, key_mask, key_bias)
        return self.final_norm(hidden[:, hidden.shape[1] - code_content.shape[1] :])

    def forward(
        self,
        codes: torch.LongTensor,
        codes_mask: torch.Tensor | None = None,
        target_codes: torch.LongTensor | None = None,
        conditions: VocoderConditions | None = None,
        **condition_fields,
    ) -> LauraGPTVocoderOutput:
        """
        codes : torch.LongTensor, shape = (batch, frames)  first-group codes in [0, codebook_size) (in training, a
            `codec_input_corruption` fraction of them is replaced by random codes)
        codes_mask : shape = (batch, frames)  1 on real frames, 0 on padding (None: all real)
        target_codes : torch.LongTensor, shape = (batch, num_quantizers, frames), optional  all-group codes of the
            target audio; the target latent is the sum of their codebook vectors
        conditions : a ``VocoderConditions``, or its fields as keyword arguments (``text_ids``, ``text_mask``,
            ``input_features``, ``input_features_mask``, ``prompt_codes``, ``prompt_codes_mask``; see there)
        returns : LauraGPTVocoderOutput with predicted_latent (batch, frames, latent_dim) and, with targets,
            target_latent (same shape) and loss = l1_loss_weight * L1 + l2_loss_weight * L2 (means over real frames
            and dimensions)
        """
        codes, codes_mask, conditions, target_codes = self._prepare(
            codes, codes_mask, VocoderConditions.build(conditions, **condition_fields), target_codes
        )
        if self.training:
            codes = corrupt_codes(codes, self.config.codec_input_corruption, self.config.codebook_size)
        predicted = self.predict_latent(codes, codes_mask, conditions)
        if target_codes is None:
            return LauraGPTVocoderOutput(predicted_latent=predicted)

        with torch.no_grad():
            target = codes_to_latent(self.codec, target_codes).to(predicted.dtype)
        real = codes_mask.bool()[..., None].to(predicted.dtype)
        target = target * real
        count = real.sum() * predicted.shape[-1]
        diff = (predicted - target) * real
        l1, l2 = diff.abs().sum() / count, diff.square().sum() / count
        loss = self.config.l1_loss_weight * l1 + self.config.l2_loss_weight * l2
        return LauraGPTVocoderOutput(
            loss=loss, predicted_latent=predicted, target_latent=target, l1_loss=l1, l2_loss=l2
        )

    @torch.no_grad()
    def generate_waveform(
        self,
        codes: torch.LongTensor | list[torch.Tensor],
        codes_mask: torch.Tensor | None = None,
        conditions: VocoderConditions | None = None,
        **condition_fields,
    ) -> tuple[torch.Tensor, torch.LongTensor]:
        """Waveforms for first-group codes (e.g. LauraGPT's output for tts/se): predictor -> latent -> codec decoder.

        codes : torch.LongTensor, shape = (batch, frames), or a list of 1-D code tensors (padded here)
        codes_mask, conditions (or their fields as keywords) : as in ``forward`` (no corruption is applied)
        returns : (audio_values, audio_lengths)
            audio_values : torch.FloatTensor, shape = (batch, frames * hop_length)  float32 at ``sampling_rate``,
                zero after each clip's end
            audio_lengths : torch.LongTensor, shape = (batch,)  real samples per row (real frames * hop_length)
        """
        if isinstance(codes, (list, tuple)):
            if codes_mask is not None:
                raise InvalidInputError(
                    "Pass codes_mask only with a padded codes tensor, not with a list of code tensors."
                )
            codes, codes_mask = pad_codes(codes)
        codes, codes_mask, conditions, _ = self._prepare(
            codes, codes_mask, VocoderConditions.build(conditions, **condition_fields)
        )
        latent = self.predict_latent(codes, codes_mask, conditions)
        frames = codes_mask.long().sum(dim=1)
        audio = latent_to_waveform(self.codec, latent, lengths=frames)
        return audio.float(), frames * self.hop_length


__all__ = ["LauraGPTVocoder", "LauraGPTVocoderOutput", "VocoderConditions", "corrupt_codes", "pad_codes"]
