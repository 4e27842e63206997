"""The Telegram bot: the real python-telegram-bot Application against a Bot API stand-in on 127.0.0.1.

Long polling (getUpdates from the stand-in's queue) and the webhook route in the real
FastAPI app; the real index built from corpus/; an OpenAI-compatible stand-in where a
test needs an answer longer than one Telegram message.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from bot_standins import TELEGRAM_LIMIT, BotAPIStandIn, fake_llm, make_dialogue, poll_while, wait_until
from click.testing import CliRunner
from fastapi.testclient import TestClient
from test_llm import FakeOpenAI

from assistant import Assistant, Settings
from assistant.api import create_app
from assistant.cli import main
from assistant.conversation import ConversationStore, Turn, resolve_followup
from assistant.feedback import FeedbackStore
from bots.config import BotConfigError, TelegramSettings
from bots.dialogue import Dialogue
from bots.telegram import SECRET_HEADER, build_application

TOKEN = "123456:TEST-token"
SECRET = "s3cret-Webhook_token"
CHAT, USER = 4242, 777
DEADLINE_QUESTION = "hạn đăng ký kế hoạch khuyến công quốc gia"
FOLLOW_UP = "còn hạn nộp hồ sơ thì sao?"
LLM_QUESTION = "Năm 2022 kinh phí KCQG được phân bổ bao nhiêu?"
# Every character HTML or MarkdownV2 treats specially; no digits (the LLM check refuses numbers not in the passage).
SPECIALS = (
    "Doanh thu < mức trần & lao động > mức sàn; *đậm* _nghiêng_ [liên kết](x) `mã` ~ # + - = | { } . ! <b>chữ</b> &amp;"
)


@pytest.fixture()
def bot_api() -> Iterator[BotAPIStandIn]:
    with BotAPIStandIn(TOKEN).running() as api:
        yield api


@pytest.fixture()
def llm() -> Iterator[FakeOpenAI]:
    with fake_llm() as fake:
        yield fake


def run_bot(api: BotAPIStandIn, dialogue: Dialogue, script: Callable[[BotAPIStandIn], Any]) -> None:
    """Run the real Application by long polling against `api` while `script` talks to it from a thread."""
    application = build_application(TelegramSettings(token=TOKEN, api_url=api.base_url), dialogue)
    assert application.updater is not None

    poll_while(application, api, script)


def _buttons(params: dict[str, Any]) -> list[str]:
    markup = json.loads(params.get("reply_markup") or "{}")
    return [button["callback_data"] for row in markup.get("inline_keyboard", []) for button in row]


def _replies(api: BotAPIStandIn, count: int) -> list[dict[str, Any]]:
    return wait_until(lambda: api.sent()[count - 1 :] and api.sent(), what=f"{count} sendMessage calls")  # type: ignore[no-any-return]


def _source_line(number: int, citation: Any) -> str:
    return f"[{number}] {citation.title} — {citation.locator}"


# --------------------------------------------------------------- long polling
def test_question_gets_answer_with_citation_and_buttons(
    bot_api: BotAPIStandIn, assistant: Assistant, feedback: FeedbackStore
) -> None:
    expected = assistant.ask(DEADLINE_QUESTION)
    assert expected.found

    def script(api: BotAPIStandIn) -> None:
        api.push_message(CHAT, USER, DEADLINE_QUESTION)
        _replies(api, 1)

    run_bot(bot_api, make_dialogue(assistant, feedback), script)
    (params,) = bot_api.sent()
    assert params["chat_id"] == str(CHAT) and params["parse_mode"] == "HTML"
    text = bot_api.visible(params)
    assert text.startswith(expected.answer)
    assert all(_source_line(n, c) in text for n, c in enumerate(expected.citations, 1))
    methods = bot_api.methods()
    assert methods.index("sendChatAction") < methods.index("sendMessage")
    assert bot_api.sent("sendChatAction")[0]["action"] == "typing"
    answer_id = _buttons(params)[0].removeprefix("src:")
    assert _buttons(params) == [f"src:{answer_id}", f"up:{answer_id}", f"down:{answer_id}"]
    assert feedback.answer_of(answer_id) == expected.to_dict()


def test_flood_control_is_waited_out_by_the_rate_limiter(
    bot_api: BotAPIStandIn, assistant: Assistant, feedback: FeedbackStore
) -> None:
    bot_api.flood_refusals = 1  # Telegram: "Too Many Requests: retry after 1"

    def script(api: BotAPIStandIn) -> None:
        api.push_message(CHAT, USER, "/help")
        wait_until(lambda: len(api.sent()) >= 2, what="the refused message sent again")

    started = time.monotonic()
    run_bot(bot_api, make_dialogue(assistant, feedback), script)
    refused, delivered = bot_api.sent()
    assert refused == delivered and bot_api.visible(delivered).startswith("Cách dùng")
    assert time.monotonic() - started >= 1.0  # it waited as told


def test_long_answer_arrives_complete_in_several_messages(
    bot_api: BotAPIStandIn, built_settings: Settings, feedback: FeedbackStore, llm: FakeOpenAI
) -> None:
    labels = [a + b for a in "abcdefghiklm" for b in "nopqrstuvxy"]
    paragraphs = [
        " ".join(f"Ý {label}: năm 2022 kinh phí KCQG được phân bổ 140 tỷ đồng cho các đề án [1]." for label in part)
        for part in (labels[:44], labels[44:88], labels[88:])
    ]
    llm.reply = "\n".join(paragraphs) + "\n" + SPECIALS
    assistant = Assistant(built_settings.replaced(llm_url=llm.url, llm_model="test"))

    def script(api: BotAPIStandIn) -> None:
        api.push_message(CHAT, USER, LLM_QUESTION)
        wait_until(lambda: any(_buttons(p) for p in api.sent()), what="the last part, with buttons")

    run_bot(bot_api, make_dialogue(assistant, feedback), script)
    parts = [bot_api.visible(p) for p in bot_api.sent()]
    assert len(llm.reply) > 2 * TELEGRAM_LIMIT and len(parts) >= 3
    assert all(len(part) <= TELEGRAM_LIMIT for part in parts)
    assert " ".join(" ".join(parts).split()).startswith(" ".join(llm.reply.split()))  # nothing lost, in order
    assert [bool(_buttons(p)) for p in bot_api.sent()] == [False] * (len(parts) - 1) + [True]


def test_html_and_markdown_specials_are_delivered_intact(
    bot_api: BotAPIStandIn, built_settings: Settings, feedback: FeedbackStore, llm: FakeOpenAI
) -> None:
    llm.reply = f"Năm 2022 được phân bổ 140 tỷ đồng [1]. {SPECIALS}"
    assistant = Assistant(built_settings.replaced(llm_url=llm.url, llm_model="test"))

    def script(api: BotAPIStandIn) -> None:
        api.push_message(CHAT, USER, LLM_QUESTION)
        _replies(api, 1)

    run_bot(bot_api, make_dialogue(assistant, feedback), script)
    (params,) = bot_api.sent()
    assert "&lt;" in params["text"] and "&amp;amp;" in params["text"]  # escaped on the wire
    assert bot_api.visible(params).splitlines()[0] == llm.reply  # and read back exactly


def test_conversation_question_follow_up_deadlines_and_feedback(
    bot_api: BotAPIStandIn, assistant: Assistant, feedback: FeedbackStore
) -> None:
    first = assistant.ask(DEADLINE_QUESTION)
    resolved = resolve_followup(FOLLOW_UP, [Turn(DEADLINE_QUESTION, DEADLINE_QUESTION, first.answer)])
    second = assistant.ask(resolved)
    assert resolved != FOLLOW_UP and second.found

    def script(api: BotAPIStandIn) -> None:
        api.push_message(CHAT, USER, DEADLINE_QUESTION)
        _replies(api, 1)
        api.push_message(CHAT, USER, FOLLOW_UP)
        _replies(api, 2)
        api.push_message(CHAT, USER, "/hanchot")
        _replies(api, 3)
        answer_id = _buttons(api.sent()[0])[1].removeprefix("up:")
        api.push_button(CHAT, USER, f"up:{answer_id}")
        wait_until(lambda: api.sent("answerCallbackQuery"), what="the vote's acknowledgement")
        api.push_button(CHAT, USER, f"src:{answer_id}")
        _replies(api, 4)

    run_bot(bot_api, make_dialogue(assistant, feedback), script)
    answer, follow_up, deadlines, sources = (bot_api.visible(p) for p in bot_api.sent())
    assert answer.startswith(first.answer)
    assert f"(Câu hỏi được hiểu là: {resolved})" in follow_up and second.answer in follow_up
    # /hanchot lists, from the documents, the dates the answers lead with, each quoted and sourced.
    for given in (first, second):
        lead = given.answer.splitlines()[0].split(". ")[0].rstrip(".")  # the date, without "Hạn này đã qua."
        assert lead in deadlines
    cited_titles = {c.title for c in first.citations}
    assert any(f"Nguồn: {title}" in deadlines for title in cited_titles)
    answer_id = _buttons(bot_api.sent()[0])[1].removeprefix("up:")
    assert feedback.feedback_for(answer_id) == [{"helpful": True, "comment": None, "channel": "telegram"}]
    assert "Cảm ơn" in bot_api.sent("answerCallbackQuery")[0]["text"]
    assert all(c.quote in sources for c in first.citations)


# -------------------------------------------------------------------- webhook
def _webhook_app(assistant: Assistant, feedback: FeedbackStore, api: BotAPIStandIn, monkeypatch: Any) -> Any:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("TELEGRAM_API_URL", api.base_url)
    return create_app(assistant, feedback=feedback, conversations=ConversationStore())


def test_webhook_checks_the_secret_token(
    bot_api: BotAPIStandIn, assistant: Assistant, feedback: FeedbackStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _webhook_app(assistant, feedback, bot_api, monkeypatch)
    with TestClient(app) as client:
        forged = bot_api.message_update(CHAT, USER, "/nguon")
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"}):
            response = client.post("/telegram/webhook", json=forged, headers=headers)
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "forbidden"
        bad = client.post("/telegram/webhook", content=b"{not json", headers={SECRET_HEADER: SECRET})
        assert bad.status_code == 400
        genuine = bot_api.message_update(CHAT, USER, "/hanchot")
        assert client.post("/telegram/webhook", json=genuine, headers={SECRET_HEADER: SECRET}).status_code == 200
        _replies(bot_api, 1)
    (params,) = bot_api.sent()  # only the genuine update was answered
    assert bot_api.visible(params).startswith("Các hạn chót")
    assert "setMyCommands" in bot_api.methods()


def test_webhook_answers_a_replayed_update_once(
    bot_api: BotAPIStandIn, assistant: Assistant, feedback: FeedbackStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    update = bot_api.message_update(CHAT, USER, "/hanchot")
    with TestClient(_webhook_app(assistant, feedback, bot_api, monkeypatch)) as client:
        for _ in range(3):  # Telegram retries when it misses our 200; someone may replay it
            assert client.post("/telegram/webhook", json=update, headers={SECRET_HEADER: SECRET}).status_code == 200
        _replies(bot_api, 1)
    with TestClient(_webhook_app(assistant, feedback, bot_api, monkeypatch)) as client:  # after a restart
        assert client.post("/telegram/webhook", json=update, headers={SECRET_HEADER: SECRET}).status_code == 200
    assert len(bot_api.sent()) == 1


def test_webhook_without_token_fails_at_start_naming_the_variable(
    assistant: Assistant, feedback: FeedbackStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    with pytest.raises(BotConfigError, match="TELEGRAM_BOT_TOKEN"):
        create_app(assistant, feedback=feedback)


def test_polling_command_without_token_names_the_variable(built_settings: Settings) -> None:
    result = CliRunner().invoke(main, ["--index", str(built_settings.store.index_dir), "bot", "telegram"])
    assert result.exit_code == 1
    assert "TELEGRAM_BOT_TOKEN" in result.output and "Traceback" not in result.output
