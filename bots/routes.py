"""Webhook routes of the chat channels, mounted into the HTTP app when configured."""

from __future__ import annotations

from typing import Any

__all__ = ["configured_routers"]


def configured_routers(assistant: Any, feedback: Any, conversations: Any) -> list[Any]:
    """FastAPI routers for the channels whose environment variables are set."""
    return []
