"""`khuyencong bot …`: run the Telegram bot by long polling, or register its webhook."""

from __future__ import annotations

import asyncio

import click

from assistant.cli_common import assistant_of, ensure_index, fail
from assistant.errors import AssistantError, BotConfigError
from assistant.feedback import FeedbackStore
from assistant.session import DEFAULT_ANSWER_CACHE, Session

from .config import TelegramSettings

__all__ = ["bot_group"]


@click.group("bot")
def bot_group() -> None:
    """Bot Telegram và Zalo OA (Zalo chạy qua webhook của `khuyencong serve`)."""


@bot_group.command("telegram")
@click.pass_context
def telegram_command(ctx: click.Context) -> None:
    """Chạy bot Telegram bằng long polling (cần TELEGRAM_BOT_TOKEN)."""
    from .dialogue import Dialogue
    from .telegram import run_polling

    try:
        telegram = TelegramSettings.from_env()
        assistant = assistant_of(ctx)
        ensure_index(assistant)
        assistant.search("khuyến công", k=1)  # load the index and model before the first question
    except AssistantError as error:
        fail(error)
    feedback = FeedbackStore.for_settings(assistant.settings)
    session = Session(assistant, feedback=feedback, answer_cache=DEFAULT_ANSWER_CACHE)
    click.echo("Bot Telegram đang chạy (long polling). Ctrl+C để dừng.", err=True)
    try:
        run_polling(telegram, Dialogue(session))
    finally:
        session.close()


@bot_group.command("telegram-webhook")
@click.argument("url")
def telegram_webhook_command(url: str) -> None:
    """Đăng ký URL webhook với Telegram (cần TELEGRAM_BOT_TOKEN và TELEGRAM_WEBHOOK_SECRET).

    URL là địa chỉ HTTPS công khai tới `khuyencong serve`, ví dụ https://ten-mien/telegram/webhook.
    """
    try:
        telegram = TelegramSettings.from_env(webhook=True)
    except AssistantError as error:
        fail(error)
    if not url.startswith("https://"):
        fail(BotConfigError("Telegram chỉ gửi webhook tới địa chỉ https://."))
    asyncio.run(_register(telegram, url))


async def _register(telegram: TelegramSettings, url: str) -> None:
    from .telegram import register_webhook

    await register_webhook(telegram, url)
    click.echo(f"Đã đăng ký webhook: {url}")
