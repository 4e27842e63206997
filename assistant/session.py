"""The conversation layer every channel uses: the CLI, the HTTP API and web page, the bots, eval.

`Session` wraps one `Assistant` with what a conversation needs around a single answer:

- follow-ups ("còn Đồng Nai thì sao?") resolved against the conversation's earlier turns;
- an answer cache, so that a repeated question costs no retrieval or embedding;
- a row in the feedback store for every answer shown, so a 👍/👎 can name it;
- the deadlines stated in the documents (the bots' `/hanchot`), and the chats subscribed to
  reminders of them (`/nhac`), kept in the feedback store.

A conversation is opened by the session (`ask` without an id returns a new one); an id the
session does not know, or one expired, is refused with `ConversationUnknown`. A chat channel
keys its conversation by the chat instead (`ask_in_chat`): its first message opens it.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache

from .config import DEFAULT_ANSWER_CACHE
from .conversation import ConversationStore, Turn, resolve_followup
from .deadlines import Deadline, DeadlineFinder, Reminder, due_reminders
from .errors import ConversationUnknown
from .facade import Assistant, ServedState
from .feedback import FeedbackStore
from .text import clean_question
from .types import Answer, Filters

__all__ = ["DEFAULT_ANSWER_CACHE", "AnswerCache", "Exchange", "FairGate", "Session"]

CacheKey = tuple[ServedState, str, Filters | None]
CHAT_KEY_PREFIX = "chat:"  # a ':' is in no conversation id a client may send (web/schemas.ID_PATTERN)


class FairGate:
    """At most `slots` threads inside at once, let in in the order they came (first come, first served).

    Answering is CPU-bound Python: past a couple of threads per process, more threads only share the
    GIL, so that every answer waits on every other (processor sharing, and the store's write lock held
    by a thread waiting for the GIL). Queued here, a thread waits without taking the GIL, and answers
    leave in the order questions came. 0 slots: no limit.
    """

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._lock = threading.Lock()
        self._inside = 0
        self._waiting: deque[threading.Lock] = deque()

    def __enter__(self) -> None:
        if self.slots <= 0:
            return
        with self._lock:
            if self._inside < self.slots and not self._waiting:
                self._inside += 1
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        turn.acquire()  # released by the thread that hands its slot over (the count stays the same)

    def __exit__(self, *_exc: object) -> None:
        if self.slots <= 0:
            return
        with self._lock:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._inside -= 1


class AnswerCache:
    """Answers already given, least recently used dropped past `size` (0: off).

    Keyed by (the index state and whether its vectors were seen, standalone question, filters):
    a rebuilt index, or one whose vectors were completed or reopened since, never serves an old answer.
    """

    def __init__(self, assistant: Assistant, size: int = DEFAULT_ANSWER_CACHE, gate: FairGate | None = None) -> None:
        self.assistant = assistant
        self.gate = gate or FairGate(0)
        self.size = size
        self._items: LRUCache[CacheKey, Answer] | None = LRUCache(size) if size > 0 else None
        self._lock = threading.Lock()

    def ask(self, question: str, filters: Filters | None) -> Answer:
        """`Assistant.ask`, from memory when this exact question was answered on this index."""
        if self._items is None:
            with self.gate:
                return self.assistant.ask(question, filters)
        key = (self.assistant.served_state(), question, filters)
        with self._lock:
            answer = self._items.get(key)
        if answer is None:
            with self.gate:
                answer = self.assistant.ask(question, filters)
            with self._lock:
                self._items[key] = answer
        return answer

    def __len__(self) -> int:
        with self._lock:
            return len(self._items) if self._items is not None else 0


@dataclass(frozen=True)
class Exchange:
    """One question answered in a conversation.

    `answer_id` names the stored answer for feedback (None when the session keeps no feedback store);
    `resolved_question` is the standalone question when a follow-up was rewritten, else None.
    """

    answer: Answer
    conversation_id: str
    answer_id: str | None = None
    resolved_question: str | None = None


class Session:
    """Conversations over one assistant: ask, vote, read back an answer, deadlines.

    Parameters
    ----------
    assistant:
        The question answerer.
    feedback:
        Where answers and votes are stored; None keeps none (the CLI, eval): answers then have no id.
    conversations:
        Follow-up memory; in memory when omitted.
    answer_cache:
        Answers kept in memory (0: none).
    answer_threads:
        New answers computed at once, the other questions queued in arrival order (0: no limit; `FairGate`).
    """

    def __init__(
        self,
        assistant: Assistant,
        *,
        feedback: FeedbackStore | None = None,
        conversations: ConversationStore | None = None,
        answer_cache: int = 0,
        answer_threads: int = 0,
    ) -> None:
        self.assistant = assistant
        self.feedback = feedback
        # `is None`, not `or`: an empty ConversationStore is falsy (it has __len__).
        self.conversations = ConversationStore() if conversations is None else conversations
        self.answers = AnswerCache(assistant, answer_cache, FairGate(answer_threads))
        self._deadlines = DeadlineFinder(assistant)

    # -------------------------------------------------------------- questions
    def ask(
        self,
        question: str,
        *,
        filters: Filters | None = None,
        conversation_id: str | None = None,
        channel: str = "api",
    ) -> Exchange:
        """Answer `question`, as a follow-up when `conversation_id` names a live conversation.

        Raises
        ------
        BadQuestion
            The question is empty, too long or not Vietnamese.
        ConversationUnknown
            `conversation_id` was never given out by this session, or expired.
        IndexMissing, IndexCorrupt, VectorStoreError, ModelUnavailable
        """
        typed = self.assistant.check_question(question)
        history: list[Turn] = []
        if conversation_id is not None:
            history = self.conversations.history(conversation_id)
            if not history:
                raise ConversationUnknown(conversation_id, self.conversations.ttl)
        return self._answer(typed, history, conversation_id or uuid.uuid4().hex, filters, channel)

    def ask_in_chat(self, question: str, chat_key: str, channel: str) -> Exchange:
        """Answer a message of a chat whose conversation is keyed by the chat itself (a bot's chat).

        Its turns are kept under `CHAT_KEY_PREFIX` + `chat_key`: no id sent to `ask` can name them.
        """
        typed = self.assistant.check_question(question)
        key = CHAT_KEY_PREFIX + chat_key
        return self._answer(typed, self.conversations.history(key), key, None, channel, shown=chat_key)

    def _answer(
        self,
        typed: str,
        history: list[Turn],
        key: str,
        filters: Filters | None,
        channel: str,
        shown: str | None = None,
    ) -> Exchange:
        """Resolve, answer, record; the turns are kept under `key`, the conversation is named `shown` (or `key`)."""
        conversation_id = shown or key
        resolved = resolve_followup(typed, history)
        answer = self.answers.ask(resolved, filters)
        answer_id = self.feedback.record_answer(resolved, answer, channel, conversation_id) if self.feedback else None
        self.conversations.add(key, Turn(typed, resolved, answer.answer))
        return Exchange(answer, conversation_id, answer_id, resolved if resolved != typed else None)

    # --------------------------------------------------------------- feedback
    def vote(self, answer_id: str, helpful: bool, comment: str | None = None, channel: str = "api") -> int:
        """Store 👍/👎 (and an optional comment, cleaned like a question) on an answer; returns the row id.

        Raises `NotFound` for an unknown answer id, `BadQuestion` for a comment over the limit.
        """
        comment = clean_question(comment or "") or None
        return self._store().record_feedback(answer_id, helpful, comment, channel=channel)

    def stored_answer(self, answer_id: str) -> dict[str, Any] | None:
        """An answer given earlier (`Answer.to_dict()` form), None when unknown or no longer kept."""
        return self._store().answer_of(answer_id)

    def first_event(self, channel: str, key: str, ttl: float = 86400.0, now: float | None = None) -> bool:
        """True the first time a channel's event (a Telegram update_id, a Zalo msg_id) is seen."""
        return self._store().first_event(channel, key, ttl, now)

    def _store(self) -> FeedbackStore:
        if self.feedback is None:
            raise RuntimeError("this session keeps no feedback store")
        return self.feedback

    # -------------------------------------------------------------- documents
    def deadlines(self) -> list[Deadline]:
        """Deadlines stated in the indexed documents, by date (recomputed when the index is rebuilt)."""
        return self._deadlines.deadlines()

    def due_reminders(self, today: dt.date | None = None) -> list[Reminder]:
        """Deadlines from today to `settings.bots.reminder_days` ahead (KHUYENCONG_REMINDER_DAYS), soonest first."""
        today = today or self.assistant.today()
        return due_reminders(self.deadlines(), today, self.assistant.settings.bots.reminder_days)

    def upcoming_deadlines(self, today: dt.date | None = None) -> list[tuple[Deadline, dt.date]]:
        """The deadlines not passed yet, with their day, soonest first."""
        today = today or self.assistant.today()
        dated = [(d, d.next_date(today)) for d in self.deadlines()]
        return sorted(((d, day) for d, day in dated if day is not None and day >= today), key=lambda pair: pair[1])

    def subscribe(self, channel: str, chat_id: str) -> bool:
        """Subscribe a chat to deadline reminders (durable); False when it already was."""
        return self._store().subscribe(channel, chat_id)

    def unsubscribe(self, channel: str, chat_id: str) -> bool:
        """Stop a chat's deadline reminders; False when it was not subscribed."""
        return self._store().unsubscribe(channel, chat_id)

    def close(self) -> None:
        """Close the feedback store."""
        if self.feedback is not None:
            self.feedback.close()
