"""Quality of the one-step vocoder vs the multi-step baseline when no trained vocoders exist: a tiny pair trained
here, for the same number of steps, on the same few clips.

Both vocoders share the tiny preset's width and depth, the same tiny codec (codebooks initialised from the clips)
and the same initial predictor weights. Each is trained with AdamW on one batch holding every clip twice: once as
TTS (condition: its text) and once as SE (condition: the LFR features of the clip plus white noise at 5 dB). Then,
on those same clips and conditions:

- ``latent_l1``: mean |predicted latent - target latent|, the target being the sum of all 32 codebook vectors of the
  clip's codes (what the one-step vocoder regresses; the multi-step one gets there through its 31 generated groups);
- PESQ (wide-band), STOI and SI-SDR of the decoded audio against the codec's own reconstruction of the clip (the
  best any vocoder over this codec can do), with the functions of the evaluation harness
  (``training.metrics.functional``);
- the same figures for the first group alone decoded by the codec: what the codes carry with no vocoder at all.

This measures how far each scheme gets on a fixed, small training budget while fitting a handful of clips; it says
nothing about generalisation to unseen speech or about the paper's trained models.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch

from modeling_lauragpt import (
    LauraGPTMultiStepVocoder,
    LauraGPTMultiStepVocoderConfig,
    LauraGPTVocoder,
    LauraGPTVocoderConfig,
)
from modeling_lauragpt.audio import SAMPLING_RATE
from modeling_lauragpt.bench.fixtures import (
    SENTENCES,
    build_processor,
    clip_source,
    noisy,
    speech_clip,
    tiny_codec,
)
from modeling_lauragpt.codec import (
    codec_spec,
    codes_to_latent,
    encode_codes,
    latent_to_waveform,
)
from modeling_lauragpt.training.metrics.functional import pesq_wb, si_sdr, stoi
from modeling_lauragpt.training.vocoder_training import VocoderCollator

KINDS = ("one_step", "multi_step")
TASKS = ("tts", "se")


def build_pair(preset: str, codec=None, seed: int = 0, **overrides) -> dict:
    """``{"one_step": LauraGPTVocoder, "multi_step": LauraGPTMultiStepVocoder}`` of one preset's width and depth,
    with the same initial weights in every shared module and, when given, ``codec``'s weights in both."""
    if codec is not None:  # either codec class
        overrides.update(codec_config=codec.config, codebook_size=codec_spec(codec).codebook_size)
    pair = {}
    for kind, model_class, config_class in (
        ("one_step", LauraGPTVocoder, LauraGPTVocoderConfig),
        ("multi_step", LauraGPTMultiStepVocoder, LauraGPTMultiStepVocoderConfig),
    ):
        torch.manual_seed(seed)
        model = model_class(config_class.from_preset(preset, **overrides))
        if codec is not None:
            model.codec.load_state_dict(codec.state_dict())
        pair[kind] = model.eval()
    shared = {k: v for k, v in pair["one_step"].state_dict().items() if not k.startswith("out_proj")}
    pair["multi_step"].load_state_dict(shared, strict=False)
    return pair


def training_batches(processor, vocoder, clips: list[np.ndarray], texts: list[str]) -> dict:
    """``{"tts": batch, "se": batch, "all": both}``: ``VocoderCollator`` batches of the clips as TTS and as SE rows."""
    codes = encode_codes(vocoder.codec, clips)
    collate = VocoderCollator(processor, vocoder)
    tts = [{"codes": c, "text": t} for c, t in zip(codes, texts)]
    se = [{"codes": c, "noisy_audio": noisy(clip, 5.0, seed=i)} for i, (c, clip) in enumerate(zip(codes, clips))]
    return {"tts": collate(tts), "se": collate(se), "all": collate(tts + se)}


