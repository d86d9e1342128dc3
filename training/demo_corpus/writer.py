"""Render planned rows and write one parquet file per task and split, audio embedded (Hub layout).

``OUT/<task>/<split>-00000-of-00001.parquet``; audio cells hold FLAC bytes, so the files are self-contained
(``datasets.table.embed_table_storage`` is applied as ``push_to_hub`` does, in case a cell only had a path).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import datasets
from datasets import Dataset
from datasets.table import embed_table_storage

from ..data.schema import SAMPLING_RATE, example_features, make_example
from .audio import encode_flac
from .sources import render
from .tasks import PlannedRow


@dataclass
class SplitSummary:
    """What was written for one task split: rows, dropped rows (clip too long), audio seconds, file bytes."""

    rows: int = 0
    dropped: int = 0
    audio_seconds: float = 0.0
    num_bytes: int = 0
    speakers: set = field(default_factory=set)


def parquet_path(out: Path, task: str, split: str) -> Path:
    return out / task / f"{split}-00000-of-00001.parquet"


def _audio_cell(recipe, row_id: str, cache_dir: Path, column: str):
    wave = render(recipe, cache_dir)
    return {"bytes": encode_flac(wave), "path": f"{row_id}.{column}.flac"}, wave.size / SAMPLING_RATE


def render_rows(rows: list[PlannedRow], cache_dir: Path, max_seconds: float) -> tuple[list[dict], SplitSummary]:
    """Canonical examples of ``rows`` with their audio rendered and encoded; rows with a clip over
    ``max_seconds`` are dropped (counted in the summary)."""
    examples, summary = [], SplitSummary()
    for row in rows:
        columns, seconds = dict(row.columns), []
        for column in ("audio", "target_audio"):
            recipe = getattr(row, column)
            if recipe is not None:
                columns[column], length = _audio_cell(recipe, row.id, cache_dir, column)
                seconds.append(length)
        if any(length > max_seconds or length == 0 for length in seconds):
            summary.dropped += 1
            continue
        examples.append(make_example(row.task, row.id, **columns))
        summary.audio_seconds += sum(seconds)
        if columns.get("speaker"):
            summary.speakers.add(columns["speaker"])
    summary.rows = len(examples)
    return examples, summary


def write_split(examples: list[dict], path: Path) -> int:
    """Write examples as a self-contained parquet file; returns its size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    bars_were_on = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()  # one bar per split file would drown the build log
    try:
        dataset = Dataset.from_list(examples, features=example_features())
        embedded = dataset.with_format("arrow").map(embed_table_storage, batched=True).with_format(None)
        embedded.to_parquet(str(path))
    finally:
        if bars_were_on:
            datasets.enable_progress_bars()
    return path.stat().st_size


__all__ = ["SplitSummary", "parquet_path", "render_rows", "write_split"]
