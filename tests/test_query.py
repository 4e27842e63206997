"""Question analysis: chat forms, kinds, situation and ask, qualifiers, topic terms."""

from __future__ import annotations

import pytest

from assistant import Assistant
from assistant.errors import BadQuestion
from assistant.kinds import FACT_PATTERNS, detect_kind, strip_cues
from assistant.query import offered_options
from assistant.terms import Evidence, says_word
from assistant.text import fold, provinces_in
from assistant.vocabulary import expand_chat


@pytest.mark.parametrize(
    ("typed", "expanded"),
    [
        ("co dc ho tro ko ad", "co được ho tro không admin"),
        ("han dk kh kcqg 2024 la bn", "han đăng ký kế hoạch kcqg 2024 la bao nhiêu"),  # đk before kh: đăng ký
        ("can đk gi de dc ho tro", "can điều kiện gi de được ho tro"),  # đk before gì: điều kiện
        ("cs sx co dk ho tro k", "cơ sở sản xuất co được ho tro không"),  # otherwise: được
        ("kinh phi 5 tr", "kinh phi 5 triệu"),
        ("Quyết định 3116/QĐ-BCT", "Quyết định 3116/QĐ-BCT"),  # part of a document number: left alone
        ("cv400 ban hanh ngay nao", "công văn 400 ban hanh ngay nao"),  # glued to its number
        ("kcdp phia nammm", "kcdp phia nam"),  # stretched letters
        ("tat ca bao nhieuu co so", "tat ca bao nhieu co so"),  # a vowel doubled after another: a typo
        ("luu y uu dai", "luu y uu dai"),  # "lưu", "ưu": a doubled vowel of its own is a word
        ("nghe noi 2ty7 dung ko", "nghe noi 2,7 tỷ dung không"),  # "2ty7" is 2,7 tỷ
        ("ho tro 500tr", "ho tro 500 triệu"),
        ("mục III điều 2", "mục III điều 2"),  # a Roman numeral is not stretched
    ],
)
def test_chat_forms_are_spelled_out_by_context(typed: str, expanded: str) -> None:
    assert expand_chat(typed) == expanded


