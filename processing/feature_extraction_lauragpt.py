"""LauraGPT feature extractor: FunASR's ``WavFrontend`` (Kaldi fbank -> low frame rate stacking -> global CMVN).

Recipe, per clip (16 kHz mono, float in [-1, 1])::

    waveform * 2**15 -> torchaudio.compliance.kaldi.fbank (80 mel bins, 25 ms hamming window, 10 ms shift,
    snip_edges, energy_floor 0, other Kaldi defaults: pre-emphasis 0.97, DC removal, 512-point FFT, power
    spectrum, log) -> LFR (stack 7 frames, shift 6: 560-d every 60 ms) -> (x - cmvn_mean) * cmvn_istd

Frame counts come from ``modeling_lauragpt.audio_lengths``, the one length formula shared with the processor
and the model.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from numbers import Real

import numpy as np
import torch
import torchaudio
from transformers import BatchFeature, SequenceFeatureExtractor
from transformers.utils import logging

from ..audio import (
    FBANK_FRAME_LENGTH_MS,
    FBANK_FRAME_SHIFT_MS,
    SAMPLING_RATE,
    to_mono_waveform,
    unpack_clip,
)
from ..audio_lengths import fbank_num_frames, length_mask, lfr_num_frames
from ..errors import InvalidInputError

logger = logging.get_logger(__name__)

INT16_SCALE = 2.0**15  # FunASR scales [-1, 1] audio to int16 range before the fbank
MIN_CMVN_STD = 1e-5  # floor on the standard deviation fitted by ``fit_cmvn``


class LauraGPTFeatureExtractor(SequenceFeatureExtractor):
    r"""Kaldi fbank + LFR + global CMVN features, exactly FunASR's ``WavFrontend``.

    Args:
        sampling_rate (`int`, defaults to 16000): rate (Hz) the features are computed at; other rates are resampled.
        num_mel_bins (`int`, defaults to 80): mel filters per fbank frame.
        frame_length_ms (`float`, defaults to 25.0): analysis window length in milliseconds.
        frame_shift_ms (`float`, defaults to 10.0): hop between fbank frames in milliseconds.
        window_type (`str`, defaults to `"hamming"`): Kaldi window name.
        dither (`float`, defaults to 0.0): Kaldi dither amplitude, in int16 sample units (0 = deterministic).
        lfr_m (`int`, defaults to 7): fbank frames stacked into one LFR frame.
        lfr_n (`int`, defaults to 6): LFR shift in fbank frames (6 x 10 ms = 60 ms per feature frame).
        cmvn_mean (`list[float]`, *optional*): global mean per feature dim (`feature_size` values), or `None`.
        cmvn_istd (`list[float]`, *optional*): global 1 / std per feature dim, or `None`.
        max_duration_s (`float`, defaults to 300.0): longest accepted clip in seconds (`None`: no limit).
        padding_value (`float`, defaults to 0.0): value of padded feature frames.

    `feature_size = num_mel_bins * lfr_m` (560 by default).
    """

    model_input_names = ["input_features", "input_features_mask"]

    def __init__(
        self,
        sampling_rate: int = SAMPLING_RATE,
        num_mel_bins: int = 80,
        frame_length_ms: float = FBANK_FRAME_LENGTH_MS,
        frame_shift_ms: float = FBANK_FRAME_SHIFT_MS,
        window_type: str = "hamming",
        dither: float = 0.0,
        lfr_m: int = 7,
        lfr_n: int = 6,
        cmvn_mean: list[float] | None = None,
        cmvn_istd: list[float] | None = None,
        max_duration_s: float | None = 300.0,
        padding_value: float = 0.0,
        **kwargs,
    ):
        feature_size = num_mel_bins * lfr_m
        saved_size = kwargs.pop("feature_size", feature_size)  # present in saved configs; derived, not free
        if saved_size != feature_size:
            raise InvalidInputError(f"feature_size={saved_size} does not match num_mel_bins * lfr_m = {feature_size}.")
        kwargs.setdefault("return_attention_mask", True)
        super().__init__(feature_size=feature_size, sampling_rate=sampling_rate, padding_value=padding_value, **kwargs)
        self.num_mel_bins = num_mel_bins
        self.frame_length_ms = frame_length_ms
        self.frame_shift_ms = frame_shift_ms
        self.window_type = window_type
        self.dither = dither
        self.lfr_m = lfr_m
        self.lfr_n = lfr_n
        self.max_duration_s = max_duration_s
        self.set_cmvn(cmvn_mean, cmvn_istd)

    # ----------------------------------------------------------------------------------------------- CMVN state
    def set_cmvn(self, mean, istd) -> LauraGPTFeatureExtractor:
        """Set (or clear, with `None, None`) the global CMVN, each `feature_size` values; stored as float lists."""
        if (mean is None) != (istd is None):
            raise InvalidInputError("cmvn_mean and cmvn_istd must be given together (or both None).")
        if mean is not None:
            mean, istd = [float(v) for v in np.asarray(mean).ravel()], [float(v) for v in np.asarray(istd).ravel()]
            if len(mean) != self.feature_size or len(istd) != self.feature_size:
                raise InvalidInputError(
                    f"CMVN statistics need {self.feature_size} values (num_mel_bins * lfr_m); got mean {len(mean)}, "
                    f"istd {len(istd)}."
                )
        self.cmvn_mean, self.cmvn_istd = mean, istd
        return self

    def fit_cmvn(self, audios: Iterable, sampling_rate: int = SAMPLING_RATE) -> LauraGPTFeatureExtractor:
        """Fit the global CMVN on any iterable of clips (arrays, tensors, `{"array", "sampling_rate"}` dicts, a
        `datasets` audio column), streaming float64 sums over all real LFR frames. Sets and returns `self`."""
        total = torch.zeros(self.feature_size, dtype=torch.float64)
        total_sq = torch.zeros(self.feature_size, dtype=torch.float64)
        count = 0
        for index, clip in enumerate(audios):
            array, rate = unpack_clip(clip, sampling_rate)
            feats = self._lfr_features(self._waveform(array, rate, index)).double()
            total += feats.sum(0)
            total_sq += feats.square().sum(0)
            count += feats.shape[0]
        if count == 0:
            raise InvalidInputError("fit_cmvn got no audio: pass an iterable with at least one clip.")
        mean = total / count
        std = (total_sq / count - mean.square()).clamp(min=0).sqrt().clamp(min=MIN_CMVN_STD)
        return self.set_cmvn(mean.tolist(), (1.0 / std).tolist())

    def load_am_mvn(self, path) -> LauraGPTFeatureExtractor:
        """Read a FunASR Kaldi-nnet text `am.mvn`: the `<LearnRateCoef>` row after `<AddShift>` holds -mean and the
        one after `<Rescale>` holds 1/std (fields [3:-1] of the line). Sets the CMVN and returns `self`."""
        with open(path, encoding="utf-8") as f:
            lines = [line.split() for line in f]
        rows = {}
        for tag, next_line in itertools.pairwise(lines):
            if tag and tag[0] in ("<AddShift>", "<Rescale>") and next_line and next_line[0] == "<LearnRateCoef>":
                rows[tag[0]] = [float(v) for v in next_line[3:-1]]
        if set(rows) != {"<AddShift>", "<Rescale>"}:
            raise InvalidInputError(
                f"{path} is not a FunASR am.mvn file: found {sorted(rows)} of <AddShift> and <Rescale>."
            )
        return self.set_cmvn([-v for v in rows["<AddShift>"]], rows["<Rescale>"])

    @classmethod
    def from_am_mvn(cls, path, **kwargs) -> LauraGPTFeatureExtractor:
        """A feature extractor (settings from `kwargs`) with the global CMVN of a FunASR `am.mvn` file."""
        return cls(**kwargs).load_am_mvn(path)

    # ------------------------------------------------------------------------------------------------- features
    def num_frames(self, num_samples):
        """Feature (LFR) frames for a clip of `num_samples` samples at `self.sampling_rate` (int or int tensor)."""
        fbank = fbank_num_frames(num_samples, self.sampling_rate, self.frame_length_ms, self.frame_shift_ms)
        return lfr_num_frames(fbank, self.lfr_n)

    def _waveform(self, audio, sampling_rate: int, index: int | None = None) -> torch.Tensor:
        return to_mono_waveform(
            audio, sampling_rate, self.sampling_rate, self.max_duration_s, self.frame_length_ms, index=index
        )

    def _fbank(self, waveform: torch.Tensor) -> torch.Tensor:
        """`(samples,)` float in [-1, 1] -> log-mel fbank `(fbank_frames, num_mel_bins)`."""
        return torchaudio.compliance.kaldi.fbank(
            waveform.unsqueeze(0) * INT16_SCALE,
            num_mel_bins=self.num_mel_bins,
            frame_length=self.frame_length_ms,
            frame_shift=self.frame_shift_ms,
            dither=self.dither,
            energy_floor=0.0,
            window_type=self.window_type,
            sample_frequency=self.sampling_rate,
            snip_edges=True,
        )

    def _lfr(self, fbank: torch.Tensor) -> torch.Tensor:
        """FunASR `apply_lfr`: `(T, D)` -> `(ceil(T / n), m * D)`. Frame i stacks frames `[i*n - (m-1)//2, ...)`
        of length m, with indices before 0 / after T-1 clamped (copies of the first / last frame)."""
        num_in, m, n = fbank.shape[0], self.lfr_m, self.lfr_n
        starts = torch.arange(int(lfr_num_frames(num_in, n))) * n - (m - 1) // 2
        index = (starts[:, None] + torch.arange(m)[None, :]).clamp(0, num_in - 1)
        return fbank[index].reshape(index.shape[0], m * fbank.shape[1])

    def _lfr_features(self, waveform: torch.Tensor) -> torch.Tensor:
        """`(samples,)` -> LFR features `(num_frames, feature_size)` without CMVN."""
        feats = self._lfr(self._fbank(waveform))
        expected = int(self.num_frames(waveform.shape[0]))
        if feats.shape[0] != expected:  # the length formula and the extractor must never disagree
            raise RuntimeError(f"Got {feats.shape[0]} feature frames, audio_lengths says {expected}.")
        return feats

    def _apply_cmvn(self, feats: torch.Tensor) -> torch.Tensor:
        if self.cmvn_mean is None:
            return feats
        mean = torch.tensor(self.cmvn_mean, dtype=feats.dtype)
        istd = torch.tensor(self.cmvn_istd, dtype=feats.dtype)
        return (feats - mean) * istd

    def __call__(self, raw_speech, sampling_rate: int | None = None, return_tensors="pt", **kwargs) -> BatchFeature:
        """Features for one clip or a batch (a list) of clips.

        Args:
            raw_speech: one clip or a list of clips. A clip is a 1-D array / tensor / list of floats `(samples,)`,
                or ONE multichannel recording as a 2-D array `(channels, samples)` or `(samples, channels)`
                (averaged to mono), or a `{"array", "sampling_rate"}` dict / `datasets` audio value. A 2-D array
                is never a batch: pass a batch as a list.
            sampling_rate: rate of the clips in Hz; resampled to `self.sampling_rate` if different. If `None`,
                16 kHz (`self.sampling_rate`) is assumed, with a warning.
            return_tensors: `"pt"` (default) or `"np"`.

        Returns:
            `BatchFeature` with
            - `input_features`: `(batch, max_frames, feature_size)` float32, right-padded with `padding_value`;
            - `input_features_mask`: `(batch, max_frames)` int64, 1 on real frames, 0 on padding.
            `max_frames` is the longest clip's `num_frames(num_samples)`.
        """
        if return_tensors not in ("pt", "np", None):
            raise InvalidInputError(f"return_tensors must be 'pt' or 'np', got {return_tensors!r}.")
        if kwargs:
            logger.warning_once(
                f"LauraGPTFeatureExtractor ignores the arguments {sorted(kwargs)} (it pads to the longest clip)."
            )
        is_batch = isinstance(raw_speech, (list, tuple)) and not (raw_speech and isinstance(raw_speech[0], Real))
        clips = list(raw_speech) if is_batch else [raw_speech]
        if not clips:
            raise InvalidInputError("Got an empty batch (a list with no clips). Pass at least one clip.")

        feats = []
        for index, clip in enumerate(clips):
            array, rate = unpack_clip(clip, sampling_rate)
            waveform = self._waveform(array, rate, index if is_batch else None)
            feats.append(self._apply_cmvn(self._lfr_features(waveform)))

        lengths = torch.tensor([f.shape[0] for f in feats])
        features = torch.full((len(feats), int(lengths.max()), self.feature_size), float(self.padding_value))
        for row, f in enumerate(feats):
            features[row, : f.shape[0]] = f
        mask = length_mask(lengths, features.shape[1]).long()
        data = {"input_features": features, "input_features_mask": mask}
        if return_tensors == "np":
            data = {k: v.numpy() for k, v in data.items()}
        return BatchFeature(data=data)


__all__ = ["LauraGPTFeatureExtractor"]
