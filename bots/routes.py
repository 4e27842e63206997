"""Webhook routes of the chat channels, mounted into the HTTP app when configured.

Telegram's route (POST /telegram/webhook) is mounted when TELEGRAM_WEBHOOK_SECRET is set
(TELEGRAM_BOT_TOKEN is then required); Zalo's (POST /zalo/webhook) when any ZALO_*
credential is set (all of them are then required). A half-configured channel stops the
app at start with a message naming the missing variable.
"""

from __future__ import annotations

from typing import Any

from assistant.api import AnswerCache, Services
from assistant.conversation import ConversationStore
from assistant.facade import Assistant
from assistant.feedback import FeedbackStore

from .config import TelegramSettings, ZaloSettings
from .dialogue import Dialogue

__all__ = ["configured_routers", "make_dialogue"]


def make_dialogue(
    assistant: Assistant, feedback: FeedbackStore, conversations: ConversationStore | None = None
) -> Dialogue:
    """The shared dialogue over the same assistant, feedback store and conversations as the API."""
    services = Services(
        assistant=assistant,
        feedback=feedback,
        conversations=ConversationStore() if conversations is None else conversations,
        answers=AnswerCache(assistant),
    )
    return Dialogue(services)


def configured_routers(assistant: Assistant, feedback: FeedbackStore, conversations: ConversationStore) -> list[Any]:
    """FastAPI routers for the channels whose environment variables are set."""
    telegram, zalo = TelegramSettings.webhook_wanted(), ZaloSettings.wanted()
    if not (telegram or zalo):
        return []
    dialogue = make_dialogue(assistant, feedback, conversations)
    routers = []
    if telegram:
        from .telegram import telegram_router

        routers.append(telegram_router(TelegramSettings.from_env(webhook=True), dialogue))
    if zalo:
        from .zalo import zalo_router

        routers.append(zalo_router(ZaloSettings.from_env(assistant.settings.data_dir), dialogue))
    return routers
