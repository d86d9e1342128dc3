"""Training knobs in one style (training/arguments.py): each training command reads its dataclass fields from a
``--config`` YAML and ``--set key=value``, its flags are shortcuts, and default < YAML < --set < flag. Parsing
only: nothing trains or builds here."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from modeling_lauragpt.cli import build_demo_data, finetune
from modeling_lauragpt.cli import main as lauragpt
from modeling_lauragpt.errors import InvalidInputError
from modeling_lauragpt.training import cpu_codec_training
from modeling_lauragpt.training.arguments import load_arguments
from modeling_lauragpt.training.recipes import demo

FINETUNE_REQUIRED = ["--model", "m", "--task", "lid", "--data", "d", "--output-dir", "o"]


def _yaml(tmp_path, text: str) -> str:
    path = tmp_path / "arguments.yaml"
    path.write_text(text)
    return str(path)


def _finetune(argv):
    return finetune.parse_args(FINETUNE_REQUIRED + argv)[1]


def _corpus(argv):
    return build_demo_data.parse_args(["out", *argv])[1]


# (parse function -> dataclass, field, its flag, the default, a YAML value, a --set value, a flag value)
COMMANDS = {
    "finetune": (_finetune, "learning_rate", "--learning-rate", 2e-4, 1e-3, 5e-4, 3e-5),
    "cpu_codec": (cpu_codec_training.parse_arguments, "max_steps", "--max-steps", 3600, 100, 50, 7),
    "build-demo-data": (_corpus, "per_task", "--per-task", 800, 40, 30, 9),
}


@pytest.mark.parametrize("command", COMMANDS)
def test_default_then_yaml_then_set_then_flag(command, tmp_path):
    parse, name, flag, default, from_yaml, from_set, from_flag = COMMANDS[command]
    config = _yaml(tmp_path, f"{name}: {from_yaml}\n")
    assert getattr(parse([]), name) == default
    assert getattr(parse(["--config", config]), name) == from_yaml
    assert getattr(parse(["--config", config, "--set", f"{name}={from_set}"]), name) == from_set
    both = ["--config", config, flag, str(from_flag), "--set", f"{name}={from_set}"]  # the flag wins, in any order
    assert getattr(parse(both), name) == from_flag


def test_finetune_flags_keep_their_defaults_and_meaning():
    arguments = _finetune(["--lora-r", "4", "--seed", "3"])
    assert arguments == finetune.FinetuneArguments(lora_r=4, seed=3)
    assert (arguments.lora_alpha, arguments.lora_dropout, arguments.max_steps, arguments.batch_size) == (
        16,
        0.0,
        1000,
        8,
    )


def test_nested_task_train_and_flags_of_build_demo_data(tmp_path):
    config = _yaml(tmp_path, "task_train: {tts: 10}\nmax_seconds: 5\nsmall: true\n")
    corpus = _corpus(["--config", config, "--set", "task_train.asr=6000"])
    assert corpus.task_train == {"tts": 10, "asr": 6000} and corpus.small is True
    assert corpus.max_seconds == 5.0 and isinstance(corpus.max_seconds, float)  # an int for a float field
    flagged = _corpus(["--config", config, "--task-train", "se=3", "--tasks", "asr", "se", "--workers", "4"])
    assert flagged.task_train == {"se": 3} and flagged.tasks == ["asr", "se"] and flagged.workers == 4
    assert _corpus([]) == build_demo_data.CorpusArguments()


def test_unknown_keys_name_the_key_the_source_and_the_known_fields(tmp_path):
    config = _yaml(tmp_path, "lora_rank: 4\n")
    with pytest.raises(InvalidInputError, match=r"'lora_rank' in --config .*arguments\.yaml.*known fields.*lora_r"):
        _finetune(["--config", config])
    with pytest.raises(InvalidInputError, match=r"'max_step' in --set max_step=3.*known fields.*'max_steps'"):
        cpu_codec_training.parse_arguments(["--set", "max_step=3"])
    with pytest.raises(InvalidInputError, match="task_train.xyz=5: the task must be one of asr"):
        _corpus(["--set", "task_train.xyz=5"])
    with pytest.raises(InvalidInputError, match="expects key=value"):
        _corpus(["--set", "per_task"])


def test_bad_types_name_the_field_the_type_and_the_value(tmp_path):
    with pytest.raises(InvalidInputError, match="argument learning_rate expects float, got 'fast'"):
        _finetune(["--set", "learning_rate=fast"])
    with pytest.raises(InvalidInputError, match=r"argument max_steps expects int, got 2\.5"):
        cpu_codec_training.parse_arguments(["--config", _yaml(tmp_path, "max_steps: 2.5\n")])
    with pytest.raises(InvalidInputError, match=r"argument task_train\.asr expects int, got 'many'"):
        _corpus(["--set", "task_train.asr=many"])
    with pytest.raises(InvalidInputError, match=r"argument small expects bool, got 'maybe'"):
        _corpus(["--set", "small=maybe"])
    assert cpu_codec_training.parse_arguments(["--set", "max_steps=1e3"]).max_steps == 1000  # a whole float is fine


def test_a_missing_or_broken_config_file_is_one_clear_line(tmp_path, capsys):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(FileNotFoundError, match=f"--config {missing} does not exist"):
        load_arguments(finetune.FinetuneArguments, missing)
    assert lauragpt(["finetune", *FINETUNE_REQUIRED, "--config", str(missing)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("lauragpt finetune: error: --config") and "does not exist" in error
    with pytest.raises(InvalidInputError, match="is not valid YAML"):
        _corpus(["--config", _yaml(tmp_path, "per_task: [1,\n")])
    with pytest.raises(InvalidInputError, match="must hold a YAML mapping"):
        _corpus(["--config", _yaml(tmp_path, "- 1\n")])


def test_the_demo_recipe_still_passes_its_yaml_numbers(monkeypatch, tmp_path):
    config = demo.load_config()
    built, trained = [], []

    def fake_build(out, plan, **kwargs):
        built.append((plan, kwargs))
        return SimpleNamespace(out=out, seconds=0, counts=dict)

    monkeypatch.setattr(build_demo_data, "build_demo_corpus", fake_build)
    demo.stage_corpus(tmp_path, config)
    ((plan, kwargs),) = built
    corpus = config["corpus"]
    assert plan.train == corpus["per_task"] and dict(plan.task_train) == corpus["task_train"]
    assert plan.max_seconds == corpus["max_seconds"] and kwargs["workers"] == corpus["workers"]
    monkeypatch.setattr(cpu_codec_training, "train", lambda arguments, log: trained.append(arguments))
    demo.stage_codec(tmp_path / "reused", config)  # the shipped recipe reuses the previous checkpoint's codec
    assert trained == [] and (tmp_path / "reused" / "codec" / "codec" / "config.json").is_file()
    settings = {**config["codec"], "reuse": None}  # training one instead passes the rest of the YAML's numbers
    demo.stage_codec(tmp_path, {**config, "codec": settings})
    ((arguments,),) = [trained]
    settings.pop("reuse")
    assert {name: getattr(arguments, name) for name in settings} == settings
    assert arguments.out == str(tmp_path / "codec") and arguments.seed == config["seed"]
