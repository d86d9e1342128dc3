"""Property-based reliability checks (hypothesis) on the processor and its feature extractors: whatever audio,
rate or ids a user passes, the result is finite features and valid ids, or a ValueError that names the problem."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modeling_lauragpt.audio import MAX_PEAK_AMPLITUDE

pytestmark = pytest.mark.reliability
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
NAMED_PROBLEMS = ("peaks at", "sampling_rate", "too short", "NaN", "empty", "over the limit")


@PROPERTY
@given(
    amplitude=st.floats(min_value=1e-30, max_value=1e30),
    seconds=st.floats(min_value=0.0, max_value=1.5),
    rate=st.integers(min_value=1, max_value=500_000),
    seed=st.integers(0, 2**16),
)
def test_any_audio_gives_finite_features_or_a_named_error(processor, amplitude, seconds, rate, seed):
    samples = int(seconds * rate)
    audio = np.random.default_rng(seed).uniform(-1, 1, samples).astype(np.float64) * amplitude
    try:
        batch = processor(task="asr", audio=audio, sampling_rate=rate)
    except ValueError as error:
        assert any(problem in str(error) for problem in NAMED_PROBLEMS), str(error)
        return
    assert float(np.abs(audio).max()) <= MAX_PEAK_AMPLITUDE  # louder audio was refused above
    assert torch.isfinite(batch["input_features"]).all()
    assert int((batch["input_ids"] == processor.vocabulary.audio_token_id).sum()) == int(
        batch["input_features_mask"].sum()
    )


@PROPERTY
@given(
    ids=st.lists(
        st.lists(st.integers(min_value=-200, max_value=5000), min_size=0, max_size=12), min_size=1, max_size=4
    ),
    task=st.sampled_from(["asr", "tts", "mt", "ser", "se"]),
)
def test_decoding_any_ids_never_raises(processor, ids, task):
    width = max(len(row) for row in ids)
    padded = torch.tensor([row + [-100] * (width - len(row)) for row in ids], dtype=torch.long).reshape(len(ids), width)
    outputs = processor.decode_outputs(padded, task)
    assert len(outputs) == len(ids)
    for output in outputs:
        if isinstance(output, torch.Tensor):
            assert bool(((output >= 0) & (output < processor.codebook_size)).all())
        else:
            assert isinstance(output, str)


@PROPERTY
@given(text=st.text(min_size=0, max_size=40))
def test_any_text_gives_plain_ids_or_a_named_error(processor, text):
    try:
        batch = processor(task="mt", text=text, language="de")
    except ValueError as error:
        assert "needs text" in str(error)
        assert not text.strip()
        return
    ids = batch["input_ids"][0]
    assert bool((ids[:-1][batch["attention_mask"][0][:-1].bool()] < processor.vocabulary.vocab_size).all())
    assert int(ids[-1]) == processor.vocabulary.task_token_ids["mt"]


@pytest.mark.parametrize(("text", "message"), [("\ud800 hello", "lone UTF-16 surrogate"), (" \n\t", "needs text")])
def test_broken_text_is_named(processor, text, message):
    with pytest.raises(ValueError, match=message):
        processor(task="mt", text=text, language="de")


def test_audio_far_too_loud_is_refused_not_turned_into_inf(processor):
    with pytest.raises(ValueError, match="peaks at 1e\\+20"):
        processor(task="asr", audio=np.full(16000, 1e20), sampling_rate=16000)
    int16_scale = processor(
        task="asr", audio=np.random.default_rng(0).uniform(-32768, 32767, 16000), sampling_rate=16000
    )
    assert torch.isfinite(int16_scale["input_features"]).all()  # loud but real: accepted, with a warning
