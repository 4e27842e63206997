"""The keyword side in segments: one per document, computed once per content, merged at build time.

Layout under the index directory::

    segments/vocab.txt        every string a segment names, one per line; ids are line numbers (append-only)
    segments/<key>.seg        one document's keyword work (immutable; <key> hashes what it depends on)

A segment holds what the per-chunk Python work of a build produces for one document: its chunks
(as chunks.jsonl lines), each chunk's lexical tokens with their counts and its length, how many
of its chunks hold each term (`terms.json`), and what the diacritic restorer counts in its title
and text (`DiacriticRestorer.count`). Its key hashes the document's manifest fields and text, the
chunking parameters and the versions of that work, so a document that did not change is never
chunked or tokenized again: a build computes segments for new and changed documents only, and
merges all of them (numpy over integer ids, no per-chunk Python) into the generation's BM25
index, restorer and term frequencies with the statistics of the whole corpus (number of chunks,
average length, document frequencies), so the result is that of one index built over every chunk
(tests/test_segments.py checks it, scores and all, against bm25s and `DiacriticRestorer.learn`).

Segments are shared by generations and never changed; a build reuses only those the live
generation lists (its meta.json `segments`) and, holding the build lock, first removes the others
(left by killed or rolled-back builds). A segment is written whole (a temporary file, then a
rename); the vocabulary is rewritten whole before a generation that uses its new strings is
written, and it only grows, so the strings of every live segment stay where they were.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from hashlib import sha256
from itertools import count, islice
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import scipy.sparse as sp

from .chunking import ChunkingParams, chunk_document
from .text import (
    PLACE_LEXICON,
    QUESTION_LEXICON,
    DiacriticRestorer,
    distinct_terms,
    lexical_tokens_and_syllables,
    spell_out,
    syllables,
)
from .types import Chunk, DocumentRecord

__all__ = [
    "SEGMENTS_DIR",
    "Merged",
    "Segment",
    "SegmentStore",
    "Vocabulary",
    "compute_own",
    "compute_own_task",
    "compute_segment",
    "content_key",
    "merge_segments",
    "segment_key",
]

SEGMENTS_DIR = "segments"
# A change of what a segment holds or how it is computed (tokens, terms, restorer counts) changes every key.
# 2: chunk lines hold the chunk's provision.
# 3: a list's lead-in stays with its items; a window continuing a list carries the lead-in in its heading.
# 4: terms in order of first occurrence (was a set's order, which followed the process's hash seed).
# 5: date tokens from dates.py's grammar ("15.7.2023", "15 tháng 7/2023" now carry their year).
VERSION = 5
K1, B = 1.2, 0.75  # BM25 as LexicalIndex has always built it (bm25s, method "lucene")
_KINDS = ("uni", "free", "bi")  # the restorer's three counts


class Vocabulary:
    """Strings by integer id, shared by every segment of an index folder; it only grows.

    Without a path it is a segment's own, in memory: ids in order of first use, which `adopt` maps to the
    folder's vocabulary (new strings taking their ids in that same order, as if they had been looked up there).
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.strings: list[str] = []
        if path is not None:
            with suppress(FileNotFoundError):
                self.strings = path.read_text(encoding="utf-8").split("\n")[:-1]
        # a lookup of a new string gives it the next id (in C: no Python per string looked up)
        self.ids: defaultdict[str, int] = defaultdict(count(len(self.strings)).__next__)
        self.ids.update(zip(self.strings, range(len(self.strings))))
        self._saved = len(self.strings)

    def __len__(self) -> int:
        return len(self.strings)

    def _grew(self, before: int) -> None:
        added = len(self.ids) - before
        if added:  # the newest keys of the (insertion-ordered) dict, oldest first
            self.strings.extend(reversed(list(islice(reversed(self.ids), added))))

    def id_of(self, string: str) -> int:
        """The id of `string`, a new one the first time."""
        before = len(self.ids)
        found = self.ids[string]
        self._grew(before)
        return found

    def ids_of(self, strings: Iterable[str]) -> np.ndarray:
        """Ids of `strings`, in order (int32: a vocabulary stays far below 2**31 strings)."""
        before = len(self.ids)
        found = np.fromiter(map(self.ids.__getitem__, strings), dtype=np.int32)
        self._grew(before)
        return found

    def adopt(self, segment: Segment, strings: list[str]) -> Segment:
        """`segment`, whose ids are of `strings` (a segment's own vocabulary), in this vocabulary's ids."""
        mapping = self.ids_of(strings)
        restorer = segment.restorer.copy()
        restorer[:, 1:3] = mapping[restorer[:, 1:3]]
        return replace(
            segment, token_ids=mapping[segment.token_ids], term_ids=mapping[segment.term_ids], restorer=restorer
        )

    def save(self) -> None:
        """Write the file whole if it grew (a reader of the old file sees it whole too)."""
        if len(self.strings) == self._saved or self.path is None:
            return
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            for string in self.strings:
                handle.write(string + "\n")
        os.replace(tmp, self.path)
        self._saved = len(self.strings)


