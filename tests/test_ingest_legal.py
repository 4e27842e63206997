"""Recognising a legal text's header, relations and provisions; chunk locators and tables."""

from __future__ import annotations

import pytest
from ingest_samples import DECISION_59

from assistant import chunking
from assistant.chunking import ChunkingParams, Provision, chunk_document, provision_at, provision_in
from assistant.legal import amendment_spans, asked_document, doc_id_for, find_relations, number_matches, recognise
from assistant.types import DocumentRecord

DECREE = """CHÍNH PHỦ
-------
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
---------------
Số: 145/2099/NĐ-CP
Hà Nội, ngày 21 tháng 5 năm 2099
NGHỊ ĐỊNH
Về khuyến công thử nghiệm
(Văn bản hư cấu, chỉ dùng để kiểm thử)
Căn cứ Luật Tổ chức Chính phủ thử nghiệm;
Chính phủ ban hành Nghị định về khuyến công thử nghiệm.
Chương I
QUY ĐỊNH CHUNG
Điều 1. Phạm vi điều chỉnh
Nghị định này quy định về hoạt động khuyến công thử nghiệm.
Chương II
ĐIỀU KHOẢN THI HÀNH
Điều 2. Hiệu lực thi hành
Nghị định này có hiệu lực thi hành kể từ ngày 10 tháng 7 năm 2099 và thay thế Nghị định số 134/2090/NĐ-CP \
ngày 09 tháng 6 năm 2090 của Chính phủ về khuyến công thử nghiệm.
"""

LETTER = """BỘ CÔNG THƯƠNG
CỤC THỬ NGHIỆM
Số: 400/CTN-QLKC
V/v định hướng hoạt động khuyến công thử nghiệm năm 2100
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Hà Nội, ngày 15 tháng 5 năm 2099
Kính gửi: Sở Công Thương các tỉnh thử nghiệm.
Cục đề nghị các đơn vị đăng ký kế hoạch trước ngày 20 tháng 6 năm 2099.
"""


def test_decision_header_is_recognised() -> None:
    found = recognise(DECISION_59)
    assert (found.kind_name, found.kind, found.number) == ("Quyết định", "regulation", "59/2099/QĐ-UBND")
    assert found.issuer == "Ủy ban nhân dân tỉnh Hư Cấu" and found.province == "Hư Cấu"
    assert (found.place, found.date, found.effective_date) == ("Hư Cấu", "2099-12-31", "2100-01-15")
    assert found.subject == "Ban hành Quy định hỗ trợ khuyến công thử nghiệm trên địa bàn tỉnh Hư Cấu"
    assert found.title() == "Quyết định 59/2099/QĐ-UBND " + found.subject[:1].lower() + found.subject[1:]
    assert (found.chapters, found.articles) == (3, 6)
    assert found.relations == {}  # "Căn cứ Nghị định số 45/2012/NĐ-CP" is a basis, not a change


def test_decree_header_and_replacement_are_recognised() -> None:
    found = recognise(DECREE)
    assert found.title() == "Nghị định 145/2099/NĐ-CP về khuyến công thử nghiệm"
    assert doc_id_for(found.kind_name, found.number) == "nd-145-2099-nd-cp"
    assert (found.issuer, found.province, found.place, found.date) == ("Chính phủ", "", "Hà Nội", "2099-05-21")
    assert found.effective_date == "2099-07-10"
    assert found.relations == {"replaces": ["134/2090/NĐ-CP"]}


SIDE_BY_SIDE = """ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
TỈNH ĐỒNG NAI Độc lập - Tự do - Hạnh phúc
Số: 59/2099/QĐ-UBND Biên Hòa, ngày 31 tháng 12 năm 2099
QUYẾT ĐỊNH
Ban hành Quy định chính sách khuyến công thử nghiệm trên địa bàn tỉnh Đồng Nai
"""

CIRCULAR = """BỘ CÔNG THƯƠNG
Số: 46/2099/TT-BCT
Hà Nội, ngày 27 tháng 12 năm 2099
THÔNG TƯ
Quy định chi tiết một số nội dung của Nghị định số 145/2099/NĐ-CP ngày 21 tháng 5 năm 2099 của Chính phủ về
khuyến công thử nghiệm
"""


