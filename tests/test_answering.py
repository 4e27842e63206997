"""Extractive answers: the fact first, exact quotes, honest refusals, grounded numbers."""

from __future__ import annotations

import re

import pytest

from assistant import NOT_FOUND, Assistant
from assistant.answering import UNSURE, AnswerParams, ungrounded_numbers
from assistant.config import Settings
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
        # ... which is the whole country's: a national figure in a national letter answers "cả nước"
        ("nam 2022 kcqg ca nuoc dc phan bo bao nhieu ty", "140 tỷ đồng", "cv-400-ctdp-qlkc-2024"),
        ("Đồng Nai tập huấn khởi sự doanh nghiệp cho bao nhiêu học viên?", "274 học viên.", "dongnai-2023-ket-qua"),
        ("Ai ký Công văn 400/CTĐP-QLKC?", "Ngô Quang Trung.", "cv-400-ctdp-qlkc-2024"),
        ("Hội nghị khuyến công phía Nam năm 2023 tổ chức ở đâu?", "Hậu Giang.", "phia-nam-2023-hoi-nghi"),
        # a type asked ("loại mô hình nào") is answered by its description, which needs no capital
        (
            "muốn xin kc xây mô hình trình diễn kỹ thuật thì loai mo hinh nao dc uu tien lua chon",
            "Mô hình về chế biến nông lâm thủy sản.",
            "cv-400-ctdp-qlkc-2024",
        ),
        # the letter's number, not that of the decision it carries out
        (
            "van ban cua so cong thuong trien khai qd phe duyet ho tro ha tang ccn xuan hung la so may",
            "5321/SCT-CN.",
            "dongnai-2023-ket-qua",
        ),
        # an office's name runs over the list of the units it names
        (
            "trung tam kc dak lak phoi hop chat che voi ai de don vi thu huong lap ke hoach dung tien do",
            "UBND các huyện, thị xã, thành phố.",
            "daklak-2022-6-thang",
        ),
        # a bare "bn" counts nothing the question names ("20 tỉnh"): the sentence's amount is asked
        ("kcdp phia nam 2023 ke hoach giao bn", "67,15 tỷ đồng.", "phia-nam-2023-hoi-nghi"),
        ("kcqg phía nam 2022 thuc hien bn, đạt mấy %", "28,99 tỷ đồng", "phia-nam-2023-hoi-nghi"),
        # a count keeps the abbreviation naming what it counts, a rate what it is a rate of
        ("năm 2022 kcqg hỗ trợ máy móc thiết bị cho bao nhiêu cơ sở cnnt", "320 cơ sở CNNT.", "cv-400-ctdp-qlkc-2024"),
        ("kc dong nai ho tro tien thue gian hang bn %", "80% chi phí thuê gian hàng.", "dongnai-2023-ket-qua"),
        # the figure of the clause the question qualifies: a label ("Chợ Mới: 3 cơ sở"), a programme, a sum
        (
            "Huyện Chợ Mới có mấy cơ sở được kiểm tra đề án khuyến công năm 2021?",
            "Chợ Mới: 3 cơ sở.",
            "angiang-2023-6-thang",
        ),
        # what the sentence attaches to a count is part of it ("05 cơ sở CNNT (7 sản phẩm)")
        (
            "an giang nam 2023 kiem tra ho so cua may co so dang ky binh chon sp cnnttb quoc gia",
            "05 cơ sở CNNT (7 sản phẩm).",
            "angiang-2023-6-thang",
        ),
        # an office's name runs on to the end of the name the documents define ("… địa phương (CTĐP)")
        (
            "ho so binh chon sp cnnttb cap quoc gia an giang hoan chinh xong thi gui cho co quan nao",
            "Cục Công Thương địa phương.",
            "angiang-2023-6-thang",
        ),
        # who does the verb asked: the one right before it, or X of "do X <verb>"; a sentence telling of the
        # act without its agent ("được tổ chức tại Hậu Giang") names no one
        (
            "Ai trình bày báo cáo tại Hội nghị khuyến công phía Nam năm 2023?",
            "Đỗ Thị Minh Trâm.",
            "phia-nam-2023-hoi-nghi",
        ),
        (
            "hội nghị khuyến công phía nam năm 2023 do cơ quan nào tổ chức",
            "Cục Công Thương địa phương.",
            "dongnai-2023-ket-qua",
        ),
        # a verb the documents never use ("dự tính") is the user's wording, not a topic they lack
        (
            "năm 2023 Đồng Nai dự tính hỗ trợ bao nhiêu cơ sở ứng dụng máy móc thiết bị",
            "09 cơ sở CNNT",
            "dongnai-2023-ket-qua",
        ),
        ("Kinh phí KCĐP của Đắk Lắk đợt 1 năm 2022 là bao nhiêu?", "2.515 triệu đồng.", "daklak-2022-6-thang"),
        (
            "tổng kinh phí kcđp đợt 1/2022 Đắk Lắk tính chung cả phần đối ứng là bn",
            "5.374 triệu đồng.",
            "daklak-2022-6-thang",
        ),
        # the number the noun asked directly follows ("51 chủ thể sản phẩm … 2.000 sản phẩm")
        (
            "Phòng trưng bày CNNTTB, OCOP Đồng Nai trưng bày bao nhiêu sản phẩm?",
            "Trên 2.000 sản phẩm.",
            "dongnai-2023-ket-qua",
        ),
        # "do đơn vị nào tổ chức": the X of "do X tổ chức", whatever its capitals
        (
            "Khóa đào tạo Người Quản lý Năng lượng năm 2023 do đơn vị nào tổ chức?",
            "Vụ tiết kiệm năng lượng và Phát triển bền vững",
            "angiang-2023-6-thang",
        ),
        # a national letter applies wherever the user is ("e ở Bình Phước" names no province asked)
        (
            "e co xuong che bien hat dieu o binh phuoc, muon xin de an kcqg 2024 thi han nop ho so de an la khi nao",
            "Trước ngày 30 tháng 9 năm 2023.",
            "cv-400-ctdp-qlkc-2024",
        ),
        # "liên hệ" belongs to the phone asked, it is no topic the documents lack
        ("e muốn dua sp vào phong trung bay của ttkc đồng nai, sdt zalo lien he là j", "0819", "dongnai-2023-ket-qua"),
        # the noun counted after a word that measures it is part of the count ("04 hồ sơ" + "đề án")
        ("An Giang năm 2023 tiếp nhận bao nhiêu đề án kcđp", "04 hồ sơ đề án.", "angiang-2023-6-thang"),
        # a document number the user typed is not the answer ("qđ 59/2015 … sửa đổi bởi qđ số mấy")
        (
            "qd 59/2015 cua dong nai dc sua doi bo sung boi qd so may",
            "Quyết định số 17/2019/QĐ-UBND.",
            "dongnai-2023-ket-qua",
        ),
        # agents joined by "," and "và" are all named; agents written as common nouns too
        ("Ai đồng chủ trì Hội nghị khuyến công phía Nam lần XIII vậy?", "Ngô Quang Trung, ", "phia-nam-2023-hoi-nghi"),
        (
            "Báo cáo đăng ký kế hoạch KCQG 2024 thì đơn vị nào phải xây dựng?",
            "Sở Công Thương, các tổ chức dịch vụ khuyến công.",
            "cv-400-ctdp-qlkc-2024",
        ),
    ],
)
def test_answer_leads_with_the_fact(assistant: Assistant, question: str, lead: str, doc_id: str) -> None:
    answer = assistant.ask(question)
    assert answer.found
    assert answer.answer.splitlines()[0].startswith(lead)  # a passed deadline adds "Hạn này đã qua."
    assert answer.citations[0].doc_id == doc_id
    assert lead.rstrip(".").lower() in answer.citations[0].quote.lower()


