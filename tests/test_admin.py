"""The staff area (/admin): the real FastAPI app and a real corpus and index in tmp_path, through TestClient.

Token checks on every admin route (enumerated from the app, so a new route cannot escape),
upload through the `khuyencong add` path until the document answers with its article and clause,
limits and failures that leave the corpus and the index alone, feedback review with CSV, and the
refused questions grouped and marked handled.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from ingest_samples import DECISION_59, render_blank_pdf, render_pdf
from small_corpus import copied_corpus

from assistant import Assistant, Settings
from assistant.api import create_app
from assistant.errors import ConfigError
from assistant.feedback import FeedbackStore, question_group
from assistant.ratelimit import Rate
from assistant.types import Answer
from assistant.web.admin import ADMIN_PAGE, safe_file_name

TOKEN = "kc-admin-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NEW_ID = "qd-59-2099-qd-ubnd"
MACHINE_QUESTION = "Hỗ trợ tối đa bao nhiêu phần trăm chi phí mua máy móc thiết bị tiên tiến?"


@pytest.fixture()
def staff_settings(tmp_path: Path, built_settings: Settings) -> Settings:
    """A copy of corpus/ with a keyword-only index of its own, and the admin token set."""
    settings = copied_corpus(built_settings, tmp_path, embedding="none", admin_token=TOKEN)
    Assistant(settings).index()
    return settings


@pytest.fixture()
def client(staff_settings: Settings) -> Iterator[TestClient]:
    feedback = FeedbackStore(staff_settings.store.data_dir / "feedback.sqlite3")
    with TestClient(create_app(Assistant(staff_settings), feedback=feedback)) as test_client:
        yield test_client
    feedback.close()


def wait_job(client: TestClient, job_id: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/admin/api/jobs/{job_id}", headers=AUTH).json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def _snapshot(settings: Settings) -> dict[str, bytes]:
    corpus = {str(p): p.read_bytes() for p in sorted(settings.store.corpus_dir.iterdir()) if p.is_file()}
    return {**corpus, "CURRENT": (settings.store.index_dir / "CURRENT").read_bytes()}


# ------------------------------------------------------------------- the token
def test_the_admin_area_is_off_without_a_token(built_settings: Settings, assistant: Assistant) -> None:
    app = create_app(assistant, feedback=FeedbackStore(built_settings.store.data_dir / "off.sqlite3"))
    assert {path for path, _ in app_routes(app)} >= {"/ask", "/health"}
    assert not [path for path, _ in app_routes(app) if path.startswith(ADMIN_PAGE)]
    with TestClient(app) as plain:
        assert plain.get("/admin").status_code == 404
        assert plain.get("/admin/api/status", headers=AUTH).status_code == 404


def test_a_short_token_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KHUYENCONG_ADMIN_TOKEN", "ngan")
    with pytest.raises(ConfigError) as caught:
        Settings.from_env()
    assert "ngan" not in caught.value.message  # a secret is never echoed
    assert caught.value.message.startswith("KHUYENCONG_ADMIN_TOKEN phải là một chuỗi bí mật dài ít nhất 16 ký tự")


def app_routes(app: Any) -> Iterator[tuple[str, set[str]]]:
    """(path, methods) of every route the app serves, those of included routers too (FastAPI keeps
    them behind a wrapper since 0.16x, with their effective, prefixed paths)."""
    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):
            for context in route.effective_route_contexts():
                yield context.path, set(getattr(context.original_route, "methods", None) or ())
        elif isinstance(route, APIRoute) or hasattr(route, "methods"):
            yield route.path, set(route.methods or ())


def _admin_calls(client: TestClient) -> list[tuple[str, str]]:
    """(method, path) of every route under /admin, path parameters filled in."""
    calls = []
    for path, methods in app_routes(client.app):
        if path.startswith(ADMIN_PAGE):
            calls += [(method, re.sub(r"\{[^}]+\}", "x", path)) for method in sorted(methods)]
    return sorted(calls, key=lambda call: call[1])


def test_every_admin_route_refuses_a_missing_or_wrong_token(client: TestClient) -> None:
    calls = _admin_calls(client)
    assert len(calls) >= 10
    public = [(m, p) for m, p in calls if not p.startswith("/admin/api/")]
    assert public == [("GET", "/admin")]  # the page only: it holds no data, it asks for the token
    page = client.get("/admin")
    assert page.status_code == 200 and TOKEN not in page.text and "Mã quản trị" in page.text
    wrong = [
        {},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Bearer {TOKEN[:-1]}"},
        {"Authorization": "Bearer "},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        {"Cookie": f"token={TOKEN}"},
    ]
    for method, path in calls:
        if (method, path) in public:
            continue
        for headers in wrong:
            response = client.request(method, path, headers=headers, params={"filename": "a.pdf"}, json={"url": "x"})
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.json()["error"]["code"] == "unauthorized"
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert client.request(method, path, headers=AUTH).status_code != 401, (method, path)
    assert client.get("/admin/api/status").json()["error"]["message"].startswith("Cần mã quản trị")


def test_guessing_the_token_is_rate_limited(staff_settings: Settings) -> None:
    settings = staff_settings.replaced(rate_limit=Rate(3, 60.0))
    with TestClient(create_app(Assistant(settings))) as limited:
        codes = [
            limited.get("/admin/api/status", headers={"Authorization": "Bearer sai"}).status_code for _ in range(5)
        ]
        assert codes == [401, 401, 401, 429, 429]
        assert limited.get("/admin/api/status", headers=AUTH).status_code == 200  # staff are not locked out


# ------------------------------------------------------------------ documents
def test_a_pdf_uploaded_is_recognised_and_answers_with_its_clause(
    client: TestClient, staff_settings: Settings, tmp_path: Path
) -> None:
    pdf = render_pdf(DECISION_59, tmp_path / "QĐ 59 (bản ký).pdf").read_bytes()
    before = client.get("/admin/api/status", headers=AUTH).json()
    assert before["keyword_ready"] and before["documents"] == 5 and before["vectors_expected"] == 0
    assert not client.post("/ask", json={"question": MACHINE_QUESTION}).json()["found"]
    corpus_before = _snapshot(staff_settings)
    started = client.post(
        "/admin/api/documents/upload", params={"filename": "QĐ 59 (bản ký).pdf"}, content=pdf, headers=AUTH
    )
    assert started.status_code == 202
    preview = wait_job(client, started.json()["job"])
    assert preview["state"] == "done" and preview["result"]["confirm"], preview
    assert preview["message"].startswith("Chưa ghi gì vào corpus.")
    assert _snapshot(staff_settings) == corpus_before  # read and recognised, nothing written yet
    (previewed,) = preview["result"]["documents"]
    facts = {f["label"]: f["value"] for f in previewed["facts"]}
    assert facts["số hiệu"] == "59/2099/QĐ-UBND"
    assert facts["loại"] == "Văn bản quy phạm (Quyết định)"
    assert facts["cơ quan ban hành"] == "Ủy ban nhân dân tỉnh Hư Cấu"
    assert facts["nơi, ngày ban hành"] == "Hư Cấu, 2099-12-31"
    assert facts["cấu trúc"] == "3 chương, 6 điều"
    confirmed = client.post(f"/admin/api/jobs/{preview['id']}/confirm", headers=AUTH)
    assert confirmed.status_code == 202
    job = wait_job(client, confirmed.json()["job"])
    assert job["state"] == "done", job
    (document,) = job["result"]["documents"]
    assert document["id"] == NEW_ID and document["searchable"] and document["facts"] == previewed["facts"]
    again = client.post(f"/admin/api/jobs/{preview['id']}/confirm", headers=AUTH)
    assert again.status_code == 400  # a preview is added once
    entry = next(d for d in client.get("/admin/api/documents", headers=AUTH).json()["documents"] if d["id"] == NEW_ID)
    assert entry["indexed"] and entry["source"] == "qd-59-ban-ky.pdf"  # the name it was kept under, made safe
    answer = client.post("/ask", json={"question": MACHINE_QUESTION}).json()
    assert answer["found"] and answer["answer"].startswith("30%")
    assert answer["citations"][0]["doc_id"] == NEW_ID and answer["citations"][0]["locator"] == "Điều 4, khoản 1"
    assert client.get("/admin/api/status", headers=AUTH).json()["documents"] == 6
    assert not list((staff_settings.store.data_dir / "uploads").iterdir())

    removed = wait_job(client, client.delete(f"/admin/api/documents/{NEW_ID}", headers=AUTH).json()["job"])
    assert removed["state"] == "done" and removed["result"]["removed"]["id"] == NEW_ID
    assert client.get("/admin/api/status", headers=AUTH).json()["documents"] == 5
    assert not client.post("/ask", json={"question": MACHINE_QUESTION}).json()["found"]


def test_uploads_refused_leave_the_corpus_and_index_alone(
    client: TestClient, staff_settings: Settings, tmp_path: Path
) -> None:
    before = _snapshot(staff_settings)
    upload = "/admin/api/documents/upload"
    bad_type = client.post(upload, params={"filename": "bang-tinh.xlsx"}, content=b"PK\x03\x04", headers=AUTH)
    assert bad_type.status_code == 400 and bad_type.json()["error"]["code"] == "bad_upload"
    assert "chỉ nhận PDF (có lớp chữ), DOCX, HTML hoặc TXT" in bad_type.json()["error"]["message"]
    empty = client.post(upload, params={"filename": "rong.pdf"}, content=b"", headers=AUTH)
    assert empty.status_code == 400 and empty.json()["error"]["message"] == "Tệp rỗng: hãy chọn lại tệp văn bản."
    too_large = client.post(upload, params={"filename": "lon.txt"}, content=b"x" * (21 * 1024 * 1024), headers=AUTH)
    assert too_large.status_code == 413 and too_large.json()["error"]["code"] == "upload_too_large"
    assert too_large.json()["error"]["message"].startswith("Tệp gửi lên quá lớn (tối đa 20 MB)")
    scan = render_blank_pdf(tmp_path / "scan.pdf").read_bytes()
    job = wait_job(
        client, client.post(upload, params={"filename": "scan.pdf"}, content=scan, headers=AUTH).json()["job"]
    )
    assert job["state"] == "failed" and "OCR" in job["message"]
    assert client.post(f"/admin/api/jobs/{job['id']}/confirm", headers=AUTH).status_code == 400
    twin = (staff_settings.store.corpus_dir / "dongnai-2023-ket-qua.txt").read_bytes()  # already in the corpus
    job = wait_job(
        client, client.post(upload, params={"filename": "ban-sao.txt"}, content=twin, headers=AUTH).json()["job"]
    )
    assert job["state"] == "failed" and "đã có trong corpus (mã dongnai-2023-ket-qua)" in job["message"]
    pdf = render_pdf(DECISION_59, tmp_path / "qd.pdf").read_bytes()
    job = wait_job(client, client.post(upload, params={"filename": "qd.pdf"}, content=pdf, headers=AUTH).json()["job"])
    assert job["state"] == "done"
    cancelled = client.post(f"/admin/api/jobs/{job['id']}/cancel", headers=AUTH)
    assert cancelled.json() == {"job": job["id"], "state": "cancelled"}
    assert client.post(f"/admin/api/jobs/{job['id']}/confirm", headers=AUTH).status_code == 400
    assert not list((staff_settings.store.data_dir / "uploads").iterdir())
    bad_url = client.post("/admin/api/documents/url", json={"url": "file:///etc/passwd"}, headers=AUTH)
    assert bad_url.status_code == 400
    missing = client.delete("/admin/api/documents/khong-co", headers=AUTH)
    assert missing.status_code == 404
    assert _snapshot(staff_settings) == before


def test_a_big_body_elsewhere_is_still_refused_at_64_kib(client: TestClient) -> None:
    response = client.post("/ask", content=b"{" + b" " * 70_000 + b"}", headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"


def test_safe_file_names() -> None:
    assert safe_file_name("../../etc/Quyết định 59.PDF") == "quyet-dinh-59.pdf"
    assert safe_file_name("C:\\Tài liệu\\báo cáo.docx") == "bao-cao.docx"
    assert safe_file_name("...html") == "van-ban.html"
    for name in ("van-ban.doc", "anh.png", "không-đuôi", "x.pdf.exe"):
        with pytest.raises(Exception, match="chỉ nhận PDF"):
            safe_file_name(name)


# ------------------------------------------------------------------- feedback
def _answer(store: FeedbackStore, question: str, text: str, found: bool, channel: str) -> str:
    return store.record_answer(question, Answer(text, found), channel)


def test_unhelpful_answers_listed_filtered_and_exported(client: TestClient) -> None:
    store: FeedbackStore = client.app.state.admin.store  # type: ignore[attr-defined]
    first = _answer(store, "kinh phí hội chợ Đồng Nai", "Không tìm thấy …", False, "telegram")
    second = _answer(store, "hạn nộp hồ sơ", "Trước ngày 30 tháng 9 năm 2023.", True, "api")
    liked = _answer(store, "kinh phí KCQG 2022", "140 tỷ đồng.", True, "api")
    store.record_feedback(first, False, 'Thiếu số liệu, hội chợ "Xuân"', channel="telegram")
    store.record_feedback(second, False, None, channel="api")
    store.record_feedback(liked, True, None, channel="api")
    rows = client.get("/admin/api/feedback", headers=AUTH).json()
    assert rows["count"] == 2
    assert [r["question"] for r in rows["items"]] == ["hạn nộp hồ sơ", "kinh phí hội chợ Đồng Nai"]  # newest first
    assert rows["items"][1]["comment"] == 'Thiếu số liệu, hội chợ "Xuân"' and rows["items"][1]["channel"] == "telegram"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", rows["items"][0]["date"])
    by_channel = client.get("/admin/api/feedback", params={"channel": "telegram"}, headers=AUTH).json()
    assert [r["answer_id"] for r in by_channel["items"]] == [first]
    folded = client.get("/admin/api/feedback", params={"q": "hoi cho"}, headers=AUTH).json()  # typed without diacritics
    assert [r["answer_id"] for r in folded["items"]] == [first]
    future = client.get("/admin/api/feedback", params={"since": "2999-01-01"}, headers=AUTH).json()
    assert future["count"] == 0
    exported = client.get("/admin/api/feedback.csv", headers=AUTH)
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in exported.headers["content-disposition"]
    assert exported.text.startswith("\ufeff")  # Excel reads it as UTF-8
    table = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert table[0] == ["ngày", "kênh", "câu hỏi", "câu trả lời", "góp ý", "mã câu trả lời"]
    assert table[2][1:] == [
        "telegram",
        "kinh phí hội chợ Đồng Nai",
        "Không tìm thấy …",
        'Thiếu số liệu, hội chợ "Xuân"',
        first,
    ]


def test_refused_questions_grouped_counted_and_marked_handled(client: TestClient) -> None:
    store: FeedbackStore = client.app.state.admin.store  # type: ignore[attr-defined]
    refusal = "Không tìm thấy thông tin này trong tài liệu."
    _answer(store, "Thủ tục cấp giấy phép xả thải?", refusal, False, "api")
    _answer(store, "hạn nộp hồ sơ", "Trước ngày 30 tháng 9 năm 2023.", True, "api")  # answered: not listed
    asked = client.post("/ask", json={"question": "thủ tục cấp giấy phép xả thải là gì"}).json()
    assert not asked["found"]  # the real answerer refuses it, and the refusal is recorded
    _answer(store, "Mức phạt vi phạm hành chính về môi trường", refusal, False, "zalo")
    assert question_group("Thủ tục cấp giấy phép xả thải?") == question_group("thu tuc cap giay phep xa thai la gi")
    assert question_group("Thủ tục cấp giấy phép xả thải?") == question_group("thủ tục cấp giấy phép xả thải là gì")
    groups = client.get("/admin/api/unanswered", headers=AUTH).json()["groups"]
    assert [(g["question"], g["count"]) for g in groups] == [
        ("Mức phạt vi phạm hành chính về môi trường", 1),
        ("thủ tục cấp giấy phép xả thải là gì", 2),
    ]
    assert groups[1]["variants"] == ["thủ tục cấp giấy phép xả thải là gì", "Thủ tục cấp giấy phép xả thải?"]
    assert groups[1]["channels"] == ["api"]
    marked = client.post("/admin/api/unanswered/handled", json={"key": groups[1]["key"]}, headers=AUTH)
    assert marked.status_code == 200
    open_groups = client.get("/admin/api/unanswered", headers=AUTH).json()["groups"]
    assert [g["count"] for g in open_groups] == [1]
    every = client.get("/admin/api/unanswered", params={"include_handled": "true"}, headers=AUTH).json()["groups"]
    assert every[1]["handled_date"] is not None
    time.sleep(0.01)
    _answer(store, "thu tuc cap giay phep xa thai?", refusal, False, "telegram")  # asked again: open again
    reopened = client.get("/admin/api/unanswered", headers=AUTH).json()["groups"]
    assert (reopened[0]["count"], reopened[0]["handled"]) == (3, None)
    assert client.get("/admin/api/unanswered", params={"since": "2999-01-01"}, headers=AUTH).json()["count"] == 0