@dataclass
class Segment:
    """One document's keyword work (see the module notes); arrays of vocabulary ids."""

    key: str
    content: str  # `content_key`: documents with the same title and text share all but their chunk ids
    doc_id: str
    chunk_lines: bytes  # chunks.jsonl lines
    chunk_ids: list[str]
    token_ptr: np.ndarray  # chunk i's tokens are token_ids[token_ptr[i]:token_ptr[i + 1]]
    token_ids: np.ndarray
    token_tf: np.ndarray
    chunk_length: np.ndarray  # tokens per chunk, repeats included (BM25's document length)
    term_ids: np.ndarray
    term_chunks: np.ndarray  # how many of the chunks hold the term
    restorer: np.ndarray  # rows (kind, key id, form id, count, order of first occurrence)

    @property
    def needs(self) -> int:
        """The vocabulary size its ids need."""
        highest = [int(a.max()) for a in (self.token_ids, self.term_ids, self.restorer[:, 1:3]) if a.size]
        return max(highest, default=-1) + 1

    def chunks(self) -> list[Chunk]:
        """The document's chunks."""
        return [Chunk.from_json(line) for line in self.chunk_lines.decode("utf-8").splitlines()]

    def for_document(self, doc: DocumentRecord, key: str) -> Segment:
        """This segment for another document of the same title and text (chunk ids carry the document id)."""
        lines = []
        for line in self.chunk_lines.decode("utf-8").splitlines():
            chunk = json.loads(line)
            chunk["id"] = doc.id + chunk["id"][len(self.doc_id) :]
            chunk["doc_id"] = doc.id
            lines.append(json.dumps(chunk, ensure_ascii=False) + "\n")
        chunk_ids = [doc.id + cid[len(self.doc_id) :] for cid in self.chunk_ids]
        return replace(self, key=key, doc_id=doc.id, chunk_lines="".join(lines).encode("utf-8"), chunk_ids=chunk_ids)


def segment_key(doc: DocumentRecord, params: ChunkingParams) -> str:
    """What a document's segment depends on: its manifest fields, its text, the chunking, the versions."""
    digest = sha256()
    header = [VERSION, DiacriticRestorer.VERSION, params.to_dict()]
    digest.update(json.dumps(header).encode())
    digest.update(json.dumps(doc.metadata(), ensure_ascii=False, sort_keys=True).encode())
    digest.update(b"\0")
    digest.update(doc.text.encode("utf-8"))
    return digest.hexdigest()[:32]


def content_key(doc: DocumentRecord, params: ChunkingParams) -> str:
    """What a segment's tokens, terms and restorer counts depend on: title, text, chunking, versions."""
    digest = sha256()
    digest.update(json.dumps([VERSION, DiacriticRestorer.VERSION, params.to_dict(), doc.title]).encode())
    digest.update(b"\0")
    digest.update(doc.text.encode("utf-8"))
    return digest.hexdigest()[:32]


def compute_segment(doc: DocumentRecord, params: ChunkingParams, vocabulary: Vocabulary, key: str = "") -> Segment:
    """Chunk, tokenize and count one document (the per-chunk Python work of a build)."""
    return vocabulary.adopt(*compute_own(doc, params, key))


