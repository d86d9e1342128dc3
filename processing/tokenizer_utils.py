"""A small text tokenizer trained on your own sentences, for tiny models, tests and offline demos; and the one
way the vocoder's text condition is tokenised, in training and at inference.

Real models use a pretrained LLM's tokenizer (Qwen's for the paper preset); offline, a BPE trained in a second
on a few hundred sentences keeps the embedding and output matrices small.
"""

from __future__ import annotations

from collections.abc import Iterable

from tokenizers import (
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    trainers,
)
from transformers import PreTrainedTokenizerFast

from ..errors import InvalidInputError

EOS_TOKEN = "<|endoftext|>"


def train_text_tokenizer(
    texts: Iterable[str], vocab_size: int = 256, eos_token: str = EOS_TOKEN
) -> PreTrainedTokenizerFast:
    """Train a character-level BPE (Metaspace pre-tokenizer, NFKC) on ``texts``.

    Args:
        texts: training sentences.
        vocab_size: target size, special tokens included (the result may be smaller for little text).
        eos_token: end-of-text token (id 0), also used as padding.

    Returns:
        a ``PreTrainedTokenizerFast`` whose ``decode(encode(s))`` gives back ``s`` for text in its alphabet.
    """
    tokenizer = Tokenizer(models.BPE(unk_token=None))
    tokenizer.normalizer = normalizers.NFKC()
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[eos_token], show_progress=False)
    tokenizer.train_from_iterator(list(texts), trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token=eos_token, pad_token=eos_token)


def plain_text_ids(tokenizer, text: str) -> list[int]:
    """The plain-text ids of ``text``: how the LLM's processor writes user text, and the vocoder's text condition.

    No special tokens are added, and a string that spells one of LauraGPT's tokens (``"<|codec_3|>"``, a task
    token) is split into ordinary text pieces (``split_special_tokens=True``), so user text can never forge a
    special token and every id stays below the text vocabulary size the vocoder embeds. The processor, the
    vocoder's training collator and the pipeline all call this.

    returns : a list of ints, each < ``text_vocab_size``
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:  # a lone surrogate: tokenizers would fail with a bare TypeError
        raise InvalidInputError(
            f"The text holds an invalid character {text[error.start]!r} at position {error.start} (a lone UTF-16 "
            "surrogate, e.g. from a badly decoded file): decode the source as UTF-8, or drop it."
        ) from None
    return list(tokenizer(text, add_special_tokens=False, split_special_tokens=True)["input_ids"])


def vocoder_text_tokenizer(vocoder, processor):
    """The tokenizer of ``vocoder``'s text condition: the one saved with it (``vocoder.text_tokenizer``), else the
    LauraGPT ``processor``'s (a vocoder trained before vocoders kept theirs). With its own tokenizer a vocoder
    serves LauraGPT models of any tokenizer."""
    own = getattr(vocoder, "text_tokenizer", None)
    return processor.tokenizer if own is None else own


__all__ = ["EOS_TOKEN", "plain_text_ids", "train_text_tokenizer", "vocoder_text_tokenizer"]
