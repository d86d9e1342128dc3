"""The CPU codec vs today's demo ``EncodecModel``, side by side in one run, on held-out speech.

Held-out speech: the demo corpus' held-out voice (flite awb) speaking its test sentences (``demo_corpus.splits``),
which no training clip of either codec contains. For each codec, through all RVQ groups and through the first
group alone (what LauraGPT writes), against the original clip:

- PESQ wide-band and STOI (``training.metrics.functional``); clips on which either is undefined (too short) are
  left out of its mean and counted (``pesq_undefined``, ``stoi_undefined``);
- WER ratio: the WER of an independent recogniser on the reconstruction over its WER on the original, for
  pocketsphinx and, when a converted Whisper tiny.en exists (``--whisper``), for Whisper;
- as a reference, Griffin-Lim from the clip's true magnitudes (the ceiling of the CPU codec's phase recovery);
- encode + decode real-time factor: seconds of compute per second of audio, one clip at a time, the codecs
  interleaved (``common.interleaved``), at ``--threads`` threads.

    python -m modeling_lauragpt.bench.cpu_codec --codec runs/cpu_codec/codec [--quick] [--threads 1] [--timing-only]
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from modeling_lauragpt.audio import SAMPLING_RATE
from modeling_lauragpt.bench.common import (
    interleaved,
    parse_args,
    print_table,
    repeats,
    run_main,
    write_results,
)
from modeling_lauragpt.codec import codes_to_latent, encode_codes, latent_to_waveform
from modeling_lauragpt.defaults import DEFAULT_MODEL_DIR
from modeling_lauragpt.modeling_cpu_codec import LauraGPTCPUCodec, griffin_lim, stft
from modeling_lauragpt.training.demo_corpus.splits import (
    HELD_OUT_VOICE,
    TEST,
    sentence_split,
)
from modeling_lauragpt.training.demo_corpus.text_sources import english_sentences
from modeling_lauragpt.training.demo_corpus.voices import VOICES, Prosody, flite_to_file
from modeling_lauragpt.training.metrics.functional import compute_wer, pesq_wb, stoi

NAME = "cpu_codec"
DEFAULT_CODEC = Path("runs/cpu_codec/codec")
DEFAULT_WHISPER = Path("/work/whisper-tiny-en")
FULL_CLIPS, QUICK_CLIPS = 30, 6
STOI_UNDEFINED = 1e-5  # what pystoi returns when a clip has too few speech frames (a 0.5 s one-word clip): left out


# ------------------------------------------------------------------------------------------------ held-out speech
def held_out_speech(count: int) -> tuple[list[np.ndarray], list[str]]:
    """``count`` test sentences (in corpus order) spoken by the held-out flite voice, 16 kHz float32."""
    texts = [s for s in english_sentences() if sentence_split(s) == TEST][:count]
    clips = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, text in enumerate(texts):
            path = Path(tmp) / f"{i}.wav"
            flite_to_file(VOICES[HELD_OUT_VOICE], text, Prosody(), path)
            audio, rate = sf.read(str(path), dtype="float32")
            if rate != SAMPLING_RATE:
                raise RuntimeError(f"flite {HELD_OUT_VOICE} wrote {rate} Hz audio; expected {SAMPLING_RATE}.")
            clips.append(audio)
    return clips, texts


# ------------------------------------------------------------------------------------------------ the codecs
def cpu_codec_round_trip(codec: LauraGPTCPUCodec, groups: int | None):
    """clip (samples,) -> reconstruction (samples,) through the first ``groups`` groups (all when None)."""

    def run(clip: np.ndarray) -> np.ndarray:
        codes = codec.encode(torch.from_numpy(clip)[None])
        latent = codec.codes_to_latent(codes[:, :groups] if groups else codes)
        return codec.decode(latent)[0, : len(clip)].numpy()

    return run


def encodec_round_trip(codec, groups: int | None):
    """The same for a ``transformers.EncodecModel`` through ``modeling_lauragpt.codec``'s helpers."""

    @torch.no_grad()
    def run(clip: np.ndarray) -> np.ndarray:
        codes = encode_codes(codec, [clip])[0][None]
        latent = codes_to_latent(codec, codes[:, :groups] if groups else codes)
        return latent_to_waveform(codec, latent)[0, : len(clip)].numpy()

    return run


