"""Requests the app never sees whole: malformed HTTP and bad byte ranges, sent as raw bytes over a socket
to a real server (`khuyencong serve` in its own process, and uvicorn with the h11 parser in a thread)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from processes import free_port, stop_group

from assistant import Assistant, Settings
from assistant.api import create_app
from assistant.conversation import ConversationStore
from assistant.web.http import H11JSONErrors

REPO = Path(__file__).resolve().parent.parent
MALFORMED = [
    pytest.param(b"POST /ask HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", id="negative-content-length"),
    pytest.param(b"POST /ask HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", id="non-numeric-content-length"),
    pytest.param(b"POST /ask HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n", id="two-lengths"),
    pytest.param(b"GARBAGE\r\n\r\n", id="bad-request-line"),
    pytest.param(b"GET /health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", id="header-without-colon"),
]
RANGES = [
    pytest.param("/static/app.js", "bytes=99999999-", 416, "range_not_satisfiable", id="past-the-end"),
    pytest.param("/static/app.js", "bytes=5-2", 400, "bad_range", id="start-after-end"),
    pytest.param("/static/style.css", "items=0-1", 400, "bad_range", id="not-bytes"),
    pytest.param("/doc", "bytes", 400, "bad_range", id="no-equals"),
    pytest.param("/docs/assets/swagger-ui.css", "bytes=-", 400, "bad_range", id="empty-range"),
]


def _exchange(port: int, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read until the server closes; the status, headers and body of its answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, body


def _assert_json_error(status: int, headers: dict[str, str], body: bytes, code: str) -> dict[str, str]:
    assert headers["content-type"].startswith("application/json"), (status, headers, body)
    assert int(headers["content-length"]) == len(body)
    error: dict[str, str] = json.loads(body.decode("utf-8"))["error"]
    assert error["code"] == code and error["details"] == []
    assert any(ch in error["message"] for ch in "ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđ"), error
    return error


@pytest.fixture(scope="module")
def serve_port(tmp_path_factory: pytest.TempPathFactory, built_settings: Settings) -> Iterator[int]:
    """`khuyencong serve --workers 2` over a copy of the session's index, in its own process group."""
    root = tmp_path_factory.mktemp("edge")
    shutil.copytree(built_settings.store.corpus_dir, root / "corpus")
    shutil.copytree(built_settings.store.index_dir, root / "index")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHUYENCONG_")}
    env.update(KHUYENCONG_DATA_DIR=str(root / "data"), KHUYENCONG_EMBEDDING_CACHE=str(built_settings.cache_path))
    command = [sys.executable, "-m", "assistant", "--corpus", "corpus", "--index", "index"]
    command += ["serve", "--port", str(port), "--workers", "2"]
    with (root / "log").open("wb") as log:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, (root / "log").read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "serve did not become healthy"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        yield port
    finally:
        stop_group(process)


@pytest.fixture(scope="module")
def h11_port(assistant: Assistant) -> Iterator[int]:
    """uvicorn with the h11 parser (the one used where httptools is not installed), in a thread."""
    port = free_port()
    app = create_app(assistant, conversations=ConversationStore(), answer_cache=0)
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", http=H11JSONErrors, ws="none"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize("request_bytes", MALFORMED)
def test_malformed_http_is_a_json_error_from_serve(serve_port: int, request_bytes: bytes) -> None:
    status, headers, body = _exchange(serve_port, request_bytes)
    assert status == 400 and headers["connection"] == "close"
    _assert_json_error(status, headers, body, "bad_http_request")
    assert httpx.get(f"http://127.0.0.1:{serve_port}/health").status_code == 200  # the server goes on


@pytest.mark.parametrize("request_bytes", MALFORMED)
def test_malformed_http_is_a_json_error_with_h11_too(h11_port: int, request_bytes: bytes) -> None:
    status, headers, body = _exchange(h11_port, request_bytes)
    assert status == 400
    _assert_json_error(status, headers, body, "bad_http_request")


@pytest.mark.parametrize(("path", "byte_range", "expected", "code"), RANGES)
def test_a_bad_range_is_a_json_error(serve_port: int, path: str, byte_range: str, expected: int, code: str) -> None:
    request = f"GET {path} HTTP/1.1\r\nHost: x\r\nRange: {byte_range}\r\nConnection: close\r\n\r\n"
    status, headers, body = _exchange(serve_port, request.encode("ascii"))
    assert status == expected
    _assert_json_error(status, headers, body, code)
    if expected == 416:
        size = len((REPO / "assistant" / "web" / "static" / "app.js").read_bytes())
        assert headers["content-range"] == f"bytes */{size}"


def test_a_good_range_is_still_served(serve_port: int) -> None:
    request = b"GET /static/app.js HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\nConnection: close\r\n\r\n"
    status, headers, body = _exchange(serve_port, request)
    assert status == 206 and body == (REPO / "assistant" / "web" / "static" / "app.js").read_bytes()[:10]
    assert headers["content-range"].startswith("bytes 0-9/")
