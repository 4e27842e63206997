"""Each chunk of a legal text carries its typed `Provision`, computed once by the chunker and stored in the index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ingest_samples import DECISION_59
from test_relations import LATER

from assistant import Assistant, Settings
from assistant.chunking import ChunkingParams, chunk_document, provision_in
from assistant.errors import IndexCorrupt
from assistant.indexing import SCHEMA_VERSION, build_index, current_generation, load_index
from assistant.types import Chunk, DocumentRecord, Provision

REGULATION = "qd-59-2099-qd-ubnd"


@pytest.fixture()
def built(tmp_path: Path) -> Settings:
    """An index (no vectors) of the fictional Decision 59/2099 and a one-article decision."""
    settings = Settings.of(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", embedding="none")
    (tmp_path / "qd-59.txt").write_text(DECISION_59, encoding="utf-8")
    Assistant(settings).add([str(tmp_path / "qd-59.txt")])
    return settings


def _regulation_chunks(index_dir: Path) -> list[Chunk]:
    return [c for c in load_index(index_dir).chunks if c.doc_id == REGULATION]


def test_a_regulation_chunk_carries_its_provision_after_a_build_and_a_reload(built: Settings, tmp_path: Path) -> None:
    chunks = _regulation_chunks(built.store.index_dir)
    text = load_index(built.store.index_dir).text_of(REGULATION)
    assert [c.provision for c in chunks] == [provision_in(text, c.start) for c in chunks]  # where each chunk starts
    by_locator = {c.locator: c.provision for c in chunks}
    assert by_locator["Điều 6"] == Provision("6") and by_locator["phần mở đầu"] is None
    # an article's chunk, and only one, has an article's provision (what relations.py used to read off the locator)
    assert all((c.provision is not None and not c.provision.annex) == c.locator.startswith("Điều") for c in chunks)
    stored = (built.store.index_dir / str(current_generation(built.store.index_dir)) / "chunks.jsonl").read_text(
        encoding="utf-8"
    )
    line = next(json.loads(line) for line in stored.splitlines() if json.loads(line)["locator"] == "Điều 6")
    assert line["provision"] == {"number": "6", "clause": "", "point": "", "annex": False}

    (tmp_path / "qd-40.txt").write_text(LATER, encoding="utf-8")
    Assistant(built).add([str(tmp_path / "qd-40.txt")])  # a new generation, the regulation's segment reused
    assert _regulation_chunks(built.store.index_dir) == chunks
    assert Assistant(built).current_index().chunks[0].provision is None  # preamble of the first document


def test_a_window_of_a_long_article_carries_the_clause_it_starts_in() -> None:
    doc = DocumentRecord(id=REGULATION, file="qd-59.txt", title="QĐ 59", kind="regulation", text=DECISION_59)
    chunks = chunk_document(doc, ChunkingParams(max_chars=160, min_chars=40))
    windows = {c.locator: c.provision for c in chunks}
    assert windows["Điều 4, khoản 2"] == Provision("4", "2")
    assert windows["Điều 4, khoản 2, điểm b đến điểm c"] == Provision("4", "2", "b")
    assert windows["Điều 4, khoản 1"] == Provision("4")  # the window opens with the article's title line
    assert all(c.provision is None for c in chunk_document(DocumentRecord("r", "r.txt", "R", "report", "1. A\n2. B")))


def test_an_index_of_the_older_schema_is_rebuilt_not_misread(built: Settings) -> None:
    old = built.store.index_dir / str(current_generation(built.store.index_dir))
    meta = json.loads((old / "meta.json").read_text(encoding="utf-8"))
    (old / "meta.json").write_text(json.dumps({**meta, "schema": SCHEMA_VERSION - 1}), encoding="utf-8")
    lines = (old / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    stripped = [json.dumps({k: v for k, v in json.loads(line).items() if k != "provision"}) for line in lines]
    (old / "chunks.jsonl").write_text("\n".join(stripped) + "\n", encoding="utf-8")  # as schema 1 wrote them

    with pytest.raises(IndexCorrupt, match="--rebuild"):
        load_index(built.store.index_dir)
    with pytest.raises(KeyError):  # a line without a provision is no chunk of no provision
        Chunk.from_json(stripped[-1])

    report = build_index(built.store.corpus_dir, built.store.index_dir, embedding="none")  # plain `khuyencong index`
    assert not report.unchanged  # (named as before when built within the same second: same stamp, same inputs)
    assert json.loads((built.store.index_dir / report.generation / "meta.json").read_text())["schema"] == SCHEMA_VERSION
    assert any(c.provision == Provision("6") for c in _regulation_chunks(built.store.index_dir))
