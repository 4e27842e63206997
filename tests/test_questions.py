"""Question analysis: kinds, interrogatives, topic words."""

from __future__ import annotations

import pytest

from assistant import Assistant
from assistant.questions import Evidence, question_kind, strip_question_cues, topic_words


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Cơ sở của tôi có được hỗ trợ máy móc không?", "yesno"),  # "máy" is not "mấy"
        ("co so cua toi co duoc ho tro may moc khong", "yesno"),
        ("Đắk Lắk tư vấn bao nhiêu cơ sở trong 6 tháng đầu năm 2022?", "count"),  # "đầu" is not "đâu"
        ("Đề án nào được ưu tiên?", "general"),  # "ưu tiên" is not "tiền"
        ("Vì sao Đồng Nai không hỗ trợ máy móc thiết bị?", "reason"),
        ("Hội nghị là lần thứ mấy?", "ordinal"),
        ("Số điện thoại Zalo của điểm bán là gì?", "phone"),
        ("Năm 2022 KCQG giải ngân được bao nhiêu?", "money"),
    ],
)
def test_kinds_are_read_from_accented_text_when_there_is_one(question: str, kind: str) -> None:
    assert question_kind(question) == kind


def test_interrogatives_are_stripped_keeping_diacritics() -> None:
    assert strip_question_cues("Hạn chót đăng ký kế hoạch KCQG là ngày nào?") == "đăng ký kế hoạch KCQG là"
    assert strip_question_cues("han chot dang ky ke hoach kcqg la ngay nao") == "dang ky ke hoach kcqg la"


def test_topic_words_keep_compounds_and_drop_function_words(assistant: Assistant) -> None:
    index = assistant._get_retriever().index
    words = topic_words("Tôi muốn vay vốn ngân hàng để mua máy thì làm thế nào?", index)
    assert "ngan hang" in words
    assert not {"toi", "muon", "de", "thi", "lam"} & set(words)


def test_topic_words_of_a_question_typed_without_diacritics(assistant: Assistant) -> None:
    index = assistant._get_retriever().index
    assert {"dong nai", "hoc vien"} <= set(topic_words("dong nai ho tro bao nhieu hoc vien ksdn", index))


def test_evidence_matches_abbreviations_both_ways_and_dates() -> None:
    evidence = Evidence("Kinh phí KCĐP giao theo kế hoạch, trước ngày 20 tháng 6 năm 2023")
    assert evidence.has("khuyen cong dia phuong") and evidence.has("kcdp")
    assert evidence.has("date:20-6") and not evidence.has("date:30-9")
    assert not evidence.has("ngan hang")
