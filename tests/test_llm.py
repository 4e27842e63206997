"""The optional LLM answerer against an OpenAI-compatible stand-in on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from assistant import Assistant, Settings
from assistant.errors import ModelUnavailable
from assistant.llm import SYSTEM_PROMPT, OpenAICompatibleChat


class FakeOpenAI:
    """Speaks POST /v1/chat/completions; replies with `reply` and records requests."""

    def __init__(self) -> None:
        self.reply = ""
        self.requests: list[dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real servers do

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                request = {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
                owner.requests.append({**request, "client_port": self.client_address[1]})
                data = json.dumps(
                    {
                        "id": "x",
                        "object": "chat.completion",
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": owner.reply},
                                "finish_reason": "stop",
                            }
                        ],
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"


@pytest.fixture()
def fake_llm() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def _with_llm(settings: Settings, url: str) -> Assistant:
    return Assistant(settings.replaced(llm_url=url, llm_model="test-model", llm_api_key="secret"))


QUESTION = "Năm 2022 kinh phí KCQG được phân bổ bao nhiêu?"


def test_grounded_llm_answer_is_used(built_settings: Settings, fake_llm: FakeOpenAI) -> None:
    fake_llm.reply = "Năm 2022, kinh phí KCQG được phân bổ 140 tỷ đồng [1]."
    answer = _with_llm(built_settings, fake_llm.url).ask(QUESTION)
    assert answer.answer == fake_llm.reply
    assert answer.found and "140 tỷ đồng" in answer.citations[0].quote
    request = fake_llm.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer secret"
    assert request["body"]["model"] == "test-model"
    assert request["body"]["messages"][0] == {"role": "system", "content": SYSTEM_PROMPT}
    assert "[1]" in request["body"]["messages"][1]["content"] and QUESTION in request["body"]["messages"][1]["content"]


def test_llm_answer_with_an_invented_number_is_discarded(built_settings: Settings, fake_llm: FakeOpenAI) -> None:
    fake_llm.reply = "Kinh phí KCQG năm 2022 là 999 tỷ đồng [1]."
    answer = _with_llm(built_settings, fake_llm.url).ask(QUESTION)
    assert "999" not in answer.answer
    assert answer.answer.startswith("140 tỷ đồng.")  # the extractive answer


def test_llm_is_not_asked_when_the_documents_lack_the_answer(built_settings: Settings, fake_llm: FakeOpenAI) -> None:
    fake_llm.reply = "Quảng Ninh được 50 tỷ đồng [1]."
    answer = _with_llm(built_settings, fake_llm.url).ask("Kinh phí khuyến công tỉnh Quảng Ninh năm 2023?")
    assert not answer.found and fake_llm.requests == []


def test_llm_refusal_falls_back_to_extractive(built_settings: Settings, fake_llm: FakeOpenAI) -> None:
    fake_llm.reply = "KHÔNG_TÌM_THẤY"
    answer = _with_llm(built_settings, fake_llm.url).ask(QUESTION)
    assert answer.found and answer.answer.startswith("140 tỷ đồng.")


def test_unreachable_llm_falls_back_to_extractive(built_settings: Settings) -> None:
    answer = _with_llm(built_settings, "http://127.0.0.1:9/v1").ask(QUESTION)
    assert answer.found and answer.answer.startswith("140 tỷ đồng.")


def test_chat_model_is_a_langchain_chat_model(fake_llm: FakeOpenAI) -> None:
    from langchain_core.language_models.chat_models import BaseChatModel

    fake_llm.reply = "Xin chào"
    chat = OpenAICompatibleChat(base_url=fake_llm.url, model="m")
    assert isinstance(chat, BaseChatModel)
    assert chat.invoke("chào").content == "Xin chào"


def test_calls_share_one_pooled_connection(fake_llm: FakeOpenAI) -> None:
    fake_llm.reply = "Xin chào"
    chat = OpenAICompatibleChat(base_url=fake_llm.url, model="m", api_key="k")
    try:
        for _ in range(3):
            assert chat.invoke("chào").content == "Xin chào"
    finally:
        chat.close()
    assert len({r["client_port"] for r in fake_llm.requests}) == 1  # one kept-alive connection, not three
    assert {r["auth"] for r in fake_llm.requests} == {"Bearer k"}


def test_unreachable_llm_is_explained_in_vietnamese() -> None:
    with pytest.raises(ModelUnavailable) as caught:
        OpenAICompatibleChat(base_url="http://127.0.0.1:9/v1", model="m").invoke("chào")
    assert caught.value.message == (
        "Không gọi được mô hình ngôn ngữ tại http://127.0.0.1:9/v1: không kết nối được tới máy chủ "
        "(sai địa chỉ, máy chủ tắt hoặc không có mạng)."
    )  # was "…: [Errno 111] Connection refused"
