"""The split policy: which sentences, captions and voices are held out.

- **Held-out sentences.** Every text (spoken sentence, caption, command) falls into a bucket by a stable hash of
  its normalised words: ``TEST_PERCENT`` % are test sentences, ``VALIDATION_PERCENT`` % validation sentences,
  the rest training sentences. The bucket does not depend on the task or on ``--seed``, so a test sentence is a
  test sentence everywhere (it is never spoken, captioned or translated in any training row).
- **Held-out voice.** Synthetic speech in the test split is spoken by ``HELD_OUT_VOICE`` only, and that voice
  speaks nothing else. Real recordings (asterisk prompts) keep their speaker; they are held out by sentence.
- **Validation** rows: validation sentences spoken by the training voices (the training distribution).
"""

from __future__ import annotations

import hashlib
import random
import re

TRAIN, VALIDATION, TEST = "train", "validation", "test"
SPLITS = (TRAIN, VALIDATION, TEST)
TEST_PERCENT = 10
VALIDATION_PERCENT = 6
HELD_OUT_VOICE = "flite_awb"  # a speaker (Alan W Black, Scottish English) that no training voice shares


def normalise_words(text: str) -> str:
    """Lower-case words without punctuation: ``"Goodbye!"`` and ``"goodbye."`` are the same sentence."""
    return " ".join(re.findall(r"[^\W_]+", text.lower()))


def stable_hash(*parts: object) -> int:
    """A 64-bit hash of ``parts`` that is the same in every process and Python version (unlike ``hash``)."""
    digest = hashlib.sha1("\x1f".join(map(str, parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def sentence_split(text: str) -> str:
    """``"train"``, ``"validation"`` or ``"test"`` for a sentence (fixed by its words, see the module docstring)."""
    bucket = stable_hash("demo-corpus-sentence", normalise_words(text)) % 100
    if bucket < TEST_PERCENT:
        return TEST
    if bucket < TEST_PERCENT + VALIDATION_PERCENT:
        return VALIDATION
    return TRAIN


def row_rng(seed: int, *key: object) -> random.Random:
    """A random generator for one row, fixed by the build seed and the row's key (independent of build order)."""
    return random.Random(stable_hash(seed, *key))


__all__ = [
    "HELD_OUT_VOICE",
    "SPLITS",
    "TEST",
    "TRAIN",
    "VALIDATION",
    "normalise_words",
    "row_rng",
    "sentence_split",
    "stable_hash",
]
