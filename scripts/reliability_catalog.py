"""The reliability catalogue: bad or unusual inputs, tried as a new user would, each outcome classified.

    python scripts/reliability_catalog.py                     # every case (about 320; under a minute on 2 cores)
    python scripts/reliability_catalog.py --quick             # a representative subset (about 40 cases)
    python scripts/reliability_catalog.py --json catalog.json # also write every case's record

It saves a TINY LauraGPT (model + processor + ``vocoder/``) in a temporary folder, then runs each case: a small
function that sets the case up (the files it makes are the "user files") and returns the action to try, with a
declared EXPECTED outcome:

- ``refuse``: the action must raise lauragpt's ``LauraGPTError``, or a ``ValueError``/``OSError`` raised by
  lauragpt's own code, with a message; a CLI command must exit 2 with one error line and no traceback;
- ``ok``: the action must succeed (and its check, when it has one, hold);
- ``either``: a clear refusal and a success are both right (e.g. a 10,000-character text may or may not fit).

Outcomes: clear error, correct handling, warned (success with a logged warning) are good;
deep traceback (another library's frame or exception type instead of our message), silent wrong result (accepted
where it should be refused, or a failed check), unclear error (a bare KeyError/IndexError/OverflowError..., an
empty message, or a CLI error of several lines), buried message (a clear line under a traceback), resource blow-up
(over 10 s or 2 GB more peak memory), file lost (a user file changed or gone), and the catalogue's own two, refused
valid input (an ``ok`` case refused) and catalogue error (a case's setup failed), are bad. The exit status is 0
when no case is bad, else 1.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import io
import json
import logging
import math
import os
import re
import resource
import shutil
import signal
import struct
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import soundfile
import torch
import transformers

import modeling_lauragpt
from modeling_lauragpt import cli, errors
from modeling_lauragpt.errors import LauraGPTError

REFUSE, OK, EITHER = "refuse", "ok", "either"
CLEAR, CORRECT, WARNED = "clear error", "correct handling", "warned"
DEEP, SILENT, UNCLEAR, BURIED = "deep traceback", "silent wrong result", "unclear error", "buried message"
BLOWUP, LOST, REFUSED_VALID, CATALOG_ERROR = "resource blow-up", "file lost", "refused valid input", "catalogue error"
OUTCOMES = (CLEAR, CORRECT, WARNED, DEEP, SILENT, UNCLEAR, BURIED, BLOWUP, LOST, REFUSED_VALID, CATALOG_ERROR)
GOOD = frozenset({CLEAR, CORRECT, WARNED})
BAD = tuple(o for o in OUTCOMES if o not in GOOD)

MAX_SECONDS, MAX_GROWTH_MB, HARD_LIMIT_S = 10.0, 2048, 120  # blow-up thresholds; a case is stopped after HARD_LIMIT_S
ADDRESS_SPACE_HEADROOM = (
    6 * 2**30
)  # bytes of address space a case may add (RLIMIT_AS): a blow-up fails, not the machine
OUT_OF_MEMORY = ("can't allocate memory", "not enough memory", "cannot allocate memory", "out of memory")
RATE, MAX_DURATION_S, FEW = 16000, 20.0, {"max_new_tokens": 3}  # the tiny model's clip limit; short generations
LANGUAGES, LABELS = {"s2tt": ["de"], "mt": ["de"]}, {"ser": ["angry", "happy", "neutral", "sad"]}
SENTENCES = [
    "hello world",
    "please enter your password followed by the pound key",
    "the conference is now locked",
    "turn on the kitchen lights",
    "set an alarm for seven in the morning",
    "a dog barks while a bell rings",
    "guten tag und willkommen",
    "the quick brown fox jumps over the lazy dog",
    "angry happy neutral sad",
]
# lauragpt's own source folders: an exception raised there is "ours" (modeling_lauragpt.processing/.training/.bench
# are installed from top-level folders, so each package's folder is listed)
OUR_DIRS = tuple(
    str(Path(importlib.import_module(name).__file__).parent) + os.sep
    for name in (
        "modeling_lauragpt",
        "modeling_lauragpt.processing",
        "modeling_lauragpt.training",
        "modeling_lauragpt.bench",
    )
)
LAURAGPT_ERRORS = tuple(name for name in dir(errors) if name.endswith("Error"))
BARE_TYPES = (KeyError, IndexError, OverflowError, ZeroDivisionError, AssertionError, AttributeError, StopIteration)


class Tripwire(BaseException):
    """Raised by a patched step a refusing command must never reach (training, synthesis, a server): it escapes
    every ``except Exception`` so the case sees that the command went on."""


class CaseTimeout(BaseException):
    """The case ran past ``HARD_LIMIT_S``."""


def clip(seconds: float = 1.0, seed: int = 0, rate: int = RATE) -> np.ndarray:
    """A reproducible speech-like clip: a gliding harmonic tone with a little noise, float32 in [-1, 1]."""
    t = np.arange(int(seconds * rate)) / rate
    phase = 2 * np.pi * np.cumsum(120 + 40 * seed + 80 * t) / rate
    wave = sum(np.sin(k * phase) / k for k in range(1, 5)) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))
    return (0.3 * wave + 0.02 * np.random.default_rng(seed).standard_normal(len(t))).astype(np.float32)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------------------------------ the tiny model
def build_tiny_model(folder: Path) -> None:
    """A tiny LauraGPT with its processor and vocoder, saved in ``folder`` (as the tests' fixtures build it), with the
    default model's ``task_languages`` and ``task_labels`` and a 20 s clip limit (so a too-long clip is cheap)."""
    from modeling_lauragpt import (
        LauraGPTConfig,
        LauraGPTFeatureExtractor,
        LauraGPTForConditionalGeneration,
        LauraGPTProcessor,
    )
    from modeling_lauragpt.configuration_vocoder import LauraGPTVocoderConfig
    from modeling_lauragpt.modeling_vocoder import LauraGPTVocoder
    from modeling_lauragpt.processing.tokenizer_utils import train_text_tokenizer

    tokenizer = train_text_tokenizer(SENTENCES, vocab_size=160)
    processor = LauraGPTProcessor(LauraGPTFeatureExtractor(max_duration_s=MAX_DURATION_S), tokenizer)
    config = LauraGPTConfig.from_processor(processor, "tiny")
    config.task_languages, config.task_labels = LANGUAGES, LABELS
    torch.manual_seed(0)
    LauraGPTForConditionalGeneration(config).eval().save_pretrained(folder)
    processor.save_pretrained(folder)
    vocoder_config = LauraGPTVocoderConfig.from_preset("tiny", text_vocab_size=processor.vocabulary.text_vocab_size)
    LauraGPTVocoder(vocoder_config).eval().save_pretrained(folder / "vocoder")


class Env:
    """What every case shares: the saved tiny model and, loaded once on first use, its pipeline and processor."""

    def __init__(self, root: Path):
        self.root, self.model_dir = root, root / "tiny_lauragpt"
        build_tiny_model(self.model_dir)
        self.model_hashes = snapshot(self.model_dir)
        self._pipe = self._processor = None

    @property
    def vocoder_dir(self) -> Path:
        return self.model_dir / "vocoder"

    @property
    def pipe(self):
        if self._pipe is None:
            self._pipe = transformers.pipeline("lauragpt", model=str(self.model_dir), device="cpu")
        return self._pipe

    @property
    def processor(self):
        if self._processor is None:
            self._processor = modeling_lauragpt.LauraGPTProcessor.from_pretrained(str(self.model_dir))
        return self._processor

    def model_damage(self) -> list[str]:
        """Files of the shared model folder changed or gone (then the folder is rebuilt for the next cases)."""
        now = snapshot(self.model_dir)
        damage = [
            f"{p} {'changed' if p in now else 'vanished'}" for p, h in self.model_hashes.items() if now.get(p) != h
        ]
        if damage:
            shutil.rmtree(self.model_dir, ignore_errors=True)
            build_tiny_model(self.model_dir)
            self.model_hashes, self._pipe, self._processor = snapshot(self.model_dir), None, None
        return damage


class Ctx:
    """One case's folder (also its working directory) and the user files it made, hashed when made."""

    def __init__(self, folder: Path, env: Env):
        self.dir, self.env, self.user = folder, env, {}

    def path(self, name: str) -> Path:
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def keep(self, path: Path) -> Path:
        """Register a file, or every file under a folder, as the user's: it must survive the case unchanged."""
        for file in [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()):
            self.user[str(file)] = sha256(file)
        return path

    def file(self, name: str, data: bytes | str) -> Path:
        path = self.path(name)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return self.keep(path)

    def wav(self, name: str, audio=None, rate: int = RATE) -> Path:
        path = self.path(name)
        soundfile.write(str(path), clip() if audio is None else audio, rate)
        return self.keep(path)

    def model_copy(self, name: str = "my_model") -> Path:
        return self.keep(shutil.copytree(self.env.model_dir, self.path(name)))

    def lost(self) -> list[str]:
        return [
            f"{p} {'changed' if Path(p).exists() else 'vanished'}"
            for p, h in self.user.items()
            if not Path(p).is_file() or sha256(Path(p)) != h
        ]


# ----------------------------------------------------------------------------------------------- actions
@dataclass
class Action:
    """What a case tries: ``run()``; ``check(result)`` returns a problem (str) or None; ``cli`` marks a CLI run."""

    run: Callable[[], Any]
    check: Callable[[Any], str | None] | None = None
    cli: bool = False
    exit_code: int = 0  # the exit status of a CLI case expected to succeed (130 for Ctrl-C)
    message_has: str | None = None  # a refusal's message must name this (case-insensitive)


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str
    error: BaseException | None = None  # what the command raised into the error boundary, if anything


def call(function, *args, check=None, message_has=None, **kwargs) -> Action:
    return Action(lambda: function(*args, **kwargs), check=check, message_has=message_has)


def run_cli(argv: list[str], check=None, message_has=None, exit_code=0, replace_main=None, tripwires=()) -> Action:
    """``cli.main(argv)`` in-process with stdout/stderr captured. The command module's ``main`` is wrapped so the
    exception it hands the error boundary is kept (for its origin); ``replace_main`` swaps it (Ctrl-C);
    ``tripwires`` are ``(object, attribute)`` steps that raise ``Tripwire`` if the command reaches them."""

    def action() -> CliResult:
        seen: list[BaseException] = []
        real_import = cli.importlib.import_module

        def import_module(
            name, package=None
        ):  # cli's own view of importlib only: transformers' lazy imports use it too
            real = replace_main or real_import(name, package).main

            def main(args):
                try:
                    return real(args)
                except BaseException as error:
                    seen.append(error)
                    raise

            return type("Command", (), {"main": staticmethod(main)})

        out, err = io.StringIO(), io.StringIO()
        with contextlib.ExitStack() as stack:
            for owner, attribute in tripwires:
                tripped = _tripwire(f"{getattr(owner, '__name__', owner)}.{attribute}")
                original = getattr(owner, attribute)  # a table of steps (a dict) gets a tripwire per entry
                stack.enter_context(
                    _patched(
                        owner, attribute, dict.fromkeys(original, tripped) if isinstance(original, dict) else tripped
                    )
                )
            stack.enter_context(
                _patched(cli, "importlib", type("importlib", (), {"import_module": staticmethod(import_module)}))
            )
            stack.enter_context(contextlib.redirect_stdout(out))
            stack.enter_context(contextlib.redirect_stderr(err))
            try:
                code = cli.main(list(argv))
            except SystemExit as exit_:  # argparse
                code = exit_.code if isinstance(exit_.code, int) else 2
        return CliResult(code, out.getvalue(), err.getvalue(), seen[-1] if seen else None)

    return Action(action, check=check, cli=True, exit_code=exit_code, message_has=message_has)


def _tripwire(name: str):
    def tripped(*args, **kwargs):
        raise Tripwire(f"{name} was reached: the command went on instead of refusing")

    return tripped


@contextlib.contextmanager
def _patched(owner, attribute: str, value):
    old = getattr(owner, attribute)
    setattr(owner, attribute, value)
    try:
        yield
    finally:
        setattr(owner, attribute, old)


def _interrupt(argv):
    raise KeyboardInterrupt


# -------------------------------------------------------------------------------------------- classifying
def origin(error: BaseException) -> str:
    """``file:line`` of the innermost Python frame of the exception's traceback."""
    frames = traceback.extract_tb(error.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"


def refusal_kind(error: BaseException) -> str:
    """CLEAR for lauragpt's own exception, or a ValueError/OSError raised by lauragpt's code (or an OSError of the
    system naming its file) with a message; UNCLEAR for a bare KeyError/IndexError/... or an empty message; DEEP
    for anything else (a torch/transformers/soundfile frame or type)."""
    message = str(error).strip().strip("'\"")
    if "Traceback (most recent call last)" in message:  # e.g. transformers' pipeline() quoting the errors it caught
        return BURIED if any(name in message for name in LAURAGPT_ERRORS) else DEEP
    if isinstance(error, BARE_TYPES) or not message:
        return UNCLEAR
    if isinstance(error, LauraGPTError):
        return CLEAR
    ours = origin(error).startswith(OUR_DIRS)
    if isinstance(error, (ValueError, OSError)) and (ours or getattr(error, "filename", None)):
        return CLEAR
    return DEEP


PROGRESS_BAR = re.compile(
    r"\d+%\||[\d?.]+ ?(it|examples|s)/s\]"
)  # tqdm lines (datasets, transformers): no error output


def _error_lines(stderr: str) -> list[str]:
    return [line for line in re.split(r"[\r\n]+", stderr) if line.strip() and not PROGRESS_BAR.search(line)]


def _argparse_refusal(lines: list[str]) -> bool:
    """argparse's refusal: its usage block, then ``PROG: error: ...``."""
    return bool(lines) and ": error: " in lines[-1] and all(l.startswith(("usage:", " ")) for l in lines[:-1])


def classify_cli(expected: str, action: Action, result: CliResult) -> tuple[str, str]:
    text = result.stdout + result.stderr
    lines = _error_lines(result.stderr)
    if isinstance(result.error, Tripwire):
        return SILENT, str(result.error)
    if "Traceback (most recent call last)" in text:
        return (BURIED if ": error: " in text else DEEP), text[-400:]
    if result.code == action.exit_code and (expected != REFUSE or action.exit_code != 0):
        return _checked(action, result, lines[-1] if lines else "")
    if result.code == 2 and expected in (REFUSE, EITHER):
        message = lines[-1] if lines else ""
        if len(lines) != 1 and not _argparse_refusal(lines):
            return UNCLEAR, f"{len(lines)} stderr lines: {' | '.join(lines)[:300]}"
        if (
            result.error is not None
            and not isinstance(result.error, SystemExit)
            and refusal_kind(result.error) != CLEAR
        ):
            return UNCLEAR, f"{type(result.error).__name__} from {origin(result.error)}: {message}"
        return _message_named(action, message)
    if result.code == 0 and expected == REFUSE:
        return SILENT, f"exit 0: {(result.stdout.strip().splitlines() or [''])[-1][:200]}"
    if result.code == 2:
        return REFUSED_VALID, lines[-1] if lines else ""
    return DEEP, f"exit {result.code}: {result.stderr.strip()[-300:]}"


def _checked(action: Action, result, note: str = "") -> tuple[str, str]:
    problem = action.check(result) if action.check else None
    return (SILENT, f"check failed: {problem}") if problem else (CORRECT, note)


def _message_named(action: Action, message: str) -> tuple[str, str]:
    if action.message_has and action.message_has.lower() not in message.lower():
        return UNCLEAR, f"the message does not name {action.message_has!r}: {message}"
    return CLEAR, message


def classify(expected: str, action: Action, result=None, error: BaseException | None = None) -> tuple[str, str]:
    if isinstance(error, Tripwire):
        return SILENT, str(error)
    if action.cli and error is not None:  # it escaped the error boundary: a user sees its traceback and exit 1
        return (
            DEEP,
            f"{type(error).__name__} escaped the CLI's error boundary: {str(error)[:200]} (raised at {origin(error)})",
        )
    if error is None:
        if action.cli:
            return classify_cli(expected, action, result)
        if expected == REFUSE:
            return SILENT, f"accepted, gave {_short(result)}"
        return _checked(action, result, _short(result))
    kind, message = refusal_kind(error), f"{type(error).__name__}: {str(error)[:300]}"
    if kind != CLEAR:
        return kind, f"{message} (raised at {origin(error)})"
    if expected == OK:
        return REFUSED_VALID, message
    outcome, detail = _message_named(action, str(error))
    return outcome, (detail if outcome != CLEAR else message)


def _short(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return f"{type(value).__name__}{tuple(value.shape)}"
    if isinstance(value, (list, tuple)):
        return f"[{', '.join(_short(v) for v in value[:3])}{', ...' if len(value) > 3 else ''}]"
    return repr(value)[:80]


# ------------------------------------------------------------------------------------------------- running
@dataclass
class Case:
    area: str
    name: str
    expected: str
    build: Callable[[Ctx], Action]
    quick: bool = False
    note: str | None = None  # why a case is known to fail (a limit outside lauragpt)


@dataclass
class Record:
    area: str
    name: str
    expected: str
    outcome: str
    detail: str
    seconds: float
    memory_growth_mb: float
    warnings: list[str] = field(default_factory=list)
    files_lost: list[str] = field(default_factory=list)
    quick: bool = False
    note: str | None = None

    @property
    def bad(self) -> bool:
        return self.outcome not in GOOD


CASES: list[Case] = []


# the --quick subset (the test's): one or two cases of each kind of input, each command and each kind of file risk
QUICK = {
    "pipeline": {
        "audio all-NaN",
        "audio amplitude 1e20",
        "audio int16",
        "audio uint8",
        "audio stereo (2, N)",
        "sampling_rate 0",
        "sampling_rate '16000' (a string)",
        "sampling_rate 22051",
        "1 Hz WAV header",
        "too-long clip without chunk_length_s",
        "too-long clip with chunk_length_s=10",
        "chunk_length_s='abc'",
        "unknown task 'bogus'",
        "mt without language",
        "s2tt language 'xx' (not trained)",
        "tts text ''",
        "max_new_tokens='5'",
        "unknown generate kwarg foo_bar=1",
        "batch_size='2'",
        "a list of a good clip and a NaN clip",
        "a WAV truncated inside its header",
        "SER labels always in the label set",
    },
    "processor": {"padding='max_length' without max_length", "return_tensors='xx'"},
    "feature extractor": {"audio 5-channel (5, N)"},
    "loading": {
        "from_pretrained with truncated model.safetensors",
        "from_pretrained with config.json holding {}",
        "pipeline device='cuda' without a GPU",
    },
    "cli": {
        "run: -o equal to the input",
        "run: take.wav + take.flac get distinct outputs",
        "run: --output-dir equal to the input folder",
        "run: an existing output without --overwrite",
        "run: an unknown --task",
        "train: a YAML config holding a list",
        "train: an output dir holding another model's weights",
        "export-hub: a user's non-empty folder with --overwrite",
        "build-demo-data: a user's non-empty folder with --overwrite",
        "finetune: a corpus without the task",
        "an unknown command",
        "Ctrl-C during run",
    },
}


def add(area: str, name: str, expected: str, build: Callable[[Ctx], Action], note: str | None = None) -> None:
    CASES.append(Case(area, name, expected, build, name in QUICK.get(area, ()), note))


class _Warnings(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage()[:200])


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _on_alarm(signum, frame):
    raise CaseTimeout(f"stopped after {HARD_LIMIT_S} s")


@contextlib.contextmanager
def _address_space_cap():
    """Limit the address space to what the process has now plus ``ADDRESS_SPACE_HEADROOM``, so that a case which
    tries to allocate tens of GB (a default-size model built from a broken config) gets MemoryError, not the OOM
    killer."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    status = Path("/proc/self/status")
    if not status.exists():
        yield
        return
    size = next(int(line.split()[1]) * 1024 for line in status.read_text().splitlines() if line.startswith("VmSize:"))
    cap = size + ADDRESS_SPACE_HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _out_of_memory(error: BaseException | None) -> bool:
    return isinstance(error, MemoryError) or (
        isinstance(error, RuntimeError) and any(text in str(error).lower() for text in OUT_OF_MEMORY)
    )


def run_case(spec: Case, env: Env) -> Record:
    handler, root = _Warnings(), logging.getLogger()
    logging.Logger.warning_once.cache_clear()  # transformers' warning_once: let every case see its own warnings
    with (
        tempfile.TemporaryDirectory(prefix="case_", dir=env.root) as folder,
        contextlib.chdir(folder),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        root.addHandler(handler)
        ctx = Ctx(Path(folder), env)
        result = error = None
        peak, started = _peak_mb(), time.perf_counter()
        try:
            action = spec.build(ctx)
        except Exception as setup_error:  # noqa: BLE001  (a broken case, not a finding about lauragpt)
            root.removeHandler(handler)
            return Record(
                spec.area,
                spec.name,
                spec.expected,
                CATALOG_ERROR,
                f"setup: {setup_error!r}",
                0.0,
                0.0,
                quick=spec.quick,
                note=spec.note,
            )
        timed = threading.current_thread() is threading.main_thread()  # signals reach the main thread only
        if timed:
            previous = signal.signal(signal.SIGALRM, _on_alarm)
            signal.alarm(HARD_LIMIT_S)
        try:
            with _address_space_cap():
                result = action.run()
        except (Exception, Tripwire, CaseTimeout, KeyboardInterrupt) as raised:  # noqa: BLE001
            error = raised
        finally:
            if timed:
                signal.alarm(0)
                signal.signal(signal.SIGALRM, previous)
            root.removeHandler(handler)
        seconds, growth = time.perf_counter() - started, max(0.0, _peak_mb() - peak)
        if isinstance(error, CaseTimeout) or _out_of_memory(error):
            outcome, detail = BLOWUP, f"{type(error).__name__}: {str(error)[:200]} (raised at {origin(error)})"
        else:
            try:
                outcome, detail = classify(spec.expected, action, result, error)
            except Exception as check_error:  # noqa: BLE001  (a check that raised: the result was not what it expected)
                outcome, detail = SILENT, f"check raised {check_error!r}"
        found = handler.messages + [str(w.message)[:200] for w in caught]
        if outcome == CORRECT and found:
            outcome = WARNED
        if outcome in GOOD and (seconds > MAX_SECONDS or growth > MAX_GROWTH_MB):
            outcome, detail = BLOWUP, f"{seconds:.1f} s, {growth:.0f} MB more peak memory; {detail}"
        lost = ctx.lost() + env.model_damage()
        if lost:
            outcome, detail = LOST, f"{'; '.join(lost)[:300]} ({outcome}: {detail})"
    return Record(
        spec.area,
        spec.name,
        spec.expected,
        outcome,
        detail,
        round(seconds, 3),
        round(growth, 1),
        found[:5],
        lost,
        spec.quick,
        spec.note,
    )


def run_catalog(
    quick: bool = False,
    names: list[str] | None = None,
    areas: list[str] | None = None,
    log: Callable[[str], None] | None = None,
) -> list[Record]:
    """Run the catalogue (the ``quick`` subset, or the cases of ``areas`` whose name contains one of ``names``); one
    record per case."""
    selected = [
        c
        for c in CASES
        if (c.quick or not quick) and (not names or any(n in c.name for n in names)) and (not areas or c.area in areas)
    ]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    transformers.utils.logging.disable_progress_bar()  # progress bars are no error output
    datasets.disable_progress_bars()
    records = []
    try:
        with tempfile.TemporaryDirectory(prefix="lauragpt_catalog_") as root:
            env = Env(Path(root))
            for spec in selected:
                records.append(run_case(spec, env))
                if log:
                    r = records[-1]
                    log(f"[{len(records):3}/{len(selected)}] {r.outcome:20} {r.seconds:5.1f}s  {r.area}: {r.name}")
    finally:
        torch.set_num_threads(threads)
        transformers.utils.logging.enable_progress_bar()
        datasets.enable_progress_bars()
    return records


def report(records: list[Record]) -> str:
    counts = Counter(r.outcome for r in records)
    lines = [f"{len(records)} cases", "", f"| {'outcome':20} | count |", f"|{'-' * 22}|-------|"]
    lines += [f"| {outcome:20} | {counts.get(outcome, 0):5} |" for outcome in OUTCOMES]
    bad = [r for r in records if r.bad]
    if bad:
        lines += ["", "cases not in {clear error, correct handling, warned}:"]
        lines += [
            f"- [{r.outcome}] {r.area}: {r.name} (expected {r.expected}): {r.detail}"
            + (f"\n  known: {r.note}" if r.note else "")
            for r in bad
        ]
    return "\n".join(lines)


# ====================================================================================================== the cases
NO_GPU = not torch.cuda.is_available()


def _with_inf() -> np.ndarray:
    audio = clip()
    audio[100:103] = [np.inf, -np.inf, np.inf]
    return audio


# (name, clip factory, expected): every one goes through the pipeline, the processor and the feature extractor
AUDIO_CLASSES = [
    ("empty array", lambda: np.zeros(0, np.float32), REFUSE),
    ("all-NaN", lambda: np.full(RATE, np.nan, np.float32), REFUSE),
    ("some Inf", _with_inf, REFUSE),
    ("amplitude 1e20", lambda: clip().astype(np.float64) * 1e20, REFUSE),
    ("int16-scale floats (peak ~10,000)", lambda: clip() * 30000, OK),
    ("int16", lambda: (clip() * 32767).astype(np.int16), OK),
    ("int32", lambda: (clip() * (2**31 - 1)).astype(np.int32), OK),
    ("float64", lambda: clip().astype(np.float64), OK),
    ("uint8", lambda: ((clip() + 1) * 127).astype(np.uint8), REFUSE),
    ("bool", lambda: clip() > 0, REFUSE),
    ("complex64", lambda: clip().astype(np.complex64), REFUSE),
    ("array of strings", lambda: np.array(["0.1", "0.2"] * 4000), REFUSE),
    ("stereo (2, N)", lambda: np.stack([clip(), clip(1.0, 1)]), OK),
    ("stereo (N, 2)", lambda: np.stack([clip(), clip(1.0, 1)], axis=1), OK),
    ("5-channel (5, N)", lambda: np.stack([clip(1.0, i) for i in range(5)]), OK),
    ("9-channel (9, N)", lambda: np.stack([clip(1.0, i) for i in range(9)]), REFUSE),
    ("3-D (1, 2, N)", lambda: np.stack([clip(), clip()])[None], REFUSE),
    ("0-D scalar", lambda: np.array(0.5), REFUSE),
    ("10 samples", lambda: clip()[:10], REFUSE),
    ("Python list of floats", lambda: clip(0.5).tolist(), OK),
    ("torch float16 tensor", lambda: torch.from_numpy(clip()).half(), OK),
    ("None", lambda: None, REFUSE),
]
# (name, sampling_rate, expected): a 1 s clip at that rate (16,000 samples where the rate is no number)
RATES = [
    ("0", 0, REFUSE),
    ("-1", -1, REFUSE),
    ("1", 1, REFUSE),
    ("inf", math.inf, REFUSE),
    ("nan", math.nan, REFUSE),
    ("'16000' (a string)", "16000", REFUSE),
    ("16000.5", 16000.5, REFUSE),
    ("True", True, REFUSE),
    ("3999", 3999, REFUSE),
    ("384001", 384001, REFUSE),
    ("2**40", 2**40, REFUSE),
    ("8000", 8000, OK),
    ("22051", 22051, OK),
    ("44100", 44100, OK),
    ("96001", 96001, OK),
    ("None (assumes 16 kHz, warns)", None, OK),
]


def _rate_clip(rate) -> np.ndarray:
    numeric = isinstance(rate, int) and not isinstance(rate, bool) and 4000 <= rate <= 400000
    return clip(1.0, rate=rate) if numeric else clip()


def _text_ok(result) -> str | None:
    return None if isinstance(result, dict) and isinstance(result.get("text"), str) else f"no text in {_short(result)}"


def _audio_ok(result) -> str | None:
    audio = result.get("audio") if isinstance(result, dict) else None
    if not isinstance(audio, np.ndarray) or audio.dtype != np.float32 or not audio.size or not np.isfinite(audio).all():
        return f"no finite float32 audio in {_short(result)}"
    return None if result.get("sampling_rate") == RATE else f"sampling_rate {result.get('sampling_rate')}"


def _features_ok(processor):
    def check(batch) -> str | None:
        if not torch.isfinite(torch.as_tensor(batch["input_features"])).all():
            return "non-finite input_features"
        if "input_ids" in batch:
            placeholders = int((batch["input_ids"] == processor.vocabulary.audio_token_id).sum())
            if placeholders != int(batch["input_features_mask"].sum()):
                return f"{placeholders} <|audio|> placeholders for {int(batch['input_features_mask'].sum())} frames"
        return None

    return check


def _register_audio_cases() -> None:
    for name, make, expected in AUDIO_CLASSES:
        batch = name == "Python list of floats"  # to the pipeline a list is a batch of inputs: it must say so
        add(
            "pipeline",
            f"audio {name}",
            REFUSE if batch else expected,
            lambda ctx, make=make, batch=batch: call(
                ctx.env.pipe,
                make(),
                task="asr",
                sampling_rate=RATE,
                check=_text_ok,
                message_has="batch" if batch else None,
                **FEW,
            ),
        )
        add(
            "processor",
            f"audio {name}",
            expected,
            lambda ctx, make=make: call(
                ctx.env.processor, audio=make(), sampling_rate=RATE, task="asr", check=_features_ok(ctx.env.processor)
            ),
        )
        add(
            "feature extractor",
            f"audio {name}",
            expected,
            lambda ctx, make=make: call(
                ctx.env.processor.feature_extractor, make(), sampling_rate=RATE, check=_features_ok(ctx.env.processor)
            ),
        )
    for name, rate, expected in RATES:
        named = "sampling_rate" if expected == REFUSE else None
        add(
            "pipeline",
            f"sampling_rate {name}",
            expected,
            lambda ctx, rate=rate, named=named: call(
                ctx.env.pipe, _rate_clip(rate), task="asr", sampling_rate=rate, check=_text_ok, message_has=named, **FEW
            ),
        )
        add(
            "processor",
            f"sampling_rate {name}",
            expected,
            lambda ctx, rate=rate, named=named: call(
                ctx.env.processor,
                audio=_rate_clip(rate),
                sampling_rate=rate,
                task="asr",
                check=_features_ok(ctx.env.processor),
                message_has=named,
            ),
        )
        add(
            "feature extractor",
            f"sampling_rate {name}",
            expected,
            lambda ctx, rate=rate, named=named: call(
                ctx.env.processor.feature_extractor,
                _rate_clip(rate),
                sampling_rate=rate,
                check=_features_ok(ctx.env.processor),
                message_has=named,
            ),
        )


def _wav_header_1hz(samples: np.ndarray) -> bytes:
    """A 16-bit mono WAV whose header says 1 Hz (a broken header)."""
    data = (samples * 32767).astype("<i2").tobytes()
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(data))
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, 1, 2, 2, 16)
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )


def _wav_bytes(audio=None, rate: int = RATE) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, clip() if audio is None else audio, rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def _labels_ok(results) -> str | None:
    labels = [r.get("label") for r in results]
    return None if all(label in LABELS["ser"] for label in labels) else f"labels {labels} outside {LABELS['ser']}"


def _pipe(ctx, inputs, check=None, message_has=None, **kwargs) -> Action:
    return call(ctx.env.pipe, inputs, check=check, message_has=message_has, **kwargs)


def _register_pipeline_cases() -> None:
    P = "pipeline"
    long_clip = lambda: np.tile(clip(1.0), int(MAX_DURATION_S) + 5)
    add(
        P,
        "1 Hz WAV header",
        REFUSE,
        lambda ctx: _pipe(
            ctx, str(ctx.file("one_hz.wav", _wav_header_1hz(clip()))), task="asr", message_has="sampling_rate", **FEW
        ),
    )
    add(
        P,
        "too-long clip without chunk_length_s",
        REFUSE,
        lambda ctx: _pipe(ctx, long_clip(), task="asr", sampling_rate=RATE, message_has="chunk_length_s", **FEW),
    )
    add(
        P,
        "too-long clip with chunk_length_s=10",
        OK,
        lambda ctx: _pipe(ctx, long_clip(), task="asr", sampling_rate=RATE, chunk_length_s=10, check=_text_ok, **FEW),
    )
    add(
        P,
        "too-long clip, se (audio out) with chunk_length_s=10",
        REFUSE,
        lambda ctx: _pipe(ctx, long_clip(), task="se", sampling_rate=RATE, chunk_length_s=10, **FEW),
    )
    add(
        P,
        "chunk_length_s=10 on a short clip",
        OK,
        lambda ctx: _pipe(ctx, clip(), task="asr", sampling_rate=RATE, chunk_length_s=10, check=_text_ok, **FEW),
    )
    for value in (-5, 0, 0.01, 1e9, "abc", math.nan):
        add(
            P,
            f"chunk_length_s={value!r}",
            REFUSE,
            lambda ctx, value=value: _pipe(
                ctx, clip(), task="asr", sampling_rate=RATE, chunk_length_s=value, message_has="chunk_length_s", **FEW
            ),
        )
    add(P, "unknown task 'bogus'", REFUSE, lambda ctx: _pipe(ctx, clip(), task="bogus", message_has="task"))
    add(P, "task None", REFUSE, lambda ctx: _pipe(ctx, clip(), task=None, message_has="task"))
    for task, inputs in (("s2tt", clip), ("mt", lambda: "hello world"), ("s2st", clip)):
        extra = {"sampling_rate": RATE} if task != "mt" else {}
        add(
            P,
            f"{task} without language",
            REFUSE,
            lambda ctx, task=task, inputs=inputs, extra=extra: _pipe(
                ctx, inputs(), task=task, message_has="language", **extra, **FEW
            ),
        )
        add(
            P,
            f"{task} language 'xx' (not trained)",
            REFUSE,
            lambda ctx, task=task, inputs=inputs, extra=extra: _pipe(
                ctx, inputs(), task=task, language="xx", message_has="xx", **extra, **FEW
            ),
        )
    add(P, "mt language '' (empty)", REFUSE, lambda ctx: _pipe(ctx, "hello world", task="mt", language="", **FEW))
    add(
        P,
        "mt language 'de'",
        OK,
        lambda ctx: _pipe(ctx, "hello world", task="mt", language="de", check=_text_ok, **FEW),
    )
    add(
        P,
        "asr given language='de'",
        REFUSE,
        lambda ctx: _pipe(ctx, clip(), task="asr", language="de", sampling_rate=RATE, message_has="language", **FEW),
    )
    for task in ("tts", "mt"):
        for text in ("", "   \n\t"):
            add(
                P,
                f"{task} text {text!r}",
                REFUSE,
                lambda ctx, task=task, text=text: _pipe(
                    ctx, text, task=task, language="de" if task == "mt" else None, message_has="text", **FEW
                ),
            )
        add(
            P,
            f"{task} text of 10,000 characters",
            EITHER,
            lambda ctx, task=task: _pipe(
                ctx, ("hello world " * 834)[:10000], task=task, language="de" if task == "mt" else None, **FEW
            ),
        )
        add(
            P,
            f"{task} text with a lone surrogate",
            REFUSE,
            lambda ctx, task=task: _pipe(
                ctx, "\ud800 hello", task=task, language="de" if task == "mt" else None, message_has="surrogate", **FEW
            ),
        )
    for value in (0, -1, "5", 1.5, True):
        add(
            P,
            f"max_new_tokens={value!r}",
            REFUSE,
            lambda ctx, value=value: _pipe(
                ctx, clip(), task="asr", sampling_rate=RATE, max_new_tokens=value, message_has="max_new_tokens"
            ),
        )
    add(
        P,
        "unknown generate kwarg foo_bar=1",
        REFUSE,
        lambda ctx: _pipe(ctx, clip(), task="asr", sampling_rate=RATE, foo_bar=1, message_has="foo_bar", **FEW),
    )
    for name, value, task in (
        ("top_k", -1, "tts"),
        ("temperature", -1, "tts"),
        ("top_p", 1.5, "tts"),
        ("num_beams", 0, "asr"),
        ("repetition_penalty", -2.0, "asr"),
        ("min_new_tokens", -1, "asr"),
    ):
        inputs = "hello world" if task == "tts" else clip()
        rate = {} if task == "tts" else {"sampling_rate": RATE}
        add(
            P,
            f"{name}={value!r} ({task})",
            REFUSE,
            lambda ctx, name=name, value=value, task=task, inputs=inputs, rate=rate: _pipe(
                ctx, inputs, task=task, message_has=name, **rate, **{name: value}, **FEW
            ),
        )
    for value in (0, -2, "2", 1.5):
        add(
            P,
            f"batch_size={value!r}",
            REFUSE,
            lambda ctx, value=value: _pipe(
                ctx,
                [clip(), clip(1.0, 1)],
                task="asr",
                sampling_rate=RATE,
                batch_size=value,
                message_has="batch_size",
                **FEW,
            ),
        )
    add(
        P,
        "batch_size=2 with 3 inputs",
        OK,
        lambda ctx: _pipe(
            ctx,
            [clip(), clip(0.5, 1), clip(0.7, 2)],
            task="asr",
            sampling_rate=RATE,
            batch_size=2,
            check=lambda r: None if len(r) == 3 and all(_text_ok(x) is None for x in r) else f"got {_short(r)}",
            **FEW,
        ),
    )
    add(P, "an empty list of inputs", REFUSE, lambda ctx: _pipe(ctx, [], task="asr", sampling_rate=RATE, **FEW))
    add(
        P,
        "batch_size=2: a NaN clip third",
        REFUSE,
        lambda ctx: _pipe(
            ctx,
            [clip(), clip(), np.full(RATE, np.nan)],
            task="asr",
            sampling_rate=RATE,
            batch_size=2,
            message_has="clip 2",
            **FEW,
        ),
    )
    add(
        P,
        "a list of a good clip and a NaN clip",
        REFUSE,
        lambda ctx: _pipe(
            ctx, [clip(), np.full(RATE, np.nan)], task="asr", sampling_rate=RATE, message_has="clip 1", **FEW
        ),
    )
    add(
        P,
        "a list of a good clip and a missing file",
        REFUSE,
        lambda ctx: _pipe(ctx, [clip(), "missing.wav"], task="asr", sampling_rate=RATE, message_has="input 1", **FEW),
    )
    add(
        P,
        "a dict without 'array'",
        REFUSE,
        lambda ctx: _pipe(ctx, {"sampling_rate": RATE}, task="asr", message_has="array", **FEW),
    )
    add(
        P,
        "a dict without 'sampling_rate'",
        REFUSE,
        lambda ctx: _pipe(ctx, {"array": clip()}, task="asr", message_has="sampling_rate", **FEW),
    )
    add(
        P,
        "a dict with sampling_rate 0",
        REFUSE,
        lambda ctx: _pipe(ctx, {"array": clip(), "sampling_rate": 0}, task="asr", **FEW),
    )
    add(
        P,
        "a dict at 44.1 kHz",
        OK,
        lambda ctx: _pipe(
            ctx, {"array": clip(1.0, rate=44100), "sampling_rate": 44100}, task="asr", check=_text_ok, **FEW
        ),
    )
    add(
        P,
        "a path that does not exist",
        REFUSE,
        lambda ctx: _pipe(ctx, "no_such_clip.wav", task="asr", message_has="no_such_clip", **FEW),
    )
    add(P, "a directory as input", REFUSE, lambda ctx: _pipe(ctx, str(ctx.path("folder/x").parent), task="asr", **FEW))
    add(
        P,
        "a text file as audio",
        REFUSE,
        lambda ctx: _pipe(ctx, str(ctx.file("notes.txt", "not audio\n")), task="asr", **FEW),
    )
    add(
        P,
        "a text file named .wav",
        REFUSE,
        lambda ctx: _pipe(ctx, str(ctx.file("fake.wav", "not audio\n" * 50)), task="asr", **FEW),
    )
    add(P, "a 0-byte .wav", REFUSE, lambda ctx: _pipe(ctx, str(ctx.file("zero.wav", b"")), task="asr", **FEW))
    add(
        P,
        "a WAV with no frames",
        REFUSE,
        lambda ctx: _pipe(ctx, str(ctx.wav("no_frames.wav", np.zeros(0, np.float32))), task="asr", **FEW),
    )
    add(
        P,
        "a WAV truncated inside its header",
        REFUSE,
        lambda ctx: _pipe(ctx, str(ctx.file("cut_header.wav", _wav_bytes()[:30])), task="asr", **FEW),
    )
    add(
        P,
        "a WAV truncated inside its data",
        EITHER,
        lambda ctx: _pipe(ctx, str(ctx.file("cut_data.wav", _wav_bytes()[:16000])), task="asr", check=_text_ok, **FEW),
    )
    add(
        P,
        "a WAV file at 8 kHz",
        OK,
        lambda ctx: _pipe(
            ctx, str(ctx.wav("speech.wav", clip(1.0, rate=8000), 8000)), task="asr", check=_text_ok, **FEW
        ),
    )
    add(P, "a string for an audio task", REFUSE, lambda ctx: _pipe(ctx, "hello world", task="asr", **FEW))
    add(P, "an int for an audio task", REFUSE, lambda ctx: _pipe(ctx, 5, task="asr", **FEW))
    add(
        P,
        "an array for a text task (tts)",
        REFUSE,
        lambda ctx: _pipe(ctx, clip(), task="tts", message_has="text", **FEW),
    )
    add(
        P,
        "tts voice= a missing file",
        REFUSE,
        lambda ctx: _pipe(
            ctx, "hello world", task="tts", voice="no_such_voice.wav", message_has="no_such_voice", **FEW
        ),
    )
    add(
        P,
        "tts voice= a NaN clip",
        REFUSE,
        lambda ctx: _pipe(
            ctx,
            "hello world",
            task="tts",
            voice={"array": np.full(RATE, np.nan), "sampling_rate": RATE},
            message_has="NaN",
            **FEW,
        ),
    )
    add(
        P,
        "tts voice= a good clip",
        OK,
        lambda ctx: _pipe(
            ctx, "hello world", task="tts", voice={"array": clip(), "sampling_rate": RATE}, check=_audio_ok, **FEW
        ),
    )
    add(
        P,
        "asr given voice=",
        REFUSE,
        lambda ctx: _pipe(
            ctx,
            clip(),
            task="asr",
            sampling_rate=RATE,
            voice={"array": clip(), "sampling_rate": RATE},
            message_has="voice",
            **FEW,
        ),
    )
    add(
        P,
        "s2st_voice given voice=",
        REFUSE,
        lambda ctx: _pipe(
            ctx,
            clip(),
            task="s2st_voice",
            language="de",
            sampling_rate=RATE,
            voice={"array": clip(), "sampling_rate": RATE},
            **FEW,
        ),
    )
    add(P, "tts", OK, lambda ctx: _pipe(ctx, "hello world", task="tts", check=_audio_ok, **FEW))
    add(P, "se", OK, lambda ctx: _pipe(ctx, clip(), task="se", sampling_rate=RATE, check=_audio_ok, **FEW))
    add(
        P,
        "s2st to de",
        OK,
        lambda ctx: _pipe(
            ctx,
            clip(),
            task="s2st",
            language="de",
            sampling_rate=RATE,
            check=lambda r: _audio_ok(r) or _text_ok(r),
            **FEW,
        ),
    )
    add(
        P,
        "SER labels always in the label set",
        OK,
        lambda ctx: _pipe(
            ctx,
            [clip(1.0, i) for i in range(4)] + [np.zeros(RATE, np.float32)],
            task="ser",
            sampling_rate=RATE,
            batch_size=2,
            check=_labels_ok,
            do_sample=True,
            top_k=50,
        ),
    )
    add(
        P,
        "SLU gives intent and slots",
        OK,
        lambda ctx: _pipe(
            ctx,
            clip(),
            task="slu",
            sampling_rate=RATE,
            check=lambda r: None if {"intent", "slots"} <= set(r) else f"keys {sorted(r)}",
            **FEW,
        ),
    )


def _register_processor_cases() -> None:
    R, F = "processor", "feature extractor"

    def proc(ctx, *args, check=None, message_has=None, **kwargs):
        return call(ctx.env.processor, *args, check=check, message_has=message_has, **kwargs)

    add(
        R,
        "padding='max_length' without max_length",
        REFUSE,
        lambda ctx: proc(
            ctx, audio=clip(), task="asr", sampling_rate=RATE, padding="max_length", message_has="max_length"
        ),
    )
    add(
        R,
        "padding='max_length', max_length shorter than the row",
        OK,
        lambda ctx: proc(
            ctx,
            text="hello world",
            task="mt",
            language="de",
            padding="max_length",
            max_length=3,
            check=lambda b: None if b["input_ids"].shape[1] > 3 else f"row cut to {b['input_ids'].shape[1]}",
        ),
    )
    add(R, "padding='sideways'", REFUSE, lambda ctx: proc(ctx, text="hello", task="tts", padding="sideways"))
    add(
        R,
        "return_tensors='xx'",
        REFUSE,
        lambda ctx: proc(
            ctx, audio=clip(), task="asr", sampling_rate=RATE, return_tensors="xx", message_has="return_tensors"
        ),
    )
    add(R, "return_tensors='np'", REFUSE, lambda ctx: proc(ctx, text="hello", task="tts", return_tensors="np"))
    add(R, "truncation=True", REFUSE, lambda ctx: proc(ctx, text="hello", task="tts", truncation=True))
    add(
        R,
        "padding_side='middle'",
        REFUSE,
        lambda ctx: proc(ctx, text=["hello", "hi there"], task="tts", padding_side="middle"),
    )
    add(
        R,
        "the task as positional text: processor('asr', audio=...)",
        REFUSE,
        lambda ctx: proc(ctx, "asr", audio=clip(), sampling_rate=RATE, message_has="keyword"),
    )
    add(R, "no input at all", REFUSE, lambda ctx: proc(ctx))
    add(R, "asr without audio", REFUSE, lambda ctx: proc(ctx, task="asr", message_has="audio"))
    add(
        R,
        "tts with text and audio",
        REFUSE,
        lambda ctx: proc(ctx, text="hi", audio=clip(), task="tts", sampling_rate=RATE),
    )
    add(R, "unknown task", REFUSE, lambda ctx: proc(ctx, audio=clip(), task="bogus", sampling_rate=RATE))
    add(
        R,
        "asr with language",
        REFUSE,
        lambda ctx: proc(ctx, audio=clip(), task="asr", language="de", sampling_rate=RATE),
    )
    add(
        R,
        "mt with whitespace text",
        REFUSE,
        lambda ctx: proc(ctx, text="  ", task="mt", language="de", message_has="text"),
    )
    add(
        R, "2 texts and 3 languages", REFUSE, lambda ctx: proc(ctx, text=["a b", "c d"], task="mt", language=["de"] * 3)
    )
    add(
        R,
        "target_codes outside the codebook",
        REFUSE,
        lambda ctx: proc(ctx, text="hi", task="tts", target_codes=[5, 99999]),
    )
    add(R, "an empty list of clips", REFUSE, lambda ctx: proc(ctx, audio=[], task="asr", sampling_rate=RATE))
    add(
        R,
        "a batch of two clips",
        OK,
        lambda ctx: proc(
            ctx, audio=[clip(), clip(0.5, 1)], task="asr", sampling_rate=RATE, check=_features_ok(ctx.env.processor)
        ),
    )
    for task in ("asr", "tts", "ser"):
        add(
            R,
            f"decode_outputs with -100 ids ({task})",
            OK,
            lambda ctx, task=task: call(
                ctx.env.processor.decode_outputs,
                torch.tensor([[5, 7, -100, -100], [-100, -100, -100, -100]]),
                task,
                check=lambda out: (
                    None
                    if len(out) == 2
                    and all(
                        isinstance(o, str) or bool(((o >= 0) & (o < ctx.env.processor.codebook_size)).all())
                        for o in out
                    )
                    else f"got {out}"
                ),
            ),
        )
    add(
        R,
        "decode_outputs with ids beyond the vocabulary",
        OK,
        lambda ctx: call(
            ctx.env.processor.decode_outputs,
            torch.tensor([[99999, 5, 10**6]]),
            "asr",
            check=lambda out: None if isinstance(out[0], str) else f"got {out}",
        ),
    )
    add(
        F,
        "return_tensors='xx'",
        REFUSE,
        lambda ctx: call(
            ctx.env.processor.feature_extractor,
            clip(),
            sampling_rate=RATE,
            return_tensors="xx",
            message_has="return_tensors",
        ),
    )
    add(
        F,
        "padding='max_length' (ignored, with a warning)",
        OK,
        lambda ctx: call(
            ctx.env.processor.feature_extractor,
            clip(),
            sampling_rate=RATE,
            padding="max_length",
            check=_features_ok(ctx.env.processor),
        ),
    )
    add(
        F,
        "an empty list of clips",
        REFUSE,
        lambda ctx: call(ctx.env.processor.feature_extractor, [], sampling_rate=RATE),
    )
    add(
        F,
        "a batch of a good clip and a NaN clip",
        REFUSE,
        lambda ctx: call(
            ctx.env.processor.feature_extractor,
            [clip(), np.full(RATE, np.nan)],
            sampling_rate=RATE,
            message_has="clip 1",
        ),
    )


# ------------------------------------------------------------------------------------------- model folders
def _broken_copy(ctx: Ctx, damage: str) -> Path:
    """A copy of the model folder with one kind of damage (then registered as the user's files)."""
    folder = shutil.copytree(ctx.env.model_dir, ctx.path("broken"))
    config, weights = folder / "config.json", folder / "model.safetensors"
    if damage == "truncated config.json":
        config.write_text(config.read_text()[: len(config.read_text()) // 2])
    elif damage == "config.json holding a list":
        config.write_text("[1, 2, 3]")
    elif damage == "config.json holding {}":
        config.write_text("{}")
    elif damage == "config.json of another model_type":
        config.write_text(json.dumps({**json.loads(config.read_text()), "model_type": "bert"}))
    elif damage == "truncated model.safetensors":
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 3])
    elif damage == "no model.safetensors":
        weights.unlink()
    elif damage == "no processor files":
        for name in ("processor_config.json", "tokenizer.json", "tokenizer_config.json"):
            (folder / name).unlink()
    return ctx.keep(folder)


DAMAGES = (
    "truncated config.json",
    "config.json holding a list",
    "config.json holding {}",
    "config.json of another model_type",
    "truncated model.safetensors",
    "no model.safetensors",
    "no processor files",
)


def _gpt2_folder(ctx: Ctx) -> Path:
    """Another model's folder: a tiny GPT-2 with a tokenizer, as a user might have one beside their LauraGPT."""
    folder = ctx.path("gpt2")
    config = transformers.GPT2Config(
        n_layer=1, n_head=2, n_embd=16, n_positions=64, vocab_size=len(ctx.env.processor.tokenizer)
    )
    transformers.GPT2LMHeadModel(config).save_pretrained(folder)
    ctx.env.processor.tokenizer.save_pretrained(folder)
    return ctx.keep(folder)


def _load_model(path):
    return modeling_lauragpt.LauraGPTForConditionalGeneration.from_pretrained(str(path))


def _load_pipe(path, **kwargs):
    return transformers.pipeline("lauragpt", model=str(path), device=kwargs.pop("device", "cpu"), **kwargs)


UPSTREAM = (
    "transformers.pipeline() reads config.json (AutoConfig), then loads the weights (its load_model wraps every "
    "error of from_pretrained, ours too, in a ValueError quoting tracebacks) before any lauragpt code runs; only a "
    "change in transformers can give lauragpt's message here. lauragpt run/serve/demo check the folder first "
    "(pipeline_loading.load_pipeline), and LauraGPTForConditionalGeneration.from_pretrained does."
)


def _register_loading_cases() -> None:
    L = "loading"
    add(L, "from_pretrained of the tiny model", OK, lambda ctx: call(_load_model, ctx.env.model_dir))
    add(L, "from_pretrained of a nonexistent folder", REFUSE, lambda ctx: call(_load_model, ctx.dir / "no_such_model"))
    add(
        L, "pipeline of a nonexistent folder", REFUSE, lambda ctx: call(_load_pipe, ctx.dir / "no_such_model"), UPSTREAM
    )
    add(
        L,
        "from_pretrained of an empty folder",
        REFUSE,
        lambda ctx: call(_load_model, ctx.path("empty/x").parent, message_has="config.json"),
    )
    add(L, "pipeline of an empty folder", REFUSE, lambda ctx: call(_load_pipe, ctx.path("empty/x").parent), UPSTREAM)
    add(L, "pipeline of a file", REFUSE, lambda ctx: call(_load_pipe, ctx.file("model.bin", b"\0" * 100)), UPSTREAM)
    for damage in DAMAGES:
        if damage != "no processor files":
            add(
                L,
                f"from_pretrained with {damage}",
                REFUSE,
                lambda ctx, damage=damage: call(_load_model, _broken_copy(ctx, damage)),
            )
        if damage != "config.json of another model_type":  # for pipeline(), see "a GPT-2 folder"
            add(
                L,
                f"pipeline with {damage}",
                REFUSE,
                lambda ctx, damage=damage: call(_load_pipe, _broken_copy(ctx, damage)),
                None if damage == "no processor files" else UPSTREAM,
            )
    add(L, "from_pretrained of a GPT-2 folder", REFUSE, lambda ctx: call(_load_model, _gpt2_folder(ctx)))
    add(
        L,
        "pipeline of a GPT-2 folder",
        REFUSE,
        lambda ctx: call(_load_pipe, _gpt2_folder(ctx), message_has="LauraGPT"),
        UPSTREAM,
    )
    add(
        L,
        "processor from_pretrained without processor files",
        REFUSE,
        lambda ctx: call(
            modeling_lauragpt.LauraGPTProcessor.from_pretrained, str(_broken_copy(ctx, "no processor files"))
        ),
    )
    add(
        L,
        "the vocoder folder as the model (from_pretrained)",
        REFUSE,
        lambda ctx: call(_load_model, ctx.env.vocoder_dir, message_has="vocoder"),
    )
    add(
        L,
        "the vocoder folder as the model (pipeline)",
        REFUSE,
        lambda ctx: call(_load_pipe, ctx.env.vocoder_dir, message_has="vocoder"),
        UPSTREAM,
    )
    add(
        L,
        "the model folder as the vocoder",
        REFUSE,
        lambda ctx: call(_vocoder_class().from_pretrained, str(ctx.env.model_dir)),
    )
    if NO_GPU:
        add(
            L,
            "pipeline device='cuda' without a GPU",
            REFUSE,
            lambda ctx: call(_load_pipe, ctx.env.model_dir, device="cuda", message_has="cuda"),
        )


def _vocoder_class():
    from modeling_lauragpt.modeling_vocoder import LauraGPTVocoder

    return LauraGPTVocoder


# ------------------------------------------------------------------------------------------------- the CLI
def _outputs(ctx: Ctx, *names: str) -> Callable[[CliResult], str | None]:
    """A check: each named file exists (and is audio when it ends in .wav)."""

    def check(result: CliResult) -> str | None:
        for name in names:
            path = ctx.dir / name
            if not path.is_file():
                return f"{name} was not written (folder holds {sorted(p.name for p in path.parent.glob('*'))})"
            if name.endswith(".wav") and soundfile.info(str(path)).frames == 0:
                return f"{name} holds no audio"
        return None

    return check


def _absent(ctx: Ctx, name: str) -> Callable[[CliResult], str | None]:
    return lambda result: f"{name} was written" if (ctx.dir / name).exists() else None


def _recordings(ctx: Ctx) -> str:
    """A folder of two user recordings."""
    ctx.wav("rec/a.wav")
    return str(ctx.wav("rec/b.wav", clip(1.0, 1)).parent)


def _hub_corpus(ctx: Ctx, name: str, task: str) -> Path:
    """A Hub-format dataset folder with one config, ``task`` (a README ``configs`` block and a parquet file)."""
    import datasets

    root = ctx.path(f"{name}/{task}/train-00000-of-00001.parquet")
    datasets.Dataset.from_list([{"task": task, "text": "hello world"}] * 2).to_parquet(str(root))
    (root.parent.parent / "README.md").write_text(
        f"---\nconfigs:\n- config_name: {task}\n  data_files:\n  - split: train\n    path: {task}/train-*\n---\n"
    )
    return ctx.keep(root.parent.parent)


def _modules():
    from modeling_lauragpt import demo, web_demo
    from modeling_lauragpt.training import peft_finetune
    from modeling_lauragpt.training import trainer_recipe as recipe
    from modeling_lauragpt.training.demo_corpus import build

    return {"recipe": recipe, "build": build, "peft": peft_finetune, "web_demo": web_demo, "demo": demo}


def _register_cli_cases() -> None:
    C = "cli"
    M = lambda ctx: str(ctx.env.model_dir)
    few = ["--max-new-tokens", "3"]
    add(
        C,
        "run: a missing model",
        REFUSE,
        lambda ctx: run_cli(
            ["run", "--task", "asr", "--model", str(ctx.dir / "no_model"), str(ctx.wav("a.wav"))],
            message_has="no_model",
        ),
    )
    add(
        C,
        "run: the vocoder folder as --model",
        REFUSE,
        lambda ctx: run_cli(
            ["run", "--task", "asr", "--model", str(ctx.env.vocoder_dir), str(ctx.wav("a.wav"))], message_has="vocoder"
        ),
    )
    add(
        C,
        "run: asr of a WAV",
        OK,
        lambda ctx: run_cli(
            ["run", "--task", "asr", "--model", M(ctx), str(ctx.wav("a.wav")), *few],
            check=lambda r: None if '"text"' in r.stdout else f"stdout {r.stdout[-200:]!r}",
        ),
    )
    add(
        C,
        "run: -o pointing at a directory",
        REFUSE,
        lambda ctx: run_cli(
            ["run", "--task", "tts", "--model", M(ctx), "--text", "hello", "-o", str(ctx.path("outdir/x").parent), *few]
        ),
    )
    add(
        C,
        "run: -o equal to the input",
        REFUSE,
        lambda ctx: run_cli(
            ["run", "--task", "se", "--model", M(ctx), str(ctx.wav("in.wav")), "-o", str(ctx.dir / "in.wav"), *few]
        ),
    )
    add(
        C,
        "run: -o with two inputs",
        REFUSE,
        lambda ctx: run_cli(
            [
                "run",
                "--task",
                "se",
                "--model",
                M(ctx),
                str(ctx.wav("a.wav")),
                str(ctx.wav("b.wav")),
                "-o",
                "out.wav",
                *few,
            ]
        ),
    )
    add(
        C,
        "run: take.wav + take.flac get distinct outputs",
        OK,
        lambda ctx: run_cli(
            ["run", "--task", "se", "--model", M(ctx), str(ctx.wav("take.wav")), str(ctx.wav("take.flac")), *few],
            check=_outputs(ctx, "take.se.wav", "take-2.se.wav"),
        ),
    )
    add(
        C,
        "run: --output-dir equal to the input folder",
        OK,
        lambda ctx: run_cli(
            ["run", "--task", "se", "--model", M(ctx), _recordings(ctx), "--output-dir", str(ctx.dir / "rec"), *few],
            check=_outputs(ctx, "rec/a.se.wav", "rec/b.se.wav"),
        ),
    )
    add(
        C,
        "run: an existing output without --overwrite",
        REFUSE,
        lambda ctx: (
            run_cli(["run", "--task", "tts", "--model", M(ctx), "--text", "hello", *few], message_has="--overwrite")
            if ctx.wav("tts_0000.tts.wav")
            else None
        ),
    )
    add(
        C,
        "run: --batch-size -2",
        REFUSE,
        lambda ctx: run_cli(["run", "--task", "asr", "--model", M(ctx), str(ctx.wav("a.wav")), "--batch-size", "-2"]),
    )
    add(
        C,
        "run: --max-new-tokens 0",
        REFUSE,
        lambda ctx: run_cli(
            ["run", "--task", "asr", "--model", M(ctx), str(ctx.wav("a.wav")), "--max-new-tokens", "0"]
        ),
    )
    add(
        C,
        "run: a missing --text-file",
        REFUSE,
        lambda ctx: run_cli(
            ["run", "--task", "tts", "--model", M(ctx), "--text-file", "no_such.txt"], message_has="no_such.txt"
        ),
    )
    add(
        C,
        "run: an unknown --task",
        REFUSE,
        lambda ctx: run_cli(["run", "--task", "bogus", "--model", M(ctx), str(ctx.wav("a.wav"))], message_has="bogus"),
    )
    add(C, "run: asr without inputs", REFUSE, lambda ctx: run_cli(["run", "--task", "asr", "--model", M(ctx)]))
    add(
        C,
        "run: tts given a file argument",
        REFUSE,
        lambda ctx: run_cli(["run", "--task", "tts", "--model", M(ctx), "--text", "hi", str(ctx.wav("a.wav"))]),
    )
    add(
        C,
        "run: a text file as audio",
        REFUSE,
        lambda ctx: run_cli(["run", "--task", "asr", "--model", M(ctx), str(ctx.file("notes.txt", "hello\n"))]),
    )
    add(
        C,
        "run: a missing input file",
        REFUSE,
        lambda ctx: run_cli(["run", "--task", "asr", "--model", M(ctx), "no_such.wav"], message_has="no_such.wav"),
    )
    add(
        C,
        "run: a 1 Hz WAV header",
        REFUSE,
        lambda ctx: run_cli(
            ["run", "--task", "asr", "--model", M(ctx), str(ctx.file("one_hz.wav", _wav_header_1hz(clip())))]
        ),
    )
    add(
        C,
        "run: a WAV truncated inside its header",
        REFUSE,
        lambda ctx: run_cli(["run", "--task", "asr", "--model", M(ctx), str(ctx.file("cut.wav", _wav_bytes()[:30]))]),
    )
    add(
        C,
        "run: mt without --language",
        REFUSE,
        lambda ctx: run_cli(["run", "--task", "mt", "--model", M(ctx), "--text", "hello"], message_has="language"),
    )
    add(
        C,
        "run: mt --language xx",
        REFUSE,
        lambda ctx: run_cli(
            ["run", "--task", "mt", "--model", M(ctx), "--text", "hello", "--language", "xx"], message_has="xx"
        ),
    )
    add(
        C,
        "run: asr --language de",
        REFUSE,
        lambda ctx: run_cli(["run", "--task", "asr", "--model", M(ctx), str(ctx.wav("a.wav")), "--language", "de"]),
    )
    add(
        C,
        "run: --chunk-length-s abc",
        REFUSE,
        lambda ctx: run_cli(
            ["run", "--task", "asr", "--model", M(ctx), str(ctx.wav("a.wav")), "--chunk-length-s", "abc"]
        ),
    )
    add(
        C,
        "run: --chunk-length-s -1",
        REFUSE,
        lambda ctx: run_cli(
            ["run", "--task", "asr", "--model", M(ctx), str(ctx.wav("a.wav")), "--chunk-length-s", "-1"]
        ),
    )
    long_wav = lambda ctx: str(ctx.wav("long.wav", np.tile(clip(), int(MAX_DURATION_S) + 5)))
    add(
        C,
        "run: a too-long clip",
        REFUSE,
        lambda ctx: run_cli(
            ["run", "--task", "asr", "--model", M(ctx), long_wav(ctx), *few], message_has="--chunk-length-s"
        ),
    )
    add(
        C,
        "run: a too-long clip with --chunk-length-s 10",
        OK,
        lambda ctx: run_cli(["run", "--task", "asr", "--model", M(ctx), long_wav(ctx), "--chunk-length-s", "10", *few]),
    )
    add(
        C,
        "run: tts --voice a missing file",
        REFUSE,
        lambda ctx: run_cli(
            [
                "run",
                "--task",
                "tts",
                "--model",
                M(ctx),
                "--text",
                "hi",
                "--voice",
                "no_voice.wav",
                "-o",
                "out.wav",
                *few,
            ],
            check=_absent(ctx, "out.wav"),
            message_has="no_voice.wav",
        ),
    )
    if NO_GPU:
        add(
            C,
            "run: --device cuda without a GPU",
            REFUSE,
            lambda ctx: run_cli(
                ["run", "--task", "asr", "--model", M(ctx), str(ctx.wav("a.wav")), "--device", "cuda"],
                message_has="cuda",
            ),
        )
    # train: every case must refuse before training starts (recipe.prepare is a tripwire)
    train = lambda ctx, *args, **kw: run_cli(["train", *args], tripwires=[(_modules()["recipe"], "prepare")], **kw)
    add(
        C,
        "train: a malformed YAML config",
        REFUSE,
        lambda ctx: train(
            ctx,
            "--config",
            str(ctx.file("bad.yaml", "training: [1, 2\n  learning_rate: : :\n")),
            "--output-dir",
            "out",
            message_has="YAML",
        ),
    )
    add(
        C,
        "train: a YAML config holding a list",
        REFUSE,
        lambda ctx: train(ctx, "--config", str(ctx.file("list.yaml", "- a\n- b\n")), "--output-dir", "out"),
    )
    add(
        C,
        "train: a missing --config",
        REFUSE,
        lambda ctx: train(ctx, "--config", "no_such.yaml", "--output-dir", "out"),
    )
    add(
        C,
        "train: --set training.learning_rate=abc",
        REFUSE,
        lambda ctx: train(
            ctx, "--set", "training.learning_rate=abc", "--output-dir", "out", message_has="learning_rate"
        ),
    )
    add(
        C,
        "train: --set of an unknown key",
        REFUSE,
        lambda ctx: train(
            ctx, "--set", "training.learnin_rate=1e-4", "--output-dir", "out", message_has="learnin_rate"
        ),
    )
    add(
        C,
        "train: --set without '='",
        REFUSE,
        lambda ctx: train(ctx, "--set", "training.learning_rate", "--output-dir", "out"),
    )
    add(C, "train: --max-steps -3", REFUSE, lambda ctx: train(ctx, "--max-steps", "-3", "--output-dir", "out"))
    add(
        C,
        "train: --tasks with an unknown task",
        REFUSE,
        lambda ctx: train(ctx, "--tasks", "asr,bogus", "--output-dir", "out"),
    )
    add(
        C,
        "train: an output dir holding another model's weights",
        REFUSE,
        lambda ctx: train(ctx, "--output-dir", str(ctx.model_copy("other_model")), "--max-steps", "1"),
    )
    add(
        C,
        "train: --print-config",
        OK,
        lambda ctx: train(
            ctx,
            "--print-config",
            "--output-dir",
            "out",
            check=lambda r: None if "training:" in r.stdout else "no config printed",
        ),
    )
    # eval
    corpus = lambda ctx: str(_hub_corpus(ctx, "corpus", "asr"))
    add(
        C,
        "eval: --batch-size 0",
        REFUSE,
        lambda ctx: run_cli(
            ["eval", "--model", M(ctx), "--data", corpus(ctx), "--output-dir", "out", "--batch-size", "0"]
        ),
    )
    add(
        C,
        "eval: --max-examples 0",
        REFUSE,
        lambda ctx: run_cli(
            ["eval", "--model", M(ctx), "--data", corpus(ctx), "--output-dir", "out", "--max-examples", "0"]
        ),
    )
    add(C, "eval: without --data", REFUSE, lambda ctx: run_cli(["eval", "--model", M(ctx), "--output-dir", "out"]))
    add(
        C,
        "eval: a missing --data",
        REFUSE,
        lambda ctx: run_cli(
            ["eval", "--model", M(ctx), "--data", str(ctx.dir / "no_data"), "--output-dir", "out"],
            message_has="no_data",
        ),
    )
    add(
        C,
        "eval: a missing --model",
        REFUSE,
        lambda ctx: run_cli(
            ["eval", "--model", str(ctx.dir / "no_model"), "--data", corpus(ctx), "--output-dir", "out"]
        ),
    )
    add(
        C,
        "eval: --tasks bogus",
        REFUSE,
        lambda ctx: run_cli(
            ["eval", "--model", M(ctx), "--data", corpus(ctx), "--output-dir", "out", "--tasks", "bogus"]
        ),
    )
    # export-hub
    add(
        C,
        "export-hub: OUT = the model folder",
        REFUSE,
        lambda ctx: run_cli(["export-hub", str(ctx.model_copy()), str(ctx.dir / "my_model"), "--overwrite"]),
    )
    add(
        C,
        "export-hub: OUT = the model folder's parent",
        REFUSE,
        lambda ctx: run_cli(["export-hub", str(ctx.model_copy()), str(ctx.dir), "--overwrite"]),
    )
    add(
        C,
        "export-hub: OUT inside the model folder",
        REFUSE,
        lambda ctx: run_cli(["export-hub", str(ctx.model_copy()), str(ctx.dir / "my_model" / "export")]),
    )
    add(
        C,
        "export-hub: a user's non-empty folder with --overwrite",
        REFUSE,
        lambda ctx: run_cli(["export-hub", M(ctx), str(ctx.file("mine/notes.txt", "my notes").parent), "--overwrite"]),
    )
    add(
        C,
        "export-hub: a user's non-empty folder without --overwrite",
        REFUSE,
        lambda ctx: run_cli(
            ["export-hub", M(ctx), str(ctx.file("mine/notes.txt", "my notes").parent)], message_has="--overwrite"
        ),
    )
    add(C, "export-hub: a missing model folder", REFUSE, lambda ctx: run_cli(["export-hub", "no_model", "out"]))
    add(
        C,
        "export-hub: the vocoder folder as the model",
        REFUSE,
        lambda ctx: run_cli(["export-hub", str(ctx.env.vocoder_dir), "out"]),
    )
    add(
        C,
        "export-hub: into a new folder",
        OK,
        lambda ctx: run_cli(
            ["export-hub", M(ctx), "export"],
            check=lambda r: (
                None
                if "auto_map" in json.loads((ctx.dir / "export" / "config.json").read_text())
                else "no auto_map in the export"
            ),
        ),
    )
    # build-demo-data: synthesis is a tripwire
    build = lambda ctx, *args, **kw: run_cli(
        ["build-demo-data", *args], tripwires=[(_modules()["build"], "PLANNERS")], **kw
    )
    add(
        C,
        "build-demo-data: a user's non-empty folder with --overwrite",
        REFUSE,
        lambda ctx: build(ctx, str(ctx.file("mine/notes.txt", "my notes").parent), "--overwrite", "--small"),
    )
    add(
        C,
        "build-demo-data: a user's non-empty folder without --overwrite",
        REFUSE,
        lambda ctx: build(ctx, str(ctx.file("mine/notes.txt", "my notes").parent), "--small"),
    )
    add(C, "build-demo-data: --tasks bogus", REFUSE, lambda ctx: build(ctx, "out", "--tasks", "bogus"))
    add(C, "build-demo-data: --task-train asr=x", REFUSE, lambda ctx: build(ctx, "out", "--task-train", "asr=x"))
    add(C, "build-demo-data: --per-task -5", REFUSE, lambda ctx: build(ctx, "out", "--per-task", "-5"))
    add(C, "build-demo-data: --workers 0", REFUSE, lambda ctx: build(ctx, "out", "--workers", "0", "--small"))
    # convert
    add(
        C,
        "convert: a missing codec checkpoint",
        REFUSE,
        lambda ctx: run_cli(["convert", "codec", "no_such/model.pth", "out"], message_has="no_such"),
    )
    add(
        C,
        "convert: a missing encoder checkpoint",
        REFUSE,
        lambda ctx: run_cli(["convert", "encoder", "no_such/model.pb", "out"]),
    )
    add(
        C,
        "convert: a missing vocoder checkpoint",
        REFUSE,
        lambda ctx: run_cli(["convert", "lauratts-vocoder", "no_such/model.pth", "out"]),
    )
    add(
        C,
        "convert: a missing whisper folder",
        REFUSE,
        lambda ctx: run_cli(["convert", "whisper-ct2", "no_such_ct2", "out"]),
    )
    add(
        C,
        "convert: a text file as the codec checkpoint",
        REFUSE,
        lambda ctx: run_cli(["convert", "codec", str(ctx.file("model.pth", "not a checkpoint\n")), "out"]),
    )
    add(C, "convert: no converter named", REFUSE, lambda ctx: run_cli(["convert"]))
    # finetune: training is a tripwire
    tune = lambda ctx, *args, **kw: run_cli(
        ["finetune", *args], tripwires=[(_modules()["peft"], "finetune_new_task")], **kw
    )
    add(
        C,
        "finetune: a corpus without the task",
        REFUSE,
        lambda ctx: tune(
            ctx,
            "--model",
            M(ctx),
            "--task",
            "lid",
            "--data",
            str(_hub_corpus(ctx, "corpus", "asr")),
            "--output-dir",
            "out",
            message_has="lid",
        ),
    )
    add(
        C,
        "finetune: a missing --data",
        REFUSE,
        lambda ctx: tune(ctx, "--model", M(ctx), "--task", "lid", "--data", "no_data", "--output-dir", "out"),
    )
    add(
        C,
        "finetune: a missing --model",
        REFUSE,
        lambda ctx: tune(
            ctx,
            "--model",
            str(ctx.dir / "no_model"),
            "--task",
            "lid",
            "--data",
            str(_hub_corpus(ctx, "corpus", "lid")),
            "--output-dir",
            "out",
        ),
    )
    # serve, demo, bench: starting a server, the samples and the benchmarks are tripwires
    serve = lambda ctx, *args, **kw: run_cli(["serve", *args], tripwires=[(_modules()["web_demo"], "launch")], **kw)
    add(C, "serve --model /nonexistent", REFUSE, lambda ctx: serve(ctx, "--model", "/nonexistent/model"))
    add(C, "serve --model the vocoder folder", REFUSE, lambda ctx: serve(ctx, "--model", str(ctx.env.vocoder_dir)))
    add(C, "serve --port 0", REFUSE, lambda ctx: serve(ctx, "--model", M(ctx), "--port", "0"))
    demo = lambda ctx, *args, **kw: run_cli(["demo", *args], tripwires=[(_modules()["demo"], "run_samples")], **kw)
    add(C, "demo --model /nonexistent", REFUSE, lambda ctx: demo(ctx, "--model", "/nonexistent/model"))
    if NO_GPU:
        add(C, "demo --device cuda without a GPU", REFUSE, lambda ctx: demo(ctx, "--model", M(ctx), "--device", "cuda"))
    add(
        C,
        "bench --only nosuch",
        REFUSE,
        lambda ctx: run_cli(["bench", "--only", "nosuch"], tripwires=[(__import__("subprocess"), "run")]),
    )
    add(C, "an unknown command", REFUSE, lambda ctx: run_cli(["frobnicate"], message_has="frobnicate"))
    add(
        C,
        "no command (prints the usage)",
        OK,
        lambda ctx: run_cli([], check=lambda r: None if "usage: lauragpt" in r.stdout else "no usage printed"),
    )
    add(
        C,
        "run --help",
        OK,
        lambda ctx: run_cli(["run", "--help"], check=lambda r: None if "--task" in r.stdout else "no help"),
    )
    # Ctrl-C: the command's main raises KeyboardInterrupt
    for command in ("run", "train", "eval", "export-hub"):
        add(
            C,
            f"Ctrl-C during {command}",
            OK,
            lambda ctx, command=command: run_cli(
                [command],
                replace_main=_interrupt,
                exit_code=130,
                check=lambda r: (
                    None if "interrupted" in r.stderr and len(_error_lines(r.stderr)) == 1 else f"stderr {r.stderr!r}"
                ),
            ),
        )


_register_audio_cases()
_register_pipeline_cases()
_register_processor_cases()
_register_loading_cases()
_register_cli_cases()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="write every case's record here")
    parser.add_argument("--quick", action="store_true", help="a representative subset (about 40 cases)")
    parser.add_argument("--only", nargs="+", metavar="TEXT", help="only the cases whose name contains TEXT")
    parser.add_argument(
        "--area", nargs="+", help="only these areas (pipeline, processor, feature extractor, loading, cli)"
    )
    args = parser.parse_args(argv)
    records = run_catalog(
        quick=args.quick, names=args.only, areas=args.area, log=lambda line: print(line, file=sys.stderr, flush=True)
    )
    print(report(records))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in records], indent=1, ensure_ascii=False))
    return 1 if any(r.bad for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
