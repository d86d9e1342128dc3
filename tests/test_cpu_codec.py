"""The CPU codec (tiny preset, generated audio): Auto save/load, batch = one by one, shapes, bad input, training."""

import math

import pytest
import torch
from huggingface_hub.errors import StrictDataclassClassValidationError
from transformers import AutoConfig, AutoModel

from modeling_lauragpt.configuration_cpu_codec import LauraGPTCPUCodecConfig
from modeling_lauragpt.modeling_cpu_codec import (
    LauraGPTCPUCodec,
    griffin_lim,
    istft,
    register_cpu_codec,
    stft,
)

RATE = 16000
HOP = 640


def speechlike(samples: int, seed: int = 0) -> torch.Tensor:
    """A voiced, pitch-gliding harmonic signal with a syllable-rate envelope (no TTS engine needed)."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(samples) / RATE
    f0 = 110 + 40 * torch.rand(1, generator=g) + 30 * torch.sin(2 * math.pi * 0.7 * t)
    phase = 2 * math.pi * torch.cumsum(f0, 0) / RATE
    voiced = sum(torch.sin(k * phase) / k for k in range(1, 12))
    envelope = 0.5 * (1 + torch.sin(2 * math.pi * 4 * t + float(torch.rand(1, generator=g)) * 6))
    return 0.1 * voiced * envelope + 0.003 * torch.randn(samples, generator=g)


@pytest.fixture(scope="module")
def codec():
    torch.manual_seed(0)
    model = LauraGPTCPUCodec(LauraGPTCPUCodecConfig.from_preset("tiny")).eval()
    model.init_codebooks(torch.stack([speechlike(RATE, seed=s) for s in range(4)]), iterations=3)
    return model


def test_auto_save_load_round_trip(codec, tmp_path):
    register_cpu_codec()
    codec.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").exists()
    config = AutoConfig.from_pretrained(tmp_path)
    assert isinstance(config, LauraGPTCPUCodecConfig) and config.model_type == "lauragpt_cpu_codec"
    loaded = AutoModel.from_pretrained(tmp_path).eval()
    assert isinstance(loaded, LauraGPTCPUCodec)
    torch.testing.assert_close(loaded.quantizer.embed, codec.quantizer.embed)  # buffers travel too
    clip = speechlike(5000)[None]
    assert torch.equal(loaded.encode(clip), codec.encode(clip))
    torch.testing.assert_close(
        loaded.decode(loaded.codes_to_latent(codec.encode(clip))),
        codec.decode(codec.codes_to_latent(codec.encode(clip))),
    )


@pytest.mark.parametrize("samples", [1, 639, 640, 641, 3000])
def test_shapes(codec, samples):
    codes = codec.encode(speechlike(samples)[None])
    frames = math.ceil(samples / HOP)
    assert codes.shape == (1, codec.config.num_quantizers, frames) and codes.dtype == torch.long
    assert 0 <= int(codes.min()) and int(codes.max()) < codec.config.codebook_size
    latent = codec.codes_to_latent(codes)
    assert latent.shape == (1, codec.config.codebook_dim, frames)
    assert codec.decode(latent).shape == (1, frames * HOP)
    assert codec.codes_to_latent(codes[:, :1]).shape == latent.shape  # the first group alone


def test_latent_is_the_sum_of_codebook_vectors(codec):
    codes = codec.encode(speechlike(2000)[None])
    embed = codec.quantizer.embed
    expected = sum(embed[g][codes[0, g]] for g in range(codes.shape[1])).t()[None]
    torch.testing.assert_close(codec.codes_to_latent(codes), expected)


def test_batch_equals_one_by_one(codec):
    clips = [speechlike(n, seed=i) for i, n in enumerate((2500, 640, 4100))]
    batch = torch.zeros(len(clips), max(len(c) for c in clips))
    for row, clip in enumerate(clips):
        batch[row, : len(clip)] = clip
        batch[row, len(clip) :] = 0.3  # garbage after each clip's end must not leak in
    lengths = torch.tensor([len(c) for c in clips])
    codes = codec.encode(batch, lengths=lengths)
    frames = (lengths + HOP - 1) // HOP
    audio = codec.decode(codec.codes_to_latent(codes), lengths=frames)
    for row, clip in enumerate(clips):
        alone = codec.encode(clip[None])
        n = int(frames[row])
        assert torch.equal(codes[row, :, :n], alone[0])
        single = codec.decode(codec.codes_to_latent(alone))[0]
        torch.testing.assert_close(audio[row, : n * HOP], single, atol=1e-5, rtol=1e-4)
        assert audio[row, n * HOP :].abs().max() == 0 if n * HOP < audio.shape[1] else True


def test_stft_round_trip_and_griffin_lim():
    clip = speechlike(6400)[None]
    spec = stft(clip, 640, 160)
    assert spec.shape == (1, 321, 40)
    torch.testing.assert_close(istft(spec, 640, 160), clip, atol=1e-5, rtol=1e-4)
    rebuilt = griffin_lim(spec.abs(), 640, 160, iterations=32, momentum=0.99)
    error = (stft(rebuilt, 640, 160).abs() - spec.abs()).norm() / spec.abs().norm()
    assert error < 0.35  # phase recovered well enough that the magnitudes come back


def test_bad_input_errors(codec):
    with pytest.raises(ValueError, match="16000 Hz.*resample"):
        codec.encode(speechlike(800)[None], sampling_rate=8000)
    with pytest.raises(ValueError, match="empty"):
        codec.encode(torch.zeros(1, 0))
    bad = speechlike(800)[None].clone()
    bad[0, 10] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        codec.encode(bad)
    with pytest.raises(ValueError, match="lengths"):
        codec.encode(speechlike(800)[None], lengths=torch.tensor([0]))
    codes = codec.encode(speechlike(800)[None])
    with pytest.raises(ValueError, match=r"\[0, 16\)"):
        codec.codes_to_latent(codes + codec.config.codebook_size)
    with pytest.raises(ValueError, match=r"\[0, 16\)"):
        negative = codes.clone()
        negative[0, 0, 0] = -1
        codec.codes_to_latent(negative)
    with pytest.raises(ValueError, match="groups"):
        codec.codes_to_latent(torch.cat([codes, codes], dim=1))
    with pytest.raises(ValueError, match="shape"):
        codec.decode(torch.zeros(1, 3, 2))
    with pytest.raises(ValueError, match="NaN"):
        codec.decode(torch.full((1, codec.config.codebook_dim, 2), float("nan")))
    with pytest.raises(StrictDataclassClassValidationError, match="decoder_head"):
        LauraGPTCPUCodecConfig.from_preset("tiny", decoder_head="wavenet")
    with pytest.raises(StrictDataclassClassValidationError, match="stft_hop_length"):
        LauraGPTCPUCodecConfig.from_preset("tiny", stft_hop_length=300)


@pytest.mark.parametrize("head", ["griffin_lim", "istft"])
def test_training_loss_decreases(head):
    torch.manual_seed(0)
    model = LauraGPTCPUCodec(LauraGPTCPUCodecConfig.from_preset("tiny", decoder_head=head, quantizer_dropout=0.0))
    batch = torch.stack([speechlike(2560, seed=s) for s in range(4)])
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    model.train()
    losses = []
    for step in range(40):
        if step == 10:  # continuous warm-up, then k-means, as the recipe does
            model.init_codebooks(batch, iterations=3)
        output = model(batch, use_quantizer=step >= 10)
        optimizer.zero_grad()
        output.loss.backward()
        optimizer.step()
        losses.append(output.log_magnitude_loss.item())
    assert output.audio_codes.shape == (4, 3, 4)
    assert sum(losses[-5:]) / 5 < 0.7 * sum(losses[:5]) / 5, losses
    assert model.quantizer.cluster_size.sum() > 0  # EMA statistics moved
