"""Adapters of audio understanding corpora: intents and slots (SLURP), captions (Clotho), emotions (IEMOCAP).

Hub schemas (column names as published):

====================================  ==========================================================================
SLURP (``qmeeus/slurp``)               audio, slurp_id, sentence, intent (``alarm_set``; a ClassLabel on some
                                       mirrors) and the bracketed annotation ``wake me up at [time : eight]``
                                       under ``sentence_annotation`` (SLURP's own name) or ``annotation``; an
                                       ``entities`` list of ``{"type", "filler"}`` is used instead when present;
                                       splits train, devel, test
Clotho (``LakoreAI/clotho-dev-sample``)  file_name, audio (44.1 kHz), caption_1 ... caption_5 (Clotho's CSV names)
IEMOCAP (``Zahra99/IEMOCAP_Audio``)    audio (16 kHz), label (ClassLabel ang / hap / neu / sad); splits
                                       session1 ... session5 (leave-one-session-out: train 1-4, test 5)
====================================  ==========================================================================
"""

from __future__ import annotations

import re

from ....slu_format import format_slu
from ..schema import make_example
from .base import DatasetAdapter, register_adapter
from .speech import row_id, speaker_of

_SPAN = re.compile(r"\[\s*([^\[\]:]+?)\s*:\s*([^\[\]]*?)\s*\]")


def annotation_slots(annotation: str) -> dict[str, str]:
    """``"wake me up at [time : eight] o'clock"`` -> ``{"time": "eight"}`` (repeated types joined by ``", "``)."""
    slots: dict[str, str] = {}
    for name, value in _SPAN.findall(annotation or ""):
        slots[name] = f"{slots[name]}, {value}" if name in slots else value
    return slots


def _entity_slots(entities) -> dict[str, str]:
    slots: dict[str, str] = {}
    for entity in entities:
        name = str(entity.get("type", "")).strip()
        value = str(entity.get("filler", entity.get("span", ""))).strip()
        if name:
            slots[name] = f"{slots[name]}, {value}" if name in slots else value
    return slots


def intent_and_slots(row: dict, key: str, adapter: DatasetAdapter) -> list[dict]:
    """A command -> one ``slu`` row whose target is ``format_slu(intent, slots)``."""
    intent = adapter.value(row, "intent")
    if intent is None:
        return []
    entities = adapter.value(row, "entities")
    slots = _entity_slots(entities) if entities else annotation_slots(adapter.value(row, "annotation", ""))
    return [
        make_example(
            "slu",
            row_id(adapter, row, key),
            audio=adapter.value(row, "audio"),
            target_text=format_slu(str(intent), slots),
            speaker=speaker_of(adapter, row),
        )
    ]


def captions(row: dict, key: str, adapter: DatasetAdapter) -> list[dict]:
    """A clip with several captions -> ``aac`` rows: one per caption (``options.captions == "all"``) or only the
    caption at index ``options.captions`` (an int)."""
    texts = [str(row[c]).strip() for c in adapter.options["caption_columns"] if row.get(c)]
    choice = adapter.options.get("captions", "all")
    if choice != "all":
        texts = texts[int(choice) : int(choice) + 1]
    base = row_id(adapter, row, key)
    return [
        make_example("aac", f"{base}#{k}", audio=adapter.value(row, "audio"), target_text=text)
        for k, text in enumerate(texts)
    ]


def emotion(row: dict, key: str, adapter: DatasetAdapter) -> list[dict]:
    """A clip with an emotion label -> one ``ser`` row; ``options.labels`` renames labels (``ang`` -> ``angry``)
    and labels it does not list are skipped when ``options.keep_unlisted`` is false."""
    label = adapter.value(row, "label")
    names = adapter.options.get("labels", {})
    if label is None or (label not in names and not adapter.options.get("keep_unlisted", True)):
        return []
    return [
        make_example(
            "ser",
            row_id(adapter, row, key),
            audio=adapter.value(row, "audio"),
            target_text=names.get(label, str(label)),
            speaker=speaker_of(adapter, row),
        )
    ]


SLURP = register_adapter(
    DatasetAdapter(
        name="slurp",
        hub_id="qmeeus/slurp",
        task="slu",
        convert=intent_and_slots,
        splits={"train": "train", "validation": "devel", "test": "test"},
        columns={
            "audio": "audio",
            "intent": "intent",
            "annotation": ("sentence_annotation", "annotation"),
            "entities": "entities",
            "id": ("recording", "file", "id"),
            "speaker": ("user_id", "speaker_id"),
        },
        required_roles=("intent",),
        description="SLURP smart-home commands: intent | slot=value targets (modeling_lauragpt.slu_format)",
    )
)
CLOTHO = register_adapter(
    DatasetAdapter(
        name="clotho",
        hub_id="LakoreAI/clotho-dev-sample",
        task="aac",
        convert=captions,
        splits={"validation": "test", "test": "test"},
        columns={"audio": "audio", "id": "file_name"},
        options={"caption_columns": [f"caption_{k}" for k in range(1, 6)], "captions": "all"},
        description="Clotho audio captioning: 5 captions per clip -> one row per caption (options.captions picks one)",
    )
)
IEMOCAP = register_adapter(
    DatasetAdapter(
        name="iemocap",
        hub_id="Zahra99/IEMOCAP_Audio",
        task="ser",
        convert=emotion,
        splits={"train": "session1+session2+session3+session4", "validation": "session5", "test": "session5"},
        columns={"audio": "audio", "label": "label"},
        required_roles=("label",),
        options={
            "labels": {"ang": "angry", "hap": "happy", "exc": "happy", "neu": "neutral", "sad": "sad"},
            "keep_unlisted": False,
        },
        description="IEMOCAP 4-class emotion (angry / happy / neutral / sad), sessions 1-4 train, 5 test",
    )
)


__all__ = ["CLOTHO", "IEMOCAP", "SLURP", "annotation_slots", "captions", "emotion", "intent_and_slots"]
