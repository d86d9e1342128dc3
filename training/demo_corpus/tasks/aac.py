"""aac: sound -> caption. Generated sound scenes with captions that follow from how they were made:

- a melody (fluidsynth, General MIDI): "A violin plays four rising notes quickly."
- two event sounds in a row: "A bell rings, then a camera shutter clicks."
- an event sound over coloured noise: "A canary sings over a low rumble."
- a single event sound: "A camera shutter clicks."

The caption is the held-out unit: test captions (sentence buckets) never occur in training.
"""

from __future__ import annotations

from ..sounds import NOISE_DESCRIPTIONS, event_sounds, melody_scenes, sentence
from ..sources import EVENT_RMS_DBFS, Noise, Overlay, Recording, Sequence
from ..splits import row_rng, sentence_split
from .common import BuildPlan, PlannedRow, pick_balanced, short_id


def _row(caption: str, audio) -> PlannedRow:
    return PlannedRow(
        "aac",
        f"aac-{short_id(caption, repr(audio))}",
        sentence_split(caption),
        audio=audio,
        columns={"target_text": caption},
    )


def plan_aac(plan: BuildPlan) -> list[PlannedRow]:
    events = event_sounds()
    clip = {event.path: Recording(event.path, EVENT_RMS_DBFS, max_seconds=4.0) for event in events}
    melodies = [_row(scene.caption(), scene.melody(row_rng(plan.seed, "melody", scene))) for scene in melody_scenes()]
    pairs = [
        _row(sentence(f"{first.caption}, then {second.caption}"), Sequence((clip[first.path], clip[second.path])))
        for first in events
        for second in events
        if first.caption != second.caption
    ]
    over_noise = [
        _row(
            sentence(f"{event.caption} over {description}"),
            Overlay(
                clip[event.path],
                Noise(color, 2.0, row_rng(plan.seed, "aac-noise", event.path).getrandbits(32)),
                snr_db=10.0,
                seed=row_rng(plan.seed, "aac-overlay", event.path, color).getrandbits(32),
            ),
        )
        for event in events
        for color, description in NOISE_DESCRIPTIONS.items()
    ]
    singles = [_row(sentence(event.caption), clip[event.path]) for event in events]
    return pick_balanced([melodies, pairs, over_noise, singles], plan, task="aac")


__all__ = ["plan_aac"]
