"""Assemble a LauraGPT from pretrained parts: any Qwen2-architecture causal LM + its tokenizer, an audio tower
with its feature extractor (a converted ``LauraGPTAudioEncoder``, or the encoder of any Hugging Face Whisper
checkpoint with its ``WhisperFeatureExtractor``), a codec and, optionally, a vocoder.

The tokenizer gains LauraGPT's codec, codec-end, audio and task tokens (``LauraGPTProcessor`` appends them in the
``VocabularyLayout`` order); the LLM's embedding and output matrices grow to match (``load_text_model``: trained
rows kept, new rows drawn from the trained rows' statistics). The projector is new (trained later). Saving writes
one folder: model + processor, ``vocoder/`` (or, without a vocoder, ``codec/`` so one can be trained later).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    AutoTokenizer,
    PreTrainedModel,
    WhisperConfig,
    WhisperFeatureExtractor,
    WhisperModel,
)
from transformers.models.whisper.modeling_whisper import WhisperEncoder

from ..codec import Codec, codec_spec, codes_to_latent, load_codec
from ..configuration_lauragpt import LauraGPTConfig
from ..modeling_audio_encoder import LauraGPTAudioEncoder
from ..modeling_lauragpt import LauraGPTForConditionalGeneration
from ..modeling_vocoder import LauraGPTVocoder
from ..processing.feature_extraction_lauragpt import LauraGPTFeatureExtractor
from ..processing.pipeline_lauragpt import save_model_folder
from ..processing.processing_lauragpt import LauraGPTProcessor
from ..tasks import DEFAULT_TASKS

CODEC_SUBFOLDER = "codec"
FEATURE_EXTRACTOR_FILE = "preprocessor_config.json"


@dataclass
class AssembledLauraGPT:
    """The parts of an assembled model; ``save_pretrained(folder)`` writes them as one loadable folder."""

    model: LauraGPTForConditionalGeneration
    processor: LauraGPTProcessor
    codec: Codec
    vocoder: LauraGPTVocoder | None = None

    def save_pretrained(self, save_directory: str | Path) -> Path:
        """Write ``model`` + ``processor`` into ``save_directory``, and ``vocoder/`` (or ``codec/`` without one)."""
        folder = save_model_folder(Path(save_directory), self.model, self.processor, self.vocoder)
        if self.vocoder is None:
            self.codec.save_pretrained(folder / CODEC_SUBFOLDER)
        return folder


def _source(value, what: str) -> str:
    """``value`` as a string for ``from_pretrained``; a path-like one (``/``, ``.``, ``~``) must exist."""
    text = str(value)
    if text.startswith(("/", ".", "~")) and not Path(text).expanduser().exists():
        raise FileNotFoundError(f"The {what} folder {text} does not exist.")
    return text


def _load_text_model(text_model, tokenizer):
    """(causal LM, tokenizer) from names/paths or objects; the tokenizer defaults to the text model's."""
    if isinstance(text_model, (str, Path)):
        tokenizer = tokenizer if tokenizer is not None else str(text_model)
        text_model = AutoModelForCausalLM.from_pretrained(_source(text_model, "text model"), dtype=torch.float32)
    if not isinstance(text_model, PreTrainedModel) or text_model.get_output_embeddings() is None:
        raise ValueError("text_model must be a causal LM (a folder, a Hub id or a model such as Qwen2ForCausalLM).")
    if tokenizer is None:
        raise ValueError("Pass tokenizer= (a folder, Hub id or tokenizer) when text_model is a model object.")
    if isinstance(tokenizer, (str, Path)):
        tokenizer = AutoTokenizer.from_pretrained(_source(tokenizer, "tokenizer"))
    return text_model, tokenizer


def _is_whisper(audio_encoder) -> bool:
    """Whether ``audio_encoder`` (a folder, Hub id or model) is a Whisper checkpoint."""
    if isinstance(audio_encoder, PreTrainedModel):
        return isinstance(audio_encoder.config, WhisperConfig)
    config = AutoConfig.from_pretrained(_source(audio_encoder, "audio encoder"))
    return isinstance(config, WhisperConfig)


