"""A minimal Standard MIDI File writer (format 0, one instrument, one note at a time) and fluidsynth rendering."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

from ...errors import InvalidInputError
from ..data.schema import SAMPLING_RATE
from .voices import require_program

TICKS_PER_BEAT = 480
SOUNDFONT = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")


def _variable_length(value: int) -> bytes:
    """MIDI variable-length quantity: 7 bits per byte, most significant first, high bit set on all but the last."""
    groups = [value & 0x7F]
    value >>= 7
    while value:
        groups.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(groups))


def midi_file(program: int, notes: list[int], beat_seconds: float, velocity: int = 96, legato: float = 0.9) -> bytes:
    """A MIDI file that plays ``notes`` (MIDI numbers) one per beat on General MIDI ``program`` (0-127).

    Args:
        program: GM instrument number, 0-based (0 piano, 40 violin, 73 flute, ...).
        notes: MIDI note numbers, played in order.
        beat_seconds: seconds per note (the tempo).
        velocity: loudness of every note (1-127).
        legato: fraction of the beat each note sounds.
    """
    if not (0 <= program <= 127 and 1 <= velocity <= 127 and notes):
        raise InvalidInputError("program must be 0-127, velocity 1-127, and notes non-empty")
    sounding = int(TICKS_PER_BEAT * legato)
    events = _variable_length(0) + b"\xff\x51\x03" + int(beat_seconds * 1e6).to_bytes(3, "big")  # tempo
    events += _variable_length(0) + bytes([0xC0, program])  # program change, channel 0
    delay = 0  # ticks of silence before the next event (the rest after the previous note)
    for note in notes:
        events += _variable_length(delay) + bytes([0x90, note, velocity])  # note on
        events += _variable_length(sounding) + bytes([0x80, note, 0])  # note off
        delay = TICKS_PER_BEAT - sounding
    events += _variable_length(delay) + b"\xff\x2f\x00"  # end of track
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS_PER_BEAT)
    return header + b"MTrk" + struct.pack(">I", len(events)) + events


def render_midi(midi: bytes, path: Path) -> None:
    """Render MIDI bytes to a 16 kHz wav file at ``path`` with fluidsynth and the TimGM6mb soundfont (no reverb)."""
    fluidsynth = require_program("fluidsynth", "fluidsynth")
    if not SOUNDFONT.exists():
        raise RuntimeError(
            f"{SOUNDFONT} not found (Debian package timgm6mb-soundfont): run scripts/install_system_deps.sh"
        )
    midi_path = path.with_suffix(".mid")
    midi_path.write_bytes(midi)
    command = [
        fluidsynth,
        "-ni",
        "-q",
        "-g",
        "0.8",
        "-R",
        "0",
        "-C",
        "0",
        "-r",
        str(SAMPLING_RATE),
        "-F",
        str(path),
        str(SOUNDFONT),
        str(midi_path),
    ]
    result = subprocess.run(command, check=False, capture_output=True, text=True)
    midi_path.unlink(missing_ok=True)
    if result.returncode != 0 or not path.exists():
        raise RuntimeError(f"fluidsynth failed: {result.stderr.strip()[-500:]}")


__all__ = ["SOUNDFONT", "midi_file", "render_midi"]
