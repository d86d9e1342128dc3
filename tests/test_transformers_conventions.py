"""Regressions for what transformers' own common tests found: the deprecated ``past_key_values`` name,
``return_dict=False``, generation from ``inputs_embeds``, audio placeholders found in ``inputs_embeds``, the
tensor-parallel plan of the head and ``config.use_cache``."""

from __future__ import annotations

import pytest
import torch

from modeling_lauragpt import LauraGPTConfig

from .helpers import make_audio


def _prefix(batch, drop: int = 1) -> dict:
    """The batch without its last ``drop`` tokens (features kept)."""
    return {k: v[:, :-drop] if k in ("input_ids", "attention_mask") else v for k, v in batch.items()}


def test_past_key_values_is_read_as_the_cache(tiny_model, processor):
    batch = processor(task="asr", audio=make_audio(0.5, 1), sampling_rate=16000)
    with torch.no_grad():
        full = tiny_model(**batch).logits[0, -1]
        cache = tiny_model(**_prefix(batch), use_cache=True).cache
        with pytest.warns(FutureWarning, match="past_key_values"):
            step = tiny_model(
                input_ids=batch["input_ids"][:, -1:], attention_mask=batch["attention_mask"], past_key_values=cache
            )
    torch.testing.assert_close(step.logits[0, -1], full, atol=1e-5, rtol=1e-5)


def test_return_dict_false_gives_tuples_in_both_classes(tiny_model, processor):
    batch = processor(task="asr", audio=make_audio(0.5, 2), target_text="hello world", sampling_rate=16000)
    with torch.no_grad():
        as_dict = tiny_model(**batch)
        loss, logits = tiny_model(**batch, return_dict=False)[:2]
        hidden = tiny_model.model(**{k: v for k, v in batch.items() if k != "labels"}, return_dict=False)[0]
    assert torch.equal(loss, as_dict.loss) and torch.equal(logits, as_dict.logits)
    assert hidden.shape == (*batch["input_ids"].shape, tiny_model.config.text_config.hidden_size)


def test_inputs_embeds_with_audio_features_equal_the_input_ids_path(tiny_model, processor):
    batch = processor(
        task=["asr", "mt"],
        audio=[make_audio(0.6, 3), None],
        text=[None, "hello world"],
        language=[None, "de"],
        sampling_rate=16000,
    )
    with torch.no_grad():
        expected = tiny_model(**batch).logits
        embeds = tiny_model.get_input_embeddings()(batch["input_ids"])
        from_embeds = tiny_model(
            inputs_embeds=embeds,
            attention_mask=batch["attention_mask"],
            input_features=batch["input_features"],
            input_features_mask=batch["input_features_mask"],
        ).logits
    torch.testing.assert_close(from_embeds, expected)


def test_generate_from_inputs_embeds_alone(tiny_model, processor):
    batch = processor(task="mt", text="hello world", language="de")
    embeds = tiny_model.get_input_embeddings()(batch["input_ids"])
    with torch.no_grad():
        generated = tiny_model.generate(
            inputs_embeds=embeds,
            attention_mask=batch["attention_mask"],
            max_new_tokens=4,
            min_new_tokens=4,
            do_sample=False,
        )
        with_ids = tiny_model.generate(
            **batch, max_new_tokens=4, min_new_tokens=4, do_sample=False, restrict_to_task_vocabulary=False
        )
    assert generated.shape == (1, 4) and torch.equal(generated, with_ids[:, batch["input_ids"].shape[1] :])


def test_tied_head_has_a_tensor_parallel_plan_and_the_config_a_use_cache():
    from modeling_lauragpt import LauraGPTForConditionalGeneration

    assert LauraGPTForConditionalGeneration._tp_plan == {"lm_head": "colwise_gather_output"}
    assert LauraGPTConfig.from_preset("tiny").use_cache is True


@pytest.mark.parametrize("tower", ["conformer", "whisper"])
def test_get_audio_features_is_a_model_output_with_the_towers_states(tiny_model, processor, tower):
    from .whisper_fixtures import whisper_model, whisper_processor

    if tower == "whisper":
        processor = whisper_processor(processor, audio_window="1s")
        tiny_model = whisper_model(processor)
    tiny_model.config._attn_implementation = "eager"  # attention weights are only returned by eager attention
    tiny_model.model.audio_tower.config._attn_implementation = "eager"
    batch = processor(task=["asr", "asr"], audio=[make_audio(0.5, 4), make_audio(0.9, 5)], sampling_rate=16000)
    with torch.no_grad():
        out = tiny_model.get_audio_features(
            batch["input_features"], batch["input_features_mask"], output_hidden_states=True, output_attentions=True
        )
        as_tuple = tiny_model.get_audio_features(
            batch["input_features"], batch["input_features_mask"], return_dict=False
        )
    layers = len(tiny_model.model.audio_tower.layers)
    assert len(out.hidden_states) == layers + 1 and len(out.attentions) == layers
    assert out.pooler_output.shape == (int(out.audio_mask.sum()), tiny_model.config.text_config.hidden_size)
    assert torch.equal(out.pooler_output, out.audio_embeds[out.audio_mask.bool()])
    assert isinstance(as_tuple, tuple) and torch.equal(as_tuple[0], out.last_hidden_state)
