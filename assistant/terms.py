"""Topic terms of a question, and how a piece of evidence is matched against them.

Words are segmented by underthesea (province names kept whole, compounds that neither
the dictionary nor the documents know cut apart), weighted by their rarity in the
index, and matched against folded text with the abbreviations spelled out and the
synonyms of `assistant/vocab/synonyms.tsv`.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from itertools import pairwise

from . import vocabulary
from .indexing import LoadedIndex
from .text import (
    PROVINCE_NAMES,
    STOPWORDS,
    compound_words,
    fold,
    lexical_tokens,
    segment_words,
    spell_out,
    syllables,
)

__all__ = [
    "FUNCTION_WORDS",
    "SYNONYMS",
    "Evidence",
    "evidence_of",
    "has_words",
    "term_weights",
    "topic_words",
    "unknown_terms",
    "variants",
]

# Single words that carry no topic (accented, so "thì" is dropped but "thị" kept).
FUNCTION_WORDS = frozenset(
    "là của và có được không tôi mình chúng tôi em anh chị bạn muốn cần phải nên để thì mà làm cho với về "
    "các những này đó kia nào gì ạ ơi vậy thế rồi đã đang sẽ nếu khi ở trong trên theo từ đến ra vào "
    "bị bởi hay hoặc cũng đều rất nhiều một xin hỏi giúp biết nhé nhỉ chứ còn thôi lại tên bọn tụi".split()
    + ["chủ đề", "loại", "những gì"]
)
UNKNOWN_COMPOUND_FACTOR = 2.0

# Folded words users write for what the documents say differently ("nộp hồ sơ" / "gửi hồ sơ").
SYNONYMS: dict[str, tuple[str, ...]] = vocabulary.synonyms()


# Syllables written with "i" or "y" alike ("đăng kí" / "đăng ký", "quản lí" / "quản lý", "kĩ thuật"), folded.
_I_OR_Y = {f"{c}{v}": f"{c}{w}" for c in ("k", "l", "m", "t", "s", "h", "qu") for v, w in (("i", "y"), ("y", "i"))}


@lru_cache(maxsize=65536)
def variants(term: str) -> tuple[str, ...]:
    """The term and the words that stand for it in the documents: its synonyms, and its other spelling."""
    spelled = " ".join(_I_OR_Y.get(syllable, syllable) for syllable in term.split())
    own = (term, *SYNONYMS.get(term, ()))
    return own if spelled == term else (*own, spelled, *SYNONYMS.get(spelled, ()))


class Evidence:
    """A piece of text as the answerer matches it: folded syllables (abbreviations also spelled out) and dates."""

    __slots__ = ("dates", "joined")

    def __init__(self, text: str) -> None:
        self.joined = " " + " ".join(syllables(spell_out(text, keep=True))) + " "
        self.dates = {t for t in lexical_tokens(text) if t.startswith("date:")}

    def has(self, term: str) -> bool:
        """True when the folded word (or date marker) occurs in the text."""
        if term.startswith("date:"):
            return term in self.dates
        return has_words(self.joined, term)


@lru_cache(maxsize=2048)
def evidence_of(text: str) -> Evidence:
    """`Evidence(text)`, built once for a text matched again (the same passage window, another question)."""
    return Evidence(text)


_WORD = re.compile(r"\w+")


def says_word(text: str, term: str, typed: str = "") -> bool:
    """Whether `text` says the folded word `term` (or one of its `variants`) as a word of its own: not as the
    tail of a name ("Bộ Công Thương" says no "thuong"), and, given the form the user `typed` ("thưởng"),
    in that form for the term itself (a synonym is the documents' own word)."""
    found = list(_WORD.finditer(text))
    folded = [fold(m.group(0)) for m in found]
    for variant in variants(term):
        parts = variant.split()
        for at in range(len(found) - len(parts) + 1):
            if folded[at : at + len(parts)] != parts:
                continue
            written = text[found[at].start() : found[at + len(parts) - 1].end()]
            if typed and variant == term and written.lower() != typed:
                continue  # another word that folds alike
            before = found[at - 1] if at else None
            if (
                before is not None
                and written[:1].isupper()
                and before.group(0)[:1].isupper()
                and not text[before.end() : found[at].start()].strip()
            ):
                continue  # a piece of a name
            return True
    return False


def has_words(joined: str, term: str) -> bool:
    """True when the folded word (or one of its `variants`) occurs in `joined` (an `Evidence.joined`)."""
    return any(f" {v} " in joined for v in variants(term))


def topic_words(topic: str, index: LoadedIndex, plain: frozenset[str] = frozenset()) -> list[str]:
    """Folded words of an accented topic text: compounds kept whole, function words and stopwords dropped.

    `plain`: the words the user typed without diacritics; the restorer's reading of one that
    folds to a function word is not trusted ("thi" read "thị" is the "thì" of "thì có …").
    """
    words: dict[str, None] = {}
    for word in _segments(spell_out(topic), index.frequencies):
        folded_word = fold(word).lower()
        if word.lower() in FUNCTION_WORDS or (
            " " not in word and folded_word in _FOLDED_FUNCTION_WORDS and (word.isascii() or folded_word in plain)
        ):
            continue  # "can" typed for "cần": a word left without diacritics by the restorer
        if re.fullmatch(r"[\d/.,-]+", word) and re.search(r"\d[/-]\d", word):
            continue  # a date; matched through its date marker instead
        folded = " ".join(syllables(word))
        single = " " not in folded
        if folded and not (single and (folded in STOPWORDS or (len(folded) < 2 and not folded.isdigit()))):
            words.setdefault(folded, None)
    for marker in lexical_tokens(topic):
        if marker.startswith("date:"):
            words.setdefault(marker, None)
    return list(words)


# Names kept whole before segmenting: provinces, and the bodies the abbreviations stand for
# ("Trung tâm Khuyến công lập tổ gì" must not give "Khuyến" + "công lập").
_WHOLE_NAMES = {*PROVINCE_NAMES, *PROVINCE_NAMES.values()} | {
    expansion for expansion in vocabulary.abbreviations_expanded() if expansion[:1].isupper() and " " in expansion
}
_PROVINCE_SPLIT = re.compile(
    "(" + "|".join(sorted((re.escape(n) for n in _WHOLE_NAMES), key=len, reverse=True)) + ")",
    re.IGNORECASE,
)
_FOLDED_FUNCTION_WORDS = frozenset(fold(w) for w in FUNCTION_WORDS)
_NOT_A_WORD_PART = re.compile(r"^(?:[IVXLC]+|[A-ZĐ]{2,}|\d[\d/.,-]*)$")


def _segments(text: str, frequencies: dict[str, int]) -> list[str]:
    """Words of `text`: province names whole, the rest segmented by underthesea and cleaned.

    The segmenter sometimes glues a province, an abbreviation, a roman numeral or a
    function word to a neighbour ("Đắk Lắk lập", "Nam XIII", "máy móc thì"), or joins
    words into a compound no dictionary or document knows ("lên Cục"); such compounds
    name nothing the documents could contain, so they are cut apart.
    """
    out: list[str] = []
    for number, piece in enumerate(_PROVINCE_SPLIT.split(text)):
        if number % 2:
            out.append(piece)
        elif piece.strip():
            for word in segment_words(piece):
                for part in _split_compound(word):
                    out.extend(_known_words(part.split(), frequencies))
    return out


def _split_compound(word: str) -> list[str]:
    parts = word.split()
    if len(parts) == 1:
        return parts
    pieces: list[list[str]] = [[]]
    for part in parts:
        if _NOT_A_WORD_PART.match(part):
            pieces += [[part], []]
        else:
            pieces[-1].append(part)
    out = []
    for piece in pieces:
        while len(piece) > 2 and fold(piece[-1]) in _FOLDED_FUNCTION_WORDS:
            piece.pop()  # "máy móc thị" restored from "may moc thi": the "thì" of the question
        while len(piece) > 2 and piece[-1].lower() in FUNCTION_WORDS:
            out.append(piece.pop())
        while len(piece) > 2 and piece[0].lower() in FUNCTION_WORDS:
            out.append(piece.pop(0))
        if piece:
            out.append(" ".join(piece))
    return out


def _known_words(syllables_: list[str], frequencies: dict[str, int]) -> list[str]:
    """Split a compound into the longest pieces that the dictionary or the corpus knows."""
    out, start = [], 0
    while start < len(syllables_):
        end = len(syllables_)
        while end > start + 1 and not _is_known(syllables_[start:end], frequencies):
            end -= 1
        out.append(" ".join(syllables_[start:end]))
        start = end
    return out


def _is_known(words: list[str], frequencies: dict[str, int]) -> bool:
    if len(words) == 1 or " ".join(words).lower() in compound_words():
        return True
    return _document_frequency(" ".join(fold(w) for w in words), frequencies) > 0


def _document_frequency(term: str, frequencies: dict[str, int]) -> int:
    parts = term.split()
    if len(parts) == 1:
        return frequencies.get(term, 0)
    return min(frequencies.get(f"{a} {b}", 0) for a, b in pairwise(parts))


def _idf(term: str, frequencies: dict[str, int], total: int) -> float:
    if term.startswith("date:"):
        return 2.0
    df = max(_document_frequency(v, frequencies) for v in variants(term))
    return math.log((total + 1) / (df + 0.5))


def _weight(term: str, frequencies: dict[str, int], total: int) -> float:
    """Rarity weight; a compound the corpus never uses weighs double: it names something the corpus lacks."""
    weight = _idf(term, frequencies, total)
    unknown_compound = " " in term and all(
        frequencies.get(" ".join(v.split()[:2]), 0) == 0 for v in variants(term) if " " in v
    )
    return weight * UNKNOWN_COMPOUND_FACTOR if unknown_compound else weight


def unknown_terms(terms: list[str], index: LoadedIndex) -> frozenset[str]:
    """Terms that no passage of the index contains, under any of their synonyms (dates aside)."""
    return frozenset(
        t
        for t in terms
        if not t.startswith("date:") and max(_document_frequency(v, index.frequencies) for v in variants(t)) == 0
    )


def term_weights(terms: list[str], index: LoadedIndex) -> dict[str, float]:
    """Each term weighted by its rarity in the index."""
    total = len(index.chunks)
    return {t: _weight(t, index.frequencies, total) for t in terms}
