"""WA, UA and weighted F1 (speech emotion recognition) as a local `evaluate` metric."""

from modeling_lauragpt.training.metrics.functional import compute_classification
from modeling_lauragpt.training.metrics.metric_module import TEXT_PAIRS, metric_class

_DESCRIPTION = """Single-label classification scores as reported for speech emotion recognition: weighted accuracy
(WA, plain accuracy), unweighted accuracy (UA, the mean over the reference classes of their recall) and the
support-weighted F1 (WF1)."""

_CITATION = """@inproceedings{poria2019meld,
  title={{MELD}: A Multimodal Multi-Party Dataset for Emotion Recognition in Conversations},
  author={Poria, Soujanya and Hazarika, Devamanyu and Majumder, Navonil and Naik, Gautam and Cambria, Erik
          and Mihalcea, Rada},
  booktitle={ACL},
  year={2019}
}"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `str`): predicted labels, e.g. emotion names.
    references (`list` of `str`): reference labels.
Returns:
    wa (`float`): accuracy, a fraction.
    ua (`float`): macro-average recall over the classes present in the references.
    wf1 (`float`): F1 per reference class, averaged with weights proportional to the class counts.
Example:
    >>> metric = load_metric("classification")
    >>> metric.compute(predictions=["sad", "sad", "sad", "sad"], references=["sad", "sad", "sad", "happy"])["ua"]
    0.5
"""


Classification = metric_class(
    "Classification", __name__, compute_classification, _DESCRIPTION, _CITATION, _KWARGS_DESCRIPTION, TEXT_PAIRS
)
