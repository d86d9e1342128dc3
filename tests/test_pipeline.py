"""pipeline("lauragpt"), the standard speech pipelines on LauraGPT folders, and the `lauragpt run` CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
from transformers import pipeline

from modeling_lauragpt import (
    LauraGPTForConditionalGeneration,
)
from modeling_lauragpt.errors import InvalidInputError

from .helpers import make_audio

TEXT_TASKS = ["asr", "s2tt", "aac", "ser", "slu"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, tiny_config, processor):
    folder = tmp_path_factory.mktemp("lauragpt")
    torch.manual_seed(0)
    LauraGPTForConditionalGeneration(tiny_config).save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def pipe(model_dir):
    return pipeline("lauragpt", model=str(model_dir), device="cpu")


@pytest.mark.parametrize("task", TEXT_TASKS)
def test_audio_in_text_out_tasks(pipe, task):
    result = pipe(
        make_audio(0.5, 1), task=task, sampling_rate=16000, max_new_tokens=5, language="de" if task == "s2tt" else None
    )
    expected_keys = {"slu": {"text", "intent", "slots"}, "ser": {"label"}}.get(task, {"text"})
    assert set(result) == expected_keys
    assert all(isinstance(result[k], str) for k in expected_keys - {"slots"})


def test_text_in_text_out(pipe):
    assert isinstance(pipe("hello world", task="mt", language="de", max_new_tokens=5)["text"], str)


def test_batch_equals_single_and_all_input_forms_agree(pipe, tmp_path):
    clips = [make_audio(0.4, 2), make_audio(1.1, 3), make_audio(0.7, 4)]
    singles = [pipe(c, task="asr", sampling_rate=16000, max_new_tokens=6) for c in clips]
    assert pipe(clips, task="asr", batch_size=2, sampling_rate=16000, max_new_tokens=6) == singles
    path = tmp_path / "clip.wav"
    soundfile.write(path, clips[0], 16000)
    assert pipe(str(path), task="asr", max_new_tokens=6) == singles[0]
    assert pipe({"array": clips[0], "sampling_rate": 16000}, task="asr", max_new_tokens=6) == singles[0]


def test_a_44k_stereo_file_is_resampled_and_downmixed(pipe, tmp_path):
    def tone(rate):
        t = np.arange(int(0.6 * rate)) / rate
        return (0.3 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 1250 * t)).astype(np.float32)

    mono16 = tone(16000)
    path = tmp_path / "stereo44.wav"
    soundfile.write(path, np.stack([tone(44100), tone(44100)], axis=1), 44100, subtype="FLOAT")
    from_file = pipe.preprocess([str(path)], task="asr")["batch"]
    direct = pipe.preprocess([mono16], task="asr", sampling_rate=16000)["batch"]
    assert torch.equal(from_file["input_ids"], direct["input_ids"])
    assert (from_file["input_features"] - direct["input_features"]).abs().mean() < 0.05


def test_long_audio_is_refused_or_chunked(pipe):
    long_clip = np.zeros(16000 * 301, dtype=np.float32) + 0.01 * np.sin(np.arange(16000 * 301, dtype=np.float32))
    with pytest.raises(ValueError, match="split it into chunks|chunk"):
        pipe(long_clip, task="asr", sampling_rate=16000, max_new_tokens=2)
    chunked = pipe(long_clip, task="asr", sampling_rate=16000, chunk_length_s=100, max_new_tokens=2)
    assert isinstance(chunked["text"], str)


@pytest.mark.parametrize(
    ("inputs", "kwargs", "message"),
    [
        ("hello", {"task": "asr"}, "takes audio, but input 0 is a string that is not an audio file"),
        (make_audio(0.3), {"task": "mt", "language": "de"}, "takes text, but input 0 is a ndarray"),
        ("hello", {"task": "mt"}, "Task 'mt' translates: pass language=<target language>"),
        (make_audio(0.3), {"task": "asr", "sampling_rate": 16000, "voice": make_audio(0.3)}, "task 'asr' takes none"),
        (
            make_audio(0.3),
            {"task": "asr", "sampling_rate": 16000, "top_k": "x"},
            "top_k must be a whole number of at least 0, got 'x'",
        ),
        (
            make_audio(0.3),
            {"task": "asr", "sampling_rate": 16000, "max_new_tokens": 0},
            "max_new_tokens must be a whole number of at least 1",
        ),
        ("hello", {"task": "dance"}, "Unknown task 'dance'. Known tasks: asr, s2tt, tts, se, aac, ser, slu, mt, s2st"),
        ("hello", {"task": "tts"}, "needs a LauraGPTVocoder"),
        (make_audio(0.3), {"task": "se", "sampling_rate": 16000}, "needs a LauraGPTVocoder"),
        ("/nonexistent.wav", {"task": "asr"}, "not an audio file"),
    ],
)
def test_bad_inputs_give_clear_errors(pipe, inputs, kwargs, message):
    with pytest.raises(ValueError, match=message):
        pipe(inputs, **kwargs)


@pytest.mark.usefixtures("standard_pipelines")
def test_standard_asr_pipeline_gives_the_lauragpt_result(pipe, model_dir):
    clip = make_audio(0.8, 6)
    standard = pipeline("automatic-speech-recognition", model=str(model_dir), device="cpu")
    assert standard({"raw": clip, "sampling_rate": 16000}, max_new_tokens=6) == pipe(
        clip, task="asr", sampling_rate=16000, max_new_tokens=6
    )


@pytest.mark.usefixtures("standard_pipelines")
def test_standard_asr_pipeline_is_unchanged_for_other_models():
    from transformers import (
        AutomaticSpeechRecognitionPipeline,
        Wav2Vec2Config,
        Wav2Vec2CTCTokenizer,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForCTC,
    )

    config = Wav2Vec2Config(
        vocab_size=8,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        conv_dim=(8, 8),
        conv_stride=(5, 4),
        conv_kernel=(10, 8),
        num_conv_pos_embeddings=4,
        num_conv_pos_embedding_groups=2,
    )
    vocab = {"<pad>": 0, "|": 1, "a": 2, "b": 3, "c": 4, "d": 5, "e": 6, "<unk>": 7}
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        (vocab_file := f"{tmp}/vocab.json") and Path(vocab_file).write_text(json.dumps(vocab))
        asr = pipeline(
            "automatic-speech-recognition",
            model=Wav2Vec2ForCTC(config),
            tokenizer=Wav2Vec2CTCTokenizer(vocab_file),
            feature_extractor=Wav2Vec2FeatureExtractor(),
            device="cpu",
        )
    assert type(asr).__mro__[1] is AutomaticSpeechRecognitionPipeline
    assert isinstance(asr(make_audio(0.5))["text"], str)


def test_cli_run_writes_json_lines(model_dir, tmp_path):
    for i in range(3):
        soundfile.write(tmp_path / f"clip{i}.wav", make_audio(0.3 + 0.2 * i, i), 16000)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "modeling_lauragpt.cli",
            "run",
            "--task",
            "asr",
            "--model",
            str(model_dir),
            str(tmp_path),
            "--batch-size",
            "2",
            "--max-new-tokens",
            "4",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert [r["input"] for r in records] == [str(tmp_path / f"clip{i}.wav") for i in range(3)]
    assert all(r["task"] == "asr" and isinstance(r["text"], str) for r in records)
    help_text = subprocess.run(
        [sys.executable, "-m", "modeling_lauragpt.cli", "run", "--help"], capture_output=True, text=True, check=False
    ).stdout
    assert all(task in help_text for task in ["asr", "s2tt", "tts", "se", "aac", "ser", "slu", "mt", "s2st_voice"])


def test_bad_chunk_lengths_and_incomplete_audio_dicts_name_the_fix(model_dir):
    import numpy as np

    pipe = pipeline("lauragpt", model=str(model_dir), device="cpu")
    clip = np.zeros(16000, np.float32)
    for bad in (-5, 0.001, 10_000, "30"):
        with pytest.raises(ValueError, match="chunk_length_s must be"):
            pipe(clip, task="asr", sampling_rate=16000, chunk_length_s=bad)
    with pytest.raises(ValueError, match="lacks \\['sampling_rate'\\]"):
        pipe({"array": clip}, task="asr")


def test_cli_run_on_a_too_long_file_names_its_own_option(model_dir, tmp_path, capsys):
    import numpy as np

    from modeling_lauragpt.cli.run import main as run_main

    long_file = tmp_path / "long.wav"
    soundfile.write(long_file, np.zeros(16000 * 301, np.float32), 16000)  # over the tiny model's 300 s
    with pytest.raises(InvalidInputError, match="--chunk-length-s 30"):
        run_main(["--task", "asr", "--model", str(model_dir), str(long_file), "--max-new-tokens", "2"])
    assert (
        run_main(
            [
                "--task",
                "asr",
                "--model",
                str(model_dir),
                str(long_file),
                "--max-new-tokens",
                "2",
                "--chunk-length-s",
                "100",
            ]
        )
        == 0
    )
    assert '"text"' in capsys.readouterr().out
