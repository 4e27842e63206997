"""The storage URL (KHUYENCONG_STORE_URL): SQLite files in the data directory by default, as before it existed;
a bad URL is refused naming the variable, without echoing a password; files written before SQLAlchemy open."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from processes import free_port
from stores import rows

from assistant import Settings
from assistant.conversation import SharedConversationStore, Turn
from assistant.errors import ConfigError
from assistant.feedback import FEEDBACK_FILE, FeedbackStore
from assistant.ratelimit import Rate, RateLimiter
from assistant.store import Location, engine_url
from assistant.types import Answer

# The tables as the stores created them with raw sqlite3, before SQLAlchemy (a user's existing files).
OLD_FEEDBACK = """
CREATE TABLE answers (id TEXT PRIMARY KEY, created REAL NOT NULL, channel TEXT NOT NULL, conversation_id TEXT,
    question TEXT NOT NULL, answer_json TEXT NOT NULL);
CREATE TABLE events (channel TEXT NOT NULL, key TEXT NOT NULL, seen REAL NOT NULL, PRIMARY KEY (channel, key));
CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created REAL NOT NULL,
    answer_id TEXT NOT NULL REFERENCES answers(id), helpful INTEGER NOT NULL, comment TEXT, channel TEXT NOT NULL);
CREATE TABLE handled_questions (key TEXT PRIMARY KEY, handled REAL NOT NULL);
CREATE TABLE reminder_subscriptions (channel TEXT NOT NULL, chat_id TEXT NOT NULL, created REAL NOT NULL,
    PRIMARY KEY (channel, chat_id));
CREATE TABLE rate_hits (scope TEXT NOT NULL, key TEXT NOT NULL, stamp REAL NOT NULL);
INSERT INTO answers VALUES ('a1', 1900000000.0, 'zalo', NULL, 'Hạn nộp hồ sơ?',
    '{"answer": "Chưa có trong tài liệu.", "found": false, "citations": []}');
INSERT INTO feedback (created, answer_id, helpful, comment, channel) VALUES (1900000001.0, 'a1', 0, 'Thiếu', 'zalo');
INSERT INTO events VALUES ('telegram', 'update:7', 1900000000.0);
INSERT INTO reminder_subscriptions VALUES ('telegram', 'c1', 1900000000.0);
"""
OLD_TURNS = """
CREATE TABLE turns (seq INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id TEXT NOT NULL, stamp REAL NOT NULL,
    question TEXT NOT NULL, resolved TEXT NOT NULL, answer TEXT NOT NULL);
"""


def test_by_default_the_state_is_in_the_data_directory_as_before(tmp_path: Path) -> None:
    settings = Settings.from_env(data_dir=tmp_path / "data")
    assert settings.store.store_url == ""
    store = FeedbackStore.for_settings(settings)
    assert store.location == tmp_path / "data" / FEEDBACK_FILE and store.location.exists()
    store.close()


def test_the_store_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for url in ("sqlite:////srv/khuyencong/state.sqlite3", "postgresql://kc:secret@db.internal:5432/khuyencong"):
        monkeypatch.setenv("KHUYENCONG_STORE_URL", url)
        assert Settings.from_env().store.store_url == url
    assert "secret" not in repr(Settings.from_env())
    assert engine_url("postgres://kc@db/khuyencong").drivername == "postgresql+psycopg"


@pytest.mark.parametrize(
    "url", ["mysql://kc@db/khuyencong", "postgresql://kc:s3cr3t-pass@db.internal:5432", "sqlite://", "db.internal"]
)
def test_a_bad_store_url_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("KHUYENCONG_STORE_URL", url)
    with pytest.raises(ConfigError) as caught:
        Settings.from_env()
    message = caught.value.message
    assert message.startswith("KHUYENCONG_STORE_URL phải là sqlite:///") and "postgresql://" in message
    assert "s3cr3t-pass" not in message  # a password is not echoed
    assert ("đang là “postgresql://kc:***@db.internal:5432”" in message) == ("s3cr3t" in url)


def test_a_store_that_cannot_be_opened_is_a_clear_error(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(ConfigError) as caught:
        FeedbackStore(f"postgresql://kc:s3cr3t@127.0.0.1:{port}/khuyencong")
    assert caught.value.message.startswith(f"Không mở được kho trạng thái “postgresql://kc:***@127.0.0.1:{port}/")
    assert "KHUYENCONG_STORE_URL" in caught.value.message and "s3cr3t" not in caught.value.message


def test_files_written_before_sqlalchemy_open_and_work(tmp_path: Path) -> None:
    """A user's feedback.sqlite3 and conversations.sqlite3 from before: read, written, tables added."""
    path, turns_path = tmp_path / FEEDBACK_FILE, tmp_path / "conversations.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_FEEDBACK)
    with sqlite3.connect(turns_path) as db:
        db.executescript(OLD_TURNS)
    store = FeedbackStore(path, clock=lambda: 1_900_000_100.0)
    assert store.unhelpful()[0]["comment"] == "Thiếu" and store.unanswered()[0]["count"] == 1
    assert store.answer_of("a1") == {"answer": "Chưa có trong tài liệu.", "found": False, "citations": []}
    assert not store.first_event("telegram", "update:7", now=1_900_000_100.0)
    assert store.subscribers("telegram") == ["c1"] and store.claim_reminder("telegram", "c1", "d1")  # new table
    new = store.record_answer("q", Answer(answer="Có.", found=True, citations=[]), "api")
    assert store.record_feedback(new, helpful=True) == 2
    limiter = RateLimiter(Rate(1, 60), store=path)
    assert limiter.wait_for("k") == 0 and limiter.wait_for("k") > 0
    conversations = SharedConversationStore(turns_path)
    conversations.add("c", Turn("q", "r", "a"))
    assert conversations.history("c") == [Turn("q", "r", "a")]
    for closing in (store, limiter):
        closing.close()


def test_processes_opening_a_new_store_at_once_create_its_tables_once(store_location: Location) -> None:
    """Servers started together on an empty database: one creates the tables, the others find them."""
    barrier = threading.Barrier(4)

    def open_store(_: int) -> FeedbackStore:
        barrier.wait()
        return FeedbackStore(store_location)

    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(open_store, range(4)))
    stores[0].subscribe("telegram", "c1")
    assert all(store.subscribers("telegram") == ["c1"] for store in stores)
    assert rows(store_location, "SELECT COUNT(*) FROM reminder_subscriptions") == [(1,)]
    for store in stores:
        store.close()
