"""The maintainer tool that freezes the demo corpus' gettext pairs reads catalogs from extra locale roots (packages
unpacked with ``dpkg-deb -x`` rather than installed), and its selection keeps only speakable pairs."""

from __future__ import annotations

import struct
from pathlib import Path

from modeling_lauragpt.training.demo_corpus import freeze_sources


def _write_mo(path: Path, messages: dict[str, str]) -> None:
    """A GNU .mo catalog (format revision 0): header, the two offset tables, then the strings (UTF-8, declared in
    the empty message's metadata as msgfmt does)."""
    messages = {"": "Content-Type: text/plain; charset=UTF-8\n", **messages}
    keys = sorted(messages)
    ids, strs = b"", b""
    id_table, str_table = [], []
    for key in keys:
        raw_id, raw_str = key.encode(), messages[key].encode()
        id_table.append((len(raw_id), len(ids)))
        str_table.append((len(raw_str), len(strs)))
        ids += raw_id + b"\0"
        strs += raw_str + b"\0"
    header_size = 7 * 4
    ids_start = header_size + 16 * len(keys)
    strs_start = ids_start + len(ids)
    table = b"".join(struct.pack("<2I", n, ids_start + o) for n, o in id_table)
    table += b"".join(struct.pack("<2I", n, strs_start + o) for n, o in str_table)
    header = struct.pack("<7I", 0x950412DE, 0, len(keys), header_size, header_size + 8 * len(keys), 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + table + ids + strs)


def test_pairs_come_from_an_unpacked_locale_root_and_unspeakable_strings_are_left_out(tmp_path, monkeypatch):
    root = tmp_path / "usr/share/locale"
    _write_mo(
        root / "de/LC_MESSAGES/toy.mo",
        {
            "Open the selected file now": "Die gewählte Datei jetzt öffnen",
            "Save %s as a copy": "%s als Kopie speichern",  # a format string
            "Use the GtkIconSize setting here": "Die GtkIconSize-Einstellung hier nutzen",  # an identifier
        },
    )
    _write_mo(root / "fr/LC_MESSAGES/toy.mo", {"Open the selected file now": "Ouvrir le fichier choisi maintenant"})
    monkeypatch.setattr(freeze_sources, "GETTEXT_CATALOGS", {"toy": "toy-data"})

    assert freeze_sources.gettext_pairs(locale_roots=(tmp_path / "missing",)) == []
    pairs = freeze_sources.gettext_pairs(locale_roots=(tmp_path / "missing", root))
    assert pairs == [
        {
            "en": "Open the selected file now",
            "de": "Die gewählte Datei jetzt öffnen",
            "catalog": "toy",
            "fr": "Ouvrir le fichier choisi maintenant",
            "es": "",
        }
    ]