def true_magnitude_griffin_lim(codec: LauraGPTCPUCodec):
    """Reference, not a codec: the CPU codec's Griffin-Lim from the clip's *true* magnitudes (the ceiling of the
    Griffin-Lim head with a perfect encoder, RVQ and decoder)."""

    def run(clip: np.ndarray) -> np.ndarray:
        c = codec.config
        frames = codec.num_frames(len(clip))
        padded = torch.nn.functional.pad(torch.from_numpy(clip)[None], (0, frames * c.hop_length - len(clip)))
        magnitude = stft(padded, c.n_fft, c.stft_hop_length).abs()
        return griffin_lim(magnitude, c.n_fft, c.stft_hop_length, c.griffin_lim_iterations, c.griffin_lim_momentum)[
            0, : len(clip)
        ].numpy()

    return run


def load_demo_encodec():
    """Today's demo codec: the ``EncodecModel`` inside the embedded default model's vocoder."""
    from modeling_lauragpt import LauraGPTVocoder

    return LauraGPTVocoder.from_pretrained(DEFAULT_MODEL_DIR / "vocoder").codec.eval()


# ------------------------------------------------------------------------------------------------ recognisers
def pocketsphinx_transcriber():
    from modeling_lauragpt.training.evaluation.tts_intelligibility import (
        PocketsphinxRecognizer,
    )

    recognizer = PocketsphinxRecognizer()
    return lambda clip: recognizer.transcribe(clip, sampling_rate=SAMPLING_RATE)


def whisper_transcriber(folder: Path):
    """The Whisper judge of ``lauragpt eval`` on a local folder (None when it is absent)."""
    if not (folder / "config.json").exists():
        return None
    from ..training.evaluation.whisper_judge import WhisperRecognizer

    recognizer = WhisperRecognizer(folder)
    return lambda clip: recognizer.transcribe(clip, sampling_rate=SAMPLING_RATE)


# ------------------------------------------------------------------------------------------------ scoring
def score(
    outputs: list[np.ndarray], clips: list[np.ndarray], texts: list[str], recognisers: dict, original_wer: dict
) -> dict:
    """PESQ, STOI and each recogniser's WER and WER ratio of ``outputs`` against the original ``clips``."""
    pesq = [pesq_wb(o, c) for o, c in zip(outputs, clips)]
    valid = [p for p in pesq if not math.isnan(p)]
    intelligibility = [stoi(o, c) for o, c in zip(outputs, clips)]
    defined = [s for s in intelligibility if s > STOI_UNDEFINED]
    row = {
        "pesq": float(np.mean(valid)) if valid else math.nan,
        "pesq_undefined": len(pesq) - len(valid),
        "stoi": float(np.mean(defined)) if defined else math.nan,
        "stoi_undefined": len(intelligibility) - len(defined),
    }
    for name, transcribe in recognisers.items():
        wer = compute_wer([transcribe(o) for o in outputs], texts)["wer"]
        row[f"{name}_wer"] = wer
        row[f"{name}_wer_ratio"] = wer / original_wer[name] if original_wer[name] > 0 else math.inf
    return row


