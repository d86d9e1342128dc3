"""A pretrained byte-level BPE and its LM cut down to the tokens a corpus uses.

A pretrained LLM's vocabulary is sized for the web (Whisper tiny.en's: 50,257 GPT-2 tokens, a 19 M-parameter
embedding for a 7 M-parameter decoder). A small LauraGPT trained on one corpus reads and writes a few thousand of
them. ``trim_bpe_tokenizer`` keeps the 256 byte tokens, the special tokens, every token the corpus' text encodes to
and the merge ancestors of those (a merge producing a kept token needs both its halves), with the merges among
them in their original order; ``select_token_rows`` keeps the matching rows of the LM's embedding (and untied
output) matrix::

    trimmed = trim_bpe_tokenizer(tokenizer, training_texts)
    select_token_rows(lm, kept_token_ids(trimmed, tokenizer))

Every text the trimmed tokenizer was built from encodes to the same tokens as before (a merge that is dropped never
fired on that text), so the trimmed LM gives those texts exactly the original's logits over the kept tokens. Any
other text still encodes, in shorter pieces (the byte tokens are always kept), and decodes back unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import torch
from tokenizers import Tokenizer, pre_tokenizers
from transformers import PreTrainedModel, PreTrainedTokenizerFast

from ..errors import InvalidInputError


def _merge_pairs(model: dict) -> list[tuple[str, str]]:
    """tokenizer.json's merges, as pairs (older files write them as "left right" strings)."""
    return [tuple(merge.split(" ", 1)) if isinstance(merge, str) else tuple(merge) for merge in model["merges"]]


def _byte_level_bpe(spec: dict) -> dict:
    model = spec["model"]
    if model.get("type") != "BPE" or "ByteLevel" not in json.dumps(spec.get("pre_tokenizer")):
        raise InvalidInputError(
            "Only a byte-level BPE tokenizer (GPT-2, Whisper, Qwen) can be trimmed: this one is "
            f"{model.get('type')} with pre-tokenizer {spec.get('pre_tokenizer', {}).get('type')}."
        )
    return model


def trim_bpe_tokenizer(tokenizer: PreTrainedTokenizerFast, texts: Iterable[str]) -> PreTrainedTokenizerFast:
    """A copy of the byte-level BPE ``tokenizer`` holding only what ``texts`` need (see the module docstring).

    New ids follow the old ids' order; the special tokens (eos, pad) keep their roles.
    returns : a new ``PreTrainedTokenizerFast``
    raises : ``InvalidInputError`` for a tokenizer that is not a byte-level BPE
    """
    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    model = _byte_level_bpe(spec)
    vocab: dict[str, int] = model["vocab"]
    by_id = {index: token for token, index in vocab.items()}
    producer = {left + right: (left, right) for left, right in reversed(_merge_pairs(model))}  # first merge wins

    special = {token["content"] for token in spec.get("added_tokens", [])}
    keep = (set(pre_tokenizers.ByteLevel.alphabet()) | special) & vocab.keys()  # the 256 byte tokens, eos, ...
    pending = [by_id[i] for text in texts for i in tokenizer(text, add_special_tokens=False)["input_ids"]]
    while pending:
        token = pending.pop()
        if token in keep:
            continue
        keep.add(token)
        pending.extend(producer.get(token, ()))

    kept = sorted(keep, key=vocab.__getitem__)
    new_ids = {token: index for index, token in enumerate(kept)}
    model["vocab"] = new_ids
    model["merges"] = [[left, right] for left, right in _merge_pairs(model) if left + right in keep]
    for token in spec.get("added_tokens", []):
        token["id"] = new_ids[token["content"]]
    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(json.dumps(spec)),
        eos_token=tokenizer.eos_token,
        pad_token=tokenizer.pad_token,
        bos_token=tokenizer.bos_token,
        unk_token=tokenizer.unk_token,
    )


def kept_token_ids(trimmed, original, count: int | None = None) -> list[int]:
    """For each of the first ``count`` ids of ``trimmed`` (all by default), in order, the id of the same token in
    ``original``: the embedding rows to keep. (A LauraGPT processor's tokenizer appends its own tokens after the
    text ones: ``count=processor.vocabulary.text_vocab_size`` leaves those out.)"""
    original_vocab = original.get_vocab()
    trimmed_vocab = trimmed.get_vocab()
    tokens = sorted(trimmed_vocab, key=trimmed_vocab.__getitem__)[:count]
    missing = [token for token in tokens if token not in original_vocab]
    if missing:
        raise InvalidInputError(
            f"{len(missing)} tokens of the trimmed tokenizer (first: {missing[0]!r}) are not in the original one: "
            "trim the tokenizer that belongs to this text model."
        )
    return [original_vocab[token] for token in tokens]


def select_token_rows(text_model: PreTrainedModel, token_ids: list[int]) -> PreTrainedModel:
    """Keep only the embedding rows ``token_ids`` (in that order) of ``text_model``, and of its output matrix when
    that is not tied to them; ``config.vocab_size`` and the special token ids follow. In place; returns
    ``text_model``."""
    index = torch.tensor(token_ids, dtype=torch.long)
    embeddings = text_model.get_input_embeddings()
    rows = embeddings.weight.shape[0]
    if index.numel() == 0 or int(index.max()) >= rows or int(index.min()) < 0:
        raise InvalidInputError(f"Token ids must be in [0, {rows}): the text model's embedding has {rows} rows.")
    output = text_model.get_output_embeddings()
    tied = output is not None and output.weight is embeddings.weight
    new_embeddings = torch.nn.Embedding(index.numel(), embeddings.weight.shape[1])
    new_embeddings.weight.data = embeddings.weight.data[index].clone()
    text_model.set_input_embeddings(new_embeddings)
    if output is not None and not tied:
        output.weight.data = output.weight.data[index].clone()
        if getattr(output, "bias", None) is not None:
            output.bias.data = output.bias.data[index].clone()
    if output is not None:
        output.out_features = index.numel()
    text_model.config.vocab_size = index.numel()
    new_id = {old: new for new, old in enumerate(token_ids)}
    for name in ("bos_token_id", "eos_token_id", "pad_token_id"):  # special ids follow their tokens (None if cut)
        if isinstance(getattr(text_model.config, name, None), int):
            setattr(text_model.config, name, new_id.get(getattr(text_model.config, name)))
    if hasattr(text_model.config, "get_text_config"):
        text_model.config.get_text_config().vocab_size = index.numel()
    if tied:
        text_model.tie_weights()
    return text_model


__all__ = ["kept_token_ids", "select_token_rows", "trim_bpe_tokenizer"]