@pytest.mark.parametrize(
    ("question", "kind", "unit"),
    [
        ("Cơ sở của tôi có được hỗ trợ máy móc không?", "yesno", ""),  # "máy" is not "mấy"
        ("co so cua toi co duoc ho tro may moc khong", "yesno", ""),
        ("Đắk Lắk tư vấn bao nhiêu cơ sở trong 6 tháng đầu năm 2022?", "count", "cơ sở"),
        ("kinh phí thực hiện là bao nhiêu", "money", ""),  # a bare "bao nhiêu" does not make it a count
        ("An Giang được giao bao nhiêu kinh phí", "money", ""),
        ("hội nghị tổ chức vào tháng mấy", "when", ""),  # "tháng mấy" outweighs "mấy"
        ("kc tinh ho tro bao nhieu phan tram tien thue gian hang", "percent", ""),
        ("Hạn nộp hồ sơ là ngày nào?", "deadline", ""),
        ("bc so 581 gui sct ngay nao", "date", ""),  # a number the user gives is not asked for
        ("công văn 400 ban hành ngày bao nhiêu", "date", ""),  # a cue inside another's match is still seen
        ("kinh phí KCĐP năm 2022 đạt bao nhiêu so với kế hoạch", "percent", ""),  # a ratio to the plan
        ("hỗ trợ tiền thuê gian hàng từ nguồn kinh phí nào", "name", "nguồn kinh phí"),  # a source, not an amount
        ("Nghị định nào quy định về khuyến công?", "docnumber", ""),
        ("Vì sao Đồng Nai không hỗ trợ máy móc thiết bị?", "reason", ""),
        ("Hội nghị là lần thứ mấy?", "ordinal", ""),
        ("Thời gian thực hiện đề án là bao lâu?", "duration", ""),
        ("định hướng năm 2024 tập trung vào những lĩnh vực nào", "list", ""),
        ("định hướng khuyến công năm 2024", "general", ""),
        ("nam 2024 muon doi may moi tiet kiem nang luong", "general", ""),  # "may moi" is a new machine
        # contact details and forms are facts of their own: a passage without one does not answer
        ("email cua cuc ctdp de gui hs la j", "email", ""),
        ("Mẫu đơn đề nghị hỗ trợ lấy ở đâu?", "form", ""),  # the form is asked, not a place
        ("mau ho so de an kcdp so may", "form", ""),
        # a yes/no question ends in a particle as often as in "không"
        ("kc 2024 co ho tro sua chua nang cap khong a", "yesno", ""),
        ("cs e co dc ho tro khong ad", "yesno", ""),
        # a cue read on the folded text is not one where the user typed other diacritics: "cơ sở may" is no
        # "số mấy"; the words a cue's ".*" spans are not the cue's
        ("Em mở cơ sở may ở Cẩm Mỹ, có lớp khởi sự doanh nghiệp nào không ạ?", "yesno", ""),
        ("văn bản SCT Đồng Nai kiến nghị tạm dừng xây dựng định mức so bao nhieu", "docnumber", ""),
        # typed without diacritics, "may <noun>" counts its noun as "mấy <noun>" does, and so outweighs "kinh phí"
        ("khao sat tu van cho may co so cnnt can ho tro tu kinh phi kc tinh", "count", "co so"),
        ("khảo sát tư vấn cho mấy cơ sở cần hỗ trợ từ kinh phí tỉnh", "count", "cơ sở"),
        # "mấy năm trước" tells when the user's own case happened; it asks nothing
        ("sp e duoc binh chon may nam truoc, giay chung nhan het han thi co duoc uu tien khong", "yesno", ""),
        ("cơ sở em mở mấy tháng nay, có được hỗ trợ không ạ", "yesno", ""),
        # what the user heard is told, not asked: its "mấy" is "a few", the question is the one after it
        ("nghe noi kc dang day manh may noi dung, em xin ho tro may moc co dung huong khong", "yesno", ""),
        ("kc dang day manh may noi dung", "count", "noi dung"),
        ("hồ sơ lưu bao nhiêu năm", "duration", ""),
        # "hả" closes a yes/no question as "không" does
        ("tiền thuê gian hàng là kcđp hỗ trợ hả ad", "yesno", ""),
        ("tien thue gian hang la kcdp ho tro ha", "yesno", ""),
        # "quyền hạn", "giới hạn" are no deadline; a phone number asked "là bao nhiêu" is a phone number
        ("Ủy ban nhân dân các cấp không có nhiệm vụ, quyền hạn nào sau đây?", "general", ""),
        ("sdt cua trung tam khuyen cong la bao nhieu", "phone", ""),
        # a definition asked: the sentence defining it is quoted
        ("Chất hướng thần được định nghĩa là gì?", "definition", ""),
        ("khai niem co so cong nghiep nong thon", "definition", ""),
        # the words that end a count's cue are whole words: folded "là" is not the "la" of "lao động"
        ("kcqg 2022 dao tao nghe cho bao nhieu lao dong nong thon", "count", "lao dong"),
        ("tinh co bao nhieu lang nghe duoc cong nhan", "count", "lang nghe"),
        ("ho tro bao nhieu thiet bi", "count", "thiet bi"),
        ("ho tro bao nhieu la hop ly", "count", ""),
        # an abbreviation's words asked
        ("ctdp la viet tat cua j vay", "abbreviation", ""),
        # what the words measure is data of the kind: an interest rate is a rate, an allowance money, a width area
        ("vay von khuyen cong lai suat bao nhieu", "percent", ""),
        ("phụ cấp cộng tác viên bn 1 tháng", "money", ""),
        ("ccn xuan hung rong bao nhieu ha", "area", ""),
        ("cụm công nghiệp có diện tích bao nhiêu", "area", ""),
        # chat asks why with a bare "sao" opening a clause; the stars of "OCOP 4 sao" ask nothing
        ("cs e o an giang, sao 6 thang dau 2023 kc tinh trien khai cham vay", "reason", ""),
        ("Sản phẩm OCOP 4 sao của Đồng Nai năm 2023 có bao nhiêu?", "count", ""),
        # "hôm nào" asks the day, not the year
        ("hội nghị kc phía nam 2023 diễn ra hôm nào", "date", ""),
        # "bao nhiêu, tính đến hết tháng 12": "tinh" is no province counted
        ("tong kinh phi kcqg 2022 giai ngan duoc bao nhieu tinh den het thang 12", "money", ""),
    ],
)
def test_question_kinds(question: str, kind: str, unit: str) -> None:
    match = detect_kind(question if question != fold(question) else None, fold(question))
    assert (match.kind.name, match.unit) == (kind, unit)


