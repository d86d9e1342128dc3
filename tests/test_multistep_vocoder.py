"""The VALL-E-style multi-step baseline: same predictor as the one-step vocoder, 31 passes, trains and generates."""

from __future__ import annotations

import datasets
import pytest
import torch
from transformers import AutoModel

from modeling_lauragpt import (
    LauraGPTMultiStepVocoder,
    LauraGPTMultiStepVocoderConfig,
    LauraGPTVocoder,
    LauraGPTVocoderConfig,
)
from modeling_lauragpt.training.vocoder_training import VocoderCollator, train_vocoder

from .helpers import SENTENCES, make_audio

HOP = 640


@pytest.fixture
def baseline(codec, processor) -> LauraGPTMultiStepVocoder:
    torch.manual_seed(0)
    config = LauraGPTMultiStepVocoderConfig.from_preset(
        "tiny", codec_config=codec.config, text_vocab_size=processor.vocabulary.text_vocab_size
    )
    model = LauraGPTMultiStepVocoder(config)
    model.codec.load_state_dict(codec.state_dict())
    return model.eval()


@pytest.fixture
def batch(processor, baseline):
    rows = [{"audio": make_audio(0.5, 1), "text": SENTENCES[0]}, {"audio": make_audio(0.3, 2), "text": SENTENCES[1]}]
    return VocoderCollator(processor, baseline)(rows)


def test_same_width_and_depth_as_the_one_step_vocoder(processor):
    kwargs = {"text_vocab_size": processor.vocabulary.text_vocab_size}
    one = LauraGPTVocoder(LauraGPTVocoderConfig.from_preset("tiny", **kwargs))
    multi = LauraGPTMultiStepVocoder(LauraGPTMultiStepVocoderConfig.from_preset("tiny", **kwargs))
    shared = {n: p.shape for n, p in one.named_parameters() if not n.startswith("out_proj")}
    assert all(dict(multi.named_parameters())[n].shape == shape for n, shape in shared.items())
    assert multi.out_proj.out_features == multi.config.codebook_size


def test_training_lowers_the_loss_of_every_group(baseline, batch):
    baseline.config.codec_input_corruption = 0.0
    groups = [1, 2, 16, 31]
    with torch.no_grad():
        before = [baseline(**batch, group=g).loss.item() for g in groups]
    optimizer = torch.optim.AdamW([p for p in baseline.parameters() if p.requires_grad], lr=2e-3)
    baseline.train()
    torch.manual_seed(0)
    for step in range(620):
        loss = baseline(**batch, group=1 + step % 31).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    baseline.eval()
    with torch.no_grad():
        after = [baseline(**batch, group=g).loss.item() for g in groups]
    print("multi-step loss per group before/after:", [f"{b:.2f}/{a:.2f}" for b, a in zip(before, after)])
    assert all(a < 0.5 * b for a, b in zip(after, before))

    generated = baseline.generate_codes(
        batch["codes"], batch["codes_mask"], text_ids=batch["text_ids"], text_mask=batch["text_mask"]
    )
    real = batch["codes_mask"].bool()
    accuracy = (
        (generated[:, 1:].transpose(1, 2)[real] == batch["target_codes"][:, 1:].transpose(1, 2)[real]).float().mean()
    )
    assert accuracy > 0.5, accuracy


def test_generates_all_groups_and_a_waveform(baseline, batch):
    codes = baseline.generate_codes(batch["codes"], batch["codes_mask"])
    assert codes.shape == (2, 32, batch["codes"].shape[1]) and torch.equal(codes[:, 0], batch["codes"])
    audio, lengths = baseline.generate_waveform(batch["codes"], batch["codes_mask"])
    assert (
        lengths.tolist() == (batch["codes_mask"].sum(1) * HOP).tolist()
        and audio.shape[1] == batch["codes"].shape[1] * HOP
    )


def test_save_load_through_automodel_and_trainer(baseline, processor, batch, tmp_path):
    baseline.save_pretrained(tmp_path / "saved")
    loaded = AutoModel.from_pretrained(tmp_path / "saved").eval()
    assert isinstance(loaded, LauraGPTMultiStepVocoder)
    torch.testing.assert_close(
        loaded.generate_waveform(batch["codes"])[0], baseline.generate_waveform(batch["codes"])[0]
    )

    clips = [make_audio(0.4, i) for i in range(4)]
    dataset = datasets.Dataset.from_list([{"audio": c.tolist(), "text": SENTENCES[i]} for i, c in enumerate(clips)])
    trainer = train_vocoder(
        baseline, processor, dataset, tmp_path / "run", max_steps=4, per_device_train_batch_size=2, learning_rate=1e-3
    )
    assert trainer.state.global_step == 4


def test_training_needs_targets_and_a_valid_group(baseline, batch):
    with pytest.raises(ValueError, match="trains on target_codes"):
        baseline(batch["codes"])
    with pytest.raises(ValueError, match=r"group must lie in \[1, 32\)"):
        baseline(**batch, group=32)
