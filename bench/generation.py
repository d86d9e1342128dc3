"""Codec-token generation: our ``generate`` with a dynamic KV cache, a static cache, and a static cache compiled with
``torch.compile``, vs recomputing the whole prefix at every step.

The baseline decodes the way the LauraTTS reference does (FunCodec ``decode_codec``: each step re-runs the LM on the
whole sequence with no cache), on the same model, with the same task-vocabulary
rule and greedy choice, so both must write the same tokens (asserted). Lengths are 5, 10 and 30 s of audio
(125, 250 and 750 first-group codec tokens at 25 Hz) from a TTS prompt; the end token is suppressed so every run
writes exactly that many tokens. Time vs length is fitted on log-log axes: a cached decoder is about linear
(exponent ~1), a recomputing one about quadratic (~2). The compiled decoder is compiled once per length before it is
timed (a static cache has one shape per length), so its times are steady-state decoding.

    python -m modeling_lauragpt.bench.generation [--quick]
"""

from __future__ import annotations

import numpy as np
import torch
from transformers import CompileConfig

from modeling_lauragpt import LauraGPTConfig, LauraGPTForConditionalGeneration
from modeling_lauragpt.bench.common import (
    interleaved,
    parse_args,
    print_table,
    repeats,
    run_main,
    write_results,
)
from modeling_lauragpt.bench.fixtures import (
    SENTENCES,
    build_processor,
    count_parameters,
)
from modeling_lauragpt.generation_lauragpt import TaskVocabularyLogitsProcessor
from modeling_lauragpt.presets import DEMO_LLM

NAME = "generation"
CODEC_HZ = 25  # first-group codec tokens per second of audio
SECONDS = (5, 10, 30)
QUICK_SECONDS = (1, 2, 4)
# "Small but not tiny": the earlier default's from-scratch LLM shape (4 x 256 Qwen2, GQA 4:2), so that per-token work is
# visible next to Python overhead while 30 s of audio still decodes in seconds.
TEXT_CONFIG = {key: value for key, value in DEMO_LLM.items() if key != "model_type"}


def build_model() -> tuple[LauraGPTForConditionalGeneration, dict]:
    """The benchmark's LauraGPT (random weights, eval mode) and a one-row TTS prompt for it."""
    processor = build_processor()
    torch.manual_seed(0)
    model = LauraGPTForConditionalGeneration(
        LauraGPTConfig.from_processor(processor, "tiny", text_config=TEXT_CONFIG)
    ).eval()
    return model, dict(processor(task="tts", text=SENTENCES[0]))


@torch.no_grad()
def cached_generate(model, prompt: dict, tokens: int) -> torch.Tensor:
    """Ours: ``model.generate`` (KV cache), greedy, exactly ``tokens`` new tokens. Returns them, (1, tokens)."""
    out = model.generate(**prompt, do_sample=False, min_new_tokens=tokens, max_new_tokens=tokens)
    return out[:, prompt["input_ids"].shape[1] :]


@torch.no_grad()
def static_generate(model, prompt: dict, tokens: int, compiled: bool = False) -> torch.Tensor:
    """``model.generate`` with a static cache (``cache_implementation="static"``), optionally compiled
    (``torch.compile`` of the decoding step, fullgraph). Returns the new tokens, (1, tokens)."""
    options = {"cache_implementation": "static"}
    if compiled:
        compile_config = CompileConfig(fullgraph=True)
        compile_config._compile_all_devices = True  # transformers compiles only on accelerators unless told
        options["compile_config"] = compile_config
    else:
        options["disable_compile"] = True
    out = model.generate(**prompt, do_sample=False, min_new_tokens=tokens, max_new_tokens=tokens, **options)
    return out[:, prompt["input_ids"].shape[1] :]


@torch.no_grad()
def full_prefix_generate(model, prompt: dict, tokens: int) -> torch.Tensor:
    """Baseline: every step runs the model on the whole sequence without a cache (as LauraTTS decodes), applies
    the same task-vocabulary rule, suppresses the end tokens and takes the argmax. Returns (1, tokens)."""
    rule = TaskVocabularyLogitsProcessor(model.config.vocabulary)
    end_ids = [model.config.text_eos_token_id, model.config.codec_end_token_id]
    ids, mask = prompt["input_ids"], prompt["attention_mask"]
    for _ in range(tokens):
        logits = model(input_ids=ids, attention_mask=mask, use_cache=False, logits_to_keep=1).logits[:, -1].float()
        scores = rule(ids, logits)
        scores[:, end_ids] = -float("inf")
        next_id = scores.argmax(dim=-1, keepdim=True)
        ids, mask = torch.cat([ids, next_id], dim=1), torch.cat([mask, torch.ones_like(next_id)], dim=1)
    return ids[:, prompt["input_ids"].shape[1] :]


