"""Recipe configs: ``configs/base.yaml`` + a YAML overlay (deep-merged) + ``--set key.sub=value`` overrides.

    config = load_recipe_config("tiny.yaml", ["training.learning_rate=3e-4", "data.tasks.aac=null"])

Every key must exist in ``base.yaml`` (a typo fails loudly with the known keys), except under ``training``
(checked by ``TrainingArguments`` itself) and the per-task entries of ``data.tasks``.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from ..errors import InvalidInputError

CONFIG_DIR = Path(__file__).parent / "configs"
BASE_CONFIG = CONFIG_DIR / "base.yaml"
FREE_SECTIONS = ("training", "data.tasks", "model.config")  # keys below these are not checked against base.yaml
TASK_KEYS = {"weight", "adapter", "source", "config", "columns", "options", "train_split", "eval_split"}


def deep_merge(base: dict, overlay: dict) -> dict:
    """A new dict: ``overlay`` merged into ``base`` recursively (dicts merge, everything else replaces)."""
    merged = copy.deepcopy(base)
    for key, value in (overlay or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def find_config(name_or_path: str | Path) -> Path:
    """A config file: an existing path, else a file of ``training/configs`` (``"tiny"`` or ``"tiny.yaml"``)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    for candidate in (CONFIG_DIR / path.name, CONFIG_DIR / f"{path.name}.yaml"):
        if candidate.is_file():
            return candidate
    shipped = sorted(p.name for p in CONFIG_DIR.glob("*.yaml"))
    raise FileNotFoundError(f"Recipe config {str(name_or_path)!r} not found: pass a YAML path or one of {shipped}.")


def _read(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise InvalidInputError(
            f"{path} must hold a YAML mapping at the top level (key: value lines), not a {type(data).__name__}."
        )
    return data


def parse_value(text: str):
    """A ``--set`` value: YAML scalars/lists/dicts (``null``, ``true``, ``[1, 2]``), ``3e-4`` as a float, and
    YAML 1.1's boolean words other than true/false (``no``, ``on``...) kept as strings (``eval_strategy=no``)."""
    value = yaml.safe_load(text) if text.strip() else ""
    if isinstance(value, bool) and text.strip().lower() not in ("true", "false"):
        return text.strip()
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def apply_override(config: dict, assignment: str) -> dict:
    """Apply ``"a.b.c=value"`` to ``config`` in place (creating missing sub-dicts) and return it."""
    key, sep, text = assignment.partition("=")
    if not sep or not key.strip():
        raise InvalidInputError(f"--set expects key=value (e.g. training.learning_rate=3e-4); got {assignment!r}.")
    *parents, leaf = key.strip().split(".")
    node = config
    for part in parents:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[leaf] = parse_value(text)
    return config


def _check_keys(config: dict, reference: dict, prefix: str = "") -> None:
    for key, value in config.items():
        path = f"{prefix}{key}"
        if path in FREE_SECTIONS:
            continue
        if key not in reference:
            raise InvalidInputError(
                f"Unknown recipe key {path!r}; known keys here: {sorted(reference)}. Fix the overlay or --set."
            )
        if isinstance(value, dict) and isinstance(reference[key], dict):
            _check_keys(value, reference[key], f"{path}.")
    for task, entry in (config.get("data", {}).get("tasks") or {}).items():
        unknown = set(entry or {}) - TASK_KEYS
        if unknown:
            raise InvalidInputError(
                f"Unknown key(s) {sorted(unknown)} in data.tasks.{task}; allowed: {sorted(TASK_KEYS)}."
            )


def load_recipe_config(config: str | Path | dict | None = None, overrides: list[str] | tuple[str, ...] = ()) -> dict:
    """The full recipe config: base.yaml, then the overlay ``config`` (a path, a shipped name or a dict), then
    each ``key=value`` of ``overrides``; unknown keys raise ``ValueError``."""
    base = _read(BASE_CONFIG)
    overlay = config if isinstance(config, dict) else ({} if config is None else _read(find_config(config)))
    merged = deep_merge(base, overlay)
    for assignment in overrides:
        apply_override(merged, assignment)
    _check_keys(merged, base)
    return merged


__all__ = [
    "BASE_CONFIG",
    "CONFIG_DIR",
    "apply_override",
    "deep_merge",
    "find_config",
    "load_recipe_config",
    "parse_value",
]