def test_header_columns_on_one_line_as_pdf_extraction_gives_them() -> None:
    found = recognise(SIDE_BY_SIDE)
    assert (found.issuer, found.province) == ("Ủy ban nhân dân tỉnh Đồng Nai", "Đồng Nai")
    assert (found.number, found.place, found.date) == ("59/2099/QĐ-UBND", "Biên Hòa", "2099-12-31")


def test_circular_title_keeps_the_topic_and_drops_the_cited_date() -> None:
    found = recognise(CIRCULAR)
    assert found.title() == (
        "Thông tư 46/2099/TT-BCT quy định chi tiết một số nội dung của Nghị định số 145/2099/NĐ-CP "
        "về khuyến công thử nghiệm"
    )
    assert (found.issuer, found.kind, found.relations) == ("Bộ Công Thương", "regulation", {})


def test_letter_is_a_direction_letter_with_its_subject() -> None:
    found = recognise(LETTER)
    assert (found.kind_name, found.kind, found.number) == ("Công văn", "direction_letter", "400/CTN-QLKC")
    assert found.subject == "V/v định hướng hoạt động khuyến công thử nghiệm năm 2100"
    assert found.issuer == "Bộ Công Thương Cục Thử Nghiệm" and found.date == "2099-05-15"
    assert doc_id_for(found.kind_name, found.number) == "cv-400-ctn-qlkc"


def test_text_without_a_header_is_news() -> None:
    found = recognise("Hội nghị khuyến công thử nghiệm được tổ chức tại tỉnh Hư Cấu.\n")
    assert (found.kind, found.number, found.title()) == ("news", "", "")


AMENDING = """Điều 1. Sửa đổi, bổ sung một số điều của Quyết định số 59/2099/QĐ-UBND như sau:
1. Sửa đổi, bổ sung khoản 1 Điều 4 như sau:
“1. Hỗ trợ tối đa 50% chi phí, nhưng không quá 500.000.000 đồng cho một cơ sở.”
2. Bãi bỏ khoản 2 Điều 5.
3. Khoản 1 và khoản 3 Điều 3 được sửa đổi như sau: thời gian học không quá 06 tháng.
Điều 2. Hiệu lực thi hành
Quyết định này có hiệu lực kể từ ngày ký.
"""


def test_amending_sentences_name_the_changed_articles_and_clauses() -> None:
    spans = amendment_spans(AMENDING)
    found = [(s.article, s.clauses, s.relation, AMENDING[s.start : s.end]) for s in spans]
    assert found == [
        (
            "4",
            ("1",),
            "amends",
            "1. Sửa đổi, bổ sung khoản 1 Điều 4 như sau:\n“1. Hỗ trợ tối đa 50% chi phí, nhưng không quá "
            "500.000.000 đồng cho một cơ sở.”",
        ),
        ("5", ("2",), "repeals", "2. Bãi bỏ khoản 2 Điều 5."),
        ("3", ("1", "3"), "amends", AMENDING.splitlines()[4]),
    ]
    assert find_relations(AMENDING) == {"amends": ["59/2099/QĐ-UBND"]}


def test_provision_at_names_article_clause_and_point() -> None:
    def at(fragment: str) -> str:
        return provision_at(DECISION_59, DECISION_59.index(fragment))

    assert at("Cơ sở hoạt động sản xuất liên tục") == "Điều 4, khoản 2, điểm a"
    assert at("Mỗi lớp đào tạo nghề") == "Điều 3, khoản 2"
    assert at("Quyết định này có hiệu lực") == "Điều 6"
    assert at("Căn cứ Luật") == "" and at("NỘI DUNG VÀ MỨC HỖ TRỢ") == "" and at("Nguyễn Văn Hư") == ""


