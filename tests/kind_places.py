"""Every place that names document kinds, read the way its user meets it (tests/test_document_kinds.py).

`seen(root)` asks each place which kinds it knows and what it calls them: the API's `GET /kinds` and
OpenAPI schema, the command line's `--kind` choices, the manifest check, the header recogniser, the
bots' /nguon line and `khuyencong add`'s report. `expected()` is what each should say if it follows
`DocumentKind`. Both return plain JSON data, so a test can also run them in a copy of the code with
one more kind and compare what it prints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from assistant import Assistant, Settings
from assistant.api import create_app
from assistant.cli import main as cli
from assistant.feedback import FeedbackStore
from assistant.ingest import Added, header_facts
from assistant.legal import LegalHeader, recognise
from assistant.loading import load_corpus
from assistant.types import DocumentKind
from bots.dialogue import _document_facts

Seen = dict[str, list[list[str]]]


def expected() -> Seen:
    """What every place says when it follows the enum."""
    values = [[kind.value] for kind in DocumentKind]
    labelled = [[kind.value, kind.label] for kind in DocumentKind]
    return {
        "GET /kinds": labelled,
        "OpenAPI DocumentKind": values,
        "CLI ask/search/add --kind": [[kind.value] * 3 for kind in DocumentKind],
        "manifest check": values,
        "header types": [[name, kind.value] for kind in DocumentKind for name in kind.printed],
        "bots /nguon": [[kind.value, kind.short] for kind in DocumentKind],
        "khuyencong add": labelled,
    }


def seen(root: Path) -> Seen:
    """What every place says, with a corpus, index and data folder under `root`."""
    settings = Settings.of(corpus_dir=root / "corpus", index_dir=root / "index", data_dir=root / "data")
    app = create_app(Assistant(settings), feedback=FeedbackStore(root / "feedback.sqlite3"))
    client = TestClient(app)  # no lifespan: nothing here needs the index
    schema = client.get("/openapi.json").json()["components"]["schemas"]["DocumentKind"]
    choices = [_kind_choices(command) for command in ("ask", "search", "add")]
    return {
        "GET /kinds": [[k["value"], k["label"]] for k in client.get("/kinds").json()["kinds"]],
        "OpenAPI DocumentKind": [[value] for value in schema["enum"]],
        "CLI ask/search/add --kind": [list(same) for same in zip(*choices)],
        "manifest check": [[document.kind.value] for document in _loaded(root / "corpus")],
        "header types": [[name, recognise(f"{name.upper()}\nVề việc thử\n").kind.value] for name in _printed()],
        "bots /nguon": [[kind, _document_facts({"kind": kind}).strip()] for kind in _values()],
        "khuyencong add": [[kind, _added_label(kind)] for kind in _values()],
    }


def _values() -> list[str]:
    return [kind.value for kind in DocumentKind]


def _printed() -> list[str]:
    return [name for kind in DocumentKind for name in kind.printed]


def _kind_choices(command: str) -> list[str]:
    option = next(p for p in cli.commands[command].params if p.name == "kind")
    return list(option.type.choices)  # type: ignore[attr-defined]


def _loaded(corpus: Path) -> list[Any]:
    """A corpus with one document of each kind, through the manifest check and the loader."""
    corpus.mkdir(parents=True)
    entries = []
    for kind in _values():
        (corpus / f"{kind}.txt").write_text(f"Tài liệu loại {kind} về khuyến công.", encoding="utf-8")
        entries.append({"id": kind.replace("_", "-"), "file": f"{kind}.txt", "title": kind, "kind": kind})
    (corpus / "manifest.json").write_text(json.dumps({"documents": entries}), encoding="utf-8")
    return load_corpus(corpus).documents


def _added_label(kind: str) -> str:
    facts = dict(header_facts(Added({"id": "x", "kind": kind}, LegalHeader())))
    return facts["loại"]
