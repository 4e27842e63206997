"""HTTP API and web chat page: `create_app()` (also a uvicorn factory; `khuyencong serve` runs it).

Endpoints (schemas in the OpenAPI document at /docs):
POST /ask, GET /search, GET /documents, GET /documents/{id}, GET /kinds, POST /feedback, GET /health;
pages: / (chat), /doc and /doc/{id} (a document with the cited span highlighted); with
KHUYENCONG_ADMIN_TOKEN set, /admin and /admin/api/* for staff (web/admin.py).
Every error is JSON `{"error": {"code", "message", "details"}}` with a Vietnamese message.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

import fastapi_offline
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from .config import Settings
from .conversation import ConversationStore, SharedConversationStore
from .errors import AssistantError, RateLimited
from .facade import Assistant
from .feedback import FeedbackStore
from .plugins import channel_routers
from .ratelimit import Rate, RateLimiter
from .session import Exchange, Session
from .types import Citation, DocumentKind, Filters
from .web.admin import ADMIN_PAGE, MB, UPLOAD_PATH, admin_router
from .web.errors import MAX_BODY_BYTES, BodyLimit, install_error_handlers
from .web.http import RangeFileResponse, RangeStaticFiles
from .web.schemas import (
    ERROR_RESPONSES,
    RATE_LIMIT_RESPONSE,
    AskRequest,
    AskResponse,
    CitationOut,
    DocumentInfo,
    DocumentList,
    DocumentText,
    ErrorResponse,
    FeedbackRequest,
    FeedbackResponse,
    FiltersIn,
    Health,
    HitOut,
    KindInfo,
    KindList,
)

__all__ = ["MAX_BODY_BYTES", "create_app"]

log = logging.getLogger(__name__)

MAX_SEARCH_K = 50
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
@dataclass
class _State:
    """What the routes share: the conversation layer, and the per-client rate limit."""

    session: Session
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(Rate(0)))


def _state(request: Request) -> _State:
    return request.app.state.kc  # type: ignore[no-any-return]


async def _session(request: Request) -> Session:
    """Async: nothing here waits, so FastAPI need not hand it to a worker thread (one hop per request)."""
    return _state(request).session


SessionDep = Annotated[Session, Depends(_session)]


async def _within_rate_limit(request: Request) -> None:
    """Count the request against its client address; raise `RateLimited` (429) past the limit.
    The count is a store transaction, run in a worker thread; with no limit there is nothing to count."""
    limiter = _state(request).limiter
    if limiter.rate.requests <= 0:
        return
    wait = await run_in_threadpool(limiter.wait_for, request.client.host if request.client else "")
    if wait > 0:
        rate, seconds = limiter.rate, math.ceil(wait)
        raise RateLimited(
            f"Bạn đã gửi quá nhiều yêu cầu (tối đa {rate.requests} yêu cầu trong {rate.seconds:g} giây). "
            f"Vui lòng thử lại sau {seconds} giây.",
            retry_after=seconds,
        )


def _default_conversations(settings: Settings) -> ConversationStore:
    """In memory for one worker; shared when `serve` started several (`<data_dir>/conversations.sqlite3`),
    or when KHUYENCONG_STORE_URL names a store that other processes or machines use too."""
    if settings.store.store_url:
        return SharedConversationStore(settings.store.store_url)
    if settings.server.workers > 1:
        return SharedConversationStore(settings.store.data_dir / "conversations.sqlite3")
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


def _ask_response(exchange: Exchange) -> AskResponse:
    answer = exchange.answer
    return AskResponse(
        answer=answer.answer,
        found=answer.found,
        citations=[_citation_out(c) for c in answer.citations],
        answer_id=exchange.answer_id or "",
        conversation_id=exchange.conversation_id,
        resolved_question=exchange.resolved_question,
    )


def _api_router() -> APIRouter:
    """The question and document routes, each counted against the client's rate limit."""
    router = APIRouter(responses={**ERROR_RESPONSES, **RATE_LIMIT_RESPONSE}, dependencies=[Depends(_within_rate_limit)])

    @router.post(
        "/ask",
        tags=["hỏi đáp"],
        summary="Hỏi một câu, nhận câu trả lời kèm trích dẫn",
        responses={404: {"model": ErrorResponse, "description": "Không có cuộc trò chuyện mã này, hoặc đã hết hạn"}},
    )
    def ask(body: AskRequest, session: SessionDep) -> AskResponse:
        """Trả lời từ tài liệu, luôn kèm nguồn; `found` = false khi tài liệu không có câu trả lời.
        Gửi lại `conversation_id` để hỏi tiếp ngắn gọn (“còn Đồng Nai thì sao?”); mã không có hoặc đã hết hạn
        (30 phút không hỏi) thì bị từ chối với 404 `conversation_unknown`."""
        filters = _filters(body.filters)
        return _ask_response(session.ask(body.question, filters=filters, conversation_id=body.conversation_id))

    @router.get("/search", tags=["hỏi đáp"], summary="Tìm các đoạn tài liệu liên quan")
    def search(
        session: SessionDep,
        q: Annotated[str, Query(description="Truy vấn", examples=["kinh phí KCQG 2022"])],
        k: Annotated[int, Query(ge=1, le=MAX_SEARCH_K, description="Số đoạn trả về")] = 5,
        province: Annotated[str | None, Query(max_length=100, description="Lọc theo tỉnh")] = None,
        kind: Annotated[DocumentKind | None, Query(description="Lọc theo loại tài liệu")] = None,
        year: Annotated[int | None, Query(ge=1900, le=2100, description="Lọc theo năm")] = None,
    ) -> list[HitOut]:
        """Các đoạn xếp hạng theo từ khóa + ngữ nghĩa, kèm điểm và hạng của từng cách tìm."""
        filters = _filters(FiltersIn(province=province, kind=kind, year=year))
        hits = session.assistant.search(q, k=k, filters=filters)
        return [HitOut(**h.to_dict(session.assistant.title_of(h.chunk.doc_id))) for h in hits]

    @router.get("/documents", tags=["tài liệu"], summary="Danh sách tài liệu đã lập chỉ mục")
    def documents(session: SessionDep) -> DocumentList:
        """Các mục của manifest: mã, tên, loại, số hiệu, cơ quan, tỉnh, ngày, năm, nguồn."""
        return DocumentList(documents=[DocumentInfo(**d) for d in session.assistant.documents()])

    @router.get("/kinds", tags=["tài liệu"], summary="Các loại tài liệu và tên gọi")
    def kinds() -> KindList:
        """Để dựng bộ lọc `kind` và ghi loại của mỗi tài liệu; không cần chỉ mục."""
        return KindList(kinds=[KindInfo(value=kind, label=kind.label) for kind in DocumentKind])

    @router.get(
        "/documents/{doc_id}",
        tags=["tài liệu"],
        summary="Toàn văn một tài liệu và vị trí các đoạn",
        responses={404: {"model": ErrorResponse, "description": "Không có tài liệu mã này"}},
    )
    def document(doc_id: str, session: SessionDep) -> DocumentText:
        """Để mở một trích dẫn trong ngữ cảnh: `text[start:end]` là đoạn được trích."""
        return DocumentText(**session.assistant.document(doc_id))

    @router.post(
        "/feedback",
        status_code=201,
        tags=["góp ý"],
        summary="Ghi 👍/👎 cho một câu trả lời",
        responses={404: {"model": ErrorResponse, "description": "Không có câu trả lời mã này"}},
    )
    def feedback(body: FeedbackRequest, session: SessionDep) -> FeedbackResponse:
        """Lưu bền vững (SQLite, WAL) trước khi trả lời."""
        row = session.vote(body.answer_id, body.helpful, body.comment, channel="api")
        return FeedbackResponse(id=row, answer_id=body.answer_id, helpful=body.helpful)

    return router


