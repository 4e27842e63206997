"""The staff area: `/admin` (a page) and `/admin/api/*` (JSON), mounted only when KHUYENCONG_ADMIN_TOKEN is set.

Every `/admin/api` call carries `Authorization: Bearer <token>`, compared in constant time
(`hmac.compare_digest`); no cookie is set or read. A wrong or missing token is 401, and each
such attempt counts against the client's rate limit, so the token cannot be guessed quickly.
The page itself holds no data: it asks for the token and sends it with every call.

- documents: upload a PDF/DOCX/HTML/TXT (the raw file as the body, `?filename=`), or give a URL.
  First a preview job (`Assistant.preview`): the text read and its header recognised, checked
  against the corpus, nothing written; staff confirm (`POST jobs/{id}/confirm`) or cancel. The
  confirmed add is `Assistant.add`, the path of `khuyencong add`. Jobs run in the background and
  their progress (`/admin/api/jobs/{id}`) is in the feedback store, so any server process can
  report it. Size (KHUYENCONG_MAX_UPLOAD_MB) and type are checked before anything is written; the
  file is kept under a safe name in a private folder of the data directory until it is added or
  cancelled (a day at most). A failure leaves the corpus and the index as they were (the add is
  one transaction).
- index status: keyword side ready, vectors filled N of M;
- feedback review: the 👎 with question, answer, comment, channel and date; filters; CSV;
- unanswered questions: refusals grouped by wording (`FeedbackStore.unanswered`), marked handled.
"""

from __future__ import annotations

import csv
import datetime as dt
import hmac
import io
import logging
import re
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ..errors import AdminUnauthorized, AssistantError, BadUpload, NotFound, RateLimited
from ..facade import Assistant
from ..feedback import FeedbackStore
from ..ingest import AddResult, header_facts, relation_targets
from ..ratelimit import RateLimiter
from ..text import fold

__all__ = ["ADMIN_API", "ADMIN_PAGE", "UPLOAD_PATH", "UPLOAD_SUFFIXES", "admin_router", "safe_file_name"]

log = logging.getLogger(__name__)

ADMIN_PAGE = "/admin"
ADMIN_API = "/admin/api"
UPLOAD_PATH = f"{ADMIN_API}/documents/upload"
UPLOAD_SUFFIXES = (".pdf", ".docx", ".html", ".htm", ".txt")
MB = 1024 * 1024  # as readers.py counts a download
VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")  # dates shown and filtered in Vietnam's time (no DST)
UPLOADS = "uploads"  # <data_dir>/uploads/<preview job>/: a file from its upload until it is added or cancelled
UPLOAD_KEPT = 86400.0  # seconds an upload never confirmed is kept
STAGES = {"vectors": "Đang tạo vectơ ngữ nghĩa cho các đoạn mới"}
RUNNING = {
    "preview": "Đang đọc văn bản và nhận dạng phần đầu",
    "preview-url": "Đang tải và đọc văn bản",
    "add": "Đang thêm vào corpus và cập nhật chỉ mục",
    "remove": "Đang xóa khỏi corpus và cập nhật chỉ mục",
}
PREVIEWED = "Chưa ghi gì vào corpus. Kiểm tra những gì trợ lý nhận ra, rồi bấm “Thêm vào corpus” hoặc “Hủy”."
CSV_COLUMNS = ("ngày", "kênh", "câu hỏi", "câu trả lời", "góp ý", "mã câu trả lời")


class UrlIn(BaseModel):
    """A web page or file to add, by its address."""

    url: str = Field(max_length=2000, description="Địa chỉ http(s) của văn bản", examples=["https://…/van-ban.pdf"])


class HandledIn(BaseModel):
    """Mark a group of unanswered questions handled (or open it again)."""

    key: str = Field(max_length=2000, description="Khóa của nhóm câu hỏi (trường `key` trong danh sách)")
    handled: bool = True


# --------------------------------------------------------------------- auth
class _Admin:
    """What the admin routes share: the token, the session's assistant and store, the rate limiter."""

    def __init__(self, token: str, assistant: Assistant, store: FeedbackStore, limiter: RateLimiter) -> None:
        self.token = token.encode()
        self.assistant = assistant
        self.store = store
        self.limiter = limiter


def _admin(request: Request) -> _Admin:
    return request.app.state.admin  # type: ignore[no-any-return]


def require_token(request: Request) -> _Admin:
    """The dependency of every /admin/api route: the bearer token, compared in constant time."""
    admin = _admin(request)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), admin.token):
        return admin
    wait = admin.limiter.wait_for(f"admin:{request.client.host if request.client else ''}")
    if wait > 0:
        raise RateLimited("Đã thử sai mã quá nhiều lần. Vui lòng chờ rồi thử lại.", retry_after=max(1, round(wait)))
    raise AdminUnauthorized(
        "Cần mã quản trị: gửi tiêu đề Authorization: Bearer <mã> (mã đặt trong biến KHUYENCONG_ADMIN_TOKEN)."
        if not given
        else "Mã quản trị không đúng. Kiểm tra lại mã (biến KHUYENCONG_ADMIN_TOKEN của máy chủ)."
    )


