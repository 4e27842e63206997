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
 │    └── ConversationUnknown a conversation id never given out, or expired
     ├── RateLimited            one client sent too many requests; `retry_after` seconds to wait
     ├── BadRange               an HTTP Range header that cannot be read
     ├── UnsatisfiableRange     an HTTP Range header that starts past the end of the file
     ├── AdminUnauthorized      an /admin call without the staff token, or with a wrong one
     ├── BadUpload              a file uploaded in /admin of a type not read, empty or too large
     └── ConfigError            a KHUYENCONG_* variable has a value that cannot be used
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AdminUnauthorized",
    "AssistantError",
    "BadQuestion",
    "BadRange",
    "BadUpload",
    "BotConfigError",
    "ChannelError",
    "ConfigError",
    "ConversationUnknown",
    "CorpusError",
    "DocumentUnreadable",
    "EventRefused",
    "IndexCorrupt",
    "IndexMissing",
    "InvalidEvent",
    "ModelUnavailable",
    "NotFound",
    "RateLimited",
    "UnsatisfiableRange",
    "VectorStoreError",
    "ZaloError",
]


class AssistantError(Exception):
    """Base class: `message` is Vietnamese text fit to show a user; `code` a stable name for programs."""

    code = "assistant_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


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


class ConversationUnknown(NotFound):
    """A follow-up names a conversation this service never opened, or one that expired."""

    code = "conversation_unknown"

    def __init__(self, conversation_id: str, ttl: float) -> None:
        super().__init__(
            f"Không có cuộc trò chuyện mã '{conversation_id}', hoặc nó đã hết hạn ({ttl / 60:g} phút không hỏi). "
            "Hãy gửi lại câu hỏi không kèm conversation_id để bắt đầu cuộc trò chuyện mới."
        )
        self.conversation_id = conversation_id


class RateLimited(AssistantError):
    """Too many requests from one client; it may try again after `retry_after` seconds."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BadRange(AssistantError):
    """A Range header that cannot be read (not `bytes=START-END`, or START after END)."""

    code = "bad_range"

    def __init__(self) -> None:
        super().__init__('Tiêu đề Range không hợp lệ: dùng dạng "bytes=ĐẦU-CUỐI" (ví dụ bytes=0-1023), ĐẦU ≤ CUỐI.')


class UnsatisfiableRange(AssistantError):
    """A Range header that starts past the end of the file (416, with `Content-Range: bytes */SIZE`)."""

    code = "range_not_satisfiable"

    def __init__(self, size: int) -> None:
        super().__init__(f"Khoảng byte yêu cầu nằm ngoài tệp (tệp dài {size} byte). Gửi lại không có tiêu đề Range.")
        self.headers = {"Content-Range": f"bytes */{size}"}


class AdminUnauthorized(AssistantError):
    """An /admin call without `Authorization: Bearer <KHUYENCONG_ADMIN_TOKEN>`, or with a wrong token."""

    code = "unauthorized"
    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": 'Bearer realm="khuyencong-admin"'}


class BadUpload(AssistantError):
    """A file uploaded in /admin that cannot be taken: type not read, empty, too large (`too_large`)."""

    code = "bad_upload"

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message, code="upload_too_large" if too_large else None)
        self.too_large = too_large


class ConfigError(AssistantError):
    """A setting from the environment cannot be used as given."""

    code = "config_error"


class BotConfigError(ConfigError):
    """A bot cannot start: a variable is missing or malformed."""

    code = "bot_config"


class ChannelError(AssistantError):
    """A chat channel (Telegram, Zalo OA) failed."""

    code = "channel_error"


class InvalidEvent(ChannelError):
    """A webhook received a body that is not an event of its channel."""

    code = "invalid_event"


class EventRefused(ChannelError):
    """A webhook call came without the channel's secret or signature."""

    code = "forbidden"


class ZaloError(ChannelError):
    """The Zalo OA API refused a call (and renewing the token did not help)."""

    code = "zalo_error"
