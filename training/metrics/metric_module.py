"""The one wrapper behind every local ``evaluate`` metric module (``<name>/<name>.py``): each module holds only its
texts (description, citation, argument docs), its input features and the plain function that computes it
(``functional.py``); ``metric_class`` turns them into the ``evaluate.Metric`` subclass ``evaluate.load`` finds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import datasets
import evaluate

TEXT_PAIRS = datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")})
# one or several reference texts per prediction (BLEU, captioning): evaluate tries the features in this order
TEXT_WITH_REFERENCES = [
    datasets.Features(
        {
            "predictions": datasets.Value("string", id="sequence"),
            "references": datasets.Sequence(datasets.Value("string", id="sequence"), id="references"),
        }
    ),
    datasets.Features(
        {"predictions": datasets.Value("string", id="sequence"), "references": datasets.Value("string", id="sequence")}
    ),
]
WAVEFORM_PAIRS = datasets.Features(
    {
        "predictions": datasets.Sequence(datasets.Value("float32")),
        "references": datasets.Sequence(datasets.Value("float32")),
    }
)


def metric_class(
    name: str,
    module: str,
    compute: Callable[..., dict],
    description: str,
    citation: str,
    inputs_description: str,
    features,
    codebase_urls: Sequence[str] = (),
) -> type[evaluate.Metric]:
    """An ``evaluate.Metric`` subclass named ``name`` whose ``compute(predictions=..., references=..., **options)``
    returns ``compute(predictions, references, **options)``.

    Args:
        name: the class name (evaluate derives the metric's name from it, e.g. ``"Wer"`` -> ``"wer"``).
        module: the defining module's ``__name__`` (so the class pickles like one written there).
        compute: the plain function of ``functional.py``.
        description, citation, inputs_description: the texts ``MetricInfo`` shows.
        features: a ``datasets.Features`` or a list of them (tried in order).
        codebase_urls: the implementations the metric follows.
    """

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=description,
            citation=citation,
            inputs_description=inputs_description,
            features=features,
            codebase_urls=list(codebase_urls),
        )

    def _compute(self, predictions, references, **options) -> dict:
        return compute(predictions, references, **options)

    return type(
        name,
        (evaluate.Metric,),
        {"__module__": module, "__doc__": f"{description}\n{inputs_description}", "_info": _info, "_compute": _compute},
    )


__all__ = ["TEXT_PAIRS", "TEXT_WITH_REFERENCES", "WAVEFORM_PAIRS", "metric_class"]
