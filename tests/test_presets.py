"""The one presets table (``modeling_lauragpt.presets``): every row's model, vocoder and codec agree by
construction, and ``LauraGPTConfig.from_processor`` sizes a preset to a processor or says why it cannot."""

from __future__ import annotations

import pytest
from transformers import WhisperFeatureExtractor

from modeling_lauragpt import (
    LauraGPTConfig,
    LauraGPTFeatureExtractor,
    LauraGPTProcessor,
)
from modeling_lauragpt.audio import SAMPLING_RATE
from modeling_lauragpt.codec import CODEC_PRESETS, codec_config, codec_spec
from modeling_lauragpt.configuration_cpu_codec import LauraGPTCPUCodecConfig
from modeling_lauragpt.configuration_vocoder import LauraGPTVocoderConfig
from modeling_lauragpt.errors import InvalidInputError
from modeling_lauragpt.presets import (
    CPU_CODEC,
    CPU_CODEC_PRESETS,
    ENCODEC,
    PRESETS,
    VOCODER_PRESETS,
    CodecPreset,
    Preset,
    codebook_size,
)
from modeling_lauragpt.processing.tokenizer_utils import train_text_tokenizer
from modeling_lauragpt.tasks import DEFAULT_TASKS

from .helpers import SENTENCES

HOP_25_HZ = SAMPLING_RATE // 25  # the paper codec's frame: every codec preset keeps it


def _tower_features(config: LauraGPTConfig) -> int:
    return config.audio_config.num_mel_bins if config.audio_tower_type == "whisper" else config.audio_config.input_size


def _processor(extractor=None, **kwargs) -> LauraGPTProcessor:
    """A fresh tokenizer each time: a processor extends its tokenizer with its own codec and task tokens."""
    return LauraGPTProcessor(
        extractor or LauraGPTFeatureExtractor(), train_text_tokenizer(SENTENCES, vocab_size=160), **kwargs
    )


def _three_argument_config(processor: LauraGPTProcessor, preset: str, **overrides) -> LauraGPTConfig:
    """The construction ``from_processor`` replaces."""
    tokenizer = processor.tokenizer
    return LauraGPTConfig.from_preset(
        preset,
        text_vocab_size=processor.vocabulary.text_vocab_size,
        text_eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        codebook_size=processor.codebook_size,
        tasks=list(processor.tasks),
        custom_tasks=processor.custom_tasks or None,
        **overrides,
    )


# ------------------------------------------------------------------------------------------------ the table
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_each_model_preset_takes_its_codebook_size_from_its_codec(name):
    row, model = PRESETS[name], LauraGPTConfig.from_preset(name)
    codec = row.codec.spec()
    assert model.codebook_size == codec.codebook_size == codebook_size(name)
    assert model.text_vocab_size == row.text["text_vocab_size"]
    assert _tower_features(model) == row.feature_size


@pytest.mark.parametrize("name", VOCODER_PRESETS)
def test_each_vocoder_preset_agrees_with_its_codec_and_its_model(name):
    row, model, vocoder = PRESETS[name], LauraGPTConfig.from_preset(name), LauraGPTVocoderConfig.from_preset(name)
    codec = row.codec.spec()
    assert vocoder.codec_config.to_dict() == row.codec.config().to_dict()
    assert codec_spec(vocoder.codec_config) == codec  # hop, groups and the latent the vocoder regresses: the codec's
    assert (vocoder.hop_length, vocoder.num_quantizers, vocoder.latent_dim) == (
        codec.hop_length,
        codec.num_groups,
        codec.latent_dim,
    )
    assert vocoder.codebook_size == model.codebook_size == codec.codebook_size
    assert vocoder.text_vocab_size == model.text_vocab_size  # one tokenizer for both
    assert vocoder.feature_size == _tower_features(model)  # the speech-enhancement condition is the tower's input
    assert vocoder.sampling_rate == SAMPLING_RATE and vocoder.hop_length == HOP_25_HZ


def test_every_codec_preset_keeps_the_paper_codec_contract():
    specs = {f"encodec {name}": codec_spec(codec_config(name)) for name in CODEC_PRESETS}
    specs |= {f"cpu {name}": codec_spec(LauraGPTCPUCodecConfig.from_preset(name)) for name in CPU_CODEC_PRESETS}
    for name, spec in specs.items():
        assert (spec.sampling_rate, spec.hop_length) == (SAMPLING_RATE, HOP_25_HZ), name
    assert CodecPreset(CPU_CODEC, "tiny").spec() == codec_spec(LauraGPTCPUCodecConfig.from_preset("tiny"))
    assert CodecPreset(ENCODEC, "demo").config().to_dict() == codec_config("demo").to_dict()


def test_rows_never_repeat_a_derived_value_and_unknown_names_are_listed():
    codec = CodecPreset(ENCODEC, "tiny")
    with pytest.raises(InvalidInputError, match=r"sets \['codebook_size'\].*derived"):
        Preset(codec=codec, text=PRESETS["tiny"].text, model={"codebook_size": 1024})
    with pytest.raises(InvalidInputError, match=r"sets \['codec_config'\]"):
        Preset(codec=codec, text=PRESETS["tiny"].text, model={}, vocoder={"codec_config": {}})
    with pytest.raises(InvalidInputError, match=r"Unknown preset 'huge'.*'paper'.*'tiny-whisper'"):
        LauraGPTConfig.from_preset("huge")
    with pytest.raises(
        InvalidInputError, match=r"Unknown preset 'whisper-tiny'; choose one of \['demo', 'paper', 'tiny'\]"
    ):
        LauraGPTVocoderConfig.from_preset("whisper-tiny")
    with pytest.raises(InvalidInputError, match=r"Unknown preset 'paper'; choose one of \['cpu', 'tiny'\]"):
        LauraGPTCPUCodecConfig.from_preset("paper")
    with pytest.raises(InvalidInputError, match="Unknown codec preset 'nope'"):
        CodecPreset(ENCODEC, "nope").spec()


