"""A Whisper encoder as LauraGPT's audio tower: transformers' own encoder, the short window, the one length
formula, save/load, batching, the KV cache, freezing and cached tower frames."""

from __future__ import annotations

import pytest
import torch
from datasets import Dataset
from huggingface_hub.errors import StrictDataclassClassValidationError
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForSpeechSeq2Seq,
    AutoModelForTextToWaveform,
    AutoProcessor,
    WhisperConfig,
    WhisperFeatureExtractor,
)
from transformers.models.whisper.modeling_whisper import WhisperEncoder

from modeling_lauragpt import (
    LauraGPTConfig,
    LauraGPTForConditionalGeneration,
    LauraGPTModel,
    LauraGPTProcessor,
)
from modeling_lauragpt.audio_lengths import (
    whisper_mel_frames,
    whisper_num_tokens,
    whisper_window_samples,
)
from modeling_lauragpt.modeling_whisper_tower import LauraGPTWhisperEncoder
from modeling_lauragpt.training.collator import LauraGPTCollator
from modeling_lauragpt.training.data.audio_frames import (
    AUDIO_FRAMES_COLUMN,
    add_audio_frames,
)
from modeling_lauragpt.training.data.schema import example_features, make_example

from .helpers import make_audio
from .whisper_fixtures import whisper_config, whisper_model, whisper_processor

CLIPS = [make_audio(0.45, 1), make_audio(1.3, 2), make_audio(0.8, 3)]
TARGETS = ["hello world", "the cat", "turn on the lights"]


