"""mt: English text -> German, French or Spanish text (human translations: gettext catalogs, asterisk prompts)."""

from __future__ import annotations

from ..splits import sentence_split
from ..text_sources import asterisk_prompts, gettext_pairs
from .common import BuildPlan, PlannedRow, pick_balanced, short_id


def _row(source: str, target: str, language: str, origin: str) -> PlannedRow:
    return PlannedRow(
        "mt",
        f"mt-{origin}-en-{language}-{short_id(source, target)}",
        sentence_split(source),
        columns={"text": source, "target_text": target, "language": language},
    )


def plan_mt(plan: BuildPlan) -> list[PlannedRow]:
    groups = []
    for language in ("de", "fr", "es"):
        rows = [_row(pair.source, pair.target, language, "gettext") for pair in gettext_pairs(language)]
        rows += [
            _row(p.texts["en"], p.texts[language], language, "asterisk")
            for p in asterisk_prompts()
            if language in p.texts and len(p.texts["en"].split()) >= 2
        ]
        groups.append(rows)
    return pick_balanced(groups, plan, task="mt")
