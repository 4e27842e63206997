"""Questions of a form of their own: what an abbreviation stands for, two questions in one message."""

from __future__ import annotations

from pathlib import Path

import pytest
from small_corpus import one_document_assistant

from assistant import Assistant

LETTER = """BỘ THỬ NGHIỆM
Số: 12/2097/TN
Thử Nghiệm, ngày 2 tháng 4 năm 2097

CÔNG VĂN
Về hoạt động của các đơn vị hỗ trợ làng nghề
(Văn bản hư cấu, chỉ dùng để kiểm thử)

1. Trung tâm Hỗ trợ làng nghề (TTHTLN) tư vấn thiết kế mẫu mã cho cơ sở sản xuất thủ công.
2. Quỹ Phát triển nghề thủ công (QPTNTC) cho cơ sở vay vốn mua máy móc với lãi suất thấp.
3. TTHTLN phối hợp với QPTNTC tổ chức hội chợ hằng năm tại tỉnh.
4. Năm 2097, Quỹ đã tiếp nhận 03 hồ sơ vay vốn: “Mua máy dệt thổ cẩm”; “Mua lò sấy nông sản”; “Mua máy ép dầu lạc”.
5. Nhằm duy trì các làng nghề truyền thống, bảo tồn giá trị văn hóa và tạo việc làm cho lao động nông thôn, một số \
tỉnh tiếp tục bố trí kinh phí từ ngân sách tỉnh cho hoạt động hỗ trợ làng nghề: Hà Nam, Nam Định, Ninh Bình, Hưng Yên, \
Hải Dương, Bắc Ninh, Thái Bình.
6. Đoàn học tập kinh nghiệm tại làng gốm
Kế hoạch: Tổ chức 01 đoàn 20 người gồm cán bộ và cơ sở sản xuất đi học tập kinh nghiệm tại làng gốm Phù Lãng.
Thực hiện: Tổ chức 01 đoàn công tác 22 người gồm cán bộ Sở, cơ sở sản xuất đi học tập kinh nghiệm tại làng gốm Phù \
Lãng từ ngày 3/5 – 5/5/2097.
"""


@pytest.fixture(scope="module")
def kc(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Assistant:
    return one_document_assistant(tmp_path_factory.mktemp("acronyms"), "cv-12-2097.txt", LETTER, embedding_cache)


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("TTHTLN là viết tắt của gì?", "TTHTLN là viết tắt của Trung tâm Hỗ trợ làng nghề."),
        ("qptntc nghia la gi vay ad", "QPTNTC là viết tắt của Quỹ Phát triển nghề thủ công."),
        ("cho e hoi QPTNTC la chu gi", "QPTNTC là viết tắt của Quỹ Phát triển nghề thủ công."),
    ],
)
def test_an_abbreviation_a_document_defines_is_answered_by_its_words(kc: Assistant, question: str, lead: str) -> None:
    answer = kc.ask(question)
    assert answer.answer.splitlines()[0] == lead
    words = lead.split(" là viết tắt của ")[1].rstrip(".")
    assert f"{words} (" in answer.citations[0].quote  # the sentence defining it is the one cited


@pytest.mark.parametrize(
    "question",
    [
        "TTHTLN hỗ trợ những gì cho cơ sở",  # the abbreviation named, its words not asked
        "XKTP là viết tắt của gì",  # no document writes it
    ],
)
def test_no_abbreviation_lead_when_its_words_are_not_asked_or_not_written(kc: Assistant, question: str) -> None:
    assert "là viết tắt của" not in kc.ask(question).answer.splitlines()[0]


