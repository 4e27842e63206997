"""The rate limits (HTTP per client address, bots per user) are one budget for every worker: counted in the
feedback store (its SQLite file, or PostgreSQL for several machines: each test runs on both, `store_location`),
by real processes and by app instances over one store."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from bot_standins import make_dialogue
from fastapi.testclient import TestClient
from stores import rows

from assistant import Assistant
from assistant.api import create_app
from assistant.conversation import ConversationStore
from assistant.feedback import FeedbackStore
from assistant.ratelimit import PRUNE_EVERY, Rate, RateLimiter
from assistant.store import Location
from bots.dialogue import Chat

DEADLINE_QUESTION = "hạn đăng ký kế hoạch khuyến công quốc gia"

# Each process waits for the same start time, then checks the same key as fast as it can.
_HAMMER = """
import sys, time
from pathlib import Path
from assistant.ratelimit import Rate, RateLimiter
store, start, tries = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
limiter = RateLimiter(Rate(30, 60), store=store if "://" in store else Path(store))
time.sleep(max(0.0, start - time.time()))
print(sum(limiter.wait_for("203.0.113.9") == 0 for _ in range(tries)))
"""


def test_two_processes_never_take_more_than_the_budget_together(store_location: Location) -> None:
    FeedbackStore(store_location).close()  # the store the server keeps its answers in
    start = time.time() + 3  # both are running by then
    command = [sys.executable, "-c", _HAMMER, str(store_location), str(start), "40"]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    allowed = [int(p.communicate(timeout=120)[0]) for p in processes]
    assert sum(allowed) == 30, allowed
    assert all(p.returncode == 0 for p in processes)
    assert rows(store_location, "SELECT COUNT(*) FROM rate_hits") == [(30,)]
    assert rows(store_location, "SELECT COUNT(*) FROM answers") == [(0,)]  # the feedback tables are intact


def test_two_app_instances_on_one_store_share_the_per_address_budget(
    assistant: Assistant, tmp_path: Path, store_location: Location
) -> None:
    """Two uvicorn workers are two app instances over `<data_dir>/feedback.sqlite3` (or KHUYENCONG_STORE_URL);
    a restart is a third."""
    url = "" if isinstance(store_location, Path) else store_location  # a Path: the default, in the data dir
    settings = assistant.settings.replaced(data_dir=tmp_path / "data", rate_limit=Rate(4, 60), store_url=url)
    limited = Assistant(settings)

    def worker() -> TestClient:
        return TestClient(
            create_app(limited, conversations=ConversationStore(), answer_cache=0), client=("203.0.113.7", 1)
        )

    with worker() as one, worker() as two:
        statuses = [(one if n % 2 else two).get("/documents").status_code for n in range(6)]
        refused = one.post("/ask", json={"question": DEADLINE_QUESTION})
    assert statuses == [200, 200, 200, 200, 429, 429]
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    with worker() as restarted:  # the counts are on disk
        assert restarted.get("/search", params={"q": "kinh phí"}).status_code == 429
        assert restarted.get("/health").status_code == 200  # monitoring is not counted


def test_the_bots_per_user_budget_is_shared_by_workers(assistant: Assistant, store_location: Location) -> None:
    limited = Assistant(assistant.settings.replaced(bot_rate_limit=Rate(2, 60)))  # KHUYENCONG_BOT_RATE_LIMIT=2/60
    one, two = (make_dialogue(limited, FeedbackStore(store_location)) for _ in range(2))
    user, other = Chat("telegram", "c1", "u1"), Chat("telegram", "c2", "u2")
    assert one.handle(user, "/help").lines[0].text.startswith("Cách dùng")
    assert two.handle(user, "/help").lines[0].text.startswith("Cách dùng")
    assert "Bạn gửi hơi nhanh" in two.handle(user, "/help").lines[0].text
    assert "Bạn gửi hơi nhanh" in one.handle(user, "/help").lines[0].text
    assert one.handle(other, "/help").lines[0].text.startswith("Cách dùng")


def test_the_bots_and_the_api_have_separate_budgets(store_location: Location) -> None:
    api = RateLimiter(Rate(1, 60), store=store_location)
    bot = RateLimiter(Rate(1, 60), store=store_location, scope="bot")
    assert api.wait_for("same-key") == 0 and bot.wait_for("same-key") == 0
    assert api.wait_for("same-key") > 0 and bot.wait_for("same-key") > 0


def test_the_wait_is_until_the_oldest_request_leaves_the_window(store_location: Location) -> None:
    now = [1_000_000.0]
    limiter = RateLimiter(Rate(2, 60), clock=lambda: now[0], store=store_location)
    assert limiter.wait_for("k") == 0
    now[0] += 15
    assert limiter.wait_for("k") == 0
    now[0] += 5
    assert limiter.wait_for("k") == pytest.approx(40)  # refused requests are not counted
    now[0] += 40
    assert limiter.wait_for("k") == 0


def test_the_table_holds_only_the_last_window(store_location: Location) -> None:
    now = [1_000_000.0]
    limiter = RateLimiter(Rate(5, 60), clock=lambda: now[0], store=store_location)
    for n in range(PRUNE_EVERY - 1):
        limiter.wait_for(f"203.0.113.{n}")  # many addresses, each seen once
    now[0] += 61
    limiter.wait_for("198.51.100.1")  # the check that prunes
    assert rows(store_location, "SELECT COUNT(*) FROM rate_hits") == [(1,)]
    assert rows(store_location, "SELECT key FROM rate_keys") == [("198.51.100.1",)]
