"""The model card's benchmark sections show only figures measured on the weights (or design) the card describes."""

from __future__ import annotations

import json

from modeling_lauragpt.defaults import weights_fingerprint
from modeling_lauragpt.training.recipes.card_benchmarks import speed_rows


def _model_dir(tmp_path, weights: bytes, text_vocab_size: int = 300):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(weights)
    (folder / "config.json").write_text(json.dumps({"text_vocab_size": text_vocab_size}))
    return folder


def _end_to_end(tmp_path, weights: dict, quick: bool = False):
    rows = [
        {"model": "shipped", "task": task, "batch": batch, "rtf": rtf}
        for task, batch, rtf in [("asr", 1, 0.04), ("asr", 8, 0.02), ("tts", 1, 0.35), ("tts", 8, 0.1)]
    ]
    path = tmp_path / "end_to_end.json"
    workload = {"item_audio_s": 5.0, "asr_text_tokens": 20, "tts_codec_tokens": 125}
    document = {"quick": quick, "machine": {"torch_threads": 2}, "workload": workload, "weights": weights, "rows": rows}
    path.write_text(json.dumps(document))
    return path


def _training(tmp_path, text_vocab_size: int):
    row = {
        "preset": "whisper-tiny-decoder, output logits",
        "text_vocab_size": text_vocab_size,
        "logits": "output",
        "rows": 16,
        "tokens_per_step": 1488,
        "step_s": 0.5,
        "tokens_per_s": 2976.0,
        "achieved_gflops": 30.0,
        "matmul_peak_gflops": 60.0,
        "utilisation": 0.5,
    }
    path = tmp_path / "training.json"
    path.write_text(json.dumps({"quick": False, "rows": [row]}))
    return path


def test_speed_section_reads_the_run_on_these_weights(tmp_path):
    model = _model_dir(tmp_path, b"weights v2")
    card = "\n".join(
        speed_rows(model, _end_to_end(tmp_path, {"shipped": weights_fingerprint(model)}), _training(tmp_path, 300))
    )
    assert "| asr | 0.040 | 0.020 | <= 0.05 | yes |" in card
    assert "| tts | 0.350 | 0.100 | <= 0.3 | **no** |" in card
    assert "2,976 tokens/s" in card and "50% of the 60.0 GFLOP/s" in card and "target >= 40%: met" in card


def test_figures_of_other_weights_or_another_design_are_left_out(tmp_path):
    model = _model_dir(tmp_path, b"weights v2")
    older = _end_to_end(tmp_path, {"shipped": "0123456789abcdef"})
    card = "\n".join(speed_rows(model, older, _training(tmp_path, 999)))
    assert "not measured on these weights yet" in card and "| asr |" not in card
    assert "tokens/s" not in card  # the training row measured another vocabulary
    quick = _end_to_end(tmp_path, {"shipped": weights_fingerprint(model)}, quick=True)
    assert "not measured on these weights yet" in "\n".join(speed_rows(model, quick, tmp_path / "missing.json"))
