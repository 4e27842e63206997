"""The staff flow in a real headless Chromium against a real uvicorn: log in with the token, upload a
PDF, wait until it is searchable, ask the chat page a question only it answers and see the answer cite
it; then the 👎 and the refused question show up for staff. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ingest_samples import DECISION_59, render_pdf
from small_corpus import copied_corpus
from test_web_browser import (
    ARTIFACTS,
    CHROMEDRIVER,
    CHROMIUM,
    _answers,
    _ask,
    _by,
    _click,
    _wait,
    headless_chromium,
    serve_in_thread,
)

from assistant import Assistant, Settings
from assistant.types import DocumentKind

TOKEN = "kc-admin-browser-token-0123456789"
MACHINE_QUESTION = "Hỗ trợ tối đa bao nhiêu phần trăm chi phí mua máy móc thiết bị tiên tiến?"
REFUSED_QUESTION = "Thủ tục cấp giấy phép xả thải là gì?"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
        reason="Chromium is not installed: `make install-dev` as root installs chromium and chromium-driver",
    ),
]


browser = pytest.fixture(scope="module", name="browser")(headless_chromium)  # the chat page tests' own


@pytest.fixture(scope="module")
def staff_server(tmp_path_factory: pytest.TempPathFactory, built_settings: Settings) -> Iterator[str]:
    """uvicorn serving the app with the admin token set, over a copy of corpus/ with its own hybrid index."""
    settings = copied_corpus(built_settings, tmp_path_factory.mktemp("staff"), admin_token=TOKEN)
    assistant = Assistant(settings)
    assistant.index()
    yield from serve_in_thread(assistant)


@pytest.fixture(scope="module")
def pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_pdf(DECISION_59, tmp_path_factory.mktemp("pdf") / "QĐ 59-2099 Hư Cấu.pdf")


def _log_in(driver: Any, token: str) -> None:
    box = driver.find_element(_by("id"), "token")
    box.clear()
    box.send_keys(token)
    driver.find_element(_by("id"), "login-button").click()


def _text(driver: Any, element_id: str) -> str:
    return str(driver.find_element(_by("id"), element_id).text)


def test_staff_add_a_pdf_and_the_chat_answers_from_it(staff_server: str, browser: Any, pdf: Path) -> None:
    browser.get(staff_server + "/admin")
    _log_in(browser, "khong-phai-ma-dung-0000")
    _wait(browser, lambda d: d.find_element(_by("id"), "login-error").is_displayed())
    assert _text(browser, "login-error") == "Mã quản trị không đúng hoặc đã đổi. Hãy đăng nhập lại."
    _log_in(browser, TOKEN)
    _wait(browser, lambda d: d.find_element(_by("id"), "panel").is_displayed())
    _wait(browser, lambda d: d.find_elements(_by("css"), "#documents tbody tr"))
    status = _text(browser, "index-status")
    assert status.startswith("Tìm theo từ khóa: sẵn sàng · 5 tài liệu")
    assert "vectơ ngữ nghĩa" in status

    browser.find_element(_by("id"), "upload-file").send_keys(str(pdf))
    browser.find_element(_by("id"), "upload-button").click()
    recognised = _wait(browser, lambda d: d.find_elements(_by("css"), "#job-result .recognised"))
    assert recognised[0].text.startswith("Trợ lý nhận ra: Quyết định 59/2099/QĐ-UBND")
    assert _text(browser, "job-stage") == "Đã đọc xong: chờ xác nhận"
    assert len(browser.find_elements(_by("css"), "#documents tbody tr")) == 5  # nothing added yet
    browser.find_element(_by("id"), "confirm-add").click()
    ready = _wait(browser, lambda d: d.find_elements(_by("css"), "#job-result .ready"))
    assert ready[0].text == (
        "Đã sẵn sàng để hỏi: Quyết định 59/2099/QĐ-UBND ban hành Quy định hỗ trợ khuyến công thử nghiệm "
        "trên địa bàn tỉnh Hư Cấu"
    )
    facts = [e.text for e in browser.find_elements(_by("css"), "#job-result .facts dd")]
    assert {"qd-59-2099-qd-ubnd", "59/2099/QĐ-UBND", "Ủy ban nhân dân tỉnh Hư Cấu", "Hư Cấu, 2099-12-31"} <= set(facts)
    row = _wait(browser, lambda d: d.find_elements(_by("css"), '#documents tr[data-id="qd-59-2099-qd-ubnd"]'))[0]
    cells = row.find_elements(_by("css"), "td")
    assert cells[2].text == f"{DocumentKind.REGULATION.label} · 59/2099/QĐ-UBND"  # the label from GET /kinds
    _wait(browser, lambda d: "6 tài liệu" in _text(d, "index-status"))
    browser.set_window_size(1280, 1500)  # the recognised header and the document list in one picture
    browser.save_screenshot(str(ARTIFACTS / "admin-documents.png"))
    browser.set_window_size(1280, 900)

    browser.get(staff_server + "/")
    answer = _ask(browser, MACHINE_QUESTION)
    assert answer.find_element(_by("css"), ".answer-text").text.startswith("30%")
    summary = answer.find_element(_by("css"), ".citation summary").text
    assert "Quyết định 59/2099/QĐ-UBND" in summary and "Điều 4, khoản 1" in summary
    _click(browser, answer.find_element(_by("css"), ".vote.down"))
    answer.find_element(_by("css"), ".comment-form textarea").send_keys("Cần nói rõ mức mới sau sửa đổi")
    _click(browser, answer.find_element(_by("css"), ".send-comment"))
    _wait(browser, lambda d: answer.find_element(_by("css"), ".feedback-status").text == "Cảm ơn bạn đã góp ý!")
    refused = _ask(browser, REFUSED_QUESTION)
    assert "Không tìm thấy thông tin này trong tài liệu" in refused.find_element(_by("css"), ".answer-text").text
    assert len(_answers(browser)) == 2


def test_staff_see_the_unhelpful_and_the_unanswered(staff_server: str, browser: Any, tmp_path: Path) -> None:
    browser.get(staff_server + "/admin")  # the token is kept in this tab: no second log-in
    _wait(browser, lambda d: d.find_element(_by("id"), "panel").is_displayed())
    browser.find_element(_by("css"), '.tab[data-tab="feedback-tab"]').click()
    rows = _wait(browser, lambda d: d.find_elements(_by("css"), "#feedback-rows tbody tr"))
    cells = [c.text for c in rows[0].find_elements(_by("css"), "td")]
    assert cells[1:3] == ["Trang web / API", MACHINE_QUESTION]
    assert cells[3].startswith("30%") and cells[4] == "Cần nói rõ mức mới sau sửa đổi"
    assert _text(browser, "feedback-count") == "1 góp ý chưa hữu ích"
    browser.save_screenshot(str(ARTIFACTS / "admin-feedback.png"))
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    browser.find_element(_by("id"), "fb-csv").click()
    exported = _wait(browser, lambda d: [p for p in tmp_path.glob("*.csv") if p.stat().st_size])
    assert exported[0].name == "gop-y-chua-huu-ich.csv"
    lines = exported[0].read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "ngày,kênh,câu hỏi,câu trả lời,góp ý,mã câu trả lời"
    assert MACHINE_QUESTION in lines[1]

    browser.find_element(_by("css"), '.tab[data-tab="unanswered-tab"]').click()
    groups = _wait(browser, lambda d: d.find_elements(_by("css"), "#unanswered .group"))
    assert groups[0].find_element(_by("css"), ".group-question").text == "1×" + REFUSED_QUESTION
    browser.save_screenshot(str(ARTIFACTS / "admin-unanswered.png"))
    _click(browser, groups[0].find_element(_by("css"), ".mark-handled"))
    _wait(browser, lambda d: _text(d, "unanswered-count") == "Không có câu hỏi nào chưa trả lời được.")
    browser.find_element(_by("id"), "show-handled").click()
    handled = _wait(browser, lambda d: d.find_elements(_by("css"), "#unanswered .group.handled"))
    assert "đã xử lý" in handled[0].find_element(_by("css"), ".group-meta").text
