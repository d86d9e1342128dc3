"""Score one task's generated outputs against its references with the paper's metrics.

``score_task(task, items, outputs, options)`` returns a ``TaskScores``: corpus metrics (floats), one record per
item for ``predictions/<task>.jsonl``, and notes (metrics skipped and why). Outputs are the pipeline's result
dicts, aligned with the items; ``None`` marks an item whose generation failed: it is scored as an empty text or
as one codec frame of silence, so failures lower the scores instead of vanishing from them.

| task      | metrics (JSON keys)                                                                           |
|-----------|-----------------------------------------------------------------------------------------------|
| asr       | wer, cer (fractions; ``normalize_text``: lower-case, punctuation removed); wer_<speaker>;    |
|           | whisper_wer (the Whisper judge on the same clips, with ``whisper_judge``)                     |
| s2tt, mt  | bleu, chrf (sacrebleu, 0-100; per language too when several): ``bleu_<lang>``, ``chrf_<lang>`` |
| ser       | wa, ua, wf1                                                                                   |
| slu       | intent_accuracy, slu_f1, slot_precision, slot_recall                                          |
| aac       | bleu_1..bleu_4, rouge_l, cider (CIDEr-D), meteor (with Java)                                  |
| tts       | wer, cer (pocketsphinx on the output vs the input text), reference_wer, reference_cer,       |
|           | wer_ratio (same judge on the corpus speech), speaker_similarity (Resemblyzer), duration_ratio; |
|           | the same with a ``whisper_`` prefix from the Whisper judge (``whisper_judge``)                |
| se        | pesq, stoi, si_sdr of the output vs clean; noisy_pesq, noisy_stoi, noisy_si_sdr of the input; |
|           | si_sdr_improvement; wer, noisy_wer, clean_wer (pocketsphinx) when the corpus has transcripts, |
|           | and whisper_wer, whisper_noisy_wer, whisper_clean_wer from the Whisper judge                  |
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from ...errors import InvalidInputError
from ..data.schema import SAMPLING_RATE
from ..metrics import (
    compute_bleu,
    compute_captioning,
    compute_classification,
    compute_slu,
    compute_wer,
    pesq_wb,
    si_sdr,
    stoi,
)
from .examples import EvalItem, decode_audio

SILENCE = np.zeros(SAMPLING_RATE // 25, dtype=np.float32)  # one 40 ms codec frame: the audio of a failed generation
SCORED_TASKS = ("asr", "s2tt", "mt", "ser", "slu", "aac", "tts", "se")


@dataclass
class ScoreOptions:
    """Switches of the optional, slower metrics."""

    meteor: bool = True  # aac METEOR (Java, ~10 s to start)
    speaker_similarity: bool = True  # tts SECS with Resemblyzer, when installed
    whisper_judge: str | None = None  # a Whisper folder: a second recogniser for tts/se, and beside the model's asr


@dataclass
class TaskScores:
    metrics: dict[str, float]
    records: list[dict]
    notes: list[str] = field(default_factory=list)


def output_text(task: str, output: dict | None) -> str:
    """The text of one pipeline result (``label`` for ser), ``""`` for a failed generation."""
    if output is None:
        return ""
    return output["label"] if task == "ser" else output["text"]


def output_audio(output: dict | None) -> np.ndarray:
    """The waveform of one pipeline result at 16 kHz, one frame of silence for a failed generation."""
    if output is None:
        return SILENCE
    audio = np.asarray(output["audio"], dtype=np.float32).reshape(-1)
    if output["sampling_rate"] == SAMPLING_RATE:
        return audio  # as generated: no level check (an untrained vocoder may well exceed full scale)
    return decode_audio({"array": audio, "sampling_rate": output["sampling_rate"]})


def _text_records(items, predictions):
    return [{"id": it.id, "prediction": p, "references": it.references} for it, p in zip(items, predictions)]


def _single_references(task: str, items: list[EvalItem]) -> list[str]:
    missing = [it.id for it in items if not it.references]
    if missing:
        raise InvalidInputError(f"Task {task!r}: examples {missing[:5]} have no target_text to score against.")
    return [it.references[0] for it in items]


def _score_translation(items, predictions) -> dict[str, float]:
    references = _single_references("translation", items)
    languages = [it.language or "" for it in items]
    all_zh = all(lang.startswith("zh") for lang in languages)
    metrics = compute_bleu(predictions, references, tokenize="zh" if all_zh else "13a")
    if len(set(languages)) > 1:
        for language in sorted(set(languages)):
            rows = [i for i, lang in enumerate(languages) if lang == language]
            scores = compute_bleu(
                [predictions[i] for i in rows],
                [references[i] for i in rows],
                tokenize="zh" if language.startswith("zh") else "13a",
            )
            metrics.update({f"{key}_{language or 'none'}": value for key, value in scores.items()})
    return metrics


def _score_asr(items, predictions, options) -> TaskScores:
    """WER and CER, per speaker too when there are several (real recordings apart from the held-out voice), and
    the Whisper judge's own WER on the same clips when there is one."""
    references = _single_references("asr", items)
    records = _text_records(items, predictions)
    metrics = compute_wer(predictions, references)
    hypotheses = {"": predictions}
    if options.whisper_judge:
        recognizer = _whisper_recognizer(str(options.whisper_judge))
        hypotheses["whisper_"] = [recognizer.transcribe(it.input_audio, SAMPLING_RATE) for it in items]
        metrics.update(
            {"whisper_" + key: value for key, value in compute_wer(hypotheses["whisper_"], references).items()}
        )
        for record, hypothesis in zip(records, hypotheses["whisper_"]):
            record["whisper_recognized"] = hypothesis
    speakers = sorted({it.speaker for it in items if it.speaker})
    if len(speakers) > 1:
        for speaker in speakers:
            rows = [i for i, it in enumerate(items) if it.speaker == speaker]
            for prefix, texts in hypotheses.items():
                metrics[f"{prefix}wer_{speaker}"] = compute_wer(
                    [texts[i] for i in rows], [references[i] for i in rows]
                )["wer"]
    return TaskScores(metrics, records)


