"""PESQ, STOI and SI-SDR (speech enhancement, TTS audio) as a local `evaluate` metric."""

from modeling_lauragpt.training.metrics.functional import compute_speech_quality
from modeling_lauragpt.training.metrics.metric_module import (
    WAVEFORM_PAIRS,
    metric_class,
)

_DESCRIPTION = """Objective speech quality of generated or enhanced waveforms against references: wide-band PESQ
(ITU-T P.862.2, via the `pesq` package), STOI (via `pystoi`) and SI-SDR in dB, each averaged over the pairs. Every
pair is trimmed to the shorter of its two lengths. Waveforms are float arrays at 16 kHz."""

_CITATION = """@inproceedings{rix2001pesq,
  title={Perceptual evaluation of speech quality ({PESQ})},
  author={Rix, Antony W. and Beerends, John G. and Hollier, Michael P. and Hekstra, Andries P.},
  booktitle={ICASSP},
  year={2001}
}
@article{taal2011stoi,
  title={An Algorithm for Intelligibility Prediction of Time-Frequency Weighted Noisy Speech},
  author={Taal, Cees H. and Hendriks, Richard C. and Heusdens, Richard and Jensen, Jesper},
  journal={IEEE Transactions on Audio, Speech, and Language Processing},
  year={2011}
}
@inproceedings{leroux2019sisdr,
  title={{SDR} -- Half-baked or Well Done?},
  author={Le Roux, Jonathan and Wisdom, Scott and Erdogan, Hakan and Hershey, John R.},
  booktitle={ICASSP},
  year={2019}
}"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of 1-D float arrays): generated or enhanced waveforms.
    references (`list` of 1-D float arrays): clean reference waveforms (lengths may differ from the predictions).
    sample_rate (`int`, default 16000): sampling rate of both; PESQ wide-band needs 16000.
Returns:
    pesq (`float`): mean wide-band PESQ (MOS-LQO, about 1.0-4.64); NaN if PESQ found no speech in some pair.
    stoi (`float`): mean STOI, 0-1.
    si_sdr (`float`): mean SI-SDR in dB.
Example:
    >>> metric = load_metric("speech_quality")
    >>> metric.compute(predictions=[enhanced], references=[clean])
"""


SpeechQuality = metric_class(
    "SpeechQuality", __name__, compute_speech_quality, _DESCRIPTION, _CITATION, _KWARGS_DESCRIPTION, WAVEFORM_PAIRS
)
