"""LauraGPTProcessor.__call__ as transformers 5.x processors take arguments: a task keyword with defaults, prompts
that hold <|audio|>, typed kwargs, and tokenizers loaded with extra special tokens."""

from __future__ import annotations

import pytest
import torch

from modeling_lauragpt import LauraGPTProcessor

from .helpers import make_audio

CLIP = make_audio(0.5, 21)


def _ids(batch):
    return batch["input_ids"][0].tolist()


def test_the_task_defaults_to_asr_for_audio_and_tts_for_text(processor):
    assert _ids(processor(audio=CLIP, sampling_rate=16000)) == _ids(
        processor(task="asr", audio=CLIP, sampling_rate=16000)
    )
    assert _ids(processor(text="hello world")) == _ids(processor(task="tts", text="hello world"))


def test_a_prompt_with_audio_reads_its_special_tokens_and_places_the_clip(processor):
    plain = processor(task="asr", audio=CLIP, sampling_rate=16000)
    prompt = processor(text="<|audio|>", audio=CLIP, task="asr", sampling_rate=16000)
    assert _ids(prompt) == _ids(plain) and torch.equal(prompt["input_features"], plain["input_features"])
    written = processor(text="hello <|audio|><|asr|>", audio=CLIP, sampling_rate=16000)  # the task token in the prompt
    hello = processor.tokenizer("hello ", add_special_tokens=False)["input_ids"]
    assert _ids(written) == hello + _ids(plain)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda p: p("asr", audio=CLIP, sampling_rate=16000), r"the task is a keyword: processor\(task='asr'"),
        (
            lambda p: p(text="no clip here", audio=CLIP, sampling_rate=16000),
            "number of <|audio|> tokens in the prompts",
        ),
        (lambda p: p(text="<|audio|><|audio|>", audio=CLIP, sampling_rate=16000), "holds 2"),
        (lambda p: p(), "Pass text=..., audio=..."),
        (lambda p: p(text="<|audio|>", audio=CLIP, language="de", sampling_rate=16000), "language= needs a task="),
        (lambda p: p(task="mt", text="hi", language="de", return_tensors="np"), "PyTorch tensors only"),
        (lambda p: p(task="mt", text="hi", language="de", truncation=True, max_length=3), "not truncated"),
        (lambda p: p(task="mt", text="hi", language="de", padding="max_length"), "needs max_length"),
    ],
)
def test_misuse_names_the_fix(processor, call, message):
    with pytest.raises(ValueError, match=message):
        call(processor)


def test_padding_and_sides_come_flat_or_as_text_kwargs(processor):
    flat = processor(
        task=["mt", "tts"], text=["hello world", "hi"], language=["de", None], padding="max_length", max_length=40
    )
    nested = processor(
        task=["mt", "tts"],
        text=["hello world", "hi"],
        language=["de", None],
        text_kwargs={"padding": "max_length", "max_length": 40},
    )
    assert flat["input_ids"].shape == (2, 40) and torch.equal(flat["input_ids"], nested["input_ids"])
    assert flat["attention_mask"][1, 0] == 0  # prompts are left-padded
    rows = {"task": "mt", "text": ["hello world", "hi"], "language": "de", "target_text": ["hallo welt", "hallo"]}
    assert processor(**rows)["attention_mask"][1, -1] == 0  # targets: right-padded by default
    left = processor(**rows, text_kwargs={"padding_side": "left"})
    assert left["attention_mask"][1, 0] == 0 and left["labels"][1, -1] != -100
    with pytest.raises(ValueError, match="passed two times"):
        processor(task="mt", text="hi", language="de", padding_side="left", text_kwargs={"padding_side": "right"})


def test_a_tokenizer_with_extra_special_tokens_after_the_layout_still_fits(processor, tmp_path):
    processor.save_pretrained(tmp_path)
    loaded = LauraGPTProcessor.from_pretrained(tmp_path, cls_token="(CLS)", sep_token="(SEP)")
    assert loaded.tokenizer.cls_token == "(CLS)" and loaded.vocabulary == processor.vocabulary
    ids = _ids(loaded(task="tts", text="(CLS) hello"))
    assert max(ids) < loaded.vocabulary.vocab_size  # split off user text: never an id the model has no row for
    assert LauraGPTProcessor(loaded.feature_extractor, loaded.tokenizer).codebook_size == processor.codebook_size
