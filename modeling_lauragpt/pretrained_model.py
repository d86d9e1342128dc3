"""The base class of every LauraGPT model: shared class attributes and weight initialisation."""

from transformers import PreTrainedModel
from transformers import initialization as init

from .configuration_lauragpt import LauraGPTConfig


class LauraGPTPreTrainedModel(PreTrainedModel):
    config: LauraGPTConfig
    base_model_prefix = "model"
    main_input_name = "input_ids"
    input_modalities = ("audio", "text")
    supports_gradient_checkpointing = True
    _no_split_modules = ["LauraGPTConformerLayer", "Qwen2DecoderLayer"]
    _supports_sdpa = True
    _supports_attention_backend = True

    def _init_weights(self, module):
        """transformers' defaults, plus the position tables (non-persistent buffers, rebuilt after meta-device
        loading) and the relative-attention biases."""
        super()._init_weights(module)
        if hasattr(module, "compute_table"):
            init.copy_(module.pe, module.compute_table())
        if hasattr(module, "pos_bias_u"):
            init.xavier_uniform_(module.pos_bias_u)
            init.xavier_uniform_(module.pos_bias_v)


__all__ = ["LauraGPTPreTrainedModel"]
