"""The chat page in a real headless Chromium, against a real uvicorn on 127.0.0.1.

Screenshots go to tests/artifacts/ (desktop and a 390×844 phone screen).
"""

from __future__ import annotations

import shutil
import socket
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from assistant import Assistant, Settings
from assistant.api import create_app
from assistant.conversation import ConversationStore
from assistant.types import DocumentKind

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # offline: only our server can be reached
]
WAIT = 30

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
        reason="Chromium is not installed: `make install-dev` as root installs chromium and chromium-driver",
    ),
]


def serve_in_thread(assistant: Assistant) -> Iterator[str]:
    """uvicorn serving the real app over `assistant` on a free loopback port, in a thread: yields its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(assistant, conversations=ConversationStore(), answer_cache=0)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none")
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT
    while not uvicorn_server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uvicorn_server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(assistant: Assistant) -> Iterator[str]:
    """The chat page and API of the shared test index."""
    yield from serve_in_thread(assistant)


def headless_chromium() -> Iterator[Any]:
    """Headless Chromium through chromedriver, with a fresh profile (the browser tests' `browser` fixture)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="kc-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_window_size(1280, 900)
    ARTIFACTS.mkdir(exist_ok=True)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


browser = pytest.fixture(scope="module", name="browser")(headless_chromium)


def _by(kind: str) -> Any:
    from selenium.webdriver.common.by import By

    return {"css": By.CSS_SELECTOR, "id": By.ID}[kind]


def _wait(driver: Any, condition: Any) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(condition)


def _click(driver: Any, element: Any) -> None:
    """Click like a person: first scroll the element out from under the fixed question bar."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def _answers(driver: Any) -> list[Any]:
    return driver.find_elements(_by("css"), "#messages .message.assistant:not(.pending)")


def _ask(driver: Any, question: str) -> Any:
    """Type a question, press Enter, return the new answer element."""
    from selenium.webdriver.common.keys import Keys

    before = len(_answers(driver))
    box = driver.find_element(_by("id"), "question")
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    _wait(driver, lambda d: len(_answers(d)) > before)
    return _answers(driver)[-1]


def _feedback_rows(settings: Settings, answer_id: str) -> list[tuple[int, str | None]]:
    with sqlite3.connect(settings.store.data_dir / "feedback.sqlite3") as db:
        return db.execute(
            "SELECT helpful, comment FROM feedback WHERE answer_id = ? ORDER BY id", (answer_id,)
        ).fetchall()


def test_answer_citation_and_thumbs_up(server: str, browser: Any, built_settings: Settings) -> None:
    browser.get(server + "/")
    answer = _ask(browser, "Hạn đăng ký kế hoạch khuyến công quốc gia năm 2024 là ngày nào?")
    assert "20 tháng 6 năm 2023" in answer.find_element(_by("css"), ".answer-text").text
    citation = answer.find_element(_by("css"), ".citation details")
    assert "Công văn 400/CTĐP-QLKC" in citation.find_element(_by("css"), "summary").text
    quote = citation.find_element(_by("css"), ".quote")
    assert not quote.is_displayed()
    _click(browser, citation.find_element(_by("css"), "summary"))
    _wait(browser, lambda d: quote.is_displayed())
    assert "20 tháng 6 năm 2023" in quote.text
    _click(browser, answer.find_element(_by("css"), ".vote.up"))
    status = answer.find_element(_by("css"), ".feedback-status")
    _wait(browser, lambda d: status.text == "Cảm ơn bạn đã góp ý!")
    assert _feedback_rows(built_settings, answer.get_attribute("data-answer-id")) == [(1, None)]
    browser.save_screenshot(str(ARTIFACTS / "chat-desktop.png"))


def test_citation_link_highlights_the_span(server: str, browser: Any) -> None:
    browser.get(server + "/")
    answer = _ask(browser, "hạn đăng ký kế hoạch khuyến công quốc gia")
    _click(browser, answer.find_element(_by("css"), ".citation summary"))
    quote = answer.find_element(_by("css"), ".quote").text
    browser.get(answer.find_element(_by("css"), ".open-doc").get_attribute("href"))
    marked = _wait(browser, lambda d: d.find_elements(_by("css"), "mark.cited"))
    assert " ".join(m.text for m in marked) == quote
    assert "6 nội dung định hướng" in browser.find_element(_by("css"), "h1").text
    locators = [p.text for p in browser.find_elements(_by("css"), ".locator")]
    assert "ĐOẠN 14" in locators  # shown in capitals by the stylesheet
    browser.save_screenshot(str(ARTIFACTS / "doc-desktop.png"))


def test_the_pages_name_the_kinds_as_the_api_does(server: str, browser: Any) -> None:
    """The kind filter and the documents' kinds come from GET /kinds (DocumentKind), not from a copy in the page."""
    browser.get(server + "/")
    _wait(browser, lambda d: len(d.find_elements(_by("css"), "#filter-kind option")) > 1)
    options = browser.find_elements(_by("css"), "#filter-kind option")
    offered = [(o.get_attribute("value"), o.get_attribute("textContent")) for o in options]
    assert offered == [("", "Tất cả"), *((kind.value, kind.label) for kind in DocumentKind)]
    browser.get(server + "/doc")
    metas = _wait(browser, lambda d: d.find_elements(_by("css"), ".doc-list .meta"))
    assert any(m.text.endswith(" · " + DocumentKind.DIRECTION_LETTER.label) for m in metas)  # Công văn 400


def test_followup_thumbs_down_with_comment_and_escaping(server: str, browser: Any, built_settings: Settings) -> None:
    browser.get(server + "/")
    browser.find_element(_by("id"), "new-chat").click()
    _ask(browser, "Đồng Nai năm 2023 hỗ trợ bao nhiêu cơ sở?")
    follow = _ask(browser, "còn An Giang thì sao?")
    assert "An Giang năm 2023 hỗ trợ bao nhiêu cơ sở" in follow.find_element(_by("css"), ".resolved").text
    assert "08 cơ sở" in follow.find_element(_by("css"), ".answer-text").text
    _click(browser, follow.find_element(_by("css"), ".vote.down"))
    follow.find_element(_by("css"), ".comment-form textarea").send_keys("Cần thêm số liệu cả năm")
    _click(browser, follow.find_element(_by("css"), ".send-comment"))
    _wait(browser, lambda d: follow.find_element(_by("css"), ".feedback-status").text == "Cảm ơn bạn đã góp ý!")
    rows = _feedback_rows(built_settings, follow.get_attribute("data-answer-id"))
    assert rows == [(0, "Cần thêm số liệu cả năm")]
    typed = "<img src=x onerror=\"document.title='x'\"> kinh phí <b>khuyến công</b> năm 2022"
    _ask(browser, typed)
    bubbles = browser.find_elements(_by("css"), "#messages .message.user .bubble")
    assert bubbles[-1].text == typed
    assert not browser.find_elements(_by("css"), "#messages img, #messages .bubble b")
    assert browser.title == "Trợ lý Khuyến công"


def _conversation(browser: Any) -> str | None:
    return browser.execute_script("return sessionStorage.getItem('khuyencong-conversation')")  # type: ignore[no-any-return]


def test_a_followup_that_was_not_one_can_be_asked_alone(server: str, browser: Any) -> None:
    browser.get(server + "/")
    browser.find_element(_by("id"), "new-chat").click()
    _ask(browser, "Đồng Nai năm 2023 hỗ trợ bao nhiêu cơ sở?")
    first = _conversation(browser)
    follow = _ask(browser, "còn An Giang thì sao?")
    assert follow.find_elements(_by("css"), ".resolved")
    before = len(_answers(browser))
    _click(browser, follow.find_element(_by("css"), ".ask-alone"))
    _wait(browser, lambda d: len(_answers(d)) > before)
    alone = _answers(browser)[-1]
    assert not alone.find_elements(_by("css"), ".resolved")  # asked on its own, not rewritten
    assert "08 cơ sở" not in alone.find_element(_by("css"), ".answer-text").text
    assert _conversation(browser) not in (None, first)  # a new conversation from there on


def test_an_expired_conversation_is_said_and_the_question_asked_anew(server: str, browser: Any) -> None:
    browser.get(server + "/")
    browser.execute_script("sessionStorage.setItem('khuyencong-conversation', 'het-han-tu-hom-qua')")
    answer = _ask(browser, "Đồng Nai năm 2023 hỗ trợ bao nhiêu cơ sở?")
    assert "đã hết hạn" in answer.find_element(_by("css"), ".conversation-note").text
    assert "03 cơ sở" in answer.find_element(_by("css"), ".answer-text").text
    assert not browser.find_elements(_by("css"), "#messages .message.error")
    assert len(_conversation(browser) or "") == 32


def test_phone_screen(server: str, browser: Any) -> None:
    browser.set_window_size(390, 844)
    try:
        browser.get(server + "/")
        browser.find_elements(_by("css"), ".example")[2].click()  # "Năm 2022 kinh phí KCQG …"
        _wait(browser, lambda d: _answers(d))
        answer = _answers(browser)[-1]
        assert "140 tỷ đồng" in answer.find_element(_by("css"), ".answer-text").text
        width, inner = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner, "the chat page scrolls sideways on a phone"
        send = browser.find_element(_by("id"), "send")
        assert send.is_displayed() and send.rect["x"] + send.rect["width"] <= inner
        browser.save_screenshot(str(ARTIFACTS / "chat-phone.png"))
        browser.get(answer.find_element(_by("css"), ".open-doc").get_attribute("href"))
        _wait(browser, lambda d: d.find_elements(_by("css"), "mark.cited"))
        width, inner = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner, "the document page scrolls sideways on a phone"
        browser.save_screenshot(str(ARTIFACTS / "doc-phone.png"))
    finally:
        browser.set_window_size(1280, 900)


def test_api_docs_work_offline(server: str, browser: Any) -> None:
    browser.get(server + "/docs")  # Swagger UI from the package; the browser resolves no other host
    paths = _wait(browser, lambda d: d.find_elements(_by("css"), ".opblock-summary-path"))
    assert {"/ask", "/search", "/feedback", "/health"} <= {p.text.replace("\u200b", "") for p in paths}
    assert "Trợ lý Khuyến công" in browser.find_element(_by("css"), ".info .title").text


def _paste(driver: Any, element: Any, text: str) -> None:
    """Insert text in one go, as a paste does (and, like a paste, subject to the box's maxlength)."""
    _click(driver, element)
    driver.execute_cdp_cmd("Input.insertText", {"text": text})


def test_a_long_paste_is_kept_whole_and_flagged(server: str, browser: Any) -> None:
    from selenium.webdriver.common.keys import Keys

    browser.get(server + "/")
    box = browser.find_element(_by("id"), "question")
    pasted = " ".join(["kinh phí khuyến công năm 2022"] * 80)  # 2,399 characters
    _paste(browser, box, pasted)
    assert box.get_attribute("value") == pasted  # was cut at 2,000 without a word
    counter = browser.find_element(_by("id"), "question-count")
    assert counter.is_displayed()
    assert counter.text == f"Dài {len(pasted)} ký tự, quá giới hạn 2000 ký tự: hãy rút gọn rồi gửi."
    box.send_keys(Keys.ENTER)
    assert not browser.find_elements(_by("css"), "#messages .message.user")  # not sent
    assert box.get_attribute("value") == pasted
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("kinh phí KCQG năm 2022")
    assert not counter.is_displayed()


def test_the_question_stays_in_the_box_after_a_connection_error(server: str, browser: Any) -> None:
    from selenium.webdriver.common.keys import Keys

    question = "Năm 2022 kinh phí KCQG được phân bổ bao nhiêu?"
    browser.get(server + "/")
    box = browser.find_element(_by("id"), "question")
    browser.execute_cdp_cmd("Network.enable", {})
    conditions = {"latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": True, **conditions})
    try:
        box.send_keys(question)
        box.send_keys(Keys.ENTER)
        errors = _wait(browser, lambda d: d.find_elements(_by("css"), "#messages .message.error"))
        assert errors[-1].text == (
            "Không kết nối được máy chủ. Kiểm tra mạng rồi thử lại. Câu hỏi vẫn ở ô nhập để gửi lại."
        )
        assert box.get_attribute("value") == question  # was an empty box
    finally:
        browser.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": False, **conditions})
    before = len(_answers(browser))
    box.send_keys(Keys.ENTER)
    _wait(browser, lambda d: len(_answers(d)) > before)
    assert "140 tỷ đồng" in _answers(browser)[-1].find_element(_by("css"), ".answer-text").text
