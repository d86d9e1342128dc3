"""Audio towers: encoder seconds per audio second, Whisper tiny.en (pooled 2x to 25 Hz; clip window and 30 s window)
vs the demo preset's Conformer, side by side in one run.

Each candidate goes from 16 kHz waveforms to the frames the projector reads (``LauraGPTModel.get_audio_frames``),
its own feature extractor included, through the processor: exactly what a forward pass costs before the LLM.
Clips of 2, 5 and 10 s, one at a time and in batches of 8. Weights are random unless ``--whisper DIR`` names the
converted tiny.en (speed does not depend on the weights' values).

    python -m modeling_lauragpt.bench.audio_tower [--quick] [--whisper DIR]
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import WhisperFeatureExtractor, WhisperModel

from modeling_lauragpt import (
    LauraGPTConfig,
    LauraGPTFeatureExtractor,
    LauraGPTModel,
    LauraGPTProcessor,
)
from modeling_lauragpt.bench.common import (
    interleaved,
    parse_args,
    print_table,
    repeats,
    run_main,
    write_results,
)
from modeling_lauragpt.bench.fixtures import (
    SAMPLING_RATE,
    build_processor,
    synthetic_voice,
)

NAME = "audio_tower"
CLIP_SECONDS = (2.0, 5.0, 10.0)
QUICK_CLIP_SECONDS = (2.0, 5.0)
BATCHES = (1, 8)


def _add_arguments(parser):
    parser.add_argument("--whisper", type=Path, help="converted Whisper tiny.en folder (default: random weights)")


def _tower(
    base: LauraGPTProcessor, preset: str, extractor, whisper_dir: Path | None, **overrides
) -> tuple[LauraGPTModel, LauraGPTProcessor]:
    """A preset's ``LauraGPTModel`` (random, or with tiny.en's encoder) and the processor holding ``extractor``
    and ``base``'s tokenizer (whose codec tokens, ``base.codebook_size``, the model keeps)."""
    overrides["codebook_size"] = base.codebook_size
    shape = LauraGPTConfig.from_preset(preset, **overrides)
    processor = LauraGPTProcessor(extractor, base.tokenizer, **LauraGPTProcessor.config_kwargs(shape))
    config = LauraGPTConfig.from_processor(processor, preset, **overrides)
    model = LauraGPTModel(config).eval()
    if whisper_dir is not None and config.audio_tower_type == "whisper":
        model.audio_tower.load_state_dict(WhisperModel.from_pretrained(whisper_dir).get_encoder().state_dict())
    return model, processor


def _frames(model: LauraGPTModel, processor: LauraGPTProcessor, clips) -> torch.Tensor:
    inputs = processor.audio_inputs([torch.from_numpy(c) for c in clips])
    with torch.no_grad():
        return model.get_audio_frames(inputs["input_features"], inputs["input_features_mask"])[0]


def main(argv=None) -> int:
    args = parse_args(NAME, __doc__, argv, _add_arguments)
    base = build_processor()
    candidates = {
        "whisper tiny.en, clip window": _tower(
            base, "whisper-tiny", WhisperFeatureExtractor(), args.whisper, audio_window="clip"
        ),
        "whisper tiny.en, 30 s window": _tower(
            base, "whisper-tiny", WhisperFeatureExtractor(), args.whisper, audio_window="30s"
        ),
        "demo Conformer": _tower(base, "demo", LauraGPTFeatureExtractor(), None),
    }
    rows, results = [], []
    for seconds in QUICK_CLIP_SECONDS if args.quick else CLIP_SECONDS:
        for batch in BATCHES:
            clips = [synthetic_voice(seconds, seed) for seed in range(batch)]
            audio_seconds = seconds * batch
            timings = interleaved(
                {name: (lambda m=m, p=p, c=clips: _frames(m, p, c)) for name, (m, p) in candidates.items()},
                repeats(args, full=5, quick=2),
            )
            per_second = {name: t.median / audio_seconds for name, t in timings.items()}
            conformer = per_second["demo Conformer"]
            for name, value in per_second.items():
                rows.append(
                    {
                        "clip": seconds,
                        "batch": batch,
                        "tower": name,
                        "s_per_audio_s": value,
                        "vs_conformer": value / conformer,
                        "frames": tuple(timings[name].result.shape[1:]),
                    }
                )
            results.append(
                {
                    "clip_seconds": seconds,
                    "batch": batch,
                    "seconds_per_audio_second": per_second,
                    "timings": {name: t.summary() for name, t in timings.items()},
                }
            )
    print_table(
        "Audio tower: seconds of compute per second of audio (features + encoder + pooling)",
        rows,
        [
            ("clip", "clip s", ".0f"),
            ("batch", "batch", "d"),
            ("tower", "tower", "s"),
            ("s_per_audio_s", "s / audio s", ".4f"),
            ("vs_conformer", "x demo Conformer", ".2f"),
            ("frames", "frames x dim per clip", "s"),
        ],
    )
    parameters = {name: sum(p.numel() for p in m.audio_tower.parameters()) for name, (m, _) in candidates.items()}
    write_results(
        NAME,
        args,
        {
            "weights": str(args.whisper) if args.whisper else "random",
            "sampling_rate": SAMPLING_RATE,
            "tower_parameters": parameters,
            "results": results,
        },
    )
    return 0


if __name__ == "__main__":
    run_main(main)
