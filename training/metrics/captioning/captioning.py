"""Audio-captioning metrics (BLEU-1..4, ROUGE-L, CIDEr-D, optional METEOR) as a local `evaluate` metric."""

from modeling_lauragpt.training.metrics.functional import compute_captioning
from modeling_lauragpt.training.metrics.metric_module import (
    TEXT_WITH_REFERENCES,
    metric_class,
)

_DESCRIPTION = """The coco-caption metrics used for automated audio captioning, computed with pycocoevalcap's
pure-Python scorers on lower-cased, regex-tokenised text (no Java needed): corpus BLEU-1..4, ROUGE-L and CIDEr-D.
METEOR (Java) is added only when `meteor=True` and `java` is on PATH. SPICE/SPIDEr are not available offline."""

_CITATION = """@inproceedings{vedantam2015cider,
  title={{CIDEr}: Consensus-based Image Description Evaluation},
  author={Vedantam, Ramakrishna and Zitnick, C. Lawrence and Parikh, Devi},
  booktitle={CVPR},
  year={2015}
}
@inproceedings{drossos2020clotho,
  title={Clotho: an Audio Captioning Dataset},
  author={Drossos, Konstantinos and Lipping, Samuel and Virtanen, Tuomas},
  booktitle={ICASSP},
  year={2020}
}"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `str`): one generated caption per clip.
    references (`list` of `list` of `str`, or `list` of `str`): the reference captions of each clip.
    meteor (`bool`, default `False`): also compute METEOR (needs `java`; ~10 s to start).
Returns:
    bleu_1, bleu_2, bleu_3, bleu_4 (`float`): corpus BLEU-n, fractions.
    rouge_l (`float`): mean ROUGE-L F-score.
    cider (`float`): CIDEr-D (0-10 scale; 0 for a one-clip corpus, whose idf weights are all 0).
    meteor (`float`): only when requested and Java is available.
Example:
    >>> metric = load_metric("captioning")
    >>> scores = metric.compute(predictions=["a dog barks", "rain falls"], references=[["a dog barks"], ["wind blows"]])
    >>> round(scores["bleu_1"], 6), scores["rouge_l"]
    (0.6, 0.5)
"""


Captioning = metric_class(
    "Captioning",
    __name__,
    compute_captioning,
    _DESCRIPTION,
    _CITATION,
    _KWARGS_DESCRIPTION,
    TEXT_WITH_REFERENCES,
    codebase_urls=["https://github.com/salaniz/pycocoevalcap"],
)
