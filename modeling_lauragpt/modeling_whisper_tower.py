"""Whisper as LauraGPT's audio tower: transformers' ``WhisperEncoder``, also run on windows shorter than 30 s.

Whisper was trained on 30 s windows (3000 log-mel frames -> 1500 encoder frames), and transformers' encoder refuses
anything else. ``LauraGPTWhisperEncoder`` keeps every module and weight name of ``WhisperEncoder`` (checkpoints load
as they are) and changes only what ``forward`` accepts:

- without a mask it is exactly ``WhisperEncoder.forward`` on the frames given, with the positional table sliced to
  their number (3000 frames reproduce transformers' encoder bit for bit);
- with a mask (the ``"clip"`` window), a batch padded to its longest clip is encoded as if each clip were alone
  (whisper.cpp's ``audio_ctx``): padded mel frames and stem outputs are zeroed as the convolutions' own zero
  padding would be, and attention never reads padded frames.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers.modeling_outputs import BaseModelOutput
from transformers.models.whisper.modeling_whisper import WhisperEncoder
from transformers.utils.generic import merge_with_config_defaults
from transformers.utils.output_capturing import capture_outputs

from .audio import WHISPER_CONV_STRIDE
from .audio_lengths import length_mask, whisper_encoder_frames
from .errors import InvalidInputError
from .modeling_audio_encoder import padding_key_bias


class LauraGPTWhisperEncoder(WhisperEncoder):
    """transformers' ``WhisperEncoder`` that also encodes clips shorter than its 30 s window (see module doc)."""

    @property
    def max_mel_frames(self) -> int:
        """Longest input in log-mel frames: the 30 s window (``2 * max_source_positions``)."""
        return self.max_source_positions * WHISPER_CONV_STRIDE

    @merge_with_config_defaults
    @capture_outputs
    def forward(
        self, input_features: torch.Tensor, attention_mask: torch.Tensor | None = None, **kwargs
    ) -> BaseModelOutput:
        """
        input_features : torch.Tensor, shape = (batch, num_mel_bins, mel_frames)  log-mel frames,
            mel_frames <= 2 * max_source_positions (3000 = 30 s)
        attention_mask : torch.Tensor, shape = (batch, mel_frames), optional  1 on real frames, right-padded; given,
            each clip is encoded as if alone; None: every frame is attended to (Whisper's own behaviour)
        returns : BaseModelOutput with last_hidden_state, shape = (batch, ceil(mel_frames / 2), d_model), frames past
            a clip's end zeroed when a mask is given (``output_hidden_states`` / ``output_attentions`` /
            ``return_dict`` work as in transformers' encoder)
        """
        self._check_inputs(input_features, attention_mask)
        hidden, real = self.states_before_layer(input_features, attention_mask, 0, **kwargs)
        return BaseModelOutput(last_hidden_state=self.finish_from_layer(hidden, real, 0, **kwargs))

    def states_before_layer(
        self, input_features: torch.Tensor, attention_mask: torch.Tensor | None = None, layer: int = 0, **kwargs
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The frames entering ``layers[layer]``: the stem, the positions and the layers below it (what training
        caches when only the top layers train). Inputs as in ``forward`` (not checked here).

        returns : (hidden, real) with shapes (batch, ceil(mel_frames / 2), d_model) and (batch, frames) bool, True
            on frames of real mel frames (None without a mask)
        """
        real_mel = None if attention_mask is None else attention_mask.bool()
        features = input_features.to(self.conv1.weight.dtype)
        if real_mel is not None:
            features = features.masked_fill(~real_mel[:, None, :], 0.0)
        stem = nn.functional.gelu(self.conv1(features))
        if real_mel is not None:
            stem = stem.masked_fill(~real_mel[:, None, :], 0.0)
        stem = nn.functional.gelu(self.conv2(stem)).permute(0, 2, 1)

        frames = stem.shape[1]
        hidden = stem + self.embed_positions.weight[:frames].to(stem.dtype)
        hidden = nn.functional.dropout(hidden, p=self.dropout, training=self.training)
        real = None
        if real_mel is not None:
            real = length_mask(whisper_encoder_frames(real_mel.long().sum(dim=1)), frames)
        return self._run_layers(hidden, real, self.layers[:layer], **kwargs), real

    def finish_from_layer(
        self, hidden: torch.Tensor, real: torch.Tensor | None, layer: int = 0, **kwargs
    ) -> torch.Tensor:
        """``layers[layer:]`` and the final norm on ``states_before_layer``'s output.

        hidden : torch.Tensor, shape = (batch, frames, d_model)  the frames entering ``layers[layer]``
        real : torch.Tensor, shape = (batch, frames) bool, or None  True on real frames: attention reads only them
        returns : torch.Tensor, shape = (batch, frames, d_model)  the tower's output, zero past each clip's end
        """
        hidden = self._run_layers(hidden, real, self.layers[layer:], **kwargs)
        hidden = self.layer_norm(hidden)
        if real is not None:
            hidden = hidden.masked_fill(~real[..., None], 0.0)
        return hidden

    def _run_layers(self, hidden: torch.Tensor, real: torch.Tensor | None, layers, **kwargs) -> torch.Tensor:
        key_bias = None if real is None else padding_key_bias(real, hidden.dtype)
        for layer in layers:
            if self.training and self.layerdrop > 0.0 and torch.rand([]) < self.layerdrop:
                continue  # LayerDrop, as in transformers' encoder
            hidden = layer(hidden, key_bias, **kwargs)
        return hidden

    def _check_inputs(self, input_features: torch.Tensor, attention_mask: torch.Tensor | None) -> None:
        bins = self.config.num_mel_bins
        if input_features.dim() != 3 or input_features.shape[1] != bins:
            raise InvalidInputError(
                f"input_features must have shape (batch, {bins}, mel_frames) (Whisper log-mel, channels first); got "
                f"{tuple(input_features.shape)}. Compute them with the processor's WhisperFeatureExtractor "
                f"(feature_size={bins})."
            )
        frames = input_features.shape[-1]
        if frames > self.max_mel_frames:
            raise InvalidInputError(
                f"input_features hold {frames} log-mel frames, more than the Whisper window of {self.max_mel_frames} "
                f"({self.max_mel_frames // 100} s). Split the audio into clips of at most 30 s (the pipeline does it "
                "with chunk_length_s=30)."
            )
        if frames < 1:
            raise InvalidInputError("input_features hold no frames: the clip is shorter than one 10 ms hop.")
        if attention_mask is not None:
            if attention_mask.shape != (input_features.shape[0], frames):
                raise InvalidInputError(
                    f"The Whisper tower's mask must have shape (batch, mel_frames) = {(input_features.shape[0], frames)}; "
                    f"got {tuple(attention_mask.shape)}."
                )
            real = attention_mask.bool()
            if not torch.compiler.is_compiling() and bool((real[:, 1:] & ~real[:, :-1]).any()):
                raise InvalidInputError("The Whisper tower's mask must be right-padded: 1 on the real frames, then 0.")


__all__ = ["LauraGPTWhisperEncoder"]
