"""One-step codec vocoder vs the multi-step (VALL-E NAR, 31 passes) baseline: speed and, on a tiny pair, quality.

Speed: seconds of compute per second of audio, turning first-group codes (+ a TTS text condition) into the codec
latent (codec decoder excluded) and into the waveform (decoder included), for the same width and depth: the tiny
preset and the paper's predictor (6 blocks, d 512, over the 57.5 M-parameter FunCodec-shaped codec; random weights,
so its text embedding is cut to 1,000 rows, which changes no compute). The four candidates run interleaved.

Quality: see ``vocoder_quality`` (a tiny pair trained for the same number of steps on the same few clips).

    python -m modeling_lauragpt.bench.vocoder [--quick] [--train-steps N]
"""

from __future__ import annotations

import torch

from modeling_lauragpt.bench.common import (
    interleaved,
    parse_args,
    print_table,
    repeats,
    run_main,
    write_results,
)
from modeling_lauragpt.bench.fixtures import (
    SENTENCES,
    build_processor,
    count_parameters,
)
from modeling_lauragpt.bench.vocoder_quality import (
    KINDS,
    TASKS,
    build_pair,
    run_quality,
)

NAME = "vocoder"
CODEC_HZ = 25
SIZES = ("tiny", "paper")
AUDIO_S, QUICK_AUDIO_S = 5.0, 2.0
TEXT_VOCAB = 1000  # text embedding rows of the timed pairs (compute does not depend on it)


def time_size(preset: str, seconds: float, runs: int, text_ids: torch.Tensor) -> dict:
    """Interleaved timing of both vocoders of ``preset``, latent only and waveform, on ``seconds`` of codes."""
    pair = build_pair(preset, text_vocab_size=TEXT_VOCAB)
    frames = int(seconds * CODEC_HZ)
    codes = torch.randint(
        0, pair["one_step"].config.codebook_size, (1, frames), generator=torch.Generator().manual_seed(0)
    )
    candidates = {}
    for kind, model in pair.items():
        candidates[f"{kind}_latent"] = lambda m=model: m.predict_latent(codes, text_ids=text_ids)
        candidates[f"{kind}_waveform"] = lambda m=model: m.generate_waveform(codes, text_ids=text_ids)
    with torch.no_grad():
        timings = interleaved(candidates, repeats=runs)
    row = {
        "preset": preset,
        "audio_s": seconds,
        "predictor_parameters": count_parameters(pair["one_step"]) - count_parameters(pair["one_step"].codec),
        "codec_parameters": count_parameters(pair["one_step"].codec),
        "num_quantizers": pair["one_step"].config.num_quantizers,
    }
    for name, timing in timings.items():
        row[f"{name}_s_per_audio_s"] = timing.median / seconds
        row[name] = timing.summary()
    for stage in ("latent", "waveform"):
        row[f"{stage}_speedup"] = timings[f"multi_step_{stage}"].median / timings[f"one_step_{stage}"].median
    return row


def run(args) -> dict:
    """Speed for each size, then the tiny pair's quality."""
    text_ids = build_processor().tokenizer(SENTENCES[1], add_special_tokens=False, return_tensors="pt")["input_ids"]
    seconds = QUICK_AUDIO_S if args.quick else AUDIO_S
    rows = []
    for preset in SIZES[:1] if args.quick else SIZES:
        rows.append(time_size(preset, seconds, repeats(args, full=3, quick=1), text_ids))
        print(f"  timed the {preset} pair")
    steps = args.train_steps or (30 if args.quick else 300)
    quality = run_quality(steps=steps, clip_count=3 if args.quick else 6)
    return {"condition": f"TTS text ({text_ids.shape[1]} tokens), batch 1", "speed": rows, "quality": quality}


def report(result: dict) -> None:
    """Print the speed table and the quality table."""
    print_table(
        f"Vocoder compute per second of audio ({result['condition']}; lower is better)",
        result["speed"],
        [
            ("preset", "size", ""),
            ("predictor_parameters", "predictor params", ",d"),
            ("one_step_latent_s_per_audio_s", "1-step latent", ".4f"),
            ("multi_step_latent_s_per_audio_s", "31-step latent", ".4f"),
            ("latent_speedup", "x", ".1f"),
            ("one_step_waveform_s_per_audio_s", "1-step +decoder", ".4f"),
            ("multi_step_waveform_s_per_audio_s", "31-step +decoder", ".4f"),
            ("waveform_speedup", "x", ".1f"),
        ],
    )
    quality = result["quality"]
    rows = [
        {"task": task, "vocoder": kind, **quality["tasks"][task][kind]}
        for task in TASKS
        for kind in (*KINDS, "first_group_only")
    ]
    setup = quality["setup"]
    print_table(
        f"Tiny pair after {setup['train_steps']} training steps each on {setup['clips']} {setup['clip_source']} clips "
        "(scored on those clips vs the codec's own reconstruction)",
        rows,
        [
            ("task", "task", ""),
            ("vocoder", "vocoder", ""),
            ("latent_l1", "latent L1", ".3f"),
            ("pesq", "PESQ", ".2f"),
            ("stoi", "STOI", ".3f"),
            ("si_sdr", "SI-SDR dB", ".1f"),
        ],
    )
    print(
        f"  training time: one-step {quality['train_s']['one_step']:.1f} s, multi-step {quality['train_s']['multi_step']:.1f} s"
    )


def main(argv: list[str] | None = None) -> int:
    def add(parser):
        parser.add_argument(
            "--train-steps", type=int, help="training steps of each tiny vocoder (default 300, quick 30)"
        )

    args = parse_args(NAME, __doc__, argv, add)
    result = run(args)
    report(result)
    write_results(NAME, args, result)
    return 0


if __name__ == "__main__":
    run_main(main)