def test_a_long_sentence_is_quoted_around_the_item_asked(assistant: Assistant) -> None:
    # the sentence (over the quote limit) lists what the centre did; with no fact of the kind asked in it,
    # the quote is cut around the item the question is about, not at the sentence's opening
    answer = assistant.ask(
        "Mình làm cà phê bột, muốn đăng ký nhãn hiệu mà không biết làm hồ sơ, TTKC Đắk Lắk có giúp không?"
    )
    assert answer.answer.startswith("Có: tư vấn hỗ trợ xây dựng và nộp hồ sơ đăng ký nhãn hiệu")
    assert "đăng ký nhãn hiệu" in answer.citations[0].quote
    assert answer.citations[0].doc_id == "daklak-2022-6-thang"


def test_items_named_in_quotes_are_the_list(assistant: Assistant) -> None:
    # "… tham gia đề án KCQG “A” và “B”": the items are the quoted names, not the sentence's opening
    lead = assistant.ask("10 co so o an giang tham gia nhung de an kcqg nao vay").answer.splitlines()[0]
    assert re.match(r"(?:.+, g|G)ồm: “Hỗ trợ ứng dụng giải pháp truy xuất nguồn gốc", lead), lead
    assert "“Hỗ trợ xây dựng bộ nhận diện thương hiệu trực tuyến" in lead


