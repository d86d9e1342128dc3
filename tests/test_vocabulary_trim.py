"""A byte-level BPE and its LM cut down to a corpus' tokens (conversion/vocabulary_trim.py)."""

from __future__ import annotations

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel

from modeling_lauragpt.conversion.vocabulary_trim import kept_token_ids, select_token_rows, trim_bpe_tokenizer
from modeling_lauragpt.errors import InvalidInputError
from modeling_lauragpt.processing.tokenizer_utils import train_text_tokenizer

from .helpers import SENTENCES, byte_level_tokenizer

EOS = "<|endoftext|>"
CORPUS = SENTENCES[:4]
UNSEEN = ["Grüße aus Köln, 日本 and zebras quietly", "press STAR twice"]


def _byte_level_bpe():
    return byte_level_tokenizer([*SENTENCES, *UNSEEN])


def _tokens(tokenizer, text):
    return tokenizer.convert_ids_to_tokens(tokenizer(text, add_special_tokens=False)["input_ids"])


def test_the_trimmed_tokenizer_encodes_its_corpus_as_before_and_any_text_still_round_trips():
    original = _byte_level_bpe()
    trimmed = trim_bpe_tokenizer(original, CORPUS)
    assert 256 < len(trimmed) < len(original) - 100
    for text in CORPUS:
        assert _tokens(trimmed, text) == _tokens(original, text)
    for text in UNSEEN:  # tokens it never kept: shorter pieces, same text back
        ids = trimmed(text, add_special_tokens=False)["input_ids"]
        assert len(ids) > len(original(text, add_special_tokens=False)["input_ids"])
        assert trimmed.decode(ids) == text
    assert trimmed.eos_token == trimmed.pad_token == EOS and trimmed.convert_tokens_to_ids(EOS) is not None
    ids = kept_token_ids(trimmed, original)
    assert ids == sorted(ids) and len(set(ids)) == len(trimmed)  # old order kept, each old row at most once


@pytest.mark.parametrize("tied", [True, False])
def test_the_trimmed_lm_gives_the_corpus_the_same_logits_over_the_kept_tokens(tied):
    original = _byte_level_bpe()
    trimmed = trim_bpe_tokenizer(original, CORPUS)
    torch.manual_seed(0)
    eos = original.convert_tokens_to_ids(EOS)
    config = GPT2Config(
        vocab_size=len(original), n_embd=32, n_layer=2, n_head=4, n_positions=64, bos_token_id=eos, eos_token_id=eos
    )
    config.tie_word_embeddings = tied
    lm = GPT2LMHeadModel(config).eval()
    reference = GPT2LMHeadModel(config).eval()
    reference.load_state_dict(lm.state_dict())
    rows = kept_token_ids(trimmed, original)
    select_token_rows(lm, rows)
    assert lm.config.vocab_size == len(trimmed) == lm.get_input_embeddings().weight.shape[0]
    assert lm.config.eos_token_id == lm.config.bos_token_id == trimmed.convert_tokens_to_ids(EOS)
    assert (lm.get_output_embeddings().weight.data_ptr() == lm.get_input_embeddings().weight.data_ptr()) == tied
    text = CORPUS[1]
    with torch.no_grad():
        before = reference(torch.tensor([original(text)["input_ids"]])).logits[..., rows]
        after = lm(torch.tensor([trimmed(text)["input_ids"]])).logits
    torch.testing.assert_close(after, before)


def test_what_cannot_be_trimmed_is_refused_by_name():
    with pytest.raises(InvalidInputError, match="byte-level BPE"):
        trim_bpe_tokenizer(train_text_tokenizer(SENTENCES, vocab_size=120), CORPUS)
    original = _byte_level_bpe()
    with pytest.raises(InvalidInputError, match="not in the original"):
        kept_token_ids(train_text_tokenizer(SENTENCES, vocab_size=120), original)
    lm = GPT2LMHeadModel(GPT2Config(vocab_size=10, n_embd=8, n_layer=1, n_head=2))
    with pytest.raises(InvalidInputError, match=r"\[0, 10\)"):
        select_token_rows(lm, [0, 10])
