"""LauraGPTVocoder: target, overfitting, save/load, padding invariance, conditions, errors, Trainer recipe."""

from __future__ import annotations

import datasets
import pytest
import torch
from huggingface_hub.errors import StrictDataclassClassValidationError
from transformers import AutoModel

from modeling_lauragpt import LauraGPTConfig, LauraGPTVocoder, LauraGPTVocoderConfig
from modeling_lauragpt.codec import (
    codes_to_latent,
    encode_codes,
)
from modeling_lauragpt.modeling_vocoder import corrupt_codes
from modeling_lauragpt.processing.tokenizer_utils import plain_text_ids, vocoder_text_tokenizer
from modeling_lauragpt.training.vocoder_training import VocoderCollator, train_vocoder

from .helpers import SENTENCES, make_audio

HOP = 640


@pytest.fixture
def vocoder(codec, processor) -> LauraGPTVocoder:
    torch.manual_seed(0)
    return LauraGPTVocoder.from_codec(codec, "tiny", text_vocab_size=processor.vocabulary.text_vocab_size).eval()


@pytest.fixture(scope="module")
def clips():
    return [make_audio(s, i) for i, s in enumerate([0.6, 1.0, 0.8, 0.4])]


def _rows(processor, clips, codec):
    """Collated inputs for the clips with text, noisy features for two rows and a prompt for one."""
    rows = [{"audio": c, "text": SENTENCES[i]} for i, c in enumerate(clips)]
    rows[0]["noisy_audio"] = (
        clips[0] + 0.05 * torch.randn(len(clips[0]), generator=torch.Generator().manual_seed(0)).numpy()
    )
    rows[2]["noisy_audio"] = make_audio(0.5, 7)
    rows[1]["prompt_audio"] = make_audio(0.4, 8)
    return rows


def test_sizes_and_presets(codec, processor):
    with torch.device("meta"):
        paper = LauraGPTVocoder(LauraGPTVocoderConfig.from_preset("paper"))
    predictor = sum(p.numel() for n, p in paper.named_parameters() if not n.startswith("codec."))
    assert sum(p.numel() for p in paper.codec.parameters()) == 57_549_987
    assert (paper.config.hidden_size, paper.config.num_hidden_layers, paper.config.num_quantizers) == (512, 6, 32)
    assert predictor == 97_612_416  # 77.7 M of them the text embedding over Qwen's 151,851 ids
    vocoder = LauraGPTVocoder.from_codec(codec, "tiny", text_vocab_size=processor.vocabulary.text_vocab_size)
    assert vocoder.sampling_rate == 16000 and vocoder.hop_length == HOP
    assert all(torch.equal(a, b) for a, b in zip(vocoder.codec.state_dict().values(), codec.state_dict().values()))


def test_target_is_the_codecs_quantized_latent_over_all_groups(vocoder, codec, clips):
    target_codes = encode_codes(codec, clips[1:2])[0][None]  # (1, 32, frames)
    out = vocoder(target_codes[:, 0], target_codes=target_codes)
    by_hand = sum(layer.codebook.embed[target_codes[:, k]] for k, layer in enumerate(codec.quantizer.layers))
    torch.testing.assert_close(out.target_latent, by_hand)
    torch.testing.assert_close(out.target_latent, codes_to_latent(codec, target_codes))
    changed = target_codes.clone()
    changed[:, 31] = (changed[:, 31] + 1) % 1024  # the last group counts too
    assert not torch.equal(vocoder(target_codes[:, 0], target_codes=changed).target_latent, out.target_latent)
    assert out.predicted_latent.shape == out.target_latent.shape == (1, target_codes.shape[-1], 32)
    torch.testing.assert_close(out.loss, out.l1_loss + out.l2_loss)


def test_overfits_a_few_clips(vocoder, processor, codec, clips):
    vocoder.config.codec_input_corruption = 0.0
    batch = VocoderCollator(processor, vocoder)(_rows(processor, clips, codec))
    optimizer = torch.optim.AdamW([p for p in vocoder.parameters() if p.requires_grad], lr=3e-3)
    vocoder.train()
    losses = []
    for _ in range(300):
        loss = vocoder(**batch).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    vocoder.eval()
    final = vocoder(**batch).loss.item()
    print(f"overfit: loss {losses[0]:.4f} -> {final:.4f} ({100 * final / losses[0]:.1f} %) after 300 steps")
    assert final < 0.2 * losses[0]


