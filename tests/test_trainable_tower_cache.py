"""Cached frames under trainable top tower layers: the cache holds the frozen layers' states, the top layers and
the pooling run on it in every step, and the loss and gradients equal those of running the whole tower."""

from __future__ import annotations

import pytest
import torch
from datasets import Dataset

from modeling_lauragpt.audio_lengths import whisper_encoder_frames, whisper_mel_frames
from modeling_lauragpt.training.collator import LauraGPTCollator
from modeling_lauragpt.training.data.audio_frames import AUDIO_FRAMES_COLUMN, add_audio_frames
from modeling_lauragpt.training.data.schema import example_features, make_example

from .helpers import make_audio
from .whisper_fixtures import whisper_model, whisper_processor

CLIPS = [make_audio(0.45, 1), make_audio(1.3, 2), make_audio(0.83, 3)]  # odd encoder-frame counts included
TARGETS = ["hello world", "the cat", "turn on the lights"]


@pytest.fixture(scope="module")
def clip_processor(processor):
    return whisper_processor(processor, audio_window="clip")


def _rows() -> Dataset:
    rows = [
        make_example("asr", f"a{i}", audio={"array": clip, "sampling_rate": 16000}, target_text=text)
        for i, (clip, text) in enumerate(zip(CLIPS, TARGETS))
    ]
    rows.append(make_example("mt", "m0", text="hello world", target_text="guten tag", language="de"))
    return Dataset.from_list(rows, features=example_features())


def _loss_and_top_gradients(model, batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    model.zero_grad()
    loss = model(**batch).loss
    loss.backward()
    named = model.named_parameters()
    return loss.detach(), {name: p.grad.clone() for name, p in named if p.requires_grad and "audio_tower" in name}


def test_cached_states_give_the_loss_and_gradients_of_the_whole_tower(clip_processor):
    model = whisper_model(clip_processor).freeze_audio_tower(trainable_top_layers=1)
    assert model.cached_frames_pooling == model.config.audio_frame_pooling == 2
    dataset = _rows()
    cached = add_audio_frames(dataset, model, clip_processor, batch_size=2)
    states = cached[1][AUDIO_FRAMES_COLUMN]  # the frozen layer's states at the encoder's rate, before pooling
    assert len(states) == whisper_encoder_frames(whisper_mel_frames(len(CLIPS[1])))
    assert len(states[0]) == model.config.audio_config.d_model

    plain = LauraGPTCollator(clip_processor)(list(dataset))
    fast = LauraGPTCollator(clip_processor, audio_frames_per_token=model.cached_frames_pooling)(list(cached))
    assert "input_features" not in fast
    assert torch.equal(plain["input_ids"], fast["input_ids"]) and torch.equal(plain["labels"], fast["labels"])
    plain_loss, plain_grads = _loss_and_top_gradients(model, plain)
    fast_loss, fast_grads = _loss_and_top_gradients(model, fast)
    torch.testing.assert_close(fast_loss, plain_loss, atol=1e-6, rtol=1e-6)
    assert set(fast_grads) == set(plain_grads) and any(
        name.startswith("model.audio_tower.layers.1") for name in fast_grads
    )
    for name, grad in plain_grads.items():
        torch.testing.assert_close(fast_grads[name], grad, atol=1e-6, rtol=1e-5)

    frozen = whisper_model(clip_processor).freeze_audio_tower()  # same weights, all frozen: pooled frames instead
    pooled = add_audio_frames(dataset, frozen, clip_processor, batch_size=2)
    assert pooled._fingerprint != cached._fingerprint
    assert len(pooled[1][AUDIO_FRAMES_COLUMN]) == len(states) // 2


def test_a_trainable_frozen_part_or_a_padded_window_is_refused(processor, clip_processor):
    model = whisper_model(clip_processor).freeze_audio_tower(trainable_top_layers=1)
    model.model.audio_tower.layers[0].requires_grad_(True)  # below the cached states: they would go stale
    with pytest.raises(ValueError, match="cannot be cached"):
        add_audio_frames(_rows(), model, clip_processor)

    padded = whisper_processor(processor, audio_window="1s")
    model = whisper_model(padded).freeze_audio_tower(trainable_top_layers=1)
    with pytest.raises(ValueError, match="audio_window='clip'"):
        add_audio_frames(_rows(), model, padded)


@pytest.mark.parametrize("tower_rate", [None, 1e-4])
def test_the_tower_layers_train_at_their_own_learning_rate(clip_processor, tmp_path, tower_rate):
    from transformers import TrainingArguments

    from modeling_lauragpt.training.tower_rate_trainer import TowerRateTrainer

    model = whisper_model(clip_processor).freeze_audio_tower(trainable_top_layers=1)
    args = TrainingArguments(
        output_dir=str(tmp_path),
        learning_rate=1e-3,
        weight_decay=0.1,
        warmup_steps=2,
        max_steps=10,
        lr_scheduler_type="cosine",
        use_cpu=True,
        report_to="none",
    )
    trainer = TowerRateTrainer(model=model, args=args, tower_learning_rate=tower_rate)
    optimizer = trainer.create_optimizer()
    group_of = {id(p): group for group in optimizer.param_groups for p in group["params"]}
    trainable = {name: p for name, p in model.named_parameters() if p.requires_grad}
    assert set(group_of) == {id(p) for p in trainable.values()}  # every trainable parameter, once
    for name, p in trainable.items():
        group = group_of[id(p)]
        tower = name.startswith("model.audio_tower.")
        assert group["lr"] == (tower_rate if tower and tower_rate else 1e-3), name
        assert group["weight_decay"] == (0.0 if name.endswith("bias") or "norm" in name else 0.1), name
    scheduler = trainer.create_scheduler(num_training_steps=10, optimizer=optimizer)
    for _ in range(3):
        optimizer.step()
        scheduler.step()
    rates = sorted({group["lr"] for group in optimizer.param_groups if group["params"]})
    assert len(rates) == (2 if tower_rate else 1)
    if tower_rate:  # the schedule scales both groups alike
        assert rates[0] / rates[1] == pytest.approx(tower_rate / 1e-3)
