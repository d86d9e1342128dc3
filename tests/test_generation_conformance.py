"""generate() as transformers' generation suite would exercise it (that suite is not in the transformers sdist, see
tests/upstream_suites.py): every decoding path gives the greedy result on an audio prompt, and the defaults live
in the model's generation_config."""

from __future__ import annotations

import pytest
import torch
from transformers import CompileConfig, GenerationConfig

from modeling_lauragpt import LauraGPTForConditionalGeneration
from modeling_lauragpt.generation_lauragpt import (
    CODEC_OUTPUT_DEFAULTS,
    TEXT_OUTPUT_DEFAULTS,
)

from .model_tester import LauraGPTModelTester

NEW_TOKENS = 6


def _prompt(tower="conformer", batch_size=2, task="asr"):
    tester = LauraGPTModelTester(None, tower=tower, audio=task == "asr", batch_size=batch_size)
    config, inputs = tester.prepare_config_and_inputs_for_common()
    inputs["input_ids"][:, -1] = config.task_token_ids[task]
    torch.manual_seed(0)
    return LauraGPTForConditionalGeneration(config).eval(), inputs


@pytest.fixture(scope="module", params=["conformer", "whisper"])
def audio_prompt(request):
    model, inputs = _prompt(request.param)
    return model, inputs, model.generate(**inputs, max_new_tokens=NEW_TOKENS)


@pytest.mark.parametrize(
    "options",
    [
        {"use_cache": False},
        {"cache_implementation": "static"},
        {"num_beams": 1, "do_sample": False, "top_k": 1},
    ],
    ids=["no-cache", "static-cache", "explicit-greedy"],
)
def test_decoding_paths_match_greedy_on_an_audio_prompt(audio_prompt, options):
    model, inputs, greedy = audio_prompt
    assert torch.equal(model.generate(**inputs, max_new_tokens=NEW_TOKENS, **options), greedy)


def test_assisted_decoding_with_an_audio_prompt_matches_greedy(audio_prompt):
    """transformers never passes input_features to an assistant; prepare_inputs_for_generation passes them whenever
    the fed ids hold <|audio|> placeholders."""
    model, inputs, greedy = audio_prompt
    row = {key: value[:1] for key, value in inputs.items()}  # assisted decoding takes one row
    alone = model.generate(**row, max_new_tokens=NEW_TOKENS)
    assert torch.equal(alone, greedy[:1])
    assert torch.equal(model.generate(**row, max_new_tokens=NEW_TOKENS, assistant_model=model), alone)


def test_generation_from_inputs_embeds_alone_returns_only_new_tokens():
    model, inputs = _prompt(task="mt")
    embeds = model.get_input_embeddings()(inputs["input_ids"])
    from_ids = model.generate(**inputs, max_new_tokens=NEW_TOKENS)
    from_embeds = model.generate(
        inputs_embeds=embeds,
        attention_mask=inputs["attention_mask"],
        max_new_tokens=NEW_TOKENS,
        restrict_to_task_vocabulary=False,
    )
    unrestricted = model.generate(**inputs, max_new_tokens=NEW_TOKENS, restrict_to_task_vocabulary=False)
    assert from_embeds.shape == (2, NEW_TOKENS) and from_ids.shape[1] == inputs["input_ids"].shape[1] + NEW_TOKENS
    assert torch.equal(from_embeds, unrestricted[:, inputs["input_ids"].shape[1] :])


def test_compiled_static_cache_decoding_matches_eager(audio_prompt):
    model, inputs, greedy = audio_prompt
    assert model._can_compile_fullgraph
    compile_config = CompileConfig(fullgraph=True)
    compile_config._compile_all_devices = True  # transformers compiles only on accelerators unless told
    out = model.generate(
        **inputs, max_new_tokens=NEW_TOKENS, cache_implementation="static", compile_config=compile_config
    )
    assert torch.equal(out, greedy)


def test_a_plain_generate_gets_the_task_defaults_from_generation_config():
    model, _ = _prompt()
    config = model.generation_config
    assert {name: getattr(config, name) for name in TEXT_OUTPUT_DEFAULTS} == TEXT_OUTPUT_DEFAULTS
    assert config.codec_output_defaults == CODEC_OUTPUT_DEFAULTS
    model, inputs = _prompt(task="tts")
    seeds = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        seeds.append(model.generate(**inputs, max_new_tokens=NEW_TOKENS))
    assert not torch.equal(*seeds)  # TTS samples (top-k 25) by default
    greedy = [model.generate(**inputs, max_new_tokens=NEW_TOKENS, do_sample=False) for _ in range(2)]
    assert torch.equal(*greedy)  # an argument given to generate wins


def test_a_generation_config_saved_before_the_defaults_gets_them(tmp_path):
    model, inputs = _prompt(task="mt")
    model.save_pretrained(tmp_path)
    GenerationConfig(eos_token_id=model.generation_config.eos_token_id, pad_token_id=0).save_pretrained(tmp_path)
    old = LauraGPTForConditionalGeneration.from_pretrained(tmp_path).eval()
    assert old.generation_config.max_new_tokens is None
    out = old.generate(**inputs, restrict_to_task_vocabulary=False, eos_token_id=None)
    assert old.generation_config.max_new_tokens == TEXT_OUTPUT_DEFAULTS["max_new_tokens"]
    positions = old.config.text_config.max_position_embeddings  # 128 < prompt + 200: generate stops at the LLM's end
    assert out.shape[1] == positions  # not the 20 tokens of transformers' own default length


def test_inputs_embeds_with_audio_features_equal_input_ids_with_them(audio_prompt):
    """The placeholders are found in the embeddings (the <|audio|> row) when no input_ids are given."""
    model, inputs, _ = audio_prompt
    embeds = model.get_input_embeddings()(inputs["input_ids"])
    audio = {key: inputs[key] for key in ("input_features", "input_features_mask", "attention_mask")}
    with torch.no_grad():
        from_ids = model(**inputs).logits
        from_embeds = model(inputs_embeds=embeds, **audio).logits
    torch.testing.assert_close(from_embeds, from_ids)
