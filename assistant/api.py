"""HTTP API and web chat page: `create_app()` (also a uvicorn factory) and `khuyencong serve`.

Endpoints (schemas in the OpenAPI document at /docs):
POST /ask, GET /search, GET /documents, GET /documents/{id}, POST /feedback, GET /health;
pages: / (chat), /doc and /doc/{id} (a document with the cited span highlighted).
Every error is JSON `{"error": {"code", "message", "details"}}` with a Vietnamese message.
"""

from __future__ import annotations

import logging
import math
import os
import sqlite3
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import click
import fastapi_offline
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from .config import Settings, limit_query_threads
from .conversation import ConversationStore, Turn, resolve_followup
from .errors import AssistantError, RateLimited
from .facade import Assistant, ServedState
from .feedback import FeedbackStore
from .ratelimit import Rate, RateLimiter
from .text import clean_question
from .types import Answer, Citation, Filters
from .web.errors import MAX_BODY_BYTES, BodyLimit, install_error_handlers
from .web.http import JSON_ERRORS_PROTOCOL, RangeFileResponse, RangeStaticFiles
from .web.schemas import (
    ERROR_RESPONSES,
    RATE_LIMIT_RESPONSE,
    AskRequest,
    AskResponse,
    CitationOut,
    DocumentInfo,
    DocumentKind,
    DocumentList,
    DocumentText,
    ErrorResponse,
    FeedbackRequest,
    FeedbackResponse,
    FiltersIn,
    Health,
    HitOut,
)

__all__ = [
    "MAX_BODY_BYTES",
    "AnswerCache",
    "Services",
    "SharedConversationStore",
    "answer_question",
    "create_app",
    "serve_command",
]

log = logging.getLogger(__name__)

MAX_SEARCH_K = 50
DEFAULT_ANSWER_CACHE = 1024
STATIC_DIR = Path(__file__).resolve().parent / "web" / "static"
MAX_CHARS_MARK = 'data-max-chars="2000"'  # in index.html, replaced by the configured limit
DOCS_ASSETS = "/docs/assets"  # Swagger UI's script and style, shipped in the fastapi-offline package (no CDN)
DOCS_ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
# Our pages load nothing from elsewhere and run no inline script.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


# -------------------------------------------------------------------- services
class AnswerCache:
    """Answers already given, so that a repeated question costs no retrieval or embedding.

    Keyed by (the index state and whether its vectors were seen, standalone question, filters):
    a rebuilt index, or one whose vectors were completed or reopened since, never serves an old
    answer. At most `size` entries, least recently
    used dropped; size 0 turns it off.
    """

    def __init__(self, assistant: Assistant, size: int = DEFAULT_ANSWER_CACHE) -> None:
        self.assistant = assistant
        self.size = size
        self._items: OrderedDict[tuple[ServedState, str, Filters | None], Answer] = OrderedDict()
        self._lock = threading.Lock()

    def ask(self, question: str, filters: Filters | None) -> Answer:
        """`Assistant.ask`, from memory when this exact question was answered on this index."""
        if self.size <= 0:
            return self.assistant.ask(question, filters)
        key = (self.assistant.served_state(), question, filters)
        with self._lock:
            answer = self._items.get(key)
            if answer is not None:
                self._items.move_to_end(key)
                return answer
        answer = self.assistant.ask(question, filters)
        with self._lock:
            self._items[key] = answer
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return answer

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


def _cache_size() -> int:
    value = os.environ.get("KHUYENCONG_ANSWER_CACHE", "").strip()
    return int(value) if value.isdecimal() else DEFAULT_ANSWER_CACHE


@dataclass
class Services:
    """What the routes (ours and the bots') share."""

    assistant: Assistant
    feedback: FeedbackStore
    conversations: ConversationStore
    answers: AnswerCache
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(Rate(0)))  # requests per client address


def _services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(_services)]


