#!/usr/bin/env bash
# System packages used by the demo-corpus builder, dataset audio decoding and the tests:
# TTS voices (flite, festival), real recorded prompts (asterisk), event sounds and a GM soundfont
# (captioning), sox, FFmpeg for `datasets` audio decoding through torchcodec, and Chromium with its
# WebDriver for the web demo's browser test (tests/test_web_demo.py).
# Safe to re-run; skips apt when everything is already present.
set -euo pipefail
PACKAGES=(flite festival festvox-kallpc16k festvox-us-slt-hts sox ffmpeg fluidsynth timgm6mb-soundfont
          sound-theme-freedesktop sound-icons asterisk-core-sounds-en-wav asterisk-core-sounds-fr-wav
          asterisk-core-sounds-es-wav espeak-ng chromium chromium-driver)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
