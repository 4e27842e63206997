"""Plain data types passed between the pipeline stages."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any

__all__ = ["Answer", "Chunk", "Citation", "DocumentKind", "DocumentRecord", "Filters", "Hit", "Provision"]


# Every place that names document kinds reads them from this enum. Each member carries how people
# read it: `label` (the web page, /admin, `khuyencong add`), `short` (the chat bots' /nguon list), and
# `printed`, the type names printed in a document's header that make it this kind (`legal.recognise`:
# "QUYẾT ĐỊNH" -> regulation); a document whose type is none of these is NEWS. Adding a kind is adding
# a member: the CLI's `--kind`, the manifest check, the API schema and `GET /kinds` (which the pages
# read) follow (tests/test_document_kinds.py).
class DocumentKind(StrEnum):
    """What a document is: the manifest's `kind`."""

    label: str
    short: str
    printed: tuple[str, ...]

    # Makes the members; afterwards `DocumentKind("report")` looks one up (the defaults are for that call's type).
    def __new__(cls, value: str, label: str = "", short: str = "", printed: tuple[str, ...] = ()) -> DocumentKind:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        member.short = short
        member.printed = printed
        return member

    REGULATION = (
        "regulation",
        "Văn bản quy phạm",
        "Văn bản quy phạm",
        (
            "Nghị định",
            "Quyết định",
            "Thông tư liên tịch",
            "Thông tư",
            "Nghị quyết",
            "Luật",
            "Pháp lệnh",
            "Chỉ thị",
            "Quy chế",
            "Quy định",
        ),
    )
    DIRECTION_LETTER = (
        "direction_letter",
        "Công văn chỉ đạo",
        "Công văn",
        ("Công văn", "Thông báo", "Hướng dẫn", "Kế hoạch", "Tờ trình"),
    )
    REPORT = "report", "Báo cáo", "Báo cáo", ("Báo cáo",)
    NEWS = "news", "Tin tức", "Tin"

    @classmethod
    def parse(cls, value: object) -> DocumentKind | None:
        """The kind named `value` ("report"), or None when no kind has that name."""
        return next((kind for kind in cls if kind.value == value), None)

    @classmethod
    def choices(cls) -> str:
        """The kinds' names, for a message saying which to pick: "regulation, direction_letter, …"."""
        return ", ".join(cls)


@dataclass(frozen=True)
class DocumentRecord:
    """One manifest entry together with the document's NFC text."""

    id: str
    file: str
    title: str
    kind: DocumentKind
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
class Provision:
    """Where a line of a legal text stands: article `number` ("4"; an annex's "II" when `annex`), clause, point."""

    number: str
    clause: str = ""
    point: str = ""
    annex: bool = False

    @property
    def article(self) -> str:
        """ "Điều 4", "Phụ lục II"."""
        return f"Phụ lục {self.number}".strip() if self.annex else f"Điều {self.number}"

    def __str__(self) -> str:
        """ "Điều 4, khoản 2, điểm a" (the locator a citation shows)."""
        parts = (self.article, self.clause and f"khoản {self.clause}", self.point and f"điểm {self.point}")
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class Chunk:
    """A passage of one document, with a human locator, its character span and, in a legal text, the
    `Provision` it starts in (None in the preamble, the signature block and texts of no articles)."""

    id: str
    doc_id: str
    text: str
    locator: str
    start: int
    end: int
    heading: str = ""
    provision: Provision | None = None

    def to_json(self) -> str:
        """One chunks.jsonl line (without its newline): `asdict(self)` as JSON, without its deep copy."""
        data = {name: getattr(self, name) for name in _CHUNK_FIELDS}
        if self.provision is not None:
            data["provision"] = {name: getattr(self.provision, name) for name in _PROVISION_FIELDS}
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str | bytes) -> Chunk:
        """The chunk of a chunks.jsonl line."""
        data = json.loads(line)
        provision = data.pop("provision")  # a line written before provisions were stored: KeyError, not None
        return cls(**data, provision=Provision(**provision) if provision is not None else None)

    def search_text(self) -> str:
        """Text used for lexical and dense matching: heading path plus body."""
        if self.heading and not self.text.startswith(self.heading):
            return f"{self.heading}\n{self.text}"
        return self.text


_CHUNK_FIELDS = tuple(f.name for f in fields(Chunk))
_PROVISION_FIELDS = tuple(f.name for f in fields(Provision))


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
    provision: Provision | None = None  # where `locator` points (its article at least); None: no article, or unknown

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