def _within_rate_limit(request: Request, services: ServicesDep) -> None:
    """Count the request against its client address; raise `RateLimited` (429) past the limit."""
    wait = services.limiter.wait_for(request.client.host if request.client else "")
    if wait > 0:
        rate, seconds = services.limiter.rate, math.ceil(wait)
        raise RateLimited(
            f"Bạn đã gửi quá nhiều yêu cầu (tối đa {rate.requests} yêu cầu trong {rate.seconds:g} giây). "
            f"Vui lòng thử lại sau {seconds} giây.",
            retry_after=seconds,
        )


class SharedConversationStore(ConversationStore):
    """A `ConversationStore` kept in SQLite, so that several server workers share the turns.

    With more than one uvicorn worker, a follow-up may reach another process than the
    question before it; this store keeps the same bounds (turns, conversations, ttl).
    """

    _CLEANUP_EVERY = 50

    def __init__(self, path: Path, max_conversations: int = 1000, max_turns: int = 8, ttl: float = 1800.0) -> None:
        super().__init__(max_conversations, max_turns, ttl)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._adds = 0
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(
            "CREATE TABLE IF NOT EXISTS turns (seq INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id TEXT NOT NULL,"
            " stamp REAL NOT NULL, question TEXT NOT NULL, resolved TEXT NOT NULL, answer TEXT NOT NULL);"
            "CREATE INDEX IF NOT EXISTS turns_by_conversation ON turns (conversation_id, seq);"
        )

    def history(self, conversation_id: str) -> list[Turn]:
        """Turns of a live conversation (empty when unknown or expired)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT question, resolved, answer FROM turns WHERE conversation_id = ? AND stamp >= ?"
                " ORDER BY seq DESC LIMIT ?",
                (conversation_id, time.time() - self.ttl, self.max_turns),
            ).fetchall()
        return [Turn(*row) for row in reversed(rows)]

    def add(self, conversation_id: str, turn: Turn) -> None:
        """Append a turn; now and then drop expired turns and the oldest conversations."""
        with self._lock:
            self._db.execute(
                "INSERT INTO turns (conversation_id, stamp, question, resolved, answer) VALUES (?, ?, ?, ?, ?)",
                (conversation_id, time.time(), turn.question, turn.resolved, turn.answer),
            )
            self._adds += 1
            if self._adds % self._CLEANUP_EVERY == 0:
                self._cleanup()

    def __len__(self) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(DISTINCT conversation_id) FROM turns WHERE stamp >= ?", (time.time() - self.ttl,)
            ).fetchone()
        return int(row[0])

    def _cleanup(self) -> None:
        self._db.execute("DELETE FROM turns WHERE stamp < ?", (time.time() - self.ttl,))
        self._db.execute(
            "DELETE FROM turns WHERE conversation_id NOT IN (SELECT conversation_id FROM turns"
            " GROUP BY conversation_id ORDER BY MAX(seq) DESC LIMIT ?)",
            (self.max_conversations,),
        )


def _default_conversations(settings: Settings) -> ConversationStore:
    """In memory for one worker; shared through SQLite when `serve` started several."""
    if int(os.environ.get("KHUYENCONG_WORKERS", "1") or 1) > 1:
        return SharedConversationStore(settings.data_dir / "conversations.sqlite3")
    return ConversationStore()


# ---------------------------------------------------------------------- routes
def _citation_out(citation: Citation) -> CitationOut:
    url = f"/doc/{quote(citation.doc_id)}?start={citation.start}&end={citation.end}"
    return CitationOut(**citation.to_dict(), start=citation.start, end=citation.end, url=url)


def _filters(given: FiltersIn | None) -> Filters | None:
    if given is None:
        return None
    filters = Filters(province=given.province, kind=given.kind, year=given.year)
    return None if filters.is_empty() else filters


def answer_question(services: Services, body: AskRequest, channel: str = "api") -> AskResponse:
    """Resolve a follow-up against the conversation, answer it, record the answer and the turn."""
    typed = services.assistant.check_question(body.question)
    conversation_id = body.conversation_id or uuid.uuid4().hex
    resolved = resolve_followup(typed, services.conversations.history(conversation_id))
    answer = services.answers.ask(resolved, _filters(body.filters))
    answer_id = services.feedback.record_answer(resolved, answer, channel, conversation_id)
    services.conversations.add(conversation_id, Turn(typed, resolved, answer.answer))
    return AskResponse(
        answer=answer.answer,
        found=answer.found,
        citations=[_citation_out(c) for c in answer.citations],
        answer_id=answer_id,
        conversation_id=conversation_id,
        resolved_question=resolved if resolved != typed else None,
    )


def _api_router() -> APIRouter:
    """The question and document routes, each counted against the client's rate limit."""
    router = APIRouter(responses={**ERROR_RESPONSES, **RATE_LIMIT_RESPONSE}, dependencies=[Depends(_within_rate_limit)])

    @router.post("/ask", tags=["hỏi đáp"], summary="Hỏi một câu, nhận câu trả lời kèm trích dẫn")
    def ask(body: AskRequest, services: ServicesDep) -> AskResponse:
        """Trả lời từ tài liệu, luôn kèm nguồn; `found` = false khi tài liệu không có câu trả lời.
        Gửi lại `conversation_id` để hỏi tiếp ngắn gọn (“còn Đồng Nai thì sao?”)."""
        return answer_question(services, body)

    @router.get("/search", tags=["hỏi đáp"], summary="Tìm các đoạn tài liệu liên quan")
    def search(
        services: ServicesDep,
        q: Annotated[str, Query(description="Truy vấn", examples=["kinh phí KCQG 2022"])],
        k: Annotated[int, Query(ge=1, le=MAX_SEARCH_K, description="Số đoạn trả về")] = 5,
        province: Annotated[str | None, Query(max_length=100, description="Lọc theo tỉnh")] = None,
        kind: Annotated[DocumentKind | None, Query(description="Lọc theo loại tài liệu")] = None,
        year: Annotated[int | None, Query(ge=1900, le=2100, description="Lọc theo năm")] = None,
    ) -> list[HitOut]:
        """Các đoạn xếp hạng theo từ khóa + ngữ nghĩa, kèm điểm và hạng của từng cách tìm."""
        filters = _filters(FiltersIn(province=province, kind=kind, year=year))
        hits = services.assistant.search(q, k=k, filters=filters)
        return [HitOut(**h.to_dict(services.assistant.title_of(h.chunk.doc_id))) for h in hits]

    @router.get("/documents", tags=["tài liệu"], summary="Danh sách tài liệu đã lập chỉ mục")
    def documents(services: ServicesDep) -> DocumentList:
        """Các mục của manifest: mã, tên, loại, số hiệu, cơ quan, tỉnh, ngày, năm, nguồn."""
        return DocumentList(documents=[DocumentInfo(**d) for d in services.assistant.documents()])

    @router.get(
        "/documents/{doc_id}",
        tags=["tài liệu"],
        summary="Toàn văn một tài liệu và vị trí các đoạn",
        responses={404: {"model": ErrorResponse, "description": "Không có tài liệu mã này"}},
    )
    def document(doc_id: str, services: ServicesDep) -> DocumentText:
        """Để mở một trích dẫn trong ngữ cảnh: `text[start:end]` là đoạn được trích."""
        return DocumentText(**services.assistant.document(doc_id))

    @router.post(
        "/feedback",
        status_code=201,
        tags=["góp ý"],
        summary="Ghi 👍/👎 cho một câu trả lời",
        responses={404: {"model": ErrorResponse, "description": "Không có câu trả lời mã này"}},
    )
    def feedback(body: FeedbackRequest, services: ServicesDep) -> FeedbackResponse:
        """Lưu bền vững (SQLite, WAL) trước khi trả lời."""
        comment = clean_question(body.comment or "") or None  # the same cleaning as questions
        row = services.feedback.record_feedback(body.answer_id, body.helpful, comment, channel="api")
        return FeedbackResponse(id=row, answer_id=body.answer_id, helpful=body.helpful)

    return router


