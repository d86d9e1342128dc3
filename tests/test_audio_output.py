"""Audio out end to end: LauraGPT writes first-group codes for tts/se, the companion vocoder makes 16 kHz audio."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile
import torch
from transformers import pipeline

from modeling_lauragpt import (
    LauraGPTForConditionalGeneration,
)
from modeling_lauragpt.configuration_vocoder import LauraGPTVocoderConfig
from modeling_lauragpt.modeling_vocoder import LauraGPTVocoder

from .helpers import make_audio

HOP = 640  # samples per codec frame at 16 kHz (25 Hz)
FIXED = {"min_new_tokens": 5, "max_new_tokens": 5}  # exactly 5 codec frames per output


@pytest.fixture(scope="module")
def vocoder(processor):
    torch.manual_seed(0)
    config = LauraGPTVocoderConfig.from_preset("tiny", text_vocab_size=processor.vocabulary.text_vocab_size)
    return LauraGPTVocoder(config).eval()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, tiny_config, processor, vocoder):
    folder = tmp_path_factory.mktemp("lauragpt_with_vocoder")
    torch.manual_seed(0)
    LauraGPTForConditionalGeneration(tiny_config).save_pretrained(folder)
    processor.save_pretrained(folder)
    vocoder.save_pretrained(folder / "vocoder")
    return folder


@pytest.fixture(scope="module")
def pipe(model_dir):
    return pipeline("lauragpt", model=str(model_dir), device="cpu")


def _check_audio(result, frames=5):
    assert result["sampling_rate"] == 16000
    assert isinstance(result["audio"], np.ndarray) and result["audio"].dtype == np.float32
    assert result["audio"].shape == (frames * HOP,) and np.isfinite(result["audio"]).all()


def test_pipeline_loads_the_companion_vocoder(pipe):
    assert isinstance(pipe.vocoder, LauraGPTVocoder)


def test_a_saved_pipeline_reloads_with_its_vocoder_and_no_remote_code(pipe, tmp_path):
    pipe.save_pretrained(tmp_path / "saved")
    config = json.loads((tmp_path / "saved" / "config.json").read_text())
    assert "custom_pipelines" not in config and not list((tmp_path / "saved").glob("*.py"))
    assert (tmp_path / "saved" / "vocoder" / "model.safetensors").is_file()
    again = pipeline("lauragpt", model=str(tmp_path / "saved"), device="cpu")
    ours = pipe("hello world", task="tts", do_sample=False, **FIXED)
    np.testing.assert_allclose(
        again("hello world", task="tts", do_sample=False, **FIXED)["audio"], ours["audio"], atol=1e-6
    )
    with pytest.raises(FileExistsError, match="is a file"):
        pipe.save_pretrained(tmp_path / "saved" / "config.json")


def test_tts_and_se_produce_16k_waveforms_of_the_generated_length(pipe):
    _check_audio(pipe("hello world", task="tts", **FIXED))
    _check_audio(pipe(make_audio(0.8, 1), task="se", sampling_rate=16000, **FIXED))


def test_tts_greedy_batch_equals_single(pipe):
    texts = ["hello world", "turn on the kitchen lights"]
    singles = [pipe(t, task="tts", do_sample=False, **FIXED)["audio"] for t in texts]
    batched = [r["audio"] for r in pipe(texts, task="tts", batch_size=2, do_sample=False, **FIXED)]
    for a, b in zip(singles, batched):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_zero_shot_voice_prompt_conditions_the_output(pipe):
    voice = {"array": make_audio(1.0, 2), "sampling_rate": 16000}
    plain = pipe("hello world", task="tts", do_sample=False, **FIXED)
    prompted = pipe("hello world", task="tts", voice=voice, do_sample=False, **FIXED)
    _check_audio(prompted)
    assert not np.allclose(plain["audio"], prompted["audio"])


@pytest.mark.parametrize("task", ["s2st", "s2st_voice"])
def test_chained_speech_to_speech_translation(pipe, task):
    result = pipe(make_audio(0.6, 3), task=task, language="de", sampling_rate=16000, **FIXED)
    assert isinstance(result["text"], str)
    _check_audio(result)


@pytest.mark.usefixtures("standard_pipelines")
def test_standard_text_to_speech_pipeline_gives_the_lauragpt_result(pipe, model_dir):
    standard = pipeline("text-to-speech", model=str(model_dir), device="cpu")
    ours = pipe("hello world", task="tts", do_sample=False, **FIXED)
    theirs = standard("hello world", do_sample=False, **FIXED)
    assert theirs["sampling_rate"] == ours["sampling_rate"]
    np.testing.assert_allclose(theirs["audio"], ours["audio"], atol=1e-6)


def test_model_and_vocoder_by_hand(processor, tiny_config, vocoder):
    torch.manual_seed(0)
    model = LauraGPTForConditionalGeneration(tiny_config).eval()
    prompt = processor(task="tts", text="hello world")
    with torch.no_grad():
        generated = model.generate(**prompt, do_sample=True, top_k=25, **FIXED)
    (codes,) = processor.decode_outputs(generated[:, prompt["input_ids"].shape[1] :], "tts")
    text_ids = processor.tokenizer("hello world", add_special_tokens=False, return_tensors="pt")["input_ids"]
    audio, lengths = vocoder.generate_waveform(codes[None], text_ids=text_ids)
    assert audio.shape == (1, 5 * HOP) and lengths.tolist() == [5 * HOP]


def test_mismatched_vocoder_is_refused(model_dir, processor):
    other = LauraGPTVocoder(
        LauraGPTVocoderConfig.from_preset("tiny", text_vocab_size=processor.vocabulary.text_vocab_size + 1)
    )
    with pytest.raises(ValueError, match="text_vocab_size"):
        pipeline("lauragpt", model=str(model_dir), vocoder=other, device="cpu")


def test_a_vocoder_with_its_own_tokenizer_serves_a_model_of_another_tokenizer(model_dir, processor, monkeypatch):
    """A vocoder saved with its text tokenizer reads TTS text through that one, whatever the LLM's tokenizer."""
    from modeling_lauragpt.processing import pipeline_lauragpt
    from modeling_lauragpt.processing.tokenizer_utils import train_text_tokenizer

    own = train_text_tokenizer(["hello world", "a dog barks"], vocab_size=40)
    torch.manual_seed(0)
    other = LauraGPTVocoder(LauraGPTVocoderConfig.from_preset("tiny", text_vocab_size=len(own))).eval()
    other.text_tokenizer = own
    pipe = pipeline("lauragpt", model=str(model_dir), vocoder=other, device="cpu")
    seen = []
    monkeypatch.setattr(
        pipeline_lauragpt, "plain_text_ids", lambda tokenizer, text: seen.append(tokenizer) or own.encode(text)
    )
    _check_audio(pipe("hello world", task="tts", do_sample=False, **FIXED))
    assert seen == [own]


def test_cli_tts_writes_a_wav(model_dir, tmp_path):
    out = tmp_path / "hello.wav"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "modeling_lauragpt.cli",
            "run",
            "--task",
            "tts",
            "--model",
            str(model_dir),
            "--text",
            "hello world",
            "-o",
            str(out),
            "--max-new-tokens",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout.splitlines()[-1])
    audio, rate = soundfile.read(out)
    assert rate == 16000 and record["output"] == str(out) and len(audio) % HOP == 0 and len(audio) > 0
