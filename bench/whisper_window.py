"""Whisper tower windows (``LauraGPTConfig.audio_window``): Whisper's fixed 30 s window vs shorter ones (the clip
padded with silence to 20 s or 10 s, or the clip alone as whisper.cpp's ``audio_ctx``), by accuracy and by speed,
on real and on synthesised English speech.

Accuracy: the full Whisper tiny.en (its own decoder, greedy) transcribes each clip from each window's encoder
output: transformers' encoder for "30s", ``LauraGPTWhisperEncoder`` with a sliced positional table for the others,
on the processor's own features (``whisper_features``); WER against the transcript, per speech source. Speed:
encoder seconds per audio second (features included) for each window, one clip at a time, interleaved.

Speech: Debian's asterisk prompts (real studio recordings, 8 kHz upsampled to 16 kHz, CC-BY-SA-3.0) and flite voices
reading the demo corpus' English sentences. Needs the converted tiny.en (``lauragpt convert whisper-tiny-en DIR``).

    python -m modeling_lauragpt.bench.whisper_window --whisper DIR [--quick]
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import jiwer
import numpy as np
import soundfile
import torch
from transformers import (
    WhisperFeatureExtractor,
    WhisperForConditionalGeneration,
    WhisperTokenizerFast,
)
from transformers.modeling_outputs import BaseModelOutput

from modeling_lauragpt.audio import SAMPLING_RATE, to_mono_waveform
from modeling_lauragpt.bench.common import (
    interleaved,
    parse_args,
    print_table,
    run_main,
    write_results,
)
from modeling_lauragpt.modeling_whisper_tower import LauraGPTWhisperEncoder
from modeling_lauragpt.processing.whisper_features import whisper_features
from modeling_lauragpt.training.demo_corpus.asterisk import prompt_recordings
from modeling_lauragpt.training.demo_corpus.text_sources import english_sentences

NAME = "whisper_window"
FLITE_VOICES = ("awb", "rms", "slt", "kal16")
CLIPS_PER_SOURCE = {"full": 40, "quick": 8}
WINDOWS = ("30s", "20s", "10s", "clip")
REFERENCE_WINDOW = "30s"
MIN_WORDS = 3
MAX_PROMPT_SECONDS = 10.0
MAX_NEW_TOKENS = 96
TIMED_CLIPS = 6


def _add_arguments(parser):
    parser.add_argument(
        "--whisper", type=Path, required=True, help="a converted Whisper folder (lauragpt convert whisper-tiny-en)"
    )


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9' ]", " ", text.lower().replace("-", " "))).strip()


def real_speech(count: int) -> list[tuple[np.ndarray, str]]:
    """Asterisk prompts of at least ``MIN_WORDS`` words, in key order, as 16 kHz clips with their transcripts."""
    prompts = [
        p
        for p in sorted(prompt_recordings("en", MAX_PROMPT_SECONDS).values(), key=lambda p: p.key)
        if len(p.text.split()) >= MIN_WORDS
    ][:count]
    clips = []
    for prompt in prompts:
        array, rate = soundfile.read(prompt.path, dtype="float32")
        clips.append((to_mono_waveform(array, rate, SAMPLING_RATE, max_duration_s=None).numpy(), prompt.text))
    return clips


def flite_speech(count: int) -> list[tuple[np.ndarray, str]]:
    """The demo corpus' English sentences, read in turn by the flite voices."""
    if not shutil.which("flite"):
        raise RuntimeError("flite is not installed: run scripts/install_system_deps.sh")
    clips = []
    with tempfile.TemporaryDirectory() as scratch:
        for index, text in enumerate(english_sentences()[:count]):
            path = Path(scratch) / f"{index}.wav"
            voice = FLITE_VOICES[index % len(FLITE_VOICES)]
            subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(path)], check=True, capture_output=True)
            array, rate = soundfile.read(path, dtype="float32")
            clips.append((to_mono_waveform(array, rate, SAMPLING_RATE, max_duration_s=None).numpy(), text))
    return clips


