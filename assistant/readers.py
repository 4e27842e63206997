"""Read a document file (PDF, DOCX, HTML, plain text) or a URL into clean NFC text.

Each reader returns an `Extracted`; every failure becomes `DocumentUnreadable` with a
Vietnamese message that says what is wrong and what to do (run OCR, remove the
password, save as .docx, …). Library errors (pypdf, python-docx, httpx) are translated
here and nowhere else.
"""

from __future__ import annotations

import io
import logging
import re
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .config import StoreSettings
from .errors import DocumentUnreadable
from .layout import clean_pages
from .loading import strip_chrome
from .problems import network_problem
from .text import nfc

__all__ = [
    "BROKEN",
    "SUPPORTED_SUFFIXES",
    "Extracted",
    "FetchLimits",
    "detect_format",
    "fetch_url",
    "read_bytes",
    "table_lines",
]

SUPPORTED_SUFFIXES = (".pdf", ".docx", ".html", ".htm", ".txt", ".md")
FETCH_TIMEOUT = 30.0  # seconds, the whole download
MB = 1024 * 1024
FETCH_MAX_BYTES = 20 * MB
MIN_TEXT_CHARS = 20
log = logging.getLogger(__name__)
CELL_SEPARATOR = " | "

_UNSUPPORTED = {
    ".doc": "tệp Word cũ (.doc): hãy mở bằng Word/LibreOffice và lưu thành .docx",
    ".xls": "bảng tính Excel: hãy lưu nội dung thành .docx, .pdf hoặc .txt",
    ".xlsx": "bảng tính Excel: hãy lưu nội dung thành .docx, .pdf hoặc .txt",
    ".pptx": "bản trình chiếu: hãy xuất thành .pdf",
    ".png": "ảnh: hãy nhận dạng chữ (OCR) rồi thêm tệp PDF có lớp chữ hoặc .txt",
    ".jpg": "ảnh: hãy nhận dạng chữ (OCR) rồi thêm tệp PDF có lớp chữ hoặc .txt",
    ".jpeg": "ảnh: hãy nhận dạng chữ (OCR) rồi thêm tệp PDF có lớp chữ hoặc .txt",
}
_MAGIC = [
    (b"%PDF", "pdf"),
    (b"\x89PNG", ".png"),
    (b"\xff\xd8\xff", ".jpg"),
    (b"\xd0\xcf\x11\xe0", ".doc"),
]
BROKEN = {
    "pdf": "PDF bị hỏng hoặc không đầy đủ; hãy lấy lại bản gốc.",
    "docx": (
        "DOCX bị hỏng hoặc không đầy đủ; hãy lấy lại bản gốc, hoặc mở bằng Word/LibreOffice và lưu lại thành .docx."
    ),
}
OCR_HINT = (
    "PDF này không có lớp chữ (có thể là bản scan/ảnh chụp). Hãy nhận dạng chữ (OCR) trước, "
    "ví dụ `ocrmypdf -l vie tep.pdf tep-ocr.pdf`, rồi thêm tệp đã OCR."
)


@dataclass
class Extracted:
    """Text read from one source, with what the reader noticed on the way."""

    text: str
    format: str
    title_hint: str = ""
    warnings: list[str] = field(default_factory=list)


def detect_format(data: bytes, name: str, content_type: str = "") -> str:
    """ "pdf", "docx", "html" or "text"; raise `DocumentUnreadable` for anything else."""
    if not data.strip():
        raise DocumentUnreadable("tệp rỗng, không có nội dung.")
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return _supported(kind)
    suffix = Path(name.split("?")[0]).suffix.lower()
    if data.startswith(b"PK"):
        return _zip_format(data, suffix)
    if not content_type and suffix[1:] in BROKEN:  # a local .pdf/.docx whose bytes are not one: damaged
        raise DocumentUnreadable(BROKEN[suffix[1:]])
    head = data[:2048].lstrip().lower()
    if "html" in content_type or head.startswith((b"<!doctype html", b"<html")) or suffix in (".html", ".htm"):
        return "html"
    if suffix in _UNSUPPORTED:
        return _supported(suffix)
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DocumentUnreadable("định dạng không hỗ trợ (tệp nhị phân); chỉ nhận PDF, DOCX, HTML hoặc văn bản .txt.")
    return "text"


def _supported(kind: str) -> str:
    if kind in _UNSUPPORTED:
        raise DocumentUnreadable(f"định dạng không hỗ trợ — {_UNSUPPORTED[kind]}.")
    return kind


