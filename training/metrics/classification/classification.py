"""WA, UA and weighted F1 (speech emotion recognition) as a local `evaluate` metric."""

import datasets
import evaluate

from modeling_lauragpt.training.metrics.functional import compute_classification

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


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Classification(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _compute(self, predictions, references):
        return compute_classification(predictions, references)
