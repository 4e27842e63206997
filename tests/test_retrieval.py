"""Hybrid retrieval over the real index built from corpus/."""

from __future__ import annotations

import pytest

from assistant import Assistant, Filters
from assistant.retrieval import dense_query_text


@pytest.mark.parametrize(
    "query",
    [
        "hạn đăng ký kế hoạch khuyến công quốc gia",
        "han dang ky ke hoach khuyen cong quoc gia",
        "han chot dang ky ke hoach KCQG 20/6",
    ],
)
def test_deadline_passage_ranks_first_with_or_without_diacritics(assistant: Assistant, query: str) -> None:
    top = assistant.search(query, k=3)[0]
    assert top.chunk.doc_id == "cv-400-ctdp-qlkc-2024"
    assert "trước ngày 20 tháng 6 năm 2023" in top.chunk.text


def test_both_retrievers_contribute(assistant: Assistant) -> None:
    hits = assistant.search("Đồng Nai tổ chức lớp khởi sự doanh nghiệp cho bao nhiêu học viên", k=5)
    assert hits[0].chunk.locator == "mục 1.1"
    assert hits[0].lexical_rank is not None and hits[0].dense_rank is not None
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_abbreviation_finds_spelled_out_text(assistant: Assistant) -> None:
    hits = assistant.search("KSDN Đồng Nai", k=3)
    assert any("Khởi sự doanh nghiệp" in h.chunk.text for h in hits)


def test_dense_query_gets_diacritics_and_expansions(assistant: Assistant) -> None:
    index = assistant.current_index()
    assert dense_query_text("han dang ky ke hoach KCQG", index) == ("hạn đăng ký kế hoạch khuyến công quốc gia (KCQG)")


@pytest.mark.parametrize(
    ("filters", "allowed"),
    [
        (Filters(province="dong nai"), {"dongnai-2023-ket-qua"}),
        (Filters(kind="news"), {"daklak-2022-6-thang", "phia-nam-2023-hoi-nghi"}),
        (Filters(year=2022), {"daklak-2022-6-thang"}),
        (Filters(province="An Giang", year=2023), {"angiang-2023-6-thang"}),
    ],
)
def test_filters_restrict_both_retrievers(assistant: Assistant, filters: Filters, allowed: set[str]) -> None:
    hits = assistant.search("kinh phí khuyến công", k=10, filters=filters)
    assert hits and {h.chunk.doc_id for h in hits} <= allowed


def test_filter_matching_nothing_returns_nothing(assistant: Assistant) -> None:
    assert assistant.search("kinh phí khuyến công", filters=Filters(province="Quảng Ninh")) == []


def test_langchain_retriever(assistant: Assistant) -> None:
    from langchain_core.retrievers import BaseRetriever

    retriever = assistant.as_retriever(k=2)
    assert isinstance(retriever, BaseRetriever)
    documents = retriever.invoke("hạn nộp hồ sơ đề án KCQG năm 2024")
    assert len(documents) == 2
    first = documents[0]
    assert "30 tháng 9 năm 2023" in first.page_content
    assert first.metadata["doc_id"] == "cv-400-ctdp-qlkc-2024"
    assert first.metadata["title"].startswith("6 nội dung định hướng")
    assert first.metadata["locator"] == "đoạn 14"
