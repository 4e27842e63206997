"""Deadline reminders (/nhac, /huynhac): the real PTB Application and its JobQueue against the Bot API
stand-in, the Zalo route with its APScheduler job against the OA stand-in, a controlled "today".

The corpus states two deadlines (Công văn 400, đoạn 14): "trước ngày 20 tháng 6 năm 2023" and
"trước ngày 30 tháng 9 năm 2023". Reminders go out KHUYENCONG_REMINDER_DAYS (7) days ahead.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from bot_standins import BotAPIStandIn, ZaloStandIn, make_dialogue, poll_while, wait_until
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant import Assistant, Settings
from assistant.api import create_app
from assistant.deadlines import Deadline, due_reminders
from assistant.feedback import FeedbackStore
from bots.config import TelegramSettings, ZaloSettings
from bots.dialogue import Chat, Dialogue
from bots.reminders import Reminders
from bots.telegram import build_application
from bots.zalo import SIGNATURE_HEADER, sign_event, zalo_router

TOKEN = "123456:TEST-token"
CHAT, OTHER, USER = 4242, 5151, 777
WEEK_BEFORE = dt.date(2023, 6, 13)  # 7 days before "trước ngày 20 tháng 6 năm 2023"
AFTER_JUNE = dt.date(2023, 6, 21)  # the June deadline passed; September is 101 days away
ROUND = 0.2  # seconds between reminder rounds in these tests


def _deadline(day: int, month: int, year: int | None) -> Deadline:
    return Deadline(f"Trước ngày {day}/{month}", day, month, year, "…", "doc", "Văn bản", "đoạn 1")


def test_due_reminders_from_n_days_ahead_until_the_day_never_after() -> None:
    june, sept = _deadline(20, 6, 2023), _deadline(30, 9, 2023)
    assert [r.days_left for r in due_reminders([june, sept], dt.date(2023, 6, 13), 7)] == [7]
    assert due_reminders([june], dt.date(2023, 6, 12), 7) == []  # 8 days away: not yet
    assert [r.days_left for r in due_reminders([june], dt.date(2023, 6, 20), 7)] == [0]  # the day itself
    assert due_reminders([june], dt.date(2023, 6, 21), 7) == []  # passed
    yearly = _deadline(15, 7, None)  # "trước ngày 15 tháng 7 hằng năm"
    (this_year,) = due_reminders([yearly], dt.date(2101, 7, 10), 7)
    assert (this_year.date, this_year.key) == (dt.date(2101, 7, 15), "doc@2101-07-15")
    assert due_reminders([_deadline(31, 2, 2023)], dt.date(2023, 2, 25), 7) == []  # no such day


@pytest.fixture()
def bot_api() -> Iterator[BotAPIStandIn]:
    with BotAPIStandIn(TOKEN).running() as api:
        yield api


def run_bot(
    api: BotAPIStandIn,
    dialogue: Dialogue,
    today: Callable[[], dt.date],
    script: Callable[[BotAPIStandIn], Any],
) -> None:
    """The real Application, long polling the stand-in, its JobQueue sending reminders every ROUND seconds."""
    dialogue.clock = today  # /nhac lists the deadlines not passed on this day; the reminders count from it
    reminders = Reminders(dialogue, "telegram")
    application = build_application(
        TelegramSettings(token=TOKEN, api_url=api.base_url),
        dialogue,
        reminders=reminders,
        reminder_every=ROUND,
        reminder_first=ROUND,
    )
    assert application.updater is not None and application.job_queue is not None

    poll_while(application, api, script)


def _texts_to(api: BotAPIStandIn, chat: int) -> list[str]:
    return [api.visible(p) for p in api.sent() if p["chat_id"] == str(chat)]


def _reminders_to(api: BotAPIStandIn, chat: int) -> list[str]:
    return [t for t in _texts_to(api, chat) if t.startswith("⏰ Nhắc hạn")]


def test_a_subscribed_chat_is_reminded_once_and_never_again_after_a_restart(
    bot_api: BotAPIStandIn, assistant: Assistant, feedback: FeedbackStore
) -> None:
    def subscribe_and_wait(api: BotAPIStandIn) -> None:
        api.push_message(CHAT, USER, "/nhac")
        wait_until(lambda: _reminders_to(api, CHAT), what="the reminder")
        time.sleep(ROUND * 5)  # more rounds: nothing more to send

    run_bot(bot_api, make_dialogue(assistant, feedback), lambda: WEEK_BEFORE, subscribe_and_wait)
    first = _texts_to(bot_api, CHAT)[0]
    assert first.startswith("Đã đăng ký nhắc hạn.\nTrợ lý sẽ nhắc 7 ngày trước mỗi hạn chót ghi trong tài liệu")
    assert "• 20/06/2023: Trước ngày 20 tháng 6 năm 2023 — 6 nội dung định hướng" in first
    assert first.endswith("Gửi /huynhac để thôi nhận nhắc hạn.")
    (reminder,) = _reminders_to(bot_api, CHAT)
    lines = reminder.splitlines()
    assert lines[0] == "⏰ Nhắc hạn: còn 7 ngày (20/06/2023)"
    assert "trước ngày 20 tháng 6 năm 2023" in lines[1] and "Đăng ký kế hoạch KCQG" in lines[1]
    assert lines[2] == (
        "Nguồn: 6 nội dung định hướng hoạt động khuyến công năm 2024 (Công văn 400/CTĐP-QLKC) — đoạn 14"
    )
    assert feedback.subscribers("telegram") == [str(CHAT)]

    # A restart: a new Application (and dialogue) over the same store, the same day: nothing is sent twice.
    sent = len(bot_api.sent())
    run_bot(bot_api, make_dialogue(assistant, feedback), lambda: WEEK_BEFORE, lambda api: time.sleep(ROUND * 5))
    assert len(bot_api.sent()) == sent


def test_no_reminder_for_a_passed_deadline_and_none_after_huynhac(
    bot_api: BotAPIStandIn, assistant: Assistant, feedback: FeedbackStore
) -> None:
    day = [AFTER_JUNE]

    def script(api: BotAPIStandIn) -> None:
        api.push_message(OTHER, USER, "/nhac")
        wait_until(lambda: _texts_to(api, OTHER), what="the subscription reply")
        time.sleep(ROUND * 5)
        assert _reminders_to(api, OTHER) == []  # 20/6 has passed, 30/9 is 101 days away
        api.push_message(OTHER, USER, "/huynhac")
        wait_until(lambda: len(_texts_to(api, OTHER)) >= 2, what="the unsubscription reply")
        day[0] = dt.date(2023, 9, 25)  # the September deadline is 5 days away now
        time.sleep(ROUND * 5)

    run_bot(bot_api, make_dialogue(assistant, feedback), lambda: day[0], script)
    replies = _texts_to(bot_api, OTHER)
    assert "• 30/09/2023: Trước ngày 30 tháng 9 năm 2023" in replies[0]
    assert "20/06/2023" not in replies[0]  # a passed deadline is not listed
    assert replies[1] == "Đã hủy nhắc hạn: trợ lý sẽ không gửi nhắc hạn cho bạn nữa. Gửi /nhac để đăng ký lại."
    assert len(replies) == 2 and feedback.subscribers("telegram") == []


def test_a_failed_send_is_tried_again_next_round(
    bot_api: BotAPIStandIn, assistant: Assistant, feedback: FeedbackStore
) -> None:
    feedback.subscribe("telegram", str(CHAT))
    refusals = 10  # more 429s than the rate limiter retries: the first rounds' sends fail
    bot_api.flood_refusals = refusals

    def script(api: BotAPIStandIn) -> None:
        wait_until(lambda: api.flood_refusals == 0, timeout=60, what="the refusals used up")
        wait_until(lambda: _reminders_to(api, CHAT), timeout=60, what="the reminder sent in a later round")
        time.sleep(ROUND * 3)

    run_bot(bot_api, make_dialogue(assistant, feedback), lambda: WEEK_BEFORE, script)
    assert len(_reminders_to(bot_api, CHAT)) == refusals + 1  # the stand-in records the refused calls too: one went out


def test_a_chat_that_blocked_the_bot_is_unsubscribed(
    bot_api: BotAPIStandIn, assistant: Assistant, feedback: FeedbackStore
) -> None:
    feedback.subscribe("telegram", str(OTHER))
    feedback.subscribe("telegram", str(CHAT))
    bot_api.blocked.add(OTHER)

    def script(api: BotAPIStandIn) -> None:
        wait_until(lambda: _reminders_to(api, CHAT), what="the reminder to the chat that did not block the bot")
        wait_until(lambda: feedback.subscribers("telegram") == [str(CHAT)], what="the blocked chat unsubscribed")

    run_bot(bot_api, make_dialogue(assistant, feedback), lambda: WEEK_BEFORE, script)
    assert len(_reminders_to(bot_api, OTHER)) == 1  # tried once, refused, not tried again


def test_the_commands_in_a_chat_that_keeps_no_store(assistant: Assistant) -> None:
    from assistant.session import Session

    dialogue = Dialogue(Session(assistant))
    chat = Chat("telegram", "1", "1")
    assert dialogue.handle(chat, "/nhac").lines[0].text.startswith("Xin lỗi, trợ lý chạy ở chế độ không lưu dữ liệu")
    assert dialogue.handle(chat, "/huynhac").lines[0].text.startswith("Cuộc trò chuyện này chưa đăng ký nhắc hạn")


def test_serve_with_the_telegram_webhook_sends_reminders_from_its_job_queue(
    bot_api: BotAPIStandIn, built_settings: Settings, feedback: FeedbackStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bots.telegram

    monkeypatch.setattr(bots.telegram, "REMINDER_FIRST", ROUND)  # the hourly job's first round, sooner
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "s3cret-Webhook_token")
    monkeypatch.setenv("TELEGRAM_API_URL", bot_api.base_url)
    feedback.subscribe("telegram", str(CHAT))
    served = Assistant(built_settings.replaced(today=dt.date(2023, 6, 18)))  # KHUYENCONG_TODAY=2023-06-18
    with TestClient(create_app(served, feedback=feedback)):
        wait_until(lambda: _reminders_to(bot_api, CHAT), what="the reminder sent by serve's Application")
        time.sleep(ROUND * 3)
    (reminder,) = _reminders_to(bot_api, CHAT)
    assert reminder.startswith("⏰ Nhắc hạn: còn 2 ngày (20/06/2023)")


# ------------------------------------------------------------------------- Zalo
APP_ID, APP_SECRET, OA_SECRET_KEY = "3608465249409039", "app-secret-key", "oa-secret-key"


def test_zalo_users_subscribe_by_text_and_get_the_reminder_once(
    assistant: Assistant, feedback: FeedbackStore, tmp_path: Path
) -> None:
    with ZaloStandIn(APP_ID, APP_SECRET, "access-1", "refresh-1").running() as oa:
        settings = ZaloSettings(
            APP_ID, APP_SECRET, OA_SECRET_KEY, "access-1", "refresh-1", tmp_path / "zalo_tokens.json", oa.url, oa.url
        )
        router = zalo_router(settings, make_dialogue(assistant, feedback), reminder_every=ROUND, reminder_first=ROUND)
        router.zalo_bot.dialogue.clock = lambda: dt.date(2023, 9, 28)  # type: ignore[attr-defined]
        app = FastAPI()
        app.include_router(router)
        body = json.dumps(
            {
                "app_id": APP_ID,
                "event_name": "user_send_text",
                "sender": {"id": "u-1"},
                "recipient": {"id": "oa"},
                "message": {"msg_id": "m-1", "text": "/nhac"},
                "timestamp": str(int(time.time() * 1000)),
            }
        ).encode()
        signature = sign_event(APP_ID, body, json.loads(body)["timestamp"], OA_SECRET_KEY)
        with TestClient(app) as client:
            response = client.post("/zalo/webhook", content=body, headers={SIGNATURE_HEADER: signature})
            assert response.json() == {"status": "accepted"}
            wait_until(lambda: any(t.startswith("⏰ Nhắc hạn") for t in oa.texts_to("u-1")), what="the Zalo reminder")
            time.sleep(ROUND * 5)
        texts = oa.texts_to("u-1")
        assert texts[0].startswith("Đã đăng ký nhắc hạn.")
        assert [t.splitlines()[0] for t in texts if t.startswith("⏰")] == ["⏰ Nhắc hạn: còn 2 ngày (30/09/2023)"]
        assert feedback.subscribers("zalo") == ["u-1"]


def test_reminder_days_is_a_setting(monkeypatch: pytest.MonkeyPatch, built_settings: Settings) -> None:
    monkeypatch.setenv("KHUYENCONG_REMINDER_DAYS", "3")
    assert Settings.from_env().bots.reminder_days == 3
    settings = built_settings.replaced(reminder_days=3)
    from assistant.session import Session

    session = Session(Assistant(settings))
    assert session.due_reminders(WEEK_BEFORE) == []  # 7 days away, reminders 3 days ahead
    assert [r.days_left for r in session.due_reminders(dt.date(2023, 6, 17))] == [3]
