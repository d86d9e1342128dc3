"""The self-contained Hub export of a saved LauraGPT folder, ready for ``push_to_hub`` (``export_hub()``).

The export holds the weights, configs and processor, a generated model card, the package's code flattened into
single-level ``.py`` files (``flatten.py``) and the ``auto_map`` / ``custom_pipelines`` entries that only exports
carry. The command is ``lauragpt export-hub`` (``modeling_lauragpt/cli/export_hub.py``; its ``--help`` names every
file that gets an entry).
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import transformers

from .. import __version__
from ..errors import OutputConflictError
from .flatten import PACKAGE, module_closure, third_party_imports, write_flat_code
from .model_card import build_model_card

MODEL_ENTRIES = [
    f"{PACKAGE}.modeling_lauragpt",
    f"{PACKAGE}.configuration_lauragpt",
    f"{PACKAGE}.processing.processing_lauragpt",
    f"{PACKAGE}.processing.feature_extraction_lauragpt",
    f"{PACKAGE}.processing.pipeline_lauragpt",
]
# The vocoder's code carries both codec classes (codec.py imports them): its codec_config may name either.
CPU_CODEC_ENTRIES = [f"{PACKAGE}.modeling_cpu_codec", f"{PACKAGE}.configuration_cpu_codec"]
VOCODER_ENTRIES = [f"{PACKAGE}.modeling_vocoder", f"{PACKAGE}.configuration_vocoder", *CPU_CODEC_ENTRIES]
MODEL_AUTO_MAP = {
    "AutoConfig": "configuration_lauragpt.LauraGPTConfig",
    "AutoModel": "modeling_lauragpt.LauraGPTModel",
    "AutoModelForCausalLM": "modeling_lauragpt.LauraGPTForConditionalGeneration",
    "AutoModelForSpeechSeq2Seq": "modeling_lauragpt.LauraGPTForConditionalGeneration",
    "AutoModelForTextToWaveform": "modeling_lauragpt.LauraGPTForConditionalGeneration",
    "AutoProcessor": "processing_lauragpt.LauraGPTProcessor",
    "AutoFeatureExtractor": "feature_extraction_lauragpt.LauraGPTFeatureExtractor",
}
PROCESSOR_AUTO_MAP = {"AutoProcessor": "processing_lauragpt.LauraGPTProcessor"}
FEATURE_EXTRACTOR_AUTO_MAP = {"AutoFeatureExtractor": "feature_extraction_lauragpt.LauraGPTFeatureExtractor"}
VOCODER_AUTO_MAP = {
    "AutoConfig": "configuration_vocoder.LauraGPTVocoderConfig",
    "AutoModel": "modeling_vocoder.LauraGPTVocoder",
}
CPU_CODEC_AUTO_MAP = {
    "AutoConfig": "configuration_cpu_codec.LauraGPTCPUCodecConfig",
    "AutoModel": "modeling_cpu_codec.LauraGPTCPUCodec",
}
CUSTOM_PIPELINES = {
    "lauragpt": {
        "impl": "pipeline_lauragpt.LauraGPTPipeline",
        "pt": ["AutoModelForCausalLM"],
        "tf": [],
        "type": "multimodal",
    }
}
COPIED_SUFFIXES = (
    ".json",
    ".safetensors",
    ".txt",
    ".model",
    ".jinja",
    ".md",
)  # weights, configs, tokenizer files, cards


def _merge(base: dict, update: dict) -> dict:
    """``update`` merged into ``base``, nested dicts (an existing ``auto_map``) key by key."""
    merged = dict(base)
    for key, value in update.items():
        merged[key] = (
            _merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
        )
    return merged


def _update_json(path: Path, update: dict) -> None:
    """Merge ``update`` into the JSON object stored at ``path``."""
    data = _merge(json.loads(path.read_text(encoding="utf-8")), update)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _copy_folder(source: Path, target: Path) -> None:
    """Copy the weight, config and tokenizer files of ``source`` and its sub-folders (no code, no caches)."""
    for path in sorted(source.rglob("*")):
        if path.is_file() and path.suffix in COPIED_SUFFIXES and "__pycache__" not in path.parts:
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)


def _stored_weights(folder: Path) -> dict[str, int]:
    """Values stored per part (parameters and persistent buffers), read from the safetensors headers."""
    from safetensors import safe_open

    counts = {}
    for name, sub in (("LauraGPT", "."), ("vocoder (with its codec)", "vocoder"), ("codec", "codec")):
        files = sorted((folder / sub).glob("*.safetensors"))
        if files:
            counts[name] = 0
        for file in files:
            with safe_open(str(file), framework="pt") as handle:
                counts[name] += sum(math.prod(handle.get_slice(key).get_shape()) for key in handle.keys())  # noqa: SIM118 (safe_open has no __iter__)
    return counts


def _feature_extractor_type(folder: Path, processor_config: dict) -> str | None:
    """The saved feature extractor's class name (nested in processor_config.json, or preprocessor_config.json)."""
    nested = processor_config.get("feature_extractor")
    if isinstance(nested, dict):
        return nested.get("feature_extractor_type")
    separate = folder / "preprocessor_config.json"
    return json.loads(separate.read_text()).get("feature_extractor_type") if separate.exists() else None


