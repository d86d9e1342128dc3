"""``lauragpt export-hub``: the export loads in a fresh process where the package cannot be imported."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from transformers import Qwen2Config, Qwen2ForCausalLM
from transformers.dynamic_module_utils import get_class_from_dynamic_module

from modeling_lauragpt import (
    LauraGPTAudioEncoder,
    LauraGPTAudioEncoderConfig,
    LauraGPTCPUCodec,
    LauraGPTCPUCodecConfig,
    LauraGPTForConditionalGeneration,
    LauraGPTProcessor,
    LauraGPTVocoder,
)
from modeling_lauragpt.cli import export_hub as export_hub_cli
from modeling_lauragpt.cli import main as lauragpt
from modeling_lauragpt.conversion import export_hub
from modeling_lauragpt.conversion.assembly import assemble
from modeling_lauragpt.conversion.export_check import summary_of, verify_export
from modeling_lauragpt.conversion.flatten import flat_source, module_closure
from modeling_lauragpt.conversion.model_card import split_card
from modeling_lauragpt.processing.tokenizer_utils import train_text_tokenizer

from .helpers import SENTENCES


def _assembled(codec, with_vocoder: bool = True):
    """A tiny LauraGPT (legacy relative positions in its encoder) over ``codec``, with a vocoder around it."""
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
        )
    )
    encoder = LauraGPTAudioEncoder(
        LauraGPTAudioEncoderConfig(
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=64,
            conv_kernel_size=5,
            position_embedding_type="relative_legacy",
        )
    )
    vocoder = LauraGPTVocoder.from_codec(codec, "tiny", text_vocab_size=len(tokenizer)) if with_vocoder else None
    return assemble(llm, encoder, codec, vocoder=vocoder, tokenizer=tokenizer)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, codec):
    """A saved tiny LauraGPT with its vocoder and a card of its own."""
    folder = tmp_path_factory.mktemp("model")
    _assembled(codec).save_pretrained(folder)
    (folder / "README.md").write_text(
        "---\nlicense: apache-2.0\nlanguage: [en]\n---\n\n# my model\n\nTrained on things.\n"
    )
    return folder


def test_export_loads_without_the_package(model_dir, tmp_path):
    out = tmp_path / "export"
    assert (
        export_hub_cli.main(
            [str(model_dir), str(out), "--repo-id", "me/tiny-lauragpt", "--base-model", "Qwen/Qwen2-0.5B"]
        )
        == 0
    )
    code = sorted(p.name for p in out.glob("*.py"))
    assert {
        "modeling_lauragpt.py",
        "processing_lauragpt.py",
        "feature_extraction_lauragpt.py",
        "pipeline_lauragpt.py",
        "audio.py",
    } <= set(code)
    for path in list(out.glob("*.py")) + list((out / "vocoder").glob("*.py")):
        text = path.read_text()
        assert not re.search(r"^\s*from\s+\.\.", text, re.MULTILINE) and not re.search(
            r"^\s*(from|import)\s+modeling_lauragpt", text, re.MULTILINE
        ), path
    config = json.loads((out / "config.json").read_text())
    assert config["auto_map"]["AutoModelForCausalLM"] == "modeling_lauragpt.LauraGPTForConditionalGeneration"
    assert config["custom_pipelines"]["lauragpt"]["impl"] == "pipeline_lauragpt.LauraGPTPipeline"
    assert (
        json.loads((out / "vocoder" / "config.json").read_text())["auto_map"]["AutoModel"]
        == "modeling_vocoder.LauraGPTVocoder"
    )
    assert "auto_map" not in json.loads((model_dir / "config.json").read_text())  # the source folder is untouched
    metadata, body = split_card((out / "README.md").read_text())
    assert metadata["library_name"] == "transformers" and "custom_code" in metadata["tags"]
    assert (
        metadata["license"] == "apache-2.0"
        and metadata["base_model"] == "Qwen/Qwen2-0.5B"
        and metadata["language"] == ["en"]
    )
    assert 'from_pretrained("me/tiny-lauragpt", trust_remote_code=True)' in body and "Trained on things." in body
    assert "pip install" in body and "torchaudio" in body and "transformers>=" in body

    summary = summary_of(verify_export(out))
    assert summary["package_importable"] is False
    for part in ("model", "processor", "feature_extractor", "vocoder", "pipeline"):
        assert summary[part].startswith("transformers_modules:"), (part, summary[part])
    assert summary["tts_samples"] > 0 and summary["tts_samples"] % 640 == 0 and "text" in summary["text_output"]
    model = LauraGPTForConditionalGeneration.from_pretrained(model_dir).eval()  # the same weights through the package
    processor = LauraGPTProcessor.from_pretrained(model_dir)
    clip = (0.1 * np.sin(2 * np.pi * 220 * np.arange(16000) / 16000)).astype("float32")
    with torch.no_grad():
        text_sum = float(model(input_ids=torch.tensor([[1, 2, 3, 4]])).logits.double().sum())
        asr_sum = float(model(**processor(task="asr", audio=clip)).logits.double().sum())
    assert summary["text_logits_sum"] == pytest.approx(text_sum, rel=1e-5)
    assert summary["asr_logits_sum"] == pytest.approx(asr_sum, rel=1e-5)

    model.save_pretrained(tmp_path / "again")  # exporting registered nothing: normal saves stay free of auto_map
    assert "auto_map" not in json.loads((tmp_path / "again" / "config.json").read_text())


def test_export_refuses_wrong_folders(model_dir, tmp_path, capsys):
    (tmp_path / "codec_only").mkdir()
    (tmp_path / "codec_only" / "config.json").write_text(json.dumps({"model_type": "encodec"}))
    assert lauragpt(["export-hub", str(tmp_path / "codec_only"), str(tmp_path / "out")]) == 2
    assert "not a saved LauraGPT folder" in capsys.readouterr().err
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file.txt").write_text("x")
    assert lauragpt(["export-hub", str(model_dir), str(tmp_path / "busy")]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (
        lauragpt(["export-hub", str(model_dir), str(model_dir / "export"), "--overwrite"]) == 2
    )  # never inside the model
    assert "beside the model folder" in capsys.readouterr().err and (model_dir / "config.json").exists()
    assert (
        lauragpt(["export-hub", str(model_dir), str(model_dir.parent), "--overwrite"]) == 2
    )  # nor over the folder holding it
    assert "beside the model folder" in capsys.readouterr().err and (model_dir / "config.json").exists()
    assert (
        lauragpt(["export-hub", str(model_dir), str(tmp_path / "busy"), "--overwrite"]) == 2
    )  # a user's folder is kept
    assert "not an earlier" in capsys.readouterr().err and (tmp_path / "busy" / "file.txt").read_text() == "x"


def test_flattening_rewrites_relative_imports_to_flat_files():
    source = flat_source("modeling_lauragpt.processing.processing_lauragpt")
    assert "from .audio_lengths import" in source and "from .audio import" in source
    assert "from .." not in source and "from .processing" not in source
    closure = module_closure(["modeling_lauragpt.modeling_vocoder"])
    assert "modeling_lauragpt.audio" in closure and "modeling_lauragpt.modeling_lauragpt" not in closure


def test_export_carries_the_cpu_codec(tmp_path):
    torch.manual_seed(0)
    codec = LauraGPTCPUCodec(LauraGPTCPUCodecConfig.from_preset("tiny", codebook_size=32)).eval()
    _assembled(codec).save_pretrained(tmp_path / "model")
    out = export_hub.export_hub(tmp_path / "model", tmp_path / "export")
    assert {"modeling_cpu_codec.py", "configuration_cpu_codec.py", "codec.py"} <= {
        p.name for p in (out / "vocoder").glob("*.py")
    }
    summary = summary_of(verify_export(out))
    assert summary["vocoder"] == "transformers_modules:LauraGPTVocoder"
    assert summary["tts_samples"] > 0 and summary["tts_samples"] % 640 == 0

    _assembled(codec, with_vocoder=False).save_pretrained(tmp_path / "no_vocoder")  # the codec alone in codec/
    codec_out = export_hub.export_hub(tmp_path / "no_vocoder", tmp_path / "export2") / "codec"
    assert json.loads((codec_out / "config.json").read_text())["auto_map"] == export_hub.CPU_CODEC_AUTO_MAP
    remote = get_class_from_dynamic_module(export_hub.CPU_CODEC_AUTO_MAP["AutoModel"], str(codec_out))  # the flat code
    assert remote.__module__.startswith("transformers_modules") and remote.__name__ == "LauraGPTCPUCodec"
    torch.testing.assert_close(remote.from_pretrained(codec_out).quantizer.embed, codec.quantizer.embed)