def _score_text(task, items, outputs, options) -> TaskScores:
    predictions = [output_text(task, o) for o in outputs]
    if task == "asr":
        return _score_asr(items, predictions, options)
    elif task in ("s2tt", "mt"):
        metrics = _score_translation(items, predictions)
    elif task == "ser":
        metrics = compute_classification(
            [p.strip() for p in predictions], [r.strip() for r in _single_references(task, items)]
        )
    elif task == "slu":
        metrics = compute_slu(predictions, _single_references(task, items))
    else:  # aac
        metrics = compute_captioning(predictions, [it.references for it in items], meteor=options.meteor)
    return TaskScores(metrics, _text_records(items, predictions))


def pesq_or_nan(prediction, reference) -> float:
    """Wide-band PESQ of one pair, NaN where PESQ is undefined: no speech found, or a clip under 0.25 s
    (``pesq_wb`` reports the first as NaN; the second raises ``BufferTooShortError`` in the pesq package)."""
    from pesq import BufferTooShortError

    try:
        return pesq_wb(prediction, reference, SAMPLING_RATE)
    except BufferTooShortError:
        return math.nan


def _nanmean(values) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return float(np.mean(finite)) if finite else math.nan


def judges(options: ScoreOptions) -> dict[str, object]:
    """The independent recognisers that judge speech, by metric-key prefix: pocketsphinx always (``""``), Whisper
    (``"whisper_"``) when ``options.whisper_judge`` names a folder."""
    from .tts_intelligibility import PocketsphinxRecognizer

    found = {"": PocketsphinxRecognizer()}
    if options.whisper_judge:
        found["whisper_"] = _whisper_recognizer(str(options.whisper_judge))
    return found


@functools.lru_cache(maxsize=2)
def _whisper_recognizer(folder: str):
    from .whisper_judge import WhisperRecognizer

    return WhisperRecognizer(folder)


def _judge_tts(prefix, recognizer, items, audios, texts, with_reference, metrics, records, notes) -> None:
    from .tts_intelligibility import intelligibility

    judged = intelligibility(audios, texts, recognizer=recognizer)
    hypotheses = judged.pop("hypotheses")
    metrics.update({prefix + key: value for key, value in judged.items()})
    for record, hypothesis in zip(records, hypotheses):
        record[prefix + "recognized"] = hypothesis
    if not with_reference:
        return
    subset_texts = [texts[i] for i in with_reference]
    reference = intelligibility([items[i].target_audio for i in with_reference], subset_texts, recognizer=recognizer)
    metrics.update({prefix + "reference_wer": reference["wer"], prefix + "reference_cer": reference["cer"]})
    generated_wer = compute_wer([hypotheses[i] for i in with_reference], subset_texts)["wer"]  # the same examples
    metrics[prefix + "wer_ratio"] = generated_wer / reference["wer"] if reference["wer"] > 0 else math.nan
    if reference["wer"] == 0:
        notes.append(
            f"{prefix or 'pocketsphinx_'}judge made no error on the reference speech: its WER ratio is undefined"
        )
    for i, hypothesis in zip(with_reference, reference["hypotheses"]):
        records[i][prefix + "reference_recognized"] = hypothesis


