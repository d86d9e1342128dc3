"""Writes that never leave a half-written file where an output should be.

Each output is written to a hidden temporary file in its own folder and renamed over its name only once complete
(``os.replace`` is atomic on one file system), so Ctrl-C, a crash or a full disk leaves either the old file or
the new one, never a truncated one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target`` (same suffix, so writers infer the format); rename it over
    ``target`` when the block ends without error, and delete it otherwise."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomic(target: str | Path, text: str) -> Path:
    """``Path(target).write_text(text)`` (UTF-8), atomically."""
    with atomic_path(target) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return Path(target)


def write_audio_atomic(target: str | Path, audio, sampling_rate: int, subtype: str | None = None) -> Path:
    """``soundfile.write`` of float32 ``audio`` (samples,) at ``sampling_rate`` (``subtype`` e.g. ``"PCM_16"``;
    None: soundfile's default for the suffix), atomically."""
    with atomic_path(target) as temporary:
        soundfile.write(str(temporary), np.asarray(audio, dtype=np.float32), sampling_rate, subtype=subtype)
    return Path(target)


__all__ = ["atomic_path", "write_audio_atomic", "write_text_atomic"]
