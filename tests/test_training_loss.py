"""The recipe's loss.average: every row of a mixed batch counts the same under `example`."""

from __future__ import annotations

import pytest
import torch
from transformers import TrainingArguments

from modeling_lauragpt.training.loss import ExampleMeanLoss, training_loss


def _rows(lengths, vocab=7, sequence=9, seed=0):
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(len(lengths), sequence, vocab, generator=generator, requires_grad=True)
    labels = torch.full((len(lengths), sequence), -100)
    for row, length in enumerate(lengths):
        labels[row, sequence - length :] = torch.randint(0, vocab, (length,), generator=generator)
    return {"logits": logits}, labels


def _row_losses(outputs, labels):
    losses = []
    for row in range(labels.shape[0]):
        keep = labels[row, 1:] != -100
        logits = outputs["logits"][row, :-1][keep]
        losses.append(torch.nn.functional.cross_entropy(logits, labels[row, 1:][keep]))
    return torch.stack(losses)


def test_each_row_counts_the_same_whatever_its_output_length():
    outputs, labels = _rows([1, 6, 3])
    loss = ExampleMeanLoss()(outputs, labels)
    assert torch.allclose(loss, _row_losses(outputs, labels).mean())
    token_mean = torch.nn.functional.cross_entropy(outputs["logits"][:, :-1].transpose(1, 2), labels[:, 1:])
    assert not torch.allclose(loss, token_mean)  # the per-token mean weighs the 6-token row 6x the 1-token row


def test_rows_without_outputs_are_left_out_and_an_empty_batch_gives_zero():
    outputs, labels = _rows([2, 0, 4])
    assert torch.allclose(ExampleMeanLoss()(outputs, labels), _row_losses(outputs, labels)[[0, 2]].mean())
    outputs, labels = _rows([0, 0])
    loss = ExampleMeanLoss()(outputs, labels)
    assert loss.item() == 0.0
    loss.backward()  # still part of the graph


def test_training_steps_are_scaled_for_accumulation_and_evaluation_is_not():
    outputs, labels = _rows([2, 5])
    plain = ExampleMeanLoss(gradient_accumulation_steps=4, device_scale=2)(outputs, labels)
    scaled = ExampleMeanLoss(gradient_accumulation_steps=4, device_scale=2)(outputs, labels, num_items_in_batch=7)
    assert torch.allclose(scaled * 8, plain)


def test_the_setting_picks_the_loss(tmp_path):
    args = TrainingArguments(output_dir=str(tmp_path), gradient_accumulation_steps=3, use_cpu=True, report_to="none")
    assert training_loss("token", args) is None
    assert training_loss("example", args).gradient_accumulation_steps == 3
    with pytest.raises(ValueError, match="loss.average is 'row'; use one of token, example"):
        training_loss("row", args)