@pytest.mark.parametrize(
    ("question", "lead", "words"),
    [
        (
            "ctdp la viet tat cua j vay",
            "CTĐP là viết tắt của Cục Công Thương địa phương.",
            "Cục Công Thương địa phương",
        ),
        ("OCOP là viết tắt chương trình gì vậy ad", "OCOP là viết tắt của Mỗi xã một sản phẩm.", "Mỗi xã một sản phẩm"),
        ("cnnt nghĩa là gì ạ, e thấy trong cv hay ghi", "CNNT là viết tắt của công nghiệp nông thôn.", "(CNNT)"),
    ],
)
def test_an_abbreviation_of_the_lexicon_is_answered_from_a_passage_writing_its_words(
    assistant: Assistant, question: str, lead: str, words: str
) -> None:
    answer = assistant.ask(question)
    assert answer.answer.splitlines()[0] == lead
    assert words in answer.citations[0].quote


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("bố em làm gốm, tinh dong nai co xet danh hieu tho gioi ko, nam 2023 dc may nguoi vay", "Có, 70 cá nhân"),
        ("dong nai co xet danh hieu tho gioi ko, ai phong tang", "Có, UBND tỉnh phong tặng"),
    ],
)
def test_a_fact_asked_after_a_yes_no_question_is_led_by_the_yes(assistant: Assistant, question: str, lead: str) -> None:
    assert assistant.ask(question).answer.splitlines()[0].startswith(lead)


def test_a_fact_asked_alone_has_no_yes(assistant: Assistant) -> None:
    first = assistant.ask("năm 2023 đồng nai có bao nhiêu người đạt danh hiệu thợ giỏi").answer.splitlines()[0]
    assert first.startswith("70 cá nhân")


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        # the noun the question counts runs past the two words of its cue
        ("năm 2097 quỹ tiếp nhận bao nhiêu hồ sơ vay vốn", "03 hồ sơ vay vốn."),
        # a count and its items: the items the sentence runs on with
        (
            "quy tiep nhan may ho so vay von nam 2097, gom nhung ho so j",
            "03 hồ sơ vay vốn, gồm: “Mua máy dệt thổ cẩm”; “Mua lò sấy nông sản”; “Mua máy ép dầu lạc”.",
        ),
    ],
)
def test_a_count_names_what_the_question_counts(kc: Assistant, question: str, lead: str) -> None:
    assert kc.ask(question).answer.splitlines()[0] == lead


def test_a_yes_about_the_users_province_names_it_from_the_list(kc: Assistant) -> None:
    first = kc.ask("e o thai binh, tinh minh co bo tri kinh phi ngan sach tinh cho ho tro lang nghe ko").answer
    first = first.splitlines()[0]
    assert first.startswith("Có: ") and "Thái Bình" in first  # the list is past the clause quoted


def test_with_no_stage_asked_what_was_done_answers_and_the_count_ends_before_its_linking_word(kc: Assistant) -> None:
    # the plan's line holds more of the question's words; the report's "Thực hiện" line says what happened
    first = kc.ask("doan di hoc tap kinh nghiem o lang gom phu lang di may nguoi").answer.splitlines()[0]
    assert first.startswith("22 người") and not first.startswith("22 người gồm")


