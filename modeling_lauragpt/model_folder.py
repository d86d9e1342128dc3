"""Checks of a local model folder before transformers reads it, so that a missing, incomplete or corrupt folder
raises ``ModelLoadError`` naming the file and the fix, instead of a safetensors or JSON traceback.

Hub ids (``org/name``) and folders that pass are left to transformers unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import ModelLoadError

SAVE_HINT = "re-save it with save_pretrained, or copy or download it again"
# model_type -> what a user calls that folder (a vocoder folder passed as the model is a common slip)
LAURAGPT_FOLDER_KINDS = {
    "lauragpt": "LauraGPT model",
    "lauragpt_vocoder": "LauraGPT vocoder",
    "lauragpt_multistep_vocoder": "LauraGPT multi-step vocoder",
    "lauragpt_cpu_codec": "LauraGPT CPU codec",
}


def _looks_local(name: str) -> bool:
    return name.startswith(("/", ".", "~")) or name.count("/") > 1 or "\\" in name


def _read_config(folder: Path) -> dict:
    path = folder / "config.json"
    if not path.is_file():
        raise ModelLoadError(
            f"{folder} has no config.json; pass a folder saved with save_pretrained "
            "(config.json, model.safetensors, the processor files, vocoder/ for audio output)."
        )
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelLoadError(
            f"{path} is not valid JSON ({error}): the file is truncated or damaged; {SAVE_HINT}."
        ) from error
    if not isinstance(config, dict):
        raise ModelLoadError(f"{path} holds no JSON object; {SAVE_HINT}.")
    return config


def _check_weights(folder: Path) -> None:
    from safetensors import safe_open

    if not any(folder.glob("*.safetensors")) and not any(folder.glob("*.bin")):
        raise ModelLoadError(
            f"{folder} has no weights (model.safetensors): the copy or download is incomplete; {SAVE_HINT}."
        )
    for path in sorted(folder.glob("*.safetensors")):
        try:
            with safe_open(str(path), framework="pt") as weights:
                weights.keys()
        except Exception as error:
            raise ModelLoadError(
                f"{path} cannot be read ({error}): the file is truncated or damaged; {SAVE_HINT}."
            ) from error


def check_model_folder(name_or_path, expected_model_type: str | None = None, subfolder: str = "") -> None:
    """Raise ``ModelLoadError`` when ``name_or_path`` is meant as a local folder and cannot be loaded as one.

    Args:
        name_or_path: what ``from_pretrained`` was given (a folder, or a Hub id that is left alone).
        expected_model_type: the ``model_type`` the caller loads (e.g. ``"lauragpt"``); a vocoder or codec
            folder passed as the model (or the model's folder as a vocoder) is refused by name.
        subfolder: ``from_pretrained``'s ``subfolder`` argument.
    """
    if not isinstance(name_or_path, (str, Path)):
        return
    folder = Path(name_or_path).expanduser() / subfolder
    if not folder.exists():
        if _looks_local(str(name_or_path)):
            raise ModelLoadError(f"{folder} does not exist; pass a LauraGPT folder saved with save_pretrained.")
        return  # a Hub id: transformers says what it can
    if not folder.is_dir():
        raise ModelLoadError(f"{folder} is a file; pass the folder that holds config.json and the weights.")
    config = _read_config(folder)
    found = config.get("model_type")
    mixed_up = "lauragpt" in (found, expected_model_type) and found != expected_model_type  # model vs vocoder/codec
    if mixed_up and found in LAURAGPT_FOLDER_KINDS and expected_model_type in LAURAGPT_FOLDER_KINDS:
        hint = " (the model is its parent folder)" if found.endswith("vocoder") else ""
        raise ModelLoadError(
            f"{folder} is a {LAURAGPT_FOLDER_KINDS[found]} folder{hint}, not a "
            f"{LAURAGPT_FOLDER_KINDS.get(expected_model_type, expected_model_type)} folder."
        )
    if expected_model_type in LAURAGPT_FOLDER_KINDS and found not in LAURAGPT_FOLDER_KINDS:
        # without this, transformers builds a default-size LauraGPT from the foreign or empty config (tens of GB)
        raise ModelLoadError(
            f"{folder}/config.json has model_type {found!r}: it is not a LauraGPT folder. Pass a folder "
            f"saved with save_pretrained by lauragpt, or {SAVE_HINT}."
        )
    _check_weights(folder)


__all__ = ["check_model_folder"]
