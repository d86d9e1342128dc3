"""The default model's recipe (training/recipes/demo.py): an ordered stage table, every number in its YAML, the
lm stage running the documented `lauragpt train` config, and finished stages skipped on a re-run."""

from __future__ import annotations

import json

import pytest

from modeling_lauragpt.training import trainer_recipe
from modeling_lauragpt.training.recipe_config import load_recipe_config
from modeling_lauragpt.training.recipes import demo

from .helpers import SENTENCES, byte_level_tokenizer


def test_the_stages_run_in_a_fixed_order_from_corpus_to_ship():
    assert demo.STAGE_NAMES == ("corpus", "tower", "codec", "lm", "vocoder", "eval", "ship")
    assert all(stage.what and callable(stage.run) for stage in demo.STAGES)


def test_every_stage_reads_its_numbers_from_the_yaml_and_set_overrides_win():
    import yaml

    documented = yaml.safe_load(demo.RECIPE_CONFIG.read_text())
    config = demo.load_config(overrides=["codec.max_steps=10", "lm.overrides=[training.max_steps=5]"])
    assert config["corpus"] == documented["corpus"] and config["codec"]["max_steps"] == 10
    assert config["lm"]["overrides"] == ["training.max_steps=5"]
    assert config["lm"]["config"] == documented["lm"]["config"] and config["vocoder"]["max_steps"] > 0


