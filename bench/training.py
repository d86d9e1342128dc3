"""Training-step throughput: samples/s and achieved FLOP/s of LauraGPT training steps vs this machine's fp32
matmul peak, measured in the same run (the two are timed interleaved).

CPU: the tiny preset, fp32, AdamW, one batch of 8 rows (4 ASR rows: 2 s of audio features -> 16 text tokens; 4 TTS
rows: 16 text tokens -> 50 codec tokens), laid out as the processor lays out training rows. Then the embedded
default's designs: the ``whisper-tiny`` preset with its tower frozen and its frames cached, so a step is projector +
LLM on ``audio_frames`` (16 rows: 3 s of 25 Hz frames -> 16 text tokens, 16 text tokens -> 75 codec tokens), for
from-scratch LLM widths and depths (``training/configs/demo.yaml``, the earlier checkpoints), and Whisper tiny.en's
decoder as the LLM (``training/configs/demo-whisper-decoder.yaml``, the shipped one: full and trimmed vocabulary). FLOPs of the forward +
backward pass come from ``torch.utils.flop_counter.FlopCounterMode`` (matmuls, convolutions and attention; the
optimizer and element-wise ops are not counted), with the classic ``6 * parameters * tokens`` estimate beside them.
The peak is a loop of 2048 x 2048 fp32 matmuls on the same threads.

GPU (only when ``torch.cuda.is_available()``): the paper preset (about 2 B parameters) in bf16, a few steps of a
larger batch, against a bf16 matmul loop on the same GPU. Skipped with a note otherwise.

    python -m modeling_lauragpt.bench.training [--quick]
"""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode

from modeling_lauragpt import LauraGPTConfig, LauraGPTForConditionalGeneration
from modeling_lauragpt.audio_lengths import encoder_num_frames
from modeling_lauragpt.bench.common import (
    interleaved,
    parse_args,
    print_table,
    repeats,
    run_main,
    write_results,
)
from modeling_lauragpt.bench.fixtures import count_parameters
from modeling_lauragpt.defaults import DEFAULT_MODEL_DIR
from modeling_lauragpt.training.collator import output_mask
from modeling_lauragpt.vocabulary import IGNORE_INDEX

NAME = "training"
CPU_WORKLOAD = {"rows": 8, "feature_frames": 33, "text_tokens": 16, "codec_tokens": 50}  # 33 LFR frames = 2 s
GPU_WORKLOAD = {"rows": 8, "feature_frames": 167, "text_tokens": 48, "codec_tokens": 250}  # 10 s in, 10 s out
DEMO_WORKLOAD = {"rows": 16, "feature_frames": 75, "text_tokens": 16, "codec_tokens": 75}  # 3 s of cached 25 Hz frames
DEMO_LLM_CANDIDATES = {  # (hidden, layers, intermediate) of a from-scratch LLM under the frozen tiny.en tower
    "192x4": (192, 4, 576),
    "256x4": (256, 4, 768),
    "256x6": (256, 6, 768),
    "384x6": (384, 6, 1152),
}


def synthetic_batch(
    config: LauraGPTConfig, rows: int, feature_frames: int, text_tokens: int, codec_tokens: int, seed: int = 0
) -> dict:
    """Right-padded training rows in the processor's layout, half ASR, half TTS, random ids and features.

    ASR row: ``<|audio|> x encoder frames, <|asr|>, text targets, <eos>``; TTS row: ``text ids, <|tts|>, codec
    targets, <|codec_end|>``. Labels are ``IGNORE_INDEX`` on prompts and padding, as in ``LauraGPTProcessor``.
    """
    g = torch.Generator().manual_seed(seed)
    vocab, asr_rows = config.vocabulary, rows // 2

    def text(n: int) -> list[int]:
        return torch.randint(1, config.text_vocab_size, (n,), generator=g).tolist()

    cached = config.audio_tower_type == "whisper"  # cached tower frames: feature_frames are 25 Hz placeholders
    placeholders = (
        feature_frames if cached else int(encoder_num_frames(feature_frames, config.audio_config.input_layer))
    )
    sequences = []
    for row in range(rows):
        if row < asr_rows:
            prompt = [vocab.audio_token_id] * placeholders + [vocab.task_token_ids["asr"]]
            target = text(text_tokens) + [config.text_eos_token_id]
        else:
            codes = torch.randint(0, config.codebook_size, (codec_tokens,), generator=g) + vocab.codec_token_offset
            prompt = text(text_tokens) + [vocab.task_token_ids["tts"]]
            target = codes.tolist() + [vocab.codec_end_token_id]
        sequences.append((prompt, target))
    width = max(len(p) + len(t) for p, t in sequences)
    input_ids = torch.full((rows, width), config.pad_token_id, dtype=torch.long)
    labels = torch.full((rows, width), IGNORE_INDEX, dtype=torch.long)
    attention_mask = torch.zeros((rows, width), dtype=torch.long)
    for row, (prompt, target) in enumerate(sequences):
        n = len(prompt) + len(target)
        input_ids[row, :n] = torch.tensor(prompt + target)
        labels[row, len(prompt) : n] = torch.tensor(target)
        attention_mask[row, :n] = 1
    if cached:
        frames = torch.randn(asr_rows, feature_frames, config.audio_config.d_model, generator=g)
        return {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "labels": labels,
            "audio_frames": frames,
            "audio_frames_mask": torch.ones(asr_rows, feature_frames, dtype=torch.long),
        }
    features = torch.randn(asr_rows, feature_frames, config.audio_config.input_size, generator=g)
    return {
        "input_ids": input_ids,
        "attention_mask": attention_mask,
        "labels": labels,
        "input_features": features,
        "input_features_mask": torch.ones(asr_rows, feature_frames, dtype=torch.long),
    }


