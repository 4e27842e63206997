"""The one date grammar (assistant/dates.py) and its readers: the header recogniser, the deadline finder,
the date facts of kinds.py and the index's date tokens (text.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.dates import DATED, MONTH, Day, dates_in
from assistant.deadlines import find_deadlines
from assistant.kinds import FACT_PATTERNS
from assistant.legal import recognise
from assistant.text import fold, lexical_tokens

REPO = Path(__file__).resolve().parent.parent
# Files that hold a pattern of their own with days in it: periods.py reads parts of a year
# ("6 tháng đầu năm"), not days.
OWN_DATE_PATTERNS = {"periods.py"}
DATED_FORMS = [
    "15/7/2023",
    "15-7-2023",
    "15.7.2023",
    "15 / 7 / 2023",
    "15 tháng 7 năm 2023",
    "15 tháng 7/2023",
    "15 thang 7 nam 2023",  # folded, as deadlines.py and text.py read
]


def _only_day(text: str) -> Day:
    found = [day for day, _, _ in dates_in(text)]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("written", DATED_FORMS)
def test_a_dated_day_in_every_form(written: str) -> None:
    day = _only_day(f"ngày {written}")
    assert (day, day.iso()) == (Day(15, 7, 2023), "2023-07-15")
    assert re.fullmatch(DATED, written, re.IGNORECASE)


@pytest.mark.parametrize("written", ["15 tháng 7", "15/7", "15-7", "ngày 15 tháng 7 hằng năm"])
def test_a_day_without_its_year_is_a_day_of_every_year(written: str) -> None:
    day = _only_day(written)
    assert (day, day.date(), day.iso()) == (Day(15, 7), None, "")
    assert not re.search(DATED, written)


@pytest.mark.parametrize("text", ["1.5 triệu đồng", "2.500.000 đồng", "trong 5 ngày", "năm 2023", "15/13", "32/1/2024"])
def test_numbers_that_are_no_day(text: str) -> None:
    assert list(dates_in(text)) == []


def test_a_day_the_year_does_not_have() -> None:
    day = _only_day("31 tháng 2 năm 2024")
    assert day.possible and day.date() is None and day.iso() == ""


def test_a_month_of_a_year_is_no_day() -> None:
    for written in ("tháng 7/2023", "tháng 7 năm 2023", "thang 7/2023"):
        assert list(dates_in(written)) == []
        found = re.search(MONTH, f"Trong {written}, tỉnh đã hỗ trợ", re.IGNORECASE)
        assert found is not None and re.findall(r"\d+", found.group()) == ["7", "2023"]


def test_spans_are_where_the_days_stand() -> None:
    text = "Nhận hồ sơ từ ngày 1/6/2024 đến ngày 15 tháng 7 năm 2024."
    assert [(day.iso(), text[start:end]) for day, start, end in dates_in(text)] == [
        ("2024-06-01", "1/6/2024"),
        ("2024-07-15", "15 tháng 7 năm 2024"),
    ]


@pytest.mark.parametrize("written", DATED_FORMS[:-1])
def test_the_readers_read_the_same_day(written: str) -> None:
    """The header's date of issue, its entry into force and a deadline all go through the one grammar."""
    header = recognise(
        f"ỦY BAN NHÂN DÂN\nTỈNH ĐỒNG NAI\nSố: 59/2099/QĐ-UBND\nBiên Hòa, ngày {written}\nQUYẾT ĐỊNH\n"
        f"Về việc thử\nĐiều 1. Quyết định này có hiệu lực kể từ ngày {written}.\n"
    )
    deadlines = find_deadlines([{"id": "d", "title": "D", "text": f"Gửi hồ sơ trước ngày {written}.", "chunks": []}])
    assert (header.date, header.place, header.effective_date) == ("2023-07-15", "Biên Hòa", "2023-07-15")
    assert [(d.day, d.month, d.year, d.when) for d in deadlines] == [(15, 7, 2023, f"Trước ngày {written}")]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Các đơn vị gửi hồ sơ trước ngày 15/7/2023.", [(15, 7, 2023)]),
        ("Chậm nhất là ngày 20 tháng 6 năm 2023, Sở tổng hợp.", [(20, 6, 2023)]),
        ("Đăng ký trước ngày 15 tháng 7 hằng năm.", [(15, 7, None)]),
        ("Quyết định có hiệu lực từ ngày 30/12/2015.", []),  # a date alone is no deadline
        ("Hạn mức hỗ trợ 1.5 triệu đồng.", []),  # "1.5" is a number, not 1 May
    ],
)
def test_deadlines_are_a_cue_then_a_day(sentence: str, expected: list[tuple[int, int, int | None]]) -> None:
    found = find_deadlines([{"id": "d", "title": "D", "text": sentence, "chunks": []}])
    assert [(d.day, d.month, d.year) for d in found] == expected


