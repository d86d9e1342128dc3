"""Dataclass arguments from a YAML file and ``--set key=value`` overrides: the one style of every training command.

A command keeps its knobs in a dataclass; a YAML file holds some of its fields (``field: value`` lines), ``--set``
changes one field (or one key of a mapping field), and the command's own flags are shortcuts for fields. Later
wins: dataclass default < ``--config`` YAML < ``--set`` < a flag given on the command line.

    parser = argparse.ArgumentParser()
    add_config_arguments(parser, example="max_steps=200")
    parser.add_argument("--max-steps", type=int)                 # a shortcut: default None means "not given"
    arguments = arguments_from_command_line(MyArguments, parser.parse_args(argv))

Every key is checked against the dataclass fields, and values are coerced to the declared types where that is
unambiguous (``3`` for a float field is ``3.0``); anything else raises ``InvalidInputError`` naming the key.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import types
import typing
from pathlib import Path

import yaml

from ..errors import InvalidInputError
from .recipe_config import _read, apply_override, deep_merge


def add_config_arguments(parser: argparse.ArgumentParser, example: str) -> None:
    """Add ``--config FILE`` and ``--set KEY=VALUE`` (repeatable, into ``args.overrides``) to ``parser``.

    ``example`` is one assignment for the help text, e.g. ``"max_steps=200"``.
    """
    parser.add_argument(
        "--config", metavar="FILE", help="YAML of this command's arguments (field: value lines); --set and flags win"
    )
    add_set_argument(parser, example)


def add_set_argument(parser: argparse.ArgumentParser, example: str) -> None:
    """Add ``--set KEY=VALUE`` (repeatable, into ``args.overrides``) to ``parser``; ``example`` is one assignment
    for the help text, e.g. ``"training.learning_rate=3e-4"``."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"override one argument, e.g. --set {example} (repeatable; a flag given too wins)",
    )


def arguments_from_command_line(cls: type, args: argparse.Namespace):
    """An instance of dataclass ``cls`` from parsed ``args``: ``args.config``, ``args.overrides`` and, as flags,
    every attribute of ``args`` named like a field whose value is not ``None`` (so shortcut flags default to None).

        arguments_from_command_line(FinetuneArguments, parser.parse_args(["--set", "lora_r=4"]))
    """
    names = {field.name for field in dataclasses.fields(cls)}
    flags = {name: value for name, value in vars(args).items() if name in names and value is not None}
    return load_arguments(cls, args.config, args.overrides, flags)


def load_arguments(
    cls: type,
    config: str | Path | dict | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    flags: dict | None = None,
):
    """An instance of dataclass ``cls``: its defaults, then the YAML file (or mapping) ``config``, then each
    ``key=value`` of ``overrides`` (``task_train.asr=6000`` sets one key of a mapping field), then ``flags``.

        load_arguments(CorpusArguments, "corpus.yaml", ["per_task=100", "task_train.asr=6000"], {"workers": 4})

    Raises ``InvalidInputError`` for an unknown key or a value of the wrong type, ``FileNotFoundError`` for a
    missing ``config`` file.
    """
    fields = {field.name: field for field in dataclasses.fields(cls)}
    values = {name: copy.deepcopy(_default(field)) for name, field in fields.items() if _has_default(field)}
    if config is not None:
        overlay = config if isinstance(config, dict) else _read_config(Path(config))
        _check_keys(overlay, fields, f"--config {config}" if not isinstance(config, dict) else "the given mapping")
        values = deep_merge(values, overlay)
    for assignment in overrides:
        apply_override(values, assignment)
        _check_keys(values, fields, f"--set {assignment}")
    values.update(flags or {})
    hints = typing.get_type_hints(cls)
    return cls(**{name: coerce(name, value, hints[name]) for name, value in values.items()})


def coerce(name: str, value, annotation):
    """``value`` as type ``annotation`` (int, float, str, bool, ``X | None``, ``list[X]``, ``dict[str, X]``; other
    types pass through). An int for a float is a float, a whole float for an int is an int.

        coerce("learning_rate", 3, float) -> 3.0;  coerce("max_steps", "ten", int) -> InvalidInputError
    """
    origin, parameters = typing.get_origin(annotation), typing.get_args(annotation)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if origin in (typing.Union, types.UnionType):
        inner = [p for p in parameters if p is not type(None)]
        if value is None and len(inner) < len(parameters):
            return None
        return coerce(name, value, inner[0]) if len(inner) == 1 else value
    if origin is list and isinstance(value, list):
        return [coerce(f"{name}[{i}]", item, parameters[0]) for i, item in enumerate(value)]
    if origin is dict and isinstance(value, dict):
        return {key: coerce(f"{name}.{key}", item, parameters[1]) for key, item in value.items()}
    if annotation is float and number:
        return float(value)
    if annotation is int and number and float(value).is_integer():
        return int(value)
    if (annotation is bool and isinstance(value, bool)) or (annotation is str and isinstance(value, str)):
        return value
    if origin is None and annotation not in (int, float, str, bool):
        return value  # a type this module does not check
    expected = annotation.__name__ if origin is None else str(annotation)
    raise InvalidInputError(f"argument {name} expects {expected}, got {value!r}.")


def _has_default(field: dataclasses.Field) -> bool:
    return field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING


def _default(field: dataclasses.Field):
    return field.default if field.default is not dataclasses.MISSING else field.default_factory()


def _read_config(path: Path) -> dict:
    if not path.is_file():
        raise FileNotFoundError(f"--config {path} does not exist: pass a YAML file of field: value lines.")
    try:
        return _read(path)
    except yaml.YAMLError as error:
        where = " ".join(str(error).split())  # PyYAML's message spans lines; the error boundary prints one
        raise InvalidInputError(f"--config {path} is not valid YAML: {where}") from error


def _check_keys(overlay: dict, fields: dict, source: str) -> None:
    unknown = sorted(str(key) for key in overlay if key not in fields)
    if unknown:
        raise InvalidInputError(f"Unknown argument {unknown[0]!r} in {source}; known fields: {sorted(fields)}.")


__all__ = ["add_config_arguments", "add_set_argument", "arguments_from_command_line", "coerce", "load_arguments"]
