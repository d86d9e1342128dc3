"""LauraGPTAudioEncoder: shapes and masks, padding invariance, ESPnet semantics, save/load, errors, checkpointing,
paper size."""

from __future__ import annotations

import itertools
import math
import warnings

import pytest
import torch

from modeling_lauragpt import LauraGPTAudioEncoder, LauraGPTAudioEncoderConfig
from modeling_lauragpt.audio_lengths import encoder_num_frames
from modeling_lauragpt.modeling_audio_encoder import (
    LauraGPTConformerAttention,
    padding_key_bias,
)
from modeling_lauragpt.positional_encoding import (
    LauraGPTRelPositionalEncoding,
    LauraGPTSinusoidalPositionalEncoding,
)

COMBINATIONS = list(itertools.product(["linear", "conv2d"], ["sinusoidal", "relative"]))
HIDDEN, LAYERS, HEADS = 32, 2, 4


def tiny_config(input_layer="linear", positions="sinusoidal", **overrides) -> LauraGPTAudioEncoderConfig:
    settings = {
        "hidden_size": HIDDEN,
        "num_hidden_layers": LAYERS,
        "num_attention_heads": HEADS,
        "intermediate_size": 64,
        "conv_kernel_size": 5,
        "input_layer": input_layer,
        "position_embedding_type": positions,
        "hidden_dropout": 0.0,
        "positional_dropout": 0.0,
    }
    return LauraGPTAudioEncoderConfig(**{**settings, **overrides})


def tiny_encoder(input_layer="linear", positions="sinusoidal", **overrides) -> LauraGPTAudioEncoder:
    torch.manual_seed(0)
    return LauraGPTAudioEncoder(tiny_config(input_layer, positions, **overrides)).eval()


def features(*frames: int, pad_value: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """A right-padded batch of random features with the given frame counts, and its mask. The padding holds
    large random garbage unless ``pad_value`` is given: the encoder must ignore it."""
    generator = torch.Generator().manual_seed(sum(frames))
    x = torch.randn(len(frames), max(frames), 560, generator=generator)
    mask = (torch.arange(max(frames))[None] < torch.tensor(frames)[:, None]).long()
    padding = 100 * torch.randn(x.shape, generator=generator) if pad_value is None else torch.full_like(x, pad_value)
    return torch.where(mask[..., None].bool(), x, padding), mask


# (a) shapes and output_mask


@pytest.mark.parametrize(("input_layer", "positions"), COMBINATIONS)
def test_shapes_and_output_mask_follow_the_length_formula(input_layer, positions):
    encoder = tiny_encoder(input_layer, positions)
    lengths = [1, 7, 30, 61]  # with conv2d, the 1-frame row gives 0 encoder frames: a fully padded row
    x, mask = features(*lengths)
    with torch.no_grad():
        out = encoder(x, mask)
    expected = [int(encoder_num_frames(n, input_layer)) for n in lengths]
    assert out.last_hidden_state.shape == (len(lengths), int(encoder_num_frames(61, input_layer)), HIDDEN)
    assert out.output_mask.dtype == torch.long and out.output_mask.shape == out.last_hidden_state.shape[:2]
    assert out.output_mask.sum(dim=1).tolist() == expected
    assert (out.output_mask == (torch.arange(out.output_mask.shape[1]) < torch.tensor(expected)[:, None])).all()
    assert (out.last_hidden_state[out.output_mask == 0] == 0).all()
    assert torch.isfinite(out.last_hidden_state).all()
    for n in lengths:  # each length alone, without a mask
        if encoder_num_frames(n, input_layer) > 0:
            alone = encoder(features(n)[0])
            assert alone.last_hidden_state.shape == (1, int(encoder_num_frames(n, input_layer)), HIDDEN)
            assert alone.output_mask.all()


# (b) padding invariance


@pytest.mark.parametrize(
    ("input_layer", "positions", "conv_norm_type"),
    [(*c, "layer_norm") for c in COMBINATIONS] + [("linear", "relative", "batch_norm")],
)
def test_padded_batch_equals_each_clip_alone(input_layer, positions, conv_norm_type):
    encoder = tiny_encoder(input_layer, positions, conv_norm_type=conv_norm_type)
    lengths = (13, 40, 27)
    x, mask = features(*lengths)
    with torch.no_grad():
        batched = encoder(x, mask)
        for i, n in enumerate(lengths):
            alone = encoder(x[i : i + 1, :n]).last_hidden_state[0]
            assert batched.output_mask[i].sum() == alone.shape[0]
            torch.testing.assert_close(batched.last_hidden_state[i, : alone.shape[0]], alone, atol=1e-5, rtol=1e-4)


# ESPnet semantics, checked against independent re-computations


def test_position_tables_are_espnets():
    d, max_len = 16, 40
    position = torch.arange(max_len, dtype=torch.float32)[:, None]
    div_term = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * -(math.log(10000.0) / d))
    positive, negative = torch.zeros(max_len, d), torch.zeros(max_len, d)
    positive[:, 0::2], positive[:, 1::2] = torch.sin(position * div_term), torch.cos(position * div_term)
    negative[:, 0::2], negative[:, 1::2] = torch.sin(-1 * position * div_term), torch.cos(-1 * position * div_term)
    espnet_relative = torch.cat([torch.flip(positive, [0]), negative[1:]])  # ESPnet RelPositionalEncoding.extend_pe
    assert torch.equal(LauraGPTSinusoidalPositionalEncoding(d, max_len, 0.0).pe, positive)
    relative = LauraGPTRelPositionalEncoding(d, max_len, 0.0)
    assert torch.equal(relative.pe, espnet_relative)
    x = torch.randn(2, 9, d)
    scaled, pos_emb = relative(x)
    torch.testing.assert_close(scaled, x * math.sqrt(d))
    assert torch.equal(pos_emb[0], espnet_relative[max_len - 9 : max_len + 8])  # offsets 8 .. -8


