"""tts: English text -> speech of a synthetic voice (``speaker`` names it); the held-out voice only in test."""

from __future__ import annotations

from ..sources import Speech
from ..splits import sentence_split
from ..text_sources import english_sentences
from .common import BuildPlan, PlannedRow, pick_balanced, short_id, voice_for


def plan_tts(plan: BuildPlan) -> list[PlannedRow]:
    rows = []
    for text in english_sentences():
        split = sentence_split(text)
        voice = voice_for(text, split, plan.seed)
        rows.append(
            PlannedRow(
                "tts",
                f"tts-{voice}-{short_id(text)}",
                split,
                target_audio=Speech(voice, text),
                columns={"text": text, "speaker": voice},
            )
        )
    return pick_balanced([rows], plan, task="tts")
