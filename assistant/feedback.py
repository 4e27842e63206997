"""Durable store of given answers, the feedback on them, and the chat events already taken (SQLite, WAL).

Every answer shown to someone (API, web page, Telegram, Zalo) gets an id, so a
👍/👎 can refer to it; each write is committed before the call returns. Telegram
update_ids and Zalo msg_ids are remembered here too, so a replayed event is not
answered twice, after a restart or by another process.

Retention (`Retention`, from KHUYENCONG_ANSWER_RETENTION_DAYS and
KHUYENCONG_FEEDBACK_RETENTION_DAYS): an answer nobody voted on is kept `answer_days`,
feedback `feedback_days`, and an answer as long as feedback on it is kept; 0 keeps
forever. Old rows are deleted when the store opens and then at most hourly, on write.

For staff (the /admin area) and the reminders, in the same file:

- `unhelpful`: the 👎 votes with their question, answer, comment, channel and date;
- `unanswered`: the refused questions (`found` false), grouped by their folded content words
  (`text.content_terms`: "Hạn nộp hồ sơ?" and "han nop ho so" are one group), counted, newest
  first; `mark_handled` marks a group, which reopens when the question is refused again later;
- `subscribe` / `unsubscribe` / `subscribers`: the chats that asked for deadline reminders (/nhac);
  `claim_reminder` records a reminder before it is sent, so none goes out twice, across restarts
  and processes (`release_reminder` gives it back when the send failed);
- `create_job` / `update_job` / `job`: the progress of an upload or removal started in /admin,
  readable by every server process.
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
from .text import content_terms, fold
from .types import Answer

__all__ = ["FEEDBACK_FILE", "MAX_COMMENT_CHARS", "FeedbackStore", "Retention", "question_group"]

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
CREATE TABLE IF NOT EXISTS handled_questions (
    key TEXT PRIMARY KEY,
    handled REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS reminder_subscriptions (
    channel TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (channel, chat_id)
);
CREATE TABLE IF NOT EXISTS reminders_sent (
    channel TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    deadline TEXT NOT NULL,
    sent REAL NOT NULL,
    PRIMARY KEY (channel, chat_id, deadline)
);
CREATE TABLE IF NOT EXISTS admin_jobs (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    action TEXT NOT NULL,
    source TEXT NOT NULL,
    state TEXT NOT NULL,
    stage TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    result_json TEXT NOT NULL DEFAULT 'null'
);
"""
MAX_LISTED = 1000  # rows one staff listing returns at most
_JOB_FIELDS = ("state", "stage", "done", "total", "message")


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
        seconds: durable across restarts and shared by every process using this store. Only `channel`'s
        older events are forgotten: each channel has its own window (Zalo's minutes, Telegram's day)."""
        now = time.time() if now is None else now
        with self._lock:
            self._db.execute("DELETE FROM events WHERE channel = ? AND seen < ?", (channel, now - ttl))
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

    # ------------------------------------------------------------------ staff
    def unhelpful(
        self,
        since: float | None = None,
        until: float | None = None,
        channel: str | None = None,
        text: str | None = None,
        limit: int = MAX_LISTED,
    ) -> list[dict[str, Any]]:
        """The 👎 votes, newest first: date, channel, question, answer, comment (filters optional).

        `text` keeps the rows whose question or comment holds it, compared without diacritics.
        """
        sql = (
            "SELECT f.id, f.created, f.channel, a.question, a.answer_json, f.comment, a.id FROM feedback f "
            "JOIN answers a ON a.id = f.answer_id WHERE f.helpful = 0 AND f.created >= ? AND f.created < ?"
        )
        params: list[Any] = [since or 0.0, until or float("inf")]
        if channel:
            sql += " AND f.channel = ?"
            params.append(channel)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY f.created DESC, f.id DESC", params).fetchall()
        wanted = fold(text or "").strip()
        out: list[dict[str, Any]] = []
        for row_id, created, row_channel, question, answer_json, comment, answer_id in rows:
            if wanted and wanted not in fold(f"{question}\n{comment or ''}"):
                continue
            answer = json.loads(answer_json)
            out.append(
                {
                    "id": row_id,
                    "created": created,
                    "channel": row_channel,
                    "question": question,
                    "answer": answer.get("answer", ""),
                    "found": bool(answer.get("found")),
                    "comment": comment or "",
                    "answer_id": answer_id,
                }
            )
            if len(out) >= limit:
                break
        return out

    def unanswered(self, since: float | None = None, limit: int = MAX_LISTED) -> list[dict[str, Any]]:
        """The refused questions grouped by wording, the group last asked first.

        Each group: `key`, `question` (the latest wording), `count`, `variants` (distinct wordings,
        latest first), `channels`, `first`, `last` (dates), `handled` (date or None; a group asked
        again after it was marked is open again).
        """
        with self._lock:
            rows = self._db.execute(
                "SELECT created, channel, question FROM answers WHERE json_extract(answer_json, '$.found') = 0 "
                "AND created >= ? ORDER BY created DESC",
                (since or 0.0,),
            ).fetchall()
            handled = dict(self._db.execute("SELECT key, handled FROM handled_questions").fetchall())
        groups: dict[str, dict[str, Any]] = {}
        for created, channel, question in rows:
            key = question_group(question)
            group = groups.get(key)
            if group is None:
                group = groups[key] = {"key": key, "question": question, "count": 0, "variants": [], "channels": []}
                group.update(last=created, first=created)
            group["count"] += 1
            group["first"] = created
            if question not in group["variants"]:
                group["variants"].append(question)
            if channel not in group["channels"]:
                group["channels"].append(channel)
        out = list(groups.values())[:limit]
        for group in out:
            marked = handled.get(group["key"])
            group["handled"] = marked if marked is not None and marked >= group["last"] else None
        return out

    def mark_handled(self, key: str, handled: bool = True) -> None:
        """Mark a group of refused questions handled (a document was added, say), or open it again."""
        with self._lock:
            if handled:
                self._db.execute("INSERT OR REPLACE INTO handled_questions VALUES (?, ?)", (key, self._clock()))
            else:
                self._db.execute("DELETE FROM handled_questions WHERE key = ?", (key,))

    # -------------------------------------------------------------- reminders
    def subscribe(self, channel: str, chat_id: str) -> bool:
        """Subscribe a chat to deadline reminders; False when it already was."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO reminder_subscriptions VALUES (?, ?, ?)", (channel, chat_id, self._clock())
            )
        return cursor.rowcount == 1

    def unsubscribe(self, channel: str, chat_id: str) -> bool:
        """Stop a chat's reminders; False when it was not subscribed."""
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM reminder_subscriptions WHERE channel = ? AND chat_id = ?", (channel, chat_id)
            )
        return cursor.rowcount == 1

    def subscribers(self, channel: str) -> list[str]:
        """The chats of `channel` subscribed to reminders, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT chat_id FROM reminder_subscriptions WHERE channel = ? ORDER BY created, chat_id", (channel,)
            ).fetchall()
        return [chat_id for (chat_id,) in rows]

    def claim_reminder(self, channel: str, chat_id: str, deadline: str) -> bool:
        """Record that a chat is being reminded of a deadline; False when it already was (do not send)."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO reminders_sent VALUES (?, ?, ?, ?)", (channel, chat_id, deadline, self._clock())
            )
        return cursor.rowcount == 1

    def release_reminder(self, channel: str, chat_id: str, deadline: str) -> None:
        """Forget a claimed reminder whose send failed, so that the next round tries again."""
        with self._lock:
            self._db.execute(
                "DELETE FROM reminders_sent WHERE channel = ? AND chat_id = ? AND deadline = ?",
                (channel, chat_id, deadline),
            )

    # ------------------------------------------------------------------- jobs
    def create_job(self, action: str, source: str) -> str:
        """A new job (an upload or removal from /admin), queued; returns its id."""
        job_id = uuid.uuid4().hex
        now = self._clock()
        with self._lock:
            self._db.execute(
                "INSERT INTO admin_jobs (id, created, updated, action, source, state, stage) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (job_id, now, now, action, source, "queued", "Đang chờ"),
            )
        return job_id

    def update_job(self, job_id: str, result: Any = None, **fields: Any) -> None:
        """Set some of a job's `state`, `stage`, `done`, `total`, `message`, and its `result` (JSON)."""
        unknown = set(fields) - set(_JOB_FIELDS)
        if unknown:
            raise ValueError(f"unknown job fields: {sorted(unknown)}")
        names = [*fields, "updated"] + (["result_json"] if result is not None else [])
        values = [*fields.values(), self._clock()] + (
            [json.dumps(result, ensure_ascii=False)] if result is not None else []
        )
        with self._lock:
            self._db.execute(
                f"UPDATE admin_jobs SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?", (*values, job_id)
            )

    def job(self, job_id: str) -> dict[str, Any] | None:
        """A job as a dict (None when unknown)."""
        with self._lock:
            cursor = self._db.execute("SELECT * FROM admin_jobs WHERE id = ?", (job_id,))
            row = cursor.fetchone()
            names = [d[0] for d in cursor.description]
        if row is None:
            return None
        job = dict(zip(names, row))
        job["result"] = json.loads(job.pop("result_json"))
        return job

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()


def question_group(question: str) -> str:
    """The key that groups refused questions worded alike: their folded content words, sorted."""
    terms = sorted(content_terms(question))
    return " ".join(terms) or fold(question).strip()
