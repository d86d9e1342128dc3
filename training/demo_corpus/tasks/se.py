"""se: noisy speech -> clean speech. Clean English speech (synthetic voices, and real asterisk prompts for one
row in three) mixed at a random SNR of 0-15 dB with coloured noise (white/pink/brown), a string of event sounds,
or a melody. ``target_audio`` is the clean speech at the same scale as in the mixture; ``text`` its transcript.
"""

from __future__ import annotations

import random

from ..asterisk import prompt_recordings
from ..sounds import event_sounds, melody_scenes
from ..sources import EVENT_RMS_DBFS, Mixture, Noise, Recording, Sequence, Speech
from ..splits import row_rng, sentence_split
from ..text_sources import english_sentences
from .common import (
    MAX_RECORDING_SECONDS,
    BuildPlan,
    PlannedRow,
    pick_balanced,
    short_id,
    voice_for,
)

SNR_RANGE_DB = (0.0, 15.0)
NOISE_KINDS = ("white", "pink", "brown", "events", "music")


def _noise(kind: str, rng: random.Random, events: list, scenes: list):
    """A noise recipe of ``kind`` (looped or cut to the speech length when mixed)."""
    if kind == "events":
        chosen = rng.sample(events, 3)
        return Sequence(tuple(Recording(e.path, EVENT_RMS_DBFS, max_seconds=2.0) for e in chosen), gap_seconds=0.4)
    if kind == "music":
        scene = rng.choice(scenes)
        return scene.melody(rng)
    return Noise(kind, 6.0, rng.getrandbits(32))


def _noisy_row(row_id: str, split: str, clean, text: str, speaker: str, plan: BuildPlan, events, scenes) -> PlannedRow:
    rng = row_rng(plan.seed, "se", row_id)
    kind = rng.choice(NOISE_KINDS)
    snr_db = round(rng.uniform(*SNR_RANGE_DB), 1)
    noise, seed = _noise(kind, rng, events, scenes), rng.getrandbits(32)
    return PlannedRow(
        "se",
        f"{row_id}-{kind}-snr{snr_db:g}",
        split,
        audio=Mixture(clean, noise, snr_db, seed, part="noisy"),
        target_audio=Mixture(clean, noise, snr_db, seed, part="clean"),
        columns={"text": text, "speaker": speaker},
    )


def plan_se(plan: BuildPlan) -> list[PlannedRow]:
    events, scenes = event_sounds(), melody_scenes()
    synthetic = []
    for text in english_sentences():
        split = sentence_split(text)
        voice = voice_for(text, split, plan.seed)
        row_id = f"se-{voice}-{short_id(text)}"
        synthetic.append(_noisy_row(row_id, split, Speech(voice, text), text, voice, plan, events, scenes))
    real = [
        _noisy_row(
            f"se-asterisk-en-{rec.key.replace('/', '-')}",
            sentence_split(rec.text),
            Recording(rec.path),
            rec.text,
            rec.speaker,
            plan,
            events,
            scenes,
        )
        for rec in prompt_recordings("en", MAX_RECORDING_SECONDS).values()
        if len(rec.text.split()) >= 3
    ]
    return pick_balanced([synthetic, real], plan, task="se", weights=[2, 1])
