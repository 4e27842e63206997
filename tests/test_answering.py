"""Extractive answers: the fact first, exact quotes, honest refusals, grounded numbers."""

from __future__ import annotations

import pytest

from assistant import NOT_FOUND, Assistant
from assistant.answering import ungrounded_numbers
from assistant.questions import question_kind
from assistant.types import Citation


@pytest.mark.parametrize(
    ("question", "lead", "doc_id"),
    [
        (
            "Hạn đăng ký kế hoạch khuyến công quốc gia năm 2024 là ngày nào?",
            "Trước ngày 20 tháng 6 năm 2023.",
            "cv-400-ctdp-qlkc-2024",
        ),
        ("han nop ho so de an KCQG ve Cuc CTDP", "Trước ngày 30 tháng 9 năm 2023.", "cv-400-ctdp-qlkc-2024"),
        # the letter says "gửi ... hồ sơ"; users write "nộp"
        ("han nop ho so de an KCQG", "Trước ngày 30 tháng 9 năm 2023.", "cv-400-ctdp-qlkc-2024"),
        ("Năm 2022 kinh phí KCQG được phân bổ bao nhiêu?", "140 tỷ đồng.", "cv-400-ctdp-qlkc-2024"),
        ("Đồng Nai tập huấn khởi sự doanh nghiệp cho bao nhiêu học viên?", "274 học viên.", "dongnai-2023-ket-qua"),
        ("Ai ký Công văn 400/CTĐP-QLKC?", "Ngô Quang Trung.", "cv-400-ctdp-qlkc-2024"),
        ("Hội nghị khuyến công phía Nam năm 2023 tổ chức ở đâu?", "Hậu Giang.", "phia-nam-2023-hoi-nghi"),
    ],
)
def test_answer_leads_with_the_fact(assistant: Assistant, question: str, lead: str, doc_id: str) -> None:
    answer = assistant.ask(question)
    assert answer.found
    assert answer.answer.splitlines()[0] == lead
    assert answer.citations[0].doc_id == doc_id
    assert lead.rstrip(".").lower() in answer.citations[0].quote.lower()


def test_citation_quotes_the_document_exactly(assistant: Assistant) -> None:
    answer = assistant.ask("Kế hoạch hỗ trợ ứng dụng MMTB của Đồng Nai năm 2023 có kinh phí bao nhiêu?")
    assert answer.found
    for citation in answer.citations:
        text = assistant.document(citation.doc_id)["text"]
        assert text[citation.start : citation.end] == citation.quote
        assert citation.title == assistant.title_of(citation.doc_id)
        assert 0 < citation.score <= 1


def test_yes_no_question_answers_with_the_condition(assistant: Assistant) -> None:
    answer = assistant.ask("Cơ sở CNNT có được hỗ trợ sửa chữa hệ thống xử lý ô nhiễm môi trường không?")
    assert answer.found
    assert answer.answer.startswith("Có.")
    assert "xử lý ô nhiễm môi trường" in answer.citations[0].quote


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("Kinh phí khuyến công của tỉnh Quảng Ninh năm 2023 là bao nhiêu?", "Quảng Ninh"),
        ("Kế hoạch khuyến công quốc gia năm 2031 có bao nhiêu đề án?", "năm 2031"),
    ],
)
def test_refuses_places_and_years_the_documents_lack(assistant: Assistant, question: str, named: str) -> None:
    answer = assistant.ask(question)
    assert not answer.found and answer.citations == []
    assert answer.answer.startswith(NOT_FOUND)
    assert named in answer.answer
    assert "Các tài liệu hiện có gồm:" in answer.answer


@pytest.mark.parametrize(
    "question",
    [
        "Lãi suất cho vay mua nhà của ngân hàng là bao nhiêu?",
        "Thủ tục cấp hộ chiếu phổ thông gồm những giấy tờ gì?",
        "Nghị định 45/2012/NĐ-CP quy định mức hỗ trợ tối đa cho máy móc là bao nhiêu?",
    ],
)
def test_refuses_questions_the_corpus_cannot_answer(assistant: Assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert not answer.found, answer.answer
    assert "Đoạn gần nhất có thể tham khảo" in answer.answer


@pytest.mark.parametrize(
    "question",
    [
        "Tổng kinh phí khuyến công 20 tỉnh phía Nam năm 2022 là bao nhiêu?",
        "Đắk Lắk phê duyệt bao nhiêu đề án khuyến công địa phương đợt 1 năm 2022?",
        "An Giang tiếp nhận bao nhiêu hồ sơ đề án khuyến công địa phương năm 2023?",
        "Đồng Nai có bao nhiêu cá nhân được tôn vinh thợ giỏi năm 2023?",
    ],
)
def test_every_number_in_an_answer_is_in_a_cited_quote(assistant: Assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert answer.found
    assert ungrounded_numbers(answer.answer, answer.citations) == []


def test_ungrounded_numbers_catches_an_invented_figure() -> None:
    citation = Citation("d", "t", "đoạn 1", "kinh phí 140 tỷ đồng", 1.0, 0, 10)
    assert ungrounded_numbers("Kinh phí 150 tỷ đồng [1]", [citation]) == ["150"]
    assert ungrounded_numbers("Kinh phí 140 tỷ đồng [1]", [citation]) == []


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("han chot dang ky la ngay nao", "date"),
        ("kinh phí thực hiện bao nhiêu", "money"),
        ("có bao nhiêu học viên", "count"),
        ("đạt bao nhiêu phần trăm kế hoạch", "percent"),
        ("ai ký công văn", "person"),
        ("hội nghị tổ chức ở đâu", "place"),
        ("theo văn bản số mấy", "docnumber"),
        ("cơ sở của tôi có được hỗ trợ không", "yesno"),
        ("định hướng khuyến công năm 2024", "general"),
    ],
)
def test_question_kinds(question: str, kind: str) -> None:
    assert question_kind(question) == kind