@pytest.fixture(scope="module", params=["clip", "1s", "30s"])
def window(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def wproc(processor, window) -> LauraGPTProcessor:
    return whisper_processor(processor, audio_window=window)


@pytest.fixture(scope="module")
def wmodel(wproc, window) -> LauraGPTForConditionalGeneration:
    return whisper_model(wproc, audio_window=window)


def test_tower_is_transformers_whisper_encoder_on_the_30s_window_and_alone_in_a_batch_on_short_ones():
    config = WhisperConfig(
        d_model=32, encoder_layers=2, encoder_attention_heads=4, encoder_ffn_dim=64, max_source_positions=1500
    )
    torch.manual_seed(0)
    reference = WhisperEncoder(config).eval()
    tower = LauraGPTWhisperEncoder(config).eval()
    tower.load_state_dict(reference.state_dict())
    full = torch.randn(2, 80, 3000)
    with torch.no_grad():
        assert torch.equal(tower(full).last_hidden_state, reference(full).last_hidden_state)
        short, shorter = torch.randn(1, 80, 301), torch.randn(1, 80, 120)
        batch = torch.zeros(2, 80, 301)
        batch[0], batch[1, :, :120] = short[0], shorter[0]
        mask = (torch.arange(301)[None] < torch.tensor([[301], [120]])).long()
        together = tower(batch, attention_mask=mask).last_hidden_state
        torch.testing.assert_close(together[0], tower(short).last_hidden_state[0], atol=2e-5, rtol=0)
        torch.testing.assert_close(together[1, :60], tower(shorter).last_hidden_state[0], atol=2e-5, rtol=0)
        assert together[1, 60:].abs().max() == 0
    with pytest.raises(ValueError, match="30 s"):
        tower(torch.randn(1, 80, 3002))
    with pytest.raises(ValueError, match=r"\(batch, 80, mel_frames\)"):
        tower(torch.randn(1, 3000, 80))


def test_presets_and_config_round_trip(tmp_path):
    config = LauraGPTConfig.from_preset("whisper-tiny")
    assert isinstance(config.audio_config, WhisperConfig) and config.audio_tower_type == "whisper"
    assert (
        config.audio_config.d_model,
        config.audio_config.encoder_layers,
        config.audio_config.encoder_attention_heads,
    ) == (384, 4, 6)
    assert config.audio_frame_pooling == 2 and LauraGPTConfig.from_preset("paper").audio_tower_type == "conformer"
    config.save_pretrained(tmp_path)
    again = AutoConfig.from_pretrained(tmp_path)
    assert (
        isinstance(again.audio_config, WhisperConfig) and again.audio_config.to_dict() == config.audio_config.to_dict()
    )
    for wrong in ("45s", "fast", "0s"):
        with pytest.raises(StrictDataclassClassValidationError, match="audio_window"):
            LauraGPTConfig.from_preset("tiny-whisper", audio_window=wrong)
    assert LauraGPTConfig.from_preset("tiny-whisper", audio_window="7.5s").audio_window == "7.5s"
    with pytest.raises(ValueError, match="model_type 'wav2vec2'"):
        LauraGPTConfig.from_preset("tiny", audio_config={"model_type": "wav2vec2"})


@pytest.mark.parametrize("seconds", [0.03, 0.051, 0.5, 1.0, 1.37, 29.99])
def test_placeholders_equal_the_frames_the_tower_yields(wproc, wmodel, seconds):
    clip = make_audio(seconds, 5)
    batch = wproc(task="asr", audio=clip, sampling_rate=16000)
    placeholders = int((batch["input_ids"] == wmodel.config.audio_token_id).sum())
    with torch.no_grad():
        _, mask = wmodel.get_audio_frames(batch["input_features"], batch["input_features_mask"])
    assert placeholders == int(mask.sum()) == whisper_num_tokens(len(clip), pooling=2)
    window_frames = whisper_mel_frames(whisper_window_samples(len(clip), wproc.audio_window))
    assert batch["input_features"].shape == (1, 80, window_frames)
    assert (
        window_frames == {"clip": len(clip) // 160, "1s": max(len(clip), 16000) // 160, "30s": 3000}[wproc.audio_window]
    )


def test_one_second_is_25_tokens_and_clips_past_30s_or_too_short_are_refused(wproc):
    assert wproc.num_audio_tokens(16000) == 25
    with pytest.raises(ValueError, match="max_duration_s=30.0"):
        wproc(task="asr", audio=make_audio(30.5, 1), sampling_rate=16000)
    with pytest.raises(ValueError, match="too short to give one audio-tower frame"):
        wproc(task="asr", audio=make_audio(0.026, 1), sampling_rate=16000)


def test_save_and_load_through_every_auto_class(wproc, wmodel, tmp_path):
    wmodel.save_pretrained(tmp_path)
    wproc.save_pretrained(tmp_path)
    processor = AutoProcessor.from_pretrained(tmp_path)
    assert isinstance(processor.feature_extractor, WhisperFeatureExtractor)
    assert (processor.audio_frame_pooling, processor.audio_window) == (2, wproc.audio_window)
    batch = processor(task=["asr", "mt"], audio=[CLIPS[0], None], text=[None, "hello world"], sampling_rate=16000)
    with torch.no_grad():
        expected = wmodel(**batch).logits
        for auto in (AutoModelForCausalLM, AutoModelForSpeechSeq2Seq, AutoModelForTextToWaveform):
            loaded = auto.from_pretrained(tmp_path).eval()
            assert isinstance(loaded.model.audio_tower, LauraGPTWhisperEncoder)
            torch.testing.assert_close(loaded(**batch).logits, expected)
        base = AutoModel.from_pretrained(tmp_path).eval()
        assert isinstance(base, LauraGPTModel)
        torch.testing.assert_close(base(**batch).last_hidden_state, wmodel.model(**batch).last_hidden_state)


def test_left_padded_batch_matches_each_row_alone(wproc, wmodel):
    tasks = ["asr", "s2tt", "ser"]
    batch = wproc(task=tasks, audio=CLIPS, language=[None, "de", None], sampling_rate=16000)
    with torch.no_grad():
        together = wmodel(**batch).logits[:, -1]
        for row, (task, clip) in enumerate(zip(tasks, CLIPS)):
            alone = wproc(task=task, audio=clip, language="de" if task == "s2tt" else None, sampling_rate=16000)
            torch.testing.assert_close(together[row], wmodel(**alone).logits[0, -1], atol=2e-5, rtol=1e-4)


def _greedy(model, batch, **kwargs):
    with torch.no_grad():
        return model.generate(**batch, do_sample=False, max_new_tokens=6, min_new_tokens=6, **kwargs)[
            :, batch["input_ids"].shape[1] :
        ]


def test_generation_with_the_kv_cache_equals_without_and_batched_equals_one_by_one(wproc, wmodel):
    batch = wproc(
        task=["asr", "tts", "se"],
        audio=[CLIPS[0], None, CLIPS[1]],
        text=[None, "hello world", None],
        sampling_rate=16000,
    )
    cached = _greedy(wmodel, batch)
    assert torch.equal(cached, _greedy(wmodel, batch, use_cache=False))
    singles = [
        _greedy(wmodel, wproc(task="asr", audio=CLIPS[0], sampling_rate=16000)),
        _greedy(wmodel, wproc(task="tts", text="hello world")),
        _greedy(wmodel, wproc(task="se", audio=CLIPS[1], sampling_rate=16000)),
    ]
    assert torch.equal(cached, torch.cat(singles))


def test_frozen_tower_gets_no_gradient_and_its_top_layers_can_be_unfrozen(wproc):
    model = whisper_model(wproc).train()
    model.freeze_audio_tower()
    model(**wproc(task="asr", audio=CLIPS[0], target_text=TARGETS[0], sampling_rate=16000)).loss.backward()
    tower = model.model.audio_tower
    assert all(p.grad is None for p in tower.parameters())
    assert model.model.multi_modal_projector.linear_1.weight.grad is not None
    model.freeze_audio_tower(trainable_top_layers=1)
    trainable = {
        name.split(".")[0] + "." + name.split(".")[1] if name.startswith("layers") else name.split(".")[0]
        for name, p in tower.named_parameters()
        if p.requires_grad
    }
    assert trainable == {"layers.1", "layer_norm"}
    with pytest.raises(ValueError, match="between 0 and the tower's 2 layers"):
        model.freeze_audio_tower(trainable_top_layers=3)


def _rows():
    rows = [
        make_example("asr", f"a{i}", audio={"array": clip, "sampling_rate": 16000}, target_text=text)
        for i, (clip, text) in enumerate(zip(CLIPS, TARGETS))
    ]
    rows.append(make_example("mt", "m0", text="hello world", target_text="guten tag", language="de"))
    return Dataset.from_list(rows, features=example_features())


def test_cached_tower_frames_give_the_loss_of_the_uncached_path(wproc, tmp_path):
    model = whisper_model(wproc).freeze_audio_tower()
    dataset = _rows()
    with pytest.raises(ValueError, match="freeze_audio_tower"):
        add_audio_frames(dataset, whisper_model(wproc), wproc)
    cached = add_audio_frames(dataset, model, wproc, batch_size=2)
    frames = cached[0][AUDIO_FRAMES_COLUMN]
    assert len(frames) == wproc.num_audio_tokens(len(CLIPS[0])) and len(frames[0]) == model.config.audio_config.d_model
    assert cached[3][AUDIO_FRAMES_COLUMN] is None  # the mt row has no audio
    collator = LauraGPTCollator(wproc)
    plain, fast = collator(list(dataset)), collator(list(cached))
    assert "input_features" in plain and "input_features" not in fast and fast["audio_frames"].shape[0] == 3
    assert torch.equal(plain["input_ids"], fast["input_ids"]) and torch.equal(plain["labels"], fast["labels"])
    with torch.no_grad():
        torch.testing.assert_close(model(**fast).loss, model(**plain).loss, atol=1e-6, rtol=1e-6)
    again = add_audio_frames(dataset, model, wproc, batch_size=2)  # same rows, same tower: datasets' cache
    assert again._fingerprint == cached._fingerprint


def test_cached_frames_and_features_together_are_refused(wproc, wmodel):
    batch = wproc(task="asr", audio=CLIPS[0], sampling_rate=16000)
    frames, mask = wmodel.get_audio_frames(batch["input_features"], batch["input_features_mask"])
    with pytest.raises(ValueError, match="either input_features or cached audio_frames"):
        wmodel(**batch, audio_frames=frames, audio_frames_mask=mask)
    with pytest.raises(ValueError, match="not a mix"):
        wproc(task=["asr", "asr"], audio=[CLIPS[0], None], audio_frames=[None, frames[0]], sampling_rate=16000)


def test_processor_and_model_that_disagree_are_named(processor, wproc):
    conformer = LauraGPTConfig.from_processor(processor, "tiny")
    with pytest.raises(
        ValueError, match="audio tower is the Conformer but the feature extractor is WhisperFeatureExtractor"
    ):
        wproc.check_model_config(conformer)
    with pytest.raises(ValueError, match="a Whisper encoder but the feature extractor is LauraGPTFeatureExtractor"):
        processor.check_model_config(whisper_config(processor))
    with pytest.raises(ValueError, match="audio_frame_pooling: processor 2, model 1"):
        wproc.check_model_config(whisper_config(processor, audio_frame_pooling=1, audio_window=wproc.audio_window))


def test_30s_model_refuses_short_window_features(processor):
    short = whisper_processor(processor, audio_window="clip")
    model = whisper_model(short, audio_window="30s")
    with pytest.raises(ValueError, match="fixed 30 s window"):
        model(**short(task="asr", audio=CLIPS[0], sampling_rate=16000))


def test_large_v3_style_128_mel_bins(processor):
    config = whisper_config(processor, audio_window="1s", audio_config={"num_mel_bins": 128})
    wide = LauraGPTProcessor(
        WhisperFeatureExtractor(feature_size=128), processor.tokenizer, **LauraGPTProcessor.config_kwargs(config)
    )
    model = LauraGPTForConditionalGeneration(config).eval()
    batch = wide(task="asr", audio=CLIPS[1], target_text=TARGETS[1], sampling_rate=16000)
    assert batch["input_features"].shape[1] == 128 and torch.isfinite(model(**batch).loss)
    with pytest.raises(ValueError, match="gives 80 features per frame, the tower reads 128"):
        whisper_processor(processor, audio_window="1s").check_model_config(config)


def test_the_recipe_runs_the_tower_once_per_clip_however_often_the_mixture_draws_it(wproc):
    from modeling_lauragpt.training.data.mixture import mix_tasks
    from modeling_lauragpt.training.recipe_data import TaskSplits
    from modeling_lauragpt.training.trainer_recipe import with_audio_frames

    model = whisper_model(wproc).freeze_audio_tower()
    asr = _rows().filter(lambda row: row["task"] == "asr")  # 3 clips
    mt = Dataset.from_list(
        [make_example("mt", f"m{i}", text=f"line {i}", target_text=f"Zeile {i}", language="de") for i in range(9)],
        features=example_features(),
    )
    clips_through_tower = []
    tower_frames = model.get_frozen_audio_frames

    def counting(features, mask):
        clips_through_tower.append(features.shape[0])
        return tower_frames(features, mask)

    model.get_frozen_audio_frames = counting
    cached = with_audio_frames(TaskSplits({"asr": asr, "mt": mt}, {"asr": asr}), model, wproc)
    mixture = mix_tasks(cached.train, {"asr": 3.0, "mt": 1.0}, seed=0)  # asr's 3 rows are drawn again and again
    drawn = [row for row in mixture if row["task"] == "asr"]
    assert len(drawn) > len(asr) and sum(clips_through_tower) == 2 * len(asr)  # train + eval split, once each
    by_id = {row["id"]: row[AUDIO_FRAMES_COLUMN] for row in cached.train["asr"]}
    assert all(row[AUDIO_FRAMES_COLUMN] == by_id[row["id"]] for row in drawn)
    assert all(row[AUDIO_FRAMES_COLUMN] is None for row in mixture if row["task"] == "mt")
