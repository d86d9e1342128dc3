"""Classifier outputs stay inside their label set and translations need a trained target language."""

from __future__ import annotations

import pytest
import torch
from transformers import pipeline

from modeling_lauragpt import LauraGPTForConditionalGeneration
from modeling_lauragpt.generation_lauragpt import ChoiceLogitsProcessor
from modeling_lauragpt.training.data.output_sets import (
    merge_output_sets,
    task_output_sets,
)

from .helpers import make_audio

pytestmark = pytest.mark.reliability

EOS = 0


def test_the_choice_processor_allows_only_continuations_of_a_choice():
    rule = ChoiceLogitsProcessor([[5, 6, EOS], [5, 7, EOS], [9, EOS]])
    prompt = torch.tensor([[1, 2], [1, 2]])
    allowed = lambda ids: (rule(ids, torch.zeros(ids.shape[0], 12)) > -float("inf")).nonzero().tolist()
    assert allowed(prompt) == [[0, 5], [0, 9], [1, 5], [1, 9]]
    assert allowed(torch.tensor([[1, 2, 5], [1, 2, 9]])) == [[0, 6], [0, 7], [1, EOS]]
    assert allowed(torch.tensor([[1, 2, 9, EOS]]))[0] == [0, EOS]  # past a whole choice: only an end token
    with pytest.raises(ValueError, match="at least one non-empty choice"):
        ChoiceLogitsProcessor([])


def test_output_sets_are_read_from_the_training_rows_and_merged():
    rows = [
        {"task": "mt", "language": "fr", "target_text": "x"},
        {"task": "s2tt", "language": "de", "target_text": "y"},
        {"task": "mt", "language": "de", "target_text": "z"},
        {"task": "ser", "language": None, "target_text": "sad "},
        {"task": "ser", "language": None, "target_text": "happy"},
        {"task": "asr", "language": None, "target_text": "w"},
    ]
    languages, labels = task_output_sets(rows)
    assert languages == {"mt": ["de", "fr"], "s2tt": ["de"]} and labels == {"ser": ["happy", "sad"]}
    assert merge_output_sets({"mt": ["es"]}, languages) == {"mt": ["de", "es", "fr"], "s2tt": ["de"]}
    assert merge_output_sets(None, {}) == {}


@pytest.fixture(scope="module")
def labelled_pipe(tmp_path_factory, tiny_config, processor):
    """A tiny random model whose config lists SER labels and translation languages, as the recipe writes them."""
    folder = tmp_path_factory.mktemp("labelled")
    torch.manual_seed(0)
    model = LauraGPTForConditionalGeneration(tiny_config)
    model.config.task_labels = {"ser": ["angry", "happy", "neutral", "sad"]}
    model.config.task_languages = {"mt": ["de"], "s2tt": ["de"]}
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return pipeline("lauragpt", model=str(folder), device="cpu")


def test_ser_decodes_inside_its_label_set_even_when_sampling(labelled_pipe):
    for seed in range(4):
        torch.manual_seed(seed)
        label = labelled_pipe(make_audio(0.6, seed), task="ser", sampling_rate=16000, do_sample=True, top_k=0)
        assert label["label"] in {"angry", "happy", "neutral", "sad"}, label


def test_a_label_is_whole_whatever_length_options_are_given(labelled_pipe):
    """The label set decides the length: max_new_tokens=1 would cut "neutral" short, min_new_tokens run past it."""
    for options in ({"max_new_tokens": 1}, {"min_new_tokens": 5, "max_new_tokens": 5}):
        label = labelled_pipe(make_audio(0.6, 1), task="ser", sampling_rate=16000, **options)["label"]
        assert label in {"angry", "happy", "neutral", "sad"}, (options, label)


def test_translation_needs_a_language_the_model_was_trained_on(labelled_pipe):
    with pytest.raises(ValueError, match=r"not trained to translate into 'xx' \(this model was trained on: de\)"):
        labelled_pipe("hello world", task="mt", language="xx")
    with pytest.raises(ValueError, match="pass language=<target language> \\(this model was trained on: de\\)"):
        labelled_pipe(make_audio(0.5, 1), task="s2tt", sampling_rate=16000)
    assert isinstance(labelled_pipe("hello world", task="mt", language="de", max_new_tokens=3)["text"], str)