def test_relative_attention_equals_explicit_offsets():
    """score(i, j) = ((q_i + u) . k_j + (q_i + v) . W_pos pe(i - j)) / sqrt(d_k), with padded keys masked out."""
    torch.manual_seed(1)
    config = tiny_config(positions="relative")
    attention = LauraGPTConformerAttention(config).eval()
    with torch.no_grad():
        attention.pos_bias_u.normal_()
        attention.pos_bias_v.normal_()
    frames, lengths = 10, torch.tensor([10, 6])
    x = torch.randn(2, frames, HIDDEN)
    table = LauraGPTRelPositionalEncoding(HIDDEN, 50, 0.0)
    _, pos_emb = table(x)
    frame_mask = torch.arange(frames)[None] < lengths[:, None]
    with torch.no_grad():
        fast, _ = attention(x, padding_key_bias(frame_mask, x.dtype), pos_emb)
        eager, weights = attention(x, padding_key_bias(frame_mask, x.dtype), pos_emb, output_attentions=True)

        def heads(t):
            return t.view(t.shape[0], -1, HEADS, HIDDEN // HEADS).transpose(1, 2)

        q, k, v = heads(attention.linear_q(x)), heads(attention.linear_k(x)), heads(attention.linear_v(x))
        offsets = torch.arange(frames)[:, None] - torch.arange(frames)[None, :]  # i - j
        p = heads(attention.linear_pos(table.pe[table.max_positions - 1 - offsets.flatten()][None]))
        p = p.view(HEADS, frames, frames, HIDDEN // HEADS)  # (heads, i, j, d_k): W_pos pe(i - j)
        content = (q + attention.pos_bias_u[:, None]) @ k.transpose(-2, -1)
        position = torch.einsum("bhid,hijd->bhij", q + attention.pos_bias_v[:, None], p)
        scores = (content + position) / math.sqrt(HIDDEN // HEADS)
        scores = scores.masked_fill(~frame_mask[:, None, None, :], float("-inf"))
        reference_weights = torch.softmax(scores, dim=-1)
        reference = attention.linear_out((reference_weights @ v).transpose(1, 2).reshape(2, frames, HIDDEN))
    torch.testing.assert_close(weights, reference_weights, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(eager, reference, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(fast, reference, atol=1e-5, rtol=1e-4)


def test_block_structure_follows_espnet():
    with_conv = tiny_encoder()
    without = tiny_encoder(use_conv_module=False, macaron_style=False)
    assert with_conv.layers[0].norm_final is not None and with_conv.layers[0].ff_scale == 0.5
    layer = without.layers[0]  # ESPnet EncoderLayer has norm_final only with a conv module
    assert layer.norm_final is None and layer.conv_module is None and layer.feed_forward_macaron is None
    assert layer.ff_scale == 1.0
    x, mask = features(5, 9)
    with torch.no_grad():
        assert torch.isfinite(without(x, mask).last_hidden_state).all()


# (c) save / load


@pytest.mark.parametrize(("input_layer", "positions"), COMBINATIONS)
def test_save_load_round_trip_rebuilds_position_tables(input_layer, positions, tmp_path):
    encoder = tiny_encoder(input_layer, positions)
    if positions == "relative":  # make sure loaded biases are not re-initialised
        with torch.no_grad():
            encoder.layers[0].self_attn.pos_bias_u.add_(1.0)
    encoder.save_pretrained(tmp_path)
    loaded = LauraGPTAudioEncoder.from_pretrained(tmp_path).eval()
    assert torch.equal(loaded.positional_encoding.pe, loaded.positional_encoding.compute_table())
    assert loaded.positional_encoding.pe.abs().sum() > 0
    for name, tensor in encoder.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], tensor), name
    x, mask = features(9, 20)
    with torch.no_grad():
        torch.testing.assert_close(
            loaded(x, mask).last_hidden_state, encoder(x, mask).last_hidden_state, atol=0, rtol=0
        )


# (d) errors


@pytest.mark.parametrize("input_layer", ["linear", "conv2d"])
def test_too_long_input_gives_a_clear_error(input_layer):
    encoder = tiny_encoder(input_layer, "relative", max_position_embeddings=50)
    most = 50 if input_layer == "linear" else 4 * 50 + 6
    assert encoder_num_frames(most, input_layer) == 50 and encoder_num_frames(most + 1, input_layer) == 51
    with torch.no_grad():
        assert encoder(torch.zeros(1, most, 560)).last_hidden_state.shape[1] == 50
    with pytest.raises(ValueError, match=rf"{most + 1} frames .* 51 encoder frames.* holds 50 .*at most {most} input"):
        encoder(torch.zeros(1, most + 1, 560))
    with pytest.raises(ValueError, match="Split the audio into shorter clips"):
        encoder(torch.zeros(1, most + 1, 560))
    table = LauraGPTSinusoidalPositionalEncoding(HIDDEN, 50, 0.0)
    with pytest.raises(ValueError, match="51 frames but the position table holds 50"):
        table(torch.zeros(1, 51, HIDDEN))


def test_wrong_shapes_and_masks_give_clear_errors():
    encoder = tiny_encoder()
    with pytest.raises(ValueError, match=r"shape \(batch, frames, 560\); got \(1, 10, 80\)"):
        encoder(torch.zeros(1, 10, 80))
    with pytest.raises(ValueError, match=r"shape \(batch, frames, 560\); got \(10, 560\)"):
        encoder(torch.zeros(10, 560))
    with pytest.raises(ValueError, match=r"input_features_mask must have shape \(2, 10\)"):
        encoder(torch.zeros(2, 10, 560), torch.ones(2, 9))
    with pytest.raises(ValueError, match="right-padded"):
        encoder(torch.zeros(1, 4, 560), torch.tensor([[0, 1, 1, 1]]))
    with pytest.raises(ValueError, match="needs at least 7"):
        tiny_encoder("conv2d")(torch.zeros(1, 6, 560))
    with pytest.raises(ValueError, match="needs at least 1"):
        encoder(torch.zeros(1, 0, 560))


def test_no_nans_for_fully_padded_rows_in_half_precision_and_in_gradients():
    x, mask = features(12, 3)
    mask[1] = 0  # a row with no real frame at all
    for input_layer in ("linear", "conv2d"):
        encoder = tiny_encoder(input_layer, "relative").half()
        with torch.no_grad():
            out = encoder(x.half(), mask, output_attentions=True, output_hidden_states=True)
        assert not out.output_mask[1].any() and (out.last_hidden_state[1] == 0).all()
        assert all(torch.isfinite(t).all() for t in (out.last_hidden_state, *out.hidden_states, *out.attentions))
        encoder = tiny_encoder(input_layer, "relative").train()
        encoder(x, mask).last_hidden_state.sum().backward()
        assert all(torch.isfinite(p.grad).all() for p in encoder.parameters() if p.grad is not None)


# (e) gradient checkpointing


def test_gradient_checkpointing_recomputes_and_gives_the_same_gradients():
    x, mask = features(12, 20)
    grads = []
    for checkpointing in (False, True):
        encoder = tiny_encoder("conv2d", "relative").train()
        if checkpointing:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # deprecated alias of activation_checkpointing_enable
                encoder.gradient_checkpointing_enable()
            assert all(layer.gradient_checkpointing for layer in encoder.layers)
        calls = []
        encoder.layers[0].self_attn.register_forward_hook(lambda *args, calls=calls: calls.append(1))
        encoder(x, mask).last_hidden_state.pow(2).mean().backward()
        assert len(calls) == (2 if checkpointing else 1)  # checkpointing replays the block in backward
        grads.append(torch.cat([p.grad.flatten() for p in encoder.parameters()]))
    assert torch.isfinite(grads[1]).all() and grads[0].abs().sum() > 0
    torch.testing.assert_close(grads[0], grads[1])


# (f) paper size


def test_paper_encoder_parameter_count():
    config = LauraGPTAudioEncoderConfig()
    with torch.device("meta"):
        encoder = LauraGPTAudioEncoder(config)
    d, ff, k, n_in = config.hidden_size, config.intermediate_size, config.conv_kernel_size, config.input_size
    layer_norm = 2 * d
    feed_forward = (d * ff + ff) + (ff * d + d)
    attention = 4 * (d * d + d)  # q, k, v, out
    convolution = (d * 2 * d + 2 * d) + (d * k + d) + layer_norm + (d * d + d)
    block = 2 * feed_forward + attention + convolution + 5 * layer_norm  # ff_macaron, mha, conv, ff, final
    expected = (n_in * d + d + layer_norm) + config.num_hidden_layers * block + layer_norm  # input layer, after_norm
    assert (d, ff, k, n_in, config.num_hidden_layers, config.num_attention_heads) == (512, 1536, 15, 560, 32, 16)
    assert sum(p.numel() for p in encoder.parameters()) == expected == 160_377_344


# (g) optional outputs


def test_attentions_hidden_states_and_eager_path():
    encoder = tiny_encoder("linear", "relative")
    x, mask = features(11, 16)
    with torch.no_grad():
        fast = encoder(x, mask)
        full = encoder(x, mask, output_attentions=True, output_hidden_states=True)
        as_tuple = encoder(x, mask, output_hidden_states=True, return_dict=False)
    assert fast.attentions is None and fast.hidden_states is None
    torch.testing.assert_close(full.last_hidden_state, fast.last_hidden_state, atol=1e-5, rtol=1e-4)
    assert len(full.attentions) == LAYERS and all(a.shape == (2, HEADS, 16, 16) for a in full.attentions)
    assert (full.attentions[0][0, :, :, 11:] == 0).all()  # padded keys get no weight
    torch.testing.assert_close(full.attentions[1].sum(-1), torch.ones(2, HEADS, 16))
    assert len(full.hidden_states) == LAYERS + 1 and all(h.shape == (2, 16, HIDDEN) for h in full.hidden_states)
    assert torch.equal(full.hidden_states[-1], full.last_hidden_state)
    assert isinstance(as_tuple, tuple) and len(as_tuple) == 3 and torch.equal(as_tuple[0], fast.last_hidden_state)
    eager = LauraGPTAudioEncoder(tiny_config("linear", "relative", attn_implementation="eager")).eval()
    eager.load_state_dict(encoder.state_dict())
    assert eager.config._attn_implementation == "eager"
    with torch.no_grad():
        torch.testing.assert_close(eager(x, mask).last_hidden_state, fast.last_hidden_state, atol=1e-5, rtol=1e-4)
