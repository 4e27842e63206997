"""Regulations read as regulations: numbers written as words, cross-references, lists of points."""

from __future__ import annotations

from pathlib import Path

import pytest
from small_corpus import one_document_assistant

from assistant import Assistant

REGULATION = """ỦY BAN NHÂN DÂN
TỈNH THỬ NGHIỆM
Số: 77/2098/QĐ-UBND
Thử Nghiệm, ngày 10 tháng 3 năm 2098

QUYẾT ĐỊNH
Ban hành Quy định hỗ trợ chuyển đổi số cho cơ sở công nghiệp nông thôn
(Văn bản hư cấu, chỉ dùng để kiểm thử)

Điều 1. Phạm vi điều chỉnh
Quy định này quy định nội dung và mức hỗ trợ chuyển đổi số cho cơ sở công nghiệp nông thôn trên địa bàn tỉnh.

Điều 2. Điều kiện được hỗ trợ
Cơ sở được hỗ trợ khi đáp ứng đủ các điều kiện sau:
a) Có đăng ký kinh doanh trên địa bàn tỉnh;
b) Có báo giá của ba nhà cung cấp độc lập;
c) Cam kết sử dụng phần mềm ít nhất hai năm.

Điều 3. Nội dung hỗ trợ
1. Hỗ trợ mua phần mềm quản lý bán hàng và kế toán.
2. Hỗ trợ thiết kế trang thông tin điện tử giới thiệu sản phẩm.

Điều 4. Mức hỗ trợ
1. Nội dung quy định tại khoản 1 Điều 3: hỗ trợ 50% chi phí, không quá 45 triệu đồng cho một cơ sở.
2. Nội dung quy định tại khoản 2 Điều 3: hỗ trợ không quá 20 triệu đồng cho một cơ sở.

Điều 5. Trường hợp không được hỗ trợ
Cơ sở không được hỗ trợ chuyển đổi số khi đã nhận hỗ trợ cho cùng nội dung từ ngân sách nhà nước.

Điều 6. Giải thích từ ngữ
Chuyển đổi số là việc ứng dụng công nghệ số vào quản lý, sản xuất và bán hàng của cơ sở.

Điều 7. Đào tạo nhân lực số
Cơ sở được hỗ trợ đào tạo nhân lực số ở trình độ cơ bản, trình độ nâng cao và trình độ chuyên gia.
"""


@pytest.fixture(scope="module")
def kc(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Assistant:
    return one_document_assistant(tmp_path_factory.mktemp("regulation"), "qd-77-2098.txt", REGULATION, embedding_cache)


def test_a_number_written_as_a_word_is_the_answer(kc: Assistant) -> None:
    answer = kc.ask("can bao gia cua may nha cung cap")
    assert answer.found
    assert answer.answer.splitlines()[0] == "Ba nhà cung cấp."
    assert answer.citations[0].locator == "Điều 2, điểm b" or answer.citations[0].locator.startswith("Điều 2")


def test_a_cross_reference_is_resolved_and_both_provisions_quoted(kc: Assistant) -> None:
    answer = kc.ask("Hỗ trợ mua phần mềm quản lý bán hàng tối đa bao nhiêu tiền?")
    assert answer.found
    assert answer.answer.splitlines()[0] == "45 triệu đồng."  # "tối đa" asked: the bound goes without saying
    locators = [c.locator for c in answer.citations]
    assert locators[0] == "Điều 4, khoản 1"
    assert "Điều 3, khoản 1" in locators  # the provision the clause refers to, quoted too
    referred = answer.citations[locators.index("Điều 3, khoản 1")]
    assert referred.provision is not None
    assert (referred.provision.number, referred.provision.clause) == ("3", "1")  # carried, as by every citation
    assert any("phần mềm quản lý bán hàng" in c.quote for c in answer.citations)


def test_a_list_of_points_is_answered_as_a_list(kc: Assistant) -> None:
    answer = kc.ask("Điều kiện để được hỗ trợ chuyển đổi số gồm những gì?")
    assert answer.found
    lead = answer.answer.splitlines()[0]
    for item in ("đăng ký kinh doanh", "ba nhà cung cấp", "ít nhất hai năm"):
        assert item in lead
    # The opening sentence and each point are quoted, all from one passage (Điều 2): one source for them.
    assert answer.answer.count("” [1]") >= 4 and len(answer.citations) == 1
    assert all(item in answer.citations[0].quote for item in ("đăng ký kinh doanh", "ít nhất hai năm"))


MULTIPLE_CHOICE = (
    "Thiết kế trang thông tin điện tử giới thiệu sản phẩm được hỗ trợ tối đa bao nhiêu?\n"
    "A. 45 triệu đồng cho một cơ sở, kể cả chi phí duy trì tên miền hằng năm.\n"
    "B. 20 triệu đồng cho một cơ sở.\n"
    "C. 30 triệu đồng, kể cả thuế giá trị gia tăng và phí bảo trì.\n"
    "D. Không được hỗ trợ."
)


def test_a_multiple_choice_question_is_answered_from_its_stem(kc: Assistant) -> None:
    # The options' words (most in no document) are answers offered, not what is asked, and their figures
    # are candidates, not facts the user gives: the stem decides, the clause of Điều 4 answers it.
    answer = kc.ask(MULTIPLE_CHOICE)
    assert answer.found
    assert answer.answer.splitlines()[0] == "20 triệu đồng."
    assert answer.citations[0].locator == "Điều 4, khoản 2"


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("Cơ sở không được hỗ trợ chuyển đổi số khi nào?", "Điều 5"),  # "khi nào": in which case
        ("Chuyển đổi số được định nghĩa là gì?", "Điều 6"),  # "định nghĩa" asks, it is no topic word
        ("Có bao nhiêu trình độ đào tạo nhân lực số được hỗ trợ?", "Điều 7"),  # the levels listed count them
    ],
)
def test_a_provision_answering_in_its_own_words_is_quoted(kc: Assistant, question: str, article: str) -> None:
    # No date, no number: the provision that says all the question says is the answer, quoted without a lead.
    answer = kc.ask(question)
    assert answer.found, answer.answer
    assert answer.answer.startswith("“")
    assert answer.citations[0].locator.startswith(article)