def test_save_and_load_through_automodel_gives_identical_audio(vocoder, processor, codec, clips, tmp_path):
    batch = VocoderCollator(processor, vocoder)(_rows(processor, clips, codec))
    batch.pop("target_codes")
    audio, lengths = vocoder.generate_waveform(**batch)
    vocoder.save_pretrained(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "model.safetensors"]
    loaded = AutoModel.from_pretrained(tmp_path)
    assert isinstance(loaded, LauraGPTVocoder) and not loaded.training and not loaded.codec.training
    assert not any(p.requires_grad for p in loaded.codec.parameters())
    reloaded, reloaded_lengths = loaded.generate_waveform(**batch)
    assert torch.equal(audio, reloaded) and torch.equal(lengths, reloaded_lengths)
    assert audio.dtype == torch.float32 and audio.shape == (4, batch["codes"].shape[1] * HOP)
    assert lengths.tolist() == [int(n) * HOP for n in batch["codes_mask"].sum(1)]
    for row, n in enumerate(lengths.tolist()):
        assert (audio[row, n:] == 0).all() and audio[row, :n].abs().max() > 0


def test_padded_batch_equals_each_row_alone(vocoder, processor, codec, clips):
    batch = VocoderCollator(processor, vocoder)(_rows(processor, clips, codec))
    batch.pop("target_codes")
    latent = vocoder(**batch).predicted_latent
    audio, _ = vocoder.generate_waveform(**batch)
    for row in range(len(clips)):
        alone = {}
        for name in ("codes", "text_ids", "input_features", "prompt_codes"):
            mask_name = {"codes": "codes_mask", "text_ids": "text_mask"}.get(name, f"{name}_mask")
            if name not in batch or batch[mask_name][row].sum() == 0:
                continue
            n = int(batch[mask_name][row].sum())
            alone[name] = (
                batch[name][row : row + 1, ..., :n] if name == "prompt_codes" else batch[name][row : row + 1, :n]
            )
        frames = alone["codes"].shape[1]
        with torch.no_grad():
            single = vocoder(**alone).predicted_latent[0]
        torch.testing.assert_close(latent[row, :frames], single, atol=1e-5, rtol=1e-4)
        single_audio, _ = vocoder.generate_waveform(**alone)
        torch.testing.assert_close(audio[row, : frames * HOP], single_audio[0], atol=1e-5, rtol=1e-4)


