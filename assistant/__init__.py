"""khuyencong-assistant: question answering over khuyến công documents, with citations."""

from .answering import NOT_FOUND, AnswerParams
from .config import Settings
from .errors import (
    AssistantError,
    BadQuestion,
    CorpusError,
    DocumentUnreadable,
    IndexCorrupt,
    IndexMissing,
    ModelUnavailable,
    NotFound,
    VectorStoreError,
)
from .facade import Assistant
from .indexing import IndexReport
from .retrieval import FusionParams
from .session import Exchange, Session
from .types import Answer, Chunk, Citation, DocumentRecord, Filters, Hit

__all__ = [
    "NOT_FOUND",
    "Answer",
    "AnswerParams",
    "Assistant",
    "AssistantError",
    "BadQuestion",
    "Chunk",
    "Citation",
    "CorpusError",
    "DocumentRecord",
    "DocumentUnreadable",
    "Exchange",
    "Filters",
    "FusionParams",
    "Hit",
    "IndexCorrupt",
    "IndexMissing",
    "IndexReport",
    "ModelUnavailable",
    "NotFound",
    "Session",
    "Settings",
    "VectorStoreError",
]

__version__ = "0.1.0"
