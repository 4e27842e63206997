"""The faster text functions give what the plain ones gave: `fold`, `spell_out`, the restorer's counts."""

from __future__ import annotations

import random
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

from assistant import text
from assistant.dates import read
from assistant.loading import load_corpus
from assistant.text import PLACE_LEXICON, QUESTION_LEXICON, DiacriticRestorer, fold, spell_out

REPO = Path(__file__).resolve().parent.parent


def _plain_fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFD", value.lower())
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").replace("đ", "d")


def _plain_spell_out(value: str, keep: bool = False) -> str:
    for pattern, expansion in text._EXPANSIONS:
        replacement = (lambda m, e=expansion: f"{m.group(0)} ({e})") if keep else expansion
        value = pattern.sub(replacement, value)  # type: ignore[arg-type]
    return value


def _corpus_texts() -> list[str]:
    return [d.title + "\n" + d.text for d in load_corpus(REPO / "corpus").documents]


def test_fold_is_the_plain_fold_on_the_corpus_and_on_random_text() -> None:
    for value in _corpus_texts():
        assert fold(value) == _plain_fold(value)
    rng = random.Random(5)
    pool = (
        [chr(c) for c in range(0x2FF)] + [chr(c) for c in range(0x300, 0x370)] + [chr(c) for c in range(0x1E00, 0x1F00)]
    )
    pool += list("ΣσςΑİıﬁẞß\u0345\u1dc0\u20dd한中")  # Greek final sigma, dotted I, ligatures, other scripts
    for _ in range(20000):
        value = "".join(rng.choice(pool) for _ in range(rng.randint(0, 10)))
        for form in (value, unicodedata.normalize("NFD", value), unicodedata.normalize("NFC", value)):
            assert fold(form) == _plain_fold(form), repr(form)


def test_spell_out_is_the_plain_one_on_the_corpus_and_on_abbreviation_soup() -> None:
    lines = [line for value in _corpus_texts() for line in value.splitlines()]
    rng = random.Random(6)
    pieces = [*text.ABBREVIATIONS, *(a.lower() for a in text.ABBREVIATIONS), "Kcqg", "kc", "KCQG-", "-KH", "ſ", "K"]
    soup = [
        "".join(rng.choice(pieces) + rng.choice(["", " ", "-", ",", "x", "("]) for _ in range(rng.randint(1, 6)))
        for _ in range(5000)
    ]
    for value in lines + soup:
        for keep in (False, True):
            assert spell_out(value, keep) == _plain_spell_out(value, keep), value


def test_learning_from_counts_is_learning_from_the_texts() -> None:
    texts = _corpus_texts() + ["Dùng đúng. Dung dùng đúng Dung. Sử dụng dụng cụ. Đồng Nai đồng nai ĐỒNG NAI."]
    uni: dict[str, Counter[str]] = defaultdict(Counter)
    free: dict[str, Counter[str]] = defaultdict(Counter)
    bi: dict[str, Counter[str]] = defaultdict(Counter)
    for value in [QUESTION_LEXICON] * 20 + [PLACE_LEXICON] + texts:
        for target, counts in list(zip((uni, free, bi), DiacriticRestorer.count(value)))[
            2 if value is PLACE_LEXICON else 0 :
        ]:
            for (key, form), n in counts.items():
                target[key][form] += n
    merged = DiacriticRestorer(
        {k: (free.get(k) or c).most_common(1)[0][0] for k, c in uni.items()},
        {k: c.most_common(1)[0][0] for k, c in bi.items()},
        {k: c.total() for k, c in bi.items() if c.total() > 1},
    )
    assert merged.to_dict() == DiacriticRestorer.learn(texts).to_dict()