def test_a_two_part_question_keeps_the_first_asked_and_the_other_kinds() -> None:
    question = "phía Nam năm 2022 riêng phần kcqg thực hiện được bao nhiêu tỷ, đạt bao nhiêu %"
    match = detect_kind(question, fold(question))
    assert match.kind.name == "money"
    assert [k.name for k in match.also] == ["percent"]


def test_interrogatives_are_stripped_keeping_the_rest() -> None:
    assert strip_cues("Hạn chót đăng ký kế hoạch KCQG là ngày nào?") == "đăng ký kế hoạch KCQG là"
    assert strip_cues("cum cong nghiep xuan hung duoc ho tro dau tu bao nhieu tien") == (
        "cum cong nghiep xuan hung duoc ho tro dau tu"
    )  # "o dau" inside "ho tro dau tu" is not "ở đâu"; "bao nhiêu tiền" asks, it names no topic


def test_a_folded_cue_over_words_typed_with_other_diacritics_is_no_cue(assistant: Assistant) -> None:
    # "tờ gì" folds to the "to gi" of "tổ gì"; typed so, it is the "giấy tờ" asked about
    typed = frozenset({"gồm", "những", "giấy", "tờ", "gì"})
    assert strip_cues("gồm những giấy tờ gì", typed).endswith("giấy tờ")
    assert not strip_cues("gom nhung giay to gi").endswith("to")  # typed without diacritics: read as the cue
    query = assistant.analyse("Hồ sơ đề nghị hỗ trợ khuyến công gồm những giấy tờ gì?")
    assert "giay to" in query.unknown
    assert not assistant.ask("Hồ sơ đề nghị hỗ trợ khuyến công gồm những giấy tờ gì?").found


def test_a_polite_opener_is_dropped_before_the_cue_leaves_new_neighbours(assistant: Assistant) -> None:
    # without the cue "hạn chót", "cho em hoi" would sit before "so" and read as the compound "hội sở"
    query = assistant.analyse(
        "cho em hoi han chot so gui bao cao dang ky ke hoach kcqg nam 2024 ve cuc ctdp la ngay nao"
    )
    assert query.kind.name == "deadline"
    assert not any(t.startswith("hoi") for t in query.terms), query.terms
    assert not query.unknown


def test_the_users_own_situation_is_context_not_topic(assistant: Assistant) -> None:
    query = assistant.analyse("em co xuong lam banh trang o xa Tan Phu, muon doi may moi thi kc co ho tro ko")
    assert "banh" in query.situation.lower() or "bánh" in query.situation.lower()
    asked = sum(w for t, w in query.terms.items() if t in ("doi", "moi", "may", "doi moi", "ho tro"))
    situation = sum(w for t, w in query.terms.items() if t in ("banh", "trang", "banh trang", "xuong"))
    assert asked > situation


def test_where_the_user_lives_is_context_and_the_asked_province_decides(assistant: Assistant) -> None:
    place = assistant.analyse("e o Trảng Bom co tham gia xet nghe nhan nam 2023, bao gio moi to chuc ton vinh")
    assert "Trảng Bom" in place.situation and not {"trang bom", "trang", "bom"} & set(place.asked)
    merged = assistant.analyse("e o Binh Phuoc gio nhap vao Dong Nai r, cho e hoi nam 2023 Dong Nai co bn sp")
    assert merged.provinces == ("dong nai",)  # the old province of the user's situation is not asked
    now = assistant.analyse("e o Dong Xoai Binh Phuoc (gio la Dong Nai moi), muon gui sp thi lien he sdt nao")
    assert now.provinces == ("dong nai",)  # the old name beside the new one: where the user is now
    before = assistant.analyse("Phú Yên (nay là Đắk Lắk) đợt 1 năm 2022 được duyệt bao nhiêu đề án KCĐP?")
    assert "phu yen" in before.provinces  # in 2022 the two provinces were apart
    negated = assistant.analyse("Năm 2023 Đồng Nai có những nội dung nào không thực hiện được?")
    assert negated.stage is None and "thuc hien" in negated.terms  # what was not done is the topic, not a stage
    lives = assistant.analyse("e o Long Khanh Dong Nai, xuong lam hat dieu, di hoi cho thi kc ho tro bn %")
    assert lives.provinces == ("dong nai",)  # with no province in the ask, the user's own still qualifies


