"""Data and training helpers of the demo recipe (``demo.py``): vocoder rows and training, demo samples.

Each stage reads the demo corpus (``lauragpt build-demo-data``, canonical format) and writes an ordinary
``save_pretrained`` folder, so a stage whose folder exists can be skipped when the recipe is re-run.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from datasets import concatenate_datasets, load_dataset

from ...atomic_files import write_audio_atomic, write_text_atomic
from ...audio import SAMPLING_RATE
from ...codec import Codec
from ...modeling_vocoder import LauraGPTVocoder
from ...processing.processing_lauragpt import LauraGPTProcessor
from ..vocoder_training import VocoderCollator, train_vocoder


def vocoder_rows(corpus_with_codes, split: str):
    """The tts and se rows of the corpus (with ``target_codes``) the vocoder trains on.

    se rows carry their transcript in ``text`` (for the evaluation's WER), but at inference the vocoder sees SE
    with the noisy features only, so their text is dropped here.
    """
    parts = []
    for task in ("tts", "se"):
        if task in corpus_with_codes:
            rows = corpus_with_codes[task][split]
            parts.append(rows.map(lambda row: {"text": None}) if task == "se" else rows)
    return concatenate_datasets(parts).shuffle(seed=0)


def train_demo_vocoder(
    codec: Codec,
    processor: LauraGPTProcessor,
    train_rows,
    eval_rows,
    output_dir: str | Path,
    preset: str = "demo",
    **training_args,
) -> LauraGPTVocoder:
    """Train a vocoder ``preset`` around the frozen codec on canonical tts/se rows with codes.

    The rows' columns map onto the vocoder's conditions: ``text`` (tts), ``audio`` = the noisy input (se),
    ``target_codes`` = the all-group codes of the clean ``target_audio``.
    """
    vocoder = LauraGPTVocoder.from_codec(
        codec,
        preset=preset,
        text_vocab_size=processor.vocabulary.text_vocab_size,
        feature_size=processor.feature_extractor.feature_size,
    )
    collator = VocoderCollator(
        processor,
        vocoder,
        audio_column="target_audio",
        text_column="text",
        noisy_audio_column="audio",
        codes_column="target_codes",
    )
    torch.manual_seed(0)
    train_vocoder(
        vocoder, processor, train_rows, output_dir, eval_dataset=eval_rows, collator=collator, **training_args
    )
    return vocoder


def reuse_vocoder(
    vocoder_dir: str | Path, codec_dir: str | Path, output_dir: str | Path, tokenizer: str | Path | None = None
) -> LauraGPTVocoder:
    """Copy a trained vocoder to ``output_dir`` instead of training one, keeping its text condition's tokenizer
    with it: its own, or for a vocoder saved without one, ``tokenizer`` (that tokenizer's folder). Its codec must
    be the recipe's (``codec_dir``): the LLM's codec targets are that codec's codes.
    raises : ``InvalidInputError`` when the codecs differ, no tokenizer is known, or the tokenizer has more tokens
    than the vocoder's text embedding (it is not the one the vocoder was trained with)"""
    from transformers import AutoTokenizer

    from ...errors import InvalidInputError
    from ..recipe_data import load_codec

    vocoder = LauraGPTVocoder.from_pretrained(str(vocoder_dir))
    if vocoder.text_tokenizer is None and tokenizer is not None:  # its own tokenizer, when saved with it, wins
        vocoder.text_tokenizer = AutoTokenizer.from_pretrained(str(tokenizer))
    if vocoder.text_tokenizer is None:
        raise InvalidInputError(
            f"The vocoder {vocoder_dir} was saved without its text tokenizer: set vocoder.reuse_tokenizer to the "
            "tokenizer (or LauraGPT model folder) it was trained with."
        )
    tokens, rows = vocoder.text_tokenizer.vocab_size, vocoder.config.text_vocab_size  # added tokens aside
    if tokens > rows:
        raise InvalidInputError(
            f"The tokenizer for the reused vocoder {vocoder_dir} has {tokens} tokens, but its text embedding has "
            f"{rows} rows: it is not the tokenizer the vocoder was trained with. Fix: set vocoder.reuse_tokenizer "
            "to that one (or null when the vocoder folder holds it)."
        )
    codec = load_codec(codec_dir).state_dict()
    if any(not torch.equal(value, codec[name]) for name, value in vocoder.codec.state_dict().items()):
        raise InvalidInputError(f"The vocoder {vocoder_dir} wraps another codec than {codec_dir}: train a new one.")
    vocoder.save_pretrained(str(output_dir))
    return vocoder


def store_weights_in_float16(folder: str | Path) -> int:
    """Rewrite ``folder/model.safetensors`` with its float32 tensors stored as float16 (half the bytes), leaving
    ``config.json``'s ``dtype`` at float32: ``from_pretrained`` still gives a float32 model, whose weights are the
    float16-rounded ones. Returns the new file's size in bytes."""
    from safetensors.torch import load_file, save_file

    path = Path(folder) / "model.safetensors"
    state = load_file(str(path))
    save_file(
        {name: t.half() if t.dtype == torch.float32 else t for name, t in state.items()},
        str(path),
        metadata={"format": "pt"},
    )
    return path.stat().st_size


DEMO_SAMPLE_TASKS = ("asr", "s2tt", "tts", "se", "aac", "ser", "slu", "mt")


def export_demo_samples(corpus: str | Path, out_dir: str | Path, per_task: int = 1) -> list[dict]:
    """Copy the first ``per_task`` test rows of each task (held-out voice and sentences) into ``out_dir``:
    16 kHz WAV inputs, ``manifest.json`` (task, input, language, reference, source id) and ``PROVENANCE.md``."""

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    samples = []
    for task in DEMO_SAMPLE_TASKS:
        rows = load_dataset(str(corpus), task, split="test")
        for row in rows.select(range(min(per_task, len(rows)))):
            sample = {"task": task, "source_id": row["id"], "speaker": row["speaker"]}
            if row["audio"] is not None:
                name = f"{task}_{len(samples):02d}.wav"
                write_audio_atomic(out_dir / name, row["audio"]["array"], SAMPLING_RATE)
                sample["audio"] = name
            else:
                sample["text"] = row["text"]
            if row["language"]:
                sample["language"] = row["language"]
            sample["reference"] = row["target_text"] or (row["text"] if task in ("tts", "se") else None)
            samples.append(sample)
    write_text_atomic(out_dir / "manifest.json", json.dumps(samples, indent=1, ensure_ascii=False))
    lines = [
        "# Demo samples: provenance",
        "",
        (
            "Each clip is a test-split row of the demo corpus (`lauragpt build-demo-data`, seed 0): held-out voice "
            "`flite_awb` or a held-out sentence of a real recording. Sources and licences: see the corpus card "
            "(`training/demo_corpus/data/PROVENANCE.md`): asterisk prompts CC-BY-SA-3.0 (Debian "
            "asterisk-core-sounds), flite voices (BSD-style), freedesktop/sound-icons sounds, TimGM6mb soundfont."
        ),
        "",
        "| file / text | task | corpus row id | speaker |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {s.get('audio') or s.get('text')} | {s['task']} | {s['source_id']} | {s['speaker']} |" for s in samples
    ]
    write_text_atomic(out_dir / "PROVENANCE.md", "\n".join(lines) + "\n")
    return samples


__all__ = ["export_demo_samples", "train_demo_vocoder", "vocoder_rows"]
