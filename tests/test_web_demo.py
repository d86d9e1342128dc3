"""The web demo (``lauragpt serve``): its handlers called directly, and the page driven in a real browser.

The browser tests start the Gradio server in this process on a free 127.0.0.1 port with a tiny model (and its
vocoder), and drive Debian's system Chromium through selenium: they check what a person sees (the transcript in
the page, a playable ``<audio>``, a readable refusal), that the page asks nothing of the internet, and save a
screenshot (to ``$LAURAGPT_WEB_DEMO_SCREENSHOT`` when set). They skip, saying why, when gradio, selenium, chromium or chromedriver is missing.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
import soundfile
import torch
from transformers import pipeline

from modeling_lauragpt import LauraGPTForConditionalGeneration
from modeling_lauragpt.configuration_vocoder import LauraGPTVocoderConfig
from modeling_lauragpt.modeling_vocoder import LauraGPTVocoder
from modeling_lauragpt.web_demo import respond, task_tabs

from .helpers import make_audio

FIXED = {"min_new_tokens": 5, "max_new_tokens": 5}  # exactly 5 tokens per output: fast, and text decodes greedily
HOP = 640  # samples per codec frame at 16 kHz (25 Hz)
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
WAIT_S = 30  # longest wait for one thing to appear in the page
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "devtools"}
SCREENSHOT_VARIABLE = "LAURAGPT_WEB_DEMO_SCREENSHOT"  # where the browser test saves its screenshot (default: tmp_path)
LANGUAGES = {"s2tt": ["de", "fr"], "mt": ["de", "fr"]}  # the tabs offer these; anything else is refused
LABELS = {"ser": ["happy", "sad"]}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, tiny_config, processor):
    """A tiny LauraGPT with its vocoder in ``vocoder/`` (as tests/test_audio_output.py builds it), trained (so its
    config says) on ``LANGUAGES`` and ``LABELS``."""
    folder = tmp_path_factory.mktemp("web_demo_model")
    torch.manual_seed(0)
    config = copy.deepcopy(tiny_config)
    config.task_languages, config.task_labels = LANGUAGES, LABELS
    LauraGPTForConditionalGeneration(config).save_pretrained(folder)
    processor.save_pretrained(folder)
    config = LauraGPTVocoderConfig.from_preset("tiny", text_vocab_size=processor.vocabulary.text_vocab_size)
    LauraGPTVocoder(config).eval().save_pretrained(folder / "vocoder")
    return folder


@pytest.fixture(scope="module")
def pipe(model_dir):
    return pipeline("lauragpt", model=str(model_dir), device="cpu")


@pytest.fixture(scope="module")
def tabs(pipe):
    return {tab.task: tab for tab in task_tabs(pipe.model.config)}


@pytest.fixture(scope="module")
def wav_path(tmp_path_factory):
    """A 44.1 kHz stereo WAV upload (the browser sends the file; the pipeline resamples and downmixes it)."""
    path = tmp_path_factory.mktemp("web_demo_audio") / "speech.wav"
    mono = make_audio(0.8, 1, sampling_rate=44100)
    soundfile.write(path, np.stack([mono, 0.5 * mono], axis=1), 44100, subtype="PCM_16")
    return path


# ------------------------------------------------------------------------------------------------ no browser
def test_every_task_has_a_tab_with_the_models_languages_and_labels(pipe, tabs):
    assert list(tabs) == [*pipe.model.config.tasks, "s2st"]
    assert tabs["s2st"].gives_audio and tabs["s2st"].translates and tabs["tts"].voice and tabs["slu"].table
    assert tabs["mt"].languages == tabs["s2st"].languages == ("de", "fr") and tabs["ser"].labels == ("happy", "sad")


def test_stereo_44k_int16_audio_gives_the_pipelines_transcript(pipe, tabs, wav_path):
    stereo, rate = soundfile.read(wav_path, dtype="int16")
    shown = respond(pipe, tabs["asr"], audio=(rate, stereo), generate_kwargs=FIXED)
    assert shown.ok, shown.status
    assert shown.text == pipe(str(wav_path), task="asr", **FIXED)["text"]
    assert shown.spectrogram.ndim == 3 and shown.spectrogram.shape[-1] == 4


def test_tts_with_a_voice_prompt_gives_16_bit_audio_and_spectrograms(pipe, tabs, wav_path):
    shown = respond(pipe, tabs["tts"], text="hello world", voice=str(wav_path), generate_kwargs=FIXED)
    assert shown.ok, shown.status
    rate, samples = shown.audio
    assert rate == 16000 and samples.dtype == np.int16 and samples.shape == (5 * HOP,)


def test_slu_shows_intent_and_slots_as_a_table(pipe, tabs):
    shown = respond(pipe, tabs["slu"], audio=(16000, make_audio(0.6, 2)), generate_kwargs=FIXED)
    assert shown.ok, shown.status
    assert shown.table[0][0] == "intent" and all(len(row) == 2 for row in shown.table)


@pytest.mark.parametrize(
    ("task", "inputs", "says"),
    [
        ("asr", {"audio": None}, "No audio yet"),
        ("tts", {"text": "   "}, "No text yet"),
        ("asr", {"audio": (8000, np.zeros(8000 * 600, np.int16))}, "10.0 min"),  # a 10-minute upload
        ("mt", {"text": "hello", "language": "xx"}, "'xx'"),
        ("asr", {"audio": "/no/such/file.wav"}, "Could not read audio file"),
    ],
)
def test_bad_input_gives_a_readable_status_not_an_exception(pipe, tabs, task, inputs, says):
    shown = respond(pipe, tabs[task], generate_kwargs=FIXED, **inputs)
    assert not shown.ok and says in shown.status and "Traceback" not in shown.status


def test_a_bug_is_one_line_in_the_page(tabs):
    class Broken:
        processor = None  # respond reads processor.max_duration_s: AttributeError, a bug

    shown = respond(Broken(), tabs["asr"], audio=(16000, make_audio(0.5)))
    assert not shown.ok and "internal error (AttributeError)" in shown.status


def test_serve_refuses_a_bad_model_folder_with_one_line(tmp_path, capsys):
    from modeling_lauragpt.cli import main

    assert main(["serve", "--model", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert (
        error.startswith("lauragpt serve: error:") and "config.json" in error and len(error.strip().splitlines()) == 1
    )


# ------------------------------------------------------------------------------------------------ in a browser
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server_url(pipe):
    pytest.importorskip("gradio", reason="gradio is not installed (pip install -e .)")
    from modeling_lauragpt.web_demo import build_blocks, launch

    demo = build_blocks(pipe, generate_kwargs=FIXED)
    port = _free_port()
    launch(demo, host="127.0.0.1", port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
    for program in (CHROMIUM, CHROMEDRIVER):
        if not Path(program).exists():
            pytest.skip(
                f"{program} is missing (bash scripts/install_system_deps.sh installs chromium and chromium-driver)"
            )
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1500",
        "--autoplay-policy=no-user-gesture-required",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})  # every request the page makes
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)  # no selenium-manager
    yield driver
    driver.quit()


def _wait(driver, condition, what: str):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_S, poll_frequency=0.2).until(
        lambda _: condition(), message=f"waited {WAIT_S} s for {what}"
    )


def _by_id(driver, element_id: str):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id)


def _status(driver, task: str) -> str:
    """The text of ``task``'s status box once its request is over ("" while Gradio's progress overlay shows)."""
    from selenium.webdriver.common.by import By

    box = _by_id(driver, f"{task}-status")
    if "hide" not in box.find_element(By.CSS_SELECTOR, "[data-testid=status-tracker]").get_attribute("class").split():
        return ""
    return box.find_element(By.CSS_SELECTOR, "[data-testid=markdown]").text.strip()


def _open_tab(driver, title: str) -> None:
    from selenium.webdriver.common.by import By

    button = next(b for b in driver.find_elements(By.CSS_SELECTOR, "button[role=tab]") if b.text.strip() == title)
    button.click()


def _run(driver, task: str, then: str) -> str:
    """Press Run on ``task``'s tab and wait until its status changes from ``then``; returns the new status."""
    _by_id(driver, f"{task}-run").click()

    def changed():
        status = _status(driver, task)
        return status if status and status != then else None

    return _wait(driver, changed, f"{task}'s status")