def test_no_other_module_writes_its_own_date_pattern() -> None:
    """A day pattern (`\\d{1,2}` with "tháng" or a slash) outside dates.py: call the grammar instead."""
    own = set()
    for path in [*(REPO / "assistant").glob("*.py"), *(REPO / "bots").glob("*.py")]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if r"\d{1,2}" in line and re.search(r"th(?:á|a)ng|\[/|/\\d|\\s\*/", line):
                own.add(path.name)
    assert own - OWN_DATE_PATTERNS == set(), "use assistant/dates.py"


def _date_tokens(written: str) -> list[str]:
    return [t for t in lexical_tokens(written) if t.startswith("date:")]


@pytest.mark.parametrize("written", DATED_FORMS)
def test_a_dated_day_is_a_date_fact_and_a_date_token_alike(written: str) -> None:
    """kinds.py's date facts and text.py's index tokens read every form the grammar reads."""
    for pattern in (FACT_PATTERNS["date"], FACT_PATTERNS["when"]):
        found = pattern.search(f"Hội chợ khai mạc ngày {written} tại Biên Hòa")
        assert found is not None and found.group() == f"ngày {written}"
    assert _date_tokens(f"khai mạc ngày {written}") == ["date:15-7", "date:15-7-2023"]
    assert _date_tokens(fold(f"khai mạc ngày {written}")) == ["date:15-7", "date:15-7-2023"]


@pytest.mark.parametrize("written", ["15 tháng 7", "15/7", "15 thang 7"])
def test_a_day_without_its_year_is_a_fact_after_a_cue(written: str) -> None:
    assert _date_tokens(written) == ["date:15-7"]
    found = FACT_PATTERNS["date"].search(f"Gửi hồ sơ trước {written} hằng năm")
    assert found is not None and found.group() == f"trước {written}"


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("Sản xuất 6/7 sản phẩm mẫu", None),  # a year-less day in digits needs a cue
        ("Đào tạo từ 5-7 ngày", None),  # and a slash: "từ 5-7" is a number range
        ("Khai mạc ngày 6/7 tới", "ngày 6/7"),
        ("khảo sát (từ ngày 15/8 – 18/8/2023).", "từ ngày 15/8 – 18/8/2023"),  # a range: the cue is the caller's
        ("diễn ra vào chiều ngày 05/10.", "chiều ngày 05/10"),
        ("Trong tháng 7/2023, tỉnh đã hỗ trợ", "tháng 7/2023"),  # a month of a year (dates.MONTH)
        ("trong thang 12 nam 2023 o Ha Noi", "thang 12 nam 2023"),  # folded, as the grammar reads
        ("Kinh phí 8 tháng 2023 thực hiện", None),  # a part of a year, no day ("8 tháng 20" was read)
        ("Hỗ trợ 1.5 triệu đồng", None),
    ],
)
def test_the_cues_and_ranges_of_a_date_fact(text: str, fact: str | None) -> None:
    found = FACT_PATTERNS["date"].search(text)
    assert (found.group() if found else None) == fact


def test_date_tokens_of_numbers_that_are_no_day() -> None:
    assert _date_tokens("hỗ trợ 1.5 triệu đồng, 2.500.000 đồng, 15/13, 32/1/2024") == []
