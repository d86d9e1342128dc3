"""The base class of every LauraGPT model: shared class attributes, weight initialisation, folder checks."""

from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.models.whisper.modeling_whisper import WhisperEncoder, sinusoids

from .configuration_lauragpt import LauraGPTConfig
from .model_folder import check_model_folder


class LauraGPTPreTrainedModel(PreTrainedModel):
    config: LauraGPTConfig
    base_model_prefix = "model"
    main_input_name = "input_ids"
    input_modalities = ("audio", "text")
    supports_gradient_checkpointing = True
    _no_split_modules = ["LauraGPTConformerLayer", "WhisperEncoderLayer", "Qwen2DecoderLayer"]
    _supports_sdpa = True
    _supports_attention_backend = True

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *model_args, **kwargs):
        """``PreTrainedModel.from_pretrained``, after ``check_model_folder``: a missing, incomplete or corrupt local
        folder (or a vocoder folder passed as the model) raises ``ModelLoadError`` naming the file and the fix."""
        check_model_folder(pretrained_model_name_or_path, cls.config_class.model_type, kwargs.get("subfolder") or "")
        return super().from_pretrained(pretrained_model_name_or_path, *model_args, **kwargs)

    def _init_weights(self, module):
        """transformers' defaults (normal Linear/Conv weights, zero biases, unit norms), plus:

        - position tables (non-persistent ``pe`` buffers, zeros after meta-device loading) rebuilt from
          ``module.compute_table()``;
        - the relative-attention biases ``pos_bias_u/v``, Xavier-uniform as in ESPnet;
        - a Whisper tower's positional table (sinusoids, as ``WhisperPreTrainedModel`` sets it).

        Only ``transformers.initialization`` functions are used, so tensors loaded from a checkpoint are kept.
        """
        super()._init_weights(module)
        if callable(getattr(module, "compute_table", None)) and getattr(module, "pe", None) is not None:
            init.copy_(module.pe, module.compute_table())
        if isinstance(module, WhisperEncoder):
            init.copy_(module.embed_positions.weight, sinusoids(*module.embed_positions.weight.shape))
        for name in ("pos_bias_u", "pos_bias_v"):
            if getattr(module, name, None) is not None:
                init.xavier_uniform_(getattr(module, name))


__all__ = ["LauraGPTPreTrainedModel"]
