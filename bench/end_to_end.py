"""End to end through ``pipeline("lauragpt")``: real-time factor of ASR and TTS, peak memory, batch scaling.

Models: the tiny preset (random weights, with a tiny vocoder and codec) and, when it exists, the shipped default
model (``modeling_lauragpt/default_model/``); ``--model DIR`` picks other folders instead (a ``DIR/vocoder``
subfolder enables TTS). Workload per item: ASR of a 5 s clip writing exactly 20 text tokens (4 per second of audio);
TTS of a sentence writing exactly 125 codec tokens (5 s at 25 Hz, sampled top-k 25 as the pipeline does), then the
vocoder. Forcing the lengths makes the work the same for every model, trained or not. RTF = compute seconds per
second of audio (ASR: input audio, TTS: output audio); below 1 is faster than real time. Peak memory: the process's
resident set (``VmHWM``, reset before each call; ``ru_maxrss`` where that cannot be reset) and the Python heap
(``tracemalloc``), measured in a separate untimed call.

    python -m modeling_lauragpt.bench.end_to_end [--quick] [--model DIR ...]
"""

from __future__ import annotations

import tempfile
import tracemalloc
from pathlib import Path

import torch
from transformers import pipeline

from modeling_lauragpt import LauraGPTConfig, LauraGPTForConditionalGeneration
from modeling_lauragpt.audio import SAMPLING_RATE
from modeling_lauragpt.bench.common import (
    interleaved,
    parse_args,
    peak_rss_mib,
    print_table,
    repeats,
    reset_peak_rss,
    run_main,
    write_results,
)
from modeling_lauragpt.bench.fixtures import (
    SENTENCES,
    build_processor,
    count_parameters,
    speech_clip,
    tiny_codec,
)
from modeling_lauragpt.defaults import DEFAULT_MODEL_DIR, weights_fingerprint
from modeling_lauragpt.modeling_vocoder import LauraGPTVocoder

NAME = "end_to_end"
CODEC_HZ = 25
ASR_TOKENS_PER_S = 4
ITEM_S, QUICK_ITEM_S = 5.0, 2.0
BATCHES, QUICK_BATCHES = (1, 2, 4, 8), (1, 8)


def save_tiny_model(folder: Path, clips) -> Path:
    """Save the tiny preset LauraGPT + processor, with a tiny vocoder in ``folder/vocoder``; returns ``folder``."""
    processor = build_processor(clips)
    torch.manual_seed(0)
    LauraGPTForConditionalGeneration(LauraGPTConfig.from_processor(processor, "tiny")).save_pretrained(folder)
    processor.save_pretrained(folder)
    vocoder = LauraGPTVocoder.from_codec(
        tiny_codec(clips), preset="tiny", text_vocab_size=processor.vocabulary.text_vocab_size
    )
    vocoder.save_pretrained(folder / "vocoder")
    return folder


def workloads(pipe, clips, texts, seconds: float, batch: int) -> dict:
    """``{"asr_b<batch>": call, "tts_b<batch>": call}`` (TTS only with a vocoder) and the audio seconds each covers."""
    asr_tokens, tts_tokens = int(ASR_TOKENS_PER_S * seconds), int(CODEC_HZ * seconds)
    calls = {
        f"asr_b{batch}": (
            lambda: pipe(
                clips[:batch],
                task="asr",
                batch_size=batch,
                sampling_rate=SAMPLING_RATE,
                min_new_tokens=asr_tokens,
                max_new_tokens=asr_tokens,
            ),
            batch * seconds,
        ),
    }
    if pipe.vocoder is not None:
        calls[f"tts_b{batch}"] = (
            lambda: pipe(
                texts[:batch], task="tts", batch_size=batch, min_new_tokens=tts_tokens, max_new_tokens=tts_tokens
            ),
            batch * seconds,
        )
    return calls


def peak_memory(call) -> dict:
    """Peak resident set and Python-heap peak (MiB) of one untimed call.

    The resident set is the whole process's (torch, the models, and pages the allocator kept from earlier calls),
    so it is an upper bound on what the call needs; batch sizes run in increasing order, so its growth from row to
    row is what the larger batch added.
    """
    per_call = reset_peak_rss()
    tracemalloc.start()
    call()
    heap_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {"peak_rss_mib": peak_rss_mib(), "python_heap_peak_mib": heap_peak, "rss_peak_is_per_call": per_call}


