"""slu: a spoken command -> ``intent | slot=value | ...`` (``modeling_lauragpt.slu_format.format_slu``).

Commands are templated (``slu_commands.py``) and spoken by the synthetic voices, so intents and slots are
SYNTHETIC labels. The same number of rows per intent where the templates allow; ``text`` holds the command.
Each training/validation command is spoken by two voices.
"""

from __future__ import annotations

from ....slu_format import format_slu
from ..slu_commands import TEMPLATES, commands
from ..sources import Speech
from ..splits import sentence_split
from .common import BuildPlan, PlannedRow, pick_balanced, short_id, voices_for

VOICES_PER_COMMAND = 2  # training commands are spoken by two different voices (the test voice speaks each once)


def plan_slu(plan: BuildPlan) -> list[PlannedRow]:
    by_intent: dict[str, list[PlannedRow]] = {intent: [] for intent in TEMPLATES}
    for command in commands():
        split = sentence_split(command.text)
        target = format_slu(command.intent, dict(command.slots))
        for voice in voices_for(command.text, split, plan.seed, count=VOICES_PER_COMMAND):
            by_intent[command.intent].append(
                PlannedRow(
                    "slu",
                    f"slu-{voice}-{short_id(command.text)}",
                    split,
                    audio=Speech(voice, command.text),
                    columns={"text": command.text, "target_text": target, "speaker": voice},
                )
            )
    return pick_balanced(list(by_intent.values()), plan, task="slu")
