"""Non-speech sounds: captioned event sounds from Debian sound packages, MIDI melody scenes, noise names.

Event captions (``data/event_captions.tsv``) were written by hand from the file names and packages (nobody
listened to every clip); melody captions are generated from the scene parameters (instrument, pitch direction,
tempo, note count), so they are exact by construction.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from .sources import Melody
from .text_sources import read_tsv

SOUNDS_DIR = Path("/usr/share/sounds")

# General MIDI program (0-based) -> (name in captions, lowest and highest note used)
INSTRUMENTS = {
    0: ("piano", 48, 84),
    6: ("harpsichord", 48, 84),
    11: ("vibraphone", 53, 89),
    13: ("xylophone", 65, 96),
    19: ("church organ", 36, 79),
    24: ("guitar", 40, 76),
    40: ("violin", 55, 91),
    42: ("cello", 36, 72),
    56: ("trumpet", 55, 82),
    57: ("trombone", 40, 70),
    65: ("saxophone", 49, 80),
    68: ("oboe", 58, 89),
    71: ("clarinet", 50, 86),
    73: ("flute", 60, 96),
    105: ("banjo", 48, 79),
    108: ("kalimba", 60, 88),
}
DIRECTIONS = ("rising", "falling", "repeated", "arch")
TEMPOS = {"slowly": 0.6, "at a moderate pace": 0.4, "quickly": 0.22}  # seconds per note
NOTE_COUNTS = {3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}
NOISE_DESCRIPTIONS = {"white": "a steady hiss", "pink": "a soft rushing noise", "brown": "a low rumble"}


@dataclass(frozen=True)
class EventSound:
    """A recorded event sound: its file, a caption written from its name, and the Debian package it is in."""

    path: str
    caption: str
    package: str


def event_sounds() -> list[EventSound]:
    """Every captioned event sound; a missing file raises an error naming its package."""
    events = []
    for row in read_tsv("event_captions.tsv"):
        path = SOUNDS_DIR / row["path"]
        if not path.exists():
            raise RuntimeError(
                f"{path} not found (Debian package {row['package']}): run scripts/install_system_deps.sh"
            )
        events.append(EventSound(str(path), row["caption"], row["package"]))
    return events


def sentence(caption: str) -> str:
    """``"a bell rings"`` -> ``"A bell rings."``"""
    return caption[0].upper() + caption[1:] + "."


def with_article(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" else "a ") + noun


@dataclass(frozen=True)
class MelodyScene:
    """One instrument playing ``count`` notes in a ``direction`` at a ``tempo`` (keys of the tables above)."""

    program: int
    direction: str
    tempo: str
    count: int

    def caption(self) -> str:
        instrument = with_article(INSTRUMENTS[self.program][0])
        number = NOTE_COUNTS[self.count]
        notes = {
            "rising": f"{number} rising notes",
            "falling": f"{number} falling notes",
            "repeated": f"the same note {number} times",
            "arch": f"{number} notes that rise and then fall",
        }
        return sentence(f"{instrument} plays {notes[self.direction]} {self.tempo}")

    def melody(self, rng: random.Random) -> Melody:
        """Concrete notes for this scene: steps of 2-4 semitones inside the instrument's range."""
        _, low, high = INSTRUMENTS[self.program]
        steps = [rng.choice((2, 3, 4)) for _ in range(self.count - 1)]
        if self.direction == "repeated":
            steps = [0] * (self.count - 1)
        elif self.direction == "falling":
            steps = [-step for step in steps]
        elif self.direction == "arch":
            peak = self.count // 2  # steps up before turning down
            steps = steps[:peak] + [-step for step in steps[peak:]]
        heights = [sum(steps[:i]) for i in range(self.count)]
        start = rng.randint(low - min(heights), high - max(heights))
        return Melody(self.program, tuple(start + h for h in heights), TEMPOS[self.tempo])


def melody_scenes() -> list[MelodyScene]:
    """Every combination of instrument, direction, tempo and note count."""
    return [
        MelodyScene(program, direction, tempo, count)
        for program in INSTRUMENTS
        for direction in DIRECTIONS
        for tempo in TEMPOS
        for count in NOTE_COUNTS
    ]


__all__ = [
    "DIRECTIONS",
    "INSTRUMENTS",
    "NOISE_DESCRIPTIONS",
    "EventSound",
    "MelodyScene",
    "event_sounds",
    "melody_scenes",
    "sentence",
    "with_article",
]