def _is_export(folder: Path) -> bool:
    """Whether ``folder`` is an earlier export: a LauraGPT config carrying the ``auto_map`` and ``custom_pipelines``
    that only the export writes."""
    try:
        data = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return data.get("model_type") == "lauragpt" and "auto_map" in data and "custom_pipelines" in data


def export_hub(
    model_dir: str | Path,
    out: str | Path,
    repo_id: str | None = None,
    license: str | None = None,
    base_model: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the self-contained export of ``model_dir`` (a saved LauraGPT folder) into ``out``; returns ``out``."""
    source, target = Path(model_dir), Path(out)
    config_path = source / "config.json"
    if not config_path.exists() or json.loads(config_path.read_text()).get("model_type") != "lauragpt":
        raise FileNotFoundError(f"{source} is not a saved LauraGPT folder (no config.json with model_type 'lauragpt').")
    if not (source / "processor_config.json").exists():
        raise FileNotFoundError(
            f"{source} has no processor_config.json: save the processor beside the model (processor.save_pretrained)."
        )
    if (
        source.resolve() in (target.resolve(), *target.resolve().parents)
        or target.resolve() in source.resolve().parents
    ):
        raise ValueError(
            f"Write the export beside the model folder {source}: {target} is it, lies inside it, or holds it."
        )
    if target.exists() and any(target.iterdir()):
        if not overwrite:
            raise OutputConflictError(f"{target} is not empty; pass --overwrite to replace an earlier export there.")
        if not _is_export(target):
            raise OutputConflictError(
                f"{target} holds files that are not an earlier `lauragpt export-hub` output; --overwrite replaces only "
                "such an export. Pick a new or empty folder."
            )
        shutil.rmtree(target)
    existing_card = (source / "README.md").read_text(encoding="utf-8") if (source / "README.md").exists() else None
    _copy_folder(source, target)
    write_flat_code(target, MODEL_ENTRIES)
    processor_config = json.loads((target / "processor_config.json").read_text())
    # A Whisper tower's WhisperFeatureExtractor is transformers' own: only our fbank extractor needs remote code.
    ours = _feature_extractor_type(target, processor_config) == "LauraGPTFeatureExtractor"
    model_auto_map = (
        MODEL_AUTO_MAP if ours else {k: v for k, v in MODEL_AUTO_MAP.items() if k != "AutoFeatureExtractor"}
    )
    _update_json(target / "config.json", {"auto_map": model_auto_map, "custom_pipelines": CUSTOM_PIPELINES})
    processor_update = {"auto_map": PROCESSOR_AUTO_MAP}
    if "feature_extractor" in processor_config and ours:  # nested since transformers 5
        processor_update["feature_extractor"] = {"auto_map": FEATURE_EXTRACTOR_AUTO_MAP}
    _update_json(target / "processor_config.json", processor_update)
    if (target / "preprocessor_config.json").exists() and ours:  # a separately saved feature extractor
        _update_json(target / "preprocessor_config.json", {"auto_map": FEATURE_EXTRACTOR_AUTO_MAP})
    if (target / "tokenizer_config.json").exists():
        _update_json(target / "tokenizer_config.json", {"auto_map": PROCESSOR_AUTO_MAP})
    if (target / "vocoder" / "config.json").exists():
        write_flat_code(target / "vocoder", VOCODER_ENTRIES)
        _update_json(target / "vocoder" / "config.json", {"auto_map": VOCODER_AUTO_MAP})
    codec_config = target / "codec" / "config.json"  # a model saved without a vocoder keeps its codec there
    if codec_config.exists() and json.loads(codec_config.read_text()).get("model_type") == "lauragpt_cpu_codec":
        write_flat_code(target / "codec", CPU_CODEC_ENTRIES)  # EncodecModel is transformers' own: no code needed
        _update_json(codec_config, {"auto_map": CPU_CODEC_AUTO_MAP})
    config = json.loads((target / "config.json").read_text())
    requirements = [
        f"{name}>={transformers.__version__}" if name == "transformers" else name
        for name in third_party_imports(module_closure(MODEL_ENTRIES + VOCODER_ENTRIES))
    ]
    provenance = f"Exported by lauragpt {__version__} (`lauragpt export-hub`)."
    card = build_model_card(
        config, _stored_weights(target), existing_card, repo_id, license, base_model, requirements, provenance
    )
    (target / "README.md").write_text(card, encoding="utf-8")
    return target


__all__ = ["CPU_CODEC_AUTO_MAP", "CUSTOM_PIPELINES", "MODEL_AUTO_MAP", "VOCODER_AUTO_MAP", "export_hub"]
