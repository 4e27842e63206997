"""Index builds: no-op when unchanged, incremental embedding, atomic swap, clear errors."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from small_corpus import small_corpus

from assistant import Assistant, Settings
from assistant.errors import CorpusError, IndexCorrupt, IndexMissing
from assistant.indexing import LexicalIndex, VectorStore, build_index, current_generation, load_index
from assistant.retrieval import FusionParams


@pytest.fixture()
def small(tmp_path: Path, embedding_cache: Path) -> Settings:
    return Settings.of(
        corpus_dir=small_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index", embedding_cache=embedding_cache
    )


def _build(settings: Settings, **kwargs: object) -> object:
    return build_index(settings.store.corpus_dir, settings.store.index_dir, cache_path=settings.cache_path, **kwargs)


def test_rebuilding_an_unchanged_corpus_is_a_no_op(small: Settings) -> None:
    first = _build(small)
    second = _build(small)
    assert not first.unchanged and second.unchanged
    assert second.embedded == 0 and second.vectors_added == 0
    assert second.generation == first.generation


def test_changing_one_document_reembeds_only_its_changed_chunks(small: Settings, tmp_path: Path) -> None:
    _build(small)
    path = small.store.corpus_dir / "angiang-2023-6-thang.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("08 cơ sở CNNT", "09 cơ sở CNNT"), encoding="utf-8")
    # a cache of its own, so "embedded" counts this build's new texts only
    report = build_index(
        small.store.corpus_dir, small.store.index_dir, cache_path=small.store.index_dir / "embeddings.sqlite"
    )
    assert report.vectors_added == 1 and report.vectors_removed == 1
    again = _build(small)
    assert again.unchanged


@contextmanager
def _collection(settings: Settings) -> Iterator[Any]:
    """The Chroma collection of the index, opened from its folder directly."""
    import chromadb

    client = chromadb.PersistentClient(
        path=str(settings.store.index_dir / "chroma"), settings=chromadb.Settings(anonymized_telemetry=False)
    )
    try:
        yield client.get_collection(client.list_collections()[0].name)
    finally:
        client.close()


def _stored(settings: Settings) -> dict[str, dict[str, object]]:
    """Every vector's labels, read from the Chroma folder itself."""
    with _collection(settings) as collection:
        stored = collection.get(include=["metadatas"])
    return {cid: dict(meta or {}) for cid, meta in zip(stored["ids"], stored["metadatas"] or [])}


