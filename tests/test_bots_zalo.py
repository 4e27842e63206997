"""The Zalo OA webhook route in the real FastAPI app, replying through an OA API stand-in on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from bot_standins import ZALO_LIMIT, ZaloStandIn, fake_llm, wait_until
from fastapi.testclient import TestClient

from assistant import Assistant, Settings
from assistant.api import create_app
from assistant.conversation import ConversationStore
from assistant.feedback import FeedbackStore
from bots.config import BotConfigError, ZaloSettings
from bots.zalo import SIGNATURE_HEADER, VOTE_HINT, OAClient, TokenPair, sign_event

APP_ID, APP_SECRET, OA_SECRET_KEY = "3608465249409039", "app-secret-key", "oa-secret-key"
QUESTION = "hạn đăng ký kế hoạch khuyến công quốc gia"
LLM_QUESTION = "Năm 2022 kinh phí KCQG được phân bổ bao nhiêu?"


@pytest.fixture()
def oa() -> Iterator[ZaloStandIn]:
    with ZaloStandIn(APP_ID, APP_SECRET, "access-1", "refresh-1").running() as stand_in:
        yield stand_in


@pytest.fixture()
def zalo_env(oa: ZaloStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "ZALO_APP_ID": APP_ID,
        "ZALO_APP_SECRET": APP_SECRET,
        "ZALO_OA_SECRET_KEY": OA_SECRET_KEY,
        "ZALO_ACCESS_TOKEN": "access-1",
        "ZALO_REFRESH_TOKEN": "refresh-1",
        "ZALO_API_URL": oa.url,
        "ZALO_OAUTH_URL": oa.url,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)


class App:
    """The real app with the Zalo route, its data directory in tmp_path."""

    def __init__(self, settings: Settings, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.feedback = FeedbackStore(data_dir / "feedback.sqlite3")
        app = create_app(Assistant(settings.replaced(data_dir=data_dir)), feedback=self.feedback)
        self.client = TestClient(app)

    def __enter__(self) -> App:
        self.client.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.__exit__(*exc)
        self.feedback.close()

    def post(self, body: bytes, signature: str | None = None) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers[SIGNATURE_HEADER] = signature
        return self.client.post("/zalo/webhook", content=body, headers=headers)

    def send(self, body: bytes) -> httpx.Response:
        """POST a correctly signed event."""
        return self.post(body, _signature(body))


def event(user_id: str, text: str, msg_id: str | None = None, age: float = 0.0, name: str = "user_send_text") -> bytes:
    """An event as Zalo sends it (timestamp in ms, `age` seconds ago)."""
    stamp = str(int((time.time() - age) * 1000))
    body = {
        "app_id": APP_ID,
        "user_id_by_app": "55217727971758",
        "event_name": name,
        "timestamp": stamp,
        "sender": {"id": user_id},
        "recipient": {"id": "388613280878808645"},
        "message": {"text": text, "msg_id": msg_id or f"msg-{user_id}-{time.monotonic_ns()}"},
    }
    return json.dumps(body, ensure_ascii=False).encode()


def _signature(body: bytes, key: str = OA_SECRET_KEY) -> str:
    return sign_event(APP_ID, body, json.loads(body)["timestamp"], key)


@pytest.fixture()
def app(zalo_env: None, built_settings: Settings, tmp_path: Path) -> Iterator[App]:
    with App(built_settings, tmp_path / "data") as running:
        yield running


# ------------------------------------------------------------------ answering
def test_signed_message_is_acknowledged_at_once_then_answered(app: App, oa: ZaloStandIn, assistant: Assistant) -> None:
    expected = assistant.ask(QUESTION)
    started = time.monotonic()
    response = app.send(event("u-ask", QUESTION))
    assert response.status_code == 200 and response.json() == {"status": "accepted"}
    assert time.monotonic() - started < 2.0  # Zalo wants its 200 within about 2 s
    (text,) = wait_until(lambda: oa.texts_to("u-ask"), what="the reply")
    assert text.startswith(expected.answer)
    assert all(f"[{n}] {c.title} — {c.locator}" in text for n, c in enumerate(expected.citations, 1))
    assert text.endswith(VOTE_HINT)
    assert oa.sends[0]["access_token"] == "access-1"


def test_thumbs_vote_on_the_last_answer(app: App, oa: ZaloStandIn) -> None:
    app.send(event("u-vote", QUESTION))
    wait_until(lambda: oa.texts_to("u-vote"), what="the answer")
    app.send(event("u-vote", "👎"))
    thanks = wait_until(lambda: oa.texts_to("u-vote")[1:], what="the thanks")
    assert "Cảm ơn" in thanks[0]
    rows = app.feedback.counts()
    assert rows["unhelpful"] == 1 and rows["helpful"] == 0


def test_long_answer_is_sent_in_pieces_of_at_most_2000(
    zalo_env: None, oa: ZaloStandIn, built_settings: Settings, tmp_path: Path
) -> None:
    with fake_llm() as llm:
        llm.reply = " ".join(
            f"Ý {a}{b}: năm 2022 KCQG được phân bổ 140 tỷ đồng [1]." for a in "abcdefghik" for b in "lmnopqrstu"
        )
        with App(built_settings.replaced(llm_url=llm.url, llm_model="test"), tmp_path / "data") as running:
            running.send(event("u-long", LLM_QUESTION))
            wait_until(lambda: [t for t in oa.texts_to("u-long") if VOTE_HINT in t], what="the last piece")
            texts = oa.texts_to("u-long")
    assert len(llm.reply) > 2 * ZALO_LIMIT and len(texts) >= 3
    assert all(len(t) <= ZALO_LIMIT for t in texts)
    assert " ".join(" ".join(texts).split()).startswith(" ".join(llm.reply.split()))


def test_follow_event_gets_the_greeting(app: App, oa: ZaloStandIn) -> None:
    body = json.dumps(
        {
            "app_id": APP_ID,
            "event_name": "follow",
            "timestamp": str(int(time.time() * 1000)),
            "follower": {"id": "u-new"},
        }
    ).encode()
    assert app.send(body).json() == {"status": "accepted"}
    (greeting,) = wait_until(lambda: oa.texts_to("u-new"), what="the greeting")
    assert greeting.startswith("Xin chào") and "/hanchot" in greeting


# ------------------------------------------------------------------- refusals
def test_forged_or_unsigned_events_are_refused(app: App, oa: ZaloStandIn) -> None:
    body = event("u-forged", "/nguon")
    tampered = body.replace(b"/nguon", b"/hanchot")
    for response in (
        app.post(body),  # no signature
        app.post(body, _signature(body, key="not-the-oa-key")),
        app.post(tampered, _signature(body)),
        app.post(body, _signature(body).removeprefix("mac=") + "0"),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "bad_signature"
    app.send(event("u-real", "/nguon"))
    wait_until(lambda: oa.texts_to("u-real"), what="the genuine reply")
    assert oa.texts_to("u-forged") == []


def test_replayed_events_are_answered_once(app: App, oa: ZaloStandIn) -> None:
    body = event("u-replay", "/hanchot", msg_id="msg-42")
    assert app.send(body).json() == {"status": "accepted"}
    assert app.send(body).json() == {"status": "duplicate"}  # Zalo's retry, or someone replaying it
    assert app.send(event("u-replay", "/nguon", age=3600)).json() == {"status": "stale"}
    assert app.send(event("u-replay", "/nguon", age=-3600)).json() == {"status": "stale"}
    app.send(event("u-replay", "/help"))
    texts = wait_until(lambda: oa.texts_to("u-replay")[1:] and oa.texts_to("u-replay"), what="two replies")
    assert len(texts) == 2 and sum(t.startswith("Các hạn chót") for t in texts) == 1
    assert not any(t.startswith("Các tài liệu") for t in texts)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({"event_name": "user_send_text", "message": {"text": "x", "msg_id": "1"}}).encode(),
        json.dumps({"timestamp": "1700000000000", "sender": {"id": "u"}}).encode(),
        json.dumps({"event_name": "user_send_text", "timestamp": "soon"}).encode(),
    ],
)
def test_malformed_events_get_400(app: App, body: bytes) -> None:
    response = app.post(body, "mac=" + "0" * 64)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_event"


def test_signed_text_event_without_its_fields_gets_400(app: App) -> None:
    payload: dict[str, Any] = json.loads(event("u-x", "hỏi"))
    del payload["message"]["msg_id"]
    body = json.dumps(payload).encode()
    assert app.send(body).status_code == 400


# ---------------------------------------------------------------------- tokens
def test_expired_token_is_renewed_once_and_the_new_pair_persisted(
    zalo_env: None, oa: ZaloStandIn, built_settings: Settings, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    oa.expire_token()
    with App(built_settings, data_dir) as running:
        running.send(event("u-token", "/nguon"))
        wait_until(lambda: oa.texts_to("u-token"), what="the reply after renewal")
        running.send(event("u-token", "/help"))
        wait_until(lambda: oa.texts_to("u-token")[1:], what="the second reply")
    assert oa.refreshes == [
        {"refresh_token": "refresh-1", "app_id": APP_ID, "grant_type": "refresh_token", "secret_key": APP_SECRET}
    ]
    assert [s["access_token"] for s in oa.sends] == ["access-2", "access-2"]
    saved = json.loads((data_dir / "zalo_tokens.json").read_text())
    assert (saved["access_token"], saved["refresh_token"]) == ("access-2", "refresh-2")
    assert (data_dir / "zalo_tokens.json").stat().st_mode & 0o077 == 0
    # A restart uses the saved pair, not the spent one still in the environment.
    with App(built_settings, data_dir) as restarted:
        restarted.send(event("u-token", "/start"))
        wait_until(lambda: oa.texts_to("u-token")[2:], what="the reply after restart")
    assert len(oa.refreshes) == 1 and oa.sends[-1]["access_token"] == "access-2"


def test_failed_renewal_sends_nothing_and_keeps_the_route_alive(app: App, oa: ZaloStandIn) -> None:
    oa.expire_token()
    oa.refresh_token = "someone-else-spent-it"
    assert app.send(event("u-dead", "/nguon")).json() == {"status": "accepted"}
    wait_until(lambda: oa.refreshes, what="the renewal attempt")
    oa.refresh_token = "refresh-1"
    app.send(event("u-alive", "/nguon"))
    wait_until(lambda: oa.texts_to("u-alive"), what="a reply once renewal works")
    assert oa.texts_to("u-dead") == []


# ---------------------------------------------------------------------- config
def test_half_configured_zalo_fails_at_start_naming_the_variables(
    assistant: Assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZALO_APP_ID", APP_ID)
    feedback = FeedbackStore(tmp_path / "feedback.sqlite3")
    try:
        with pytest.raises(BotConfigError) as raised:
            create_app(assistant, feedback=feedback, conversations=ConversationStore())
    finally:
        feedback.close()
    for name in ("ZALO_APP_SECRET", "ZALO_OA_SECRET_KEY", "ZALO_ACCESS_TOKEN", "ZALO_REFRESH_TOKEN"):
        assert name in raised.value.message
    assert "ZALO_APP_ID" not in raised.value.message.split("\n")[0]


def test_a_second_server_process_takes_the_renewed_pair_from_disk(
    zalo_env: None, oa: ZaloStandIn, tmp_path: Path
) -> None:
    settings = ZaloSettings.from_env(tmp_path)

    async def two_processes() -> None:
        async with httpx.AsyncClient() as http:
            first, second = OAClient(settings, http), OAClient(settings, http)
            oa.expire_token()
            await first.send_text("u-a", "một")  # renews: refresh-1 is spent
            await second.send_text("u-b", "hai")  # still holds access-1: must not spend refresh-1 again
            assert second.tokens == first.tokens == TokenPair("access-2", "refresh-2")

    asyncio.run(two_processes())
    assert len(oa.refreshes) == 1
    assert oa.texts_to("u-a") == ["một"] and oa.texts_to("u-b") == ["hai"]


def test_a_replay_after_a_restart_is_not_answered_again(
    zalo_env: None, built_settings: Settings, tmp_path: Path, oa: ZaloStandIn
) -> None:
    body = event("u-restart", "/nguon", msg_id="msg-restart-1")
    follow = json.dumps(
        {"app_id": APP_ID, "event_name": "follow", "timestamp": str(int(time.time() * 1000)), "follower": {"id": "u-f"}}
    ).encode()
    with App(built_settings, tmp_path / "data") as first:
        assert first.send(body).json() == {"status": "accepted"}
        assert first.send(follow).json() == {"status": "accepted"}
        assert first.send(follow).json() == {"status": "duplicate"}  # one greeting per follow event
        wait_until(lambda: oa.texts_to("u-restart") and oa.texts_to("u-f"), what="the reply and the greeting")
    with App(built_settings, tmp_path / "data") as second:  # the server restarted; its store is on disk
        assert second.send(body).json() == {"status": "duplicate"}
        assert second.send(follow).json() == {"status": "duplicate"}
    assert len(oa.texts_to("u-f")) == 1


def test_a_malformed_event_age_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("ZALO_APP_ID", "ZALO_APP_SECRET", "ZALO_OA_SECRET_KEY", "ZALO_ACCESS_TOKEN", "ZALO_REFRESH_TOKEN"):
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("ZALO_MAX_EVENT_AGE", "mười phút")
    with pytest.raises(BotConfigError) as raised:
        ZaloSettings.from_env(tmp_path)
    assert raised.value.message == "ZALO_MAX_EVENT_AGE phải là số giây, ví dụ 600 (đang là “mười phút”)."
    monkeypatch.setenv("ZALO_MAX_EVENT_AGE", " 120 ")
    assert ZaloSettings.from_env(tmp_path).max_event_age == 120.0
