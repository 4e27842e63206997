"""Durable store of given answers, the feedback on them, and the chat events already taken.

In `<data_dir>/feedback.sqlite3` (SQLite, WAL) by default, or at KHUYENCONG_STORE_URL (SQLite or
PostgreSQL, store.py), through SQLAlchemy Core: one set of statements for both.
Every answer shown to someone (API, web page, Telegram, Zalo) gets an id, so a
👍/👎 can refer to it; each write is committed before the call returns. Telegram
update_ids and Zalo msg_ids are remembered here too, so a replayed event is not
answered twice, after a restart or by another process (on PostgreSQL: another machine):
the claim is one INSERT … ON CONFLICT DO NOTHING, which one process of all wins.

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
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    delete,
    false,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from .config import Settings, StoreSettings
from .errors import BadQuestion, NotFound
from .store import Database, Location
from .text import content_terms, fold
from .types import Answer

__all__ = ["FEEDBACK_FILE", "MAX_COMMENT_CHARS", "FeedbackStore", "Retention", "question_group"]

MAX_COMMENT_CHARS = 2000
FEEDBACK_FILE = "feedback.sqlite3"
DAY = 86400.0
PRUNE_EVERY = 3600.0  # seconds between prunes of a long-running store

# The tables as SQLite files made before SQLAlchemy have them (REAL is Float, the JSON column TEXT).
METADATA = MetaData()
answers = Table(
    "answers",
    METADATA,
    Column("id", Text, primary_key=True),
    Column("created", Float, nullable=False),
    Column("channel", Text, nullable=False),
    Column("conversation_id", Text),
    Column("question", Text, nullable=False),
    Column("answer_json", JSON, nullable=False),
    Index("answers_by_created", "created"),
)
events = Table(
    "events",
    METADATA,
    Column("channel", Text, primary_key=True),
    Column("key", Text, primary_key=True),
    Column("seen", Float, nullable=False),
)
feedback = Table(
    "feedback",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created", Float, nullable=False),
    Column("answer_id", Text, ForeignKey("answers.id"), nullable=False),
    Column("helpful", Integer, nullable=False),
    Column("comment", Text),
    Column("channel", Text, nullable=False),
    Index("feedback_by_created", "created"),
    Index("feedback_by_answer", "answer_id"),
    sqlite_autoincrement=True,
)
handled_questions = Table(
    "handled_questions",
    METADATA,
    Column("key", Text, primary_key=True),
    Column("handled", Float, nullable=False),
)
reminder_subscriptions = Table(
    "reminder_subscriptions",
    METADATA,
    Column("channel", Text, primary_key=True),
    Column("chat_id", Text, primary_key=True),
    Column("created", Float, nullable=False),
)
reminders_sent = Table(
    "reminders_sent",
    METADATA,
    Column("channel", Text, primary_key=True),
    Column("chat_id", Text, primary_key=True),
    Column("deadline", Text, primary_key=True),
    Column("sent", Float, nullable=False),
)
admin_jobs = Table(
    "admin_jobs",
    METADATA,
    Column("id", Text, primary_key=True),
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False),
    Column("action", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("stage", Text, nullable=False),
    Column("done", Integer, nullable=False, server_default="0"),
    Column("total", Integer, nullable=False, server_default="0"),
    Column("message", Text, nullable=False, server_default=""),
    Column("result_json", Text, nullable=False, server_default="null"),
)
MAX_LISTED = 1000  # rows one staff listing returns at most
_JOB_FIELDS = ("state", "stage", "done", "total", "message")


@dataclass(frozen=True)
class Retention:
    """How many days stored rows are kept; 0 keeps them forever."""

    answer_days: float = 90.0  # answers nobody gave feedback on
    feedback_days: float = 0.0  # feedback, and the answer it is about

    @classmethod
    def of(cls, store: StoreSettings) -> Retention:
        """The policy set by KHUYENCONG_ANSWER_RETENTION_DAYS and KHUYENCONG_FEEDBACK_RETENTION_DAYS."""
        return cls(store.answer_retention_days, store.feedback_retention_days)


class FeedbackStore:
    """Answers and feedback in `<data_dir>/feedback.sqlite3` or at a storage URL (store.py); safe across
    threads, processes and, on PostgreSQL, machines."""

    def __init__(
        self, location: Location, retention: Retention | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.location = location
        self.retention = retention or Retention()
        self._clock = clock
        self._db = Database(location, METADATA)
        self._next_prune = 0.0
        self.prune()

    @classmethod
    def for_settings(cls, settings: Settings) -> FeedbackStore:
        """The store at KHUYENCONG_STORE_URL (default `<data_dir>/feedback.sqlite3`), with the retention
        policy of `settings`."""
        return cls(settings.store.store_url or settings.store.data_dir / FEEDBACK_FILE, Retention.of(settings.store))

    def prune(self) -> dict[str, int]:
        """Delete what the retention policy no longer keeps; returns the numbers of rows deleted."""
        now = self._clock()
        deleted = {"feedback": 0, "answers": 0}
        with self._db.write() as db:
            if self.retention.feedback_days > 0:
                cutoff = now - self.retention.feedback_days * DAY
                deleted["feedback"] = db.execute(delete(feedback).where(feedback.c.created < cutoff)).rowcount
            if self.retention.answer_days > 0:
                cutoff = now - self.retention.answer_days * DAY
                voted = select(feedback.c.answer_id)
                old = delete(answers).where(answers.c.created < cutoff, answers.c.id.not_in(voted))
                deleted["answers"] = db.execute(old).rowcount
        self._next_prune = now + PRUNE_EVERY
        return deleted

    def first_event(self, channel: str, key: str, ttl: float = 86400.0, now: float | None = None) -> bool:
        """True the first time `key` (a Telegram update_id, a Zalo msg_id) is seen on `channel` within `ttl`
        seconds: durable across restarts and shared by every process using this store. Only `channel`'s
        older events are forgotten: each channel has its own window (Zalo's minutes, Telegram's day)."""
        now = time.time() if now is None else now
        with self._db.write() as db:
            db.execute(delete(events).where(events.c.channel == channel, events.c.seen < now - ttl))
            return self._db.insert_once(db, events, {"channel": channel, "key": key, "seen": now})

    def record_answer(self, question: str, answer: Answer, channel: str, conversation_id: str | None = None) -> str:
        """Store an answer that was shown; returns its new id."""
        answer_id = uuid.uuid4().hex
        now = self._clock()
        if now >= self._next_prune:
            self.prune()
        row = {
            "id": answer_id,
            "created": now,
            "channel": channel,
            "conversation_id": conversation_id,
            "question": question,
            "answer_json": answer.to_dict(),
        }
        with self._db.write() as db:
            db.execute(answers.insert().values(row))
        return answer_id

    def has_answer(self, answer_id: str) -> bool:
        """True when `answer_id` was recorded."""
        with self._db.read() as db:
            return db.execute(select(answers.c.id).where(answers.c.id == answer_id)).first() is not None

    def answer_of(self, answer_id: str) -> dict[str, Any] | None:
        """The stored answer (`Answer.to_dict()` form, with its citations), or None when unknown."""
        with self._db.read() as db:
            stored = db.execute(select(answers.c.answer_json).where(answers.c.id == answer_id)).scalar()
        return None if stored is None else dict(stored)

    def record_feedback(self, answer_id: str, helpful: bool, comment: str | None = None, channel: str = "api") -> int:
        """Store 👍/👎 for an answer; raises `NotFound` for an unknown answer id."""
        if comment is not None and len(comment) > MAX_COMMENT_CHARS:
            raise BadQuestion(f"Góp ý quá dài (tối đa {MAX_COMMENT_CHARS} ký tự).")
        unknown = NotFound(f"Không có câu trả lời mã '{answer_id}'.")
        if not self.has_answer(answer_id):
            raise unknown
        row = {"created": self._clock(), "answer_id": answer_id, "helpful": int(helpful), "comment": comment}
        try:
            with self._db.write() as db:
                inserted = db.execute(feedback.insert().values({**row, "channel": channel})).inserted_primary_key
        except IntegrityError:  # PostgreSQL's foreign key: the answer was pruned since `has_answer`
            raise unknown from None
        return int(inserted[0] if inserted else 0)

    def feedback_for(self, answer_id: str) -> list[dict[str, Any]]:
        """All feedback rows for one answer, oldest first."""
        query = select(feedback.c.helpful, feedback.c.comment, feedback.c.channel)
        with self._db.read() as db:
            rows = db.execute(query.where(feedback.c.answer_id == answer_id).order_by(feedback.c.id)).all()
        return [{"helpful": bool(h), "comment": c, "channel": ch} for h, c, ch in rows]

    def counts(self) -> dict[str, int]:
        """Numbers of answers and of helpful / unhelpful votes."""
        votes = select(
            func.coalesce(func.sum(feedback.c.helpful), 0), func.coalesce(func.sum(1 - feedback.c.helpful), 0)
        )
        with self._db.read() as db:
            count = db.execute(select(func.count()).select_from(answers)).scalar_one()
            up, down = db.execute(votes).one()
        return {"answers": int(count), "helpful": int(up), "unhelpful": int(down)}

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
        f, a = feedback.c, answers.c
        query = (
            select(f.id, f.created, f.channel, a.question, a.answer_json, f.comment, a.id)
            .join_from(feedback, answers, a.id == f.answer_id)
            .where(f.helpful == 0, f.created >= (since or 0.0))
        )
        if until:
            query = query.where(f.created < until)
        if channel:
            query = query.where(f.channel == channel)
        with self._db.read() as db:
            rows = db.execute(query.order_by(f.created.desc(), f.id.desc())).all()
        wanted = fold(text or "").strip()
        out: list[dict[str, Any]] = []
        for row_id, created, row_channel, question, answer, comment, answer_id in rows:
            if wanted and wanted not in fold(f"{question}\n{comment or ''}"):
                continue
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
        a = answers.c
        refused = select(a.created, a.channel, a.question).where(
            a.answer_json["found"].as_boolean() == false(), a.created >= (since or 0.0)
        )
        with self._db.read() as db:
            rows = db.execute(refused.order_by(a.created.desc())).all()
            marks = db.execute(select(handled_questions.c.key, handled_questions.c.handled))
            handled = {key: when for key, when in marks}
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
        with self._db.write() as db:
            if handled:
                marked = self._db.insert(handled_questions).values(key=key, handled=self._clock())
                db.execute(
                    marked.on_conflict_do_update(index_elements=["key"], set_={"handled": marked.excluded.handled})
                )
            else:
                db.execute(delete(handled_questions).where(handled_questions.c.key == key))

    # -------------------------------------------------------------- reminders
    def subscribe(self, channel: str, chat_id: str) -> bool:
        """Subscribe a chat to deadline reminders; False when it already was."""
        return self._insert_once(reminder_subscriptions, channel=channel, chat_id=chat_id, created=self._clock())

    def unsubscribe(self, channel: str, chat_id: str) -> bool:
        """Stop a chat's reminders; False when it was not subscribed."""
        s = reminder_subscriptions.c
        with self._db.write() as db:
            return (
                db.execute(delete(reminder_subscriptions).where(s.channel == channel, s.chat_id == chat_id)).rowcount
                == 1
            )

    def subscribers(self, channel: str) -> list[str]:
        """The chats of `channel` subscribed to reminders, oldest first."""
        s = reminder_subscriptions.c
        with self._db.read() as db:
            rows = db.execute(select(s.chat_id).where(s.channel == channel).order_by(s.created, s.chat_id))
            return list(rows.scalars())

    def claim_reminder(self, channel: str, chat_id: str, deadline: str) -> bool:
        """Record that a chat is being reminded of a deadline; False when it already was (do not send)."""
        return self._insert_once(
            reminders_sent, channel=channel, chat_id=chat_id, deadline=deadline, sent=self._clock()
        )

    def release_reminder(self, channel: str, chat_id: str, deadline: str) -> None:
        """Forget a claimed reminder whose send failed, so that the next round tries again."""
        r = reminders_sent.c
        with self._db.write() as db:
            db.execute(delete(reminders_sent).where(r.channel == channel, r.chat_id == chat_id, r.deadline == deadline))

    def _insert_once(self, table: Table, **row: Any) -> bool:
        with self._db.write() as db:
            return self._db.insert_once(db, table, row)

    # ------------------------------------------------------------------- jobs
    def create_job(self, action: str, source: str) -> str:
        """A new job (an upload or removal from /admin), queued; returns its id."""
        job_id = uuid.uuid4().hex
        now = self._clock()
        row = {"id": job_id, "created": now, "updated": now, "action": action, "source": source}
        with self._db.write() as db:
            db.execute(admin_jobs.insert().values({**row, "state": "queued", "stage": "Đang chờ"}))
        return job_id

    def update_job(self, job_id: str, result: Any = None, **fields: Any) -> None:
        """Set some of a job's `state`, `stage`, `done`, `total`, `message`, and its `result` (JSON)."""
        unknown = set(fields) - set(_JOB_FIELDS)
        if unknown:
            raise ValueError(f"unknown job fields: {sorted(unknown)}")
        values = {**fields, "updated": self._clock()}
        if result is not None:
            values["result_json"] = json.dumps(result, ensure_ascii=False)
        with self._db.write() as db:
            db.execute(update(admin_jobs).where(admin_jobs.c.id == job_id).values(values))

    def job(self, job_id: str) -> dict[str, Any] | None:
        """A job as a dict (None when unknown)."""
        with self._db.read() as db:
            row = db.execute(select(admin_jobs).where(admin_jobs.c.id == job_id)).mappings().first()
        if row is None:
            return None
        job = dict(row)
        job["result"] = json.loads(job.pop("result_json"))
        return job

    def close(self) -> None:
        """Close the connections."""
        self._db.close()


def question_group(question: str) -> str:
    """The key that groups refused questions worded alike: their folded content words, sorted."""
    terms = sorted(content_terms(question))
    return " ".join(terms) or fold(question).strip()