def test_each_condition_changes_the_output(vocoder, processor, codec, clips):
    codes = encode_codes(codec, clips[:1])[0][None]
    features = processor.feature_extractor(make_audio(0.6, 5), sampling_rate=16000)["input_features"]
    prompt = encode_codes(codec, [make_audio(0.4, 6)])[0][None]
    text = processor.tokenizer(SENTENCES[0], add_special_tokens=False, return_tensors="pt")["input_ids"]
    other_text = processor.tokenizer(SENTENCES[1], add_special_tokens=False, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        plain = vocoder(codes[:, 0]).predicted_latent
        variants = {
            "text": vocoder(codes[:, 0], text_ids=text).predicted_latent,
            "other text": vocoder(codes[:, 0], text_ids=other_text).predicted_latent,
            "features": vocoder(codes[:, 0], input_features=features).predicted_latent,
            "prompt": vocoder(codes[:, 0], prompt_codes=prompt).predicted_latent,
            "other prompt": vocoder(codes[:, 0], prompt_codes=(prompt + 1) % 1024).predicted_latent,
        }
    for name, latent in variants.items():
        assert (latent - plain).abs().max() > 1e-3, name
    assert (variants["text"] - variants["other text"]).abs().max() > 1e-3
    assert (variants["prompt"] - variants["other prompt"]).abs().max() > 1e-3


def test_clear_errors(vocoder, processor, tiny_config):
    codes = torch.randint(0, 1024, (1, 5))
    with pytest.raises(ValueError, match=r"codes must lie in \[0, 1024\).*decode_outputs"):
        vocoder.generate_waveform(codes + 1024)
    with pytest.raises(ValueError, match=r"codes must lie in \[0, 1024\)"):
        vocoder(codes - 2000)
    with pytest.raises(ValueError, match="another tokenizer"):
        vocoder.generate_waveform(codes, text_ids=torch.tensor([[vocoder.config.text_vocab_size]]))
    with pytest.raises(ValueError, match="input_features must have shape"):
        vocoder.generate_waveform(codes, input_features=torch.zeros(1, 4, 80))
    with pytest.raises(ValueError, match="target_codes must have shape"):
        vocoder(codes, target_codes=torch.zeros(1, 8, 5, dtype=torch.long))
    # Padded positions may hold anything: only real frames are checked.
    vocoder.generate_waveform(torch.tensor([[1, 2, -100]]), codes_mask=torch.tensor([[1, 1, 0]]))

    vocoder.check_compatible(tiny_config)
    mismatched = LauraGPTConfig.from_preset("tiny", text_vocab_size=tiny_config.text_vocab_size + 1)
    with pytest.raises(ValueError, match="Mismatched codec/vocoder.*text_vocab_size"):
        vocoder.check_compatible(mismatched)
    with pytest.raises(ValueError, match="codebook_size"):
        vocoder.check_compatible(
            LauraGPTConfig.from_preset("tiny", text_vocab_size=tiny_config.text_vocab_size, codebook_size=512)
        )
    with pytest.raises(StrictDataclassClassValidationError, match="codebook_size"):
        LauraGPTVocoderConfig.from_preset("tiny", codebook_size=512)


def test_a_vocoder_saved_with_its_text_tokenizer_loads_it_and_accepts_any_lauragpt_tokenizer(
    vocoder, processor, tiny_config, tmp_path
):
    vocoder.save_pretrained(tmp_path / "bare")
    bare = LauraGPTVocoder.from_pretrained(tmp_path / "bare")
    assert bare.text_tokenizer is None and vocoder_text_tokenizer(bare, processor) is processor.tokenizer
    vocoder.text_tokenizer = processor.tokenizer
    vocoder.save_pretrained(tmp_path / "own")
    own = LauraGPTVocoder.from_pretrained(tmp_path / "own")
    assert own.text_tokenizer is not None and vocoder_text_tokenizer(own, processor) is own.text_tokenizer
    assert plain_text_ids(own.text_tokenizer, SENTENCES[2]) == plain_text_ids(processor.tokenizer, SENTENCES[2])
    own.check_compatible(LauraGPTConfig.from_preset("tiny", text_vocab_size=tiny_config.text_vocab_size + 7))
    with pytest.raises(ValueError, match="codebook_size"):
        own.check_compatible(
            LauraGPTConfig.from_preset("tiny", text_vocab_size=tiny_config.text_vocab_size, codebook_size=512)
        )


def test_corruption_only_in_training(vocoder, codec, clips):
    codes = torch.randint(0, 1024, (4, 500), generator=torch.Generator().manual_seed(0))
    corrupted = corrupt_codes(codes, 0.3, 1024, generator=torch.Generator().manual_seed(1))
    assert 0.2 < (corrupted != codes).float().mean() < 0.35
    vocoder.config.codec_input_corruption = 0.5
    first = encode_codes(codec, clips[:1])[0][None, 0]
    with torch.no_grad():
        assert torch.equal(vocoder(first).predicted_latent, vocoder(first).predicted_latent)  # eval: no corruption
        vocoder.train()
        assert not torch.equal(vocoder(first).predicted_latent, vocoder(first).predicted_latent)
    vocoder.eval()


def test_collator_accepts_precomputed_codes_and_audio_dicts(vocoder, processor, codec, clips):
    collator = VocoderCollator(processor, vocoder)
    codes = encode_codes(codec, clips[:2])
    from_audio = collator([{"audio": {"array": clips[0], "sampling_rate": 16000}}, {"audio": clips[1]}])
    precomputed = collator([{"codes": codes[0].tolist()}, {"codes": codes[1].tolist(), "text": "hello world"}])
    assert torch.equal(from_audio["target_codes"], precomputed["target_codes"])
    assert torch.equal(from_audio["codes"], precomputed["target_codes"][:, 0])
    assert precomputed["text_mask"][0].sum() == 0 and precomputed["text_mask"][1].sum() > 0
    assert set(from_audio) == {"codes", "codes_mask", "target_codes"}
    with pytest.raises(ValueError, match="neither"):
        collator([{"text": "no audio"}])


def test_train_vocoder_with_the_trainer(vocoder, processor, codec, clips, tmp_path):
    rows = _rows(processor, clips, codec)
    dataset = datasets.Dataset.from_list(
        [{"audio": r["audio"].tolist(), "text": r["text"], "noisy_audio": r.get("noisy_audio", None)} for r in rows]
    )
    collator = VocoderCollator(processor, vocoder)
    batch = collator(list(dataset))
    codec_before = {k: v.clone() for k, v in vocoder.codec.state_dict().items()}
    with torch.no_grad():
        before = vocoder(**batch).loss.item()
    trainer = train_vocoder(
        vocoder,
        processor,
        dataset,
        tmp_path,
        max_steps=40,
        per_device_train_batch_size=4,
        learning_rate=3e-3,
        logging_steps=10,
    )
    vocoder.eval()
    with torch.no_grad():
        after = vocoder(**batch).loss.item()
    print(f"Trainer: loss {before:.4f} -> {after:.4f} after 40 steps")
    assert after < 0.7 * before
    assert trainer.state.global_step == 40
    assert all(torch.equal(v, codec_before[k]) for k, v in vocoder.codec.state_dict().items())
    saved = AutoModel.from_pretrained(tmp_path)
    assert isinstance(saved, LauraGPTVocoder) and saved.text_tokenizer is not None  # the ids' tokenizer travels with it
    assert plain_text_ids(saved.text_tokenizer, SENTENCES[0]) == plain_text_ids(processor.tokenizer, SENTENCES[0])


def test_generate_waveform_takes_lists_of_codes_including_empty_ones(vocoder):
    audio, lengths = vocoder.generate_waveform([torch.tensor([], dtype=torch.long), torch.tensor([1, 2, 3])])
    assert audio.shape == (2, 3 * HOP) and lengths.tolist() == [0, 3 * HOP]
    assert (audio[0] == 0).all() and torch.isfinite(audio).all()
    alone, _ = vocoder.generate_waveform(torch.tensor([[1, 2, 3]]))
    torch.testing.assert_close(audio[1], alone[0], atol=1e-5, rtol=1e-4)
    empty, empty_lengths = vocoder.generate_waveform([torch.tensor([], dtype=torch.long)])
    assert empty.shape == (1, 0) and empty_lengths.tolist() == [0]


def test_with_a_whisper_tower_the_se_condition_is_the_pipelines_log_mel(processor, codec, clips):
    from .whisper_fixtures import whisper_processor

    whisper = whisper_processor(processor, audio_window="1s")
    torch.manual_seed(0)
    vocoder = LauraGPTVocoder.from_codec(
        codec,
        "tiny",
        text_vocab_size=whisper.vocabulary.text_vocab_size,
        feature_size=whisper.feature_extractor.feature_size,
    ).eval()
    batch = VocoderCollator(whisper, vocoder)(_rows(whisper, clips, codec))
    assert (
        batch["input_features"].shape[-1] == 80 and batch["input_features_mask"][1].sum() == 0
    )  # row 1: no noisy audio
    # what the pipeline hands the vocoder at inference for the same noisy clip (frame-major, cut to its speech)
    expected, mask = whisper.frame_major_features(
        whisper.audio_inputs([whisper.prepare_waveform(_rows(whisper, clips, codec)[2]["noisy_audio"])])
    )
    frames = int(mask[0].sum())
    assert torch.equal(batch["input_features"][2, :frames], expected[0, :frames])
    with torch.no_grad():
        assert vocoder(**batch).loss.isfinite()
