"""LauraGPT: audio tower + projector + decoder-only LLM over one text/codec/task vocabulary.

Sequence layout (paper §3.1): ``[input embeddings] <|task|> [output tokens] <eos>``. Audio input is continuous:
audio-tower frames (our Conformer, or transformers' Whisper encoder), optionally average-pooled and then projected
to the LLM width, replace the ``<|audio|>`` placeholders of ``input_ids``. Audio
output is discrete: first-group codec ids of the shared vocabulary, ended by ``<|codec_end|>``.

The class layout follows transformers' own audio LLMs (fun_asr_nano, qwen2_audio): ``LauraGPTModel`` holds
``audio_tower``, ``multi_modal_projector`` and ``language_model`` (the LLM stack built with
``AutoModel.from_config(text_config)``, a Qwen2 model by default); ``LauraGPTForConditionalGeneration`` adds the
``lm_head`` and ``generate()``. Parameter names match a ``Qwen2ForCausalLM`` checkpoint under
``model.language_model.*`` / ``lm_head.*``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import (
    AutoModel,
    GenerationMixin,
    LogitsProcessorList,
    PreTrainedModel,
)
from transformers.activations import ACT2FN
from transformers.cache_utils import Cache
from transformers.modeling_outputs import (
    BaseModelOutputWithPast,
    BaseModelOutputWithPooling,
    CausalLMOutputWithPast,
)
from transformers.utils import can_return_tuple, logging
from transformers.utils.deprecation import deprecate_kwarg

from .audio import WHISPER_HOP_LENGTH, WHISPER_WINDOW_S
from .audio_lengths import (
    length_mask,
    pooled_num_frames,
    whisper_encoder_frames,
    whisper_mel_frames,
    whisper_window_samples,
    window_seconds,
)
from .configuration_lauragpt import LauraGPTConfig
from .errors import InvalidInputError
from .generation_lauragpt import (
    TaskVocabularyLogitsProcessor,
    batch_output_ids,
    codec_output_defaults,
    fill_generation_defaults,
    restricted_logits,
    set_generation_defaults,
)
from .modeling_audio_encoder import LauraGPTAudioEncoder
from .modeling_whisper_tower import LauraGPTWhisperEncoder
from .pretrained_model import LauraGPTPreTrainedModel
from .vocabulary import IGNORE_INDEX

logger = logging.get_logger(__name__)


AUDIO_INPUT_NAMES = ("input_features", "input_features_mask", "audio_frames", "audio_frames_mask")


def build_audio_tower(config: LauraGPTConfig) -> nn.Module:
    """Our Conformer, or transformers' Whisper encoder (``LauraGPTWhisperEncoder``) for a ``WhisperConfig``."""
    if config.audio_tower_type == "whisper":
        return LauraGPTWhisperEncoder(config.audio_config)
    return LauraGPTAudioEncoder(config.audio_config)


class LauraGPTMultiModalProjector(nn.Module):
    """Maps encoder frames to the LLM width: Linear -> activation -> Linear (the paper leaves it unspecified)."""

    def __init__(self, config: LauraGPTConfig):
        super().__init__()
        self.linear_1 = nn.Linear(config.audio_config.hidden_size, config.text_config.hidden_size)
        self.act = ACT2FN[config.projector_hidden_act]
        self.linear_2 = nn.Linear(config.text_config.hidden_size, config.text_config.hidden_size)

    def forward(self, audio_frames: torch.Tensor) -> torch.Tensor:
        """
        audio_frames : torch.Tensor, shape = (batch, frames, audio_hidden)
        returns : torch.Tensor, shape = (batch, frames, text_hidden)
        """
        return self.linear_2(self.act(self.linear_1(audio_frames)))


@dataclass
class LauraGPTAudioFeaturesOutput(BaseModelOutputWithPooling):
    r"""
    last_hidden_state (`torch.Tensor` of shape `(num_clips, pooled_frames, tower_hidden)`): the audio tower's frames
        after pooling, zero past each clip's end (what `add_audio_frames` caches when the whole tower is frozen).
    pooler_output (`torch.Tensor` of shape `(num_real_frames, text_hidden)`): the projected frames of real audio,
        clip after clip: what replaces the `<|audio|>` placeholders.
    hidden_states, attentions (`tuple(torch.Tensor)`, *optional*): the tower's, when asked for (none for cached frames).
    audio_embeds (`torch.Tensor` of shape `(num_clips, pooled_frames, text_hidden)`): the projected frames, padded.
    audio_mask (`torch.LongTensor` of shape `(num_clips, pooled_frames)`): 1 on frames that come from real audio.
    """

    audio_embeds: torch.Tensor | None = None
    audio_mask: torch.LongTensor | None = None