def bench_model(label: str, folder: Path, clips, texts, args) -> list[dict]:
    """RTF, throughput and memory of one model folder for each batch size."""
    torch.manual_seed(0)
    pipe = pipeline("lauragpt", model=str(folder), device="cpu")
    seconds = QUICK_ITEM_S if args.quick else ITEM_S
    parameters = count_parameters(pipe.model) + (count_parameters(pipe.vocoder) if pipe.vocoder is not None else 0)
    rows = []
    for batch in QUICK_BATCHES if args.quick else BATCHES:
        calls = workloads(pipe, clips, texts, seconds, batch)
        with torch.no_grad():
            timings = interleaved(
                {name: call for name, (call, _) in calls.items()}, repeats=repeats(args, full=3, quick=1)
            )
        for name, (call, audio_s) in calls.items():
            median = timings[name].median
            rows.append(
                {
                    "model": label,
                    "parameters": parameters,
                    "task": name.split("_")[0],
                    "batch": batch,
                    "audio_s": audio_s,
                    "rtf": median / audio_s,
                    "audio_s_per_s": audio_s / median,
                    "items_per_s": batch / median,
                    **peak_memory(call),
                    "timing": timings[name].summary(),
                }
            )
        print(f"  {label}: batch {batch} done")
    for row in rows:  # throughput relative to batch 1 of the same model and task
        single = next(r for r in rows if r["task"] == row["task"] and r["batch"] == 1)
        row["throughput_vs_batch1"] = row["audio_s_per_s"] / single["audio_s_per_s"]
    return rows


def run(args) -> dict:
    """Every selected model, every batch size."""
    seconds = QUICK_ITEM_S if args.quick else ITEM_S
    texts = [SENTENCES[i % len(SENTENCES)] for i in range(max(BATCHES))]
    clips = [speech_clip(text, seed=i, seconds=seconds) for i, text in enumerate(texts)]
    models = [(str(m), Path(m)) for m in args.model or []]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if not models:
            models = [("tiny", save_tiny_model(Path(tmp) / "tiny", clips))]
            if (DEFAULT_MODEL_DIR / "config.json").exists():
                models.append(("default_model", DEFAULT_MODEL_DIR))
        for label, folder in models:
            rows += bench_model(label, folder, clips, texts, args)
        weights = {label: weights_fingerprint(folder) for label, folder in models}  # before tmp is removed
    return {
        "workload": {
            "item_audio_s": seconds,
            "asr_text_tokens": int(ASR_TOKENS_PER_S * seconds),
            "tts_codec_tokens": int(CODEC_HZ * seconds),
            "tts_decoding": "top-k 25 sampling (pipeline default), seed 0",
            "asr_decoding": "greedy",
        },
        "models": [label for label, _ in models],
        "weights": weights,  # which weights each label measured (the model card checks it)
        "default_model_found": (DEFAULT_MODEL_DIR / "config.json").exists(),
        "rows": rows,
    }


def report(result: dict) -> None:
    """Print one table with every model, task and batch size."""
    w = result["workload"]
    print_table(
        f"End to end through pipeline('lauragpt'): {w['item_audio_s']:.0f} s per item; ASR writes {w['asr_text_tokens']} "
        f"tokens, TTS {w['tts_codec_tokens']} codec tokens (RTF < 1 is faster than real time)",
        result["rows"],
        [
            ("model", "model", ""),
            ("task", "task", ""),
            ("batch", "batch", "d"),
            ("rtf", "RTF", ".3f"),
            ("audio_s_per_s", "audio s/s", ".1f"),
            ("throughput_vs_batch1", "x batch 1", ".2f"),
            ("peak_rss_mib", "peak RSS MiB", ".0f"),
            ("python_heap_peak_mib", "py heap MiB", ".1f"),
        ],
    )
    if not result["default_model_found"]:
        print("  (no shipped default model under modeling_lauragpt/default_model/ yet: tiny preset only)")


def main(argv: list[str] | None = None) -> int:
    def add(parser):
        parser.add_argument(
            "--model",
            action="append",
            metavar="DIR",
            help="a LauraGPT folder to benchmark instead of the tiny preset + default model (repeatable)",
        )

    args = parse_args(NAME, __doc__, argv, add)
    result = run(args)
    report(result)
    write_results(NAME, args, result)
    return 0


if __name__ == "__main__":
    run_main(main)
