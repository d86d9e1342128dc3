"""The multi-step baseline the paper compares its one-step vocoder against (VALL-E's non-autoregressive stage).

Same conditions, width and depth as ``LauraGPTVocoder`` (it IS that predictor with another head), but instead of
regressing the summed latent in one pass it classifies the codes of group ``g`` from [conditions ; first-group
codes + the latent of groups 2..g-1 + a group embedding], one group per pass: 31 passes for FunCodec's 32 groups.
The codes of all groups then go through the codec's quantizer and decoder. Training samples one group per step,
as VALL-E does.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers.utils import ModelOutput

from .codec import codes_to_latent
from .configuration_vocoder import LauraGPTVocoderConfig
from .errors import InvalidInputError
from .modeling_vocoder import LauraGPTVocoder, _zero_padding, corrupt_codes
from .vocoder_conditions import VocoderConditions


class LauraGPTMultiStepVocoderConfig(LauraGPTVocoderConfig):
    """``LauraGPTVocoderConfig`` for the multi-step baseline (same fields and presets)."""

    model_type = "lauragpt_multistep_vocoder"


@dataclass
class LauraGPTMultiStepVocoderOutput(ModelOutput):
    r"""
    loss (`torch.FloatTensor`, *optional*): cross-entropy of the trained group's codes over real frames.
    logits (`torch.FloatTensor` of shape `(batch, frames, codebook_size)`): scores of the trained group's codes.
    group (`int`): index of the group that was predicted (1 .. num_quantizers - 1).
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    group: int | None = None


class LauraGPTMultiStepVocoder(LauraGPTVocoder):
    """VALL-E-style baseline: predicts codec groups 2..N one group per pass, then decodes with the frozen codec."""

    config: LauraGPTMultiStepVocoderConfig

    def __init__(self, config: LauraGPTMultiStepVocoderConfig):
        super().__init__(config)
        self.group_embed = nn.Embedding(config.num_quantizers, config.hidden_size)
        self.latent_proj = nn.Linear(config.latent_dim, config.hidden_size)
        self.post_init()

    def _build_head(self) -> nn.Module:
        """The output layer: scores of the ``codebook_size`` codes of the group being predicted."""
        return nn.Linear(self.config.hidden_size, self.config.codebook_size)

    def group_logits(
        self, known_codes: torch.LongTensor, codes_mask: torch.Tensor, conditions: VocoderConditions
    ) -> torch.Tensor:
        """Scores of group ``g = known_codes.shape[1]`` given groups ``0 .. g-1``.

        known_codes : torch.LongTensor, shape = (batch, g, frames)  codes of the groups known so far (g >= 1)
        codes_mask : shape = (batch, frames)  1 on real frames
        conditions : ``VocoderConditions`` with their masks (``with_masks()``)
        returns : torch.Tensor, shape = (batch, frames, codebook_size)
        """
        group = known_codes.shape[1]
        known_codes = _zero_padding(known_codes, codes_mask[:, None])
        content = self.code_embed(known_codes[:, 0]) + self.group_embed.weight[group]
        if group > 1:
            with torch.no_grad():
                latent = codes_to_latent(self.codec, known_codes[:, 1:])
            content = content + self.latent_proj(latent.to(content.dtype))
        return self.out_proj(self.predictor_states(content, codes_mask, conditions))

    @torch.no_grad()
    def generate_codes(
        self,
        codes: torch.LongTensor,
        codes_mask: torch.Tensor | None = None,
        conditions: VocoderConditions | None = None,
        **condition_fields,
    ) -> torch.LongTensor:
        """All groups from the first one, greedily, one pass per group.

        codes : torch.LongTensor, shape = (batch, frames)  first-group codes
        conditions : a ``VocoderConditions``, or its fields as keyword arguments
        returns : torch.LongTensor, shape = (batch, num_quantizers, frames)
        """
        codes_mask = codes_mask if codes_mask is not None else torch.ones_like(codes)
        conditions = VocoderConditions.build(conditions, **condition_fields).with_masks()
        known = codes[:, None]
        for _ in range(1, self.config.num_quantizers):
            next_group = self.group_logits(known, codes_mask, conditions).argmax(dim=-1)
            known = torch.cat([known, next_group[:, None]], dim=1)
        return known

    def predict_latent(
        self,
        codes: torch.LongTensor,
        codes_mask: torch.Tensor | None = None,
        conditions: VocoderConditions | None = None,
        **condition_fields,
    ) -> torch.Tensor:
        """The latent the codec decoder gets: the summed codebook vectors of the generated groups (31 passes).

        returns : torch.Tensor, shape = (batch, frames, latent_dim), zero on padded frames
        """
        codes_mask = codes_mask if codes_mask is not None else torch.ones_like(codes)
        all_codes = self.generate_codes(codes, codes_mask, VocoderConditions.build(conditions, **condition_fields))
        latent = codes_to_latent(self.codec, _zero_padding(all_codes, codes_mask[:, None]))
        return latent.masked_fill(~codes_mask.bool()[..., None], 0.0)

    def forward(
        self,
        codes: torch.LongTensor,
        codes_mask: torch.Tensor | None = None,
        target_codes: torch.LongTensor | None = None,
        group: int | None = None,
        conditions: VocoderConditions | None = None,
        **condition_fields,
    ) -> LauraGPTMultiStepVocoderOutput:
        """
        codes, codes_mask, target_codes, conditions : as in ``LauraGPTVocoder.forward`` (target_codes is required)
        group : the group to train, 1 .. num_quantizers - 1 (None: drawn at random, as VALL-E trains its NAR stage)
        returns : LauraGPTMultiStepVocoderOutput with the cross-entropy of that group's codes over real frames
        """
        if target_codes is None:
            raise InvalidInputError(
                "The multi-step vocoder trains on target_codes (batch, num_quantizers, frames); use "
                "generate_waveform or generate_codes to run it."
            )
        codes, codes_mask, conditions, target_codes = self._prepare(
            codes, codes_mask, VocoderConditions.build(conditions, **condition_fields), target_codes
        )
        if group is None:
            group = int(torch.randint(1, self.config.num_quantizers, ()))
        if not 1 <= group < self.config.num_quantizers:
            raise InvalidInputError(f"group must lie in [1, {self.config.num_quantizers}); got {group}.")
        if self.training:
            codes = corrupt_codes(codes, self.config.codec_input_corruption, self.config.codebook_size)
        known = torch.cat([codes[:, None], target_codes[:, 1:group]], dim=1)
        logits = self.group_logits(known, codes_mask, conditions)
        real = codes_mask.bool()
        loss = F.cross_entropy(logits[real], target_codes[:, group][real])
        return LauraGPTMultiStepVocoderOutput(loss=loss, logits=logits, group=group)


__all__ = ["LauraGPTMultiStepVocoder", "LauraGPTMultiStepVocoderConfig", "LauraGPTMultiStepVocoderOutput"]
