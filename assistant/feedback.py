"""Durable store of given answers, the feedback on them, and the chat events already taken (SQLite, WAL).

Every answer shown to someone (API, web page, Telegram, Zalo) gets an id, so a
👍/👎 can refer to it; each write is committed before the call returns. Telegram
update_ids and Zalo msg_ids are remembered here too, so a replayed event is not
answered twice, after a restart or by another process.

Retention (`Retention`, from KHUYENCONG_ANSWER_RETENTION_DAYS and
KHUYENCONG_FEEDBACK_RETENTION_DAYS): an answer nobody voted on is kept `answer_days`,
feedback `feedback_days`, and an answer as long as feedback on it is kept; 0 keeps
forever. Old rows are deleted when the store opens and then at most hourly, on write.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Settings
from .errors import BadQuestion, NotFound
from .types import Answer

__all__ = ["FEEDBACK_FILE", "MAX_COMMENT_CHARS", "FeedbackStore", "Retention"]

MAX_COMMENT_CHARS = 2000
FEEDBACK_FILE = "feedback.sqlite3"
DAY = 86400.0
PRUNE_EVERY = 3600.0  # seconds between prunes of a long-running store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    channel TEXT NOT NULL,
    conversation_id TEXT,
    question TEXT NOT NULL,
    answer_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    channel TEXT NOT NULL,
    key TEXT NOT NULL,
    seen REAL NOT NULL,
    PRIMARY KEY (channel, key)
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    answer_id TEXT NOT NULL REFERENCES answers(id),
    helpful INTEGER NOT NULL,
    comment TEXT,
    channel TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_by_created ON answers (created);
CREATE INDEX IF NOT EXISTS feedback_by_created ON feedback (created);
CREATE INDEX IF NOT EXISTS feedback_by_answer ON feedback (answer_id);
"""


@dataclass(frozen=True)
class Retention:
    """How many days stored rows are kept; 0 keeps them forever."""

    answer_days: float = 90.0  # answers nobody gave feedback on
    feedback_days: float = 0.0  # feedback, and the answer it is about

    @classmethod
    def of(cls, settings: Settings) -> Retention:
        """The policy set by KHUYENCONG_ANSWER_RETENTION_DAYS and KHUYENCONG_FEEDBACK_RETENTION_DAYS."""
        return cls(settings.answer_retention_days, settings.feedback_retention_days)


class FeedbackStore:
    """Answers and feedback in `<data_dir>/feedback.sqlite3`; safe across threads and processes."""

    def __init__(self, path: Path, retention: Retention | None = None, clock: Callable[[], float] = time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.retention = retention or Retention()
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._next_prune = 0.0
        self.prune()

    @classmethod
    def for_settings(cls, settings: Settings) -> FeedbackStore:
        """The store in `<data_dir>/feedback.sqlite3`, with the retention policy of `settings`."""
        return cls(settings.data_dir / FEEDBACK_FILE, Retention.of(settings))

    def prune(self) -> dict[str, int]:
        """Delete what the retention policy no longer keeps; returns the numbers of rows deleted."""
        now = self._clock()
        deleted = {"feedback": 0, "answers": 0}
        with self._lock:
            if self.retention.feedback_days > 0:
                cutoff = now - self.retention.feedback_days * DAY
                deleted["feedback"] = self._db.execute("DELETE FROM feedback WHERE created < ?", (cutoff,)).rowcount
            if self.retention.answer_days > 0:
                cutoff = now - self.retention.answer_days * DAY
                deleted["answers"] = self._db.execute(
                    "DELETE FROM answers WHERE created < ? AND id NOT IN (SELECT answer_id FROM feedback)", (cutoff,)
                ).rowcount
            self._next_prune = now + PRUNE_EVERY
        return deleted

    def first_event(self, channel: str, key: str, ttl: float = 86400.0, now: float | None = None) -> bool:
        """True the first time `key` (a Telegram update_id, a Zalo msg_id) is seen on `channel` within `ttl`
        seconds: durable across restarts and shared by every process using this store."""
        now = time.time() if now is None else now
        with self._lock:
            self._db.execute("DELETE FROM events WHERE seen < ?", (now - ttl,))
            cursor = self._db.execute("INSERT OR IGNORE INTO events VALUES (?, ?, ?)", (channel, key, now))
            return cursor.rowcount == 1

    def record_answer(self, question: str, answer: Answer, channel: str, conversation_id: str | None = None) -> str:
        """Store an answer that was shown; returns its new id."""
        answer_id = uuid.uuid4().hex
        now = self._clock()
        if now >= self._next_prune:
            self.prune()
        row = (
            answer_id,
            now,
            channel,
            conversation_id,
            question,
            json.dumps(answer.to_dict(), ensure_ascii=False),
        )
        with self._lock:
            self._db.execute("INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?)", row)
        return answer_id

    def has_answer(self, answer_id: str) -> bool:
        """True when `answer_id` was recorded."""
        with self._lock:
            row = self._db.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,)).fetchone()
        return row is not None

    def answer_of(self, answer_id: str) -> dict[str, Any] | None:
        """The stored answer (`Answer.to_dict()` form, with its citations), or None when unknown."""
        with self._lock:
            row = self._db.execute("SELECT answer_json FROM answers WHERE id = ?", (answer_id,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def record_feedback(self, answer_id: str, helpful: bool, comment: str | None = None, channel: str = "api") -> int:
        """Store 👍/👎 for an answer; raises `NotFound` for an unknown answer id."""
        if comment is not None and len(comment) > MAX_COMMENT_CHARS:
            raise BadQuestion(f"Góp ý quá dài (tối đa {MAX_COMMENT_CHARS} ký tự).")
        if not self.has_answer(answer_id):
            raise NotFound(f"Không có câu trả lời mã '{answer_id}'.")
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO feedback (created, answer_id, helpful, comment, channel) VALUES (?, ?, ?, ?, ?)",
                (self._clock(), answer_id, int(helpful), comment, channel),
            )
        return int(cursor.lastrowid or 0)

    def feedback_for(self, answer_id: str) -> list[dict[str, Any]]:
        """All feedback rows for one answer, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT helpful, comment, channel FROM feedback WHERE answer_id = ? ORDER BY id", (answer_id,)
            ).fetchall()
        return [{"helpful": bool(h), "comment": c, "channel": ch} for h, c, ch in rows]

    def counts(self) -> dict[str, int]:
        """Numbers of answers and of helpful / unhelpful votes."""
        with self._lock:
            answers = self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
            up, down = self._db.execute(
                "SELECT COALESCE(SUM(helpful), 0), COALESCE(SUM(1 - helpful), 0) FROM feedback"
            ).fetchone()
        return {"answers": int(answers), "helpful": int(up), "unhelpful": int(down)}

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()
