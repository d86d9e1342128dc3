"""Converters of foreign checkpoints (FunCodec codec, FunASR Conformer encoder, LauraTTS codec generator), assembly
of a LauraGPT from pretrained parts, and the self-contained Hub export. CLI: ``lauragpt convert`` and
``lauragpt export-hub``; user guide: ``docs/conversion.md``."""

from .key_report import CheckpointMismatchError, KeyReport

__all__ = ["CheckpointMismatchError", "KeyReport"]
