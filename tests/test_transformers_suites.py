"""transformers' own common model suite (its sdist's tests/test_modeling_common.py, see tests/upstream_suites.py),
run on LauraGPTModel and LauraGPTForConditionalGeneration with either tower, text-only and with audio."""

from __future__ import annotations

import unittest

from modeling_lauragpt import (
    LauraGPTConfig,
    LauraGPTForConditionalGeneration,
    LauraGPTModel,
)

from .model_tester import LauraGPTModelTester
from .upstream_suites import add_model_names, upstream_suite

modeling_common = upstream_suite("test_modeling_common")
add_model_names(
    modeling_common,
    LauraGPTConfig.model_type,
    MODEL_MAPPING_NAMES=LauraGPTModel.__name__,
    MODEL_FOR_CAUSAL_LM_MAPPING_NAMES=LauraGPTForConditionalGeneration.__name__,
)
ConfigTester = upstream_suite("test_configuration_common").ConfigTester

AUDIO_MAIN_INPUT_ONLY = (
    "the test keeps only input_ids (the main input) and drops input_features, and <|audio|> "
    "placeholders without features must raise; the text-only classes run it"
)
RANDOM_IDS = (
    "the test feeds ids drawn from the whole vocabulary, which may hold <|audio|> placeholders, and those "
    "without input_features must raise"
)
TOWER_NOT_RUN = (
    "the test hooks the model's first checkpointing layer, the audio tower's, which text-only inputs never "
    "run; the audio classes run it"
)
NO_AUDIO = "the test needs audio inputs; the audio classes run it"
AUDIO_CLAMPED_IDS = (
    "shrinking the vocabulary clamps input_ids and so erases the <|audio|> placeholders (the top of "
    "LauraGPT's token layout), which must then raise; the text-only classes run it"
)


COMMON_SKIPS = {
    "test_generation_tester_mixin_inheritance": "the sdist ships no generation suite; tests/test_generation_conformance.py covers generate",
    "test_model_rope_scaling_from_config": RANDOM_IDS,
}
AUDIO_SKIPS = {
    "test_eager_matches_sdpa_inference": AUDIO_MAIN_INPUT_ONLY,
    "test_resize_tokens_embeddings": AUDIO_CLAMPED_IDS,
    "test_resize_embeddings_untied": AUDIO_CLAMPED_IDS,
}
TEXT_ONLY_SKIPS = {
    "test_training_gradient_checkpointing": TOWER_NOT_RUN,  # and its use_reentrant variants
    "test_get_audio_features": NO_AUDIO,  # _output, _hidden_states, _attentions
}


def skipping(reasons: dict[str, str]):
    """Class decorator: skip each test named in ``reasons`` (and the variants ``parameterized`` made of it, or that
    share its name as a prefix) with its one-line reason. Applied to the final classes, because the mixin copies
    every test into each subclass as it is created."""

    def apply(suite: type) -> type:
        for name in dir(suite):
            for prefix, reason in reasons.items():
                if name == prefix or name.startswith(prefix + "_"):
                    setattr(suite, name, unittest.skip(reason)(lambda self: None))
        return suite

    return apply


class _LauraGPTSuite(modeling_common.ModelTesterMixin):
    all_model_classes = (LauraGPTModel, LauraGPTForConditionalGeneration)
    tower, audio = "conformer", True
    _is_composite = True

    def setUp(self):
        self.model_tester = LauraGPTModelTester(self, tower=self.tower, audio=self.audio)
        self.config_tester = ConfigTester(self, config_class=LauraGPTConfig, has_text_modality=False)

    def test_config(self):
        self.config_tester.run_common_tests()


@skipping(COMMON_SKIPS | AUDIO_SKIPS)
class ConformerAudioTest(_LauraGPTSuite, unittest.TestCase):
    tower, audio = "conformer", True


@skipping(COMMON_SKIPS | TEXT_ONLY_SKIPS)
class ConformerTextOnlyTest(_LauraGPTSuite, unittest.TestCase):
    tower, audio = "conformer", False


@skipping(COMMON_SKIPS | AUDIO_SKIPS)
class WhisperAudioTest(_LauraGPTSuite, unittest.TestCase):
    tower, audio = "whisper", True


@skipping(COMMON_SKIPS | TEXT_ONLY_SKIPS)
class WhisperTextOnlyTest(_LauraGPTSuite, unittest.TestCase):
    tower, audio = "whisper", False