def test_a_question_pointing_back_to_the_users_case_is_about_it(assistant: Assistant) -> None:
    # "… có ưu tiên mảng này không": "mảng này" is the processing the user told of, so its words are asked
    answer = assistant.ask(
        "nha em lam ca kho, che bien thuy san o Ca Mau, muon lam mo hinh trinh dien ky thuat che bien "
        "thi kcqg 2024 co uu tien mang nay ko"
    )
    assert answer.found
    assert "chế biến nông lâm thủy sản" in answer.answer.splitlines()[0]


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
    assert answer.answer.startswith("Có: ")
    assert "xử lý ô nhiễm môi trường" in answer.citations[0].quote


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("Kinh phí khuyến công của tỉnh Quảng Ninh năm 2023 là bao nhiêu?", "Quảng Ninh"),
        ("Kế hoạch khuyến công quốc gia năm 2031 có bao nhiêu đề án?", "năm 2031"),
        # a province typed without diacritics is read as the province, not as corpus words ("Làm Động")
        ("kinh phi khuyen cong dia phuong cua Lam Dong nam 2023 la bao nhieu", "Lâm Đồng"),
        # the figures that count the noun asked lack the year; a count of another noun ("1000 cuốn brochure
        # sản phẩm …") is none of them
        ("dong nai nam 2022 co bn san pham duoc cong nhan cnnt tieu bieu cap tinh", "năm 2022"),
        # the whole country asked: a region's figure (the southern provinces' report) is not it
        ("giai ngan kcqg 2023 toan quoc dat bn %", "phạm vi cả nước"),
        # the programme of a sentence naming none is its paragraph's ("Năm 2022 kinh phí KCQG … Tính đến hết
        # tháng 12 năm 2022, tổng kinh phí đã giải ngân …"): the national money does not answer the local one
        (
            "Năm 2022 tổng kinh phí khuyến công địa phương đã giải ngân đến hết tháng 12 là bao nhiêu?",
            "khuyến công địa phương",
        ),
        # a passage that lacks the year asked is replaced only by one about the same thing, not by any figure
        ("phòng trưng bày Đồng Nai năm 2024 kinh phí duy tri du kien bn", "năm 2024"),
    ],
)
def test_refuses_places_and_years_the_documents_lack(assistant: Assistant, question: str, named: str) -> None:
    answer = assistant.ask(question)
    assert not answer.found and answer.citations == []
    assert answer.answer.startswith(NOT_FOUND)
    assert named in answer.answer
    assert "Các tài liệu hiện có gồm:" in answer.answer


def test_a_rate_asked_per_unit_is_not_answered_by_a_total(assistant: Assistant) -> None:
    total = assistant.ask("kinh phi ton vinh tho gioi dong nai nam 2023 bao nhieu tien")
    assert total.answer.startswith("315.725.000 đồng")
    per_person = assistant.ask("tho gioi tinh dong nai nam 2023 dc thuong bao nhieu tien 1 nguoi")
    assert not per_person.found, per_person.answer
    assert assistant.analyse("hoc nghe kc ho tro bn tien moi hoc vien").per == "hoc vien"
    assert assistant.analyse("ke hoach kcdp dot 1 nam 2022 co bao nhieu de an").per == ""  # a year, no rate


def test_a_phrase_excludes_its_rival_wherever_it_stands(assistant: Assistant) -> None:
    """vocab/contrasts.json "phrases": a passage about fairs "trong nước" does not answer one "nước ngoài"."""
    assert assistant.ask("kc dong nai co ho tro chi phi thue gian hang hoi cho trong nuoc ko").found
    answer = assistant.ask("kc dong nai co ho tro chi phi thue gian hang hoi cho nuoc ngoai ko")
    assert not answer.found, answer.answer


