"""The web demo: every LauraGPT task in a browser (Gradio), one tab per task.

    lauragpt serve                                  # the embedded default model on http://127.0.0.1:7860
    lauragpt serve --model my-lauragpt --port 8080  # any LauraGPT folder (vocoder/ inside for audio output)
    gradio app.py                                   # the same app as a Hugging Face Space

Where the code lives: all of the demo's code, UI and handlers, is this ONE module, so that the app a Space runs and
the app ``lauragpt serve`` starts cannot drift apart. A Space runs ``app.py`` from the repository root, which is not
part of the installed package, so ``app.py`` is only a few-line launcher of ``build_app()`` here. Both run the very
``transformers.pipeline("lauragpt", model=...)`` users get (``pipeline_loading.load_pipeline``), no second code path.

The handlers (``respond`` and its helpers) know nothing of Gradio: they take the values Gradio passes (an audio file
path or a ``(sampling_rate, samples)`` pair, text, a language) and return a ``DemoResult``, so they are tested
without a browser. A refused input (no audio, empty text, an over-long clip, an unknown language, anything the
pipeline refuses with ``LauraGPTError``/``ValueError``/``OSError``) becomes a readable status line in the page;
an unexpected failure is logged with its traceback on the server and shown as one line, and the server keeps
serving. Requests wait in one queue (``QUEUE_SIZE``) and run one at a time on the single model.

Offline: no Hub access (the model is a local folder), no analytics (``GRADIO_ANALYTICS_ENABLED=False`` before
gradio is imported), no server-side rendering process, and a theme with system fonts (the default theme asks Google
Fonts for its typefaces).
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .audio import SAMPLING_RATE, to_mono_waveform, unpack_clip
from .cli import EXPECTED_ERRORS
from .defaults import default_model_dir
from .demo import load_samples
from .errors import InvalidInputError, ModelLoadError
from .processing.pipeline_lauragpt import CHAINED_TASKS, load_audio_file
from .tasks import AUDIO, BUILTIN_TASKS, CODEC, TRANSLATION_TASKS, task_spec

logger = logging.getLogger(__name__)

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 7860
QUEUE_SIZE = 32  # requests waiting at most; the next one is told the demo is busy
MAX_TEXT_CHARACTERS = 1_000  # longest tts/mt input text
MAX_UPLOAD_SIZE = "200mb"  # largest uploaded file (10 min of 44.1 kHz stereo 16-bit WAV is 106 MB; refused readably)
CONCURRENCY_ID = "lauragpt-model"  # every Run button shares one worker: one model, one request at a time
SHOWN_TASKS = (*BUILTIN_TASKS, "s2st")  # tab order; a task the model was not trained for gets no tab
TAB_TITLES = {task: task.upper() for task in SHOWN_TASKS}  # short, so that all nine tabs fit in one row


# ------------------------------------------------------------------------------------------------ what each tab is
@dataclass(frozen=True)
class TaskTab:
    """One task's tab: what it reads and writes, and the choices it offers.

    Attributes:
        task: the pipeline's task name (``"asr"``, ... , ``"s2st"``).
        title: the tab's label.
        description: one line shown at the top of the tab.
        takes_audio / gives_audio: an audio input (microphone or upload) / an audio output with a player.
        languages: the target languages offered (translation tasks), from ``config.task_languages``; empty for
            a translation task whose model lists none (the box then takes any language code).
        translates: the tab has a target-language box.
        voice: the tab takes an optional voice-prompt clip (tts).
        labels: the labels a classifier picks from (ser), from ``config.task_labels``.
    """

    task: str
    title: str
    description: str
    takes_audio: bool
    gives_audio: bool
    languages: tuple[str, ...] = ()
    translates: bool = False
    voice: bool = False
    labels: tuple[str, ...] = ()

    @property
    def table(self) -> bool:
        """Whether the output is shown as a field/value table (slu's intent and slots)."""
        return self.task == "slu"


def task_tabs(config) -> list[TaskTab]:
    """The tabs of a model, in ``SHOWN_TASKS`` order: its trained tasks, and s2st when it has both s2tt and tts."""
    trained = list(config.tasks)
    languages = config.task_languages or {}
    labels = config.task_labels or {}
    tabs = []
    for task in SHOWN_TASKS:
        if task in CHAINED_TASKS:
            if not {"s2tt", "tts"} <= set(trained):
                continue
            takes_audio, gives_audio, translates = True, True, True
            offered = languages.get(task) or languages.get("s2tt") or ()
            description = CHAINED_TASKS[task]
        elif task in trained:
            spec = task_spec(task, trained)
            takes_audio, gives_audio = spec.input_modality == AUDIO, spec.output_modality == CODEC
            translates, offered, description = task in TRANSLATION_TASKS, languages.get(task) or (), spec.description
        else:
            continue
        tabs.append(
            TaskTab(
                task,
                TAB_TITLES[task],
                description,
                takes_audio,
                gives_audio,
                tuple(offered),
                translates,
                voice=task == "tts",
                labels=tuple(labels.get(task) or ()),
            )
        )
    return tabs


# ------------------------------------------------------------------------------------------------ the handlers
@dataclass
class DemoResult:
    """What one request shows: a status line, and the outputs its tab has (None where it has none).

    Attributes:
        status: markdown: what ran and how long it took, or why the input was refused.
        ok: False when the input was refused or the run failed.
        text: the text output (transcript, translation, caption, label, slu's raw line).
        audio: ``(sampling_rate, int16 samples)`` of an audio output, as Gradio plays it.
        spectrogram: ``(height, width, 4)`` RGBA image: the input's and the output's spectrograms side by side.
        table: ``[[field, value], ...]`` rows (slu: the intent, then each slot).
    """

    status: str
    ok: bool = True
    text: str | None = None
    audio: tuple[int, np.ndarray] | None = None
    spectrogram: np.ndarray | None = None
    table: list[list[str]] | None = None


def as_clip(audio) -> dict | None:
    """Gradio's audio value -> ``{"array", "sampling_rate"}`` (any rate, mono or (samples, channels), int16 or
    float: the pipeline converts, resamples and downmixes it), or None when there is none.

    Args:
        audio: a file path (``gr.Audio(type="filepath")``), a ``(sampling_rate, samples)`` pair
            (``type="numpy"``) or None.
    """
    if audio is None or (isinstance(audio, str) and not audio):
        return None
    if isinstance(audio, (str, Path)):
        return load_audio_file(audio)
    rate, samples = audio
    return {"array": np.asarray(samples), "sampling_rate": rate}


def _check_duration(clip: dict, longest_s: float | None, what: str) -> None:
    seconds = max(np.shape(clip["array"]), default=0) / clip["sampling_rate"]  # the longer axis is time
    if longest_s is not None and seconds > longest_s:
        raise InvalidInputError(
            f"The {what} is {seconds / 60:.1f} min ({seconds:.0f} s) long; this demo takes clips of "
            f"at most {longest_s:g} s. Trim it and try again."
        )


def _to_16bit(audio: np.ndarray) -> np.ndarray:
    """float samples in [-1, 1] -> int16, the format Gradio plays without converting (and warning)."""
    return (np.clip(audio, -1.0, 1.0) * np.iinfo(np.int16).max).astype(np.int16)


def spectrogram_image(panels: list[tuple[str, dict]]) -> np.ndarray:
    """One row of log-power spectrograms (``figures.plot_spectrograms``), one panel per
    ``(label, clip)``; returns the figure as an ``(height, width, 4)`` float RGBA array."""
    import matplotlib.image

    from .figures import plot_spectrograms

    row = [(label, to_mono_waveform(*unpack_clip(clip, None), SAMPLING_RATE, None).numpy()) for label, clip in panels]
    with tempfile.TemporaryDirectory(prefix="lauragpt_serve_") as folder:
        path = plot_spectrograms([row], Path(folder) / "spectrogram.png", sampling_rate=SAMPLING_RATE)
        return matplotlib.image.imread(path)


def _request(pipe, tab: TaskTab, audio, text, language, voice, generate_kwargs: dict) -> tuple:
    """Check one request's inputs as the page gives them; returns ``(pipeline input, its keyword arguments, the
    input clip or None, the voice clip or None)`` or raises ``InvalidInputError`` saying what to do."""
    longest_s = pipe.processor.max_duration_s
    options = dict(generate_kwargs)
    if tab.translates:
        options["language"] = language or None  # none: the pipeline names the languages there are
    clip = prompt = None
    if tab.takes_audio:
        clip = as_clip(audio)
        if clip is None:
            raise InvalidInputError("No audio yet: record with the microphone or upload a file, then press Run.")
        _check_duration(clip, longest_s, "clip")
    else:
        text = (text or "").strip()
        if not text:
            raise InvalidInputError(
                f"No text yet: type what to {'say' if tab.gives_audio else 'translate'}, then press Run."
            )
        if len(text) > MAX_TEXT_CHARACTERS:
            raise InvalidInputError(
                f"The text has {len(text)} characters; this demo takes at most {MAX_TEXT_CHARACTERS}. Shorten it."
            )
    if tab.voice and (prompt := as_clip(voice)) is not None:
        _check_duration(prompt, longest_s, "voice prompt")
        options["voice"] = prompt
    return (clip if tab.takes_audio else text), options, clip, prompt


def _shown(tab: TaskTab, result: dict, clip: dict | None, prompt: dict | None, seconds: float) -> DemoResult:
    """What the page shows of one pipeline ``result``."""
    shown = DemoResult(status=f"Done: {tab.title} in {seconds:.1f} s.")
    panels = [(label, value) for label, value in (("input", clip), ("voice prompt", prompt)) if value is not None]
    if tab.gives_audio:
        rate, samples = result["sampling_rate"], result["audio"]
        shown.audio = (rate, _to_16bit(samples))
        shown.status = f"Done: {len(samples) / rate:.2f} s of audio at {rate / 1000:g} kHz in {seconds:.1f} s."
        shown.text = result.get("text")  # s2st: the translation it speaks
        panels.append(("output", {"array": samples, "sampling_rate": rate}))
    else:
        shown.text = result.get("label", result.get("text", ""))
    if tab.table:
        shown.table = [["intent", result["intent"]]] + [[name, value] for name, value in result["slots"].items()]
    if panels:
        shown.spectrogram = spectrogram_image(panels)
    return shown


def respond(
    pipe, tab: TaskTab, audio=None, text=None, language=None, voice=None, generate_kwargs: dict | None = None
) -> DemoResult:
    """Run one request of ``tab``'s task through ``pipe`` (``pipeline("lauragpt")``) and say how it went.

    Args:
        audio: the input clip of an audio task: a file path, a ``(sampling_rate, samples)`` pair, or None.
        text: the input text of a text task (tts, mt).
        language: the target language of a translation task.
        voice: an optional voice-prompt clip (tts), in the same forms as ``audio``.
        generate_kwargs: extra ``generate()`` options for every request (e.g. ``max_new_tokens``).

    Returns:
        a ``DemoResult``; never raises for a bad input or a failed run (``ok`` is then False and ``status`` says why).
    """
    try:
        inputs, options, clip, prompt = _request(pipe, tab, audio, text, language, voice, generate_kwargs or {})
        started = time.perf_counter()
        result = pipe(inputs, task=tab.task, **options)
        return _shown(tab, result, clip, prompt, time.perf_counter() - started)
    except EXPECTED_ERRORS as error:
        return DemoResult(status=f"**Could not run {tab.title}:** {error}", ok=False)
    except Exception as error:  # a bug: the traceback goes to the server log, one line to the page
        logger.exception("lauragpt serve: %s failed", tab.task)
        return DemoResult(
            status=f"**{tab.title} failed:** internal error ({type(error).__name__}); the server log has the details.",
            ok=False,
        )


# ------------------------------------------------------------------------------------------------ the page
def _theme():
    """Gradio's default look with system fonts: the default theme fetches its typefaces from Google Fonts."""
    import gradio as gr

    sans = [gr.themes.Font("system-ui"), gr.themes.Font("sans-serif")]
    return gr.themes.Default(font=sans, font_mono=[gr.themes.Font("ui-monospace"), gr.themes.Font("monospace")])


def tab_examples(tab: TaskTab, samples: list[dict]) -> list[list]:
    """Example rows of ``tab`` from the bundled samples (``demo.load_samples``), one value per input component:
    ``[audio path or text, language (translation tabs), voice (tts: none)]``; s2st speaks the s2tt samples."""
    source_task = "s2tt" if tab.task == "s2st" else tab.task
    rows = []
    for sample in samples:
        language = sample.get("language")
        if sample["task"] != source_task or (tab.translates and tab.languages and language not in tab.languages):
            continue
        rows.append(
            [sample.get("audio_path", sample.get("text"))]
            + ([language] if tab.translates else [])
            + ([None] if tab.voice else [])
        )
    return rows


def _input_components(gr, tab: TaskTab) -> dict:
    """``{respond() keyword: component}`` of ``tab``'s inputs, in the order the Run button passes them."""

    def audio_box(label: str, name: str):
        return gr.Audio(
            sources=["upload", "microphone"],
            type="filepath",
            buttons=["download"],
            label=label,
            elem_id=f"{tab.task}-{name}",
        )

    components = (
        {"audio": audio_box("Input audio (any rate, mono or stereo)", "input")}
        if tab.takes_audio
        else {
            "text": gr.Textbox(label="Input text", lines=3, max_length=MAX_TEXT_CHARACTERS, elem_id=f"{tab.task}-input")
        }
    )
    if tab.translates:
        components["language"] = gr.Dropdown(
            choices=list(tab.languages),
            value=tab.languages[0] if tab.languages else None,
            allow_custom_value=not tab.languages,
            label="Target language",
            elem_id=f"{tab.task}-language",
        )
    if tab.voice:
        components["voice"] = audio_box("Voice prompt (optional): a short clip of the voice to speak in", "voice")
    return components


def _output_components(gr, tab: TaskTab) -> dict:
    """``{DemoResult field: component}`` of ``tab``'s outputs (the status box comes separately)."""
    components = {}
    if not tab.gives_audio or tab.translates:
        label = (
            f"Label (one of: {', '.join(tab.labels)})"
            if tab.labels
            else "Translation (what the audio says)"
            if tab.gives_audio
            else "Output text"
        )
        components["text"] = gr.Textbox(label=label, interactive=False, elem_id=f"{tab.task}-output-text")
    if tab.table:
        components["table"] = gr.Dataframe(
            headers=["field", "value"], label="Intent and slots", interactive=False, elem_id=f"{tab.task}-output-table"
        )
    if tab.gives_audio:  # a plain <audio> player (the waveform player has no src for a browser to play)
        components["audio"] = gr.Audio(
            label="Output audio",
            type="numpy",
            interactive=False,
            buttons=["download"],
            waveform_options=gr.WaveformOptions(show_recording_waveform=False),
            elem_id=f"{tab.task}-output-audio",
        )
    if tab.takes_audio or tab.gives_audio:
        components["spectrogram"] = gr.Image(
            label="Spectrograms",
            show_label=False,
            interactive=False,
            buttons=["download", "fullscreen"],
            elem_id=f"{tab.task}-spectrogram",
        )
    return components


def _build_tab(gr, pipe, tab: TaskTab, generate_kwargs: dict, examples: list[list]) -> None:
    """The components, the Run button and the examples of one tab (inside an open ``gr.Tab``); element ids are
    ``<task>-input``, ``-language``, ``-voice``, ``-run``, ``-status``, ``-output-text``, ``-output-table``,
    ``-output-audio``, ``-spectrogram``."""
    gr.Markdown(tab.description[:1].upper() + tab.description[1:] + ".")
    with gr.Row():
        with gr.Column():
            inputs = _input_components(gr, tab)
            run = gr.Button("Run", variant="primary", elem_id=f"{tab.task}-run")
            if examples:
                gr.Examples(examples, inputs=list(inputs.values()), label="Examples: bundled held-out samples")
        with gr.Column():
            status = gr.Markdown(elem_id=f"{tab.task}-status")
            outputs = _output_components(gr, tab)

    def handle(*values):
        shown = respond(pipe, tab, generate_kwargs=generate_kwargs, **dict(zip(inputs, values)))
        return [shown.status] + [getattr(shown, name) for name in outputs]

    run.click(
        handle,
        inputs=list(inputs.values()),
        outputs=[status, *outputs.values()],
        api_name=tab.task,
        concurrency_limit=1,
        concurrency_id=CONCURRENCY_ID,
    )


def build_blocks(pipe, generate_kwargs: dict | None = None):
    """The Gradio app around a loaded ``pipeline("lauragpt")``: one tab per task of ``task_tabs``; queued."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    name = Path(str(pipe.model.name_or_path)).name or str(pipe.model.name_or_path)
    try:
        samples = load_samples()
    except ModelLoadError:  # an installation without the bundled samples: tabs without examples
        samples = []
    with gr.Blocks(title="LauraGPT", analytics_enabled=False) as demo:
        gr.Markdown(
            f"# LauraGPT\nOne decoder-only model for speech and text tasks. Model: `{name}`. Pick a task, give it "
            "audio (microphone or upload) or text, and press **Run**."
        )
        for tab in task_tabs(pipe.model.config):
            with gr.Tab(tab.title, id=tab.task, elem_id=f"tab-{tab.task}"):
                _build_tab(gr, pipe, tab, dict(generate_kwargs or {}), tab_examples(tab, samples))
    return demo.queue(max_size=QUEUE_SIZE)


def build_app(model_dir: str | Path | None = None, device: str | None = None, generate_kwargs: dict | None = None):
    """``gr.Blocks`` of every task of the model at ``model_dir`` (default: the embedded default model).

    Raises ``ModelLoadError`` when the folder is missing, incomplete or corrupt (``pipeline_loading.load_pipeline``).
    """
    from .pipeline_loading import load_pipeline

    pipe = load_pipeline(str(model_dir or default_model_dir()), device)
    return build_blocks(pipe, generate_kwargs)


def launch(demo, host: str | None = None, port: int | None = None, **options):
    """Serve ``demo`` (blocking unless ``prevent_thread_lock=True``) with the offline settings of the module docstring.
    ``host``/``port`` None: Gradio's own defaults and environment (``GRADIO_SERVER_NAME`` on a Space)."""
    return demo.launch(
        server_name=host,
        server_port=port,
        theme=_theme(),
        ssr_mode=False,
        show_error=False,
        max_file_size=MAX_UPLOAD_SIZE,
        **options,
    )


__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DemoResult",
    "TaskTab",
    "as_clip",
    "build_app",
    "build_blocks",
    "launch",
    "respond",
    "spectrogram_image",
    "tab_examples",
    "task_tabs",
]
