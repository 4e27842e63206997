"""Plain data types passed between the pipeline stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Answer", "Chunk", "Citation", "DocumentRecord", "Filters", "Hit"]

DOCUMENT_KINDS = ("regulation", "direction_letter", "report", "news")
# how staff and users read each kind (the CLI's `add` report, the /admin page)
KIND_LABELS = {
    "regulation": "Văn bản quy phạm",
    "direction_letter": "Công văn chỉ đạo",
    "report": "Báo cáo",
    "news": "Tin tức",
}


@dataclass(frozen=True)
class DocumentRecord:
    """One manifest entry together with the document's NFC text."""

    id: str
    file: str
    title: str
    kind: str
    text: str = ""
    number: str | None = None
    issuer: str | None = None
    province: str | None = None
    date: str | None = None
    year: int | None = None
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        """Return the manifest fields without the text."""
        data = asdict(self)
        data.pop("text")
        extra = data.pop("extra")
        data.update(extra)
        return data


@dataclass(frozen=True)
class Chunk:
    """A passage of one document, with a human locator and its character span."""

    id: str
    doc_id: str
    text: str
    locator: str
    start: int
    end: int
    heading: str = ""

    def search_text(self) -> str:
        """Text used for lexical and dense matching: heading path plus body."""
        if self.heading and not self.text.startswith(self.heading):
            return f"{self.heading}\n{self.text}"
        return self.text


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score and the per-retriever ranks."""

    chunk: Chunk
    score: float
    lexical_rank: int | None = None
    dense_rank: int | None = None
    lexical_score: float = 0.0
    dense_score: float = 0.0

    def to_dict(self, title: str = "") -> dict[str, Any]:
        """JSON form used by `search --json` and the HTTP API."""
        return {
            "chunk_id": self.chunk.id,
            "doc_id": self.chunk.doc_id,
            "title": title,
            "locator": self.chunk.locator,
            "text": self.chunk.text,
            "score": round(self.score, 4),
            "lexical_rank": self.lexical_rank,
            "dense_rank": self.dense_rank,
        }


@dataclass(frozen=True)
class Citation:
    """The passage an answer rests on: where it is and the exact words quoted."""

    doc_id: str
    title: str
    locator: str
    quote: str
    score: float
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        """JSON form of a citation (the public `ask --json` schema)."""
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "locator": self.locator,
            "quote": self.quote,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class Answer:
    """What `Assistant.ask` returns."""

    answer: str
    found: bool
    citations: list[Citation] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON form: {"answer", "found", "citations"}."""
        return {
            "answer": self.answer,
            "found": self.found,
            "citations": [c.to_dict() for c in self.citations],
        }


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to documents whose manifest fields match."""

    province: str | None = None
    kind: str | None = None
    year: int | None = None

    def __post_init__(self) -> None:
        # a blank field ("?province=") asks for no restriction, not for documents with a blank province
        for name in ("province", "kind"):
            value = getattr(self, name)
            if isinstance(value, str) and not value.strip():
                object.__setattr__(self, name, None)

    def is_empty(self) -> bool:
        """True when no field is set."""
        return self.province is None and self.kind is None and self.year is None