def _ops_router() -> APIRouter:
    """What monitoring polls: not rate-limited."""
    router = APIRouter(responses=ERROR_RESPONSES)

    @router.get("/health", tags=["vận hành"], summary="Tình trạng dịch vụ và chỉ mục")
    def health(services: ServicesDep) -> Health:
        """Chỉ mục đã nạp chưa, số tài liệu, số đoạn, mô hình nhúng; 503 khi chưa có chỉ mục."""
        return Health(status="ok", **services.assistant.status())

    return router


def _page(name: str, status_code: int = 200) -> RangeFileResponse:
    return RangeFileResponse(STATIC_DIR / name, status_code=status_code, media_type="text/html", headers=PAGE_HEADERS)


def _page_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def chat_page(services: ServicesDep) -> HTMLResponse:
        """The chat page, told the question length limit of this server (it warns past it, never cuts)."""
        html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
        limit = f'data-max-chars="{services.assistant.settings.max_question_chars}"'
        return HTMLResponse(html.replace(MAX_CHARS_MARK, limit), headers=PAGE_HEADERS)

    @router.get("/doc")
    async def documents_page() -> RangeFileResponse:
        return _page("doc.html")

    @router.get("/doc/{doc_id}")
    def document_page(doc_id: str, services: ServicesDep) -> RangeFileResponse:
        known = any(d.get("id") == doc_id for d in services.assistant.documents())
        return _page("doc.html", 200 if known else 404)

    return router


