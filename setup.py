"""Packaging for lauragpt: one import package, ``modeling_lauragpt``.

The repository keeps ``processing/`` and ``training/`` at the top level for readability; they are installed as
``modeling_lauragpt.processing`` and ``modeling_lauragpt.training`` so that the package never shadows a user's
own top-level ``processing`` or ``training`` module.
"""

from pathlib import Path

from setuptools import find_packages, setup

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
    "torchcodec>=0.7",  # datasets encodes/decodes Audio columns with it (needs FFmpeg: scripts/install_system_deps.sh)
    "numpy>=1.26",
    "pyyaml>=6",  # recipe configs (training/configs/*.yaml) and model cards
    "matplotlib>=3.7",  # lauragpt demo / eval write spectrogram and training-curve PNGs
    "gradio>=6",  # `lauragpt serve`, app.py on a Space (web_demo.py uses 6.0 APIs: launch(theme=), buttons=)
]
EVAL_REQUIRES = [  # the metric modules of modeling_lauragpt.training.metrics
    "jiwer>=4.0",
    "rapidfuzz>=3.0",  # character distance of SLU-F1 (also a jiwer dependency)
    "sacrebleu>=2.4",
    "pycocoevalcap>=1.2",
    "pesq>=0.0.4",
    "pystoi>=0.4",
    "pocketsphinx>=5.0",  # the independent recogniser that judges generated speech (its en-us model is in the wheel)
]
SPEAKER_REQUIRES = [  # optional speaker similarity in `lauragpt eval`; then `pip install webrtcvad-wheels` (see docs)
    "resemblyzer>=0.1.4",
]
TEST_REQUIRES = EVAL_REQUIRES + [
    "pytest>=8",
    "kaldi-native-fbank>=1.20",  # an independent fbank implementation the feature-extractor tests compare against
    "parameterized>=0.9",  # imported by transformers' common test suites (tests/upstream_suites.py)
    "hypothesis>=6.100",  # property-based reliability tests (tests/test_reliability_properties.py)
    "ruff>=0.17.6,<0.18",  # tests/test_lint.py: CI runs ruff check through the test command
    "selenium>=4.20",  # the web demo's real-browser test (tests/test_web_demo.py) drives the system Chromium
]


def _mapped_packages(source_dir: str, package: str) -> dict[str, str]:
    """Every package under ``source_dir`` (folders with ``__init__.py``), named under ``package``."""
    found = {package: source_dir}
    for sub in find_packages(source_dir):
        found[f"{package}.{sub}"] = f"{source_dir}/{sub.replace('.', '/')}"
    return found


PACKAGE_DIR = {
    **_mapped_packages("modeling_lauragpt", "modeling_lauragpt"),
    **_mapped_packages("processing", "modeling_lauragpt.processing"),
    **_mapped_packages("training", "modeling_lauragpt.training"),
    **_mapped_packages("bench", "modeling_lauragpt.bench"),
    "modeling_lauragpt.training.metrics": "training/metrics",  # no __init__.py walk below it: metric folders are data
}
PACKAGES = sorted(PACKAGE_DIR)

setup(
    name="lauragpt",
    version="0.1.0",
    description="LauraGPT (arXiv 2310.04673) as a Hugging Face-native model: listen, attend, understand and regenerate audio",
    long_description=Path("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=PACKAGES,
    package_dir=PACKAGE_DIR,
    # metric modules are `evaluate` scripts loaded by path (training/metrics/<name>/<name>.py, no __init__.py);
    # the embedded default model, its sample clips and the recipe configs are data files
    package_data={
        "modeling_lauragpt.training.metrics": ["*/*.py"],
        "modeling_lauragpt": ["default_model/**/*", "demo_samples/*"],
        "modeling_lauragpt.training": ["configs/*.yaml", "accelerate_configs/*.yaml", "accelerate_configs/*.json"],
        "modeling_lauragpt.training.demo_corpus": ["data/*.tsv", "data/*.md"],
        "modeling_lauragpt.conversion": ["data/*.flac", "data/*.txt", "data/*.md"],  # the Whisper conversion check clip
    },
    install_requires=INSTALL_REQUIRES,
    extras_require={"test": TEST_REQUIRES, "dev": TEST_REQUIRES, "eval": EVAL_REQUIRES, "speaker": SPEAKER_REQUIRES},
    entry_points={"console_scripts": ["lauragpt=modeling_lauragpt.cli:main"]},
)
