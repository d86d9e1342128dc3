"""PEFT on a new task: add <|lid|>, LoRA-train it, save the adapter alone, reload, merge, serve it by pipeline."""

from __future__ import annotations

import copy
import json

import pytest
import torch
from datasets import Dataset
from huggingface_hub.errors import StrictDataclassClassValidationError
from transformers import pipeline

from modeling_lauragpt import (
    LauraGPTConfig,
    LauraGPTForConditionalGeneration,
    LauraGPTProcessor,
)
from modeling_lauragpt.cli import main as lauragpt
from modeling_lauragpt.generation_lauragpt import TaskVocabularyLogitsProcessor
from modeling_lauragpt.tasks import (
    CODEC,
    DEFAULT_TASKS,
    TEXT,
    TaskSpec,
    register_task,
    task_spec,
)
from modeling_lauragpt.training.data.schema import example_features, make_example
from modeling_lauragpt.training.peft_finetune import add_task, load_adapter

from .helpers import make_audio, write_hub_folder

LID = TaskSpec("lid", "audio", "text", "spoken language identification: speech in, language code out")
LABELS = ["en", "de", "fr", "en", "de", "fr"]
CLIPS = [make_audio(0.5, 20 + i) for i in range(len(LABELS))]
GREEDY = {"do_sample": False, "max_new_tokens": 6}


def _base_model(config) -> LauraGPTForConditionalGeneration:
    """A tiny random LauraGPT whose output matrix has the spread of a trained one.

    At the default init (std 0.02) every logit stays within about +-2.6 after the final RMSNorm (|h| ~ sqrt(128)),
    so no adapter that leaves the head's text rows frozen could fit any label; std 0.2 gives rows of norm ~2, as
    a trained head has.
    """
    torch.manual_seed(0)
    model = LauraGPTForConditionalGeneration(copy.deepcopy(config)).eval()
    with torch.no_grad():
        model.lm_head.weight.mul_(10)
    return model


def _generate(model, processor, task, **inputs) -> torch.Tensor:
    batch = processor(task=task, **inputs)
    with torch.no_grad():
        return model.generate(**batch, **GREEDY)[:, batch["input_ids"].shape[1] :]


@pytest.fixture(scope="module")
def run(tmp_path_factory, tiny_config, processor):
    """`lauragpt finetune ... --merge` on a six-clip lid set; returns the folders."""
    root = tmp_path_factory.mktemp("peft")
    base_dir, data_dir, out = root / "base", root / "lid_data", root / "out"
    _base_model(tiny_config).save_pretrained(base_dir)
    processor.save_pretrained(base_dir)
    rows = [
        make_example("lid", f"clip{i}", audio={"array": clip, "sampling_rate": 16000}, target_text=label)
        for i, (clip, label) in enumerate(zip(CLIPS, LABELS))
    ]
    Dataset.from_list(rows, features=example_features()).save_to_disk(data_dir)
    argv = [
        "finetune",
        "--model",
        str(base_dir),
        "--task",
        "lid",
        "--input",
        "audio",
        "--output",
        "text",
        "--description",
        LID.description,
        "--data",
        str(data_dir),
        "--output-dir",
        str(out),
        "--max-steps",
        "60",
        "--learning-rate",
        "3e-3",
        "--batch-size",
        "6",
        "--merge",
    ]
    assert lauragpt(argv) == 0
    return {"base": base_dir, "adapter": out / "adapter", "merged": out / "merged"}


def test_add_task_appends_one_mean_row_and_leaves_the_old_processor_alone(tiny_config, processor):
    model = _base_model(tiny_config)
    rows_before, tokens_before = model.get_input_embeddings().weight.shape[0], len(processor.tokenizer)
    extended = add_task(model, processor, LID)
    new_id = extended.vocabulary.task_token_ids["lid"]
    assert new_id == rows_before == tokens_before and len(extended.tokenizer) == tokens_before + 1
    assert len(processor.tokenizer) == tokens_before and "lid" not in processor.tasks
    assert {t: extended.vocabulary.task_token_ids[t] for t in processor.tasks} == processor.vocabulary.task_token_ids
    for matrix in (model.get_input_embeddings().weight, model.lm_head.weight):
        assert matrix.shape[0] == rows_before + 1
        torch.testing.assert_close(matrix[new_id], matrix[:new_id].mean(dim=0))
    assert model.config.custom_tasks == {"lid": LID.to_dict()} == extended.custom_tasks
    with pytest.raises(ValueError, match="already has task 'lid'"):
        add_task(model, extended, LID)
    with pytest.raises(ValueError, match="built-in task"):
        register_task(TaskSpec("mt", "audio", "text", "not the built-in mt"))


def test_custom_task_modalities_are_stored_in_the_config_and_steer_decoding(tiny_config, tmp_path):
    spell = {"input_modality": TEXT, "output_modality": CODEC, "description": "spell a word aloud"}
    config = LauraGPTConfig.from_dict(
        {**tiny_config.to_dict(), "tasks": [*DEFAULT_TASKS, "spell"], "custom_tasks": {"spell": spell}}
    )
    config.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["custom_tasks"] == {"spell": spell}
    assert LauraGPTConfig.from_pretrained(tmp_path).custom_tasks == {"spell": spell}
    assert task_spec("spell", config.tasks).output_modality == CODEC
    codec_tasks = TaskVocabularyLogitsProcessor(config.vocabulary)._codec_task_ids.tolist()
    assert sorted(codec_tasks) == sorted(config.task_token_ids[t] for t in ("tts", "se", "spell"))
    with pytest.raises(ValueError, match="cannot also be"):
        register_task(TaskSpec("spell", "audio", "text", "redefined"))
    with pytest.raises(StrictDataclassClassValidationError, match="missing from tasks"):
        LauraGPTConfig.from_dict({**config.to_dict(), "tasks": list(DEFAULT_TASKS)})


