"""Vietnamese text handling: folding, tokens, dates, abbreviations, sentences, restoration."""

from __future__ import annotations

import pytest

from assistant.text import (
    DiacriticRestorer,
    clean_question,
    content_terms,
    expand_abbreviations,
    fold,
    has_diacritics,
    lexical_tokens,
    looks_vietnamese,
    normalize_number,
    provinces_in,
    split_sentences,
)


def test_fold_removes_diacritics_and_d_stroke() -> None:
    assert fold("Hạn chót ĐĂNG KÝ tại Đồng Nai") == "han chot dang ky tai dong nai"
    assert fold("Hạn chót") == fold("hạn chót")


def test_fold_handles_decomposed_input() -> None:
    decomposed = "Đồng Nai".encode().decode()  # same text in NFD below
    import unicodedata

    assert fold(unicodedata.normalize("NFD", decomposed)) == "dong nai"


def test_has_diacritics() -> None:
    assert has_diacritics("hạn chót")
    assert not has_diacritics("han chot dang ky")


@pytest.mark.parametrize("typed", ["20/6", "20 tháng 6", "20-6", "ngay 20 thang 6", "20 / 6"])
def test_date_forms_share_one_token(typed: str) -> None:
    assert "date:20-6" in lexical_tokens(f"hạn {typed}")


def test_date_with_year_gets_full_token() -> None:
    tokens = lexical_tokens("trước ngày 20 tháng 6 năm 2023")
    assert {"date:20-6", "date:20-6-2023"} <= set(tokens)
    assert "date:20-6-2023" in lexical_tokens("hạn 20/6/2023")


def test_impossible_dates_are_not_tokens() -> None:
    assert not [t for t in lexical_tokens("tỷ lệ 6/7 sản phẩm, 45/2012") if t.startswith("date:45")]


@pytest.mark.parametrize(
    ("short", "long"),
    [("KCQG", "khuyến công quốc gia"), ("CNNT", "công nghiệp nông thôn"), ("MMTB", "máy móc thiết bị")],
)
def test_abbreviations_match_both_ways(short: str, long: str) -> None:
    from_short = set(lexical_tokens(f"kinh phí {short}"))
    from_long = set(lexical_tokens(f"kinh phí {long}"))
    marker = "abbr:" + short.lower()
    assert marker in from_short and marker in from_long
    assert set(fold(long).split()) <= from_short


def test_expand_abbreviations_for_the_embedding_model() -> None:
    assert expand_abbreviations("kinh phí KCQG năm 2022") == "kinh phí khuyến công quốc gia (KCQG) năm 2022"
    assert expand_abbreviations("KCQGX") == "KCQGX"


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [("2.700.000.000", "2700000000"), ("04", "4"), ("79,07", "79.07"), ("85,23%", "85.23%"), ("5.374", "5374")],
)
def test_number_forms(typed: str, canonical: str) -> None:
    assert normalize_number(typed) == canonical


def test_content_terms_drop_question_words() -> None:
    terms = content_terms("Cơ sở của tôi có được hỗ trợ máy móc không?")
    assert "khong" not in terms and "cua" not in terms
    assert {"co", "so", "ho", "tro", "may", "moc"} <= set(terms)


def test_split_sentences_spans_are_exact() -> None:
    text = "Kế hoạch: Tổ chức 300 lượt. Thực hiện: 274 học viên; Tiếp theo.\nDòng mới; còn nữa"
    spans = split_sentences(text, offset=100)
    pieces = [text[a - 100 : b - 100] for a, b in spans]
    assert pieces == ["Kế hoạch: Tổ chức 300 lượt.", "Thực hiện: 274 học viên;", "Tiếp theo.", "Dòng mới; còn nữa"]


def test_restorer_puts_back_diacritics_from_the_corpus() -> None:
    restorer = DiacriticRestorer.learn(["Đăng ký kế hoạch khuyến công quốc gia trước ngày 20 tháng 6."])
    assert restorer.restore("han dang ky ke hoach khuyen cong quoc gia") == (
        "hạn đăng ký kế hoạch khuyến công quốc gia"
    )
    assert restorer.restore("bao nhieu") == "bao nhiêu"


def test_restorer_follows_the_more_frequent_neighbour_pair() -> None:
    corpus = ["Người lao động làm việc nhiều năm."] * 5  # "bao nhiêu" comes from the question words
    restorer = DiacriticRestorer.learn(corpus)
    assert restorer.restore("thoi han bao nhieu nam") == "thời hạn bao nhiêu năm"  # not "nhiều năm"
    assert DiacriticRestorer.from_dict(restorer.to_dict()).counts == restorer.counts
    assert DiacriticRestorer.from_dict({"unigrams": {}, "bigrams": {}}).counts == {}  # an older index still loads


def test_restorer_reads_a_lone_syllable_as_a_word_of_its_own() -> None:
    # "dụng" is far more frequent, but only inside dictionary words ("sử dụng", "áp dụng")
    corpus = ["Sử dụng đất, áp dụng pháp luật, sử dụng vốn."] * 5 + ["Làm đúng quy định."]
    restorer = DiacriticRestorer.learn(corpus)
    assert restorer.restore("dung hay sai") == "đúng hay sai"
    assert restorer.restore("su dung dat") == "sử dụng đất"


def test_restorer_round_trips_through_dict() -> None:
    restorer = DiacriticRestorer.learn(["Sở Công Thương Đồng Nai"])
    again = DiacriticRestorer.from_dict(restorer.to_dict())
    assert again.restore("so cong thuong dong nai") == "Sở Công Thương Đồng Nai"  # names stay names


def test_provinces_in_finds_folded_and_accented_names() -> None:
    assert provinces_in("kinh phi Quang Ninh va Đồng Nai") == ["quang ninh", "dong nai"]
    assert provinces_in("Bà Rịa - Vũng Tàu") == ["ba ria vung tau"]


def test_clean_question_removes_control_characters() -> None:
    assert clean_question("  hạn\x00 chót\u200b  đăng\tký ") == "hạn chót đăng ký"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("han chot dang ky ke hoach KCQG", True),
        ("Hạn đăng ký kế hoạch khuyến công quốc gia là ngày nào?", True),
        ("What is the deadline for the national plan registration?", False),
        ("国家工业推广计划的截止日期是什么时候", False),
        ("Когда крайний срок подачи", False),
    ],
)
def test_looks_vietnamese(text: str, expected: bool) -> None:
    assert looks_vietnamese(text) is expected
