"""Corpus BLEU and chrF (speech and text translation) as a local `evaluate` metric."""

from modeling_lauragpt.training.metrics.functional import compute_bleu
from modeling_lauragpt.training.metrics.metric_module import (
    TEXT_WITH_REFERENCES,
    metric_class,
)

_DESCRIPTION = """Corpus BLEU (Papineni et al., 2002) and chrF (Popovic, 2015) computed with sacrebleu, on the 0-100
scale, with one or several references per prediction."""

_CITATION = """@inproceedings{post-2018-call,
  title={A Call for Clarity in Reporting {BLEU} Scores},
  author={Post, Matt},
  booktitle={Proceedings of the Third Conference on Machine Translation: Research Papers},
  year={2018},
  pages={186--191}
}"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `str`): translations produced by the system.
    references (`list` of `str`, or `list` of `list` of `str`): one reference, or several, per prediction.
    tokenize (`str`, default `"13a"`): sacrebleu's BLEU tokeniser (`"zh"` for Chinese output, `"intl"`, `"char"`).
Returns:
    bleu (`float`): corpus BLEU, 0-100.
    chrf (`float`): corpus chrF (beta 2), 0-100.
Example:
    >>> metric = load_metric("bleu")
    >>> metric.compute(predictions=["the cat sat on the mat"], references=[["the cat sat on the mat"]])["bleu"]
    100.00000000000004
"""


Bleu = metric_class(
    "Bleu",
    __name__,
    compute_bleu,
    _DESCRIPTION,
    _CITATION,
    _KWARGS_DESCRIPTION,
    TEXT_WITH_REFERENCES,
    codebase_urls=["https://github.com/mjpost/sacrebleu"],
)
