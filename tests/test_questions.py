"""Question analysis: kinds, interrogatives, topic words."""

from __future__ import annotations

import pytest

from assistant import Assistant
from assistant.questions import (
    FACT_PATTERNS,
    Evidence,
    profile_question,
    question_kind,
    strip_question_cues,
    topic_words,
)


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
        ("Mức hỗ trợ tối đa là bao nhiêu?", "amount"),  # money or a percentage, not a count
        ("muc ho tro toi da la bao nhieu", "amount"),
        ("Thời gian thực hiện đề án là bao lâu?", "duration"),
        ("de an thuc hien trong may thang", "duration"),
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


def test_synonyms_count_as_the_word_the_user_typed() -> None:
    evidence = Evidence("các địa phương gửi 1 bộ hồ sơ đề án về Cục")
    assert evidence.has("nop") and evidence.has("gui")
    assert not Evidence("các địa phương lập hồ sơ").has("nop")


def test_amount_and_duration_facts() -> None:
    assert [m.group(0) for m in FACT_PATTERNS["amount"].finditer("hỗ trợ 80% chi phí, tối đa 300 triệu đồng")] == [
        "80%",
        "300 triệu đồng",
    ]
    assert FACT_PATTERNS["duration"].search("thực hiện trong 18 tháng kể từ").group(0) == "18 tháng"
    assert FACT_PATTERNS["duration"].search("ngày 20/6 tháng 6") is None


def test_years_in_document_numbers_are_not_years_asked_about(assistant: Assistant) -> None:
    index = assistant._get_retriever().index
    assert profile_question("Quyết định 59/2015/QĐ-UBND quy định gì năm 2024?", index).years == ["2024"]
    assert profile_question("van ban 17/2099/QD-UBND noi gi", index).years == []


def test_folded_cues_match_whole_words_only() -> None:
    # "o dau" (ở đâu) inside "ho tro dau tu" is not a question word.
    assert strip_question_cues("cum cong nghiep xuan hung duoc ho tro dau tu bao nhieu tien") == (
        "cum cong nghiep xuan hung duoc ho tro dau tu tien"
    )
    assert question_kind("Đắk Lắk gặp hạn chế gì về cộng tác viên?") == "general"  # "hạn chế" is not "hạn"


def test_glued_compounds_are_cut_apart(assistant: Assistant) -> None:
    index = assistant._get_retriever().index
    words = topic_words("Trung tâm Khuyến công Đắk Lắk lập tổ gì để tư vấn?", index)
    assert "dak lak" in words and not any("lak lap" in w or "cong dak" in w for w in words)
    words = topic_words("Hội nghị khu vực phía Nam lần thứ XIII", index)
    assert "xiii" in words and "nam xiii" not in words
    assert "toi da" in topic_words("ho tro toi da bao nhieu tien", index)  # a dictionary word the corpus lacks
