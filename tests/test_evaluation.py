"""The evaluation harness: `lauragpt eval` end to end on a tiny model, and its metric plumbing against known values.

The dataset is built here in the canonical Hub layout (<data>/<task>/test-00000-of-00001.parquet, audio embedded).
Speech for tts/se references is synthesised with flite's "slt" voice, so pocketsphinx has real speech to judge.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import soundfile
import torch
from datasets import Dataset

from modeling_lauragpt import LauraGPTForConditionalGeneration
from modeling_lauragpt.cli.eval import main as eval_main
from modeling_lauragpt.configuration_vocoder import LauraGPTVocoderConfig
from modeling_lauragpt.modeling_vocoder import LauraGPTVocoder
from modeling_lauragpt.training.data.schema import example_features, make_example
from modeling_lauragpt.training.evaluation import evaluate_model, load_items, score_task
from modeling_lauragpt.training.evaluation.plots import loss_curves
from modeling_lauragpt.training.evaluation.speaker_similarity import (
    resemblyzer_available,
)
from modeling_lauragpt.training.evaluation.tts_intelligibility import (
    PocketsphinxRecognizer,
    intelligibility,
)

from .helpers import SENTENCES, make_audio

RATE = 16000
GERMAN = ["hallo welt", "bitte geben sie ihr passwort ein"]
CAPTIONS = ["a dog barks while a bell rings", "a bell rings and a dog barks loudly", "water runs from a tap"]
SLU_TARGETS = ["set_alarm | time=seven in the morning", "iot_lights_on | place=kitchen"]
EXPECTED_KEYS = {
    "asr": {"wer", "cer"},
    "s2tt": {"bleu", "chrf"},
    "mt": {"bleu", "chrf"},
    "ser": {"wa", "ua", "wf1"},
    "slu": {"intent_accuracy", "slu_f1"},
    "aac": {"bleu_1", "bleu_4", "rouge_l", "cider"},
    "tts": {"wer", "cer", "reference_wer", "wer_ratio", "duration_ratio"},  # + speaker_similarity with Resemblyzer
    "se": {
        "pesq",
        "stoi",
        "si_sdr",
        "noisy_pesq",
        "noisy_stoi",
        "noisy_si_sdr",
        "si_sdr_improvement",
        "wer",
        "clean_wer",
    },
}
needs_flite = pytest.mark.skipif(
    shutil.which("flite") is None, reason="flite (apt-get install flite) synthesises the test speech"
)


def flite(text: str, tmp_path) -> np.ndarray:
    path = tmp_path / f"flite_{abs(hash(text))}.wav"
    subprocess.run(["flite", "-voice", "slt", "-t", text, "-o", str(path)], check=True, timeout=60)
    audio, rate = soundfile.read(path, dtype="float32")
    assert rate == RATE
    return audio


def clip(seconds: float, seed: int) -> dict:
    return {"array": make_audio(seconds, seed), "sampling_rate": RATE}


def canonical_rows(tmp_path) -> dict[str, list[dict]]:
    """Two or three examples of each of the eight tasks."""
    speech = [0.5 * flite(s, tmp_path) for s in SENTENCES[:2]]  # headroom for the added noise
    noise = np.random.default_rng(0)
    rows = {
        "asr": [
            make_example("asr", f"asr{i}", audio=clip(0.5, i), target_text=SENTENCES[i].capitalize() + ".")
            for i in range(2)
        ],
        "s2tt": [
            make_example("s2tt", f"s2tt{i}", audio=clip(0.6, 10 + i), target_text=GERMAN[i], language="de")
            for i in range(2)
        ],
        "mt": [make_example("mt", f"mt{i}", text=SENTENCES[i], target_text=GERMAN[i], language="de") for i in range(2)],
        "ser": [
            make_example("ser", f"ser{i}", audio=clip(0.5, 20 + i), target_text=["happy", "sad"][i]) for i in range(2)
        ],
        "slu": [make_example("slu", f"slu{i}", audio=clip(0.5, 30 + i), target_text=SLU_TARGETS[i]) for i in range(2)],
        # clip 40 has two captions (two rows, as Clotho lists them): one item with two references
        "aac": [
            make_example("aac", f"aac{i}", audio=clip(0.7, 40 + i // 2), target_text=CAPTIONS[i]) for i in range(3)
        ],
        "tts": [
            make_example(
                "tts",
                f"tts{i}",
                text=SENTENCES[i],
                target_audio={"array": speech[i], "sampling_rate": RATE},
                speaker="slt",
            )
            for i in range(2)
        ],
        "se": [
            make_example(
                "se",
                f"se{i}",
                audio={
                    "array": speech[i] + 0.05 * noise.standard_normal(len(speech[i])).astype(np.float32),
                    "sampling_rate": RATE,
                },
                target_audio={"array": speech[i], "sampling_rate": RATE},
                text=SENTENCES[i],
                speaker="slt",
            )
            for i in range(2)
        ],
    }
    return rows


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """The canonical dataset folder; Dataset.from_list encodes the arrays to WAV bytes, so the parquet is self-contained."""
    folder = tmp_path_factory.mktemp("eval_data")
    for task, rows in canonical_rows(folder).items():
        (folder / task).mkdir()
        Dataset.from_list(rows, features=example_features()).to_parquet(
            str(folder / task / "test-00000-of-00001.parquet")
        )
    for wav in folder.glob("*.wav"):
        wav.unlink()  # nothing may depend on the synthesised files any more
    return folder


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, tiny_config, processor):
    folder = tmp_path_factory.mktemp("lauragpt_eval_model")
    torch.manual_seed(0)
    LauraGPTForConditionalGeneration(tiny_config).save_pretrained(folder)
    processor.save_pretrained(folder)
    vocoder_config = LauraGPTVocoderConfig.from_preset("tiny", text_vocab_size=processor.vocabulary.text_vocab_size)
    LauraGPTVocoder(vocoder_config).eval().save_pretrained(folder / "vocoder")
    return folder


class OraclePipeline:
    """A pipeline stand-in that answers every example with its reference: text, label, or the reference speech."""

    def __init__(self, data_dir):
        self.answers = {}
        for task in EXPECTED_KEYS:
            for item in load_items(data_dir, task, "test", audio_input=task not in ("tts", "mt")):
                key = item.input if isinstance(item.input, str) else item.input_audio.tobytes()
                if task in ("tts", "se"):
                    self.answers[task, key] = {"audio": item.target_audio, "sampling_rate": RATE}
                elif task == "ser":
                    self.answers[task, key] = {"label": item.references[0]}
                else:
                    self.answers[task, key] = {"text": item.references[0]}
        self.calls = []

    def __call__(self, inputs, task, batch_size=1, **kwargs):
        self.calls.append((task, len(inputs), kwargs.get("language"), "voice" in kwargs))
        return [self.answers[task, x if isinstance(x, str) else np.asarray(x["array"]).tobytes()] for x in inputs]


@needs_flite
def test_cli_writes_results_markdown_predictions_and_plots(model_dir, data_dir, tmp_path, capsys):
    state = {
        "log_history": [{"loss": 5.0 - s / 10, "step": s} for s in range(1, 11)]
        + [
            {"eval_asr_loss": 4.0, "eval_tts_loss": 6.0, "step": 5},
            {"eval_asr_loss": 3.5, "eval_tts_loss": 5.5, "step": 10},
            {"train_loss": 4.4, "step": 10},
        ]
    }
    (tmp_path / "trainer_state.json").write_text(json.dumps(state))
    out = tmp_path / "out"
    code = eval_main(
        [
            "--model",
            str(model_dir),
            "--data",
            str(data_dir),
            "--split",
            "test",
            "--output-dir",
            str(out),
            "--batch-size",
            "2",
            "--max-new-tokens",
            "4",
            "--min-new-tokens",
            "4",
            "--device",
            "cpu",
            "--no-meteor",
            "--trainer-state",
            str(tmp_path / "trainer_state.json"),
        ]
    )
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    assert set(results["tasks"]) == set(EXPECTED_KEYS)  # every task of the folder, found without --tasks
    for task, keys in EXPECTED_KEYS.items():
        assert keys <= set(results["tasks"][task]["metrics"]), task
        lines = (out / "predictions" / f"{task}.jsonl").read_text().splitlines()
        assert len(lines) == 2, task  # aac: 3 rows, 2 clips
    if resemblyzer_available():
        assert "speaker_similarity" in results["tasks"]["tts"]["metrics"]
    else:
        assert any("Resemblyzer is not installed" in note for note in results["tasks"]["tts"]["notes"])
    assert results["tasks"]["aac"]["num_examples"] == 2
    assert json.loads((out / "predictions" / "aac.jsonl").read_text().splitlines()[0])["references"] == CAPTIONS[:2]
    tts_record = json.loads((out / "predictions" / "tts.jsonl").read_text().splitlines()[0])
    assert soundfile.info(out / tts_record["audio"]).frames == 4 * 640  # 4 codec frames at 25 Hz
    assert results["tasks"]["tts"]["metrics"]["reference_wer"] < 0.5  # the judge understands flite's speech
    assert sorted(results["plots"]) == [
        "plots/se_spectrograms.png",
        "plots/training_curves.png",
        "plots/tts_spectrograms.png",
    ]
    for plot in results["plots"]:
        assert (out / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    markdown = (out / "results.md").read_text()
    assert "| asr | 2 | WER |" in markdown and "SI-SDR improvement (dB)" in markdown
    assert markdown in capsys.readouterr().out


@needs_flite
def test_reference_outputs_score_perfectly(data_dir):
    oracle = OraclePipeline(data_dir)
    results = evaluate_model(
        oracle,
        data_dir,
        tasks=list(EXPECTED_KEYS),
        batch_size=8,
        meteor=shutil.which("java") is not None,
        tts_prompt="same-speaker",
    )
    m = {task: r["metrics"] for task, r in results["tasks"].items()}
    assert m["asr"]["wer"] == 0 and m["asr"]["cer"] == 0  # "Hello world." vs "hello world": normalised away
    assert m["s2tt"]["bleu"] == pytest.approx(100) and m["mt"]["chrf"] == pytest.approx(100)
    assert m["ser"] == {"wa": 1.0, "ua": 1.0, "wf1": 1.0}
    assert m["slu"]["intent_accuracy"] == 1 and m["slu"]["slu_f1"] == pytest.approx(1)
    assert m["aac"]["bleu_4"] == pytest.approx(1, abs=1e-6) and m["aac"]["rouge_l"] == pytest.approx(1)
    if shutil.which("java"):
        assert m["aac"]["meteor"] > 0.9
    assert m["tts"]["wer"] == m["tts"]["reference_wer"] and m["tts"]["cer"] == m["tts"]["reference_cer"]
    assert m["tts"]["duration_ratio"] == 1
    if resemblyzer_available():
        assert m["tts"]["speaker_similarity"] == pytest.approx(1, abs=1e-4)
    assert m["se"]["pesq"] > 4.5 and m["se"]["stoi"] == pytest.approx(1, abs=1e-6) and m["se"]["si_sdr"] > 50
    assert m["se"]["noisy_pesq"] < m["se"]["pesq"] and m["se"]["noisy_stoi"] < 1 and m["se"]["si_sdr_improvement"] > 30
    assert m["se"]["wer"] == m["se"]["clean_wer"]
    assert ("s2tt", 2, "de", False) in oracle.calls and (
        "aac",
        2,
        None,
        False,
    ) in oracle.calls  # language; clips merged
    assert [call for call in oracle.calls if call[0] == "tts"] == [
        ("tts", 1, None, True)
    ] * 2  # one prompt per utterance
    assert "zero-shot: 2/2 utterances prompted" in results["tasks"]["tts"]["notes"][0]


def test_hand_computed_scores_and_failed_generations(data_dir):
    items = load_items(data_dir, "asr", "test", audio_input=True)
    scores = score_task("asr", items, [{"text": "hello there world"}, None])
    # "hello world" vs "hello there world": 1 insertion / 2 words; the failed row: 9 deletions; (1 + 9) / 11 words
    assert scores.metrics["wer"] == pytest.approx(10 / 11)
    assert scores.records[0] == {"id": "asr0", "prediction": "hello there world", "references": ["Hello world."]}
    assert "1 generation(s) failed" in scores.notes[0]
    ser = score_task(
        "ser", load_items(data_dir, "ser", "test", audio_input=True), [{"label": " happy"}, {"label": "happy"}]
    )
    assert ser.metrics == pytest.approx({"wa": 0.5, "ua": 0.5, "wf1": 1 / 3})  # happy: F1 2/3 x weight 1/2; sad: 0


def test_a_failing_row_is_isolated_from_its_batch(data_dir):
    oracle = OraclePipeline(data_dir)
    bad = load_items(data_dir, "mt", "test", audio_input=False)[1].input

    def flaky(inputs, task, batch_size=1, **kwargs):
        if bad in inputs:
            raise ValueError("the model ended a row without any token")
        return oracle(inputs, task, batch_size, **kwargs)

    results = evaluate_model(flaky, data_dir, tasks=["mt"], batch_size=2)
    assert results["tasks"]["mt"]["num_failed"] == 1
    assert any("mt1: the model ended a row" in note for note in results["tasks"]["mt"]["notes"])
    assert 0 < results["tasks"]["mt"]["metrics"]["chrf"] < 100


def test_a_dataset_object_with_mixed_tasks_and_clear_errors(data_dir):
    rows = [
        make_example("mt", "m0", text="hello world", target_text="bitte geben sie ihr passwort ein", language="de"),
        make_example("asr", "a0", audio=clip(0.3, 1), target_text="hello world"),
    ]
    dataset = Dataset.from_list(rows, features=example_features())
    oracle = lambda inputs, task, batch_size=1, **kw: [{"text": "bitte geben sie ihr passwort ein"} for _ in inputs]
    results = evaluate_model(oracle, dataset, tasks=["mt"], max_examples=5)
    assert results["tasks"]["mt"]["num_examples"] == 1 and results["tasks"]["mt"]["metrics"]["bleu"] == pytest.approx(
        100
    )
    with pytest.raises(ValueError, match="No metric is defined for task 'dance'"):
        evaluate_model(oracle, dataset, tasks=["dance"])
    with pytest.raises(ValueError, match=r"<data>/asr/validation-\*.parquet"):
        evaluate_model(oracle, data_dir, tasks=["asr"], split="validation")


def test_training_curves_read_train_and_per_task_eval_losses():
    history = [
        {"loss": 2.0, "step": 10},
        {"eval_loss": 1.5, "eval_asr_loss": 1.2, "eval_runtime": 3.0, "step": 10},
        {"loss": 1.0, "step": 20},
        {"train_loss": 1.5, "step": 20},
    ]
    assert loss_curves(history) == {"train": ([10, 20], [2.0, 1.0]), "eval": ([10], [1.5]), "eval asr": ([10], [1.2])}


@needs_flite
def test_pocketsphinx_recognises_flite_speech(tmp_path):
    pytest.importorskip("pocketsphinx")
    audio = flite("hello world", tmp_path)
    result = intelligibility([audio], ["Hello, world!"])
    assert result["wer"] < 0.5, result["hypotheses"]
    resampled = PocketsphinxRecognizer().transcribe(audio[::2], sampling_rate=8000)  # other rates are resampled
    assert "world" in resampled or "hello" in resampled


def test_missing_pocketsphinx_names_the_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "pocketsphinx", None)  # makes `import pocketsphinx` raise ImportError
    with pytest.raises(ImportError, match="pip install pocketsphinx"):
        PocketsphinxRecognizer()


class _EchoJudge:
    """A stand-in second recogniser that hears every clip as the same words (the wiring is under test, not Whisper)."""

    def __init__(self, words: str):
        self.words, self.heard = words, 0

    def transcribe(self, audio, sampling_rate=16000):
        self.heard += 1
        return self.words


def test_a_whisper_judge_scores_asr_beside_the_model_and_speech_under_its_own_prefix(data_dir, monkeypatch):
    from modeling_lauragpt.training.evaluation import scoring

    judge = _EchoJudge("hello world")
    monkeypatch.setattr(scoring, "_whisper_recognizer", lambda folder: judge)
    options = scoring.ScoreOptions(whisper_judge="judge-folder", speaker_similarity=False)
    items = load_items(data_dir, "asr", "test", audio_input=True)
    asr = score_task("asr", items, [{"text": "hello there world"}, None], options)
    assert asr.metrics["wer"] == pytest.approx(10 / 11)  # the model's own WER is unchanged by the judge
    hits = sum(" ".join(it.references[0].lower().strip(".").split()) == "hello world" for it in items)
    assert asr.metrics["whisper_wer"] < asr.metrics["wer"] and judge.heard == len(items) and hits >= 1
    assert asr.records[0]["whisper_recognized"] == "hello world"
    tts_items = load_items(data_dir, "tts", "test", audio_input=False)
    tts = score_task(
        "tts", tts_items, [{"audio": it.target_audio, "sampling_rate": 16000} for it in tts_items], options
    )
    for key in ("wer", "reference_wer", "wer_ratio"):
        assert key in tts.metrics and "whisper_" + key in tts.metrics
    assert tts.records[0]["whisper_recognized"] == "hello world" and "recognized" in tts.records[0]
    assert (
        "whisper_wer" not in score_task("asr", items, [{"text": "hello world"}] * len(items)).metrics
    )  # off by default


def test_a_whisper_judge_folder_that_is_not_whisper_names_the_fix(tmp_path):
    from modeling_lauragpt.training.evaluation.whisper_judge import WhisperRecognizer

    with pytest.raises(FileNotFoundError, match="lauragpt convert whisper-tiny-en"):
        WhisperRecognizer(tmp_path)


def test_per_speaker_asr_wer_when_the_split_mixes_speakers():
    from modeling_lauragpt.training.evaluation.examples import EvalItem

    items = [
        EvalItem(
            id=f"a{i}",
            input={"array": np.zeros(1600, np.float32), "sampling_rate": 16000},
            references=["good morning"],
            speaker=speaker,
        )
        for i, speaker in enumerate(["real", "real", "tts"])
    ]
    scores = score_task("asr", items, [{"text": "good morning"}, {"text": "good"}, {"text": "bad evening"}])
    assert scores.metrics["wer_real"] == pytest.approx(0.25) and scores.metrics["wer_tts"] == pytest.approx(1.0)