def compute_own(doc: DocumentRecord, params: ChunkingParams, key: str = "") -> tuple[Segment, list[str]]:
    """`compute_segment` in a vocabulary of the document's own (its strings returned, for `Vocabulary.adopt`):
    needs nothing of the index, so documents can be computed in other processes."""
    vocabulary = Vocabulary()
    chunks = chunk_document(doc, params)
    lines = "".join(c.to_json() + "\n" for c in chunks)
    tokens_of_all: list[str] = []  # every chunk's tokens, one chunk after the other
    lengths = []
    terms: Counter[str] = Counter()
    for chunk in chunks:
        text = chunk.search_text()
        tokens, words = lexical_tokens_and_syllables(text)
        tokens = tokens or [""]
        tokens_of_all.extend(tokens)
        lengths.append(len(tokens))
        spelled = spell_out(text, keep=True)  # as text.document_frequencies counts them
        if spelled != text:
            words = syllables(spelled)
        terms.update(distinct_terms(words))
    # ids in order of first occurrence (as counting chunk by chunk gives them), then each chunk's distinct
    # tokens and their counts (ordered by id within a chunk: the BM25 merge does not depend on that order)
    ids = vocabulary.ids_of(tokens_of_all).astype(np.int64)
    del tokens_of_all
    size = max(len(vocabulary), 1)
    chunk_of = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    distinct, tf = np.unique(chunk_of * size + ids, return_counts=True)
    per_chunk = np.bincount(distinct // size, minlength=len(lengths))
    pointer = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(per_chunk, out=pointer[1:])
    segment = Segment(
        key=key or segment_key(doc, params),
        content=content_key(doc, params),
        doc_id=doc.id,
        chunk_lines=lines.encode("utf-8"),
        chunk_ids=[c.id for c in chunks],
        token_ptr=pointer,
        token_ids=(distinct % size).astype(np.int32),
        token_tf=tf.astype(np.int32),
        chunk_length=np.array(lengths, dtype=np.int32),
        term_ids=vocabulary.ids_of(terms),
        term_chunks=np.fromiter(terms.values(), dtype=np.int32, count=len(terms)),
        restorer=restorer_rows(doc.title + "\n" + doc.text, vocabulary),
    )
    return segment, vocabulary.strings


def compute_own_task(task: tuple[DocumentRecord, ChunkingParams, str]) -> tuple[Segment, list[str]]:
    """`compute_own` of one (document, params, key), for a process pool."""
    return compute_own(*task)


def restorer_rows(text: str, vocabulary: Vocabulary, times: int = 1, pairs_only: bool = False) -> np.ndarray:
    """`DiacriticRestorer.count` of `text` (counted `times` over; only its pairs with `pairs_only`) as rows
    of vocabulary ids."""
    rows = []
    for kind, counts in enumerate(DiacriticRestorer.count(text)):
        if not counts or (pairs_only and kind < 2):
            continue
        keys = vocabulary.ids_of(key for key, _ in counts)
        forms = vocabulary.ids_of(form for _, form in counts)
        n = len(counts)
        block = np.empty((n, 5), dtype=np.int32)
        block[:, 0], block[:, 1], block[:, 2] = kind, keys, forms
        block[:, 3] = np.fromiter(counts.values(), dtype=np.int64, count=n) * times
        block[:, 4] = np.arange(n)
        rows.append(block)
    return np.concatenate(rows) if rows else np.zeros((0, 5), dtype=np.int32)


class SegmentStore:
    """The segments folder of an index (only the build lock's holder writes it)."""

    def __init__(self, index_dir: Path) -> None:
        self.folder = index_dir / SEGMENTS_DIR
        self.folder.mkdir(parents=True, exist_ok=True)
        self.vocabulary = Vocabulary(self.folder / "vocab.txt")

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.seg"

    def keep_only(self, keys: Iterable[str]) -> None:
        """Remove every segment but these (left by builds that were killed or undone), and temporaries."""
        wanted = {self.path(k).name for k in keys}
        for path in self.folder.iterdir():
            if path.name.startswith(".") or (path.suffix == ".seg" and path.name not in wanted):
                path.unlink(missing_ok=True)

    def load(self, key: str) -> Segment | None:
        """A stored segment whose ids the vocabulary holds, or None (missing, unreadable, or of ids not saved)."""
        try:
            raw = self.path(key).read_bytes()
            header_end = raw.index(b"\n")
            info = json.loads(raw[:header_end])
            if info.get("needs", 0) > len(self.vocabulary) or len(raw) != header_end + 1 + info["size"]:
                return None
            arrays, offset = {}, header_end + 1
            for name, dtype, shape in info["arrays"]:
                count = int(np.prod(shape))
                arrays[name] = np.frombuffer(raw, dtype=dtype, count=count, offset=offset).reshape(shape)
                offset += count * np.dtype(dtype).itemsize
            lines = raw[offset:]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return Segment(
            key=key,
            content=info["content"],
            doc_id=info["doc_id"],
            chunk_lines=lines,
            chunk_ids=info["chunk_ids"],
            **arrays,
        )

    def save(self, segment: Segment) -> None:
        """Write a segment whole (a temporary file, then a rename): a JSON line, then the arrays and chunk lines raw."""
        arrays = {name: np.ascontiguousarray(getattr(segment, name)) for name in _ARRAYS}
        body = b"".join(a.tobytes() for a in arrays.values()) + segment.chunk_lines
        info = {
            "doc_id": segment.doc_id,
            "content": segment.content,
            "chunk_ids": segment.chunk_ids,
            "needs": segment.needs,
            "arrays": [[name, a.dtype.str, list(a.shape)] for name, a in arrays.items()],
            "size": len(body),
        }
        tmp = self.folder / f".{segment.key}.tmp"
        tmp.write_bytes(json.dumps(info, ensure_ascii=False).encode("utf-8") + b"\n" + body)
        os.replace(tmp, self.path(segment.key))


_ARRAYS = ("token_ptr", "token_ids", "token_tf", "chunk_length", "term_ids", "term_chunks", "restorer")


@dataclass
class Merged:
    """The keyword side of a generation, merged from its segments."""

    bm25: bm25s.BM25
    restorer: DiacriticRestorer
    frequencies: dict[str, int]
    chunk_count: int


def merge_segments(segments: Sequence[Segment], vocabulary: Vocabulary) -> Merged:
    """One BM25 index, restorer and term table over the segments' chunks, in their order."""
    strings = vocabulary.strings
    bm25 = _merge_bm25(segments, strings)
    restorer = _merge_restorer(segments, vocabulary)
    term_ids = np.concatenate([s.term_ids for s in segments]) if segments else np.zeros(0, dtype=np.int64)
    term_chunks = np.concatenate([s.term_chunks for s in segments]) if segments else np.zeros(0, dtype=np.int64)
    totals = np.bincount(term_ids, weights=term_chunks, minlength=0).astype(np.int64)
    present = np.flatnonzero(totals)
    frequencies = dict(zip([strings[i] for i in present.tolist()], totals[present].tolist()))
    return Merged(bm25, restorer, frequencies, int(bm25.scores["num_docs"]))


def _concat(arrays: Iterator[np.ndarray], dtype: Any) -> np.ndarray:
    parts = list(arrays)
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype=dtype)


