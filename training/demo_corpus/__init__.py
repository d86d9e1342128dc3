"""The offline eight-task demo corpus (``lauragpt build-demo-data``): real asterisk prompts, flite/festival
voices, gettext translations, event sounds, melodies and noise, written as a Hub-format dataset."""

from .build import BuildResult, build_demo_corpus
from .tasks import TASKS, BuildPlan

__all__ = ["TASKS", "BuildPlan", "BuildResult", "build_demo_corpus"]
