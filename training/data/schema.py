"""The one example format every LauraGPT dataset is mapped to, whatever task and source it comes from.

A row (all columns present in every row so that tasks can be interleaved; unused ones are ``None``):

================  =============================  ==============================================================
column            type                           meaning
================  =============================  ==============================================================
``id``            string                         unique, stable id (source + utterance id)
``task``          string                         one of the task names (``asr``, ``s2tt``, ``tts``, ``se``, ...)
``audio``         ``datasets.Audio`` (16 kHz)    input audio: speech (asr, s2tt, slu, ser), noisy speech (se),
                                                 any sound (aac)
``text``          string                         input text (tts, mt)
``target_text``   string                         text output (asr, s2tt, aac, ser label, slu "intent | k=v", mt)
``target_audio``  ``datasets.Audio`` (16 kHz)    audio output: speech of ``text`` (tts), clean speech (se); may
                                                 also hold the target-language speech of an s2tt pair
``language``      string                         target language of translation tasks (``"de"``, ``"fr"``)
``speaker``       string                         voice / speaker id (held-out voices are chosen from it)
``target_codes``  list[list[int]]                all-group codec codes of ``target_audio`` (quantizers, frames),
                                                 added by ``add_target_codes``; the LLM learns the first row
================  =============================  ==============================================================
"""

from __future__ import annotations

from datasets import Audio, Features, List, Value

from ...audio import SAMPLING_RATE
from ...errors import InvalidInputError

COLUMNS = ("id", "task", "audio", "text", "target_text", "target_audio", "language", "speaker")
CODES_COLUMN = "target_codes"


def example_features(sampling_rate: int = SAMPLING_RATE, with_codes: bool = False) -> Features:
    """``datasets.Features`` of the canonical format (``target_codes`` only when ``with_codes``)."""
    features = {
        "id": Value("string"),
        "task": Value("string"),
        "audio": Audio(sampling_rate=sampling_rate),
        "text": Value("string"),
        "target_text": Value("string"),
        "target_audio": Audio(sampling_rate=sampling_rate),
        "language": Value("string"),
        "speaker": Value("string"),
    }
    if with_codes:
        features[CODES_COLUMN] = List(List(Value("int32")))
    return Features(features)


def make_example(task: str, id: str, **columns) -> dict:
    """A canonical row: the given columns, every other column ``None``. Unknown column names are refused."""
    unknown = set(columns) - set(COLUMNS) - {CODES_COLUMN}
    if unknown:
        raise InvalidInputError(
            f"Unknown example column(s) {sorted(unknown)}; the canonical columns are {list(COLUMNS)}."
        )
    row = dict.fromkeys(COLUMNS)
    row.update(columns, task=task, id=id)
    return row


__all__ = ["CODES_COLUMN", "COLUMNS", "SAMPLING_RATE", "example_features", "make_example"]