def _plain_count(value: str) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    """`DiacriticRestorer.count` as it was written first (one Python step per word and pair)."""
    import re
    from itertools import compress, pairwise

    compounds = text.compound_words()
    words = re.findall(r"[^\W\d_]+", text.nfc(value))
    lower = [word.lower() for word in words]
    folded = {word: fold(word) for word in {*words, *lower}}
    joined = {pair: f"{pair[0]} {pair[1]}" in compounds for pair in set(pairwise(lower))}
    in_compound = [False] * (len(lower) + 1)
    for pos in compress(range(len(lower)), map(joined.__getitem__, pairwise(lower))):
        in_compound[pos + 1] = in_compound[pos + 2] = True
    alone = [word for word, inside in zip(lower, in_compound[1:]) if not inside]
    named = {word: word[:1].isupper() and word[1:].islower() for word in words}

    def by_key(counts: Counter[str]) -> Counter[tuple[str, str]]:
        out: Counter[tuple[str, str]] = Counter()
        for word, n in counts.items():
            out[folded[word], word] += n
        return out

    pairs: Counter[tuple[str, str]] = Counter()
    for (left, right), n in Counter(pairwise(words)).items():
        written = f"{left} {right}"
        pairs[f"{folded[left]} {folded[right]}", written if named[left] and named[right] else written.lower()] += n
    return by_key(Counter(lower)), by_key(Counter(alone)), pairs


def _plain_lexical_tokens(value: str) -> list[str]:
    """`lexical_tokens` as it was written first (folding twice, every date pattern and abbreviation tried)."""
    from itertools import pairwise

    folded = fold(value)
    words = [text.normalize_number(w) if w[0].isdigit() else w for w in text._WORD.findall(fold(value))]
    tokens = list(words)
    tokens.extend(f"{a}_{b}" for a, b in pairwise(words))
    for pattern in (text._DATE_NUMERIC, text._DATE_WORDS):
        for match in pattern.finditer(folded):
            day = read(match.group())
            if 1 <= day.day <= 31 and 1 <= day.month <= 12:
                tokens.append(f"date:{day.day}-{day.month}")
                if day.year is not None:
                    tokens.append(f"date:{day.day}-{day.month}-{day.year:04d}")
    joined = " " + " ".join(words) + " "
    for abbr, expansion in text._FOLDED_ABBREVIATIONS.items():
        marker = text._ABBREVIATION_TOKENS[abbr]
        phrase = " " + " ".join(expansion) + " "
        if "-" in abbr:
            if text._HYPHENATED[abbr].search(folded):
                tokens.append(marker)
                tokens.extend(expansion)
        elif f" {abbr} " in joined:
            tokens.append(marker)
            if len(abbr) > 2:
                tokens.extend(expansion)
        if phrase in joined:
            tokens.append(marker)
    return tokens


def _soup(seed: int, count: int) -> list[str]:
    """Short texts of abbreviations, their expansions, dates, numbers, names and odd characters."""
    rng = random.Random(seed)
    pieces = [*text.ABBREVIATIONS, *(a.lower() for a in text.ABBREVIATIONS), *text.ABBREVIATIONS.values()]
    pieces += ["20/6/2023", "5-7", "ngày 5 tháng 7 năm 2024", "tháng 13", "2.700.000", "79,07%", "04", "²", "³x"]
    pieces += ["Đồng Nai", "đồng nai", "ĐỒNG NAI", "Sử dụng", "dụng cụ", "sử dụng", "Dùng", "dung", "ΑΣ Β", "İ", "ſ"]
    return [
        "".join(rng.choice(pieces) + rng.choice([" ", " ", "-", ", ", ". ", "\n", "/", "("]) for _ in range(30))
        for _ in range(count)
    ]


def test_the_restorer_counts_are_the_plain_ones_in_content_and_order() -> None:
    for value in _corpus_texts() + _soup(7, 500) + [""]:
        for mine, plain in zip(DiacriticRestorer.count(value), _plain_count(value)):
            assert list(mine.items()) == list(plain.items()), value  # the order breaks ties when learning


def test_lexical_tokens_and_syllables_are_the_plain_ones_in_order() -> None:
    lines = [line for value in _corpus_texts() for line in value.splitlines()]
    for value in [*_corpus_texts(), *lines, *_soup(8, 2000), ""]:
        tokens, words = text.lexical_tokens_and_syllables(value)
        assert tokens == _plain_lexical_tokens(value) == text.lexical_tokens(value), value
        assert words == [text.normalize_number(w) if w[0].isdigit() else w for w in text._WORD.findall(fold(value))]
        assert words == text.syllables(value)
