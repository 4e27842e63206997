"""A corpus of two shipped documents, copied for tests that change or rebuild it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SMALL = ("cv-400-ctdp-qlkc-2024", "angiang-2023-6-thang")


def write_manifest(folder: Path, entries: list[dict[str, object]]) -> None:
    """The manifest of `folder`, listing `entries`."""
    (folder / "manifest.json").write_text(json.dumps({"documents": entries}, ensure_ascii=False), encoding="utf-8")


def small_corpus(folder: Path) -> Path:
    """`folder` made a corpus of the SMALL documents with their manifest entries."""
    folder.mkdir(parents=True)
    manifest = json.loads((REPO / "corpus" / "manifest.json").read_text(encoding="utf-8"))
    entries = [e for e in manifest["documents"] if e["id"] in SMALL]
    for entry in entries:
        shutil.copy(REPO / "corpus" / entry["file"], folder / entry["file"])
    write_manifest(folder, entries)
    return folder
