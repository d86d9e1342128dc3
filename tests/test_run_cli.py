"""`lauragpt run` never writes over a user's files: output names are distinct, never an input, never an existing
file unless --overwrite, and all are checked before the model loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from modeling_lauragpt.cli.run import main, output_paths
from modeling_lauragpt.errors import (
    DeviceUnavailableError,
    InvalidInputError,
    ModelLoadError,
    OutputConflictError,
)


def _touch(path: Path) -> Path:
    path.write_bytes(b"RIFF")
    return path


def test_an_enhanced_recording_goes_next_to_it_under_its_own_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    recording = _touch(tmp_path / "my_recording.wav")
    assert output_paths([recording], "se", Path("."), None, audio_in=True, overwrite=False) == [
        Path("my_recording.se.wav")
    ]


def test_inputs_sharing_a_stem_or_named_like_an_output_get_distinct_names(tmp_path):
    inputs = [_touch(tmp_path / "take.wav"), _touch(tmp_path / "take.flac"), _touch(tmp_path / "take.se.wav")]
    paths = output_paths(inputs, "se", tmp_path, None, audio_in=True, overwrite=False)
    assert [p.name for p in paths] == ["take-2.se.wav", "take-3.se.wav", "take.se.se.wav"]  # take.se.wav is an input
    assert len(set(paths)) == 3 and not set(paths) & set(inputs)


def test_existing_outputs_need_overwrite_and_an_input_is_never_a_target(tmp_path):
    source = _touch(tmp_path / "a.wav")
    _touch(tmp_path / "a.se.wav")
    with pytest.raises(OutputConflictError, match="--overwrite"):
        output_paths([source], "se", tmp_path, None, audio_in=True, overwrite=False)
    assert output_paths([source], "se", tmp_path, None, audio_in=True, overwrite=True) == [tmp_path / "a.se.wav"]
    with pytest.raises(OutputConflictError, match="is the input file"):
        output_paths([source], "se", tmp_path, source, audio_in=True, overwrite=True)
    with pytest.raises(InvalidInputError, match="one file but there are 2 inputs"):
        output_paths(
            [source, _touch(tmp_path / "b.wav")], "se", tmp_path, tmp_path / "out.wav", audio_in=True, overwrite=False
        )
    assert output_paths(["hello", "bye"], "tts", tmp_path, None, audio_in=False, overwrite=False) == [
        tmp_path / "tts_0000.tts.wav",
        tmp_path / "tts_0001.tts.wav",
    ]


def test_the_check_runs_before_the_model_loads(tmp_path):
    source = _touch(tmp_path / "a.wav")
    with pytest.raises(
        OutputConflictError, match="is the input file"
    ):  # no model exists at --model: the names fail first
        main(["--task", "se", "--model", str(tmp_path / "no-model"), str(source), "-o", str(source)])
    assert source.read_bytes() == b"RIFF"


@pytest.mark.parametrize("option", ["--batch-size", "--max-new-tokens"])
def test_counts_below_one_are_refused_by_name(option, capsys):
    with pytest.raises(SystemExit):
        main(["--task", "asr", "--model", "m", "x.wav", option, "-2"])
    assert option in capsys.readouterr().err


def test_a_missing_empty_or_corrupt_model_ends_in_one_clear_line(tmp_path, monkeypatch):
    import json

    from modeling_lauragpt.pipeline_loading import load_pipeline

    with pytest.raises(ModelLoadError, match="does not exist"):
        load_pipeline(str(tmp_path / "nowhere"), "cpu")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelLoadError, match="has no config.json"):
        load_pipeline(str(tmp_path / "empty"), "cpu")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text(json.dumps({"model_type": "lauragpt"}))
    (broken / "model.safetensors").write_bytes(b"\x00" * 16)  # a truncated download
    with pytest.raises(ModelLoadError, match="model.safetensors cannot be read .* truncated or damaged"):
        load_pipeline(str(broken), "cpu")
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    with pytest.raises(DeviceUnavailableError, match="no CUDA device"):
        load_pipeline(str(broken), "cuda")


def test_an_output_folder_given_as_o_and_a_missing_text_file_name_the_fix(tmp_path):
    with pytest.raises(InvalidInputError, match="is a folder"):
        output_paths(["hello"], "tts", tmp_path, tmp_path, audio_in=False, overwrite=False)
    with pytest.raises(InvalidInputError, match="--text-file .* does not exist"):
        main(["--task", "tts", "--model", str(tmp_path / "no-model"), "--text-file", str(tmp_path / "missing.txt")])
