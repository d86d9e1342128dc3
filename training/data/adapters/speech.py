"""Adapters of speech corpora: recognition (LibriSpeech, AISHELL), speech translation (CoVoST 2), synthesis
(LibriTTS) and enhancement (VoiceBank-DEMAND).

Hub schemas (column names as published):

=========================================  ==================================================================
``openslr/librispeech_asr`` (config clean)  file, audio (16 kHz), text (upper case), speaker_id, chapter_id, id;
                                            splits train.100, train.360, validation, test
AISHELL-1 mirrors (``carlot/AIShell``)      audio + the transcript under ``text``, ``transcription`` or
                                            ``sentence`` (mirrors differ: the first one present is used)
``facebook/covost2`` (config en_de)         client_id, file, audio, sentence (source transcript), translation, id
``mythicinfinity/libritts`` (config clean)  audio (24 kHz), text_normalized, text_original, speaker_id, path,
                                            chapter_id, id; splits train.clean.100/360, dev.clean, test.clean
``JacobLinCool/VoiceBank-DEMAND-16k``       id (``p226_001``), clean, noisy (16 kHz); splits train, test
=========================================  ==================================================================
"""

from __future__ import annotations

from ..schema import make_example
from .base import DatasetAdapter, register_adapter


def row_id(adapter: DatasetAdapter, row: dict, key: str) -> str:
    """``"<adapter>/<source id>"``, or ``"<adapter>/<split>-<position>"`` when the source row has no id."""
    source_id = adapter.value(row, "id")
    return f"{adapter.name}/{source_id if source_id not in (None, '') else key}"


def speaker_of(adapter: DatasetAdapter, row: dict) -> str | None:
    """The row's speaker id as a string (``None`` without a speaker column)."""
    speaker = adapter.value(row, "speaker")
    return None if speaker is None else str(speaker)


def speech_to_text(row: dict, key: str, adapter: DatasetAdapter) -> list[dict]:
    """A transcribed clip -> one ``asr`` row (``options.remove_spaces`` joins characters of Chinese transcripts)."""
    text = adapter.value(row, "text")
    if text is None:
        return []
    text = str(text).strip()
    if adapter.options.get("remove_spaces"):
        text = "".join(text.split())
    return [
        make_example(
            adapter.task,
            row_id(adapter, row, key),
            audio=adapter.value(row, "audio"),
            target_text=text,
            speaker=speaker_of(adapter, row),
        )
    ]


def translated_speech(row: dict, key: str, adapter: DatasetAdapter) -> list[dict]:
    """A clip with its translation -> one ``s2tt`` row; ``language`` is ``options.target_language``, else the part
    of the config after ``_`` (CoVoST's ``en_de`` -> ``de``)."""
    translation = adapter.value(row, "translation")
    if translation is None:
        return []
    language = adapter.options.get("target_language") or (adapter.config or "").rpartition("_")[2] or None
    return [
        make_example(
            "s2tt",
            row_id(adapter, row, key),
            audio=adapter.value(row, "audio"),
            target_text=str(translation).strip(),
            language=language,
            speaker=speaker_of(adapter, row),
        )
    ]


def text_to_speech(row: dict, key: str, adapter: DatasetAdapter) -> list[dict]:
    """A clip with its text -> one ``tts`` row: the text is the input, the clip the target."""
    text = adapter.value(row, "text")
    if text is None:
        return []
    return [
        make_example(
            "tts",
            row_id(adapter, row, key),
            text=str(text).strip(),
            target_audio=adapter.value(row, "audio"),
            speaker=speaker_of(adapter, row),
        )
    ]


def noisy_to_clean(row: dict, key: str, adapter: DatasetAdapter) -> list[dict]:
    """A noisy/clean pair -> one ``se`` row; VoiceBank ids (``p226_001``) start with the speaker."""
    source_id = str(adapter.value(row, "id", ""))
    speaker = source_id.split("_")[0] if "_" in source_id else None
    return [
        make_example(
            "se",
            row_id(adapter, row, key),
            audio=adapter.value(row, "noisy"),
            target_audio=adapter.value(row, "clean"),
            speaker=speaker,
        )
    ]


LIBRISPEECH = register_adapter(
    DatasetAdapter(
        name="librispeech",
        hub_id="openslr/librispeech_asr",
        task="asr",
        convert=speech_to_text,
        config="clean",
        splits={"train": "train.100", "validation": "validation", "test": "test"},
        columns={"audio": "audio", "text": "text", "speaker": "speaker_id", "id": "id"},
        required_roles=("text",),
        description="LibriSpeech read English speech (960 h); config clean/other/all",
    )
)
AISHELL = register_adapter(
    DatasetAdapter(
        name="aishell",
        hub_id="carlot/AIShell",
        task="asr",
        convert=speech_to_text,
        splits={"validation": "validation", "test": "test"},
        columns={
            "audio": "audio",
            "text": ("text", "transcription", "sentence"),
            "speaker": ("speaker_id", "speaker"),
            "id": ("id", "utt_id", "key"),
        },
        required_roles=("text",),
        options={"remove_spaces": True},
        description="AISHELL-1 Mandarin read speech (178 h); spaces between characters are removed",
    )
)
COVOST2 = register_adapter(
    DatasetAdapter(
        name="covost2",
        hub_id="facebook/covost2",
        task="s2tt",
        convert=translated_speech,
        config="en_de",
        columns={"audio": "audio", "translation": "translation", "speaker": "client_id", "id": "id"},
        required_roles=("translation",),
        description="CoVoST 2 speech translation on Common Voice; config <source>_<target> (en_de, en_zh-CN, fr_en...)",
    )
)
LIBRITTS = register_adapter(
    DatasetAdapter(
        name="libritts",
        hub_id="mythicinfinity/libritts",
        task="tts",
        convert=text_to_speech,
        config="clean",
        splits={"train": "train.clean.100", "validation": "dev.clean", "test": "test.clean"},
        columns={"audio": "audio", "text": "text_normalized", "speaker": "speaker_id", "id": "id"},
        required_roles=("text",),
        description="LibriTTS multi-speaker English TTS corpus (24 kHz, resampled to 16 kHz)",
    )
)
VOICEBANK_DEMAND = register_adapter(
    DatasetAdapter(
        name="voicebank_demand",
        hub_id="JacobLinCool/VoiceBank-DEMAND-16k",
        task="se",
        convert=noisy_to_clean,
        splits={"train": "train", "validation": "test", "test": "test"},  # the corpus has no validation split
        columns={"noisy": "noisy", "clean": "clean", "id": "id"},
        audio_roles=("noisy", "clean"),
        description="VoiceBank+DEMAND noisy/clean speech pairs (16 kHz); validation = its test split",
    )
)


__all__ = [
    "AISHELL",
    "COVOST2",
    "LIBRISPEECH",
    "LIBRITTS",
    "VOICEBANK_DEMAND",
    "noisy_to_clean",
    "row_id",
    "speaker_of",
    "speech_to_text",
    "text_to_speech",
    "translated_speech",
]