@pytest.mark.parametrize(
    "question",
    [
        "Lãi suất cho vay mua nhà của ngân hàng là bao nhiêu?",
        "Thủ tục cấp hộ chiếu phổ thông gồm những giấy tờ gì?",
        "Nghị định 45/2012/NĐ-CP quy định mức hỗ trợ tối đa cho máy móc là bao nhiêu?",
        # contact details and forms are facts of their own, which no document gives
        "email cua cuc ctdp de gui hs de an kcqg la j vay ad",
        "Mẫu đơn đề nghị hỗ trợ khuyến công lấy ở đâu?",
        "cho e xin website cua trung tam khuyen cong dong nai",
        # the thing asked is a noun no document uses, the rest of the question is theirs
        "Phụ cấp hằng tháng của cộng tác viên khuyến công là bao nhiêu?",
        # the best match is too weak to quote as an answer (AnswerParams.score_floor)
        "thu tuc dang ky ho kinh doanh ca the o phuong can giay to j",
        "e muốn lắp điện mặt trời áp mái cho xưởng thì có bán điện dư lại cho evn dc ko",
    ],
)
def test_refuses_questions_the_corpus_cannot_answer(assistant: Assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert not answer.found, answer.answer
    assert "Đoạn gần nhất có thể tham khảo" in answer.answer


@pytest.mark.parametrize(
    ("question", "said"),
    [
        # the report covers the first six months of 2022: its figures are no whole-year figures
        ("cả năm 2022 dak lak thực hiện kcdp hết bao nhieu tien", "6 tháng đầu năm"),
        ("Cả năm 2022 Đắk Lắk tư vấn cho bao nhiêu cơ sở?", "6 tháng đầu năm"),
    ],
)
def test_a_report_of_part_of_the_year_does_not_answer_the_whole_year(
    assistant: Assistant, question: str, said: str
) -> None:
    answer = assistant.ask(question)
    assert not answer.found, answer.answer
    assert "cả năm" in answer.answer and said in answer.answer


def test_the_same_figures_answer_the_part_of_the_year_they_are_of(assistant: Assistant) -> None:
    answer = assistant.ask("6 tháng đầu năm 2022 Đắk Lắk tư vấn cho bao nhiêu cơ sở?")
    assert answer.found and answer.answer.startswith("31 cơ sở"), answer.answer


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


def test_a_list_asked_of_a_sentence_naming_its_topic_is_read_from_the_next_sentence(assistant: Assistant) -> None:
    answer = assistant.ask("Năm 2024 ưu tiên xây dựng những loại mô hình trình diễn kỹ thuật nào?")
    first = answer.answer.splitlines()[0]
    assert first.startswith("Gồm:") and "chế biến nông lâm thủy sản" in first and "công nghệ cao" in first


def test_a_word_excluding_the_asked_one_is_a_contradiction_and_another_word_is_not(assistant: Assistant) -> None:
    assert not assistant.ask("đắk lắk đợt 2 năm 2022 phê duyệt thêm bao nhiêu đề án kcđp").found  # the text: đợt 1
    assert assistant.ask("Đắk Lắk đợt 1 năm 2022 phê duyệt bao nhiêu đề án KCĐP").answer.startswith("23 đề án")
    trained = assistant.ask("e làm đồ thủ công, muốn đào tạo thêm thợ thì kc có hỗ trợ đào tạo nghề ko")
    assert trained.found  # "đào tạo nghề" does not contradict "đào tạo thêm thợ"


def test_a_year_compared_with_is_not_the_year_asked(assistant: Assistant) -> None:
    answer = assistant.ask("ke hoach kinh phi kc 2023 phia nam duoc duyet bnhieu, tang bn % so voi 2022")
    assert answer.answer.startswith("101,65 tỷ đồng")


def test_items_running_on_after_a_semicolon_are_all_listed(assistant: Assistant) -> None:
    answer = assistant.ask("4 ho so đề án kcđp an giang 2023 là nhung de an nao")
    first = answer.answer.splitlines()[0]
    # the count its lead-in gives, then every item
    assert first.startswith("04 hồ sơ, gồm:") and "viên tinh nghệ" in first and "cà phê" in first and "rượu" in first


def test_why_question_cites_the_cause(assistant: Assistant) -> None:
    answer = assistant.ask("Tại sao hoạt động khuyến công An Giang 6 tháng đầu năm 2023 triển khai chậm?")
    assert answer.found
    assert any("chưa thuận lợi" in c.quote for c in answer.citations), answer.answer


def test_the_figure_of_the_clause_asked_about_leads_and_is_quoted(assistant: Assistant) -> None:
    # One long sentence lists 31 cơ sở, then 13, then 05 for trademarks.
    whole = assistant.ask("Trung tâm Khuyến công Đắk Lắk tư vấn cho bao nhiêu cơ sở?")
    part = assistant.ask("TTKC Đắk Lắk hỗ trợ đăng ký nhãn hiệu cho mấy cơ sở?")
    assert whole.answer.splitlines()[0] == "31 cơ sở."
    assert part.answer.splitlines()[0] == "05 cơ sở, với 05 sản phẩm."  # what the sentence attaches to it
    assert "05 cơ sở" in part.citations[0].quote


def test_a_passed_deadline_says_so(assistant: Assistant) -> None:
    first = assistant.ask("hạn nộp hồ sơ đề án KCQG").answer.splitlines()[0]
    assert first.startswith("Trước ngày 30 tháng 9 năm 2023.") and "đã qua" in first


def test_a_deadline_still_ahead_has_no_note(assistant: Assistant) -> None:
    import datetime as dt

    early = Assistant(assistant.settings.replaced(today=dt.date(2023, 6, 1)))
    assert early.ask("hạn nộp hồ sơ đề án KCQG").answer.splitlines()[0] == "Trước ngày 30 tháng 9 năm 2023."


def test_both_parts_of_a_two_part_question_lead(assistant: Assistant) -> None:
    answer = assistant.ask("phía Nam năm 2022 riêng phần kcqg thực hiện được bao nhiêu tỷ, đạt bao nhiêu %")
    assert answer.answer.splitlines()[0] == "28,99 tỷ đồng; 97,18%."
    assert ungrounded_numbers(answer.answer, answer.citations) == []


def test_a_comparison_year_is_not_the_year_asked(assistant: Assistant) -> None:
    # The 2023 regional plan sentence says "tăng 15,8% so với năm 2022"; 2022's figure is 140 tỷ.
    assert assistant.ask("kinh phí khuyến công quốc gia năm 2022").answer.splitlines()[0] == "140 tỷ đồng."


def test_a_personal_eligibility_question_is_answered_from_the_rules(assistant: Assistant) -> None:
    answer = assistant.ask("co so cua toi co duoc ho tro may moc khong")
    assert answer.found and answer.citations[0].doc_id == "cv-400-ctdp-qlkc-2024"
    assert "máy móc" in answer.answer.splitlines()[0]


def test_a_merged_province_is_answered_by_the_province_it_joined_when_the_text_is_about_the_place(
    assistant: Assistant,
) -> None:
    # Hậu Giang joined Cần Thơ in 2025: the 2023 conference in Hậu Giang took place in today's Cần Thơ.
    assert assistant.ask("hội nghị khuyến công phía Nam 2023 tổ chức ở tỉnh nào, nay là Cần Thơ").found
    # Phú Yên joined Đắk Lắk in 2025: a 2022 report of Đắk Lắk says nothing about Phú Yên.
    assert not assistant.ask("Phú Yên đợt 1 năm 2022 được duyệt bao nhiêu đề án KCĐP?").found


def test_a_number_the_user_wrote_is_not_the_answer(assistant: Assistant) -> None:
    answer = assistant.ask("Nghị định mới thay thế Nghị định 45/2012/NĐ-CP về khuyến công là nghị định số mấy?")
    assert not answer.found


EXAMPLES = [  # the README's and the chat page's example questions, with the fact their first line must state
    ("hạn đăng ký kế hoạch khuyến công quốc gia", "20 tháng 6 năm 2023"),
    ("Hạn đăng ký kế hoạch khuyến công quốc gia năm 2024 là ngày nào?", "20 tháng 6 năm 2023"),
    ("Hạn nộp hồ sơ đề án khuyến công quốc gia là khi nào?", "30 tháng 9 năm 2023"),
    ("Năm 2022 kinh phí KCQG được phân bổ bao nhiêu?", "140 tỷ đồng"),
    ("kinh phi KCQG nam 2022 phan bo bao nhieu", "140 tỷ đồng"),
    ("kinh phí khuyến công quốc gia năm 2022", "140 tỷ đồng"),
    ("co so cua toi co duoc ho tro may moc khong", "Hỗ trợ ứng dụng máy móc tiên tiến vào sản xuất"),
    ("Ai ký Công văn 400?", "Ngô Quang Trung"),
    ("hạn nộp hồ sơ đề án KCQG", "30 tháng 9 năm 2023"),
    ("hạn nộp hồ sơ", "30 tháng 9 năm 2023"),
]


@pytest.mark.parametrize(("question", "fact"), EXAMPLES)
def test_every_example_question_states_its_fact_first(assistant: Assistant, question: str, fact: str) -> None:
    answer = assistant.ask(question)
    assert fact in answer.answer.splitlines()[0], answer.answer
    assert any(fact in c.quote for c in answer.citations)


def test_the_chat_page_examples_are_all_checked() -> None:
    import re
    from pathlib import Path

    page = (Path(__file__).parents[1] / "assistant" / "web" / "static" / "index.html").read_text(encoding="utf-8")
    shown = re.findall(r'class="example">([^<]+)<', page)
    checked = {q for q, _ in EXAMPLES} | {"Đồng Nai năm 2023 hỗ trợ bao nhiêu cơ sở?"}
    assert shown and set(shown) <= checked


def test_a_passage_quoted_without_a_stated_fact_says_it_is_unsure(built_settings: Settings) -> None:
    """The quote outcome (coverage under `direct_from`) says plainly that the fact is not stated."""
    question = "Năm 2022 kinh phí KCQG được phân bổ bao nhiêu?"
    direct = Assistant(built_settings).ask(question)
    assert direct.answer.startswith("140 tỷ đồng.") and UNSURE not in direct.answer
    unsure = Assistant(built_settings, answer_params=AnswerParams(direct_from=1.01)).ask(question)
    assert unsure.found and unsure.answer.startswith("“"), unsure.answer
    assert unsure.answer.splitlines()[-1] == UNSURE


def test_a_figure_belongs_to_the_year_of_its_own_clause(assistant: Assistant) -> None:
    """ "… trao thưởng năm 2024. Vì vậy năm 2023 không sử dụng kinh phí …: 60.000.000 đồng" is a 2023 figure."""
    of_2023 = assistant.ask("Năm 2023 Đồng Nai không sử dụng bao nhiêu kinh phí tham gia xét tặng Nghệ nhân Ưu tú?")
    assert of_2023.answer.startswith("60.000.000 đồng"), of_2023.answer
    of_2024 = assistant.ask("năm 2024 đồng nai dự kiến chi bao nhiêu tiền cho xét tặng nghệ nhân ưu tú")
    assert "60.000.000" not in of_2024.answer.splitlines()[0], of_2024.answer
    # the year is the fact asked: the clause naming it answers
    when = assistant.ask("bao giờ Bộ Công Thương tổ chức tôn vinh trao thưởng nghệ nhân ưu tú")
    assert when.answer.startswith("Năm 2024"), when.answer


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        # the kind and issuer asked decide between the numbers of one passage; the lead names the type written
        (
            "Quyết định phê duyệt hỗ trợ đầu tư hạ tầng cụm công nghiệp Xuân Hưng số bao nhiêu?",
            "Quyết định số 1994/QĐ-UBND",
        ),
        (
            "Công văn của UBND tỉnh Đồng Nai về tham gia chuỗi hoạt động khuyến công quốc gia là số mấy?",
            "Công văn số 13264/UBND-KTNS",
        ),
        (
            "Công văn của Sở Công Thương về tham gia chuỗi hoạt động khuyến công quốc gia là số mấy?",
            "Công văn số 7386/SCT-KH",
        ),
        # a report's number may carry no code of its own: it is still a report's
        ("Số báo cáo của Trung tâm Khuyến công Đồng Nai về việc không nhận được hồ sơ hỗ trợ máy móc?", "581/KC&TV-KC"),
        # the date of the document the question names, not of another in the same passage
        ("qđ 1994 phê duyệt hỗ trợ hạ tầng ccn xuan hung ky ngay nao", "Ngày 18/8/2023"),
        ("Công văn 7386 của Sở Công Thương ban hành ngày nào", "Ngày 12/12/2023"),  # 13264/UBND-KTNS: 08/12
    ],
)
def test_a_document_asked_by_kind_issuer_or_number(assistant: Assistant, question: str, lead: str) -> None:
    answer = assistant.ask(question)
    assert answer.answer.startswith(lead), answer.answer


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        # "… năm 2022 tổng kinh phí … của 20 tỉnh … 79,07 tỷ đồng. Trong đó: … KCQG … 28,99 tỷ đồng.
        # Tổng kinh phí KCĐP … 50,08 tỷ đồng": each part carries the whole's year and region
        ("Kinh phí khuyến công địa phương năm 2022 của 20 tỉnh phía Nam thực hiện được bao nhiêu?", "50,08 tỷ đồng"),
        ("kcqg 20 tinh phia nam nam 2022 thuc hien dc bn", "28,99 tỷ đồng"),
        ("Kinh phí KCĐP khu vực phía Nam 8 tháng 2023 thực hiện được bao nhiêu?", "19,07 tỷ"),
        # the whole is still the answer when no part is asked
        ("Tổng kinh phí khuyến công 20 tỉnh phía Nam thực hiện năm 2022 là bao nhiêu?", "79,07 tỷ đồng"),
    ],
)
def test_a_part_of_a_breakdown_carries_the_words_of_its_whole(assistant: Assistant, question: str, lead: str) -> None:
    answer = assistant.ask(question)
    assert answer.answer.startswith(lead), answer.answer