AdminDep = Annotated[_Admin, Depends(require_token)]


# ------------------------------------------------------------------ uploads
def safe_file_name(name: str) -> str:
    """A name to keep an uploaded file under: no folders, only a-z 0-9 . _ -, a suffix that is read.

    Raises `BadUpload` for a type the assistant does not read.
    """
    base = re.split(r"[\\/]", name.strip())[-1]
    stem, dot, suffix = base.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in UPLOAD_SUFFIXES:
        raise BadUpload(
            f"Không nhận tệp “{base[:100]}”: chỉ nhận PDF (có lớp chữ), DOCX, HTML hoặc TXT. "
            "Tệp .doc cần lưu lại thành .docx; bản scan cần nhận dạng chữ (OCR) trước."
        )
    clean = re.sub(r"[^a-z0-9._-]+", "-", fold(stem)).strip("-._")[:80] or "van-ban"
    return clean + suffix


def _uploads(admin: _Admin) -> Path:
    return admin.assistant.settings.store.data_dir / UPLOADS


def _forget_old_uploads(admin: _Admin) -> None:
    """Uploads previewed but never confirmed nor cancelled, older than a day, are deleted."""
    root = _uploads(admin)
    if not root.is_dir():
        return
    for folder in root.iterdir():
        if folder.is_dir() and time.time() - folder.stat().st_mtime > UPLOAD_KEPT:
            shutil.rmtree(folder, ignore_errors=True)


def _uploaded_file(admin: _Admin, job_id: str) -> Path | None:
    """The file a preview job read (None when it was added, cancelled or forgotten since)."""
    if not re.fullmatch(r"[0-9a-f]{32}", job_id):
        return None
    folder = _uploads(admin) / job_id
    files = sorted(folder.iterdir()) if folder.is_dir() else []
    return files[0] if files else None


def _describe(result: AddResult) -> list[dict[str, Any]]:
    return [
        {
            "id": item.entry["id"],
            "title": item.entry["title"],
            "facts": [{"label": label, "value": value} for label, value in header_facts(item)],
            "warnings": item.warnings,
        }
        for item in result.added
    ]


Work = Callable[[Callable[[str, int, int], None]], Any]


class _Jobs:
    """Background previews, adds and removals, their progress written to the store as they go."""

    def __init__(self, admin: _Admin) -> None:
        self.admin = admin

    def start(self, action: str, source: str, work_for: Callable[[str], Work]) -> str:
        """A new job, running the work that `work_for(job id)` returns."""
        job_id = self.admin.store.create_job(action, source)
        thread = threading.Thread(
            target=self._run, args=(job_id, work_for(job_id)), name=f"admin-{action}", daemon=True
        )
        thread.start()
        return job_id

    def _run(self, job_id: str, work: Callable[[Callable[[str, int, int], None]], Any]) -> None:
        store = self.admin.store

        def progress(stage: str, done: int, total: int) -> None:
            store.update_job(job_id, stage=STAGES.get(stage, stage), done=done, total=total)

        job = store.job(job_id) or {}
        store.update_job(job_id, state="running", stage=RUNNING.get(job.get("action", ""), "Đang làm"))
        try:
            result = work(progress)
        except AssistantError as error:
            store.update_job(job_id, state="failed", stage="Không thực hiện được", message=error.message)
            return
        except Exception:
            log.exception("admin job %s failed", job_id)
            message = "Lỗi không mong đợi ở máy chủ; corpus và chỉ mục vẫn như trước. Xem nhật ký máy chủ."
            store.update_job(job_id, state="failed", stage="Không thực hiện được", message=message)
            return
        if result.get("confirm"):
            store.update_job(job_id, state="done", stage="Đã đọc xong: chờ xác nhận", message=PREVIEWED, result=result)
        else:
            store.update_job(
                job_id, state="done", stage="Xong", message="Corpus và chỉ mục đã cập nhật.", result=result
            )


def _previewing(admin: _Admin, source: str, folder: Path | None) -> Work:
    def work(progress: Callable[[str, int, int], None]) -> Any:
        try:
            result = admin.assistant.preview([source])
        except Exception:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)  # nothing to confirm
            raise
        return {"documents": _describe(result), "confirm": True}

    return work


def _adding(admin: _Admin, source: str, folder: Path | None) -> Work:
    def work(progress: Callable[[str, int, int], None]) -> Any:
        try:
            result = admin.assistant.add([source], progress=progress)
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        served = {d["id"] for d in admin.assistant.documents()}  # the index answers are computed on now
        documents = _describe(result)
        for document in documents:
            document["searchable"] = document["id"] in served
        return {"documents": documents}

    return work


