"""`khuyencong bot …`: run the Telegram bot by long polling, or register its webhook."""

from __future__ import annotations

import asyncio
import sys

import click

from assistant.config import Settings, limit_query_threads
from assistant.errors import AssistantError
from assistant.facade import Assistant
from assistant.feedback import FeedbackStore

from .config import TelegramSettings

__all__ = ["bot_group"]


def _fail(error: AssistantError) -> None:
    click.echo(f"Lỗi: {error.message}", err=True)
    sys.exit(1)


@click.group("bot")
def bot_group() -> None:
    """Bot Telegram và Zalo OA (Zalo chạy qua webhook của `khuyencong serve`)."""


@bot_group.command("telegram")
@click.pass_context
def telegram_command(ctx: click.Context) -> None:
    """Chạy bot Telegram bằng long polling (cần TELEGRAM_BOT_TOKEN)."""
    from .routes import make_dialogue
    from .telegram import run_polling

    limit_query_threads()
    try:
        telegram = TelegramSettings.from_env()
        settings: Settings = (ctx.obj or {}).get("settings") or Settings.from_env()
        assistant = Assistant(settings)
        if not assistant.has_index():
            click.echo(f"Chưa có chỉ mục, đang xây dựng từ {settings.corpus_dir} …", err=True)
            assistant.index()
        assistant.search("khuyến công", k=1)  # load the index and model before the first question
    except AssistantError as error:
        _fail(error)
        return
    feedback = FeedbackStore.for_settings(settings)
    click.echo("Bot Telegram đang chạy (long polling). Ctrl+C để dừng.", err=True)
    try:
        run_polling(telegram, make_dialogue(assistant, feedback))
    finally:
        feedback.close()


@bot_group.command("telegram-webhook")
@click.argument("url")
def telegram_webhook_command(url: str) -> None:
    """Đăng ký URL webhook với Telegram (cần TELEGRAM_BOT_TOKEN và TELEGRAM_WEBHOOK_SECRET).

    URL là địa chỉ HTTPS công khai tới `khuyencong serve`, ví dụ https://ten-mien/telegram/webhook.
    """
    try:
        telegram = TelegramSettings.from_env(webhook=True)
    except AssistantError as error:
        _fail(error)
        return
    if not url.startswith("https://"):
        click.echo("Lỗi: Telegram chỉ gửi webhook tới địa chỉ https://.", err=True)
        sys.exit(1)
    asyncio.run(_register(telegram, url))


async def _register(telegram: TelegramSettings, url: str) -> None:
    from .telegram import register_webhook

    await register_webhook(telegram, url)
    click.echo(f"Đã đăng ký webhook: {url}")