def _score_tts(items, outputs, options) -> TaskScores:
    audios = [output_audio(o) for o in outputs]
    texts = [it.text for it in items]
    metrics, notes = {}, []
    records = [{"id": it.id, "text": it.text, "duration_s": len(a) / SAMPLING_RATE} for it, a in zip(items, audios)]
    with_reference = [i for i, it in enumerate(items) if it.target_audio is not None]
    for prefix, recognizer in judges(options).items():
        _judge_tts(prefix, recognizer, items, audios, texts, with_reference, metrics, records, notes)
    if with_reference:
        generated_samples = sum(len(audios[i]) for i in with_reference)
        metrics["duration_ratio"] = generated_samples / sum(len(items[i].target_audio) for i in with_reference)
    else:
        notes.append("no target_audio: the recogniser's WER on reference speech (and the ratio) is not reported")
    _add_speaker_similarity(items, audios, with_reference, metrics, records, notes, options)
    return TaskScores(metrics, records, notes)


def _add_speaker_similarity(items, audios, with_reference, metrics, records, notes, options):
    from .speaker_similarity import (
        INSTALL_HINT,
        SpeakerSimilarity,
        resemblyzer_available,
    )

    if not options.speaker_similarity:
        notes.append("speaker similarity not computed (switched off)")
    elif not resemblyzer_available():
        notes.append(f"speaker similarity skipped: Resemblyzer is not installed ({INSTALL_HINT})")
    elif with_reference:
        scorer = SpeakerSimilarity()
        scores = {i: scorer.similarity(audios[i], items[i].target_audio, SAMPLING_RATE) for i in with_reference}
        metrics["speaker_similarity"] = _nanmean(scores.values())
        undefined = sum(math.isnan(v) for v in scores.values())
        if undefined:
            metrics["speaker_similarity_undefined"] = undefined
        for i, value in scores.items():
            records[i]["speaker_similarity"] = None if math.isnan(value) else value


def _score_se(items, outputs, options) -> TaskScores:
    missing = [it.id for it in items if it.target_audio is None]
    if missing:
        raise InvalidInputError(f"Task 'se': examples {missing[:5]} have no clean target_audio to score against.")
    enhanced = [output_audio(o) for o in outputs]
    metrics, records = {}, [{"id": it.id} for it in items]
    for prefix, signals in (("", enhanced), ("noisy_", [it.input_audio for it in items])):
        for name, fn in (("pesq", pesq_or_nan), ("stoi", stoi), ("si_sdr", si_sdr)):
            values = [fn(s, it.target_audio) for s, it in zip(signals, items)]
            metrics[prefix + name] = _nanmean(values)
            if name == "pesq" and any(math.isnan(v) for v in values):
                metrics[prefix + "pesq_undefined"] = sum(math.isnan(v) for v in values)
            for record, value in zip(records, values):
                record[prefix + name] = None if math.isnan(value) else value
    metrics["si_sdr_improvement"] = metrics["si_sdr"] - metrics["noisy_si_sdr"]
    notes = []
    if all(it.text for it in items):
        from .tts_intelligibility import intelligibility

        texts = [it.text for it in items]
        for judge, recognizer in judges(options).items():
            for prefix, signals in (
                ("", enhanced),
                ("noisy_", [it.input_audio for it in items]),
                ("clean_", [it.target_audio for it in items]),
            ):
                judged = intelligibility(signals, texts, recognizer=recognizer)
                metrics[judge + prefix + "wer"] = judged["wer"]
                for record, hypothesis in zip(records, judged["hypotheses"]):
                    record[judge + prefix + "recognized"] = hypothesis
    else:
        notes.append("no transcripts in the 'text' column: the WER of enhanced speech is not reported")
    return TaskScores(metrics, records, notes)


def score_task(
    task: str, items: list[EvalItem], outputs: list[dict | None], options: ScoreOptions | None = None
) -> TaskScores:
    """Metrics, per-item records and notes of ``task`` (see the module table)."""
    if task not in SCORED_TASKS:
        raise InvalidInputError(
            f"No metric is defined for task {task!r}; the harness scores {', '.join(SCORED_TASKS)}."
        )
    if len(items) != len(outputs):
        raise InvalidInputError(f"{len(items)} examples but {len(outputs)} outputs for task {task!r}")
    options = options or ScoreOptions()
    if task == "tts":
        scores = _score_tts(items, outputs, options)
    elif task == "se":
        scores = _score_se(items, outputs, options)
    else:
        scores = _score_text(task, items, outputs, options)
    failed = sum(o is None for o in outputs)
    if failed:
        scores.notes.append(f"{failed} generation(s) failed and were scored as empty outputs")
    return scores


__all__ = ["SCORED_TASKS", "ScoreOptions", "TaskScores", "output_audio", "output_text", "score_task"]
