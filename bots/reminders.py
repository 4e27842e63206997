"""Deadline reminders for the chats that sent /nhac: which are due, and sending each once.

A scheduler calls `Reminders.send_due` every `REMINDER_INTERVAL` seconds: PTB's JobQueue in
the Telegram Application (polling or webhook), APScheduler in the Zalo route's lifespan. Each
round reads the subscribers and the due deadlines (`Session.due_reminders`: from
KHUYENCONG_REMINDER_DAYS days ahead until the day, none that has passed) and, for each pair,
claims the reminder in the feedback store *before* sending: a reminder is never sent twice,
across restarts and by several processes. A send that fails gives its claim back, so the next
round tries again. `clock` (a date function) is the controllable "today" of the tests; by
default the dialogue's (`Dialogue.clock`, else `Assistant.today()`: KHUYENCONG_TODAY or the date).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from assistant.deadlines import Reminder

from .dialogue import Dialogue, Reply

__all__ = ["REMINDER_FIRST", "REMINDER_INTERVAL", "Reminders"]

log = logging.getLogger(__name__)

REMINDER_INTERVAL = 3600.0  # seconds between rounds: a reminder is about a day, an hour late is on time
REMINDER_FIRST = 30.0  # seconds after start-up before the first round (the index is loaded by then)
Send = Callable[[str, Reply], Awaitable[None]]


@dataclass
class Reminders:
    """The reminders of one channel's subscribed chats, over a dialogue's session."""

    dialogue: Dialogue
    channel: str
    clock: Callable[[], dt.date] | None = None

    def today(self) -> dt.date:
        """The controllable "today" (`clock`), else the dialogue's."""
        return self.clock() if self.clock else self.dialogue.today()

    def pending(self) -> list[tuple[str, Reminder]]:
        """(chat id, reminder) for every subscribed chat and every deadline due now (sent or not yet)."""
        store = self.dialogue.session.feedback
        if store is None:
            return []
        chats = store.subscribers(self.channel)
        if not chats:
            return []
        due = self.dialogue.session.due_reminders(self.today())
        return [(chat_id, reminder) for chat_id in chats for reminder in due]

    async def send_due(self, send: Send) -> int:
        """Send every due reminder not sent before; returns how many were sent."""
        store = self.dialogue.session.feedback
        if store is None:
            return 0
        try:
            pending = await asyncio.to_thread(self.pending)  # reads the documents when the index changed
        except Exception:
            log.exception("deadline reminders: could not read the deadlines")
            return 0
        sent = 0
        for chat_id, reminder in pending:
            if not store.claim_reminder(self.channel, chat_id, reminder.key):
                continue  # sent already: by this process earlier, before a restart, or by another process
            try:
                await send(chat_id, self.dialogue.reminder(reminder))
            except Exception:
                store.release_reminder(self.channel, chat_id, reminder.key)
                log.exception("deadline reminder to %s %s failed; tried again next round", self.channel, chat_id)
                continue
            sent += 1
        return sent