def _docs_router(title: str) -> APIRouter:
    """/docs: Swagger UI served from the package, so that it works with no internet."""
    router = APIRouter(include_in_schema=False)

    @router.get("/docs")
    async def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}/openapi.json",
            title=f"{title} — tài liệu API",
            swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None},  # Swagger UI would send the schema to validator.swagger.io
        )

    return router


# ------------------------------------------------------------------------- app
DESCRIPTION = """
Trợ lý hỏi đáp về **khuyến công**: trả lời từ các văn bản đã lập chỉ mục, luôn kèm trích dẫn nguồn,
và nói rõ khi tài liệu không có câu trả lời.

* `POST /ask` — hỏi (có thể hỏi tiếp trong một cuộc trò chuyện bằng `conversation_id`);
* `GET /search` — các đoạn tài liệu liên quan nhất;
* `GET /documents`, `GET /documents/{id}` — danh sách tài liệu, toàn văn và vị trí các đoạn;
* `POST /feedback` — 👍/👎 cho một câu trả lời (`answer_id` lấy từ `/ask`);
* `GET /health` — tình trạng chỉ mục.

Mọi lỗi trả về JSON `{"error": {"code", "message", "details"}}` với thông báo tiếng Việt.
Trang chat dành cho người dùng ở `/`.
"""

TAGS = [
    {"name": "hỏi đáp", "description": "Hỏi và tìm trong tài liệu khuyến công"},
    {"name": "tài liệu", "description": "Xem tài liệu gốc để mở trích dẫn trong ngữ cảnh"},
    {"name": "góp ý", "description": "Đánh giá câu trả lời"},
    {"name": "vận hành", "description": "Theo dõi dịch vụ"},
]


