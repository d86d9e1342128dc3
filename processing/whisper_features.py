"""Log-mel features for the Whisper audio tower, with transformers' ``WhisperFeatureExtractor``.

Two windows (``LauraGPTConfig.audio_window``):

- ``"30s"``: every clip is padded with silence to Whisper's 30 s window, as Whisper was trained;
- ``"clip"``: each clip's features are computed alone (no padding, so its last frames never depend on the other
  clips of the batch), then the batch is right-padded with zeros to its longest clip; the tower masks the padding.

Either way a clip of ``N`` samples has ``N // hop_length`` real frames (``audio_lengths.whisper_mel_frames``).
"""

from __future__ import annotations

import numpy as np
import torch
from transformers import WhisperFeatureExtractor

from ..audio_lengths import whisper_mel_frames


def whisper_features(extractor: WhisperFeatureExtractor, waveforms: list[torch.Tensor], window: str) -> dict[str, torch.Tensor]:
    """
    extractor : the processor's ``WhisperFeatureExtractor``
    waveforms : mono float clips at ``extractor.sampling_rate``, each at most ``extractor.chunk_length`` seconds
    window : ``"clip"`` or ``"30s"``
    returns : ``input_features`` (clips, feature_size, frames) float32 and ``input_features_mask`` (clips, frames)
        long, 1 on each clip's real frames; frames = 3000 for "30s", the longest clip's for "clip"
    """
    arrays = [np.asarray(w, dtype=np.float32) for w in waveforms]
    real = [int(whisper_mel_frames(len(a), extractor.hop_length)) for a in arrays]
    rate = extractor.sampling_rate
    if window == "30s":
        features = extractor(arrays, sampling_rate=rate, padding="max_length", return_tensors="np")["input_features"]
        features = torch.from_numpy(np.ascontiguousarray(features))
    elif window == "clip":
        alone = [extractor(a, sampling_rate=rate, padding="longest", return_tensors="np")["input_features"][0] for a in arrays]
        features = torch.zeros(len(arrays), extractor.feature_size, max(real))
        for row, clip_features in enumerate(alone):
            features[row, :, : clip_features.shape[-1]] = torch.from_numpy(clip_features)
    else:
        raise ValueError(f"Unknown Whisper window {window!r}; use 'clip' or '30s'.")
    mask = (torch.arange(features.shape[-1])[None, :] < torch.tensor(real)[:, None]).long()
    return {"input_features": features.float(), "input_features_mask": mask}


__all__ = ["whisper_features"]
