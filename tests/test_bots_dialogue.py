"""The dialogue both bots share, message splitting, and deadlines found in the documents."""

from __future__ import annotations

import random

import pytest
from bot_standins import make_dialogue

from assistant import Assistant
from assistant.deadlines import DeadlineFinder, find_deadlines
from assistant.feedback import FeedbackStore
from assistant.ratelimit import Rate
from bots.dialogue import EXAMPLE_QUESTIONS, Chat, Dialogue, RateLimiter
from bots.formatting import Line, measure, render_html, render_plain, split_message

CHAT = Chat("test", "c1", "u1")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def dialogue(assistant: Assistant, feedback: FeedbackStore) -> Dialogue:
    return make_dialogue(assistant, feedback)


def _text(dialogue: Dialogue, message: str, chat: Chat = CHAT) -> str:
    return render_plain(dialogue.handle(chat, message).lines)


# -------------------------------------------------------------------- commands
def test_greeting_says_what_the_bot_knows_and_its_examples_are_answered(
    dialogue: Dialogue, assistant: Assistant
) -> None:
    greeting = _text(dialogue, "/start")
    assert f"{len(assistant.documents())} tài liệu" in greeting
    for question in EXAMPLE_QUESTIONS:
        assert question in greeting
        assert assistant.ask(question).found, question  # no example leads to "not in the documents"
    assert "/nguon" in greeting and "/hanchot" in greeting


def test_sources_command_lists_every_document_with_its_date(dialogue: Dialogue, assistant: Assistant) -> None:
    listing = _text(dialogue, "/nguon@khuyencong_bot")
    for document in assistant.documents():
        assert document["title"] in listing
        if document.get("date"):
            year, month, day = document["date"].split("-")
            assert f"ngày {day}/{month}/{year}" in listing


def test_unknown_command_and_accented_command(dialogue: Dialogue) -> None:
    assert _text(dialogue, "/xyz").startswith("Không có lệnh /xyz.")
    assert _text(dialogue, "/nguồn") == _text(dialogue, "/nguon")


def test_bad_question_gets_the_assistant_message(dialogue: Dialogue) -> None:
    assert "tiếng Việt" in _text(dialogue, "What is the deadline for the national plan?")


def test_thumbs_without_an_answer_and_on_the_last_answer(dialogue: Dialogue, feedback: FeedbackStore) -> None:
    chat = Chat("test", "votes", "u-votes")
    assert "Chưa có câu trả lời" in _text(dialogue, "👍", chat)
    reply = dialogue.handle(chat, "kinh phi KCQG nam 2022 phan bo bao nhieu")
    assert reply.answer_id is not None
    assert "Cảm ơn" in _text(dialogue, "👍🏽", chat)  # skin tone and variation selectors are fine
    assert feedback.feedback_for(reply.answer_id) == [{"helpful": True, "comment": None, "channel": "test"}]


def test_rate_limit_is_per_user_and_polite(assistant: Assistant, feedback: FeedbackStore) -> None:
    clock = Clock()
    dialogue = make_dialogue(assistant, feedback)
    dialogue.limiter = RateLimiter(Rate(2, 60), clock=clock)
    assert _text(dialogue, "/help").startswith("Cách dùng")
    clock.now += 10
    assert _text(dialogue, "/help").startswith("Cách dùng")
    clock.now += 10
    refused = _text(dialogue, "/help")
    assert "khoảng 40 giây" in refused and "/help" not in refused
    assert _text(dialogue, "/help", Chat("test", "c1", "someone-else")).startswith("Cách dùng")
    clock.now += 41
    assert _text(dialogue, "/help").startswith("Cách dùng")


# ------------------------------------------------------------------- deadlines
def test_deadlines_are_cue_plus_date_in_date_order() -> None:
    text = (
        "Thời hạn đăng ký: 10-5-2024. Quyết định số 59/2015/QĐ-UBND ngày 30/12/2015 của UBND tỉnh. "
        "Một số hạn chế ngày 1/2 chưa khắc phục. Chậm nhất là ngày 5 tháng 4 năm 2024, các cơ sở gửi báo cáo. "
        "Hồ sơ gửi trước ngày 15/3/2024."
    )
    chunks = [{"start": 0, "end": 60, "locator": "mục 1"}, {"start": 60, "end": len(text), "locator": "mục 2"}]
    found = find_deadlines([{"id": "d", "title": "Văn bản thử", "text": text, "chunks": chunks}])
    assert [(d.day, d.month, d.year) for d in found] == [(15, 3, 2024), (5, 4, 2024), (10, 5, 2024)]
    assert [d.when for d in found] == [
        "Trước ngày 15/3/2024",
        "Chậm nhất là ngày 5 tháng 4 năm 2024",
        "Thời hạn đăng ký: 10-5-2024",
    ]
    assert found[2].locator == "mục 1" and found[0].locator == "mục 2"
    assert found[1].sentence == "Chậm nhất là ngày 5 tháng 4 năm 2024, các cơ sở gửi báo cáo."


def test_deadlines_of_the_corpus_quote_their_documents(assistant: Assistant) -> None:
    deadlines = DeadlineFinder(assistant).deadlines()
    assert deadlines
    for deadline in deadlines:
        document = assistant.document(deadline.doc_id)
        assert deadline.sentence in document["text"]
        chunk = next(c for c in document["chunks"] if c["locator"] == deadline.locator)
        start = document["text"].index(deadline.sentence)
        assert chunk["start"] <= start < chunk["end"]
    assert deadlines == sorted(deadlines, key=lambda d: d.sort_key())


def test_deadline_command_lists_what_the_finder_found(dialogue: Dialogue) -> None:
    listing = _text(dialogue, "/hanchot")
    for deadline in dialogue.session.deadlines():
        assert deadline.when in listing and f"“{deadline.sentence}”" in listing


# -------------------------------------------------------------------- splitting
def _letters(lines: list[Line]) -> str:
    return "".join("".join(line.text for line in lines).split())


@pytest.mark.parametrize("limit", [100, 500, 2000])
@pytest.mark.parametrize("seed", range(4))
def test_split_keeps_every_character_in_order_within_the_limit(seed: int, limit: int) -> None:
    rng = random.Random(seed)
    vocabulary = ["khuyến", "công", "đề án", "2.700.000.000 đồng;", "Điều 4.", "a<b&c", "😀", "x" * 150]
    lines = [
        Line(" ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 400))), bold=rng.random() < 0.2)
        for _ in range(rng.randint(1, 30))
    ]
    messages = split_message(lines, limit)
    assert all(measure(render_plain(m)) <= limit for m in messages)
    assert all(m and m[0].text.strip() for m in messages)
    assert "".join(_letters(m) for m in messages) == _letters(lines)  # only whitespace at the cuts is dropped


def test_split_prefers_sentence_then_space_then_hard_cut() -> None:
    sentence = "Câu thứ nhất kết thúc ở đây. " + "Câu thứ hai dài hơn một chút nữa"
    (first, second) = split_message([Line(sentence)], limit=40)
    assert first[0].text == "Câu thứ nhất kết thúc ở đây."
    assert second[0].text == "Câu thứ hai dài hơn một chút nữa"
    pieces = split_message([Line("x" * 25)], limit=10)
    assert ["".join(line.text for line in m) for m in pieces] == ["x" * 10, "x" * 10, "x" * 5]


def test_html_rendering_escapes_and_bolds() -> None:
    assert render_html([Line("a < b & c > d", bold=True), Line("*_[x]_*")]) == "<b>a &lt; b &amp; c &gt; d</b>\n*_[x]_*"
