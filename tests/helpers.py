"""Test material made on the fly: sentences for a tiny tokenizer and reproducible speech-like clips."""

from __future__ import annotations

import numpy as np
import yaml
from datasets import Dataset

SAMPLING_RATE = 16000
SENTENCES = [
    "hello world",
    "please enter your password followed by the pound key",
    "the conference is now locked",
    "turn on the kitchen lights",
    "set an alarm for seven in the morning",
    "a dog barks while a bell rings",
    "guten tag und willkommen",
    "the quick brown fox jumps over the lazy dog",
]


def byte_level_tokenizer(texts: list[str], vocab_size: int = 700, eos: str = "<|endoftext|>"):
    """A GPT-2-like tokenizer: the 256-byte alphabet, BPE merges learnt on ``texts``, ``eos`` (also pad) in its
    vocabulary."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer, tokenizer.decoder = pre_tokenizers.ByteLevel(add_prefix_space=False), decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=[eos], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tokenizer.train_from_iterator(list(texts) * 3, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token=eos, pad_token=eos)


def make_audio(seconds: float, seed: int = 0, sampling_rate: int = SAMPLING_RATE) -> np.ndarray:
    """A reproducible speech-like test clip: a gliding harmonic tone with noise, float32 in [-1, 1]."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sampling_rate)) / sampling_rate
    f0 = 120 + 60 * seed % 200 + 80 * t
    phase = 2 * np.pi * np.cumsum(f0) / sampling_rate
    wave = sum(np.sin(k * phase) / k for k in range(1, 5)) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))
    wave = 0.3 * wave + 0.02 * rng.standard_normal(len(t))
    return wave.astype(np.float32)


def write_hub_folder(root, configs: dict, features):
    """A Hub-format dataset folder: ``configs`` is {config name or None (default): {split: list of rows}}; writes
    parquet files and the README's ``configs``."""
    entries = []
    for config, splits in configs.items():
        name, prefix = (config, config) if config else ("default", "data")
        files = []
        for split, rows in splits.items():
            path = root / prefix / f"{split}-00000-of-00001.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            Dataset.from_list(rows, features=features).to_parquet(str(path))
            files.append({"split": split, "path": f"{prefix}/{split}-*"})
        entries.append({"config_name": name, "data_files": files})
    (root / "README.md").write_text("---\n" + yaml.safe_dump({"configs": entries}) + "---\n")
    return root
