"""Telegram bot (python-telegram-bot): long polling, or a webhook route in the HTTP app.

Every text message (commands included) goes to the shared `Dialogue`; the reply is sent in
HTML parse mode (only < > & escaped), split into messages of at most 4096 visible
characters. An answer's last message carries buttons: 📚 sources (the quoted passages),
👍 / 👎 (stored in the same feedback database as the HTTP API). "typing…" shows while
the answer is computed.

Deadline reminders (/nhac, `bots/reminders.py`) go out from PTB's JobQueue (APScheduler, the
`job-queue` extra): one repeating job per Application, whether it polls or serves the webhook.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from telegram import Bot as TelegramBot
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import Forbidden
from telegram.ext import AIORateLimiter, Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from assistant.errors import AssistantError, BotConfigError, EventRefused, InvalidEvent

from .base import Channel
from .config import TelegramSettings
from .dialogue import Chat, Dialogue, Reply
from .formatting import Line, render_html
from .reminders import REMINDER_FIRST, REMINDER_INTERVAL, Reminders

__all__ = [
    "CHANNEL",
    "MAX_MESSAGE_CHARS",
    "SECRET_HEADER",
    "TelegramChannel",
    "build_application",
    "register_webhook",
    "run_polling",
    "send_reply",
    "telegram_router",
]

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_MESSAGE_CHARS = 4096
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
FLOOD_RETRIES = 2
COMMANDS = [
    BotCommand("start", "Giới thiệu và câu hỏi mẫu"),
    BotCommand("nguon", "Danh sách tài liệu và ngày ban hành"),
    BotCommand("hanchot", "Các hạn chót ghi trong tài liệu"),
    BotCommand("nhac", "Nhắc trước các hạn chót"),
    BotCommand("huynhac", "Thôi nhắc hạn"),
    BotCommand("help", "Cách dùng"),
]


def _keyboard(answer_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("📚 Xem nguồn", callback_data=f"src:{answer_id}")],
            [
                InlineKeyboardButton("👍 Hữu ích", callback_data=f"up:{answer_id}"),
                InlineKeyboardButton("👎 Chưa hữu ích", callback_data=f"down:{answer_id}"),
            ],
        ]
    )


class TelegramChannel(Channel):
    """Telegram: HTML messages of at most 4096 characters; the webhook when TELEGRAM_WEBHOOK_SECRET is set."""

    name = CHANNEL
    max_message_chars = MAX_MESSAGE_CHARS

    @classmethod
    def configured(cls) -> bool:
        return TelegramSettings.webhook_wanted()

    @classmethod
    def webhook(cls, dialogue: Dialogue, data_dir: Path) -> APIRouter:
        return telegram_router(TelegramSettings.from_env(webhook=True), dialogue)

    @staticmethod
    def render(lines: list[Line]) -> str:
        return render_html(lines)


async def send_reply(bot: TelegramBot, chat_id: int | str, reply: Reply) -> None:
    """Send a reply as HTML messages of at most 4096 visible characters; buttons on the last one."""
    texts = TelegramChannel.messages(reply.lines)
    for index, text in enumerate(texts):
        last = index == len(texts) - 1
        markup = _keyboard(reply.answer_id) if reply.answer_id and last else None
        await _send(bot, chat_id, text, markup)  # flood control (429 retry_after): the Application's rate limiter


async def _send(bot: TelegramBot, chat_id: int | str, text: str, markup: InlineKeyboardMarkup | None) -> None:
    await bot.send_message(
        chat_id,
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


class _Handlers:
    """The PTB callbacks, bound to one dialogue."""

    def __init__(self, dialogue: Dialogue) -> None:
        self.dialogue = dialogue

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, chat, user = update.effective_message, update.effective_chat, update.effective_user
        if message is None or chat is None or not message.text:
            return
        await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
        who = Chat(CHANNEL, str(chat.id), str(user.id if user else chat.id))
        reply = await asyncio.to_thread(self.dialogue.handle, who, message.text)
        await send_reply(context.bot, chat.id, reply)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query, chat = update.callback_query, update.effective_chat
        if query is None:
            return
        action, _, answer_id = (query.data or "").partition(":")
        if action == "src" and chat is not None:
            await query.answer()
            await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
            reply = await asyncio.to_thread(self.dialogue.sources, answer_id)
            await send_reply(context.bot, chat.id, reply)
        elif action in ("up", "down"):
            try:
                thanks = await asyncio.to_thread(self.dialogue.vote, answer_id, action == "up", CHANNEL)
            except AssistantError as error:
                thanks = error.message
            await query.answer(thanks)
        else:
            await query.answer()


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("telegram update failed: %s", context.error, exc_info=context.error)


async def _set_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    await application.bot.set_my_commands(COMMANDS)


def build_application(
    settings: TelegramSettings,
    dialogue: Dialogue,
    *,
    polling: bool = True,
    reminders: Reminders | None = None,
    reminder_every: float | None = None,
    reminder_first: float | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The PTB Application with our handlers; without `polling` it has no updater (webhook mode).

    PTB's rate limiter keeps within Telegram's flood limits and, told to wait (429 retry_after),
    waits that long and sends again, up to `FLOOD_RETRIES` times. When the dialogue's session keeps
    a store, the JobQueue sends the due deadline reminders every `reminder_every` seconds
    (`REMINDER_INTERVAL`), the first `reminder_first` seconds after start (`REMINDER_FIRST`);
    `reminders`: the chats of this channel, today from the dialogue unless given a clock.
    """
    builder = (
        Application.builder()
        .token(settings.token)
        .base_url(settings.api_url)
        .post_init(_set_commands)
        .rate_limiter(AIORateLimiter(max_retries=FLOOD_RETRIES))
    )
    if not polling:
        builder = builder.updater(None)
    application = builder.build()
    handlers = _Handlers(dialogue)
    application.add_handler(MessageHandler(filters.TEXT, handlers.on_text))
    application.add_handler(CallbackQueryHandler(handlers.on_button))
    application.add_error_handler(_on_error)
    if dialogue.session.feedback is not None:
        every = REMINDER_INTERVAL if reminder_every is None else reminder_every
        first = REMINDER_FIRST if reminder_first is None else reminder_first
        _schedule_reminders(application, reminders or Reminders(dialogue, CHANNEL), every, first)
    return application


