"""Flatten the package's code into single-level ``.py`` files for Hub remote code (``trust_remote_code=True``).

transformers copies a checkpoint's code files into one folder and resolves only ``from .name import ...`` between
them, so nested packages (``modeling_lauragpt/processing/...``) and ``..`` imports break there. Starting from a few
entry modules, this collects every package module they import relatively (top-level and inside functions: the
loader scans the text for them too), and writes each one as ``<basename>.py`` with its relative imports rewritten
to the flat names, e.g. ``from ..audio_lengths import x`` -> ``from .audio_lengths import x``.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path

PACKAGE = "modeling_lauragpt"
_FROM_RELATIVE = re.compile(r"^(\s*from\s+)\.+[\w.]*(\s+import\b)")


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> list[str]:
    """Absolute names of the modules a relative ``from ... import`` in ``module`` refers to."""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    anchor = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    target = ".".join(anchor + ([node.module] if node.module else []))
    if node.module is None:  # ``from . import name``: each name is a module
        return [f"{target}.{alias.name}" for alias in node.names]
    return [target]


def _source_path(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ImportError(f"Cannot find the source of {module}; is the lauragpt package installed?")
    return Path(spec.origin)


def relative_imports(module: str) -> list[tuple[ast.ImportFrom, list[str]]]:
    """Every relative ``from`` import of ``module`` (anywhere in the file) with the modules it names."""
    path = _source_path(module)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    return [
        (node, _resolve(module, node, is_package))
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level
    ]


def module_closure(entries: list[str]) -> list[str]:
    """The entry modules and every package module they reach through relative imports, in discovery order."""
    seen, queue = [], list(entries)
    while queue:
        module = queue.pop(0)
        if module in seen:
            continue
        if _source_path(module).name == "__init__.py":
            raise ValueError(
                f"{module} is a package; flat remote code can only import modules. Import from its modules instead."
            )
        seen.append(module)
        for _, targets in relative_imports(module):
            queue += [t for t in targets if t not in seen]
    return seen


def third_party_imports(modules: list[str]) -> list[str]:
    """Top-level names of the non-standard-library packages ``modules`` import (what a user must have installed)."""
    names = set()
    for module in modules:
        for node in ast.walk(ast.parse(_source_path(module).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.add(node.module.split(".")[0])
    return sorted(n for n in names if n not in sys.stdlib_module_names and n not in ("__future__", PACKAGE))


def flat_name(module: str) -> str:
    """``modeling_lauragpt.processing.processing_lauragpt`` -> ``processing_lauragpt``."""
    return module.rsplit(".", 1)[-1]


def flat_source(module: str) -> str:
    """The module's source with each relative import pointing at the flat file of the module it names."""
    lines = _source_path(module).read_text(encoding="utf-8").splitlines(keepends=True)
    for node, targets in relative_imports(module):
        if node.module is None:
            raise ValueError(
                f"{module}:{node.lineno}: `from . import name` cannot be flattened; write `from .name import ...`."
            )
        line = lines[node.lineno - 1]
        new, count = _FROM_RELATIVE.subn(rf"\1.{flat_name(targets[0])}\2", line, count=1)
        if not count:
            raise ValueError(f"{module}:{node.lineno}: cannot rewrite the import on this line: {line.strip()!r}.")
        lines[node.lineno - 1] = new
    return "".join(lines)


def write_flat_code(folder: str | Path, entries: list[str]) -> list[str]:
    """Write the flattened closure of ``entries`` into ``folder``; returns the file names written."""
    modules = module_closure(entries)
    names = [flat_name(m) for m in modules]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise ValueError(
            f"Modules {clashes} share a basename and would overwrite each other in flat remote code; rename one."
        )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for module, name in zip(modules, names):
        (folder / f"{name}.py").write_text(flat_source(module), encoding="utf-8")
    return [f"{name}.py" for name in names]


__all__ = [
    "PACKAGE",
    "flat_name",
    "flat_source",
    "module_closure",
    "relative_imports",
    "third_party_imports",
    "write_flat_code",
]
