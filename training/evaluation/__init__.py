"""Evaluation harness: run a LauraGPT model on held-out examples of each task and score it as the paper does.

    from modeling_lauragpt.training.evaluation import evaluate_model
    results = evaluate_model("path/to/model", "path/to/data", tasks=["asr", "tts"], output_dir="eval_out")

or ``lauragpt eval --model DIR --data DIR --output-dir OUT`` (``modeling_lauragpt/cli/eval.py``). Modules:

- ``examples``: canonical dataset rows -> ``EvalItem`` (decoded audio, references);
- ``runner``: the loop (``evaluate_model``), batched ``pipeline("lauragpt")`` calls;
- ``scoring``: per-task metrics from ``training.metrics``;
- ``tts_intelligibility``: pocketsphinx as the independent judge of generated speech;
- ``speaker_similarity``: Resemblyzer SECS (optional);
- ``report`` and ``plots``: results.json, results.md, predictions, spectrograms, training curves.
"""

from .examples import EvalItem, dataset_tasks, load_items
from .report import markdown_table, write_report
from .runner import EvalConfig, build_pipeline, evaluate_model, evaluate_task
from .scoring import SCORED_TASKS, ScoreOptions, TaskScores, score_task
from .tts_intelligibility import (
    PocketsphinxRecognizer,
    intelligibility,
    require_pocketsphinx,
)

__all__ = [
    "SCORED_TASKS",
    "EvalConfig",
    "EvalItem",
    "PocketsphinxRecognizer",
    "ScoreOptions",
    "TaskScores",
    "build_pipeline",
    "dataset_tasks",
    "evaluate_model",
    "evaluate_task",
    "intelligibility",
    "load_items",
    "markdown_table",
    "require_pocketsphinx",
    "score_task",
    "write_report",
]
