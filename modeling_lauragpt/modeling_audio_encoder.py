"""The Conformer audio encoder (paper §3.1; ESPnet/FunASR Conformer semantics).

Block (pre-norm, macaron)::

    x = x + 1/2 * FFN(LN(x));  x = x + MHSA(LN(x));  x = x + Conv(LN(x));  x = x + 1/2 * FFN(LN(x));  x = LN(x)

Sub-module names follow ESPnet (``feed_forward_macaron``, ``self_attn.linear_q``, ``conv_module.depthwise_conv``,
``norm_mha`` ...) so FunASR checkpoints map onto them name by name. Padded frames never influence real ones:
attention masks padded keys and the convolution module zeroes padded frames before its depthwise convolution.
"""

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers.activations import ACT2FN
from transformers.modeling_layers import GradientCheckpointingLayer
from transformers.utils import ModelOutput

from .audio_lengths import encoder_num_frames
from .configuration_lauragpt import LauraGPTAudioEncoderConfig
from .positional_encoding import (
    LauraGPTRelPositionalEncoding,
    LauraGPTSinusoidalPositionalEncoding,
)
from .pretrained_model import LauraGPTPreTrainedModel


@dataclass
class LauraGPTAudioEncoderOutput(ModelOutput):
    r"""
    last_hidden_state (`torch.Tensor` of shape `(batch, encoder_frames, hidden_size)`): top-layer states, zero on
        padded frames.
    output_mask (`torch.LongTensor` of shape `(batch, encoder_frames)`): 1 on frames computed from real input.
    hidden_states (`tuple(torch.Tensor)`, *optional*): input-layer output and each block's output.
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
        """features : (batch, frames, input_size) -> (batch, frames, hidden)"""
        return self.dropout(self.norm(self.linear(features)))


class LauraGPTConv2dSubsampling(nn.Module):
    """``"conv2d"`` input layer (ESPnet Conv2dSubsampling): two 3x3 stride-2 convs + ReLU, then Linear; 4x fewer frames."""

    def __init__(self, config: LauraGPTAudioEncoderConfig):
        super().__init__()
        d = config.hidden_size
        self.conv = nn.Sequential(nn.Conv2d(1, d, 3, 2), nn.ReLU(), nn.Conv2d(d, d, 3, 2), nn.ReLU())
        self.out = nn.Linear(d * (((config.input_size - 1) // 2 - 1) // 2), d)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """features : (batch, frames, input_size) -> (batch, ((frames - 1) // 2 - 1) // 2, hidden)"""
        x = self.conv(features[:, None])
        batch, channels, frames, width = x.shape
        return self.out(x.transpose(1, 2).reshape(batch, frames, channels * width))


class LauraGPTFeedForward(nn.Module):
    """Position-wise feed-forward: Linear -> activation -> dropout -> Linear."""

    def __init__(self, config: LauraGPTAudioEncoderConfig):
        super().__init__()
        self.w_1 = nn.Linear(config.hidden_size, config.intermediate_size)
        self.activation = ACT2FN[config.hidden_act]
        self.dropout = nn.Dropout(config.hidden_dropout)
        self.w_2 = nn.Linear(config.intermediate_size, config.hidden_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x : (batch, frames, hidden) -> (batch, frames, hidden)"""
        return self.w_2(self.dropout(self.activation(self.w_1(x))))


def _rel_shift(scores: torch.Tensor) -> torch.Tensor:
    """(batch, heads, T, 2T-1) scores over offsets T-1..-(T-1) -> (batch, heads, T, T) scores of offset i - j."""
    batch, heads, frames, width = scores.shape
    padded = torch.cat([scores.new_zeros(batch, heads, frames, 1), scores], dim=-1)
    padded = padded.view(batch, heads, width + 1, frames)
    return padded[:, :, 1:].view_as(scores)[:, :, :, : width // 2 + 1]


class LauraGPTConformerAttention(nn.Module):
    """Multi-head self-attention; with relative positions, ESPnet's RelPositionMultiHeadedAttention ("latest")."""

    def __init__(self, config: LauraGPTAudioEncoderConfig):
        super().__init__()
        d, self.heads = config.hidden_size, config.num_attention_heads
        self.head_dim = d // self.heads
        self.linear_q, self.linear_k, self.linear_v, self.linear_out = (nn.Linear(d, d) for _ in range(4))
        self.attention_dropout = config.attention_dropout
        self.relative = config.position_embedding_type == "relative"
        if self.relative:
            self.linear_pos = nn.Linear(d, d, bias=False)
            self.pos_bias_u = nn.Parameter(torch.zeros(self.heads, self.head_dim))
            self.pos_bias_v = nn.Parameter(torch.zeros(self.heads, self.head_dim))

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(x.shape[0], x.shape[1], self.heads, self.head_dim)

    def forward(
        self, x: torch.Tensor, key_bias: torch.Tensor, pos_emb: torch.Tensor | None = None, output_attentions: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """
        x : (batch, frames, hidden)
        key_bias : (batch, 1, 1, frames)  0 on real keys, a large negative number on padded keys
        pos_emb : (1, 2 * frames - 1, hidden)  relative offset embeddings, or None for absolute positions
        returns : (batch, frames, hidden) and, if asked, weights (batch, heads, frames, frames)
        """
        q, k, v = self._split(self.linear_q(x)), self._split(self.linear_k(x)), self._split(self.linear_v(x))
        k, v = k.transpose(1, 2), v.transpose(1, 2)
        bias = key_bias
        if self.relative:
            p = self._split(self.linear_pos(pos_emb)).transpose(1, 2)  # (1, heads, 2T-1, head_dim)
            position_scores = _rel_shift((q + self.pos_bias_v).transpose(1, 2) @ p.transpose(-2, -1))
            bias = bias + position_scores / math.sqrt(self.head_dim)
            q = q + self.pos_bias_u
        q = q.transpose(1, 2)
        dropout = self.attention_dropout if self.training else 0.0
        if output_attentions:
            weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(self.head_dim) + bias, dim=-1)
            context = F.dropout(weights, dropout, self.training) @ v
        else:
            weights = None
            context = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype), dropout_p=dropout)
        context = context.transpose(1, 2).reshape(x.shape)
        return self.linear_out(context), weights


class LauraGPTConvolutionModule(nn.Module):
    """Pointwise conv (GLU) -> depthwise conv -> LayerNorm/BatchNorm -> activation -> pointwise conv."""

    def __init__(self, config: LauraGPTAudioEncoderConfig):
        super().__init__()
        d, k = config.hidden_size, config.conv_kernel_size
        self.pointwise_conv1 = nn.Conv1d(d, 2 * d, 1)
        self.depthwise_conv = nn.Conv1d(d, d, k, padding=(k - 1) // 2, groups=d)
        self.use_layer_norm = config.conv_norm_type == "layer_norm"
        self.norm = nn.LayerNorm(d, eps=config.layer_norm_eps) if self.use_layer_norm else nn.BatchNorm1d(d)
        self.activation = ACT2FN[config.hidden_act]
        self.pointwise_conv2 = nn.Conv1d(d, d, 1)

    def forward(self, x: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
        """x : (batch, frames, hidden), frame_mask : (batch, frames) bool -> (batch, frames, hidden)"""
        x = F.glu(self.pointwise_conv1(x.transpose(1, 2)), dim=1)
        x = self.depthwise_conv(x.masked_fill(~frame_mask[:, None, :], 0.0))
        x = self.norm(x.transpose(1, 2)).transpose(1, 2) if self.use_layer_norm else self.norm(x)
        return self.pointwise_conv2(self.activation(x)).transpose(1, 2)


class LauraGPTConformerLayer(GradientCheckpointingLayer):
    """One Conformer block (macaron FFN, MHSA, convolution module, FFN, final LayerNorm)."""

    def __init__(self, config: LauraGPTAudioEncoderConfig):
        super().__init__()
        d, eps = config.hidden_size, config.layer_norm_eps
        self.feed_forward_macaron = LauraGPTFeedForward(config) if config.macaron_style else None
        self.norm_ff_macaron = nn.LayerNorm(d, eps=eps) if config.macaron_style else None
        self.self_attn = LauraGPTConformerAttention(config)
        self.norm_mha = nn.LayerNorm(d, eps=eps)
        self.conv_module = LauraGPTConvolutionModule(config) if config.use_conv_module else None
        self.norm_conv = nn.LayerNorm(d, eps=eps) if config.use_conv_module else None
        self.feed_forward = LauraGPTFeedForward(config)
        self.norm_ff = nn.LayerNorm(d, eps=eps)
        self.norm_final = nn.LayerNorm(d, eps=eps)
        self.dropout = nn.Dropout(config.hidden_dropout)
        self.ff_scale = 0.5 if config.macaron_style else 1.0

    def forward(
        self, x: torch.Tensor, frame_mask: torch.Tensor, key_bias: torch.Tensor, pos_emb=None, output_attentions=False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x : (batch, frames, hidden) -> (batch, frames, hidden), attention weights or None"""
        if self.feed_forward_macaron is not None:
            x = x + self.ff_scale * self.dropout(self.feed_forward_macaron(self.norm_ff_macaron(x)))
        attended, weights = self.self_attn(self.norm_mha(x), key_bias, pos_emb, output_attentions)
        x = x + self.dropout(attended)
        if self.conv_module is not None:
            x = x + self.dropout(self.conv_module(self.norm_conv(x), frame_mask))
        x = x + self.ff_scale * self.dropout(self.feed_forward(self.norm_ff(x)))
        return self.norm_final(x), weights


class LauraGPTAudioEncoder(LauraGPTPreTrainedModel):
    """Conformer encoder: LFR fbank frames in, ``hidden_size``-dim frames and their mask out."""

    config: LauraGPTAudioEncoderConfig
    main_input_name = "input_features"
    input_modalities = "audio"

    def __init__(self, config: LauraGPTAudioEncoderConfig):
        super().__init__(config)
        self.embed = LauraGPTLinearInput(config) if config.input_layer == "linear" else LauraGPTConv2dSubsampling(config)
        positions = LauraGPTRelPositionalEncoding if config.position_embedding_type == "relative" else LauraGPTSinusoidalPositionalEncoding
        self.positional_encoding = positions(config.hidden_size, config.max_position_embeddings, config.positional_dropout)
        self.layers = nn.ModuleList(LauraGPTConformerLayer(config) for _ in range(config.num_hidden_layers))
        self.after_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.gradient_checkpointing = False
        self.post_init()

    def _check_inputs(self, input_features: torch.Tensor, input_features_mask: torch.Tensor | None):
        if input_features.dim() != 3 or input_features.shape[-1] != self.config.input_size:
            raise ValueError(
                f"input_features must have shape (batch, frames, {self.config.input_size}); got {tuple(input_features.shape)}. "
                "Compute them with LauraGPTFeatureExtractor (80 mel bins x 7 LFR frames = 560 by default)."
            )
        if input_features_mask is not None and input_features_mask.shape != input_features.shape[:2]:
            raise ValueError(
                f"input_features_mask must have shape {tuple(input_features.shape[:2])} (batch, frames); "
                f"got {tuple(input_features_mask.shape)}."
            )

    def forward(
        self,
        input_features: torch.Tensor,
        input_features_mask: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> LauraGPTAudioEncoderOutput:
        """
        input_features : torch.Tensor, shape = (batch, frames, input_size)  LFR fbank features
        input_features_mask : torch.Tensor, shape = (batch, frames)  1 on real frames, 0 on padding (None: all real)
        returns : LauraGPTAudioEncoderOutput with last_hidden_state (batch, encoder_frames, hidden_size) and
            output_mask (batch, encoder_frames); encoder_frames = audio_lengths.encoder_num_frames(frames)
        """
        self._check_inputs(input_features, input_features_mask)
        batch, frames = input_features.shape[:2]
        if input_features_mask is None:
            input_features_mask = torch.ones(batch, frames, dtype=torch.long, device=input_features.device)
        lengths = encoder_num_frames(input_features_mask.long().sum(dim=1), self.config.input_layer)

        x = self.embed(input_features.to(self.after_norm.weight.dtype))
        frame_mask = torch.arange(x.shape[1], device=x.device)[None, :] < lengths[:, None]
        key_bias = torch.zeros(frame_mask.shape, dtype=x.dtype, device=x.device)
        key_bias = key_bias.masked_fill(~frame_mask, torch.finfo(x.dtype).min)[:, None, None, :]
        x, pos_emb = self.positional_encoding(x)

        hidden_states = (x,) if output_hidden_states else None
        attentions = () if output_attentions else None
        for layer in self.layers:
            x, weights = layer(x, frame_mask, key_bias, pos_emb, bool(output_attentions))
            if output_hidden_states:
                hidden_states += (x,)
            if output_attentions:
                attentions += (weights,)
        x = self.after_norm(x).masked_fill(~frame_mask[..., None], 0.0)
        return LauraGPTAudioEncoderOutput(
            last_hidden_state=x, output_mask=frame_mask.long(), hidden_states=hidden_states, attentions=attentions
        )


__all__ = ["LauraGPTAudioEncoder", "LauraGPTAudioEncoderOutput", "LauraGPTConformerLayer"]
