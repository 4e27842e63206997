"""Reporting periods: the part of a year a question asks and a passage is about."""

from __future__ import annotations

import pytest

from assistant.periods import WHOLE_YEAR, asked_period, describe, excludes, period_in


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("Trong 06 tháng đầu năm 2022, Trung tâm Khuyến công đã …", (6, "dau")),
        ("Kế hoạch 6 tháng cuối năm Trung tâm sẽ đẩy mạnh …", (6, "cuoi")),
        ("8 tháng năm 2023, kinh phí toàn vùng đã thực hiện …", (8, "dau")),
        ("8 thang 2023 phia nam thuc hien dc bn", (8, "dau")),  # as typed in a chat
        ("quý I năm 2024", (3, "dau")),
        ("Ngày 15 tháng 8 năm 2023 ký ban hành", None),  # a day is no period
        ("Tính đến hết tháng 12 năm 2022", None),
        ("Năm 2022 kinh phí KCQG được phân bổ là 140 tỷ đồng", None),
        ("thời gian thực hiện 12 tháng", None),
    ],
)
def test_the_part_of_a_year_a_text_names(text: str, period: tuple[int, str] | None) -> None:
    assert period_in(text) == period


def test_a_question_asks_the_whole_year_only_when_it_says_so() -> None:
    assert asked_period("cả năm 2022 dak lak thực hiện kcdp bn") == WHOLE_YEAR
    assert asked_period("tron nam 2023 phia nam giai ngan dc bn") == WHOLE_YEAR
    assert asked_period("năm 2022 Đắk Lắk thực hiện bao nhiêu đề án") is None
    assert asked_period("6 tháng cuối năm 2023 An Giang làm được gì") == (6, "cuoi")


def test_only_a_named_other_part_excludes() -> None:
    assert excludes(WHOLE_YEAR, (6, "dau"))
    assert excludes((6, "cuoi"), (6, "dau"))
    assert not excludes((8, "dau"), (8, "dau"))
    assert describe((6, "dau")) == "6 tháng đầu năm" and describe(WHOLE_YEAR) == "cả năm"
