"""CTranslate2's ``model.bin`` binary format, read with numpy (no ctranslate2 needed): ``read_ct2_model`` (its
docstring gives the layout). ``whisper_ct2`` maps a Whisper file's variables onto transformers' names.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

MODEL_FILE, TOKENIZER_FILE, CT2_CONFIG_FILE = "model.bin", "tokenizer.json", "config.json"
BINARY_VERSION = 6  # CTranslate2's model.bin format version (the faster-whisper conversions have it)
MAX_RANK = 8  # deeper tensors mean the header is garbled
# CTranslate2 dtype code -> (numpy storage type, torch type); bfloat16 is read as 16-bit integers and reinterpreted
DTYPES = {
    0: (np.float32, torch.float32),
    1: (np.int8, torch.int8),
    2: (np.int16, torch.int16),
    3: (np.int32, torch.int32),
    4: (np.float16, torch.float16),
    5: (np.int16, torch.bfloat16),
}


@dataclass
class CT2Model:
    """The contents of a CTranslate2 ``model.bin``.

    variables: {name: tensor} for every variable of rank >= 1, in its stored dtype (aliases not resolved)
    attributes: {name: int or float} for the rank-0 variables (``decoder/num_heads`` ...)
    aliases: {alias name: the variable name it points to} (``decoder/projection/weight`` -> the embeddings)
    """

    spec: str
    version: int
    revision: int
    variables: dict[str, torch.Tensor] = field(default_factory=dict)
    attributes: dict[str, int | float] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)


class _Reader:
    """Little-endian cursor over the bytes of one file; every read past the end raises a readable ValueError."""

    def __init__(self, data: bytes, path: Path):
        self.data, self.path, self.offset = data, path, 0

    def take(self, count: int, what: str) -> memoryview:
        if self.offset + count > len(self.data):
            raise ValueError(
                f"{self.path} ends after {len(self.data):,} bytes while reading {what} at byte {self.offset:,}: the file is "
                f"truncated (an interrupted download or copy). Fix: copy or download {MODEL_FILE} again."
            )
        view = memoryview(self.data)[self.offset : self.offset + count]
        self.offset += count
        return view

    def number(self, fmt: str, what: str) -> int:
        return struct.unpack("<" + fmt, self.take(struct.calcsize(fmt), what))[0]

    def string(self, what: str) -> str:
        """A u16 length, then that many bytes ending in NUL."""
        raw = bytes(self.take(self.number("H", what), what))
        if not raw.endswith(b"\0"):
            raise _garbled(self.path, f"{what} at byte {self.offset:,} is not NUL-terminated")
        try:
            return raw[:-1].decode("utf-8")
        except UnicodeDecodeError:
            raise _garbled(self.path, f"{what} at byte {self.offset:,} is not UTF-8 text") from None


def _garbled(path: Path, detail: str) -> ValueError:
    return ValueError(
        f"{path} is not a readable CTranslate2 model.bin: {detail}. The file is garbled or in another format. "
        f"Fix: copy or download {MODEL_FILE} again, or re-convert the model with ct2-transformers-converter."
    )


def _read_variable(reader: _Reader) -> tuple[str, torch.Tensor]:
    """One variable: name, u8 rank, rank x u32 shape, u8 dtype, u32 byte count, the bytes."""
    name = reader.string("a variable name")
    rank = reader.number("B", f"the rank of {name}")
    if rank > MAX_RANK:
        raise _garbled(reader.path, f"variable {name!r} claims rank {rank}")
    shape = tuple(reader.number("I", f"the shape of {name}") for _ in range(rank))
    code = reader.number("B", f"the dtype of {name}")
    if code not in DTYPES:
        raise _garbled(reader.path, f"variable {name!r} has unknown dtype code {code} (known: {sorted(DTYPES)})")
    storage, dtype = DTYPES[code]
    count = reader.number("I", f"the byte count of {name}")
    expected = int(np.prod(shape, dtype=np.int64)) * np.dtype(storage).itemsize
    if count != expected:
        raise _garbled(reader.path, f"variable {name!r} of shape {shape} holds {count:,} bytes instead of {expected:,}")
    array = np.frombuffer(reader.take(count, f"the values of {name}"), dtype=storage).reshape(shape)
    return name, torch.from_numpy(array.copy()).view(dtype)


def read_ct2_model(path: str | Path) -> CT2Model:
    """Parse a CTranslate2 ``model.bin`` (``path``: the file or the folder holding it).

    Layout (little-endian): u32 version; spec name (u16 length + bytes + NUL); u32 revision; u32 variable count;
    the variables (``_read_variable``); u32 alias count and (alias, target) string pairs; nothing after.
    raises : ValueError naming the problem (no file, truncated, garbled, unsupported version) and the fix
    """
    path = Path(path)
    if path.is_dir():
        path = path / MODEL_FILE
    if not path.is_file():
        raise ValueError(
            f"No {MODEL_FILE} at {path}. Fix: pass the CTranslate2 (faster-whisper) model folder, the one holding "
            f"{MODEL_FILE}, {TOKENIZER_FILE} and {CT2_CONFIG_FILE}."
        )
    reader = _Reader(path.read_bytes(), path)
    version = reader.number("I", "the format version")
    if version != BINARY_VERSION:
        raise ValueError(
            f"{path} is CTranslate2 model format version {version}; this reader supports version {BINARY_VERSION} "
            "(that of faster-whisper's conversions). Fix: re-convert the model with a current ct2-transformers-converter."
        )
    model = CT2Model(
        spec=reader.string("the spec name"), version=version, revision=reader.number("I", "the spec revision")
    )
    for _ in range(reader.number("I", "the variable count")):
        name, tensor = _read_variable(reader)
        if tensor.dim() == 0:
            model.attributes[name] = tensor.item()
        else:
            model.variables[name] = tensor
    for _ in range(reader.number("I", "the alias count")):
        alias = reader.string("an alias name")
        model.aliases[alias] = reader.string(f"the target of alias {alias}")
    if reader.offset != len(reader.data):
        raise _garbled(path, f"{len(reader.data) - reader.offset:,} unexplained bytes follow the aliases")
    return model


__all__ = ["BINARY_VERSION", "DTYPES", "MAX_RANK", "MODEL_FILE", "CT2Model", "read_ct2_model"]
