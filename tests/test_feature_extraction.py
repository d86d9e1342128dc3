"""LauraGPTFeatureExtractor: the FunASR WavFrontend recipe, checked against an independent implementation.

All audio is generated here (sines, chirps, seeded noise). The reference is ``kaldi_native_fbank`` (a C++ Kaldi
port, not torchaudio) plus LFR written as FunASR describes it, one frame at a time.
"""

from __future__ import annotations

import math

import kaldi_native_fbank as knf
import numpy as np
import pytest
import torch

from modeling_lauragpt.audio import to_mono_waveform
from modeling_lauragpt.audio_lengths import fbank_num_frames, lfr_num_frames
from modeling_lauragpt.processing.feature_extraction_lauragpt import (
    LauraGPTFeatureExtractor,
)

SR = 16000
# kaldi_native_fbank vs torchaudio.compliance.kaldi on log-mel values (natural log of power, int16-scaled input):
# measured max |diff| 1.5e-3 (a 100 Hz -> 7 kHz chirp), typically 1e-4; both run the FFT in float32.
KALDI_TOLERANCE = 5e-3


def _time(seconds: float, sr: int = SR) -> np.ndarray:
    return np.arange(round(seconds * sr)) / sr


def _chirp(seconds: float, sr: int = SR, f0: float = 100.0, f1: float = 7000.0, amp: float = 0.3) -> np.ndarray:
    t = _time(seconds, sr)
    return (amp * np.sin(2 * np.pi * (f0 * t + (f1 - f0) / (2 * seconds) * t**2))).astype(np.float32)


def _tones(seconds: float, sr: int = SR) -> np.ndarray:
    """A band-limited mix (all energy below 5 kHz), so the same signal can be drawn at 16 and 44.1 kHz."""
    t = _time(seconds, sr)
    mix = 0.2 * np.sin(2 * np.pi * 440 * t) + 0.1 * np.sin(2 * np.pi * 3000 * t)
    return (mix + _chirp(seconds, sr, 200.0, 5000.0)).astype(np.float32)


def _noise(num_samples: int, seed: int = 0, amp: float = 0.1) -> np.ndarray:
    return (amp * np.random.default_rng(seed).standard_normal(num_samples)).astype(np.float32)


def _reference_fbank(x: np.ndarray) -> np.ndarray:
    opts = knf.FbankOptions()
    opts.frame_opts.samp_freq = SR
    opts.frame_opts.dither = 0.0
    opts.frame_opts.window_type = "hamming"
    opts.frame_opts.frame_length_ms = 25.0
    opts.frame_opts.frame_shift_ms = 10.0
    opts.frame_opts.snip_edges = True
    opts.frame_opts.remove_dc_offset = True
    opts.frame_opts.preemph_coeff = 0.97
    opts.mel_opts.num_bins = 80
    opts.energy_floor = 0.0
    fbank = knf.OnlineFbank(opts)
    fbank.accept_waveform(SR, (x.astype(np.float64) * 32768).tolist())
    fbank.input_finished()
    return np.stack([np.asarray(fbank.get_frame(i)) for i in range(fbank.num_frames_ready)])


