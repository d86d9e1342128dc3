"""transformers' own processor suite (its sdist's tests/test_processing_common.py, see tests/upstream_suites.py),
run on LauraGPTProcessor with the Conformer's feature extractor and with Whisper's."""

from __future__ import annotations

import unittest

from transformers import WhisperFeatureExtractor

from modeling_lauragpt import LauraGPTFeatureExtractor, LauraGPTProcessor
from modeling_lauragpt.processing.tokenizer_utils import train_text_tokenizer

from .helpers import SENTENCES
from .upstream_suites import upstream_suite

processing_common = upstream_suite("test_processing_common")


class _ProcessorSuite(processing_common.ProcessorTesterMixin):
    processor_class = LauraGPTProcessor

    @unittest.skip("a LauraGPT text row is a task prompt (text, then the task token), not the tokenizer's bare ids")
    def test_subprocessor_defaults_0_text(self):
        pass

    @classmethod
    def _setup_tokenizer(cls):
        return train_text_tokenizer(SENTENCES + ["lower newer upper older longer string"], vocab_size=160)

    @staticmethod
    def prepare_processor_dict():
        return {"codebook_size": 16}


class ConformerProcessorTest(_ProcessorSuite, unittest.TestCase):
    @classmethod
    def _setup_feature_extractor(cls):
        return LauraGPTFeatureExtractor()


class WhisperProcessorTest(_ProcessorSuite, unittest.TestCase):
    @classmethod
    def _setup_feature_extractor(cls):
        return WhisperFeatureExtractor(feature_size=80)