def training_step(model, optimizer, batch: dict) -> float:
    """One forward, backward and AdamW step; returns the loss."""
    loss = model(**batch).loss
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.item()


def count_flops(model, batch: dict) -> int:
    """FLOPs of one forward + backward pass (``FlopCounterMode``)."""
    with FlopCounterMode(display=False) as counter:
        model(**batch).loss.backward()
    model.zero_grad(set_to_none=True)
    return int(counter.get_total_flops())


def matmul_loop(size: int, dtype: torch.dtype, device: str, count: int = 4):
    """A callable doing ``count`` ``size x size`` matmuls (``2 * size**3`` FLOPs each), and that FLOP count."""
    a = torch.randn(size, size, dtype=dtype, device=device)
    b = torch.randn(size, size, dtype=dtype, device=device)

    def loop():
        for _ in range(count):
            a @ b
        if device != "cpu":
            torch.cuda.synchronize()

    return loop, 2 * size**3 * count


def measure(model, batch: dict, device: str, dtype: torch.dtype, runs: int, matmul_size: int) -> dict:
    """Interleaved timing of training steps and the matmul loop; FLOPs, samples/s, achieved FLOP/s, utilisation."""
    model.to(device=device, dtype=dtype).train()
    batch = {k: (v.to(device=device, dtype=dtype) if v.is_floating_point() else v.to(device)) for k, v in batch.items()}
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    flops = count_flops(model, batch)

    def step():
        training_step(model, optimizer, batch)
        if device != "cpu":
            torch.cuda.synchronize()

    peak_loop, peak_flops = matmul_loop(matmul_size, dtype, device)
    timings = interleaved({"train_step": step, "matmul_peak": peak_loop}, repeats=runs)
    step_s, peak = timings["train_step"].median, peak_flops / timings["matmul_peak"].median
    tokens = int(batch["attention_mask"].sum()) + int(batch.get("input_features_mask", torch.zeros(())).sum())
    parameters = count_parameters(model, trainable_only=True)
    return {
        "device": device,
        "dtype": str(dtype).replace("torch.", ""),
        "parameters": parameters,
        "rows": batch["input_ids"].shape[0],
        "tokens_per_step": tokens,
        "flops_per_step": flops,
        "flops_6nd_estimate": 6 * parameters * tokens,
        "step_s": step_s,
        "samples_per_s": batch["input_ids"].shape[0] / step_s,
        "tokens_per_s": tokens / step_s,
        "achieved_gflops": flops / step_s / 1e9,
        "matmul_size": matmul_size,
        "matmul_peak_gflops": peak / 1e9,
        "utilisation": flops / step_s / peak,
        "train_step": timings["train_step"].summary(),
        "matmul_peak": timings["matmul_peak"].summary(),
    }