def _ops_router() -> APIRouter:
    """What monitoring polls: not rate-limited."""
    router = APIRouter(responses=ERROR_RESPONSES)

    @router.get("/health", tags=["vận hành"], summary="Tình trạng dịch vụ và chỉ mục")
    def health(session: SessionDep) -> Health:
        """Chỉ mục đã nạp chưa, số tài liệu, số đoạn, mô hình nhúng; 503 khi chưa có chỉ mục."""
        return Health(status="ok", **session.assistant.status())

    return router


def _page(name: str, status_code: int = 200) -> RangeFileResponse:
    return RangeFileResponse(STATIC_DIR / name, status_code=status_code, media_type="text/html", headers=PAGE_HEADERS)


def _page_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def chat_page(session: SessionDep) -> HTMLResponse:
        """The chat page, told the question length limit of this server (it warns past it, never cuts)."""
        html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
        limit = f'data-max-chars="{session.assistant.settings.answering.max_question_chars}"'
        return HTMLResponse(html.replace(MAX_CHARS_MARK, limit), headers=PAGE_HEADERS)

    @router.get("/doc")
    async def documents_page() -> RangeFileResponse:
        return _page("doc.html")

    @router.get("/doc/{doc_id}")
    def document_page(doc_id: str, session: SessionDep) -> RangeFileResponse:
        known = any(d.get("id") == doc_id for d in session.assistant.documents())
        return _page("doc.html", 200 if known else 404)

    return router


