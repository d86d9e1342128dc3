"""The multi-task Trainer recipe: config overlays, a tiny eight-task run that lowers every task's eval loss, an
exact resume from a mid-run checkpoint, and the ``lauragpt train`` command line."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from modeling_lauragpt import LauraGPTForConditionalGeneration, LauraGPTProcessor
from modeling_lauragpt.cli import main as lauragpt
from modeling_lauragpt.training.recipe_config import (
    apply_override,
    deep_merge,
    load_recipe_config,
)
from modeling_lauragpt.training.recipe_data import load_split
from modeling_lauragpt.training.trainer_recipe import build_model, run_recipe

from .recipe_corpus import EMOTIONS, TASKS, recipe_overrides, write_corpus

STEPS, HALF = 24, 12


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, codec):
    root = tmp_path_factory.mktemp("recipe")
    codec.save_pretrained(str(root / "codec"))
    return write_corpus(root / "corpus"), root / "codec", root


def _config(corpus, codec_dir, **training):
    return load_recipe_config("tiny.yaml", recipe_overrides(corpus, codec_dir, **training))


def _eval_losses(log_history, step):
    return {
        key[5:-5]: entry[key]
        for entry in log_history
        if entry["step"] == step
        for key in entry
        if key.startswith("eval_") and key.endswith("_loss")
    }


def test_overlays_merge_and_overrides_parse():
    config = load_recipe_config(
        "tiny", ["training.learning_rate=3e-4", "data.tasks.aac=null", "model.config.text_config.num_hidden_layers=3"]
    )
    assert config["training"]["learning_rate"] == 3e-4 and config["training"]["max_steps"] == 60  # tiny.yaml
    assert config["training"]["weight_decay"] == 0.01 and config["data"]["tasks"]["aac"] is None  # base.yaml kept
    assert config["model"]["config"] == {"text_config": {"num_hidden_layers": 3}}
    assert load_recipe_config("paper")["data"]["tasks"]["tts"] == {"adapter": "libritts", "weight": 2.0}
    assert deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}}) == {"a": {"b": 1, "c": 3}}
    assert apply_override({}, "x.y=[1, 2]") == {"x": {"y": [1, 2]}}
    with pytest.raises(ValueError, match="Unknown recipe key 'data.sorce'"):
        load_recipe_config("tiny", ["data.sorce=x"])
    with pytest.raises(ValueError, match="data.tasks.asr"):
        load_recipe_config("tiny", ["data.tasks.asr.wieght=2"])
    with pytest.raises(FileNotFoundError, match="tiny.yaml"):
        load_recipe_config("no-such-overlay")


def test_tiny_run_lowers_every_eval_loss_and_resumes_exactly(workspace):
    corpus, codec_dir, root = workspace
    config = _config(corpus, codec_dir, max_steps=STEPS, eval_steps=HALF, save_steps=HALF, eval_on_start=True)
    full = run_recipe(config, root / "full")
    start, end = _eval_losses(full.state.log_history, 0), _eval_losses(full.state.log_history, STEPS)
    assert sorted(start) == sorted(end) == sorted(TASKS)
    for task in TASKS:  # every task learns: tts/se codec targets, audio and text inputs, language tags alike
        assert end[task] < start[task] - 1.0, (task, start[task], end[task])

    out = root / "full"
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == STEPS and next(e["loss"] for e in state["log_history"] if "loss" in e) > 0
    reloaded = LauraGPTForConditionalGeneration.from_pretrained(str(out))
    for name, value in full.model.state_dict().items():
        assert torch.equal(reloaded.state_dict()[name], value), name
    assert reloaded.config.task_languages == {"mt": ["de"], "s2tt": ["de"]}  # what the pipeline checks against
    assert reloaded.config.task_labels == {"ser": sorted(EMOTIONS)}
    assert (
        LauraGPTProcessor.from_pretrained(str(out)).tokenizer.get_vocab() == full.processing_class.tokenizer.get_vocab()
    )

    resumed_dir = root / "resumed"  # a run killed after the mid-run checkpoint, then resumed
    resumed_dir.mkdir()
    shutil.copytree(out / f"checkpoint-{HALF}", resumed_dir / f"checkpoint-{HALF}")
    resumed = run_recipe(config, resumed_dir, resume=True)
    assert resumed.state.global_step == STEPS
    losses = {e["step"]: e["loss"] for e in full.state.log_history if "loss" in e}
    resumed_losses = {e["step"]: e["loss"] for e in resumed.state.log_history if "loss" in e}
    for step in range(HALF + 1, STEPS + 1):
        assert resumed_losses[step] == pytest.approx(losses[step], abs=1e-5), step
    assert _eval_losses(resumed.state.log_history, STEPS) == pytest.approx(end, abs=1e-5)
    for name, value in full.model.state_dict().items():
        torch.testing.assert_close(resumed.model.state_dict()[name], value, rtol=1e-5, atol=1e-6)


def test_cli_trains_selected_tasks_with_length_grouping(workspace, capsys):
    corpus, codec_dir, root = workspace
    out = root / "cli"
    code = lauragpt(
        [
            "train",
            "--config",
            "tiny.yaml",
            "--data",
            str(corpus),
            "--codec",
            str(codec_dir),
            "--output-dir",
            str(out),
            "--max-steps",
            "2",
            "--tasks",
            "tts,mt",
            "--set",
            "training.eval_steps=2",
            "--set",
            "training.train_sampling_strategy=group_by_length",
            "--set",
            "training.save_strategy=no",
        ]
    )
    assert code == 0 and "2 steps" in capsys.readouterr().out
    assert (out / "model.safetensors").is_file() and (out / "processor_config.json").is_file()
    log = json.loads((out / "trainer_state.json").read_text())["log_history"]
    assert sorted(_eval_losses(log, 2)) == ["mt", "tts"]  # eval sets are length-grouped too
    recipe = (out / "recipe.yaml").read_text()
    assert "tts:" in recipe and "asr:" not in recipe
    assert lauragpt(["train", "--output-dir", str(out), "--set", "training.oops"]) == 2
    assert "key=value" in capsys.readouterr().err
    assert lauragpt(["train", "--output-dir", str(out), "--tasks", "asr,lid"]) == 2


def test_audio_output_tasks_without_a_codec_name_the_setting(workspace):
    corpus, _, root = workspace
    config = load_recipe_config("tiny.yaml", [f"data.source={corpus}", "data.tasks={tts: {weight: 1}}"])
    with pytest.raises(ValueError, match="codec.path"):
        run_recipe(config, root / "no_codec")


def test_data_flag_overrides_the_hub_adapters_of_paper_yaml(workspace):
    corpus, _, _ = workspace
    data = load_recipe_config("paper", [f"data.source={corpus}", "data.max_eval_examples=2"])["data"]
    rows = load_split("tts", data["tasks"]["tts"], data, "validation", data["max_eval_examples"])  # not LibriTTS
    assert rows["task"] == ["tts", "tts"] and rows[0]["target_audio"]["sampling_rate"] == 16000
    with pytest.raises(ValueError, match="pass --data"):
        load_split("asr", {"weight": 1.0}, load_recipe_config("tiny")["data"], "train", None)


def _cached_whisper_run(workspace, name: str, settings: list[str]):
    """A tiny-whisper recipe run on cached frames (asr + mt, 8 steps) whose eval losses all fall: (config, trainer,
    its saved processor)."""
    corpus, codec_dir, root = workspace
    overrides = recipe_overrides(corpus, codec_dir, max_steps=8, eval_steps=8, save_strategy="no", eval_on_start=True)
    overrides += [
        "model.preset=tiny-whisper",
        "model.freeze_audio_tower=true",
        "data.cache_audio_frames=true",
        "data.tasks={asr: {weight: 1}, mt: {weight: 1}}",
        *settings,
    ]
    config = load_recipe_config("tiny.yaml", overrides)
    trainer = run_recipe(config, root / name)
    start, end = _eval_losses(trainer.state.log_history, 0), _eval_losses(trainer.state.log_history, 8)
    assert sorted(end) == ["asr", "mt"] and all(end[t] < start[t] for t in end)
    return config, trainer, LauraGPTProcessor.from_pretrained(str(root / name))


def test_whisper_preset_trains_on_cached_frames_of_a_frozen_tower(workspace):
    root = workspace[2]
    config, trainer, processor = _cached_whisper_run(
        workspace, "whisper", ["model.config={audio_window: 1s}", "loss.average=example"]
    )
    initial = build_model(config, processor)  # the recipe's seeded initialisation
    trained = LauraGPTForConditionalGeneration.from_pretrained(str(root / "whisper"))
    for name, value in trained.model.audio_tower.state_dict().items():  # frozen: the tower is still its init
        assert torch.equal(value, initial.model.audio_tower.state_dict()[name]), name
    assert not torch.equal(
        trained.model.multi_modal_projector.linear_1.weight, initial.model.multi_modal_projector.linear_1.weight
    )
    asr_rows = [row for row in trainer.train_dataset if row["task"] == "asr"]
    assert asr_rows and all(row["audio_frames"] is not None for row in asr_rows)
    assert type(processor.feature_extractor).__name__ == "WhisperFeatureExtractor" and processor.audio_window == "1s"


def test_top_tower_layers_train_on_the_cached_states_of_the_frozen_ones(workspace):
    root = workspace[2]
    settings = [
        "model.config={audio_window: clip}",
        "model.trainable_tower_layers=1",
        "model.tower_learning_rate=1.0e-4",
    ]
    config, trainer, processor = _cached_whisper_run(workspace, "top-layer", settings)
    assert 1.0e-4 in {group["initial_lr"] for group in trainer.optimizer.param_groups}
    initial = build_model(config, processor).model.audio_tower.state_dict()
    trained = LauraGPTForConditionalGeneration.from_pretrained(str(root / "top-layer")).model.audio_tower.state_dict()
    top = len(trainer.model.model.audio_tower.layers) - 1
    for name, value in trained.items():  # the stem and lower layers stay, the top layer and final norm train
        moved = not torch.equal(value, initial[name])
        assert moved == name.startswith((f"layers.{top}.", "layer_norm.")), name
    asr_row = next(row for row in trainer.train_dataset if row["task"] == "asr")
    assert len(asr_row["audio_frames"]) // 2 == processor.num_audio_tokens(
        len(asr_row["audio"]["array"])
    )  # 50 Hz states


def test_a_pretrained_whisper_tower_starts_the_model_with_its_config_and_feature_extractor(workspace):
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperModel

    from modeling_lauragpt.training.recipe_data import load_task_splits
    from modeling_lauragpt.training.trainer_recipe import build_processor

    corpus, codec_dir, root = workspace
    torch.manual_seed(1)  # a tower shaped unlike the preset's (96 wide, 3 layers), so its config must be the one used
    whisper = WhisperModel(
        WhisperConfig(
            d_model=96,
            encoder_layers=3,
            encoder_attention_heads=4,
            encoder_ffn_dim=192,
            decoder_layers=1,
            decoder_attention_heads=4,
            decoder_ffn_dim=192,
            num_mel_bins=80,
            vocab_size=64,
            max_target_positions=16,
            pad_token_id=0,
            bos_token_id=1,
            eos_token_id=2,
            decoder_start_token_id=1,
        )
    )
    folder = root / "pretrained-whisper"
    whisper.save_pretrained(str(folder))
    WhisperFeatureExtractor(feature_size=80, padding_value=0.5).save_pretrained(str(folder))
    overrides = recipe_overrides(corpus, codec_dir) + [
        "model.preset=tiny-whisper",
        f"model.audio_tower={folder}",
        "model.config={audio_window: 1s}",
    ]
    config = load_recipe_config("tiny.yaml", overrides)
    processor = build_processor(config, load_task_splits(config["data"]), codebook_size=64)
    assert processor.feature_extractor.padding_value == 0.5  # the tower's own extractor, not a default one
    model = build_model(config, processor)
    assert model.config.audio_config.d_model == 96 and model.config.audio_config.encoder_layers == 3
    tower = model.model.audio_tower.state_dict()
    for name, value in whisper.encoder.state_dict().items():
        assert torch.equal(tower[name], value), name
    with pytest.raises(ValueError, match="audio_config"):
        build_model(
            load_recipe_config(
                "tiny.yaml",
                recipe_overrides(corpus, codec_dir) + ["model.preset=tiny-whisper", "model.config={audio_window: 1s}"],
            ),
            processor,
        ).load_audio_tower(whisper.encoder)


def test_a_trimmed_pretrained_tokenizer_starts_the_llm_from_the_rows_of_its_kept_tokens(workspace):
    from transformers import GPT2Config, GPT2LMHeadModel

    from modeling_lauragpt.conversion.vocabulary_trim import kept_token_ids
    from modeling_lauragpt.errors import InvalidInputError
    from modeling_lauragpt.training.recipe_data import load_task_splits
    from modeling_lauragpt.training.trainer_recipe import build_processor

    from .helpers import SENTENCES, byte_level_tokenizer
    from .recipe_corpus import GERMAN

    corpus, codec_dir, root = workspace
    tokenizer = byte_level_tokenizer([*SENTENCES, *GERMAN, "zebras and xylophones quietly juggle"])
    shape = {"n_embd": 32, "n_layer": 2, "n_head": 4, "n_inner": 64, "n_positions": 512}
    torch.manual_seed(0)
    lm = GPT2LMHeadModel(GPT2Config(vocab_size=len(tokenizer), **shape))
    folder = root / "pretrained-gpt2"
    lm.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    text_config = ", ".join(f"{key}: {value}" for key, value in shape.items())
    overrides = recipe_overrides(corpus, codec_dir) + [
        f"model.text_model={folder}",
        f"processor.tokenizer={folder}",
        "processor.trim_tokenizer=true",
        f"model.config={{tie_word_embeddings: true, text_config: {{model_type: gpt2, {text_config}}}}}",
    ]
    config = load_recipe_config("tiny.yaml", overrides)
    splits = load_task_splits(config["data"])
    processor = build_processor(config, splits, codebook_size=64)
    text_vocab = processor.vocabulary.text_vocab_size
    assert 256 < text_vocab < len(tokenizer)  # the xylophone's tokens are gone
    embedding = build_model(config, processor).model.language_model.get_input_embeddings().weight
    rows = kept_token_ids(processor.tokenizer, tokenizer, text_vocab)
    torch.testing.assert_close(embedding[:text_vocab], lm.get_input_embeddings().weight[rows])
    untrimmed = load_recipe_config("tiny.yaml", recipe_overrides(corpus, codec_dir) + ["processor.trim_tokenizer=true"])
    with pytest.raises(InvalidInputError, match="trim_tokenizer"):
        build_processor(untrimmed, splits, codebook_size=64)


def test_training_never_writes_over_a_folder_holding_another_model(workspace, capsys):
    corpus, codec_dir, root = workspace
    other = root / "someone_elses_model"
    other.mkdir()
    (other / "model.safetensors").write_bytes(b"weights")
    with pytest.raises(FileExistsError, match="--overwrite"):
        run_recipe(_config(corpus, codec_dir, max_steps=1), other)
    assert (
        lauragpt(["train", "--config", "tiny", "--data", str(corpus), "--output-dir", str(other), "--max-steps", "1"])
        == 2
    )
    assert (
        "not an earlier training run" in capsys.readouterr().err
        and (other / "model.safetensors").read_bytes() == b"weights"
    )


def test_a_negative_max_steps_is_refused_before_anything_runs(tmp_path, capsys):
    with pytest.raises(SystemExit):
        lauragpt(["train", "--config", "tiny", "--output-dir", str(tmp_path / "out"), "--max-steps", "-3"])
    assert "--max-steps: must be at least 1" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_bad_configs_are_refused_in_one_line(tmp_path, capsys):
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("model: [unclosed\n")
    out = str(tmp_path / "out")
    assert lauragpt(["train", "--config", str(bad_yaml), "--output-dir", out]) == 2
    assert "not valid YAML" in capsys.readouterr().err
    assert lauragpt(["train", "--config", "tiny", "--output-dir", out, "--set", "training.learning_rate=abc"]) == 2
    assert "training.learning_rate must be a number" in capsys.readouterr().err
    assert lauragpt(["train", "--config", "tiny", "--output-dir", out, "--set", "training.learnin_rate=1"]) == 2
    assert "learnin_rate" in capsys.readouterr().err
    assert lauragpt(["train", "--config", "tiny", "--output-dir", out]) == 2  # no --data: the fix, not a traceback
    assert "pass --data" in capsys.readouterr().err and not (tmp_path / "out" / "model.safetensors").exists()
