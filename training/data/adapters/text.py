"""Adapters of parallel text corpora for ``mt``: WMT and OPUS-100.

Both publish one ``translation`` column holding a ``{language code: sentence}`` dict per pair, with one config per
language pair (``wmt/wmt14`` ``de-en``; ``Helsinki-NLP/opus-100`` ``de-en``), splits train, validation, test.
Which side is the source is an option: ``options={"source_language": "en", "target_language": "de"}``.
"""

from __future__ import annotations

from ....errors import InvalidInputError
from ..schema import make_example
from .base import DatasetAdapter, register_adapter
from .speech import row_id


def translation_pair(row: dict, key: str, adapter: DatasetAdapter) -> list[dict]:
    """A ``{lang: sentence}`` dict -> one ``mt`` row (source text in, target text out, ``language`` = target)."""
    pair = adapter.value(row, "translation") or {}
    source, target = adapter.options["source_language"], adapter.options["target_language"]
    if source not in pair or target not in pair:
        raise InvalidInputError(
            f"{adapter.name}: translation {sorted(pair)} lacks {source!r} or {target!r}. Pick the languages of this "
            f"config: get_adapter({adapter.name!r}).with_options(config=..., options={{'source_language': ..., "
            "'target_language': ...}})."
        )
    if not pair[source] or not pair[target]:
        return []
    return [
        make_example(
            "mt",
            row_id(adapter, row, key),
            text=pair[source].strip(),
            target_text=pair[target].strip(),
            language=target,
        )
    ]


WMT14 = register_adapter(
    DatasetAdapter(
        name="wmt14",
        hub_id="wmt/wmt14",
        task="mt",
        convert=translation_pair,
        config="de-en",
        columns={"translation": "translation"},
        audio_roles=(),
        required_roles=("translation",),
        options={"source_language": "en", "target_language": "de"},
        description="WMT14 news translation; config de-en / fr-en / ... (source and target set by options)",
    )
)
OPUS100 = register_adapter(
    DatasetAdapter(
        name="opus100",
        hub_id="Helsinki-NLP/opus-100",
        task="mt",
        convert=translation_pair,
        config="de-en",
        columns={"translation": "translation"},
        audio_roles=(),
        required_roles=("translation",),
        options={"source_language": "en", "target_language": "de"},
        description="OPUS-100 English-centric translation pairs; config <xx>-<yy> sorted alphabetically (de-en, en-zh)",
    )
)


__all__ = ["OPUS100", "WMT14", "translation_pair"]
