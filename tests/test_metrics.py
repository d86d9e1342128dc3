"""The task metrics against values worked out by hand, through the plain functions and through `evaluate.load`."""

from __future__ import annotations

import math
import os
import shutil

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the modules are local files: nothing may come from the Hub

import evaluate
import numpy as np
import pytest

from modeling_lauragpt.training.metrics import (
    METRICS,
    compute_bleu,
    compute_captioning,
    compute_classification,
    compute_slu,
    compute_speech_quality,
    compute_wer,
    load_metric,
    normalize_text,
    pesq_wb,
    si_sdr,
    stoi,
)

from .helpers import make_audio


# ----------------------------------------------------------------------------------------------------------------
# loading
# ----------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", METRICS)
def test_every_module_loads_from_its_local_folder(name):
    metric = load_metric(name)
    assert isinstance(metric, evaluate.Metric)
    assert metric.info.description and metric.info.citation and metric.info.inputs_description
    assert metric.info.features is not None


def test_unknown_metric_name_is_refused():
    with pytest.raises(ValueError, match="available"):
        load_metric("spider")


# ----------------------------------------------------------------------------------------------------------------
# wer
# ----------------------------------------------------------------------------------------------------------------
def test_normalize_text():
    assert normalize_text("  Hello,   World! ") == "hello world"
    assert normalize_text("Don't stop—well-known.") == "dont stop well known"
    assert normalize_text("你好，世界。") == "你好 世界"


def test_wer_and_cer_by_hand():
    # one substitution among 3 words; among 5 characters "a b c" (spaces count): 1/5
    assert compute_wer(["a x c"], ["a b c"]) == pytest.approx({"wer": 1 / 3, "cer": 1 / 5})
    # corpus pooling: 1 substitution + 1 insertion over 3 + 2 reference words = 2/5 (not the mean of 1/3 and 1/2)
    assert compute_wer(["a x c", "d e f"], ["a b c", "d e"])["wer"] == pytest.approx(2 / 5)
    # the normaliser is on by default and applies to both sides; off, "A," and "c!" are two more substitutions
    assert compute_wer(["A, x c!"], ["a b c"])["wer"] == pytest.approx(1 / 3)
    assert compute_wer(["A, x c!"], ["a b c"], normalize=False)["wer"] == pytest.approx(3 / 3)


def test_wer_module_add_batch_pools_the_corpus():
    metric = load_metric("wer")
    metric.add_batch(predictions=["a x c"], references=["a b c"])
    metric.add_batch(predictions=["d e f"], references=["d e"])
    assert metric.compute() == pytest.approx(compute_wer(["a x c", "d e f"], ["a b c", "d e"]))
    assert metric.compute(predictions=["A, x c!"], references=["a b c"], normalize=False)["wer"] == pytest.approx(1.0)


# ----------------------------------------------------------------------------------------------------------------
# bleu
# ----------------------------------------------------------------------------------------------------------------
# sacrebleu's README example: "BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)"
# and chrF2 = 59.73. Two reference streams, given here per prediction.
SACREBLEU_HYPS = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."]
SACREBLEU_REFS = [
    ["The dog bit the man.", "The dog had bit the man."],
    ["It was not unexpected.", "No one was surprised."],
    ["The man bit him first.", "The man had bitten the dog."],
]


def test_bleu_of_identical_sentences_is_100():
    sentences = ["the cat sat on the mat", "a dog ran in the park"]
    scores = compute_bleu(sentences, list(sentences))
    assert scores == pytest.approx({"bleu": 100.0, "chrf": 100.0})


def test_bleu_matches_sacrebleu_documented_example_and_hand_formula():
    scores = compute_bleu(SACREBLEU_HYPS, SACREBLEU_REFS)
    assert scores["bleu"] == pytest.approx(48.53, abs=0.005)
    assert scores["chrf"] == pytest.approx(59.73, abs=0.005)
    # by hand: clipped n-gram precisions 14/17, 7/14, 5/11, 3/8; closest reference length 18 for 17 words
    precisions = [14 / 17, 7 / 14, 5 / 11, 3 / 8]
    by_hand = 100 * math.exp(1 - 18 / 17) * math.exp(sum(map(math.log, precisions)) / 4)
    assert scores["bleu"] == pytest.approx(by_hand, rel=1e-9)


