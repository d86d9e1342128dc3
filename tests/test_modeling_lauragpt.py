"""LauraGPTForConditionalGeneration: forward, padding, save/load, loss masking, generation, overfitting."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForSpeechSeq2Seq,
    AutoProcessor,
)

from modeling_lauragpt import (
    LauraGPTConfig,
    LauraGPTForConditionalGeneration,
    LauraGPTModel,
    LauraGPTProcessor,
)
from modeling_lauragpt.generation_lauragpt import batch_output_ids

from .helpers import make_audio


def _logits(model, batch):
    with torch.no_grad():
        return model(**batch).logits


def test_forward_shapes_and_audio_scatter(tiny_model, processor):
    clips = [make_audio(0.5, 1), make_audio(1.2, 2)]
    batch = processor(task="asr", audio=clips)
    out = tiny_model(**batch)
    vocab = tiny_model.config.text_config.vocab_size
    assert out.logits.shape == (*batch["input_ids"].shape, vocab)
    n_placeholders = int((batch["input_ids"] == tiny_model.config.audio_token_id).sum())
    assert out.audio_hidden_states.shape == (n_placeholders, tiny_model.config.text_config.hidden_size)


def test_left_padded_batch_matches_each_row_alone(tiny_model, processor):
    clips = [make_audio(0.4, 3), make_audio(1.5, 4), make_audio(0.9, 5)]
    batch = processor(task="asr", audio=clips)
    batched = _logits(tiny_model, batch)[:, -1]
    for i, clip in enumerate(clips):
        alone = _logits(tiny_model, processor(task="asr", audio=clip))[:, -1]
        torch.testing.assert_close(batched[i : i + 1], alone, atol=2e-5, rtol=1e-4)


def test_right_padded_training_batch_matches_each_row_alone(tiny_model, processor):
    clips = [make_audio(0.4, 3), make_audio(1.1, 4)]
    targets = ["hello world", "turn on the kitchen lights"]
    batch = processor(task="asr", audio=clips, target_text=targets)
    assert (batch["attention_mask"][:, 0] == 1).all(), "training batches are right-padded"
    batched = _logits(tiny_model, batch)
    for i in range(2):
        alone = processor(task="asr", audio=clips[i], target_text=targets[i])
        n = alone["input_ids"].shape[1]
        torch.testing.assert_close(batched[i, :n], _logits(tiny_model, alone)[0], atol=2e-5, rtol=1e-4)


def test_save_load_round_trip_through_auto_classes(tiny_model, processor, tmp_path):
    tiny_model.save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").exists()
    config = AutoConfig.from_pretrained(tmp_path)
    assert isinstance(config, LauraGPTConfig) and config.tasks == tiny_model.config.tasks

    loaded_processor = AutoProcessor.from_pretrained(tmp_path)
    assert isinstance(loaded_processor, LauraGPTProcessor)
    assert loaded_processor.vocabulary == processor.vocabulary
    batch = loaded_processor(task=["asr", "tts"], audio=[make_audio(0.7, 6), None], text=[None, "hello world"])
    torch.testing.assert_close(
        batch["input_ids"],
        processor(task=["asr", "tts"], audio=[make_audio(0.7, 6), None], text=[None, "hello world"])["input_ids"],
    )

    expected = _logits(tiny_model, batch)
    for auto_class in (AutoModelForCausalLM, AutoModelForSpeechSeq2Seq):
        loaded = auto_class.from_pretrained(tmp_path).eval()
        assert isinstance(loaded, LauraGPTForConditionalGeneration)
        torch.testing.assert_close(_logits(loaded, batch), expected, atol=0, rtol=0)
        assert loaded.generation_config.eos_token_id == tiny_model.generation_config.eos_token_id

    base = AutoModel.from_pretrained(tmp_path).eval()
    assert isinstance(base, LauraGPTModel)
    with torch.no_grad():
        hidden = base(**batch).last_hidden_state
    torch.testing.assert_close(tiny_model.lm_head(hidden), expected, atol=1e-6, rtol=1e-5)


def test_loss_counts_only_output_tokens(tiny_model, processor):
    batch = processor(
        task=["asr", "tts"],
        audio=[make_audio(0.6, 7), None],
        text=[None, "hello world"],
        target_text=["hello world", None],
        target_codes=[None, [3, 99, 512, 1023]],
    )
    labels = batch["labels"]
    vocab = processor.vocabulary
    # Inputs, placeholders and task tokens never carry a label; targets and their end token do.
    assert not torch.isin(labels, torch.tensor([vocab.audio_token_id, *vocab.task_token_ids.values()])).any()
    assert int((labels[1] != -100).sum()) == 4 + 1 and labels[1][labels[1] != -100][-1] == vocab.codec_end_token_id
    hello = processor.tokenizer("hello world", add_special_tokens=False)["input_ids"]
    assert labels[0][labels[0] != -100].tolist() == hello + [processor.tokenizer.eos_token_id]

    out = tiny_model(**batch)
    shift_logits, shift_labels = out.logits[:, :-1], labels[:, 1:]
    keep = shift_labels != -100
    manual = F.cross_entropy(shift_logits[keep], shift_labels[keep])
    torch.testing.assert_close(out.loss, manual)


def _greedy(model, batch, **kwargs):
    with torch.no_grad():
        out = model.generate(**batch, do_sample=False, max_new_tokens=10, **kwargs)
    return out[:, batch["input_ids"].shape[1] :]


def test_generation_with_cache_equals_without(tiny_model, processor):
    batch = processor(
        task=["asr", "tts", "mt"],
        audio=[make_audio(0.8, 8), None, None],
        text=[None, "hello world", "guten tag"],
        language=[None, None, "en"],
    )
    with_cache = _greedy(tiny_model, batch, use_cache=True, min_new_tokens=10)
    without_cache = _greedy(tiny_model, batch, use_cache=False, min_new_tokens=10)
    assert torch.equal(with_cache, without_cache)


def test_batched_generation_equals_one_by_one(tiny_model, processor):
    tasks = ["asr", "tts", "se", "mt"]
    audio = [make_audio(0.5, 9), None, make_audio(1.3, 10), None]
    text = [None, "set an alarm", None, "hello world"]
    batched = _greedy(tiny_model, processor(task=tasks, audio=audio, text=text), min_new_tokens=10)
    for i in range(len(tasks)):
        alone = _greedy(tiny_model, processor(task=tasks[i], audio=audio[i], text=text[i]), min_new_tokens=10)
        assert torch.equal(batched[i : i + 1], alone), f"row {i} ({tasks[i]})"


def test_each_task_decodes_inside_its_output_vocabulary(tiny_model, processor):
    vocab = processor.vocabulary
    batch = processor(task=["tts", "asr"], audio=[None, make_audio(0.5, 11)], text=["hello world", None])
    generated = _greedy(tiny_model, batch, min_new_tokens=10)
    codec_row, text_row = generated[0], generated[1]
    assert (vocab.is_codec_id(codec_row) | (codec_row == vocab.codec_end_token_id)).all()
    assert (text_row < vocab.text_vocab_size).all()
    # Unrestricted decoding of the same random model does leave those vocabularies.
    free = _greedy(tiny_model, batch, min_new_tokens=10, restrict_to_task_vocabulary=False)
    assert not torch.equal(free, generated)


def test_few_steps_overfit_a_text_task_and_a_codec_task(tiny_config, processor):
    torch.manual_seed(0)
    model = LauraGPTForConditionalGeneration(tiny_config)
    codes = [5, 17, 300, 1000, 2, 640]
    clip = make_audio(0.6, 12)
    batch = processor(
        task=["asr", "tts"],
        audio=[clip, None],
        text=[None, "hello world"],
        target_text=["turn on the kitchen lights", None],
        target_codes=[None, codes],
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    first = None
    for _ in range(80):
        loss = model(**batch).loss
        first = first if first is not None else loss.item()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.05 * first

    model.eval()
    prompts = processor(task=["asr", "tts"], audio=[clip, None], text=[None, "hello world"])
    generated = _greedy(model, prompts)
    text, generated_codes = processor.decode_outputs(generated, ["asr", "tts"])
    assert text == "turn on the kitchen lights"
    assert generated_codes.tolist() == codes


def test_placeholder_mismatch_gives_clear_error(tiny_model, processor):
    batch = processor(task="asr", audio=make_audio(0.5, 13))
    batch["input_ids"] = batch["input_ids"][:, 1:]
    batch["attention_mask"] = batch["attention_mask"][:, 1:]
    with pytest.raises(ValueError, match="placeholders per row"):
        tiny_model(**batch)


def test_paper_preset_has_about_two_billion_parameters():
    config = LauraGPTConfig.from_preset("paper")
    with torch.device("meta"):
        model = LauraGPTForConditionalGeneration(config)
    total = sum(p.numel() for p in model.parameters())
    text = config.text_config
    vocab, d, ff, layers = text.vocab_size, text.hidden_size, text.intermediate_size, text.num_hidden_layers
    llm_layer = 4 * d * d + 3 * d + 3 * d * ff + 2 * d  # q,k,v,o (+ qkv biases), SwiGLU, two RMSNorms
    llm = 2 * vocab * d + layers * llm_layer + d  # embedding, untied head, final norm
    assert sum(p.numel() for p in model.model.language_model.parameters()) + model.lm_head.weight.numel() == llm
    assert vocab == 151851 + 1024 + 1 + 1 + 8
    assert 1.95e9 < total < 2.1e9, total


def test_pretrained_text_model_keeps_its_rows_and_new_rows_start_near_their_mean(tiny_config):
    from transformers import Qwen2ForCausalLM

    torch.manual_seed(1)
    text_config = tiny_config.text_config.__class__(
        **{**tiny_config.text_config.to_dict(), "vocab_size": tiny_config.text_vocab_size + 7}
    )
    text_model = Qwen2ForCausalLM(text_config)
    trained = text_model.get_input_embeddings().weight[: tiny_config.text_vocab_size].detach().clone()
    trained_head = text_model.lm_head.weight[: tiny_config.text_vocab_size].detach().clone()
    model = LauraGPTForConditionalGeneration(tiny_config).load_text_model(text_model)

    embeddings = model.get_input_embeddings().weight.detach()
    assert embeddings.shape[0] == tiny_config.text_config.vocab_size
    assert torch.equal(embeddings[: tiny_config.text_vocab_size], trained)
    assert torch.equal(model.lm_head.weight[: tiny_config.text_vocab_size].detach(), trained_head)
    new_rows = embeddings[tiny_config.text_vocab_size :]
    assert (new_rows.mean(0) - trained.mean(0)).abs().max() < 0.01

    with pytest.raises(ValueError, match="embedding rows"):
        LauraGPTForConditionalGeneration(tiny_config).load_text_model(
            Qwen2ForCausalLM(text_config.__class__(**{**text_config.to_dict(), "vocab_size": 10}))
        )


def test_generation_never_runs_past_the_llms_positions(tiny_model, processor):
    limit = tiny_model.config.text_config.max_position_embeddings
    task = processor.vocabulary.task_token_ids["mt"]
    too_long = torch.full((1, limit), 5, dtype=torch.long)
    with pytest.raises(ValueError, match="max_position_embeddings"):
        tiny_model.generate(input_ids=too_long, max_new_tokens=2)
    near = torch.cat([torch.full((1, limit - 4), 5, dtype=torch.long), torch.tensor([[task]])], dim=1)
    out = tiny_model.generate(
        input_ids=near, attention_mask=torch.ones_like(near), max_new_tokens=50, min_new_tokens=50, do_sample=False
    )
    assert out.shape[1] <= limit  # max_new_tokens lowered to the positions left


def test_a_batch_with_one_output_vocabulary_computes_only_its_logits(tiny_model, processor):
    vocab = processor.vocabulary
    tts = processor(task=["tts", "tts"], text=["hello world", "set an alarm"])
    codec_ids = batch_output_ids(tts["input_ids"], vocab)
    assert codec_ids == range(vocab.codec_token_offset, vocab.codec_end_token_id + 1)
    text = processor(
        task=["asr", "mt"], audio=[make_audio(0.5, 12), None], text=[None, "guten tag"], language=[None, "en"]
    )
    assert batch_output_ids(text["input_ids"], vocab) == range(vocab.text_vocab_size)
    mixed = processor(task=["asr", "tts"], audio=[make_audio(0.5, 13), None], text=[None, "hello world"])
    assert batch_output_ids(mixed["input_ids"], vocab) is None
    assert batch_output_ids(torch.tensor([[1, 2, 3]]), vocab) is None  # no task token: nothing is restricted

    full = _logits(tiny_model, tts)
    with torch.no_grad():
        kept = tiny_model(**tts, logits_id_range=codec_ids).logits
        head = tiny_model.lm_head
        tiny_model.lm_head = torch.nn.Sequential(head)  # not a plain nn.Linear (as under PEFT): computed whole, masked
        wrapped = tiny_model(**tts, logits_id_range=codec_ids).logits
        tiny_model.lm_head = head
    inside = torch.zeros(full.shape[-1], dtype=torch.bool)
    inside[codec_ids.start : codec_ids.stop] = True
    for logits in (kept, wrapped):
        assert torch.isneginf(logits[..., ~inside]).all()
        torch.testing.assert_close(logits[..., inside], full[..., inside])
    # generate passes the range itself: the logits it returns are -inf outside the codec ids
    with torch.no_grad():
        out = tiny_model.generate(
            **tts, do_sample=False, max_new_tokens=3, output_logits=True, return_dict_in_generate=True
        )
    assert all(torch.isneginf(step[:, ~inside]).all() for step in out.logits)
