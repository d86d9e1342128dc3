"""The Conformer audio encoder (paper §3.1; ESPnet/FunASR Conformer semantics).

Block (pre-norm, macaron; ESPnet ``EncoderLayer`` with ``normalize_before=True``)::

    x = x + 1/2 * FFN(LN(x))    # only with macaron_style (otherwise the last FFN has weight 1)
    x = x + MHSA(LN(x))
    x = x + Conv(LN(x))         # only with use_conv_module
    x = x + 1/2 * FFN(LN(x))
    x = LN(x)                   # norm_final, only with use_conv_module (as in ESPnet/FunASR)

Sub-module names follow ESPnet (``feed_forward_macaron``, ``self_attn.linear_q``, ``conv_module.depthwise_conv``,
``norm_mha`` ...) so FunASR checkpoints map onto them name by name. Padded frames never influence real ones:
attention masks padded keys, and the convolution module zeroes padded frames before its depthwise convolution.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers.activations import ACT2FN
from transformers.modeling_layers import GradientCheckpointingLayer
from transformers.utils import ModelOutput

from .audio_lengths import encoder_num_frames, length_mask
from .configuration_lauragpt import LauraGPTAudioEncoderConfig
from .errors import InvalidInputError
from .positional_encoding import (
    LauraGPTLegacyRelPositionalEncoding,
    LauraGPTRelPositionalEncoding,
    LauraGPTSinusoidalPositionalEncoding,
)
from .pretrained_model import LauraGPTPreTrainedModel

# Used only to state limits in seconds in error messages: LauraGPTFeatureExtractor's default feature frame
# (10 ms fbank shift x lfr_n 6 = 60 ms).
DEFAULT_FEATURE_FRAME_SECONDS = 0.06


@dataclass
class LauraGPTAudioEncoderOutput(ModelOutput):
    r"""
    last_hidden_state (`torch.Tensor` of shape `(batch, encoder_frames, hidden_size)`): top-layer states after
        `after_norm`, zero on padded frames.
    output_mask (`torch.LongTensor` of shape `(batch, encoder_frames)`): 1 on frames computed from real input.
    hidden_states (`tuple(torch.Tensor)`, *optional*): `num_hidden_layers + 1` tensors `(batch, encoder_frames,
        hidden_size)`: the input of each block (the first is the input layer's output with positions), then
        `last_hidden_state`, as in transformers' encoders.
    attentions (`tuple(torch.Tensor)`, *optional*): each block's attention weights `(batch, heads, frames, frames)`.
    """

    last_hidden_state: torch.Tensor | None = None
    output_mask: torch.LongTensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


class LauraGPTLinearInput(nn.Module):
    """``"linear"`` input layer: Linear(input_size -> d) + LayerNorm + dropout; the frame rate is kept."""

    def __init__(self, config: LauraGPTAudioEncoderConfig):
        super().__init__()
        self.linear = nn.Linear(config.input_size, config.hidden_size)
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """
        features : torch.Tensor, shape = (batch, frames, input_size)
        returns : torch.Tensor, shape = (batch, frames, hidden)
        """
        return self.dropout(self.norm(self.linear(features)))


class LauraGPTConv2dSubsampling(nn.Module):
    """``"conv2d"`` input layer (ESPnet ``Conv2dSubsampling``): two 3x3 stride-2 Conv2d + ReLU, then Linear.

    Output frame ``t`` reads input frames ``4t .. 4t+6`` only, so real outputs never see padding.
    """

    def __init__(self, config: LauraGPTAudioEncoderConfig):
        super().__init__()
        d = config.hidden_size
        self.conv = nn.Sequential(nn.Conv2d(1, d, 3, 2), nn.ReLU(), nn.Conv2d(d, d, 3, 2), nn.ReLU())
        self.out = nn.Linear(d * (((config.input_size - 1) // 2 - 1) // 2), d)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """
        features : torch.Tensor, shape = (batch, frames, input_size)
        returns : torch.Tensor, shape = (batch, ((frames - 1) // 2 - 1) // 2, hidden)
        """
        x = self.conv(features[:, None])
        batch, channels, frames, width = x.shape
        return self.out(x.transpose(1, 2).reshape(batch, frames, channels * width))


class LauraGPTFeedForward(nn.Module):
    """Position-wise feed-forward (ESPnet ``PositionwiseFeedForward``): Linear -> activation -> dropout -> Linear."""

    def __init__(self, config: LauraGPTAudioEncoderConfig):
        super().__init__()
        self.w_1 = nn.Linear(config.hidden_size, config.intermediate_size)
        self.activation = ACT2FN[config.hidden_act]
        self.dropout = nn.Dropout(config.hidden_dropout)
        self.w_2 = nn.Linear(config.intermediate_size, config.hidden_size)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """
        hidden_states : torch.Tensor, shape = (batch, frames, hidden)
        returns : torch.Tensor, shape = (batch, frames, hidden)
        """
        return self.w_2(self.dropout(self.activation(self.w_1(hidden_states))))


def rel_shift(scores: torch.Tensor) -> torch.Tensor:
    """ESPnet "latest" ``rel_shift``: scores against offsets ``T-1 .. -(T-1)`` -> scores of offset ``i - j``.

    scores : torch.Tensor, shape = (batch, heads, T, 2T - 1)
    returns : torch.Tensor, shape = (batch, heads, T, T), ``out[..., i, j] = scores[..., i, T - 1 - (i - j)]``
    """
    batch, heads, frames, width = scores.shape
    padded = torch.cat([scores.new_zeros(batch, heads, frames, 1), scores], dim=-1)
    padded = padded.view(batch, heads, width + 1, frames)
    return padded[:, :, 1:].reshape(batch, heads, frames, width)[:, :, :, : width // 2 + 1]


def legacy_rel_shift(scores: torch.Tensor) -> torch.Tensor:
    """ESPnet legacy ``rel_shift`` (``zero_triu=False``), used with ``LauraGPTLegacyRelPositionalEncoding``.

    scores : torch.Tensor, shape = (batch, heads, T, T)  scores against the T legacy position embeddings
    returns : torch.Tensor, shape = (batch, heads, T, T), ``out[..., i, j] = scores[..., i, T - 1 - i + j]`` for
        ``j <= i``; above the diagonal the legacy shift reads the next row (``scores[..., i + 1, j - i - 2]``, 0 at
        ``j = i + 1``), and that is kept, since FunASR checkpoints were trained with it
    """
    batch, heads, frames, width = scores.shape
    padded = torch.cat([scores.new_zeros(batch, heads, frames, 1), scores], dim=-1)
    return padded.view(batch, heads, width + 1, frames)[:, :, 1:].reshape(batch, heads, frames, width)


class LauraGPTConformerAttention(nn.Module):
    """Multi-head self-attention; with relative positions, ESPnet's ``RelPositionMultiHeadedAttention`` ("latest").

    Relative scores ``(q + pos_bias_v) . linear_pos(pe)`` are rel-shifted and added to the additive key mask, and
    ``pos_bias_u`` is added to the queries, so ``F.scaled_dot_product_attention`` computes ESPnet's
    ``(matrix_ac + matrix_bd) / sqrt(d_k)`` exactly. The eager path (``output_attentions`` or
    ``attn_implementation="eager"``) computes the same with explicit weights.
    """

    def __init__(self, config: LauraGPTAudioEncoderConfig):
        super().__init__()
        self.config = config
        d, self.num_heads = config.hidden_size, config.num_attention_heads
        self.head_dim = d // self.num_heads
        self.scaling = self.head_dim**-0.5
        self.linear_q, self.linear_k, self.linear_v, self.linear_out = (nn.Linear(d, d) for _ in range(4))
        self.attention_dropout = config.attention_dropout
        self.relative = config.position_embedding_type in ("relative", "relative_legacy")
        self.shift = legacy_rel_shift if config.position_embedding_type == "relative_legacy" else rel_shift
        if self.relative:
            self.linear_pos = nn.Linear(d, d, bias=False)
            self.pos_bias_u = nn.Parameter(torch.zeros(self.num_heads, self.head_dim))
            self.pos_bias_v = nn.Parameter(torch.zeros(self.num_heads, self.head_dim))

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, frames, hidden) -> (batch, heads, frames, head_dim)"""
        return x.view(x.shape[0], x.shape[1], self.num_heads, self.head_dim).transpose(1, 2)

    def forward(
        self,
        hidden_states: torch.Tensor,
        key_bias: torch.Tensor,
        pos_emb: torch.Tensor | None = None,
        output_attentions: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """
        hidden_states : torch.Tensor, shape = (batch, frames, hidden)
        key_bias : torch.Tensor, shape = (batch, 1, 1, frames)  0 on real keys, a large negative number on padded keys
        pos_emb : torch.Tensor, shape = (1, 2 * frames - 1, hidden)  relative offset embeddings, or (1, frames,
            hidden) legacy ones (None: absolute positions)
        returns : (torch.Tensor, shape = (batch, frames, hidden),
                   attention weights, shape = (batch, heads, frames, frames), on the eager path, else None)
        """
        q, k, v = (self._heads(proj(hidden_states)) for proj in (self.linear_q, self.linear_k, self.linear_v))
        bias = key_bias
        if self.relative:
            p = self._heads(self.linear_pos(pos_emb))  # (1, heads, 2T - 1, head_dim)
            position_scores = self.shift((q + self.pos_bias_v[:, None]) @ p.transpose(-2, -1)) * self.scaling
            bias = (key_bias + position_scores).clamp(min=torch.finfo(position_scores.dtype).min)
            q = q + self.pos_bias_u[:, None]
        dropout = self.attention_dropout if self.training else 0.0
        if output_attentions or getattr(self.config, "_attn_implementation", None) == "eager":
            scores = (q @ k.transpose(-2, -1)) * self.scaling + bias
            weights = torch.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
            context = F.dropout(weights, dropout, self.training) @ v
        else:
            weights = None
            context = F.scaled_dot_product_attention(
                q, k, v, attn_mask=bias.to(q.dtype), dropout_p=dropout, scale=self.scaling
            )
        context = context.transpose(1, 2).reshape(hidden_states.shape)
        return self.linear_out(context), weights


class LauraGPTConvolutionModule(nn.Module):
    """Pointwise conv (d -> 2d) + GLU -> depthwise conv -> LayerNorm/BatchNorm -> activation -> pointwise conv."""

    def __init__(self, config: LauraGPTAudioEncoderConfig):
        super().__init__()
        d, k = config.hidden_size, config.conv_kernel_size
        self.pointwise_conv1 = nn.Conv1d(d, 2 * d, 1)
        self.depthwise_conv = nn.Conv1d(d, d, k, padding=(k - 1) // 2, groups=d)
        self.use_layer_norm = config.conv_norm_type == "layer_norm"
        self.norm = nn.LayerNorm(d, eps=config.layer_norm_eps) if self.use_layer_norm else nn.BatchNorm1d(d)
        self.activation = ACT2FN[config.hidden_act]
        self.pointwise_conv2 = nn.Conv1d(d, d, 1)

    def forward(self, hidden_states: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
        """
        hidden_states : torch.Tensor, shape = (batch, frames, hidden)
        frame_mask : torch.Tensor, shape = (batch, frames)  bool, True on real frames
        returns : torch.Tensor, shape = (batch, frames, hidden)
        """
        x = F.glu(self.pointwise_conv1(hidden_states.transpose(1, 2)), dim=1)
        x = self.depthwise_conv(x.masked_fill(~frame_mask[:, None, :], 0.0))  # padding must not reach real frames
        x = self.norm(x.transpose(1, 2)).transpose(1, 2) if self.use_layer_norm else self.norm(x)
        return self.pointwise_conv2(self.activation(x)).transpose(1, 2)


class LauraGPTConformerLayer(GradientCheckpointingLayer):
    """One Conformer block (ESPnet ``EncoderLayer``, pre-norm): [macaron FFN], MHSA, [convolution], FFN, [norm]."""

    def __init__(self, config: LauraGPTAudioEncoderConfig):
        super().__init__()
        d, eps = config.hidden_size, config.layer_norm_eps
        self.self_attn = LauraGPTConformerAttention(config)
        self.feed_forward = LauraGPTFeedForward(config)
        self.feed_forward_macaron = LauraGPTFeedForward(config) if config.macaron_style else None
        self.conv_module = LauraGPTConvolutionModule(config) if config.use_conv_module else None
        self.norm_ff = nn.LayerNorm(d, eps=eps)
        self.norm_mha = nn.LayerNorm(d, eps=eps)
        self.norm_ff_macaron = nn.LayerNorm(d, eps=eps) if config.macaron_style else None
        self.norm_conv = nn.LayerNorm(d, eps=eps) if config.use_conv_module else None
        self.norm_final = nn.LayerNorm(d, eps=eps) if config.use_conv_module else None
        self.dropout = nn.Dropout(config.hidden_dropout)
        self.ff_scale = 0.5 if config.macaron_style else 1.0

    def forward(
        self,
        hidden_states: torch.Tensor,
        frame_mask: torch.Tensor,
        key_bias: torch.Tensor,
        pos_emb: torch.Tensor | None = None,
        output_attentions: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """
        hidden_states : torch.Tensor, shape = (batch, frames, hidden)
        frame_mask : torch.Tensor, shape = (batch, frames)  bool, True on real frames
        key_bias : torch.Tensor, shape = (batch, 1, 1, frames)  additive attention mask
        pos_emb : torch.Tensor, shape = (1, 2 * frames - 1, hidden)  relative embeddings, or None
        returns : (torch.Tensor, shape = (batch, frames, hidden), attention weights or None)
        """
        x = hidden_states
        if self.feed_forward_macaron is not None:
            x = x + self.ff_scale * self.dropout(self.feed_forward_macaron(self.norm_ff_macaron(x)))
        attended, weights = self.self_attn(self.norm_mha(x), key_bias, pos_emb, output_attentions)
        x = x + self.dropout(attended)
        if self.conv_module is not None:
            x = x + self.dropout(self.conv_module(self.norm_conv(x), frame_mask))
        x = x + self.ff_scale * self.dropout(self.feed_forward(self.norm_ff(x)))
        if self.norm_final is not None:
            x = self.norm_final(x)
        return x, weights


def padding_key_bias(frame_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """(batch, frames) bool -> (batch, 1, 1, frames) additive mask: 0 on real keys, half the dtype's lowest value on
    padded ones (finite, with headroom for the relative-position scores, so fully padded rows give no NaN)."""
    bias = torch.zeros(frame_mask.shape, dtype=dtype, device=frame_mask.device)
    return bias.masked_fill(~frame_mask, torch.finfo(dtype).min / 2)[:, None, None, :]


class LauraGPTAudioEncoder(LauraGPTPreTrainedModel):
    """Conformer encoder: (LFR fbank) feature frames in, ``hidden_size``-dim frames and their mask out."""

    config: LauraGPTAudioEncoderConfig
    main_input_name = "input_features"
    input_modalities = "audio"

    def __init__(self, config: LauraGPTAudioEncoderConfig):
        super().__init__(config)
        self.embed = (
            LauraGPTLinearInput(config) if config.input_layer == "linear" else LauraGPTConv2dSubsampling(config)
        )
        positions = {
            "sinusoidal": LauraGPTSinusoidalPositionalEncoding,
            "relative": LauraGPTRelPositionalEncoding,
            "relative_legacy": LauraGPTLegacyRelPositionalEncoding,
        }[config.position_embedding_type]
        self.positional_encoding = positions(
            config.hidden_size, config.max_position_embeddings, config.positional_dropout
        )
        self.layers = nn.ModuleList(LauraGPTConformerLayer(config) for _ in range(config.num_hidden_layers))
        self.after_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.gradient_checkpointing = False
        self.post_init()

    def _input_frame_limits(self) -> tuple[int, int]:
        """(fewest, most) input frames the input layer and the position table accept (the length formula is monotone)."""
        layer, limit = self.config.input_layer, self.config.max_position_embeddings
        fewest = next(t for t in range(1, 64) if encoder_num_frames(t, layer) >= 1)
        low, high = limit, 8 * limit + 16  # encoder_num_frames(t) <= t, and conv2d keeps about t / 4
        while low < high:
            mid = (low + high + 1) // 2
            low, high = (mid, high) if encoder_num_frames(mid, layer) <= limit else (low, mid - 1)
        return fewest, low

    def _check_inputs(self, input_features: torch.Tensor, input_features_mask: torch.Tensor | None):
        config = self.config
        if input_features.dim() != 3 or input_features.shape[-1] != config.input_size:
            raise InvalidInputError(
                f"input_features must have shape (batch, frames, {config.input_size}); got {tuple(input_features.shape)}. "
                f"Expected {config.input_size} features per frame (LauraGPTFeatureExtractor gives 80 mel bins x 7 "
                "LFR frames = 560 by default)."
            )
        if input_features_mask is not None:
            if input_features_mask.shape != input_features.shape[:2]:
                raise InvalidInputError(
                    f"input_features_mask must have shape {tuple(input_features.shape[:2])} (batch, frames), like "
                    f"input_features {tuple(input_features.shape)}; got {tuple(input_features_mask.shape)}."
                )
            real = input_features_mask.bool()
            if not torch.compiler.is_compiling() and bool((real[:, 1:] & ~real[:, :-1]).any()):
                raise InvalidInputError(
                    "input_features_mask must be right-padded: 1 on the real frames, then 0 on the padding. Found a 0 "
                    "before a 1; pad features on the right (LauraGPTFeatureExtractor does)."
                )
        frames = input_features.shape[1]
        fewest, most = self._input_frame_limits()
        if frames < fewest:
            raise InvalidInputError(
                f"input_features has {frames} frames, too few for the {config.input_layer!r} input layer, which needs "
                f"at least {fewest}. Pad the clip to {fewest} frames or drop it."
            )
        if frames > most:
            raise InvalidInputError(
                f"input_features has {frames} frames (about {frames * DEFAULT_FEATURE_FRAME_SECONDS:.1f} s at the "
                f"default 60 ms feature frames), giving {int(encoder_num_frames(frames, config.input_layer))} encoder "
                f"frames, but the encoder's position table holds {config.max_position_embeddings} "
                f"(max_position_embeddings), i.e. at most {most} input frames (about "
                f"{most * DEFAULT_FEATURE_FRAME_SECONDS:.1f} s). Split the audio into shorter clips, or build the "
                "encoder with a larger max_position_embeddings."
            )

    def forward(
        self,
        input_features: torch.Tensor,
        input_features_mask: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> LauraGPTAudioEncoderOutput | tuple:
        """
        input_features : torch.Tensor, shape = (batch, frames, input_size)  (LFR) fbank features, right-padded
        input_features_mask : torch.Tensor, shape = (batch, frames)  1 on real frames, 0 on padding (None: all real)
        output_attentions, output_hidden_states, return_dict : bool  (None: the config's value)
        returns : LauraGPTAudioEncoderOutput with last_hidden_state, shape = (batch, encoder_frames, hidden_size),
            and output_mask, shape = (batch, encoder_frames), where encoder_frames =
            audio_lengths.encoder_num_frames(frames, input_layer); a tuple of the non-None fields if not return_dict
        """
        config = self.config
        output_attentions = config.output_attentions if output_attentions is None else output_attentions
        output_hidden_states = config.output_hidden_states if output_hidden_states is None else output_hidden_states
        return_dict = config.return_dict if return_dict is None else return_dict
        self._check_inputs(input_features, input_features_mask)
        batch, frames = input_features.shape[:2]
        if input_features_mask is None:
            input_features_mask = torch.ones(batch, frames, dtype=torch.long, device=input_features.device)
        input_mask = input_features_mask.bool()
        lengths = encoder_num_frames(input_mask.long().sum(dim=1), config.input_layer)

        features = input_features.to(self.after_norm.weight.dtype).masked_fill(~input_mask[..., None], 0.0)
        x = self.embed(features)
        frame_mask = length_mask(lengths, x.shape[1])
        key_bias = padding_key_bias(frame_mask, x.dtype)
        x, pos_emb = self.positional_encoding(x)

        hidden_states = () if output_hidden_states else None
        attentions = () if output_attentions else None
        for layer in self.layers:
            if output_hidden_states:
                hidden_states += (x,)
            x, weights = layer(x, frame_mask, key_bias, pos_emb, output_attentions)
            if output_attentions:
                attentions += (weights,)
        x = self.after_norm(x).masked_fill(~frame_mask[..., None], 0.0)
        if output_hidden_states:
            hidden_states += (x,)
        output = LauraGPTAudioEncoderOutput(
            last_hidden_state=x, output_mask=frame_mask.long(), hidden_states=hidden_states, attentions=attentions
        )
        return output if return_dict else output.to_tuple()


__all__ = [
    "LauraGPTAudioEncoder",
    "LauraGPTAudioEncoderOutput",
    "LauraGPTConformerAttention",
    "LauraGPTConformerLayer",
    "LauraGPTConv2dSubsampling",
    "LauraGPTConvolutionModule",
    "LauraGPTFeedForward",
    "LauraGPTLinearInput",
    "legacy_rel_shift",
    "padding_key_bias",
    "rel_shift",
]
