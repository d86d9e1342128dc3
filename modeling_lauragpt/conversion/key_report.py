"""The shared check of every converter: renamed foreign tensors against the target model's state dict.

A converter renames a foreign checkpoint's keys into ours (``{our_key: (foreign_key, tensor)}``), then
``check_state_dict`` compares that with the target model and either returns the state dict to load or raises
``CheckpointMismatchError`` whose message lists, in one readable report, every missing, unexpected and
shape-mismatched key together with the fix. Nothing is ever loaded partially.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import torch

MAX_LISTED = 12  # keys listed per section of a report; the rest are counted


class CheckpointMismatchError(ValueError):
    """A foreign checkpoint does not fit the target model; ``report`` holds the details."""

    def __init__(self, message: str, report: KeyReport | None = None):
        super().__init__(message)
        self.report = report


@dataclass
class KeyReport:
    """What a conversion found.

    missing: our keys that no foreign tensor maps to.
    unexpected: foreign keys that map to none of ours (after the known training-only keys were set aside).
    mismatched: ``(foreign key, our key, foreign shape, our shape)`` for tensors that map but differ in shape.
    ignored: foreign keys deliberately dropped (training-only state, other sub-models), with the reason.
    """

    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: list[tuple[str, str, tuple, tuple]] = field(default_factory=list)
    ignored: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def summary(self) -> str:
        """One line: counts of each kind."""
        return (
            f"{len(self.missing)} missing, {len(self.unexpected)} unexpected, {len(self.mismatched)} shape-mismatched, "
            f"{len(self.ignored)} ignored"
        )

    def format(self, title: str, fix: str) -> str:
        """The full report: a title, each non-empty section (at most ``MAX_LISTED`` keys each), then the fix."""
        lines = [f"{title}: {self.summary()}."]
        if self.missing:
            lines.append("Missing (our model needs them, the checkpoint has no tensor for them):")
            lines += _listed(self.missing)
        if self.unexpected:
            lines.append("Unexpected (in the checkpoint, with no place in our model):")
            lines += _listed(self.unexpected)
        if self.mismatched:
            lines.append("Shape-mismatched (checkpoint key -> our key: checkpoint shape vs our shape):")
            lines += _listed([f"{src} -> {dst}: {tuple(a)} vs {tuple(b)}" for src, dst, a, b in self.mismatched])
        lines.append(f"Fix: {fix}")
        return "\n".join(lines)


def _listed(items: list[str]) -> list[str]:
    shown = [f"  - {item}" for item in items[:MAX_LISTED]]
    if len(items) > MAX_LISTED:
        shown.append(f"  ... and {len(items) - MAX_LISTED} more")
    return shown


def ignored_summary(ignored: Mapping[str, str]) -> str:
    """Ignored keys grouped by reason: ``"12 keys: the CTC head; 3 keys: loss buffers"``."""
    counts: dict[str, int] = {}
    for reason in ignored.values():
        counts[reason] = counts.get(reason, 0) + 1
    return "; ".join(f"{n} key{'s' if n != 1 else ''}: {reason}" for reason, n in counts.items())


def check_state_dict(
    renamed: Mapping[str, tuple[str, torch.Tensor]],
    target: Mapping[str, torch.Tensor],
    unmapped: list[str],
    ignored: Mapping[str, str],
    title: str,
    fix: str,
) -> tuple[dict[str, torch.Tensor], KeyReport]:
    """Compare renamed foreign tensors with the target state dict.

    renamed : {our key: (foreign key, tensor)}  what the converter's key map produced
    target : our model's ``state_dict()`` (tensors may live on the meta device: only shapes are read)
    unmapped : foreign keys the key map could not place
    ignored : {foreign key: reason} deliberately dropped keys (reported, not an error)
    returns : ({our key: tensor} ready for ``load_state_dict(strict=True)``, the report)
    raises : CheckpointMismatchError with ``report.format(title, fix)`` unless every key matches
    """
    report = KeyReport(unexpected=sorted(unmapped), ignored=dict(ignored))
    state = {}
    for key, (source, tensor) in renamed.items():
        if key not in target:
            report.unexpected.append(f"{source} (would be {key})")
        elif tuple(tensor.shape) != tuple(target[key].shape):
            report.mismatched.append((source, key, tuple(tensor.shape), tuple(target[key].shape)))
        else:
            state[key] = tensor
    report.missing = sorted(set(target) - set(renamed))
    if not report.ok:
        raise CheckpointMismatchError(report.format(title, fix), report)
    return state, report


__all__ = ["MAX_LISTED", "CheckpointMismatchError", "KeyReport", "check_state_dict", "ignored_summary"]