def test_adapter_folder_holds_only_the_adapter_and_the_processor(run):
    names = {path.name for path in run["adapter"].iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", "processor_config.json", "tokenizer.json"} <= names
    assert not names & {"model.safetensors", "config.json"}
    adapter_bytes = (run["adapter"] / "adapter_model.safetensors").stat().st_size
    assert adapter_bytes < 0.1 * (run["base"] / "model.safetensors").stat().st_size
    adapter_config = json.loads((run["adapter"] / "adapter_config.json").read_text())
    lid_id = LauraGPTProcessor.from_pretrained(run["adapter"]).vocabulary.task_token_ids["lid"]
    assert adapter_config["base_model_name_or_path"] == str(run["base"].resolve())
    assert adapter_config["trainable_token_indices"] == {"embed_tokens": [lid_id], "lm_head": [lid_id]}
    assert json.loads((run["adapter"] / "processor_config.json").read_text())["custom_tasks"] == {"lid": LID.to_dict()}


def test_reloaded_adapter_reproduces_its_labels_and_merging_changes_nothing(run):
    peft_model, processor = load_adapter(run["adapter"])
    generated = _generate(peft_model, processor, "lid", audio=CLIPS)
    assert processor.decode_outputs(generated, "lid") == LABELS
    merged = LauraGPTForConditionalGeneration.from_pretrained(run["merged"]).eval()
    assert merged.config.custom_tasks == {"lid": LID.to_dict()} and merged.config.tasks == [*DEFAULT_TASKS, "lid"]
    assert torch.equal(_generate(merged, processor, "lid", audio=CLIPS), generated)
    for task, inputs in (("asr", {"audio": CLIPS[:2]}), ("tts", {"text": "hello world"})):
        torch.testing.assert_close(
            merged(**processor(task=task, **inputs)).logits,
            peft_model(**processor(task=task, **inputs)).logits,
            atol=1e-4,
            rtol=1e-4,
        )


def test_disabled_adapter_gives_the_base_model_outputs_on_old_tasks(run, processor):
    base = LauraGPTForConditionalGeneration.from_pretrained(run["base"]).eval()
    peft_model, extended = load_adapter(run["adapter"])
    for task, inputs in (
        ("asr", {"audio": CLIPS[:3]}),
        ("mt", {"text": "hello world", "language": "de"}),
        ("tts", {"text": "hello world"}),
    ):
        assert torch.equal(processor(task=task, **inputs)["input_ids"], extended(task=task, **inputs)["input_ids"])
        expected = _generate(base, processor, task, **inputs)
        with peft_model.disable_adapter():
            assert torch.equal(_generate(peft_model, extended, task, **inputs), expected)
        assert not torch.equal(_generate(peft_model, extended, task, **inputs), expected)  # the adapter does act


def test_merged_folder_serves_lid_and_old_tasks_through_the_pipeline(run):
    pipe = pipeline("lauragpt", model=str(run["merged"]), device="cpu")
    assert [pipe(clip, task="lid", **GREEDY) for clip in CLIPS] == [{"text": label} for label in LABELS]
    assert isinstance(pipe(CLIPS[0], task="asr", **GREEDY)["text"], str)
    vocabulary, processor = pipe.model.config.vocabulary, pipe.processor
    text_ids = _generate(pipe.model, processor, "asr", audio=CLIPS[:2])
    assert (text_ids < vocabulary.text_vocab_size).all()
    codec_ids = _generate(pipe.model, processor, "tts", text="hello world")
    assert (vocabulary.is_codec_id(codec_ids) | (codec_ids == vocabulary.codec_end_token_id)).all()
    with pytest.raises(ValueError, match="Unknown task 'kws'"):
        pipe(CLIPS[0], task="kws")


def test_clear_errors_for_a_missing_adapter_and_data_without_the_task(run, tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match="adapter_config.json"):
        load_adapter(tmp_path)
    base = [
        "finetune",
        "--model",
        str(run["base"]),
        "--task",
        "kws",
        "--output-dir",
        str(tmp_path / "kws"),
        "--max-steps",
        "1",
    ]
    assert lauragpt([*base, "--data", str(run["base"].parent / "lid_data")]) == 2
    assert "No training rows have task 'kws'" in capsys.readouterr().err
    assert lauragpt([*base, "--data", str(tmp_path / "nothing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def _per_task_corpus(rows, root):
    """A Hub-format folder with one config per task, as ``lauragpt build-demo-data`` writes."""
    tasks = sorted({row["task"] for row in rows})
    configs = {task: {"train": [r for r in rows if r["task"] == task]} for task in tasks}
    return write_hub_folder(root, configs, example_features())


def test_finetune_reads_the_new_tasks_config_of_a_per_task_corpus(run, tmp_path, capsys):
    rows = Dataset.load_from_disk(str(run["base"].parent / "lid_data")).to_list()
    asr = [{**row, "task": "asr", "id": f"asr-{i}"} for i, row in enumerate(rows[:2])]
    corpus = _per_task_corpus(rows + asr, tmp_path / "corpus")
    base = ["finetune", "--model", str(run["base"]), "--data", str(corpus), "--max-steps", "1"]
    assert lauragpt([*base, "--task", "kws", "--output-dir", str(tmp_path / "kws")]) == 2
    assert "one config per task (asr, lid) and none is 'kws'" in capsys.readouterr().err
    assert lauragpt([*base, "--task", "lid", "--output-dir", str(tmp_path / "lid")]) == 0
    assert (tmp_path / "lid" / "adapter" / "adapter_config.json").is_file()
