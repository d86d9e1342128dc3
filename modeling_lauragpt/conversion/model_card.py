"""The generated model card (``README.md`` with Hub metadata) of a Hub export.

Metadata from an existing card in the model folder is kept (its ``license``, ``base_model``, ``language`` ...), with
``library_name: transformers`` and the ``custom_code`` tag added; its text follows the generated sections.
"""

from __future__ import annotations

import yaml

from ..tasks import BUILTIN_TASKS

HUB_TAGS = ["lauragpt", "custom_code", "audio", "speech", "audio-to-text", "text-to-speech", "codec"]


def split_card(text: str) -> tuple[dict, str]:
    """(front-matter metadata, body) of a model card; ``({}, text)`` when it has no YAML front matter."""
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end != -1:
            metadata = yaml.safe_load(text[4:end]) or {}
            if isinstance(metadata, dict):
                return metadata, text[end + 4 :].lstrip("\n")
    return {}, text


def _task_lines(config: dict) -> list[str]:
    custom = config.get("custom_tasks") or {}
    lines = []
    for name in config.get("tasks", []):
        description = (
            BUILTIN_TASKS[name].description
            if name in BUILTIN_TASKS
            else custom.get(name, {}).get("description", "custom task")
        )
        lines.append(f"- `{name}`: {description}")
    return lines


def build_model_card(
    config: dict,
    sizes: dict[str, int],
    existing: str | None = None,
    repo_id: str | None = None,
    license: str | None = None,
    base_model: str | None = None,
    requirements: list[str] | None = None,
    provenance: str | None = None,
) -> str:
    """The card's full text.

    config : the model's ``config.json`` contents; sizes : stored weights by part (``{"LauraGPT": n, ...}``)
    existing : the model folder's current ``README.md`` (metadata kept, body appended)
    repo_id : the Hub repository the export is meant for (used in the snippets)
    license, base_model : Hub metadata; override the existing card's
    requirements : pip requirements of the exported code (``["transformers>=5.24.0", "torch", ...]``)
    provenance : one line saying what wrote the export
    """
    metadata, old_body = split_card(existing or "")
    metadata = dict(metadata)
    metadata["library_name"] = "transformers"
    metadata["tags"] = list(dict.fromkeys(list(metadata.get("tags") or []) + HUB_TAGS))
    if license or "license" not in metadata:
        metadata["license"] = license or "other"
    if base_model:
        metadata["base_model"] = base_model
    name = repo_id or "path/to/this/folder"
    text_config = config.get("text_config", {})
    body = [
        f"# {repo_id.split('/')[-1] if repo_id else 'LauraGPT'}",
        "",
        (
            "LauraGPT (arXiv 2310.04673): one decoder-only LLM that reads audio (continuous Conformer features) or text and "
            "writes text or first-group codec tokens, which the one-step codec vocoder in `vocoder/` turns into 16 kHz audio."
        ),
        "",
        "## Tasks",
        "",
        *_task_lines(config),
        "",
        "## Parts",
        "",
        *[f"- {part}: {count:,} stored weights" for part, count in sizes.items()],
        (
            f"- LLM: {text_config.get('model_type', '?')} with {text_config.get('num_hidden_layers', '?')} layers, hidden "
            f"{text_config.get('hidden_size', '?')}; vocabulary {config.get('text_vocab_size')} text + "
            f"{config.get('codebook_size')} codec + {len(config.get('tasks', [])) + 2} special tokens"
        ),
        *(["", provenance] if provenance else []),
        "",
        "## Use without the lauragpt package",
        "",
        (
            "The modeling and processing code ships in this repository (flat `.py` files), so loading needs "
            "`trust_remote_code=True`; read the code first, as with any remote code."
        ),
        "",
        *(
            [
                f"Requirements: `pip install {' '.join(repr(r) if '>' in r or '<' in r else r for r in requirements)}`",
                "",
            ]
            if requirements
            else []
        ),
        "```python",
        "from transformers import AutoModel, AutoModelForCausalLM, AutoProcessor, pipeline",
        "",
        f'model = AutoModelForCausalLM.from_pretrained("{name}", trust_remote_code=True)',
        f'processor = AutoProcessor.from_pretrained("{name}", trust_remote_code=True)',
        f'vocoder = AutoModel.from_pretrained("{name}", subfolder="vocoder", trust_remote_code=True)',
        "",
        f'pipe = pipeline("lauragpt", model="{name}", vocoder=vocoder, trust_remote_code=True)',
        'pipe("speech.wav", task="asr")                 # {"text": ...}',
        'pipe("Hello there.", task="tts")               # {"audio": ..., "sampling_rate": 16000}',
        "```",
        "",
        (
            "With the `lauragpt` package installed and imported, `AutoModelForCausalLM` and `AutoProcessor` use the "
            'package\'s own classes for this repository; `pipeline("lauragpt", ...)` still asks for '
            "`trust_remote_code=True` here, because the repository declares `custom_pipelines` for users without the package."
        ),
    ]
    if old_body.strip():
        body += ["", "## Original model card", "", old_body.strip()]
    front = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True)
    return f"---\n{front}---\n\n" + "\n".join(body) + "\n"


__all__ = ["HUB_TAGS", "build_model_card", "split_card"]
