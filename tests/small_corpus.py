"""Corpora copied for tests that change or rebuild them: two shipped documents, or the whole shipped corpus."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from assistant import Assistant, Settings

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


def copied_corpus(settings: Settings, root: Path, **changes: Any) -> Settings:
    """`settings` over a copy of its corpus under `root`, with an index and data folder of their own."""
    shutil.copytree(settings.store.corpus_dir, root / "corpus")
    return settings.replaced(corpus_dir=root / "corpus", index_dir=root / "index", data_dir=root / "data", **changes)


def one_document_assistant(root: Path, name: str, text: str, embedding_cache: Path) -> Assistant:
    """An Assistant over a corpus of one document, `text`, added under `root` as `khuyencong add` adds it."""
    source = root / name
    source.write_text(text, encoding="utf-8")
    settings = Settings.of(corpus_dir=root / "corpus", index_dir=root / "index", embedding_cache=embedding_cache)
    Assistant(settings).add([str(source)])
    return Assistant(settings)
