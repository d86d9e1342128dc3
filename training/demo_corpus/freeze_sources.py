"""Maintainer tool: freeze the texts the demo corpus needs into ``data/*.tsv`` (the build itself never runs this).

    python -m modeling_lauragpt.training.demo_corpus.freeze_sources

It reads two things that depend on the machine and would make builds differ between images:

- the transcripts of Debian's asterisk prompts, which live in the non-wav packages
  (``apt-get download asterisk-core-sounds-{en,fr,es}`` into a temporary folder, then ``dpkg-deb -x``);
- English sentences with human German/French/Spanish translations from the gettext catalogs
  (``/usr/share/locale/<lang>/LC_MESSAGES/<catalog>.mo``) of Debian packages with known licences; packages that
  are not installed can be unpacked instead (``apt-get download PKG && dpkg-deb -x PKG_*.deb DIR``) and read with
  ``--locale-root DIR/usr/share/locale``.

and writes ``asterisk_transcripts.tsv`` and ``gettext_pairs.tsv``. ``data/PROVENANCE.md`` records the package
versions and licences; update it when re-freezing.
"""

from __future__ import annotations

import argparse
import gettext
import gzip
import hashlib
import re
import subprocess
import tempfile
from pathlib import Path

from .text_sources import DATA_DIR, clean_text

ASTERISK_LANGUAGES = ("en", "fr", "es")
GETTEXT_LANGUAGES = ("de", "fr", "es")
# catalog -> Debian package that installs it (licences in data/PROVENANCE.md)
GETTEXT_CATALOGS = {
    "gtk20-properties": "libgtk2.0-common",
    "gsettings-desktop-schemas": "gsettings-desktop-schemas",
    "glib20": "libglib2.0-data",
    "git": "git",
    "gstreamer-1.0": "libgstreamer1.0-0",
    "PackageKit": "packagekit",
    "systemd": "systemd",
    "apt": "apt",
    "gdk-pixbuf": "libgdk-pixbuf2.0-common",
    # added to grow the translation pairs; net-tools' catalogs are not UTF-8 and are left out
    "libc": "libc-l10n",
    "appstream": "appstream",
    "gnupg2": "gnupg-l10n",
    "gtk20": "libgtk2.0-common",
    "dpkg": "dpkg",
    "coreutils": "coreutils",
    "avahi": "libavahi-common-data",
    "findutils": "findutils",
    "at-spi2-core": "at-spi2-common",
    "shared-mime-info": "shared-mime-info",
    "alsa-utils": "alsa-utils",
    "adduser": "adduser",
    "software-properties": "software-properties-common",
    "procps-ng": "procps",
    "make": "make",
    "psmisc": "psmisc",
    "polkit-1": "polkitd",
    "sed": "sed",
    "bash": "bash",
    "man-db": "man-db",
    "diffutils": "diffutils",
    "grep": "grep",
    # added to give ASR, S2TT and MT more distinct sentences (the 31 above gave 2,608; the ASR decoder memorised
    # them); these packages need not be installed: `--locale-root` reads their `dpkg-deb -x` unpacking
    "gtk30": "libgtk-3-common",
    "gtk30-properties": "libgtk-3-common",
    "gtk40": "libgtk-4-common",
    "gimp20": "gimp-data",
    "gimp20-std-plug-ins": "gimp-data",
    "gimp20-script-fu": "gimp-data",
    "gimp20-python": "gimp-data",
    "inkscape": "inkscape",
    "vlc": "vlc-l10n",
    "audacity": "audacity-data",
    "filezilla": "filezilla-common",
    "pidgin": "pidgin-data",
    "hexchat": "hexchat-common",
    "gnome-control-center-2.0": "gnome-control-center-data",
    "gnome-shell": "gnome-shell-common",
    "gnome-software": "gnome-software-common",
    "gnome-terminal": "gnome-terminal-data",
    "mutter": "mutter-common",
    "file-roller": "file-roller",
    "aptitude": "aptitude-common",
    "util-linux": "util-linux-locales",
    "tuxpaint": "tuxpaint-data",
}
MAX_PAIRS = 30000  # above the candidate count, so a re-freeze keeps every earlier pair
SPEAKABLE = re.compile(r"[A-Za-z][A-Za-z ,.'?!-]*")
ACRONYM = re.compile(r"\b[A-Z]{2,}\b")
CAMEL_CASE = re.compile(r"[a-z][A-Z]")  # identifiers such as GtkIconSize read badly aloud
SYSTEM_LOCALES = (Path("/usr/share/locale"),)