def test_plan_and_actual_asked_apart_are_answered_apart(assistant: Assistant) -> None:
    answer = assistant.ask(
        "dong nai nam 2023 ke hoach du kien bao nhieu hoc vien lop KSDN, thực tế tổ chức dc bn người"
    )
    first = answer.answer.splitlines()[0]
    assert first.startswith("Kế hoạch: 300 lượt học viên; thực hiện: 274 học viên"), first
    assert ungrounded_numbers(answer.answer, answer.citations) == []
    # one stage asked, the other given by the user: only the asked one
    single = assistant.ask("Lớp KSDN Đồng Nai năm 2023 kế hoạch bao nhiêu học viên?")
    assert single.answer.startswith("300 lượt học viên."), single.answer  # the unit asked is not cut


def test_an_item_of_a_list_carries_its_lead_in(assistant: Assistant) -> None:
    """ "… năm 2023 đã tiếp nhận 04 hồ sơ đề án: “…viên tinh nghệ…”; “…sản xuất rượu”; …": the item
    about rượu is an đề án KCĐP of 2023, though it names neither."""
    answer = assistant.ask(
        "a nau ruou nep o Phu Tan An Giang, nam 2023 tinh co nhan de an kcdp may moc cho cs nau ruou ko"
    )
    assert any("sản xuất rượu" in c.quote for c in answer.citations), answer.answer


