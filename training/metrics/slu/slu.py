"""Intent accuracy and SLURP's SLU-F1 (spoken language understanding) as a local `evaluate` metric."""

from modeling_lauragpt.training.metrics.functional import compute_slu
from modeling_lauragpt.training.metrics.metric_module import TEXT_PAIRS, metric_class

_DESCRIPTION = """Intent accuracy and SLU-F1 (SLURP) for outputs written as `intent | slot=value | slot=value`.
SLU-F1 scores the (slot, value) pairs twice, with a word-level distance (WER of the values) and a character-level
distance (normalised Levenshtein) between the values of the same slot type, adds the two confusion counts, and
takes the F1 of the sums; see `modeling_lauragpt.training.metrics.functional.compute_slu` for the formula."""

_CITATION = """@inproceedings{bastianelli2020slurp,
  title={{SLURP}: A Spoken Language Understanding Resource Package},
  author={Bastianelli, Emanuele and Vanzo, Andrea and Swietojanski, Pawel and Rieser, Verena},
  booktitle={EMNLP},
  year={2020}
}"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `str`): generated `intent | slot=value | ...` lines.
    references (`list` of `str`): reference lines in the same format.
Returns:
    intent_accuracy (`float`): fraction of exactly matching intents.
    slu_f1 (`float`): SLURP's SLU-F1, a fraction.
    slot_precision (`float`), slot_recall (`float`): the precision and recall behind `slu_f1`.
Example:
    >>> metric = load_metric("slu")
    >>> metric.compute(predictions=["set_alarm | time=seven am"], references=["set_alarm | time=seven am"])["slu_f1"]
    1.0
"""


Slu = metric_class(
    "Slu",
    __name__,
    compute_slu,
    _DESCRIPTION,
    _CITATION,
    _KWARGS_DESCRIPTION,
    TEXT_PAIRS,
    codebase_urls=["https://github.com/pswietojanski/slurp/tree/master/scripts/evaluation"],
)
