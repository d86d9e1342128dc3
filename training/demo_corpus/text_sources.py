"""The frozen texts of the demo corpus (``data/*.tsv``, see ``data/PROVENANCE.md``) and how they are read."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
MAX_SPOKEN_WORDS = 15  # longer prompts would take over ~6 s to say


def clean_text(text: str) -> str:
    """Collapse whitespace (the asterisk transcripts use double spaces between sentences) and strip."""
    return re.sub(r"\s+", " ", text).strip()


def read_tsv(name: str) -> list[dict[str, str]]:
    """Rows of ``data/<name>`` as dicts keyed by the header (UTF-8, tab-separated, no quoting)."""
    path = DATA_DIR / name
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: it ships with the package (re-create it with "
            "`python -m modeling_lauragpt.training.demo_corpus.freeze_sources`)."
        )
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


@dataclass(frozen=True)
class Prompt:
    """One asterisk prompt: its file key (e.g. ``vm-then-pound``) and its transcript per language."""

    key: str
    texts: dict[str, str]


@dataclass(frozen=True)
class TextPair:
    """An English sentence with a human translation into ``language``, and where it comes from."""

    source: str
    target: str
    language: str
    origin: str


def asterisk_prompts() -> list[Prompt]:
    """Every asterisk prompt with an English transcript (French/Spanish ones where they exist)."""
    prompts = []
    for row in read_tsv("asterisk_transcripts.tsv"):
        texts = {lang: row[lang] for lang in ("en", "fr", "es") if row.get(lang)}
        if "en" in texts:
            prompts.append(Prompt(row["key"], texts))
    return prompts


def gettext_pairs(language: str) -> list[TextPair]:
    """English -> ``language`` (de, fr or es) pairs from the frozen gettext catalogs."""
    return [
        TextPair(row["en"], row[language], language, f"gettext:{row['catalog']}")
        for row in read_tsv("gettext_pairs.tsv")
        if row.get(language)
    ]


def frozen_characters() -> str:
    """Every character of the frozen texts (sorted), so a tokenizer's alphabet can cover them all."""
    text = "".join(path.read_text(encoding="utf-8") for path in sorted(DATA_DIR.glob("*.tsv")))
    return "".join(sorted(set(text) - set(" \t\n")))


def english_sentences() -> list[str]:
    """Distinct English sentences for speech synthesis: asterisk prompts of 3 to ``MAX_SPOKEN_WORDS`` words, then
    gettext sentences (4-12 words by construction)."""
    seen, sentences = set(), []
    candidates = [p.texts["en"] for p in asterisk_prompts() if 3 <= len(p.texts["en"].split()) <= MAX_SPOKEN_WORDS]
    candidates += [row["en"] for row in read_tsv("gettext_pairs.tsv")]
    for text in candidates:
        if text.lower() not in seen:
            seen.add(text.lower())
            sentences.append(text)
    return sentences


__all__ = [
    "DATA_DIR",
    "Prompt",
    "TextPair",
    "asterisk_prompts",
    "clean_text",
    "english_sentences",
    "frozen_characters",
    "gettext_pairs",
    "read_tsv",
]