def test_a_yes_no_lead_is_the_item_asked_with_its_head(assistant: Assistant) -> None:
    answer = assistant.ask("Năm 2024 cơ sở đổi mới máy móc theo hướng tiết kiệm năng lượng có được hỗ trợ không?")
    first = answer.answer.splitlines()[0]
    assert first.startswith("Có: ") and "tiết kiệm năng lượng" in first and "máy móc" in first, first


@pytest.mark.parametrize(
    "question",
    [
        "cơ sở mình sx gạch, hệ thống xu ly o nhiem bi hu, kc 2024 co ho tro sua chua nang cap ko a",
        "cs mình làm bún tươi, he thong xu ly nuoc thai xuong cap r, kc năm 2024 co ho tro sua chua ko",
    ],
)
def test_a_facility_owner_is_answered_by_support_for_facilities(assistant: Assistant, question: str) -> None:
    """Two rules repair pollution treatment: for CNNT facilities, and for industrial clusters."""
    first = assistant.ask(question).answer.splitlines()[0]
    assert first.startswith("Có: ") and "cụm công nghiệp" not in first, first


def test_a_rare_fact_of_the_kind_asked_answers_whatever_words_the_documents_lack(assistant: Assistant) -> None:
    # "liên hệ", "chức vụ" are words no document uses; a phone number or a person is what few sentences hold
    phone = assistant.ask("e o bien hoa muon dua sp len diem ban CNNT OCOP dong nai thi lien he zalo sdt nao ad")
    assert phone.found and phone.answer.startswith("0819.348.787")
    signer = assistant.ask("ai ký cv định hướng kc năm 2024 vậy, chức vụ j")
    assert signer.found and signer.answer.startswith("Ngô Quang Trung")
    # ... not a figure: an unknown word is what a figure measures, and a figure of something else is no answer
    assert not assistant.ask("vay vốn qua chương trình khuyến công thì lãi suất bao nhiêu phần trăm").found