def run(args) -> dict:
    """The CPU measurement, then the GPU one when a GPU is visible."""
    torch.manual_seed(0)
    config = LauraGPTConfig.from_preset("tiny")
    rows = [
        {
            "preset": "tiny",
            **measure(
                LauraGPTForConditionalGeneration(config),
                synthetic_batch(config, **CPU_WORKLOAD),
                "cpu",
                torch.float32,
                repeats(args, full=10, quick=3),
                2048,
            ),
        }
    ]
    for name, (hidden, layers, intermediate) in DEMO_LLM_CANDIDATES.items():
        config = LauraGPTConfig.from_preset(
            "whisper-tiny",
            audio_window="clip",
            text_vocab_size=2000,
            codebook_size=1024,
            text_config={"hidden_size": hidden, "num_hidden_layers": layers, "intermediate_size": intermediate},
        )
        model = LauraGPTForConditionalGeneration(config).freeze_audio_tower()
        rows.append(
            {
                "preset": f"whisper-tiny, LLM {name}",
                **measure(
                    model,
                    synthetic_batch(config, **DEMO_WORKLOAD),
                    "cpu",
                    torch.float32,
                    repeats(args, full=6, quick=2),
                    2048,
                ),
            }
        )
    # All of Whisper tiny.en (training/configs/demo-whisper-decoder.yaml): a 50,257-row text vocabulary, its output
    # matrix at every position, then only at the positions that predict an output (LauraGPTCollator's
    # output_logits_only, what run_recipe uses with the token-mean loss), then with the tokenizer trimmed to the demo
    # corpus' tokens (processor.trim_tokenizer).
    shipped = LauraGPTConfig.from_pretrained(DEFAULT_MODEL_DIR)  # the shipped, trimmed tokenizer's ids
    trimmed = {
        "text_vocab_size": shipped.text_vocab_size,
        "text_eos_token_id": shipped.text_eos_token_id,
        "pad_token_id": shipped.pad_token_id,
    }
    for vocab, logits in (({}, "all"), ({}, "output"), (trimmed, "output")):
        text_vocab = vocab.get("text_vocab_size")
        config = LauraGPTConfig.from_preset("whisper-tiny-decoder", audio_window="clip", codebook_size=1024, **vocab)
        model = LauraGPTForConditionalGeneration(config).freeze_audio_tower()
        batch = synthetic_batch(config, **DEMO_WORKLOAD)
        if logits == "output":
            batch["logits_to_keep"] = output_mask(batch["labels"])
        name = "whisper-tiny-decoder" + ("" if text_vocab is None else f", {text_vocab:,} text tokens")
        rows.append(
            {
                "preset": f"{name}, {logits} logits",
                "text_vocab_size": config.text_vocab_size,
                "logits": logits,
                **measure(model, batch, "cpu", torch.float32, repeats(args, full=6, quick=2), 2048),
            }
        )
    gpu_note = "no CUDA device visible: GPU run of the paper preset skipped"
    if torch.cuda.is_available():
        config = LauraGPTConfig.from_preset("paper")
        model = LauraGPTForConditionalGeneration(config)
        rows.append(
            {
                "preset": "paper",
                **measure(
                    model,
                    synthetic_batch(config, **GPU_WORKLOAD),
                    "cuda",
                    torch.bfloat16,
                    repeats(args, full=3, quick=1),
                    8192,
                ),
            }
        )
        gpu_note = f"paper preset on {torch.cuda.get_device_name(0)} in bf16"
    return {
        "cpu_workload": CPU_WORKLOAD,
        "demo_workload": DEMO_WORKLOAD,
        "gpu_workload": GPU_WORKLOAD,
        "gpu": gpu_note,
        "flop_counting": "torch.utils.flop_counter.FlopCounterMode over forward + backward (optimizer not counted)",
        "rows": rows,
    }


def report(result: dict) -> None:
    """Print one row per device."""
    print_table(
        "Training steps vs the matmul peak measured in the same run",
        result["rows"],
        [
            ("preset", "preset", ""),
            ("device", "device", ""),
            ("dtype", "dtype", ""),
            ("parameters", "params", ",d"),
            ("step_s", "s/step", ".3f"),
            ("samples_per_s", "samples/s", ".1f"),
            ("tokens_per_s", "tokens/s", ",.0f"),
            ("achieved_gflops", "GFLOP/s", ".1f"),
            ("matmul_peak_gflops", "matmul peak", ".1f"),
            ("utilisation", "of peak", ".1%"),
        ],
    )
    cpu = result["rows"][0]
    print(
        f"  FLOPs/step: counted {cpu['flops_per_step'] / 1e9:.2f} G, 6*N*D estimate {cpu['flops_6nd_estimate'] / 1e9:.2f} G"
    )
    print(f"  {result['gpu']}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(NAME, __doc__, argv)
    result = run(args)
    report(result)
    write_results(NAME, args, result)
    return 0


if __name__ == "__main__":
    run_main(main)
