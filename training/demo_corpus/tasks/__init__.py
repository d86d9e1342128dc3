"""One builder per task: ``plan_<task>(BuildPlan) -> list[PlannedRow]`` (rows with audio recipes, not audio)."""

from .aac import plan_aac
from .asr import plan_asr
from .common import BuildPlan, PlannedRow
from .mt import plan_mt
from .s2tt import plan_s2tt
from .se import plan_se
from .ser import plan_ser
from .slu import plan_slu
from .tts import plan_tts

PLANNERS = {
    "asr": plan_asr,
    "s2tt": plan_s2tt,
    "tts": plan_tts,
    "se": plan_se,
    "aac": plan_aac,
    "ser": plan_ser,
    "slu": plan_slu,
    "mt": plan_mt,
}
TASKS = tuple(PLANNERS)

__all__ = ["PLANNERS", "TASKS", "BuildPlan", "PlannedRow"]
