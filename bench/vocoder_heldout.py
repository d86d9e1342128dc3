"""The one-step vocoder vs the 31-pass (VALL-E NAR) baseline over a trained codec, judged on held-out speech.

Both vocoders share a preset's width and depth, the same initial predictor weights and the frozen codec given with
``--codec`` (e.g. the trained ``LauraGPTCPUCodec``). Each is trained for the same number of AdamW steps on
minibatches of TTS rows (condition: the text) and SE rows (condition: the LFR features of the speech plus white
noise at 5 dB), read by flite voices kal16, rms and slt from the first sentences of the demo corpus' English list.
Then, on sentences none of them saw, read by the held-out voice awb:

- PESQ (wide-band) and STOI of each vocoder's audio against the original speech;
- pocketsphinx's WER on that audio, divided by its WER on the original speech (the WER ratio);
- the same for the codec's own reconstruction (all groups: the best any vocoder over it can do) and for the first
  group alone decoded by the codec (what the LLM's tokens carry with no vocoder).

    python -m modeling_lauragpt.bench.vocoder_heldout --codec runs/cpu_codec/codec [--steps 600] [--quick]
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile
import torch

from modeling_lauragpt.audio import SAMPLING_RATE, to_mono_waveform
from modeling_lauragpt.bench.common import (
    parse_args,
    print_table,
    run_main,
    write_results,
)
from modeling_lauragpt.bench.fixtures import build_processor
from modeling_lauragpt.bench.vocoder_quality import (
    KINDS,
    TASKS,
    build_pair,
    train,
    training_batches,
)
from modeling_lauragpt.codec import (
    codec_spec,
    codes_to_latent,
    latent_to_waveform,
)
from modeling_lauragpt.training.demo_corpus.text_sources import english_sentences
from modeling_lauragpt.training.evaluation.tts_intelligibility import (
    PocketsphinxRecognizer,
    intelligibility,
)
from modeling_lauragpt.training.metrics.functional import pesq_wb, stoi
from modeling_lauragpt.training.recipe_data import load_codec

NAME = "vocoder_heldout"
TRAIN_VOICES = ("kal16", "rms", "slt")
HELD_OUT_VOICE = "awb"
SIZES = {"full": {"train": 150, "test": 24, "steps": 600}, "quick": {"train": 12, "test": 4, "steps": 6}}
BATCH_ROWS = 16  # minibatch: 8 TTS rows + 8 SE rows
LEARNING_RATE = 1e-3


def _add_arguments(parser):
    parser.add_argument(
        "--codec", type=Path, required=True, help="a trained codec folder (LauraGPTCPUCodec or EncodecModel)"
    )
    parser.add_argument("--preset", default="tiny", help="vocoder preset of both predictors (default: tiny)")
    parser.add_argument("--steps", type=int, help="AdamW steps per vocoder (default: 600; --quick: 6)")


def flite(voice: str, text: str) -> np.ndarray:
    if not shutil.which("flite"):
        raise RuntimeError("flite is not installed: run scripts/install_system_deps.sh")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.wav"
        subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(path)], check=True, capture_output=True)
        array, rate = soundfile.read(path, dtype="float32")
    return to_mono_waveform(array, rate, SAMPLING_RATE, max_duration_s=None).numpy()


def speech(train_count: int, test_count: int) -> tuple[list, list]:
    """(train, test) lists of (clip, text): train sentences by the training voices, later sentences by awb."""
    sentences = english_sentences()
    train = [(flite(TRAIN_VOICES[i % len(TRAIN_VOICES)], t), t) for i, t in enumerate(sentences[:train_count])]
    test = [(flite(HELD_OUT_VOICE, t), t) for t in sentences[-test_count:]]
    return train, test


def train_on_minibatches(model, processor, clips, texts, steps: int, seed: int = 0) -> float:
    """``steps`` AdamW steps, each on ``BATCH_ROWS`` rows drawn without replacement (TTS and SE halves)."""
    generator = np.random.default_rng(seed)
    order = []

    def next_batch() -> dict:
        nonlocal order
        if len(order) < BATCH_ROWS // 2:
            order = list(generator.permutation(len(clips)))
        chosen, order = order[: BATCH_ROWS // 2], order[BATCH_ROWS // 2 :]
        return training_batches(processor, model, [clips[i] for i in chosen], [texts[i] for i in chosen])["all"]

    return train(model, next_batch, steps, lr=LEARNING_RATE, seed=seed)


def _figures(
    audio: torch.Tensor,
    frames: torch.Tensor,
    originals: list[np.ndarray],
    texts: list[str],
    hop: int,
    recognizer: PocketsphinxRecognizer,
    original_wer: float,
) -> dict:
    outputs = [audio[row, : int(n) * hop].numpy() for row, n in enumerate(frames)]
    references = [o[: len(r)] if len(o) >= len(r) else o for o, r in zip(outputs, originals)]
    pairs = [(o[: len(r)], r[: len(o)]) for o, r in zip(references, originals)]
    pesq = [p for p in (pesq_wb(o, r) for o, r in pairs) if not math.isnan(p)]
    stoi_values = [s for s in (stoi(o, r) for o, r in pairs) if not math.isnan(s)]
    wer = intelligibility(outputs, texts, recognizer=recognizer)["wer"]
    return {
        "pesq": float(np.mean(pesq)),
        "stoi": float(np.mean(stoi_values)),
        "wer": wer,
        "wer_ratio": wer / original_wer if original_wer else math.nan,
    }


@torch.no_grad()
def evaluate_heldout(pair, processor, codec, test) -> dict:
    """Per task: each vocoder, the codec's reconstruction and the first group alone, against the original speech."""
    clips, texts = [c for c, _ in test], [t for _, t in test]
    recognizer = PocketsphinxRecognizer()
    original_wer = intelligibility(clips, texts, recognizer=recognizer)["wer"]
    batches = training_batches(processor, pair["one_step"], clips, texts)
    hop = codec_spec(codec).hop_length
    results = {"original_wer": original_wer}
    for task in TASKS:
        batch = batches[task]
        mask, frames = batch["codes_mask"], batch["codes_mask"].sum(dim=1)
        real = mask.bool()[..., None].float()
        conditions = {k: v for k, v in batch.items() if k not in ("codes", "codes_mask", "target_codes")}
        latents = {
            kind: model.predict_latent(batch["codes"], mask, **conditions) * real for kind, model in pair.items()
        }
        latents["codec_all_groups"] = codes_to_latent(codec, batch["target_codes"]) * real
        latents["first_group_only"] = codes_to_latent(codec, batch["target_codes"][:, :1]) * real
        results[task] = {
            name: _figures(
                latent_to_waveform(codec, latent, lengths=frames), frames, clips, texts, hop, recognizer, original_wer
            )
            for name, latent in latents.items()
        }
    return results


