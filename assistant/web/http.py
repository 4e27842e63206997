"""The HTTP layer under the app: malformed requests and byte ranges answered as JSON errors too.

uvicorn answers a request it cannot parse (a bad request line, a negative or non-numeric
Content-Length, a header it refuses) before the app sees it, with its own plain-text
"Invalid HTTP request received."; Starlette's FileResponse answers a bad or unsatisfiable
Range header with plain text as well. Here both say it as every other error does:
`{"error": {"code", "message", "details"}}` with a Vietnamese message.

`serve` runs uvicorn with `http=JSON_ERRORS_PROTOCOL` (uvicorn's own choice of parser, httptools
when installed, else h11, with only the 400 changed); `uvicorn --http assistant.web.http:JSONErrorProtocol`
does the same from uvicorn's command line. The page and static-file routes use `RangeFileResponse`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
from starlette.datastructures import Headers
from starlette.responses import FileResponse, MalformedRangeHeader, RangeNotSatisfiable, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..errors import BadRange, UnsatisfiableRange
from .schemas import ErrorBody, ErrorResponse

__all__ = [
    "JSON_ERRORS_PROTOCOL",
    "H11JSONErrors",
    "JSONErrorProtocol",
    "RangeFileResponse",
    "RangeStaticFiles",
    "malformed_request_body",
]

JSON_ERRORS_PROTOCOL = "assistant.web.http:JSONErrorProtocol"  # importable by every uvicorn worker
MALFORMED_REQUEST = (
    "bad_http_request",
    "Yêu cầu HTTP sai dạng (dòng yêu cầu, tiêu đề hoặc Content-Length không hợp lệ) nên máy chủ không đọc được. "
    "Hãy gửi lại một yêu cầu HTTP/1.1 đúng chuẩn; xem /docs.",
)


def malformed_request_body() -> bytes:
    """The JSON error body (UTF-8) for a request that could not be parsed as HTTP."""
    code, message = MALFORMED_REQUEST
    body = ErrorResponse(error=ErrorBody(code=code, message=message))
    return json.dumps(body.model_dump(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_HEADERS = [(b"content-type", b"application/json"), (b"connection", b"close")]


class H11JSONErrors(H11Protocol):
    """uvicorn's h11 protocol, whose 400 for an unparsable request is our JSON error."""

    def send_400_response(self, msg: str) -> None:
        body = malformed_request_body()
        headers = [*_HEADERS, (b"content-length", str(len(body)).encode("ascii"))]
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"), h11.Data(data=body)):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.write(self.conn.send(h11.EndOfMessage()) or b"")
        self.transport.close()


def _httptools_protocol() -> type[asyncio.Protocol] | None:
    try:
        from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
    except ImportError:  # httptools is optional for uvicorn
        return None

    class HttpToolsJSONErrors(HttpToolsProtocol):
        """uvicorn's httptools protocol, whose 400 for an unparsable request is our JSON error."""

        def send_400_response(self, msg: str) -> None:
            body = malformed_request_body()
            lines = [STATUS_LINE[400]]
            headers = [*self.server_state.default_headers, *_HEADERS, (b"content-length", str(len(body)).encode())]
            lines += [name + b": " + value + b"\r\n" for name, value in headers]
            self.transport.write(b"".join([*lines, b"\r\n", body]))
            self.transport.close()

    return HttpToolsJSONErrors


# uvicorn's "auto": httptools when it is installed, else h11.
JSONErrorProtocol: type[asyncio.Protocol] = _httptools_protocol() or H11JSONErrors


# ------------------------------------------------------------------ byte ranges
class RangeFileResponse(FileResponse):
    """A FileResponse whose Range errors are raised, so that the app's handlers answer them as JSON."""

    @classmethod
    def _parse_range_header(cls, http_range: str, file_size: int) -> list[tuple[int, int]]:
        try:
            return super()._parse_range_header(http_range, file_size)
        except MalformedRangeHeader:
            raise BadRange() from None
        except RangeNotSatisfiable as exc:
            raise UnsatisfiableRange(exc.max_size) from None


class RangeStaticFiles(StaticFiles):
    """StaticFiles serving `RangeFileResponse`s."""

    def file_response(self, full_path: Any, stat_result: Any, scope: Any, status_code: int = 200) -> Response:
        response = RangeFileResponse(full_path, status_code=status_code, stat_result=stat_result)
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response
