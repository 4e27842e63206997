"""Follow-ups: a short message leans on the previous turn; one with its own topic is a new question."""

from __future__ import annotations

import pytest

from assistant.conversation import Turn, is_followup, resolve_followup

PREVIOUS = [
    Turn("Kinh phí KCĐP Đắk Lắk đợt 1 năm 2022 là bao nhiêu?", "Kinh phí KCĐP Đắk Lắk đợt 1 năm 2022 là bao nhiêu?", "")
]


@pytest.mark.parametrize("question", ["còn An Giang thì sao?", "năm 2023 thì sao", "còn hạn nộp hồ sơ thì sao?"])
def test_short_messages_lean_on_the_previous_turn(question: str) -> None:
    assert is_followup(question, PREVIOUS)


@pytest.mark.parametrize(
    "question",
    [
        "Thủ tục đăng ký bình chọn sản phẩm công nghiệp nông thôn tiêu biểu như thế nào?",
        "cơ sở của tôi muốn được hỗ trợ máy móc thì làm thế nào?",
        "hội nghị khuyến công phía Nam năm 2023 tổ chức ở đâu vậy",
    ],
)
def test_a_message_with_its_own_topic_is_a_new_question(question: str) -> None:
    assert not is_followup(question, PREVIOUS)
    assert resolve_followup(question, PREVIOUS) == question


def test_a_new_place_replaces_the_old_one() -> None:
    assert resolve_followup("còn An Giang thì sao?", PREVIOUS) == "Kinh phí KCĐP An Giang đợt 1 năm 2022 là bao nhiêu?"
