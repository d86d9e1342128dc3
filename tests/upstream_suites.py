"""transformers' own common test suites, taken at test time from the sdist of the installed transformers.

The test files are not in this repository: the first run downloads ``transformers==<installed>`` as a source
distribution (``pip download --no-deps --no-binary :all:``) into ``~/.cache/lauragpt/transformers-tests`` (or
``$LAURAGPT_TRANSFORMERS_TESTS``), unpacks its ``tests/*.py`` there as the package ``upstream_tests``, and later
runs import them from that cache.

The sdist ships the common mixins but not every module they import. For each one it lacks, this file writes a
minimal stand-in (and only then, so a newer sdist that has the real module uses it):

- ``generation/test_utils.py``: an empty ``GenerationTesterMixin``; generation is covered by our own tests
  (``tests/test_generation_conformance.py``);
- ``exporters/test_export.py``: an empty ``ExportTesterMixin`` (torch.export is not claimed);
- ``utils/test_configuration_utils.py``: ``config_common_kwargs = {}``, which only ``check_config_arguments_init``
  reads, and that check returns early for composite configs such as ``LauraGPTConfig``;
- ``../utils/fetch_hub_objects_for_ci.py``: ``url_to_local_path`` for the processor suite's sample media, which
  this package's processor never reads (it takes no images or videos).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import transformers

PACKAGE = "upstream_tests"
SUITES = (
    "test_modeling_common",
    "test_configuration_common",
    "test_feature_extraction_common",
    "test_sequence_feature_extraction_common",
    "test_processing_common",
)

STAND_INS = {
    "generation/test_utils.py": (
        '"""Stand-in written by lauragpt\'s tests/upstream_suites.py: the sdist has no generation tests."""\n\n\n'
        "class GenerationTesterMixin:\n    pass\n"
    ),
    "exporters/test_export.py": (
        '"""Stand-in written by lauragpt\'s tests/upstream_suites.py: the sdist has no exporter tests."""\n\n\n'
        "class ExportTesterMixin:\n    pass\n"
    ),
    "utils/test_configuration_utils.py": (
        '"""Stand-in written by lauragpt\'s tests/upstream_suites.py (read only by check_config_arguments_init,\n'
        'which skips composite configs)."""\n\nconfig_common_kwargs = {}\n'
    ),
}
HUB_FETCH_STAND_IN = (
    '"""Stand-in written by lauragpt\'s tests/upstream_suites.py: sample media stay URLs (never read here)."""\n\n\n'
    "def url_to_local_path(url, return_url_if_not_found=True):\n    return url\n"
)


def cache_root() -> Path:
    """Where the unpacked suites of the installed transformers version live."""
    base = os.environ.get("LAURAGPT_TRANSFORMERS_TESTS") or Path.home() / ".cache" / "lauragpt" / "transformers-tests"
    return Path(base) / transformers.__version__


def _download_sdist(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    found = sorted(folder.glob("transformers-*.tar.gz"))
    if found:
        return found[0]
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-binary",
        ":all:",
        "--disable-pip-version-check",
        "-q",
        "-d",
        str(folder),
        f"transformers=={transformers.__version__}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    found = sorted(folder.glob("transformers-*.tar.gz"))
    if result.returncode != 0 or not found:
        raise RuntimeError(
            f"Could not download the transformers {transformers.__version__} sdist for its common test suites "
            f"({' '.join(command)}): {result.stderr.strip()[-500:]}\nSet LAURAGPT_TRANSFORMERS_TESTS to a folder "
            "that holds it, or make the package index reachable."
        )
    return found[0]


def _unpack(sdist: Path, root: Path) -> None:
    package = root / PACKAGE
    package.mkdir(parents=True, exist_ok=True)
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            parts = Path(member.name).parts
            if len(parts) == 3 and parts[1] == "tests" and parts[2].endswith(".py") and member.isfile():
                (package / parts[2]).write_bytes(archive.extractfile(member).read())
    for relative, text in STAND_INS.items():
        target = package / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    for folder in {package, *((package / relative).parent for relative in STAND_INS)}:
        (folder / "__init__.py").touch()
    hub_fetch = root / "utils" / "fetch_hub_objects_for_ci.py"
    if not hub_fetch.exists():
        hub_fetch.parent.mkdir(parents=True, exist_ok=True)
        hub_fetch.write_text(HUB_FETCH_STAND_IN)


def add_model_names(module, model_type: str, **mapping_entries: str) -> None:
    """Put our classes into the suite module's copies of transformers' model-name mappings, as an in-tree model's
    names are (``MODEL_MAPPING_NAMES=LauraGPTModel``: a base model, no loss; ``MODEL_FOR_CAUSAL_LM_MAPPING_NAMES=...``:
    gets labels from ``_prepare_for_class``). Only the suite module's names change; transformers' own mappings, which
    the Auto classes read, are left alone."""
    for mapping_name, class_name in mapping_entries.items():
        setattr(module, mapping_name, {**getattr(module, mapping_name), model_type: class_name})


def upstream_suite(name: str):
    """The module ``tests/<name>.py`` of the installed transformers' sdist (downloaded and unpacked once)."""
    if name not in SUITES:
        raise ValueError(f"{name!r} is not one of the suites this package runs: {', '.join(SUITES)}")
    root = cache_root()
    if not (root / PACKAGE / f"{name}.py").is_file():
        _unpack(_download_sdist(root / "sdist"), root)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return importlib.import_module(f"{PACKAGE}.{name}")
