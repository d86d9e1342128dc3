"""``lauragpt demo``: build, train, save, reload and run a tiny LauraGPT on made-up data, in seconds.

This shows the package's moving parts end to end (processor -> model -> loss -> save -> Auto classes -> batched
generation for a text task, a codec task and a text-input task). The tiny model only memorises its few
examples: it is a smoke run of the machinery, not a speech model.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModelForCausalLM, AutoProcessor

from .configuration_lauragpt import LauraGPTConfig
from .modeling_lauragpt import LauraGPTForConditionalGeneration
from .processing.feature_extraction_lauragpt import LauraGPTFeatureExtractor
from .processing.processing_lauragpt import LauraGPTProcessor
from .processing.tokenizer_utils import train_text_tokenizer

SAMPLING_RATE = 16000
EXAMPLES = [  # (task, input, target, language)
    ("asr", "tone:220", "hello world", None),
    ("asr", "tone:330", "turn on the kitchen lights", None),
    ("tts", "hello world", [12, 512, 7, 1000, 3], None),
    ("mt", "hello world", "hallo welt", "de"),
]


def synthetic_clip(base_hz: float, seconds: float = 0.8) -> np.ndarray:
    """A harmonic tone standing in for speech (no recordings are needed offline)."""
    t = np.arange(int(seconds * SAMPLING_RATE)) / SAMPLING_RATE
    return (0.2 * sum(np.sin(2 * np.pi * k * base_hz * t) / k for k in range(1, 4))).astype(np.float32)


def _inputs(processor, with_targets: bool):
    tasks = [e[0] for e in EXAMPLES]
    audio = [synthetic_clip(float(e[1].split(":")[1])) if e[0] == "asr" else None for e in EXAMPLES]
    text = [None if e[0] == "asr" else e[1] for e in EXAMPLES]
    kwargs = {"language": [e[3] for e in EXAMPLES], "sampling_rate": SAMPLING_RATE}
    if with_targets:
        kwargs["target_text"] = [e[2] if isinstance(e[2], str) else None for e in EXAMPLES]
        kwargs["target_codes"] = [e[2] if isinstance(e[2], list) else None for e in EXAMPLES]
    return processor(tasks, audio=audio, text=text, **kwargs)


def run_demo(output_dir: Path, steps: int = 120, seed: int = 0) -> list[dict]:
    """Train the tiny preset on ``EXAMPLES``, save it to ``output_dir``, reload it and generate every example."""
    torch.manual_seed(seed)
    sentences = [e[2] for e in EXAMPLES if isinstance(e[2], str)] + [e[1] for e in EXAMPLES if e[0] != "asr"] + ["[de]"]
    clips = [synthetic_clip(float(e[1].split(":")[1])) for e in EXAMPLES if e[0] == "asr"]
    feature_extractor = LauraGPTFeatureExtractor().fit_cmvn(clips, sampling_rate=SAMPLING_RATE)  # global CMVN from data
    processor = LauraGPTProcessor(feature_extractor, train_text_tokenizer(sentences, vocab_size=96))
    tok = processor.tokenizer
    config = LauraGPTConfig.from_preset(
        "tiny", text_vocab_size=processor.vocabulary.text_vocab_size, text_eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id
    )
    model = LauraGPTForConditionalGeneration(config)
    batch = _inputs(processor, with_targets=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for step in range(steps):
        loss = model(**batch).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 40 == 0 or step == steps - 1:
            print(f"step {step:4d}  loss {loss.item():.4f}")

    model.save_pretrained(output_dir)
    processor.save_pretrained(output_dir)
    model = AutoModelForCausalLM.from_pretrained(output_dir).eval()
    processor = AutoProcessor.from_pretrained(output_dir)

    prompts = _inputs(processor, with_targets=False)
    with torch.no_grad():
        generated = model.generate(**prompts, do_sample=False, max_new_tokens=16)
    outputs = processor.decode_outputs(generated[:, prompts["input_ids"].shape[1]:], [e[0] for e in EXAMPLES])
    rows = []
    for (task, source, target, _), output in zip(EXAMPLES, outputs):
        output = output if isinstance(output, str) else output.tolist()
        rows.append({"task": task, "input": source, "target": target, "output": output, "match": output == target})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lauragpt demo", description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=Path("lauragpt_demo_output"), help="where the model is saved")
    parser.add_argument("--steps", type=int, default=120, help="optimizer steps on the demo examples")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rows = run_demo(args.output_dir, steps=args.steps)
    print(f"\n{'task':5} {'input':14} {'target':30} {'output':30} ok")
    for r in rows:
        print(f"{r['task']:5} {str(r['input']):14} {str(r['target']):30} {str(r['output']):30} {'yes' if r['match'] else 'NO'}")
    print(f"\nsaved to {args.output_dir}/ and reloaded with AutoModelForCausalLM/AutoProcessor; {time.perf_counter() - start:.1f} s")
    return 0 if all(r["match"] for r in rows) else 1


__all__ = ["run_demo", "main"]
