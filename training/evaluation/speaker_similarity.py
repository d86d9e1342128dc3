"""Speaker similarity (the paper's SECS) with Resemblyzer's d-vector encoder, when it is installed.

Resemblyzer (GE2E speaker encoder, Wan et al. 2018) ships its 256-d model inside its wheel, so it runs offline. It
is optional: ``pip install resemblyzer && pip install webrtcvad-wheels`` (the second replaces the ``webrtcvad``
module, whose plain release imports ``pkg_resources``, which recent setuptools no longer provides). Without it,
the harness skips the metric and says so in the report.

    scorer = SpeakerSimilarity()
    scorer.similarity(generated, reference, sampling_rate=16000)   # cosine of the two utterance embeddings
"""

from __future__ import annotations

import math
import warnings

import numpy as np

INSTALL_HINT = "pip install resemblyzer && pip install webrtcvad-wheels"


def resemblyzer_available() -> bool:
    """True when ``resemblyzer`` (and the ``webrtcvad`` module it needs) can be imported."""
    try:
        import resemblyzer  # noqa: F401
    except ImportError:
        return False
    return True


class SpeakerSimilarity:
    """Cosine similarity of Resemblyzer utterance embeddings (L2-normalised, so the cosine is a dot product)."""

    def __init__(self, device: str = "cpu"):
        try:
            from resemblyzer import VoiceEncoder
        except ImportError as error:
            raise ImportError(
                f"Speaker similarity needs Resemblyzer: {INSTALL_HINT}. Import failed with: {error}"
            ) from None
        self._encoder = VoiceEncoder(device, verbose=False)

    def embed(self, audio, sampling_rate: int) -> np.ndarray | None:
        """The 256-d embedding of one mono float clip, or None when no speech is left after Resemblyzer's
        voice-activity trimming (silence, a clip shorter than one analysis window)."""
        from resemblyzer import preprocess_wav

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # log10(0) and overflow warnings of its loudness normalisation on silence
            wav = preprocess_wav(np.asarray(audio, dtype=np.float32), source_sr=sampling_rate)
            if wav.size == 0 or not np.isfinite(wav).all() or not wav.any():
                return None
            try:
                return self._encoder.embed_utterance(wav)
            except (ValueError, RuntimeError, IndexError):
                return None

    def similarity(self, audio, reference, sampling_rate: int) -> float:
        """Cosine similarity in [-1, 1] of two clips of the same rate; NaN when either has no usable speech."""
        a, b = self.embed(audio, sampling_rate), self.embed(reference, sampling_rate)
        if a is None or b is None:
            return math.nan
        return float(np.dot(a, b))


__all__ = ["INSTALL_HINT", "SpeakerSimilarity", "resemblyzer_available"]