def test_bleu_several_references_of_different_counts():
    predictions = ["the cat sat on the mat", "a dog ran in the park"]
    first_only = compute_bleu(predictions, [["the cat sat on the mat"], ["a dog ran in a park"]])["bleu"]
    assert first_only < 100
    # the second prediction gets a second, exact reference; the first keeps one: BLEU becomes 100
    ragged = [["the cat sat on the mat"], ["a dog ran in a park", "a dog ran in the park"]]
    assert compute_bleu(predictions, ragged)["bleu"] == pytest.approx(100.0)


def test_bleu_module_with_one_or_several_references():
    metric = load_metric("bleu")
    for hyp, refs in zip(SACREBLEU_HYPS, SACREBLEU_REFS):
        metric.add(prediction=hyp, references=refs)
    assert metric.compute()["bleu"] == pytest.approx(48.53, abs=0.005)
    single = metric.compute(predictions=["the cat sat on the mat"], references=["the cat sat on the mat"])
    assert single["bleu"] == pytest.approx(100.0)


# ----------------------------------------------------------------------------------------------------------------
# classification (ser)
# ----------------------------------------------------------------------------------------------------------------
def test_classification_on_an_imbalanced_set():
    # 4 "neutral", 1 "angry"; the system always says "neutral".
    # WA = 4/5. UA = (recall neutral 4/4 + recall angry 0/1) / 2 = 0.5.
    # F1 neutral: P = 4/5, R = 1 -> 2*0.8*1/1.8 = 8/9; F1 angry = 0. WF1 = 4/5 * 8/9 + 1/5 * 0 = 32/45.
    refs = ["neutral"] * 4 + ["angry"]
    preds = ["neutral"] * 5
    assert compute_classification(preds, refs) == pytest.approx({"wa": 0.8, "ua": 0.5, "wf1": 32 / 45})


def test_classification_ignores_classes_only_predicted_for_ua():
    # refs a a b b, preds a c b b: recall a = 1/2, b = 2/2 -> UA 0.75 (class c is not a reference class)
    # F1 a = 2*1/(2+1) = 2/3, F1 b = 2*2/(2+2) = 1 -> WF1 = (2/3 + 1)/2 = 5/6
    scores = compute_classification(["a", "c", "b", "b"], ["a", "a", "b", "b"])
    assert scores == pytest.approx({"wa": 0.75, "ua": 0.75, "wf1": 5 / 6})
    metric = load_metric("classification")
    metric.add_batch(predictions=["a", "c"], references=["a", "a"])
    metric.add_batch(predictions=["b", "b"], references=["b", "b"])
    assert metric.compute() == pytest.approx(scores)


# ----------------------------------------------------------------------------------------------------------------
# slu
# ----------------------------------------------------------------------------------------------------------------
SLU_REFS = [
    "set_alarm | time=seven am | date=tomorrow",
    "play_music | artist=the beatles",
    "weather_query | place=paris",
]
SLU_PREDS = ["set_alarm | time=seven pm | date=tomorrow", "play_radio | genre=rock", "weather_query"]


def test_slu_one_wrong_slot_value():
    # time: "seven pm" for "seven am". Word distance = WER = 1 sub / 2 words = 0.5; char distance = Levenshtein 1 /
    # 8 characters = 0.125. date matches exactly (distance 0).
    # word counts: TP 2, FP 0.5, FN 0.5; char counts: TP 2, FP 0.125, FN 0.125
    # SLU-F1: P = R = (2 + 2) / (4 + 0.5 + 0.125) = 4 / 4.625 -> F1 = 4 / 4.625 = 0.8649
    scores = compute_slu(SLU_PREDS[:1], SLU_REFS[:1])
    assert scores == pytest.approx(
        {"intent_accuracy": 1.0, "slu_f1": 4 / 4.625, "slot_precision": 4 / 4.625, "slot_recall": 4 / 4.625}
    )