def _load_whisper_encoder(audio_encoder, feature_extractor):
    """(WhisperEncoder, WhisperFeatureExtractor) from a Whisper folder, Hub id or model (any Whisper class)."""
    source = None if isinstance(audio_encoder, PreTrainedModel) else _source(audio_encoder, "Whisper")
    if source is not None:
        audio_encoder = WhisperModel.from_pretrained(source, dtype=torch.float32)
    encoder = audio_encoder if isinstance(audio_encoder, WhisperEncoder) else audio_encoder.get_encoder()
    if feature_extractor is None and source is None:
        raise ValueError(
            "Pass feature_extractor= (the checkpoint's WhisperFeatureExtractor) with a Whisper model object."
        )
    if feature_extractor is None or isinstance(feature_extractor, (str, Path)):
        where = str(feature_extractor or source)
        try:
            feature_extractor = WhisperFeatureExtractor.from_pretrained(where)
        except OSError:
            raise ValueError(
                f"The Whisper checkpoint {where} has no preprocessor_config.json (its WhisperFeatureExtractor). Copy it "
                "from the original checkpoint, or pass feature_extractor=WhisperFeatureExtractor("
                f"feature_size={encoder.config.num_mel_bins})."
            ) from None
    if (
        not isinstance(feature_extractor, WhisperFeatureExtractor)
        or feature_extractor.feature_size != encoder.config.num_mel_bins
    ):
        raise ValueError(
            f"A Whisper encoder with {encoder.config.num_mel_bins} mel bins needs a WhisperFeatureExtractor of the same "
            f"feature_size; got {type(feature_extractor).__name__} with feature_size {feature_extractor.feature_size}."
        )
    return encoder, feature_extractor


def load_audio_encoder(audio_encoder, feature_extractor=None):
    """(encoder, feature extractor); the extractor defaults to the one saved in the encoder folder (with its
    CMVN, as ``lauragpt convert encoder`` writes it), else LauraGPT's default 80 x LFR 7/6 without CMVN.
    Whisper checkpoints give their encoder and their ``WhisperFeatureExtractor``."""
    if _is_whisper(audio_encoder):
        return _load_whisper_encoder(audio_encoder, feature_extractor)
    folder = Path(audio_encoder) if isinstance(audio_encoder, (str, Path)) else None
    if folder is not None:
        audio_encoder = LauraGPTAudioEncoder.from_pretrained(_source(folder, "audio encoder"))
    if feature_extractor is None:
        saved = folder is not None and (folder / FEATURE_EXTRACTOR_FILE).exists()
        feature_extractor = LauraGPTFeatureExtractor.from_pretrained(folder) if saved else LauraGPTFeatureExtractor()
    elif isinstance(feature_extractor, (str, Path)):
        feature_extractor = LauraGPTFeatureExtractor.from_pretrained(_source(feature_extractor, "feature extractor"))
    if feature_extractor.feature_size != audio_encoder.config.input_size:
        raise ValueError(
            f"The feature extractor gives {feature_extractor.feature_size} features per frame but the audio encoder "
            f"reads {audio_encoder.config.input_size}. Pass the feature extractor that belongs to the encoder (the one "
            "`lauragpt convert encoder` saved beside it)."
        )
    return audio_encoder, feature_extractor


def _first_codebook(codec: Codec) -> torch.Tensor:
    """(codebook_size, latent_dim) vectors of RVQ group 0, whichever codec class: the latent of each code alone."""
    codes = torch.arange(codec_spec(codec).codebook_size)[None, None]
    with torch.no_grad():
        return codes_to_latent(codec, codes)[0].cpu()


def _check_vocoder(vocoder: LauraGPTVocoder, codec: Codec) -> None:
    """Raise unless the vocoder decodes with the very codec whose codes the LLM will predict."""
    if type(vocoder.codec) is not type(codec):
        raise ValueError(
            f"The vocoder holds a {type(vocoder.codec).__name__} but the codec is a {type(codec).__name__}. Pass the "
            "codec inside the vocoder (vocoder/ holds it) or train a vocoder for this codec."
        )
    mine, theirs = codec_spec(vocoder.codec), codec_spec(codec)
    different = [
        f"{f}: vocoder {getattr(mine, f)} vs codec {getattr(theirs, f)}"
        for f in vars(mine)
        if getattr(mine, f) != getattr(theirs, f)
    ]
    if different or not torch.equal(_first_codebook(vocoder.codec), _first_codebook(codec)):
        raise ValueError(
            f"The vocoder was built for another codec ({'; '.join(different) or 'different first-group codebook'}). "
            "Pass the codec inside the vocoder (vocoder/ holds it) or train a vocoder for this codec."
        )


