"""Word and character error rates (ASR; content consistency of SE and TTS) as a local `evaluate` metric."""

from modeling_lauragpt.training.metrics.functional import compute_wer
from modeling_lauragpt.training.metrics.metric_module import TEXT_PAIRS, metric_class

_DESCRIPTION = """Corpus word error rate and character error rate computed with jiwer: (substitutions + deletions +
insertions) / number of reference words (characters). By default both sides are normalised first: lower-cased,
punctuation removed, whitespace collapsed."""

_CITATION = """@inproceedings{morris2004wer,
  title={From WER and RIL to MER and WIL: improved evaluation measures for connected speech recognition},
  author={Morris, Andrew Cameron and Maier, Viktoria and Green, Phil},
  booktitle={Interspeech},
  year={2004}
}"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `str`): transcripts produced by the system.
    references (`list` of `str`): ground-truth transcripts.
    normalize (`bool`, default `True`): lower-case, strip punctuation and collapse spaces on both sides.
Returns:
    wer (`float`): word error rate, a fraction (can exceed 1).
    cer (`float`): character error rate, a fraction.
Example:
    >>> metric = load_metric("wer")
    >>> metric.compute(predictions=["a x c"], references=["A b c."])
    {'wer': 0.3333333333333333, 'cer': 0.2}
"""


Wer = metric_class(
    "Wer",
    __name__,
    compute_wer,
    _DESCRIPTION,
    _CITATION,
    _KWARGS_DESCRIPTION,
    TEXT_PAIRS,
    codebase_urls=["https://github.com/jitsi/jiwer"],
)