DECODERS = {  # name -> decode(model, prompt, tokens); full_prefix is the baseline every other one must equal
    "kv_cache": cached_generate,
    "static_cache": static_generate,
    "compiled": lambda model, prompt, tokens: static_generate(model, prompt, tokens, compiled=True),
    "full_prefix": full_prefix_generate,
}


def loglog_exponent(lengths, seconds) -> float:
    """Slope of log(time) against log(length): ~1 for linear cost, ~2 for quadratic."""
    return float(np.polyfit(np.log(lengths), np.log(seconds), 1)[0])


def run(args) -> dict:
    """Time every decoder at each length (interleaved), check they all agree, fit the growth exponents."""
    model, prompt = build_model()
    for decode in DECODERS.values():  # warm up kernels and allocator once
        decode(model, prompt, 8)
    rows = []
    for seconds in QUICK_SECONDS if args.quick else SECONDS:
        tokens = seconds * CODEC_HZ
        DECODERS["compiled"](model, prompt, tokens)  # compile for this length's static cache shape
        timings = interleaved(
            {name: lambda decode=decode, n=tokens: decode(model, prompt, n) for name, decode in DECODERS.items()},
            repeats=repeats(args, full=3, quick=1),
            warmup=0,
        )
        baseline = timings["full_prefix"]
        for name, timing in timings.items():
            if not torch.equal(timing.result, baseline.result):
                first = int((timing.result != baseline.result).int().argmax())
                raise AssertionError(f"{tokens} tokens: {name} and full_prefix disagree from token {first} on")
        row = {"audio_s": seconds, "tokens": tokens, "same_output": True}
        for name, timing in timings.items():
            row[f"{name}_s"] = timing.median
            row[f"{name}_ms_per_token"] = 1000 * timing.median / tokens
            row[name] = timing.summary()
            if name != "full_prefix":
                row[f"{name}_speedup"] = baseline.median / timing.median
        rows.append(row)
        print(
            f"  {seconds:>3} s of audio ({tokens} tokens): "
            + ", ".join(f"{name} {t.median:.2f} s" for name, t in timings.items())
        )
    lengths = [r["tokens"] for r in rows]
    exponents = {name: loglog_exponent(lengths, [r[f"{name}_s"] for r in rows]) for name in DECODERS}
    return {
        "model": {
            "description": "LauraGPT, tiny audio encoder + Qwen2 LLM "
            + ", ".join(f"{k}={v}" for k, v in TEXT_CONFIG.items()),
            "parameters": count_parameters(model),
            "llm_parameters": count_parameters(model.model.language_model) + count_parameters(model.lm_head),
            "vocab_size": model.config.text_config.vocab_size,
            "prompt_tokens": int(prompt["input_ids"].shape[1]),
        },
        "decoding": "greedy, batch 1, end token suppressed, same task-vocabulary rule in every decoder",
        "rows": rows,
        "loglog_exponent": exponents,
    }


def report(result: dict) -> None:
    """Print the table and the fitted exponents."""
    m = result["model"]
    print_table(
        f"Codec-token generation, {m['parameters'] / 1e6:.2f} M-parameter LauraGPT ({m['llm_parameters'] / 1e6:.2f} M in the LLM)",
        result["rows"],
        [
            ("audio_s", "audio s", "d"),
            ("tokens", "tokens", "d"),
            *[(f"{name}_ms_per_token", f"{name} ms/tok", ".2f") for name in DECODERS],
            *[(f"{name}_speedup", f"{name} x", ".1f") for name in DECODERS if name != "full_prefix"],
            ("same_output", "same", ""),
        ],
    )
    exponents = ", ".join(f"{name} k = {k:.2f}" for name, k in result["loglog_exponent"].items())
    print(f"  time ~ length^k on log-log: {exponents}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(NAME, __doc__, argv)
    result = run(args)
    report(result)
    write_results(NAME, args, result)
    return 0


if __name__ == "__main__":
    run_main(main)