def create_app(
    assistant: Assistant | None = None,
    *,
    feedback: FeedbackStore | None = None,
    conversations: ConversationStore | None = None,
    answer_cache: int | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> FastAPI:
    """The FastAPI app; with no arguments (uvicorn `--factory`) everything comes from the environment.

    Parameters
    ----------
    assistant:
        The assistant to serve; `Assistant(Settings.from_env())` when omitted.
    feedback:
        Store of given answers and votes; `<data_dir>/feedback.sqlite3` with the settings' retention
        policy when omitted. The per-address rate limit counts in the same file.
    conversations:
        Follow-up memory; in memory, or shared through SQLite when KHUYENCONG_WORKERS > 1.
    answer_cache:
        Answers kept per process (0: none); KHUYENCONG_ANSWER_CACHE or 1024 when omitted.
    max_body_bytes:
        Larger request bodies are refused with 413.
    """
    assistant = assistant or Assistant(Settings.from_env())
    settings = assistant.settings
    feedback = FeedbackStore.for_settings(settings) if feedback is None else feedback
    services = Services(
        assistant=assistant,
        feedback=feedback,
        # `is None`, not `or`: an empty ConversationStore is falsy (it has __len__).
        conversations=_default_conversations(settings) if conversations is None else conversations,
        answers=AnswerCache(assistant, _cache_size() if answer_cache is None else answer_cache),
        limiter=RateLimiter(settings.rate_limit, path=feedback.path),  # one budget for every worker
    )
    app = FastAPI(
        title="Trợ lý Khuyến công",
        description=DESCRIPTION,
        version="0.1.0",
        openapi_tags=TAGS,
        lifespan=_lifespan,
        docs_url=None,  # ours below, without a CDN
        redoc_url=None,  # /docs is the documented page
        swagger_ui_oauth2_redirect_url=None,  # no OAuth here
    )
    app.state.services = services
    app.include_router(_api_router())
    app.include_router(_ops_router())
    app.include_router(_page_router())
    app.include_router(_docs_router(app.title))
    for router in _bot_routers(services):
        app.include_router(router)
    app.mount("/static", RangeStaticFiles(directory=STATIC_DIR), name="static")
    app.mount(DOCS_ASSETS, RangeStaticFiles(directory=DOCS_ASSETS_DIR), name="docs-assets")
    install_error_handlers(app)
    app.add_middleware(BodyLimit, limit=max_body_bytes)  # type: ignore[arg-type]
    return app


def _bot_routers(services: Services) -> list[Any]:
    from bots.routes import configured_routers

    return configured_routers(services.assistant, services.feedback, services.conversations)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the index and the embedding model before the first question, not during it."""
    await run_in_threadpool(_warm_up, app.state.services.assistant)
    yield


def _warm_up(assistant: Assistant) -> None:
    try:
        assistant.search("khuyến công", k=1)
    except AssistantError as error:
        log.warning("index not ready at start-up: %s", error.message)


# ------------------------------------------------------------------------- CLI
@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="KHUYENCONG_HOST", help="Địa chỉ lắng nghe.")
@click.option("--port", default=8000, show_default=True, type=int, envvar="KHUYENCONG_PORT", help="Cổng.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    envvar="KHUYENCONG_WORKERS",
    help="Số tiến trình phục vụ.",
)
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Chạy HTTP API và trang chat (xây chỉ mục trước nếu chưa có)."""
    import uvicorn

    limit_query_threads()  # measured in eval/RESULTS.md
    settings = (ctx.obj or {}).get("settings") or Settings.from_env()
    assistant = Assistant(settings)
    try:
        _ensure_index(assistant)
    except AssistantError as error:
        click.echo(f"Lỗi: {error.message}", err=True)
        ctx.exit(1)
    _export_settings(settings, workers)
    try:
        app = create_app(assistant)  # also checks the bot channels' variables before any worker starts
    except AssistantError as error:
        click.echo(f"Lỗi: {error.message}", err=True)
        ctx.exit(1)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}/"
    click.echo(f"Trang chat: {url}  ·  tài liệu API: {url}docs  ({workers} tiến trình; Ctrl+C để dừng)")
    http = JSON_ERRORS_PROTOCOL  # a request uvicorn cannot parse is answered as JSON too (web/http.py)
    if workers == 1:
        uvicorn.run(app, host=host, port=port, http=http)
    else:
        uvicorn.run("assistant.api:create_app", factory=True, host=host, port=port, workers=workers, http=http)


def _ensure_index(assistant: Assistant) -> None:
    if assistant.has_index():
        return
    click.echo(f"Chưa có chỉ mục, đang xây dựng từ {assistant.settings.corpus_dir} …", err=True)
    report = assistant.index()
    click.echo(f"Xong: {report.documents} tài liệu, {report.chunks} đoạn.", err=True)


def _export_settings(settings: Settings, workers: int) -> None:
    """Worker processes build their own app from the environment: hand them the CLI's choices."""
    os.environ["KHUYENCONG_CORPUS_DIR"] = str(settings.corpus_dir)
    os.environ["KHUYENCONG_INDEX_DIR"] = str(settings.index_dir)
    os.environ["KHUYENCONG_DATA_DIR"] = str(settings.data_dir)
    os.environ["KHUYENCONG_EMBEDDING"] = settings.embedding
    if settings.embedding_cache is not None:
        os.environ["KHUYENCONG_EMBEDDING_CACHE"] = str(settings.embedding_cache)
    os.environ["KHUYENCONG_WORKERS"] = str(workers)