def test_a_year_of_the_users_own_case_is_not_asked(assistant: Assistant) -> None:
    query = assistant.analyse(
        "sp của e đạt cnnt tiêu biểu cấp khu vực năm 2020, giấy chứng nhận hết hạn rồi thì có được ưu tiên ko"
    )
    assert query.years == () and query.kind.name == "yesno"  # "hết hạn" is no deadline asked


def test_a_chat_message_of_abbreviations_and_place_names_is_vietnamese(assistant: Assistant) -> None:
    assert assistant.check_question("trong 5.374tr đó kcđp dak lak chi bn, doi ung bn")
    with pytest.raises(BadQuestion):
        assistant.check_question("Wie hoch ist die Förderung für Maschinen")


def test_a_province_typed_with_other_diacritics_is_another_word() -> None:
    assert provinces_in("báo cáo phát triển làng nghề an giang") == ["an giang"]  # "nghề an" is not Nghệ An
    assert provinces_in("Nghệ An") == ["nghe an"] and provinces_in("nghe an") == ["nghe an"]
    assert provinces_in("Đắk Lắk") == provinces_in("Đăk Lăk") == ["dak lak"]


def test_qualifiers_come_from_the_asking_clause(assistant: Assistant) -> None:
    actual = assistant.analyse("nam 2023 dong nai co bn nguoi dc phong tang tho gioi thuc te vay, ke hoach la 55 ma")
    plan = assistant.analyse("Kế hoạch kinh phí KCĐP năm 2023 của Đồng Nai là bao nhiêu?")
    assert actual.stage == "actual" and plan.stage == "plan"
    assert plan.programme == "local" and plan.years == ("2023",) and plan.provinces == ("dong nai",)


def test_province_aliases_and_2025_mergers_are_data() -> None:
    assert provinces_in("Đăk Nông và Sài Gòn") == ["dak nong", "ho chi minh"]


def test_evidence_matches_abbreviations_synonyms_and_dates() -> None:
    evidence = Evidence(
        "Kinh phí KCĐP giao theo kế hoạch, các địa phương gửi 1 bộ hồ sơ trước ngày 20 tháng 6 năm 2023"
    )
    assert evidence.has("khuyen cong dia phuong") and evidence.has("kcdp")
    assert evidence.has("nop") and evidence.has("date:20-6") and not evidence.has("date:30-9")


def test_fact_patterns_read_numbers_written_as_words() -> None:
    assert FACT_PATTERNS["count"].search("báo giá của ba nhà cung cấp").group(0) == "ba nhà cung"
    assert FACT_PATTERNS["duration"].search("thực hiện trong 18 tháng kể từ").group(0) == "18 tháng"
    # a part of the year is no length of time: "bao lâu" is not answered by "06 tháng đầu năm"
    assert FACT_PATTERNS["duration"].search("Trong 06 tháng đầu năm 2022, Trung tâm đã") is None


@pytest.mark.parametrize(
    ("typed", "spelled"),
    [
        ("tạm dừng xd định mức ktkt", "xây dựng định mức kinh tế kỹ thuật"),  # by the initials the documents use
        ("ttkc dak lak tu van bao nhieu co so", "trung tâm khuyến công"),
        ("mh trinh dien ky thuat nam 2024 uu tien gi", "mô hình"),
    ],
)
def test_abbreviations_the_lexicon_lacks_are_read_from_the_documents(
    assistant: Assistant, typed: str, spelled: str
) -> None:
    assert spelled in assistant.analyse(typed).expanded.lower()


