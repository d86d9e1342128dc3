"""The synthetic voices of the demo corpus and the three engines that speak them (flite, festival, espeak-ng).

``VOICES`` lists every voice; ``HELD_OUT_VOICE`` (``splits.py``) speaks only in the test split. Only the flite
voices listed with ``f0_control`` honour ``int_f0_target_mean``/``int_f0_target_stddev`` (measured: flite's rms
voice ignores them), so the prosody-acted emotion task uses those.

``TRAIN_VOICES`` (flite and festival) speak every task. The espeak-ng accents and variants, at their own rate and
pitch, speak only ASR training rows (``ASR_TRAIN_VOICES``): ASR is the task that over-fitted to five voices, and
their formant sound never becomes a TTS or SE target. No espeak voice is Scottish, like the held-out voice.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ...errors import MissingProgramError
from ..data.schema import SAMPLING_RATE
from .splits import HELD_OUT_VOICE

INSTALL_HINT = "run scripts/install_system_deps.sh"


@dataclass(frozen=True)
class Voice:
    """A synthetic voice: engine, the engine's name for it, the person it imitates, and its neutral pitch."""

    name: str
    engine: str
    engine_voice: str
    person: str
    f0_control: bool = False
    f0_mean_hz: float = 0.0
    f0_stddev_hz: float = 0.0
    engine_options: tuple[str, ...] = ()  # extra command-line options of the engine (espeak-ng: rate, pitch)


def _espeak(name: str, engine_voice: str, words_per_minute: int, pitch: int) -> Voice:
    """An espeak-ng voice (``engine_voice`` as ``espeak-ng -v`` takes it) at its own rate and pitch (0-99)."""
    return Voice(
        name,
        "espeak-ng",
        engine_voice,
        f"espeak {engine_voice}",
        engine_options=("-s", str(words_per_minute), "-p", str(pitch)),
    )


VOICES = {
    voice.name: voice
    for voice in (
        Voice("flite_kal16", "flite", "kal16", "kal", f0_control=True, f0_mean_hz=100.0, f0_stddev_hz=12.0),
        Voice("flite_rms", "flite", "rms", "rms"),
        Voice("flite_slt", "flite", "slt", "slt", f0_control=True, f0_mean_hz=170.0, f0_stddev_hz=18.0),
        Voice("flite_awb", "flite", "awb", "awb", f0_control=True, f0_mean_hz=125.0, f0_stddev_hz=15.0),
        Voice("festival_cmu_us_slt_arctic_hts", "festival", "voice_cmu_us_slt_arctic_hts", "slt"),
        Voice("festival_kal_diphone", "festival", "voice_kal_diphone", "kal"),
    )
}
ESPEAK_VOICES = {
    voice.name: voice
    for voice in (
        _espeak("espeak_en_us_m3", "en-us+m3", 160, 45),
        _espeak("espeak_en_us_f2", "en-us+f2", 170, 60),
        _espeak("espeak_en_gb_rp_m1", "en-gb-x-rp+m1", 150, 40),
        _espeak("espeak_en_gb_rp_f4", "en-gb-x-rp+f4", 175, 65),
        _espeak("espeak_en_nyc_m4", "en-us-nyc+m4", 185, 50),
        _espeak("espeak_en_029_m2", "en-029+m2", 155, 35),
        _espeak("espeak_en_lancaster_f1", "en-gb-x-gbclan+f1", 165, 55),
        _espeak("espeak_en_midlands_m7", "en-gb-x-gbcwmd+m7", 145, 30),
    )
}
TRAIN_VOICES = tuple(name for name in VOICES if name != HELD_OUT_VOICE)
VOICES.update(ESPEAK_VOICES)
ASR_TRAIN_VOICES = TRAIN_VOICES + tuple(ESPEAK_VOICES)
PROSODY_TRAIN_VOICES = tuple(name for name in TRAIN_VOICES if VOICES[name].f0_control)


def require_program(program: str, package: str) -> str:
    """The path of ``program``, or a ``RuntimeError`` that names the package and the install script."""
    path = shutil.which(program)
    if path is None:
        raise MissingProgramError(f"{program} not found (Debian package {package}): {INSTALL_HINT}")
    return path


