"""The one shared vocabulary: text ids, then codec ids, then LauraGPT's own special tokens.

Layout (ids increase left to right)::

    [ text tokens: 0 .. N-1 ][ <|codec_0|> .. <|codec_{M-1}|> ][ <|codec_end|> ][ <|audio|> ][ <|task_0|> .. ]

N is the size of the text tokenizer before LauraGPT's tokens were added (``text_vocab_size``), M the codebook
size (1024). Task tokens come last so a new task can be appended without moving any earlier id. The same
layout is used by the config (embedding sizes, special ids), the processor (which adds these tokens to any HF
tokenizer in this order) and the generation logits processor (allowed ids per task).
"""

from __future__ import annotations

from dataclasses import dataclass

IGNORE_INDEX = -100  # a label that is no target (inputs, task token, padding): transformers' convention

CODEC_END_TOKEN = "<|codec_end|>"
AUDIO_TOKEN = "<|audio|>"


def codec_token(code: int) -> str:
    """The token string of codec code ``code`` (``<|codec_17|>``)."""
    return f"<|codec_{code}|>"


def task_token(task: str) -> str:
    """The token string of task ``task`` (``<|asr|>``)."""
    return f"<|{task}|>"


@dataclass(frozen=True)
class VocabularyLayout:
    """Where every kind of token lives in the shared vocabulary.

    Attributes:
        text_vocab_size: N, the number of text ids (ids ``0 .. N-1``).
        codebook_size: M, the number of first-group codec codes.
        tasks: task names in task-token order.
    """

    text_vocab_size: int
    codebook_size: int
    tasks: tuple[str, ...]

    @property
    def codec_token_offset(self) -> int:
        """Id of ``<|codec_0|>``; codec code ``c`` has id ``codec_token_offset + c``."""
        return self.text_vocab_size

    @property
    def codec_end_token_id(self) -> int:
        return self.text_vocab_size + self.codebook_size

    @property
    def audio_token_id(self) -> int:
        return self.codec_end_token_id + 1

    @property
    def task_token_ids(self) -> dict[str, int]:
        first = self.audio_token_id + 1
        return {task: first + i for i, task in enumerate(self.tasks)}

    @property
    def vocab_size(self) -> int:
        """Total number of ids the embedding and the output matrix must hold."""
        return self.audio_token_id + 1 + len(self.tasks)

    def special_tokens(self) -> list[str]:
        """LauraGPT's token strings, in id order, as they must be added to a text tokenizer of size N."""
        return (
            [codec_token(c) for c in range(self.codebook_size)]
            + [CODEC_END_TOKEN, AUDIO_TOKEN]
            + [task_token(t) for t in self.tasks]
        )

    def is_codec_id(self, token_id):
        """True for ids of codec codes (not the codec end token). Works on ints and tensors."""
        return (token_id >= self.codec_token_offset) & (token_id < self.codec_end_token_id)


__all__ = [
    "AUDIO_TOKEN",
    "CODEC_END_TOKEN",
    "IGNORE_INDEX",
    "VocabularyLayout",
    "codec_token",
    "task_token",
]
