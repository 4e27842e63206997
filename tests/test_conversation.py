"""Follow-ups: a short message leans on the previous turn; one with its own topic is a new question."""

from __future__ import annotations

import time

import pytest

from assistant.conversation import ConversationStore, Turn, is_followup, resolve_followup
from assistant.ratelimit import Rate, RateLimiter

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


def test_store_keeps_the_recent_turns_of_the_recently_asked_conversations() -> None:
    store = ConversationStore(max_conversations=2, max_turns=2)
    for n in range(3):
        store.add("a", Turn(f"q{n}", f"r{n}", f"a{n}"))
    store.add("b", Turn("q", "r", "a"))
    store.history("a")  # asked about again: "b" is now the least recently used
    store.add("c", Turn("q", "r", "a"))
    assert [t.resolved for t in store.history("a")] == ["r1", "r2"]
    assert store.history("b") == [] and len(store) == 2


def test_store_forgets_a_conversation_after_its_ttl() -> None:
    store = ConversationStore(ttl=0.05)
    store.add("a", Turn("q", "r", "a"))
    time.sleep(0.1)
    assert store.history("a") == [] and len(store) == 0


def test_rate_limiter_without_a_file_counts_in_memory_per_key() -> None:
    """No store given (tests, one-off use): this process's own counts; how many rows a shared file keeps
    (only the last window's) is tests/test_ratelimit.py's."""
    now = [0.0]
    limiter = RateLimiter(Rate(1, 60), clock=lambda: now[0])
    assert limiter.wait_for("a") == limiter.wait_for("b") == 0
    assert limiter.wait_for("a") == 60  # counted
    now[0] += 30
    assert limiter.wait_for("b") == 30
    now[0] += 30
    assert limiter.wait_for("a") == limiter.wait_for("b") == 0
