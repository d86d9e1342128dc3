"""The CLI's one error boundary and atomic outputs: one line and exit 2 for expected failures, 130 for Ctrl-C,
--debug for the traceback, and no half-written file where an output was."""

from __future__ import annotations

import pytest
import soundfile

from modeling_lauragpt import cli
from modeling_lauragpt.atomic_files import (
    atomic_path,
    write_audio_atomic,
    write_text_atomic,
)

pytestmark = pytest.mark.reliability


def _command(error):
    def main(argv):
        raise error

    return main


@pytest.fixture
def failing(monkeypatch):
    """Make `lauragpt run` raise the given exception."""

    def install(error):
        module = type("Module", (), {"main": staticmethod(_command(error))})
        monkeypatch.setattr(cli.importlib, "import_module", lambda *args, **kwargs: module)

    return install


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad value"),
        FileNotFoundError("no such file: x.wav"),
        PermissionError("permission denied: out/"),
        OSError(28, "No space left on device"),
    ],
)
def test_expected_failures_print_one_line_and_exit_2(failing, capsys, error):
    failing(error)
    assert cli.main(["run"]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lauragpt run: error: ") and "--debug" in err


def test_ctrl_c_exits_130_without_a_traceback(failing, capsys):
    failing(KeyboardInterrupt())
    assert cli.main(["run"]) == cli.EXIT_INTERRUPTED
    assert "interrupted" in capsys.readouterr().err


def test_debug_shows_the_traceback_and_bugs_keep_theirs(failing):
    failing(ValueError("bad value"))
    with pytest.raises(ValueError, match="bad value"):
        cli.main(["run", "--debug"])
    failing(ZeroDivisionError("a bug"))
    with pytest.raises(ZeroDivisionError):
        cli.main(["run"])


def test_an_interrupted_write_leaves_the_old_output_and_no_temporary(tmp_path):
    target = write_text_atomic(tmp_path / "report.md", "the good one")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as temporary:
        temporary.write_text("half of the new")
        raise KeyboardInterrupt
    assert target.read_text() == "the good one" and [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_audio_is_written_whole(tmp_path):
    path = write_audio_atomic(tmp_path / "out" / "a.wav", [0.0, 0.5, -0.5], 16000)
    audio, rate = soundfile.read(str(path), dtype="float32")
    assert rate == 16000 and audio.tolist() == [0.0, 0.5, -0.5] and len(list(path.parent.iterdir())) == 1
