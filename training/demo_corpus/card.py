"""The dataset card (``OUT/README.md``): YAML header with one config per task, then sources, licences, labels,
split policy and counts."""

from __future__ import annotations

from pathlib import Path

import yaml

from ..data.schema import example_features
from .splits import HELD_OUT_VOICE, SPLITS, TEST_PERCENT, VALIDATION_PERCENT
from .voices import TRAIN_VOICES
from .writer import SplitSummary

TASK_DESCRIPTIONS = {
    "asr": (
        "English speech",
        "transcript",
        "asterisk prompts (real) + synthetic voices (3 per sentence, espeak-ng too)",
    ),
    "s2tt": (
        "English speech",
        "fr / es / de text (`language`)",
        (
            "asterisk en->fr/es pairs with target speech in `target_audio` (real); "
            "gettext en->de with synthetic English speech"
        ),
    ),
    "tts": ("English text", "speech (`speaker` = voice)", "flite / festival voices"),
    "se": (
        "noisy speech",
        "clean speech",
        "synthetic + asterisk speech mixed with coloured noise, event sounds or melodies at 0-15 dB SNR",
    ),
    "aac": ("sound", "caption", "melodies (fluidsynth), event sounds, event pairs, events over noise"),
    "ser": ("speech", "neutral / happy / sad / angry", "flite voices with emotion-specific prosody"),
    "slu": (
        "spoken command",
        "intent and slots (`format_slu`)",
        "templated smart-home / phone-menu commands, synthetic voices",
    ),
    "mt": ("English text", "de / fr / es text (`language`)", "gettext catalogs + asterisk prompt transcripts"),
}

SYNTHETIC_LABELS = """## Synthetic labels

These labels were generated, not annotated by people; scores on them measure how well a model learns the
generator, not real-world performance:

- **ser** (emotion): the SAME emotion-neutral sentences spoken by flite voices with prosody set per label
  (neutral; happy = higher, more variable pitch, faster, louder; sad = lower, flat, slower, quieter;
  angry = variable pitch, fast, loud). No real emotional speech is involved.
- **slu** (intent and slots): templated commands; the template that generated a sentence gives its intent/slots.
- **aac** (captions): melody captions follow from the generated MIDI (instrument, pitch direction, tempo, note
  count); event captions were written from the sound files' names (nobody listened to each clip).
- **se** (clean target): mixtures are made here by adding noise to clean speech at a random SNR.
- All speech of **tts**, **ser** and **slu**, and the synthetic part of **asr**/**s2tt**/**se**, is synthesised
  (flite/festival, and espeak-ng in asr's training rows); the rest of asr/s2tt/se is real recorded speech
  (asterisk prompts).
"""

SOURCE_ROWS = [  # (source, used for, licence)
    (
        "Debian `asterisk-core-sounds-{en,fr,es}-wav` 1.6.1 (Allison Smith, June Wallack; 8 kHz studio prompts)",
        "asr, s2tt, se",
        "CC-BY-SA-3.0",
    ),
    (
        "asterisk prompt transcripts (docs of `asterisk-core-sounds-{en,fr,es}`), frozen in `data/asterisk_transcripts.tsv`",
        "asr, s2tt, mt",
        "CC-BY-SA-3.0",
    ),
    (
        (
            "gettext catalogs of GTK 2, GLib, gsettings-desktop-schemas, git, GStreamer, PackageKit, systemd, apt, "
            "gdk-pixbuf, frozen in `data/gettext_pairs.tsv`"
        ),
        "mt, s2tt (de), speech texts",
        "each package's licence (LGPL-2+ / LGPL-2.1+ / GPL-2 / GPL-2+)",
    ),
    (
        "flite voices kal16, rms, slt, awb; festival voices cmu_us_slt_arctic_hts, kal_diphone",
        "synthetic speech",
        "BSD-style (CMU / festvox)",
    ),
    (
        "espeak-ng 1.51 voices en-us, en-gb-x-rp, en-us-nyc, en-029, en-gb-x-gbclan, en-gb-x-gbcwmd with variants",
        "asr training speech",
        "GPL-3.0+ (the synthesiser; its output is data)",
    ),
    ("Debian `sound-theme-freedesktop`", "aac, se noise", "CC-BY-SA-3.0 / CC-BY-3.0 / GPL-2+ (per file)"),
    ("Debian `sound-icons`", "aac, se noise", "GPL-2+"),
    ("Debian `timgm6mb-soundfont` rendered by fluidsynth", "aac melodies, se music noise", "GPL-2"),
    ("coloured noise (numpy, seeded)", "se, aac", "generated"),
]
SOURCES = "\n".join(
    [
        "## Sources and licences",
        "",
        "| source | used for | licence |",
        "|---|---|---|",
        *(f"| {source} | {used} | {licence} |" for source, used, licence in SOURCE_ROWS),
        "",
        "Provenance of the frozen texts: `training/demo_corpus/data/PROVENANCE.md` in the lauragpt repository.",
        "The corpus as a whole carries the obligations of its share-alike parts (CC-BY-SA-3.0, GPL).",
        "",
    ]
)


