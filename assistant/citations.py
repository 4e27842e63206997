"""One citation per passage: quotes from the same place of a document share one source number."""

from __future__ import annotations

from collections.abc import Callable

from .types import Citation

__all__ = ["one_per_passage"]


def one_per_passage(citations: list[Citation], text_of: Callable[[str], str]) -> tuple[list[Citation], list[int]]:
    """The citations with those of one passage (same document, same locator) merged, in first-cited order,
    and for each given citation the 1-based number of the one it became.

    A merged citation spans from the first quoted character to the last and quotes the
    document's exact text in between, so `text[start:end] == quote` still holds.
    """
    merged: list[Citation] = []
    where: dict[tuple[str, str], int] = {}
    numbers: list[int] = []
    for citation in citations:
        key = (citation.doc_id, citation.locator)
        if key not in where:
            where[key] = len(merged)
            merged.append(citation)
        else:
            merged[where[key]] = _spanning(merged[where[key]], citation, text_of(citation.doc_id))
        numbers.append(where[key] + 1)
    return merged, numbers


def _spanning(first: Citation, other: Citation, text: str) -> Citation:
    start, end = min(first.start, other.start), max(first.end, other.end)
    score = max(first.score, other.score)
    return Citation(first.doc_id, first.title, first.locator, text[start:end], score, start, end, first.provision)
