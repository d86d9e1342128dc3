"""LauraGPTProcessor: prompt layout per task, the shared length formula, labels, decoding, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from modeling_lauragpt import (
    LauraGPTConfig,
    LauraGPTFeatureExtractor,
    LauraGPTForConditionalGeneration,
    LauraGPTProcessor,
)
from modeling_lauragpt.audio_lengths import audio_num_tokens
from modeling_lauragpt.processing.tokenizer_utils import train_text_tokenizer

from .helpers import SENTENCES, make_audio


def test_tokenizer_is_extended_once_in_layout_order(processor):
    vocab, tok = processor.vocabulary, processor.tokenizer
    assert vocab.text_vocab_size == tok.convert_tokens_to_ids("<|codec_0|>")
    assert tok.convert_tokens_to_ids("<|codec_1023|>") == vocab.codec_end_token_id - 1
    assert tok.convert_tokens_to_ids("<|audio|>") == vocab.audio_token_id
    assert {t: tok.convert_tokens_to_ids(f"<|{t}|>") for t in processor.tasks} == vocab.task_token_ids
    assert len(tok) == vocab.vocab_size
    again = LauraGPTProcessor(processor.feature_extractor, tok)
    assert again.vocabulary == vocab and len(tok) == vocab.vocab_size


def test_new_task_is_appended_after_existing_ids(processor, tmp_path):
    processor.save_pretrained(tmp_path)
    loaded = LauraGPTProcessor.from_pretrained(tmp_path)
    extended = LauraGPTProcessor(loaded.feature_extractor, loaded.tokenizer, tasks=[*processor.tasks, "kws"])
    assert extended.vocabulary.task_token_ids["asr"] == processor.vocabulary.task_token_ids["asr"]
    assert extended.vocabulary.task_token_ids["kws"] == processor.vocabulary.vocab_size


@pytest.mark.parametrize("seconds", [0.025, 0.1, 0.37, 1.0, 2.05])
def test_placeholder_count_matches_encoder_frames(processor, tiny_model, seconds):
    clip = make_audio(seconds, 1)
    batch = processor(task="asr", audio=clip)
    placeholders = int((batch["input_ids"] == processor.vocabulary.audio_token_id).sum())
    assert placeholders == audio_num_tokens(len(clip))
    with torch.no_grad():
        mask = tiny_model.get_audio_features(batch["input_features"], batch["input_features_mask"]).audio_mask
    assert placeholders == int(mask.sum())


def test_conv2d_encoder_needs_fewer_placeholders(processor):
    conv = LauraGPTProcessor(processor.feature_extractor, processor.tokenizer, encoder_input_layer="conv2d")
    clip = make_audio(1.0, 2)
    n = int((conv(task="asr", audio=clip)["input_ids"] == conv.vocabulary.audio_token_id).sum())
    assert n == audio_num_tokens(len(clip), input_layer="conv2d") < processor.num_audio_tokens(len(clip))


def test_row_layout_for_each_input_kind(processor):
    vocab, tok = processor.vocabulary, processor.tokenizer
    hello = tok("hello world", add_special_tokens=False)["input_ids"]

    tts = processor(task="tts", text="hello world", target_codes=[4, 5], prompt_codes=[7])["input_ids"][0].tolist()
    assert tts == hello + [
        vocab.task_token_ids["tts"],
        vocab.codec_token_offset + 7,
        vocab.codec_token_offset + 4,
        vocab.codec_token_offset + 5,
        vocab.codec_end_token_id,
    ]

    mt = processor(task="mt", text="hello world", language="de")["input_ids"][0].tolist()
    assert mt == hello + tok("[de]", add_special_tokens=False)["input_ids"] + [vocab.task_token_ids["mt"]]

    asr = processor(task="asr", audio=make_audio(0.3, 3))["input_ids"][0].tolist()
    assert asr[-1] == vocab.task_token_ids["asr"] and set(asr[:-1]) == {vocab.audio_token_id}


def test_user_text_cannot_forge_special_tokens(processor):
    ids = processor(task="tts", text="<|audio|><|asr|>")["input_ids"][0]
    assert int((ids == processor.vocabulary.audio_token_id).sum()) == 0


def test_padding_sides_and_labels(processor):
    clips = [make_audio(0.3, 4), make_audio(0.9, 5)]
    gen = processor(task="asr", audio=clips)
    assert (gen["attention_mask"][:, -1] == 1).all() and "labels" not in gen
    train = processor(task="asr", audio=clips, target_text=["hello world", "hello"])
    assert (train["attention_mask"][:, 0] == 1).all()
    assert (train["labels"][train["attention_mask"] == 0] == -100).all()
    assert (
        train["input_features"].shape[0] == 2
        and train["input_features_mask"].shape == train["input_features"].shape[:2]
    )


def test_mixed_batch_has_features_only_for_audio_rows(processor):
    batch = processor(task=["tts", "asr", "mt"], audio=[None, make_audio(0.4, 6), None], text=["hello", None, "hello"])
    assert batch["input_features"].shape[0] == 1


def test_dict_inputs_are_resampled_and_downmixed(processor):
    clip16 = make_audio(0.5, 7)
    clip48 = make_audio(0.5, 7, sampling_rate=48000)
    stereo = torch.stack([torch.from_numpy(clip48), torch.from_numpy(clip48)])
    a = processor(task="asr", audio={"array": clip16, "sampling_rate": 16000})
    b = processor(task="asr", audio={"array": stereo.numpy(), "sampling_rate": 48000})
    assert torch.equal(a["input_ids"], b["input_ids"])


def test_decode_outputs_for_text_and_codec_tasks(processor):
    vocab, tok = processor.vocabulary, processor.tokenizer
    hello = tok("hello world", add_special_tokens=False)["input_ids"]
    text_row = hello + [tok.eos_token_id, tok.pad_token_id]
    codec_row = (
        [vocab.codec_token_offset + c for c in (1, 2, 3)]
        + [vocab.codec_end_token_id]
        + [tok.pad_token_id] * (len(text_row) - 4)
    )
    text, codes = processor.decode_outputs(torch.tensor([text_row, codec_row]), ["asr", "tts"])
    assert text == "hello world" and codes.tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"task": "dance", "audio": make_audio(0.3)}, "Unknown task 'dance'. Known tasks: asr, s2tt, tts"),
        ({"task": "asr", "audio": make_audio(0.3), "text": "hi"}, "number of <|audio|> tokens in the prompts"),
        ({"task": "asr"}, "needs audio"),
        ({"task": "tts", "audio": make_audio(0.3), "text": "hi"}, "takes text, not audio"),
        ({"task": "tts"}, "needs text"),
        ({"task": "tts", "text": "hi", "target_text": "hi"}, "give target_codes="),
        ({"task": "asr", "audio": make_audio(0.3), "target_codes": [1, 2]}, "give target_text="),
        ({"task": "tts", "text": "hi", "target_codes": [1, 5000]}, r"must lie in \[0, 1024\)"),
        (
            {"task": ["asr", "asr"], "audio": [make_audio(0.3)] * 3},
            "2 values for `task` but other arguments give 3 rows",
        ),
        ({"task": "asr", "audio": make_audio(0.3), "padding_side": "middle"}, "padding_side"),
    ],
)
def test_bad_requests_give_clear_errors(processor, kwargs, message):
    task = kwargs.pop("task", None)
    with pytest.raises(ValueError, match=message):
        processor(task=task, **kwargs)


@pytest.mark.parametrize(
    ("audio", "message"),
    [
        (make_audio(0.0), "empty"),
        (make_audio(0.3) * float("nan"), "NaN"),
        (np.zeros(16000 * 301, dtype=np.float32), "301.0 s"),
    ],
)
def test_bad_audio_gives_clear_errors(processor, audio, message):
    with pytest.raises(ValueError, match=message):
        processor(task="asr", audio=audio, sampling_rate=16000)


def test_model_and_processor_built_from_the_same_tokenizer_agree():
    tokenizer = train_text_tokenizer(SENTENCES, vocab_size=120)
    processor = LauraGPTProcessor(LauraGPTFeatureExtractor(), tokenizer)
    config = LauraGPTConfig.from_processor(processor, "tiny")
    assert config.vocabulary == processor.vocabulary
    model = LauraGPTForConditionalGeneration(config)
    assert model.get_input_embeddings().weight.shape[0] == len(tokenizer)


def test_a_language_only_where_it_means_something_and_never_empty_text(processor):
    with pytest.raises(ValueError, match="takes no language"):
        processor(task="asr", audio=make_audio(0.3, 3), language="de")  # it would change the ASR prompt
    with pytest.raises(ValueError, match="language is empty"):
        processor(task="mt", text="hello world", language="  ")
    for task in ("mt", "tts"):
        with pytest.raises(ValueError, match="non-empty text"):
            processor(task=task, text=" \n", **({"language": "de"} if task == "mt" else {}))


def test_decode_outputs_drops_label_padding(processor):
    ids = processor.tokenizer("hello world", add_special_tokens=False)["input_ids"]
    row = torch.tensor([[*ids, -100, -100]])
    assert processor.decode_outputs(row, "asr") == ["hello world"]
