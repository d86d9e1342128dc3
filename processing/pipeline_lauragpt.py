"""``pipeline("lauragpt")``: every LauraGPT task, and the paper's chained tasks, in one call.

    pipe = pipeline("lauragpt", model="path/to/lauragpt")            # + path/to/lauragpt/vocoder for audio output
    pipe("speech.wav", task="asr")                                    # {"text": ...}
    pipe(array, task="s2tt", language="de", sampling_rate=44100)       # {"text": ...}
    pipe("Hello there", task="tts", voice="prompt.wav")               # {"audio": np.ndarray, "sampling_rate": 16000}
    pipe(["a.wav", "b.wav"], task="asr", batch_size=2)                # a list of results

Inputs of audio tasks: file paths, 1-D/2-D numpy arrays (with ``sampling_rate=``, default 16 kHz) or
``{"array", "sampling_rate"}`` dicts; of text tasks: strings. Generation keyword arguments pass through.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import soundfile
import torch
from transformers import GenerationConfig, Pipeline
from transformers.generation.utils import GenerationMixin

from ..audio import to_mono_waveform, unpack_clip
from ..errors import DeviceUnavailableError, InvalidInputError, OutputConflictError
from ..generation_lauragpt import ChoiceLogitsProcessor
from ..slu_format import parse_slu
from ..tasks import AUDIO, CODEC, TRANSLATION_TASKS, task_spec
from .tokenizer_utils import plain_text_ids, vocoder_text_tokenizer

CHAINED_TASKS = {
    "s2st": "speech-to-speech translation: s2tt, then tts of the translation",
    "s2st_voice": "speaker-preserving speech-to-speech translation: asr + s2tt, then tts prompted with the source voice",
}
VOCODER_SUBFOLDER = "vocoder"


# generate() options that must be numbers: the kind each takes and its smallest allowed value
GENERATE_NUMBERS = {
    "max_new_tokens": (int, 1),
    "min_new_tokens": (int, 0),
    "top_k": (int, 0),
    "num_beams": (int, 1),
    "top_p": (float, 0.0),
    "temperature": (float, 0.0),
    "repetition_penalty": (float, 0.0),
}
GENERATE_HIGHEST = {"top_p": 1.0}  # transformers skips top-p filtering above 1 without a word
# generate() keyword arguments transformers takes out of **kwargs itself (not GenerationConfig fields)
GENERATE_POPPED = {"tokenizer", "assistant_tokenizer", "target_tokenizer", "use_model_defaults", "trust_remote_code"}


def check_generate_numbers(options: dict) -> None:
    """Refuse a numeric ``generate()`` option that is not a number or is outside its range, naming it (transformers
    would fail deep inside a logits processor with a bare TypeError, or ignore a ``top_p`` above 1)."""
    for name, (kind, lowest) in GENERATE_NUMBERS.items():
        value = options.get(name)
        if value is None:
            continue
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        highest = GENERATE_HIGHEST.get(name, float("inf"))
        if not is_number or (kind is int and value != int(value)) or not lowest <= value <= highest:
            wanted = "a whole number" if kind is int else "a number"
            span = f"from {lowest} to {highest}" if name in GENERATE_HIGHEST else f"of at least {lowest}"
            raise InvalidInputError(f"{name} must be {wanted} {span}, got {value!r}.")


def check_generate_names(model, options: dict) -> None:
    """Refuse a ``generate()`` argument that is neither a ``GenerationConfig`` field nor taken by ``generate()`` or the
    model (transformers would raise its ValueError about unused ``model_kwargs`` from deep inside generate)."""
    known = set(GenerationConfig().to_dict()) | GENERATE_POPPED
    for function in (
        type(model).generate,
        GenerationMixin.generate,
        model.prepare_inputs_for_generation,
        model.forward,
    ):
        known |= set(inspect.signature(function).parameters)
    unknown = sorted(set(options) - known)
    if unknown:
        raise InvalidInputError(
            f"Unknown generate() argument(s) {unknown}: no GenerationConfig field or generate() option has "
            "that name. Check the spelling (e.g. max_new_tokens=, do_sample=, top_k=)."
        )


def check_device(device) -> None:
    """Raise ``DeviceUnavailableError`` when ``device`` asks for CUDA (``"cuda"``, ``"cuda:1"``, or an int >= 0, as
    in every transformers pipeline) on a machine without one."""
    wants_cuda = str(device).startswith("cuda") or (
        isinstance(device, int) and not isinstance(device, bool) and device >= 0
    )
    if wants_cuda and not torch.cuda.is_available():
        raise DeviceUnavailableError(
            f"device={str(device)!r} but no CUDA device is visible here; use device='cpu' "
            "(--device cpu on the command line)."
        )


def load_audio_file(path: str | Path) -> dict:
    """Read an audio file with soundfile: ``{"array": (samples,) or (samples, channels) float32, "sampling_rate"}``."""
    try:
        array, rate = soundfile.read(str(path), dtype="float32")
    except (RuntimeError, soundfile.LibsndfileError) as error:
        raise InvalidInputError(
            f"Could not read audio file {str(path)!r}: {error}. Pass WAV/FLAC/OGG, or a decoded array."
        ) from None
    return {"array": array, "sampling_rate": rate}


def save_model_folder(folder: Path, model, processor, vocoder=None, **kwargs) -> Path:
    """Write the folder ``pipeline("lauragpt", model=folder)`` loads: ``model`` and ``processor`` in it, ``vocoder``
    (when given) in ``folder/vocoder``. ``kwargs`` go to the models' ``save_pretrained``."""
    model.save_pretrained(folder, **kwargs)
    processor.save_pretrained(folder)
    if vocoder is not None:
        vocoder.save_pretrained(folder / VOCODER_SUBFOLDER, **kwargs)
    return folder