def _zip_format(data: bytes, suffix: str) -> str:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError) as exc:
        if suffix == ".docx":
            raise DocumentUnreadable(BROKEN["docx"]) from exc
        raise DocumentUnreadable("tệp nén bị hỏng hoặc không đầy đủ; hãy lấy lại bản gốc.") from exc
    if "word/document.xml" in names:
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return _supported(".xlsx")
    if any(n.startswith("ppt/") for n in names):
        return _supported(".pptx")
    if suffix == ".docx" or any(n.startswith("word/") for n in names):
        raise DocumentUnreadable(BROKEN["docx"])  # a Word package without its document part
    raise DocumentUnreadable(f"định dạng không hỗ trợ ({suffix or 'tệp nén'}); chỉ nhận PDF, DOCX, HTML hoặc .txt.")


def read_bytes(data: bytes, name: str, content_type: str = "") -> Extracted:
    """Extract clean NFC text from a document's bytes."""
    kind = detect_format(data, name, content_type)
    reader = {"pdf": _read_pdf, "docx": _read_docx, "html": _read_html, "text": _read_text}[kind]
    extracted = reader(data)
    extracted.text = nfc(extracted.text)
    if len(extracted.text.strip()) < MIN_TEXT_CHARS:
        if kind == "pdf":
            raise DocumentUnreadable(OCR_HINT)
        raise DocumentUnreadable("tệp không có nội dung chữ nào đọc được.")
    return extracted


# --------------------------------------------------------------------- PDF
def _read_pdf(data: bytes) -> Extracted:
    with _quiet_pypdf():
        return _read_pdf_pages(data)


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs and warns about every repair it attempts; the user gets one message from us instead."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _read_pdf_pages(data: bytes) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentUnreadable(
                "PDF được đặt mật khẩu. Hãy mở bằng mật khẩu và lưu (in) ra một bản PDF không mật khẩu."
            )
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentUnreadable:
        raise
    except (DependencyError, FileNotDecryptedError) as exc:
        raise DocumentUnreadable(
            "PDF được mã hóa theo cách cần thêm gói `cryptography` (pip install cryptography), "
            "hoặc hãy lưu (in) ra một bản PDF không mã hóa."
        ) from exc
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files
        log.info("unreadable PDF: %r", exc)
        raise DocumentUnreadable(BROKEN["pdf"]) from exc
    text = clean_pages(pages)
    if len(text.strip()) < MIN_TEXT_CHARS:
        raise DocumentUnreadable(OCR_HINT)
    warnings = []
    blank = sum(1 for page in pages if len(page.strip()) < MIN_TEXT_CHARS)
    if blank:
        warnings.append(
            f"{blank}/{len(pages)} trang không có chữ (có thể là ảnh scan); nội dung các trang đó bị thiếu."
        )
    return Extracted(text, "pdf", _pdf_title(reader), warnings)


def _pdf_title(reader: Any) -> str:
    try:
        title = (reader.metadata or {}).get("/Title") or ""
    except Exception:  # broken metadata is not worth failing over
        return ""
    return " ".join(str(title).split())


# -------------------------------------------------------------------- DOCX
def _read_docx(data: bytes) -> Extracted:
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError/ValueError/lxml errors on damaged files
        log.info("unreadable DOCX: %r", exc)
        raise DocumentUnreadable(BROKEN["docx"]) from exc
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(table_lines(_docx_rows(block)))
        else:
            lines.extend(block.text.split("\n"))
    warnings = []
    if document.element.body.xpath(".//w:numPr"):
        warnings.append("văn bản dùng đánh số tự động của Word; hãy kiểm tra số khoản/điểm trong tệp .txt đã thêm.")
    title = " ".join((document.core_properties.title or "").split())
    return Extracted(_join_lines(lines), "docx", title, warnings)


def _docx_rows(table: Any) -> list[list[str]]:
    rows: list[list[str]] = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if cell._tc is previous:  # a merged cell is returned once per grid column
                continue
            previous = cell._tc
            cells.append(cell.text)
        rows.append(cells)
    return rows


_LAYOUT_TABLE = re.compile(
    r"CỘNG HÒA XÃ HỘI CHỦ NGHĨA|CỘNG HOÀ XÃ HỘI CHỦ NGHĨA|Số\s*:|Nơi nhận|Độc lập", re.IGNORECASE
)


def table_lines(rows: list[list[str]]) -> list[str]:
    """A table as text lines: one "a | b | c" line per row, header row first.

    A borderless layout table (the document header with "Số:" and the national motto,
    or the signature block) is not data: its cells become plain lines, cell by cell.
    """
    cells = [[" ".join(c.split()) for c in row] for row in rows]
    if _LAYOUT_TABLE.search(" ".join(" ".join(row) for row in rows)):
        return [line.strip() for row in rows for cell in row for line in cell.split("\n") if line.strip()]
    return [CELL_SEPARATOR.join(row) for row in cells if any(row)]