# ------------------------------------------------------------------------------------------------ from_processor
def test_from_processor_matches_the_three_argument_construction(processor):
    new = LauraGPTConfig.from_processor(processor, "tiny")  # (not the session's tiny_config: other tests save it)
    assert new.to_dict() == _three_argument_config(processor, "tiny").to_dict()
    assert new.vocabulary == processor.vocabulary and new.text_eos_token_id == processor.tokenizer.eos_token_id
    overridden = LauraGPTConfig.from_processor(processor, "tiny", text_config={"num_hidden_layers": 1})
    assert overridden.text_config.num_hidden_layers == 1

    spell = {"input_modality": "text", "output_modality": "codec", "description": "spell the text out"}
    demo = _processor(codebook_size=256, tasks=[*DEFAULT_TASKS, "spell"], custom_tasks={"spell": spell})
    config = LauraGPTConfig.from_processor(demo, "demo")
    assert config.to_dict() == _three_argument_config(demo, "demo").to_dict()
    assert config.tasks[-1] == "spell" and config.custom_tasks == {"spell": spell} and config.codebook_size == 256


def test_from_processor_reads_a_whisper_processors_window():
    shape = LauraGPTConfig.from_preset("tiny-whisper", audio_window="clip")
    whisper = _processor(WhisperFeatureExtractor(feature_size=80), **LauraGPTProcessor.config_kwargs(shape))
    config = LauraGPTConfig.from_processor(whisper, "tiny-whisper")
    assert config.audio_window == "clip" and config.audio_frame_pooling == 2
    assert config.to_dict() == _three_argument_config(whisper, "tiny-whisper", audio_window="clip").to_dict()
    whisper.check_model_config(config)


def test_a_trimmed_vocabulary_keeps_the_llms_special_ids_inside_it():
    # GPT-2's own bos/eos (50256) lie outside a trimmed Whisper BPE: transformers warns on every load of such a
    # config, so they follow the tokenizer's end-of-text id, for new configs and for ones saved before the fix.
    trimmed = {"text_vocab_size": 7432, "text_eos_token_id": 7431, "pad_token_id": 7431}
    config = LauraGPTConfig.from_preset("whisper-tiny-decoder", **trimmed)
    assert (config.text_config.bos_token_id, config.text_config.eos_token_id) == (7431, 7431)
    saved = config.to_dict()
    saved["text_config"]["bos_token_id"] = 50256
    assert LauraGPTConfig.from_dict(saved).text_config.bos_token_id == 7431
    untrimmed = LauraGPTConfig.from_preset("whisper-tiny-decoder")
    assert untrimmed.text_config.bos_token_id == untrimmed.text_eos_token_id == 50256


def test_a_codebook_mismatch_names_both_sizes_and_the_fix(processor):
    assert processor.codebook_size == 1024 and codebook_size("demo") == 256
    with pytest.raises(InvalidInputError) as caught:
        LauraGPTConfig.from_processor(processor, "demo")
    message = str(caught.value)
    assert "processor's codebook_size is 1024" in message and "codebook_size=256" in message
    assert "preset 'demo'" in message and "encodec preset 'demo'" in message
    assert "paper, tiny, tiny-whisper" in message  # presets whose codec fits the processor
    assert "build the processor with codebook_size=256" in message and "pass codebook_size=1024" in message

    cpu = _processor(codebook_size=64)  # a model over another codec says so with codebook_size=
    assert LauraGPTConfig.from_processor(cpu, "tiny", codebook_size=64).codebook_size == 64
    with pytest.raises(
        InvalidInputError, match=r"codebook_size is 64 but the codebook_size override gives the model codebook_size=32"
    ):
        LauraGPTConfig.from_processor(cpu, "tiny", codebook_size=32)


def test_other_disagreements_are_refused_with_the_fix(processor):
    with pytest.raises(
        InvalidInputError, match=r"overrides give a vocabulary of 999 text tokens.*drop those overrides"
    ):
        LauraGPTConfig.from_processor(processor, "tiny", text_vocab_size=999)
    with pytest.raises(
        InvalidInputError,
        match=r"Preset 'tiny-whisper' does not fit the processor: .*a Whisper encoder"
        r".*config_kwargs\(LauraGPTConfig.from_preset\('tiny-whisper'\)\)",
    ):
        LauraGPTConfig.from_processor(processor, "tiny-whisper")
    whisper = _processor(WhisperFeatureExtractor(feature_size=80))  # audio_frame_pooling 1, the preset's is 2
    with pytest.raises(InvalidInputError, match="audio_frame_pooling: processor 1, model 2"):
        LauraGPTConfig.from_processor(whisper, "tiny-whisper")
    assert LauraGPTConfig.from_processor(whisper, "tiny-whisper", audio_frame_pooling=1).audio_frame_pooling == 1