def test_the_lm_stage_trains_with_run_recipe_on_the_documented_yaml(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(
        trainer_recipe, "run_recipe", lambda config, output_dir, resume=None: calls.append((config, output_dir, resume))
    )
    recipe = demo.load_config(overrides=["lm.overrides=[training.logging_steps=7]"])
    demo.stage_lm(tmp_path, recipe)
    ((config, output_dir, resume),) = calls
    documented = load_recipe_config(recipe["lm"]["config"])
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
    demo.stage_lm(tmp_path, demo.load_config())  # the documented recipe starts from the decoder
    demo.stage_lm(tmp_path, demo.load_config(overrides=["lm.config=demo.yaml", "lm.pretrained_llm=false"]))
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


def test_the_codec_and_vocoder_stages_can_ship_folders_trained_earlier(codec, processor, tmp_path):
    import torch

    from modeling_lauragpt import LauraGPTVocoder
    from modeling_lauragpt.errors import InvalidInputError

    torch.manual_seed(0)
    trained = LauraGPTVocoder.from_codec(codec, "tiny", text_vocab_size=processor.vocabulary.text_vocab_size)
    trained.save_pretrained(tmp_path / "old" / "vocoder")  # saved without its tokenizer, as older vocoders were
    processor.save_pretrained(tmp_path / "old")
    reuse = [f"codec.reuse={tmp_path / 'old' / 'vocoder'}", f"vocoder.reuse={tmp_path / 'old' / 'vocoder'}"]
    work = tmp_path / "work"
    demo.stage_codec(work, demo.load_config(overrides=reuse))
    with pytest.raises(InvalidInputError, match="reuse_tokenizer"):
        demo.stage_vocoder(work, demo.load_config(overrides=[*reuse, "vocoder.reuse_tokenizer=null"]))
    demo.stage_vocoder(work, demo.load_config(overrides=[*reuse, f"vocoder.reuse_tokenizer={tmp_path / 'old'}"]))
    shipped = LauraGPTVocoder.from_pretrained(work / "vocoder")
    assert shipped.text_tokenizer.get_vocab() == processor.tokenizer.get_vocab()
    for name, value in trained.state_dict().items():
        assert torch.equal(shipped.state_dict()[name], value), name
    # A vocoder saved with its tokenizer keeps it, whatever reuse_tokenizer says (a stale path there once gave the
    # reused vocoder the LLM's larger tokenizer); a tokenizer larger than the vocoder's text embedding is refused.
    larger = byte_level_tokenizer(SENTENCES)
    larger.save_pretrained(tmp_path / "larger")
    assert larger.vocab_size > processor.vocabulary.text_vocab_size
    stale = f"vocoder.reuse_tokenizer={tmp_path / 'larger'}"
    demo.stage_codec(tmp_path / "work2", demo.load_config(overrides=reuse))
    with pytest.raises(InvalidInputError, match="not the tokenizer the vocoder was trained with"):
        demo.stage_vocoder(tmp_path / "work2", demo.load_config(overrides=[*reuse, stale]))
    demo.stage_vocoder(tmp_path / "work2", demo.load_config(overrides=[f"vocoder.reuse={work / 'vocoder'}", stale]))
    kept = LauraGPTVocoder.from_pretrained(tmp_path / "work2" / "vocoder").text_tokenizer
    assert kept.get_vocab() == processor.tokenizer.get_vocab()
    other = LauraGPTVocoder.from_codec(codec, "tiny", text_vocab_size=processor.vocabulary.text_vocab_size)
    with torch.no_grad():
        next(other.codec.parameters()).add_(1.0)
    other.text_tokenizer = processor.tokenizer
    other.save_pretrained(tmp_path / "other")
    with pytest.raises(InvalidInputError, match="another codec"):
        demo.stage_vocoder(work, demo.load_config(overrides=[f"vocoder.reuse={tmp_path / 'other'}"]))


def test_the_card_says_whether_the_llm_and_tokenizer_are_pretrained(tiny_config):
    from modeling_lauragpt import LauraGPTConfig, LauraGPTForConditionalGeneration
    from modeling_lauragpt.training.recipes import model_card

    gpt2 = LauraGPTConfig.from_preset(
        "tiny",
        text_vocab_size=300,
        text_eos_token_id=1,
        pad_token_id=1,
        tie_word_embeddings=True,
        text_config={"model_type": "gpt2", "n_embd": 32, "n_layer": 2, "n_head": 4, "n_inner": 64, "n_positions": 64},
    )
    count = lambda module: sum(p.numel() for p in module.parameters())
    pretrained = model_card._llm_parts(LauraGPTForConditionalGeneration(gpt2), count, 12)
    assert set(pretrained) == {"LLM (pretrained)", "text tokenizer (pretrained)"}
    assert (
        "Whisper tiny.en's text decoder (MIT)" in pretrained["LLM (pretrained)"]
        and "12 Trainer steps" in (pretrained["LLM (pretrained)"])
    )
    assert "the 300 tokens" in pretrained["text tokenizer (pretrained)"]
    scratch = model_card._llm_parts(LauraGPTForConditionalGeneration(tiny_config), count, 3)
    assert set(scratch) == {"LLM (from scratch)", "text tokenizer (from scratch)"}


def test_weights_stored_in_float16_load_as_the_rounded_float32_model(tiny_model, tmp_path):
    import torch

    from modeling_lauragpt import LauraGPTForConditionalGeneration
    from modeling_lauragpt.training.recipes.demo_stages import store_weights_in_float16

    tiny_model.save_pretrained(tmp_path)
    before = (tmp_path / "model.safetensors").stat().st_size
    assert store_weights_in_float16(tmp_path) < 0.55 * before
    reloaded = LauraGPTForConditionalGeneration.from_pretrained(tmp_path)
    assert reloaded.dtype == torch.float32
    for name, value in tiny_model.state_dict().items():
        expected = value.half().float() if value.is_floating_point() else value
        assert torch.equal(reloaded.state_dict()[name], expected), name


def test_the_ship_stage_keeps_the_eval_evidence_and_the_card_note_beside_the_card(monkeypatch, tmp_path):
    from modeling_lauragpt.training.recipes import demo_stages, model_card

    work, cards = tmp_path / "work", tmp_path / "cards"
    (work / "model").mkdir(parents=True)
    (work / "model" / "config.json").write_text("{}")
    (work / "eval" / "audio").mkdir(parents=True)
    (work / "eval" / "results.json").write_text("{}")
    (work / "eval" / "audio" / "tts_0.wav").write_bytes(b"RIFF")
    (work / "card_note.md").write_text("## How this checkpoint was made\n")
    cards.mkdir()
    monkeypatch.setattr(demo_stages, "export_demo_samples", lambda corpus, target: None)
    monkeypatch.setattr(model_card, "write_model_card", lambda work, target: cards / "lauragpt-demo.md")
    demo.stage_ship(work, {"ship_to": str(tmp_path / "shipped")})
    evidence = cards / "lauragpt-demo-eval"
    assert (tmp_path / "shipped" / "config.json").exists()
    assert (evidence / "results.json").exists() and not (evidence / "audio").exists()
    assert (evidence / "card_note.md").read_text() == "## How this checkpoint was made\n"