def _schedule_reminders(
    application: Application[Any, Any, Any, Any, Any, Any], reminders: Reminders, every: float, first: float
) -> None:
    """The reminder rounds on the Application's JobQueue (started and stopped with it): a first one, then hourly."""
    if application.job_queue is None:
        raise BotConfigError(
            "Thiếu APScheduler cho nhắc hạn: cài lại gói với `pip install -e .` (python-telegram-bot[job-queue])."
        )

    async def remind(context: ContextTypes.DEFAULT_TYPE) -> None:
        async def send(chat_id: str, reply: Reply) -> None:
            try:
                await send_reply(context.bot, chat_id, reply)
            except Forbidden:  # the user blocked the bot or left the group: no more reminders for it
                log.info("telegram chat %s refuses messages: unsubscribed from reminders", chat_id)
                await asyncio.to_thread(reminders.dialogue.session.unsubscribe, CHANNEL, chat_id)

        sent = await reminders.send_due(send)
        if sent:
            log.info("telegram: %d deadline reminders sent", sent)

    # The Application is built some time before it starts (the index loads in between): a repeating job
    # whose first round fell before start() would wait a whole interval. So the first round is a one-off job
    # (run late rather than skipped), which then schedules the repeating one.
    repeat = {"coalesce": True, "max_instances": 1}

    async def first_round(context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.job_queue is not None
        context.job_queue.run_repeating(remind, interval=every, first=every, name="nhac-han", job_kwargs=repeat)
        await remind(context)

    application.job_queue.run_once(first_round, when=first, name="nhac-han", job_kwargs={"misfire_grace_time": None})


def run_polling(settings: TelegramSettings, dialogue: Dialogue) -> None:
    """Long polling until Ctrl+C (`khuyencong bot telegram`)."""
    build_application(settings, dialogue).run_polling(allowed_updates=ALLOWED_UPDATES)


async def register_webhook(settings: TelegramSettings, url: str) -> bool:
    """Tell Telegram to POST updates to `url` with our secret header (setWebhook)."""
    async with TelegramBot(settings.token, base_url=settings.api_url) as bot:
        return await bot.set_webhook(url, secret_token=settings.webhook_secret, allowed_updates=ALLOWED_UPDATES)


def telegram_router(settings: TelegramSettings, dialogue: Dialogue) -> APIRouter:
    """POST `settings.webhook_path`: updates from Telegram, refused with 403 without the right secret."""
    application = build_application(settings, dialogue, polling=False)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await application.initialize()
        await _set_commands(application)
        await application.start()
        try:
            yield
        finally:
            await application.stop()
            await application.shutdown()

    router = APIRouter(lifespan=lifespan)

    @router.post(settings.webhook_path, include_in_schema=False)
    async def webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), settings.webhook_secret.encode()):
            raise EventRefused(f"Sai hoặc thiếu mã bí mật webhook ({SECRET_HEADER}).")
        try:
            data = json.loads(await request.body())
            update = Update.de_json(data, application.bot) if isinstance(data, dict) else None
        except (ValueError, TypeError, KeyError):
            update = None
        if update is None:
            raise InvalidEvent("Nội dung không phải một bản cập nhật Telegram hợp lệ.", code="invalid_update")
        if not dialogue.session.first_event(CHANNEL, f"update:{update.update_id}"):
            return JSONResponse({"ok": True})  # Telegram's retry, or a replay: answered once already
        await application.update_queue.put(update)  # answered in the background: Telegram gets its 200 now
        return JSONResponse({"ok": True})

    return router
