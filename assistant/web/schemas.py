"""Request and response models of the HTTP API, with the Vietnamese texts of the OpenAPI document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from ..feedback import MAX_COMMENT_CHARS
from ..types import DocumentKind

__all__ = [
    "ERROR_RESPONSES",
    "RATE_LIMIT_RESPONSE",
    "AskRequest",
    "AskResponse",
    "ChunkInfo",
    "CitationOut",
    "DocumentInfo",
    "DocumentKind",
    "DocumentList",
    "DocumentText",
    "ErrorBody",
    "ErrorResponse",
    "FeedbackRequest",
    "FeedbackResponse",
    "FiltersIn",
    "Health",
    "HitOut",
    "KindInfo",
    "KindList",
]

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


class FiltersIn(BaseModel):
    """Restrict the search to documents whose manifest fields match."""

    province: str | None = Field(None, max_length=100, description="Tên tỉnh/thành", examples=["Đồng Nai"])
    kind: DocumentKind | None = Field(None, description="Loại tài liệu", examples=["report"])
    year: int | None = Field(None, ge=1900, le=2100, description="Năm của tài liệu", examples=[2023])


class AskRequest(BaseModel):
    """A question, optionally inside a conversation."""

    question: str = Field(
        description="Câu hỏi tiếng Việt (có dấu hoặc không dấu)", examples=["hạn đăng ký kế hoạch khuyến công quốc gia"]
    )
    filters: FiltersIn | None = Field(None, description="Chỉ tìm trong các tài liệu khớp bộ lọc")
    conversation_id: str | None = Field(
        None,
        pattern=ID_PATTERN,
        description=(
            "Mã cuộc trò chuyện (lấy từ câu trả lời trước) để hỏi tiếp kiểu “còn Đồng Nai thì sao?”; "
            "mã không có hoặc đã hết hạn (30 phút không hỏi): 404 `conversation_unknown`"
        ),
        examples=["3f2b9c0d5e8a4b7c9d1e2f3a4b5c6d7e"],
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"question": "Hạn đăng ký kế hoạch khuyến công quốc gia năm 2024 là ngày nào?"},
                {"question": "kinh phi hoi cho", "filters": {"province": "Đồng Nai", "year": 2023}},
                {"question": "còn An Giang thì sao?", "conversation_id": "3f2b9c0d5e8a4b7c9d1e2f3a4b5c6d7e"},
            ]
        }
    )


class CitationOut(BaseModel):
    """A cited passage: which document, where in it, the exact words."""

    doc_id: str = Field(description="Mã tài liệu", examples=["cv-400-ctdp-qlkc-2024"])
    title: str = Field(description="Tên tài liệu")
    locator: str = Field(description="Vị trí trong tài liệu", examples=["đoạn 14", "Điều 4, khoản 2"])
    quote: str = Field(description="Nguyên văn câu được trích")
    score: float = Field(description="Độ tin cậy (0–1)")
    start: int = Field(description="Vị trí ký tự bắt đầu đoạn trích trong văn bản")
    end: int = Field(description="Vị trí ký tự kết thúc đoạn trích trong văn bản")
    url: str = Field(
        description="Trang xem đoạn trích trong văn bản", examples=["/doc/cv-400-ctdp-qlkc-2024?start=3250&end=3447"]
    )


class AskResponse(BaseModel):
    """The answer (same fields as `khuyencong ask --json`) plus ids for feedback and follow-ups."""

    answer: str = Field(description="Câu trả lời, có số thứ tự nguồn [1], [2]…")
    found: bool = Field(description="false khi tài liệu không có câu trả lời")
    citations: list[CitationOut] = Field(description="Các đoạn trích làm căn cứ, theo số thứ tự")
    answer_id: str = Field(description="Mã câu trả lời, dùng cho POST /feedback")
    conversation_id: str = Field(description="Mã cuộc trò chuyện, gửi lại để hỏi tiếp")
    resolved_question: str | None = Field(
        None, description="Câu hỏi đầy đủ mà trợ lý đã hiểu, khi câu hỏi tiếp được viết lại"
    )


class FeedbackRequest(BaseModel):
    """👍/👎 on an answer."""

    answer_id: str = Field(pattern=ID_PATTERN, description="Mã câu trả lời từ POST /ask")
    helpful: StrictBool = Field(description="true: hữu ích 👍, false: chưa hữu ích 👎 (chỉ true/false JSON)")
    comment: str | None = Field(None, description=f"Góp ý thêm (tối đa {MAX_COMMENT_CHARS} ký tự)")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"answer_id": "9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f", "helpful": False, "comment": "Thiếu hạn nộp"}
            ]
        }
    )


class FeedbackResponse(BaseModel):
    """The stored feedback row."""

    id: int = Field(description="Số thứ tự góp ý")
    answer_id: str
    helpful: bool


class ErrorBody(BaseModel):
    """What went wrong, for people (message) and programs (code)."""

    code: str = Field(description="Mã lỗi cố định", examples=["bad_question"])
    message: str = Field(description="Thông báo tiếng Việt, nói bước tiếp theo")
    details: list[str] = Field(default_factory=list, description="Chi tiết từng trường sai (nếu có)")


class ErrorResponse(BaseModel):
    """Every error response has this shape."""

    error: ErrorBody


class HitOut(BaseModel):
    """A ranked chunk of a document."""

    chunk_id: str
    doc_id: str
    title: str
    locator: str
    text: str
    score: float
    lexical_rank: int | None = Field(description="Hạng theo từ khóa")
    dense_rank: int | None = Field(description="Hạng theo ngữ nghĩa")


class DocumentInfo(BaseModel):
    """A manifest entry (more fields may follow, e.g. number, issuer, province, date)."""

    id: str
    title: str
    kind: DocumentKind
    model_config = ConfigDict(extra="allow")


class DocumentList(BaseModel):
    """The indexed documents, as in corpus/manifest.json."""

    documents: list[DocumentInfo]


class KindInfo(BaseModel):
    """A document kind and how people read it."""

    value: DocumentKind = Field(description="Mã loại, dùng cho bộ lọc `kind`", examples=["report"])
    label: str = Field(description="Tên loại tài liệu", examples=["Báo cáo"])


class KindList(BaseModel):
    """Every document kind, in the order the pages list them."""

    kinds: list[KindInfo]


class ChunkInfo(BaseModel):
    """Where one chunk of the document lies."""

    id: str
    locator: str
    start: int
    end: int


class DocumentText(DocumentInfo):
    """A document's manifest fields, its full text and its chunks."""

    text: str = Field(description="Toàn văn (NFC)")
    chunks: list[ChunkInfo] = Field(description="Các đoạn, với vị trí ký tự trong `text`")


class Health(BaseModel):
    """The service is up and the index is loaded."""

    status: Literal["ok"]
    index_loaded: bool
    documents: int
    chunks: int
    embedding: Any = Field(description="Mô hình nhúng của chỉ mục")
    model_config = ConfigDict(extra="allow")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Câu hỏi hoặc JSON không hợp lệ"},
    413: {"model": ErrorResponse, "description": "Nội dung gửi lên quá lớn"},
    422: {"model": ErrorResponse, "description": "Sai kiểu hoặc thiếu trường"},
    503: {"model": ErrorResponse, "description": "Chưa có chỉ mục hoặc chỉ mục đang được xây dựng"},
}
RATE_LIMIT_RESPONSE: dict[int | str, dict[str, Any]] = {
    429: {
        "model": ErrorResponse,
        "description": "Quá nhiều yêu cầu từ một địa chỉ (KHUYENCONG_RATE_LIMIT); chờ số giây ở tiêu đề Retry-After",
        "headers": {"Retry-After": {"description": "Số giây cần chờ", "schema": {"type": "integer"}}},
    }
}