def _join_lines(lines: list[str]) -> str:
    kept = [" ".join(line.split()) for line in lines]
    text = "\n".join(line for line in kept if line)
    return text + "\n" if text else ""


# -------------------------------------------------------------------- HTML
_DROP_TAGS = ("script", "style", "noscript", "nav", "aside", "form", "iframe", "svg", "button", "template", "select")
_CHROME_ATTR = re.compile(
    r"(^|[-_\s])(menu|nav|navbar|breadcrumbs?|sidebar|share|social|comments?|related|banner|adv?s?|advert|"
    r"counter|luot-?xem|view-?count|visitor|thong-?ke|login|search|pagination|tags|topbar)([-_\s]|$)",
    re.IGNORECASE,
)
_BLOCK_TAGS = (
    "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article",
    "main", "blockquote", "pre", "dd", "dt", "table", "center",
)  # fmt: skip


def _read_html(data: bytes) -> Extracted:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    title = " ".join((soup.title.get_text() if soup.title else "").split())
    root, page = _content_root(soup)
    text = _join_lines(page.text(root).split("\n"))
    return Extracted(strip_chrome(text) if text else "", "html", title)


# Where pages keep the article, most telling first: <article>, <main>, a "content" block.
_CONTENT_ROOTS: tuple[Callable[[Any], bool], ...] = (
    lambda tag: tag.name == "article",
    lambda tag: tag.name == "main",
    lambda tag: tag.get("itemprop") == "articleBody",
    lambda tag: tag.get("id") == "content",
    lambda tag: "content" in (tag.get("class") or ()),
    lambda tag: "noidung" in (tag.get("class") or ()),
    lambda tag: "detail" in (tag.get("class") or ()),
)


def _content_root(soup: Any) -> tuple[Any, _Page]:
    """The element holding the article (the first of the most telling kind with some text), else <body>
    without its header and footer; with how to read it. One pass over the tree finds every kind's first."""
    from bs4 import Tag

    firsts: list[Any] = [None] * len(_CONTENT_ROOTS)
    for node in soup.descendants:
        if isinstance(node, Tag):
            for i, matches in enumerate(_CONTENT_ROOTS):
                if firsts[i] is None and matches(node):
                    firsts[i] = node
    for found in firsts:
        if found is not None and len(found.get_text(strip=True)) >= MIN_TEXT_CHARS:
            return found, _Page(_DROP_TAGS)  # an article's own header (its title, its date) is kept
    return soup.body or soup, _Page((*_DROP_TAGS, "header", "footer"))


_BLOCK_END = object()  # yielded by `_Page.nodes` after the contents of a block tag


@dataclass(frozen=True)
class _Page:
    """Reads the text of an HTML tree, leaving out the `dropped` tags and the page chrome.

    The tree is only read, never changed, and `nodes` visits each node once (those of a
    table twice): reading is linear in the size of the page however deep it nests.
    (decompose() and insert_after() walk subtrees, and `tag.decomposed` on a Tag searches
    its subtree for a tag of that name: 10k nested tags took minutes.)
    """

    dropped: tuple[str, ...]

    def text(self, root: Any) -> str:
        """The visible text under `root`: blocks on their own lines, tables as "a | b" rows."""
        out: list[str] = []
        for node in self.nodes(root, stop=("table",)):
            name = getattr(node, "name", None)
            if node is _BLOCK_END or name == "br" or name in _BLOCK_TAGS:
                out.append("\n")
            if name == "table":
                out.append("\n".join(table_lines(self.table_rows(node))) + "\n")
            out.append(_visible(node))
        return "".join(out)

    def nodes(self, root: Any, stop: tuple[str, ...] = ()) -> Iterator[Any]:
        """The nodes under `root` in document order, without chrome; not those inside a tag named in `stop`."""
        from bs4 import Tag

        stack: list[Any] = list(reversed(root.contents))
        while stack:
            node = stack.pop()
            if isinstance(node, Tag):
                if self.is_chrome(node):
                    continue
                yield node
                if node.name in stop:
                    continue
                if node.name in _BLOCK_TAGS:
                    stack.append(_BLOCK_END)
                stack.extend(reversed(node.contents))
            else:
                yield node

    def is_chrome(self, tag: Any) -> bool:
        """Scripts, menus, share buttons, view counters: not the document."""
        if tag.name in self.dropped:
            return True
        names = " ".join([tag.get("id") or "", *(tag.get("class") or [])])
        return bool(names.strip()) and _CHROME_ATTR.search(names) is not None

    def table_rows(self, table: Any) -> list[list[str]]:
        """The cells of each row; a table nested in a cell is part of that cell's text."""
        return [
            [self.cell_text(cell) for cell in self.outermost(row, ("td", "th"))]
            for row in self.outermost(table, ("tr",))
        ]

    def outermost(self, root: Any, names: tuple[str, ...]) -> list[Any]:
        """The tags named `names` under `root`, not those inside another one."""
        return [node for node in self.nodes(root, stop=names) if getattr(node, "name", None) in names]

    def cell_text(self, cell: Any) -> str:
        """Every string of a cell on its own line (the cells of a layout table become lines)."""
        return "\n".join(text for text in map(_visible, self.nodes(cell)) if text)


