"""The feedback store's retention policy, on a real SQLite file and on a real PostgreSQL database (each test
runs on both, `store_location`): old answers go, feedback stays as long as told."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from stores import rows

from assistant import Settings
from assistant.errors import ConfigError
from assistant.feedback import DAY, PRUNE_EVERY, FeedbackStore, Retention
from assistant.store import Location
from assistant.types import Answer

ANSWER = Answer(answer="Trước ngày 20 tháng 6 năm 2023.", found=True, citations=[])


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


def _ids(location: Location, table: str) -> set[str]:
    column = "answer_id" if table == "feedback" else "id"
    return {row[0] for row in rows(location, f"SELECT {column} FROM {table}")}


def test_answers_nobody_voted_on_are_pruned_when_the_store_opens(store_location: Location) -> None:
    path, clock = store_location, Clock()
    store = FeedbackStore(path, Retention(answer_days=90), clock=clock)
    old, voted = store.record_answer("q", ANSWER, "api"), store.record_answer("q", ANSWER, "api")
    store.record_feedback(voted, helpful=True)
    clock.now += 89 * DAY
    recent = store.record_answer("q", ANSWER, "api")
    store.close()
    clock.now += 2 * DAY  # `old` is 91 days old, `recent` 2
    reopened = FeedbackStore(path, Retention(answer_days=90), clock=clock)
    assert _ids(path, "answers") == {voted, recent}
    assert reopened.feedback_for(voted) == [{"helpful": True, "comment": None, "channel": "api"}]
    assert not reopened.has_answer(old)
    reopened.close()


def test_a_running_store_prunes_on_write_at_most_hourly(store_location: Location) -> None:
    path, clock = store_location, Clock()
    store = FeedbackStore(path, Retention(answer_days=30 * 60 / DAY), clock=clock)  # 30 minutes
    first = store.record_answer("q", ANSWER, "telegram")
    clock.now += 40 * 60
    second = store.record_answer("q", ANSWER, "telegram")  # 40 min since the last prune: none yet
    assert _ids(path, "answers") == {first, second}
    clock.now += 25 * 60
    third = store.record_answer("q", ANSWER, "telegram")  # past the hour: `first` (65 min old) goes
    assert _ids(path, "answers") == {second, third}
    assert PRUNE_EVERY == 3600
    store.close()


def test_feedback_and_its_answer_are_kept_as_long_as_the_policy_says(store_location: Location) -> None:
    path, clock = store_location, Clock()
    store = FeedbackStore(path, Retention(answer_days=30, feedback_days=365), clock=clock)
    voted = store.record_answer("q", ANSWER, "api")
    store.record_feedback(voted, helpful=False, comment="Thiếu hạn nộp")
    clock.now += 364 * DAY
    assert store.prune() == {"feedback": 0, "answers": 0}
    clock.now += 2 * DAY
    assert store.prune() == {"feedback": 1, "answers": 1}
    assert _ids(path, "feedback") == set() and _ids(path, "answers") == set()
    store.close()


def test_zero_keeps_everything(store_location: Location) -> None:
    path, clock = store_location, Clock()
    store = FeedbackStore(path, Retention(answer_days=0, feedback_days=0), clock=clock)
    kept = store.record_answer("q", ANSWER, "api")
    clock.now += 10_000 * DAY
    assert store.prune() == {"feedback": 0, "answers": 0} and store.has_answer(kept)
    store.close()


def test_retention_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Retention.of(Settings.from_env().store) == Retention(answer_days=90, feedback_days=0)
    monkeypatch.setenv("KHUYENCONG_ANSWER_RETENTION_DAYS", "7")
    monkeypatch.setenv("KHUYENCONG_FEEDBACK_RETENTION_DAYS", "365")
    assert Retention.of(Settings.from_env().store) == Retention(answer_days=7, feedback_days=365)
    monkeypatch.setenv("KHUYENCONG_FEEDBACK_RETENTION_DAYS", "-1")
    with pytest.raises(ConfigError) as caught:
        Settings.from_env()
    assert "KHUYENCONG_FEEDBACK_RETENTION_DAYS phải là số ngày (0: giữ mãi)" in caught.value.message


def test_one_channels_event_window_does_not_forget_another_channels_events(store_location: Location) -> None:
    """Zalo remembers msg_ids for 20 minutes, Telegram update_ids for a day, in one table of one store:
    a Zalo event taken later must not delete the Telegram update_ids the day still covers."""
    store = FeedbackStore(store_location)
    start = 1_900_000_000.0
    assert store.first_event("telegram", "update:7", now=start)
    assert store.first_event("zalo", "msg:1", ttl=1200, now=start + 3600)
    assert not store.first_event("telegram", "update:7", now=start + 3600)  # Telegram's retry: taken already
    assert store.first_event("zalo", "msg:1", ttl=1200, now=start + 3600 + 1201)  # Zalo's own window did pass
    store.close()


def test_a_claim_is_won_by_one_of_many_stores_at_once(store_location: Location) -> None:
    """An event or a reminder raced by several store instances (each its own connections, as each server
    process has): exactly one wins each claim, on SQLite and on PostgreSQL."""
    stores = [FeedbackStore(store_location) for _ in range(6)]
    barrier = threading.Barrier(len(stores))

    def claim(store: FeedbackStore) -> list[bool]:
        barrier.wait()
        won = [store.first_event("zalo", f"msg:{n}", ttl=1200) for n in range(15)]
        return won + [store.claim_reminder("telegram", "c1", f"deadline-{n}") for n in range(15)]

    with ThreadPoolExecutor(len(stores)) as pool:
        results = list(pool.map(claim, stores))
    assert [sum(column) for column in zip(*results)] == [1] * 30, results
    for store in stores:
        store.close()
