"""Real recorded speech: Debian's asterisk core prompts (CC-BY-SA-3.0), 8 kHz studio recordings of IVR prompts.

Audio comes from the installed ``asterisk-core-sounds-{en,fr,es}-wav`` packages; transcripts from the frozen
``data/asterisk_transcripts.tsv``. The same prompt key across languages gives speech translation pairs with
audio on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import soundfile as sf

from .text_sources import asterisk_prompts

SOUNDS_DIR = Path("/usr/share/asterisk/sounds")
# language -> (folder under SOUNDS_DIR, speaker id used in the corpus)
RECORDINGS = {
    "en": ("en_US_f_Allison", "asterisk_en_allison"),
    "fr": ("fr_CA_f_June", "asterisk_fr_june"),
    "es": ("es_MX_f_Allison", "asterisk_es_allison"),
}


@dataclass(frozen=True)
class PromptRecording:
    """One recorded prompt in one language: its key, transcript, wav path, speaker id and duration."""

    key: str
    language: str
    text: str
    path: str
    speaker: str
    seconds: float


def require_recordings(language: str) -> Path:
    """The folder of ``language``'s recordings, or an error naming the package to install."""
    folder = SOUNDS_DIR / RECORDINGS[language][0]
    if not folder.is_dir():
        raise RuntimeError(
            f"{folder} not found (Debian package asterisk-core-sounds-{language}-wav): "
            "run scripts/install_system_deps.sh"
        )
    return folder


@cache
def prompt_recordings(language: str, max_seconds: float) -> dict[str, PromptRecording]:
    """``{key: PromptRecording}`` for every prompt of ``language`` whose wav exists and lasts <= ``max_seconds``."""
    folder, speaker = require_recordings(language), RECORDINGS[language][1]
    found = {}
    for prompt in asterisk_prompts():
        text, path = prompt.texts.get(language), folder / f"{prompt.key}.wav"
        if not text or not path.exists():
            continue
        seconds = sf.info(str(path)).duration
        if seconds <= max_seconds:
            found[prompt.key] = PromptRecording(prompt.key, language, text, str(path), speaker, seconds)
    return found


__all__ = ["RECORDINGS", "PromptRecording", "prompt_recordings", "require_recordings"]
