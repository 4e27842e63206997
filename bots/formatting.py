"""Channel-neutral messages: lines (some bold), rendered as plain text or Telegram HTML, split to fit.

Splitting works on the visible text, before any markup: a chat service counts the limit
(Telegram 4096, Zalo 2000) after parsing entities, so `&amp;` is one character. A message is
cut between lines where possible; a line too long for one message is cut after a sentence,
else at a space, and only as a last resort inside a word. Nothing but the whitespace at a cut
is dropped.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

__all__ = ["Line", "measure", "render_html", "render_plain", "split_message"]

_SENTENCE_END = re.compile(r"[.!?;:…”\"')\]](?=\s)")
_SPACE = re.compile(r"\s")


@dataclass(frozen=True)
class Line:
    """One line of a message; `bold` lines are emphasised where the channel can."""

    text: str
    bold: bool = False


def measure(text: str) -> int:
    """Length as chat services count it (UTF-16 code units: an emoji may count 2)."""
    return len(text.encode("utf-16-le")) // 2


def render_plain(lines: list[Line]) -> str:
    """Plain text (Zalo, logs)."""
    return "\n".join(line.text for line in lines)


def render_html(lines: list[Line]) -> str:
    """Telegram HTML parse mode: only < > & need escaping; bold lines in <b>."""
    parts = [html.escape(line.text, quote=False) for line in lines]
    return "\n".join(f"<b>{part}</b>" if line.bold and part else part for line, part in zip(lines, parts))


def split_message(lines: list[Line], limit: int) -> list[list[Line]]:
    """Group lines into messages whose visible text is at most `limit` long."""
    messages: list[list[Line]] = []
    current: list[Line] = []
    size = 0
    for piece in (p for line in lines for p in _fit(line, limit)):
        extra = measure(piece.text) + (1 if current else 0)
        if current and size + extra > limit:
            messages.append(current)
            current, size = [], 0
        if not current and not piece.text.strip():
            continue  # no message starts with a blank line
        current.append(piece)
        size += measure(piece.text) + (1 if len(current) > 1 else 0)
    if current:
        messages.append(current)
    return [_trim_blank_end(m) for m in messages]


def _trim_blank_end(lines: list[Line]) -> list[Line]:
    while lines and not lines[-1].text.strip():
        lines = lines[:-1]
    return lines


def _fit(line: Line, limit: int) -> list[Line]:
    """Cut one line into pieces of at most `limit`."""
    pieces: list[Line] = []
    text = line.text
    while measure(text) > limit:
        cut = _cut_point(text, limit)
        pieces.append(Line(text[:cut].rstrip(), line.bold))
        text = text[cut:].lstrip()
    pieces.append(Line(text, line.bold))
    return pieces


def _cut_point(text: str, limit: int) -> int:
    """Where to cut `text` so that the head fits: after a sentence, else at a space, else anywhere."""
    room = _chars_within(text, limit)
    window = text[:room]
    floor = room // 2  # do not leave a tiny head when a later break exists
    ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() >= floor]
    if ends:
        return ends[-1]
    spaces = [m.start() for m in _SPACE.finditer(window) if m.start() > 0]
    if spaces:
        return spaces[-1]
    return room


def _chars_within(text: str, limit: int) -> int:
    """The largest number of leading characters whose measure is at most `limit` (at least 1)."""
    total = 0
    for index, char in enumerate(text):
        total += 2 if ord(char) > 0xFFFF else 1
        if total > limit:
            return max(1, index)
    return len(text)
