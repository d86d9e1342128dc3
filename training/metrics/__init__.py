"""Evaluation metrics of the paper's tasks: local ``evaluate`` modules and the plain functions behind them.

Each folder here (``wer/wer.py``, ``bleu/bleu.py``, ...) is an ``evaluate`` metric module; ``load_metric(name)``
loads it by absolute path, so nothing is fetched from the Hub::

    from modeling_lauragpt.training.metrics import load_metric, compute_wer

    wer = load_metric("wer")
    wer.add_batch(predictions=["a x c"], references=["a b c"])
    wer.compute()                                   # {"wer": 0.333..., "cer": 0.2}
    compute_wer(["a x c"], ["a b c"])                # the same numbers, without evaluate

| name             | task            | keys                                                      |
|------------------|-----------------|-----------------------------------------------------------|
| ``wer``          | asr (se, tts)   | wer, cer                                                  |
| ``bleu``         | s2tt, mt        | bleu, chrf                                                |
| ``classification`` | ser           | wa, ua, wf1                                               |
| ``slu``          | slu             | intent_accuracy, slu_f1, slot_precision, slot_recall      |
| ``captioning``   | aac             | bleu_1..bleu_4, rouge_l, cider (+ meteor)                 |
| ``speech_quality`` | se, tts       | pesq, stoi, si_sdr                                        |
"""

from __future__ import annotations

import os

from ...errors import InvalidInputError
from .functional import (
    caption_tokenize,
    char_distance,
    compute_bleu,
    compute_captioning,
    compute_classification,
    compute_slu,
    compute_speech_quality,
    compute_wer,
    normalize_text,
    pesq_wb,
    si_sdr,
    slot_distance_counts,
    stoi,
    word_distance,
)

METRICS = ("wer", "bleu", "classification", "slu", "captioning", "speech_quality")
_HERE = os.path.dirname(os.path.abspath(__file__))


def metric_path(name: str) -> str:
    """Absolute path of the folder of the metric module ``name`` (folder name == script name, as evaluate wants)."""
    if name not in METRICS:
        raise InvalidInputError(f"unknown metric {name!r}; available: {', '.join(METRICS)}")
    return os.path.join(_HERE, name)


def load_metric(name: str, **kwargs):
    """``evaluate.load`` of the local module ``name`` (one of ``METRICS``); ``kwargs`` go to ``evaluate.load``."""
    import evaluate

    return evaluate.load(metric_path(name), **kwargs)


__all__ = [
    "METRICS",
    "caption_tokenize",
    "char_distance",
    "compute_bleu",
    "compute_captioning",
    "compute_classification",
    "compute_slu",
    "compute_speech_quality",
    "compute_wer",
    "load_metric",
    "metric_path",
    "normalize_text",
    "pesq_wb",
    "si_sdr",
    "slot_distance_counts",
    "stoi",
    "word_distance",
]
