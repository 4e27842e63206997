"""Hybrid retrieval: BM25 over folded tokens and dense vectors, fused by reciprocal rank.

A query typed without diacritics matches the lexical index as it is (the index is
folded) and gets its diacritics restored from the corpus's own vocabulary before it
is embedded, since the embedding model reads accented Vietnamese far better.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from .embeddings import EmbeddingBackend
from .indexing import LoadedIndex, VectorStore
from .query import Query
from .text import expand_abbreviations, has_diacritics
from .types import Filters, Hit

__all__ = ["FusionParams", "HybridRetriever", "LangChainRetriever", "dense_query_text", "fuse", "lead"]


@dataclass(frozen=True)
class FusionParams:
    """Reciprocal-rank fusion: score = sum(weight / (k + rank)) over the retrievers.

    `dense_pool` "lexical" lets the dense side only re-order the lexical candidates (it adds
    chunks only when the lexical side finds none); "all" lets it add its own. With
    `confident_margin` > 0 the lexical side is "sure" when its best score leads the second by at
    least that share of the best. What a sure lexical side does:

    - `confident_head` 0: the dense side is not asked at all, the ranking is the lexical one;
    - `confident_head` n > 0: the dense side is asked all the same, the lexical side's first n
      chunks stay on top in its order, and the rest is fused as usual (so the dense side can
      still bring in what BM25 ranks low); with `skip_margin` > 0 a lead of at least that share
      skips the dense side as with 0.
    """

    rrf_k: int = 60
    lexical_weight: float = 1.0
    dense_weight: float = 1.0
    candidates: int = 50
    dense_pool: str = "all"
    # eval/legal_splits.py (each pair of sources chooses, the third is reported: eval/RESULTS.md, issue 15).
    # A kept head (0.15 / 1 / 0.6, chosen on the three sources pooled) closes the one statute cell where
    # dense alone led, but embeds ~96 % of questions and loses a top-5 passage on a held khuyến công
    # set, so the default still skips the dense side when BM25 is sure.
    confident_margin: float = 0.2
    confident_head: int = 0
    skip_margin: float = 0.0

    def lexical_is_confident(self, lexical: list[tuple[int, float]]) -> bool:
        """True when the lexical ranking's lead is at least `confident_margin`."""
        return self.confident_margin > 0 and bool(lexical) and lead(lexical) >= self.confident_margin

    def asks_dense(self, lexical: list[tuple[int, float]]) -> bool:
        """Whether the dense side is asked for a query whose lexical ranking is `lexical`."""
        if self.dense_weight <= 0:
            return False
        if not self.lexical_is_confident(lexical):
            return True
        return self.confident_head > 0 and not (self.skip_margin > 0 and lead(lexical) >= self.skip_margin)

    def kept_head(self, lexical: list[tuple[int, float]]) -> int:
        """How many of the lexical side's first chunks the fusion keeps on top, in its order."""
        return self.confident_head if self.lexical_is_confident(lexical) else 0


def lead(lexical: list[tuple[int, float]]) -> float:
    """Share of the best lexical score by which it leads the second (1.0 for a single match)."""
    if not lexical or lexical[0][1] <= 0:
        return 0.0
    best = lexical[0][1]
    second = lexical[1][1] if len(lexical) > 1 else 0.0
    return (best - second) / best


def fuse(
    lexical: list[tuple[int, float]], dense: list[tuple[int, float]], params: FusionParams
) -> list[tuple[int, float]]:
    """Chunk positions by fused score, best first (ties: lower position), from two ranked lists.

    A sure lexical side's first `params.kept_head` chunks come first in its order; their scores
    are raised where needed so that the scores never increase down the list.
    """
    allowed = {pos for pos, _ in lexical} if params.dense_pool == "lexical" and lexical else None
    fused: dict[int, float] = {}
    for rank, (pos, _) in enumerate(lexical, 1):
        fused[pos] = fused.get(pos, 0.0) + params.lexical_weight / (params.rrf_k + rank)
    if params.dense_weight > 0:
        for rank, (pos, _) in enumerate(dense, 1):
            if allowed is None or pos in allowed:
                fused[pos] = fused.get(pos, 0.0) + params.dense_weight / (params.rrf_k + rank)
    head = [pos for pos, _ in lexical[: params.kept_head(lexical)]]
    kept = set(head)
    rest = sorted(((p, s) for p, s in fused.items() if p not in kept), key=lambda item: (-item[1], item[0]))
    top: list[tuple[int, float]] = []
    floor = rest[0][1] if rest else 0.0
    for pos in reversed(head):
        floor = max(fused[pos], floor)
        top.append((pos, floor))
    return top[::-1] + rest