RESULTS = """BỘ THỬ NGHIỆM
Số: 14/2097/TN
Thử Nghiệm, ngày 9 tháng 12 năm 2097

BÁO CÁO
Kết quả bình chọn sản phẩm làng nghề năm 2097
(Văn bản hư cấu, chỉ dùng để kiểm thử)

1. Bình chọn sản phẩm làng nghề cấp tỉnh
Tiếp nhận hồ sơ của 09 cơ sở (12 sản phẩm) đăng ký tham gia bình chọn sản phẩm làng nghề cấp tỉnh năm 2097.
Hội đồng đã chấm điểm và kết quả có 8 sản phẩm được công nhận sản phẩm làng nghề tiêu biểu cấp tỉnh năm 2097.
2. Bình chọn sản phẩm làng nghề cấp khu vực
Hướng dẫn 05 cơ sở (6 sản phẩm) lập và nộp hồ sơ tham gia bình chọn sản phẩm làng nghề cấp khu vực năm 2097.
3. Tôn vinh thợ giỏi
Phối hợp với Sở Công Thương tổ chức lễ tôn vinh 14 thợ giỏi năm 2097, kinh phí thực hiện 210.000.000 đồng.
Mỗi cơ sở có sản phẩm được công nhận được hỗ trợ 15.000.000 đồng để quảng bá sản phẩm.
Việc trao thưởng cho các thợ giỏi sẽ thực hiện vào năm 2098.
4. Hỗ trợ khác
Cơ sở làng nghề được vay vốn ưu đãi tối đa 500.000.000 đồng để mua máy móc.
Duy trì mạng lưới 12 cộng tác viên làng nghề, kinh phí 36.000.000 đồng.
Khu trưng bày sản phẩm làng nghề của tỉnh được đầu tư 2.000.000.000 đồng.
5. Khó khăn
Việc bình chọn sản phẩm cấp khu vực năm 2097 bị hoãn. Các cơ sở chưa chuẩn bị kịp hồ sơ, nên chưa chấm điểm.
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Assistant:
    return one_document_assistant(tmp_path_factory.mktemp("results"), "bc-14-2097.txt", RESULTS, embedding_cache)


@pytest.mark.parametrize(
    "question",
    [
        "Năm 2097 có bao nhiêu sản phẩm được công nhận sản phẩm làng nghề tiêu biểu cấp tỉnh?",
        "nam 2097 co bn sp dc cong nhan lang nghe tieu bieu cap tinh",
    ],
)
def test_a_count_of_what_underwent_the_asked_act_is_the_one_given(results: Assistant, question: str) -> None:
    assert results.ask(question).answer.splitlines()[0] == "8 sản phẩm."  # not the 12 registered


@pytest.mark.parametrize(
    "question",
    [
        "Năm 2097 có bao nhiêu sản phẩm được công nhận sản phẩm làng nghề tiêu biểu cấp khu vực?",
        "nam 2097 co may sp dc cong nhan lang nghe cap khu vuc",
    ],
)
def test_no_count_leads_when_only_other_acts_are_counted(results: Assistant, question: str) -> None:
    lead = results.ask(question).answer.splitlines()[0]
    assert "6 sản phẩm" not in lead and "12 sản phẩm" not in lead  # registered, not recognised


@pytest.mark.parametrize(
    "question",
    [
        "thợ giỏi năm 2097 được thưởng bao nhiêu tiền?",  # "thưởng" typed, and written in the report
        "tho gioi nam 2097 dc thuong bn tien vay",  # no diacritics: the "Thương" of "Sở Công Thương" is no act
    ],
)
def test_an_amount_of_another_act_is_no_answer(results: Assistant, question: str) -> None:
    answer = results.ask(question)
    assert not answer.found and "210.000.000" not in answer.answer.splitlines()[0]  # a ceremony's cost


def test_an_amount_given_by_the_act_asked_leads(results: Assistant) -> None:
    question = "mỗi cơ sở có sản phẩm được công nhận thì được hỗ trợ bao nhiêu tiền"
    assert results.ask(question).answer.splitlines()[0] == "15.000.000 đồng."


@pytest.mark.parametrize(
    "question",
    [
        "cơ sở làng nghề vay vốn ưu đãi mua máy móc thì lãi suất bao nhiêu",  # a rate: no money figure answers it
        "cong tac vien lang nghe dc phu cap bn 1 thang",  # money given as an allowance: the network's cost is none
        "khu trưng bày sản phẩm làng nghề của tỉnh rộng bao nhiêu ha",  # an area: the report states none
    ],
)
def test_an_amount_the_document_never_states_is_refused(results: Assistant, question: str) -> None:
    assert not results.ask(question).found


@pytest.mark.parametrize(
    "question",
    [
        "Vì sao việc bình chọn sản phẩm làng nghề cấp khu vực năm 2097 bị hoãn?",
        "vi sao binh chon cap khu vuc 2097 bi hoan vay",
    ],
)
def test_a_why_question_opens_with_the_cause_not_with_what_it_explains(results: Assistant, question: str) -> None:
    assert "chưa chuẩn bị kịp hồ sơ" in results.ask(question).answer.splitlines()[0]


SECTIONS = """BỘ THỬ NGHIỆM
Số: 15/2097/TN
Thử Nghiệm, ngày 12 tháng 12 năm 2097

