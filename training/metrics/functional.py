"""The metrics of the paper's tasks as plain functions (paper §3.1).

Every function takes lists of predictions and references and returns a ``dict`` of floats. The local ``evaluate``
modules beside this file (``wer/wer.py``, ``bleu/bleu.py``, ...) only declare their inputs and call these functions,
so the evaluation harness and the benchmarks can call the same code without ``evaluate``.

| task        | function                  | keys                                                          |
|-------------|---------------------------|---------------------------------------------------------------|
| asr, se     | ``compute_wer``           | ``wer``, ``cer`` (fractions)                                  |
| s2tt, mt    | ``compute_bleu``          | ``bleu``, ``chrf`` (0-100)                                    |
| ser         | ``compute_classification``| ``wa``, ``ua``, ``wf1`` (fractions)                           |
| slu         | ``compute_slu``           | ``intent_accuracy``, ``slu_f1``, ``slot_precision``, ``slot_recall`` |
| aac         | ``compute_captioning``    | ``bleu_1``..``bleu_4``, ``rouge_l``, ``cider`` (+ ``meteor``) |
| se, tts     | ``compute_speech_quality``| ``pesq``, ``stoi``, ``si_sdr`` (means over pairs)             |

The packages behind them (jiwer, rapidfuzz, sacrebleu, pycocoevalcap, pesq, pystoi) are the ``eval`` extra of
``setup.py``; each is imported inside the function that needs it, so importing this file costs nothing.
"""

from __future__ import annotations

import math
import re
import shutil
import unicodedata
from collections import Counter
from collections.abc import Sequence

import numpy as np

from ...errors import InvalidInputError

# ---------------------------------------------------------------------------------------------------------------
# Text normalisation (ASR scoring)
# ---------------------------------------------------------------------------------------------------------------
_APOSTROPHES = frozenset("'\u2019\u02bc")


def normalize_text(text: str) -> str:
    """Lower-case, drop punctuation, collapse whitespace: ``"Hello,  World!"`` -> ``"hello world"``.

    Punctuation is every Unicode category ``P*`` character (so Chinese ``，。`` too). Apostrophes are deleted
    (``"don't"`` -> ``"dont"``), every other punctuation mark becomes a space (``"well-known"`` -> ``"well known"``).
    """
    text = unicodedata.normalize("NFKC", text).lower()
    chars = ("" if ch in _APOSTROPHES else " " if unicodedata.category(ch).startswith("P") else ch for ch in text)
    return " ".join("".join(chars).split())


def compute_wer(predictions: Sequence[str], references: Sequence[str], normalize: bool = True) -> dict[str, float]:
    """Corpus word and character error rates with jiwer: total edits / total reference words (characters).

    ``normalize`` applies ``normalize_text`` to both sides first. CER counts the spaces between words as characters
    (jiwer's definition). Returns fractions: ``compute_wer(["a x c"], ["a b c"])`` -> ``{"wer": 1/3, "cer": 1/5}``.
    """
    import jiwer

    predictions, references = _paired(predictions, references)
    if normalize:
        predictions = [normalize_text(p) for p in predictions]
        references = [normalize_text(r) for r in references]
    return {"wer": float(jiwer.wer(references, predictions)), "cer": float(jiwer.cer(references, predictions))}


# ---------------------------------------------------------------------------------------------------------------
# Translation (s2tt, mt)
# ---------------------------------------------------------------------------------------------------------------
def compute_bleu(
    predictions: Sequence[str], references: Sequence[str | Sequence[str]], tokenize: str = "13a"
) -> dict[str, float]:
    """Corpus BLEU and chrF (sacrebleu, 0-100 scale) with one or several references per prediction.

    ``references[i]`` is a string or a list of strings (their number may vary between predictions).
    ``tokenize`` is sacrebleu's BLEU tokeniser: ``"13a"`` (default, as WMT), ``"zh"`` for Chinese output,
    ``"intl"``, ``"char"``, ``"none"``. chrF works on characters and ignores it.
    """
    import sacrebleu

    predictions, references = _paired(predictions, references)
    reference_lists = [[r] if isinstance(r, str) else list(r) for r in references]
    depth = max(len(refs) for refs in reference_lists)
    # sacrebleu wants one stream per reference slot; None marks a missing reference for that prediction.
    streams = [[refs[k] if k < len(refs) else None for refs in reference_lists] for k in range(depth)]
    bleu = sacrebleu.corpus_bleu(predictions, streams, tokenize=tokenize)
    chrf = sacrebleu.corpus_chrf(predictions, streams)
    return {"bleu": float(bleu.score), "chrf": float(chrf.score)}