def _merge_bm25(segments: Sequence[Segment], strings: list[str]) -> bm25s.BM25:
    """The scores bm25s would precompute for these chunks (same formula, same float operations).

    bm25s (method "lucene"): idf = log(1 + (N - df + 0.5) / (df + 0.5)) in float32, and per chunk
    tf / (k1 * ((1 - b) + b * length / mean length) + tf) in float64, times idf, stored as float32.
    """
    lengths = _concat((s.chunk_length for s in segments), np.int64)
    n_docs = len(lengths)
    avg_doc_len = lengths.mean() if n_docs else np.float64(0.0)
    token_ids = _concat((s.token_ids for s in segments), np.int32)
    tf = _concat((s.token_tf for s in segments), np.float32)
    per_chunk = np.concatenate([np.diff(s.token_ptr) for s in segments]) if segments else np.zeros(0, dtype=np.int64)
    doc_idx = np.repeat(np.arange(n_docs, dtype=np.int32), per_chunk)
    # the tokens present, numbered in vocabulary order (a counting pass: no sort of the postings)
    df_by_id = np.bincount(token_ids, minlength=len(strings))
    used = np.flatnonzero(df_by_id)
    column_of = np.zeros(len(strings), dtype=np.int32)
    column_of[used] = np.arange(len(used), dtype=np.int32)
    columns = column_of[token_ids]
    del token_ids, column_of
    df = df_by_id[used]
    idf_of = {int(d): math.log(1 + (n_docs - int(d) + 0.5) / (int(d) + 0.5)) for d in np.unique(df)}
    idf = np.array([idf_of[int(d)] for d in df], dtype=np.float32)
    data = np.empty(len(tf), dtype=np.float32)
    step = 4_000_000  # bounded temporaries
    for start in range(0, len(tf), step):
        part = slice(start, start + step)
        length = lengths[doc_idx[part]].astype(np.float64)
        tf64 = tf[part].astype(np.float64)
        tfc = tf64 / (K1 * ((1 - B) + B * length / avg_doc_len) + tf64)
        data[part] = idf[columns[part]].astype(np.float64) * tfc
    del tf
    matrix = sp.csc_matrix((data, (doc_idx, columns)), shape=(n_docs, len(used)), dtype=np.float32)
    retriever = bm25s.BM25(k1=K1, b=B)
    retriever.scores = {
        "data": matrix.data,
        "indices": matrix.indices,
        "indptr": matrix.indptr,
        "num_docs": n_docs,
    }
    retriever.vocab_dict = {strings[g]: i for i, g in enumerate(used.tolist())}
    retriever.nonoccurrence_array = None  # as bm25s leaves it for method "lucene"
    return retriever