BÁO CÁO
Kết quả thực hiện kế hoạch hỗ trợ làng nghề năm 2097
(Văn bản hư cấu, chỉ dùng để kiểm thử)

Căn cứ Quyết định số 31/2097/QĐ-UBND ngày 5/1/2097 của UBND tỉnh về hỗ trợ làng nghề, Sở báo cáo như sau.
1. Chương trình thông tin về làng nghề
Thực hiện: Xây dựng 12 chuyên đề phát thanh; phát hành 500 cuốn sổ tay làng nghề năm 2096; tổ chức 02 hội thảo.
2. Chương trình nâng cao năng lực
Thực hiện: Tổ chức tập huấn nghiệp vụ làng nghề tại các huyện cho 384 người.
3. Tôn vinh nghệ nhân làng nghề
Hồ sơ của 03 nghệ nhân đã gửi Bộ; Bộ đang tổng hợp hồ sơ xét tặng, dự kiến tổ chức tôn vinh vào năm 2098. Vì \
vậy năm 2097 không sử dụng kinh phí tôn vinh nghệ nhân làng nghề: 45.000.000 đồng.
4. Kinh phí hỗ trợ làng nghề
Năm 2097 tổng kế hoạch kinh phí hỗ trợ làng nghề 8 tháng và cả năm của tỉnh là 5 tỷ đồng, tăng 12% so với kế \
hoạch năm trước. Trong đó: kinh phí đã thực hiện đạt 40% kế hoạch năm.
"""


@pytest.fixture(scope="module")
def sections(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Assistant:
    return one_document_assistant(tmp_path_factory.mktemp("sections"), "bc-15-2097.txt", SECTIONS, embedding_cache)


@pytest.mark.parametrize(
    ("question", "found"),
    [
        ("năm 2097 tập huấn nghiệp vụ làng nghề cho bao nhiêu người", True),
        ("nam 2096 tap huan nghiep vu lang nghe cho bn nguoi", False),  # 2096 is a year of the section before
    ],
)
def test_a_year_named_in_the_section_before_is_not_the_year_of_a_passage(
    sections: Assistant, question: str, found: bool
) -> None:
    lead = sections.ask(question).answer.splitlines()[0]
    assert lead.startswith("384 người") is found


@pytest.mark.parametrize(
    "question",
    [
        "Báo cáo hỗ trợ làng nghề căn cứ quyết định nào của UBND tỉnh?",
        "bc ho tro lang nghe can cu qd so may cua ubnd tinh",
    ],
)
def test_a_document_number_leads_with_the_type_written_before_it(sections: Assistant, question: str) -> None:
    assert sections.ask(question).answer.splitlines()[0] == "Quyết định số 31/2097/QĐ-UBND."


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("8 tháng năm 2097 kinh phí hỗ trợ làng nghề mới đạt bao nhiêu % kế hoạch năm", "40%"),
        ("8 thang 2097 kinh phi ho tro lang nghe moi dat bn % kh nam", "40%"),
        ("kinh phi ho tro lang nghe ke hoach 2097 tang bn % so voi nam truoc", "12%"),
    ],
)
def test_a_rate_asked_after_its_verb_is_the_one_that_verb_gives(sections: Assistant, question: str, lead: str) -> None:
    assert sections.ask(question).answer.splitlines()[0].startswith(lead)


@pytest.mark.parametrize(
    "question",
    [
        "Vì sao năm 2097 không sử dụng kinh phí tôn vinh nghệ nhân làng nghề?",
        "vi sao nam 2097 ko dung kinh phi ton vinh nghe nhan vay",
        "sao 2097 ko dung kinh phi ton vinh nghe nhan vay",  # chat's bare "sao" opening the question
    ],
)
def test_a_why_answered_by_a_therefore_sentence_leads_with_the_sentence_it_points_back_to(
    sections: Assistant, question: str
) -> None:
    first = sections.ask(question).answer.splitlines()[0]
    assert "đang tổng hợp hồ sơ" in first and "Vì vậy" not in first
