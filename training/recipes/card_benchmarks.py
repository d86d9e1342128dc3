"""The model card's sections measured by ``bench/``: the codec's own round trip, the end-to-end speed of the
shipped weights and the training throughput of their design. Each section reads a committed result file under
``bench/results/`` and is left out (or says it was not measured) when that file does not describe this model."""

from __future__ import annotations

import json
from pathlib import Path

from ...defaults import weights_fingerprint

RESULTS_DIR = Path(__file__).resolve().parents[2] / "bench" / "results"
CODEC_BENCH = RESULTS_DIR / "cpu_codec.threads1.json"
END_TO_END_BENCH = RESULTS_DIR / "end_to_end.json"
TRAINING_BENCH = RESULTS_DIR / "training.json"
SPEED_TARGETS = {"asr": 0.05, "tts": 0.3}  # real-time factor at batch 1 on 2 cores, the targets
PEAK_TARGET = 0.40  # a training step's share of the fp32 matmul peak measured in the same run


def codec_rows(bench_file: Path = CODEC_BENCH) -> list[str]:
    """The codec's own round-trip figures (``bench/cpu_codec.py`` on the held-out voice), as card lines."""
    if not bench_file.exists():
        return []
    result = json.loads(bench_file.read_text())
    setup = result["setup"]
    title = (
        f"## The codec alone (`python -m modeling_lauragpt.bench.cpu_codec`: {setup['clips']} held-out sentences, "
        f"voice {setup['voice']}, {setup['audio_s']} s)"
    )
    lines = [
        title,
        "",
        "| round trip | PESQ-wb | STOI | pocketsphinx WER ratio | Whisper WER ratio | RTF (1 thread) |",
        "|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        if row["codec"] != "cpu_codec":
            continue
        what = {
            "all": f"all {setup['cpu_codec_groups']} groups",
            "first": "first group alone (what the LLM writes)",
        }.get(row["groups"], row["groups"])
        lines.append(
            f"| {what} | {row['pesq']:.2f} | {row['stoi']:.3f} | {row.get('pocketsphinx_wer_ratio', float('nan')):.2f} | "
            f"{row.get('whisper_wer_ratio', float('nan')):.2f} | {row['rtf']:.4f} |"
        )
    return [
        *lines,
        "",
        "The CPU codec's targets: PESQ >= 2.5 (missed: Griffin-Lim phase), STOI >= 0.85, WER ratios <= 1.3, RTF <= 0.02.",
        "",
    ]


def _end_to_end_lines(model_dir: Path, bench_file: Path) -> list[str]:
    """RTF per task and batch of the label whose measured weights are ``model_dir``'s, or a line saying why not."""
    how = "`python -m modeling_lauragpt.bench.end_to_end`"
    result = json.loads(bench_file.read_text()) if bench_file.exists() else {}
    fingerprint = weights_fingerprint(model_dir)
    label = next((name for name, weights in result.get("weights", {}).items() if weights == fingerprint), None)
    if label is None or result.get("quick"):
        return [f"End-to-end speed: not measured on these weights yet ({how}, then write the card again).", ""]
    rows = [r for r in result["rows"] if r["model"] == label]
    batches = sorted({r["batch"] for r in rows})
    work = result["workload"]
    lines = [
        (
            f'End to end through `pipeline("lauragpt")` on {result["machine"]["torch_threads"]} threads ({how}): '
            f"{work['item_audio_s']:g} s per item; ASR writes {work['asr_text_tokens']} tokens (greedy), TTS "
            f"{work['tts_codec_tokens']} codec tokens (top-k sampling) then the vocoder. Real-time factor, compute "
            "seconds per second of audio:"
        ),
        "",
        "| task | " + " | ".join(f"batch {b}" for b in batches) + " | target (batch 1) | met |",
        "|---|" + "---:|" * len(batches) + "---|---|",
    ]
    for task, goal in SPEED_TARGETS.items():
        by_batch = {r["batch"]: r["rtf"] for r in rows if r["task"] == task}
        if 1 not in by_batch:
            continue
        cells = " | ".join(f"{by_batch[b]:.3f}" if b in by_batch else "n/a" for b in batches)
        lines.append(f"| {task} | {cells} | <= {goal} | {'yes' if by_batch[1] <= goal else '**no**'} |")
    return [*lines, ""]


def _training_lines(model_dir: Path, bench_file: Path) -> list[str]:
    """The training step of this model's design (its LLM preset and text vocabulary) against the matmul peak."""
    config = json.loads((Path(model_dir) / "config.json").read_text())
    result = json.loads(bench_file.read_text()) if bench_file.exists() else {}
    row = next(
        (
            r
            for r in result.get("rows", [])
            if r.get("text_vocab_size") == config["text_vocab_size"] and r.get("logits") == "output"
        ),
        None,
    )
    if row is None or result.get("quick"):
        return []
    met = "met" if row["utilisation"] >= PEAK_TARGET else "missed"
    return [
        (
            f"Training step of this design (`python -m modeling_lauragpt.bench.training`: {row['preset']}, a "
            f"synthetic batch of {row['rows']} rows, {row['tokens_per_step']:,} tokens, fp32, AdamW): "
            f"{row['step_s']:.3f} s, {row['tokens_per_s']:,.0f} tokens/s, {row['achieved_gflops']:.1f} GFLOP/s, "
            f"{row['utilisation']:.0%} of the {row['matmul_peak_gflops']:.1f} GFLOP/s fp32 matmul peak measured in "
            f"the same run (target >= {PEAK_TARGET:.0%}: {met})."
        ),
        "",
    ]


def speed_rows(model_dir: Path, end_to_end: Path = END_TO_END_BENCH, training: Path = TRAINING_BENCH) -> list[str]:
    """The card's speed section: end-to-end RTF of these weights and the training throughput of their design."""
    return [
        "## Speed on a 2-core CPU",
        "",
        *_end_to_end_lines(model_dir, end_to_end),
        *_training_lines(model_dir, training),
    ]


__all__ = ["codec_rows", "speed_rows"]
