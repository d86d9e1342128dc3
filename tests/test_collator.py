"""The training collator: canonical rows of mixed tasks -> processor batches with labels only on outputs."""

from __future__ import annotations

import pytest
import torch

from modeling_lauragpt.training.collator import LauraGPTCollator
from modeling_lauragpt.training.data.schema import make_example

from .helpers import make_audio


def _rows():
    clip = {"array": make_audio(1.0, 3), "sampling_rate": 16000}
    return [
        make_example("asr", "a", audio=clip, target_text="hello world"),
        make_example("tts", "b", text="hello world", target_codes=[[5, 6, 7], [1, 2, 3]]),
        make_example("mt", "c", text="hello world", target_text="hallo welt", language="de"),
    ]


def test_output_logits_only_gives_the_same_loss_and_gradients_from_fewer_logits(processor, tiny_model):
    full = LauraGPTCollator(processor)(_rows())
    kept = LauraGPTCollator(processor, output_logits_only=True)(_rows())
    mask = kept.pop("logits_to_keep")
    assert all(torch.equal(full[key], kept[key]) for key in full) and set(full) == set(kept)
    predicts = full["labels"] != -100  # position t predicts label t + 1, in its own row only
    assert mask.dtype == torch.bool and torch.equal(mask[:, :-1], predicts[:, 1:]) and not mask[:, -1].any()
    union = (predicts[:, 1:]).any(dim=0).nonzero().flatten()  # the positions any row predicts an output from
    assert int(mask.sum()) < len(union) * mask.shape[0]  # the rows' outputs sit at different positions
    tiny_model.train()
    losses, grads = [], []
    for extra in ({}, {"logits_to_keep": mask}, {"logits_to_keep": union}):
        tiny_model.zero_grad()
        output = tiny_model(**full, **extra)
        output.loss.backward()
        losses.append(output.loss.detach())
        grads.append(tiny_model.lm_head.weight.grad.clone())
        if extra:
            assert output.logits.shape[:2] == (
                (1, int(mask.sum())) if extra["logits_to_keep"] is mask else (3, len(union))
            )
    for loss, grad in zip(losses[1:], grads[1:]):
        torch.testing.assert_close(loss, losses[0])
        torch.testing.assert_close(grad, grads[0])
    tiny_model.zero_grad()


def test_labels_cover_exactly_the_outputs(processor, tiny_model):
    batch = LauraGPTCollator(processor)(_rows())
    vocabulary = processor.vocabulary
    labels = batch["labels"]
    assert batch["input_ids"].shape == labels.shape and batch["input_features"].shape[0] == 1
    tts_targets = labels[1][labels[1] != -100].tolist()
    assert tts_targets == [vocabulary.codec_token_offset + c for c in (5, 6, 7)] + [vocabulary.codec_end_token_id]
    asr_targets = labels[0][labels[0] != -100].tolist()
    assert (
        processor.tokenizer.decode(asr_targets[:-1]) == "hello world"
        and asr_targets[-1] == processor.tokenizer.eos_token_id
    )
    for row in range(3):  # nothing before the task token is ever a label
        task_position = (batch["input_ids"][row] == vocabulary.task_token_ids[_rows()[row]["task"]]).nonzero().item()
        assert (labels[row, : task_position + 1] == -100).all()
    loss = tiny_model(**batch).loss
    assert torch.isfinite(loss)


def test_audio_output_row_without_codes_names_the_fix(processor):
    with pytest.raises(ValueError, match="add_target_codes"):
        LauraGPTCollator(processor)([make_example("tts", "x", text="hello")])
