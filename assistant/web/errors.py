"""Errors as JSON with a Vietnamese message and a stable code, and the request-body size limit.

Status codes (`STATUS`, one per class of the error tree): BadQuestion and InvalidEvent 400,
malformed JSON 400, a bad Range header 400 (BadRange; one past the end, UnsatisfiableRange, 416),
EventRefused 403, NotFound 404, body too large 413, wrong types or missing fields 422,
RateLimited 429 (with Retry-After), CorpusError and ConfigError 500, ChannelError 502,
IndexMissing/IndexCorrupt/VectorStoreError/ModelUnavailable 503 (Retry-After: 30),
anything else 500 (logged, never a traceback in the response).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import (
    AdminUnauthorized,
    AssistantError,
    BadQuestion,
    BadRange,
    BadUpload,
    BotConfigError,
    ChannelError,
    ConfigError,
    ConversationUnknown,
    CorpusError,
    DocumentUnreadable,
    EventRefused,
    IndexCorrupt,
    IndexMissing,
    InvalidEvent,
    ModelUnavailable,
    NotFound,
    RateLimited,
    UnsatisfiableRange,
    VectorStoreError,
    ZaloError,
)
from ..facade import EXAMPLE_QUESTION
from .schemas import ErrorBody, ErrorResponse

__all__ = ["MAX_BODY_BYTES", "STATUS", "BodyLimit", "error_response", "install_error_handlers", "status_of"]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
RETRY_UNAVAILABLE = 30  # seconds, for a 503

# Every class of the error tree (tests/test_errors.py checks that none is missing).
STATUS: dict[type[AssistantError], int] = {
    AssistantError: 500,
    BadQuestion: 400,
    InvalidEvent: 400,
    EventRefused: 403,
    NotFound: 404,
    ConversationUnknown: 404,
    RateLimited: 429,
    CorpusError: 500,  # the server's own corpus folder is inconsistent
    DocumentUnreadable: 500,
    ConfigError: 500,  # the server was started with a value it cannot use
    BotConfigError: 500,
    ChannelError: 502,  # a chat service behind us failed
    ZaloError: 502,
    BadRange: 400,  # a Range header of a page or static file
    UnsatisfiableRange: 416,
    AdminUnauthorized: 401,
    BadUpload: 400,  # 413 when too large (status_of)
    IndexMissing: 503,
    IndexCorrupt: 503,
    VectorStoreError: 503,
    ModelUnavailable: 503,
}

_FIELD_PROBLEMS = {
    "missing": "bị thiếu (bắt buộc)",
    "string_type": "phải là chuỗi văn bản",
    "bool_type": "phải là true hoặc false",
    "bool_parsing": "phải là true hoặc false",
    "int_type": "phải là số nguyên",
    "int_parsing": "phải là số nguyên",
    "int_from_float": "phải là số nguyên",
    "literal_error": "phải là một trong: {expected}",
    "enum": "phải là một trong: {expected}",
    "string_pattern_mismatch": "sai định dạng (chỉ gồm chữ không dấu, số, '-' và '_', tối đa 64 ký tự)",
    "string_too_long": "quá dài (tối đa {max_length} ký tự)",
    "greater_than_equal": "phải lớn hơn hoặc bằng {ge}",
    "less_than_equal": "phải nhỏ hơn hoặc bằng {le}",
    "model_attributes_type": "phải là một đối tượng JSON",
    "dict_type": "phải là một đối tượng JSON",
    "model_type": "phải là một đối tượng JSON",
}

INVALID_JSON = (
    "invalid_json",
    "Nội dung gửi lên không phải JSON hợp lệ (UTF-8). Gửi dạng "
    f'{{"question": "{EXAMPLE_QUESTION}"}} với Content-Type: application/json.',
)
_HTTP_MESSAGES = {
    400: INVALID_JSON,  # the only 400 the framework raises: a body it cannot parse (bad UTF-8, nested too deep)
    404: ("not_found", "Không có đường dẫn này. Xem danh sách API tại /docs."),
    405: ("method_not_allowed", "Phương thức HTTP này không dùng được cho đường dẫn này. Xem /docs."),
}


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[str] | None = None,
    retry_after: int | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The JSON error body every failure uses; a 503 says to retry after 30 s unless told otherwise."""
    body = ErrorResponse(error=ErrorBody(code=code, message=message, details=details or []))
    if retry_after is None and status == 503:
        retry_after = RETRY_UNAVAILABLE
    headers = dict(headers or {})
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return JSONResponse(body.model_dump(), status_code=status, headers=headers or None)


def status_of(error: AssistantError) -> int:
    """The HTTP status of an error of the tree (of its nearest listed class)."""
    if isinstance(error, BadUpload) and error.too_large:
        return 413
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def _field_problem(error: dict[str, Any]) -> str:
    loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
    template = _FIELD_PROBLEMS.get(error.get("type", ""), "không hợp lệ")
    try:
        problem = template.format(**error.get("ctx", {})).replace("' or '", "' hoặc '")  # pydantic's English "or"
    except (KeyError, IndexError):
        problem = "không hợp lệ"
    if not loc:
        return f'Nội dung gửi lên {problem}, ví dụ {{"question": "{EXAMPLE_QUESTION}"}}.'
    return f"Trường “{'.'.join(loc)}” {problem}."


async def _on_assistant_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AssistantError)
    return error_response(
        status_of(exc),
        exc.code,
        exc.message,
        retry_after=getattr(exc, "retry_after", None),
        headers=getattr(exc, "headers", None),
    )


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, *INVALID_JSON)
    details = [_field_problem(e) for e in errors]
    return error_response(422, "invalid_request", "Yêu cầu không hợp lệ: " + " ".join(details[:3]), details)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, message = _HTTP_MESSAGES.get(exc.status_code, ("http_error", "Yêu cầu không thực hiện được."))
    return error_response(exc.status_code, code, message)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "Lỗi không mong đợi ở máy chủ. Vui lòng thử lại sau ít phút.")


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyLimit:
    """Refuse request bodies over `limit` bytes with 413, before any route reads them."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.larger = larger or {}  # path -> its own limit (the /admin file upload)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope.get("path", ""), self.limit)
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > limit:
                await self._refuse(scope, receive, send, limit)
                return
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        if limit != self.limit:
            megabytes = f"{limit / (1024 * 1024):g}".replace(".", ",")  # MB as downloads count them (readers.MB)
            message = f"Tệp gửi lên quá lớn (tối đa {megabytes} MB). Hãy tách văn bản hoặc giảm cỡ ảnh trong tệp."
            response = error_response(413, "upload_too_large", message)
        else:
            response = error_response(
                413,
                "body_too_large",
                f"Nội dung gửi lên quá lớn (tối đa {limit // 1024} KiB). Hãy rút gọn câu hỏi hoặc góp ý.",
            )
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def install_error_handlers(app: FastAPI) -> None:
    """Route every failure through `error_response`."""
    app.add_exception_handler(AssistantError, _on_assistant_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