def _removing(admin: _Admin, doc_id: str) -> Callable[[Callable[[str, int, int], None]], Any]:
    def work(progress: Callable[[str, int, int], None]) -> Any:
        entry, _report = admin.assistant.remove(doc_id, progress=progress)
        return {"removed": {"id": entry["id"], "title": entry["title"]}}

    return work


# ------------------------------------------------------------------ helpers
def _shown(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, VIETNAM).strftime("%Y-%m-%d %H:%M")


def _day_start(day: dt.date | None) -> float | None:
    return None if day is None else dt.datetime.combine(day, dt.time(), VIETNAM).timestamp()


def _index_status(admin: _Admin) -> dict[str, Any]:
    try:
        status = admin.assistant.status()
    except AssistantError as error:
        corpus = len(admin.assistant.corpus())
        limit = admin.assistant.settings.server.max_upload_mb
        return {"index_loaded": False, "message": error.message, "corpus_documents": corpus, "max_upload_mb": limit}
    embedding = status.get("embedding")
    return {
        **status,
        "keyword_ready": True,
        "vectors_expected": status["chunks"] if embedding and embedding != "none" else 0,
        "corpus_documents": len(admin.assistant.corpus()),
        "max_upload_mb": admin.assistant.settings.server.max_upload_mb,
    }