def test_two_users_at_once_both_get_answers(server_url):
    from gradio_client import Client

    jobs = [
        Client(server_url, verbose=False).submit(text, None, api_name="/tts") for text in ("hello world", "good night")
    ]
    statuses = [job.result(timeout=WAIT_S)[0] for job in jobs]  # (status, audio file, spectrogram)
    assert all(status.startswith("Done") for status in statuses), statuses


def _open_page(driver, url: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(url)
    _wait(driver, lambda: driver.find_elements(By.ID, "asr-run"), "the page to load")


@pytest.mark.browser
def test_browser_upload_for_asr_shows_the_transcript(server_url, browser, pipe, tabs, wav_path):
    from selenium.webdriver.common.by import By

    _open_page(browser, server_url)
    assert "LauraGPT" in browser.find_element(By.TAG_NAME, "h1").text
    shown_tabs = {button.text.strip() for button in browser.find_elements(By.CSS_SELECTOR, "button[role=tab]")}
    assert shown_tabs >= {tab.title for tab in tabs.values()}

    box = _by_id(browser, "asr-input")
    box.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(wav_path))  # a 44.1 kHz stereo WAV
    _wait(browser, lambda: box.find_elements(By.CSS_SELECTOR, "[data-testid^=waveform-]"), "the upload's waveform")
    status = _run(browser, "asr", then="")
    assert status.startswith("Done"), status
    shown = _by_id(browser, "asr-output-text").find_element(By.TAG_NAME, "textarea").get_attribute("value")
    assert shown == pipe(str(wav_path), task="asr", **FIXED)["text"]
    assert _by_id(browser, "asr-spectrogram").find_elements(By.TAG_NAME, "img")