def train(model, batch, steps: int, lr: float = 1e-3, seed: int = 0) -> float:
    """``steps`` AdamW steps on ``batch``: one batch dict for every step, or a callable giving each step's batch
    (the multi-step model draws its group per step, as VALL-E trains). Returns the training seconds."""
    next_batch = batch if callable(batch) else lambda: batch
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    torch.manual_seed(seed)
    model.train()
    start = time.perf_counter()
    for _ in range(steps):
        loss = model(**next_batch()).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    return time.perf_counter() - start


def _conditions(batch: dict) -> dict:
    return {k: v for k, v in batch.items() if k not in ("codes", "codes_mask", "target_codes")}


def _scores(audio: torch.Tensor, lengths, references: list[np.ndarray]) -> dict:
    """Means over clips of PESQ/STOI/SI-SDR of ``audio`` rows against ``references`` (NaN PESQ counted apart)."""
    outputs = [audio[row, : int(n)].numpy() for row, n in enumerate(lengths)]
    pesq = [pesq_wb(o, r) for o, r in zip(outputs, references)]
    valid = [p for p in pesq if not math.isnan(p)]
    return {
        "pesq": float(np.mean(valid)) if valid else math.nan,
        "pesq_undefined": len(pesq) - len(valid),
        "stoi": float(np.mean([stoi(o, r) for o, r in zip(outputs, references)])),
        "si_sdr": float(np.mean([si_sdr(o, r) for o, r in zip(outputs, references)])),
    }


@torch.no_grad()
def evaluate(pair: dict, batch: dict, codec) -> dict:
    """Latent L1 and audio scores of each vocoder and of the first group alone, vs the codec's reconstruction."""
    mask, frames = batch["codes_mask"], batch["codes_mask"].sum(dim=1)
    real = mask.bool()[..., None].float()
    target = codes_to_latent(codec, batch["target_codes"]) * real
    reference_audio = latent_to_waveform(codec, target, lengths=frames)
    references = [reference_audio[row, : int(n) * codec.config.hop_length].numpy() for row, n in enumerate(frames)]
    hop = codec.config.hop_length

    def figures(latent):
        l1 = ((latent - target).abs() * real).sum() / (real.sum() * latent.shape[-1])
        audio = latent_to_waveform(codec, latent * real, lengths=frames)
        return {"latent_l1": float(l1), **_scores(audio, frames * hop, references)}

    results = {
        kind: figures(model.predict_latent(batch["codes"], mask, **_conditions(batch))) for kind, model in pair.items()
    }
    results["first_group_only"] = figures(codes_to_latent(codec, batch["target_codes"][:, :1]) * real)
    return results


def run_quality(steps: int, clip_count: int, seed: int = 0) -> dict:
    """Make the clips, train the tiny pair for ``steps`` steps each, and score both on SE and TTS."""
    texts = SENTENCES[:clip_count]
    clips = [speech_clip(text, seed=i) for i, text in enumerate(texts)]
    codec = tiny_codec(clips, seed=seed)
    processor = build_processor(clips)
    pair = build_pair("tiny", codec, seed=seed, text_vocab_size=processor.vocabulary.text_vocab_size)
    batches = training_batches(processor, pair["one_step"], clips, texts)
    train_s = {kind: train(model, batches["all"], steps, seed=seed) for kind, model in pair.items()}
    return {
        "setup": {
            "clips": clip_count,
            "clip_source": clip_source(),
            "audio_s": sum(len(c) for c in clips) / SAMPLING_RATE,
            "train_steps": steps,
            "optimizer": "AdamW lr 1e-3, one batch = every clip as a TTS row and as an SE row",
            "predictor": "tiny preset (d 64, 2 blocks, 4 heads, FFN 128) over the tiny codec (32 x 1024 codes)",
            "evaluated_on": "the training clips (fitting under an equal step budget, not generalisation)",
            "reference_audio": "the codec's own reconstruction from all 32 groups",
        },
        "train_s": train_s,
        "tasks": {task: evaluate(pair, batches[task], codec) for task in TASKS},
    }


__all__ = ["KINDS", "TASKS", "build_pair", "evaluate", "run_quality", "train", "training_batches"]
