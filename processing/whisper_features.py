"""Log-mel features for the Whisper audio tower, with transformers' ``WhisperFeatureExtractor``.

The window (``LauraGPTConfig.audio_window``) decides how much silence follows each clip: ``"30s"`` pads every clip
to Whisper's 30 s training window (exactly what ``WhisperFeatureExtractor(padding="max_length")`` does), ``"Ns"``
to at least N seconds, ``"clip"`` not at all. Each clip's features are computed alone, on the clip plus its
silence, so they never depend on the other clips of the batch; the batch is then right-padded with zeros to its
longest window, and the tower masks that padding.

A clip of ``N`` samples has ``N // hop_length`` speech frames (``audio_lengths.whisper_mel_frames``): they are the
ones that become ``<|audio|>`` placeholders. Its window frames are ``whisper_mel_frames(whisper_window_samples(N))``.
"""

from __future__ import annotations

import numpy as np
import torch
from transformers import WhisperFeatureExtractor

from ..audio_lengths import length_mask, whisper_mel_frames, whisper_window_samples


def whisper_features(
    extractor: WhisperFeatureExtractor, waveforms: list[torch.Tensor], window: str
) -> dict[str, torch.Tensor]:
    """
    extractor : the processor's ``WhisperFeatureExtractor``
    waveforms : mono float clips at ``extractor.sampling_rate``, each at most ``extractor.chunk_length`` seconds
    window : ``"30s"``, ``"Ns"`` or ``"clip"``
    returns : ``input_features`` (clips, feature_size, frames) float32, frames = the longest window's, and
        ``input_features_mask`` (clips, frames) long, 1 on each clip's speech frames (not on its silence)
    """
    rate, hop = extractor.sampling_rate, extractor.hop_length
    arrays = [np.asarray(w, dtype=np.float32) for w in waveforms]
    speech = [int(whisper_mel_frames(len(a), hop)) for a in arrays]
    windows = [np.pad(a, (0, whisper_window_samples(len(a), window, rate) - len(a))) for a in arrays]
    alone = [
        extractor(w, sampling_rate=rate, padding="longest", return_tensors="np")["input_features"][0] for w in windows
    ]
    features = torch.zeros(len(arrays), extractor.feature_size, max(f.shape[-1] for f in alone))
    for row, clip_features in enumerate(alone):
        features[row, :, : clip_features.shape[-1]] = torch.from_numpy(clip_features)
    mask = length_mask(torch.tensor(speech), features.shape[-1]).long()
    return {"input_features": features, "input_features_mask": mask}


__all__ = ["whisper_features"]
