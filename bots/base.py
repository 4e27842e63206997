"""The channel interface: what a chat channel (Telegram, Zalo OA) implements to join the assistant.

A channel is one module with a `Channel` subclass, registered as an entry point of group
`khuyencong.channels` in pyproject.toml (see `assistant/plugins.py`). The HTTP app then mounts
its webhook when the channel's variables are set. Every message goes through the shared
`Dialogue` over the assistant's `Session`; the channel only receives events and sends the
`Reply` lines in its own format, cut to its message length.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

from fastapi import APIRouter

from assistant.session import Session

from .dialogue import Dialogue
from .formatting import Line, split_message

__all__ = ["Channel"]


class Channel(ABC):
    """A chat channel: its name, message limit, text format and webhook route."""

    name: ClassVar[str]  # the feedback store's `channel` column; prefix of its conversation ids
    max_message_chars: ClassVar[int]

    @classmethod
    @abstractmethod
    def configured(cls) -> bool:
        """True when the channel's webhook variables are set (then all that it needs must be)."""

    @classmethod
    @abstractmethod
    def webhook(cls, dialogue: Dialogue, data_dir: Path) -> APIRouter:
        """The webhook route, its settings read from the environment (`BotConfigError` when one is missing)."""

    @staticmethod
    @abstractmethod
    def render(lines: list[Line]) -> str:
        """One message's lines as the channel's text (HTML for Telegram, plain for Zalo)."""

    @classmethod
    def messages(cls, lines: list[Line]) -> list[str]:
        """The lines as the messages to send, each within `max_message_chars` visible characters."""
        return [cls.render(part) for part in split_message(lines, cls.max_message_chars)]

    @classmethod
    def routers(cls, session: Session) -> list[APIRouter]:
        """The entry point's hook (`assistant.plugins.ChannelPlugin`): the webhook when configured."""
        if not cls.configured():
            return []
        return [cls.webhook(Dialogue(session), session.assistant.settings.store.data_dir)]
