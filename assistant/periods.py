"""Reporting periods: the part of a year a figure covers.

Provincial reports give figures for part of a year ("6 tháng đầu năm 2023", "06 tháng
năm 2022", "8 tháng năm 2023", "quý I"). A user asking the whole year ("cả năm 2022")
or another part ("6 tháng cuối năm") is not answered by them: the answer step reads the
period a passage is about and compares it with the one asked.

A period is (months, half): months 1-11 with half "dau" (the first months, the default
when a report says "6 tháng năm 2022") or "cuoi" (the last months), a quarter as its
three months, or WHOLE_YEAR.
"""

from __future__ import annotations

import re

from .text import fold

__all__ = ["WHOLE_YEAR", "Period", "asked_period", "describe", "excludes", "period_in"]

Period = tuple[int, str]
WHOLE_YEAR: Period = (12, "")

_MONTHS = re.compile(
    r"\b0?(\d{1,2})\s+thang\s+(?:(dau|cuoi)\s+)?(?:cua\s+)?(?:nam\b(?!\s+(?:qua|truoc|sau))|(?=(?:19|20)\d\d\b))"
)
_QUARTER = re.compile(r"\bquy\s+(iv|iii|ii|i|[1-4])\b")
_WHOLE = re.compile(r"\b(?:ca|tron|toan|suot)\s+(?:1\s+|mot\s+)?nam\b|\b12\s+thang\s+(?:cua\s+)?nam\b")
_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def period_in(text: str) -> Period | None:
    """The first part of a year `text` names ("6 tháng đầu năm" -> (6, "dau")), or None."""
    folded = fold(text).lower()
    found: list[tuple[int, Period]] = []
    months = _MONTHS.search(folded)
    if months and 0 < int(months.group(1)) < 12:
        found.append((months.start(), (int(months.group(1)), months.group(2) or "dau")))
    quarter = _QUARTER.search(folded)
    if quarter:
        number = _QUARTERS[quarter.group(1)]
        found.append((quarter.start(), (3 * number, "dau") if number == 1 else (3, f"quy{number}")))
    return min(found)[1] if found else None


def asked_period(question: str) -> Period | None:
    """The period a question asks: the whole year when it says so ("cả năm 2022"), a part it names, or None."""
    if _WHOLE.search(fold(question).lower()):
        return WHOLE_YEAR
    return period_in(question)


def excludes(asked: Period, written: Period) -> bool:
    """Whether a passage about `written` cannot answer a question about `asked`.

    (A passage naming no period is taken as the whole year, or the period the question
    means: only a named part that differs from the one asked excludes.)
    """
    return written != asked


def describe(period: Period) -> str:
    """The period in words, for the answer ("6 tháng đầu năm", "cả năm")."""
    months, half = period
    if period == WHOLE_YEAR:
        return "cả năm"
    if half.startswith("quy"):
        return f"quý {half[3:]}"
    return f"{months} tháng {'cuối' if half == 'cuoi' else 'đầu'} năm"