def _feedback_rows(
    admin: AdminDep,
    since: dt.date | None = None,
    until: dt.date | None = None,
    channel: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> list[dict[str, Any]]:
    """The 👎 answers the filters select (the query of /feedback and /feedback.csv alike)."""
    end = _day_start(until + dt.timedelta(days=1)) if until else None
    rows = admin.store.unhelpful(_day_start(since), end, channel or None, q)
    for row in rows:
        row["date"] = _shown(row["created"])
    return rows


FeedbackRows = Annotated[list[dict[str, Any]], Depends(_feedback_rows)]


def _confirmable(admin: _Admin, job_id: str) -> dict[str, Any]:
    """A preview job that finished and was neither confirmed nor cancelled yet."""
    job = admin.store.job(job_id)
    if job is None or job["action"] not in ("preview", "preview-url"):
        raise NotFound(f"Không có bản xem trước mã '{job_id}'.")
    if job["state"] != "done":
        raise BadUpload(
            "Bản xem trước này chưa xong, không đọc được, hoặc đã được thêm hay hủy. Hãy tải lên lại nếu cần."
        )
    return job


# ------------------------------------------------------------------- router
def admin_router(token: str, assistant: Assistant, store: FeedbackStore, limiter: RateLimiter) -> APIRouter:
    """The /admin/api routes, each behind the bearer token (`require_token`)."""
    router = APIRouter(prefix=ADMIN_API, tags=["quản trị"], dependencies=[Depends(require_token)])
    shared = _Admin(token, assistant, store, limiter)
    jobs = _Jobs(shared)

    @router.get("/status", summary="Tình trạng chỉ mục: phía từ khóa, số vectơ đã có trên tổng số")
    def status(admin: AdminDep) -> dict[str, Any]:
        return _index_status(admin)

    @router.get("/documents", summary="Các tài liệu trong corpus (kể cả chưa lập chỉ mục)")
    def documents(admin: AdminDep) -> dict[str, Any]:
        try:
            served = {d["id"] for d in admin.assistant.documents()}
        except AssistantError:
            served = set()
        entries = admin.assistant.corpus()
        for entry in entries:
            entry["indexed"] = entry["id"] in served
            entry["relations"] = [{"label": label, "target": target} for label, target in relation_targets(entry)]
        return {"documents": entries}

    @router.post("/documents/upload", status_code=202, summary="Tải lên một tệp PDF/DOCX/HTML/TXT (nội dung là tệp)")
    async def upload(
        request: Request,
        admin: AdminDep,
        filename: Annotated[str, Query(min_length=1, max_length=255, description="Tên tệp gốc")],
    ) -> dict[str, Any]:
        name = safe_file_name(filename)
        data = await request.body()  # BodyLimit has refused a body over KHUYENCONG_MAX_UPLOAD_MB already
        limit = admin.assistant.settings.server.max_upload_mb
        if len(data) > limit * MB:
            raise BadUpload(f"Tệp quá lớn (tối đa {limit:g} MB).", too_large=True)
        if not data:
            raise BadUpload("Tệp rỗng: hãy chọn lại tệp văn bản.")

        def preview(job_id: str) -> Work:
            folder = _uploads(admin) / job_id
            folder.mkdir(parents=True, mode=0o700)
            (folder / name).write_bytes(data)
            return _previewing(admin, str(folder / name), folder)

        def start() -> str:  # disk and SQLite writes: off the event loop
            _forget_old_uploads(admin)
            return jobs.start("preview", filename[:255], preview)

        return {"job": await run_in_threadpool(start)}

    @router.post("/documents/url", status_code=202, summary="Đọc trước một văn bản từ địa chỉ web")
    def add_url(body: UrlIn, admin: AdminDep) -> dict[str, Any]:
        url = body.url.strip()
        if not re.match(r"^https?://[^\s/]+", url, re.IGNORECASE):
            raise BadUpload("Địa chỉ phải bắt đầu bằng http:// hoặc https://, ví dụ https://…/van-ban.pdf.")
        return {"job": jobs.start("preview-url", url, lambda _job_id: _previewing(admin, url, None))}

    @router.post("/jobs/{job_id}/confirm", status_code=202, summary="Thêm văn bản đã xem trước vào corpus và chỉ mục")
    def confirm(job_id: str, admin: AdminDep) -> dict[str, Any]:
        previewed = _confirmable(admin, job_id)
        if previewed["action"] == "preview-url":
            admin.store.update_job(job_id, state="confirmed")
            return {
                "job": jobs.start("add", previewed["source"], lambda _id: _adding(admin, previewed["source"], None))
            }
        path = _uploaded_file(admin, job_id)
        if path is None:
            raise BadUpload("Tệp của bản xem trước này không còn (đã thêm, đã hủy hoặc quá một ngày). Hãy tải lên lại.")
        admin.store.update_job(job_id, state="confirmed")
        return {"job": jobs.start("add", previewed["source"], lambda _id: _adding(admin, str(path), path.parent))}

    @router.post("/jobs/{job_id}/cancel", summary="Bỏ một văn bản đã xem trước (không thêm gì)")
    def cancel(job_id: str, admin: AdminDep) -> dict[str, Any]:
        _confirmable(admin, job_id)
        path = _uploaded_file(admin, job_id)
        if path is not None:
            shutil.rmtree(path.parent, ignore_errors=True)
        admin.store.update_job(job_id, state="cancelled", stage="Đã hủy", message="Không thêm gì vào corpus.")
        return {"job": job_id, "state": "cancelled"}

    @router.delete("/documents/{doc_id}", status_code=202, summary="Xóa một tài liệu khỏi corpus và chỉ mục")
    def remove(doc_id: str, admin: AdminDep) -> dict[str, Any]:
        if not any(e["id"] == doc_id for e in admin.assistant.corpus()):
            raise NotFound(f"Không có tài liệu mã '{doc_id}' trong corpus.")
        return {"job": jobs.start("remove", doc_id, lambda _id: _removing(admin, doc_id))}

    @router.get("/jobs/{job_id}", summary="Tiến trình một lần thêm hoặc xóa")
    def job(job_id: str, admin: AdminDep) -> dict[str, Any]:
        found = admin.store.job(job_id)
        if found is None:
            raise NotFound(f"Không có việc mã '{job_id}'.")
        return found

    @router.get("/feedback", summary="Các câu trả lời bị đánh giá 👎 (lọc theo ngày, kênh, chữ)")
    def feedback(rows: FeedbackRows) -> dict[str, Any]:
        return {"count": len(rows), "items": rows}

    @router.get("/feedback.csv", summary="Như /feedback, dạng CSV (UTF-8, mở được bằng Excel)")
    def feedback_csv(rows: FeedbackRows) -> Response:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            writer.writerow(
                [row["date"], row["channel"], row["question"], row["answer"], row["comment"], row["answer_id"]]
            )
        headers = {"Content-Disposition": 'attachment; filename="gop-y-chua-huu-ich.csv"'}
        return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)

    @router.get("/unanswered", summary="Câu hỏi trợ lý đã từ chối, gộp theo cách hỏi, mới nhất trước")
    def unanswered(admin: AdminDep, since: dt.date | None = None, include_handled: bool = False) -> dict[str, Any]:
        groups = admin.store.unanswered(_day_start(since))
        if not include_handled:
            groups = [g for g in groups if g["handled"] is None]
        for group in groups:
            group.update(first_date=_shown(group["first"]), last_date=_shown(group["last"]))
            group["handled_date"] = _shown(group["handled"]) if group["handled"] else None
        return {"count": len(groups), "groups": groups}

    @router.post("/unanswered/handled", summary="Đánh dấu một nhóm câu hỏi đã xử lý (hoặc mở lại)")
    def handled(body: HandledIn, admin: AdminDep) -> dict[str, Any]:
        admin.store.mark_handled(body.key, body.handled)
        return {"key": body.key, "handled": body.handled}

    router.shared = shared  # type: ignore[attr-defined]  # create_app puts it in app.state
    return router
