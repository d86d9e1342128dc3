"""What every task builder shares: the planned row, split sizes, voice choice and a balanced, seeded pick."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..splits import HELD_OUT_VOICE, SPLITS, TEST, row_rng, stable_hash
from ..voices import TRAIN_VOICES

MAX_RECORDING_SECONDS = 6.0  # real recordings longer than this are not used


@dataclass(frozen=True)
class BuildPlan:
    """How much to build: rows per split and task, the seed of every random choice, the longest clip kept.

    ``task_train`` gives some tasks more (or fewer) training rows than ``train``, as ``((task, rows), ...)``; their
    validation and test splits keep the common size, so test scores stay comparable between builds.
    """

    seed: int = 0
    train: int = 800
    validation: int = 50
    test: int = 60
    max_seconds: float = 7.0  # rows with a rendered clip longer than this are dropped
    task_train: tuple[tuple[str, int], ...] = ()

    @classmethod
    def for_train_size(cls, train: int, seed: int = 0) -> BuildPlan:
        """Validation ~6 % and test ~8 % of ``train`` (at least 2 and 3), like the sentence buckets."""
        return cls(seed=seed, train=train, validation=max(2, round(train * 0.06)), test=max(3, round(train * 0.08)))

    def size(self, split: str, task: str | None = None) -> int:
        train = dict(self.task_train).get(task, self.train)
        return {"train": train, "validation": self.validation, "test": self.test}[split]


@dataclass
class PlannedRow:
    """A row before rendering: canonical columns, with audio as recipes (``sources.py``) instead of waveforms."""

    task: str
    id: str
    split: str
    audio: object = None
    target_audio: object = None
    columns: dict = field(default_factory=dict)  # text, target_text, language, speaker


def short_id(*parts: object) -> str:
    """A 12-hex-digit id fragment for generated content (stable across runs)."""
    return f"{stable_hash(*parts):016x}"[:12]


def voice_for(text: str, split: str, seed: int, voices: tuple[str, ...] = TRAIN_VOICES) -> str:
    """The voice that speaks ``text``: the held-out voice in the test split, else a seeded choice of ``voices``
    (the same for every task, so a sentence's clip is synthesised once and shared)."""
    if split == TEST:
        return HELD_OUT_VOICE
    return row_rng(seed, "voice", text, voices).choice(voices)


def voices_for(text: str, split: str, seed: int, count: int, voices: tuple[str, ...] = TRAIN_VOICES) -> list[str]:
    """``count`` different voices for ``text`` (only the held-out voice in the test split)."""
    if split == TEST:
        return [HELD_OUT_VOICE]
    return row_rng(seed, "voices", text, voices).sample(voices, count)


def pick_balanced(
    groups: list[list[PlannedRow]], plan: BuildPlan, task: str, weights: list[int] | None = None
) -> list[PlannedRow]:
    """For each split, shuffle each group (seeded) and take rows from the groups in turn until the split's size
    (``plan.size(split, task)``; ``task`` also salts the shuffles).

    Groups are the sources of a task (e.g. real vs synthetic speech, or one group per language): each turn takes
    ``weights[i]`` rows (default 1) from group ``i``, and a group that runs out leaves its share to the others.
    Rows of every group are pre-sorted by id so the result depends only on the seed, not on how candidates were
    listed; repeated ids count once.
    """
    weights = weights or [1] * len(groups)
    chosen, seen = [], set()
    groups = [[row for row in group if row.id not in seen and not seen.add(row.id)] for group in groups]  # unique ids
    for split in SPLITS:
        queues = []
        for index, group in enumerate(groups):
            rows = sorted((row for row in group if row.split == split), key=lambda row: row.id)
            row_rng(plan.seed, task, split, index).shuffle(rows)
            queues.append(rows)
        taken, size = [], plan.size(split, task)
        while len(taken) < size and any(queues):
            for queue, weight in zip(queues, weights):
                turn = queue[:weight]
                del queue[:weight]
                taken += turn[: size - len(taken)]
        chosen += taken
    return chosen


__all__ = ["MAX_RECORDING_SECONDS", "BuildPlan", "PlannedRow", "pick_balanced", "short_id", "voice_for", "voices_for"]
