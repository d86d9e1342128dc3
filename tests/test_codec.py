"""The codec (transformers.EncodecModel as FunCodec's 16 kHz codec): size, length formula, round trip, helpers."""

from __future__ import annotations

import datasets
import pytest
import torch
from transformers import EncodecModel

from modeling_lauragpt.audio_lengths import codec_num_frames
from modeling_lauragpt.codec import (
    add_codec_codes,
    codec_config,
    codes_to_latent,
    encode_codes,
    first_group,
    latent_to_waveform,
)

from .helpers import make_audio

HOP = 640


def test_paper_codec_is_funcodec_sized():
    config = codec_config("paper")
    with torch.device("meta"):
        model = EncodecModel(config)
    assert sum(p.numel() for p in model.parameters()) == 57_549_987
    assert (config.num_quantizers, config.hop_length, config.frame_rate, config.codebook_size) == (32, HOP, 25, 1024)
    tiny = codec_config("tiny")
    assert (tiny.num_quantizers, tiny.hop_length, tiny.codebook_size) == (32, HOP, 1024)


@pytest.mark.parametrize("causal", [False, True])
def test_codec_num_frames_matches_encodec_at_many_lengths(causal):
    torch.manual_seed(0)
    model = EncodecModel(codec_config("tiny", use_causal_conv=causal)).eval()
    lengths = [1, 2, 17, 320, 639, 640, 641, 1279, 1280, 1281, 3333, 6399, 6400, 6401, 16000, 16001]
    lengths += torch.randint(1, 20000, (8,), generator=torch.Generator().manual_seed(1)).tolist()
    with torch.no_grad():
        for n in lengths:
            codes = model.encode(torch.randn(1, 1, n), bandwidth=8.0).audio_codes
            assert codes.shape[-1] == codec_num_frames(n), n
            assert codes.shape[-2] == 32
    assert codec_num_frames(torch.tensor([1, 640, 641])).tolist() == [1, 1, 2]


def test_round_trip_shapes_and_lengths(codec):
    clips = [make_audio(s, i) for i, s in enumerate([0.3, 1.0, 0.77])]
    codes = encode_codes(codec, clips)
    for clip, c in zip(clips, codes):
        assert c.dtype == torch.long and c.shape == (32, codec_num_frames(len(clip)))
        assert 0 <= int(c.min()) and int(c.max()) < 1024
    assert len(set(codes[1][0].tolist())) > 5  # first-group codes vary over time
    with torch.no_grad():
        latent = codes_to_latent(codec, codes[1][None])
        audio = latent_to_waveform(codec, latent)
    assert latent.shape == (1, codes[1].shape[1], 32)
    assert audio.shape == (1, codes[1].shape[1] * HOP) and torch.isfinite(audio).all()


def test_batched_encode_equals_one_by_one(codec):
    clips = [make_audio(s, i) for i, s in enumerate([0.5, 1.0, 0.77, 1.0, 0.5, 0.2])]
    batched = encode_codes(codec, clips, batch_size=2)
    for clip, codes in zip(clips, batched):
        assert torch.equal(codes, encode_codes(codec, [clip])[0])


def test_encode_accepts_dicts_and_resamples(codec):
    clip = make_audio(0.5, 3, sampling_rate=8000)
    (codes,) = encode_codes(codec, [{"array": clip, "sampling_rate": 8000}])
    assert codes.shape == (32, codec_num_frames(8000))
    with pytest.raises(ValueError, match="list of clips"):
        encode_codes(codec, torch.tensor(make_audio(0.2)))


def test_codes_to_latent_is_the_sum_of_codebook_rows(codec):
    codes = torch.stack([c[:, :10] for c in encode_codes(codec, [make_audio(0.5, 1), make_audio(0.5, 2)])])
    latent = codes_to_latent(codec, codes)
    assert latent.shape == (2, 10, 32)
    torch.testing.assert_close(latent, codec.quantizer.decode(codes.transpose(0, 1)).transpose(1, 2))
    by_hand = sum(layer.codebook.embed[codes[:, k]] for k, layer in enumerate(codec.quantizer.layers))
    torch.testing.assert_close(latent, by_hand)
    assert torch.equal(first_group(codes), codes[:, 0])
    assert first_group(codes[0]).shape == (10,)
    # The quantized latent approximates the encoder output better with every group.
    with torch.no_grad():
        encoded = codec.encoder(torch.tensor(make_audio(0.5, 1))[None, None])[0].T[:10]
    errors = [(codes_to_latent(codec, codes[:1, :k])[0] - encoded).norm() for k in (1, 4, 32)]
    assert errors[0] > errors[1] >= errors[2]


def test_datasets_map_adds_code_columns(codec):
    clips = [make_audio(s, i) for i, s in enumerate([0.3, 0.5, 0.3])]
    dataset = datasets.Dataset.from_dict({"audio": [c.tolist() for c in clips], "text": ["a", "b", "c"]})
    mapped = dataset.map(add_codec_codes, batched=True, batch_size=2, fn_kwargs={"codec": codec})
    assert set(mapped.column_names) == {"audio", "text", "codes"}
    for row, clip in zip(mapped, clips):
        assert torch.equal(torch.tensor(row["codes"]), encode_codes(codec, [clip])[0])
