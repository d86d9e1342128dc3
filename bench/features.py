"""Feature extraction: ``LauraGPTFeatureExtractor`` vs kaldi-native-fbank and a plain torchaudio fbank loop.

Equality: the largest absolute difference of the 80-dim log-mel fbank (before low-frame-rate stacking and CMVN)
between our extractor and each reference, and of the final 560-dim features between ours and kaldi-native-fbank's
fbank put through an independent LFR + the same CMVN. Speed: clips per second and seconds of audio per second for
one clip and for batches of 8 and 32 clips of 2-10 s. Ours computes the whole recipe (fbank, LFR, CMVN, padding to
a batch tensor); the two references compute the fbank only, one utterance at a time.

    python -m modeling_lauragpt.bench.features [--quick]
"""

from __future__ import annotations

import kaldi_native_fbank as knf
import numpy as np
import torch
import torchaudio

from modeling_lauragpt import LauraGPTFeatureExtractor
from modeling_lauragpt.audio import SAMPLING_RATE
from modeling_lauragpt.bench.common import (
    interleaved,
    parse_args,
    print_table,
    repeats,
    run_main,
    write_results,
)
from modeling_lauragpt.bench.fixtures import synthetic_voice

NAME = "features"
BATCHES = (1, 8, 32)
QUICK_BATCHES = (1, 8)
INT16_SCALE = 32768.0  # FunASR feeds the fbank int16-range samples


def make_clips(count: int, seed: int = 0) -> list[np.ndarray]:
    """``count`` speech-like clips of 2 to 10 s (seeded)."""
    lengths = np.random.default_rng(seed).uniform(2.0, 10.0, count)
    return [synthetic_voice(float(s), seed + i) for i, s in enumerate(lengths)]


def knf_fbank(clip: np.ndarray, fe: LauraGPTFeatureExtractor) -> np.ndarray:
    """kaldi-native-fbank (C++ Kaldi port) with our extractor's settings: (frames, num_mel_bins)."""
    opts = knf.FbankOptions()
    frame = opts.frame_opts
    frame.samp_freq, frame.dither, frame.window_type = fe.sampling_rate, fe.dither, fe.window_type
    frame.frame_length_ms, frame.frame_shift_ms, frame.snip_edges = fe.frame_length_ms, fe.frame_shift_ms, True
    opts.mel_opts.num_bins = fe.num_mel_bins
    opts.energy_floor = 0.0
    online = knf.OnlineFbank(opts)
    online.accept_waveform(fe.sampling_rate, clip * INT16_SCALE)
    online.input_finished()
    return np.stack([online.get_frame(i) for i in range(online.num_frames_ready)])


def torchaudio_fbank(clip: np.ndarray, fe: LauraGPTFeatureExtractor) -> torch.Tensor:
    """``torchaudio.compliance.kaldi.fbank`` called directly on one utterance: (frames, num_mel_bins)."""
    return torchaudio.compliance.kaldi.fbank(
        torch.from_numpy(clip)[None] * INT16_SCALE,
        num_mel_bins=fe.num_mel_bins,
        frame_length=fe.frame_length_ms,
        frame_shift=fe.frame_shift_ms,
        dither=fe.dither,
        energy_floor=0.0,
        window_type=fe.window_type,
        sample_frequency=fe.sampling_rate,
    )


