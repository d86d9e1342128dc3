"""Intelligibility of speech judged by an independent recogniser: pocketsphinx (CMU Sphinx, US English).

The paper scores TTS (and SE) content by running an ASR system on the generated speech and computing the WER
against the intended text. A model must not judge itself, so the judge here is pocketsphinx 5: a small HMM
recogniser whose US English acoustic model, dictionary and language model ship inside its wheel (no download,
about 0.3-0.6 s per utterance on one CPU core). It is an English-only, general-vocabulary judge: its absolute WER
is high even on natural speech, which is why the harness also reports its WER on the corpus' own reference speech
and the ratio of the two.

    recognizer = PocketsphinxRecognizer()
    recognizer.transcribe(waveform, sampling_rate=16000)          # "hello world"
    intelligibility([wave1, wave2], ["hello world", "good night"])  # {"wer": ..., "cer": ..., "hypotheses": [...]}
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...errors import InvalidInputError

RECOGNIZER_SAMPLING_RATE = 16000  # the acoustic model in the pocketsphinx wheel is a 16 kHz model
INSTALL_HINT = "pip install pocketsphinx  (or pip install 'lauragpt[eval]')"


def require_pocketsphinx():
    """Import and return the ``pocketsphinx`` module, or raise an ``ImportError`` that says how to install it."""
    try:
        import pocketsphinx
    except ImportError as error:
        raise ImportError(
            f"Scoring the intelligibility of generated speech (tts, se) needs the pocketsphinx recogniser: {INSTALL_HINT}. "
            f"Import failed with: {error}"
        ) from None
    return pocketsphinx


class PocketsphinxRecognizer:
    """One pocketsphinx decoder with the wheel's default US English models.

    Cepstral mean normalisation is computed per utterance (``cmn="batch"``) instead of pocketsphinx's default
    running estimate, so a transcript does not depend on which utterances were decoded before it.
    """

    def __init__(self):
        pocketsphinx = require_pocketsphinx()
        self._decoder = pocketsphinx.Decoder(samprate=RECOGNIZER_SAMPLING_RATE, cmn="batch", loglevel="FATAL")

    def transcribe(self, audio, sampling_rate: int = RECOGNIZER_SAMPLING_RATE) -> str:
        """The recognised words of one mono clip (float in [-1, 1] or int16), lower-case, ``""`` for none.

        Clips at another rate are resampled to 16 kHz; samples beyond full scale are clipped.
        """
        pcm = _to_pcm16(audio, sampling_rate)
        if pcm.size == 0:
            return ""
        self._decoder.start_utt()
        self._decoder.process_raw(pcm.tobytes(), full_utt=True)
        self._decoder.end_utt()
        hypothesis = self._decoder.hyp()
        return hypothesis.hypstr.strip().lower() if hypothesis is not None else ""


def _to_pcm16(audio, sampling_rate: int) -> np.ndarray:
    """A mono clip as int16 PCM at 16 kHz."""
    array = np.asarray(audio)
    if array.ndim != 1:
        raise InvalidInputError(
            f"pocketsphinx takes one mono clip of shape (samples,); got shape {array.shape}. Downmix it first."
        )
    if array.dtype == np.int16:
        array = array.astype(np.float32) / 32768.0
    array = array.astype(np.float32)
    if sampling_rate != RECOGNIZER_SAMPLING_RATE and array.size:
        import torch
        import torchaudio

        array = torchaudio.functional.resample(torch.from_numpy(array), sampling_rate, RECOGNIZER_SAMPLING_RATE).numpy()
    return np.round(np.clip(array, -1.0, 32767 / 32768) * 32768).astype(np.int16)


def intelligibility(
    audios: Sequence,
    texts: Sequence[str],
    sampling_rate: int = RECOGNIZER_SAMPLING_RATE,
    recognizer: PocketsphinxRecognizer | None = None,
) -> dict:
    """Corpus WER and CER of pocketsphinx's transcripts of ``audios`` against ``texts``.

    Both sides go through the harness' one text normaliser (``normalize_text``: lower-case, punctuation removed).
    Returns ``{"wer": float, "cer": float, "hypotheses": [str, ...]}`` (fractions; hypotheses in input order).
    """
    from ..metrics import compute_wer

    if len(audios) != len(texts):
        raise InvalidInputError(f"{len(audios)} clips but {len(texts)} texts")
    recognizer = recognizer or PocketsphinxRecognizer()
    hypotheses = [recognizer.transcribe(audio, sampling_rate) for audio in audios]
    return {**compute_wer(hypotheses, list(texts)), "hypotheses": hypotheses}


__all__ = [
    "INSTALL_HINT",
    "RECOGNIZER_SAMPLING_RATE",
    "PocketsphinxRecognizer",
    "intelligibility",
    "require_pocketsphinx",
]