def _reference_lfr(frames: np.ndarray, m: int = 7, n: int = 6) -> np.ndarray:
    """FunASR apply_lfr, frame by frame: left-pad with (m-1)//2 copies of frame 0, ceil(T/n) outputs, each the
    concatenation of padded frames [i*n, i*n+m), short tails filled with copies of the last frame."""
    padded = [frames[0]] * ((m - 1) // 2) + list(frames)
    out = []
    for i in range(math.ceil(len(frames) / n)):
        window = padded[i * n : i * n + m]
        window = window + [padded[-1]] * (m - len(window))
        out.append(np.concatenate(window))
    return np.stack(out)


def _features(fe, audio, sampling_rate=SR) -> torch.Tensor:
    return fe(audio, sampling_rate=sampling_rate)["input_features"][0]


@pytest.fixture(scope="module")
def fe() -> LauraGPTFeatureExtractor:
    return LauraGPTFeatureExtractor()


# (a) the recipe, against an independent implementation ---------------------------------------------------------
@pytest.mark.parametrize(
    "name, audio",
    [
        ("noise", _noise(20000, seed=1)),
        (
            "sine+noise",
            (0.5 * np.sin(2 * np.pi * 440 * _time(1.3))).astype(np.float32) + _noise(20800, seed=2, amp=0.01),
        ),
        ("chirp", _chirp(1.3)),
        ("quiet", _noise(9000, seed=3, amp=1e-4)),
    ],
)
def test_features_match_kaldi_native_fbank_and_funasr_lfr(fe, name, audio):
    ours = _features(fe, audio).numpy()
    reference = _reference_lfr(_reference_fbank(audio))
    assert ours.shape == reference.shape == (fe.num_frames(len(audio)), 560)
    assert np.abs(ours - reference).max() < KALDI_TOLERANCE, name


def test_lfr_tail_and_left_padding_are_edge_copies(fe):
    fbank = torch.arange(13, dtype=torch.float32)[:, None].expand(13, 2)  # frame t holds value t
    lfr = fe._lfr(fbank)
    np.testing.assert_array_equal(lfr.numpy(), _reference_lfr(fbank.numpy()))
    assert lfr.shape == (3, 14)  # ceil(13 / 6)
    assert lfr[0, ::2].tolist() == [0, 0, 0, 0, 1, 2, 3]
    assert lfr[2, ::2].tolist() == [9, 10, 11, 12, 12, 12, 12]


# (b) frame counts follow the single length formula ------------------------------------------------------------
def _boundary_lengths() -> list[int]:
    window, shift = 400, 160
    lengths = {window, window + 1}
    for fbank_frames in (2, 5, 6, 7, 12, 13, 18, 19, 37, 61):  # around LFR (6-frame) boundaries
        edge = window + (fbank_frames - 1) * shift  # first length giving `fbank_frames` frames
        lengths.update({edge - 1, edge, edge + 1, edge + shift - 1})
    return sorted(lengths)


@pytest.mark.parametrize("num_samples", _boundary_lengths())
def test_frame_counts_follow_audio_lengths(fe, num_samples):
    audio = _noise(num_samples, seed=num_samples)
    expected = lfr_num_frames(fbank_num_frames(num_samples, SR, 25.0, 10.0), 6)
    assert _features(fe, audio).shape[0] == fe.num_frames(num_samples) == expected
    assert len(_reference_fbank(audio)) == fbank_num_frames(num_samples)  # the formula agrees with Kaldi too


def test_num_frames_accepts_tensors(fe):
    lengths = torch.tensor(_boundary_lengths())
    assert fe.num_frames(lengths).tolist() == [fe.num_frames(int(n)) for n in lengths]


# (c) batching ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("padding_value", [0.0, -5.0])
def test_padded_batch_equals_each_clip_alone(padding_value):
    fe = LauraGPTFeatureExtractor(padding_value=padding_value)
    clips = [_noise(16000, seed=4), _chirp(0.43), torch.from_numpy(_noise(7321, seed=5)).tolist()]
    batch = fe(clips, sampling_rate=SR, return_tensors="pt")
    features, mask = batch["input_features"], batch["input_features_mask"]
    lengths = [fe.num_frames(len(c)) for c in clips]
    assert features.shape == (3, max(lengths), 560) and features.dtype == torch.float32
    assert mask.dtype == torch.int64 and mask.sum(1).tolist() == lengths
    for row, (clip, length) in enumerate(zip(clips, lengths)):
        torch.testing.assert_close(features[row, :length], _features(fe, clip), rtol=0, atol=0)
        assert mask[row, :length].eq(1).all() and mask[row, length:].eq(0).all()
        assert features[row, length:].eq(padding_value).all()


def test_numpy_output(fe):
    batch = fe([_noise(8000), _noise(4000)], sampling_rate=SR, return_tensors="np")
    assert isinstance(batch["input_features"], np.ndarray) and batch["input_features"].dtype == np.float32
    assert batch["input_features_mask"].dtype == np.int64


# (d) input formats ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seconds", [1.0, 0.77])
def test_44k_input_is_resampled(fe, seconds):
    at_16k, at_44k = _features(fe, _tones(seconds, SR)), _features(fe, _tones(seconds, 44100), sampling_rate=44100)
    assert at_44k.shape == at_16k.shape
    diff = (at_16k - at_44k).abs().reshape(-1, 7, 80)
    # The resampler's edge transient (first frame) and its low-pass near 8 kHz (top mel bins) differ most;
    # measured: mean 0.005, interior frames below bin 72 at most 0.05.
    assert diff.mean() < 0.02
    assert diff[1:-1, :, :72].max() < 0.15


def test_stereo_is_the_mean_of_its_channels(fe):
    left, right = _chirp(0.6), _noise(9600, seed=6)
    mono = _features(fe, (left + right) / 2)
    stereo = np.stack([left, right])
    torch.testing.assert_close(_features(fe, stereo), mono, rtol=0, atol=1e-4)
    torch.testing.assert_close(_features(fe, stereo.T.copy()), mono, rtol=0, atol=1e-4)
    torch.testing.assert_close(_features(fe, torch.from_numpy(stereo)), mono, rtol=0, atol=1e-4)


def test_int16_float64_tensor_and_list_inputs_equal_float32(fe):
    pcm = (_chirp(0.5) * 32767).astype(np.int16)
    as_float = pcm.astype(np.float32) / 32768
    expected = _features(fe, as_float)
    for audio in (
        pcm,
        as_float.astype(np.float64),
        torch.from_numpy(as_float),
        torch.from_numpy(pcm),
        as_float.tolist(),
    ):
        torch.testing.assert_close(_features(fe, audio), expected, rtol=0, atol=0)
    pcm32 = pcm.astype(np.int32) << 16
    torch.testing.assert_close(_features(fe, pcm32), expected, rtol=0, atol=0)


def test_dict_clips_carry_their_own_rate(fe):
    clip = {"array": _tones(0.5, 22050), "sampling_rate": 22050}
    expected = _features(fe, clip["array"], sampling_rate=22050)
    torch.testing.assert_close(_features(fe, clip), expected, rtol=0, atol=0)


def test_missing_rate_means_16k_and_scalar_lists_are_one_clip(fe):
    audio = _chirp(0.5)
    expected = _features(fe, audio)
    torch.testing.assert_close(fe(audio)["input_features"][0], expected, rtol=0, atol=0)  # warns once
    batch = fe(list(audio), sampling_rate=SR)["input_features"]  # a list of numpy float32 scalars is ONE clip
    assert batch.shape[0] == 1
    torch.testing.assert_close(batch[0], expected, rtol=0, atol=0)


def test_to_mono_waveform_returns_float32_at_16k():
    wave = to_mono_waveform(_tones(0.5, 44100), 44100)
    assert wave.dtype == torch.float32 and wave.shape == (8000,)


# (e) bad inputs ------------------------------------------------------------------------------------------------
GOOD = _noise(4000)


@pytest.mark.parametrize(
    "audio, match",
    [
        (np.zeros(0, dtype=np.float32), "empty"),
        (np.zeros((2, 0), dtype=np.float32), "empty"),
        (np.where(np.arange(4000) == 7, np.nan, GOOD), "1 NaN"),
        (np.where(np.arange(4000) == 7, np.inf, GOOD), "1 Inf"),
        (GOOD[:399], "too short"),
        (np.zeros((2, 3, 4000), dtype=np.float32), "3 dimensions"),
        (np.zeros((16, 16000), dtype=np.float32), "16 channels is too many"),
        (GOOD.astype(np.int64), "dtype int64"),
        ("speech.wav", "unsupported type str"),
    ],
)
def test_bad_inputs_raise_clear_errors(fe, audio, match):
    with pytest.raises(ValueError, match=match):
        fe(audio, sampling_rate=SR)


def test_too_long_names_duration_limit_and_fix():
    fe = LauraGPTFeatureExtractor(max_duration_s=1.0)
    with pytest.raises(ValueError, match=r"1\.5 s long.*max_duration_s=1\.0.*chunks"):
        fe(_noise(24000), sampling_rate=SR)


def test_errors_name_the_clip_in_the_batch(fe):
    with pytest.raises(ValueError, match="clip 2 of the batch .*NaN"):
        fe([GOOD, GOOD, np.full(4000, np.nan, dtype=np.float32)], sampling_rate=SR)
    with pytest.raises(ValueError, match="clip 1 of the batch is too short"):
        fe([GOOD, GOOD[:100]], sampling_rate=SR)


def test_too_short_is_checked_after_resampling():
    # 1101 samples at 44.1 kHz (24.97 ms) resample to ceil(1101 * 160 / 441) = 400 samples: exactly one window.
    assert to_mono_waveform(np.zeros(1101, np.float32), 44100).shape == (400,)
    with pytest.raises(ValueError, match="too short"):
        to_mono_waveform(np.zeros(1099, np.float32), 44100)  # 399 samples at 16 kHz


# (f) CMVN -------------------------------------------------------------------------------------------------------
def _cmvn_clips():
    return [_noise(16000, seed=7), _chirp(0.8), _tones(1.1), _noise(5000, seed=8, amp=0.5)]


def test_fit_cmvn_normalises_real_frames():
    fe = LauraGPTFeatureExtractor()
    assert fe.fit_cmvn(clip for clip in _cmvn_clips()) is fe  # any iterable, streamed
    batch = fe(_cmvn_clips(), sampling_rate=SR)
    real = batch["input_features"][batch["input_features_mask"].bool()].double()
    assert real.shape[1] == 560 and len(fe.cmvn_mean) == len(fe.cmvn_istd) == 560
    assert real.mean(0).abs().max() < 1e-4
    assert (real.std(0, unbiased=False) - 1).abs().max() < 1e-4


def test_save_pretrained_round_trip(tmp_path):
    fe = LauraGPTFeatureExtractor(max_duration_s=60.0, padding_value=-1.0).fit_cmvn(_cmvn_clips())
    fe.save_pretrained(tmp_path)
    loaded = LauraGPTFeatureExtractor.from_pretrained(tmp_path)
    assert loaded.to_dict() == fe.to_dict()
    assert loaded.cmvn_mean == fe.cmvn_mean and loaded.max_duration_s == 60.0 and loaded.padding_value == -1.0
    clips = [_chirp(0.7), _noise(4000, seed=9)]
    for key in ("input_features", "input_features_mask"):
        assert torch.equal(loaded(clips, sampling_rate=SR)[key], fe(clips, sampling_rate=SR)[key])


def test_load_funasr_am_mvn(tmp_path, fe):
    rng = np.random.default_rng(10)
    shift, rescale = np.round(-rng.uniform(5, 15, 560), 6), np.round(rng.uniform(0.1, 0.5, 560), 6)
    row = lambda values: " ".join(f"{v:.6f}" for v in values)
    path = tmp_path / "am.mvn"
    path.write_text(
        "<Nnet>\n<Splice> 560 560\n[ 0 ]\n"
        f"<AddShift> 560 560\n<LearnRateCoef> 0 [ {row(shift)} ]\n"
        f"<Rescale> 560 560\n<LearnRateCoef> 0 [ {row(rescale)} ]\n</Nnet>\n"
    )
    loaded = LauraGPTFeatureExtractor.from_am_mvn(path)
    np.testing.assert_allclose(loaded.cmvn_mean, -shift, rtol=0, atol=1e-12)
    np.testing.assert_allclose(loaded.cmvn_istd, rescale, rtol=0, atol=1e-12)
    audio = _chirp(0.5)
    raw = _features(fe, audio)  # FunASR apply_cmvn: (x + shift) * rescale
    expected = (raw + torch.tensor(shift, dtype=torch.float32)) * torch.tensor(rescale, dtype=torch.float32)
    torch.testing.assert_close(_features(loaded, audio), expected, rtol=0, atol=0)
    with pytest.raises(ValueError, match="need 80 values.*got mean 560"):
        LauraGPTFeatureExtractor(lfr_m=1).load_am_mvn(path)


def test_odd_and_implausible_sampling_rates():
    from modeling_lauragpt.audio import (
        MAX_RESAMPLING_FACTOR,
        resampled_length,
        resampling_ratio,
    )

    assert max(resampling_ratio(22051, 16000)) <= MAX_RESAMPLING_FACTOR  # coprime: the exact kernel takes gigabytes
    wave = to_mono_waveform(_tones(1.0, 22051), 22051)
    assert len(wave) == resampled_length(22051, 22051, 16000)
    assert abs(len(wave) - 16000) <= 1 and np.isfinite(wave.numpy()).all()
    for rate, message in ((1, "outside"), (10_000_000, "outside"), (float("inf"), "positive whole number")):
        with pytest.raises(ValueError, match=message):
            to_mono_waveform(np.zeros(16000, np.float32), rate)