@pytest.mark.browser
def test_browser_tts_plays_audio_and_explains_empty_text(server_url, browser, tabs, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _open_page(browser, server_url)
    _open_tab(browser, tabs["tts"].title)
    text_box = _by_id(browser, "tts-input").find_element(By.TAG_NAME, "textarea")
    text_box.send_keys("hello world")
    status = _run(browser, "tts", then="")
    assert status.startswith("Done"), status
    player = _by_id(browser, "tts-output-audio")
    audio = _wait(browser, lambda: player.find_elements(By.CSS_SELECTOR, "audio[src]"), "the audio player")[0]
    with urllib.request.urlopen(audio.get_attribute("src"), timeout=WAIT_S) as response:
        assert response.read(4) == b"RIFF"
    duration = _wait(
        browser,
        lambda: browser.execute_script("return arguments[0].readyState >= 1 && arguments[0].duration", audio),
        "the browser to read the audio's length",
    )
    assert duration == pytest.approx(5 * HOP / 16000, abs=0.02)  # 5 codec frames: the browser decoded the WAV

    # empty text: a readable message in the page, no traceback, and the server keeps answering
    text_box.send_keys(Keys.CONTROL, "a", Keys.DELETE)  # as a person does (clear() fires no input event)
    status = _run(browser, "tts", then=status)
    assert "No text yet" in status and "Traceback" not in browser.page_source
    text_box.send_keys("turn on the kitchen lights")
    assert _run(browser, "tts", then=status).startswith("Done")

    screenshot = Path(os.environ.get(SCREENSHOT_VARIABLE) or tmp_path / "web_demo.png")
    assert browser.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 10_000


@pytest.mark.browser
def test_browser_page_asks_nothing_of_the_internet(server_url, browser):
    _open_page(browser, server_url)
    hosts = set()
    for entry in browser.get_log("performance"):  # every request since the browser started, earlier tests' too
        if '"Network.requestWillBeSent"' in entry["message"]:
            url = urlparse(json.loads(entry["message"])["message"]["params"]["request"]["url"])
            if url.scheme not in LOCAL_SCHEMES:
                hosts.add(url.hostname)
    assert hosts == {"127.0.0.1"}, hosts


@pytest.mark.browser
def test_browser_every_other_task_answers_in_the_page(server_url, browser, tabs, wav_path):
    """S2TT, SE, AAC, SER, SLU, MT and S2ST, each run from its own tab as a person would: an upload (or typed text),
    Run, then a "Done" status and the output a person reads or hears."""
    from selenium.webdriver.common.by import By

    _open_page(browser, server_url)
    for task in [task for task in tabs if task not in ("asr", "tts")]:
        tab = tabs[task]
        _open_tab(browser, tab.title)
        if tab.takes_audio:
            box = _by_id(browser, f"{task}-input")
            box.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(wav_path))
            _wait(
                browser,
                lambda box=box: box.find_elements(By.CSS_SELECTOR, "[data-testid^=waveform-]"),
                f"{task}'s upload",
            )
        else:
            _by_id(browser, f"{task}-input").find_element(By.TAG_NAME, "textarea").send_keys("turn on the lights")
        status = _run(browser, task, then="")
        assert status.startswith("Done"), (task, status)
        if tab.gives_audio:
            player = _by_id(browser, f"{task}-output-audio")
            _wait(browser, lambda player=player: player.find_elements(By.CSS_SELECTOR, "audio[src]"), f"{task}'s audio")
        if not tab.gives_audio or tab.translates:  # text a person reads: a transcript, translation or label
            shown = _by_id(browser, f"{task}-output-text").find_element(By.TAG_NAME, "textarea").get_attribute("value")
            assert shown is not None, task
            if tab.labels:
                assert shown in tab.labels, (task, shown)
        if tab.table:
            assert _by_id(browser, f"{task}-output-table").find_elements(By.TAG_NAME, "td"), task
    assert "Traceback" not in browser.page_source
