"""What every `khuyencong` command shares: the settings and assistant of the run, failing with a message."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from .config import Settings, limit_query_threads
from .errors import AssistantError
from .facade import Assistant

__all__ = ["EXIT_ERROR", "assistant_of", "ensure_index", "fail", "settings_of"]

EXIT_ERROR = 1


def fail(error: AssistantError) -> NoReturn:
    """Print the error's Vietnamese message (never a traceback) and exit with `EXIT_ERROR`."""
    click.echo(f"Lỗi: {error.message}", err=True)
    sys.exit(EXIT_ERROR)


def settings_of(ctx: click.Context) -> Settings:
    """The settings the `khuyencong` group read for this run (from the environment when run alone)."""
    obj = ctx.find_root().obj or {}
    settings = obj.get("settings")
    return settings if isinstance(settings, Settings) else Settings.from_env()


def assistant_of(ctx: click.Context, queries: bool = True) -> Assistant:
    """One `Assistant` per run; with `queries`, encoding questions uses one thread (see `limit_query_threads`)."""
    if queries:
        limit_query_threads()
    obj = ctx.find_root().ensure_object(dict)
    if "assistant" not in obj:
        obj["assistant"] = Assistant(settings_of(ctx))
    return obj["assistant"]  # type: ignore[no-any-return]


def ensure_index(assistant: Assistant) -> None:
    """Build the index first when there is none (the long-running commands: serve, bots)."""
    if assistant.has_index():
        return
    click.echo(f"Chưa có chỉ mục, đang xây dựng từ {assistant.settings.store.corpus_dir} …", err=True)
    report = assistant.index()
    click.echo(f"Xong: {report.documents} tài liệu, {report.chunks} đoạn.", err=True)