def dense_query_text(query: str, index: LoadedIndex) -> str:
    """What the embedding model sees: diacritics restored, abbreviations spelled out."""
    if not has_diacritics(query):
        query = index.restorer.restore(query)
    return expand_abbreviations(query)


class HybridRetriever:
    """Ranks chunks of a loaded index for a query."""

    def __init__(
        self,
        index: LoadedIndex,
        store: VectorStore | None,
        backend: EmbeddingBackend | None,
        params: FusionParams | None = None,
    ) -> None:
        self.index = index
        self.store = store
        self.backend = backend
        self.params = params or FusionParams()

    def search(
        self, query: Query | str, k: int = 5, filters: Filters | None = None, params: FusionParams | None = None
    ) -> list[Hit]:
        """Top `k` chunks for `query` (a `Query`, or raw text for callers outside the pipeline).

        `params` overrides the retriever's fusion settings for this call.
        """
        params = params or self.params
        lexical_text = query.search_text if isinstance(query, Query) else query
        dense_text = query.dense_text if isinstance(query, Query) else dense_query_text(query, self.index)
        lexical = self.lexical_ranking(lexical_text, filters, params.candidates)
        dense = self.dense_ranking(dense_text, filters, params.candidates) if params.asks_dense(lexical) else []
        lexical_info = {pos: (rank, score) for rank, (pos, score) in enumerate(lexical, 1)}
        dense_info = {pos: (rank, score) for rank, (pos, score) in enumerate(dense, 1)}
        best = fuse(lexical, dense, params)[:k]
        return [self._hit(pos, score, lexical_info.get(pos), dense_info.get(pos)) for pos, score in best]

    def _hit(self, pos: int, score: float, lexical: tuple[int, float] | None, dense: tuple[int, float] | None) -> Hit:
        return Hit(
            chunk=self.index.chunks[pos],
            score=score,
            lexical_rank=lexical[0] if lexical else None,
            dense_rank=dense[0] if dense else None,
            lexical_score=lexical[1] if lexical else 0.0,
            dense_score=dense[1] if dense else 0.0,
        )

    def lexical_ranking(self, query: str, filters: Filters | None, count: int | None = None) -> list[tuple[int, float]]:
        """The lexical side alone: (chunk position, BM25 score), best first, at most `count` (default: candidates)."""
        scores = self.index.lexical.scores(query, self.index.mask(filters))
        count = min(count or self.params.candidates, len(scores))
        if count == 0:
            return []
        top = np.argpartition(-scores, count - 1)[:count]
        ranked = sorted(((int(i), float(scores[i])) for i in top if scores[i] > 0), key=lambda x: (-x[1], x[0]))
        return ranked

    def dense_ranking(self, query: str, filters: Filters | None, count: int | None = None) -> list[tuple[int, float]]:
        """The dense side alone: (chunk position, cosine similarity), best first; [] without vectors."""
        if self.store is None or self.backend is None:
            return []
        vector = self.backend.embed_question(query)
        found = self.store.query(vector, count or self.params.candidates, filters)
        position = self.index.position
        return [(position[cid], score) for cid, score in found if cid in position]


class LangChainRetriever(BaseRetriever):
    """The assistant's hybrid search as a LangChain retriever."""

    assistant: Any
    k: int = 5
    filters: Filters | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        hits = self.assistant.search(query, k=self.k, filters=self.filters)
        return [
            Document(
                page_content=hit.chunk.text,
                id=hit.chunk.id,
                metadata={
                    "doc_id": hit.chunk.doc_id,
                    "title": self.assistant.title_of(hit.chunk.doc_id),
                    "locator": hit.chunk.locator,
                    "start": hit.chunk.start,
                    "end": hit.chunk.end,
                    "score": hit.score,
                },
            )
            for hit in hits
        ]
