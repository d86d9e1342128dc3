"""The exceptions lauragpt raises on purpose (``docs/errors.md``). Each message names the problem and the fix.

Every class also derives from the built-in exception that code written before these types caught, so
``except ValueError`` still works where a bad value is refused, and ``except OSError`` where a file is. To catch
any refusal of lauragpt's (never a bug), ``except LauraGPTError`` (exported by the package).

The command line prints these (and other ``ValueError``/``OSError``) as one line and exits 2.
"""

from __future__ import annotations


class LauraGPTError(Exception):
    """Base of every refusal: an input, option, file or folder that lauragpt cannot use as given."""


class InvalidInputError(LauraGPTError, ValueError):
    """A value the caller gave cannot be used: audio (empty, NaN, too long, a wrong rate), text, task, language,
    label or a numeric option out of range."""


class ModelLoadError(LauraGPTError, OSError):
    """A model, vocoder or codec folder is missing, incomplete or corrupt (a truncated download, a folder without
    ``config.json``, a vocoder folder passed as the model)."""


class OutputConflictError(LauraGPTError, FileExistsError):
    """An output would replace an input, another output of the same run, or files lauragpt did not write."""


class DeviceUnavailableError(LauraGPTError, RuntimeError):
    """The requested device (e.g. ``cuda``) is not visible on this machine."""


class MissingProgramError(LauraGPTError, RuntimeError):
    """A system program a command needs (flite, festival, espeak-ng, fluidsynth, ffmpeg) is not installed."""


__all__ = [
    "DeviceUnavailableError",
    "InvalidInputError",
    "LauraGPTError",
    "MissingProgramError",
    "ModelLoadError",
    "OutputConflictError",
]
