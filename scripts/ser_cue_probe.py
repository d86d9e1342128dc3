"""What carries the demo corpus' SER labels, and does the frozen audio tower keep it? Linear probes, held-out voice.

The corpus acts each emotion with a prosody (training/demo_corpus/tasks/ser.py: level, tempo, pitch and its
spread) on two training voices, and tests on a third. This script fits a linear softmax probe (L-BFGS, L2) on the
training split and scores the held-out voice's test split, for:

- four measurements of each clip: RMS level of its voiced 10 ms frames (dB), seconds per character, median log F0,
  spread of log F0 (each alone, each left out, all four);
- the mean and standard deviation over time of the model's audio features: Whisper's log-mel frames, the tower's
  convolution stem, each of its layers, and the pooled frames the projector reads (``get_audio_frames``);
- with ``--espeak``: the pooled frames again, trained with the same four emotions acted by the corpus' eight
  espeak-ng voices too (SSML pitch, range and rate; level set after synthesis), i.e. with ten voices, not two.

    python scripts/ser_cue_probe.py runs/v12/corpus --model modeling_lauragpt/default_model --espeak \
        -o docs/experiments/ser_cues/results.json
"""

from __future__ import annotations

import argparse
import io
import json
import random
import tempfile
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import soundfile
import torch
import torchaudio
from transformers import AutoProcessor

from modeling_lauragpt import LauraGPTForConditionalGeneration
from modeling_lauragpt.audio import SAMPLING_RATE
from modeling_lauragpt.audio_lengths import whisper_encoder_frames
from modeling_lauragpt.defaults import DEFAULT_MODEL_DIR
from modeling_lauragpt.training.demo_corpus.audio import SPEECH_RMS_DBFS, read_audio, set_level, trim_silence
from modeling_lauragpt.training.demo_corpus.tasks.ser import EMOTIONS
from modeling_lauragpt.training.demo_corpus.voices import ESPEAK_VOICES, espeak_to_file

FRAME_SECONDS = 0.01  # level frames
F0_RANGE_HZ = (60, 400)
PROSODY_NAMES = ("level", "seconds per character", "median log F0", "log F0 spread")
L2_WEIGHTS = (1e-3, 1e-2, 1e-1)
ESPEAK_SENTENCES = 50  # per voice and emotion


def read_split(corpus: Path, split: str) -> tuple[list[np.ndarray], list[str], list[str]]:
    """(16 kHz waveforms, emotion labels, texts) of one SER split."""
    rows = pq.read_table(corpus / "ser" / f"{split}-00000-of-00001.parquet", columns=["audio", "text", "target_text"])
    rows = rows.to_pylist()
    waves = [soundfile.read(io.BytesIO(r["audio"]["bytes"]), dtype="float32")[0] for r in rows]
    return waves, [r["target_text"] for r in rows], [r["text"] for r in rows]