def assemble(
    text_model,
    audio_encoder,
    codec,
    vocoder=None,
    tokenizer=None,
    feature_extractor=None,
    tasks=None,
    custom_tasks: dict | None = None,
    projector_hidden_act: str = "gelu",
    audio_frame_pooling: int | None = None,
    audio_window: str = "30s",
    seed: int = 0,
) -> AssembledLauraGPT:
    """Build a LauraGPT from pretrained parts.

    text_model : a causal LM folder, Hub id or model (Qwen2 architecture; its decoder becomes ``language_model``)
    audio_encoder : a ``LauraGPTAudioEncoder`` folder (e.g. from ``lauragpt convert encoder``) or model, or any
        Whisper checkpoint (folder, Hub id, or model; e.g. from ``lauragpt convert whisper-ct2``): its encoder
    codec : an ``EncodecModel`` (e.g. from ``lauragpt convert codec``) or ``LauraGPTCPUCodec``, as a folder or model:
        its codebook size is M
    vocoder : optional ``LauraGPTVocoder`` folder or model over the same codec and tokenizer
    tokenizer : defaults to the text model's; feature_extractor : defaults to the encoder folder's
    tasks, custom_tasks : task tokens (default: the eight built-in tasks) and modalities of non-built-in ones
    audio_frame_pooling : tower frames averaged per placeholder (default: 2 for Whisper, 50 Hz -> 25 Hz; 1 otherwise)
    audio_window : Whisper only: ``"30s"`` (Whisper's window), ``"Ns"`` (at least N s) or ``"clip"`` (the clip alone)
    seed : seed of the new projector's initialisation
    returns : ``AssembledLauraGPT`` (model in eval mode, processor, codec, vocoder)
    """
    text_model, tokenizer = _load_text_model(text_model, tokenizer)
    audio_encoder, feature_extractor = load_audio_encoder(audio_encoder, feature_extractor)
    codec = load_codec(_source(codec, "codec")) if isinstance(codec, (str, Path)) else codec
    if isinstance(vocoder, (str, Path)):
        vocoder = LauraGPTVocoder.from_pretrained(_source(vocoder, "vocoder"))
    if vocoder is not None:
        _check_vocoder(vocoder, codec)
    tasks = list(tasks) if tasks is not None else list(DEFAULT_TASKS)
    whisper = isinstance(audio_encoder.config, WhisperConfig)
    if audio_frame_pooling is None:
        audio_frame_pooling = 2 if whisper else 1
    processor = LauraGPTProcessor(
        feature_extractor,
        tokenizer,
        codebook_size=codec_spec(codec).codebook_size,
        tasks=tasks,
        encoder_input_layer=getattr(audio_encoder.config, "input_layer", "linear"),
        custom_tasks=custom_tasks,
        audio_frame_pooling=audio_frame_pooling,
        audio_window=audio_window,
    )
    layout = processor.vocabulary
    text_config = copy.deepcopy(text_model.config).to_dict()
    text_config["vocab_size"] = layout.vocab_size
    audio_config = audio_encoder.config.to_dict()
    if whisper:
        audio_config["model_type"] = WhisperConfig.model_type
    config = LauraGPTConfig(
        audio_config=audio_config,
        text_config=text_config,
        text_vocab_size=layout.text_vocab_size,
        codebook_size=codec_spec(codec).codebook_size,
        tasks=tasks,
        custom_tasks=custom_tasks,
        text_eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        projector_hidden_act=projector_hidden_act,
        audio_frame_pooling=audio_frame_pooling,
        audio_window=audio_window,
        tie_word_embeddings=bool(getattr(text_model.config, "tie_word_embeddings", False)),
    )
    torch.manual_seed(seed)
    model = LauraGPTForConditionalGeneration(config)
    model.load_audio_tower(audio_encoder).load_text_model(text_model)
    if vocoder is not None:
        vocoder.check_compatible(config)
    return AssembledLauraGPT(model=model.eval(), processor=processor, codec=codec, vocoder=vocoder)


__all__ = ["CODEC_SUBFOLDER", "AssembledLauraGPT", "assemble", "load_audio_encoder"]
