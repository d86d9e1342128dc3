"""Reading foreign checkpoints and their YAML configs, safely.

Pickled checkpoints are read with ``torch.load(weights_only=True)`` only (no arbitrary code runs); safetensors
files with ``safetensors.torch.load_file``. Trainer wrappers (``{"state_dict": ...}``, ``{"model": ...}``) and a
DDP ``module.`` prefix are unwrapped.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import torch
import yaml

CHECKPOINT_NAMES = ("model.pth", "model.pt", "model.pb", "model.safetensors")  # looked for inside a folder
WRAPPER_KEYS = ("state_dict", "model", "model_state_dict", "generator", "module")


def find_checkpoint(path: str | Path) -> Path:
    """``path`` itself if it is a file, else the first of ``CHECKPOINT_NAMES`` inside the folder."""
    path = Path(path)
    if path.is_file():
        return path
    if path.is_dir():
        for name in CHECKPOINT_NAMES:
            if (path / name).is_file():
                return path / name
        raise FileNotFoundError(
            f"No checkpoint in {path}: expected one of {', '.join(CHECKPOINT_NAMES)}. Pass the file itself."
        )
    raise FileNotFoundError(
        f"{path} does not exist. Pass the checkpoint file (e.g. model.pth) or the folder holding it."
    )


def _is_state_dict(value) -> bool:
    return isinstance(value, dict) and bool(value) and all(isinstance(v, torch.Tensor) for v in value.values())


def load_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """All tensors of a foreign checkpoint, on the CPU, keyed by their names in the checkpoint.

    path : a ``.pth``/``.pt``/``.pb`` pickle of a state dict (or of a trainer dict wrapping one), a
        ``.safetensors`` file, or a folder holding one of ``CHECKPOINT_NAMES``
    """
    path = find_checkpoint(path)
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    try:
        loaded = torch.load(str(path), map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, AttributeError) as error:  # refused or unreadable pickle
        lines = str(error).splitlines() or [type(error).__name__]
        detail = next((line.strip() for line in lines if "WeightsUnpickler error" in line), lines[0]).split(". Please")[
            0
        ]
        raise ValueError(
            f"Could not read {path} with torch.load(weights_only=True): {detail}. Only plain "
            "state dicts (tensors, dicts, numbers) are read, so that loading runs no code from the file. If you "
            "trust it, re-save it in Python as a plain state dict: torch.save(torch.load(p, weights_only=False)"
            "['state_dict' or the key holding the weights], 'model.pth')."
        ) from None
    if not _is_state_dict(loaded) and isinstance(loaded, dict):
        for key in WRAPPER_KEYS:
            if _is_state_dict(loaded.get(key)):
                loaded = loaded[key]
                break
    if not _is_state_dict(loaded):
        keys = sorted(loaded)[:8] if isinstance(loaded, dict) else type(loaded).__name__
        raise ValueError(
            f"{path} holds no state dict (a mapping of names to tensors); found {keys}. Pass the model weights file."
        )
    if all(k.startswith("module.") for k in loaded):
        loaded = {k[len("module.") :]: v for k, v in loaded.items()}
    return dict(loaded)


def read_yaml(path: str | Path | None) -> dict:
    """A FunCodec/FunASR ``config.yaml`` as a dict (``{}`` when ``path`` is None)."""
    if path is None:
        return {}
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a YAML mapping; pass the config.yaml that came with the checkpoint.")  # noqa: TRY004
    return data


__all__ = ["CHECKPOINT_NAMES", "find_checkpoint", "load_state_dict", "read_yaml"]
