"""Deadlines found in the indexed documents: a date right after a deadline cue.

Cues (matched without diacritics): "trước ngày", "chậm nhất (là) ngày", "hạn (chót/nộp…) … ngày",
"thời hạn … ngày", "đến hết ngày", "không muộn hơn ngày". A date alone ("Quyết định … ngày
30/12/2015") is not a deadline. Each deadline keeps the sentence it stands in and the chunk
locator, so a channel (the bots' `/hanchot`) can quote and cite it like an answer.

Reminders (`due_reminders`): a deadline is due from `days_before` days ahead until its day,
never once it has passed; one without a year ("trước ngày 15 tháng 7 hằng năm") falls due each
year. `Reminder.key` names one deadline on one date, so a store can tell a reminder already sent.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .dates import DATE, read
from .facade import Assistant
from .text import fold, split_sentences

__all__ = ["Deadline", "DeadlineFinder", "Reminder", "due_reminders", "find_deadlines"]

MAX_CONTEXT_CHARS = 320
# A cue, then at most a few words (no sentence break) before the date.
_CUE = (
    r"\b(?:truoc(?:\s+ngay)?|cham\s+nhat(?:\s+la)?(?:\s+ngay)?|den\s+het(?:\s+ngay)?|khong\s+muon\s+hon(?:\s+ngay)?"
    r"|(?:thoi\s+)?han(?!\s+che)(?:\s+chot)?(?:[^.;\n\d]{0,40}?(?:\bngay|:))?)\s*"
)
_DEADLINE = re.compile(rf"{_CUE}(?P<date>{DATE})")  # on folded text


@dataclass(frozen=True)
class Deadline:
    """A dated deadline, with the words that state it, its sentence and its source."""

    when: str
    day: int
    month: int
    year: int | None
    sentence: str
    doc_id: str
    title: str
    locator: str

    def sort_key(self) -> tuple[int, int, int]:
        """Chronological order; undated years last."""
        return (self.year or 9999, self.month, self.day)

    def next_date(self, today: dt.date) -> dt.date | None:
        """The day of this deadline, or of its next one from `today` when no year is given; None if no such day."""
        try:
            if self.year is not None:
                return dt.date(self.year, self.month, self.day)
            this_year = dt.date(today.year, self.month, self.day)
            return this_year if this_year >= today else dt.date(today.year + 1, self.month, self.day)
        except ValueError:  # "31 tháng 2"
            return None


@dataclass(frozen=True)
class Reminder:
    """A deadline due soon: its day and how many days are left (0: today)."""

    deadline: Deadline
    date: dt.date
    days_left: int

    @property
    def key(self) -> str:
        """One deadline on one day, whatever the chat: where a store records that it was sent."""
        return f"{self.deadline.doc_id}@{self.date.isoformat()}"


def due_reminders(deadlines: Iterable[Deadline], today: dt.date, days_before: int) -> list[Reminder]:
    """The deadlines from `today` to `days_before` days ahead, soonest first (none that has passed)."""
    due: dict[str, Reminder] = {}
    for deadline in deadlines:
        date = deadline.next_date(today)
        if date is None:
            continue
        left = (date - today).days
        if 0 <= left <= days_before:
            reminder = Reminder(deadline, date, left)
            due.setdefault(reminder.key, reminder)  # two cues for one day of one document: one reminder
    return sorted(due.values(), key=lambda r: (r.date, r.deadline.doc_id))


def _same_length_fold(text: str) -> str:
    """Fold diacritics character by character, so offsets match the original text."""
    return "".join(fold(ch)[:1] or ch for ch in text)


def find_deadlines(documents: list[dict[str, Any]]) -> list[Deadline]:
    """Deadlines in documents given as `Assistant.document()` dicts (text, chunks, title), by date."""
    found: dict[tuple[str, int], Deadline] = {}
    for document in documents:
        text = document["text"]
        for match in _DEADLINE.finditer(_same_length_fold(text)):
            deadline = _deadline_at(document, text, match)
            if deadline is not None:
                found.setdefault((deadline.doc_id, match.start("date")), deadline)
    return sorted(found.values(), key=Deadline.sort_key)


def _deadline_at(document: dict[str, Any], text: str, match: re.Match[str]) -> Deadline | None:
    day = read(match["date"])
    if not day.possible:
        return None
    start, end = match.span()
    when = text[start:end].strip()
    return Deadline(
        when=when[:1].upper() + when[1:],
        day=day.day,
        month=day.month,
        year=day.year,
        sentence=_sentence_around(text, start, end),
        doc_id=document["id"],
        title=str(document.get("title") or document["id"]),
        locator=_locator_at(document.get("chunks", []), start),
    )


def _sentence_around(text: str, start: int, end: int) -> str:
    """The sentence holding text[start:end], shortened around it when very long."""
    for s_start, s_end in split_sentences(text):
        if s_start <= start < s_end:
            if s_end - s_start <= MAX_CONTEXT_CHARS:
                return text[s_start:s_end]
            lo = max(s_start, start - MAX_CONTEXT_CHARS // 3)
            hi = min(s_end, lo + MAX_CONTEXT_CHARS)
            return ("…" if lo > s_start else "") + text[lo:hi].strip() + ("…" if hi < s_end else "")
    return text[start:end]


def _locator_at(chunks: list[dict[str, Any]], offset: int) -> str:
    for chunk in chunks:
        if chunk["start"] <= offset < chunk["end"]:
            return str(chunk["locator"])
    return ""


class DeadlineFinder:
    """`find_deadlines` over an assistant's index, recomputed only when the index is rebuilt."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self._generation: object = None
        self._deadlines: list[Deadline] = []

    def deadlines(self) -> list[Deadline]:
        """The current index's deadlines, by date."""
        generation = self.assistant.status()["generation"]
        if generation != self._generation or not self._deadlines:
            documents = [self.assistant.document(d["id"]) for d in self.assistant.documents()]
            self._deadlines = find_deadlines(documents)
            self._generation = generation
        return self._deadlines
