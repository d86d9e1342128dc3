"""``load_pipeline``: the ``pipeline("lauragpt")`` that the apps (``lauragpt run``, ``lauragpt demo``, ``lauragpt
serve`` and the web demo) load, with every loading failure turned into one ``LauraGPTError`` that names the fix."""

from __future__ import annotations

from .errors import LauraGPTError, ModelLoadError
from .model_folder import check_model_folder
from .processing.pipeline_lauragpt import check_device


def load_pipeline(model: str, device: str | None):
    """``pipeline("lauragpt")`` for a command line: a missing, empty or corrupt model folder raises
    ``ModelLoadError``, and a CUDA device on a machine without one ``DeviceUnavailableError`` (``check_device``); the CLI's error
    boundary prints either as one line that names the problem and the fix."""
    from transformers import pipeline

    import modeling_lauragpt  # noqa: F401  (registers the pipeline)

    check_device(device)  # before the folder is read: a wrong device costs nothing
    check_model_folder(model, "lauragpt")
    try:
        return pipeline("lauragpt", model=model, device=device)
    except LauraGPTError:
        raise
    except Exception as error:
        raise ModelLoadError(
            f"could not load the model at {model}: {type(error).__name__}: {error}. Fix: re-save it with "
            "save_pretrained, or re-download it (a truncated or corrupt file cannot be read)."
        ) from error


__all__ = ["load_pipeline"]