def test_an_abbreviation_a_document_defines_is_read_as_its_definition() -> None:
    from assistant.acronyms import _definitions

    text = "Trung tâm Xúc tiến thương mại (TTXTTM) tổ chức hội chợ. TTXTTM hỗ trợ 50% chi phí."
    assert _definitions(text)["ttxttm"] == "Trung tâm Xúc tiến thương mại"


def test_both_stages_are_asked_only_when_each_has_its_own_question(assistant: Assistant) -> None:
    assert assistant.analyse("ke hoach du kien bao nhieu hoc vien, thực tế tổ chức dc bn người").stages == (
        "plan",
        "actual",
    )
    assert assistant.analyse("co bn nguoi dc phong tang tho gioi, ke hoach du kien la 55 ma").stages == ()


def test_a_word_typed_without_diacritics_that_folds_to_a_function_word_is_no_topic(assistant: Assistant) -> None:
    """ "… thi co nam trong …": the restorer may read "thị", "cơ"; the user typed the "thì", "có" of a question."""
    terms = assistant.analyse("nam 2024 lam mo hinh trinh dien che bien nong san thi co nam trong dinh huong ko").terms
    assert "thi" not in terms and "co" not in terms
    assert "che bien" in terms and "nong san" in terms


def test_a_part_of_a_message_typed_without_diacritics_is_restored(assistant: Assistant) -> None:
    query = assistant.analyse(
        "Em làm chế biến cá khô, muốn xin kc xây mô hình thì loai mo hinh nao dc uu tien lua chon"
    )
    assert "loại mô hình nào được ưu tiên lựa chọn" in query.accented
    assert {"uu tien", "lua chon"} <= set(query.terms)  # read as the words they are, not four syllables
    assert (
        assistant.analyse("Đề án gửi Sở Công Thương trước ngày nào?").accented
        == "Đề án gửi Sở Công Thương trước ngày nào?"
    )


def test_a_filler_is_no_syllable_of_a_word_spelled_out_or_restored(assistant: Assistant) -> None:
    # "tầm" (about) is a filler; the "tâm" of "trung tâm", spelled out from "ttkc", is not
    query = assistant.analyse("kc tinh nam nay, ttkc co xuong khao sat tu van cho co so ko a")
    assert "trung tam khuyen cong" in query.terms and "trung" not in query.terms


def test_the_place_the_user_is_ends_at_a_comma(assistant: Assistant) -> None:
    query = assistant.analyse("em o Tinh Bien, co nhu cau xin ho tro tu kinh phi kc tinh, ttkc co khao sat tu van ko")
    assert "Tịnh Biên" in query.situation and "bien" not in query.asked


def test_the_options_of_a_multiple_choice_question_are_apart_from_its_stem() -> None:
    stem, options = offered_options("Thời hạn là bao lâu?\nA. 05 ngày làm việc.\nb) 03 ngày.\nC. 10 ngày")
    assert stem == "Thời hạn là bao lâu?"
    assert options == ("05 ngày làm việc.", "03 ngày.", "10 ngày")
    for text in (
        "Thời hạn là bao lâu?\nA. 05 ngày làm việc.",  # one line is no choice
        "Thời hạn là bao lâu?\nB. 05 ngày.\nC. 03 ngày.",  # options start at A
        "A. 05 ngày.\nB. 03 ngày.",  # no stem
        "e ở An Giang, a. cho hỏi hạn nộp hồ sơ",
    ):
        assert offered_options(text) == (text, ())


def test_a_word_spelled_with_i_for_y_is_the_documents_word(assistant: Assistant) -> None:
    # "đăng kí", "quản lí" are "đăng ký", "quản lý": words the documents use, weighed as such
    typed = assistant.analyse("hồ sơ đăng kí nhãn hiệu và quản lí chất lượng")
    usual = assistant.analyse("hồ sơ đăng ký nhãn hiệu và quản lý chất lượng")
    assert not {"dang ki", "quan li"} & typed.unknown
    assert typed.terms["dang ki"] == usual.terms["dang ky"]


