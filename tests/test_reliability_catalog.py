"""The reliability catalogue (``scripts/reliability_catalog.py``), its ``--quick`` subset: every bad or
unusual input gives a clear error or a correct result, never a deep traceback, a silent wrong result, an unclear or
buried message, a resource blow-up or a lost file. A second test checks that the classifier notices each of those."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

from modeling_lauragpt.errors import InvalidInputError

pytestmark = pytest.mark.reliability
SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "reliability_catalog.py"


@pytest.fixture(scope="module")
def catalog():
    """The script as a module (it is no package: loaded from its path, not through sys.path)."""
    spec = importlib.util.spec_from_file_location("reliability_catalog", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look up their module here
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_the_quick_catalogue_has_no_bad_outcome(catalog):
    records = catalog.run_catalog(quick=True)
    assert len(records) >= 35 and {r.area for r in records} == {
        "pipeline",
        "processor",
        "feature extractor",
        "loading",
        "cli",
    }
    bad = [r for r in records if r.bad]
    assert not bad, "\n" + catalog.report(records)


class _StubEnv:
    """What ``run_case`` needs of the shared model, for cases that never touch it."""

    def __init__(self, root: Path):
        self.root = root

    @staticmethod
    def model_damage() -> list[str]:
        return []


def _raise(error):
    def run():
        raise error

    return run


def _multi_line_refusal(argv):
    raise InvalidInputError("first line\nsecond line")


def _bug(argv):
    raise ZeroDivisionError("a bug")


def test_the_classifier_flags_each_bad_outcome(catalog, tmp_path):
    A, C = catalog.Action, catalog.Case
    cases = {
        catalog.CLEAR: C(
            "t", "our refusal", catalog.REFUSE, lambda ctx: A(_raise(InvalidInputError("bad rate: pass 16000")))
        ),
        catalog.UNCLEAR: C("t", "a bare KeyError", catalog.REFUSE, lambda ctx: A(_raise(KeyError("x")))),
        catalog.DEEP: C(
            "t", "torch's RuntimeError", catalog.REFUSE, lambda ctx: A(lambda: torch.zeros(2) @ torch.zeros(3))
        ),
        catalog.SILENT: C("t", "accepted", catalog.REFUSE, lambda ctx: A(lambda: "garbage")),
        catalog.REFUSED_VALID: C(
            "t", "valid input refused", catalog.OK, lambda ctx: A(_raise(InvalidInputError("no")))
        ),
        catalog.LOST: C("t", "a user file deleted", catalog.OK, lambda ctx: A(ctx.file("mine.txt", "my notes").unlink)),
        catalog.CATALOG_ERROR: C("t", "broken setup", catalog.OK, lambda ctx: 1 / 0),
    }
    cli_cases = {
        catalog.UNCLEAR: catalog.run_cli(["run"], replace_main=_multi_line_refusal),
        catalog.DEEP: catalog.run_cli(["run"], replace_main=_bug),
        catalog.SILENT: catalog.run_cli(["run"], replace_main=lambda argv: 0),
    }
    env = _StubEnv(tmp_path)
    for outcome, case in cases.items():
        assert catalog.run_case(case, env).outcome == outcome, case.name
    for outcome, action in cli_cases.items():
        record = catalog.run_case(C("t", f"cli {outcome}", catalog.REFUSE, lambda ctx, action=action: action), env)
        assert record.outcome == outcome, record
