"""Write an evaluation run to disk: results JSON, a markdown table, per-example predictions, audio and plots.

Layout of ``output_dir``::

    results.json                 model, data, config, per task: num_examples, metrics, notes, timings; plots
    results.md                   the metrics as one markdown table (the CLI prints it), then the notes
    predictions/<task>.jsonl     one JSON object per example: id, prediction / recognised text, references, scores
    audio/<task>/<id>.wav        generated speech of tts and se (16-bit PCM)
    plots/training_curves.png    losses vs step, when a trainer_state.json is known
    plots/<task>_spectrograms.png  tts: generated vs reference; se: enhanced vs noisy vs clean

Metric values in JSON are the metric functions' own (fractions for error rates and accuracies, 0-100 for sacrebleu);
NaN (an undefined score) is written as ``null``. The markdown shows error rates and accuracies in percent.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np

from ...atomic_files import write_audio_atomic, write_text_atomic
from ...figures import plot_spectrograms
from .plots import plot_training_curves
from .scoring import output_audio

PERCENT_KEYS = re.compile(
    r"^(?:(?:reference|noisy|clean)_)?(?:wer|cer)$|^(?:wa|ua|wf1|intent_accuracy|slu_f1|slot_precision|slot_recall)$"
)
SACREBLEU_KEYS = re.compile(r"^(?:bleu|chrf)(?:_[a-z][a-z_-]*)?$")  # 0-100; captioning's bleu_1..bleu_4 are fractions
LABELS = {
    "wer": "WER",
    "cer": "CER",
    "bleu": "BLEU",
    "chrf": "chrF",
    "wa": "WA",
    "ua": "UA",
    "wf1": "WF1",
    "intent_accuracy": "intent accuracy",
    "slu_f1": "SLU-F1",
    "rouge_l": "ROUGE-L",
    "cider": "CIDEr-D",
    "meteor": "METEOR",
    "pesq": "PESQ (wb)",
    "stoi": "STOI",
    "si_sdr": "SI-SDR (dB)",
    "speaker_similarity": "speaker similarity (SECS)",
    "wer_ratio": "WER ratio (generated / reference)",
    "si_sdr_improvement": "SI-SDR improvement (dB)",
}


def json_safe(value):
    """``value`` with NaN/inf floats replaced by None and numpy scalars by Python numbers (strict JSON)."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def metric_label(key: str) -> str:
    """Human name of a metric key: ``"noisy_pesq"`` -> ``"PESQ (wb), noisy input"``, ``"bleu_de"`` -> ``"BLEU [de]"``."""
    for prefix, suffix in (("noisy_", "noisy input"), ("clean_", "clean speech"), ("reference_", "reference speech")):
        if key.startswith(prefix):
            return f"{metric_label(key[len(prefix) :])}, {suffix}"
    if key in LABELS:
        return LABELS[key]
    head, _, tail = key.rpartition("_")
    if head == "bleu" and tail.isdigit():
        return f"BLEU-{tail}"
    if head in ("bleu", "chrf") and tail:
        return f"{LABELS[head]} [{tail}]"
    return key.replace("_", " ")


def format_value(key: str, value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, int) or key.endswith("_undefined"):
        return str(int(value))
    if PERCENT_KEYS.match(key):
        return f"{100 * value:.2f} %"
    if SACREBLEU_KEYS.match(key):
        return f"{value:.2f}"
    return f"{value:.3f}"


def markdown_table(results: dict) -> str:
    """One row per metric, grouped by task, then the notes of each task."""
    lines = ["| task | examples | metric | value |", "|---|---:|---|---:|"]
    notes = [f"- {note}" for note in results.get("notes", [])]
    for task, result in results["tasks"].items():
        for row, (key, value) in enumerate(result["metrics"].items()):
            first = row == 0
            lines.append(
                f"| {task if first else ''} | {result['num_examples'] if first else ''} | {metric_label(key)} | {format_value(key, value)} |"
            )
        notes += [f"- {task}: {note}" for note in result["notes"]]
    text = "\n".join(lines) + "\n"
    if notes:
        text += "\nNotes:\n" + "\n".join(notes) + "\n"
    return text


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:120] or "example"


def _write_predictions(output_dir: Path, task: str, items, outputs, records) -> None:
    (output_dir / "predictions").mkdir(parents=True, exist_ok=True)
    audio_task = task in ("tts", "se")
    lines = []
    for index, (item, output, record) in enumerate(zip(items, outputs, records)):
        record = dict(record, failed=output is None)
        if audio_task and output is not None:
            relative = Path("audio") / task / f"{index:05d}_{_safe_name(item.id)}.wav"
            write_audio_atomic(output_dir / relative, output["audio"], output["sampling_rate"], subtype="PCM_16")
            record["audio"] = str(relative)
        lines.append(json.dumps(json_safe(record), ensure_ascii=False) + "\n")
    write_text_atomic(output_dir / "predictions" / f"{task}.jsonl", "".join(lines))


def _spectrogram_plots(output_dir: Path, task: str, items, outputs, count: int) -> list[str]:
    if task not in ("tts", "se") or count <= 0:
        return []
    rows = []
    for item, output in list(zip(items, outputs))[:count]:
        row = [(f"{item.id}: {'generated' if task == 'tts' else 'enhanced'}", output_audio(output))]
        if task == "se":
            row.append((f"{item.id}: noisy input", item.input_audio))
        if item.target_audio is not None:
            row.append((f"{item.id}: {'reference' if task == 'tts' else 'clean'}", item.target_audio))
        rows.append(row)
    path = plot_spectrograms(
        rows,
        output_dir / "plots" / f"{task}_spectrograms.png",
        title=f"{task}: first {min(count, len(items))} examples",
    )
    return [str(path.relative_to(output_dir))]


def write_report(results: dict, details: dict, output_dir, trainer_state=None, num_spectrograms: int = 2) -> Path:
    """Write every file of the layout above; ``details`` maps task -> (items, outputs, records). Adds
    ``results["plots"]`` (paths relative to ``output_dir``). Returns the path of ``results.json``."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    plots = []
    for task, (items, outputs, records) in details.items():
        _write_predictions(output_dir, task, items, outputs, records)
        plots += _spectrogram_plots(output_dir, task, items, outputs, num_spectrograms)
    if trainer_state is not None:
        path = plot_training_curves(trainer_state, output_dir / "plots" / "training_curves.png")
        plots.append(str(path.relative_to(output_dir)))
    results["plots"] = plots
    write_text_atomic(output_dir / "results.md", markdown_table(results))
    return write_text_atomic(
        output_dir / "results.json", json.dumps(json_safe(results), indent=2, ensure_ascii=False) + "\n"
    )


__all__ = ["format_value", "json_safe", "markdown_table", "metric_label", "write_report"]