def stack_low_frame_rate(fbank: np.ndarray, m: int, n: int) -> np.ndarray:
    """LFR written independently of ours: edge-pad ``(m-1)//2`` frames before (and enough after), then take every
    ``n``-th window of ``m`` frames. (T, D) -> (ceil(T/n), m*D)."""
    frames, left = len(fbank), (m - 1) // 2
    outputs = -(-frames // n)
    right = max(0, (outputs - 1) * n + m - (frames + left))
    padded = np.pad(fbank, ((left, right), (0, 0)), mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, m, axis=0)[::n][:outputs]  # (outputs, D, m)
    return windows.transpose(0, 2, 1).reshape(outputs, -1)


def equality(fe: LauraGPTFeatureExtractor, clips: list[np.ndarray]) -> dict:
    """Max |difference| of fbank (ours vs each reference) and of final features (ours vs knf + LFR + CMVN)."""
    fbank_knf, fbank_ta, final = 0.0, 0.0, 0.0
    mean, istd = np.asarray(fe.cmvn_mean), np.asarray(fe.cmvn_istd)
    for clip in clips:
        ours = fe._fbank(torch.from_numpy(clip)).numpy()
        reference = knf_fbank(clip, fe)
        fbank_knf = max(fbank_knf, float(np.abs(ours - reference).max()))
        fbank_ta = max(fbank_ta, float(np.abs(ours - torchaudio_fbank(clip, fe).numpy()).max()))
        ours_final = fe(clip, sampling_rate=SAMPLING_RATE)["input_features"][0].numpy()
        reference_final = (stack_low_frame_rate(reference, fe.lfr_m, fe.lfr_n) - mean) * istd
        final = max(final, float(np.abs(ours_final - reference_final).max()))
    return {
        "clips": len(clips),
        "fbank_max_abs_diff_vs_kaldi_native_fbank": fbank_knf,
        "fbank_max_abs_diff_vs_torchaudio_loop": fbank_ta,
        "features_max_abs_diff_vs_kaldi_native_fbank_lfr_cmvn": final,
        "cmvn_istd_max": float(istd.max()),
    }


def throughput(fe: LauraGPTFeatureExtractor, clips: list[np.ndarray], runs: int) -> dict:
    """Interleaved timing of the three extractors on one batch of clips."""
    timings = interleaved(
        {
            "ours": lambda: fe(clips, sampling_rate=SAMPLING_RATE),
            "torchaudio_loop": lambda: [torchaudio_fbank(c, fe) for c in clips],
            "kaldi_native_fbank": lambda: [knf_fbank(c, fe) for c in clips],
        },
        repeats=runs,
    )
    audio_s = sum(len(c) for c in clips) / SAMPLING_RATE
    row = {"batch": len(clips), "audio_s": audio_s}
    for name, timing in timings.items():
        row[f"{name}_clips_per_s"] = len(clips) / timing.median
        row[f"{name}_x_realtime"] = audio_s / timing.median
        row[name] = timing.summary()
    row["ours_vs_torchaudio"] = timings["torchaudio_loop"].median / timings["ours"].median
    row["ours_vs_knf"] = timings["kaldi_native_fbank"].median / timings["ours"].median
    return row


def run(args) -> dict:
    """Equality on a few clips, then throughput per batch size."""
    batches = QUICK_BATCHES if args.quick else BATCHES
    clips = make_clips(max(batches))
    fe = LauraGPTFeatureExtractor().fit_cmvn(clips[:8], sampling_rate=SAMPLING_RATE)
    checks = equality(fe, clips[:3] if args.quick else clips[:8])
    rows = [throughput(fe, clips[:batch], repeats(args, full=7, quick=2)) for batch in batches]
    return {
        "audio": "seeded synthetic speech-like clips, 2-10 s, 16 kHz",
        "ours_computes": "fbank + LFR + CMVN + padding to one batch tensor",
        "references_compute": "fbank only, one utterance per call",
        "equality": checks,
        "rows": rows,
    }


def report(result: dict) -> None:
    """Print the equality figures and the throughput table."""
    eq = result["equality"]
    print(f"\nEquality on {eq['clips']} clips (max |diff|):")
    print(f"  fbank, ours vs kaldi-native-fbank      {eq['fbank_max_abs_diff_vs_kaldi_native_fbank']:.2e}")
    print(f"  fbank, ours vs torchaudio loop         {eq['fbank_max_abs_diff_vs_torchaudio_loop']:.2e}")
    print(
        f"  LFR+CMVN features, ours vs knf + LFR    {eq['features_max_abs_diff_vs_kaldi_native_fbank_lfr_cmvn']:.2e}"
        f"  (CMVN scales by up to {eq['cmvn_istd_max']:.2f})"
    )
    print_table(
        "Feature throughput (x real time = seconds of audio per second; higher is better)",
        result["rows"],
        [
            ("batch", "clips", "d"),
            ("audio_s", "audio s", ".1f"),
            ("ours_x_realtime", "ours (full)", ".0f"),
            ("torchaudio_loop_x_realtime", "torchaudio fbank", ".0f"),
            ("kaldi_native_fbank_x_realtime", "knf fbank", ".0f"),
            ("ours_clips_per_s", "ours clips/s", ".1f"),
            ("ours_vs_torchaudio", "ours/torchaudio", ".2f"),
            ("ours_vs_knf", "ours/knf", ".2f"),
        ],
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(NAME, __doc__, argv)
    result = run(args)
    report(result)
    write_results(NAME, args, result)
    return 0


if __name__ == "__main__":
    run_main(main)
