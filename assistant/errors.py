"""Errors raised by the assistant library.

Every error carries a Vietnamese message for the user that names the next step,
and a stable `code` for JSON clients::

    AssistantError
     ├── BadQuestion            the question is empty, too long or unreadable
     ├── IndexMissing           no index has been built yet, or it is being rebuilt
     ├── IndexCorrupt           the index on disk cannot be read
     ├── CorpusError            the manifest and the files on disk disagree
     │    └── DocumentUnreadable a corpus file cannot be read or decoded
     ├── VectorStoreError       Chroma (embedded or server) failed
     ├── ModelUnavailable       an embedding model or LLM cannot be loaded or reached
     ├── NotFound               an unknown document id (or similar)
     ├── RateLimited            one client sent too many requests; `retry_after` seconds to wait
     └── ConfigError            a KHUYENCONG_* variable has a value that cannot be used
"""

from __future__ import annotations

__all__ = [
    "AssistantError",
    "BadQuestion",
    "ConfigError",
    "CorpusError",
    "DocumentUnreadable",
    "IndexCorrupt",
    "IndexMissing",
    "ModelUnavailable",
    "NotFound",
    "RateLimited",
    "VectorStoreError",
]


class AssistantError(Exception):
    """Base class: `message` is Vietnamese text fit to show a user."""

    code = "assistant_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadQuestion(AssistantError):
    """The question cannot be answered as typed."""

    code = "bad_question"


class IndexMissing(AssistantError):
    """No usable index exists yet."""

    code = "index_missing"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message or "Chưa có chỉ mục tài liệu. Hãy chạy `khuyencong index` để xây dựng chỉ mục rồi hỏi lại."
        )


class IndexCorrupt(AssistantError):
    """The index on disk is damaged or from an incompatible version."""

    code = "index_corrupt"


class CorpusError(AssistantError):
    """The corpus folder or its manifest is inconsistent."""

    code = "corpus_error"


class DocumentUnreadable(CorpusError):
    """A document file cannot be read."""

    code = "document_unreadable"


class VectorStoreError(AssistantError):
    """The vector store (Chroma) failed."""

    code = "vector_store_error"


class ModelUnavailable(AssistantError):
    """An embedding model or language model cannot be used."""

    code = "model_unavailable"


class NotFound(AssistantError):
    """The requested item does not exist."""

    code = "not_found"


class RateLimited(AssistantError):
    """Too many requests from one client; it may try again after `retry_after` seconds."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConfigError(AssistantError):
    """A setting from the environment cannot be used as given."""

    code = "config_error"
