"""The default model's recipe (training/recipes/demo.py): an ordered stage table, every number in its YAML, the
lm stage running the documented `lauragpt train` config, and finished stages skipped on a re-run."""

from __future__ import annotations

import json

import pytest

from modeling_lauragpt.training import trainer_recipe
from modeling_lauragpt.training.recipe_config import load_recipe_config
from modeling_lauragpt.training.recipes import demo


def test_the_stages_run_in_a_fixed_order_from_corpus_to_ship():
    assert demo.STAGE_NAMES == ("corpus", "tower", "codec", "lm", "vocoder", "eval", "ship")
    assert all(stage.what and callable(stage.run) for stage in demo.STAGES)


def test_every_stage_reads_its_numbers_from_the_yaml_and_set_overrides_win():
    import yaml

    documented = yaml.safe_load(demo.RECIPE_CONFIG.read_text())
    config = demo.load_config(overrides=["codec.max_steps=10", "lm.overrides=[training.max_steps=5]"])
    assert config["corpus"] == documented["corpus"] and config["codec"]["max_steps"] == 10
    assert config["lm"]["overrides"] == ["training.max_steps=5"]
    assert config["lm"]["config"] == "demo.yaml" and config["vocoder"]["max_steps"] > 0


def test_the_lm_stage_trains_with_run_recipe_on_the_documented_yaml(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(
        trainer_recipe, "run_recipe", lambda config, output_dir, resume=None: calls.append((config, output_dir, resume))
    )
    demo.stage_lm(tmp_path, demo.load_config(overrides=["lm.overrides=[training.logging_steps=7]"]))
    ((config, output_dir, resume),) = calls
    documented = load_recipe_config("demo.yaml")
    assert config["training"] == {**documented["training"], "logging_steps": 7}  # the YAML's numbers, plus the override
    assert config["model"]["preset"] == documented["model"]["preset"] and config["model"]["freeze_audio_tower"]
    assert config["data"]["source"] == str(tmp_path / "corpus") and config["codec"]["path"] == str(
        tmp_path / "codec" / "codec"
    )
    assert config["model"]["audio_tower"] == str(tmp_path / "whisper-tiny-en")
    assert output_dir == tmp_path / "lm" and resume is True


def test_the_pretrained_llm_switch_starts_the_llm_and_tokenizer_from_the_tower_stage_decoder(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(trainer_recipe, "run_recipe", lambda config, output_dir, resume=None: calls.append(config))
    overrides = ["lm.config=demo-whisper-decoder.yaml", "lm.pretrained_llm=true"]
    demo.stage_lm(tmp_path, demo.load_config(overrides=overrides))
    demo.stage_lm(tmp_path, demo.load_config())
    with_decoder, without = calls
    decoder = str(tmp_path / demo.WHISPER_DECODER_LM)
    assert with_decoder["model"]["text_model"] == with_decoder["processor"]["tokenizer"] == decoder
    assert with_decoder["model"]["preset"] == "whisper-tiny-decoder"
    assert without["model"]["text_model"] is None and without["processor"]["tokenizer"] is None


def test_a_rerun_skips_finished_stages_and_keeps_their_timings(monkeypatch, tmp_path):
    ran = []
    stages = tuple(
        demo.Stage(name, lambda work, config, name=name: ran.append(name), name)
        for name in ("first", "second", "third")
    )
    monkeypatch.setattr(demo, "STAGES", stages)
    monkeypatch.setattr(demo, "STAGE_NAMES", tuple(s.name for s in stages))
    monkeypatch.setattr(demo.torch, "set_num_threads", lambda threads: None)  # leave the test process' threads alone
    (tmp_path / "first.done").write_text("12 s\n")
    assert demo.main(["--work-dir", str(tmp_path), "--stages", "first", "third"]) == 0
    assert ran == ["third"] and (tmp_path / "third.done").exists() and not (tmp_path / "second.done").exists()
    timings = json.loads((tmp_path / "timings.json").read_text())
    assert set(timings) == {"first", "third", "total_s"} and timings["first"] == 12
    with pytest.raises(SystemExit):
        demo.main(["--work-dir", str(tmp_path), "--stages", "nonsense"])
