"""Hybrid retrieval over the real index built from corpus/."""

from __future__ import annotations

import pytest

from assistant import Assistant, Filters
from assistant.retrieval import FusionParams, HybridRetriever, dense_query_text, fuse


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


def test_both_retrievers_contribute_when_the_dense_side_is_asked(assistant: Assistant) -> None:
    retriever = assistant._get_retriever()
    ungated = HybridRetriever(retriever.index, retriever.store, retriever.backend, FusionParams(confident_margin=0))
    question = "Đồng Nai tổ chức lớp khởi sự doanh nghiệp cho bao nhiêu học viên"
    hits = ungated.search(assistant.analyse(question), k=5)
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


LEXICAL = [(1, 9.0), (2, 8.0), (4, 2.0)]
DENSE = [(2, 0.9), (3, 0.8), (1, 0.7)]


def test_fuse_adds_reciprocal_ranks_with_weights() -> None:
    both = fuse(LEXICAL, DENSE, FusionParams(rrf_k=1))
    assert [pos for pos, _ in both] == [2, 1, 3, 4]  # 2: 1/3 + 1/2; 1: 1/2 + 1/4; 3: 1/3; 4: 1/4
    assert both[0][1] == pytest.approx(1 / 3 + 1 / 2)
    leaning = fuse(LEXICAL, DENSE, FusionParams(rrf_k=1, lexical_weight=3.0))
    assert [pos for pos, _ in leaning][:2] == [1, 2]
    assert [pos for pos, _ in fuse(LEXICAL, DENSE, FusionParams(dense_weight=0.0))] == [1, 2, 4]


SURE = [(1, 10.0), (2, 5.0), (4, 4.0)]  # leads by 50 %


def test_fuse_keeps_the_head_of_a_sure_lexical_ranking_and_fuses_the_rest() -> None:
    fused_all = fuse(SURE, DENSE, FusionParams(rrf_k=1, confident_margin=0))
    assert [pos for pos, _ in fused_all] == [2, 1, 3, 4]
    kept = fuse(SURE, DENSE, FusionParams(rrf_k=1, confident_margin=0.2, confident_head=1))
    assert [pos for pos, _ in kept] == [1, 2, 3, 4]  # 1 stays first; 3 (the dense side's alone) still comes in
    assert [score for _, score in kept] == sorted((score for _, score in kept), reverse=True)
    assert kept[0][1] == pytest.approx(1 / 3 + 1 / 2)  # raised to the score below it
    two = fuse(SURE, DENSE, FusionParams(rrf_k=1, confident_margin=0.2, confident_head=2))
    assert [pos for pos, _ in two] == [1, 2, 3, 4]
    unsure = fuse(LEXICAL, DENSE, FusionParams(rrf_k=1, confident_margin=0.2, confident_head=1))
    assert [pos for pos, _ in unsure] == [2, 1, 3, 4]  # LEXICAL leads by 11 %: nothing kept


@pytest.mark.parametrize(
    ("ranking", "params", "asks"),
    [
        (SURE, FusionParams(confident_margin=0.2, confident_head=0), False),  # sure: dense not asked
        (SURE, FusionParams(confident_margin=0.2, confident_head=1, skip_margin=0.0), True),  # sure: head kept
        (SURE, FusionParams(confident_margin=0.2, confident_head=1, skip_margin=0.6), True),  # 50 % < 60 %
        (SURE, FusionParams(confident_margin=0.2, confident_head=1, skip_margin=0.5), False),  # 50 % >= 50 %
        (LEXICAL, FusionParams(confident_margin=0.2, confident_head=0), True),  # unsure
        (SURE, FusionParams(dense_weight=0.0), False),
        ([], FusionParams(), True),  # no lexical match: the dense side is all there is
    ],
)
def test_when_the_dense_side_is_asked(ranking: list[tuple[int, float]], params: FusionParams, asks: bool) -> None:
    assert params.asks_dense(ranking) is asks


def test_fuse_with_lexical_pool_only_reorders_lexical_candidates() -> None:
    params = FusionParams(rrf_k=1, dense_pool="lexical")
    assert [pos for pos, _ in fuse(LEXICAL, DENSE, params)] == [2, 1, 4]  # 3 is the dense side's alone
    assert [pos for pos, _ in fuse([], DENSE, params)] == [2, 3, 1]  # no lexical match: dense is the fallback


@pytest.mark.parametrize(
    ("ranking", "margin", "confident"),
    [
        ([(0, 10.0), (1, 7.0)], 0.2, True),  # leads by 30 %
        ([(0, 10.0), (1, 8.5)], 0.2, False),  # by 15 %
        ([(0, 10.0)], 0.2, True),  # a single match
        ([], 0.2, False),
        ([(0, 10.0), (1, 1.0)], 0.0, False),  # no gate
    ],
)
def test_lexical_confidence_is_the_lead_of_the_best_score(
    ranking: list[tuple[int, float]], margin: float, confident: bool
) -> None:
    assert FusionParams(confident_margin=margin).lexical_is_confident(ranking) is confident


def test_confident_lexical_ranking_keeps_its_head_or_skips_the_dense_side(assistant: Assistant) -> None:
    retriever = assistant._get_retriever()
    query = assistant.analyse("Đồng Nai tổ chức lớp khởi sự doanh nghiệp cho bao nhiêu học viên")
    lexical = retriever.lexical_ranking(query.search_text, None)
    assert retriever.params.lexical_is_confident(lexical)
    unsure = assistant.analyse("hạn đăng ký kế hoạch khuyến công quốc gia")  # two passages score alike
    assert not retriever.params.lexical_is_confident(retriever.lexical_ranking(unsure.search_text, None))
    assert any(h.dense_rank is not None for h in retriever.search(unsure, k=5))
    skipping = FusionParams(confident_head=0)  # a sure BM25 alone decides
    hits = retriever.search(query, k=5, params=skipping)
    assert [h.chunk.id for h in hits] == [retriever.index.chunks[p].id for p, _ in lexical[:5]]
    assert all(h.dense_rank is None for h in hits)
    keeping = FusionParams(confident_head=1, skip_margin=0.0)  # BM25's first chunk stays, the rest is fused
    kept = retriever.search(query, k=5, params=keeping)
    assert kept[0].chunk.id == retriever.index.chunks[lexical[0][0]].id
    assert any(h.dense_rank is not None for h in kept)
    assert [h.score for h in kept] == sorted((h.score for h in kept), reverse=True)
    both = retriever.search(query, k=5, params=FusionParams(confident_margin=0))  # as Assistant.ask asks
    assert any(h.dense_rank is not None for h in both)
