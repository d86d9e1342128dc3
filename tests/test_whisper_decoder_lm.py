"""Whisper's text decoder as a GPT-2 (conversion/whisper_decoder_lm.py), and a LauraGPT whose LLM it starts."""

from __future__ import annotations

import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    AutoTokenizer,
    GPT2LMHeadModel,
    PreTrainedTokenizerFast,
    WhisperConfig,
    WhisperFeatureExtractor,
    WhisperForConditionalGeneration,
)

from modeling_lauragpt import LauraGPTConfig, LauraGPTForConditionalGeneration
from modeling_lauragpt.conversion.whisper_decoder_lm import (
    END_OF_TEXT,
    save_whisper_decoder_lm,
    whisper_decoder_as_gpt2,
    whisper_text_tokenizer,
)
from modeling_lauragpt.errors import InvalidInputError, OutputConflictError

VOCAB = 120


@pytest.fixture(scope="module")
def whisper() -> WhisperForConditionalGeneration:
    torch.manual_seed(0)
    config = WhisperConfig(
        vocab_size=VOCAB,
        d_model=32,
        decoder_layers=2,
        decoder_attention_heads=4,
        decoder_ffn_dim=64,
        encoder_layers=1,
        encoder_attention_heads=4,
        encoder_ffn_dim=64,
        max_target_positions=40,
        max_source_positions=1500,  # a 30 s window, as the feature extractor pads to
        num_mel_bins=8,
        pad_token_id=1,
        bos_token_id=1,
        eos_token_id=1,
        decoder_start_token_id=2,
    )
    model = WhisperForConditionalGeneration(config).eval()
    with torch.no_grad():
        for parameter in model.parameters():  # far from the init, so a misplaced weight shows
            parameter.normal_(std=0.3)
    return model


def _whisper_logits(whisper, ids, encoder_states=None):
    with torch.no_grad():
        hidden = whisper.model.decoder(input_ids=ids, encoder_hidden_states=encoder_states).last_hidden_state
        return whisper.proj_out(hidden)


def test_the_gpt2_is_the_decoder_without_cross_attention(whisper):
    lm = whisper_decoder_as_gpt2(whisper)
    ids = torch.randint(0, VOCAB, (2, 9))
    with torch.no_grad():
        logits = lm(ids).logits
    torch.testing.assert_close(logits, _whisper_logits(whisper, ids), atol=1e-5, rtol=1e-5)
    assert lm.lm_head.weight.data_ptr() == lm.transformer.wte.weight.data_ptr()


def test_folded_cross_attention_is_the_decoder_reading_uniform_frames(whisper):
    # Identical encoder frames make every cross-attention uniform: its output is then exactly the folded constant.
    frame = torch.randn(1, 1, 32)
    states = frame.expand(1, 5, 32)
    lm = whisper_decoder_as_gpt2(whisper, encoder_states=states[0])
    ids = torch.randint(0, VOCAB, (1, 7))
    with torch.no_grad():
        logits = lm(ids).logits
    torch.testing.assert_close(logits, _whisper_logits(whisper, ids, states), atol=1e-4, rtol=1e-4)
    assert not torch.allclose(logits, _whisper_logits(whisper, ids), atol=1e-3)


def test_a_decoder_gpt2_cannot_express_is_refused(whisper):
    config = WhisperConfig(**{**whisper.config.to_dict(), "activation_function": "swish"})
    with pytest.raises(InvalidInputError, match="swish"):
        whisper_decoder_as_gpt2(WhisperForConditionalGeneration(config))