# ---------------------------------------------------------------------------------------------------------------
# Speech emotion recognition (ser)
# ---------------------------------------------------------------------------------------------------------------
def compute_classification(predictions: Sequence, references: Sequence) -> dict[str, float]:
    """WA, UA and weighted F1 of a single-label classification, as reported for emotion recognition.

    - ``wa`` (weighted accuracy) = plain accuracy = correct / N.
    - ``ua`` (unweighted accuracy) = mean over the classes present in the references of their recall
      ``TP_c / N_c``: each class counts equally however rare it is.
    - ``wf1`` = sum over reference classes of ``(N_c / N) * F1_c`` with ``F1_c = 2 TP_c / (2 TP_c + FP_c + FN_c)``
      (scikit-learn's ``f1_score(average="weighted")``; a class that is only predicted has weight 0).
    Labels are any hashable values (strings such as ``"happy"``, or ids).
    """
    predictions, references = _paired(predictions, references)
    n = len(references)
    support = Counter(references)
    predicted = Counter(predictions)
    correct = Counter(r for p, r in zip(predictions, references) if p == r)
    recalls = [correct[c] / support[c] for c in support]
    f1s = {c: 2 * correct[c] / (support[c] + predicted[c]) for c in support}  # 2TP / (2TP + FP + FN)
    return {
        "wa": sum(correct.values()) / n,
        "ua": sum(recalls) / len(recalls),
        "wf1": sum(support[c] / n * f1s[c] for c in support),
    }


# ---------------------------------------------------------------------------------------------------------------
# Spoken language understanding (slu)
# ---------------------------------------------------------------------------------------------------------------
def word_distance(gold: str, predicted: str) -> float:
    """SLURP's word-level distance of two slot values: their WER (jiwer), not capped at 1."""
    import jiwer

    if not gold.split():
        return float(bool(predicted.split()))
    return float(jiwer.wer(gold, predicted))


def char_distance(gold: str, predicted: str) -> float:
    """SLURP's character-level distance: Levenshtein distance / length of the longer string, in [0, 1]."""
    from rapidfuzz.distance import Levenshtein

    return float(Levenshtein.normalized_distance(gold, predicted))


def slot_distance_counts(
    gold: Sequence[tuple[str, str]], predicted: Sequence[tuple[str, str]], distance
) -> tuple[float, float, float]:
    """(TP, FP, FN) of one utterance's (slot, value) pairs under a value distance (SLURP's span distance F1).

    Each predicted pair whose slot type occurs among the not yet matched gold pairs is matched with the gold pair of
    that type at the lowest ``distance(gold_value, predicted_value)`` = d: it adds 1 to TP and d to both FP and FN.
    A predicted pair of a type absent from the gold adds 1 to FP; every gold pair left unmatched adds 1 to FN.
    """
    remaining = list(gold)
    tp = fp = fn = 0.0
    for slot, value in predicted:
        candidates = [(distance(g_value, value), i) for i, (g_slot, g_value) in enumerate(remaining) if g_slot == slot]
        if candidates:
            d, i = min(candidates)
            tp, fp, fn = tp + 1, fp + d, fn + d
            remaining.pop(i)
        else:
            fp += 1
    return tp, fp, fn + len(remaining)


