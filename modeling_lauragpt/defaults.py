"""Where the embedded default model and the demo's sample inputs live inside the installed package."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .errors import ModelLoadError

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_MODEL_DIR = PACKAGE_DIR / "default_model"  # model + processor + tokenizer, vocoder/ with its codec
DEMO_SAMPLES_DIR = PACKAGE_DIR / "demo_samples"  # manifest.json + short clips (PROVENANCE.md says where from)


def default_model_dir() -> Path:
    """The embedded default model's folder; a clear error when the installation lacks it."""
    if not (DEFAULT_MODEL_DIR / "config.json").exists():
        raise ModelLoadError(
            f"The embedded default model is missing from {DEFAULT_MODEL_DIR}. Reinstall lauragpt from a complete "
            "checkout (`pip install -e .`), rebuild it with `python -m modeling_lauragpt.training.recipes.demo`, "
            "or pass a model folder explicitly."
        )
    return DEFAULT_MODEL_DIR


def weights_fingerprint(model_dir: Path) -> str | None:
    """The first 16 hex digits of a SHA-256 over ``model_dir``'s ``*.safetensors`` files (sorted; sub-folders such
    as ``vocoder/`` excluded), or ``None`` when it holds none: which weights a benchmark measured, so a model card
    shows only figures measured on the weights it describes."""
    files = sorted(Path(model_dir).glob("*.safetensors"))
    if not files:
        return None
    digest = hashlib.sha256()
    for path in files:
        with open(path, "rb") as weights:
            for block in iter(lambda: weights.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


__all__ = ["DEFAULT_MODEL_DIR", "DEMO_SAMPLES_DIR", "default_model_dir", "weights_fingerprint"]