def _admin_page_router() -> APIRouter:
    """/admin: the staff page. It holds no data; every call it makes carries the token (web/admin.py)."""
    router = APIRouter(include_in_schema=False)

    @router.get(ADMIN_PAGE)
    async def admin_page() -> RangeFileResponse:
        return _page("admin.html")

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
* `GET /kinds` — các loại tài liệu (mã dùng cho bộ lọc `kind`) và tên gọi;
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
    {
        "name": "quản trị",
        "description": "Dành cho cán bộ (chỉ khi đặt KHUYENCONG_ADMIN_TOKEN; cần Authorization: Bearer)",
    },
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
        Store of given answers and votes; at KHUYENCONG_STORE_URL (default `<data_dir>/feedback.sqlite3`)
        with the settings' retention policy when omitted. The per-address rate limit counts in the same store.
    conversations:
        Follow-up memory; in memory, or shared through the store when `settings.server.workers` > 1 or
        KHUYENCONG_STORE_URL is set.
    answer_cache:
        Answers kept per process (0: none); `settings.answering.answer_cache` (KHUYENCONG_ANSWER_CACHE) when omitted.
    max_body_bytes:
        Larger request bodies are refused with 413.
    """
    assistant = assistant or Assistant(Settings.from_env())
    settings = assistant.settings
    server = settings.server
    feedback = FeedbackStore.for_settings(settings) if feedback is None else feedback
    session = Session(
        assistant,
        feedback=feedback,
        conversations=_default_conversations(settings) if conversations is None else conversations,
        answer_cache=settings.answering.answer_cache if answer_cache is None else answer_cache,
        answer_threads=0 if assistant.uses_llm() else server.answer_threads,  # an LLM call waits on the network
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
    app.state.kc = _State(session, RateLimiter(server.rate_limit, store=feedback.location))  # one budget for all
    app.include_router(_api_router())
    app.include_router(_ops_router())
    app.include_router(_page_router())
    app.include_router(_docs_router(app.title))
    for router in channel_routers(session):  # the chat channels' webhooks, when configured (plugins.py)
        app.include_router(router)
    larger: dict[str, int] = {}
    if server.admin_token:  # the staff area exists only when its token is set
        admin = admin_router(server.admin_token, assistant, feedback, app.state.kc.limiter)
        app.state.admin = admin.shared  # type: ignore[attr-defined]
        app.include_router(admin)
        app.include_router(_admin_page_router())
        larger[UPLOAD_PATH] = int(server.max_upload_mb * MB)
    app.mount("/static", RangeStaticFiles(directory=STATIC_DIR), name="static")
    app.mount(DOCS_ASSETS, RangeStaticFiles(directory=DOCS_ASSETS_DIR), name="docs-assets")
    install_error_handlers(app)
    app.add_middleware(BodyLimit, limit=max_body_bytes, larger=larger)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the index and the embedding model before the first question, not during it."""
    await run_in_threadpool(_warm_up, app.state.kc.session.assistant)
    yield


def _warm_up(assistant: Assistant) -> None:
    try:
        assistant.search("khuyến công", k=1)
    except AssistantError as error:
        log.warning("index not ready at start-up: %s", error.message)
