"""How spoken-language-understanding targets are written as text, and read back.

One line: the intent, then ``slot=value`` pairs, separated by `` | ``::

    set_alarm | time=seven am | date=tomorrow

The training data builder writes targets with ``format_slu`` and the pipeline reads generations with
``parse_slu``, so the format is defined once.
"""

from __future__ import annotations

SEPARATOR = " | "


def format_slu(intent: str, slots: dict[str, str] | None = None) -> str:
    """``format_slu("set_alarm", {"time": "seven am"})`` -> ``"set_alarm | time=seven am"``."""
    parts = [intent.strip()] + [f"{name.strip()}={value.strip()}" for name, value in (slots or {}).items()]
    return SEPARATOR.join(parts)


def parse_slu(text: str) -> tuple[str, dict[str, str]]:
    """Inverse of ``format_slu``; fragments without ``=`` after the intent are ignored (a model may misspell)."""
    parts = [p.strip() for p in text.split("|")]
    slots = {}
    for part in parts[1:]:
        name, sep, value = part.partition("=")
        if sep and name.strip():
            slots[name.strip()] = value.strip()
    return parts[0], slots


__all__ = ["format_slu", "parse_slu"]