def prosody(wave: np.ndarray, text: str, rate: int = SAMPLING_RATE) -> list[float]:
    """The four measurements of ``PROSODY_NAMES`` of one clip."""
    x = torch.from_numpy(wave)
    hop = int(rate * FRAME_SECONDS)
    energy = x[: len(x) // hop * hop].reshape(-1, hop).pow(2).mean(1)
    voiced = energy > energy.max() * 1e-3
    f0 = torchaudio.functional.detect_pitch_frequency(x[None], rate, freq_low=F0_RANGE_HZ[0], freq_high=F0_RANGE_HZ[1])
    f0 = f0[0].numpy()
    log_f0 = np.log(f0[(f0 > F0_RANGE_HZ[0]) & (f0 < F0_RANGE_HZ[1])])
    seconds = float(voiced.sum()) * FRAME_SECONDS
    return [10 * np.log10(float(energy[voiced].mean())), seconds / max(1, len(text)), np.median(log_f0), log_f0.std()]


def tower_features(waves: list[np.ndarray], model, processor, batch: int = 16) -> dict[str, np.ndarray]:
    """Mean and std over time of the log-mel frames, the tower's stem and layers, and the pooled frames."""
    tower, captured = model.model.audio_tower, {}
    hooks = [tower.conv2.register_forward_hook(lambda m, i, o: captured.update(stem=torch.nn.functional.gelu(o).mT))]
    for k, layer in enumerate(tower.layers):
        hooks.append(layer.register_forward_hook(lambda m, i, o, k=k: captured.update({f"layer {k + 1}": o})))
    features: dict[str, list] = {}
    for start in range(0, len(waves), batch):
        inputs = processor.audio_inputs([torch.from_numpy(w) for w in waves[start : start + batch]])
        with torch.no_grad():
            pooled, pooled_mask = model.get_audio_frames(inputs["input_features"], inputs["input_features_mask"])
        mel_frames = inputs["input_features_mask"].sum(1)
        layers = {"log-mel": inputs["input_features"].mT, **captured, "pooled frames": pooled}
        lengths = {name: whisper_encoder_frames(mel_frames) for name in captured}  # stem and layers
        lengths.update({"log-mel": mel_frames, "pooled frames": pooled_mask.sum(1)})
        for name, hidden in layers.items():
            for row, length in enumerate(lengths[name].tolist()):
                h = hidden[row, : int(length)]
                features.setdefault(name, []).append(torch.cat([h.mean(0), h.std(0)]).numpy())
    for hook in hooks:
        hook.remove()
    return {name: np.array(rows) for name, rows in features.items()}


def fit_linear(features: torch.Tensor, labels: torch.Tensor, classes: int, l2: float) -> torch.nn.Linear:
    """A softmax probe fitted by L-BFGS to cross-entropy plus ``l2`` times its squared weights."""
    torch.manual_seed(0)
    linear = torch.nn.Linear(features.shape[1], classes)
    optimizer = torch.optim.LBFGS(linear.parameters(), max_iter=500)

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(linear(features), labels) + l2 * linear.weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return linear


def probe(train: np.ndarray, train_labels: list[str], test: np.ndarray, test_labels: list[str]) -> dict:
    """Train and held-out accuracy of a linear softmax probe on standardised features, for each L2 weight."""
    index = {label: i for i, label in enumerate(EMOTIONS)}
    mean, std = train.mean(0), train.std(0) + 1e-6
    a, b = (torch.tensor((x - mean) / std, dtype=torch.float32) for x in (train, test))
    ya, yb = (torch.tensor([index[label] for label in labels]) for labels in (train_labels, test_labels))
    results = {}
    for l2 in L2_WEIGHTS:
        linear = fit_linear(a, ya, len(index), l2)
        with torch.no_grad():
            accuracy = [round((linear(x).argmax(1) == y).float().mean().item(), 4) for x, y in ((a, ya), (b, yb))]
        results[f"l2={l2:g}"] = {"train": accuracy[0], "held_out_voice": accuracy[1]}
    return results


def espeak_acted(texts: list[str], seed: int = 0) -> tuple[list[np.ndarray], list[str]]:
    """The four emotions acted by each espeak-ng voice of the corpus (SSML prosody, +-5 % jitter, level after)."""
    rng, waves, labels = random.Random(seed), [], []
    texts = sorted(set(texts))
    rng.shuffle(texts)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.wav"
        for v, voice in enumerate(ESPEAK_VOICES.values()):
            for e, (emotion, style) in enumerate(EMOTIONS.items()):
                start = (v * len(EMOTIONS) + e) * ESPEAK_SENTENCES % len(texts)
                for text in texts[start : start + ESPEAK_SENTENCES]:
                    pitch, spread, stretch = (
                        f * rng.uniform(0.95, 1.05) for f in (style.pitch, style.spread, style.stretch)
                    )
                    plain = text.replace("&", "and").replace("<", " ")
                    ssml = (
                        f'<speak><prosody pitch="{(pitch - 1) * 100:+.0f}%" range="{(spread - 1) * 100:+.0f}%" '
                        f'rate="{100 / stretch:.0f}%">{plain}</prosody></speak>'
                    )
                    espeak_to_file(voice, ssml, path, markup=True)
                    level = SPEECH_RMS_DBFS + style.level_db + rng.uniform(-1.5, 1.5)
                    waves.append(set_level(trim_silence(read_audio(str(path))), level))
                    labels.append(emotion)
    return waves, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path, help="a demo corpus folder (lauragpt build-demo-data)")
    parser.add_argument(
        "--model", type=Path, default=DEFAULT_MODEL_DIR, help="the LauraGPT folder whose tower to probe"
    )
    parser.add_argument("--espeak", action="store_true", help="also probe with the espeak-ng voices' acted clips")
    parser.add_argument("-o", "--output", type=Path, help="write the results here as JSON (a new file)")
    args = parser.parse_args()
    if args.output is not None and args.output.exists():
        parser.error(f"{args.output} exists: give a new file name")
    torch.set_num_threads(1)
    (train, train_y, train_text), (test, test_y, test_text) = (read_split(args.corpus, s) for s in ("train", "test"))
    results = {"corpus": str(args.corpus), "model": str(args.model), "train_rows": len(train), "test_rows": len(test)}

    measured = [
        np.array([prosody(w, t) for w, t in zip(waves, texts)])
        for waves, texts in ((train, train_text), (test, test_text))
    ]
    results["prosody"] = {"all four": probe(measured[0], train_y, measured[1], test_y)}
    for k, name in enumerate(PROSODY_NAMES):
        rest = [j for j in range(len(PROSODY_NAMES)) if j != k]
        results["prosody"][f"only {name}"] = probe(measured[0][:, [k]], train_y, measured[1][:, [k]], test_y)
        results["prosody"][f"without {name}"] = probe(measured[0][:, rest], train_y, measured[1][:, rest], test_y)

    model = LauraGPTForConditionalGeneration.from_pretrained(args.model).eval()
    processor = AutoProcessor.from_pretrained(args.model)
    train_features, test_features = (tower_features(w, model, processor) for w in (train, test))
    results["tower"] = {n: probe(train_features[n], train_y, test_features[n], test_y) for n in train_features}
    if args.espeak:
        acted, acted_y = espeak_acted(train_text)
        both = np.concatenate(
            [train_features["pooled frames"], tower_features(acted, model, processor)["pooled frames"]]
        )
        results["pooled frames, 2 flite + 8 espeak-ng voices"] = probe(
            both, train_y + acted_y, test_features["pooled frames"], test_y
        )
        results["espeak_rows"] = len(acted)
    text = json.dumps(results, indent=1)
    print(text)
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n")


if __name__ == "__main__":
    main()