def run(args) -> dict:
    count = QUICK_CLIPS if args.quick else FULL_CLIPS
    clips, texts = held_out_speech(count)
    seconds = sum(len(c) for c in clips) / SAMPLING_RATE
    cpu_codec = LauraGPTCPUCodec.from_pretrained(args.codec).eval()
    encodec = load_demo_encodec()
    candidates = {
        "cpu_codec/all": cpu_codec_round_trip(cpu_codec, None),
        "cpu_codec/first": cpu_codec_round_trip(cpu_codec, 1),
        "demo_encodec/all": encodec_round_trip(encodec, None),
        "demo_encodec/first": encodec_round_trip(encodec, 1),
        "reference_true_magnitude_griffin_lim/-": true_magnitude_griffin_lim(cpu_codec),
    }
    timings = interleaved(
        {k: (lambda f=f: [f(c) for c in clips]) for k, f in candidates.items()}, repeats=repeats(args, full=3, quick=1)
    )
    if args.timing_only:
        rows = [
            {"codec": k.split("/")[0], "groups": k.split("/")[1], "rtf": t.median / seconds} for k, t in timings.items()
        ]
        return {
            "setup": {
                "clips": count,
                "audio_s": round(seconds, 2),
                "voice": HELD_OUT_VOICE,
                "threads": args.threads,
                "cpu_codec": str(args.codec),
                "recognisers": [],
                "timing_only": True,
            },
            "original_wer": {},
            "rows": rows,
        }
    recognisers = {"pocketsphinx": pocketsphinx_transcriber()}
    whisper = whisper_transcriber(args.whisper)
    if whisper is not None:
        recognisers["whisper"] = whisper
    original_wer = {name: compute_wer([t(c) for c in clips], texts)["wer"] for name, t in recognisers.items()}
    rows = []
    for name, timing in timings.items():
        codec_name, groups = name.split("/")
        row = {
            "codec": codec_name,
            "groups": groups,
            "rtf": timing.median / seconds,
            **score(timing.result, clips, texts, recognisers, original_wer),
        }
        rows.append(row)
    return {
        "setup": {
            "clips": count,
            "audio_s": round(seconds, 2),
            "voice": HELD_OUT_VOICE,
            "sentences": "demo-corpus test split",
            "threads": args.threads,
            "cpu_codec": str(args.codec),
            "cpu_codec_groups": cpu_codec.config.num_quantizers,
            "cpu_codec_codebook_size": cpu_codec.config.codebook_size,
            "cpu_codec_parameters": sum(p.numel() for p in cpu_codec.parameters()),
            "demo_encodec_groups": encodec.config.num_quantizers,
            "demo_encodec_codebook_size": encodec.config.codebook_size,
            "demo_encodec_parameters": sum(p.numel() for p in encodec.parameters()),
            "recognisers": list(recognisers),
            "whisper_found": whisper is not None,
        },
        "original_wer": original_wer,
        "targets": {"pesq": 2.5, "stoi": 0.85, "wer_ratio": 1.3, "rtf": 0.02},
        "rows": rows,
    }


def report(result: dict) -> None:
    columns = [("codec", "codec", ""), ("groups", "groups", "")]
    if not result["setup"].get("timing_only"):
        columns += [("pesq", "PESQ-wb", ".2f"), ("stoi", "STOI", ".3f")]
    for name in result["setup"]["recognisers"]:
        columns += [(f"{name}_wer", f"{name} WER", ".3f"), (f"{name}_wer_ratio", "ratio", ".2f")]
    columns.append(("rtf", "RTF", ".4f"))
    setup = result["setup"]
    print_table(
        f"Round trip on {setup['clips']} held-out {setup['voice']} clips ({setup['audio_s']} s), "
        f"{setup['threads']} thread(s); original WER {result['original_wer']}",
        result["rows"],
        columns,
    )


def main(argv: list[str] | None = None) -> int:
    def add(parser):
        parser.add_argument(
            "--codec", type=Path, default=DEFAULT_CODEC, help="trained CPU codec folder (default %(default)s)"
        )
        parser.add_argument(
            "--whisper", type=Path, default=DEFAULT_WHISPER, help="converted Whisper tiny.en (used if present)"
        )
        parser.add_argument("--timing-only", action="store_true", help="real-time factors only (no quality scores)")

    args = parse_args(NAME, __doc__, argv, add)
    result = run(args)
    report(result)
    write_results(NAME + ("_rtf" if args.timing_only else ""), args, result)
    return 0


if __name__ == "__main__":
    run_main(main)