def _yaml_header(tasks: list[str], summaries: dict[str, dict[str, SplitSummary]]) -> str:
    features = example_features()._to_yaml_list()
    header = {
        "pretty_name": "LauraGPT offline demo corpus",
        "license": "other",
        "language": ["en", "de", "fr", "es"],
        "tags": ["synthetic", "speech", "audio", "lauragpt"],
        "configs": [
            {
                "config_name": task,
                "data_files": [{"split": split, "path": f"{task}/{split}-*.parquet"} for split in SPLITS],
            }
            for task in tasks
        ],
        "dataset_info": [
            {
                "config_name": task,
                "features": features,
                "splits": [
                    {
                        "name": split,
                        "num_bytes": summaries[task][split].num_bytes,
                        "num_examples": summaries[task][split].rows,
                    }
                    for split in SPLITS
                ],
            }
            for task in tasks
        ],
    }
    return "---\n" + yaml.safe_dump(header, sort_keys=False, allow_unicode=True) + "---\n"


def _counts_table(tasks: list[str], summaries: dict[str, dict[str, SplitSummary]]) -> str:
    lines = ["| task | input | output | train | validation | test | audio hours | sources |", "|---" * 8 + "|"]
    for task in tasks:
        splits = summaries[task]
        hours = sum(s.audio_seconds for s in splits.values()) / 3600
        source_in, source_out, origin = TASK_DESCRIPTIONS[task]
        counts = " | ".join(str(splits[split].rows) for split in SPLITS)
        lines.append(f"| {task} | {source_in} | {source_out} | {counts} | {hours:.2f} | {origin} |")
    return "\n".join(lines)


def write_card(
    out: Path, tasks: list[str], summaries: dict[str, dict[str, SplitSummary]], command: str, seed: int
) -> Path:
    """Write ``out/README.md`` and return its path."""
    train_voices = ", ".join(f"`{voice}`" for voice in TRAIN_VOICES)
    test_speakers = sorted(set().union(*(summaries[t]["test"].speakers for t in tasks)))
    body = f"""
# LauraGPT offline demo corpus

Eight tasks in the canonical LauraGPT example format (`modeling_lauragpt.training.data.schema`: `id`, `task`,
`audio`, `text`, `target_text`, `target_audio`, `language`, `speaker`), all audio 16 kHz mono FLAC embedded in
the parquet files, built offline from Debian packages by

    {command}

(seed {seed}; the same command gives the same ids, texts and audio). Load one task with
`datasets.load_dataset("<this folder>", "asr", split="train")`. A small BPE tokenizer trained on the training
text is in `tokenizer/`.

{_counts_table(tasks, summaries)}

Rows whose clip was longer than the build's limit were dropped, so a split may hold fewer rows than asked.
For audio-input tasks `text` holds the transcript of the input speech when it is not the target (s2tt, se,
ser, slu).

## Split policy

- **Held-out sentences**: every sentence, caption and command is assigned by a hash of its words to test
  ({TEST_PERCENT} %), validation ({VALIDATION_PERCENT} %) or train, the same way in every task and for every seed. A test
  sentence never occurs in any training row of any task.
- **Held-out voice**: synthetic speech in the test split is spoken only by `{HELD_OUT_VOICE}` (a speaker no
  training voice shares), which never speaks in train or validation. Training voices: {train_voices}.
  Real asterisk recordings keep their speaker and are held out by sentence.
- **Validation**: validation sentences spoken by the training voices (the training distribution).
- Test speakers: {", ".join(f"`{s}`" for s in test_speakers) or "none"}.

{SYNTHETIC_LABELS}
{SOURCES}"""
    path = out / "README.md"
    path.write_text(_yaml_header(tasks, summaries) + body, encoding="utf-8")
    return path


__all__ = ["SYNTHETIC_LABELS", "TASK_DESCRIPTIONS", "write_card"]
