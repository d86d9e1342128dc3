"""The ``lauragpt`` console script, run the way a user runs it: in a subprocess."""

from __future__ import annotations

import subprocess
import sys


def _run(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "modeling_lauragpt.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_help_lists_commands_and_unknown_command_fails(tmp_path):
    help_text = _run("--help", cwd=tmp_path)
    assert help_text.returncode == 0 and "demo" in help_text.stdout
    assert _run("dance", cwd=tmp_path).returncode == 2
