"""The faster text functions give what the plain ones gave: `fold`, `spell_out`, the restorer's counts."""

from __future__ import annotations

import random
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

from assistant import text
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
