"""The recipe that makes the embedded default model, top to bottom (CPU; a GPU is used when visible).

    python -m modeling_lauragpt.training.recipes.demo --work-dir runs/demo            # every stage
    python -m modeling_lauragpt.training.recipes.demo --work-dir runs/demo --stages lm eval

Stages (each writes under ``--work-dir`` and leaves ``<stage>.done`` there when it ends; a re-run skips finished
stages, and the ``lm`` stage resumes from its last checkpoint):

1. ``corpus``        ``lauragpt build-demo-data``: the eight-task demo corpus + its small tokenizer
2. ``codec_pretrain`` the ``demo`` codec from scratch on espeak-ng speech that shares nothing with the corpus
3. ``codec``         that codec fine-tuned on the corpus' clean training speech
4. ``codes``         codec targets of the tts/se rows (``datasets.map``, cached)
5. ``vocoder``       the one-step vocoder (``demo`` preset) on the tts/se rows, codec frozen
6. ``lm``            multi-task LauraGPT (``demo`` preset) with the Trainer recipe (``training/configs/demo.yaml``)
7. ``eval``          ``lauragpt eval`` on the held-out test split (held-out voice and sentences)
8. ``ship``          copy model + processor + vocoder into ``modeling_lauragpt/default_model``
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import torch

from ..codec_training import CodecTrainingArguments, train_codec
from .pretraining_speech import espeak_speech

STAGES = ("corpus", "codec_pretrain", "codec", "codes", "vocoder", "lm", "eval", "ship")


def stage_codec_pretrain(work: Path, args) -> None:
    from transformers import EncodecModel

    from ...codec import codec_config

    clips = espeak_speech(args.pretrain_clips, seed=args.seed)
    _train_and_save_codec(EncodecModel(codec_config("demo")), clips, "espeak-ng clips", work / "codec_pretrain",
                          max_steps=args.codec_pretrain_steps, seed=args.seed)


def _train_and_save_codec(codec, clips, what: str, output_dir: Path, **training_args) -> None:
    """Train ``codec`` on ``clips`` (0.96 s segments), save it with its loss log in ``output_dir``."""
    stage = output_dir.name
    print(f"[{stage}] {len(clips)} {what}, {sum(map(len, clips)) / 16000 / 60:.1f} min")
    history = train_codec(codec, clips, CodecTrainingArguments(segment_seconds=0.96, **training_args),
                          log=lambda entry: print(f"[{stage}]", entry, flush=True))
    codec.save_pretrained(str(output_dir))
    (output_dir / "training_log.json").write_text(json.dumps(history, indent=1))


def stage_corpus(work: Path, args) -> None:
    from ..demo_corpus.cli import main as build_demo_data

    if build_demo_data([str(work / "corpus"), "--seed", str(args.seed)]) != 0:
        raise SystemExit("[corpus] building the demo corpus failed (see above)")


def stage_codec(work: Path, args) -> None:
    from transformers import EncodecModel

    from .demo_stages import speech_clips

    codec = EncodecModel.from_pretrained(str(work / "codec_pretrain"))
    clips = speech_clips(work / "corpus", seed=args.seed)
    _train_and_save_codec(codec, clips, "corpus training clips (fine-tuning)", work / "codec",
                          max_steps=args.codec_steps, learning_rate=3e-4, seed=args.seed)


def stage_codes(work: Path, args) -> None:
    from datasets import load_dataset
    from transformers import EncodecModel

    from ..data.codec_targets import add_target_codes

    codec = EncodecModel.from_pretrained(str(work / "codec")).eval()
    for task in ("tts", "se"):
        for split in ("train", "validation", "test"):
            rows = add_target_codes(load_dataset(str(work / "corpus"), task, split=split), codec)
            rows.save_to_disk(str(work / "codes" / task / split))
            print(f"[codes] {task}/{split}: {len(rows)} rows")
    _corpus_processor(work, args.seed).save_pretrained(str(work / "processor"))


def _codes_splits(work: Path) -> dict:
    from datasets import load_from_disk

    return {task: {split: load_from_disk(str(work / "codes" / task / split)) for split in ("train", "validation")} for task in ("tts", "se")}


def _corpus_processor(work: Path, seed: int):
    """The demo processor: the corpus' tokenizer, the demo codec's codebook size, CMVN fit on corpus speech."""
    from transformers import AutoTokenizer

    from ...codec import CODEC_PRESETS
    from ...processing.feature_extraction_lauragpt import LauraGPTFeatureExtractor
    from ...processing.processing_lauragpt import LauraGPTProcessor
    from .demo_stages import speech_clips

    extractor = LauraGPTFeatureExtractor()
    extractor.fit_cmvn(speech_clips(work / "corpus", max_clips=300, seed=seed))
    tokenizer = AutoTokenizer.from_pretrained(str(work / "corpus" / "tokenizer"))
    return LauraGPTProcessor(extractor, tokenizer, codebook_size=CODEC_PRESETS["demo"]["codebook_size"])


def stage_vocoder(work: Path, args) -> None:
    from transformers import AutoProcessor, EncodecModel

    from .demo_stages import train_demo_vocoder, vocoder_rows

    processor = AutoProcessor.from_pretrained(str(work / "processor"))
    codec = EncodecModel.from_pretrained(str(work / "codec")).eval()
    splits = _codes_splits(work)
    train_demo_vocoder(
        codec, processor, vocoder_rows(splits, "train"), vocoder_rows(splits, "validation"), work / "vocoder",
        max_steps=args.vocoder_steps, learning_rate=1e-3, per_device_train_batch_size=16, lr_scheduler_type="cosine",
        warmup_steps=50, logging_steps=25, eval_strategy="steps", eval_steps=max(args.vocoder_steps // 4, 1),
    )


def stage_lm(work: Path, args) -> None:
    from datasets import concatenate_datasets
    from transformers import AutoProcessor, Trainer, TrainingArguments

    from ...configuration_lauragpt import LauraGPTConfig
    from ...modeling_lauragpt import LauraGPTForConditionalGeneration
    from ..collator import LauraGPTCollator
    from .demo_stages import multitask_splits

    processor = AutoProcessor.from_pretrained(str(work / "processor"))
    tokenizer = processor.tokenizer
    config = LauraGPTConfig.from_preset(
        "demo", text_vocab_size=processor.vocabulary.text_vocab_size, text_eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = LauraGPTForConditionalGeneration(config)
    tasks = list(processor.tasks)
    train = concatenate_datasets(list(multitask_splits(work / "corpus", work / "codes", "train", tasks).values())).shuffle(seed=args.seed)
    evaluation = {task: rows.select(range(min(len(rows), 48))) for task, rows in multitask_splits(work / "corpus", work / "codes", "validation", tasks).items()}
    print(f"[lm] {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters, {len(train)} training rows")
    training_args = TrainingArguments(
        output_dir=str(work / "lm"), max_steps=args.lm_steps, per_device_train_batch_size=16, per_device_eval_batch_size=16,
        learning_rate=1e-3, weight_decay=0.01, warmup_steps=min(200, args.lm_steps // 10), lr_scheduler_type="cosine",
        max_grad_norm=1.0, logging_steps=25, eval_strategy="steps", eval_steps=max(args.lm_steps // 6, 1),
        save_strategy="steps", save_steps=max(args.lm_steps // 6, 1), save_total_limit=1, report_to="none",
        remove_unused_columns=False, dataloader_num_workers=0, seed=args.seed, use_cpu=not torch.cuda.is_available(),
    )
    trainer = Trainer(model=model, args=training_args, train_dataset=train, eval_dataset=evaluation,
                      data_collator=LauraGPTCollator(processor))
    trainer.train(resume_from_checkpoint=any((work / "lm").glob("checkpoint-*")) or None)
    trainer.save_model(str(work / "lm" / "final"))
    processor.save_pretrained(str(work / "lm" / "final"))
    trainer.state.save_to_json(str(work / "lm" / "final" / "trainer_state.json"))


def stage_eval(work: Path, args) -> None:
    from ..evaluation import evaluate_model

    model_dir = work / "model"  # the complete folder that ships: LLM + processor + vocoder/ (with its codec)
    if model_dir.exists():
        shutil.rmtree(model_dir)
    shutil.copytree(work / "lm" / "final", model_dir, ignore=shutil.ignore_patterns("training_args.bin"))
    shutil.copytree(work / "vocoder", model_dir / "vocoder", ignore=shutil.ignore_patterns("checkpoint-*", "training_args.bin"))
    evaluate_model(str(model_dir), str(work / "corpus"), split="test", output_dir=str(work / "eval"),
                   max_examples=args.eval_examples, batch_size=8, seed=args.seed)


def stage_ship(work: Path, args) -> None:
    from ...defaults import DEFAULT_MODEL_DIR, DEMO_SAMPLES_DIR
    from .demo_stages import export_demo_samples
    from .model_card import write_model_card

    target = Path(args.ship_to) if args.ship_to else DEFAULT_MODEL_DIR
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(work / "model", target)
    export_demo_samples(work / "corpus", DEMO_SAMPLES_DIR)
    card = write_model_card(work, target)
    print(f"[ship] {target} ({sum(f.stat().st_size for f in target.rglob('*') if f.is_file()) / 1e6:.1f} MB), card {card}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work-dir", default="runs/demo")
    parser.add_argument("--stages", nargs="*", default=list(STAGES), choices=STAGES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pretrain-clips", type=int, default=2000)
    parser.add_argument("--codec-pretrain-steps", type=int, default=1200)
    parser.add_argument("--codec-steps", type=int, default=150)
    parser.add_argument("--vocoder-steps", type=int, default=600)
    parser.add_argument("--lm-steps", type=int, default=2000)
    parser.add_argument("--eval-examples", type=int, default=None, help="per task (default: the whole test split)")
    parser.add_argument("--ship-to", default=None, help="default: modeling_lauragpt/default_model")
    args = parser.parse_args(argv)
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)
    for stage in args.stages:
        marker = work / f"{stage}.done"
        if marker.exists():
            print(f"[{stage}] finished earlier ({marker}): skipped")
            continue
        started = time.time()
        globals()[f"stage_{stage}"](work, args)
        marker.write_text(f"{time.time() - started:.0f} s\n")
        print(f"[{stage}] done in {time.time() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
