"""LauraGPTAudioEncoder: shapes and masks, padding invariance, save/load, errors, checkpointing, paper size."""

from __future__ import annotations

import itertools

import pytest
import torch

from modeling_lauragpt import LauraGPTAudioEncoder, LauraGPTAudioEncoderConfig
from modeling_lauragpt.audio_lengths import encoder_num_frames

COMBINATIONS = list(itertools.product(["linear", "conv2d"], ["sinusoidal", "relative"]))


def tiny_encoder(input_layer="linear", positions="sinusoidal", **overrides) -> LauraGPTAudioEncoder:
    torch.manual_seed(0)
    config = LauraGPTAudioEncoderConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64, conv_kernel_size=5,
        input_layer=input_layer, position_embedding_type=positions, hidden_dropout=0.0, positional_dropout=0.0,
        **overrides,
    )
    return LauraGPTAudioEncoder(config).eval()


def features(*frames: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A right-padded batch of random features with the given frame counts, and its mask."""
    generator = torch.Generator().manual_seed(sum(frames))
    x = torch.randn(len(frames), max(frames), 560, generator=generator)
    mask = (torch.arange(max(frames))[None] < torch.tensor(frames)[:, None]).long()
    return x * mask[..., None], mask


@pytest.mark.parametrize(("input_layer", "positions"), COMBINATIONS)
def test_shapes_and_output_mask_follow_the_length_formula(input_layer, positions):
    encoder = tiny_encoder(input_layer, positions)
    lengths = [7, 30, 61] if input_layer == "conv2d" else [1, 7, 30, 61]
    x, mask = features(*lengths)
    with torch.no_grad():
        out = encoder(x, mask)
    expected = [int(encoder_num_frames(n, input_layer)) for n in lengths]
    assert out.last_hidden_state.shape == (len(lengths), int(encoder_num_frames(max(lengths), input_layer)), 32)
    assert out.output_mask.sum(dim=1).tolist() == expected
    assert (out.last_hidden_state[out.output_mask == 0] == 0).all()
    assert torch.isfinite(out.last_hidden_state).all()


@pytest.mark.parametrize(("input_layer", "positions"), COMBINATIONS)
def test_padded_batch_equals_each_clip_alone(input_layer, positions):
    encoder = tiny_encoder(input_layer, positions)
    lengths = (13, 40, 27)
    x, mask = features(*lengths)
    with torch.no_grad():
        batched = encoder(x, mask).last_hidden_state
        for i, n in enumerate(lengths):
            alone = encoder(x[i : i + 1, :n]).last_hidden_state[0]
            torch.testing.assert_close(batched[i, : alone.shape[0]], alone, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("positions", ["sinusoidal", "relative"])
def test_save_load_round_trip_rebuilds_position_tables(positions, tmp_path):
    encoder = tiny_encoder("linear", positions)
    encoder.save_pretrained(tmp_path)
    loaded = LauraGPTAudioEncoder.from_pretrained(tmp_path).eval()
    assert loaded.positional_encoding.pe.abs().sum() > 0
    x, mask = features(9, 20)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x, mask).last_hidden_state, encoder(x, mask).last_hidden_state, atol=0, rtol=0)


def test_eager_attention_path_equals_sdpa_and_returns_weights():
    encoder = tiny_encoder("linear", "relative")
    x, mask = features(11, 16)
    with torch.no_grad():
        fast = encoder(x, mask)
        eager = encoder(x, mask, output_attentions=True, output_hidden_states=True)
    torch.testing.assert_close(eager.last_hidden_state, fast.last_hidden_state, atol=1e-5, rtol=1e-4)
    assert len(eager.attentions) == 2 and eager.attentions[0].shape == (2, 4, 16, 16)
    assert torch.allclose(eager.attentions[0][0, :, :, 11:], torch.tensor(0.0))  # padded keys get no weight
    assert len(eager.hidden_states) == 3


def test_too_long_input_and_wrong_shapes_give_clear_errors():
    encoder = tiny_encoder(max_position_embeddings=50)
    with pytest.raises(ValueError, match="51 encoder frames but the encoder's position table holds 50"):
        encoder(torch.zeros(1, 51, 560))
    with pytest.raises(ValueError, match=r"shape \(batch, frames, 560\); got \(1, 10, 80\)"):
        encoder(torch.zeros(1, 10, 80))
    with pytest.raises(ValueError, match="input_features_mask must have shape"):
        encoder(torch.zeros(2, 10, 560), torch.ones(2, 9))


def test_gradient_checkpointing_gives_the_same_gradients():
    x, mask = features(12, 20)
    grads = []
    for checkpointing in (False, True):
        encoder = tiny_encoder("conv2d", "relative")
        encoder.train()
        if checkpointing:
            encoder.activation_checkpointing_enable({"use_reentrant": False})
        encoder(x, mask).last_hidden_state.pow(2).mean().backward()
        grads.append(torch.cat([p.grad.flatten() for p in encoder.parameters()]))
    torch.testing.assert_close(grads[0], grads[1])
    assert grads[0].abs().sum() > 0


def test_batch_norm_variant_builds_and_runs():
    encoder = tiny_encoder(conv_norm_type="batch_norm")
    x, mask = features(8, 14)
    with torch.no_grad():
        assert torch.isfinite(encoder(x, mask).last_hidden_state).all()


def test_paper_encoder_parameter_count():
    config = LauraGPTAudioEncoderConfig()
    with torch.device("meta"):
        encoder = LauraGPTAudioEncoder(config)
    d, ff, k, n_in = config.hidden_size, config.intermediate_size, config.conv_kernel_size, config.input_size
    norm = 2 * d
    feed_forward = d * ff + ff + ff * d + d
    attention = 4 * (d * d + d)
    convolution = (d * 2 * d + 2 * d) + (d * k + d) + norm + (d * d + d)
    layer = 2 * feed_forward + attention + convolution + 5 * norm
    expected = (n_in * d + d + norm) + config.num_hidden_layers * layer + norm
    assert sum(p.numel() for p in encoder.parameters()) == expected
    assert 155e6 < expected < 165e6, expected
