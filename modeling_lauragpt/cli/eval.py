"""``lauragpt eval``: generation-based per-task metrics of a LauraGPT model on a canonical dataset.

    lauragpt eval --model DIR --data DIR --split test [--tasks asr tts ...] [--max-examples N]
                  [--batch-size B] --output-dir OUT

writes OUT/results.json, OUT/results.md, OUT/predictions/<task>.jsonl, OUT/audio/<task>/*.wav and
OUT/plots/*.png (see ``training/evaluation/report.py``), and prints the markdown table.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import InvalidInputError
from ..training.evaluation.scoring import SCORED_TASKS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lauragpt eval",
        description="Run a LauraGPT model on the examples of each task and score its outputs with the paper's metrics "
        "(asr WER/CER, s2tt/mt BLEU, tts pocketsphinx WER + speaker similarity, se PESQ/STOI/SI-SDR, "
        "aac BLEU/ROUGE-L/CIDEr-D/METEOR, ser WA/UA/WF1, slu accuracy/SLU-F1).",
    )
    parser.add_argument("--model", required=True, help="model folder (with vocoder/ for tts and se) or Hub id")
    parser.add_argument("--data", required=True, help="dataset folder <data>/<task>/<split>-*.parquet, or a Hub id")
    parser.add_argument("--split", default="test", help="split to evaluate (default: test)")
    parser.add_argument(
        "--tasks",
        nargs="+",
        choices=SCORED_TASKS,
        metavar="TASK",
        help=f"tasks to evaluate, of: {' '.join(SCORED_TASKS)} (default: every task found in the data)",
    )
    parser.add_argument("--max-examples", type=int, help="evaluate at most this many examples per task")
    parser.add_argument("--batch-size", type=int, default=8, help="examples per generate() call (default: 8)")
    parser.add_argument("--output-dir", required=True, help="folder for results.json, results.md, predictions, plots")
    parser.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: cuda when available)")
    parser.add_argument(
        "--max-new-tokens", type=int, help="generation length limit of every task (pipeline defaults otherwise)"
    )
    parser.add_argument("--min-new-tokens", type=int, help="minimum generation length of every task")
    parser.add_argument(
        "--seed", type=int, default=0, help="torch seed set before each task (codec outputs are sampled)"
    )
    parser.add_argument(
        "--tts-prompt",
        choices=("none", "same-speaker"),
        default="none",
        help="same-speaker: zero-shot TTS, each text prompted with another utterance of its speaker",
    )
    parser.add_argument(
        "--trainer-state",
        help="trainer_state.json to plot training curves from (default: <model>/trainer_state.json when present)",
    )
    parser.add_argument(
        "--num-spectrograms", type=int, default=2, help="examples per tts/se spectrogram figure (0: none)"
    )
    parser.add_argument("--no-meteor", action="store_true", help="skip METEOR for aac (it starts Java, ~10 s)")
    parser.add_argument(
        "--no-speaker-similarity", action="store_true", help="skip the Resemblyzer speaker similarity of tts"
    )
    parser.add_argument(
        "--whisper-judge",
        metavar="DIR",
        help="a Whisper folder (lauragpt convert whisper-tiny-en DIR): a second "
        "recogniser of tts/se speech, and its own WER beside the model's on the asr clips",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.batch_size < 1 or (args.max_examples is not None and args.max_examples < 1):
        raise InvalidInputError("--batch-size and --max-examples must be at least 1")
    from ..training.evaluation.report import markdown_table
    from ..training.evaluation.runner import evaluate_model

    generate_kwargs = {
        k: v
        for k, v in (("max_new_tokens", args.max_new_tokens), ("min_new_tokens", args.min_new_tokens))
        if v is not None
    }
    results = evaluate_model(  # refusals go to lauragpt's error boundary (modeling_lauragpt/cli/__init__.py)
        args.model,
        args.data,
        tasks=args.tasks,
        split=args.split,
        max_examples=args.max_examples,
        batch_size=args.batch_size,
        output_dir=args.output_dir,
        generate_kwargs=generate_kwargs,
        device=args.device,
        trainer_state=args.trainer_state,
        num_spectrograms=args.num_spectrograms,
        seed=args.seed,
        tts_prompt=args.tts_prompt,
        meteor=not args.no_meteor,
        speaker_similarity=not args.no_speaker_similarity,
        whisper_judge=args.whisper_judge,
    )
    print(markdown_table(results), end="")
    print(f"\nwrote {args.output_dir}/results.json, results.md, predictions/, plots/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