def test_a_yes_no_question_about_one_programme_answered_by_the_other_is_a_no(assistant: Assistant) -> None:
    asked_local = assistant.ask("năm 2023 đồng nai đi hội chợ Sóc Trăng, tiền thuê gian hàng là kcđp hỗ trợ hả")
    assert asked_local.answer.startswith("Không:") and "quốc gia" in asked_local.answer.splitlines()[0]
    asked_national = assistant.ask("năm 2023 đồng nai đi hội chợ Sóc Trăng, tiền thuê gian hàng là kcqg hỗ trợ hả")
    assert asked_national.answer.startswith("Có:")


def test_a_line_opening_a_list_sets_the_year_of_the_paragraphs_after_it(assistant: Assistant) -> None:
    # "Một số kết quả nổi bật của kế hoạch KCQG năm 2022:" opens the paragraphs of 2022 results below it
    of_2022 = assistant.ask("Năm 2022 khuyến công quốc gia hỗ trợ bao nhiêu gian hàng hội chợ cho cơ sở CNNT?")
    assert of_2022.answer.startswith("1.850 gian hàng")
    of_2023 = assistant.ask("Năm 2023 khuyến công quốc gia hỗ trợ bao nhiêu gian hàng hội chợ cho cơ sở CNNT?")
    assert "1.850" not in of_2023.answer.splitlines()[0]


