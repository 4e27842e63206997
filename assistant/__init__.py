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
from .types import Answer, Chunk, Citation, DocumentRecord, Filters, Hit

__all__ = [
    "Assistant",
    "Settings",
    "Answer",
    "Citation",
    "Chunk",
    "DocumentRecord",
    "Filters",
    "Hit",
    "IndexReport",
    "AnswerParams",
    "FusionParams",
    "NOT_FOUND",
    "AssistantError",
    "BadQuestion",
    "CorpusError",
    "DocumentUnreadable",
    "IndexCorrupt",
    "IndexMissing",
    "ModelUnavailable",
    "NotFound",
    "VectorStoreError",
]

__version__ = "0.1.0"