def main(argv=None) -> int:
    args = parse_args(NAME, __doc__, argv, _add_arguments)
    size = SIZES["quick" if args.quick else "full"]
    steps = args.steps or size["steps"]
    codec = load_codec(str(args.codec)).eval()
    train, test = speech(size["train"], size["test"])
    processor = build_processor([c for c, _ in train])
    pair = build_pair(args.preset, codec, text_vocab_size=processor.vocabulary.text_vocab_size)
    clips, texts = [c for c, _ in train], [t for _, t in train]
    train_s = {kind: train_on_minibatches(pair[kind], processor, clips, texts, steps) for kind in KINDS}
    results = evaluate_heldout(pair, processor, codec, test)
    rows = [{"task": task, "audio": name, **figures} for task in TASKS for name, figures in results[task].items()]
    print_table(
        f"Held-out speech (voice {HELD_OUT_VOICE}, {len(test)} unseen sentences): vocoders over {args.codec} after "
        f"{steps} steps each (original speech WER {results['original_wer']:.3f})",
        rows,
        [
            ("task", "task", "s"),
            ("audio", "audio", "s"),
            ("pesq", "PESQ", ".2f"),
            ("stoi", "STOI", ".3f"),
            ("wer", "WER", ".3f"),
            ("wer_ratio", "WER ratio", ".2f"),
        ],
    )
    write_results(
        NAME,
        args,
        {
            "codec": str(args.codec),
            "codec_class": type(codec).__name__,
            "preset": args.preset,
            "steps": steps,
            "train_clips": len(train),
            "train_audio_s": sum(len(c) for c in clips) / SAMPLING_RATE,
            "test_clips": len(test),
            "train_s": train_s,
            "results": results,
            "noise_snr_db": 5.0,
        },
    )
    return 0


if __name__ == "__main__":
    run_main(main)
