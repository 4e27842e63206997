"""Vietnamese dates as the documents write them: the one grammar every reader of dates uses.

A day: "15 tháng 7 năm 2023", "15/7/2023", "15-7-2023", "15.7.2023", or without the year
("15 tháng 7", "15/7": a day of every year, as in "trước ngày 15 tháng 7 hằng năm"). Dots
stand only with the year: "1.5" alone is a number. The words may also close with a slash
("15 tháng 7/2023"). A month of a year: "tháng 7/2023", "tháng 7 năm 2023".

The patterns read accented text and its folded form alike ("ngày 15 tháng 7 năm 2023",
"ngay 15 thang 7 nam 2023"), hold no groups and say nothing of what comes before: the word
"ngày", a deadline cue ("trước ngày …", deadlines.py) or the place of issue (legal.py) is the
caller's, which wraps `DATE` (year optional) or `DATED` (year required) in its own pattern and
reads the match with `read`. Their parts are here too, for a caller that treats the forms apart:
`DATE_WORDS` ("15 tháng 7", year optional), `DATE_DIGITS` ("15/7", "15.7.2023", year optional),
`DATED_DIGITS` (year required) and `DAY_MONTH` ("15/7", "15-7": digits without a year and
without the closing word boundary, to stand first in a range "15/8 – 18/8/2023"). Which forms
a context accepts (kinds.py reads a year-less "6/7" only after a cue: "6/7 sản phẩm" is no
date) and how ranges are joined stay the caller's.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "DATE",
    "DATED",
    "DATED_DIGITS",
    "DATE_DIGITS",
    "DATE_WORDS",
    "DAY_MONTH",
    "MONTH",
    "Day",
    "dates_in",
    "read",
]

_DAY = r"\d{1,2}"
_MONTH = r"\d{1,2}"
_YEAR = r"\d{4}"
_THANG = r"th(?:áng|ang)"  # accented or folded
_NAM = r"n(?:ăm|am)"
_WORDS = rf"\s*{_THANG}\s*{_MONTH}"  # "15 tháng 7"
_WORDS_YEAR = rf"\s*(?:{_NAM}|/|-)\s*{_YEAR}"  # "… năm 2023", "… /2023"
_DIGITS_YEAR = rf"\s*[/.-]\s*{_MONTH}\s*[/.-]\s*{_YEAR}"  # "15/7/2023", "15-7-2023", "15.7.2023"
_DIGITS = rf"\s*[/-]\s*{_MONTH}"  # "15/7": no dots without the year

# A day in words, with or without its year: "15 tháng 7", "15 tháng 7 năm 2023", "15 tháng 7/2023".
DATE_WORDS = rf"{_DAY}{_WORDS}(?:{_WORDS_YEAR})?\b"
# A day in digits, with or without its year: "15/7", "15-7", "15/7/2023", "15.7.2023".
DATE_DIGITS = rf"{_DAY}(?:{_DIGITS_YEAR}|{_DIGITS}(?:\s*[/-]\s*{_YEAR})?)\b"
# A day in digits of a given year: "15/7/2023", "15-7-2023", "15.7.2023".
DATED_DIGITS = rf"{_DAY}{_DIGITS_YEAR}\b"
# Day and month in digits, no year, no closing boundary: "15/7", "15-7" (the caller closes it).
DAY_MONTH = rf"{_DAY}{_DIGITS}"
# A day, with or without its year.
DATE = rf"(?:{DATE_WORDS}|{DATE_DIGITS})"
# A day of a given year.
DATED = rf"(?:{_DAY}{_WORDS}{_WORDS_YEAR}\b|{DATED_DIGITS})"
# A month of a year: "tháng 7/2023", "tháng 7 năm 2023".
MONTH = rf"{_THANG}\s+{_MONTH}(?:\s*/\s*|\s+{_NAM}\s+){_YEAR}\b"

_DATE_ALONE = re.compile(rf"(?<![\d/.]){DATE}", re.IGNORECASE)


@dataclass(frozen=True)
class Day:
    """A day as written: day and month, and the year when given."""

    day: int
    month: int
    year: int | None = None

    @property
    def possible(self) -> bool:
        """Whether it can be a day of some year: day 1-31, month 1-12 ("31 tháng 2" passes)."""
        return 1 <= self.day <= 31 and 1 <= self.month <= 12

    def date(self) -> dt.date | None:
        """The calendar day; None without a year or when the year has no such day."""
        if self.year is None:
            return None
        try:
            return dt.date(self.year, self.month, self.day)
        except ValueError:
            return None

    def iso(self) -> str:
        """ "2023-07-15"; "" when `date()` is None."""
        day = self.date()
        return day.isoformat() if day else ""


def read(matched: str) -> Day:
    """The day a match of `DATE` or `DATED` writes (words before the day, such as "ngày", may be in it)."""
    numbers = [int(n) for n in re.findall(r"\d+", matched)[:3]]
    return Day(numbers[0], numbers[1], numbers[2] if len(numbers) > 2 else None)


def dates_in(text: str) -> Iterator[tuple[Day, int, int]]:
    """Every possible day `text` writes, with its span, in order (a year-less "6/7" too: context decides)."""
    for match in _DATE_ALONE.finditer(text):
        day = read(match.group())
        if day.possible:
            yield day, match.start(), match.end()