def _merge_restorer(segments: Sequence[Segment], vocabulary: Vocabulary) -> DiacriticRestorer:
    """`DiacriticRestorer.learn` over the question lexicon (20 times, first), the place names and the segments'
    texts, in order.

    Per (kind, key, form): the counts summed, and the first occurrence (text, then order in it);
    per (kind, key) the form counted most, the first to occur among equals, as Counter.most_common.
    """
    lexicon = restorer_rows(QUESTION_LEXICON, vocabulary, times=20)
    places = restorer_rows(PLACE_LEXICON, vocabulary, pairs_only=True)
    parts = [lexicon, places, *(s.restorer for s in segments)]
    rows = np.concatenate(parts).astype(np.int64)
    text = np.repeat(np.arange(len(parts), dtype=np.int64), [len(p) for p in parts])
    count = rows[:, 3]
    first = (text << 32) | rows[:, 4]
    if len(vocabulary) >= 2**30:
        raise ValueError("vocabulary too large for the restorer's merge (2**30 strings)")
    group = (rows[:, 0] << 60) | (rows[:, 1] << 30) | rows[:, 2]  # (kind, key, form)
    del rows, text
    # (kind, key, form) groups: total count, earliest occurrence
    order = np.lexsort((first, group))
    group, count, first = group[order], count[order], first[order]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    group, first, count = group[starts], first[starts], np.add.reduceat(count, starts)
    # per (kind, key): most counted, then earliest
    kind_key = group >> 30
    order = np.lexsort((first, -count, kind_key))
    group, kind_key, count = group[order], kind_key[order], count[order]
    heads = np.flatnonzero(np.r_[True, kind_key[1:] != kind_key[:-1]])
    totals = np.add.reduceat(count, heads)
    kind, key, form = group >> 60, (group >> 30) & (2**30 - 1), group & (2**30 - 1)
    strings = vocabulary.strings
    chosen: dict[str, dict[str, str]] = {name: {} for name in _KINDS}
    for k in range(len(_KINDS)):
        mine = heads[kind[heads] == k]
        chosen[_KINDS[k]] = dict(
            zip([strings[i] for i in key[mine].tolist()], [strings[i] for i in form[mine].tolist()])
        )
    bi_heads = kind[heads] == _KINDS.index("bi")
    pair_totals = {
        strings[i]: int(t) for i, t in zip(key[heads][bi_heads].tolist(), totals[bi_heads].tolist()) if t > 1
    }
    unigrams = {k: chosen["free"].get(k, form) for k, form in chosen["uni"].items()}
    return DiacriticRestorer(unigrams, chosen["bi"], pair_totals)