@dataclass(frozen=True)
class Prosody:
    """flite prosody settings: duration factor (>1 slower) and pitch target (Hz); ``None`` keeps the voice's own."""

    duration_stretch: float = 1.0
    f0_mean_hz: float | None = None
    f0_stddev_hz: float | None = None

    def flite_arguments(self) -> list[str]:
        settings = {
            "duration_stretch": self.duration_stretch,
            "int_f0_target_mean": self.f0_mean_hz,
            "int_f0_target_stddev": self.f0_stddev_hz,
        }
        arguments = []
        for name, value in settings.items():
            if value is not None and not (name == "duration_stretch" and value == 1.0):
                arguments += ["--setf", f"{name}={value:.3f}"]
        return arguments


NEUTRAL_PROSODY = Prosody()


def _speak_to_file(command: list[str], voice: Voice, text: str, path: Path) -> None:
    """Run one synthesiser ``command`` that writes ``path``; a ``RuntimeError`` names the engine, voice and text when
    it fails or writes nothing."""
    result = subprocess.run(command, check=False, capture_output=True, text=True)
    if result.returncode != 0 or not path.exists():
        raise RuntimeError(
            f"{voice.engine} failed for voice {voice.engine_voice!r} on {text!r}: {result.stderr.strip()}"
        )


def flite_to_file(voice: Voice, text: str, prosody: Prosody, path: Path) -> None:
    """Speak ``text`` with a flite voice into the wav file ``path`` (16 kHz for the voices above)."""
    flite = require_program("flite", "flite")
    _speak_to_file(
        [flite, "-voice", voice.engine_voice, *prosody.flite_arguments(), "-t", text, "-o", str(path)],
        voice,
        text,
        path,
    )


def espeak_to_file(voice: Voice, text: str, path: Path, markup: bool = False) -> None:
    """Speak ``text`` with an espeak-ng voice into the wav file ``path`` (22.05 kHz; the build resamples it);
    ``markup``: ``text`` is SSML (``<speak><prosody ...>``), read with espeak-ng's ``-m``."""
    espeak = require_program("espeak-ng", "espeak-ng")
    options = [*voice.engine_options, *(["-m"] if markup else [])]
    _speak_to_file([espeak, "-v", voice.engine_voice, *options, "-w", str(path), "--", text], voice, text, path)


def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def festival_to_files(voice: Voice, items: list[tuple[str, Path]]) -> None:
    """Speak each ``(text, path)`` with a festival voice in ONE festival process (start-up costs ~0.4 s), at 16 kHz."""
    festival = require_program("festival", "festival (+ festvox-kallpc16k, festvox-us-slt-hts)")
    lines = [f"({voice.engine_voice})"]
    lines += [
        f"(utt.save.wave (utt.wave.resample (utt.synth (Utterance Text {_scheme_string(text)})) {SAMPLING_RATE}) "
        f"{_scheme_string(str(path))} 'riff)"
        for text, path in items
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".scm", delete=False, encoding="utf-8") as script:
        script.write("\n".join(lines) + "\n")
    try:
        result = subprocess.run([festival, "--batch", script.name], check=False, capture_output=True, text=True)
    finally:
        Path(script.name).unlink(missing_ok=True)
    missing = [text for text, path in items if not path.exists()]
    if result.returncode != 0 or missing:
        raise RuntimeError(
            f"festival voice {voice.engine_voice!r} failed ({INSTALL_HINT} if the voice is missing); "
            f"no audio for {missing[:3]}: {result.stderr.strip()[-500:]}"
        )


__all__ = [
    "ASR_TRAIN_VOICES",
    "ESPEAK_VOICES",
    "NEUTRAL_PROSODY",
    "PROSODY_TRAIN_VOICES",
    "TRAIN_VOICES",
    "VOICES",
    "Prosody",
    "Voice",
    "espeak_to_file",
    "festival_to_files",
    "flite_to_file",
    "require_program",
]