def _visible(node: Any) -> str:
    """The text of a string node; tags, comments, doctypes and processing instructions have none."""
    from bs4.element import CData, NavigableString

    return str(node) if type(node) in (NavigableString, CData) else ""


# -------------------------------------------------------------------- text
def _read_text(data: bytes) -> Extracted:
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DocumentUnreadable("tệp văn bản không phải UTF-8; hãy lưu lại với mã hóa UTF-8.") from exc
    return Extracted(text.replace("\r\n", "\n").replace("\r", "\n"), "text")


# --------------------------------------------------------------------- URL
@dataclass(frozen=True)
class FetchLimits:
    """How long one URL download may take in all, and how large it may be."""

    seconds: float = FETCH_TIMEOUT
    max_bytes: int = FETCH_MAX_BYTES

    @classmethod
    def of(cls, store: StoreSettings) -> FetchLimits:
        """The limits set by KHUYENCONG_FETCH_TIMEOUT and KHUYENCONG_FETCH_MAX_MB."""
        return cls(store.fetch_timeout, int(store.fetch_max_mb * MB))

    def too_slow(self, url: str) -> DocumentUnreadable:
        return DocumentUnreadable(
            f"không tải được {url}: sau {_decimal(self.seconds)} giây vẫn chưa tải xong "
            "(giới hạn KHUYENCONG_FETCH_TIMEOUT). Hãy tải tệp về máy rồi thêm từ đĩa, hoặc đặt giới hạn lớn hơn."
        )

    def too_large(self, url: str) -> DocumentUnreadable:
        return DocumentUnreadable(
            f"không tải được {url}: tệp lớn hơn {_decimal(self.max_bytes / MB)} MB (giới hạn KHUYENCONG_FETCH_MAX_MB). "
            "Hãy tải tệp về máy, kiểm tra rồi thêm từ đĩa, hoặc đặt giới hạn lớn hơn."
        )


def _decimal(number: float) -> str:
    """0.5 as Vietnamese writes it: "0,5"."""
    return f"{number:g}".replace(".", ",")


def fetch_url(url: str, client: httpx.Client | None = None, limits: FetchLimits | None = None) -> tuple[bytes, str]:
    """Download `url` within `limits`; return (body, content type).

    The body is read as it arrives and given up as soon as it passes `limits.max_bytes`
    (or declares more) or the whole download passes `limits.seconds`; these and network
    and HTTP errors become `DocumentUnreadable` with a Vietnamese message.
    """
    limits = limits or FetchLimits()
    own = client is None
    http = client or httpx.Client(timeout=limits.seconds, follow_redirects=True)
    deadline = time.monotonic() + limits.seconds
    try:
        with http.stream("GET", url) as response:
            response.raise_for_status()
            declared = response.headers.get("content-length", "")
            if declared.isdecimal() and int(declared) > limits.max_bytes:
                raise limits.too_large(url)
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > limits.max_bytes:
                    raise limits.too_large(url)
                if time.monotonic() > deadline:
                    raise limits.too_slow(url)
            return bytes(body), response.headers.get("content-type", "")
    except httpx.TimeoutException as exc:
        raise limits.too_slow(url) from exc
    except httpx.HTTPStatusError as exc:
        raise DocumentUnreadable(f"không tải được {url}: {network_problem(exc)}. Kiểm tra lại địa chỉ.") from exc
    except httpx.HTTPError as exc:
        raise DocumentUnreadable(
            f"không tải được {url}: {network_problem(exc)}. Kiểm tra kết nối mạng, hoặc tải tệp về rồi thêm từ đĩa."
        ) from exc
    finally:
        if own:
            http.close()
