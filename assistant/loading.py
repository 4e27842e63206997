"""Load the corpus: read `manifest.json`, check it against the files, return documents."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import CorpusError, DocumentUnreadable
from .problems import os_problem
from .text import nfc
from .types import DocumentKind, DocumentRecord

__all__ = ["MANIFEST_NAME", "CorpusReport", "load_corpus", "read_manifest", "strip_chrome"]

MANIFEST_NAME = "manifest.json"
DOCUMENT_SUFFIXES = (".txt", ".md")
_KNOWN_FIELDS = {"id", "file", "title", "kind", "number", "issuer", "province", "date", "year", "source"}
_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,80}$")

# Lines that web pages add around an article and that are not part of the document.
_CHROME_LINES = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^truy cập nội dung luôn$",
        r"^(lượt xem|số lượt xem|lượt truy cập)\s*:?\s*[\d.,]+$",
        r"^(đang truy cập|tổng truy cập|hôm nay|hôm qua|trong tuần|trong tháng)\s*:?\s*[\d.,]+$",
        r"^thống kê truy cập$",
        r"^chung nhan tin nhiem mang$",
        r"^(chia sẻ|in bài|in trang|bản in|gửi bài|quay lại|về đầu trang|xem thêm|tin liên quan|tin khác)$",
        r"^(zalo|facebook|twitter|news_detail-news)$",
        r"^https?://\S+$",
        r".*\.(png|jpe?g|gif|svg)$",
    )
]


@dataclass
class CorpusReport:
    """Documents loaded from a corpus folder and the problems found on the way."""

    documents: list[DocumentRecord] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)
    unlisted_files: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)

    def problems(self) -> list[str]:
        """Vietnamese lines describing each inconsistency (empty when all is well)."""
        lines = [f"Tệp {name} có trong manifest nhưng không có trong thư mục." for name in self.missing_files]
        lines += [
            f"Tệp {name} có trong thư mục nhưng chưa có mục nào trong {MANIFEST_NAME}: thêm một mục cho nó."
            for name in self.unlisted_files
        ]
        lines += [f"Không đọc được tệp {name}: {why}" for name, why in self.unreadable.items()]
        return lines


def read_manifest(corpus_dir: Path) -> list[dict[str, Any]]:
    """Return the manifest entries, validated; raise `CorpusError` with the reason otherwise."""
    path = corpus_dir / MANIFEST_NAME
    if not path.is_file():
        raise CorpusError(f"Không tìm thấy {path}. Thư mục tài liệu cần một tệp {MANIFEST_NAME}.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CorpusError(f"Không đọc được {path} ({os_problem(exc)}).") from exc
    except UnicodeDecodeError as exc:
        raise CorpusError(f"Tệp {path} không phải UTF-8; hãy lưu lại với mã hóa UTF-8.") from exc
    except json.JSONDecodeError as exc:
        raise CorpusError(f"Tệp {path} không phải JSON hợp lệ (dòng {exc.lineno}, cột {exc.colno}).") from exc
    entries = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise CorpusError(f'Tệp {path} phải có dạng {{"documents": [...]}}.')
    _validate_entries(entries, path)
    return entries


def _validate_entries(entries: list[Any], path: Path) -> None:
    seen: set[str] = set()
    for position, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise CorpusError(f"Mục thứ {position} trong {path} không phải một đối tượng JSON.")
        for key in ("id", "file", "title", "kind"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise CorpusError(f"Mục thứ {position} trong {path} thiếu trường '{key}'.")
        doc_id = entry["id"]
        if not _ID_PATTERN.match(doc_id):
            raise CorpusError(
                f"Mã tài liệu '{doc_id}' không hợp lệ: chỉ dùng chữ thường không dấu, số, '-', '_' hoặc '.'."
            )
        if doc_id in seen:
            raise CorpusError(f"Mã tài liệu '{doc_id}' bị lặp trong {path}.")
        if DocumentKind.parse(entry["kind"]) is None:
            raise CorpusError(
                f"Tài liệu '{doc_id}' có kind '{entry['kind']}' không hợp lệ; chọn một trong: {DocumentKind.choices()}."
            )
        seen.add(doc_id)


def load_corpus(corpus_dir: Path) -> CorpusReport:
    """Read every manifest entry's file (NFC) and list files and entries that do not match."""
    report = CorpusReport()
    entries = read_manifest(corpus_dir)
    listed = {entry["file"] for entry in entries}
    for entry in entries:
        path = corpus_dir / entry["file"]
        if not path.is_file():
            report.missing_files.append(entry["file"])
            continue
        try:
            text = read_text_file(path)
        except DocumentUnreadable as exc:
            report.unreadable[entry["file"]] = exc.message
            continue
        report.documents.append(_record(entry, text))
    on_disk = {p.name for p in corpus_dir.iterdir() if p.is_file() and p.suffix in DOCUMENT_SUFFIXES}
    report.unlisted_files = sorted(on_disk - listed)
    return report


def read_text_file(path: Path) -> str:
    """Read a UTF-8 text document as NFC; raise `DocumentUnreadable` on failure."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentUnreadable(f"không mở được ({os_problem(exc)}).") from exc
    if b"\x00" in raw:
        raise DocumentUnreadable("đây không phải tệp văn bản (có byte NUL).")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentUnreadable("tệp không phải UTF-8; hãy lưu lại với mã hóa UTF-8.") from exc
    text = nfc(text).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DocumentUnreadable("tệp rỗng.")
    return text


def _record(entry: dict[str, Any], text: str) -> DocumentRecord:
    extra = {k: v for k, v in entry.items() if k not in _KNOWN_FIELDS}
    year = entry.get("year")
    return DocumentRecord(
        id=entry["id"],
        file=entry["file"],
        title=nfc(entry["title"]),
        kind=DocumentKind(entry["kind"]),
        text=text,
        number=entry.get("number"),
        issuer=entry.get("issuer"),
        province=entry.get("province"),
        date=entry.get("date"),
        year=int(year) if year is not None else None,
        source=entry.get("source"),
        extra=extra,
    )


def strip_chrome(text: str) -> str:
    """Remove web page chrome lines (view counters, logos, share buttons) from an article."""
    kept = [line for line in text.split("\n") if not _is_chrome(line.strip())]
    cleaned = "\n".join(kept)
    return re.sub(r"\n{3,}", "\n\n", cleaned).strip("\n") + "\n"


def _is_chrome(line: str) -> bool:
    return bool(line) and any(p.match(line) for p in _CHROME_LINES)
