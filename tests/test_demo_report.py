"""`lauragpt demo`'s report: Whisper's transcript of each generated clip sits next to its reference."""

from __future__ import annotations

import numpy as np
import soundfile

from modeling_lauragpt.demo import add_whisper_transcripts, summary_table


class _EchoJudge:
    def __init__(self):
        self.rates = []

    def transcribe(self, audio, sampling_rate=16000):
        self.rates.append(sampling_rate)
        return f"{len(audio)} samples heard"


def test_generated_clips_get_a_whisper_transcript_beside_the_reference(tmp_path):
    wav = tmp_path / "00_tts.wav"
    soundfile.write(str(wav), np.zeros(8000, np.float32), 16000)
    records = [
        {
            "task": "tts",
            "input": "Goodbye.",
            "output": "audio/00_tts.wav (0.50 s)",
            "output_audio": str(wav),
            "reference": "Goodbye.",
            "seconds": 0.4,
        },
        {"task": "asr", "input": "asr_00.wav", "output": "goodbye", "reference": "Goodbye.", "seconds": 0.1},
    ]
    judge = _EchoJudge()
    add_whisper_transcripts(records, judge)
    assert records[0]["whisper_heard"] == "8000 samples heard" and "whisper_heard" not in records[1]
    assert judge.rates == [16000]
    table = summary_table(records)
    assert 'Whisper hears: "8000 samples heard"' in table.splitlines()[2] and "Whisper" not in table.splitlines()[3]
