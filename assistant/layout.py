"""Undo what a page layout does to a text: running headers, page numbers, hard line wraps.

Text taken out of a PDF comes page by page, each page starting and ending with the
same running header or footer and a page number, and with every sentence cut where
the printed line ended. `clean_pages` turns such pages back into one text with one
line per paragraph, clause ("1.") or point ("a)"), never joining a structural line
(Chương, Mục, Điều N., 1., a), Phụ lục, a table row) to the line before it.
"""

from __future__ import annotations

import re
from collections import Counter

from .text import nfc

__all__ = ["clean_pages", "is_page_number", "rejoin_lines", "starts_block"]

_EDGE_LINES = 2  # running headers and footers sit within this many lines of a page edge
_REPEATED_SHARE = 0.5  # ... and on at least this share of the pages
_FULL_LINE_SHARE = 0.8  # a line this close to the longest lines was cut by the layout

_PAGE_NUMBER = re.compile(
    r"^(?:[-–—]\s*)?(?:(?:trang|page)\s+)?\d{1,4}(?:\s*(?:/|của|of)\s*\d{1,4})?(?:\s*[-–—])?$", re.IGNORECASE
)
_BLOCK_START = re.compile(
    r"^(?:"
    r"(?:Phần|PHẦN|Chương|CHƯƠNG|Mục|MỤC)\s+(?:[IVXLC]+|\d+|thứ\s)"
    r"|Điều\s+\d+[a-z]?\s*[.:]"
    r"|(?:Phụ lục|PHỤ LỤC)\b"
    r"|\d+(?:\.\d+)*\.\s"
    r"|[IVX]+\.\s"
    r"|[a-zđ]\)\s"
    r"|[-+•*–]\s"
    r"|(?:Căn cứ|Theo đề nghị|Xét đề nghị|Nơi nhận|Số\s*:|V/v)\b"
    r")"
)
_SENTENCE_END = re.compile(r"[.;:!?…]['\"”’)]*$")


def is_page_number(line: str) -> bool:
    """True for "3", "- 3 -", "Trang 3", "Trang 3/10", "3 of 10"."""
    return bool(_PAGE_NUMBER.match(line.strip()))


def starts_block(line: str) -> bool:
    """True when `line` opens a unit of its own (heading, article, clause, point, list item, table row)."""
    bare = line.lstrip("“\"'‘(")
    aside = line.startswith("(") and line.endswith(")")  # "(Ban hành kèm theo …)" under a title
    return bool(_BLOCK_START.match(bare)) or aside or " | " in line or _is_caps(line)


def clean_pages(pages: list[str]) -> str:
    """One text from PDF pages: NFC, no running header/footer or page number, wrapped lines rejoined."""
    page_lines = [[" ".join(line.split()) for line in nfc(page).split("\n") if line.strip()] for page in pages]
    running = _running_lines(page_lines)
    lines: list[str] = []
    for page in page_lines:
        lines.extend(line for i, line in enumerate(page) if not _is_page_chrome(line, i, len(page), running))
    return "\n".join(rejoin_lines(lines)) + "\n" if lines else ""


def _shape(line: str) -> str:
    """A line with its digits blurred, so "Trang 2" and "Trang 3" count as one running line."""
    return re.sub(r"\d+", "#", " ".join(line.split())).lower()


def _running_lines(pages: list[list[str]]) -> set[str]:
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        edges = lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]
        counts.update({_shape(line) for line in edges})
    needed = max(2, round(_REPEATED_SHARE * len(pages) + 0.49))
    return {shape for shape, count in counts.items() if count >= needed}


def _is_page_chrome(line: str, position: int, total: int, running: set[str]) -> bool:
    at_edge = position < _EDGE_LINES or position >= total - _EDGE_LINES
    return at_edge and (is_page_number(line) or _shape(line) in running)


def rejoin_lines(lines: list[str]) -> list[str]:
    """Join lines that the layout cut inside a sentence (and words cut by a hyphen)."""
    lengths = sorted(len(line) for line in lines)
    full = lengths[int(0.9 * (len(lengths) - 1))] if lengths else 0
    out: list[str] = []
    for line in lines:
        if out and _continues(out[-1], line, full):
            out[-1] = _join(out[-1], line)
        else:
            out.append(line)
    return out


def _continues(previous: str, line: str, full: int) -> bool:
    """Whether `line` carries on the sentence that `previous` left unfinished."""
    if starts_block(line) or _is_caps(previous) or _SENTENCE_END.search(previous):
        return False
    if previous.endswith("-") or line[0].islower():
        return True
    if re.match(r"^Điều\s+\d+", previous):
        return False  # an article title is followed by its own text
    return len(previous) >= _FULL_LINE_SHARE * full


def _join(previous: str, line: str) -> str:
    if previous.endswith("-") and len(previous) > 1 and previous[-2].isalpha():
        return previous[:-1] + line if line[0].islower() else previous + line
    return f"{previous} {line}"


def _is_caps(line: str) -> bool:
    letters = [ch for ch in line if ch.isalpha()]
    return len(letters) >= 4 and all(ch.isupper() for ch in letters)
