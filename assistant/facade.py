"""`Assistant`: the one object that bots, the HTTP API, the CLI and eval/ use."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from .answering import AnswerParams, decide, render
from .config import AnsweringSettings, Settings
from .embeddings import EmbeddingBackend, make_embeddings
from .errors import BadQuestion, NotFound
from .generations import between_builds
from .indexing import (
    IndexReport,
    IndexState,
    LoadedIndex,
    VectorStore,
    build_index,
    current_generation,
    index_state,
    load_index,
    read_meta,
    recover_interrupted,
)
from .ingest import AddResult, EntryOverrides, add_documents, list_documents, preview_documents, remove_document
from .llm import LLMAnswerer, OpenAICompatibleChat
from .query import Query, build_query
from .relations import annotate_amendments, prefer_in_force
from .retrieval import FusionParams, HybridRetriever, LangChainRetriever
from .text import clean_question, looks_vietnamese
from .types import Answer, Filters, Hit

if TYPE_CHECKING:
    import httpx

__all__ = ["Assistant"]

EXAMPLE_QUESTION = "Hạn đăng ký kế hoạch khuyến công quốc gia năm 2024 là ngày nào?"
ServedState = tuple[IndexState, bool]


@dataclass(frozen=True)
class _View:
    """The index as this assistant serves it: the state on disk it follows, and its retriever."""

    state: IndexState
    retriever: HybridRetriever
    vectors_seen: bool  # the vector store was (re)opened since this state appeared


class Assistant:
    """Question answering over the khuyến công corpus.

    Parameters
    ----------
    settings:
        Paths, embedding backend, Chroma location; `Settings.from_env()` when omitted.
    answer_params, fusion_params:
        Tuning of the answerer and of rank fusion (defaults are the evaluated ones).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        answer_params: AnswerParams | None = None,
        fusion_params: FusionParams | None = None,
    ) -> None:
        self.settings = settings or Settings.from_env()
        self.answer_params = answer_params or AnswerParams()
        self.fusion_params = fusion_params or FusionParams()
        self._lock = threading.Lock()
        self._backend: EmbeddingBackend | None = None
        self._backend_ready = False
        self._store: VectorStore | None = None
        self._view: _View | None = None
        self._llm = _make_llm(self.settings.answering)

    # ----------------------------------------------------------------- indexing
    def index(self, rebuild: bool = False, progress: Callable[[str, int, int], None] | None = None) -> IndexReport:
        """Build or update the index from the corpus folder.

        Returns
        -------
        IndexReport
            Counts of documents, chunks, newly embedded passages; `unchanged` for a no-op.

        Raises
        ------
        CorpusError, VectorStoreError, ModelUnavailable
        """
        report = build_index(
            self.settings.store.corpus_dir,
            self.settings.store.index_dir,
            embedding=self.settings.retrieval.embedding,
            chroma_url=self.settings.retrieval.chroma_url,
            progress=progress,
            rebuild=rebuild,
            cache_path=self.settings.cache_path,
        )
        with self._lock:
            self._view = None
        return report

    def add(
        self,
        sources: list[str],
        overrides: EntryOverrides | None = None,
        *,
        index: bool = True,
        client: httpx.Client | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> AddResult:
        """Add files, folders or URLs to the corpus and (with `index`) update the index, as one transaction.

        `progress(stage, done, total)` is told how the index update goes (as `index` is).

        Raises
        ------
        DocumentUnreadable
            A source cannot be read (all problems listed); nothing is added.
        CorpusError
            Duplicate document, bad option, or the corpus cannot be written; nothing is added.
        """
        reindex = partial(self.index, progress=progress) if index else None
        return add_documents(self.settings, sources, overrides, client=client, reindex=reindex)

    def preview(
        self, sources: list[str], overrides: EntryOverrides | None = None, *, client: httpx.Client | None = None
    ) -> AddResult:
        """What `add` would add (read, recognised, checked against the corpus), with nothing written.

        Raises `DocumentUnreadable` or `CorpusError` as `add` would.
        """
        return preview_documents(self.settings, sources, overrides, client=client)

    def remove(
        self, doc_id: str, *, index: bool = True, progress: Callable[[str, int, int], None] | None = None
    ) -> tuple[dict[str, Any], IndexReport | None]:
        """Remove a document from the corpus and (with `index`) update the index; returns its manifest entry.

        Raises `NotFound` for an id the corpus does not have.
        """
        reindex = partial(self.index, progress=progress) if index else None
        return remove_document(self.settings, doc_id, reindex=reindex)

    def corpus(self) -> list[dict[str, Any]]:
        """The manifest entries of the corpus folder (indexed or not yet)."""
        return list_documents(self.settings)

    def has_index(self) -> bool:
        """True when a built index exists (once an add or remove whose process was killed is undone)."""
        recover_interrupted(self.settings.store.index_dir)
        return current_generation(self.settings.store.index_dir) is not None

    # ------------------------------------------------------------------ asking
    def ask(self, question: str, filters: Filters | None = None) -> Answer:
        """Answer a question with citations, or say plainly that the documents do not hold it.

        Raises
        ------
        BadQuestion
            Empty, too long, or not Vietnamese.
        IndexMissing, IndexCorrupt, VectorStoreError
        """
        retriever = self._get_retriever()
        query = self.analyse(question)
        # both sides always: the evidence step scores every candidate by its semantic similarity too
        # (gating it cost a refusal and two leads on the seen sets, eval/RESULTS.md, issue 15)
        both = replace(retriever.params, confident_margin=0.0)
        hits = retriever.search(query, k=self.answer_params.chunks, filters=filters, params=both)
        hits = prefer_in_force(query.text, hits, retriever.index)  # texts in force first (relations.py)
        decision = decide(query, hits, retriever.index, self.answer_params)
        if decision.outcome != "refuse" and self._llm is not None:  # the same decision gates the model
            phrased = self._llm.answer(query, decision.ranked_hits(hits), retriever.index)
            if phrased is not None:
                return annotate_amendments(phrased, retriever.index)
        answer = render(query, decision, hits, retriever.index, self.answer_params, self.today())
        return annotate_amendments(answer, retriever.index)

    def analyse(self, question: str) -> Query:
        """The question checked and analysed once (kind, terms, qualifiers), as every stage reads it."""
        text = self.check_question(question)
        return build_query(text, self._get_retriever().index)

    def today(self) -> dt.date:
        """Today's date, to tell a passed deadline (KHUYENCONG_TODAY=YYYY-MM-DD fixes it, for tests)."""
        return self.settings.answering.today or dt.date.today()

    def search(self, query: str, k: int | None = None, filters: Filters | None = None) -> list[Hit]:
        """Ranked chunks for `query` (hybrid lexical + dense)."""
        return self._get_retriever().search(self.analyse(query), k=k or self.settings.retrieval.top_k, filters=filters)

    def check_question(self, question: str) -> str:
        """Clean the question or raise `BadQuestion` with a message for the user."""
        if not isinstance(question, str):
            raise BadQuestion("Câu hỏi phải là một chuỗi văn bản.")
        text = clean_question(question)
        if not any(ch.isalnum() for ch in text):
            raise BadQuestion(f"Câu hỏi đang trống. Hãy nhập câu hỏi, ví dụ: “{EXAMPLE_QUESTION}”")
        limit = self.settings.answering.max_question_chars
        if len(text) > limit:
            raise BadQuestion(f"Câu hỏi quá dài ({len(text)} ký tự, tối đa {limit}). Hãy rút gọn vào điều cần hỏi.")
        if not looks_vietnamese(text):
            raise BadQuestion("Xin lỗi, trợ lý chỉ trả lời câu hỏi bằng tiếng Việt (có dấu hoặc không dấu).")
        return text

    def as_retriever(self, k: int = 5, filters: Filters | None = None) -> LangChainRetriever:
        """This assistant's search as a LangChain `BaseRetriever`."""
        return LangChainRetriever(assistant=self, k=k, filters=filters)

    # --------------------------------------------------------------- documents
    def documents(self) -> list[dict[str, Any]]:
        """Manifest entries of the indexed documents."""
        return list(self._get_retriever().index.documents.values())

    def document(self, doc_id: str) -> dict[str, Any]:
        """One document: its manifest fields, full text and chunk locators with spans."""
        index = self._get_retriever().index
        if doc_id not in index.documents:
            raise NotFound(f"Không có tài liệu mã '{doc_id}'. Xem danh sách tài liệu để lấy mã đúng.")
        chunks = [
            {"id": c.id, "locator": c.locator, "start": c.start, "end": c.end}
            for c in index.chunks
            if c.doc_id == doc_id
        ]
        return {**index.documents[doc_id], "text": index.text_of(doc_id), "chunks": chunks}

    def title_of(self, doc_id: str) -> str:
        """Title of an indexed document (its id when unknown)."""
        return str(self._get_retriever().index.documents.get(doc_id, {}).get("title", doc_id))

    def status(self) -> dict[str, Any]:
        """Health facts: whether an index is loaded, counts, embedding backend."""
        index = self._get_retriever().index
        vectors = self._store.count() if self._store else 0
        return {
            "index_loaded": True,
            "generation": index.generation,
            "documents": len(index.documents),
            "chunks": len(index.chunks),
            "vectors": vectors,
            "vectors_complete": bool(index.meta.get("vectors_complete")),
            "embedding": index.meta.get("embedding"),
            "built_at": index.meta.get("built_at"),
        }

    def current_index(self) -> LoadedIndex:
        """The index answers are computed on now (loaded on first use, followed across rebuilds).

        Raises `IndexMissing` or `IndexCorrupt` when there is none to load.
        """
        return self._get_retriever().index

    def served_state(self) -> ServedState:
        """What answers are computed on now: the index state on disk, and whether its vectors were seen."""
        view = self._get_view()
        return view.state, view.vectors_seen

    # -------------------------------------------------------------- internals
    def _get_retriever(self) -> HybridRetriever:
        return self._get_view().retriever

    def _get_view(self) -> _View:
        """The index as it is on disk now, whichever process built it.

        When CURRENT names another generation, it is loaded; when the live generation's vectors
        changed (meta.json rewritten), its metadata is reread. The vector store is then reopened,
        since an embedded Chroma client never sees what other processes wrote; but only between
        builds (see `VectorStore`): until then the vectors seen before serve, and every request
        tries again. An add or remove whose process was killed is first undone (or finished), once no
        build holds the lock (`recover_interrupted`).
        """
        recover_interrupted(self.settings.store.index_dir)  # a stat, unless an add or remove was killed with -9
        state = index_state(self.settings.store.index_dir)
        view = self._view
        if view is not None and view.state == state and view.vectors_seen:
            return view
        with self._lock:
            view = self._view
            if view is None or view.state != state:
                view = self._view_of(state, self._load(view.retriever.index if view else None), seen=False)
            if not view.vectors_seen and self._reopen_vectors():
                view = self._view_of(state, view.retriever.index, seen=True)
            self._view = view
            return view

    def _load(self, previous: LoadedIndex | None) -> LoadedIndex:
        """The live generation: `previous` with its meta.json reread when it is still live, else loaded."""
        if previous is not None and previous.generation == current_generation(self.settings.store.index_dir):
            previous.meta = read_meta(previous.folder)
            return previous
        return load_index(self.settings.store.index_dir)

    def _view_of(self, state: IndexState, index: LoadedIndex, seen: bool) -> _View:
        retriever = HybridRetriever(index, self._store, self._get_backend(), self.fusion_params)
        return _View(state, retriever, seen or self._get_backend() is None)

    def _reopen_vectors(self) -> bool:
        """Open or reopen the vector store if no build is running; False when one is."""
        backend = self._get_backend()
        if backend is None:
            return True
        if self.settings.retrieval.chroma_url:  # a Chroma server serves every process the same vectors
            self._store = self._store or VectorStore(
                self.settings.store.index_dir, backend, self.settings.retrieval.chroma_url
            )
            return True
        with between_builds(self.settings.store.index_dir) as quiet:
            if not quiet:
                return False
            if self._store is None:
                store = VectorStore(self.settings.store.index_dir, backend)
                store.load()
                self._store = store
            else:
                self._store.refresh()
        return True

    def forget_questions(self) -> None:
        """Drop the embedding model's recent question vectors, so that the next questions are encoded anew."""
        backend = self._get_backend()
        if backend is not None:
            backend.forget_questions()

    def uses_llm(self) -> bool:
        """True when an OpenAI-compatible language model phrases the answers."""
        return self._llm is not None

    def _get_backend(self) -> EmbeddingBackend | None:
        if not self._backend_ready:
            self._backend = make_embeddings(self.settings.retrieval.embedding)
            self._backend_ready = True
        return self._backend


def _make_llm(answering: AnsweringSettings) -> LLMAnswerer | None:
    if not answering.llm_url:
        return None
    chat = OpenAICompatibleChat(base_url=answering.llm_url, model=answering.llm_model, api_key=answering.llm_api_key)
    return LLMAnswerer(chat)
