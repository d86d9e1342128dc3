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
TEST_REQUIRES = [
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
    packages=["modeling_lauragpt", "modeling_lauragpt.processing", "modeling_lauragpt.training"],
    package_dir={
        "modeling_lauragpt": "modeling_lauragpt",
        "modeling_lauragpt.processing": "processing",
        "modeling_lauragpt.training": "training",
    },
    install_requires=INSTALL_REQUIRES,
    extras_require={"test": TEST_REQUIRES, "dev": TEST_REQUIRES + ["ruff"]},
    entry_points={"console_scripts": ["lauragpt=modeling_lauragpt.cli:main"]},
)
