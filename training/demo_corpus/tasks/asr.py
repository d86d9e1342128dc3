"""asr: English speech -> its transcript. Real asterisk prompts (one studio voice) and synthetic voices, taken in
turn until the real ones run out. Each synthetic sentence is spoken by ``VOICES_PER_SENTENCE`` voices of the wider
ASR pool (flite, festival and espeak-ng), so a larger ASR split adds new voices, not repeats."""

from __future__ import annotations

from ..asterisk import prompt_recordings
from ..sources import Recording, Speech
from ..splits import sentence_split
from ..text_sources import english_sentences
from ..voices import ASR_TRAIN_VOICES
from .common import (
    MAX_RECORDING_SECONDS,
    BuildPlan,
    PlannedRow,
    pick_balanced,
    short_id,
    voices_for,
)

VOICES_PER_SENTENCE = 3


def plan_asr(plan: BuildPlan) -> list[PlannedRow]:
    real = [
        PlannedRow(
            "asr",
            f"asr-asterisk-en-{rec.key.replace('/', '-')}",
            sentence_split(rec.text),
            audio=Recording(rec.path),
            columns={"target_text": rec.text, "speaker": rec.speaker},
        )
        for rec in prompt_recordings("en", MAX_RECORDING_SECONDS).values()
    ]
    synthetic = []
    for text in english_sentences():
        split = sentence_split(text)
        for voice in voices_for(text, split, plan.seed, VOICES_PER_SENTENCE, voices=ASR_TRAIN_VOICES):
            synthetic.append(
                PlannedRow(
                    "asr",
                    f"asr-{voice}-{short_id(text)}",
                    split,
                    audio=Speech(voice, text),
                    columns={"target_text": text, "speaker": voice},
                )
            )
    return pick_balanced([real, synthetic], plan, task="asr")