def _precision_recall_f1(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return precision, recall, f1


def compute_slu(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Intent accuracy and SLURP's SLU-F1 for outputs written as ``intent | slot=value | slot=value``.

    Both sides are read with ``modeling_lauragpt.slu_format.parse_slu``.

    - ``intent_accuracy`` = fraction of utterances whose intent string equals the reference intent.
    - SLU-F1 (Bastianelli et al., EMNLP 2020, the SLURP evaluation script, micro average): the (slot, value) pairs
      are scored twice with ``slot_distance_counts``, once with the word-level distance ``d_w`` (WER of the values)
      and once with the character-level distance ``d_c`` (normalised Levenshtein). Summed over the utterances::

          TP_w = TP_c = #matched pairs (a slot type present on both sides)
          FP_x = sum over matched pairs of d_x(gold, predicted)  +  #predicted pairs of a type not in the gold
          FN_x = sum over matched pairs of d_x(gold, predicted)  +  #gold pairs left unmatched

      SLU-F1 adds the two confusion counts ("the sum of the confusion matrices")::

          P = (TP_w + TP_c) / (TP_w + TP_c + FP_w + FP_c)        -> slot_precision
          R = (TP_w + TP_c) / (TP_w + TP_c + FN_w + FN_c)        -> slot_recall
          SLU-F1 = 2 P R / (P + R)                               -> slu_f1

      so a value with a small transcription error counts partly right instead of wrong. Values are compared as
      written (case-sensitive). As in SLURP, P, R and F1 are 0 when there are no slots at all.
    """
    from modeling_lauragpt.slu_format import parse_slu

    predictions, references = _paired(predictions, references)
    intent_hits = 0
    counts = np.zeros(3)  # TP, FP, FN summed over the word and the char distance
    for prediction, reference in zip(predictions, references):
        pred_intent, pred_slots = parse_slu(prediction)
        gold_intent, gold_slots = parse_slu(reference)
        intent_hits += pred_intent == gold_intent
        for distance in (word_distance, char_distance):
            counts += slot_distance_counts(list(gold_slots.items()), list(pred_slots.items()), distance)
    precision, recall, f1 = _precision_recall_f1(*(float(c) for c in counts))
    return {
        "intent_accuracy": intent_hits / len(references),
        "slu_f1": f1,
        "slot_precision": precision,
        "slot_recall": recall,
    }


# ---------------------------------------------------------------------------------------------------------------
# Automated audio captioning (aac)
# ---------------------------------------------------------------------------------------------------------------
_CAPTION_TOKEN = re.compile(r"\w+(?:'\w+)*")


def caption_tokenize(text: str) -> str:
    """Lower-case words joined by single spaces, punctuation dropped: ``"A dog's bark."`` -> ``"a dog's bark"``.

    Stands in for the Java PTBTokenizer of coco-caption (which also lower-cases and drops punctuation, but splits
    ``"dog's"`` into ``"dog 's"``).
    """
    return " ".join(_CAPTION_TOKEN.findall(text.lower()))


def compute_captioning(
    predictions: Sequence[str], references: Sequence[str | Sequence[str]], meteor: bool = False
) -> dict[str, float]:
    """Caption metrics of coco-caption (pycocoevalcap's pure-Python scorers), several references per prediction.

    - ``bleu_1``..``bleu_4``: corpus BLEU-n (closest reference length), fractions.
    - ``rouge_l``: mean over the clips of ROUGE-L F (beta = 1.2) against the best reference.
    - ``cider``: CIDEr-D (tf-idf n-grams 1-4, idf from the references of this corpus, clipped counts, Gaussian length
      penalty sigma = 6, x 10). It needs a corpus: with a single clip every idf is 0 and CIDEr is 0.
    - ``meteor``: only with ``meteor=True`` and ``java`` on PATH (pycocoevalcap's bundled METEOR 1.5 jar, ~10 s to
      start); omitted otherwise. SPICE is not computed (it downloads Stanford CoreNLP at run time).
    Text is tokenised with ``caption_tokenize``.
    """
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    predictions, references = _paired(predictions, references)
    res = {i: [caption_tokenize(p)] for i, p in enumerate(predictions)}
    reference_lists = [[refs] if isinstance(refs, str) else list(refs) for refs in references]
    gts = {i: [caption_tokenize(r) for r in refs] for i, refs in enumerate(reference_lists)}
    bleus, _ = Bleu(4).compute_score(gts, res, verbose=0)
    scores = {f"bleu_{n}": float(b) for n, b in enumerate(bleus, start=1)}
    scores["rouge_l"] = float(Rouge().compute_score(gts, res)[0])
    scores["cider"] = float(Cider().compute_score(gts, res)[0])
    if meteor and shutil.which("java"):
        scores["meteor"] = _meteor(gts, res)
    return scores


def _meteor(gts: dict, res: dict) -> float:
    from pycocoevalcap.meteor.meteor import Meteor

    scorer = Meteor()  # starts a java subprocess
    try:
        return float(scorer.compute_score(gts, res)[0])
    finally:
        scorer.meteor_p.stdin.close()
        scorer.meteor_p.kill()
        scorer.meteor_p.wait()


# ---------------------------------------------------------------------------------------------------------------
# Speech quality (se, tts)
# ---------------------------------------------------------------------------------------------------------------
def _trimmed(prediction, reference) -> tuple[np.ndarray, np.ndarray]:
    """Both signals as float64 1-D arrays cut to the shorter length."""
    prediction = np.asarray(prediction, dtype=np.float64).reshape(-1)
    reference = np.asarray(reference, dtype=np.float64).reshape(-1)
    n = min(len(prediction), len(reference))
    return prediction[:n], reference[:n]


def pesq_wb(prediction, reference, sample_rate: int = 16000) -> float:
    """Wide-band PESQ (ITU-T P.862.2, MOS-LQO ~1.0-4.64) of one pair; NaN when PESQ finds no speech in it.

    An all-zero signal also gives NaN (the pesq package fails on it with a division by zero).
    """
    from pesq import NoUtterancesError, pesq

    prediction, reference = _trimmed(prediction, reference)
    if not (prediction.any() and reference.any()):
        return math.nan
    try:
        return float(pesq(sample_rate, reference, prediction, "wb"))
    except NoUtterancesError:
        return math.nan


def stoi(prediction, reference, sample_rate: int = 16000, extended: bool = False) -> float:
    """Short-time objective intelligibility (pystoi, 0-1) of one pair; ``extended=True`` gives ESTOI."""
    from pystoi import stoi as _stoi

    prediction, reference = _trimmed(prediction, reference)
    return float(_stoi(reference, prediction, sample_rate, extended=extended))


def si_sdr(prediction, reference, eps: float = 1e-8) -> float:
    """Scale-invariant signal-to-distortion ratio in dB (Le Roux et al., 2019) of one pair.

    With zero-mean signals ``s`` (reference) and ``y`` (prediction): ``t = (<y, s> / <s, s>) s`` is the part of ``y``
    explained by ``s``, ``e = y - t`` the rest, and SI-SDR = ``10 log10(|t|^2 / |e|^2)``. ``eps`` guards the
    divisions as torchmetrics does.
    """
    prediction, reference = _trimmed(prediction, reference)
    prediction = prediction - prediction.mean()
    reference = reference - reference.mean()
    scale = (prediction @ reference + eps) / (reference @ reference + eps)
    target = scale * reference
    error = prediction - target
    return float(10 * np.log10((target @ target + eps) / (error @ error + eps)))


def compute_speech_quality(predictions: Sequence, references: Sequence, sample_rate: int = 16000) -> dict[str, float]:
    """Means over (prediction, reference) waveform pairs of wide-band PESQ, STOI and SI-SDR (dB).

    Waveforms are float arrays at ``sample_rate`` (16 kHz for PESQ wide-band); each pair is trimmed to the shorter
    of its two lengths. A pair where PESQ finds no speech makes the mean PESQ NaN (it is not silently skipped); call
    ``pesq_wb`` per pair to handle such outputs differently.
    """
    pairs = list(zip(*_paired(predictions, references)))
    return {
        "pesq": float(np.mean([pesq_wb(p, r, sample_rate) for p, r in pairs])),
        "stoi": float(np.mean([stoi(p, r, sample_rate) for p, r in pairs])),
        "si_sdr": float(np.mean([si_sdr(p, r) for p, r in pairs])),
    }


def _paired(predictions: Sequence, references: Sequence) -> tuple[list, list]:
    predictions, references = list(predictions), list(references)
    if len(predictions) != len(references):
        raise InvalidInputError(f"{len(predictions)} predictions but {len(references)} references")
    if not references:
        raise InvalidInputError("no predictions to score")
    return predictions, references


__all__ = [
    "caption_tokenize",
    "char_distance",
    "compute_bleu",
    "compute_captioning",
    "compute_classification",
    "compute_slu",
    "compute_speech_quality",
    "compute_wer",
    "normalize_text",
    "pesq_wb",
    "si_sdr",
    "slot_distance_counts",
    "stoi",
    "word_distance",
]