def test_a_provision_is_typed_and_read_once_per_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Article, clause and point as fields; the text's lines are followed once, however many citations ask."""
    text = "\n".join([DECISION_59, "Phụ lục II", "1. Danh mục máy móc"])
    point = provision_in(text, text.index("Cơ sở hoạt động sản xuất liên tục"))
    assert point == Provision("4", "2", "a") and (point.article, str(point)) == ("Điều 4", "Điều 4, khoản 2, điểm a")
    annex = provision_in(text, text.index("Danh mục máy móc"))
    assert annex == Provision("II", annex=True) and str(annex) == "Phụ lục II"  # an annex's items are no clauses
    assert provision_in(text, text.index("Căn cứ Luật")) is None and provision_in(text, -1) is None

    followed = []
    real = chunking._follow
    monkeypatch.setattr(chunking, "_follow", lambda line, where: followed.append(line) or real(line, where))
    fresh = DECISION_59 + "\n"  # a text not read yet
    for offset in range(0, len(fresh), 7):
        provision_at(fresh, offset)
    assert len(followed) == fresh.count("\n") + 1  # each line once, for all those offsets


def _doc(text: str, kind: str = "regulation") -> DocumentRecord:
    return DocumentRecord(id="qd-59-2099-qd-ubnd", file="a.txt", title="QĐ 59/2099/QĐ-UBND", kind=kind, text=text)


def test_legal_chunks_use_comma_locators_and_a_signature_unit() -> None:
    chunks = chunk_document(_doc(DECISION_59), ChunkingParams(max_chars=150, min_chars=50))
    locators = [c.locator for c in chunks]
    assert {"Điều 4, khoản 1", "Điều 4, khoản 2", "Điều 4, khoản 2, điểm b", "Điều 5, khoản 2", "phần ký"} <= set(
        locators
    )  # the clause's opening line and its point a share one window, named after the clause
    closing = next(c for c in chunks if c.locator == "phần ký")
    assert closing.text.startswith("Nơi nhận:") and closing.text.endswith("Nguyễn Văn Hư")
    assert "Nguyễn Văn Hư" not in next(c for c in chunks if c.locator == "Điều 6").text


def test_table_chunks_keep_their_header_row() -> None:
    rows = [f"Cơ sở thử nghiệm số {n} | Xã Hư Cấu {n} | {n * 10}.000.000 đồng | Đã nghiệm thu" for n in range(1, 41)]
    text = "\n".join(["BÁO CÁO THỬ NGHIỆM", "1. Kết quả hỗ trợ", "Tên cơ sở | Địa chỉ | Kinh phí | Tình trạng", *rows])
    text += "\n2. Kiến nghị\nĐề nghị tiếp tục hỗ trợ thử nghiệm.\n"
    chunks = chunk_document(_doc(text, kind="report"), ChunkingParams(max_chars=600, min_chars=100))
    table_chunks = [c for c in chunks if " | " in c.text]
    assert len(table_chunks) > 2
    assert table_chunks[0].text.startswith("1. Kết quả hỗ trợ\nTên cơ sở | Địa chỉ | Kinh phí | Tình trạng\n")
    for chunk in table_chunks[1:]:
        assert chunk.text.startswith("Cơ sở thử nghiệm số")  # a chunk starts on a whole row …
        assert chunk.heading.endswith(" > Tên cơ sở | Địa chỉ | Kinh phí | Tình trạng")  # … under its header row
        assert "Tên cơ sở | Địa chỉ" in chunk.search_text()
    assert chunks[-1].locator == "mục 2" and "Tên cơ sở" not in chunks[-1].heading


def test_a_number_is_matched_to_the_kind_and_issuer_a_question_asks() -> None:
    assert asked_document("Công văn của UBND tỉnh Đồng Nai … là số mấy?", 40) == ("Công văn", "ubnd")
    assert asked_document("dong nai bao cao viec ko trien khai bang van ban so may", 50) == ("", "")
    # the document a letter carries out is not the one whose number is asked
    question = "van ban cua so cong thuong trien khai quyet dinh phe duyet ho tro ha tang la so may"
    assert asked_document(question, len(question)) == ("", "sct")
    assert asked_document("quyet dinh phe duyet ho tro ha tang la so may", 40) == ("Quyết định", "")
    assert number_matches("1994/QĐ-UBND", "Quyết định", "ubnd")
    assert not number_matches("5321/SCT-CN", "Quyết định", "")  # a regulation always carries its code
    assert number_matches("581/KC&TV-KC", "Báo cáo", "")  # a report may carry none
    assert not number_matches("7386/SCT-KH", "Công văn", "ubnd")
