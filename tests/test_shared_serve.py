"""Two `khuyencong serve` processes sharing one store, and one index: a Zalo event or a Telegram update
delivered to both is answered once, and the per-address HTTP rate limit is one budget for both. Each test
runs twice: over one data directory (the default SQLite store, as the workers of one machine), and as two
machines behind a load balancer would, each with its own data directory, sharing a real PostgreSQL
database through KHUYENCONG_STORE_URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from bot_standins import BotAPIStandIn, ZaloStandIn, wait_until
from processes import free_port, stop_group

from assistant import Settings
from bots.zalo import SIGNATURE_HEADER, sign_event

APP_ID, APP_SECRET, OA_SECRET_KEY = "3608465249409039", "app-secret-key", "oa-secret-key"
TELEGRAM_TOKEN, TELEGRAM_SECRET = "123456:shared-serve", "shared-secret"
QUESTION = "hạn đăng ký kế hoạch khuyến công quốc gia"
BUDGET = 5  # KHUYENCONG_RATE_LIMIT of both servers: requests per address per minute
BOT_BUDGET = 3  # KHUYENCONG_BOT_RATE_LIMIT of both servers: messages per chat user per minute
SLOW_DOWN = "Bạn gửi hơi nhanh"  # how the bots' reply to a message over the limit begins
QUIET = 3.0  # seconds with no further message after the first reply, before counting


@dataclass
class Servers:
    """Two serve processes sharing a data directory, and the API stand-ins they reply through."""

    bases: list[str]
    processes: list[subprocess.Popen[bytes]]
    logs: list[Path]
    oa: ZaloStandIn
    telegram: BotAPIStandIn

    def output(self) -> str:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace") for log in self.logs)


def _wait_healthy(servers: Servers, timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    waiting = list(zip(servers.processes, servers.bases))
    while waiting and time.monotonic() < deadline:
        for process, base in list(waiting):
            if process.poll() is not None:
                pytest.fail(f"serve exited with {process.returncode}:\n{servers.output()}")
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    waiting.remove((process, base))
            except httpx.TransportError:
                pass
        time.sleep(0.3)
    if waiting:
        pytest.fail(f"serve did not become healthy:\n{servers.output()}")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, built_settings: Settings
) -> Iterator[Servers]:
    root = tmp_path_factory.mktemp("shared")
    store_url = "" if request.param == "sqlite" else request.getfixturevalue("postgres").database()
    with (
        ZaloStandIn(APP_ID, APP_SECRET, "access-1", "refresh-1").running() as oa,
        BotAPIStandIn(TELEGRAM_TOKEN).running() as telegram,
    ):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KHUYENCONG_", "TELEGRAM_", "ZALO_"))}
        env.update(
            KHUYENCONG_DATA_DIR=str(root / "data"),  # SQLite: one feedback store for both, in here
            KHUYENCONG_EMBEDDING_CACHE=str(built_settings.cache_path),
            KHUYENCONG_RATE_LIMIT=f"{BUDGET}/60",
            KHUYENCONG_BOT_RATE_LIMIT=f"{BOT_BUDGET}/60",
            ZALO_APP_ID=APP_ID,
            ZALO_APP_SECRET=APP_SECRET,
            ZALO_OA_SECRET_KEY=OA_SECRET_KEY,
            ZALO_ACCESS_TOKEN="access-1",
            ZALO_REFRESH_TOKEN="refresh-1",
            ZALO_API_URL=oa.url,
            ZALO_OAUTH_URL=oa.url,
            TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN,
            TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET,
            TELEGRAM_API_URL=telegram.base_url,
        )
        command = [sys.executable, "-m", "assistant", "--corpus", str(built_settings.store.corpus_dir)]
        command += ["--index", str(built_settings.store.index_dir), "serve", "--port"]
        ports = [free_port(), free_port()]
        processes, logs = [], []
        try:
            for number, port in enumerate(ports):
                if store_url:  # two machines: nothing shared but the database
                    env.update(KHUYENCONG_STORE_URL=store_url, KHUYENCONG_DATA_DIR=str(root / f"data{number}"))
                log = root / f"serve{number}.log"
                with log.open("wb") as out:
                    processes.append(
                        subprocess.Popen(
                            [*command, str(port)], cwd=root, env=env, stdout=out, stderr=out, start_new_session=True
                        )
                    )
                logs.append(log)
            running = Servers([f"http://127.0.0.1:{p}" for p in ports], processes, logs, oa, telegram)
            _wait_healthy(running)
            yield running
        finally:
            for process in processes:
                stop_group(process)


def _at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(number: int) -> None:
        barrier.wait()
        results[number] = calls[number]()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _zalo_event(user_id: str, msg_id: str, text: str) -> tuple[bytes, dict[str, str]]:
    stamp = str(int(time.time() * 1000))
    body = {
        "app_id": APP_ID,
        "event_name": "user_send_text",
        "timestamp": stamp,
        "sender": {"id": user_id},
        "recipient": {"id": "388613280878808645"},
        "message": {"text": text, "msg_id": msg_id},
    }
    raw = json.dumps(body, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign_event(APP_ID, raw, stamp, OA_SECRET_KEY)}
    return raw, headers


def _post(url: str, content: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(url, content=content, headers=headers, timeout=30)


def test_a_zalo_event_delivered_to_both_servers_is_answered_once(servers: Servers) -> None:
    users = [f"u-both-{n}" for n in range(4)]  # four events, each raced between the two servers
    statuses = []
    for number, user in enumerate(users):
        raw, headers = _zalo_event(user, f"msg-shared-{number}", QUESTION)
        responses = _at_once([partial(_post, base + "/zalo/webhook", raw, headers) for base in servers.bases])
        assert [r.status_code for r in responses] == [200, 200]
        statuses.append(sorted(r.json()["status"] for r in responses))
    wait_until(lambda: all(servers.oa.texts_to(u) for u in users), timeout=60, what="the replies")
    time.sleep(QUIET)  # a second answer, if one were on its way, has arrived by now
    for user in users:
        replies = servers.oa.texts_to(user)
        assert len(replies) == 1, replies
        assert "khuyến công" in replies[0].lower()
    assert statuses == [["accepted", "duplicate"]] * len(users)


def test_a_telegram_update_delivered_to_both_servers_is_answered_once(servers: Servers) -> None:
    api = servers.telegram
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    chats = [7001 + n for n in range(4)]
    for chat in chats:
        body = json.dumps(api.message_update(chat, chat, QUESTION), ensure_ascii=False).encode()
        responses = _at_once([partial(_post, base + "/telegram/webhook", body, headers) for base in servers.bases])
        assert [r.status_code for r in responses] == [200, 200]

    def replies(chat: int) -> list[dict[str, Any]]:
        return [p for p in api.sent() if int(p["chat_id"]) == chat]

    wait_until(lambda: all(replies(c) for c in chats), timeout=60, what="the replies")
    time.sleep(QUIET)
    for chat in chats:
        sent = replies(chat)
        assert len(sent) == 1, sent
        assert "khuyến công" in api.visible(sent[0]).lower()


def test_the_rate_limit_is_one_budget_for_both_servers(servers: Servers) -> None:
    """Both servers see the same address (127.0.0.1): 4 × BUDGET questions at once, half to each."""
    calls = [partial(httpx.post, base + "/ask", json={"question": QUESTION}, timeout=60) for base in servers.bases]
    statuses = [r.status_code for r in _at_once(calls * 2 * BUDGET)]
    assert sorted(set(statuses)) == [200, 429], statuses
    assert statuses.count(200) == BUDGET, statuses
    for base in servers.bases:  # the budget stays spent on both, for the rest of the minute
        assert httpx.post(base + "/ask", json={"question": QUESTION}, timeout=30).status_code == 429


def test_the_bot_rate_limit_is_one_budget_for_both_servers(servers: Servers) -> None:
    """One Zalo user sends 2 × BOT_BUDGET different messages at once, half to each server."""
    user = "u-hasty"
    events = [_zalo_event(user, f"msg-hasty-{n}", "/help") for n in range(2 * BOT_BUDGET)]
    calls = [
        partial(_post, base + "/zalo/webhook", *e) for e, base in zip(events, servers.bases * BOT_BUDGET, strict=True)
    ]
    assert [r.json()["status"] for r in _at_once(calls)] == ["accepted"] * len(events)
    wait_until(lambda: len(servers.oa.texts_to(user)) >= len(events), timeout=60, what="the replies")
    time.sleep(QUIET)
    replies = servers.oa.texts_to(user)
    assert len(replies) == len(events), replies
    assert sum(r.startswith(SLOW_DOWN) for r in replies) == BOT_BUDGET, replies