@pytest.mark.parametrize(
    ("question", "predicate"),
    [
        ("An Giang có bao nhiêu sản phẩm được công nhận CNNT tiêu biểu năm 2023?", "cong nhan"),
        ("bao nhieu sp dc cong nhan cnnttb cap quoc gia", "cong nhan"),
        ("Bao nhiêu người được UBND tỉnh phong tặng danh hiệu Thợ giỏi?", "phong tang"),  # past the agent
        ("co bao nhieu nguoi dat danh hieu tho gioi", ""),  # attained: the title is the topic, not an act
        ("Đồng Nai năm 2023 hỗ trợ bao nhiêu cơ sở?", ""),  # the noun counted undergoes nothing asked
        ("ket qua an giang dc cong nhan may sp", "cong nhan"),  # the act before the count
        ("nam 2022 co bn co so cnnt dc kcqg ho tro dau tu may moc", "ho tro"),  # past an abbreviated agent
        ("tập huấn năm 2023 được bao nhiêu người tham gia?", ""),  # "được bao nhiêu": the count, no act
        ("sản phẩm được công nhận năm nào?", ""),  # not a count
    ],
)
def test_what_the_counted_noun_underwent_is_read_from_the_question(
    assistant: Assistant, question: str, predicate: str
) -> None:
    assert assistant.analyse(question).predicate == predicate


@pytest.mark.parametrize(
    ("question", "predicate", "typed"),
    [
        ("thợ giỏi đồng nai dc thưởng bao nhiêu tiền vậy ad", "thuong", "thưởng"),
        ("tho gioi dong nai dc thuong bn tien", "thuong", ""),  # no diacritics typed: none trusted
        ("chú được phong thợ giỏi thì dc thưởng bao nhiêu tiền", "thuong", "thưởng"),  # the act nearest the amount
        ("Năm 2022 kinh phí khuyến công quốc gia được phân bổ bao nhiêu?", "phan bo", "phân bổ"),
        ("cs e di hoi cho thi dc ho tro bao nhieu phan tram", "ho tro", ""),
        ("Năm 2022 kinh phí khuyến công quốc gia là bao nhiêu?", "", ""),  # no act asked
    ],
)
def test_the_act_an_amount_is_given_by_is_read_with_the_form_typed(
    assistant: Assistant, question: str, predicate: str, typed: str
) -> None:
    query = assistant.analyse(question)
    assert (query.predicate, query.predicate_typed) == (predicate, typed)


@pytest.mark.parametrize(
    ("text", "term", "typed", "said"),
    [
        ("Phối hợp với Bộ Công Thương tổ chức lễ tôn vinh", "thuong", "", False),  # the tail of a name
        ("dự kiến tổ chức tôn vinh trao thưởng năm 2024", "thuong", "thưởng", True),
        ("hỗ trợ xây dựng thương hiệu cho sản phẩm", "thuong", "thưởng", False),  # another word folded alike
        ("Kế hoạch: Hỗ trợ 80% chi phí thuê gian hàng", "ho tro", "", True),  # capitalised after a label
        ("kinh phí được phân bổ là 140 tỷ đồng", "phan bo", "phân bổ", True),
    ],
)
def test_a_word_is_said_as_itself_not_as_a_piece_of_a_name_or_another_word(
    text: str, term: str, typed: str, said: bool
) -> None:
    assert says_word(text, term, typed) is said


@pytest.mark.parametrize(
    ("question", "asked", "context"),
    [
        # the ask names no topic of its own ("năm 2024 có thuộc diện được hỗ trợ không"): what the user wants is it
        (
            "Xưởng em muốn thay máy cũ bằng máy tiết kiệm điện, năm 2024 có thuộc diện được hỗ trợ không?",
            "tiet kiem",
            "",
        ),
        # an ask with its own topic keeps the user's wish as context
        ("cs e ở Dak Lắk muon di hoi cho, 6 tháng dau 2022 trung tâm hỗ trợ bn cơ so tham gia hoi chợ", "hoi cho", ""),
        # no wish told: the user's case stays context even when the ask is generic
        ("hộ e ở xã vùng khó, làm sx theo kiểu tuần hoàn, kc 2024 có mô hình nào hỗ trợ bọn e ko", "", "tuan hoan"),
    ],
)
def test_what_the_user_wants_is_asked_about_when_the_ask_names_no_topic(
    assistant: Assistant, question: str, asked: str, context: str
) -> None:
    query = assistant.analyse(question)
    assert not asked or asked in query.asked
    assert not context or (context in query.terms and context not in query.asked)
