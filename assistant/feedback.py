"""Durable store of given answers, the feedback on them, and the chat events already taken (SQLite, WAL).

Every answer shown to someone (API, web page, Telegram, Zalo) gets an id, so a
👍/👎 can refer to it; each write is committed before the call returns. Telegram
update_ids and Zalo msg_ids are remembered here too, so a replayed event is not
answered twice, after a restart or by another process.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from .errors import BadQuestion, NotFound
from .types import Answer

__all__ = ["MAX_COMMENT_CHARS", "FeedbackStore"]

MAX_COMMENT_CHARS = 2000

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
"""


class FeedbackStore:
    """Answers and feedback in `<data_dir>/feedback.sqlite3`; safe across threads and processes."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

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
        row = (
            answer_id,
            time.time(),
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
                (time.time(), answer_id, int(helpful), comment, channel),
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