def asterisk_transcripts(workdir: Path) -> dict[str, dict[str, str]]:
    """``{prompt key: {language: transcript}}`` from the non-wav asterisk packages (downloaded, not installed)."""
    packages = [f"asterisk-core-sounds-{lang}" for lang in ASTERISK_LANGUAGES]
    subprocess.run(["apt-get", "download", *packages], cwd=workdir, check=True, capture_output=True)
    table: dict[str, dict[str, str]] = {}
    for lang in ASTERISK_LANGUAGES:
        deb = next(workdir.glob(f"asterisk-core-sounds-{lang}_*.deb"))
        target = workdir / lang
        subprocess.run(["dpkg-deb", "-x", str(deb), str(target)], check=True)
        listing = next(target.rglob(f"core-sounds-{lang}.txt.gz"))
        with gzip.open(listing, "rt", encoding="utf-8") as handle:
            lines = handle.read().splitlines()
        for line in lines:
            key, sep, text = line.partition(":")
            text = clean_text(text)
            if not sep or line.startswith(";") or not text or text.startswith("["):
                continue  # comments and "[beep tone]"-style non-speech entries
            table.setdefault(key.strip(), {})[lang] = text
    return table


def _catalog(lang: str, name: str, locale_roots: tuple[Path, ...]) -> dict[str, str]:
    path = next((p for r in locale_roots if (p := r / f"{lang}/LC_MESSAGES/{name}.mo").exists()), None)
    if path is None:
        return {}
    with path.open("rb") as handle:
        return {k: v for k, v in gettext.GNUTranslations(handle)._catalog.items() if isinstance(k, str)}


def _good_pair(english: str, translation: str) -> bool:
    if not translation or translation == english or any(c in translation for c in "%{}\\_<>$/\n\t\x04"):
        return False
    words = english.split()
    readable = SPEAKABLE.fullmatch(english) and not ACRONYM.search(english) and not CAMEL_CASE.search(english)
    return bool(
        readable
        and 4 <= len(words) <= 12
        and len(english) <= 80
        and english[0].isupper()
        and 0.5 <= len(translation) / len(english) <= 2.5
    )


def gettext_pairs(locale_roots: tuple[Path, ...] = SYSTEM_LOCALES) -> list[dict[str, str]]:
    """Up to ``MAX_PAIRS`` rows ``{en, de, fr, es, catalog}`` (de always present), chosen by a hash of the English.
    Each catalog is read from the first of ``locale_roots`` (folders laid out as ``/usr/share/locale``) holding it."""
    rows: dict[str, dict[str, str]] = {}
    for name in GETTEXT_CATALOGS:
        catalogs = {lang: _catalog(lang, name, locale_roots) for lang in GETTEXT_LANGUAGES}
        for english, german in catalogs["de"].items():
            english, german = clean_text(english), clean_text(german)
            if english.lower() in rows or not _good_pair(english, german):
                continue
            row = {"en": english, "de": german, "catalog": name}
            for lang in ("fr", "es"):
                other = clean_text(catalogs[lang].get(english, ""))
                row[lang] = other if _good_pair(english, other) else ""
            rows[english.lower()] = row
    ordered = sorted(rows.values(), key=lambda r: hashlib.sha1(r["en"].encode()).hexdigest())
    return ordered[:MAX_PAIRS]


def _write_tsv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    lines = ["\t".join(header)] + ["\t".join(cell.replace("\t", " ") for cell in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_gettext_pairs(locale_roots: tuple[Path, ...] = SYSTEM_LOCALES) -> int:
    """Re-freeze ``gettext_pairs.tsv`` alone (the asterisk transcripts need a download); returns the pair count."""
    pairs = gettext_pairs(locale_roots)
    _write_tsv(
        DATA_DIR / "gettext_pairs.tsv",
        ["en", "de", "fr", "es", "catalog"],
        [[row[c] for c in ("en", "de", "fr", "es", "catalog")] for row in pairs],
    )
    return len(pairs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--locale-root",
        action="append",
        type=Path,
        default=[],
        help="a further folder laid out as /usr/share/locale (e.g. `dpkg-deb -x PKG.deb DIR` then "
        "DIR/usr/share/locale), searched after the system's; repeatable",
    )
    args = parser.parse_args(argv)
    locale_roots = SYSTEM_LOCALES + tuple(args.locale_root)
    with tempfile.TemporaryDirectory() as tmp:
        transcripts = asterisk_transcripts(Path(tmp))
    _write_tsv(
        DATA_DIR / "asterisk_transcripts.tsv",
        ["key", *ASTERISK_LANGUAGES],
        [[key] + [texts.get(lang, "") for lang in ASTERISK_LANGUAGES] for key, texts in sorted(transcripts.items())],
    )
    pairs = write_gettext_pairs(locale_roots)
    print(f"{len(transcripts)} asterisk prompts, {pairs} gettext pairs written to {DATA_DIR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