def test_slu_corpus_with_wrong_intent_spurious_and_missing_slots():
    # utterance 1 as above:                     word TP 2, FP .5, FN .5   char TP 2, FP .125, FN .125
    # utterance 2: wrong intent; "genre" is not a gold slot (FP 1), "artist" not predicted (FN 1), for both distances
    # utterance 3: right intent, "place" missed (FN 1) for both distances
    # sums: TP = 2 + 2 = 4; FP = (.5 + 1) + (.125 + 1) = 2.625; FN = (.5 + 1 + 1) + (.125 + 1 + 1) = 4.625
    p, r = 4 / (4 + 2.625), 4 / (4 + 4.625)
    scores = compute_slu(SLU_PREDS, SLU_REFS)
    assert scores == pytest.approx(
        {"intent_accuracy": 2 / 3, "slu_f1": 2 * p * r / (p + r), "slot_precision": p, "slot_recall": r}
    )
    metric = load_metric("slu")
    for pred, ref in zip(SLU_PREDS, SLU_REFS):
        metric.add(prediction=pred, reference=ref)
    assert metric.compute() == pytest.approx(scores)


def test_slu_perfect_and_slotless():
    assert compute_slu(SLU_REFS, SLU_REFS) == pytest.approx(
        {"intent_accuracy": 1.0, "slu_f1": 1.0, "slot_precision": 1.0, "slot_recall": 1.0}
    )
    # no slots anywhere: SLURP's convention gives P = R = F1 = 0
    assert compute_slu(["greet"], ["greet"])["slu_f1"] == 0.0


# ----------------------------------------------------------------------------------------------------------------
# captioning (aac)
# ----------------------------------------------------------------------------------------------------------------
def test_captioning_two_clip_corpus_by_hand():
    # clip A: "a dog" vs ref "a dog"; clip B: "a bird" vs ref "a cat"
    # BLEU-1: matched unigrams 2 + 1 of 4, lengths equal (BP 1) -> 0.75; BLEU-2: bigrams 1 of 2 -> sqrt(.75 * .5)
    # ROUGE-L: A 1.0; B LCS 1, P = R = 1/2 -> F = 0.5; mean 0.75
    # CIDEr-D: idf = log(2 clips) - log(df); "a" is in both clips' refs -> weight 0; "dog", "a dog" weight log 2.
    #   A: cosine 1 for 1-grams and 2-grams, 0 for 3- and 4-grams (none) -> 10 * mean(1, 1, 0, 0) = 5
    #   B: only "a" is shared and it weighs 0 -> 0.  CIDEr = (5 + 0) / 2 = 2.5
    scores = compute_captioning(["A dog.", "a bird"], [["a dog"], ["a cat"]])
    assert set(scores) == {"bleu_1", "bleu_2", "bleu_3", "bleu_4", "rouge_l", "cider"}
    assert scores["bleu_1"] == pytest.approx(0.75, abs=1e-6)
    assert scores["bleu_2"] == pytest.approx(math.sqrt(0.75 * 0.5), abs=1e-6)
    assert scores["rouge_l"] == pytest.approx(0.75)
    assert scores["cider"] == pytest.approx(2.5)


def test_captioning_exact_match_beats_mismatch_and_one_clip_cider_is_zero():
    refs = [
        ["a dog barks loudly", "a dog is barking"],
        ["rain falls on a roof", "heavy rain on a tin roof"],
        ["a car passes by", "a vehicle drives past"],
    ]
    exact = compute_captioning(["a dog barks loudly", "rain falls on a roof", "a car passes by"], refs)
    wrong = compute_captioning(["birds sing in trees", "a man speaks", "music plays"], refs)
    for key in exact:
        assert exact[key] > wrong[key], key
    # with one clip every n-gram's idf is log(1) - log(1) = 0, so CIDEr is 0 even for an exact match
    assert compute_captioning(["a dog barks"], [["a dog barks"]])["cider"] == 0.0


def test_captioning_module():
    metric = load_metric("captioning")
    metric.add_batch(predictions=["A dog."], references=[["a dog"]])
    metric.add_batch(predictions=["a bird"], references=[["a cat", "a cat meows"]])
    scores = metric.compute()
    assert scores == pytest.approx(compute_captioning(["A dog.", "a bird"], [["a dog"], ["a cat", "a cat meows"]]))


