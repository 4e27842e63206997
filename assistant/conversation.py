"""Conversations: bounded, expiring memory of turns, and follow-up resolution.

A short follow-up ("còn Đồng Nai thì sao?", "hạn nộp hồ sơ thì sao?") is rewritten
into a standalone question from the previous turn before retrieval: a new place or
year replaces the old one; otherwise the follow-up's words are joined to the topic
of the previous question (without its question words, when the follow-up asks its own).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import asdict, dataclass

from cachetools import TTLCache
from sqlalchemy import Column, Connection, Float, Index, Integer, MetaData, Table, Text, delete, func, select

from .kinds import detect_kind, strip_cues
from .store import Database, Location
from .text import PROVINCE_NAMES, content_terms, fold, provinces_in, remove_matches

__all__ = ["ConversationStore", "SharedConversationStore", "Turn", "is_followup", "resolve_followup"]

_FOLLOWUP_START = re.compile(r"^(con|the con|vay con|va|con neu|the|vay)\b")
_FOLLOWUP_END_ONLY = re.compile(r"(thi sao|the thi sao|sao|nhi|thi)\s*\??$")
_FILLER = re.compile(r"^(the con|vay con|con|va|the|vay)\s+|\s*(thi sao|the nao|thi|vay|nhi|sao)\s*\??$")
_PLACE_WORDS = {"nam", "tinh", "thanh", "pho", "o", "tai"}
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")

METADATA = MetaData()  # SharedConversationStore's table
turns = Table(
    "turns",
    METADATA,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", Text, nullable=False),
    Column("stamp", Float, nullable=False),
    Column("question", Text, nullable=False),
    Column("resolved", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Index("turns_by_conversation", "conversation_id", "seq"),
    sqlite_autoincrement=True,
)


@dataclass(frozen=True)
class Turn:
    """One exchange: the question as typed, as resolved, and the answer text."""

    question: str
    resolved: str
    answer: str


_OWN_TOPIC_TERMS = 3


def is_followup(question: str, history: list[Turn]) -> bool:
    """True when the question only makes sense after the previous turn.

    A message that carries its own topic (more than a few words beyond a place or year)
    is a new question, whatever it ends with: "… như thế nào?" asks afresh.
    """
    if not history:
        return False
    folded = fold(question).strip(" ?!.")
    core = remove_matches(strip_cues(question).strip(" ?!."), _FILLER)
    named = set(content_terms(" ".join(provinces_in(question) + _YEAR.findall(question)))) | _PLACE_WORDS
    own = [t for t in content_terms(core) if t not in named]
    if len(own) <= 1:
        return True
    cue = bool(_FOLLOWUP_START.search(folded) or _FOLLOWUP_END_ONLY.search(folded))
    return cue and len(own) <= _OWN_TOPIC_TERMS


def resolve_followup(question: str, history: list[Turn]) -> str:
    """A standalone question for `question` given the earlier turns."""
    if not is_followup(question, history):
        return question
    previous = history[-1].resolved
    new_places, old_places = provinces_in(question), provinces_in(previous)
    new_years, old_years = _YEAR.findall(question), _YEAR.findall(previous)
    core = remove_matches(question.strip(" ?!."), _FILLER)
    swapped = previous
    if new_places and old_places:
        swapped = _replace_place(swapped, old_places[0], PROVINCE_NAMES.get(new_places[0], new_places[0]))
    if new_years and old_years:
        swapped = swapped.replace(old_years[0], new_years[0])
    named = set(content_terms(" ".join(new_places + new_years))) | _PLACE_WORDS
    only_swaps = not set(content_terms(core)) - named
    if swapped != previous and only_swaps:
        return swapped
    asks_own = detect_kind(question, fold(question)).kind.name != "general"
    topic = strip_cues(previous) if asks_own else previous
    return " ".join(part for part in (core, topic) if part) + "?"


def _replace_place(text: str, folded_place: str, new_name: str) -> str:
    """Replace the (accented or folded) mention of a province in `text`."""
    words = folded_place.split()
    pattern = r"\b" + r"[\s-]+".join(re.escape(w) for w in words) + r"\b"
    folded = fold(text)
    match = re.search(pattern, folded)
    if not match:
        return f"{text} {new_name}"
    return text[: match.start()] + new_name + text[match.end() :]


class ConversationStore:
    """Recent turns per conversation id, in memory: at most `max_conversations` (the least recently
    asked dropped first), each forgotten `ttl` seconds after its last turn (cachetools' TTLCache)."""

    def __init__(self, max_conversations: int = 1000, max_turns: int = 8, ttl: float = 1800.0) -> None:
        self.max_conversations = max_conversations
        self.max_turns = max_turns
        self.ttl = ttl
        self._items: TTLCache[str, tuple[Turn, ...]] = TTLCache(max_conversations, ttl, timer=time.monotonic)
        self._lock = threading.Lock()

    def history(self, conversation_id: str) -> list[Turn]:
        """Turns of a live conversation (empty when unknown or expired)."""
        with self._lock:
            return list(self._items.get(conversation_id, ()))

    def add(self, conversation_id: str, turn: Turn) -> None:
        """Append a turn, keeping only the most recent `max_turns`."""
        with self._lock:
            turns = self._items.get(conversation_id, ())
            self._items[conversation_id] = (*turns, turn)[-self.max_turns :]

    def __len__(self) -> int:
        with self._lock:
            self._items.expire()
            return len(self._items)


class SharedConversationStore(ConversationStore):
    """A `ConversationStore` kept in a database (a SQLite file or KHUYENCONG_STORE_URL, store.py), so that
    several server workers, or machines, share the turns.

    With more than one worker, a follow-up may reach another process than the
    question before it; this store keeps the same bounds (turns, conversations, ttl).
    """

    CLEANUP_EVERY = 50  # adds between two deletions of expired turns and surplus conversations

    def __init__(
        self, location: Location, max_conversations: int = 1000, max_turns: int = 8, ttl: float = 1800.0
    ) -> None:
        super().__init__(max_conversations, max_turns, ttl)
        self._adds = 0
        self._db = Database(location, METADATA)

    def history(self, conversation_id: str) -> list[Turn]:
        """Turns of a live conversation (empty when unknown or expired)."""
        t = turns.c
        query = (
            select(t.question, t.resolved, t.answer)
            .where(t.conversation_id == conversation_id, t.stamp >= time.time() - self.ttl)
            .order_by(t.seq.desc())
            .limit(self.max_turns)
        )
        with self._db.read() as db:
            rows = db.execute(query).all()
        return [Turn(*row) for row in reversed(rows)]

    def add(self, conversation_id: str, turn: Turn) -> None:
        """Append a turn; now and then drop expired turns and the oldest conversations."""
        row = {"conversation_id": conversation_id, "stamp": time.time(), **asdict(turn)}
        with self._lock:
            self._adds += 1
            cleanup = self._adds % self.CLEANUP_EVERY == 0
        with self._db.write() as db:
            db.execute(turns.insert().values(row))
            if cleanup:
                self._cleanup(db)

    def __len__(self) -> int:
        live = select(func.count(turns.c.conversation_id.distinct())).where(turns.c.stamp >= time.time() - self.ttl)
        with self._db.read() as db:
            return int(db.execute(live).scalar_one())

    def _cleanup(self, db: Connection) -> None:
        t = turns.c
        db.execute(delete(turns).where(t.stamp < time.time() - self.ttl))
        recent = select(t.conversation_id).group_by(t.conversation_id).order_by(func.max(t.seq).desc())
        db.execute(delete(turns).where(t.conversation_id.not_in(recent.limit(self.max_conversations))))
