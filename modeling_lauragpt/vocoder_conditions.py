"""What the vocoders are conditioned on besides the first-group codes, gathered in one dataclass.

    conditions = VocoderConditions(text_ids=ids, text_mask=mask)          # TTS
    vocoder.generate_waveform(codes, conditions=conditions)               # or, the same: (codes, text_ids=ids, ...)

Every field is optional and batch-first; a mask is 1 on real positions, 0 on padding (a row of zeros: that row has
no such condition). ``LauraGPTVocoder`` and ``LauraGPTMultiStepVocoder`` take it as ``conditions=`` or as the
keyword arguments of the same names.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from .errors import InvalidInputError

CONDITION_FIELDS = (
    "text_ids",
    "text_mask",
    "input_features",
    "input_features_mask",
    "prompt_codes",
    "prompt_codes_mask",
)


def range_error(name: str, values: torch.Tensor, high: int, fix: str) -> ValueError | None:
    if values.numel() and (int(values.min()) < 0 or int(values.max()) >= high):
        return ValueError(
            f"{name} must lie in [0, {high}); got values from {int(values.min())} to {int(values.max())}. {fix}"
        )
    return None


def _ones(x: torch.Tensor, length: int) -> torch.LongTensor:
    """A (batch, length) mask of ones for input ``x``."""
    return torch.ones(x.shape[0], length, dtype=torch.long, device=x.device)


@dataclass
class VocoderConditions:
    r"""
    text_ids (`torch.LongTensor` of shape `(batch, text_len)`, *optional*): text condition (TTS), tokenizer ids
        < `text_vocab_size`, right-padded (see `processing.tokenizer_utils.plain_text_ids`).
    text_mask (`torch.Tensor` of shape `(batch, text_len)`, *optional*): 1 on real tokens.
    input_features (`torch.Tensor` of shape `(batch, feature_frames, feature_size)`, *optional*): noisy-speech LFR
        features (SE).
    input_features_mask (`torch.Tensor` of shape `(batch, feature_frames)`, *optional*).
    prompt_codes (`torch.LongTensor` of shape `(batch, groups, prompt_frames)`, *optional*): all-group codec codes of
        a prompt voice (zero-shot TTS), groups <= the codec's.
    prompt_codes_mask (`torch.Tensor` of shape `(batch, prompt_frames)`, *optional*).
    """

    text_ids: torch.LongTensor | None = None
    text_mask: torch.Tensor | None = None
    input_features: torch.Tensor | None = None
    input_features_mask: torch.Tensor | None = None
    prompt_codes: torch.LongTensor | None = None
    prompt_codes_mask: torch.Tensor | None = None

    @classmethod
    def build(cls, conditions: VocoderConditions | None = None, **fields) -> VocoderConditions:
        """``conditions`` or the same fields as keyword arguments (not both); unknown names are an error."""
        unknown = sorted(set(fields) - set(CONDITION_FIELDS))
        if unknown:
            raise TypeError(f"Unknown vocoder condition(s) {unknown}; the conditions are {list(CONDITION_FIELDS)}.")
        given = {k: v for k, v in fields.items() if v is not None}
        if conditions is not None and given:
            raise InvalidInputError(f"Pass conditions= or the condition keywords {sorted(given)}, not both.")
        return conditions if conditions is not None else cls(**given)

    def to(self, device: torch.device | str) -> VocoderConditions:
        """The same conditions with every tensor on ``device``."""
        return dataclasses.replace(self, **{k: v.to(device) for k, v in self._present().items()})

    def with_masks(self) -> VocoderConditions:
        """The same conditions with an all-ones mask wherever a condition is given without one."""
        masks = {}
        if self.text_ids is not None and self.text_mask is None:
            masks["text_mask"] = _ones(self.text_ids, self.text_ids.shape[1])
        if self.input_features is not None and self.input_features_mask is None:
            masks["input_features_mask"] = _ones(self.input_features, self.input_features.shape[1])
        if self.prompt_codes is not None and self.prompt_codes_mask is None:
            masks["prompt_codes_mask"] = _ones(self.prompt_codes, self.prompt_codes.shape[2])
        return dataclasses.replace(self, **masks)

    def _present(self) -> dict[str, torch.Tensor]:
        return {name: getattr(self, name) for name in CONDITION_FIELDS if getattr(self, name) is not None}

    def check(self, config, batch: int) -> None:
        """Raise ``ValueError`` on conditions a vocoder of ``config`` (a ``LauraGPTVocoderConfig``) cannot read, for
        ``batch`` rows of codes. Call on ``with_masks()``'s result."""
        errors = []
        if self.text_ids is not None:
            errors.append(
                range_error(
                    "text_ids",
                    self.text_ids[self.text_mask.bool()],
                    config.text_vocab_size,
                    f"The vocoder was trained with another tokenizer (text_vocab_size={config.text_vocab_size}): use the "
                    "LauraGPT processor's tokenizer through processing.tokenizer_utils.plain_text_ids.",
                )
            )
        features = self.input_features
        if features is not None and (features.dim() != 3 or features.shape[-1] != config.feature_size):
            errors.append(
                ValueError(
                    f"input_features must have shape (batch, frames, {config.feature_size}); got {tuple(features.shape)}. "
                    "Compute them with the LauraGPT processor's feature extractor (LFR fbank)."
                )
            )
        if self.prompt_codes is not None:
            if self.prompt_codes.dim() != 3 or self.prompt_codes.shape[1] > config.num_quantizers:
                errors.append(
                    ValueError(
                        f"prompt_codes must have shape (batch, groups <= {config.num_quantizers}, frames); got "
                        f"{tuple(self.prompt_codes.shape)}. Encode the prompt voice with codec.encode_codes."
                    )
                )
            else:
                real = self.prompt_codes.transpose(1, 2)[self.prompt_codes_mask.bool()]
                errors.append(range_error("prompt_codes", real, config.codebook_size, "Pass codec codes."))
        for name in ("text_ids", "input_features", "prompt_codes"):
            value = getattr(self, name)
            if value is not None and value.shape[0] != batch:
                errors.append(ValueError(f"{name} has {value.shape[0]} rows but codes has {batch}; pass one per row."))
        for error in errors:
            if error is not None:
                raise error


__all__ = ["CONDITION_FIELDS", "VocoderConditions", "range_error"]
