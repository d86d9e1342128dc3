"""Python users get lauragpt's own exception types (with the built-in base older code caught), and a missing,
damaged or mixed-up model folder is refused by name before transformers reads it."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from transformers import pipeline

from modeling_lauragpt import (
    DeviceUnavailableError,
    InvalidInputError,
    LauraGPTError,
    LauraGPTForConditionalGeneration,
    LauraGPTVocoder,
    ModelLoadError,
    OutputConflictError,
    cli,
)
from modeling_lauragpt.model_folder import check_model_folder

pytestmark = pytest.mark.reliability


@pytest.fixture(scope="module")
def saved(tmp_path_factory, tiny_config, processor):
    folder = tmp_path_factory.mktemp("model")
    LauraGPTForConditionalGeneration(tiny_config).save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def _copy(saved, tmp_path, name="copy"):
    return shutil.copytree(saved, tmp_path / name)


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (InvalidInputError, ValueError),
        (ModelLoadError, OSError),
        (OutputConflictError, FileExistsError),
        (DeviceUnavailableError, RuntimeError),
    ],
)
def test_each_type_is_a_lauragpt_error_and_its_builtin(error, builtin):
    assert issubclass(error, LauraGPTError) and issubclass(error, builtin)


def test_bad_input_raises_invalid_input_error(saved):
    asr = pipeline("lauragpt", model=str(saved), device="cpu")
    with pytest.raises(InvalidInputError, match="NaN"):
        asr(np.full(1600, np.nan, np.float32), sampling_rate=16000, task="asr")
    with pytest.raises(InvalidInputError, match="Unknown task"):
        asr(np.zeros(1600, np.float32), sampling_rate=16000, task="dance")


def test_a_truncated_weights_file_names_itself(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(ModelLoadError, match=r"model\.safetensors cannot be read .* truncated or damaged"):
        LauraGPTForConditionalGeneration.from_pretrained(folder)


def test_damaged_or_missing_config_and_missing_folder(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    (folder / "config.json").write_text('{"model_type": "laur')
    with pytest.raises(ModelLoadError, match="is not valid JSON"):
        LauraGPTForConditionalGeneration.from_pretrained(folder)
    (folder / "config.json").unlink()
    with pytest.raises(ModelLoadError, match="has no config.json"):
        LauraGPTForConditionalGeneration.from_pretrained(folder)
    with pytest.raises(ModelLoadError, match="does not exist"):
        LauraGPTForConditionalGeneration.from_pretrained(tmp_path / "nowhere")
    with pytest.raises(ModelLoadError, match="is a file"):
        check_model_folder(folder / "model.safetensors")


def test_a_vocoder_folder_given_as_the_model_is_named(tmp_path):
    vocoder_dir = tmp_path / "model" / "vocoder"
    vocoder_dir.mkdir(parents=True)
    (vocoder_dir / "config.json").write_text(json.dumps({"model_type": "lauragpt_vocoder"}))
    with pytest.raises(ModelLoadError, match="is a LauraGPT vocoder folder .the model is its parent folder."):
        LauraGPTForConditionalGeneration.from_pretrained(vocoder_dir)
    (tmp_path / "model" / "config.json").write_text(json.dumps({"model_type": "lauragpt"}))
    with pytest.raises(ModelLoadError, match="is a LauraGPT model folder, not a LauraGPT vocoder folder"):
        LauraGPTVocoder.from_pretrained(tmp_path / "model")


def test_hub_ids_and_good_folders_pass_the_check(saved):
    check_model_folder("org/name", "lauragpt")  # left to transformers
    check_model_folder(saved, "lauragpt")
    assert isinstance(LauraGPTForConditionalGeneration.from_pretrained(saved), LauraGPTForConditionalGeneration)


def test_the_cli_prints_a_damaged_model_as_one_line(saved, tmp_path, capsys):
    folder = _copy(saved, tmp_path)
    (folder / "model.safetensors").write_bytes(b"\x00" * 16)
    clip = tmp_path / "a.wav"
    import soundfile

    soundfile.write(clip, np.zeros(1600, np.float32), 16000)
    assert cli.main(["run", "--task", "asr", "--model", str(folder), str(clip)]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "model.safetensors cannot be read" in err
