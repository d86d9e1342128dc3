"""Assembling a LauraGPT from pretrained parts: a tiny Qwen2ForCausalLM + tokenizer, encoder, codec and vocoder folders."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import (
    AutoModelForCausalLM,
    AutoProcessor,
    AutoTokenizer,
    Qwen2Config,
    Qwen2ForCausalLM,
    pipeline,
)

from modeling_lauragpt import (
    LauraGPTAudioEncoder,
    LauraGPTAudioEncoderConfig,
    LauraGPTFeatureExtractor,
    LauraGPTForConditionalGeneration,
    LauraGPTVocoder,
)
from modeling_lauragpt.cli import convert as cli
from modeling_lauragpt.conversion.assembly import assemble
from modeling_lauragpt.processing.tokenizer_utils import train_text_tokenizer

from .helpers import SENTENCES, make_audio
from .test_conversion import HEADS, funasr_conformer_state, write_am_mvn


@pytest.fixture(scope="module")
def parts(tmp_path_factory, codec):
    """Folders as users have them: an LLM with its tokenizer, a converted encoder with its CMVN, a codec, a vocoder."""
    root = tmp_path_factory.mktemp("parts")
    tokenizer = train_text_tokenizer(SENTENCES, vocab_size=120)
    torch.manual_seed(0)
    llm = Qwen2ForCausalLM(
        Qwen2Config(
            vocab_size=len(tokenizer),
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=512,
            tie_word_embeddings=False,
        )
    )
    llm.save_pretrained(root / "llm")
    tokenizer.save_pretrained(root / "llm")
    encoder = LauraGPTAudioEncoder(
        LauraGPTAudioEncoderConfig(
            hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64, conv_kernel_size=5
        )
    )
    encoder.save_pretrained(root / "encoder")
    extractor = LauraGPTFeatureExtractor().fit_cmvn([make_audio(1.0, 1), make_audio(0.7, 2)])
    extractor.save_pretrained(root / "encoder")
    codec.save_pretrained(root / "codec")
    vocoder = LauraGPTVocoder.from_codec(codec, "tiny", text_vocab_size=len(tokenizer))
    vocoder.save_pretrained(root / "vocoder")
    return {"root": root, "llm": llm, "tokenizer_size": len(tokenizer), "encoder": encoder, "extractor": extractor}


def test_assembled_model_keeps_the_llm_and_encoder_and_saves_one_folder(parts, tmp_path):
    root = parts["root"]
    model = LauraGPTForConditionalGeneration.from_pretrained_components(
        text_model=root / "llm",
        audio_encoder=root / "encoder",
        codec=root / "codec",
        vocoder=root / "vocoder",
        save_directory=tmp_path / "out",
    )
    n = parts["tokenizer_size"]
    config = model.config
    assert config.text_vocab_size == n and config.codebook_size == 1024
    assert config.text_config.vocab_size == n + 1024 + 2 + len(config.tasks)
    ids = torch.tensor([[3, 17, 42, 8, 60]])
    with torch.no_grad():  # text in, text out: exactly the original LLM on its own vocabulary
        assert torch.allclose(model(input_ids=ids).logits[..., :n], parts["llm"](input_ids=ids).logits, atol=1e-5)
    assert torch.equal(
        model.model.audio_tower.layers[1].self_attn.linear_v.weight,
        parts["encoder"].layers[1].self_attn.linear_v.weight,
    )

    saved = json.loads((tmp_path / "out" / "config.json").read_text())
    assert "auto_map" not in saved and "custom_pipelines" not in saved
    assert (tmp_path / "out" / "vocoder" / "config.json").exists()
    processor = AutoProcessor.from_pretrained(tmp_path / "out")
    assert processor.tokenizer.convert_tokens_to_ids("<|codec_0|>") == n
    assert processor.tokenizer.convert_tokens_to_ids("<|asr|>") == config.task_token_ids["asr"]
    assert processor.feature_extractor.cmvn_mean == parts["extractor"].cmvn_mean

    reloaded = AutoModelForCausalLM.from_pretrained(tmp_path / "out").eval()
    batch = processor(task="asr", audio=make_audio(0.8, 3))
    with torch.no_grad():
        assert torch.allclose(reloaded(**batch).logits, model(**batch).logits, atol=1e-5)
        generated = reloaded.generate(**batch, max_new_tokens=4, do_sample=False)
    assert generated.shape[1] > batch["input_ids"].shape[1]
    speech = pipeline("lauragpt", model=str(tmp_path / "out"))(
        "hello world", task="tts", max_new_tokens=6, min_new_tokens=2
    )
    assert speech["sampling_rate"] == 16000 and speech["audio"].ndim == 1 and len(speech["audio"]) % 640 == 0


def test_assembly_refuses_parts_that_do_not_fit(parts, tmp_path, codec):
    root = parts["root"]
    with pytest.raises(ValueError, match="features per frame"):
        assemble(
            root / "llm", root / "encoder", root / "codec", feature_extractor=LauraGPTFeatureExtractor(lfr_m=1, lfr_n=1)
        )
    other = LauraGPTVocoder.from_codec(codec, "tiny", text_vocab_size=parts["tokenizer_size"])
    with torch.no_grad():
        other.codec.quantizer.layers[0].codebook.embed.add_(1.0)
    with pytest.raises(ValueError, match="another codec"):
        assemble(root / "llm", root / "encoder", root / "codec", vocoder=other)
    with pytest.raises(ValueError, match="tokenizer="):
        assemble(parts["llm"], root / "encoder", root / "codec")


def test_funasr_encoder_converted_then_assembled_transcribes(parts, tmp_path):
    """The whole path: FunASR checkpoint -> `convert encoder` (conv2d, legacy positions, 80-d fbank + am.mvn) ->
    `convert assemble` without a vocoder -> reload -> generate."""
    root = parts["root"]
    torch.save(funasr_conformer_state(), tmp_path / "model.pb")
    write_am_mvn(tmp_path / "am.mvn", torch.zeros(80), torch.full((80,), 0.1))
    assert (
        cli.main(
            [
                "encoder",
                str(tmp_path / "model.pb"),
                str(tmp_path / "encoder"),
                "--num-heads",
                str(HEADS),
                "--input-size",
                "80",
                "--cmvn",
                str(tmp_path / "am.mvn"),
            ]
        )
        == 0
    )
    argv = [
        "assemble",
        str(tmp_path / "out"),
        "--text-model",
        str(root / "llm"),
        "--audio-encoder",
        str(tmp_path / "encoder"),
        "--codec",
        str(root / "codec"),
        "--tasks",
        "asr",
        "tts",
    ]
    assert cli.main(argv) == 0
    model = LauraGPTForConditionalGeneration.from_pretrained(tmp_path / "out").eval()
    assert (
        model.config.tasks == ["asr", "tts"] and model.config.audio_config.position_embedding_type == "relative_legacy"
    )
    assert (tmp_path / "out" / "codec" / "model.safetensors").exists()
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "out")
    assert len(tokenizer) == model.config.text_config.vocab_size
    processor = AutoProcessor.from_pretrained(tmp_path / "out")
    assert processor.feature_extractor.feature_size == 80 and processor.encoder_input_layer == "conv2d"
    batch = processor(task="asr", audio=make_audio(1.0, 4))
    assert (
        int((batch["input_ids"] == model.config.audio_token_id).sum()) == ((98 - 1) // 2 - 1) // 2
    )  # 1 s: 98 fbank frames, 40 ms after conv2d
    with torch.no_grad():
        generated = model.generate(**batch, max_new_tokens=3, do_sample=False)
    assert processor.decode_outputs(generated[:, batch["input_ids"].shape[1] :], "asr")[0] is not None