def test_an_update_plans_its_vectors_from_the_live_generation_not_by_reading_the_store(
    small: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading every vector's labels takes seconds at 100k chunks: a complete generation says what the store holds.
    What it plans is still right: one changed chunk swapped, a changed year relabelled on every vector."""
    _build(small)
    reads: list[int] = []
    original = VectorStore._existing
    monkeypatch.setattr(VectorStore, "_existing", lambda self: reads.append(1) or original(self))
    path = small.store.corpus_dir / "angiang-2023-6-thang.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("08 cơ sở CNNT", "09 cơ sở CNNT"), encoding="utf-8")
    manifest = json.loads((small.store.corpus_dir / "manifest.json").read_text(encoding="utf-8"))
    changed = next(e for e in manifest["documents"] if e["id"] != "angiang-2023-6-thang")
    changed["year"] = 2031
    (small.store.corpus_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    report = _build(small)
    assert reads == [] and (report.vectors_added, report.vectors_removed) == (1, 1)
    stored = _stored(small)
    index = load_index(small.store.index_dir)
    assert set(stored) == {c.id for c in index.chunks}
    assert {m["year"] for m in stored.values() if m["doc_id"] == changed["id"]} == {2031}


def test_a_store_that_differs_from_the_live_generation_is_read_and_mended(small: Settings) -> None:
    """A vector lost outside a build (the count no longer matches): the store is read, the vector added again."""
    _build(small)
    with _collection(small) as collection:
        collection.delete(ids=[collection.get(limit=1)["ids"][0]])
    path = small.store.corpus_dir / "angiang-2023-6-thang.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("08 cơ sở CNNT", "09 cơ sở CNNT"), encoding="utf-8")
    _build(small)
    assert set(_stored(small)) == {c.id for c in load_index(small.store.index_dir).chunks}


def test_new_generation_is_swapped_in_and_old_one_removed(small: Settings) -> None:
    first = _build(small)
    (small.store.corpus_dir / "cv-400-ctdp-qlkc-2024.txt").write_text("Văn bản mới hoàn toàn.\n", encoding="utf-8")
    second = _build(small)
    assert current_generation(small.store.index_dir) == second.generation != first.generation
    assert not (small.store.index_dir / first.generation).exists()
    assert not list(small.store.index_dir.glob(".tmp-*"))


def test_failed_build_leaves_the_live_index_untouched(small: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _build(small)
    (small.store.corpus_dir / "cv-400-ctdp-qlkc-2024.txt").write_text("Nội dung đã sửa.\n", encoding="utf-8")

    def broken_merge(*args: object) -> LexicalIndex:
        raise OSError("disk full")

    monkeypatch.setattr(LexicalIndex, "merge", staticmethod(broken_merge))
    with pytest.raises(OSError):
        _build(small)
    assert current_generation(small.store.index_dir) == first.generation
    assert len(load_index(small.store.index_dir).chunks) > 0


def test_missing_index_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing, match="khuyencong index"):
        load_index(tmp_path / "nothing")


def test_corrupt_index_says_how_to_rebuild(small: Settings) -> None:
    report = _build(small)
    (small.store.index_dir / report.generation / "chunks.jsonl").write_text("{broken", encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="--rebuild") as raised:
        load_index(small.store.index_dir)
    assert "Expecting" not in raised.value.message and "line 1" not in raised.value.message  # no library English


def test_a_lost_chroma_folder_is_said_in_vietnamese(tmp_path: Path) -> None:
    from assistant.errors import VectorStoreError
    from assistant.indexing import _chroma_client

    blocker = tmp_path / "index"
    blocker.write_text("not a folder", encoding="utf-8")  # the store's parent is a file
    with pytest.raises(VectorStoreError) as raised:
        _chroma_client(blocker, "")
    message = raised.value.message
    assert "directory" not in message and "os error" not in message and "nhật ký" in message  # Chroma's text is logged


def test_empty_corpus_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "manifest.json").write_text('{"documents": []}', encoding="utf-8")
    with pytest.raises(CorpusError, match="Không có tài liệu"):
        build_index(folder, tmp_path / "index")


def test_assistant_reloads_after_a_rebuild(small: Settings) -> None:
    _build(small)
    assistant = Assistant(small)
    assert assistant.status()["documents"] == 2
    manifest_path = small.store.corpus_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["documents"] = manifest["documents"][:1]
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    _build(small)
    assert assistant.status()["documents"] == 1


def test_concurrent_first_reads_of_the_texts_see_every_document(tmp_path: Path) -> None:
    """A server's threads read a new generation's texts at once: none may see them half loaded (a 500)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    entries = [{"id": f"tin-{n:03d}", "file": f"{n}.txt", "title": f"Tin {n}", "kind": "news"} for n in range(300)]
    for entry in entries:
        (corpus / entry["file"]).write_text(f"Tin số {entry['title']} về khuyến công năm 2024.\n", encoding="utf-8")
    (corpus / "manifest.json").write_text(json.dumps({"documents": entries}), encoding="utf-8")
    build_index(corpus, tmp_path / "index", embedding="none")
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        for _ in range(10):
            index = load_index(tmp_path / "index")
            with ThreadPoolExecutor(8) as pool:  # the last document read first, by every thread at once
                assert all(pool.map(index.text_of, ["tin-299"] * 64))
    finally:
        sys.setswitchinterval(interval)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def chroma_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A real Chroma server (`chroma run`) on loopback, stopped by its PID."""
    port = _free_port()
    chroma = Path(sys.executable).with_name("chroma")
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("chroma run did not start")
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_chroma_server_mode(small: Settings, chroma_server: str) -> None:
    settings = small.replaced(chroma_url=chroma_server)
    assistant = Assistant(settings, fusion_params=FusionParams(confident_margin=0))  # both sides, whatever BM25 says
    report = assistant.index()
    assert report.vectors_added == report.chunks > 0
    assert not (settings.store.index_dir / "chroma").exists()  # vectors live on the server
    hits = assistant.search("hạn đăng ký kế hoạch khuyến công quốc gia", k=3)
    assert hits[0].chunk.doc_id == "cv-400-ctdp-qlkc-2024"
    assert hits[0].dense_rank is not None
    assert assistant.index().unchanged
