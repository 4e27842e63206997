"""Command `khuyencong serve`: the HTTP API and chat page under uvicorn."""

from __future__ import annotations

import os

import click

from .api import create_app
from .cli_common import assistant_of, ensure_index, fail
from .config import Settings
from .errors import AssistantError

__all__ = ["serve_command"]


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="KHUYENCONG_HOST", help="Địa chỉ lắng nghe.")
@click.option("--port", default=8000, show_default=True, type=int, envvar="KHUYENCONG_PORT", help="Cổng.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    envvar="KHUYENCONG_WORKERS",
    help="Số tiến trình phục vụ.",
)
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Chạy HTTP API và trang chat (xây chỉ mục trước nếu chưa có)."""
    import uvicorn

    assistant = assistant_of(ctx)  # one thread per query encoding: measured in eval/RESULTS.md
    settings = assistant.settings
    try:
        ensure_index(assistant)
        _export_settings(settings, workers)
        app = create_app(assistant)  # also checks the bot channels' variables before any worker starts
    except AssistantError as error:
        fail(error)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}/"
    click.echo(f"Trang chat: {url}  ·  tài liệu API: {url}docs  ({workers} tiến trình; Ctrl+C để dừng)")
    if workers == 1:
        uvicorn.run(app, host=host, port=port)
    else:
        uvicorn.run("assistant.api:create_app", factory=True, host=host, port=port, workers=workers)


def _export_settings(settings: Settings, workers: int) -> None:
    """Worker processes build their own app from the environment: hand them the CLI's choices."""
    os.environ["KHUYENCONG_CORPUS_DIR"] = str(settings.corpus_dir)
    os.environ["KHUYENCONG_INDEX_DIR"] = str(settings.index_dir)
    os.environ["KHUYENCONG_DATA_DIR"] = str(settings.data_dir)
    os.environ["KHUYENCONG_EMBEDDING"] = settings.embedding
    if settings.embedding_cache is not None:
        os.environ["KHUYENCONG_EMBEDDING_CACHE"] = str(settings.embedding_cache)
    os.environ["KHUYENCONG_WORKERS"] = str(workers)
