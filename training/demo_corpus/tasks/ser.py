"""ser: speech -> emotion label. The labels are SYNTHETIC: emotion-neutral sentences are spoken by flite voices
whose prosody is set per label (after common descriptions of acted emotional speech):

- neutral: the voice's own pitch, tempo and level;
- happy: higher, more variable pitch, slightly faster, a little louder;
- sad: lower, flat pitch, slower, quieter;
- angry: somewhat higher, variable pitch, fast, loud.

Each row jitters the settings by a few percent. Only voices that honour flite's pitch targets are used.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..audio import SPEECH_RMS_DBFS
from ..sources import Speech
from ..splits import row_rng, sentence_split
from ..text_sources import english_sentences
from ..voices import PROSODY_TRAIN_VOICES, VOICES, Prosody
from .common import BuildPlan, PlannedRow, pick_balanced, short_id, voice_for

MAX_WORDS = 10


@dataclass(frozen=True)
class Style:
    """An emotion as factors on the voice's neutral pitch mean and spread, a duration factor and a level change."""

    pitch: float
    spread: float
    stretch: float
    level_db: float


EMOTIONS = {
    "neutral": Style(pitch=1.0, spread=1.0, stretch=1.0, level_db=0.0),
    "happy": Style(pitch=1.3, spread=2.2, stretch=0.88, level_db=2.0),
    "sad": Style(pitch=0.85, spread=0.35, stretch=1.3, level_db=-6.0),
    "angry": Style(pitch=1.15, spread=1.6, stretch=0.8, level_db=6.0),
}


def acted_speech(voice_name: str, text: str, emotion: str, seed: int) -> Speech:
    """``text`` spoken by ``voice_name`` in the prosody of ``emotion`` (jittered +-5 %, level +-1.5 dB)."""
    voice, style, rng = VOICES[voice_name], EMOTIONS[emotion], row_rng(seed, "ser", voice_name, text, emotion)

    def jitter() -> float:
        return rng.uniform(0.95, 1.05)

    prosody = Prosody(
        duration_stretch=round(style.stretch * jitter(), 3),
        f0_mean_hz=round(voice.f0_mean_hz * style.pitch * jitter(), 1),
        f0_stddev_hz=round(voice.f0_stddev_hz * style.spread * jitter(), 1),
    )
    return Speech(
        voice_name, text, prosody, level_dbfs=round(SPEECH_RMS_DBFS + style.level_db + rng.uniform(-1.5, 1.5), 1)
    )


def plan_ser(plan: BuildPlan) -> list[PlannedRow]:
    sentences = [text for text in english_sentences() if len(text.split()) <= MAX_WORDS]
    groups = []
    for emotion in EMOTIONS:
        rows = []
        for text in sentences:
            split = sentence_split(text)
            voice = voice_for(f"{text}|{emotion}", split, plan.seed, voices=PROSODY_TRAIN_VOICES)
            rows.append(
                PlannedRow(
                    "ser",
                    f"ser-{voice}-{emotion}-{short_id(text)}",
                    split,
                    audio=acted_speech(voice, text, emotion, plan.seed),
                    columns={"text": text, "target_text": emotion, "speaker": voice},
                )
            )
        groups.append(rows)
    return pick_balanced(groups, plan, task="ser")
