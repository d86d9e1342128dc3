"""Packaging for lauragpt: one import package, ``modeling_lauragpt``.

The repository keeps ``processing/`` and ``training/`` at the top level for readability; they are installed as
``modeling_lauragpt.processing`` and ``modeling_lauragpt.training`` so that the package never shadows a user's
own top-level ``processing`` or ``training`` module.
"""

from setuptools import setup

INSTALL_REQUIRES = [
    "torch>=2.4",
    "torchaudio>=2.4",
    "transformers>=5.24,<6",
    "datasets>=5.2",
    "evaluate>=0.4.6",
    "accelerate>=1.15",
    "peft>=0.21",
    "huggingface-hub>=2.4",
    "safetensors>=0.4",
    "tokenizers>=0.22",
    "soundfile>=0.12",
    "numpy>=1.26",
]
EVAL_REQUIRES = [  # the metric modules of modeling_lauragpt.training.metrics
    "jiwer>=4.0",
    "rapidfuzz>=3.0",  # character distance of SLU-F1 (also a jiwer dependency)
    "sacrebleu>=2.4",
    "pycocoevalcap>=1.2",
    "pesq>=0.0.4",
    "pystoi>=0.4",
]
TEST_REQUIRES = EVAL_REQUIRES + [
    "pytest>=8",
    "kaldi-native-fbank>=1.20",  # an independent fbank implementation the feature-extractor tests compare against
]

setup(
    name="lauragpt",
    version="0.1.0",
    description="LauraGPT (arXiv 2310.04673) as a Hugging Face-native model: listen, attend, understand and regenerate audio",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=["modeling_lauragpt", "modeling_lauragpt.processing", "modeling_lauragpt.training", "modeling_lauragpt.training.metrics"],
    package_dir={
        "modeling_lauragpt": "modeling_lauragpt",
        "modeling_lauragpt.processing": "processing",
        "modeling_lauragpt.training": "training",
        "modeling_lauragpt.training.metrics": "training/metrics",
    },
    # each metric is an `evaluate` module loaded by path: training/metrics/<name>/<name>.py (no __init__.py)
    package_data={"modeling_lauragpt.training.metrics": ["*/*.py"]},
    install_requires=INSTALL_REQUIRES,
    extras_require={"test": TEST_REQUIRES, "dev": TEST_REQUIRES + ["ruff"], "eval": EVAL_REQUIRES},
    entry_points={"console_scripts": ["lauragpt=modeling_lauragpt.cli:main"]},
)