def find_companion_vocoder(model):
    """The vocoder saved beside a model (``<model folder>/vocoder``), or None."""
    folder = Path(str(getattr(model, "name_or_path", "") or "")) / VOCODER_SUBFOLDER
    if not (folder / "config.json").exists():
        return None
    from ..modeling_vocoder import LauraGPTVocoder

    return LauraGPTVocoder.from_pretrained(folder).to(model.device).eval()


class LauraGPTPipeline(Pipeline):
    """All LauraGPT tasks behind one ``__call__(inputs, task=...)``; see the module docstring."""

    _load_processor = True
    _load_tokenizer = False
    _load_feature_extractor = False
    _load_image_processor = False
    _pipeline_calls_generate = True
    _first_index = 0  # position of the current batch's first input in the caller's list (quoted in error messages)

    def __init__(self, *args, vocoder=None, **kwargs):
        check_device(kwargs.get("device"))
        super().__init__(*args, **kwargs)
        self.processor.check_model_config(self.model.config)
        self.vocoder = vocoder if vocoder is not None else find_companion_vocoder(self.model)
        if self.vocoder is not None:
            self.vocoder.check_compatible(self.model.config)

    # ------------------------------------------------------------------------------------------------ public
    def save_pretrained(self, save_directory: str | Path, **kwargs) -> None:
        """Save the model, its processor and its vocoder (in ``<save_directory>/vocoder``), so that
        ``pipeline("lauragpt", model=save_directory)`` loads the same pipeline again.

        transformers' own ``Pipeline.save_pretrained`` would also copy this class's source into the folder as remote
        code, because it is registered with ``PIPELINE_REGISTRY``: that fails on the package's relative imports and
        would make the folder demand ``trust_remote_code``, which the installed package never needs.
        """
        folder = Path(save_directory)
        if folder.is_file():
            raise OutputConflictError(f"{folder} is a file; pass a folder to save the pipeline in.")
        save_model_folder(folder, self.model, self.processor, self.vocoder, **kwargs)

    def __call__(self, inputs, task: str | None = None, batch_size: int = 1, **kwargs):
        """Run ``task`` on one input or a list of inputs; returns one result dict or a list of them.

        Keyword arguments: ``language`` (target language of s2tt/mt/s2st), ``voice`` (a prompt clip for tts),
        ``sampling_rate`` (of plain arrays), ``chunk_length_s`` (split long audio of text-output tasks into chunks
        of this many seconds), and any ``generate()`` argument (``max_new_tokens``, ``do_sample``, ``top_k`` ...).
        """
        if task not in self.known_tasks():
            raise InvalidInputError(
                f"Unknown task {task!r}. Known tasks: {', '.join(self.known_tasks())}. Pass task=<one of them>."
            )
        if task in CHAINED_TASKS or task_spec(task, self.model.config.tasks).output_modality == CODEC:
            self._require_vocoder(task)  # fail before generating, not after
        items = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        if not items:
            raise InvalidInputError("Got an empty list of inputs.")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidInputError(f"batch_size must be a whole number of at least 1, got {batch_size!r}.")
        run = self._run_chained if task in CHAINED_TASKS else self._run_batch
        results = []
        for start in range(0, len(items), batch_size):
            self._first_index = start
            try:
                results += run(task, list(items[start : start + batch_size]), **kwargs)
            finally:
                self._first_index = 0
        return results if isinstance(inputs, (list, tuple)) else results[0]

    def known_tasks(self) -> list[str]:
        return list(self.model.config.tasks) + list(CHAINED_TASKS)

    # ----------------------------------------------------------- one batch: preprocess -> _forward -> postprocess
    def _sanitize_parameters(
        self, language=None, voice=None, sampling_rate=None, text_for_vocoder=None, **generate_kwargs
    ):
        """Split keyword arguments into (preprocess, _forward, postprocess) parameters, as HF pipelines do."""
        check_generate_numbers(generate_kwargs)
        check_generate_names(self.model, generate_kwargs)
        return (
            {"language": language, "voice": voice, "sampling_rate": sampling_rate},
            generate_kwargs,
            {"text_for_vocoder": text_for_vocoder},
        )

    def _run_batch(self, task, items, chunk_length_s=None, **kwargs):
        preprocess_params, forward_params, postprocess_params = self._sanitize_parameters(**kwargs)
        spec = task_spec(task, self.model.config.tasks)
        longest = self.processor.max_duration_s
        if chunk_length_s is not None and not (
            isinstance(chunk_length_s, (int, float)) and 1 <= chunk_length_s <= longest
        ):
            raise InvalidInputError(
                f"chunk_length_s must be a number of seconds from 1 to {longest:g} (the longest clip the tower "
                f"takes); got {chunk_length_s!r}."
            )
        if chunk_length_s and spec.input_modality == AUDIO and spec.output_modality != CODEC:
            rate = preprocess_params["sampling_rate"]
            clips = [self._to_waveform(task, item, rate, i, False) for i, item in enumerate(items, self._first_index)]
            return [self._run_chunked(task, clip, chunk_length_s, **kwargs) for clip in clips]
        self._check_language(task, preprocess_params["language"])
        self._check_voice(task, preprocess_params["voice"])
        model_inputs = self.preprocess(items, task=task, **preprocess_params)
        return self.postprocess(self._forward(model_inputs, **forward_params), **postprocess_params)

    def _check_voice(self, task: str, voice) -> None:
        """A voice prompt means something only to a task that speaks text (tts); elsewhere it would be ignored."""
        if voice is None:
            return
        spec = task_spec(task, self.model.config.tasks)
        if not (spec.input_modality != AUDIO and spec.output_modality == CODEC):
            raise InvalidInputError(
                f"voice= is a voice prompt for speaking text (tts, s2st); task {task!r} takes none: drop it."
            )

    def _check_language(self, task: str, language) -> None:
        """A translation task needs a target language, one the model was trained on when its config lists them
        (``task_languages``); without one the output language is the model's guess."""
        if task not in TRANSLATION_TASKS:
            return
        trained = (self.model.config.task_languages or {}).get(task)
        known = f" (this model was trained on: {', '.join(trained)})" if trained else ""
        if language is None:
            raise InvalidInputError(f"Task {task!r} translates: pass language=<target language>{known}.")
        if trained and language not in trained:
            raise InvalidInputError(
                f"Task {task!r} was not trained to translate into {language!r}{known}; pick one of those."
            )

    def preprocess(self, items, task, language=None, voice=None, sampling_rate=None) -> dict:
        """Validate and load the inputs of one batch and build the model inputs with the processor."""
        spec = task_spec(task, self.model.config.tasks)
        prepared = {"task": task, "texts": None, "voice_codes": None}
        if spec.input_modality == AUDIO:
            clips = [self._to_waveform(task, item, sampling_rate, i) for i, item in enumerate(items, self._first_index)]
            prepared["batch"] = self.processor(
                task=task, audio=clips, language=language, sampling_rate=self.sampling_rate
            )
        else:
            prepared["texts"] = [self._to_text(task, item, i) for i, item in enumerate(items, self._first_index)]
            if voice is not None:
                prepared["voice_codes"] = self._voice_codes(voice, len(items))
            prompt = [codes[0] for codes in prepared["voice_codes"]] if voice is not None else None
            prepared["batch"] = self.processor(
                task=task, text=prepared["texts"], language=language, prompt_codes=prompt
            )
        return prepared

    def _forward(self, model_inputs: dict, **generate_kwargs) -> dict:
        """Generate with the model's ``generation_config`` (codec tasks sample top-k 25, text tasks decode greedily;
        ``LauraGPTForConditionalGeneration.generate``) and any ``generate()`` arguments given."""
        batch = model_inputs["batch"].to(self.model.device)
        labels = (self.model.config.task_labels or {}).get(model_inputs["task"])
        if labels:  # a classifier: decode inside its label set, whose longest label sets the length (a shorter
            # max_new_tokens would cut "happy" to "happ", a min_new_tokens would run past the end token)
            eos = self.processor.tokenizer.eos_token_id
            label_ids = [plain_text_ids(self.processor.tokenizer, label) + [eos] for label in labels]
            generate_kwargs = {
                **generate_kwargs,
                "max_new_tokens": max(map(len, label_ids)),
                "min_new_tokens": 0,
                "logits_processor": [*generate_kwargs.get("logits_processor", []), ChoiceLogitsProcessor(label_ids)],
            }
        with torch.no_grad():
            generated = self.model.generate(**batch, **generate_kwargs)
        return {**model_inputs, "generated": generated[:, batch["input_ids"].shape[1] :].cpu()}

    def postprocess(self, model_outputs: dict, text_for_vocoder=None) -> list[dict]:
        """Decode text outputs, or turn codec outputs into 16 kHz audio with the vocoder."""
        task = model_outputs["task"]
        outputs = self.processor.decode_outputs(model_outputs["generated"], task)
        if task_spec(task, self.model.config.tasks).output_modality != CODEC:
            return [self._text_result(task, text) for text in outputs]
        features = self.processor.frame_major_features(model_outputs["batch"])
        texts = text_for_vocoder or model_outputs["texts"]
        return self._vocode(task, outputs, texts=texts, features=features, voice_codes=model_outputs["voice_codes"])

    def _run_chunked(self, task, clip, chunk_length_s, **kwargs):
        kwargs["sampling_rate"] = self.sampling_rate  # the pieces are already 16 kHz waveforms
        step = int(chunk_length_s * self.sampling_rate)
        pieces = [clip[i : i + step] for i in range(0, len(clip), step)]
        pieces = [p for p in pieces if len(p) >= 0.025 * self.sampling_rate]  # drop a tail shorter than one window
        texts = [r["text"] for r in self._run_batch(task, pieces, **kwargs)]
        return self._text_result(task, " ".join(t for t in texts if t))

    def _run_chained(self, task, items, language=None, voice=None, sampling_rate=None, **generate_kwargs):
        """s2st: s2tt then tts; s2st_voice: asr + s2tt, then tts of "asr text + translation" prompted by the input."""
        if task == "s2st_voice" and voice is not None:
            raise InvalidInputError(
                "s2st_voice speaks in the input's own voice and takes no voice=; use s2st with voice=... instead."
            )
        clips = [self._to_waveform(task, item, sampling_rate, i) for i, item in enumerate(items, self._first_index)]
        same_rate = {"sampling_rate": self.sampling_rate, **generate_kwargs}
        translations = [r["text"] for r in self._run_batch("s2tt", clips, language=language, **same_rate)]
        if task == "s2st":
            spoken = self._run_batch("tts", translations, voice=voice, **same_rate)
            return [{**audio, "text": text} for text, audio in zip(translations, spoken)]
        sources = [r["text"] for r in self._run_batch("asr", clips, **same_rate)]
        results = []
        for clip, source, translation in zip(clips, sources, translations):
            source_voice = {"array": clip, "sampling_rate": self.sampling_rate}
            (audio,) = self._run_batch(
                "tts", [f"{source} {translation}"], voice=source_voice, text_for_vocoder=[translation], **same_rate
            )
            results.append({**audio, "text": translation, "source_text": source})
        return results

    # ------------------------------------------------------------------------------------------------ helpers
    @property
    def sampling_rate(self) -> int:
        return self.processor.feature_extractor.sampling_rate

    def _to_waveform(self, task, item, sampling_rate, index, limit_duration: bool = True) -> torch.Tensor:
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            raise InvalidInputError(
                f"Task {task!r} takes audio, but input {index} is a number: the pipeline reads a list as a "
                "batch of inputs, one clip each. Pass one clip as a numpy array, e.g. np.asarray(samples)."
            )
        if isinstance(item, (str, Path)):
            if not Path(item).is_file():
                raise InvalidInputError(
                    f"Task {task!r} takes audio, but input {index} is a string that is not an audio file: {str(item)[:60]!r}. "
                    "Pass a file path, a numpy array (with sampling_rate=...) or an {'array', 'sampling_rate'} dict."
                )
            item = load_audio_file(item)
        array, rate = unpack_clip(item, sampling_rate)
        limit = self.processor.max_duration_s if limit_duration else None
        try:
            return to_mono_waveform(array, rate, self.sampling_rate, limit, index=index)
        except ValueError as error:
            chunkable = task not in CHAINED_TASKS and task_spec(task, self.model.config.tasks).output_modality != CODEC
            if "max_duration_s" in str(error) and chunkable:
                raise InvalidInputError(
                    f"{error} The pipeline can do it: pass chunk_length_s=30 (seconds per chunk)."
                ) from None
            raise

    @staticmethod
    def _to_text(task, item, index) -> str:
        if not isinstance(item, str):
            raise InvalidInputError(
                f"Task {task!r} takes text, but input {index} is a {type(item).__name__}. Pass a string."
            )
        return item

    def _require_vocoder(self, task):
        if self.vocoder is None:
            raise InvalidInputError(
                f"Task {task!r} writes codec tokens, and turning them into audio needs a LauraGPTVocoder: save one in "
                f"'<model folder>/{VOCODER_SUBFOLDER}' or pass pipeline(..., vocoder=LauraGPTVocoder.from_pretrained(...))."
            )
        return self.vocoder

    def _voice_codes(self, voice, count) -> list[torch.LongTensor]:
        """All-group codec codes of the prompt voice (by the vocoder's codec, either class), repeated for ``count`` rows."""
        from ..codec import encode_codes

        vocoder = self._require_vocoder("tts")
        clip = self._to_waveform("tts", voice, None, 0)
        (codes,) = encode_codes(vocoder.codec, [clip.to(vocoder.device)])
        return [codes] * count

    def _vocode(self, task, codes_list, texts=None, features=None, voice_codes=None) -> list[dict]:
        vocoder = self._require_vocoder(task)
        if min(len(c) for c in codes_list) == 0:
            raise InvalidInputError(
                f"Task {task!r}: the model ended a row without any codec token; raise min_new_tokens or retry."
            )
        from ..modeling_vocoder import VocoderConditions, pad_codes

        conditions = VocoderConditions()
        if texts is not None:  # tokenised exactly as the vocoder's training collator does, right-padded
            tokenizer = vocoder_text_tokenizer(vocoder, self.processor)
            ids = [torch.tensor(plain_text_ids(tokenizer, text), dtype=torch.long) for text in texts]
            conditions.text_ids, conditions.text_mask = pad_codes(ids)
        if features is not None:
            conditions.input_features, conditions.input_features_mask = features
        if voice_codes is not None:
            conditions.prompt_codes = torch.stack(voice_codes)
        audio, audio_lengths = vocoder.generate_waveform(list(codes_list), conditions=conditions)
        return [
            {"audio": audio[row, : int(n)].float().cpu().numpy(), "sampling_rate": vocoder.sampling_rate}
            for row, n in enumerate(audio_lengths)
        ]

    @staticmethod
    def _text_result(task, text: str) -> dict:
        if task == "slu":
            intent, slots = parse_slu(text)
            return {"text": text, "intent": intent, "slots": slots}
        if task == "ser":
            return {"label": text.strip()}
        return {"text": text}


__all__ = [
    "CHAINED_TASKS",
    "LauraGPTPipeline",
    "check_device",
    "check_generate_names",
    "check_generate_numbers",
    "find_companion_vocoder",
    "load_audio_file",
    "save_model_folder",
]