def test_a_syllable_opening_a_word_is_no_contrast(assistant: Assistant) -> None:
    # "trung" of "trung tâm" is no "miền Trung" to be contradicted by "phía Nam"
    answer = assistant.ask(
        "em o Tinh Bien, co nhu cau xin ho tro tu kinh phi kc tinh nam nay, "
        "ttkc co xuong khao sat tu van cho co so ko a"
    )
    assert answer.found and "08 cơ sở" in answer.answer.splitlines()[0]


def test_a_place_asked_is_every_place_the_passage_lists(assistant: Assistant) -> None:
    # "tại huyện Nhơn Trạch, Định Quán, Long Thành và Thống Nhất": the names after the first share its noun
    answer = assistant.ask("Đồng Nai tổ chức hội thảo bảo quản, chế biến nông sản tại những huyện nào?")
    lead = answer.answer.splitlines()[0]
    assert all(name in lead for name in ("Nhơn Trạch", "Định Quán", "Long Thành", "Thống Nhất")), lead


def test_the_users_own_district_is_the_place_asked(assistant: Assistant) -> None:
    # "ở huyện em" points back to the place the user told ("xưởng em ở Chợ Mới"): its figure, not the first one
    answer = assistant.ask("xưởng em ở Chợ Mới, đề án kcđp 2021 ở huyện em được kiểm tra bao nhiêu cơ sở")
    assert answer.answer.splitlines()[0] == "3 cơ sở.", answer.answer


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        # no programme asked: the total, whose comparison ("so với kế hoạch năm 2022") follows the figure
        ("tổng kế hoạch kinh phí kc phía Nam 2023 tăng bao nhiêu % so với kế hoạch năm 2022", "9,57%."),
        # one asked: its part of the "trong đó: …" breakdown
        ("kinh phí KCĐP giao theo kế hoạch 2023 của phía Nam tăng bao nhiêu phần trăm so với năm 2022", "6,68%."),
    ],
)
def test_a_figure_owns_the_comparison_after_it_and_a_part_is_not_the_whole(
    assistant: Assistant, question: str, lead: str
) -> None:
    assert assistant.ask(question).answer.splitlines()[0] == lead


def test_a_province_asked_alone_is_not_answered_by_its_regions_or_anothers_figures(assistant: Assistant) -> None:
    # the southern meeting was held in Hậu Giang, and Đồng Nai's report names a trip there: neither figure
    # is Hậu Giang's own ("riêng tỉnh …"); a province's own report still answers for it
    alone = assistant.ask("riêng tỉnh Hậu Giang năm 2023 thực hiện kinh phí khuyến công địa phương bao nhiêu")
    assert not alone.found, alone.answer
    own = assistant.ask("riêng Đắk Lắk đợt 1/2022 kinh phí kcđp là bao nhiêu")
    assert own.answer.splitlines()[0] == "2.515 triệu đồng."


def test_a_province_asked_whether_it_is_among_those_listed_is_found_in_the_list(assistant: Assistant) -> None:
    # "(Đồng Nai, Bà Rịa Vũng Tàu, Long An, Bến Tre, An Giang, Bạc Liêu,… ) đã quan tâm đầu tư …": a sentence
    # naming many provinces is about each of them when the question asks whether one is among them
    answer = assistant.ask("tỉnh Bạc Liêu có đầu tư phát triển mạng lưới cộng tác viên khuyến công không")
    lead = answer.answer.splitlines()[0]
    assert lead.startswith("Có") and "Bạc Liêu" in lead, answer.answer


def test_a_figure_of_something_else_than_the_topic_found_is_no_answer(assistant: Assistant) -> None:
    # Đắk Lắk's report says it took part in "Hội chợ - triển lãm" but counts only the facilities it advised:
    # that count is not the number of facilities helped to the fair
    answer = assistant.ask(
        "6 tháng đầu năm 2022 trung tâm khuyến công Đắk Lắk hỗ trợ bao nhiêu cơ sở tham gia hội chợ triển lãm"
    )
    assert not answer.found, answer.answer
    assert "con số được hỏi" in answer.answer


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        # the closing purpose neither hides the "… không" of a yes/no question nor adds words to its topic
        ("Đắk Lắk có cộng tác viên khuyến công không, để em hỏi trực tiếp cho nhanh", "Không"),
        ("hạn nộp hồ sơ đề án kcqg là khi nào, để em chuẩn bị cho kịp", "Trước ngày 30 tháng 9 năm 2023"),
    ],
)
def test_the_users_closing_purpose_is_context(assistant: Assistant, question: str, lead: str) -> None:
    answer = assistant.ask(question)
    assert answer.answer.splitlines()[0].startswith(lead), answer.answer
