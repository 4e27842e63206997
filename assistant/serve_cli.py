"""Command `khuyencong serve`: the HTTP API and chat page under uvicorn."""

from __future__ import annotations

from functools import partial

import click
import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from .api import create_app
from .cli_common import ensure_index, fail, settings_of
from .config import Settings, limit_query_threads
from .errors import AssistantError
from .facade import Assistant
from .web.http import JSON_ERRORS_PROTOCOL

__all__ = ["serve_command"]


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="KHUYENCONG_HOST", help="Địa chỉ lắng nghe.")
@click.option("--port", default=8000, show_default=True, type=int, envvar="KHUYENCONG_PORT", help="Cổng.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Số tiến trình phục vụ (mặc định 1).",
)
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int, workers: int | None) -> None:
    """Chạy HTTP API và trang chat (xây chỉ mục trước nếu chưa có)."""
    limit_query_threads()  # one thread per query encoding: measured in eval/RESULTS.md
    settings = settings_of(ctx)
    settings = settings.replaced(workers=workers or settings.server.workers)
    assistant = Assistant(settings)
    try:
        ensure_index(assistant)
        app = create_app(assistant)  # also checks the bot channels' variables before any worker starts
    except AssistantError as error:
        fail(error)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}/"
    click.echo(f"Trang chat: {url}  ·  tài liệu API: {url}docs  ({settings.server.workers} tiến trình; Ctrl+C để dừng)")
    if settings.server.admin_token:
        click.echo(f"Trang quản trị cho cán bộ: {url}admin  (đăng nhập bằng mã KHUYENCONG_ADMIN_TOKEN)")
    if settings.server.workers == 1:
        uvicorn.run(app, host=host, port=port, http=JSON_ERRORS_PROTOCOL)
    else:
        _run_workers(settings, host, port)


def _run_workers(settings: Settings, host: str, port: int) -> None:
    """Several uvicorn processes on one socket; each builds its app from `settings`, handed over by pickling
    (uvicorn spawns them), so nothing is written into the environment for them to read back. Each parses
    HTTP with our protocol class, so a request uvicorn cannot parse is answered as JSON too (web/http.py)."""
    config = uvicorn.Config(
        partial(worker_app, settings),
        factory=True,
        host=host,
        port=port,
        workers=settings.server.workers,
        http=JSON_ERRORS_PROTOCOL,
    )
    Multiprocess(config, sockets=[config.bind_socket()]).run()


def worker_app(settings: Settings) -> FastAPI:
    """The app of one server worker process."""
    return create_app(Assistant(settings))