@pytest.mark.skipif(shutil.which("java") is None, reason="METEOR needs java")
def test_captioning_meteor_with_java():
    # one call only: each call starts the METEOR jar (~8 s)
    refs = [["a dog barks loudly"], ["rain falls on a roof"]]
    scores = compute_captioning(["a dog barks loudly", "rain falls on a roof"], refs, meteor=True)
    assert 0.9 < scores["meteor"] <= 1.0
    assert "meteor" not in compute_captioning(["a dog barks loudly"], [["a dog barks loudly"]])  # off by default


# ----------------------------------------------------------------------------------------------------------------
# speech quality (se, tts)
# ----------------------------------------------------------------------------------------------------------------
def _noise_at_snr(clean: np.ndarray, snr_db: float, seed: int, orthogonal: bool) -> np.ndarray:
    """White noise with |clean|^2 / |noise|^2 = 10^(snr/10); optionally made exactly orthogonal to ``clean``."""
    noise = np.random.default_rng(seed).standard_normal(len(clean))
    noise -= noise.mean()
    if orthogonal:
        noise -= (noise @ clean) / (clean @ clean) * clean
    return noise * np.sqrt((clean @ clean) / (noise @ noise) / 10 ** (snr_db / 10))


@pytest.fixture(scope="module")
def clean() -> np.ndarray:
    wave = make_audio(3.0, seed=3).astype(np.float64)
    return wave - wave.mean()


def test_si_sdr_equals_the_snr_of_added_noise(clean):
    # zero-mean x, n with <n, x> = 0: the projection of x + n on x is x itself, so SI-SDR = 10 log10(|x|^2/|n|^2)
    assert si_sdr(clean + _noise_at_snr(clean, 10.0, 0, orthogonal=True), clean) == pytest.approx(10.0, abs=1e-6)
    # plain white noise is orthogonal to x only on average
    assert si_sdr(clean + _noise_at_snr(clean, 5.0, 1, orthogonal=False), clean) == pytest.approx(5.0, abs=0.2)
    # scale invariance, and trimming to the shorter signal
    noisy = clean + _noise_at_snr(clean, 10.0, 0, orthogonal=True)
    assert si_sdr(0.3 * noisy, clean) == pytest.approx(10.0, abs=1e-6)
    assert si_sdr(np.concatenate([noisy, np.ones(800)]), clean) == pytest.approx(10.0, abs=1e-6)


def test_pesq_and_stoi_clean_versus_noisy(clean):
    noisy = clean + _noise_at_snr(clean, 5.0, 2, orthogonal=False)
    assert pesq_wb(clean, clean) > 4.0  # the wide-band ceiling is 4.64
    assert pesq_wb(noisy, clean) < pesq_wb(clean, clean) - 1.0
    assert stoi(clean, clean) > 0.99
    assert stoi(noisy, clean) < stoi(clean, clean) - 0.05
    # no speech: NaN, not an exception (a silent output must not abort an evaluation run)
    assert math.isnan(pesq_wb(np.zeros(16000), clean[:16000]))
    assert math.isnan(pesq_wb(clean[:16000], np.zeros(16000)))


def test_speech_quality_means_and_module(clean):
    noisy = clean + _noise_at_snr(clean, 10.0, 0, orthogonal=True)
    predictions = [clean.astype(np.float32), noisy[:-400].astype(np.float32)]  # lengths differ from the references
    references = [clean.astype(np.float32), clean.astype(np.float32)]
    scores = compute_speech_quality(predictions, references)
    for key, pair_metric in (("pesq", pesq_wb), ("stoi", stoi), ("si_sdr", si_sdr)):
        assert scores[key] == pytest.approx(np.mean([pair_metric(p, r) for p, r in zip(predictions, references)]))
    assert scores["si_sdr"] == pytest.approx((si_sdr(clean, clean) + 10.0) / 2, abs=0.01)  # the pair 2 is 10 dB
    metric = load_metric("speech_quality")
    for prediction, reference in zip(predictions, references):
        metric.add(prediction=prediction, reference=reference)
    assert metric.compute() == pytest.approx(scores, rel=1e-5)
