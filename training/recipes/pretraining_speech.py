"""Speech for pretraining the demo codec that shares nothing with the demo corpus.

The codec is an autoencoder: it must not see the corpus' held-out test audio, yet it needs far more speech than
the corpus' training split holds to learn a usable latent in a CPU budget. espeak-ng (not a corpus voice) reading
system message strings in English, German, French and Spanish with random voice variants, pitch and speed gives
hours of spectrally varied speech in seconds. The codec then fine-tunes on the corpus' training speech.
"""

from __future__ import annotations

import gettext
import glob
import io
import random
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import soundfile
import torch
import torchaudio

LANGUAGES = {"en": "en-us", "de": "de", "fr": "fr-fr", "es": "es"}
VARIANTS = ["", "+m1", "+m3", "+m5", "+f1", "+f2", "+f4", "+klatt", "+klatt3"]
SAMPLING_RATE = 16000


def _catalog_strings(language: str, limit: int) -> list[str]:
    """Short plain sentences from the gettext catalogs under /usr/share/locale (msgstr of ``language``)."""
    strings = set()
    for path in sorted(glob.glob(f"/usr/share/locale/{language}/LC_MESSAGES/*.mo")):
        try:
            with open(path, "rb") as handle:
                catalog = gettext.GNUTranslations(handle)._catalog
        except (OSError, UnicodeDecodeError):
            continue
        for value in catalog.values():
            if isinstance(value, str) and 3 <= len(value.split()) <= 14 and not re.search(r"[%{}\\_<>$/\n\t]|--", value):
                strings.add(value)
        if len(strings) >= limit * 4:
            break
    return sorted(strings)


def _speak(text: str, voice: str, pitch: int, speed: int) -> np.ndarray:
    """One clip at 16 kHz; empty when espeak-ng writes nothing readable for this text (the caller drops it)."""
    wav = subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(speed), "--stdout", text], capture_output=True, check=False).stdout
    try:
        audio, rate = soundfile.read(io.BytesIO(wav), dtype="float32")
    except soundfile.LibsndfileError:
        return np.zeros(0, dtype=np.float32)
    return torchaudio.functional.resample(torch.from_numpy(audio), rate, SAMPLING_RATE).numpy()


def espeak_speech(num_clips: int, seed: int = 0, max_seconds: float = 6.0) -> list[np.ndarray]:
    """``num_clips`` 16 kHz clips of espeak-ng speech in en/de/fr/es with random voices, pitch and speed."""
    if shutil.which("espeak-ng") is None:
        raise FileNotFoundError("espeak-ng not found: run scripts/install_system_deps.sh")
    rng = random.Random(seed)
    per_language = {lang: _catalog_strings(lang, num_clips) for lang in LANGUAGES}
    jobs = []
    for index in range(num_clips):
        lang = list(LANGUAGES)[index % len(LANGUAGES)]
        texts = per_language[lang] or per_language["en"] or ["This is a test of the speech codec."]
        voice = LANGUAGES[lang] + rng.choice(VARIANTS)
        jobs.append((rng.choice(texts), voice, rng.randint(25, 75), rng.randint(130, 220)))
    with ThreadPoolExecutor(max_workers=2) as pool:
        clips = list(pool.map(lambda job: _speak(*job), jobs))
    limit = int(max_seconds * SAMPLING_RATE)
    return [clip[:limit] for clip in clips if len(clip) > SAMPLING_RATE // 4]


__all__ = ["espeak_speech"]