def _whisper_like_tokenizer() -> PreTrainedTokenizerFast:
    """A byte-level BPE holding <|endoftext|> in its vocabulary, with Whisper's control tokens added after it."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer, tokenizer.decoder = pre_tokenizers.ByteLevel(add_prefix_space=False), decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300, special_tokens=[END_OF_TEXT], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tokenizer.train_from_iterator(["the window opens", "press star for the menu"] * 5, trainer=trainer)
    text_ids = tokenizer.get_vocab_size(with_added_tokens=False)
    tokenizer.add_special_tokens(["<|startoftranscript|>", "<|mt|>", "<|notimestamps|>"])
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token=END_OF_TEXT), text_ids


def test_text_tokenizer_drops_whisper_control_tokens():
    whisper_tokenizer, text_ids = _whisper_like_tokenizer()
    assert whisper_tokenizer.convert_tokens_to_ids("<|mt|>") == text_ids + 1
    tokenizer = whisper_text_tokenizer(whisper_tokenizer)
    assert len(tokenizer) == text_ids and tokenizer.eos_token_id == tokenizer.pad_token_id == 0
    assert "<|mt|>" not in tokenizer.get_vocab()
    assert tokenizer.decode(tokenizer("press <|mt|> star")["input_ids"]) == "press <|mt|> star"
    with pytest.raises(InvalidInputError, match="endoftext"):
        whisper_text_tokenizer(PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.BPE())))


def test_a_lauragpt_with_a_gpt2_llm_ties_trains_generates_and_round_trips(whisper, tmp_path):
    config = LauraGPTConfig.from_preset(
        "tiny",
        text_vocab_size=VOCAB,
        text_eos_token_id=1,
        pad_token_id=1,
        tie_word_embeddings=True,
        text_config={
            "model_type": "gpt2",
            "n_embd": 32,
            "n_layer": 2,
            "n_head": 4,
            "n_inner": 64,
            "n_positions": 40,
            "activation_function": "gelu",
        },
    )
    assert type(config.text_config).__name__ == "GPT2Config" and config.text_config.hidden_size == 32
    model = LauraGPTForConditionalGeneration(config).eval()
    model.load_text_model(whisper_decoder_as_gpt2(whisper))
    embedding = model.model.language_model.get_input_embeddings().weight
    assert model.lm_head.weight.data_ptr() == embedding.data_ptr()
    torch.testing.assert_close(embedding[:VOCAB], whisper.model.decoder.embed_tokens.weight)
    ids = torch.randint(0, VOCAB, (2, 8))
    assert torch.isfinite(model(input_ids=ids, labels=ids).loss)
    mask = torch.ones_like(ids)
    mask[1, :3] = 0  # left padding: the positions follow the mask
    generated = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=4, do_sample=False)
    assert generated.shape[0] == 2
    model.save_pretrained(tmp_path)
    reloaded = LauraGPTForConditionalGeneration.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        torch.testing.assert_close(reloaded(input_ids=ids).logits, model(input_ids=ids).logits)
    with pytest.raises(InvalidInputError, match="positions"):
        model.generate(input_ids=torch.zeros(1, 45, dtype=torch.long), max_new_tokens=2)


def test_the_recipe_folder_holds_the_folded_decoder_and_the_text_tokenizer(whisper, tmp_path):
    whisper_tokenizer, text_ids = _whisper_like_tokenizer()
    whisper.save_pretrained(tmp_path / "whisper")
    WhisperFeatureExtractor(feature_size=whisper.config.num_mel_bins).save_pretrained(tmp_path / "whisper")
    whisper_tokenizer.save_pretrained(tmp_path / "whisper")
    out = save_whisper_decoder_lm(tmp_path / "whisper", tmp_path / "lm")
    lm, tokenizer = GPT2LMHeadModel.from_pretrained(out).eval(), AutoTokenizer.from_pretrained(out)
    assert len(tokenizer) == text_ids and "<|mt|>" not in tokenizer.get_vocab()
    ids = torch.randint(0, VOCAB, (1, 6))
    with torch.no_grad():
        folded, plain = lm(ids).logits, whisper_decoder_as_gpt2(whisper)(ids).logits
    assert not torch.allclose(folded, plain, atol=1e-3)  # the check clip's mean cross-attention is in the biases
    kept = out / "notes.txt"
    kept.write_text("mine")
    with pytest.raises(OutputConflictError, match="overwrite"):
        save_whisper_decoder_lm(tmp_path / "whisper", out)
    save_whisper_decoder_lm(tmp_path / "whisper", out, overwrite=True)
    assert kept.read_text() == "mine"
