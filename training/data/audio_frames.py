"""Cached audio-tower frames: run a frozen audio tower once per clip, so training the LLM never runs it again.

    model.freeze_audio_tower()
    dataset = add_audio_frames(dataset, model, processor)   # datasets.map, cached on disk with the tower's weights

Rows of audio-input tasks get ``audio_frames``: the pooled tower frames (``model.get_audio_frames``) of their
``audio``, a ``(frames, tower_hidden)`` float32 matrix; the other rows get ``None``. When the tower's top layers
train (``model.freeze_audio_tower(trainable_top_layers)``), the states entering them instead, before pooling
(``model.get_frozen_audio_frames``), and those layers run on the cache in each step. ``LauraGPTCollator`` passes
the frames to the processor instead of the audio, and the model projects them as if it had run the tower, so the
loss is the same as on the uncached path while each step skips the encoder.
"""

from __future__ import annotations

import hashlib

import torch
from datasets import Dataset, List, Value

from ...errors import InvalidInputError
from ...tasks import AUDIO, task_spec

AUDIO_FRAMES_COLUMN = "audio_frames"
FRAMES_FEATURE = List(List(Value("float32")))  # (frames, tower_hidden); None on rows without audio input


def tower_fingerprint(model) -> str:
    """A hash of everything that decides a clip's cached frames: the tower's weights, pooling, window and the
    number of its top layers that train (whose input is cached instead)."""
    digest = hashlib.sha256()
    config = model.config
    trainable = model.model.trainable_tower_layers  # the cache then holds the frozen layers' states
    digest.update(f"{config.audio_tower_type}|{config.audio_frame_pooling}|{config.audio_window}|{trainable}".encode())
    for name, tensor in sorted(model.model.audio_tower.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().float().cpu().numpy().tobytes())
    return digest.hexdigest()[:16]


def _cached_part_frozen(model) -> bool:
    """Whether nothing the cached frames depend on trains: every tower parameter is frozen but those of the top
    ``trainable_tower_layers`` layers and the final norm, which run on the cache in each step."""
    tower, top_layers = model.model.audio_tower, model.model.trainable_tower_layers
    runs_per_step = set()
    if top_layers:
        final_norm = getattr(tower, "layer_norm", None) or getattr(tower, "after_norm", None)
        for module in [*tower.layers[len(tower.layers) - top_layers :], final_norm]:
            runs_per_step.update(id(p) for p in module.parameters())
    return not any(p.requires_grad and id(p) not in runs_per_step for p in tower.parameters())


def _frames_batch(tasks: list, audio: list, model, processor, batch_size: int) -> dict:
    """Batched ``datasets.map`` function over (task, audio): pooled tower frames for audio-input rows, else None."""
    frames = [None] * len(tasks)
    rows = [i for i, task in enumerate(tasks) if task_spec(task, processor.tasks).input_modality == AUDIO]
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        waveforms = [processor.prepare_waveform(audio[i], None, index=i) for i in chunk]
        inputs = processor.audio_inputs(waveforms)
        with torch.no_grad():
            cached, mask = model.get_frozen_audio_frames(
                inputs["input_features"].to(model.device), inputs["input_features_mask"].to(model.device)
            )
        for row, values, real in zip(chunk, cached.float().cpu(), mask.sum(dim=1).tolist()):
            frames[row] = values[:real].numpy()
    return {AUDIO_FRAMES_COLUMN: frames}


def add_audio_frames(dataset: Dataset, model, processor, batch_size: int = 8, map_batch_size: int = 64) -> Dataset:
    """Add ``audio_frames`` ((frames, tower_hidden) float32, ``None`` for text-input rows) with ``datasets.map``.

    dataset : canonical rows (task, audio, ...; any mix of tasks)
    model : the ``LauraGPTForConditionalGeneration`` whose (frozen) tower gives the frames
    processor : its processor (feature extractor and placeholder counts)
    batch_size : clips per tower call; map_batch_size : rows per map call
    returns : the dataset with the new column; the map is cached by ``datasets`` under a fingerprint of the rows and
        of the tower (``tower_fingerprint``), so a second call with the same tower reads the cache
    """
    if "task" not in dataset.column_names or "audio" not in dataset.column_names:
        raise InvalidInputError(
            f"add_audio_frames needs canonical rows (task, audio, ...); got columns {dataset.column_names}. Load them "
            "with training.data.adapters.load_task_dataset."
        )
    processor.check_model_config(model.config)
    if not _cached_part_frozen(model):
        raise InvalidInputError(
            "The audio tower is trainable, so its frames change every step and cannot be cached. Call "
            "model.freeze_audio_tower() first, with trainable_top_layers for the top layers that should still train "
            "(or train without cached frames)."
        )
    model.eval()
    features = dataset.features.copy()
    features[AUDIO_FRAMES_COLUMN] = FRAMES_FEATURE
    fingerprint = hashlib.sha256(f"{dataset._fingerprint}|{tower_fingerprint(model)}".encode()).hexdigest()[:16]
    return dataset.map(
        _frames_batch,
        input_columns=["task", "audio"],
        batched=True,
        batch_size=map_batch_size,
        features=features,
        fn_kwargs={"model": model, "processor": processor, "batch_size": batch_size},
        new_fingerprint=fingerprint,
        desc="audio-tower frames",
    )


__all__ = ["AUDIO_FRAMES_COLUMN", "add_audio_frames", "tower_fingerprint"]
