"""A Whisper-tower LauraGPT through everything users touch: from_pretrained_components from a Whisper folder,
pipeline("lauragpt") on every task, the standard ASR pipeline, PEFT on a new task, and the Hub export."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from datasets import Dataset
from transformers import (
    Qwen2Config,
    Qwen2ForCausalLM,
    WhisperConfig,
    WhisperFeatureExtractor,
    WhisperForConditionalGeneration,
    pipeline,
)

from modeling_lauragpt import (
    LauraGPTForConditionalGeneration,
    LauraGPTVocoder,
)
from modeling_lauragpt.cli import export_hub
from modeling_lauragpt.cli import main as lauragpt
from modeling_lauragpt.conversion.export_check import summary_of, verify_export
from modeling_lauragpt.modeling_whisper_tower import LauraGPTWhisperEncoder
from modeling_lauragpt.training.data.schema import example_features, make_example

from .helpers import make_audio

TINY_WHISPER = {
    "d_model": 32,
    "encoder_layers": 2,
    "encoder_attention_heads": 4,
    "encoder_ffn_dim": 64,
    "decoder_layers": 1,
    "decoder_attention_heads": 4,
    "decoder_ffn_dim": 64,
    "vocab_size": 100,
    "max_source_positions": 1500,
    "max_target_positions": 64,
    "num_mel_bins": 80,
    "pad_token_id": 0,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "decoder_start_token_id": 1,
}
GREEDY = {"do_sample": False, "max_new_tokens": 5}
FIXED = {"min_new_tokens": 4, "max_new_tokens": 4}


@pytest.fixture(scope="module")
def whisper_dir(tmp_path_factory):
    """A random tiny Whisper checkpoint in the Hub layout (model + preprocessor_config.json).

    At the default init (std 0.02) the convolution stem's output is tiny next to the unit-scale sinusoidal
    positions, so every clip encodes to nearly the same frames; a trained stem has a gain of order one, so the
    stem weights are scaled up to make the frames depend on the audio.
    """
    folder = tmp_path_factory.mktemp("whisper")
    torch.manual_seed(0)
    whisper = WhisperForConditionalGeneration(WhisperConfig(**TINY_WHISPER))
    with torch.no_grad():
        for conv in (whisper.model.encoder.conv1, whisper.model.encoder.conv2):
            conv.weight.mul_(25)
    whisper.save_pretrained(folder)
    WhisperFeatureExtractor(feature_size=80).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, whisper_dir, processor, codec):
    """from_pretrained_components(audio_encoder=<Whisper folder>) + a small Qwen2 + a vocoder, saved as one folder."""
    folder = tmp_path_factory.mktemp("lauragpt_whisper")
    tokenizer = processor.tokenizer.__class__.from_pretrained(_saved_tokenizer(processor, tmp_path_factory))
    text_vocab = processor.vocabulary.text_vocab_size
    torch.manual_seed(0)
    llm = Qwen2ForCausalLM(
        Qwen2Config(
            vocab_size=text_vocab,
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=512,
        )
    )
    vocoder = LauraGPTVocoder.from_codec(codec, "tiny", text_vocab_size=text_vocab, feature_size=80)
    model = LauraGPTForConditionalGeneration.from_pretrained_components(
        llm,
        str(whisper_dir),
        codec,
        vocoder=vocoder,
        tokenizer=tokenizer,
        save_directory=folder,
        audio_window="1s",  # at least 1 s of context per clip: the suite's clips stay cheap to encode
    )
    assert isinstance(model.model.audio_tower, LauraGPTWhisperEncoder)
    with torch.no_grad():  # with lm_head rows spread as in a trained model, generation varies with the input
        model.lm_head.weight.mul_(10)
    model.save_pretrained(folder)
    return folder


def _saved_tokenizer(processor, tmp_path_factory):
    """The conftest tokenizer before LauraGPT's tokens, as a text model's own tokenizer would be."""
    folder = tmp_path_factory.mktemp("tokenizer")
    from modeling_lauragpt.processing.tokenizer_utils import train_text_tokenizer

    from .helpers import SENTENCES

    train_text_tokenizer(SENTENCES, vocab_size=160).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def pipe(model_dir):
    return pipeline("lauragpt", model=str(model_dir), device="cpu")


def test_components_keep_the_whisper_encoder_weights_and_its_feature_extractor(whisper_dir, model_dir):
    model = LauraGPTForConditionalGeneration.from_pretrained(model_dir)
    whisper = WhisperForConditionalGeneration.from_pretrained(whisper_dir)
    for name, tensor in whisper.model.encoder.state_dict().items():
        assert torch.equal(model.model.audio_tower.state_dict()[name], tensor), name
    processor_config = json.loads((model_dir / "processor_config.json").read_text())
    assert processor_config["feature_extractor"]["feature_extractor_type"] == "WhisperFeatureExtractor"
    assert model.config.audio_frame_pooling == 2 and model.config.audio_window == "1s"


@pytest.mark.parametrize("task", ["asr", "s2tt", "aac", "ser", "slu"])
def test_pipeline_audio_to_text_tasks(pipe, task):
    result = pipe(
        make_audio(0.7, 3), task=task, sampling_rate=16000, language="de" if task == "s2tt" else None, **GREEDY
    )
    assert set(result) == {"slu": {"text", "intent", "slots"}, "ser": {"label"}}.get(task, {"text"})


def test_pipeline_text_and_audio_output_tasks(pipe):
    assert isinstance(pipe("hello world", task="mt", language="de", **GREEDY)["text"], str)
    for result in (
        pipe("hello world", task="tts", **FIXED),
        pipe(make_audio(0.8, 4), task="se", sampling_rate=16000, **FIXED),
        pipe("hello world", task="tts", voice={"array": make_audio(0.5, 6), "sampling_rate": 16000}, **FIXED),
    ):
        assert (
            result["sampling_rate"] == 16000
            and result["audio"].shape == (4 * 640,)
            and np.isfinite(result["audio"]).all()
        )
    s2st = pipe(make_audio(0.6, 5), task="s2st", language="de", sampling_rate=16000, **FIXED)
    assert {"audio", "sampling_rate", "text"} <= set(s2st)


@pytest.mark.usefixtures("standard_pipelines")
def test_pipeline_batches_like_single_calls_resamples_and_the_asr_pipeline_agrees(pipe, model_dir):
    clips = [make_audio(0.4, 7), make_audio(1.1, 8), make_audio(0.7, 9)]
    singles = [pipe(c, task="asr", sampling_rate=16000, **GREEDY) for c in clips]
    assert pipe(clips, task="asr", batch_size=3, sampling_rate=16000, **GREEDY) == singles
    stereo_44k = np.stack([make_audio(0.6, 10, 44100)] * 2)
    assert isinstance(pipe(stereo_44k, task="asr", sampling_rate=44100, **GREEDY)["text"], str)
    asr = pipeline("automatic-speech-recognition", model=str(model_dir), device="cpu")
    assert asr({"raw": clips[0], "sampling_rate": 16000}, **GREEDY) == singles[0]


def test_long_audio_is_refused_with_the_fix_or_chunked(pipe):
    long_clip = make_audio(31.0, 11)
    with pytest.raises(ValueError, match="chunk_length_s=30"):
        pipe(long_clip, task="asr", sampling_rate=16000, **GREEDY)
    assert isinstance(pipe(long_clip, task="asr", sampling_rate=16000, chunk_length_s=15, **GREEDY)["text"], str)


def test_a_folder_whose_feature_extractor_belongs_to_the_other_tower_is_refused(model_dir, tmp_path, processor):
    broken = tmp_path / "broken"
    LauraGPTForConditionalGeneration.from_pretrained(model_dir).save_pretrained(broken)
    processor.save_pretrained(broken)  # the Conformer's fbank processor beside a Whisper-tower model
    with pytest.raises(ValueError, match="a Whisper encoder but the feature extractor is LauraGPTFeatureExtractor"):
        pipeline("lauragpt", model=str(broken), device="cpu")


def test_a_whisper_folder_without_its_preprocessor_is_refused(whisper_dir, tmp_path, processor, codec):
    bare = tmp_path / "bare"
    WhisperForConditionalGeneration.from_pretrained(whisper_dir).save_pretrained(bare)
    llm = Qwen2ForCausalLM(
        Qwen2Config(
            vocab_size=200,
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=1,
            num_attention_heads=4,
            num_key_value_heads=2,
        )
    )
    with pytest.raises(ValueError, match="no preprocessor_config.json"):
        LauraGPTForConditionalGeneration.from_pretrained_components(
            llm, str(bare), codec, tokenizer=processor.tokenizer
        )


def test_peft_adds_a_task_to_a_whisper_tower_model(model_dir, tmp_path):
    labels = ["en", "de", "fr", "en"]
    clips = [make_audio(0.5, 30 + i) for i in range(len(labels))]
    rows = [
        make_example("lid", f"c{i}", audio={"array": c, "sampling_rate": 16000}, target_text=label)
        for i, (c, label) in enumerate(zip(clips, labels))
    ]
    Dataset.from_list(rows, features=example_features()).save_to_disk(tmp_path / "data")
    argv = [
        "finetune",
        "--model",
        str(model_dir),
        "--task",
        "lid",
        "--input",
        "audio",
        "--output",
        "text",
        "--data",
        str(tmp_path / "data"),
        "--output-dir",
        str(tmp_path / "out"),
        "--max-steps",
        "60",
        "--learning-rate",
        "3e-3",
        "--batch-size",
        "4",
        "--merge",
    ]
    assert lauragpt(argv) == 0
    merged = pipeline("lauragpt", model=str(tmp_path / "out" / "merged"), device="cpu")
    assert [merged(c, task="lid", sampling_rate=16000, **GREEDY) for c in clips] == [
        {"text": label} for label in labels
    ]


def test_hub_export_loads_with_remote_code_and_gives_the_same_logits(model_dir, tmp_path):
    out = tmp_path / "export"
    assert export_hub.main([str(model_dir), str(out)]) == 0
    assert (out / "modeling_whisper_tower.py").exists() and (out / "whisper_features.py").exists()
    processor_config = json.loads((out / "processor_config.json").read_text())
    assert "auto_map" not in processor_config["feature_extractor"]  # transformers' own WhisperFeatureExtractor
    summary = summary_of(verify_export(out))
    assert summary["package_importable"] is False and summary["model"].startswith("transformers_modules:")
    model = LauraGPTForConditionalGeneration.from_pretrained(model_dir).eval()
    from modeling_lauragpt import LauraGPTProcessor

    processor = LauraGPTProcessor.from_pretrained(model_dir)
    clip = (0.1 * np.sin(2 * np.pi * 220 * np.arange(16000) / 16000)).astype("float32")
    with torch.no_grad():
        asr_sum = float(model(**processor(task="asr", audio=clip)).logits.double().sum())
    assert summary["asr_logits_sum"] == pytest.approx(asr_sum, rel=1e-5)


def test_convert_assemble_cli_takes_a_whisper_folder(whisper_dir, tmp_path, tmp_path_factory, codec):
    text_dir, codec_dir, out = tmp_path / "llm", tmp_path / "codec", tmp_path / "out"
    tokenizer_dir = _saved_tokenizer(None, tmp_path_factory)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    Qwen2ForCausalLM(
        Qwen2Config(
            vocab_size=len(tokenizer),
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=1,
            num_attention_heads=4,
            num_key_value_heads=2,
        )
    ).save_pretrained(text_dir)
    tokenizer.save_pretrained(text_dir)
    codec.save_pretrained(codec_dir)
    argv = [
        "convert",
        "assemble",
        str(out),
        "--text-model",
        str(text_dir),
        "--audio-encoder",
        str(whisper_dir),
        "--codec",
        str(codec_dir),
        "--audio-window",
        "10s",
    ]
    assert lauragpt(argv) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["audio_config"]["model_type"] == "whisper" and config["audio_window"] == "10s"
    assert lauragpt([*argv[:2], str(tmp_path / "out2"), *argv[3:-1], "2 minutes"]) == 2  # a window that is not 'Ns'
    assert not (tmp_path / "out2").exists()
