"""Synthesise every ``Speech``/``Melody`` clip a build needs, once each, in a small process pool.

Clips land in a cache folder as 16 kHz float wav files named by their recipe (``sources.cache_name``), already
trimmed and levelled; a clip already there is not made again, so a persistent ``--cache-dir`` makes rebuilds fast.
flite, espeak-ng and fluidsynth run once per clip; festival runs once per batch of ``FESTIVAL_BATCH`` sentences.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import soundfile as sf

from ...errors import InvalidInputError
from ..data.schema import SAMPLING_RATE
from .audio import read_audio, set_level, trim_silence
from .midi import midi_file, render_midi
from .sources import Melody, Speech, cache_name
from .voices import (
    NEUTRAL_PROSODY,
    VOICES,
    espeak_to_file,
    festival_to_files,
    flite_to_file,
)

FESTIVAL_BATCH = 16


def _finish(raw: Path, final: Path, level_dbfs: float) -> None:
    """Trim, level and store a freshly made clip; the raw file is removed."""
    wave = set_level(trim_silence(read_audio(str(raw))), level_dbfs)
    sf.write(final.with_suffix(".part.wav"), wave, SAMPLING_RATE, subtype="FLOAT")
    final.with_suffix(".part.wav").replace(final)  # atomic: a half-written clip is never taken for a cached one
    raw.unlink(missing_ok=True)


def _single_threaded_worker() -> None:
    """Pool initializer: torch in a forked worker runs on one thread. A parent that already ran a multi-threaded
    torch op leaves the OpenMP pool in a state a forked child deadlocks in (measured: the second build of one
    process hung in the 22.05 kHz espeak-ng resampling); one thread per worker is also what 2 workers on 2 cores want."""
    import torch  # already imported by the parent (the package needs it): no import cost in a forked worker

    torch.set_num_threads(1)


def _run_job(job: tuple[str, list, Path]) -> int:
    """One pool job: ``(kind, leaves, cache_dir)``; returns how many clips it made."""
    kind, batch, cache_dir = job
    raw = {leaf: cache_dir / f"raw-{cache_name(leaf)}" for leaf in batch}
    if kind == "festival":
        festival_to_files(VOICES[batch[0].voice], [(leaf.text, raw[leaf]) for leaf in batch])
    for leaf in batch:
        if kind == "flite":
            flite_to_file(VOICES[leaf.voice], leaf.text, leaf.prosody, raw[leaf])
        elif kind == "espeak-ng":
            espeak_to_file(VOICES[leaf.voice], leaf.text, raw[leaf])
        elif kind == "midi":
            render_midi(midi_file(leaf.program, list(leaf.notes), leaf.beat_seconds), raw[leaf])
        _finish(raw[leaf], cache_dir / cache_name(leaf), leaf.level_dbfs)
    return len(batch)


def _jobs(todo: list, cache_dir: Path) -> list[tuple[str, list, Path]]:
    jobs, festival = [], {}
    for leaf in todo:
        if isinstance(leaf, Melody):
            jobs.append(("midi", [leaf], cache_dir))
        elif VOICES[leaf.voice].engine != "flite" and leaf.prosody != NEUTRAL_PROSODY:
            raise InvalidInputError(
                f"{VOICES[leaf.voice].engine} voice {leaf.voice!r} takes no prosody settings (use a flite voice)"
            )
        elif VOICES[leaf.voice].engine == "festival":
            festival.setdefault(leaf.voice, []).append(leaf)
        else:
            jobs.append((VOICES[leaf.voice].engine, [leaf], cache_dir))
    for voice_leaves in festival.values():
        jobs += [
            ("festival", voice_leaves[i : i + FESTIVAL_BATCH], cache_dir)
            for i in range(0, len(voice_leaves), FESTIVAL_BATCH)
        ]
    return sorted(jobs, key=lambda job: job[0] != "festival")  # long festival jobs first: better load balance


def synthesize(
    leaves: Iterable[Speech | Melody], cache_dir: Path, workers: int = 2, log: Callable[[str], None] = print
) -> int:
    """Make every clip of ``leaves`` missing from ``cache_dir``; returns how many were made."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    leaves = set(leaves)
    unknown = sorted({leaf.voice for leaf in leaves if isinstance(leaf, Speech)} - set(VOICES))
    if unknown:
        raise InvalidInputError(f"Unknown voice(s) {unknown}; known voices: {sorted(VOICES)}")
    todo = sorted((leaf for leaf in leaves if not (cache_dir / cache_name(leaf)).exists()), key=cache_name)
    if not todo:
        return 0
    jobs, started, made = _jobs(todo, cache_dir), time.time(), 0
    context = multiprocessing.get_context("fork")
    with context.Pool(max(1, workers), initializer=_single_threaded_worker) as pool:
        for count in pool.imap_unordered(_run_job, jobs):
            made += count
            if made % 500 < count or made == len(todo):
                log(f"  synthesised {made}/{len(todo)} clips ({time.time() - started:.0f} s)")
    return made


__all__ = ["FESTIVAL_BATCH", "synthesize"]
