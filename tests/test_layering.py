"""Layering (docs/development.md): model code never imports processing/, training/ or the apps, and processing/
never imports training/ or the apps. Read from the source, so a lazy import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODEL_FILES = sorted(
    path
    for pattern in (
        "configuration_*.py",
        "modeling_*.py",
        "audio*.py",
        "codec.py",
        "vocabulary.py",
        "tasks.py",
        "generation_lauragpt.py",
        "vocoder_conditions.py",
        "pretrained_model.py",
        "model_folder.py",
        "positional_encoding.py",
        "slu_format.py",
        "errors.py",
        "atomic_files.py",
        "presets.py",
    )
    for path in (ROOT / "modeling_lauragpt").glob(pattern)
)
PROCESSING_FILES = sorted((ROOT / "processing").glob("*.py"))
APPS = ("cli", "pipeline_loading", "demo", "web_demo", "figures")
# (file, imported module): the one deliberate exception, a lazy import behind a convenience classmethod
# (LauraGPTForConditionalGeneration.from_pretrained_components builds a model *and* its processor from parts)
ALLOWED = {("modeling_lauragpt.py", "conversion.assembly")}


def _imported_modules(path: Path) -> list[str]:
    """The package-relative names a module imports (``from ..processing.x import y`` -> ``processing.x``)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 0 and module.startswith("modeling_lauragpt"):
                names.append(module.removeprefix("modeling_lauragpt").lstrip("."))
            elif node.level:
                names.append(module)
        elif isinstance(node, ast.Import):
            names += [
                alias.name.removeprefix("modeling_lauragpt").lstrip(".")
                for alias in node.names
                if alias.name.startswith("modeling_lauragpt.")
            ]
    return names


def _offending(files, forbidden) -> list[str]:
    found = []
    for path in files:
        for module in _imported_modules(path):
            top = module.split(".")[0]
            if top in forbidden and (path.name, module) not in ALLOWED:
                found.append(f"{path.relative_to(ROOT)} imports {module}")
    return found


def test_the_model_layer_lists_real_files():
    names = {path.name for path in MODEL_FILES}
    assert {"modeling_lauragpt.py", "codec.py", "audio.py", "audio_lengths.py", "configuration_lauragpt.py"} <= names


@pytest.mark.parametrize(
    "files, forbidden",
    [
        (MODEL_FILES, {"processing", "training", "conversion", "bench", *APPS}),
        (PROCESSING_FILES, {"training", "conversion", "bench", *APPS}),
    ],
    ids=["model", "processing"],
)
def test_lower_layers_never_import_higher_ones(files, forbidden):
    assert _offending(files, forbidden) == []
