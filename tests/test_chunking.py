"""Structure-aware chunking: reports, regulations and plain news."""

from __future__ import annotations

from pathlib import Path

from assistant.chunking import ChunkingParams, chunk_document
from assistant.loading import load_corpus
from assistant.types import Chunk, DocumentRecord

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _corpus_doc(doc_id: str) -> DocumentRecord:
    return next(d for d in load_corpus(REPO / "corpus").documents if d.id == doc_id)


def _fixture_doc(name: str, kind: str = "regulation") -> DocumentRecord:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return DocumentRecord(id="qd-99-2099", file=name, title="Quyết định 99/2099/QĐ-UBND", kind=kind, text=text)


def test_every_chunk_is_an_exact_span_of_its_document() -> None:
    for doc in load_corpus(REPO / "corpus").documents:
        for chunk in chunk_document(doc):
            assert chunk.text == doc.text[chunk.start : chunk.end]
            assert chunk.doc_id == doc.id


def test_report_chunks_follow_numbered_sections() -> None:
    chunks = chunk_document(_corpus_doc("dongnai-2023-ket-qua"))
    locators = [c.locator for c in chunks]
    assert {"mục 1.1", "mục 1.2", "mục 2", "mục 3.3", "mục 5.4", "mục II"} <= set(locators)
    assert "mục 1" not in locators  # a bare parent heading is not a passage of its own


def test_plan_and_result_stay_together() -> None:
    chunk = next(c for c in chunk_document(_corpus_doc("dongnai-2023-ket-qua")) if c.locator == "mục 3.3")
    assert chunk.text.startswith("3.3. Bình chọn sản phẩm CNNT tiêu biểu")
    assert "Kế hoạch: Tổ chức 01 lần bình chọn" in chunk.text
    assert "Thực hiện: Tổ chức 01 lần bình chọn" in chunk.text
    assert "3. Chương trình phát triển sản phẩm CNNT" in chunk.heading


def test_long_report_section_is_windowed_without_separating_a_pair() -> None:
    doc = _corpus_doc("dongnai-2023-ket-qua")
    chunks = chunk_document(doc, ChunkingParams(max_chars=400, min_chars=100))
    for chunk in chunks:
        if chunk.text.startswith("Thực hiện:"):
            raise AssertionError(f"'Thực hiện' cut from its 'Kế hoạch' in {chunk.locator}")
    parts = [c for c in chunks if c.locator.startswith("mục 3.5")]
    assert [c.locator for c in parts] == ["mục 3.5 (phần 1)", "mục 3.5 (phần 2)"]
    assert "Kế hoạch:" in parts[0].text and "Thực hiện:" in parts[0].text
    assert parts[1].text.startswith("Phối hợp cùng đoàn Hội đồng cấp Bộ")


def test_regulation_chunks_by_article() -> None:
    chunks = chunk_document(_fixture_doc("quyet-dinh-hu-cau.txt"))
    locators = [c.locator for c in chunks]
    assert locators[0] == "phần mở đầu"
    assert {"Điều 1", "Điều 2", "Điều 4", "Điều 5", "Phụ lục I"} <= set(locators)
    article_1 = next(c for c in chunks if c.locator == "Điều 1")
    assert article_1.text.startswith("Điều 1. Phạm vi điều chỉnh")
    assert "Chương I" in article_1.heading


def test_long_article_packs_clauses_into_windows() -> None:
    chunks = chunk_document(_fixture_doc("quyet-dinh-hu-cau.txt"), ChunkingParams(max_chars=300, min_chars=50))
    locators = [c.locator for c in chunks]
    assert "Điều 3, khoản 1 đến khoản 2, điểm b" in locators  # consecutive clauses share a window
    assert "Điều 3, khoản 2, điểm c" in locators
    assert [loc for loc in locators if loc.startswith("Điều 3, khoản 3")] == [
        "Điều 3, khoản 3 (phần 1)",
        "Điều 3, khoản 3 (phần 2)",
        "Điều 3, khoản 3 (phần 3)",
    ]
    window = next(c for c in chunks if c.locator.startswith("Điều 3, khoản 1"))
    assert window.text.startswith("Điều 3. Mức hỗ trợ máy móc thiết bị")  # title stays with its first clause
    assert "321.000.000 đồng" in window.text
    assert "Chương II" in window.heading
    later = next(c for c in chunks if c.locator == "Điều 3, khoản 2, điểm c")
    assert "Điều 3. Mức hỗ trợ máy móc thiết bị" in later.heading  # every window still names its article
    assert all(len(c.text) <= 300 for c in chunks)


def test_news_paragraphs_merge_short_lines_and_keep_bylines() -> None:
    doc = _corpus_doc("cv-400-ctdp-qlkc-2024")
    chunks = chunk_document(doc)
    assert chunks[0].locator == "đoạn 1–2"  # the title joins the first paragraph
    assert chunks[-1].text.endswith("Thăng Long")
    assert all(len(c.text) <= 1200 for c in chunks)


