"""Train the CPU codec (``LauraGPTCPUCodec``) from scratch on 2 CPU cores, top to bottom.

    python -m modeling_lauragpt.training.cpu_codec_training --out runs/cpu_codec --max-minutes 45
    python -m modeling_lauragpt.training.cpu_codec_training --config codec.yaml --set batch_size=8 --max-steps 100

Every field of ``Arguments`` is a flag (``--max-steps``), a line of the ``--config`` YAML (``max_steps: 100``) and a
``--set max_steps=100``; a flag wins over ``--set``, which wins over the YAML.

1. **Speech, disjoint from the held-out test voice.** The demo corpus holds out the voice ``flite_awb`` and every
   test sentence (``demo_corpus.splits``). Training speech is every other voice on the image speaking training and
   validation sentences only: flite kal16 / rms / slt (with random tempo and pitch), festival's
   cmu_us_slt_arctic_hts and kal_diphone, espeak-ng English variants, and the real asterisk prompts (8 kHz
   recordings, upsampled). It is synthesised once into ``OUT/data/train_speech.pt`` (a few minutes).
2. **Model**: ``LauraGPTCPUCodecConfig.from_preset(--preset)``.
3. **Continuous warm-up**: ``--warmup-steps`` steps with the RVQ bypassed, so the encoder's frames mean something
   before any codebook is set.
4. **k-means**: every codebook is initialised by k-means on the residual of the groups before it, over the encoder
   frames of ``--kmeans-clips`` random segments.
5. **RVQ training** until ``--max-steps`` or ``--max-minutes`` (wall clock of this run plus earlier runs), AdamW with
   a cosine schedule; EMA codebooks with dead-code restarts happen inside the model's forward.
6. Every ``--save-every`` steps: ``OUT/checkpoint/`` (the model in safetensors, the optimizer, the step, the
   history), so a rerun of the same command resumes. At the end: ``OUT/codec/`` (the trained model),
   ``OUT/history.json`` and ``OUT/loss_curve.png``.

Threads: one intra-op thread by default (``--threads``), the machine is shared.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import soundfile as sf
import torch
import torchaudio

from modeling_lauragpt.audio import CODEC_HOP_LENGTH, SAMPLING_RATE
from modeling_lauragpt.configuration_cpu_codec import LauraGPTCPUCodecConfig
from modeling_lauragpt.modeling_cpu_codec import LauraGPTCPUCodec
from modeling_lauragpt.training.arguments import add_config_arguments, arguments_from_command_line
from modeling_lauragpt.training.demo_corpus.asterisk import prompt_recordings
from modeling_lauragpt.training.demo_corpus.splits import TEST, sentence_split
from modeling_lauragpt.training.demo_corpus.text_sources import english_sentences
from modeling_lauragpt.training.demo_corpus.voices import (
    VOICES,
    Prosody,
    festival_to_files,
    flite_to_file,
    require_program,
)

ASTERISK_MAX_SECONDS = 12.0  # longest real prompt kept
ESPEAK_VOICES = ("en-us", "en-gb", "en-us+m3", "en-us+f2", "en-gb+m7", "en-us+f4", "en-gb-x-rp+m1")


@dataclass
class Arguments:
    """Every knob of the recipe (units in the names)."""

    out: str = "runs/cpu_codec"
    preset: str = "cpu"
    decoder_head: str = "griffin_lim"
    config_overrides: str = "{}"  # JSON of further config fields, e.g. '{"hidden_size": 256}'
    sentences_per_flite_voice: int = 600
    sentences_per_festival_voice: int = 200
    sentences_espeak: int = 300
    batch_size: int = 16
    segment_seconds: float = 1.28  # a multiple of the 40 ms codec frame
    learning_rate: float = 2e-3
    weight_decay: float = 0.01
    warmup_steps: int = 400  # continuous (no RVQ) steps before k-means
    kmeans_clips: int = 256  # segments whose encoder frames seed the codebooks
    kmeans_iterations: int = 15
    max_steps: int = 3600  # about 31 minutes on one thread of the shared 2-core machine
    max_minutes: float = 45.0  # training wall clock, all resumed runs together
    save_every_steps: int = 250
    log_every_steps: int = 25
    threads: int = 1
    seed: int = 0


# ------------------------------------------------------------------------------------------------ 1. speech
def training_sentences() -> list[str]:
    """Every demo-corpus English sentence outside the test split (training and validation sentences)."""
    return [s for s in english_sentences() if sentence_split(s) != TEST]


def _read_16k(path: Path) -> torch.Tensor:
    audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    audio = torch.from_numpy(audio.mean(axis=1))
    return torchaudio.functional.resample(audio, rate, SAMPLING_RATE) if rate != SAMPLING_RATE else audio


def synthesize_flite(
    voice_name: str, texts: list[str], work: Path, rng: random.Random, vary_prosody: bool
) -> list[torch.Tensor]:
    """Clips of a flite voice; with ``vary_prosody``, a random tempo (x0.85-1.2) and pitch (x0.8-1.25) per clip."""
    voice, clips = VOICES[voice_name], []
    for i, text in enumerate(texts):
        prosody = Prosody()
        if vary_prosody and voice.f0_control:
            prosody = Prosody(rng.uniform(0.85, 1.2), voice.f0_mean_hz * rng.uniform(0.8, 1.25), voice.f0_stddev_hz)
        path = work / f"{voice_name}_{i}.wav"
        flite_to_file(voice, text, prosody, path)
        clips.append(_read_16k(path))
        path.unlink()
    return clips


def synthesize_festival(voice_name: str, texts: list[str], work: Path) -> list[torch.Tensor]:
    """Clips of a festival voice, all in one festival process."""
    items = [(text, work / f"{voice_name}_{i}.wav") for i, text in enumerate(texts)]
    festival_to_files(VOICES[voice_name], items)
    clips = [_read_16k(path) for _, path in items]
    for _, path in items:
        path.unlink()
    return clips


def synthesize_espeak(texts: list[str], rng: random.Random) -> list[torch.Tensor]:
    """espeak-ng English variants at random speed (140-190 wpm) and pitch (30-70), 22.05 kHz -> 16 kHz."""
    espeak = require_program("espeak-ng", "espeak-ng")
    clips = []
    for text in texts:
        command = [
            espeak,
            "-v",
            rng.choice(ESPEAK_VOICES),
            "-s",
            str(rng.randint(140, 190)),
            "-p",
            str(rng.randint(30, 70)),
            "--stdout",
            text,
        ]
        wav = subprocess.run(command, check=True, capture_output=True).stdout
        audio, rate = sf.read(io.BytesIO(wav), dtype="float32")
        clips.append(torchaudio.functional.resample(torch.from_numpy(audio), rate, SAMPLING_RATE))
    return clips


def asterisk_speech() -> list[torch.Tensor]:
    """Real English asterisk prompts (8 kHz studio recordings upsampled to 16 kHz), test sentences left out."""
    recordings = prompt_recordings("en", ASTERISK_MAX_SECONDS).values()
    return [_read_16k(Path(r.path)) for r in recordings if sentence_split(r.text) != TEST]


def build_training_speech(args: Arguments, path: Path, log=print) -> dict:
    """Synthesise (once) and cache the training speech: ``{"clips": [int16 tensors], "sources": {name: count}}``."""
    if path.exists():
        return torch.load(path, weights_only=True)
    started, rng = time.time(), random.Random(args.seed)
    sentences = training_sentences()
    work = path.parent / "tmp_synthesis"
    work.mkdir(parents=True, exist_ok=True)
    sources: dict[str, list[torch.Tensor]] = {}
    for name in ("flite_kal16", "flite_rms", "flite_slt"):
        sources[name] = synthesize_flite(name, rng.sample(sentences, args.sentences_per_flite_voice), work, rng, True)
        log(f"{name}: {len(sources[name])} clips ({time.time() - started:.0f} s)")
    for name in ("festival_cmu_us_slt_arctic_hts", "festival_kal_diphone"):
        sources[name] = synthesize_festival(name, rng.sample(sentences, args.sentences_per_festival_voice), work)
        log(f"{name}: {len(sources[name])} clips ({time.time() - started:.0f} s)")
    sources["espeak_ng"] = synthesize_espeak(rng.sample(sentences, args.sentences_espeak), rng)
    sources["asterisk_en"] = asterisk_speech()
    shutil.rmtree(work, ignore_errors=True)
    clips = [(c.clamp(-1, 1) * 32767).round().short() for group in sources.values() for c in group]
    data = {
        "clips": clips,
        "sources": {k: len(v) for k, v in sources.items()},
        "minutes": {k: round(sum(len(c) for c in v) / SAMPLING_RATE / 60, 1) for k, v in sources.items()},
    }
    torch.save(data, path)
    log(f"training speech: {data['minutes']} minutes, {time.time() - started:.0f} s to build")
    return data


def random_batch(clips: list[torch.Tensor], batch_size: int, segment: int, generator: torch.Generator) -> torch.Tensor:
    """(batch, segment) random crops at a random level (-6..+4 dB); short clips are zero-padded."""
    batch = torch.zeros(batch_size, segment)
    for row in range(batch_size):
        clip = clips[int(torch.randint(len(clips), (1,), generator=generator))].float() / 32767
        if clip.shape[0] > segment:
            start = int(torch.randint(clip.shape[0] - segment + 1, (1,), generator=generator))
            clip = clip[start : start + segment]
        gain = 10 ** (float(torch.empty(1).uniform_(-6, 4, generator=generator)) / 20)
        batch[row, : clip.shape[0]] = (clip * gain).clamp(-1, 1)
    return batch


# ------------------------------------------------------------------------------------------------ 2-6. training
def learning_rate(step: int, args: Arguments) -> float:
    """Linear warm-up over 100 steps, then cosine decay to 5 % at ``max_steps``."""
    progress = min(step, args.max_steps) / args.max_steps
    return args.learning_rate * min(1.0, (step + 1) / 100) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))


def save_checkpoint(folder: Path, model, optimizer, state: dict) -> None:
    """The model (safetensors), optimizer and loop state, written to a temporary folder then renamed."""
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
    (tmp / "state.json").write_text(json.dumps(state))
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)


def plot_history(history: list[dict], path: Path) -> None:
    """The loss curve (total and each term, log scale) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    steps = [h["step"] for h in history]
    for key in ("loss", "log_magnitude", "spectral_convergence", "waveform_stft", "commitment"):
        values = [h.get(key) for h in history]
        if any(v is not None for v in values):
            ax.plot(steps, [math.nan if v is None else v for v in values], label=key)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.set_title("CPU codec training")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def train(args: Arguments, log=print) -> LauraGPTCPUCodec:
    """Run (or resume) the recipe; returns the trained codec, saved under ``OUT/codec``."""
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "data").mkdir(exist_ok=True)
    speech = build_training_speech(args, out / "data" / "train_speech.pt", log)
    clips = speech["clips"]
    segment = round(args.segment_seconds * SAMPLING_RATE / CODEC_HOP_LENGTH) * CODEC_HOP_LENGTH

    checkpoint = out / "checkpoint"
    if (checkpoint / "state.json").exists():  # resume
        model = LauraGPTCPUCodec.from_pretrained(checkpoint)
        state = json.loads((checkpoint / "state.json").read_text())
        log(f"resuming at step {state['step']}")
    else:
        torch.manual_seed(args.seed)
        model = LauraGPTCPUCodec(
            LauraGPTCPUCodecConfig.from_preset(
                args.preset, decoder_head=args.decoder_head, **json.loads(args.config_overrides)
            )
        )
        state = {"step": 0, "seconds": 0.0, "history": [], "arguments": asdict(args), "data": speech["minutes"]}
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=args.learning_rate, betas=(0.8, 0.99), weight_decay=args.weight_decay
    )
    if (checkpoint / "optimizer.pt").exists():
        optimizer.load_state_dict(torch.load(checkpoint / "optimizer.pt", weights_only=True))
    log(f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters; {len(clips)} clips")

    generator = torch.Generator().manual_seed(args.seed + state["step"])
    model.train()
    run_started, seconds_before = time.time(), state["seconds"]
    step = state["step"]
    while step < args.max_steps and seconds_before + time.time() - run_started < args.max_minutes * 60:
        if step == args.warmup_steps:  # 4. k-means on the warmed-up encoder's frames
            model.init_codebooks(
                random_batch(clips, args.kmeans_clips, segment, generator),
                iterations=args.kmeans_iterations,
                seed=args.seed,
            )
            log(f"k-means initialised the codebooks at step {step}")
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, args)
        output = model(
            random_batch(clips, args.batch_size, segment, generator), use_quantizer=step >= args.warmup_steps
        )
        optimizer.zero_grad(set_to_none=True)
        output.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step += 1
        if step % args.log_every_steps == 0 or step == 1:
            entry = {
                "step": step,
                "loss": output.loss.item(),
                "seconds": round(seconds_before + time.time() - run_started, 1),
            }
            for key in ("log_magnitude", "spectral_convergence", "waveform_stft", "commitment"):
                value = getattr(output, f"{key}_loss")
                entry[key] = None if value is None else round(value.item(), 5)
            state["history"].append(entry)
            log(entry)
        if step % args.save_every_steps == 0:
            state.update(step=step, seconds=seconds_before + time.time() - run_started)
            save_checkpoint(checkpoint, model, optimizer, state)
    state.update(step=step, seconds=seconds_before + time.time() - run_started)
    save_checkpoint(checkpoint, model, optimizer, state)
    model.eval()
    model.save_pretrained(out / "codec")
    (out / "history.json").write_text(json.dumps(state, indent=1))
    plot_history(state["history"], out / "loss_curve.png")
    log(f"done: {step} steps in {state['seconds'] / 60:.1f} min -> {out / 'codec'}")
    return model


def parse_arguments(argv: list[str] | None = None) -> Arguments:
    """``Arguments`` of a command line: default < ``--config`` YAML < ``--set field=value`` < ``--field`` flag.

    parse_arguments(["--config", "codec.yaml", "--set", "max_steps=200", "--threads", "2"])
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default in asdict(Arguments()).items():  # default None: a flag that is not given sets nothing
        parser.add_argument("--" + name.replace("_", "-"), type=type(default), help=f"default {default}")
    add_config_arguments(parser, example="max_steps=200")
    return arguments_from_command_line(Arguments, parser.parse_args(argv))


if __name__ == "__main__":
    train(parse_arguments())
