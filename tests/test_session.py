"""The conversation layer every channel uses: follow-ups, stored answers and votes, chats keyed by the chat."""

from __future__ import annotations

import pytest

from assistant import Assistant
from assistant.errors import ConversationUnknown
from assistant.feedback import FeedbackStore
from assistant.session import Session

FIRST = "Đồng Nai năm 2023 hỗ trợ bao nhiêu cơ sở?"
FOLLOW = "còn An Giang thì sao?"


def test_a_conversation_is_opened_by_the_session_and_followed(assistant: Assistant, feedback: FeedbackStore) -> None:
    session = Session(assistant, feedback=feedback)
    first = session.ask(FIRST)
    assert len(first.conversation_id) == 32 and first.resolved_question is None and first.answer_id
    follow = session.ask(FOLLOW, conversation_id=first.conversation_id)
    assert follow.conversation_id == first.conversation_id
    assert follow.resolved_question == "An Giang năm 2023 hỗ trợ bao nhiêu cơ sở?"
    assert "08 cơ sở" in follow.answer.answer
    assert feedback.answer_of(follow.answer_id or "") == follow.answer.to_dict()


def test_an_id_the_session_never_gave_is_refused(assistant: Assistant) -> None:
    session = Session(assistant)
    with pytest.raises(ConversationUnknown) as caught:
        session.ask(FOLLOW, conversation_id="tu-dat-ra")
    assert caught.value.code == "conversation_unknown" and "tu-dat-ra" in caught.value.message
    assert len(session.conversations) == 0  # nothing opened under it


def test_a_chat_keys_its_own_conversation(assistant: Assistant, feedback: FeedbackStore) -> None:
    session = Session(assistant, feedback=feedback)
    session.ask_in_chat(FIRST, "telegram-42", channel="telegram")
    follow = session.ask_in_chat(FOLLOW, "telegram-42", channel="telegram")
    other = session.ask_in_chat(FOLLOW, "zalo-7", channel="zalo")
    assert follow.resolved_question == "An Giang năm 2023 hỗ trợ bao nhiêu cơ sở?"
    assert other.resolved_question is None  # another chat: no earlier turn
    with pytest.raises(ConversationUnknown):  # a chat's conversation cannot be named from outside it
        session.ask(FOLLOW, conversation_id="telegram-42")


def test_without_a_feedback_store_nothing_is_stored(assistant: Assistant) -> None:
    exchange = Session(assistant).ask(FIRST)  # the CLI's and eval's session
    assert exchange.answer_id is None and "03 cơ sở" in exchange.answer.answer


def test_a_vote_comment_is_cleaned_like_a_question(assistant: Assistant, feedback: FeedbackStore) -> None:
    session = Session(assistant, feedback=feedback)
    answer_id = session.ask(FIRST).answer_id or ""
    session.vote(answer_id, False, "  thiếu\u0000 số liệu  ", channel="api")
    session.vote(answer_id, True, "   ", channel="api")
    assert feedback.feedback_for(answer_id) == [
        {"helpful": False, "comment": "thiếu số liệu", "channel": "api"},
        {"helpful": True, "comment": None, "channel": "api"},
    ]
