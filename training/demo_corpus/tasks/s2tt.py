"""s2tt: English speech -> text in another language.

en->fr and en->es: real asterisk prompts with the target-language recording of the same prompt in
``target_audio``; en->de: synthetic English speech of gettext sentences with their human German translation.
``text`` holds the English transcript. One third of the rows per language where the sources allow.
"""

from __future__ import annotations

from ..asterisk import prompt_recordings
from ..sources import Recording, Speech
from ..splits import sentence_split
from ..text_sources import gettext_pairs
from .common import (
    MAX_RECORDING_SECONDS,
    BuildPlan,
    PlannedRow,
    pick_balanced,
    short_id,
    voice_for,
)


def _asterisk_pairs(language: str) -> list[PlannedRow]:
    english = prompt_recordings("en", MAX_RECORDING_SECONDS)
    rows = []
    for key, target in prompt_recordings(language, MAX_RECORDING_SECONDS).items():
        source = english.get(key)
        if source is None:
            continue
        rows.append(
            PlannedRow(
                "s2tt",
                f"s2tt-asterisk-en-{language}-{key.replace('/', '-')}",
                sentence_split(source.text),
                audio=Recording(source.path),
                target_audio=Recording(target.path),
                columns={
                    "text": source.text,
                    "target_text": target.text,
                    "language": language,
                    "speaker": source.speaker,
                },
            )
        )
    return rows


def _synthetic_pairs(plan: BuildPlan, language: str) -> list[PlannedRow]:
    rows = []
    for pair in gettext_pairs(language):
        split = sentence_split(pair.source)
        voice = voice_for(pair.source, split, plan.seed)
        rows.append(
            PlannedRow(
                "s2tt",
                f"s2tt-{voice}-en-{language}-{short_id(pair.source)}",
                split,
                audio=Speech(voice, pair.source),
                columns={"text": pair.source, "target_text": pair.target, "language": language, "speaker": voice},
            )
        )
    return rows


def plan_s2tt(plan: BuildPlan) -> list[PlannedRow]:
    return pick_balanced(
        [_asterisk_pairs("fr"), _asterisk_pairs("es"), _synthetic_pairs(plan, "de")], plan, task="s2tt"
    )
