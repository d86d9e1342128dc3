"""Audio out over either codec: codec.py's interface, the vocoders, add_target_codes and pipeline("lauragpt") with a
tiny LauraGPTCPUCodec; the vocoder's text condition tokenised one way in training and in the pipeline."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from datasets import Dataset
from transformers import AutoModel, WhisperConfig, pipeline

from modeling_lauragpt import (
    LauraGPTConfig,
    LauraGPTCPUCodec,
    LauraGPTCPUCodecConfig,
    LauraGPTFeatureExtractor,
    LauraGPTForConditionalGeneration,
    LauraGPTMultiStepVocoder,
    LauraGPTMultiStepVocoderConfig,
    LauraGPTProcessor,
    LauraGPTVocoder,
    LauraGPTVocoderConfig,
    VocoderConditions,
)
from modeling_lauragpt.codec import (
    CodecSpec,
    codec_spec,
    codes_to_latent,
    encode_codes,
    init_codebooks_from_audio,
    latent_to_waveform,
)
from modeling_lauragpt.processing.tokenizer_utils import (
    plain_text_ids,
    train_text_tokenizer,
)
from modeling_lauragpt.training.data.codec_targets import add_target_codes
from modeling_lauragpt.training.data.schema import (
    CODES_COLUMN,
    example_features,
    make_example,
)
from modeling_lauragpt.training.vocoder_training import VocoderCollator

from .helpers import SENTENCES, make_audio

HOP = 640
CODES = 64  # codes per group of the tiny CPU codec here (and of the LLM that writes them)
FIXED = {"min_new_tokens": 4, "max_new_tokens": 4, "do_sample": False}


@pytest.fixture(scope="module")
def cpu_codec() -> LauraGPTCPUCodec:
    """The tiny CPU codec (3 groups of 64 codes, 8-d latent), codebooks by k-means on generated clips."""
    torch.manual_seed(0)
    codec = LauraGPTCPUCodec(LauraGPTCPUCodecConfig.from_preset("tiny", codebook_size=CODES)).eval()
    return init_codebooks_from_audio(codec, [make_audio(1.0, 20 + i) for i in range(3)])


@pytest.fixture(scope="module")
def cpu_processor() -> LauraGPTProcessor:
    return LauraGPTProcessor(
        LauraGPTFeatureExtractor(), train_text_tokenizer(SENTENCES, vocab_size=160), codebook_size=CODES
    )


@pytest.fixture(scope="module")
def cpu_vocoder(cpu_codec, cpu_processor) -> LauraGPTVocoder:
    torch.manual_seed(0)
    return LauraGPTVocoder.from_codec(
        cpu_codec, "tiny", text_vocab_size=cpu_processor.vocabulary.text_vocab_size
    ).eval()


def _rows():
    return [
        {"audio": make_audio(0.5, 1), "text": SENTENCES[0], "noisy_audio": make_audio(0.5, 2)},
        {"audio": make_audio(0.3, 3), "text": SENTENCES[3], "prompt_audio": make_audio(0.4, 4)},
    ]


# ------------------------------------------------------------------------------------------------ codec.py
def test_one_interface_over_both_codecs(codec, cpu_codec):
    assert codec_spec(codec) == CodecSpec(16000, HOP, 1024, 32, 32)
    assert codec_spec(cpu_codec.config) == codec_spec(cpu_codec) == CodecSpec(16000, HOP, CODES, 3, 8)
    clips = [make_audio(s, i) for i, s in enumerate([0.3, 0.5, 0.07])]
    for model in (codec, cpu_codec):
        spec = codec_spec(model)
        codes = encode_codes(model, clips, batch_size=3)
        for clip, c in zip(clips, codes):
            assert c.shape == (spec.num_groups, -(-len(clip) // HOP)) and torch.equal(c, encode_codes(model, [clip])[0])
        frames = codes[1].shape[1]
        latent = codes_to_latent(model, torch.stack([codes[1], codes[1]]))
        assert latent.shape == (2, frames, spec.latent_dim)
        audio = latent_to_waveform(model, latent, lengths=torch.tensor([frames, 3]))
        assert audio.shape == (2, frames * HOP) and (audio[1, 3 * HOP :] == 0).all()
        torch.testing.assert_close(
            audio[1, : 3 * HOP], latent_to_waveform(model, latent[1:, :3])[0], atol=1e-5, rtol=1e-4
        )
        with pytest.raises(ValueError, match=rf"\[0, {spec.codebook_size}\)"):
            codes_to_latent(model, codes[1][None] + spec.codebook_size)
        with pytest.raises(ValueError, match="groups"):
            codes_to_latent(model, torch.cat([codes[1], codes[1]])[None])
    # the CPU codec's own latent, (batch, dim, frames), is the interface's (batch, frames, dim)
    torch.testing.assert_close(
        codes_to_latent(cpu_codec, codes[1][None]), cpu_codec.codes_to_latent(codes[1][None]).transpose(1, 2)
    )


def test_another_codec_class_is_refused(cpu_codec):
    with pytest.raises(ValueError, match="Unsupported codec config WhisperConfig"):
        codec_spec(WhisperConfig())
    with pytest.raises(ValueError, match="model_type 'whisper'"):
        LauraGPTVocoderConfig.from_preset("tiny", codec_config={"model_type": "whisper"})
    with pytest.raises(Exception, match="codebook_size"):  # the vocoder embeds the codec's codes: sizes must agree
        LauraGPTVocoderConfig.from_preset("tiny", codec_config=cpu_codec.config)


# ------------------------------------------------------------------------------------------------ vocoders
def test_vocoder_over_the_cpu_codec_targets_saves_and_batches(cpu_vocoder, cpu_codec, cpu_processor, tmp_path):
    assert isinstance(cpu_vocoder.codec, LauraGPTCPUCodec) and cpu_vocoder.config.num_quantizers == 3
    assert all(
        torch.equal(a, b) for a, b in zip(cpu_vocoder.codec.state_dict().values(), cpu_codec.state_dict().values())
    )
    batch = VocoderCollator(cpu_processor, cpu_vocoder)(_rows())
    assert batch["target_codes"].shape[:2] == (2, 3) and batch["prompt_codes"].shape[1] == 3
    out = cpu_vocoder(**batch)
    real = batch["codes_mask"].bool()[..., None]
    torch.testing.assert_close(out.target_latent, codes_to_latent(cpu_codec, batch["target_codes"]) * real)
    assert out.predicted_latent.shape == (2, batch["codes"].shape[1], 8) and torch.isfinite(out.loss)

    batch.pop("target_codes")
    audio, lengths = cpu_vocoder.generate_waveform(**batch)
    assert audio.shape == (2, batch["codes"].shape[1] * HOP) and lengths.tolist() == [13 * HOP, 8 * HOP]
    cpu_vocoder.save_pretrained(tmp_path)
    loaded = AutoModel.from_pretrained(tmp_path)
    assert isinstance(loaded.config.codec_config, LauraGPTCPUCodecConfig) and isinstance(loaded.codec, LauraGPTCPUCodec)
    assert not any(p.requires_grad for p in loaded.codec.parameters()) and not loaded.codec.training
    assert torch.equal(loaded.generate_waveform(**batch)[0], audio)

    conditions = {k: v for k, v in batch.items() if k not in ("codes", "codes_mask")}
    for row in range(2):  # a padded batch equals each row alone
        n = int(batch["codes_mask"][row].sum())
        alone = VocoderConditions(**{k: v[row : row + 1] for k, v in conditions.items()})
        single, _ = cpu_vocoder.generate_waveform(batch["codes"][row : row + 1, :n], conditions=alone)
        torch.testing.assert_close(audio[row, : n * HOP], single[0], atol=1e-4, rtol=1e-3)


def test_conditions_as_one_object_or_as_keywords(cpu_vocoder):
    codes, text = torch.tensor([[1, 2, 3]]), torch.tensor([[5, 6]])
    by_keywords = cpu_vocoder.predict_latent(codes, text_ids=text)
    by_object = cpu_vocoder.predict_latent(codes, conditions=VocoderConditions(text_ids=text))
    torch.testing.assert_close(by_keywords, by_object)
    assert not torch.allclose(by_keywords, cpu_vocoder.predict_latent(codes))
    with pytest.raises(ValueError, match="not both"):
        cpu_vocoder.generate_waveform(codes, conditions=VocoderConditions(text_ids=text), text_ids=text)
    with pytest.raises(TypeError, match="Unknown vocoder condition"):
        cpu_vocoder.generate_waveform(codes, txt_ids=text)
    with pytest.raises(ValueError, match=rf"codes must lie in \[0, {CODES}\)"):
        cpu_vocoder.generate_waveform(codes + CODES)


def test_multistep_vocoder_over_the_cpu_codec(cpu_codec, cpu_processor):
    torch.manual_seed(0)
    config = LauraGPTMultiStepVocoderConfig.from_preset(
        "tiny",
        codec_config=cpu_codec.config,
        codebook_size=CODES,
        text_vocab_size=cpu_processor.vocabulary.text_vocab_size,
    )
    model = LauraGPTMultiStepVocoder(config).eval()
    model.codec.load_state_dict(cpu_codec.state_dict())
    batch = VocoderCollator(cpu_processor, model)(_rows())
    out = model(**batch, group=2)
    assert out.logits.shape == (2, batch["codes"].shape[1], CODES) and torch.isfinite(out.loss)
    batch.pop("target_codes")
    conditions = VocoderConditions(text_ids=batch["text_ids"], text_mask=batch["text_mask"])
    assert model.generate_codes(batch["codes"], batch["codes_mask"], conditions).shape == (
        2,
        3,
        batch["codes"].shape[1],
    )
    audio, lengths = model.generate_waveform(**batch)
    assert audio.shape == (2, batch["codes"].shape[1] * HOP) and lengths.tolist() == [13 * HOP, 8 * HOP]


def test_add_target_codes_with_the_cpu_codec(cpu_codec):
    clip = {"array": make_audio(0.5, 6), "sampling_rate": 16000}
    rows = [
        make_example("tts", "t", text="hello", target_audio=clip),
        make_example("asr", "a", audio=clip, target_text="hello"),
    ]
    coded = add_target_codes(Dataset.from_list(rows, features=example_features()), cpu_codec)
    assert torch.equal(torch.tensor(coded[0][CODES_COLUMN]), encode_codes(cpu_codec, [clip])[0])
    assert coded[1][CODES_COLUMN] is None


# ------------------------------------------------------------------------------------------------ tokenisation
def test_vocoder_text_is_tokenised_the_same_in_training_and_in_the_pipeline(
    cpu_vocoder, cpu_processor, monkeypatch, tmp_path
):
    text = "say <|codec_3|> to me"
    tokenizer, text_vocab = cpu_processor.tokenizer, cpu_processor.vocabulary.text_vocab_size
    unsplit = tokenizer(text, add_special_tokens=False)["input_ids"]  # what the pipeline used to pass
    assert max(unsplit) >= text_vocab  # "<|codec_3|>" became a codec token id, which the vocoder cannot embed
    assert plain_text_ids(tokenizer, text) != unsplit and max(plain_text_ids(tokenizer, text)) < text_vocab

    seen = {}
    real = cpu_vocoder.generate_waveform

    def spy(codes, codes_mask=None, conditions=None, **fields):
        seen["conditions"] = conditions
        return real(codes, codes_mask, conditions, **fields)

    monkeypatch.setattr(cpu_vocoder, "generate_waveform", spy)
    pipe = _pipeline(cpu_vocoder, cpu_processor, tmp_path)
    pipe([text, "hello"], task="tts", batch_size=2, **FIXED)
    collated = VocoderCollator(cpu_processor, cpu_vocoder)(
        [{"audio": make_audio(0.2), "text": t} for t in (text, "hello")]
    )
    assert torch.equal(seen["conditions"].text_ids, collated["text_ids"])
    assert torch.equal(seen["conditions"].text_mask, collated["text_mask"])


# ------------------------------------------------------------------------------------------------ pipeline
def _pipeline(vocoder, processor, folder):
    torch.manual_seed(0)
    config = LauraGPTConfig.from_processor(processor, "tiny", codebook_size=CODES)  # the CPU codec's codes
    LauraGPTForConditionalGeneration(config).save_pretrained(folder)
    processor.save_pretrained(folder)
    return pipeline("lauragpt", model=str(folder), vocoder=vocoder, device="cpu")


def test_pipeline_tts_and_se_over_the_cpu_codec(cpu_vocoder, cpu_processor, tmp_path):
    cpu_vocoder.save_pretrained(tmp_path / "vocoder")
    pipe = _pipeline(None, cpu_processor, tmp_path)  # finds tmp_path/vocoder
    assert isinstance(pipe.vocoder.codec, LauraGPTCPUCodec)
    texts = ["hello world", "turn on the kitchen lights"]
    batched = pipe(texts, task="tts", batch_size=2, **FIXED)
    for text, result in zip(texts, batched):
        assert result["sampling_rate"] == 16000 and result["audio"].shape == (4 * HOP,)
        np.testing.assert_allclose(result["audio"], pipe(text, task="tts", **FIXED)["audio"], atol=1e-4)
    voice = {"array": make_audio(0.5, 8), "sampling_rate": 16000}
    assert pipe("hello world", task="tts", voice=voice, **FIXED)["audio"].shape == (4 * HOP,)
    enhanced = pipe(make_audio(0.6, 9), task="se", sampling_rate=16000, **FIXED)
    assert enhanced["audio"].shape == (4 * HOP,) and np.isfinite(enhanced["audio"]).all()