@dataclass
class LauraGPTModelOutputWithPast(BaseModelOutputWithPast):
    r"""
    audio_hidden_states (`torch.Tensor` of shape `(num_real_audio_frames, hidden_size)`, *optional*):
        Projected audio frames that replaced the `<|audio|>` placeholders (real frames of every clip, in order).
    """

    audio_hidden_states: torch.Tensor | None = None


@dataclass
class LauraGPTCausalLMOutputWithPast(CausalLMOutputWithPast):
    r"""
    audio_hidden_states (`torch.Tensor` of shape `(num_real_audio_frames, hidden_size)`, *optional*):
        Projected audio frames that replaced the `<|audio|>` placeholders.
    """

    audio_hidden_states: torch.Tensor | None = None


class LauraGPTModel(LauraGPTPreTrainedModel):
    """The LauraGPT decoder stack without the output head: returns hidden states."""

    def __init__(self, config: LauraGPTConfig):
        super().__init__(config)
        self.audio_tower = build_audio_tower(config)
        self.multi_modal_projector = LauraGPTMultiModalProjector(config)
        self.language_model = AutoModel.from_config(config.text_config)
        # top tower layers that train under a frozen rest (``freeze_audio_tower``): cached frames are then the frozen
        # layers' output, and these layers run on them in every step (``get_frozen_audio_frames``)
        self.trainable_tower_layers = 0
        self.post_init()

    def get_input_embeddings(self) -> nn.Module:
        return self.language_model.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Module):
        self.language_model.set_input_embeddings(value)

    def get_audio_frames(
        self, input_features: torch.Tensor, input_features_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the audio tower and pool its frames: what the projector reads (and what training may cache).

        input_features : the tower's features: (num_clips, frames, input_size) LFR fbank for the Conformer,
            (num_clips, num_mel_bins, mel_frames) log-mel for Whisper
        input_features_mask : torch.Tensor, shape = (num_clips, frames or mel_frames)  1 on real frames, or None
        returns : (audio_frames, audio_frames_mask) with shapes (num_clips, pooled_frames, tower_hidden) and
            (num_clips, pooled_frames); the mask is 1 on frames that come from real audio, the frames are 0 elsewhere.
        """
        frames, mask, _ = self._encode_audio(input_features, input_features_mask)
        return frames, mask

    @property
    def cached_frames_pooling(self) -> int:
        """Cached frames (``get_frozen_audio_frames``) per ``<|audio|>`` placeholder: 1 when the whole tower is
        frozen (the cache holds pooled frames), ``audio_frame_pooling`` when its top layers train (tower states)."""
        return self.config.audio_frame_pooling if self.trainable_tower_layers else 1

    def get_frozen_audio_frames(
        self, input_features: torch.Tensor, input_features_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """What training may cache: what the tower's frozen part computes, which no step changes.

        With the whole tower frozen, ``get_audio_frames``. With its top ``trainable_tower_layers`` training (a
        Whisper tower encoding each clip alone, ``audio_window="clip"``), the states entering the first trainable
        layer, before pooling; ``get_audio_features(audio_frames=...)`` then runs the top layers and the pooling on
        them in each step. Inputs as in ``get_audio_frames``.

        returns : (frames, mask) with shapes (num_clips, frames, tower_hidden) and (num_clips, frames): pooled
            frames, or tower states at the encoder's rate (``cached_frames_pooling`` of them per placeholder)
        """
        if not self.trainable_tower_layers:
            return self.get_audio_frames(input_features, input_features_mask)
        if self.config.audio_tower_type != "whisper" or window_seconds(self.config.audio_window) != 0:
            raise InvalidInputError(
                "Cached frames under trainable top tower layers need a Whisper tower that encodes each clip alone "
                f"(audio_window='clip'); this model has a {self.config.audio_tower_type} tower with audio_window="
                f"{self.config.audio_window!r}. Freeze the whole tower (trainable_tower_layers=0), or train without "
                "cached frames."
            )
        window_mask, speech = self._whisper_window(input_features, input_features_mask)
        first_trainable = len(self.audio_tower.layers) - self.trainable_tower_layers
        states, real = self.audio_tower.states_before_layer(input_features, window_mask, first_trainable)
        real = length_mask(whisper_encoder_frames(speech), states.shape[1])
        return states.masked_fill(~real[..., None], 0.0), real.long()

    def _finish_frozen_frames(self, states: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Cached tower states (``get_frozen_audio_frames``) -> pooled frames: the trainable top layers, the final
        norm and the pooling, as the uncached path runs them."""
        real = mask.bool()
        first_trainable = len(self.audio_tower.layers) - self.trainable_tower_layers
        frames = self.audio_tower.finish_from_layer(states, real, first_trainable)
        return self._pool_frames(frames, mask)

    def _encode_audio(self, input_features, input_features_mask, **output_flags):
        """(pooled frames, their mask, the tower's output with any hidden states / attentions asked for)."""
        flags = {name: value for name, value in output_flags.items() if value is not None}
        if self.config.audio_tower_type == "whisper":
            frames, mask, encoded = self._whisper_frames(input_features, input_features_mask, **flags)
        else:
            encoded = self.audio_tower(
                input_features=input_features, input_features_mask=input_features_mask, return_dict=True, **flags
            )
            frames, mask = encoded.last_hidden_state, encoded.output_mask
        frames, mask = self._pool_frames(frames, mask)
        return frames, mask, encoded

    def _pool_frames(self, frames: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Average every ``audio_frame_pooling`` tower frames (a partial last group is dropped), zero past each end."""
        pooling = self.config.audio_frame_pooling
        if pooling > 1:
            frames = F.avg_pool1d(frames.transpose(1, 2), pooling, pooling).transpose(1, 2)
            real = length_mask(pooled_num_frames(mask.sum(dim=1), pooling), frames.shape[1])
            frames, mask = frames.masked_fill(~real[..., None], 0.0), real.long()
        return frames, mask

    def _whisper_frames(self, input_features, input_features_mask, **output_flags):
        """Whisper tower frames, their speech mask and the tower's output. Each clip is encoded in its window (its
        speech plus the silence the processor added, ``audio_window``); frames past the window are masked, so a
        batch equals its clips alone. A batch of full 30 s windows runs transformers' encoder unmasked, exactly."""
        window_mask, speech = self._whisper_window(input_features, input_features_mask)
        encoded = self.audio_tower(input_features, attention_mask=window_mask, return_dict=True, **output_flags)
        frames = encoded.last_hidden_state
        real = length_mask(whisper_encoder_frames(speech), frames.shape[1])
        return frames.masked_fill(~real[..., None], 0.0), real.long(), encoded

    def _whisper_window(self, input_features, input_features_mask) -> tuple[torch.Tensor | None, torch.Tensor]:
        """(the tower's mask of each clip's window, or None when every window fills the input; speech mel frames)."""
        batch, _, mel_frames = input_features.shape
        device = input_features.device
        speech = (
            input_features_mask.long().sum(dim=1)
            if input_features_mask is not None
            else torch.full((batch,), mel_frames, device=device)
        )
        window = whisper_mel_frames(whisper_window_samples(speech * WHISPER_HOP_LENGTH, self.config.audio_window))
        window = window.clamp(max=mel_frames)
        if (
            window_seconds(self.config.audio_window) == WHISPER_WINDOW_S
            and mel_frames != self.audio_tower.max_mel_frames
        ):
            raise InvalidInputError(
                f"This model's Whisper tower reads the fixed 30 s window ({self.audio_tower.max_mel_frames} log-mel frames; "
                f"audio_window='30s'), but input_features hold {mel_frames}. Build inputs with the model's processor, "
                "which pads every clip to 30 s for this window."
            )
        window_mask = None if bool((window == mel_frames).all()) else length_mask(window, mel_frames).long()
        return window_mask, speech

    @can_return_tuple
    def get_audio_features(
        self,
        input_features: torch.Tensor | None = None,
        input_features_mask: torch.Tensor | None = None,
        audio_frames: torch.Tensor | None = None,
        audio_frames_mask: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
    ) -> LauraGPTAudioFeaturesOutput:
        """Encode audio (or take cached tower frames) and project it to the LLM width.

        input_features, input_features_mask : the tower's features, as in ``get_audio_frames``
        audio_frames : torch.Tensor, shape = (num_clips, frames, tower_hidden)  cached ``get_frozen_audio_frames``
            output, used instead of running the tower's frozen part (with ``trainable_tower_layers``, its top layers
            and the pooling run on them); audio_frames_mask : (num_clips, frames), 1 on real frames
        output_attentions, output_hidden_states : return the tower's attention weights / per-layer states
        returns : ``LauraGPTAudioFeaturesOutput``: ``audio_embeds`` (num_clips, pooled_frames, text_hidden) and
            ``audio_mask`` (num_clips, pooled_frames), ``pooler_output`` (real frames, text_hidden), the pooled tower
            frames as ``last_hidden_state``; a tuple with ``return_dict=False``
        """
        encoded = None
        if audio_frames is None:
            audio_frames, audio_frames_mask, encoded = self._encode_audio(
                input_features,
                input_features_mask,
                output_attentions=output_attentions,
                output_hidden_states=output_hidden_states,
            )
        elif audio_frames_mask is None:
            audio_frames_mask = torch.ones(audio_frames.shape[:2], dtype=torch.long, device=audio_frames.device)
        if encoded is None and self.trainable_tower_layers:
            audio_frames, audio_frames_mask = self._finish_frozen_frames(audio_frames, audio_frames_mask)
        projector_dtype = self.multi_modal_projector.linear_1.weight.dtype
        audio_embeds = self.multi_modal_projector(audio_frames.to(projector_dtype))
        return LauraGPTAudioFeaturesOutput(
            last_hidden_state=audio_frames,
            pooler_output=audio_embeds[audio_frames_mask.bool()],
            hidden_states=getattr(encoded, "hidden_states", None),
            attentions=getattr(encoded, "attentions", None),
            audio_embeds=audio_embeds,
            audio_mask=audio_frames_mask,
        )

    def _placeholder_mask(self, input_ids: torch.LongTensor | None, inputs_embeds: torch.Tensor) -> torch.Tensor:
        """(batch, sequence) True at ``<|audio|>`` placeholders: read from ``input_ids``, or, when only
        ``inputs_embeds`` are given, from the positions holding the ``<|audio|>`` embedding."""
        if input_ids is not None:
            return input_ids == self.config.audio_token_id
        audio_row = self.get_input_embeddings()(torch.tensor(self.config.audio_token_id, device=inputs_embeds.device))
        return (inputs_embeds == audio_row.to(inputs_embeds.dtype)).all(dim=-1)

    def _scatter_audio(
        self,
        placeholders: torch.Tensor,
        inputs_embeds: torch.Tensor,
        audio_embeds: torch.Tensor,
        audio_mask: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Replace the ``<|audio|>`` placeholders of each row by the real frames of its clip, in order."""
        per_row = placeholders.sum(dim=1)
        rows_with_audio = per_row[per_row > 0].tolist()
        frames_per_clip = audio_mask.sum(dim=1).tolist()
        if rows_with_audio != frames_per_clip:
            raise InvalidInputError(
                f"The <|audio|> placeholders per row {rows_with_audio} do not match the encoder frames per clip "
                f"{frames_per_clip}. Build inputs with LauraGPTProcessor, which writes one placeholder per encoder "
                "frame using the shared length formula, and pass its input_features_mask."
            )
        real_frames = audio_embeds[audio_mask.bool()].to(inputs_embeds.dtype)
        merged = inputs_embeds.masked_scatter(placeholders[..., None].expand_as(inputs_embeds), real_frames)
        return merged, real_frames

    @can_return_tuple
    @deprecate_kwarg("past_key_values", "5.40.0", new_name="cache")
    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        input_features: torch.Tensor | None = None,
        input_features_mask: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        cache: Cache | None = None,
        inputs_embeds: torch.Tensor | None = None,
        use_cache: bool | None = None,
        audio_frames: torch.Tensor | None = None,
        audio_frames_mask: torch.Tensor | None = None,
        **kwargs,
    ) -> LauraGPTModelOutputWithPast:
        """
        input_ids : torch.LongTensor, shape = (batch, sequence)  with one <|audio|> per pooled tower frame of each clip
        input_features : torch.Tensor  one clip per row that has audio: (num_clips, frames, input_size) for the
            Conformer, (num_clips, num_mel_bins, mel_frames) for Whisper
        input_features_mask : torch.Tensor, shape = (num_clips, frames)  1 on real feature frames
        audio_frames, audio_frames_mask : cached tower frames (``get_audio_frames``), in place of input_features
        attention_mask : torch.Tensor, shape = (batch, sequence)  1 on real tokens (placeholders included)
        returns : last_hidden_state of shape (batch, sequence, text_hidden), the KV cache, and the projected audio
        """
        if (input_ids is None) == (inputs_embeds is None):
            raise InvalidInputError("Pass exactly one of input_ids or inputs_embeds.")
        if inputs_embeds is None:
            inputs_embeds = self.get_input_embeddings()(input_ids)

        audio_hidden_states = None
        if input_features is not None and audio_frames is not None:
            raise InvalidInputError("Pass either input_features or cached audio_frames, not both.")
        if input_features is not None or audio_frames is not None:
            audio = self.get_audio_features(input_features, input_features_mask, audio_frames, audio_frames_mask)
            placeholders = self._placeholder_mask(input_ids, inputs_embeds)
            inputs_embeds, audio_hidden_states = self._scatter_audio(
                placeholders, inputs_embeds, audio.audio_embeds, audio.audio_mask
            )
        elif input_ids is not None and input_ids.shape[1] > 1 and (input_ids == self.config.audio_token_id).any():
            raise InvalidInputError("input_ids hold <|audio|> placeholders but no input_features were given.")

        outputs = self.language_model(
            inputs_embeds=inputs_embeds,
            attention_mask=attention_mask,
            position_ids=position_ids,
            cache=cache,
            use_cache=use_cache,
            **kwargs,
        )
        return LauraGPTModelOutputWithPast(
            last_hidden_state=outputs.last_hidden_state,
            cache=outputs.cache,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
            audio_hidden_states=audio_hidden_states,
        )


class LauraGPTForConditionalGeneration(LauraGPTPreTrainedModel, GenerationMixin):
    """LauraGPT with its output head over the (text + codec + special) vocabulary, trainable and generative."""

    _tied_weights_keys = {"lm_head.weight": "model.language_model.embed_tokens.weight"}
    _tp_plan = {"lm_head": "colwise_gather_output"}
    _can_compile_fullgraph = True  # a decoding step (no audio) compiles whole; tests/test_generation_conformance.py
    output_modalities = ("audio", "text")

    def __init__(self, config: LauraGPTConfig):
        super().__init__(config)
        self.model = LauraGPTModel(config)
        self.lm_head = nn.Linear(config.text_config.hidden_size, config.text_config.vocab_size, bias=False)
        self._tied_weights_keys = {"lm_head.weight": self._input_embedding_name()}
        self.post_init()
        self.generation_config.eos_token_id = [config.text_eos_token_id, config.codec_end_token_id]
        self.generation_config.pad_token_id = config.pad_token_id
        set_generation_defaults(self.generation_config)

    def get_input_embeddings(self) -> nn.Module:
        return self.model.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Module):
        self.model.set_input_embeddings(value)

    def get_output_embeddings(self) -> nn.Module:
        return self.lm_head

    def set_output_embeddings(self, value: nn.Module):
        self.lm_head = value

    def get_audio_features(
        self, input_features=None, input_features_mask=None, audio_frames=None, audio_frames_mask=None, **kwargs
    ):
        return self.model.get_audio_features(
            input_features, input_features_mask, audio_frames, audio_frames_mask, **kwargs
        )

    def get_audio_frames(self, input_features, input_features_mask=None):
        return self.model.get_audio_frames(input_features, input_features_mask)

    def get_frozen_audio_frames(self, input_features, input_features_mask=None):
        return self.model.get_frozen_audio_frames(input_features, input_features_mask)

    @property
    def cached_frames_pooling(self) -> int:
        return self.model.cached_frames_pooling

    def load_audio_tower(self, audio_encoder: PreTrainedModel) -> LauraGPTForConditionalGeneration:
        """Use a pretrained audio encoder (a ``WhisperEncoder`` or ``LauraGPTAudioEncoder`` shaped like
        ``config.audio_config``) as the audio tower, in place. Returns ``self``."""
        try:
            self.model.audio_tower.load_state_dict(audio_encoder.state_dict())
        except RuntimeError as error:
            raise InvalidInputError(
                f"The audio encoder's shape differs from config.audio_config: {error}. Build the config with "
                "audio_config=<that encoder's config>."
            ) from None
        return self

    def freeze_audio_tower(self, trainable_top_layers: int = 0) -> LauraGPTForConditionalGeneration:
        """Stop gradients into the audio tower, except its top ``trainable_top_layers`` layers (and, when any are
        trainable, its final norm). The projector and the LLM stay trainable. Returns ``self``."""
        tower = self.model.audio_tower
        layers = tower.layers
        if not 0 <= trainable_top_layers <= len(layers):
            raise InvalidInputError(
                f"trainable_top_layers must be between 0 and the tower's {len(layers)} layers, got {trainable_top_layers}."
            )
        tower.requires_grad_(False)
        for layer in layers[len(layers) - trainable_top_layers :]:
            layer.requires_grad_(True)
        if trainable_top_layers:
            final_norm = getattr(tower, "layer_norm", None) or getattr(tower, "after_norm", None)
            final_norm.requires_grad_(True)
        self.model.trainable_tower_layers = trainable_top_layers
        return self

    @can_return_tuple
    @deprecate_kwarg("past_key_values", "5.40.0", new_name="cache")
    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        input_features: torch.Tensor | None = None,
        input_features_mask: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        cache: Cache | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        logits_to_keep: int | torch.Tensor = 0,
        audio_frames: torch.Tensor | None = None,
        audio_frames_mask: torch.Tensor | None = None,
        logits_id_range: range | None = None,
        **kwargs,
    ) -> LauraGPTCausalLMOutputWithPast:
        """
        input_ids, input_features, input_features_mask, attention_mask, audio_frames, audio_frames_mask : as in
            ``LauraGPTModel.forward``
        labels : torch.LongTensor, shape = (batch, sequence)  target ids at output positions, -100 elsewhere
            (inputs, task token, padding); not shifted: the loss shifts them
        logits_to_keep : int (the last N positions; 0: all), torch.LongTensor, shape = (kept,)  positions whose
            logits are computed in every row, or torch.BoolTensor, shape = (batch, sequence)  the (row, position)
            pairs whose logits are computed, returned as one row of shape (1, kept, vocab); with labels, the loss is
            over the targets of exactly those positions (``LauraGPTCollator(output_logits_only=True)`` gives the
            mask of the positions that predict an output token, which skips the output matrix everywhere else)
        logits_id_range : range, optional  the only ids a decoding step may write (``batch_output_ids``; ``generate``
            passes it when every row shares one output vocabulary): their logits are computed, the rest are -inf
        returns : logits of shape (batch, sequence or kept positions, vocab) (with a mask: (1, kept, vocab)), the
            mean cross-entropy over output tokens when labels are given, and the KV cache
        """
        outputs = self.model(
            input_ids=input_ids,
            input_features=input_features,
            input_features_mask=input_features_mask,
            attention_mask=attention_mask,
            position_ids=position_ids,
            cache=cache,
            inputs_embeds=inputs_embeds,
            use_cache=use_cache,
            audio_frames=audio_frames,
            audio_frames_mask=audio_frames_mask,
            **kwargs,
        )
        hidden_states = outputs.last_hidden_state
        per_row = isinstance(logits_to_keep, torch.Tensor) and logits_to_keep.dtype == torch.bool
        if per_row:  # (row, position) pairs: one row of kept positions
            kept = hidden_states[logits_to_keep.to(hidden_states.device)].unsqueeze(0)
        else:
            kept = hidden_states[:, slice(-logits_to_keep, None) if isinstance(logits_to_keep, int) else logits_to_keep]
        logits = restricted_logits(self.lm_head, kept, logits_id_range)

        loss = None
        if labels is not None:
            targets = {"labels": labels}
            if isinstance(logits_to_keep, torch.Tensor):
                # logits at some positions only (LauraGPTCollator(output_logits_only=True)): position t predicts
                # labels[:, t + 1], so the targets are the shifted labels at the kept positions
                shifted = F.pad(labels[:, 1:], (0, 1), value=IGNORE_INDEX)
                keep = logits_to_keep.to(labels.device)
                targets = {"labels": None, "shift_labels": shifted[keep].unsqueeze(0) if per_row else shifted[:, keep]}
            loss = self.loss_function(logits=logits, vocab_size=self.config.text_config.vocab_size, **targets, **kwargs)
        return LauraGPTCausalLMOutputWithPast(
            loss=loss,
            logits=logits,
            cache=outputs.cache,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
            audio_hidden_states=outputs.audio_hidden_states,
        )

    def _input_embedding_name(self) -> str:
        """The LLM's token-embedding parameter, which a tied head shares: ``embed_tokens`` in Qwen2 and most
        decoders, ``wte`` in GPT-2."""
        embedding = self.model.language_model.get_input_embeddings().weight
        name = next(n for n, p in self.model.language_model.named_parameters() if p is embedding)
        return f"model.language_model.{name}"

    def load_text_model(self, text_model: PreTrainedModel) -> LauraGPTForConditionalGeneration:
        """Use a pretrained causal LM (e.g. a ``Qwen2ForCausalLM`` of the same shape) as the LLM, in place.

        The first ``text_vocab_size`` rows of its embedding and output matrices keep their trained values; the rows
        LauraGPT adds (codec ids, codec end, audio, tasks) are drawn from the mean and covariance of the trained
        rows (transformers' ``mean_resizing``), so new tokens start as typical tokens instead of outliers.
        ``text_model`` is resized in place. Returns ``self``.
        """
        rows = text_model.get_input_embeddings().weight.shape[0]
        if rows < self.config.text_vocab_size:
            raise InvalidInputError(
                f"The text model has {rows} embedding rows but text_vocab_size is {self.config.text_vocab_size}: "
                "build the config from the tokenizer that belongs to this text model."
            )
        text_model.resize_token_embeddings(self.config.text_vocab_size, mean_resizing=False)
        text_model.resize_token_embeddings(self.config.text_config.vocab_size, mean_resizing=True)
        try:
            self.model.language_model.load_state_dict(text_model.get_decoder().state_dict())
            self.lm_head.load_state_dict(text_model.get_output_embeddings().state_dict())
        except RuntimeError as error:
            raise InvalidInputError(f"The text model's shape differs from config.text_config: {error}") from None
        return self

    @classmethod
    def from_pretrained_components(
        cls,
        text_model,
        audio_encoder,
        codec,
        vocoder=None,
        tokenizer=None,
        feature_extractor=None,
        tasks=None,
        save_directory=None,
        **kwargs,
    ) -> LauraGPTForConditionalGeneration:
        """Assemble a LauraGPT from a pretrained causal LM (folder or Hub id, Qwen2 architecture), an audio encoder
        folder, a codec folder and an optional vocoder; see ``modeling_lauragpt.conversion.assembly.assemble``,
        which also returns the extended processor. With ``save_directory``, writes model + processor (+
        ``vocoder/`` or ``codec/``) there. Returns the model."""
        from .conversion.assembly import assemble

        parts = assemble(
            text_model,
            audio_encoder,
            codec,
            vocoder=vocoder,
            tokenizer=tokenizer,
            feature_extractor=feature_extractor,
            tasks=tasks,
            **kwargs,
        )
        if save_directory is not None:
            parts.save_pretrained(save_directory)
        return parts.model

    def generate(self, *args, restrict_to_task_vocabulary: bool = True, logits_processor=None, **kwargs):
        """``GenerationMixin.generate`` with each row kept inside its task's output vocabulary.

        Pass left-padded ``input_ids``/``attention_mask`` (and ``input_features``/``input_features_mask`` for audio
        input) from ``LauraGPTProcessor``. Text tasks stop at the tokenizer's EOS, codec tasks at
        ``<|codec_end|>``. ``restrict_to_task_vocabulary=False`` turns the output-vocabulary rule off.
        Returns the prompt followed by the generated ids, like any decoder-only model.

        Defaults come from ``self.generation_config``: greedy decoding of at most 200 tokens for text outputs; a
        batch whose rows all write codec tokens (TTS, SE) takes ``generation_config.codec_output_defaults``
        instead (top-k 25 sampling, at most 750 tokens = 30 s). Arguments given here win over both.
        """
        processors = LogitsProcessorList(logits_processor or [])
        input_ids = args[0] if args else kwargs.get("input_ids", kwargs.get("inputs"))
        vocabulary = self.config.vocabulary
        shared_ids = batch_output_ids(input_ids, vocabulary)  # None unless every row shares one output vocabulary
        if restrict_to_task_vocabulary:
            if shared_ids is not None:  # compute only the batch's rows of lm_head
                kwargs.setdefault("logits_id_range", shared_ids)
            if shared_ids is None or kwargs["logits_id_range"] != shared_ids:  # else the logits are already masked
                processors.insert(0, TaskVocabularyLogitsProcessor(vocabulary))
        fill_generation_defaults(self.generation_config)
        writes_codec = shared_ids is not None and shared_ids.start == vocabulary.codec_token_offset  # all TTS/SE rows
        if kwargs.get("generation_config") is None and writes_codec:
            for name, value in codec_output_defaults(self.generation_config).items():
                kwargs.setdefault(name, value)
        self._fit_positions(input_ids, kwargs)
        return super().generate(*args, logits_processor=processors, **kwargs)

    def prepare_inputs_for_generation(
        self,
        input_ids,
        next_sequence_length=None,
        cache=None,
        attention_mask=None,
        inputs_embeds=None,
        is_first_iteration: bool | None = False,
        **kwargs,
    ):
        """transformers' preparation, with the audio inputs passed exactly when the ids this step feeds hold
        ``<|audio|>`` placeholders (or on the first step from ``inputs_embeds``). transformers drops audio inputs
        outside the prefill, and on every step of an assistant model, so assisted decoding with an audio prompt
        would feed placeholders without their features."""
        audio = {name: kwargs.pop(name) for name in AUDIO_INPUT_NAMES if kwargs.get(name) is not None}
        model_inputs = super().prepare_inputs_for_generation(
            input_ids,
            next_sequence_length=next_sequence_length,
            cache=cache,
            attention_mask=attention_mask,
            inputs_embeds=inputs_embeds,
            is_first_iteration=is_first_iteration,
            **kwargs,
        )
        fed = model_inputs.get("input_ids")
        if audio and (bool((fed == self.config.audio_token_id).any()) if fed is not None else is_first_iteration):
            model_inputs.update(audio)
        return model_inputs

    def _fit_positions(self, input_ids, kwargs: dict) -> None:
        """Refuse a prompt the LLM has no positions for (its output would be garbage), and lower ``max_new_tokens``
        (with a warning) when prompt + new tokens would run past ``max_position_embeddings``."""
        prompt = kwargs["inputs_embeds"] if input_ids is None and "inputs_embeds" in kwargs else input_ids
        if prompt is None:
            return
        length, limit = prompt.shape[1], self.config.text_config.max_position_embeddings
        if length >= limit:
            raise InvalidInputError(
                f"The prompt holds {length} positions but this model's LLM has {limit} (max_position_embeddings): "
                "shorten the input, e.g. split long audio with chunk_length_s=30, or shorten the text."
            )
        config = kwargs.get("generation_config") or self.generation_config
        requested = kwargs.get("max_new_tokens", config.max_new_tokens)
        if requested is not None and length + requested > limit:
            logger.warning_once(
                f"max_new_tokens={requested} after a {length}-position prompt runs past the LLM's {limit} positions: "
                f"generating at most {limit - length} tokens."
            )
            kwargs["max_new_tokens"] = limit - length


__all__ = [
    "LauraGPTAudioFeaturesOutput",
    "LauraGPTForConditionalGeneration",
    "LauraGPTModel",
    "LauraGPTMultiModalProjector",
]
