"""What other packages add to the assistant (the chat channels in `bots/`), found through entry points.

The library imports none of them: a package registers, in its `pyproject.toml`,

- group `khuyencong.channels`: an object with `routers(session) -> list[APIRouter]`, the webhook
  routes that the HTTP app mounts (an empty list when the channel's variables are not set);
- group `khuyencong.commands`: a click command or group that `khuyencong` gets as a subcommand.

The way simonw/llm finds its plugins; with `bots/` not installed, the assistant runs without them.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Protocol

import click

if TYPE_CHECKING:
    from fastapi import APIRouter

    from .session import Session

__all__ = ["CHANNELS", "COMMANDS", "ChannelPlugin", "channel_routers", "commands", "registered"]

CHANNELS = "khuyencong.channels"
COMMANDS = "khuyencong.commands"


class ChannelPlugin(Protocol):
    """A chat channel as the HTTP app sees it."""

    def routers(self, session: Session) -> list[APIRouter]:
        """Its webhook routes over `session`; [] when not configured, `ConfigError` when half configured."""
        ...


def registered(group: str) -> list[EntryPoint]:
    """The entry points of `group`, by name (not loaded yet)."""
    return sorted(entry_points(group=group), key=lambda point: point.name)


def channel_routers(session: Session) -> list[APIRouter]:
    """The webhook routes of every registered channel that is configured."""
    routers: list[APIRouter] = []
    for point in registered(CHANNELS):
        plugin: ChannelPlugin = point.load()
        routers += plugin.routers(session)
    return routers


def commands() -> list[click.Command]:
    """The subcommands that registered packages add to `khuyencong`."""
    return [point.load() for point in registered(COMMANDS)]
