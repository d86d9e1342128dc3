"""What a training mixture teaches each task to write: the target languages of the translation tasks and the label
set of the classification tasks. The recipe stores them in the model's config (``task_languages``,
``task_labels``), so the pipeline can refuse an untrained target language and decode SER inside its labels."""

from __future__ import annotations

from ...tasks import TRANSLATION_TASKS

CLASSIFICATION_TASKS = ("ser",)  # tasks whose targets form a closed label set


def task_output_sets(rows) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(languages, labels) from canonical rows (a ``datasets.Dataset`` or a list of dicts with ``task``,
    ``language`` and ``target_text``): ``{task: sorted languages}`` for translation tasks, ``{task: sorted
    labels}`` for classification tasks. Tasks without such rows are left out."""
    columns = ("task", "language", "target_text")
    if hasattr(rows, "select_columns"):
        rows = rows.select_columns(list(columns)).to_list()
    languages: dict[str, set[str]] = {}
    labels: dict[str, set[str]] = {}
    for row in rows:
        task = row["task"]
        if task in TRANSLATION_TASKS and row.get("language"):
            languages.setdefault(task, set()).add(row["language"])
        elif task in CLASSIFICATION_TASKS and row.get("target_text"):
            labels.setdefault(task, set()).add(row["target_text"].strip())
    return (
        {task: sorted(values) for task, values in languages.items()},
        {task: sorted(values) for task, values in labels.items()},
    )


def merge_output_sets(known: dict | None, new: dict) -> dict:
    """``known`` (a config's, possibly None) with ``new`` added, per task."""
    merged = {task: set(values) for task, values in (known or {}).items()}
    for task, values in new.items():
        merged.setdefault(task, set()).update(values)
    return {task: sorted(values) for task, values in merged.items()}


__all__ = ["CLASSIFICATION_TASKS", "merge_output_sets", "task_output_sets"]