class Transcriber:
    """tiny.en's decoder over either window's encoder output."""

    def __init__(self, folder: Path):
        self.model = WhisperForConditionalGeneration.from_pretrained(folder).eval()
        self.extractor = WhisperFeatureExtractor.from_pretrained(folder)
        self.tokenizer = WhisperTokenizerFast.from_pretrained(folder)
        self.clip_encoder = LauraGPTWhisperEncoder(self.model.config).eval()
        self.clip_encoder.load_state_dict(self.model.model.encoder.state_dict())

    def encode(self, clip: np.ndarray, window: str) -> torch.Tensor:
        """(1, frames, d_model): the encoder frames of the clip's window (1500 for "30s")."""
        features = whisper_features(self.extractor, [torch.from_numpy(clip)], window)["input_features"]
        encoder = self.model.model.encoder if window == REFERENCE_WINDOW else self.clip_encoder
        with torch.no_grad():
            return encoder(features).last_hidden_state

    def transcribe(self, clip: np.ndarray, window: str) -> str:
        encoded = BaseModelOutput(last_hidden_state=self.encode(clip, window))
        with torch.no_grad():
            ids = self.model.generate(encoder_outputs=encoded, max_new_tokens=MAX_NEW_TOKENS, do_sample=False)
        return self.tokenizer.decode(ids[0], skip_special_tokens=True)


def word_error_rates(transcriber: Transcriber, clips: list[tuple[np.ndarray, str]]) -> dict:
    """WER of each window over ``clips``, and how many clips each window transcribes unlike the 30 s window."""
    references = [_normalise(text) for _, text in clips]
    hypotheses = {window: [_normalise(transcriber.transcribe(clip, window)) for clip, _ in clips] for window in WINDOWS}
    reference = hypotheses[REFERENCE_WINDOW]
    return {
        "clips": len(clips),
        "seconds": sum(len(c) for c, _ in clips) / SAMPLING_RATE,
        "wer": {window: jiwer.wer(references, hyps) for window, hyps in hypotheses.items()},
        "differ_from_30s": {
            window: sum(a != b for a, b in zip(reference, hyps)) for window, hyps in hypotheses.items()
        },
        "examples": [{"reference": r, **{w: hypotheses[w][i] for w in WINDOWS}} for i, r in enumerate(references[:6])],
    }


def encoder_speed(transcriber: Transcriber, clips: list[np.ndarray], repeats: int) -> dict:
    """Encoder seconds per audio second (features included), one clip at a time, per window."""
    audio_seconds = sum(len(c) for c in clips) / SAMPLING_RATE
    timings = interleaved(
        {window: (lambda w=window: [transcriber.encode(c, w) for c in clips]) for window in WINDOWS}, repeats
    )
    rows = {window: timing.median / audio_seconds for window, timing in timings.items()}
    return {
        "audio_seconds": audio_seconds,
        "seconds_per_audio_second": rows,
        "speedup_vs_30s": {window: rows[REFERENCE_WINDOW] / value for window, value in rows.items()},
    }


def main(argv=None) -> int:
    args = parse_args(NAME, __doc__, argv, _add_arguments)
    count = CLIPS_PER_SOURCE["quick" if args.quick else "full"]
    transcriber = Transcriber(args.whisper)
    sources = {"real (asterisk prompts)": real_speech(count), "tts (flite voices)": flite_speech(count)}
    accuracy = {name: word_error_rates(transcriber, clips) for name, clips in sources.items()}
    timed = [clip for clips in sources.values() for clip, _ in clips[: TIMED_CLIPS // 2]]
    speed = encoder_speed(transcriber, timed, repeats=2 if args.quick else 3)
    rows = [
        {
            "window": window,
            **{f"wer {name}": r["wer"][window] for name, r in accuracy.items()},
            "differ": sum(r["differ_from_30s"][window] for r in accuracy.values()),
            "s_per_s": speed["seconds_per_audio_second"][window],
            "speedup": speed["speedup_vs_30s"][window],
        }
        for window in WINDOWS
    ]
    columns = [
        ("window", "window", "s"),
        *[(f"wer {name}", f"WER {name}", ".3f") for name in accuracy],
        ("differ", "transcripts unlike 30 s", "d"),
        ("s_per_s", "encoder s / audio s", ".4f"),
        ("speedup", "x faster than 30 s", ".1f"),
    ]
    clip_counts = ", ".join(f"{r['clips']} {name} clips ({r['seconds'] / 60:.1f} min)" for name, r in accuracy.items())
    print_table(
        f"Whisper tiny.en by encoder window, greedy decoding with its own decoder; {clip_counts}", rows, columns
    )
    write_results(NAME, args, {"whisper": str(args.whisper), "accuracy": accuracy, "speed": speed})
    return 0


if __name__ == "__main__":
    run_main(main)
