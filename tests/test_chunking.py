"""Structure-aware chunking: reports, regulations and plain news."""

from __future__ import annotations

from pathlib import Path

from assistant.chunking import ChunkingParams, chunk_document
from assistant.loading import load_corpus
from assistant.types import DocumentRecord

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