def test_chunk_ids_change_only_with_content() -> None:
    doc = _corpus_doc("angiang-2023-6-thang")
    first = [c.id for c in chunk_document(doc)]
    assert first == [c.id for c in chunk_document(doc)]
    edited = DocumentRecord(**{**doc.__dict__, "text": doc.text.replace("08 cơ sở", "09 cơ sở")})
    changed = [a for a, b in zip(first, [c.id for c in chunk_document(edited)]) if a != b]
    assert len(changed) == 1


def _news(text: str) -> DocumentRecord:
    return DocumentRecord(id="tin-99", file="tin-99.txt", title="Tin khuyến công", kind="news", text=text)


_FILLER = "Trung tâm đã tổ chức nhiều hoạt động hỗ trợ cơ sở công nghiệp nông thôn trong năm. " * 3
_LEAD_IN = "Để khắc phục khó khăn, trung tâm đề ra các giải pháp năm 2022:"
_ITEMS = [
    "Phối hợp chặt chẽ với UBND các huyện trong việc lập đề án",
    "Tăng cường công tác kiểm tra, giám sát quá trình thực hiện đề án",
    "Tranh thủ nguồn vốn hỗ trợ của Chương trình khuyến công quốc gia",
    "Đẩy mạnh thông tin tuyên truyền về chính sách khuyến công",
]


def _windowed(text: str, max_chars: int) -> tuple[DocumentRecord, list[Chunk]]:
    doc = _news(text)
    chunks = chunk_document(doc, ChunkingParams(max_chars=max_chars, min_chars=50))
    assert all(c.text == doc.text[c.start : c.end] for c in chunks)
    return doc, chunks


def test_a_list_in_a_long_paragraph_starts_its_window_with_its_lead_in() -> None:
    # one paragraph: sentences, then "lead-in: item; item; item; item." that fits in a window of its own
    listing = f"{_LEAD_IN} " + "; ".join(_ITEMS) + "."
    filler = _FILLER[: _FILLER.index(".") + 2]  # one sentence: the lead-in and first items would fit after it
    _, chunks = _windowed(filler + listing, max_chars=len(listing) + 20)
    holding = [c for c in chunks if _ITEMS[2] in c.text]
    assert len(holding) == 1 and holding[0].text == listing  # the lead-in and every item, in one window


def test_a_list_longer_than_a_window_is_cut_between_items_and_carries_its_lead_in() -> None:
    listing = f"{_LEAD_IN} " + "; ".join(_ITEMS) + "."
    doc, chunks = _windowed(_FILLER + listing, max_chars=len(_LEAD_IN) + len(_ITEMS[0]) + len(_ITEMS[1]) + 10)
    windows = [c for c in chunks if any(item in c.text for item in _ITEMS)]
    assert windows[0].text.startswith(_LEAD_IN)
    for window in windows:  # every cut falls between two items
        assert doc.text[window.end - 1] in ";."
        assert sum(item in window.text for item in _ITEMS) >= 1
    later = [c for c in windows if not c.text.startswith(_LEAD_IN)]
    assert later and all(_LEAD_IN in c.heading for c in later)  # searched and read as what the lead-in opens
    assert _LEAD_IN not in windows[0].heading


def test_no_window_ends_right_after_a_lead_in_line() -> None:
    # a report section: a lead-in on a line of its own, its items on the lines after it, too long for a window
    items = "\n".join(f"{item};" for item in _ITEMS)
    text = f"1. Kết quả thực hiện\n{_FILLER.strip()}\n{_LEAD_IN}\n{items}\n{_FILLER.strip()}\n2. Kiến nghị\nKhông có."
    fits_lead_in = text.index(_LEAD_IN) + len(_LEAD_IN) + 10  # a window that could end right after the lead-in
    for max_chars in (150, 300, fits_lead_in):
        doc, chunks = _windowed(text, max_chars)
        for chunk in chunks:
            assert not chunk.text.endswith(":"), (max_chars, chunk.locator)
        holding = next(c for c in chunks if _LEAD_IN in c.text)
        assert _ITEMS[0] in holding.text
        assert doc.text.count(_LEAD_IN) == 1


def test_windows_of_a_long_list_in_the_corpus_keep_its_lead_in() -> None:
    doc = _corpus_doc("daklak-2022-6-thang")
    chunk = next(c for c in chunk_document(doc) if "Tranh thủ nguồn vốn hỗ trợ" in c.text)
    if not chunk.text.startswith("Để khắc phục"):
        assert "đã đề ra nhiệm vụ và giải pháp để hoàn thành mục tiêu kế hoạch khuyến công năm 2022:" in chunk.heading
