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


def test_a_rare_word_the_sentence_lacks_means_no_answer(assistant: Assistant) -> None:
    # The corpus has the southern conference (in Hậu Giang); "phía Bắc" must not get that answer.
    assert assistant.ask("Hội nghị khuyến công khu vực phía Nam năm 2023 tổ chức ở đâu?").found
    answer = assistant.ask("Hội nghị khuyến công khu vực phía Bắc năm 2023 tổ chức ở đâu?")
    assert not answer.found, answer.answer


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("Đồng Nai xét tặng danh hiệu thợ giỏi năm 2023, kinh phí thực hiện hết bao nhiêu?", "315.725.000 đồng."),
        ("Kế hoạch kinh phí xét tặng danh hiệu thợ giỏi Đồng Nai năm 2023 là bao nhiêu?", "254.000.000 đồng."),
    ],
)
def test_plan_and_actual_figures_are_told_apart(assistant: Assistant, question: str, lead: str) -> None:
    # The actual figure sits three sentences after "Thực hiện:" on the same line.
    answer = assistant.ask(question)
    assert answer.found and answer.answer.splitlines()[0] == lead
    assert lead.rstrip(".") in answer.citations[0].quote


def test_the_next_strong_sentence_answers_when_the_best_lacks_the_year(assistant: Assistant) -> None:
    answer = assistant.ask("Năm 2022 KCQG hỗ trợ bao nhiêu gian hàng hội chợ cho cơ sở CNNT?")
    assert answer.found and answer.answer.splitlines()[0] == "1.850 gian hàng."


def test_why_question_cites_the_cause(assistant: Assistant) -> None:
    answer = assistant.ask("Tại sao hoạt động khuyến công An Giang 6 tháng đầu năm 2023 triển khai chậm?")
    assert answer.found
    assert any("chưa thuận lợi" in c.quote for c in answer.citations), answer.answer


def test_the_figure_of_the_clause_asked_about_leads_and_is_quoted(assistant: Assistant) -> None:
    # One long sentence lists 31 cơ sở, then 13, then 05 for trademarks.
    whole = assistant.ask("Trung tâm Khuyến công Đắk Lắk tư vấn cho bao nhiêu cơ sở?")
    part = assistant.ask("TTKC Đắk Lắk hỗ trợ đăng ký nhãn hiệu cho mấy cơ sở?")
    assert whole.answer.splitlines()[0] == "31 cơ sở."
    assert part.answer.splitlines()[0] == "05 cơ sở."
    assert "05 cơ sở" in part.citations[0].quote
